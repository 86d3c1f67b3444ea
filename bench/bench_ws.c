/* bench_ws.c -- WebSocket fan-out: how late does a trade reach 1,000
 * subscribers of its instrument's trades channel?
 *
 * cetsd runs in this process (service_start, as main.c starts it) on
 * 127.0.0.1 with a fresh data directory; N clients connect to /ws and
 * subscribe to CEA25's trades; then a seller posts and a buyer takes through
 * core_submit(), one trade at a time, each durable before the next. Every
 * client's copy of every trade is timed: the client's CLOCK_REALTIME when the
 * frame is read, minus the trade's ts_ns (the sequencer's clock when the
 * take was numbered), so the figure includes the journal's fsync, the
 * engine, the feed, the writers, the kernel and our own reading. The
 * subscribers are a child process (crowd_main), where one epoll thread
 * reads all sockets.
 *
 *   bench_ws [--subscribers 1000] [--trades 200] [--interval-ms 5] [--frontend F]
 *
 * Prints {"bench":"ws_fanout","subscribers":…,"trades":…,"p50_ms":…,"p99_ms":…,…,
 * "server_cpu_ms":…,"client_cpu_ms":…}.
 * Target: p99 <= 50 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/server/config.h"
#include "core/log.h"
#include "../src/server/service.h"
#include "../src/server/ws.h"
#include "../src/server/ws_int.h"
#include "hist.h"
#include "jsonl.h"

typedef struct sub {
    int fd;
    char buf[65536];
    size_t len;
    bool subscribed;
} sub;

static sub *subs;
static int nsubs;
static hist lat;                                           /* ns */
static pthread_mutex_t lat_mu = PTHREAD_MUTEX_INITIALIZER; /* the readers share lat */
#define MAX_READERS 8
static int nreaders = 1;
static uint64_t received, acked, odd;
static volatile int reader_stop;
static char frontend[16]; /* "": the default */

static int64_t clock_ns(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- the clients ------------------------------------------------------------ */

static int send_text(int fd, const char *text)
{
    size_t n = strlen(text);
    unsigned char f[256];
    if (n > 125 || n + 6 > sizeof f) return -1;
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | n);
    memset(f + 2, 0x5a, 4); /* a fixed mask is as good as any for a benchmark */
    for (size_t i = 0; i < n; i++) f[6 + i] = (unsigned char)(text[i] ^ 0x5a);
    return send(fd, f, n + 6, MSG_NOSIGNAL) == (ssize_t)(n + 6) ? 0 : -1;
}

static int client_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) goto fail;
    char req[256], resp[1024];
    int n = snprintf(req, sizeof req,
                     "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n");
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) goto fail;
    size_t got = 0; /* the server says nothing more until we subscribe */
    while (got < sizeof resp - 1 && !memmem(resp, got, "\r\n\r\n", 4)) {
        ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (r <= 0) goto fail;
        got += (size_t)r;
    }
    if (got < 12 || memcmp(resp, "HTTP/1.1 101", 12) != 0) goto fail;
    if (send_text(fd, "{\"op\":\"subscribe\",\"channel\":\"trades\",\"code\":\"CEA25\"}") != 0)
        goto fail;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
fail:
    if (fd >= 0) close(fd);
    return -1;
}

/* One text message from the server. */
static void on_message(sub *s, const char *p, size_t n, int64_t now)
{
    if (!s->subscribed && memmem(p, n, "\"subscribed\"", 12)) {
        if (!s->subscribed) __atomic_add_fetch(&acked, 1, __ATOMIC_RELAXED);
        s->subscribed = true;
        return;
    }
    const char *t = memmem(p, n, "\"ts_ns\":", 8);
    if (!t) {
        odd++;
        return;
    }
    int64_t ts = strtoll(t + 8, NULL, 10);
    hist_add(&lat, (uint64_t)(now > ts ? now - ts : 0), 1);
    __atomic_add_fetch(&received, 1, __ATOMIC_RELAXED);
}

/* Cut whole frames (server frames are not masked) from s's buffer. A read
 * that leaves room in the buffer took all there was: the next one would
 * only say EAGAIN (epoll is level-triggered: anything later wakes it). */
