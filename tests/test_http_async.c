/* test_http_async.c -- order entry answered from the event loop's I/O
 * threads (src/server/evloop.c, api_submit_then in api_submit.c): POST
 * /api/v1/orders, /orders/batch, /takes and DELETE /orders/{id} are parsed,
 * checked and submitted on the I/O thread without waiting, and answered
 * there when the core's completion comes back (one message per I/O thread
 * per journal batch).
 *
 * The journal is wrapped (a test backend around the file journal) so that a
 * commit can be made slow -- a window in which answers are on their way --
 * or fail. Covered: the metrics move (I/O thread, handler thread,
 * completion messages); an idempotent replay; two concurrent requests with
 * one client_order_id (one executes, the other is handed to a handler
 * thread, waits there and answers the replay); a repeated id inside one
 * batch answered at once; a client gone before its completion; a failing
 * journal answered 503 journal_failed and the id freed; the batch at 1,000
 * and 1,001 orders; cetsd stopped with completions in flight (each is
 * answered before the connections close).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/core/backend.h"
#include "../src/server/config.h"
#include "../src/server/service.h"
#include "tserver.h"
#include "tclock.h"

/* ---- a journal that can be slow or fail ----------------------------------- */

static volatile int slow_ms;      /* each commit sleeps this long first */
static volatile int fail_appends; /* appends fail (the batch is not durable) */
static int drain_ms;              /* http_stop_drain_ms; 0: the default */

typedef struct wrap_journal {
    core_journal base;
    core_journal *in;
    bool broken;
} wrap_journal;

typedef struct wrap_backend {
    core_backend base;
    core_backend *in;
} wrap_backend;

