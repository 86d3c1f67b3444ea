/* evloop.c -- the event-loop front end (frontend = "evloop"): HTTP/1.1 and
 * TLS (OpenSSL) on h2o's event loop (libh2o-evloop), a few I/O threads each
 * holding any number of connections, and a pool of handler threads.
 *
 * An I/O thread parses requests (h2o reads the whole body before a request
 * is handed on, under the body deadline), runs the checks every request gets
 * (framing, the dashboard's files) and serves the dashboard's files itself.
 * A request for a handler is copied whole into a job -- the handler thread
 * never touches h2o's memory -- and queued for the handler threads, which
 * block in the core as civetweb's workers did. The answer goes back to the
 * request's I/O thread through h2o's multithread queue: the queue is woken
 * once for everything that arrived since it last ran, so the answers of one
 * journal batch cost one wake-up per I/O thread, not one per order.
 *
 * A slow or idle connection holds only memory on an I/O thread (h2o's
 * buffers), never a thread: the header, body and keep-alive deadlines and
 * the caps on connections in total and per address bound what it can hold.
 * If the connection closes before its answer, the job is dropped when the
 * answer arrives (the request's pool tells the job it is gone).
 *
 * /ws: a WebSocket handshake hands the connection to ws_evloop.c, on the
 * same I/O thread (the hub's transport on the event loop).
 */
#include "evloop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#define H2O_USE_LIBUV 0 /* libh2o-evloop: h2o's own event loop */
#include <h2o.h>
#include <h2o/http1.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sigpipe.h"
#include "frontend.h"
#include "ws_evloop.h"

typedef struct evl evl;

typedef struct io_thread {
    evl *e;
    pthread_t th;
    bool started;  /* its thread runs */
    int ready;     /* its loop is made: 1, or -1 when that failed (under e->cm) */
    bool disposed; /* its loop is gone again (no connection was left at stop) */
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t answers;
    h2o_multithread_receiver_t stopper;
    ws_io *ws;                         /* its WebSockets */
    struct job *done_head, *done_tail; /* completions of the batch (engine thread only) */
    volatile int stop;
    struct conn_slot *conns; /* open connections of this thread */
    int nconns;
} io_thread;

/* One connection: its share of the caps, and its descriptor (to end it at
 * stop). */
typedef struct conn_slot {
    evl *e;
    struct io_thread *io;
    uint32_t addr_hash;
    int fd;
    struct conn_slot *prev, *next;
} conn_slot;

#define ADDR_SLOTS 4096 /* per-address counts, by hash (a collision only shares a cap) */

struct evl {
    server *s;
    h2o_globalconf_t conf;
    h2o_hostconf_t *host;
    int fd, port;
    int nio;
    io_thread *io;
    SSL_CTX *ssl;
    int nworkers;
    pthread_t *workers;
    pthread_mutex_t qm;
    pthread_cond_t qcv;
    struct job *head, *tail;
    bool stopping;
    pthread_mutex_t cm;
    pthread_cond_t ready_cv; /* an I/O thread has made its loop, or failed to */
    volatile int accepting;
    int conns;
    uint16_t per_addr[ADDR_SLOTS];
    uint64_t refused_total, refused_addr;
    /* requests answered on an I/O thread, on a handler thread, handed from
     * one to the other (a busy id), and completion messages (atomic) */
    uint64_t served_io, served_handler, deferred, completion_msgs;
    uint64_t wakeups;           /* the I/O threads woke for answers (on_answers) */
    int inflight;               /* submitted from an I/O thread, not yet answered (atomic) */
    struct evl *abandoned_next; /* left at stop (evloop_stop) */
    volatile int draining;      /* stopping: no more submissions from the I/O threads */
};

/* A request on its way to a handler thread and its answer on the way back. */
typedef struct job {
    h2o_multithread_message_t msg; /* first: the queue hands back this */
    struct job *next;
    io_thread *io;
    h2o_req_t *hr; /* valid until gone */
    bool gone;     /* the request's pool was cleared: the connection closed */
    int refs;      /* the pool's and the answer's (I/O thread only) */
    http_conn c;
    char *strings; /* method, path, query, version, header names and values */
    char remote[64];
    char *body;
    size_t body_len, body_pos;
    /* submitted from the I/O thread (api_submit_then): the completion holds
     * the request's reference and brings the job back to its I/O thread */
    bool submitted;
    req *sr; /* the request as the handler left it, for then() */
    http_then_fn then;
    void *then_ctx;
    cets_cmd *out_cmds;
    int *out_codes;
    cets_result *out_res;
    http_tl_state tl;
    struct job *chain; /* the next completion of the same batch and I/O thread */
    bool direct;       /* on its I/O thread: an answer goes to h2o at once (send_to) */
    bool sent;         /* ... and has gone */
    /* the answer */
    bool answered;
    int status;
    char *reason, *ctype, *extra, *resp;
    size_t resp_len;
    bool close;
} job;

