/* test_fix_session.c -- the FIX gateway against the FIX Session-level Test
 * Cases and Expected Behaviors, one scenario file per acceptor-side test case
 * (tests/fix/session/, one .txt each), each on a fresh exchange (fixtest.h) over raw
 * sockets: what the scenario sends goes out byte for byte, what comes back
 * is checked field by field. With CETS_FIX_CETSD=path/to/cetsd (ctest
 * test_fix_session_cetsd) every scenario runs against a real cetsd process
 * instead: the exchange is seeded in this process, stopped, and its data
 * directory served by cetsd on the same FIX port (the options as its
 * configuration keys), then stopped with SIGTERM and its exit checked.
 * docs/fix.md ("Conformance") lists the test cases
 * and what the exchange does for each.
 *
 * Scenario lines (# starts a comment; words are separated by blanks):
 *   option KEY=N               gateway option before the exchange starts:
 *                              logon_timeout_ms, logout_timeout_ms,
 *                              sending_time_tolerance_s
 *   logon C COMPID USER [hb=N] [TAG=V ...]   connect C, send a Logon (98=0,
 *                              108, 553=USER, 554=pw-USER-12345, extras) and
 *                              expect the Logon answer
 *   connect C COMPID [from=IP] a TCP connection (C's sequence numbers carry on)
 *   send C TYPE [TAG=V ...]    header 49 56 34 52 then the fields; a header
 *                              tag among them replaces the header's value in
 *                              place (TAG=- leaves it out); 34=N sets C's next
 *                              number
 *   raw C [begin=S] [len=+N] [sum=bad] TYPE [TAG=V ...]   exactly 35=TYPE and
 *                              the fields, in this order (34=NEXT: C's next
 *                              number; TYPE -: no 35 either), framed with
 *                              BeginString S (FIX.4.4), BodyLength off by N,
 *                              or a wrong CheckSum
 *   bytes C TEXT...            TEXT as is ('|' becomes SOH, words joined by a blank)
 *   expect C TYPE [TAG=V ...]  the next message C receives (within 5 s) has
 *                              MsgType TYPE and these fields: V literally, *
 *                              present, ! absent, ~TEXT containing TEXT, $x
 *                              the variable x (set by its first use)
 *   silent C MS                C receives nothing within MS and stays connected
 *   closed C [MS]              the exchange closes C within MS (3000), having
 *                              sent nothing more
 *   seq C out=N                C's next outbound MsgSeqNum
 *   mark C X                   the variable X := C's next expected inbound number
 *   close C                    C closes its connection
 *   sleep MS
 *   provision COMPID PARTICIPANT [in_session_reset=no]   the operator's table
 *                              (the gateway reads it again within a second)
 * Values: NOW, NOW+S, NOW-S (UTCTimestamp, S seconds away), $out (C's last
 * MsgSeqNum sent), $in (C's next expected inbound MsgSeqNum), $x; TAG="a b"
 * for a value with blanks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/compids.h"
#include "fixtest.h"
#include "tclock.h"

#ifndef CETS_SOURCE_DIR
#define CETS_SOURCE_DIR "."
#endif

#define MAX_CLIENTS 4
#define MAX_VARS 32
#define LINE_MAX_LEN 4096

typedef struct client {
    char name[16];
    char comp[40];
    int fd;
    uint64_t out, in;  /* next MsgSeqNum to send; next expected from the exchange */
    uint64_t last_out; /* MsgSeqNum of the last message sent */
    char buf[1 << 18];
    size_t len;
    char last[FIX_MAX_MSG + 64];
    fix_msg m;
} client;

typedef struct scen {
    const char *file;
    int line;
    char text[LINE_MAX_LEN];
    client c[MAX_CLIENTS];
    int nc;
    char var[MAX_VARS][2][256];
    int nvar;
} scen;

static fix_gateway_options opt_over;
static bool opt_set[3];

static void apply_options(fix_gateway_options *o)
{
    if (opt_set[0]) o->logon_timeout_ms = opt_over.logon_timeout_ms;
    if (opt_set[1]) o->logout_timeout_ms = opt_over.logout_timeout_ms;
    if (opt_set[2]) o->sending_time_tolerance_s = opt_over.sending_time_tolerance_s;
}

