/* bench_http.c -- order entry over HTTP/JSON: how many orders a second cetsd
 * takes from keep-alive clients on loopback, and at what latency.
 *
 *   bench_http [--orders N] [--connections C] [--batch K] [--frontend civetweb|evloop]
 *              [--tls] [--client curl|raw] [--dir DIR]
 *
 * cetsd runs in this process (service_start, the same start as the binary)
 * on a fresh temporary data directory: the journal really syncs, so every
 * 201 is a durable order. C client threads, one participant and one
 * keep-alive libcurl connection each, post N listing orders in all (buys
 * below and sells above the reference price, so none crosses and each one
 * rests). Bodies are formatted before the clock starts; each request is
 * timed from send to answer. Prints one JSON line:
 *
 *   {"bench":"http_orders","orders":…,"connections":…,"frontend":…,"tls":…,
 *    "client":…,"seconds":…,"orders_per_s":…,"p50_us":…,"p99_us":…,
 *    "p999_us":…,"max_us":…,"errors":…,"cpu_us_per_order":…,"avg_batch":…,
 *    "sync_us_avg":…[,"io_wakeups_per_batch":…,"completion_msgs_per_batch":…,
 *    "io_thread_requests":…]}
 *
 * sync_us_avg is the journal's mean commit per batch; the last three come
 * from the server's /metrics where it has them (the event loop): the I/O
 * threads' wake-ups for answers and the core's completion messages per
 * journal batch, and the requests answered on an I/O thread.
 *
 * With --batch K, each request is a POST /api/v1/orders/batch of K orders
 * (the same orders, K at a time); an order counts when its entry in the
 * answer is 201 ("accepted" of the answer), latency is per request, and the
 * line is {"bench":"http_batch", …, "batch":K, "requests":…}.
 *
 * --frontend picks cetsd's HTTP front end (docs/architecture.md); --tls
 * serves https with a self-signed certificate (the event loop only) and the
 * clients speak TLS; both are in the JSON line ("frontend", "tls").
 *
 * --client raw replaces libcurl with a plain-socket client (keep-alive, one
 * request at a time per connection, no pipelining; not with --tls): two
 * threads drive all the connections with epoll, each request is written
 * with one send() and its answer read by its Content-Length, so that less
 * of the shared CPU goes to the client ("client" in the JSON line).
 *
 * Client and server share the machine's cores, so on a small machine the
 * figure is a floor for what a separate client would see.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../src/auth/auth.h"
#include "../src/server/config.h"
#include "core/log.h"
#include "../src/server/service.h"
#include "../src/server/tls.h"
#include "hist.h"
#include "jsonl.h"

#define PREV_CLOSE 7460 /* 74.60: band 67.14 .. 82.06 */

typedef struct client {
    int port, index;
    uint32_t participant;
    char token[160];
    size_t n;     /* orders to send */
    size_t batch; /* orders per request: 0 = POST /orders, one each */
    bool tls, raw;
    size_t nreq; /* requests to send */
    char **bodies;
    uint32_t *lat_us; /* per request */
    size_t ok, errors;
    char *resp; /* the answer being read (batch mode) */
    size_t resp_len, resp_cap;
    /* --client raw */
    int fd, hl;
    char head[400];
    size_t cur, have, need, body_at; /* the request on its way, what is read of its answer */
    int64_t t0;
} client;

/* CPU time of the whole process (client and server), microseconds: on a
 * shared machine the figure that the other load does not change. */
static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
           ru.ru_stime.tv_usec;
}

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
    client *c = ctx;
    size_t k = size * n;
    if (!c->batch) return k;
    if (c->resp_len + k + 1 > c->resp_cap) {
        c->resp_cap = (c->resp_len + k + 1) * 2;
        c->resp = realloc(c->resp, c->resp_cap);
    }
    memcpy(c->resp + c->resp_len, p, k);
    c->resp_len += k;
    c->resp[c->resp_len] = 0;
    return k;
}

static int op(server *s, cets_cmd *c, cets_result *r)
{
    c->actor = CETS_EXCHANGE_ID;
    int code = core_submit(s->core, c, r);
    if (code != CETS_OK) {
        fprintf(stderr, "bench_http: seeding %s failed: %s\n", cets_cmd_name(c->type),
                cets_reason_name(code));
        exit(1);
    }
    return code;
}