static void job_unref(job *j)
{
    if (--j->refs > 0) return;
    free(j->strings);
    free(j->body);
    free(j->reason);
    free(j->ctype);
    free(j->extra);
    free(j->resp);
    free(j->sr);
    free(j);
}

/* ---- http_conn operations on a job ------------------------------------- */

static int job_read(http_conn *c, char *buf, size_t len)
{
    job *j = c->impl;
    size_t n = j->body_len - j->body_pos;
    if (n > len) n = len;
    if (n) /* no body: j->body is NULL */
        memcpy(buf, j->body + j->body_pos, n);
    j->body_pos += n;
    return (int)n;
}

static void send_to(h2o_req_t *hr, int status, const char *reason, const char *ctype,
                    const char *extra, const char *body, size_t len, bool close);

static void job_answer(http_conn *c, int status, const char *reason, const char *ctype,
                       const char *extra, const char *body, size_t len, bool close)
{
    job *j = c->impl;
    if (j->answered) return;
    j->answered = true;
    j->status = status;
    if (j->direct) { /* on the request's I/O thread: no copy on the way */
        if (!j->gone) send_to(j->hr, status, reason, ctype, extra, body, len, close);
        j->sent = true;
        return;
    }
    j->reason = strdup(reason);
    j->ctype = strdup(ctype);
    j->extra = strdup(extra ? extra : "");
    j->resp = malloc(len ? len : 1);
    if (j->resp && len) memcpy(j->resp, body, len);
    j->resp_len = j->resp ? len : 0;
    j->close = close;
}

/* On the engine thread: the job's commands are durable (or refused). Their
 * outcome goes where the handler wants it, the job onto its I/O thread's
 * list; evl_batch_end hands the list on after the batch's last done(). */
static void job_done(void *ctx, size_t n, const int *codes, const cets_cmd *cmds,
                     const cets_result *res)
{
    job *j = ctx;
    memcpy(j->out_codes, codes, n * sizeof *codes);
    memcpy(j->out_cmds, cmds, n * sizeof *cmds);
    memcpy(j->out_res, res, n * sizeof *res);
    io_thread *io = j->io;
    j->chain = NULL;
    if (io->done_tail)
        io->done_tail->chain = j;
    else
        io->done_head = j;
    io->done_tail = j;
}

/* On the engine thread, after a batch's completions: one message per I/O
 * thread that has any (the first job, the others chained to it). */
static void evl_batch_end(void *arg)
{
    evl *e = arg;
    for (int i = 0; i < e->nio; i++) {
        io_thread *io = &e->io[i];
        job *j = io->done_head;
        if (!j) continue;
        io->done_head = io->done_tail = NULL;
        __atomic_fetch_add(&e->completion_msgs, 1, __ATOMIC_RELAXED);
        h2o_multithread_send_message(&io->answers, &j->msg);
    }
}

/* api_submit_then on an I/O thread: submit without waiting. */
static int job_submit(http_conn *c, const req *r, cets_cmd *cmds, int *codes, cets_result *res,
                      size_t n, http_then_fn then, void *ctx)
{
    job *j = c->impl;
    evl *e = j->io->e;
    if (__atomic_load_n(&e->draining, __ATOMIC_ACQUIRE)) return CETS_CAPACITY; /* stopping */
    if (!j->sr && !(j->sr = malloc(sizeof *j->sr))) return CETS_CAPACITY;
    http_req_copy(j->sr, r);
    j->then = then;
    j->then_ctx = ctx;
    j->out_cmds = cmds;
    j->out_codes = codes;
    j->out_res = res;
    j->submitted = true;
    __atomic_fetch_add(&e->inflight, 1, __ATOMIC_ACQ_REL);
    int code = core_submit_batch_async(e->s->core, cmds, n, job_done, j);
    if (code) {
        j->submitted = false;
        __atomic_fetch_sub(&e->inflight, 1, __ATOMIC_ACQ_REL);
    }
    return code;
}

static const http_conn_ops job_ops = {job_read, job_answer, job_submit};

/* ---- the answer, on the request's I/O thread ---------------------------- */