#define FAIL(sc, ...)                                                                              \
    do {                                                                                           \
        static char why_[4 * 65536];                                                               \
        snprintf(why_, sizeof why_, __VA_ARGS__);                                                  \
        fail_msg("%s:%d: %s\n    %s", (sc)->file, (sc)->line, (sc)->text, why_);                   \
    } while (0)

static int64_t wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static client *client_get(scen *sc, const char *name, bool create)
{
    for (int i = 0; i < sc->nc; i++)
        if (!strcmp(sc->c[i].name, name)) return &sc->c[i];
    if (!create || sc->nc == MAX_CLIENTS) FAIL(sc, "unknown client %s", name);
    client *c = &sc->c[sc->nc++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->fd = -1;
    c->out = c->in = 1;
    return c;
}

static const char *var_get(scen *sc, const char *name)
{
    for (int i = 0; i < sc->nvar; i++)
        if (!strcmp(sc->var[i][0], name)) return sc->var[i][1];
    return NULL;
}

static void var_set(scen *sc, const char *name, const char *val)
{
    if (sc->nvar == MAX_VARS) FAIL(sc, "too many variables");
    snprintf(sc->var[sc->nvar][0], sizeof sc->var[0][0], "%s", name);
    snprintf(sc->var[sc->nvar][1], sizeof sc->var[0][1], "%s", val);
    sc->nvar++;
}

/* A value as sent: NOW[+-S], $out, $in, $x. */
static void value_of(scen *sc, client *c, const char *v, char *out, size_t cap)
{
    if (!strncmp(v, "NOW", 3)) {
        int64_t ns = wall_ns() + (v[3] ? (int64_t)atoll(v + 3) * 1000000000 : 0);
        time_t sec = (time_t)(ns / 1000000000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        snprintf(out, cap, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns / 1000000 % 1000));
    } else if (!strcmp(v, "$out")) {
        snprintf(out, cap, "%llu", (unsigned long long)c->last_out);
    } else if (!strcmp(v, "$in")) {
        snprintf(out, cap, "%llu", (unsigned long long)c->in);
    } else if (v[0] == '$') {
        const char *x = var_get(sc, v + 1);
        if (!x) FAIL(sc, "variable %s not set", v);
        snprintf(out, cap, "%s", x);
    } else {
        snprintf(out, cap, "%s", v);
    }
}

/* ---- the connection ----------------------------------------------------- */

static void client_connect(scen *sc, client *c, int port, const char *from)
{
    if (c->fd >= 0) close(c->fd);
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) FAIL(sc, "socket: %s", strerror(errno));
    if (from) {
        struct sockaddr_in b = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, from, &b.sin_addr) != 1 ||
            bind(c->fd, (struct sockaddr *)&b, sizeof b) != 0)
            FAIL(sc, "cannot bind to %s: %s", from, strerror(errno));
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        FAIL(sc, "connect: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void client_write(scen *sc, client *c, const char *p, size_t n)
{
    if (c->fd < 0) FAIL(sc, "%s is not connected", c->name);
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* closed by the exchange: the next step sees it */
        p += w;
        n -= (size_t)w;
    }
}

/* 1 a message (in c->m), 0 nothing within ms, -1 closed. */
static int client_recv(scen *sc, client *c, int ms)
{
    int64_t deadline = tclock_ms() + ms;
    for (;;) {
        size_t used = 0;
        fix_status st = c->len ? fix_parse(c->buf, c->len, &c->m, &used) : FIX_NEED_MORE;
        if (st == FIX_OK) {
            memcpy(c->last, c->buf, used);
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
            fix_parse(c->last, used, &c->m, &used);
            int64_t seq = 0, next = 0;
            const fix_field *reset = fix_get(&c->m, 141);
            if (fix_get_int(&c->m, 34, &seq) == 0 &&
                ((uint64_t)seq + 1 > c->in ||
                 (!strcmp(c->m.type, "A") && reset && reset->len == 1 && reset->val[0] == 'Y')))
                c->in = (uint64_t)seq + 1;
            if (!strcmp(c->m.type, "4") && fix_get_int(&c->m, 36, &next) == 0 &&
                (uint64_t)next > c->in)
                c->in = (uint64_t)next;
            return 1;
        }
        if (st != FIX_NEED_MORE)
            FAIL(sc, "the exchange sent a message that does not frame: %s", fix_status_name(st));
        int64_t left = deadline - tclock_ms();
        if (c->fd < 0) return -1;
        if (left <= 0) return 0;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) return 0;
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r <= 0) {
            close(c->fd);
            c->fd = -1;
            return -1;
        }
        c->len += (size_t)r;
    }
}

