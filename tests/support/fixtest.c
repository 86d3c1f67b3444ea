/* fixtest.c -- see fixtest.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../../src/auth/auth.h"
#include "../../src/server/config.h"
#include "../../src/server/tls.h"
#include "core/compids.h"
#include "core/log.h"
#include "tclock.h"

static void fx_tmpdir(char *out, size_t len)
{
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !base[0]) base = "/tmp";
    mkdir(base, 0755);
    snprintf(out, len, "%s/fix-XXXXXX", base);
    assert_non_null(mkdtemp(out));
}

int fx_admin(fixsrv *f, cets_cmd *c)
{
    c->actor = CETS_EXCHANGE_ID;
    cets_result r;
    return core_submit(f->s.core, c, &r);
}

static void seed(fixsrv *f)
{
    char err[256];
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                  .aux = CETS_PRODUCT_CEA,
                  .flags = CETS_MATCH_LISTING,
                  .price = 5000};
    snprintf(c.u.text, sizeof c.u.text, "CEA25");
    assert_int_equal(fx_admin(f, &c), CETS_OK);
    c = (cets_cmd){.type = CETS_CMD_INSTRUMENT_ADD,
                   .aux = CETS_PRODUCT_CEA,
                   .flags = CETS_MATCH_CONTINUOUS,
                   .price = 6000};
    snprintf(c.u.text, sizeof c.u.text, "CEA26");
    assert_int_equal(fx_admin(f, &c), CETS_OK);
    const char *names[] = {"alice", "bob", "carol"};
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t p = FX_ALICE + i;
        c = (cets_cmd){.type = CETS_CMD_PARTICIPANT_ADD, .aux = CETS_PK_INSTITUTION};
        snprintf(c.u.text, sizeof c.u.text, "%s", names[i]);
        assert_int_equal(fx_admin(f, &c), CETS_OK);
        c = (cets_cmd){.type = CETS_CMD_DEPOSIT, .participant = p, .qty = 1000000000LL};
        assert_int_equal(fx_admin(f, &c), CETS_OK);
        for (uint32_t k = 0; k < 2; k++) {
            c = (cets_cmd){
                .type = CETS_CMD_HOLDING_CREDIT, .participant = p, .instrument = k, .qty = 1000000};
            assert_int_equal(fx_admin(f, &c), CETS_OK);
        }
        char pw[64];
        snprintf(pw, sizeof pw, "pw-%s-12345", names[i]);
        assert_int_equal(
            auth_user_put(f->s.auth, names[i], pw, p, ROLE_TRADE | ROLE_VIEW, err, sizeof err), 0);
    }
    assert_int_equal(auth_user_put(f->s.auth, "watcher", "pw-watcher-12345", FX_CAROL, ROLE_VIEW,
                                   err, sizeof err),
                     0);
    /* the FIX sessions the operator provisioned (core/compids.h) */
    static const compid_entry sessions[] = {{"ALICE1", FX_ALICE, true},
                                            {"BOB1", FX_BOB, true},
                                            {"CAROL1", FX_CAROL, true},
                                            {"WATCH1", FX_CAROL, true}};
    compid_table t = {0};
    char path[700];
    for (size_t i = 0; i < sizeof sessions / sizeof sessions[0]; i++)
        assert_int_equal(compids_put(&t, &sessions[i], err, sizeof err), 0);
    mkdir(f->state, 0700);
    snprintf(path, sizeof path, "%s/compids", f->state);
    if (compids_save(&t, path, err, sizeof err) != 0) fail_msg("compids_save: %s", err);
    compids_free(&t);
}