static void msleep(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

static int wj_append(core_journal *j, const cets_cmd *cmd)
{
    wrap_journal *w = (wrap_journal *)j;
    if (__atomic_load_n(&fail_appends, __ATOMIC_ACQUIRE)) {
        w->broken = true; /* nothing reaches the file: it stays clean */
        return -1;
    }
    return core_journal_append(w->in, cmd);
}

static int wj_commit(core_journal *j)
{
    wrap_journal *w = (wrap_journal *)j;
    int ms = __atomic_load_n(&slow_ms, __ATOMIC_ACQUIRE);
    if (ms) msleep(ms);
    return w->broken ? -1 : core_journal_commit(w->in);
}

static const char *wj_error(const core_journal *j)
{
    const wrap_journal *w = (const wrap_journal *)j;
    return w->broken ? "injected failure (test)" : core_journal_error(w->in);
}

static void wj_stats(const core_journal *j, cets_journal_stats *out)
{
    const wrap_journal *w = (const wrap_journal *)j;
    w->in->ops->stats(w->in, out);
}

static void wj_close(core_journal *j)
{
    wrap_journal *w = (wrap_journal *)j;
    core_journal_close(w->in);
    free(w);
}

static const core_journal_ops wj_ops = {wj_append, wj_commit, wj_error, wj_stats,
                                        wj_close,  NULL,      NULL};

static cets_engine *wb_recover(core_backend *b, const cets_config *cfg, cets_listener fn, void *ctx,
                               cets_recovery *rep, char *err, size_t errlen)
{
    core_backend *in = ((wrap_backend *)b)->in;
    return in->recover(in, cfg, fn, ctx, rep, err, errlen);
}

static core_journal *wb_open(core_backend *b, uint64_t next_seq, char *err, size_t errlen)
{
    core_backend *in = ((wrap_backend *)b)->in;
    core_journal *j = in->open(in, next_seq, err, errlen);
    wrap_journal *w = j ? calloc(1, sizeof *w) : NULL;
    if (!w) {
        core_journal_close(j);
        return NULL;
    }
    w->base.ops = &wj_ops;
    w->in = j;
    return &w->base;
}

static void wb_free(core_backend *b)
{
    wrap_backend *w = (wrap_backend *)b;
    w->in->free(w->in);
    free(w);
}

static void wrap_cfg(server_config *c)
{
    snprintf(c->frontend, sizeof c->frontend, "evloop");
    if (drain_ms) c->http_stop_drain_ms = drain_ms;
    wrap_backend *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->in = core_backend_file(c->data_dir);
    assert_non_null(w->in);
    w->base =
        (core_backend){.name = "file", .recover = wb_recover, .open = wb_open, .free = wb_free};
    c->core.backend = &w->base;
}

/* ---- the server and its market ------------------------------------------- */

static struct {
    tserver t;
    long long pa;
    char *alice;
} F;

static void start(void)
{
    memset(&F, 0, sizeof F);
    slow_ms = 0;
    fail_appends = 0;
    ts_start(&F.t, NULL, wrap_cfg);
    json_decref(ts_expect(&F.t, "POST", "/api/v1/admin/instruments", F.t.admin,
                          "{\"code\":\"CEAC\",\"product\":\"CEA\",\"matching\":\"continuous\","
                          "\"prev_close\":\"74.00\"}",
                          201));
    json_t *p = ts_expect(&F.t, "POST", "/api/v1/admin/participants", F.t.admin,
                          "{\"kind\":\"entity\",\"name\":\"Alpha Power\"}", 201);
    F.pa = tj_int(p, "participant");
    json_decref(p);
    char body[128];
    snprintf(body, sizeof body, "{\"participant\":%lld,\"amount\":\"10000000.00\"}", F.pa);
    json_decref(ts_expect(&F.t, "POST", "/api/v1/admin/deposits", F.t.admin, body, 200));
    ts_user(&F.t, "alice", "alice-password", (uint32_t)F.pa, "view,trade");
    F.alice = ts_login(&F.t, "alice", "alice-password");
}

static void stop(void)
{
    slow_ms = 0;
    fail_appends = 0;
    ts_stop(&F.t);
    ts_rmtree(F.t.dir);
    free(F.alice);
}

static long long seq_now(void)
{
    json_t *h = ts_expect(&F.t, "GET", "/healthz", NULL, NULL, 200);
    long long s = tj_int(h, "seq");
    json_decref(h);
    return s;
}

/* A counter of /metrics. */
static long long metric(const char *name)
{
    tresp r;
    ts_req(&F.t, "GET", "/metrics", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = strstr(r.body, pat);
    if (!p) fail_msg("/metrics lacks %s", name);
    long long v = atoll(p + strlen(pat));
    tresp_free(&r);
    return v;
}

static char *order_body(const char *coid, const char *price, long long qty)
{
    char *b = malloc(256);
    if (coid)
        snprintf(b, 256,
                 "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"%s\",\"qty\":%lld,"
                 "\"client_order_id\":\"%s\"}",
                 price, qty, coid);
    else
        snprintf(b, 256, "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"%s\",\"qty\":%lld}",
                 price, qty);
    return b;
}

/* ---- a raw HTTP client (one connection per request, for concurrency) ----- */

static void raw_send(int fd, const char *method, const char *path, const char *token,
                     const char *body)
{
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, token, body ? strlen(body) : 0, body ? body : "");
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
}

/* The answer on fd within ms: its status (0: none), the whole of it in out. */
static int raw_answer(int fd, char *out, size_t len, int ms)
{
    size_t n = 0;
    int64_t t0 = tclock_ms();
    out[0] = 0;
    while (n < len - 1 && tclock_ms() - t0 < ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t k = recv(fd, out + n, len - 1 - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
        out[n] = 0;
        char *end = strstr(out, "\r\n\r\n");
        const char *cl = strcasestr(out, "content-length:");
        if (end && cl && (size_t)(end + 4 - out) + (size_t)atol(cl + 15) <= n) break;
    }
    int status = 0;
    sscanf(out, "HTTP/1.%*d %d", &status);
    return status;
}

typedef struct call {
    int port;
    const char *token, *body, *path; /* path NULL: /api/v1/orders */
    int status;
    char out[4096];
} call;

static void *call_main(void *arg)
{
    call *c = arg;
    int fd = ts_connect(c->port);
    raw_send(fd, "POST", c->path ? c->path : "/api/v1/orders", c->token, c->body);
    c->status = raw_answer(fd, c->out, sizeof c->out, 20000);
    close(fd);
    return NULL;
}

/* c1, and 150 ms later (while c1's commit sleeps) c2; the journal is fast
 * again after both. */
static void run_overlapping(call *c1, call *c2)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, call_main, c1);
    msleep(150);
    pthread_create(&t2, NULL, call_main, c2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    slow_ms = 0;
}

static long long body_int(const char *answer, const char *key)
{
    const char *b = strstr(answer, "\r\n\r\n");
    json_t *j = b ? json_loads(b + 4, 0, NULL) : NULL;
    long long v = j ? tj_int(j, key) : -1;
    json_decref(j);
    return v;
}

/* ---- the tests ------------------------------------------------------------ */

/* Orders, takes and cancels are answered on the I/O thread, with the same
 * answers as before; a read (GET) still goes to a handler thread. */
static void test_answered_on_io_thread(void **state)
{
    (void)state;
    start();
    long long io0 = metric("cets_http_io_thread_requests_total");
    long long msg0 = metric("cets_http_completion_messages_total");
    long long s0 = seq_now();
    char *b = order_body(NULL, "74.00", 5);
    json_t *o = ts_expect(&F.t, "POST", "/api/v1/orders", F.alice, b, 201);
    free(b);
    assert_string_equal(tj_str(o, "status"), "resting");
    assert_int_equal(tj_int(o, "resting_qty"), 5);
    long long id = tj_int(o, "order_id");
    json_decref(o);
    /* a take of our own resting order is refused by the engine: 422 as before */
    char take[160];
    snprintf(take, sizeof take,
             "{\"code\":\"CEAC\",\"side\":\"sell\",\"targets\":[{\"order_id\":%lld,\"qty\":1}]}",
             id);
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/takes", F.alice, take, &r);
    assert_true(r.status == 422 || r.status == 201);
    tresp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", id);
    o = ts_expect(&F.t, "DELETE", path, F.alice, NULL, 200);
    assert_string_equal(tj_str(o, "status"), "cancelled");
    assert_int_equal(tj_int(o, "order_id"), id);
    json_decref(o);
    o = ts_expect(&F.t, "DELETE", path, F.alice, NULL, 422); /* gone: refused by the engine */
    json_decref(o);
    /* checked and refused on the I/O thread, nothing submitted */
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, "{\"code\":\"CEAC\"}", &r);
    assert_int_equal(r.status, 400);
    tresp_free(&r);
    ts_req(&F.t, "POST", "/api/v1/orders", NULL, "{}", &r);
    assert_int_equal(r.status, 401);
    tresp_free(&r);
    long long h0 = metric("cets_http_handler_thread_requests_total");
    json_decref(ts_expect(&F.t, "GET", "/api/v1/orders", F.alice, NULL, 200));
    assert_true(metric("cets_http_handler_thread_requests_total") >= h0 + 1);
    assert_true(seq_now() - s0 >= 3); /* the order, the take (or its rejection), the cancel */
    assert_int_equal(metric("cets_http_io_thread_requests_total") - io0, 6);
    assert_true(metric("cets_http_completion_messages_total") - msg0 >= 4);
    assert_int_equal(metric("cets_http_deferred_total"), 0);
    stop();
}