/* The answer to hr: h2o copies what it keeps into the request's pool. */
static void send_to(h2o_req_t *hr, int status, const char *reason, const char *ctype,
                    const char *extra, const char *body, size_t len, bool close)
{
    hr->res.status = status;
    hr->res.reason = h2o_strdup(&hr->pool, reason ? reason : "", SIZE_MAX).base;
    h2o_iovec_t ct = h2o_strdup(&hr->pool, ctype ? ctype : "text/plain", SIZE_MAX);
    h2o_add_header(&hr->pool, &hr->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct.base, ct.len);
    h2o_add_header(&hr->pool, &hr->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    /* more header lines: "Name: value\r\n"... */
    for (const char *p = extra; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        if (colon) {
            const char *v = colon + 1;
            while (v < p + n && *v == ' ') v++;
            h2o_iovec_t name = h2o_strdup(&hr->pool, p, (size_t)(colon - p));
            h2o_iovec_t val = h2o_strdup(&hr->pool, v, (size_t)(p + n - v));
            h2o_add_header_by_str(&hr->pool, &hr->res.headers, name.base, name.len, 0, NULL,
                                  val.base, val.len);
        }
        p += n + (eol ? 2 : 0);
    }
    if (close) hr->http1_is_persistent = 0;
    hr->res.content_length = len;
    h2o_send_inline(hr, body ? body : "", len);
}

/* The answer a handler thread recorded in j (or a 500 if it recorded none). */
static void send_answer(job *j)
{
    if (j->sent) return; /* sent at once (job_answer, direct) */
    if (!j->answered) {  /* a handler that answered nothing */
        j->answered = true;
        j->status = 500;
        const char *b = "{\"error\":\"internal\",\"code\":1009,\"message\":\"no answer\"}";
        send_to(j->hr, 500, "Internal Server Error", "application/json; charset=utf-8", "", b,
                strlen(b), false);
        return;
    }
    send_to(j->hr, j->status, j->reason, j->ctype, j->extra, j->resp, j->resp_len, j->close);
}

/* ---- h2o's own refusals ------------------------------------------------------
 * h2o refuses some requests itself, before any handler: a Content-Length that
 * is not a number, an unknown Transfer-Encoding, a broken chunk, a body over
 * max_request_entity_size, an Expect it does not know -- on the host's
 * fallback path -- and its file handler answers a missing dashboard file,
 * each with a text/plain body (h2o_send_error_generic); this filter gives them
 * the API's status line and JSON shape (http_conn_error), h2o's text as the
 * message. (A request line h2o cannot parse at all gets h2o's fixed
 * "400 Bad Request" text: it never reaches a filter.) */
typedef struct {
    h2o_ostream_t super;
    bool sent;
} refusal_ostream;

static void refusal_send(h2o_ostream_t *self, h2o_req_t *hr, h2o_iovec_t *in, size_t n,
                         h2o_send_state_t state)
{
    refusal_ostream *o = (refusal_ostream *)self;
    if (o->sent) {
        h2o_ostream_send_next(self, hr, NULL, 0, state);
        return;
    }
    o->sent = true;
    char msg[200];
    size_t m = 0;
    for (size_t i = 0; i < n && m < sizeof msg - 1; i++) {
        size_t k = in[i].len < sizeof msg - 1 - m ? in[i].len : sizeof msg - 1 - m;
        memcpy(msg + m, in[i].base, k);
        m += k;
    }
    msg[m] = 0;
    job t; /* answered in place by http_conn_error: job_answer copies the answer */
    memset(&t, 0, sizeof t);
    t.c.ops = &job_ops;
    t.c.impl = &t;
    t.c.method = "-";
    t.c.path = "/";
    int st = hr->res.status;
    if (st == 404)
        http_conn_error(&t.c, 404, "not_found", HTTP_E_NOT_FOUND, NULL, "no such file");
    else if (st == 403)
        http_conn_error(&t.c, 403, "forbidden", HTTP_E_FORBIDDEN, NULL, msg);
    else if (st == 413)
        http_conn_error(&t.c, 413, "too_large", HTTP_E_TOO_LARGE, NULL, msg);
    else if (st >= 500)
        http_conn_error(&t.c, st, "unavailable", HTTP_E_UNAVAILABLE, NULL, msg);
    else
        http_conn_error(&t.c, st, "bad_request", HTTP_E_BAD_REQUEST, NULL, msg);
    h2o_iovec_t body = h2o_strdup(&hr->pool, t.resp ? t.resp : "", t.resp_len);
    if (t.reason) hr->res.reason = h2o_strdup(&hr->pool, t.reason, SIZE_MAX).base;
    ssize_t ct = h2o_find_header(&hr->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (ct >= 0 && t.ctype)
        hr->res.headers.entries[ct].value = h2o_strdup(&hr->pool, t.ctype, SIZE_MAX);
    hr->res.content_length = body.len;
    if (t.close) hr->http1_is_persistent = 0; /* after a 400: see http_conn_error */
    free(t.reason);
    free(t.ctype);
    free(t.extra);
    free(t.resp);
    h2o_ostream_send_next(self, hr, &body, 1, state);
}

static void refusal_setup(h2o_filter_t *self, h2o_req_t *hr, h2o_ostream_t **slot)
{
    (void)self;
    ssize_t ct = h2o_find_header(&hr->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (hr->res.status >= 400 && ct >= 0 && /* what h2o_send_error_generic sends */
        h2o_memis(hr->res.headers.entries[ct].value.base, hr->res.headers.entries[ct].value.len,
                  H2O_STRLIT("text/plain; charset=utf-8"))) {
        refusal_ostream *o = (refusal_ostream *)h2o_add_ostream(hr, sizeof *o, slot);
        o->super.do_send = refusal_send;
        o->sent = false;
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(hr, slot);
}

/* A submission of this I/O thread is durable: the handler's then() makes
 * the answer, as it would have at once on a handler thread. */
static void complete(job *j)
{
    evl *e = j->io->e;
    http_tl_restore(&j->tl);
    j->direct = true;
    j->then(j->sr, j->then_ctx);
    j->direct = false;
    http_tl_end(&j->c, j->answered ? j->status : 500);
    if (!j->gone) send_answer(j);
    job_unref(j);
    __atomic_fetch_sub(&e->inflight, 1, __ATOMIC_ACQ_REL);
}

/* Answers from the handler threads and the core's completions: everything
 * queued since the last wake-up. */
static void on_answers(h2o_multithread_receiver_t *rcv, h2o_linklist_t *messages)
{
    io_thread *io = H2O_STRUCT_FROM_MEMBER(io_thread, answers, rcv);
    __atomic_fetch_add(&io->e->wakeups, 1, __ATOMIC_RELAXED);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        for (job *j = (job *)m, *next; j; j = next) {
            next = j->chain;
            j->chain = NULL;
            if (j->submitted) {
                complete(j);
                continue;
            }
            if (!j->gone) send_answer(j);
            job_unref(j);
        }
    }
}

static void on_stop(h2o_multithread_receiver_t *rcv, h2o_linklist_t *messages)
{
    io_thread *io = H2O_STRUCT_FROM_MEMBER(io_thread, stopper, rcv);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        free(m);
    }
    io->stop = 1;
}

/* ---- the handler threads --------------------------------------------------- */

static void *worker_main(void *arg)
{
    evl *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->qm);
        while (!e->head && !e->stopping) pthread_cond_wait(&e->qcv, &e->qm);
        job *j = e->head;
        if (!j) {
            pthread_mutex_unlock(&e->qm);
            return NULL;
        }
        e->head = j->next;
        if (!e->head) e->tail = NULL;
        pthread_mutex_unlock(&e->qm);
        http_tl_begin();
        int status = http_dispatch(e->s, &j->c);
        http_tl_end(&j->c, j->answered ? j->status : status);
        __atomic_fetch_add(&e->served_handler, 1, __ATOMIC_RELAXED);
        h2o_multithread_send_message(&j->io->answers, &j->msg);
    }
}