static const char *shown(client *c)
{
    static char t[FIX_MAX_MSG + 64];
    size_t n = c->m.rawlen < sizeof t - 1 ? c->m.rawlen : sizeof t - 1;
    for (size_t i = 0; i < n; i++) t[i] = c->last[i] == FIX_SOH ? '|' : c->last[i];
    t[n] = 0;
    return t;
}

/* ---- building what is sent ------------------------------------------------ */

typedef struct kv {
    char tag[16];
    char val[FIX_MAX_VALUE + 1];
} kv;

/* "TAG=V" words from w[0..n) into kv (values resolved). */
static int parse_fields(scen *sc, client *c, char **w, int n, kv *out)
{
    for (int i = 0; i < n; i++) {
        char *eq = strchr(w[i], '=');
        if (!eq || eq == w[i] || (size_t)(eq - w[i]) >= sizeof out[i].tag)
            FAIL(sc, "expected TAG=VALUE, got \"%s\"", w[i]);
        memcpy(out[i].tag, w[i], (size_t)(eq - w[i]));
        out[i].tag[eq - w[i]] = 0;
        value_of(sc, c, eq + 1, out[i].val, sizeof out[i].val);
    }
    return n;
}

/* Frame body (from 35 on) as BeginString begin, BodyLength + dlen, CheckSum
 * right or wrong; returns the length in out. */
static size_t frame(const char *begin, const char *body, size_t blen, int dlen, bool bad_sum,
                    char *out, size_t cap)
{
    int n = snprintf(out, cap, "8=%s\0019=%d\001", begin, (int)blen + dlen);
    memcpy(out + n, body, blen);
    size_t total = (size_t)n + blen;
    unsigned sum = 0;
    for (size_t i = 0; i < total; i++) sum += (unsigned char)out[i];
    sum = (sum + (bad_sum ? 1 : 0)) % 256;
    total += (size_t)snprintf(out + total, cap - total, "10=%03u\001", sum);
    return total;
}

static size_t body_add(char *body, size_t blen, const char *tag, const char *val)
{
    int n = snprintf(body + blen, FIX_MAX_MSG - blen, "%s=%s\001", tag, val);
    return n < 0 || (size_t)n >= FIX_MAX_MSG - blen ? blen : blen + (size_t)n;
}

static void do_send(scen *sc, client *c, char **w, int n)
{
    static kv f[128];
    static char body[FIX_MAX_MSG], out[FIX_MAX_MSG + 128];
    if (n < 1 || n > 128) FAIL(sc, "send C TYPE [TAG=V ...]");
    int nf = parse_fields(sc, c, w + 1, n - 1, f);
    const char *hdr[4] = {"49", "56", "34", "52"};
    char hv[4][FIX_MAX_VALUE + 1];
    bool used[128] = {0};
    snprintf(hv[0], sizeof hv[0], "%s", c->comp);
    snprintf(hv[1], sizeof hv[1], "CETS");
    hv[2][0] = 0;
    value_of(sc, c, "NOW", hv[3], sizeof hv[3]);
    for (int i = 0; i < nf; i++)
        for (int k = 0; k < 4; k++)
            if (!strcmp(f[i].tag, hdr[k])) {
                snprintf(hv[k], sizeof hv[k], "%s", f[i].val);
                used[i] = true;
            }
    if (!hv[2][0]) snprintf(hv[2], sizeof hv[2], "%llu", (unsigned long long)c->out);
    if (strcmp(hv[2], "-") != 0) {
        c->last_out = strtoull(hv[2], NULL, 10);
        c->out = c->last_out + 1;
    }
    size_t bl = body_add(body, 0, "35", w[0]);
    for (int k = 0; k < 4; k++)
        if (strcmp(hv[k], "-") != 0) bl = body_add(body, bl, hdr[k], hv[k]);
    for (int i = 0; i < nf; i++)
        if (!used[i]) bl = body_add(body, bl, f[i].tag, f[i].val);
    size_t len = frame("FIX.4.4", body, bl, 0, false, out, sizeof out);
    client_write(sc, c, out, len);
}

