/* bench_fix.c -- the FIX gateway on loopback, journal on: how long from a
 * NewOrderSingle to its ExecutionReport, and how many orders per second one
 * session sustains.
 *
 * The exchange runs in this process (core + users + FIX gateway, as cetsd
 * wires them) on a fresh data directory; the client is a raw socket in the
 * main thread. Both runs send limit buys on a continuous instrument that
 * rest without trading (so the book grows; the engine's cost per order stays
 * flat) and wait for each order's "new" report, which the gateway sends
 * only after the order is durable in the journal (group commit, fdatasync)
 * and applied.
 *
 *   round trip: one order at a time; p50/p99 of send -> report.
 *   throughput: all orders pipelined (prepared before the clock starts), at
 *               most --window unanswered; orders/s from the first send to
 *               the last report.
 *
 *   bench_fix [--dir DIR] [--roundtrips 2000] [--orders 200000] [--window 8192]
 *             [--nats URLS] [--tls]
 *
 * --nats runs the exchange on the replicated journal (cluster mode, a fresh
 * stream on the NATS servers given) instead of the file journal; every line
 * says which ("journal":"file" or "nats"). bench_cluster runs both.
 * --tls: the gateway with a TLS listener (cetsd's self-signed certificate,
 * tls_self_signed, in the data directory) and the client over OpenSSL;
 * every line says "tls":true or false.
 * --dir picks the file system of the journal (default: a fresh directory
 * under the current one, removed at exit); a tmpfs there (/dev/shm) shows
 * the gateway's own cost without the disk's fdatasync. Prints one JSON line
 * per run: {"bench":"fix_validate",...} (the dictionary's check of one
 * NewOrderSingle, CPU only), {"bench":"fix_roundtrip",...} and
 * {"bench":"fix_throughput",...}.
 * Targets (issue 4): p50 <= 30 us, >= 100,000 orders/s on one session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
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

#include <openssl/ssl.h>

#include "../src/fix/fix.h"
#include "../src/fix/gateway.h"
#include "../src/auth/auth.h"
#include "../src/fix/validate.h"
#include "../src/server/config.h"
#include "../src/server/tls.h"
#include "cluster/cluster.h"
#include "core/compids.h"
#include "core/log.h"
#include "hist.h"
#include "jsonl.h"

static server srv;
static const char *nats_urls; /* --nats: the replicated journal */
static bool tls;              /* --tls */
static char tls_cert[1100], tls_key[1100];
static SSL_CTX *tls_ctx;
static SSL *ssl;
static const char *journal_name = "file";
static fix_gateway *gw;
static int fd;
static char rbuf[1 << 20];
static size_t rlen;
static fix_msg msg;
static uint64_t out_seq = 1;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_fix: %s\n", what);
    exit(1);
}

static void admin(cets_cmd c)
{
    c.actor = CETS_EXCHANGE_ID;
    if (core_submit(srv.core, &c, NULL) != CETS_OK) die("seeding the market failed");
}