/* An id used once is replayed (200, Idempotent-Replay) from the I/O thread;
 * two concurrent requests with one id: the first executes, the second finds
 * it busy, is handed to a handler thread, waits there and replays it. */
static void test_idempotency(void **state)
{
    (void)state;
    start();
    char *b = order_body("once-1", "74.00", 3);
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 201);
    long long id = tj_int(r.json, "order_id");
    tresp_free(&r);
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.replay);
    assert_int_equal(tj_int(r.json, "order_id"), id);
    tresp_free(&r);
    free(b);

    long long s0 = seq_now(), d0 = metric("cets_http_deferred_total");
    slow_ms = 400; /* the first is in flight while the second comes */
    b = order_body("twice-1", "74.00", 4);
    call c1 = {.port = F.t.port, .token = F.alice, .body = b};
    call c2 = c1;
    run_overlapping(&c1, &c2);
    free(b);
    assert_int_equal(c1.status, 201);
    assert_int_equal(c2.status, 200);
    assert_non_null(strcasestr(c2.out, "Idempotent-Replay: true"));
    assert_int_equal(body_int(c1.out, "order_id"), body_int(c2.out, "order_id"));
    assert_int_equal(seq_now() - s0, 1); /* executed once */
    assert_int_equal(metric("cets_http_deferred_total") - d0, 1);
    stop();
}