/* One instrument, one funded participant with holdings per client. */
static void seed(server *s, client *cl, int nclients)
{
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD, .aux = CETS_PRODUCT_CEA, .price = PREV_CLOSE};
    snprintf(c.u.text, sizeof c.u.text, "CEA25");
    op(s, &c, NULL);
    for (int i = 0; i < nclients; i++) {
        cets_result r;
        cets_cmd p = {.type = CETS_CMD_PARTICIPANT_ADD, .aux = CETS_PK_ENTITY};
        snprintf(p.u.text, sizeof p.u.text, "bench %d", i);
        op(s, &p, &r);
        cl[i].participant = r.id;
        cets_cmd d = {
            .type = CETS_CMD_DEPOSIT, .participant = r.id, .qty = 4000000000000000LL / 64};
        op(s, &d, NULL);
        cets_cmd h = {.type = CETS_CMD_HOLDING_CREDIT, .participant = r.id, .qty = 1000000000000LL};
        op(s, &h, NULL);
        char user[32], err[256];
        snprintf(user, sizeof user, "bench%d", i);
        if (auth_user_put(s->auth, user, "bench-password", r.id, ROLE_VIEW | ROLE_TRADE, err,
                          sizeof err) != 0) {
            fprintf(stderr, "bench_http: %s\n", err);
            exit(1);
        }
    }
}

static size_t grab_token(char *p, size_t size, size_t n, void *ctx)
{
    client *c = ctx;
    size_t k = size * n;
    char *t = strstr(p, "\"token\":\"");
    if (t) {
        t += 9;
        size_t len = strcspn(t, "\"");
        if (len < sizeof c->token) memcpy(c->token, t, len), c->token[len] = 0;
    }
    return k;
}

static void login(client *c)
{
    CURL *h = curl_easy_init();
    char url[64], body[96];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/api/v1/login", c->tls ? "https" : "http", c->port);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    snprintf(body, sizeof body, "{\"username\":\"bench%d\",\"password\":\"bench-password\"}",
             c->index);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grab_token);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    if (curl_easy_perform(h) != CURLE_OK || !c->token[0]) {
        fprintf(stderr, "bench_http: login failed\n");
        exit(1);
    }
    curl_easy_cleanup(h);
}

/* Buys at 67.14 .. 74.59, sells at 74.61 .. 82.06: never crossing. */
static void make_bodies(client *c)
{
    size_t per = c->batch ? c->batch : 1;
    c->nreq = (c->n + per - 1) / per;
    c->bodies = malloc(c->nreq * sizeof *c->bodies);
    c->lat_us = calloc(c->nreq, sizeof *c->lat_us);
    uint64_t x = 0x9E3779B97F4A7C15ULL * (uint64_t)(c->index + 1);
    size_t cap = per * 96 + 32;
    for (size_t r = 0, i = 0; r < c->nreq; r++) {
        char *body = malloc(cap);
        size_t len = c->batch ? (size_t)snprintf(body, cap, "{\"orders\":[") : 0;
        for (size_t k = 0; k < per && i < c->n; k++, i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            bool buy = i % 2 == 0;
            int64_t px = buy ? 6714 + (int64_t)(x % 745) : 7461 + (int64_t)(x % 746);
            len += (size_t)snprintf(
                body + len, cap - len,
                "%s{\"code\":\"CEA25\",\"side\":\"%s\",\"price\":\"%lld.%02lld\",\"qty\":%d}",
                k ? "," : "", buy ? "buy" : "sell", (long long)(px / 100), (long long)(px % 100),
                1 + (int)(x % 50));
        }
        if (c->batch) snprintf(body + len, cap - len, "]}");
        c->bodies[r] = body;
    }
}

