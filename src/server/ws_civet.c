/* ws_civet.c -- the WebSocket hub's civetweb transport (frontend =
 * "civetweb"; ws.c has the hub).
 *
 * civetweb gives each connection a worker thread, which runs our data
 * handler for the client's messages and the close handler at the end.
 * WS_WRITERS writer threads take clients with queued messages, one at a
 * time, and send what each has queued in one mg_write() of ready-made
 * frames. A client that stops reading blocks at most one writer (until
 * civetweb's send timeout), and is cut off once its queue is full (ws.c).
 *
 * A client is freed only by civetweb's close handler, which first waits
 * until no writer is using it: civetweb reuses the connection struct for
 * the next client of that worker.
 */
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ws.h"
#include "ws_int.h"

/* ---- the ready list (under h->mu) ---------------------------------------- */

/* Wake a writer only when the list was empty: a writer that leaves clients
 * in it wakes the next itself, so a message to 1,000 clients costs a wake-up
 * or two, not 1,000. */
static void ready_push(ws_hub *h, ws_client *c)
{
    if (c->ready || c->busy || c->closing) return;
    bool was_empty = !h->ready_head;
    c->ready = true;
    c->rnext = NULL;
    c->rprev = h->ready_tail;
    if (h->ready_tail)
        h->ready_tail->rnext = c;
    else
        h->ready_head = c;
    h->ready_tail = c;
    if (was_empty && h->idle_writers) pthread_cond_signal(&h->work);
}

void ws_ready_remove(ws_hub *h, ws_client *c)
{
    if (!c->ready) return;
    if (c->rprev)
        c->rprev->rnext = c->rnext;
    else
        h->ready_head = c->rnext;
    if (c->rnext)
        c->rnext->rprev = c->rprev;
    else
        h->ready_tail = c->rprev;
    c->ready = false;
}

static const ws_transport civet_transport = {ready_push};

/* ---- writers -------------------------------------------------------------- */

/* A writer's buffer for joining frames. */
typedef struct wbuf {
    char *p;
    size_t cap;
} wbuf;

/* Send frames with one write: a client that fell behind catches up with one
 * system call, and a frame never leaves in two pieces for Nagle's algorithm
 * to hold back. mg_lock_connection() keeps our frames whole against the
 * worker thread's own writes (pongs). */
static bool write_frames(ws_client *c, ws_msg **out, int n, wbuf *b)
{
    const char *p = out[0]->frame;
    size_t len = out[0]->len;
    if (n > 1) {
        len = 0;
        for (int i = 0; i < n; i++) len += out[i]->len;
        if (len > b->cap) {
            char *np = realloc(b->p, len);
            if (!np) return false;
            b->p = np;
            b->cap = len;
        }
        size_t off = 0;
        for (int i = 0; i < n; i++) {
            memcpy(b->p + off, out[i]->frame, out[i]->len);
            off += out[i]->len;
        }
        p = b->p;
    }
    mg_lock_connection((struct mg_connection *)c->conn);
    int w = mg_write((struct mg_connection *)c->conn, p, len);
    mg_unlock_connection((struct mg_connection *)c->conn);
    return w == (int)len;
}

/* One client's turn with a writer. */
typedef struct job {
    ws_client *c;
    ws_msg *out[WS_WRITE_BATCH];
    int n;
    bool send_close;
} job;

/* Take up to max ready clients, and of each at most a batch of messages (so
 * one client far behind does not starve the others); under mu. */
static int jobs_take(ws_hub *h, job *jobs, int max)
{
    int k = 0;
    while (k < max && h->ready_head) {
        ws_client *c = h->ready_head;
        ws_ready_remove(h, c);
        job *j = &jobs[k++];
        j->c = c;
        j->n = ws_take(h, c, j->out, WS_WRITE_BATCH, &j->send_close);
        c->busy = true;
    }
    if (h->ready_head && h->idle_writers) /* more than this writer takes */
        pthread_cond_signal(&h->work);
    return k;
}

/* Write, without mu. Returns false when the connection is broken. */
static bool job_run(job *j, wbuf *b)
{
    if (j->send_close) {
        char bye[125];
        size_t n = ws_close_payload(j->c, bye, sizeof bye);
        mg_websocket_write((struct mg_connection *)j->c->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE,
                           bye, n);
    }
    bool ok = j->n == 0 || write_frames(j->c, j->out, j->n, b);
    for (int i = 0; i < j->n; i++) ws_msg_unref(j->out[i]);
    return ok;
}