/* ---- requests, on an I/O thread ----------------------------------------- */

static void job_pool_gone(void *p)
{
    job *j = *(job **)p;
    j->gone = true;
    job_unref(j);
}

/* The request's head as it came (request line and header lines, up to the
 * blank line), or NULL. h2o keeps Content-Length and Transfer-Encoding out
 * of the request's headers -- it frames the body itself, by the first
 * Content-Length or by Transfer-Encoding -- but the framing checks
 * (http_static_check) must see every one as sent. h2o leaves the head at the
 * start of the connection's input until the answer has been sent (then it
 * consumes the request); the request line is checked to be sure it is this
 * request's. */
static const char *request_head(h2o_req_t *hr, size_t *len)
{
    h2o_socket_t *sock =
        hr->conn->callbacks->get_socket ? hr->conn->callbacks->get_socket(hr->conn) : NULL;
    if (!sock || !sock->input || sock->input->size < hr->method.len + 1) return NULL;
    const char *b = sock->input->bytes;
    size_t n = sock->input->size;
    if (memcmp(b, hr->method.base, hr->method.len) != 0 || b[hr->method.len] != ' ') return NULL;
    const char *end = memmem(b, n, "\r\n\r\n", 4);
    if (!end) return NULL;
    *len = (size_t)(end - b) + 2; /* the last header line's CRLF */
    return b;
}

static bool is_framing_header(const char *name, size_t len)
{
    return (len == 14 && strncasecmp(name, "content-length", len) == 0) ||
           (len == 17 && strncasecmp(name, "transfer-encoding", len) == 0);
}

