/* gateway.h -- the FIX 4.4 acceptor of cetsd (docs/fix.md).
 *
 * One thread runs an epoll loop over every FIX connection; commands go to
 * the core with core_submit_async() (pipelined: a session may have thousands
 * in flight), and what the engine does comes back through a core listener,
 * fix_gateway_on_event(), which copies the events the gateway needs into a
 * queue and never blocks the core thread.
 *
 * Wiring in cetsd (service.c):
 *   core_add_listener(s->core, fix_gateway_on_event, NULL);   before core_start()
 *   g = fix_gateway_start(s, "127.0.0.1:9878", "<data_dir>/fix", err, sizeof err);
 *                                                              after auth_open()
 *   fix_gateway_stop(g);                                       before core_stop()
 * There is one gateway per process (the listener has no other context).
 */
#ifndef CETS_FIX_GATEWAY_H
#define CETS_FIX_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

struct server;
typedef struct fix_gateway fix_gateway;

typedef struct fix_gateway_options {
    const char *listen;        /* "127.0.0.1:9878"; port 0 picks a free one */
    const char *state_dir;     /* session stores: outbound logs, sequence numbers */
    int heartbeat_s;           /* 30: HeartBtInt used when a Logon asks for 0 */
    int max_heartbeat_s;       /* 300: larger HeartBtInt values are refused */
    bool cancel_on_disconnect; /* false: default of sessions whose Logon does not say */
    int logon_timeout_ms;      /* 10000: a connection must log on within this */
    int logout_timeout_ms;     /* 2000: wait for the peer's Logout answer */
    int sync_interval_ms;      /* 1000: fdatasync of the session stores */
    int max_connections;       /* 1024 */
    size_t max_out_bytes;      /* 16 MiB unsent per connection: then disconnect */
    uint32_t max_inflight;     /* 16384 commands per session: then stop reading */
    int sending_time_tolerance_s; /* 120: SendingTime accuracy (0 = not checked) */
} fix_gateway_options;

void fix_gateway_options_default(fix_gateway_options *o);

/* Start listening with the defaults. NULL with err on failure. */
fix_gateway *fix_gateway_start(struct server *s, const char *listen_addr, const char *state_dir,
                               char *err, size_t errlen);
fix_gateway *fix_gateway_start_with(struct server *s, const fix_gateway_options *o, char *err,
                                    size_t errlen);
/* The TCP port it listens on. */
int fix_gateway_port(const fix_gateway *g);
/* Log every session out, wait (up to 5 s) for the commands in flight,
 * sync the stores and stop. */
void fix_gateway_stop(fix_gateway *g);

/* The core listener (ctx is unused: pass NULL). */
void fix_gateway_on_event(void *ctx, const cets_event *ev);

#endif