static void *run_client(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();
    char url[64], authz[200];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/api/v1/orders%s", c->tls ? "https" : "http",
             c->port, c->batch ? "/batch" : "");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", c->token);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, authz);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no sigaction() per request */
    size_t per = c->batch ? c->batch : 1;
    for (size_t i = 0; i < c->nreq; i++) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->bodies[i]);
        c->resp_len = 0;
        int64_t t0 = mono_ns();
        long status = 0;
        if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        c->lat_us[i] = (uint32_t)((mono_ns() - t0) / 1000);
        size_t in_req = i + 1 < c->nreq ? per : c->n - i * per;
        if (!c->batch) {
            status == 201 ? c->ok++ : c->errors++;
            continue;
        }
        const char *acc = status == 200 && c->resp ? strstr(c->resp, "\"accepted\":") : NULL;
        size_t ok = acc ? strtoull(acc + 11, NULL, 10) : 0;
        c->ok += ok;
        c->errors += in_req - (ok < in_req ? ok : in_req);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return NULL;
}

/* --client raw: one keep-alive connection, a request at a time. The
 * status of the answer (0: the connection failed); its body in c->resp. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "bench_http: connect: %s\n", strerror(errno));
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Send request c->cur on c->fd (a small request: one blocking send). */
static void raw_send(client *c)
{
    const char *body = c->bodies[c->cur];
    size_t blen = strlen(body), cap = (size_t)c->hl + 32 + blen;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s%zu\r\n\r\n%s", c->head, blen, body);
    c->have = c->need = c->body_at = 0;
    c->t0 = mono_ns();
    for (ssize_t off = 0, k; off < n; off += k)
        if ((k = send(c->fd, req + off, (size_t)(n - off), MSG_NOSIGNAL)) <= 0) break;
    free(req);
}

/* Read what is there of the answer: 1 when it is complete, -1 when the
 * connection closed, 0 for more to come. */
static int raw_read(client *c)
{
    for (;;) {
        if (c->resp_cap < c->have + 65536 + 1) {
            c->resp_cap = (c->have + 65536 + 1) * 2;
            c->resp = realloc(c->resp, c->resp_cap);
        }
        ssize_t k = recv(c->fd, c->resp + c->have, c->resp_cap - c->have - 1, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN)) return -1;
        if (k < 0) return 0;
        c->have += (size_t)k;
        c->resp[c->have] = 0;
        if (!c->body_at) {
            char *end = strstr(c->resp, "\r\n\r\n");
            if (!end) continue;
            c->body_at = (size_t)(end + 4 - c->resp);
            const char *cl = strcasestr(c->resp, "\r\ncontent-length:");
            c->need = c->body_at + (cl ? strtoull(cl + 17, NULL, 10) : 0);
        }
        if (c->have >= c->need) return 1;
    }
}

/* The answer to request c->cur is in (or the connection failed: status 0). */
static void raw_answered(client *c, int status)
{
    c->lat_us[c->cur] = (uint32_t)((mono_ns() - c->t0) / 1000);
    size_t per = c->batch ? c->batch : 1;
    size_t in_req = c->cur + 1 < c->nreq ? per : c->n - c->cur * per;
    if (!c->batch) {
        status == 201 ? c->ok++ : c->errors++;
        return;
    }
    const char *acc = status == 200 ? strstr(c->resp + c->body_at, "\"accepted\":") : NULL;
    size_t ok = acc ? strtoull(acc + 11, NULL, 10) : 0;
    c->ok += ok;
    c->errors += in_req - (ok < in_req ? ok : in_req);
}

/* --client raw: each of RAW_THREADS threads drives its share of the
 * connections with epoll, one request at a time on each (so that the
 * client's threads are not woken once per answer). */
#define RAW_THREADS 2
typedef struct raw_group {
    client *cl;
    int n;
} raw_group;

static void *run_raw_group(void *arg)
{
    raw_group *g = arg;
    int ep = epoll_create1(0), live = 0;
    for (int i = 0; i < g->n; i++) {
        client *c = &g->cl[i];
        c->fd = raw_connect(c->port);
        c->hl = snprintf(c->head, sizeof c->head,
                         "POST /api/v1/orders%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                         "Content-Length: ",
                         c->batch ? "/batch" : "", c->token);
        if (c->nreq) { /* one with nothing to send is not watched */
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            raw_send(c);
            live++;
        }
    }
    struct epoll_event evs[64];
    while (live > 0) {
        int k = epoll_wait(ep, evs, 64, 10000);
        if (k <= 0) break; /* nothing for 10 s: the rest count as errors */
        for (int e = 0; e < k; e++) {
            client *c = evs[e].data.ptr;
            int r = raw_read(c);
            if (r == 0) continue;
            raw_answered(c, r > 0 ? atoi(c->resp + 9) : 0); /* "HTTP/1.1 201 ..." */
            if (r < 0) {                                    /* closed: again on a new connection */
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = raw_connect(c->port);
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            }
            if (++c->cur < c->nreq) {
                raw_send(c);
            } else { /* nothing more to read on it: an idle close later is no answer */
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                live--;
            }
        }
    }
    for (int i = 0; i < g->n; i++) close(g->cl[i].fd);
    close(ep);
    return NULL;
}