static void do_raw(scen *sc, client *c, char **w, int n)
{
    static kv f[128];
    static char body[FIX_MAX_MSG], out[FIX_MAX_MSG + 128];
    const char *begin = "FIX.4.4";
    int dlen = 0;
    bool bad_sum = false;
    int i = 0;
    for (; i < n; i++) {
        if (!strncmp(w[i], "begin=", 6))
            begin = w[i] + 6;
        else if (!strncmp(w[i], "len=", 4))
            dlen = atoi(w[i] + 4);
        else if (!strcmp(w[i], "sum=bad"))
            bad_sum = true;
        else
            break;
    }
    if (i >= n || n - i > 128) FAIL(sc, "raw C [begin=S] [len=+N] [sum=bad] TYPE [TAG=V ...]");
    size_t bl = strcmp(w[i], "-") ? body_add(body, 0, "35", w[i]) : 0;
    int nf = parse_fields(sc, c, w + i + 1, n - i - 1, f);
    for (int k = 0; k < nf; k++) {
        if (!strcmp(f[k].tag, "34") && !strcmp(f[k].val, "NEXT")) {
            c->last_out = c->out++;
            snprintf(f[k].val, sizeof f[k].val, "%llu", (unsigned long long)c->last_out);
        }
        bl = body_add(body, bl, f[k].tag, f[k].val);
    }
    size_t len = frame(begin, body, bl, dlen, bad_sum, out, sizeof out);
    client_write(sc, c, out, len);
}

/* ---- checking what comes back --------------------------------------------- */

static void check_field(scen *sc, client *c, const char *tag, const char *want)
{
    const fix_field *f = fix_get(&c->m, (uint32_t)atoi(tag));
    char have[FIX_MAX_VALUE + 1] = "";
    if (f) snprintf(have, sizeof have, "%.*s", (int)f->len, f->val);
    if (!strcmp(want, "!")) {
        if (f) FAIL(sc, "%s=%s present, expected absent in %s", tag, have, shown(c));
        return;
    }
    if (!f) FAIL(sc, "%s missing in %s", tag, shown(c));
    if (!strcmp(want, "*")) return;
    if (want[0] == '~') {
        if (!strstr(have, want + 1))
            FAIL(sc, "%s=%s does not contain \"%s\" in %s", tag, have, want + 1, shown(c));
        return;
    }
    char v[FIX_MAX_VALUE + 1];
    if (want[0] == '$' && strcmp(want, "$out") && strcmp(want, "$in") && !var_get(sc, want + 1)) {
        var_set(sc, want + 1, have);
        return;
    }
    value_of(sc, c, want, v, sizeof v);
    if (strcmp(have, v) != 0) FAIL(sc, "%s=%s, expected %s in %s", tag, have, v, shown(c));
}

static void do_expect(scen *sc, client *c, char **w, int n)
{
    if (n < 1) FAIL(sc, "expect C TYPE [TAG=V ...]");
    uint64_t in_before = c->in;
    int r = client_recv(sc, c, 5000);
    if (r == 0) FAIL(sc, "nothing received within 5 s");
    if (r < 0) FAIL(sc, "the exchange closed the connection");
    if (strcmp(c->m.type, w[0]) != 0)
        FAIL(sc, "MsgType %s, expected %s: %s", c->m.type, w[0], shown(c));
    uint64_t in_after = c->in;
    c->in = in_before; /* $in in this line means what was expected before it */
    for (int i = 1; i < n; i++) {
        char *eq = strchr(w[i], '=');
        if (!eq) FAIL(sc, "expected TAG=VALUE, got \"%s\"", w[i]);
        *eq = 0;
        check_field(sc, c, w[i], eq + 1);
        *eq = '=';
    }
    c->in = in_after;
}

