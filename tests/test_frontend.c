/* test_frontend.c -- the event-loop front end (frontend = "evloop",
 * src/server/evloop.c) and its limits, each at the limit and just past it,
 * with short configured deadlines so that every test is quick and bounded.
 *
 * The hardening issue's finding 4 on this front end: 200 connections
 * trickling a header line every half second do not stop /healthz, and are
 * cut at the request deadline; a POST trickling its body is cut at the same
 * deadline and submits nothing; an idle keep-alive connection is closed at
 * it; the caps on connections in total and per address refuse the next
 * connection and no other, and free a place when one closes; hundreds of
 * WebSockets held open hold no thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <dirent.h>
#include <sys/stat.h>

#include "../src/server/config.h"
#include "../src/server/evloop.h"
#include "../src/server/service.h"
#include "../src/server/tls.h"
#include "../src/server/ws.h"
#include "tserver.h"
#include "wsclient.h"
#include "tclock.h"

#define DEADLINE_MS 1500

static void msleep(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* Wait up to ms for the server to close fd (recv() == 0 or an error): the
 * milliseconds it took, or -1 if it is still open. Data is read and dropped. */
static int64_t wait_closed(int fd, int ms)
{
    int64_t t0 = tclock_ms();
    char buf[4096];
    for (;;) {
        int64_t left = ms - (tclock_ms() - t0);
        if (left <= 0) return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) return -1;
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) return tclock_ms() - t0;
    }
}

/* One request on fd, the status of its answer (0: none within 3 s). */
static int raw_request(int fd, const char *req)
{
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) return 0;
    char buf[8192];
    size_t n = 0;
    int64_t t0 = tclock_ms();
    while (n < sizeof buf - 1 && tclock_ms() - t0 < 3000) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
        buf[n] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strcasestr(buf, "content-length:");
        if (end && cl && (size_t)(end + 4 - buf) + (size_t)atol(cl + 15) <= n) break;
    }
    buf[n] = 0;
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    return status;
}

static int cap_total = 10000, cap_addr = 1000, max_body = 65536;

static void evloop_cfg(server_config *c)
{
    snprintf(c->frontend, sizeof c->frontend, "evloop");
    c->http_request_timeout_ms = DEADLINE_MS;
    c->http_max_connections = cap_total;
    c->http_max_connections_per_addr = cap_addr;
    c->max_body = max_body;
}

static void start(tserver *t)
{
    memset(t, 0, sizeof *t);
    ts_start(t, NULL, evloop_cfg);
}

static void stop(tserver *t)
{
    ts_stop(t);
    ts_rmtree(t->dir);
    cap_total = 10000, cap_addr = 1000, max_body = 65536;
}

/* ---- finding 4: slow headers ------------------------------------------------ */

#define SLOW 200

typedef struct slow {
    int port, fd[SLOW];
    volatile int stop;
} slow;