/* A batch with an id another request is executing: the batch lets go of
 * the ids it claimed, is handed to a handler thread and run again there;
 * the busy entry waits and replays the other's order, the rest executes. */
static void test_batch_busy_id(void **state)
{
    (void)state;
    start();
    long long s0 = seq_now(), d0 = metric("cets_http_deferred_total");
    slow_ms = 400;
    char *b = order_body("bb-1", "74.00", 4);
    call c1 = {.port = F.t.port, .token = F.alice, .body = b};
    call c2 = {.port = F.t.port,
               .token = F.alice,
               .path = "/api/v1/orders/batch",
               .body = "{\"orders\":["
                       "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\",\"qty\":1,"
                       "\"client_order_id\":\"bb-0\"},"
                       "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\",\"qty\":4,"
                       "\"client_order_id\":\"bb-1\"}]}"};
    run_overlapping(&c1, &c2);
    free(b);
    assert_int_equal(c1.status, 201);
    assert_int_equal(c2.status, 200);
    const char *body = strstr(c2.out, "\r\n\r\n");
    json_t *m = body ? json_loads(body + 4, 0, NULL) : NULL;
    assert_non_null(m);
    json_t *res = json_object_get(m, "results");
    assert_int_equal(tj_int(json_array_get(res, 0), "http_status"), 201);
    assert_int_equal(tj_int(json_array_get(res, 1), "http_status"), 200); /* the replay */
    assert_int_equal(tj_int(json_array_get(res, 1), "order_id"), body_int(c1.out, "order_id"));
    json_decref(m);
    assert_int_equal(seq_now() - s0, 2); /* bb-1 once, bb-0 once */
    assert_int_equal(metric("cets_http_deferred_total") - d0, 1);
    stop();
}

/* One id twice in one batch: the second entry is answered 409 at once (it
 * must not wait for its own batch: before, it waited 10 s). */
static void test_batch_repeated_id(void **state)
{
    (void)state;
    start();
    int64_t t0 = tclock_ms();
    json_t *m = ts_expect(&F.t, "POST", "/api/v1/orders/batch", F.alice,
                          "{\"orders\":["
                          "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\",\"qty\":1,"
                          "\"client_order_id\":\"rb-1\"},"
                          "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\",\"qty\":1,"
                          "\"client_order_id\":\"rb-1\"}]}",
                          200);
    int64_t took = tclock_ms() - t0;
    json_t *res = json_object_get(m, "results");
    assert_int_equal(tj_int(json_array_get(res, 0), "http_status"), 201);
    assert_int_equal(tj_int(json_array_get(res, 1), "http_status"), 409);
    assert_string_equal(tj_str(json_array_get(res, 1), "error"), "duplicate_request");
    json_decref(m);
    assert_true(took < 2000);
    stop();
}

/* A client that closes its connection before the completion: the order is
 * executed, nothing else happens (ASan: no use of the gone request). */