/* ---- the scenario --------------------------------------------------------- */

/* Words separated by blanks; TAG="a b c" is one word (the quotes go). */
static int split(char *s, char **w, int max)
{
    int n = 0;
    char *p = s;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p) break;
        w[n++] = p;
        char *o = p;
        bool quoted = false;
        for (; *p && (quoted || !strchr(" \t\r\n", *p)); p++) {
            if (*p == '"')
                quoted = !quoted;
            else
                *o++ = *p;
        }
        if (*p) p++;
        *o = 0;
    }
    return n;
}

static void step(scen *sc, fixsrv *srv, char **w, int n)
{
    const char *cmd = w[0];
    if (!strcmp(cmd, "sleep") && n == 2) {
        struct timespec t = {atoi(w[1]) / 1000, (long)(atoi(w[1]) % 1000) * 1000000};
        nanosleep(&t, NULL);
        return;
    }
    if (!strcmp(cmd, "provision") && (n == 3 || n == 4)) { /* the operator's CompID table */
        compid_table t = {0};
        compid_entry e = {.participant = (uint32_t)atoi(w[2]), .in_session_reset = true};
        char path[700], err[256];
        snprintf(e.comp, sizeof e.comp, "%s", w[1]);
        if (n == 4) e.in_session_reset = strcmp(w[3], "in_session_reset=no") != 0;
        snprintf(path, sizeof path, "%s/compids", srv->state);
        if (compids_load(&t, path, err, sizeof err) != 0 || compids_put(&t, &e, err, sizeof err) ||
            compids_save(&t, path, err, sizeof err) != 0)
            FAIL(sc, "%s", err);
        compids_free(&t);
        return;
    }
    if (n < 2) FAIL(sc, "unknown or incomplete line");
    client *c = client_get(sc, w[1], !strcmp(cmd, "logon") || !strcmp(cmd, "connect"));
    if (!strcmp(cmd, "connect") || !strcmp(cmd, "logon")) {
        if (n < 3) FAIL(sc, "%s C COMPID ...", cmd);
        snprintf(c->comp, sizeof c->comp, "%s", w[2]);
        const char *from = n > 3 && !strncmp(w[3], "from=", 5) ? w[3] + 5 : NULL;
        client_connect(sc, c, srv->port, from);
        if (!strcmp(cmd, "connect")) return;
        if (n < 4) FAIL(sc, "logon C COMPID USER [hb=N] [TAG=V ...]");
        char *lw[64];
        char hb[16] = "108=30", user[80], pw[96];
        int k = 0, first = 4;
        if (n > 4 && !strncmp(w[4], "hb=", 3)) {
            snprintf(hb, sizeof hb, "108=%s", w[4] + 3);
            first = 5;
        }
        snprintf(user, sizeof user, "553=%s", w[3]);
        snprintf(pw, sizeof pw, "554=pw-%s-12345", w[3]);
        lw[k++] = "A";
        for (int i = first; i < n && k < 60; i++)
            if (!strcmp(w[i], "141=Y")) c->out = 1;
        lw[k++] = "98=0";
        lw[k++] = hb;
        lw[k++] = user;
        lw[k++] = pw;
        for (int i = first; i < n && k < 60; i++) lw[k++] = w[i];
        do_send(sc, c, lw, k);
        char *ew[] = {"A"};
        do_expect(sc, c, ew, 1);
    } else if (!strcmp(cmd, "send")) {
        do_send(sc, c, w + 2, n - 2);
    } else if (!strcmp(cmd, "raw")) {
        do_raw(sc, c, w + 2, n - 2);
    } else if (!strcmp(cmd, "bytes") && n >= 3) {
        char t[LINE_MAX_LEN];
        size_t k = 0;
        for (int i = 2; i < n; i++)
            k += (size_t)snprintf(t + k, sizeof t - k, "%s%s", i > 2 ? " " : "", w[i]);
        for (size_t i = 0; i < k; i++)
            if (t[i] == '|') t[i] = FIX_SOH;
        client_write(sc, c, t, k);
    } else if (!strcmp(cmd, "expect")) {
        do_expect(sc, c, w + 2, n - 2);
    } else if (!strcmp(cmd, "silent") && n == 3) {
        int r = client_recv(sc, c, atoi(w[2]));
        if (r > 0) FAIL(sc, "received %s", shown(c));
        if (r < 0) FAIL(sc, "the exchange closed the connection");
    } else if (!strcmp(cmd, "closed")) {
        int r = client_recv(sc, c, n > 2 ? atoi(w[2]) : 3000);
        if (r > 0) FAIL(sc, "received %s, expected the connection to close", shown(c));
        if (r == 0) FAIL(sc, "the connection is still open");
    } else if (!strcmp(cmd, "mark") && n == 3) {
        char v[32];
        snprintf(v, sizeof v, "%llu", (unsigned long long)c->in);
        var_set(sc, w[2], v);
    } else if (!strcmp(cmd, "seq") && n == 3 && !strncmp(w[2], "out=", 4)) {
        c->out = strtoull(w[2] + 4, NULL, 10);
    } else if (!strcmp(cmd, "close")) {
        if (c->fd >= 0) close(c->fd);
        c->fd = -1;
    } else {
        FAIL(sc, "unknown or incomplete line");
    }
}