static void on_readable(sub *s)
{
    for (bool more = true; more;) {
        size_t room = sizeof s->buf - s->len;
        ssize_t r = recv(s->fd, s->buf + s->len, room, 0);
        if (r <= 0) break;
        more = (size_t)r == room;
        s->len += (size_t)r;
        int64_t now = clock_ns(CLOCK_REALTIME);
        size_t off = 0;
        pthread_mutex_lock(&lat_mu);
        while (s->len - off >= 2) {
            const unsigned char *f = (const unsigned char *)s->buf + off;
            size_t len = f[1] & 0x7f, hdr = 2;
            if (len == 126) {
                if (s->len - off < 4) break;
                len = (size_t)f[2] << 8 | f[3];
                hdr = 4;
            } else if (len == 127) {
                break; /* never this large here */
            }
            if (s->len - off < hdr + len) break;
            if ((f[0] & 0x0f) == 1) on_message(s, (const char *)f + hdr, len, now);
            off += hdr + len;
        }
        pthread_mutex_unlock(&lat_mu);
        memmove(s->buf, s->buf + off, s->len - off);
        s->len -= off;
    }
}

static void *reader_main(void *arg)
{
    int ep = *(int *)arg;
    struct epoll_event evs[256];
    pthread_setname_np(pthread_self(), "bench-reader");
    while (!reader_stop) {
        int n = epoll_wait(ep, evs, 256, 50);
        for (int i = 0; i < n; i++) on_readable(&subs[evs[i].data.u32]);
    }
    return NULL;
}

/* ---- the market -------------------------------------------------------------- */

static int submit(server *s, cets_cmd c)
{
    cets_result r;
    int code = core_submit(s->core, &c, &r);
    if (code != CETS_OK)
        fprintf(stderr, "bench_ws: %s rejected: %s\n", cets_cmd_name(c.type),
                cets_reason_name(code));
    return code;
}

static int market_setup(server *s)
{
    cets_cmd add = {.type = CETS_CMD_INSTRUMENT_ADD,
                    .actor = CETS_EXCHANGE_ID,
                    .aux = CETS_PRODUCT_CEA,
                    .flags = CETS_MATCH_LISTING,
                    .price = 5000};
    snprintf(add.u.text, sizeof add.u.text, "CEA25");
    int rc = submit(s, add);
    for (int i = 0; i < 2 && rc == CETS_OK; i++) {
        cets_cmd p = {
            .type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = CETS_PK_ENTITY};
        snprintf(p.u.text, sizeof p.u.text, "bench %d", i);
        rc = submit(s, p);
    }
    cets_cmd dep = {
        .type = CETS_CMD_DEPOSIT, .actor = CETS_EXCHANGE_ID, .participant = 3, .qty = 100000000000};
    cets_cmd cred = {.type = CETS_CMD_HOLDING_CREDIT,
                     .actor = CETS_EXCHANGE_ID,
                     .participant = 2,
                     .instrument = 0,
                     .qty = 10000000};
    return rc == CETS_OK && submit(s, dep) == CETS_OK && submit(s, cred) == CETS_OK ? 0 : -1;
}

/* Participant 2 posts one tonne, participant 3 takes it: one trade. */
static int trade_once(server *s)
{
    cets_cmd post = {.type = CETS_CMD_POST,
                     .actor = 2,
                     .participant = 2,
                     .instrument = 0,
                     .side = CETS_SELL,
                     .price = 5000,
                     .qty = 1};
    cets_cmd take = {.type = CETS_CMD_TAKE,
                     .actor = 3,
                     .participant = 3,
                     .instrument = 0,
                     .side = CETS_BUY,
                     .price = 5000,
                     .qty = 1};
    return submit(s, post) == CETS_OK && submit(s, take) == CETS_OK ? 0 : -1;
}

/* ---- the run -------------------------------------------------------------------- */

/* Both ends of every connection are ours: the hard limit too is raised
 * when we may (root, CAP_SYS_RESOURCE), else the soft one up to it. */
static void raise_nofile(int want)
{
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < (rlim_t)want) {
        struct rlimit up = {(rlim_t)want, r.rlim_max < (rlim_t)want ? (rlim_t)want : r.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
            r.rlim_cur = r.rlim_max < (rlim_t)want ? r.rlim_max : (rlim_t)want;
            setrlimit(RLIMIT_NOFILE, &r);
        }
    }
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < (rlim_t)want) { /* a descriptor per subscriber, and some */
        nsubs = (int)(r.rlim_cur - 128);
        fprintf(stderr, "bench_ws: open file limit %llu: only %d subscribers\n",
                (unsigned long long)r.rlim_cur, nsubs);
    }
}