/* Copy what the handler needs out of h2o's request. */
static job *job_make(io_thread *io, h2o_req_t *hr, const char **why)
{
    *why = "out of memory";
    job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->io = io;
    j->hr = hr;
    j->refs = 1;
    size_t head_len = 0;
    const char *head = request_head(hr, &head_len);
    if (!head) { /* the framing could not be checked: refused (see request_head) */
        *why = "the request's head is not where it was expected";
        log_error("http", "msg=%s", log_q(*why));
        free(j);
        return NULL;
    }
    size_t need = hr->method.len + hr->path.len + hr->path_normalized.len + head_len + 16;
    for (size_t i = 0; i < hr->headers.size; i++)
        need += hr->headers.entries[i].name->len + hr->headers.entries[i].value.len + 2;
    char *s = j->strings = malloc(need);
    if (!s) {
        free(j);
        return NULL;
    }
#define PUT(dst, base, len)                                                                        \
    do {                                                                                           \
        if (len) /* a folded header line has no name: base is NULL (fuzz_http) */                  \
            memcpy(s, base, len);                                                                  \
        s[len] = 0;                                                                                \
        dst = s;                                                                                   \
        s += (len) + 1;                                                                            \
    } while (0)
    http_conn *c = &j->c;
    c->ops = &job_ops;
    c->impl = j;
    PUT(c->method, hr->method.base, hr->method.len);
    PUT(c->path, hr->path_normalized.base, hr->path_normalized.len);
    c->query = NULL;
    if (hr->query_at != SIZE_MAX && hr->query_at + 1 <= hr->path.len)
        PUT(c->query, hr->path.base + hr->query_at + 1, hr->path.len - hr->query_at - 1);
    c->version = hr->version >= 0x101 ? "1.1" : "1.0";
    c->content_length = -1;
    /* the framing headers first, as sent, so that no cap on the count hides one */
    for (const char *l = memchr(head, '\n', head_len), *end = head + head_len;
         l && ++l < end && c->nhdr < HTTP_MAX_HEADERS;) {
        const char *eol = memchr(l, '\n', (size_t)(end - l));
        if (!eol) break;
        const char *colon = memchr(l, ':', (size_t)(eol - l));
        if (colon && is_framing_header(l, (size_t)(colon - l))) {
            const char *v = colon + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            PUT(c->hdr[c->nhdr].name, l, (size_t)(colon - l));
            PUT(c->hdr[c->nhdr].value, v, (size_t)(ve - v));
            c->nhdr++;
        }
        l = eol;
    }
    for (size_t i = 0; i < hr->headers.size && c->nhdr < HTTP_MAX_HEADERS; i++) {
        h2o_header_t *h = &hr->headers.entries[i];
        PUT(c->hdr[c->nhdr].name, h->name->base, h->name->len);
        PUT(c->hdr[c->nhdr].value, h->value.base, h->value.len);
        c->nhdr++;
    }
#undef PUT
    for (int i = 0; i < c->nhdr; i++)
        if (strcasecmp(c->hdr[i].name, "content-length") == 0)
            c->content_length = strtoll(c->hdr[i].value, NULL, 10);
    struct sockaddr_storage sa;
    socklen_t sl = hr->conn->callbacks->get_peername(hr->conn, (struct sockaddr *)&sa);
    j->remote[0] = 0;
    if (sl && sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, j->remote, sizeof j->remote);
    else if (sl && sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, j->remote, sizeof j->remote);
    c->remote = j->remote[0] ? j->remote : "-";
    if (hr->entity.base && hr->entity.len) {
        j->body = malloc(hr->entity.len);
        if (!j->body) {
            job_unref(j);
            return NULL;
        }
        memcpy(j->body, hr->entity.base, hr->entity.len);
        j->body_len = hr->entity.len;
    }
    return j;
}

