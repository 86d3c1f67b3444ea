/* bench_frontend.c -- the event-loop front end under a crowd: /healthz
 * latency and order entry with thousands of idle keep-alive connections and
 * slow-header connections held, and the memory an idle connection costs.
 *
 *   bench_frontend [--idle N] [--slow M] [--frontend evloop|civetweb] [--dir DIR]
 *
 * cetsd runs in this process; the crowd runs in a child process (each side
 * then needs only its own descriptors: RLIMIT_NOFILE is raised to the hard
 * limit). The child opens N connections that each make one request and then
 * stay open and idle, then M that send a request line and a header line
 * every second, never finishing. The parent measures, unloaded and then with
 * the crowd held: GET /healthz one after another on a keep-alive connection
 * (p50, p99, max), and order entry by 8 keep-alive clients (orders/s). The
 * server's resident memory before and after the idle connections, divided
 * by N, is the memory per idle connection (both ends are in other processes'
 * or the kernel's memory, not in this figure: the server's own buffers and
 * bookkeeping are). Bounded: the child gives up after 120 s. JSON lines:
 *
 *   {"bench":"frontend_crowd","frontend":…,"idle":…,"slow":…,"phase":"unloaded"|"loaded",
 *    "healthz_p50_us":…,"healthz_p99_us":…,"healthz_max_us":…,"healthz_errors":…,
 *    "orders_per_s":…,"order_errors":…}
 *   {"bench":"frontend_memory","idle":…,"rss_before_kib":…,"rss_after_kib":…,
 *    "bytes_per_idle_connection":…}
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/auth/auth.h"
#include "../src/server/config.h"
#include "../src/server/service.h"
#include "core/log.h"
#include "hist.h"
#include "jsonl.h"

#define CLIENTS 8
#define ORDERS_PER_CLIENT 500

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
    (void)p, (void)ctx;
    return size * n;
}

/* ---- the crowd (child process) --------------------------------------------- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void crowd(int port, int nidle, int nslow, int up, int down)
{
    int *idle = calloc((size_t)nidle, sizeof *idle), *slow = calloc((size_t)nslow, sizeof *slow);
    int ok = 0;
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < nidle; i++) {
        idle[i] = dial(port);
        if (idle[i] < 0 || send(idle[i], get, strlen(get), MSG_NOSIGNAL) < 0) continue;
        char buf[1024];
        struct pollfd p = {.fd = idle[i], .events = POLLIN};
        if (poll(&p, 1, 5000) == 1 && recv(idle[i], buf, sizeof buf, 0) > 0) ok++;
    }
    char c = 'I';
    if (write(up, &c, 1) != 1 || read(down, &c, 1) != 1) _exit(1);
    for (int i = 0; i < nslow; i++) {
        slow[i] = dial(port);
        if (slow[i] >= 0) send(slow[i], "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
    }
    c = 'S';
    if (write(up, &c, 1) != 1) _exit(1);
    int64_t t0 = mono_ns();
    for (;;) { /* a header line a second, until the parent closes the pipe */
        struct pollfd p = {.fd = down, .events = POLLIN};
        if (poll(&p, 1, 1000) != 0 || mono_ns() - t0 > 120 * 1000000000LL) break;
        for (int i = 0; i < nslow; i++)
            if (slow[i] >= 0) send(slow[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
    }
    fprintf(stderr, "bench_frontend: crowd: %d of %d idle connections answered\n", ok, nidle);
    _exit(0);
}

/* ---- measurements (parent) ------------------------------------------------------- */

typedef struct oclient {
    int port, index;
    char token[160];
    size_t ok, errors;
} oclient;

static size_t grab_token(char *p, size_t size, size_t n, void *ctx)
{
    oclient *c = ctx;
    char *t = strstr(p, "\"token\":\"");
    if (t) {
        t += 9;
        size_t len = strcspn(t, "\"");
        if (len < sizeof c->token) memcpy(c->token, t, len), c->token[len] = 0;
    }
    return size * n;
}

static void *order_client(void *arg)
{
    oclient *c = arg;
    CURL *h = curl_easy_init();
    char url[64], authz[200], body[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/orders", c->port);
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", c->token);
    struct curl_slist *hdr = curl_slist_append(NULL, authz);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    for (int i = 0; i < ORDERS_PER_CLIENT; i++) {
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA25\",\"side\":\"buy\",\"price\":\"%d.%02d\",\"qty\":1}",
                 70 + i % 7, i % 100);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        long status = 0;
        if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        status == 201 ? c->ok++ : c->errors++;
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return NULL;
}

static void measure(server *s, oclient *oc, const char *fe, int nidle, int nslow, const char *phase)
{
    int port = service_port(s);
    hist h;
    hist_init(&h);
    CURL *c = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    uint64_t herr = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t t0 = mono_ns();
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        hist_add(&h, (uint64_t)(mono_ns() - t0) / 1000, 1);
        herr += status != 200;
    }
    curl_easy_cleanup(c);
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) oc[i].ok = oc[i].errors = 0, oc[i].port = port;
    int64_t t0 = mono_ns();
    for (int i = 0; i < CLIENTS; i++) pthread_create(&th[i], NULL, order_client, &oc[i]);
    size_t ok = 0, oerr = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
        ok += oc[i].ok, oerr += oc[i].errors;
    }
    double secs = (mono_ns() - t0) / 1e9;
    jsonl_begin("frontend_crowd");
    jsonl_str("frontend", fe);
    jsonl_u64("idle", (uint64_t)nidle);
    jsonl_u64("slow", (uint64_t)nslow);
    jsonl_str("phase", phase);
    jsonl_u64("healthz_p50_us", hist_quantile(&h, 0.50));
    jsonl_u64("healthz_p99_us", hist_quantile(&h, 0.99));
    jsonl_u64("healthz_max_us", h.max);
    jsonl_u64("healthz_errors", herr);
    jsonl_num("orders_per_s", ok / secs, 0);
    jsonl_u64("order_errors", oerr);
    jsonl_end();
    hist_free(&h);
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    return remove(p);
}