/* ---- a real cetsd (CETS_FIX_CETSD) -------------------------------------------------- */

static const char *cetsd_path;
static pid_t cetsd_pid;
static char cetsd_log[700];

static void cetsd_log_tail(void)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "tail -n 20 '%s' >&2", cetsd_log);
    if (system(cmd) != 0) fprintf(stderr, "(no log %s)\n", cetsd_log);
}

/* The seeded exchange in srv is stopped and its data directory served by
 * cetsd on the same FIX port, with the scenario's options as configuration. */
static void cetsd_start(scen *sc, fixsrv *srv)
{
    int port = srv->port;
    fx_stop(srv);
    if (opt_set[2]) FAIL(sc, "sending_time_tolerance_s is not a cetsd setting");
    char conf[700];
    snprintf(conf, sizeof conf, "%s/cetsd.conf", srv->dir);
    snprintf(cetsd_log, sizeof cetsd_log, "%s/cetsd.log", srv->dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "data_dir = %s\nlisten = 127.0.0.1:0\nfix_listen = 127.0.0.1:%d\n"
            "log_file = %s\nlog_level = info\nbackoffice_sql = false\naudit_log = false\n",
            srv->dir, port, cetsd_log);
    if (opt_set[0]) fprintf(f, "fix_logon_timeout_ms = %d\n", opt_over.logon_timeout_ms);
    if (opt_set[1]) fprintf(f, "fix_logout_timeout_ms = %d\n", opt_over.logout_timeout_ms);
    fclose(f);
    cetsd_pid = fork();
    assert_true(cetsd_pid >= 0);
    if (cetsd_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left behind if this test dies */
        execl(cetsd_path, cetsd_path, "--config", conf, (char *)NULL);
        _exit(127);
    }
    /* ready when the FIX gateway says it listens */
    for (int64_t deadline = tclock_ms() + 20000;;) {
        char cmd[800];
        snprintf(cmd, sizeof cmd, "grep -q 'comp=fix msg=\"listening\"' '%s' 2>/dev/null",
                 cetsd_log);
        if (system(cmd) == 0) break;
        int st;
        if (waitpid(cetsd_pid, &st, WNOHANG) == cetsd_pid) {
            cetsd_pid = 0;
            cetsd_log_tail();
            FAIL(sc, "cetsd exited before its FIX gateway listened");
        }
        if (tclock_ms() > deadline) {
            cetsd_log_tail();
            FAIL(sc, "cetsd's FIX gateway did not listen within 20 s");
        }
        usleep(20000);
    }
}