static void exchange_start(const char *dir)
{
    char err[1024];
    const char *lv = getenv("CETS_BENCH_LOG"); /* info or debug: the gateway's log on stderr */
    log_setup(NULL, lv && !strcmp(lv, "debug")  ? LOG_DEBUG
                    : lv && !strcmp(lv, "info") ? LOG_INFO
                                                : LOG_WARN);
    config_default(&srv.cfg);
    snprintf(srv.cfg.data_dir, sizeof srv.cfg.data_dir, "%s", dir);
    srv.cfg.core.cfg.enforce_sessions = false;
    config_finish(&srv.cfg, wall_ns());
    if (nats_urls) { /* a leader from the start: no lease in a benchmark */
        cluster_options co;
        cluster_options_default(&co);
        char stream[40], node[24];
        snprintf(stream, sizeof stream, "FIXB%lld", (long long)(wall_ns() % 1000000000));
        snprintf(node, sizeof node, "bench-fix");
        co.nats_url = nats_urls;
        co.node_id = node;
        co.data_dir = dir;
        co.stream = stream;
        if (!(srv.cfg.core.backend = cluster_backend_new(&co, err, sizeof err))) die(err);
        journal_name = "nats";
    }
    if (!(srv.core = core_open(&srv.cfg.core))) die("core_open");
    auth_options ao;
    auth_options_default(&ao);
    ao.data_dir = dir;
    ao.session_ttl_s = 3600;
    ao.max_failures = 100;
    if (core_start(srv.core, err, sizeof err) != 0 || !(srv.auth = auth_open(&ao, err, sizeof err)))
        die(err);
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD, .flags = CETS_MATCH_CONTINUOUS, .price = 6000};
    snprintf(c.u.text, sizeof c.u.text, "CEA26");
    admin(c);
    c = (cets_cmd){.type = CETS_CMD_PARTICIPANT_ADD, .aux = CETS_PK_INSTITUTION};
    snprintf(c.u.text, sizeof c.u.text, "bench");
    admin(c);
    admin((cets_cmd){.type = CETS_CMD_DEPOSIT, .participant = 2, .qty = 1000000000000LL});
    if (auth_user_put(srv.auth, "bench", "bench-password", 2, ROLE_TRADE, err, sizeof err) != 0)
        die(err);
    fix_gateway_options o;
    fix_gateway_options_default(&o);
    char state[1100], table[1200];
    snprintf(state, sizeof state, "%s/fix", dir);
    snprintf(table, sizeof table, "%s/compids", state);
    compid_table t = {0}; /* the operator provisions the bench's session */
    compid_entry e = {.comp = "BENCH1", .participant = 2, .in_session_reset = true};
    mkdir(state, 0700);
    if (compids_put(&t, &e, err, sizeof err) != 0 || compids_save(&t, table, err, sizeof err) != 0)
        die(err);
    compids_free(&t);
    o.listen = "127.0.0.1:0";
    o.state_dir = state;
    if (tls) { /* cetsd's own self-signed certificate (cetsd --tls-self-signed) */
        if (tls_self_signed(dir, tls_cert, sizeof tls_cert, tls_key, sizeof tls_key, err,
                            sizeof err) != 0)
            die(err);
        o.tls_cert = tls_cert;
        o.tls_key = tls_key;
    }
    if (!(gw = fix_gateway_start_with(srv.core, srv.auth, &o, err, sizeof err))) die(err);
}

static size_t build(char *out, const char *type, const char *body)
{
    static fix_builder b;
    fix_build_begin(&b, type);
    fix_add_str(&b, 49, "BENCH1");
    fix_add_str(&b, 56, "CETS");
    fix_add_int(&b, 34, (int64_t)out_seq++);
    fix_add_time(&b, 52, wall_ns());
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", body);
    for (char *p = strtok(tmp, "|"); p; p = strtok(NULL, "|")) {
        char *eq = strchr(p, '=');
        fix_add_raw(&b, (uint32_t)atoi(p), eq + 1, strlen(eq + 1));
    }
    size_t n;
    const char *m = fix_build_finish(&b, &n);
    memcpy(out, m, n);
    return n;
}

static ssize_t io_send(const void *p, size_t n)
{
    if (!ssl) return send(fd, p, n, MSG_NOSIGNAL);
    int w = SSL_write(ssl, p, (int)n);
    return w > 0 ? w : -1;
}

static ssize_t io_recv(void *p, size_t n)
{
    if (!ssl) return recv(fd, p, n, 0);
    int r = SSL_read(ssl, p, (int)n);
    return r > 0 ? r : -1;
}

/* Something to read without waiting (TLS: decrypted bytes held by OpenSSL). */
static bool io_ready(int timeout_ms)
{
    if (ssl && SSL_pending(ssl) > 0) return true;
    struct pollfd q = {.fd = fd, .events = POLLIN};
    return poll(&q, 1, timeout_ms) > 0;
}

static void send_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = io_send(p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd q = {.fd = fd, .events = POLLOUT};
            poll(&q, 1, 100);
            continue;
        }
        if (w <= 0) die("send failed");
        p += w;
        n -= (size_t)w;
    }
}

/* Bytes of rbuf that next_msg handed out last (msg points into them). */
static size_t used_last;