/* Every connection sends a request line, then a header line every 500 ms. */
static void *slow_headers(void *arg)
{
    slow *s = arg;
    for (int i = 0; i < SLOW; i++) {
        s->fd[i] = ts_connect(s->port);
        send(s->fd[i], "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
    }
    while (!s->stop) {
        for (int i = 0; i < SLOW; i++) send(s->fd[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        msleep(500);
    }
    return NULL;
}

static void test_slow_headers_do_not_stop_healthz(void **state)
{
    (void)state;
    tserver t;
    start(&t);
    slow s = {.port = t.port};
    pthread_t th;
    pthread_create(&th, NULL, slow_headers, &s);
    msleep(300);
    /* /healthz answers at once, over and over, while the 200 trickle */
    int64_t worst = 0;
    for (int i = 0; i < 10; i++) {
        int64_t t0 = tclock_ms();
        json_decref(ts_expect(&t, "GET", "/healthz", NULL, NULL, 200));
        int64_t dt = tclock_ms() - t0;
        if (dt > worst) worst = dt;
        msleep(100);
    }
    assert_true(worst < 500);
    /* and each of the 200 is cut at the deadline, header lines or not */
    int cut = 0;
    for (int i = 0; i < SLOW; i++) cut += wait_closed(s.fd[i], DEADLINE_MS + 2000) >= 0;
    s.stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(cut, SLOW);
    for (int i = 0; i < SLOW; i++) close(s.fd[i]);
    json_decref(ts_expect(&t, "GET", "/healthz", NULL, NULL, 200));
    stop(&t);
}

/* A POST that sends 1 byte of a 60,000-byte body now and then is cut at the
 * deadline, and nothing is submitted. */
static void test_trickled_body_cut(void **state)
{
    (void)state;
    tserver t;
    start(&t);
    json_t *h0 = ts_expect(&t, "GET", "/healthz", NULL, NULL, 200);
    int fd = ts_connect(t.port);
    const char *head = "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n{";
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    int64_t t0 = tclock_ms(), closed = -1;
    for (int i = 0; i < 40 && closed < 0; i++) {
        send(fd, " ", 1, MSG_NOSIGNAL);
        closed = wait_closed(fd, 200);
    }
    int64_t took = tclock_ms() - t0;
    close(fd);
    assert_true(closed >= 0);
    assert_true(took >= DEADLINE_MS - 300 && took <= DEADLINE_MS + 1500);
    json_t *h1 = ts_expect(&t, "GET", "/healthz", NULL, NULL, 200);
    assert_int_equal(tj_int(h0, "seq"), tj_int(h1, "seq"));
    json_decref(h0);
    json_decref(h1);
    stop(&t);
}

/* A keep-alive connection is served while it is within the deadline and
 * closed once it has been idle for it. */
static void test_keepalive_idle_closed(void **state)
{
    (void)state;
    tserver t;
    start(&t);
    int fd = ts_connect(t.port);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(raw_request(fd, get), 200);
    msleep(DEADLINE_MS / 2);
    assert_int_equal(raw_request(fd, get), 200); /* still open, and the clock restarted */
    int64_t took = wait_closed(fd, DEADLINE_MS + 2000);
    close(fd);
    assert_true(took >= DEADLINE_MS - 300);
    assert_true(took <= DEADLINE_MS + 1500);
    stop(&t);
}

/* The per-address cap: cap_addr connections are served, the next one is
 * closed at once, and a place frees when one of them closes. */
static void caps_check(tserver *t, int cap)
{
    int fd[64];
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < cap; i++) fd[i] = ts_connect(t->port);
    for (int i = 0; i < cap; i++) /* all of them at the cap: served */
        assert_int_equal(raw_request(fd[i], get), 200);
    int past = ts_connect(t->port);
    assert_true(wait_closed(past, 1000) >= 0); /* one past it: closed */
    close(past);
    assert_int_equal(raw_request(fd[0], get), 200); /* the others are not affected */
    close(fd[0]);
    msleep(200);
    fd[0] = ts_connect(t->port); /* a place is free again */
    assert_int_equal(raw_request(fd[0], get), 200);
    for (int i = 0; i < cap; i++) close(fd[i]);
}

static void test_connections_per_address(void **state)
{
    (void)state;
    tserver t;
    cap_addr = 8;
    start(&t);
    msleep(DEADLINE_MS + 500); /* the test client's connection has been closed as idle */
    caps_check(&t, 8);
    stop(&t);
}

static void test_connections_total(void **state)
{
    (void)state;
    tserver t;
    cap_total = 6;
    start(&t);
    msleep(DEADLINE_MS + 500);
    caps_check(&t, 6);
    stop(&t);
}

/* A login body of n bytes (a wrong password: 401 once read whole), in buf
 * (n + 1 bytes). */
static void login_body(char *buf, size_t n)
{
    const char *json = "{\"username\":\"nobody\",\"password\":\"wrong-password\"}";
    size_t jl = strlen(json);
    memcpy(buf, json, jl - 1);
    memset(buf + jl - 1, ' ', n - jl);
    buf[n - 1] = '}';
    buf[n] = 0;
}

/* max_body on this front end: a body of max_body bytes is read, one more
 * is 413 too_large. */
static void test_body_limit(void **state)
{
    (void)state;
    tserver t;
    max_body = 1000;
    start(&t);
    for (int past = 0; past <= 1; past++) {
        char body[1002];
        login_body(body, 1000 + (size_t)past);
        tresp r;
        ts_req(&t, "POST", "/api/v1/login", NULL, body, &r);
        if (past) {
            assert_int_equal(r.status, 413);
            assert_string_equal(tj_str(r.json, "error"), "too_large");
        } else {
            assert_int_equal(r.status, 401); /* read whole and checked: wrong password */
        }
        tresp_free(&r);
    }
    stop(&t);
}

/* POST /api/v1/login with body (n bytes) sent chunked, 1,000 bytes a chunk,
 * on a new connection: the status. */
static int login_chunked(int port, const char *body, size_t n)
{
    size_t cap = n + n / 1000 * 16 + 256;
    char *req = malloc(cap);
    size_t k = (size_t)snprintf(req, cap,
                                "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < n; off += 1000) {
        size_t c = n - off < 1000 ? n - off : 1000;
        k += (size_t)snprintf(req + k, cap - k, "%zx\r\n%.*s\r\n", c, (int)c, body + off);
    }
    snprintf(req + k, cap - k, "0\r\n\r\n");
    int fd = ts_connect(port);
    int status = raw_request(fd, req);
    close(fd);
    free(req);
    return status;
}

/* A chunked body has no length to size its buffer by: it grows (from 16 KiB)
 * as the chunks come, to max_body bytes read whole; one byte more is 413. */
static void test_body_chunked_limit(void **state)
{
    (void)state;
    tserver t;
    start(&t); /* max_body 65536 */
    char *body = malloc(65538);
    login_body(body, 65536);
    assert_int_equal(login_chunked(t.port, body, 65536), 401);
    login_body(body, 65537);
    assert_int_equal(login_chunked(t.port, body, 65537), 413);
    login_body(body, 100); /* smaller than the first buffer */
    assert_int_equal(login_chunked(t.port, body, 100), 401);
    free(body);
    stop(&t);
}

/* The body's buffer refused (--wrap=malloc and realloc, CMakeLists.txt):
 * mallocs or reallocs of exactly fail_size bytes fail while it is set. */
static _Atomic size_t fail_size;
void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
    return n && n == fail_size ? NULL : __real_malloc(n);
}
void *__wrap_realloc(void *p, size_t n)
{
    return n && n == fail_size ? NULL : __real_realloc(p, n);
}

/* Out of memory for a body is 503 unavailable (not 413: the body was not
 * too large), the connection is kept, and the same request with memory
 * is read: a Content-Length body's buffer is its length + 2 bytes, a
 * chunked body's grows from 16 KiB + 2 to 32 KiB + 2. */
static void test_body_out_of_memory(void **state)
{
    (void)state;
    tserver t;
    start(&t);
    char body[20001], req[21000];
    login_body(body, 4321);
    snprintf(req, sizeof req,
             "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: 4321\r\n\r\n%s",
             body);
    int fd = ts_connect(t.port);
    fail_size = 4321 + 2;
    assert_int_equal(raw_request(fd, req), 503);
    fail_size = 0;
    assert_int_equal(raw_request(fd, req), 401); /* the same connection */
    close(fd);
    login_body(body, 20000);
    fail_size = 2 * 16384 + 2; /* the chunked buffer's first growth */
    assert_int_equal(login_chunked(t.port, body, 20000), 503);
    fail_size = 0;
    assert_int_equal(login_chunked(t.port, body, 20000), 401);
    stop(&t);
}

/* Threads refused (--wrap=pthread_create): the create_fail-th call from
 * when it is set fails with EAGAIN (0: none do); the threads started by
 * the calls after the create_slow-th wait 300 ms before they run (0: none). */
static _Atomic int create_fail, create_slow, create_calls;
typedef struct slow_start {
    void *(*f)(void *);
    void *arg;
} slow_start;
static void *slow_main(void *arg)
{
    slow_start st = *(slow_start *)arg;
    free(arg);
    msleep(300);
    return st.f(st.arg);
}
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
    int call = ++create_calls;
    if (create_fail && call == create_fail) return EAGAIN;
    if (create_slow && call > create_slow) {
        slow_start *st = malloc(sizeof *st);
        st->f = f, st->arg = arg;
        int rc = __real_pthread_create(t, a, slow_main, st);
        if (rc) free(st);
        return rc;
    }
    return __real_pthread_create(t, a, f, arg);
}