/* Under mu again: the client may be closed, freed by its close handler, or
 * have more to send. */
static void job_finish(ws_hub *h, job *j, bool ok)
{
    ws_client *c = j->c;
    c->busy = false;
    if (!ok && !c->dropped) { /* broken: civetweb will close it */
        ws_queue_clear(c);
        c->dropped = c->close_sent = true;
    }
    if (c->closing)
        pthread_cond_broadcast(&h->idle);
    else if (c->dropped ? !c->close_sent : c->qlen > 0) /* more, or dropped meanwhile */
        ready_push(h, c);
}

/* Clients a writer takes at a time. One: a client that stops reading
 * blocks its writer in mg_write() until civetweb's send timeout
 * (request_timeout_ms), and any other client taken with it would wait as
 * long. Taking more saves lock round trips but measured no faster here. */
#define WS_WRITER_CLIENTS 1

static void *writer_main(void *arg)
{
    ws_hub *h = arg;
    wbuf b = {0};
    pthread_setname_np(pthread_self(), "ws-writer");
    job *jobs = malloc(WS_WRITER_CLIENTS * sizeof *jobs);
    bool ok[WS_WRITER_CLIENTS];
    int n = 0; /* jobs written, to finish with the next take: one lock for both */
    pthread_mutex_lock(&h->mu);
    while (jobs && !h->stop) {
        for (int i = 0; i < n; i++) job_finish(h, &jobs[i], ok[i]);
        n = jobs_take(h, jobs, WS_WRITER_CLIENTS);
        if (!n) {
            h->idle_writers++;
            pthread_cond_wait(&h->work, &h->mu);
            h->idle_writers--;
            continue;
        }
        pthread_mutex_unlock(&h->mu);
        for (int i = 0; i < n; i++) ok[i] = job_run(&jobs[i], &b);
        pthread_mutex_lock(&h->mu);
    }
    for (int i = 0; i < n; i++) job_finish(h, &jobs[i], ok[i]);
    pthread_mutex_unlock(&h->mu);
    free(jobs);
    free(b.p);
    return NULL;
}

static int on_connect(const struct mg_connection *conn, void *cb)
{
    ws_hub *h = cb;
    if (ws_client_count(h) < WS_MAX_CLIENTS) return 0;
    log_warn("ws", "msg=\"connection refused: too many clients\" addr=%s",
             log_q(mg_get_request_info(conn)->remote_addr));
    return 1;
}

static void on_ready(struct mg_connection *conn, void *cb)
{
    ws_hub *h = cb;
    ws_client *c = ws_client_add(h, &civet_transport, conn, mg_get_request_info(conn)->remote_addr);
    if (c) /* no client data: the data handler closes the connection */
        mg_set_user_connection_data(conn, c);
}

static void on_close(const struct mg_connection *conn, void *cb)
{
    ws_hub *h = cb;
    ws_client *c = mg_get_user_connection_data(conn);
    if (!c) return;
    ws_client_remove(h, c);
    mg_set_user_connection_data(conn, NULL);
    ws_client_free(c);
}

static int on_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cb)
{
    ws_hub *h = cb;
    ws_client *c = mg_get_user_connection_data(conn);
    int op = bits & 0x0f;
    if (!c || op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) return 0;
    if (op == MG_WEBSOCKET_OPCODE_PING) {
        mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_PONG, data, len);
        return 1;
    }
    if (op == MG_WEBSOCKET_OPCODE_PONG) return 1;
    ws_frame_in(h, c, op, bits & 0x80, data, len);
    return 1;
}

/* ---- start and stop -------------------------------------------------------- */

int ws_register(server *s)
{
    ws_hub *h = s->ws;
    for (int i = h->nwriters; i < WS_WRITERS; i++)
        if (pthread_create(&h->writers[i], NULL, writer_main, h) == 0) h->nwriters++;
    if (h->nwriters == 0) return -1;
    mg_set_websocket_handler(s->mg, "/ws", on_connect, on_ready, on_data, on_close, h);
    return 0;
}

void ws_writers_stop(ws_hub *h)
{
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_broadcast(&h->work);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < h->nwriters; i++) pthread_join(h->writers[i], NULL);
    h->nwriters = 0;
}
