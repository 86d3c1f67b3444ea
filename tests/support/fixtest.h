/* fixtest.h -- the FIX gateway for tests: an in-process exchange (core,
 * users, FIX gateway; no HTTP) on 127.0.0.1 with a port of its own and a
 * data directory of its own, a seeded market, and a raw FIX client that
 * builds, sends, receives and checks messages byte by byte.
 *
 * The market: CEA25 (listing, previous close 50.00) and CEA26 (continuous,
 * 60.00); participants alice (2), bob (3), carol (4), each with 10,000,000
 * CNY and 1,000,000 t of both; users alice, bob, carol (trade) and watcher
 * (carol's, view only), password "pw-<user>-12345". Sessions are not
 * enforced: orders are accepted at any hour.
 */
#ifndef CETS_FIXTEST_H
#define CETS_FIXTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/fix/fix.h"
#include "../../src/fix/gateway.h"
#include "../../src/server/server.h"

#define FX_ALICE 2
#define FX_BOB 3
#define FX_CAROL 4
#define FX_LISTING 0 /* CEA25 */
#define FX_CONT 1    /* CEA26 */

typedef struct fixsrv {
    server s;
    fix_gateway *g;
    char dir[512], state[600];
    int port;
} fixsrv;

/* Start on dir (NULL: a fresh directory, seeded). opt may adjust the
 * gateway's options (heartbeats, timeouts). Asserts success. */
void fx_start(fixsrv *f, const char *dir, void (*opt)(fix_gateway_options *o));
/* Stop the gateway and the core; the directory stays. */
void fx_stop(fixsrv *f);
/* Submit an operator command; returns the engine's code. */
int fx_admin(fixsrv *f, cets_cmd *c);
/* Live quantity of an order (0 when it is gone). */
int64_t fx_order_qty(fixsrv *f, uint64_t order_id);

/* ---- the raw client ---- */
struct ssl_st;
struct ssl_ctx_st;
typedef struct fxc {
    int fd;
    struct ssl_st *ssl; /* over TLS (fxc_connect_tls), else NULL */
    struct ssl_ctx_st *tls;
    char comp[40];
    uint64_t out_seq; /* MsgSeqNum of the next message sent */
    char buf[1 << 18];
    size_t len;
    char last[FIX_MAX_MSG + 64]; /* the last message received, raw */
    fix_msg m;                   /* ... parsed */
} fxc;

void fxc_connect(fxc *c, int port, const char *comp);
/* Connect over TLS, the server's certificate verified against ca_file (PEM)
 * for the address 127.0.0.1; max_version 0 or e.g. TLS1_2_VERSION. False
 * when the handshake fails (why in err). */
bool fxc_connect_tls(fxc *c, int port, const char *comp, const char *ca_file, int max_version,
                     char *err, size_t errlen);
/* The TLS version the connection agreed, e.g. "TLSv1.3". */
const char *fxc_tls_version(const fxc *c);
/* Write a self-signed certificate for 127.0.0.1 and its key (PEM files
 * dir/cert.pem, dir/key.pem), with cetsd's own maker (tls_self_signed). */
void fx_make_cert(const char *dir);
void fxc_close(fxc *c);
void fxc_send_raw(fxc *c, const void *p, size_t n);
/* Build with header (49, 56, 34 = out_seq++, 52 = now) and send. body is
 * "tag=value|tag=value|..." ('|' becomes SOH); may be "". */
void fxc_send(fxc *c, const char *type, const char *body);
/* The same message as bytes, without sending (out_seq still advances). */
size_t fxc_build(fxc *c, const char *type, const char *body, char *out, size_t cap);
/* Next message (any type) within timeout_ms: true, in c->m. */
bool fxc_recv(fxc *c, int timeout_ms);
/* Next message that is not a Heartbeat or TestRequest (those are answered);
 * fails the test unless its MsgType is type. */
void fxc_expect(fxc *c, const char *type);
/* True when the server closes the connection within timeout_ms (messages
 * received before are skipped). */
bool fxc_closed(fxc *c, int timeout_ms);
/* A field of the last message as a string ("" when absent). */
const char *fxc_get(fxc *c, uint32_t tag);
/* Connect and log on as user (password pw-<user>-12345), HeartBtInt hb;
 * extra fields appended to the Logon. Expects the Logon answer. */
void fxc_logon(fxc *c, int port, const char *comp, const char *user, int hb, const char *extra);

#endif