/* The process's open file descriptors but epoll's: h2o 2.2.5's
 * h2o_evloop_destroy leaves a loop's epoll descriptor open (one per I/O
 * thread a front end ever had, until the process ends). */
static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *de; d && (de = readdir(d));) {
        char path[300], to[64] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t k = readlink(path, to, sizeof to - 1);
        n += de->d_name[0] != '.' && !(k > 0 && strstr(to, "eventpoll"));
    }
    if (d) closedir(d);
    return n;
}

/* The front end's threads refused one at a time (the first, the last of
 * the 4 handler threads; the first, the last of the 3 I/O threads, the
 * others started before it and slow to make their loops): evloop_start
 * fails with pthread_create's error (not a stale errno), stops what it
 * started (no hang: it waits for the I/O threads started to make their
 * loops before it stops them; nothing leaked, no descriptor left open: the
 * listening socket, the loops' queues); then it starts and listens. */
static void test_threads_refused(void **state)
{
    (void)state;
    static const int fail_at[] = {1, 4, 5, 7};
    static const char *what[] = {"handler", "handler", "I/O", "I/O"};
    for (int k = 0; k <= 4; k++) {
        static server s;
        memset(&s, 0, sizeof s);
        config_default(&s.cfg);
        snprintf(s.cfg.listen, sizeof s.cfg.listen, "127.0.0.1:0");
        s.cfg.http_workers = 4;
        s.cfg.http_io_threads = 3;
        create_calls = 0;
        create_fail = k < 4 ? fail_at[k] : 0;
        create_slow = k == 3 ? 4 : 0; /* the I/O threads */
        char err[256] = "";
        int fds = open_fds();
        int rc = evloop_start(&s, err, sizeof err);
        create_fail = create_slow = 0;
        if (k < 4) {
            assert_int_equal(rc, -1);
            char want[96];
            snprintf(want, sizeof want, "cannot start a%s %s thread: %s", k < 2 ? "" : "n", what[k],
                     strerror(EAGAIN));
            assert_string_equal(err, want);
            assert_null(s.evl);
            assert_int_equal(open_fds(), fds);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(create_calls, 7);    /* every thread */
        int fd = ts_connect(evloop_port(&s)); /* listening (no core behind it to ask) */
        assert_true(fd >= 0);
        close(fd);
        evloop_stop(&s);
        assert_null(s.evl);
        assert_int_equal(open_fds(), fds);
    }
}

/* Finding 4 for the WebSocket: sockets that hold WebSockets open and ping
 * now and then hold no thread on this front end. More WebSockets than
 * there are handler threads and than civetweb had workers stay open, each
 * answered, while /healthz answers at once and one more WebSocket is
 * served. A GET of /ws that is no handshake gets a clear 400. */
#define WS_HELD 300

static void ws_workers_cfg(server_config *c)
{
    evloop_cfg(c);
    c->http_workers = 2;
    c->http_threads = 2; /* civetweb's: not used here */
}

static void test_websockets_hold_no_thread(void **state)
{
    (void)state;
    tserver t;
    memset(&t, 0, sizeof t);
    ts_start(&t, NULL, ws_workers_cfg);
    tresp r;
    ts_req(&t, "GET", "/ws", NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(tj_str(r.json, "error"), "bad_request");
    tresp_free(&r);
    wsc **w = calloc(WS_HELD, sizeof *w);
    for (int i = 0; i < WS_HELD; i++) {
        w[i] = wsc_connect(t.port, "/ws");
        assert_non_null(w[i]);
        assert_int_equal(wsc_send(w[i], "{\"op\":\"ping\"}"), 0);
    }
    for (int i = 0; i < WS_HELD; i++) { /* every one answered, all still open */
        json_t *j = wsc_recv(w[i], 3000);
        if (!j) fail_msg("WebSocket %d got no pong", i);
        assert_string_equal(tj_str(j, "op"), "pong");
        json_decref(j);
    }
    assert_int_equal(ws_client_count(t.s.ws), WS_HELD);
    int64_t t0 = tclock_ms();
    assert_int_equal(ts_req(&t, "GET", "/healthz", NULL, NULL, &r), 200);
    tresp_free(&r);
    assert_true(tclock_ms() - t0 < 1000);
    wsc *one = wsc_connect(t.port, "/ws");
    assert_non_null(one);
    assert_int_equal(wsc_send(one, "{\"op\":\"ping\"}"), 0);
    json_t *j = wsc_recv(one, 3000);
    assert_non_null(j);
    assert_string_equal(tj_str(j, "op"), "pong");
    json_decref(j);
    wsc_close(one);
    for (int i = 0; i < WS_HELD; i++) wsc_close(w[i]);
    free(w);
    stop(&t);
}

/* ---- TLS ------------------------------------------------------------------ */

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
    (void)p, (void)ctx;
    return size * n;
}

/* GET url with curl verifying against ca (NULL: no verification) and at
 * most TLS version maxv (0: any) -- or POST "{}" with the header lines hdrs;
 * the status, 0 when it failed. */
static long curl_send(const char *url, const char *ca, long maxv, struct curl_slist *hdrs)
{
    CURL *c = curl_easy_init();
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (hdrs) { /* and a body, which curl sends chunked if the headers say so */
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    if (ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    else
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    if (maxv) curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1 | maxv);
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static long curl_get(const char *url, const char *ca, long maxv)
{
    return curl_send(url, ca, maxv, NULL);
}

static char tls_dir[512];

static void tls_cfg(server_config *c)
{
    evloop_cfg(c);
    char err[256];
    assert_int_equal(tls_self_signed(tls_dir, c->tls_cert, sizeof c->tls_cert, c->tls_key,
                                     sizeof c->tls_key, err, sizeof err),
                     0);
}

/* https with the certificate cetsd --tls-self-signed makes: verified by
 * curl for 127.0.0.1 and localhost; TLS 1.1 and plain HTTP refused; the
 * files are kept for the next start (the key readable by the owner only). */
static void test_tls_self_signed(void **state)
{
    (void)state;
    ts_tmpdir(tls_dir, sizeof tls_dir, "tls");
    char crt[1024], key[1024], err[256];
    assert_int_equal(tls_self_signed(tls_dir, crt, sizeof crt, key, sizeof key, err, sizeof err),
                     0);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
    assert_int_equal(stat(crt, &st), 0);
    time_t made = st.st_mtime;
    /* a server on it (the test client speaks plain HTTP: started by hand) */
    server_config cfg;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    ts_tmpdir(cfg.data_dir, sizeof cfg.data_dir, "tls-data");
    cfg.core.cfg.enforce_sessions = false;
    tls_cfg(&cfg);
    static server s;
    assert_int_equal(service_start(&s, &cfg, err, sizeof err), 0);
    char url[96];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", service_port(&s));
    assert_int_equal(curl_get(url, crt, 0), 200);
    /* the framing checks see the headers TLS carried (request smuggling, finding 13) */
    struct curl_slist *h = curl_slist_append(NULL, "Content-Length: 4");
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    assert_int_equal(curl_send(url, crt, 0, h), 400);
    curl_slist_free_all(h);
    snprintf(url, sizeof url, "https://localhost:%d/healthz", service_port(&s));
    assert_int_equal(curl_get(url, crt, 0), 200);
    assert_int_equal(curl_get(url, crt, CURL_SSLVERSION_MAX_TLSv1_1), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", service_port(&s));
    assert_int_equal(curl_get(url, NULL, 0), 0);
    service_stop(&s);
    assert_int_equal(stat(crt, &st), 0);
    assert_true(st.st_mtime == made); /* kept, not made again */
    ts_rmtree(cfg.data_dir);
    /* a certificate that cannot be read: cetsd does not start, and says why */
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    ts_tmpdir(cfg.data_dir, sizeof cfg.data_dir, "tls-data");
    snprintf(cfg.frontend, sizeof cfg.frontend, "evloop");
    snprintf(cfg.tls_cert, sizeof cfg.tls_cert, "%s/missing.crt", tls_dir);
    snprintf(cfg.tls_key, sizeof cfg.tls_key, "%s", key);
    assert_int_equal(service_start(&s, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.crt"));
    ts_rmtree(cfg.data_dir);
    ts_rmtree(tls_dir);
}

/* A curl write callback that takes nothing: the transfer ends at once. */
static size_t refuse(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)size, (void)n, (void)ud;
    return 0;
}

/* A client that goes away while its answer is still being written (a reset
 * connection): the server's next write fails with EPIPE, which must not end
 * the process by SIGPIPE. cetsd died so in the browser test, once the event
 * loop was the default and civetweb (which ignores SIGPIPE) no longer ran. */
static void test_client_gone_mid_answer(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_DFL); /* as a process starts (curl ignores it only during its calls) */
    tserver t;
    start(&t);
    struct sigaction sa;
    assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
    assert_true(sa.sa_handler == SIG_IGN); /* the front end's sockets raise none */
    static const char req[] = "GET /vendor/lightweight-charts.standalone.production.js HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 20; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int small = 4096; /* the answer (200 kB) cannot fit: the server is mid-write */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t.port)};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
        char buf[1024];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 3000), 1);
        assert_true(recv(fd, buf, sizeof buf, 0) > 0); /* the answer has begun */
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(fd); /* a reset, with most of the answer unsent */
        msleep(20);
    }
    int fd = ts_connect(t.port);
    assert_int_equal(raw_request(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
    close(fd);
    stop(&t);
    /* over TLS: after the reset, closing the connection writes TLS's close_notify to a
     * socket that is gone (EPIPE, the write that raised SIGPIPE in the browser test) */
    ts_tmpdir(tls_dir, sizeof tls_dir, "tls");
    server_config cfg;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    ts_tmpdir(cfg.data_dir, sizeof cfg.data_dir, "tls-data");
    cfg.core.cfg.enforce_sessions = false;
    snprintf(cfg.web_root, sizeof cfg.web_root, "%s/web", getenv("CETS_SOURCE_DIR"));
    tls_cfg(&cfg);
    static server s;
    char err[256], url[160];
    assert_int_equal(service_start(&s, &cfg, err, sizeof err), 0);
    snprintf(url, sizeof url,
             "https://127.0.0.1:%d/vendor/lightweight-charts.standalone.production.js",
             service_port(&s));
    for (int i = 0; i < 20; i++) {
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, refuse);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
        assert_int_equal(curl_easy_perform(c), CURLE_WRITE_ERROR); /* gone after the first bytes */
        curl_easy_cleanup(c);
        msleep(20);
    }
    snprintf(url, sizeof url, "https://127.0.0.1:%d/healthz", service_port(&s));
    assert_int_equal(curl_get(url, NULL, 0), 200);
    service_stop(&s);
    ts_rmtree(cfg.data_dir);
    ts_rmtree(tls_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_headers_do_not_stop_healthz),
        cmocka_unit_test(test_trickled_body_cut),
        cmocka_unit_test(test_keepalive_idle_closed),
        cmocka_unit_test(test_connections_per_address),
        cmocka_unit_test(test_client_gone_mid_answer),
        cmocka_unit_test(test_connections_total),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_body_chunked_limit),
        cmocka_unit_test(test_body_out_of_memory),
        cmocka_unit_test(test_threads_refused),
        cmocka_unit_test(test_websockets_hold_no_thread),
        cmocka_unit_test(test_tls_self_signed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