static void test_client_gone(void **state)
{
    (void)state;
    start();
    long long s0 = seq_now();
    slow_ms = 300;
    char *b = order_body("gone-1", "74.00", 2);
    for (int i = 0; i < 4; i++) {
        int fd = ts_connect(F.t.port);
        if (i == 0) {
            raw_send(fd, "POST", "/api/v1/orders", F.alice, b);
        } else {
            char *bi = order_body(NULL, "74.00", 1);
            raw_send(fd, "POST", "/api/v1/orders", F.alice, bi);
            free(bi);
        }
        msleep(20);
        close(fd);
    }
    msleep(800);
    slow_ms = 0;
    assert_int_equal(seq_now() - s0, 4);
    /* the id's result was kept: a retry replays it */
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.replay);
    tresp_free(&r);
    free(b);
    stop();
}

/* A journal that refuses: 503 journal_failed as before, the id is freed
 * (the same id goes through once the journal works again), and a batch's
 * entries are each 503. */
static void test_journal_failure(void **state)
{
    (void)state;
    start();
    long long s0 = seq_now();
    fail_appends = 1;
    char *b = order_body("jf-1", "74.00", 2);
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(tj_str(r.json, "error"), "journal_failed");
    tresp_free(&r);
    json_t *m = ts_expect(&F.t, "POST", "/api/v1/orders/batch", F.alice,
                          "{\"orders\":["
                          "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\",\"qty\":1},"
                          "{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\",\"qty\":1,"
                          "\"client_order_id\":\"jf-2\"}]}",
                          200);
    assert_int_equal(tj_int(m, "accepted"), 0);
    json_t *res = json_object_get(m, "results");
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(tj_int(json_array_get(res, i), "http_status"), 503);
        assert_string_equal(tj_str(json_array_get(res, i), "error"), "journal_failed");
    }
    json_decref(m);
    fail_appends = 0;
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 201); /* the id was freed */
    assert_false(r.replay);
    tresp_free(&r);
    free(b);
    assert_int_equal(seq_now() - s0, 1);
    stop();
}

static char *batch_of(int n)
{
    size_t cap = (size_t)n * 80 + 32, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "{\"orders\":[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"70.00\","
                                "\"qty\":1}",
                                i ? "," : "");
    snprintf(s + len, cap - len, "]}");
    return s;
}

/* A standby's refusal (503 not_leader) executed nothing, so it must not be
 * kept as the answer of its client_order_id: once the node leads again, the
 * same order goes through (it was replayed as 503 before), for a single
 * order and for a batch's entry alike. */
static void test_not_leader_frees_id(void **state)
{
    (void)state;
    start();
    long long s0 = seq_now();
    core_demote(F.t.s.core);
    char *b = order_body("nl-1", "74.00", 2);
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(tj_str(r.json, "error"), "not_leader");
    tresp_free(&r);
    const char *batch = "{\"orders\":[{\"code\":\"CEAC\",\"side\":\"buy\",\"price\":\"74.00\","
                        "\"qty\":1,\"client_order_id\":\"nl-2\"}]}";
    json_t *m = ts_expect(&F.t, "POST", "/api/v1/orders/batch", F.alice, batch, 200);
    assert_int_equal(tj_int(json_array_get(json_object_get(m, "results"), 0), "http_status"), 503);
    json_decref(m);
    char err[256];
    assert_int_equal(core_promote(F.t.s.core, err, sizeof err), 0);
    ts_req(&F.t, "POST", "/api/v1/orders", F.alice, b, &r);
    assert_int_equal(r.status, 201); /* executed now, not the 503 again */
    assert_false(r.replay);
    tresp_free(&r);
    m = ts_expect(&F.t, "POST", "/api/v1/orders/batch", F.alice, batch, 200);
    assert_int_equal(tj_int(json_array_get(json_object_get(m, "results"), 0), "http_status"), 201);
    json_decref(m);
    free(b);
    assert_int_equal(seq_now() - s0, 2);
    stop();
}