/* A counter of the server's /metrics (-1: it has none of that name). */
static size_t grow(char *p, size_t size, size_t n, void *ctx)
{
    char **buf = ctx;
    size_t k = size * n, have = *buf ? strlen(*buf) : 0;
    char *b = realloc(*buf, have + k + 1);
    if (!b) return 0;
    memcpy(b + have, p, k);
    b[have + k] = 0;
    *buf = b;
    return k;
}

static char *get_metrics(int port, bool tls)
{
    CURL *h = curl_easy_init();
    char url[64], *buf = NULL;
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/metrics", tls ? "https" : "http", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grow);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &buf);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    return buf;
}

static double metric_of(const char *text, const char *name)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = text ? strstr(text, pat) : NULL;
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    return remove(p);
}

int main(int argc, char **argv)
{
    size_t orders = 200000, batch = 0;
    int conns = 16;
    bool tls = false, raw = false;
    const char *frontend = "civetweb";
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc && strcmp(argv[i], "--tls") != 0) {
            fprintf(stderr, "bench_http: %s wants a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--orders"))
            orders = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--connections"))
            conns = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--frontend"))
            frontend = argv[i + 1];
        else if (!strcmp(argv[i], "--tls")) {
            tls = true;
            i--; /* no value */
        } else if (!strcmp(argv[i], "--batch"))
            batch = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dir"))
            base = argv[i + 1];
        else if (!strcmp(argv[i], "--client") &&
                 (!strcmp(argv[i + 1], "raw") || !strcmp(argv[i + 1], "curl")))
            raw = !strcmp(argv[i + 1], "raw");
        else {
            fprintf(stderr, "usage: bench_http [--orders N] [--connections C] [--batch K] "
                            "[--frontend civetweb|evloop] [--tls] [--client curl|raw] "
                            "[--dir DIR]\n");
            return 2;
        }
    }
    if (raw && tls) {
        fprintf(stderr, "bench_http: --client raw speaks plain HTTP only (no --tls)\n");
        return 2;
    }
    if (batch > 1000) {
        fprintf(stderr, "bench_http: a batch holds at most 1000 orders\n");
        return 2;
    }
    if (conns < 1 || conns > 256 || orders < (size_t)conns) {
        fprintf(stderr, "bench_http: 1..256 connections, at least one order each\n");
        return 2;
    }
    char dir[1024], err[1024];
    snprintf(dir, sizeof dir, "%s/bench-http-XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_http: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    log_setup(NULL, LOG_WARN); /* a request log line per order would measure the log */
    setenv("CETSD_ADMIN_PASSWORD", "bench-admin-password", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static server_config cfg;
    static server s;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.core.cfg.enforce_sessions = false;
    cfg.core.snapshot_every = 0;
    cfg.http_threads = conns + 4;
    snprintf(cfg.frontend, sizeof cfg.frontend, "%s", frontend);
    cfg.http_workers = conns + 4; /* as many handler threads as civetweb has workers */
    if (tls && tls_self_signed(dir, cfg.tls_cert, sizeof cfg.tls_cert, cfg.tls_key,
                               sizeof cfg.tls_key, err, sizeof err) != 0) {
        fprintf(stderr, "bench_http: %s\n", err);
        return 1;
    }
    if (service_start(&s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench_http: %s\n", err);
        return 1;
    }
    client *cl = calloc((size_t)conns, sizeof *cl);
    seed(&s, cl, conns);
    for (int i = 0; i < conns; i++) {
        cl[i].port = service_port(&s);
        cl[i].index = i;
        cl[i].n = orders / (size_t)conns + ((size_t)i < orders % (size_t)conns);
        cl[i].batch = batch;
        cl[i].tls = tls;
        cl[i].raw = raw;
        login(&cl[i]);
        make_bodies(&cl[i]);
    }
    core_stats before, after;
    char *m0 = get_metrics(service_port(&s), tls);
    core_get_stats(s.core, &before);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    double cpu0 = cpu_us();
    int64_t t0 = mono_ns();
    raw_group groups[RAW_THREADS];
    int nth = raw ? (conns < RAW_THREADS ? conns : RAW_THREADS) : conns;
    for (int i = 0; i < nth; i++) {
        if (!raw) {
            pthread_create(&th[i], NULL, run_client, &cl[i]);
            continue;
        }
        int from = conns * i / nth, to = conns * (i + 1) / nth;
        groups[i] = (raw_group){.cl = &cl[from], .n = to - from};
        pthread_create(&th[i], NULL, run_raw_group, &groups[i]);
    }
    for (int i = 0; i < nth; i++) pthread_join(th[i], NULL);
    double secs = (mono_ns() - t0) / 1e9;
    double cpu = cpu_us() - cpu0;
    core_get_stats(s.core, &after);
    char *m1 = get_metrics(service_port(&s), tls);

    hist h;
    hist_init(&h);
    size_t ok = 0, errors = 0, requests = 0;
    for (int i = 0; i < conns; i++) {
        for (size_t k = 0; k < cl[i].nreq; k++) hist_add(&h, cl[i].lat_us[k], 1);
        requests += cl[i].nreq;
        ok += cl[i].ok;
        errors += cl[i].errors;
    }
    uint64_t batches = after.batches - before.batches;
    jsonl_begin(batch ? "http_batch" : "http_orders");
    jsonl_u64("orders", ok + errors);
    jsonl_u64("connections", (uint64_t)conns);
    jsonl_str("frontend", frontend);
    jsonl_bool("tls", tls);
    jsonl_str("client", raw ? "raw" : "curl");
    if (batch) {
        jsonl_u64("batch", batch);
        jsonl_u64("requests", requests);
    }
    jsonl_num("seconds", secs, 3);
    jsonl_num("orders_per_s", ok / secs, 0);
    jsonl_u64("p50_us", hist_quantile(&h, 0.50));
    jsonl_u64("p99_us", hist_quantile(&h, 0.99));
    jsonl_u64("p999_us", hist_quantile(&h, 0.999));
    jsonl_u64("max_us", h.max);
    jsonl_u64("errors", errors);
    jsonl_num("cpu_us_per_order", ok + errors ? cpu / (double)(ok + errors) : 0, 2);
    jsonl_num("avg_batch", batches ? (double)(after.applied - before.applied) / batches : 0, 1);
    jsonl_num("sync_us_avg",
              batches ? (double)(after.sync_ns_total - before.sync_ns_total) / 1e3 / batches : 0,
              0);
    /* the event loop's counters, where the server has them: wake-ups of
     * the I/O threads for answers, completion messages, per journal batch */
    static const char *const counters[][2] = {
        {"cets_http_io_wakeups_total", "io_wakeups_per_batch"},
        {"cets_http_completion_messages_total", "completion_msgs_per_batch"},
        {"cets_http_io_thread_requests_total", "io_thread_requests"}};
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
        double a = metric_of(m0, counters[k][0]), b = metric_of(m1, counters[k][0]);
        if (a < 0 || b < 0) continue;
        if (k == 2)
            jsonl_num(counters[k][1], b - a, 0);
        else
            jsonl_num(counters[k][1], batches ? (b - a) / (double)batches : 0, 2);
    }
    free(m0);
    free(m1);
    jsonl_end();

    service_stop(&s);
    for (int i = 0; i < conns; i++) {
        for (size_t k = 0; k < cl[i].nreq; k++) free(cl[i].bodies[k]);
        free(cl[i].bodies);
        free(cl[i].resp);
        free(cl[i].lat_us);
    }
    free(cl);
    free(th);
    hist_free(&h);
    curl_global_cleanup();
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return errors ? 1 : 0;
}