void fx_start(fixsrv *f, const char *dir, void (*opt)(fix_gateway_options *o))
{
    char err[1024] = "";
    const char *lv = getenv("CETS_TEST_LOG");
    log_setup(NULL, lv && !strcmp(lv, "debug")  ? LOG_DEBUG
                    : lv && !strcmp(lv, "info") ? LOG_INFO
                                                : LOG_ERROR);
    bool fresh = !dir;
    if (fresh)
        fx_tmpdir(f->dir, sizeof f->dir);
    else if (dir != f->dir)
        snprintf(f->dir, sizeof f->dir, "%s", dir);
    snprintf(f->state, sizeof f->state, "%s/fix", f->dir);
    memset(&f->s, 0, sizeof f->s);
    config_default(&f->s.cfg);
    snprintf(f->s.cfg.data_dir, sizeof f->s.cfg.data_dir, "%s", f->dir);
    f->s.cfg.core.cfg.enforce_sessions = false;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    config_finish(&f->s.cfg, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
    f->s.core = core_open(&f->s.cfg.core);
    assert_non_null(f->s.core);
    if (core_start(f->s.core, err, sizeof err) != 0) fail_msg("core_start: %s", err);
    auth_options ao;
    auth_options_default(&ao);
    ao.data_dir = f->dir;
    ao.session_ttl_s = 3600;
    ao.max_failures = 1000;
    f->s.auth = auth_open(&ao, err, sizeof err);
    if (!f->s.auth) fail_msg("auth_open: %s", err);
    if (fresh) seed(f);
    fix_gateway_options o;
    fix_gateway_options_default(&o);
    o.listen = "127.0.0.1:0";
    o.state_dir = f->state;
    if (opt) opt(&o);
    f->g = fix_gateway_start_with(f->s.core, f->s.auth, &o, err, sizeof err);
    if (!f->g) fail_msg("fix_gateway_start: %s", err);
    f->port = fix_gateway_port(f->g);
}

void fx_stop(fixsrv *f)
{
    fix_gateway_stop(f->g);
    f->g = NULL;
    core_stop(f->s.core);
    auth_close(f->s.auth);
    core_close(f->s.core);
    f->s.core = NULL;
    f->s.auth = NULL;
}

int64_t fx_order_qty(fixsrv *f, uint64_t order_id)
{
    cets_order_info o;
    const cets_engine *e = core_read_begin(f->s.core);
    int rc = cets_order_get(e, order_id, &o);
    core_read_end(f->s.core);
    return rc == 0 ? o.qty : 0;
}

/* ---- the raw client ------------------------------------------------------- */

void fxc_connect(fxc *c, int port, const char *comp)
{
    memset(c, 0, sizeof *c);
    snprintf(c->comp, sizeof c->comp, "%s", comp);
    c->out_seq = 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool fxc_connect_tls(fxc *c, int port, const char *comp, const char *ca_file, int max_version,
                     char *err, size_t errlen)
{
    fxc_connect(c, port, comp);
    c->tls = SSL_CTX_new(TLS_client_method());
    assert_non_null(c->tls);
    SSL_CTX_set_verify(c->tls, SSL_VERIFY_PEER, NULL);
    assert_int_equal(SSL_CTX_load_verify_locations(c->tls, ca_file, NULL), 1);
    if (max_version) SSL_CTX_set_max_proto_version(c->tls, max_version);
    c->ssl = SSL_new(c->tls);
    assert_non_null(c->ssl);
    SSL_set_fd(c->ssl, c->fd);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
    ERR_clear_error();
    if (SSL_connect(c->ssl) == 1) return true;
    unsigned long e = ERR_get_error();
    char why[200] = "no reason";
    if (e) ERR_error_string_n(e, why, sizeof why);
    snprintf(err, errlen, "%s", why);
    return false;
}

const char *fxc_tls_version(const fxc *c)
{
    return c->ssl ? SSL_get_version(c->ssl) : "none";
}

void fx_make_cert(const char *dir)
{
    char cert[1024], key[1024], err[256], want[1024];
    if (tls_self_signed(dir, cert, sizeof cert, key, sizeof key, err, sizeof err) != 0)
        fail_msg("a certificate for the test: %s", err);
    snprintf(want, sizeof want, "%s/cert.pem", dir);
    assert_int_equal(rename(cert, want), 0);
    snprintf(want, sizeof want, "%s/key.pem", dir);
    assert_int_equal(rename(key, want), 0);
}

void fxc_close(fxc *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->tls) {
        SSL_CTX_free(c->tls);
        c->tls = NULL;
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

void fxc_send_raw(fxc *c, const void *p, size_t n)
{
    const char *q = p;
    while (n) {
        ssize_t w = c->ssl ? SSL_write(c->ssl, q, (int)n) : send(c->fd, q, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* the server may have closed: the test looks at that */
        q += w;
        n -= (size_t)w;
    }
}

size_t fxc_build(fxc *c, const char *type, const char *body, char *out, size_t cap)
{
    static fix_builder b;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fix_build_begin(&b, type);
    fix_add_str(&b, 49, c->comp);
    fix_add_str(&b, 56, "CETS");
    fix_add_int(&b, 34, (int64_t)c->out_seq++);
    fix_add_time(&b, 52, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
    const char *p = body;
    while (p && *p) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        assert_non_null(eq);
        fix_add_raw(&b, (uint32_t)atoi(p), eq + 1, n - (size_t)(eq + 1 - p));
        p += n + (end ? 1 : 0);
    }
    size_t len;
    const char *m = fix_build_finish(&b, &len);
    assert_non_null(m);
    assert_true(len <= cap);
    memcpy(out, m, len);
    return len;
}

void fxc_send(fxc *c, const char *type, const char *body)
{
    static char out[FIX_MAX_MSG + 64];
    size_t n = fxc_build(c, type, body, out, sizeof out);
    fxc_send_raw(c, out, n);
}

/* 1: a message; 0: timeout; -1: closed. */
static int recv_one(fxc *c, int timeout_ms)
{
    int64_t deadline = tclock_ms() + timeout_ms;
    for (;;) {
        size_t used = 0;
        fix_status st = c->len ? fix_parse(c->buf, c->len, &c->m, &used) : FIX_NEED_MORE;
        if (st == FIX_OK) {
            memcpy(c->last, c->buf, used);
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
            fix_parse(c->last, used, &c->m, &used); /* point into c->last */
            return 1;
        }
        if (st != FIX_NEED_MORE) fail_msg("the server sent a bad message: %s", fix_status_name(st));
        int64_t left = deadline - tclock_ms();
        if (left <= 0 || c->fd < 0) return 0;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (!(c->ssl && SSL_pending(c->ssl) > 0) && poll(&p, 1, (int)left) <= 0) return 0;
        ssize_t r = c->ssl ? SSL_read(c->ssl, c->buf + c->len, (int)(sizeof c->buf - c->len))
                           : recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r <= 0) return -1;
        c->len += (size_t)r;
    }
}

bool fxc_recv(fxc *c, int timeout_ms)
{
    return recv_one(c, timeout_ms) == 1;
}

const char *fxc_get(fxc *c, uint32_t tag)
{
    static char v[FIX_MAX_VALUE + 1];
    if (fix_get_str(&c->m, tag, v, sizeof v) != 0) v[0] = 0;
    return v;
}

void fxc_expect(fxc *c, const char *type)
{
    for (;;) {
        if (!fxc_recv(c, 5000)) fail_msg("%s: no message of type %s within 5 s", c->comp, type);
        if (!strcmp(c->m.type, "1") && strcmp(type, "1")) { /* answer TestRequests */
            char body[128];
            snprintf(body, sizeof body, "112=%s", fxc_get(c, 112));
            fxc_send(c, "0", body);
            continue;
        }
        if (!strcmp(c->m.type, "0") && strcmp(type, "0")) continue;
        if (strcmp(c->m.type, type) != 0) {
            for (size_t i = 0; i < c->m.rawlen; i++)
                if (c->last[i] == FIX_SOH) c->last[i] = '|';
            fail_msg("%s: expected MsgType %s, got %.*s", c->comp, type, (int)c->m.rawlen, c->last);
        }
        return;
    }
}

bool fxc_closed(fxc *c, int timeout_ms)
{
    int64_t deadline = tclock_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - tclock_ms();
        if (left <= 0) return false;
        int r = recv_one(c, (int)left);
        if (r < 0) return true;
        if (r == 0) return false;
    }
}

void fxc_logon(fxc *c, int port, const char *comp, const char *user, int hb, const char *extra)
{
    char body[512];
    fxc_connect(c, port, comp);
    snprintf(body, sizeof body, "98=0|108=%d|553=%s|554=pw-%s-12345%s%s", hb, user, user,
             extra && extra[0] ? "|" : "", extra ? extra : "");
    fxc_send(c, "A", body);
    fxc_expect(c, "A");
}