static bool wait_until(uint64_t *counter, uint64_t want, int ms)
{
    for (int i = 0; i < ms / 10 && __atomic_load_n(counter, __ATOMIC_RELAXED) < want; i++)
        usleep(10000);
    return __atomic_load_n(counter, __ATOMIC_RELAXED) >= want;
}

/* cetsd in this process, with a worker thread for every subscriber. */
static int server_up(server *s, char *dir)
{
    static server_config cfg;
    char err[512];
    if (!mkdtemp(dir)) return -1;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.core.cfg.enforce_sessions = false;
    cfg.http_threads = nsubs + 16; /* civetweb: one worker per open connection */
    if (frontend[0]) snprintf(cfg.frontend, sizeof cfg.frontend, "%s", frontend);
    /* evloop: every subscriber comes from 127.0.0.1 */
    if (cfg.http_max_connections < nsubs + 16) cfg.http_max_connections = nsubs + 16;
    if (cfg.http_max_connections_per_addr < nsubs + 16)
        cfg.http_max_connections_per_addr = nsubs + 16;
    setenv("CETSD_ADMIN_PASSWORD", "bench-admin-password", 1);
    if (service_start(s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench_ws: %s\n", err);
        return -1;
    }
    return market_setup(s);
}

/* Open every subscriber and add it to a reader's epoll set (in turn);
 * returns how many. */
static int clients_up(int port, const int *ep)
{
    int connected = 0;
    fprintf(stderr, "bench_ws: connecting %d subscribers to port %d\n", nsubs, port);
    for (int i = 0; i < nsubs; i++) {
        subs[i].fd = client_open(port);
        if (subs[i].fd < 0) continue;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep[i % nreaders], EPOLL_CTL_ADD, subs[i].fd, &ev);
        connected++;
    }
    return connected;
}

/* ---- the crowd: a child process ------------------------------------------------
 *
 * The subscribers live in a child process forked before the server starts
 * (no server thread is copied), so that each side has its own open-file
 * limit (10,000 connections are 20,000 descriptors with both ends in one
 * process) and the two can be profiled apart. The parent sends the port,
 * then the number of trades made; the child answers how many connected and
 * subscribed, then what it measured. */

typedef struct crowd_ready {
    int32_t connected;
    uint64_t acked;
} crowd_ready;

typedef struct crowd_result {
    uint64_t received, odd;
    double p50_ms, p99_ms, max_ms, cpu_ms;
    bool complete;
} crowd_result;

