/* gateway.h -- the FIX 4.4 acceptor of cetsd (docs/fix.md).
 *
 * One thread runs an epoll loop over every FIX connection; commands go to
 * the core with core_submit_async() (pipelined: a session may have thousands
 * in flight), and what the engine does comes back through the core's event
 * bus, which the gateway reads on its own thread (it joins the bus when it
 * starts). Any number of gateways may run in one process, each on its own
 * core or sharing one.
 *
 * Wiring (cetsd's main.c, the tests, bench_fix):
 *   g = fix_gateway_start_with(core, auth, &options, err, sizeof err);  after core_start()
 *   fix_gateway_stop(g);                                               before core_stop()
 */
#ifndef CETS_FIX_GATEWAY_H
#define CETS_FIX_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

struct core;
struct auth;
typedef struct fix_gateway fix_gateway;

typedef struct fix_gateway_options {
    const char *listen;           /* "127.0.0.1:9878"; port 0 picks a free one */
    const char *state_dir;        /* session stores: outbound logs, sequence numbers */
    const char *compids_file;     /* provisioned SenderCompIDs; NULL: <state_dir>/compids */
    int heartbeat_s;              /* 30: HeartBtInt used when a Logon asks for 0 */
    int max_heartbeat_s;          /* 300: larger HeartBtInt values are refused */
    bool cancel_on_disconnect;    /* false: default of sessions whose Logon does not say */
    int logon_timeout_ms;         /* 2000: a connection must send its Logon within this */
    int logout_timeout_ms;        /* 2000: wait for the peer's Logout answer */
    int sync_interval_ms;         /* 1000: fdatasync of the session stores */
    int max_connections;          /* 1024, logged on or not */
    int max_pending;              /* 256 not logged on yet, in all: below max_connections, so
                                  that the rest is always there for sessions */
    int max_pending_per_addr;     /* 16 not logged on yet from one IP address */
    size_t max_out_bytes;         /* 16 MiB unsent per connection: then disconnect */
    uint32_t max_inflight;        /* 16384 commands per session: then stop reading */
    int sending_time_tolerance_s; /* 120: SendingTime accuracy (0 = not checked) */
    const char *tls_cert;         /* PEM certificate (chain) and key: the listener speaks only */
    const char *tls_key;          /* TLS 1.2/1.3; NULL or "": plain TCP */
} fix_gateway_options;

void fix_gateway_options_default(fix_gateway_options *o);

/* Start listening on a running core; passwords are checked by the credential
 * store a. NULL with err on failure. */
fix_gateway *fix_gateway_start(struct core *c, struct auth *a, const char *listen_addr,
                               const char *state_dir, char *err, size_t errlen);
fix_gateway *fix_gateway_start_with(struct core *c, struct auth *a, const fix_gateway_options *o,
                                    char *err, size_t errlen);
/* The TCP port it listens on. */
int fix_gateway_port(const fix_gateway *g);
/* Log every session out, wait (up to 5 s) for the peers and until the core
 * has answered every command in flight, sync the stores and stop. */
void fix_gateway_stop(fix_gateway *g);

#endif