/* Read until one whole message is parsed into msg (blocking). */
static void next_msg(void)
{
    memmove(rbuf, rbuf + used_last, rlen - used_last);
    rlen -= used_last;
    used_last = 0;
    for (;;) {
        size_t used = 0;
        fix_status st = rlen ? fix_parse(rbuf, rlen, &msg, &used) : FIX_NEED_MORE;
        if (st == FIX_OK) {
            used_last = used;
            return;
        }
        if (st != FIX_NEED_MORE) die("bad message from the gateway");
        ssize_t r = io_recv(rbuf + rlen, sizeof rbuf - rlen);
        if (r <= 0) die("the gateway closed the connection");
        rlen += (size_t)r;
    }
}

static void connect_and_logon(void)
{
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)fix_gateway_port(gw)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (tls) {
        if (!(tls_ctx = SSL_CTX_new(TLS_client_method())) ||
            SSL_CTX_load_verify_locations(tls_ctx, tls_cert, NULL) != 1)
            die("cannot set up the client's TLS");
        SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
        ssl = SSL_new(tls_ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1) die("TLS handshake failed");
        fprintf(stderr, "bench_fix: %s %s\n", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
    }
    char m[512];
    size_t n = build(m, "A", "98=0|108=30|553=bench|554=bench-password");
    send_all(m, n);
    next_msg();
    if (strcmp(msg.type, "A") != 0) die("logon refused");
}

/* A resting buy: prices walk down from 59.99 over 500 ticks (the band is 54.00-66.00). */
static size_t order(char *out, uint64_t i)
{
    char body[160];
    int64_t px = 5999 - (int64_t)(i % 500);
    snprintf(body, sizeof body,
             "11=o%llu|55=CEA26|54=1|60=20260101-00:00:00|38=1|40=2|44=%lld.%02lld|59=0",
             (unsigned long long)i, (long long)(px / 100), (long long)(px % 100));
    return build(out, "D", body);
}

static uint64_t next_id;

static void run_roundtrip(int n)
{
    hist h;
    hist_init(&h);
    char m[512];
    core_stats s0, s1;
    core_get_stats(srv.core, &s0);
    for (int i = 0; i < n; i++) {
        size_t len = order(m, next_id++);
        int64_t t0 = now_ns();
        send_all(m, len);
        do next_msg();
        while (strcmp(msg.type, "8") != 0);
        hist_add(&h, (uint64_t)(now_ns() - t0), 1);
    }
    core_get_stats(srv.core, &s1);
    uint64_t batches = s1.batches - s0.batches;
    jsonl_begin("fix_roundtrip");
    jsonl_str("journal", journal_name);
    jsonl_bool("tls", tls);
    jsonl_u64("orders", (uint64_t)n);
    jsonl_num("p50_us", hist_quantile(&h, 0.5) / 1e3, 1);
    jsonl_num("p99_us", hist_quantile(&h, 0.99) / 1e3, 1);
    jsonl_num("max_us", h.max / 1e3, 1);
    jsonl_num("mean_us", h.sum / 1e3 / (double)h.count, 1);
    jsonl_num("mean_fdatasync_us",
              batches ? (double)(s1.sync_ns_total - s0.sync_ns_total) / 1e3 / (double)batches : 0,
              1);
    jsonl_end();
    hist_free(&h);
}