static bool read_all(int fd, void *p, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

static bool write_all(int fd, const void *p, size_t n)
{
    return write(fd, p, n) == (ssize_t)n; /* a pipe: these few bytes go at once */
}

static int crowd_main(int in, int out)
{
    pthread_setname_np(pthread_self(), "bench-crowd");
    int32_t port = 0;
    if (!read_all(in, &port, sizeof port) || port <= 0) return 1;
    hist_init(&lat);
    subs = calloc((size_t)nsubs, sizeof *subs);
    int ep[MAX_READERS];
    pthread_t reader[MAX_READERS];
    for (int i = 0; i < nreaders; i++) {
        ep[i] = epoll_create1(EPOLL_CLOEXEC);
        pthread_create(&reader[i], NULL, reader_main, &ep[i]);
    }
    crowd_ready ready = {.connected = clients_up(port, ep)};
    wait_until(&acked, (uint64_t)ready.connected, 30000);
    ready.acked = __atomic_load_n(&acked, __ATOMIC_RELAXED);
    if (!write_all(out, &ready, sizeof ready)) return 1;
    uint64_t traded = 0;
    int64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (!read_all(in, &traded, sizeof traded)) return 1;
    crowd_result res = {0};
    res.complete = wait_until(&received, traded * ready.acked, 30000); /* bounded */
    reader_stop = 1;
    for (int i = 0; i < nreaders; i++) pthread_join(reader[i], NULL);
    res.cpu_ms = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e6;
    res.received = received;
    res.odd = odd;
    res.p50_ms = (double)hist_quantile(&lat, 0.50) / 1e6;
    res.p99_ms = (double)hist_quantile(&lat, 0.99) / 1e6;
    res.max_ms = (double)lat.max / 1e6;
    for (int i = 0; i < nsubs; i++)
        if (subs[i].fd >= 0) close(subs[i].fd);
    write_all(out, &res, sizeof res);
    hist_free(&lat);
    free(subs);
    return 0;
}

static void report(server *s, const crowd_ready *r, int traded, int interval_ms,
                   const crowd_result *res, double server_cpu_ms)
{
    uint64_t expected = (uint64_t)traded * r->acked;
    jsonl_begin("ws_fanout");
    jsonl_str("frontend", s->cfg.frontend);
    jsonl_u64("subscribers", (uint64_t)r->connected);
    jsonl_u64("trades", (uint64_t)traded);
    jsonl_u64("interval_ms", (uint64_t)interval_ms);
    jsonl_u64("messages", res->received);
    jsonl_u64("expected", expected);
    jsonl_bool("complete", res->complete);
    jsonl_num("p50_ms", res->p50_ms, 2);
    jsonl_num("p99_ms", res->p99_ms, 2);
    jsonl_num("max_ms", res->max_ms, 2);
    jsonl_bool("p99_within_50ms", res->p99_ms <= 50);
    /* CPU from the first trade until the crowd had every copy: the
     * server's includes the loopback's receive side (the kernel does it in
     * the sender's send) */
    jsonl_num("server_cpu_ms", server_cpu_ms, 0);
    jsonl_num("client_cpu_ms", res->cpu_ms, 0);
    core_stats st; /* the journal's part of the figure: each trade waits for one fsync */
    core_get_stats(s->core, &st);
    jsonl_num("fsync_ms_avg", st.batches ? (double)st.sync_ns_total / (double)st.batches / 1e6 : 0,
              2);
    pthread_mutex_lock(&s->ws->mu);
    jsonl_u64("dropped_clients", s->ws->dropped);
    pthread_mutex_unlock(&s->ws->mu);
    jsonl_end();
}

int main(int argc, char **argv)
{
    int ntrades = 200, interval_ms = 5;
    nsubs = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--subscribers"))
            nsubs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--trades"))
            ntrades = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--interval-ms"))
            interval_ms = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--readers"))
            nreaders = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--frontend"))
            snprintf(frontend, sizeof frontend, "%s", argv[i + 1]);
    }
    if (nsubs < 1 || nsubs > 20000 || ntrades < 1 || ntrades > 100000 || interval_ms < 0 ||
        nreaders < 1 || nreaders > MAX_READERS) {
        fprintf(stderr, "usage: bench_ws [--subscribers 1..20000] [--trades N] [--interval-ms MS] "
                        "[--readers 1..8] [--frontend evloop|civetweb]\n");
        return 2;
    }
    raise_nofile(nsubs + 256); /* one end of each connection per process */
    int down[2], up[2];        /* parent to crowd, crowd to parent */
    if (pipe(down) != 0 || pipe(up) != 0) return 1;
    pid_t crowd = fork();
    if (crowd < 0) return 1;
    if (crowd == 0) {
        close(down[1]), close(up[0]);
        _exit(crowd_main(down[0], up[1]));
    }
    close(down[0]), close(up[1]);
    log_setup(NULL, LOG_WARN);
    static server s;
    char dir[] = "/tmp/cets-bench-ws-XXXXXX";
    int32_t port = server_up(&s, dir) == 0 ? service_port(&s) : -1;
    crowd_ready ready = {0};
    if (!write_all(down[1], &port, sizeof port) || port < 0 ||
        !read_all(up[0], &ready, sizeof ready)) {
        fprintf(stderr, "bench_ws: the crowd did not start\n");
        return 1;
    }
    fprintf(stderr, "bench_ws: %d connected, %llu subscribed; %d trades every %d ms\n",
            ready.connected, (unsigned long long)ready.acked, ntrades, interval_ms);
    bool all_in = ready.acked == (uint64_t)ready.connected && ready.connected > 0;
    int64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t traded = 0;
    for (int i = 0; i < ntrades && all_in && trade_once(&s) == 0; i++) {
        traded++;
        if (interval_ms) usleep((useconds_t)interval_ms * 1000);
    }
    crowd_result res = {0};
    bool ok = write_all(down[1], &traded, sizeof traded) && read_all(up[0], &res, sizeof res);
    double server_cpu_ms = (double)(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e6;
    int status = 1;
    waitpid(crowd, &status, 0);
    if (ok) report(&s, &ready, (int)traded, interval_ms, &res, server_cpu_ms);

    service_stop(&s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_ws: could not remove %s\n", dir);
    return ok && status == 0 && res.complete && res.odd == 0 && all_in ? 0 : 1;
}