/* The batch endpoint on the I/O thread: 1,000 orders in one journal batch,
 * 1,001 refused whole. */
static void test_batch_limit(void **state)
{
    (void)state;
    start();
    long long io0 = metric("cets_http_io_thread_requests_total");
    long long s0 = seq_now();
    core_stats c0, c1;
    core_get_stats(F.t.s.core, &c0);
    char *b = batch_of(1000);
    json_t *m = ts_expect(&F.t, "POST", "/api/v1/orders/batch", F.alice, b, 200);
    free(b);
    core_get_stats(F.t.s.core, &c1);
    assert_int_equal(tj_int(m, "accepted"), 1000);
    assert_int_equal(json_array_size(json_object_get(m, "results")), 1000);
    json_decref(m);
    assert_int_equal(c1.batches - c0.batches, 1);
    assert_int_equal(seq_now() - s0, 1000);
    b = batch_of(1001);
    tresp r;
    ts_req(&F.t, "POST", "/api/v1/orders/batch", F.alice, b, &r);
    free(b);
    assert_int_equal(r.status, 413);
    assert_string_equal(tj_str(r.json, "error"), "too_large");
    tresp_free(&r);
    assert_int_equal(seq_now() - s0, 1000);
    assert_int_equal(metric("cets_http_io_thread_requests_total") - io0, 2);
    stop();
}

#define INFLIGHT 8
/* Start cetsd (drain: its http_stop_drain_ms, 0 the default), send INFLIGHT
 * orders whose commit takes commit_ms, stop it: how many were answered 201
 * (each connection waited on for wait_ms). */
static int stop_with_inflight(int drain, int commit_ms, int wait_ms)
{
    drain_ms = drain;
    start();
    drain_ms = 0;
    slow_ms = commit_ms;
    int fd[INFLIGHT];
    char *b = order_body(NULL, "74.00", 1);
    for (int i = 0; i < INFLIGHT; i++) {
        fd[i] = ts_connect(F.t.port);
        raw_send(fd[i], "POST", "/api/v1/orders", F.alice, b);
    }
    free(b);
    msleep(150); /* submitted, the commit sleeping */
    ts_stop(&F.t);
    int answered = 0;
    char out[4096];
    for (int i = 0; i < INFLIGHT; i++) {
        answered += raw_answer(fd[i], out, sizeof out, wait_ms) == 201;
        close(fd[i]);
    }
    slow_ms = 0;
    ts_rmtree(F.t.dir);
    free(F.alice);
    return answered;
}

/* cetsd stops while completions are on their way: each is answered before
 * the connections close, and nothing is left behind (ASan, LeakSanitizer). */
static void test_stop_in_flight(void **state)
{
    (void)state;
    assert_int_equal(stop_with_inflight(0, 500, 3000), INFLIGHT);
}

/* http_stop_drain_ms: completions that come within it are answered (at the
 * limit: a commit of 500 ms against 2,000); past it (a commit of 2,500 ms
 * against 200) stop goes on without them and those connections get no
 * answer. */
static void test_stop_drain_limit(void **state)
{
    (void)state;
    assert_int_equal(stop_with_inflight(2000, 500, 3000), INFLIGHT); /* within it */
    /* past it: the same commit would have been answered had stop waited for
     * it as it does within the bound */
    assert_int_equal(stop_with_inflight(200, 2500, 1000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answered_on_io_thread), cmocka_unit_test(test_idempotency),
        cmocka_unit_test(test_batch_busy_id),         cmocka_unit_test(test_batch_repeated_id),
        cmocka_unit_test(test_client_gone),           cmocka_unit_test(test_journal_failure),
        cmocka_unit_test(test_batch_limit),           cmocka_unit_test(test_not_leader_frees_id),
        cmocka_unit_test(test_stop_in_flight),        cmocka_unit_test(test_stop_drain_limit),
    };
    return cmocka_run_group_tests_name("http_async", tests, NULL, NULL);
}