static void run_throughput(uint64_t n, uint64_t window)
{
    size_t cap = (size_t)n * 160;
    char *all = malloc(cap);
    size_t *off = malloc((size_t)(n + 1) * sizeof *off);
    if (!all || !off) die("out of memory");
    /* the round trip's last report is still in rbuf: it must not count here
     * (counted, a run whose answers all came before the next send waited for
     * one answer too many, forever) */
    memmove(rbuf, rbuf + used_last, rlen - used_last);
    rlen -= used_last;
    used_last = 0;
    off[0] = 0;
    for (uint64_t i = 0; i < n; i++) /* prepared before the clock starts */
        off[i + 1] = off[i] + order(all + off[i], next_id++);
    core_stats s0, s1;
    core_get_stats(srv.core, &s0);
    uint64_t sent = 0, got = 0, rejected = 0;
    int64_t t0 = now_ns();
    while (got < n) {
        if (sent < n && sent - got < window) {
            uint64_t k = sent + 256 < n ? sent + 256 : n; /* a few hundred per write */
            if (k - got > window) k = got + window;
            send_all(all + off[sent], off[k] - off[sent]);
            sent = k;
        }
        if (!io_ready(sent - got >= window || sent == n ? 1000 : 0)) continue;
        ssize_t r = io_recv(rbuf + rlen, sizeof rbuf - rlen);
        if (r <= 0) die("the gateway closed the connection");
        rlen += (size_t)r;
        size_t pos = 0, used;
        while (fix_parse(rbuf + pos, rlen - pos, &msg, &used) == FIX_OK) {
            pos += used;
            if (!strcmp(msg.type, "8")) {
                got++;
                const fix_field *et = fix_get(&msg, 150);
                rejected += et && et->val[0] == '8';
            }
        }
        memmove(rbuf, rbuf + pos, rlen - pos);
        rlen -= pos;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    core_get_stats(srv.core, &s1);
    uint64_t batches = s1.batches - s0.batches;
    jsonl_begin("fix_throughput");
    jsonl_str("journal", journal_name);
    jsonl_bool("tls", tls);
    jsonl_u64("orders", n);
    jsonl_u64("window", window);
    jsonl_u64("rejected", rejected);
    jsonl_num("seconds", secs, 3);
    jsonl_num("orders_per_s", (double)n / secs, 0);
    jsonl_u64("group_commits", batches);
    jsonl_num("orders_per_commit",
              batches ? (double)(s1.applied - s0.applied) / (double)batches : 0, 1);
    jsonl_num("mean_fdatasync_us",
              batches ? (double)(s1.sync_ns_total - s0.sync_ns_total) / 1e3 / (double)batches : 0,
              1);
    jsonl_end();
    free(all);
    free(off);
}

/* What the dictionary's one pass costs per NewOrderSingle, CPU only: the
 * best of 5 rounds of framing alone and of framing plus validation. */
static void run_validate(void)
{
    char m[512];
    size_t n = order(m, 1), used;
    const fix_msg_def *def = fix_dict_msg("D");
    fix_verdict v;
    const int per_round = 200000;
    double best[2] = {1e18, 1e18};
    for (int round = 0; round < 5; round++)
        for (int with = 0; with < 2; with++) {
            int64_t t0 = now_ns();
            for (int i = 0; i < per_round; i++) {
                if (fix_parse(m, n, &msg, &used) != FIX_OK) die("the bench's order does not parse");
                if (with && !fix_validate(&msg, def, &v)) die("the bench's order is not valid");
            }
            double ns = (double)(now_ns() - t0) / per_round;
            if (ns < best[with]) best[with] = ns;
        }
    jsonl_begin("fix_validate");
    jsonl_u64("fields", (uint64_t)msg.n);
    jsonl_num("parse_ns", best[0], 1);
    jsonl_num("parse_and_validate_ns", best[1], 1);
    jsonl_num("validate_ns", best[1] - best[0], 1);
    jsonl_end();
    out_seq = 1; /* the session to come starts at 1 */
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

int main(int argc, char **argv)
{
    const char *dir_arg = NULL;
    int roundtrips = 2000;
    uint64_t orders = 200000, window = 8192;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_arg = argv[++i];
        else if (!strcmp(argv[i], "--roundtrips") && i + 1 < argc)
            roundtrips = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--orders") && i + 1 < argc)
            orders = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--window") && i + 1 < argc)
            window = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--nats") && i + 1 < argc)
            nats_urls = argv[++i];
        else if (!strcmp(argv[i], "--tls"))
            tls = true;
        else {
            fprintf(stderr, "usage: bench_fix [--dir DIR] [--roundtrips N] [--orders N] [--window "
                            "W] [--nats URLS] [--tls]\n");
            return 2;
        }
    }
    if (orders > 2000000 || window < 1 || roundtrips < 1 || roundtrips > 1000000)
        die("--orders at most 2,000,000; --window and --roundtrips at least 1");
    run_validate();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/bench-fix-XXXXXX", dir_arg ? dir_arg : ".");
    if (!mkdtemp(dir)) die("cannot create the data directory");
    fprintf(stderr, "bench_fix: data directory %s\n", dir);
    exchange_start(dir);
    connect_and_logon();
    run_roundtrip(roundtrips);
    run_throughput(orders, window);
    SSL_free(ssl);
    SSL_CTX_free(tls_ctx);
    close(fd);
    fix_gateway_stop(gw);
    core_stop(srv.core);
    auth_close(srv.auth);
    core_close(srv.core);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