static int on_req(h2o_handler_t *self, h2o_req_t *hr)
{
    evl *e = *(evl **)(self + 1);
    io_thread *io = NULL;
    for (int i = 0; i < e->nio; i++)
        if (&e->io[i].ctx == hr->conn->ctx) io = &e->io[i];
    const char *why = "no I/O thread";
    job *j = io ? job_make(io, hr, &why) : NULL;
    if (!j) {
        h2o_send_error_503(hr, "Service Unavailable", why, H2O_SEND_ERROR_HTTP1_CLOSE_CONNECTION);
        return 0;
    }
    /* the request's pool says when the connection is gone */
    job **ref = h2o_mem_alloc_shared(&hr->pool, sizeof *ref, job_pool_gone);
    *ref = j;
    j->refs++;
    http_tl_begin();
    int st = http_static_check(&j->c);
    if (st == 0 && !e->s->cfg.web_root[0])
        st = http_conn_error(&j->c, 404, "not_found", HTTP_E_NOT_FOUND, NULL, "no such file");
    if (st == 0) { /* one of the dashboard's files: the file handler serves it */
        http_tl_end(&j->c, 200);
        job_unref(j);
        return -1;
    }
    if (st > 0) { /* refused before any handler */
        http_tl_end(&j->c, st);
        send_answer(j);
        job_unref(j);
        return 0;
    }
    if (strcmp(j->c.path, "/ws") == 0) { /* on this thread, no handler's */
        st = ws_io_upgrade(io->ws, hr, &j->c);
        http_tl_end(&j->c, st ? st : 101);
        if (st) send_answer(j);
        job_unref(j);
        return 0;
    }
    if (http_route_nonblocking(j->c.method, j->c.path)) { /* on this thread, no handler's */
        j->c.nonblocking = j->direct = true;
        st = http_dispatch(e->s, &j->c);
        j->c.nonblocking = j->direct = false;
        if (j->submitted) { /* answered when the completion comes (complete) */
            http_tl_save(&j->tl);
            __atomic_fetch_add(&e->served_io, 1, __ATOMIC_RELAXED);
            return 0;
        }
        if (!j->c.defer) {
            http_tl_end(&j->c, j->answered ? j->status : st);
            send_answer(j);
            job_unref(j);
            __atomic_fetch_add(&e->served_io, 1, __ATOMIC_RELAXED);
            return 0;
        }
        /* it would wait (a busy client order id): a handler thread runs it
         * again from its start */
        j->c.defer = false;
        j->body_pos = 0;
        __atomic_fetch_add(&e->deferred, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_lock(&e->qm);
    j->next = NULL;
    if (e->tail)
        e->tail->next = j;
    else
        e->head = j;
    e->tail = j;
    pthread_cond_signal(&e->qcv);
    pthread_mutex_unlock(&e->qm);
    return 0;
}

/* ---- connections ------------------------------------------------------------- */

static uint32_t addr_hash(const struct sockaddr *sa)
{
    const unsigned char *p = NULL;
    size_t n = 0;
    if (sa->sa_family == AF_INET)
        p = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, n = 4;
    else if (sa->sa_family == AF_INET6)
        p = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr, n = 16;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h % ADDR_SLOTS;
}

static void on_sock_close(void *data)
{
    conn_slot *cs = data;
    evl *e = cs->e;
    pthread_mutex_lock(&e->cm);
    e->conns--;
    if (e->per_addr[cs->addr_hash]) e->per_addr[cs->addr_hash]--;
    pthread_mutex_unlock(&e->cm);
    if (cs->io) { /* on its I/O thread */
        if (cs->prev)
            cs->prev->next = cs->next;
        else
            cs->io->conns = cs->next;
        if (cs->next) cs->next->prev = cs->prev;
        cs->io->nconns--;
    }
    free(cs);
}

/* Accept what is waiting (a few at a time, so that the other I/O threads
 * get their share); a connection past a cap is closed at once. */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    io_thread *io = listener->data;
    evl *e = io->e;
    if (err) return;
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(e->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        uint32_t ah = addr_hash((struct sockaddr *)&sa);
        pthread_mutex_lock(&e->cm);
        bool total = e->conns >= e->s->cfg.http_max_connections;
        bool per = e->per_addr[ah] >= e->s->cfg.http_max_connections_per_addr;
        if (!e->accepting) {
            total = true;
        } else if (!total && !per) {
            e->conns++;
            e->per_addr[ah]++;
        } else {
            total ? e->refused_total++ : e->refused_addr++;
        }
        pthread_mutex_unlock(&e->cm);
        if (total || per) {
            if (e->accepting)
                log_warn("http", "msg=\"connection refused\" reason=%s",
                         total ? "http_max_connections" : "http_max_connections_per_addr");
            close(fd);
            continue;
        }
        conn_slot *cs = calloc(1, sizeof *cs);
        if (!cs) {
            on_sock_close(&(conn_slot){.e = e, .addr_hash = ah}); /* undo the count */
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        *cs = (conn_slot){.e = e, .io = io, .addr_hash = ah, .fd = fd, .next = io->conns};
        if (io->conns) io->conns->prev = cs;
        io->conns = cs;
        io->nconns++;
        h2o_socket_t *sock =
            h2o_evloop_socket_create(io->loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
        sock->on_close.cb = on_sock_close;
        sock->on_close.data = cs;
        h2o_accept(&io->accept, sock);
    }
}

/* An I/O thread's loop, context, queue, WebSockets and listener are made on
 * the thread itself, and disposed of there: h2o's socket buffers come from a
 * cache of the thread that made the socket (h2o_socket_buffer_prototype is
 * thread-local), so a queue socket made on the main thread had both I/O
 * threads take and give back its buffers through the main thread's cache at
 * once -- the use after free ASan found in test_ws (a read into a buffer
 * freed meanwhile) and h2o's recycle-list assertion. */
static bool io_setup(io_thread *io)
{
    evl *e = io->e;
    const server_config *c = &e->s->cfg;
    io->loop = h2o_evloop_create();
    h2o_context_init(&io->ctx, io->loop, &e->conf);
    io->accept.ctx = &io->ctx;
    io->accept.hosts = e->conf.hosts;
    io->accept.ssl_ctx = e->ssl;
    io->queue = h2o_multithread_create_queue(io->loop);
    h2o_multithread_register_receiver(io->queue, &io->answers, on_answers);
    h2o_multithread_register_receiver(io->queue, &io->stopper, on_stop);
    io->ws = ws_io_new(e->s->ws, io->loop, io->queue, (uint64_t)c->http_request_timeout_ms);
    int fd = dup(e->fd);
    if (!io->ws || fd < 0) {
        if (fd >= 0) close(fd);
        return false;
    }
    io->listener = h2o_evloop_socket_create(io->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    io->listener->data = io;
    return true;
}

static void io_teardown(io_thread *io)
{
    if (io->listener) h2o_socket_close(io->listener);
    h2o_evloop_run(io->loop, 0); /* kicks of WebSockets closed meanwhile */
    ws_io_free(io->ws);
    h2o_multithread_unregister_receiver(io->queue, &io->answers);
    h2o_multithread_unregister_receiver(io->queue, &io->stopper);
    h2o_multithread_destroy_queue(io->queue);
    h2o_context_dispose(&io->ctx);
    h2o_evloop_run(io->loop, 0); /* h2o frees closed sockets on the loop's next turn */
    h2o_evloop_destroy(io->loop);
    io->loop = NULL;
    io->disposed = true;
}

static void *io_main(void *arg)
{
    io_thread *io = arg;
    evl *e = io->e;
    bool ok = io_setup(io);
    pthread_mutex_lock(&e->cm);
    io->ready = ok ? 1 : -1;
    pthread_cond_broadcast(&e->ready_cv);
    pthread_mutex_unlock(&e->cm);
    if (!ok) return NULL; /* evloop_start fails, and stops the rest */
    h2o_socket_read_start(io->listener, on_accept);
    while (!io->stop) h2o_evloop_run(io->loop, 200);
    /* stop: every connection ends (h2o sees the end and closes it), for at
     * most 2 s */
    h2o_socket_read_stop(io->listener);
    for (conn_slot *cs = io->conns; cs; cs = cs->next) shutdown(cs->fd, SHUT_RDWR);
    for (int i = 0; i < 40 && io->nconns > 0; i++) h2o_evloop_run(io->loop, 50);
    /* the handler threads have ended before the stop came: no answer is on
     * its way. h2o cannot free a context with live connections: then the
     * loop is left as it is. */
    if (io->nconns == 0) io_teardown(io);
    return NULL;
}

/* ---- start and stop --------------------------------------------------------- */

static int listen_on(const char *addr, int *port, char *err, size_t errlen)
{
    char host[128];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    if (!colon) {
        snprintf(err, errlen, "listen %s: want ADDRESS:PORT", addr);
        return -1;
    }
    *colon = 0;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sin.sin_addr) != 1) {
        snprintf(err, errlen, "listen %s: not an IPv4 address", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    socklen_t sl = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    *port = ntohs(sin.sin_port);
    return fd;
}

static SSL_CTX *tls_context(const server_config *c, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "TLS: cannot create a context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char e[256];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        snprintf(err, errlen, "TLS: %s / %s: %s", c->tls_cert, c->tls_key, e);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Front ends stopped with completions still on their way (http_stop_drain_ms
 * passed): h2o cannot free a context with live connections, so each is left
 * as it is, listed here until the process ends. */
static evl *abandoned;

void evloop_stop(server *s)
{
    evl *e = s->evl;
    if (!e) return;
    e->accepting = 0; /* new connections are closed at once */
    /* no more submissions from the I/O threads (answered 503 unavailable) */
    __atomic_store_n(&e->draining, 1, __ATOMIC_RELEASE);
    /* the handler threads answer what is queued, then end */
    pthread_mutex_lock(&e->qm);
    e->stopping = true;
    pthread_cond_broadcast(&e->qcv);
    pthread_mutex_unlock(&e->qm);
    for (int i = 0; e->workers && i < e->nworkers; i++)
        if (e->workers[i]) pthread_join(e->workers[i], NULL);
    /* the completions on their way are answered on the I/O threads (or
     * dropped where the connection is gone): for at most http_stop_drain_ms */
    for (int i = 0;
         i < s->cfg.http_stop_drain_ms && __atomic_load_n(&e->inflight, __ATOMIC_ACQUIRE) > 0; i++)
        usleep(1000);
    int left = __atomic_load_n(&e->inflight, __ATOMIC_ACQUIRE);
    bool clean = left == 0;
    if (!clean)
        log_warn("http",
                 "msg=\"completions still on their way at stop: not answered\" inflight=%d "
                 "http_stop_drain_ms=%d",
                 left, s->cfg.http_stop_drain_ms);
    if (s->core) core_set_batch_hook(s->core, NULL, NULL); /* waits for a hook running now */
    for (int i = 0; i < e->nio; i++) {
        io_thread *io = &e->io[i];
        if (io->started && io->ready == 1) {
            h2o_multithread_message_t *m = calloc(1, sizeof *m);
            h2o_multithread_send_message(&io->stopper, m);
        }
    }
    for (int i = 0; i < e->nio; i++) {
        io_thread *io = &e->io[i];
        if (io->started) pthread_join(io->th, NULL);
        clean = clean && (io->disposed || io->ready != 1);
    }
    /* requests that came after the handler threads ended: their connections
     * are gone now */
    for (job *j = e->head, *next; j; j = next) {
        next = j->next;
        job_unref(j);
    }
    e->head = e->tail = NULL;
    if (!clean) { /* h2o cannot free a context with live connections: leave it */
        log_warn("http", "msg=\"connections still open at stop\"");
        if (e->fd >= 0) close(e->fd);
        e->abandoned_next = abandoned; /* kept for the process's end, reachable */
        abandoned = e;
        s->evl = NULL;
        return;
    }
    if (e->fd >= 0) close(e->fd);
    h2o_config_dispose(&e->conf);
    if (e->ssl) SSL_CTX_free(e->ssl);
    free(e->workers);
    free(e->io);
    pthread_mutex_destroy(&e->qm);
    pthread_cond_destroy(&e->qcv);
    pthread_mutex_destroy(&e->cm);
    pthread_cond_destroy(&e->ready_cv);
    free(e);
    s->evl = NULL;
}

int evloop_start(server *s, char *err, size_t errlen)
{
    const server_config *c = &s->cfg;
    sigpipe_ignore(); /* h2o's writev and OpenSSL's close_notify: a peer gone is EPIPE */
    /* OpenSSL set up here, once: left to its first use (a WebSocket's accept
     * key on an I/O thread), it loads its configuration there and that
     * thread's error state outlives it (LeakSanitizer, fuzz_http) */
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL);
    evl *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->evl = e;
    e->s = s;
    e->fd = -1;
    e->accepting = 1;
    pthread_mutex_init(&e->qm, NULL);
    pthread_cond_init(&e->qcv, NULL);
    pthread_mutex_init(&e->cm, NULL);
    pthread_cond_init(&e->ready_cv, NULL);
    h2o_config_init(&e->conf);
    e->conf.server_name = h2o_iovec_init(H2O_STRLIT("cetsd"));
    size_t maxb = (size_t)(c->batch_max_body > c->max_body ? c->batch_max_body : c->max_body);
    e->conf.max_request_entity_size = maxb;
    e->conf.http1.req_timeout = (uint64_t)c->http_request_timeout_ms;
    e->conf.http1.upgrade_to_http2 = 0;
    e->conf.handshake_timeout = (uint64_t)c->http_request_timeout_ms;
    e->host = h2o_config_register_host(&e->conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_create_filter(&e->host->fallback_path, sizeof(h2o_filter_t))->on_setup_ostream =
        refusal_setup;
    h2o_pathconf_t *pc = h2o_config_register_path(e->host, "/", 0);
    h2o_create_filter(pc, sizeof(h2o_filter_t))->on_setup_ostream = refusal_setup;
    h2o_handler_t *h = h2o_create_handler(pc, sizeof *h + sizeof(evl *));
    h->on_req = on_req;
    *(evl **)(h + 1) = e;
    if (c->web_root[0]) {
        static const char *index_files[] = {"index.html", NULL};
        h2o_file_register(pc, c->web_root, index_files, NULL, 0);
    }
    if (c->tls_cert[0] && c->tls_key[0] && !(e->ssl = tls_context(c, err, errlen))) goto fail;
    if ((e->fd = listen_on(c->listen, &e->port, err, errlen)) < 0) goto fail;
    e->nio = c->http_io_threads;
    e->io = calloc((size_t)e->nio, sizeof *e->io);
    e->nworkers = c->http_workers;
    e->workers = calloc((size_t)e->nworkers, sizeof *e->workers);
    if (!e->io || !e->workers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < e->nio; i++) e->io[i].e = e;
    int rc; /* pthread_create's error is what it returns, not errno */
    for (int i = 0; i < e->nworkers; i++)
        if ((rc = pthread_create(&e->workers[i], NULL, worker_main, e)) != 0) {
            snprintf(err, errlen, "cannot start a handler thread: %s", strerror(rc));
            goto fail;
        }
    int started = 0;
    for (; started < e->nio; started++) {
        if ((rc = pthread_create(&e->io[started].th, NULL, io_main, &e->io[started])) != 0) {
            snprintf(err, errlen, "cannot start an I/O thread: %s", strerror(rc));
            break;
        }
        e->io[started].started = true;
    }
    /* every I/O thread started has made its loop, or said it could not:
     * evloop_stop sends its stop only to a loop that is there (one still
     * being made would run on, and the join wait for ever) */
    pthread_mutex_lock(&e->cm);
    bool ready = true;
    for (int i = 0; i < started; i++) {
        while (!e->io[i].ready) pthread_cond_wait(&e->ready_cv, &e->cm);
        ready = ready && e->io[i].ready == 1;
    }
    pthread_mutex_unlock(&e->cm);
    if (started < e->nio) goto fail;
    if (!ready) {
        snprintf(err, errlen, "cannot set up an I/O thread's event loop (out of memory or files)");
        goto fail;
    }
    if (s->core) core_set_batch_hook(s->core, evl_batch_end, e);
    return 0;
fail:
    evloop_stop(s);
    return -1;
}

int evloop_port(const server *s)
{
    return s->evl ? s->evl->port : 0;
}

void evloop_counts(const server *s, int *conns, uint64_t *refused_total, uint64_t *refused_addr)
{
    evl *e = s->evl;
    *conns = 0, *refused_total = *refused_addr = 0;
    if (!e) return;
    pthread_mutex_lock(&e->cm);
    *conns = e->conns;
    *refused_total = e->refused_total;
    *refused_addr = e->refused_addr;
    pthread_mutex_unlock(&e->cm);
}

void evloop_http_counts(const server *s, uint64_t *on_io, uint64_t *on_handler, uint64_t *deferred,
                        uint64_t *completion_msgs, uint64_t *wakeups)
{
    evl *e = s->evl;
    *on_io = *on_handler = *deferred = *completion_msgs = *wakeups = 0;
    if (!e) return;
    *wakeups = __atomic_load_n(&e->wakeups, __ATOMIC_RELAXED);
    *on_io = __atomic_load_n(&e->served_io, __ATOMIC_RELAXED);
    *on_handler = __atomic_load_n(&e->served_handler, __ATOMIC_RELAXED);
    *deferred = __atomic_load_n(&e->deferred, __ATOMIC_RELAXED);
    *completion_msgs = __atomic_load_n(&e->completion_msgs, __ATOMIC_RELAXED);
}