/* SIGTERM; cetsd must stop cleanly (exit 0) within 20 s. */
static void cetsd_stop(void)
{
    if (!cetsd_pid) return;
    kill(cetsd_pid, SIGTERM);
    int st = 0;
    pid_t pid = cetsd_pid;
    cetsd_pid = 0;
    for (int64_t deadline = tclock_ms() + 20000; waitpid(pid, &st, WNOHANG) != pid;) {
        if (tclock_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            cetsd_log_tail();
            fail_msg("cetsd did not stop within 20 s of SIGTERM");
        }
        usleep(20000);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        cetsd_log_tail();
        fail_msg("cetsd stopped with status %d", st);
    }
}

/* After a scenario that failed midway: its cetsd goes too. */
static int scenario_teardown(void **state)
{
    (void)state;
    if (cetsd_pid) {
        kill(cetsd_pid, SIGKILL);
        waitpid(cetsd_pid, NULL, 0);
        cetsd_pid = 0;
    }
    return 0;
}

static void run_scenario(void **state)
{
    const char *path = *state;
    static scen sc;
    memset(&sc, 0, sizeof sc);
    sc.file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    memset(opt_set, 0, sizeof opt_set);
    static fixsrv srv;
    bool started = false;
    char line[LINE_MAX_LEN];
    while (fgets(line, sizeof line, f)) {
        sc.line++;
        snprintf(sc.text, sizeof sc.text, "%s", line);
        sc.text[strcspn(sc.text, "\r\n")] = 0;
        char *hash = line[0] == '#' ? line : strstr(line, " #");
        if (hash) *hash = 0;
        char *w[160];
        int n = split(line, w, 160);
        if (!n) continue;
        if (!strcmp(w[0], "option")) {
            if (started || n != 2 || !strchr(w[1], '='))
                FAIL(&sc, "option KEY=N, before the first step");
            int v = atoi(strchr(w[1], '=') + 1);
            if (!strncmp(w[1], "logon_timeout_ms=", 17))
                opt_set[0] = true, opt_over.logon_timeout_ms = v;
            else if (!strncmp(w[1], "logout_timeout_ms=", 18))
                opt_set[1] = true, opt_over.logout_timeout_ms = v;
            else if (!strncmp(w[1], "sending_time_tolerance_s=", 25))
                opt_set[2] = true, opt_over.sending_time_tolerance_s = v;
            else
                FAIL(&sc, "unknown option");
            continue;
        }
        if (!started) {
            fx_start(&srv, NULL, apply_options);
            if (cetsd_path) cetsd_start(&sc, &srv);
            started = true;
        }
        step(&sc, &srv, w, n);
    }
    fclose(f);
    for (int i = 0; i < sc.nc; i++)
        if (sc.c[i].fd >= 0) close(sc.c[i].fd);
    if (started && cetsd_path)
        cetsd_stop();
    else if (started)
        fx_stop(&srv);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

int main(int argc, char **argv)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tests/fix/session", CETS_SOURCE_DIR);
    cetsd_path = getenv("CETS_FIX_CETSD");
    if (cetsd_path && !cetsd_path[0]) cetsd_path = NULL;
    static struct CMUnitTest tests[256];
    size_t nt = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) && nt < 256) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0) continue;
        if (argc > 1 && !strstr(de->d_name, argv[1])) /* one scenario: its name or a part */
            continue;
        char *path = malloc(strlen(dir) + len + 2);
        sprintf(path, "%s/%s", dir, de->d_name);
        tests[nt++] = (struct CMUnitTest){.name = strdup(de->d_name),
                                          .test_func = run_scenario,
                                          .teardown_func = scenario_teardown,
                                          .initial_state = path};
    }
    if (d) closedir(d);
    if (!nt) {
        fprintf(stderr, "no scenarios in %s\n", dir);
        return 1;
    }
    qsort(tests, nt, sizeof tests[0], by_name);
    int rc = _cmocka_run_group_tests(cetsd_path ? "fix_session_cetsd" : "fix_session", tests, nt,
                                     NULL, NULL);
    for (size_t i = 0; i < nt; i++) {
        free((char *)tests[i].name);
        free(tests[i].initial_state);
    }
    return rc;
}