int main(int argc, char **argv)
{
    int nidle = 10000, nslow = 1000;
    const char *fe = "evloop";
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--idle"))
            nidle = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--slow"))
            nslow = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--frontend"))
            fe = argv[i + 1];
        else if (!strcmp(argv[i], "--dir"))
            base = argv[i + 1];
        else {
            fprintf(stderr, "usage: bench_frontend [--idle N] [--slow M] "
                            "[--frontend evloop|civetweb] [--dir DIR]\n");
            return 2;
        }
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)(nidle + nslow + 200) > rl.rlim_cur || nidle < 1 || nslow < 0) {
        fprintf(stderr, "bench_frontend: %d + %d connections need more descriptors than %llu\n",
                nidle, nslow, (unsigned long long)rl.rlim_cur);
        return 2;
    }
    char dir[1024], err[1024];
    snprintf(dir, sizeof dir, "%s/bench-frontend-XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_frontend: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    log_setup(NULL, LOG_ERROR);
    setenv("CETSD_ADMIN_PASSWORD", "bench-admin-password", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static server_config cfg;
    static server s;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    snprintf(cfg.frontend, sizeof cfg.frontend, "%s", fe);
    cfg.core.cfg.enforce_sessions = false;
    cfg.core.snapshot_every = 0;
    cfg.http_request_timeout_ms = 600000; /* held for the whole measurement */
    cfg.http_max_connections = cfg.http_max_connections_per_addr = nidle + nslow + 100;
    if (service_start(&s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench_frontend: %s\n", err);
        return 1;
    }
    /* one instrument; a funded participant and a user per order client */
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                  .aux = CETS_PRODUCT_CEA,
                  .price = 7460,
                  .actor = CETS_EXCHANGE_ID};
    snprintf(c.u.text, sizeof c.u.text, "CEA25");
    core_submit(s.core, &c, NULL);
    oclient oc[CLIENTS];
    memset(oc, 0, sizeof oc);
    for (int i = 0; i < CLIENTS; i++) {
        cets_result r;
        cets_cmd p = {
            .type = CETS_CMD_PARTICIPANT_ADD, .aux = CETS_PK_ENTITY, .actor = CETS_EXCHANGE_ID};
        snprintf(p.u.text, sizeof p.u.text, "bench %d", i);
        core_submit(s.core, &p, &r);
        cets_cmd d = {.type = CETS_CMD_DEPOSIT,
                      .participant = r.id,
                      .qty = 100000000000LL,
                      .actor = CETS_EXCHANGE_ID};
        core_submit(s.core, &d, NULL);
        char user[32];
        snprintf(user, sizeof user, "bench%d", i);
        auth_user_put(s.auth, user, "bench-password", r.id, ROLE_VIEW | ROLE_TRADE, err,
                      sizeof err);
        oc[i].index = i;
        oc[i].port = service_port(&s);
        CURL *h = curl_easy_init();
        char url[64], body[96];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/login", oc[i].port);
        snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"bench-password\"}", user);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grab_token);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &oc[i]);
        curl_easy_perform(h);
        curl_easy_cleanup(h);
    }
    measure(&s, oc, fe, nidle, nslow, "unloaded");
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) return 1;
    long before = rss_kib();
    pid_t pid = fork();
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        crowd(service_port(&s), nidle, nslow, up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);
    char ch;
    if (read(up[0], &ch, 1) != 1) return 1;
    usleep(500000); /* the last accepts */
    long after = rss_kib();
    jsonl_begin("frontend_memory");
    jsonl_str("frontend", fe);
    jsonl_u64("idle", (uint64_t)nidle);
    jsonl_i64("rss_before_kib", before);
    jsonl_i64("rss_after_kib", after);
    jsonl_num("bytes_per_idle_connection", (after - before) * 1024.0 / nidle, 0);
    jsonl_end();
    ch = 'G';
    if (write(down[1], &ch, 1) != 1 || read(up[0], &ch, 1) != 1) return 1;
    usleep(500000);
    measure(&s, oc, fe, nidle, nslow, "loaded");
    close(down[1]); /* the crowd goes */
    int st;
    waitpid(pid, &st, 0);
    service_stop(&s);
    curl_global_cleanup();
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
