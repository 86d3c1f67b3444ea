/* ws_evloop.c -- the WebSocket hub's transport on the event loop (frontend =
 * "evloop"; ws.c has the hub, evloop.c the HTTP side).
 *
 * A /ws request that is a WebSocket handshake is answered 101 and its
 * socket taken from h2o's HTTP/1 layer (h2o_http1_upgrade); from then on
 * the connection lives on its I/O thread, which alone reads and writes it
 * (h2o is not thread-safe), and holds no thread of its own.
 *
 * Reading: the I/O thread parses the client's frames (RFC 6455, 5.2) as
 * they arrive: masked, a payload of at most ws_max_message bytes kept (a
 * longer one is skipped as it streams in and answered too_large), pings
 * answered, a close echoed. Text messages go to the hub (ws_frame_in).
 *
 * Writing: the hub queues ready-made frames on the client, shared with every
 * other client, and kicks the transport: the first kick since the I/O
 * thread last looked sends the client through that thread's multithread
 * queue, which wakes the thread once for everything sent to it meanwhile.
 * The I/O thread takes up to WS_WRITE_BATCH frames and writes them in one
 * h2o_socket_write() of iovecs pointing at the shared frames (no copy),
 * holding them until the write completes; only then does it take more, so
 * a client that does not read lets its queue grow in the hub until it is
 * cut off there. A client cut off gets its close frame (1008 and the
 * reason) once the write in progress completes, and the connection is
 * closed after it -- or after close_ms if it never reads again.
 */
#include "ws_evloop.h"

#include <h2o/http1.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "ws_int.h"

struct ws_io {
    ws_hub *h;
    h2o_evloop_t *loop;
    h2o_multithread_queue_t *q;
    h2o_multithread_receiver_t kicks;
    h2o_timeout_t close_timeout;
    struct evws **batch; /* the clients of one on_kicks() */
    size_t cap;
};

/* One WebSocket, owned by its I/O thread. */
typedef struct evws {
    h2o_multithread_message_t msg; /* first: a kick */
    ws_io *io;
    h2o_socket_t *sock;
    ws_client *c;  /* NULL once closed */
    bool dead;     /* closed while a kick was on its way: the kick frees it */
    uint64_t skip; /* bytes of a too large payload still to skip */
    int skip_op;   /* and its frame's opcode and FIN, */
    bool skip_fin; /* answered once skipped */
    size_t skip_len;
    /* the write in progress: frames held until it completes, control frames */
    ws_msg *out[WS_WRITE_BATCH];
    int nout;
    bool writing;
    char pong[2 + 125];
    size_t pong_len; /* a pong waiting to be written (the last ping's) */
    char ctl_w[2 + 125 + 2 + 125];
    bool peer_close; /* the client sent a close: echo it, then close */
    uint16_t peer_code;
    bool close_after; /* the close frame is being written: close after it */
    bool taken;       /* out and send_close hold what to write next */
    bool more;        /* kicked while writing, or more queued than taken */
    bool send_close;  /* cut off: its close frame goes next */
    bool dropped;     /* seen cut off */
    h2o_timeout_entry_t close_deadline;
} evws;

static void evws_flush(evws *w);

/* ---- the end of a connection --------------------------------------------- */

static void evws_release_out(evws *w)
{
    for (int i = 0; i < w->nout; i++) ws_msg_unref(w->out[i]);
    w->nout = 0;
}

/* On the I/O thread: the client leaves the hub and the socket closes. */
static void evws_close(evws *w)
{
    if (!w->c) return;
    bool kicked = ws_client_remove(w->io->h, w->c);
    ws_client_free(w->c);
    w->c = NULL;
    if (h2o_timeout_is_linked(&w->close_deadline)) h2o_timeout_unlink(&w->close_deadline);
    evws_release_out(w);
    h2o_socket_close(w->sock);
    w->sock = NULL;
    if (kicked)
        w->dead = true; /* in the multithread queue: freed when it comes out */
    else
        free(w);
}

static void on_close_deadline(h2o_timeout_entry_t *entry)
{
    evws *w = H2O_STRUCT_FROM_MEMBER(evws, close_deadline, entry);
    log_info("ws", "msg=\"closed: its close frame was not taken in time\" id=%llu addr=%s",
             (unsigned long long)w->c->id, log_q(w->c->addr));
    evws_close(w);
}

static void close_soon(evws *w)
{
    if (!h2o_timeout_is_linked(&w->close_deadline))
        h2o_timeout_link(w->io->loop, &w->io->close_timeout, &w->close_deadline);
}

/* ---- writing ------------------------------------------------------------------ */

static void on_written(h2o_socket_t *sock, const char *err)
{
    evws *w = sock->data;
    w->writing = false;
    evws_release_out(w);
    if (err || w->close_after) {
        evws_close(w);
        return;
    }
    /* only when something came meanwhile: every message queued is kicked,
     * and a kick during the write set more */
    if (w->more || w->pong_len || w->peer_close) evws_flush(w);
}

/* A control frame (FIN, opcode, payload up to 125 bytes) at dst. */
static size_t control_frame(char *dst, int op, const char *payload, size_t len)
{
    dst[0] = (char)(0x80 | op);
    dst[1] = (char)len;
    memcpy(dst + 2, payload, len);
    return 2 + len;
}

/* Under h->mu: take what is queued for w, unless a write is in progress
 * (its end comes back to evws_flush). */
static void evws_take(evws *w)
{
    if (!w->c || w->close_after || w->taken) return;
    if (!w->sock || w->writing) { /* look again when the 101 or the write is done */
        w->more = true;
        return;
    }
    w->nout = ws_take(w->io->h, w->c, w->out, WS_WRITE_BATCH, &w->send_close);
    w->more = w->c->qlen > 0;
    w->taken = true;
}

/* Write what was taken, with a pong or a close frame waiting. */
static void evws_write(evws *w)
{
    if (!w->c || !w->sock || w->writing || w->close_after) return; /* !sock: not upgraded yet */
    w->taken = false;
    h2o_iovec_t iov[WS_WRITE_BATCH + 2];
    size_t n = 0, ctl = 0;
    if (w->pong_len) {
        memcpy(w->ctl_w, w->pong, w->pong_len);
        iov[n++] = h2o_iovec_init(w->ctl_w, w->pong_len);
        ctl = w->pong_len;
        w->pong_len = 0;
    }
    for (int i = 0; i < w->nout; i++) iov[n++] = h2o_iovec_init(w->out[i]->frame, w->out[i]->len);
    if (w->send_close || w->peer_close) {
        char p[125];
        size_t pl = 2;
        if (w->send_close) {
            pl = ws_close_payload(w->c, p, sizeof p);
        } else {
            p[0] = (char)(w->peer_code >> 8), p[1] = (char)(w->peer_code & 0xff);
        }
        size_t fl = control_frame(w->ctl_w + ctl, WS_OP_CLOSE, p, pl);
        iov[n++] = h2o_iovec_init(w->ctl_w + ctl, fl);
        w->close_after = true;
        w->send_close = false;
        close_soon(w);
    }
    if (!n) return;
    w->writing = true;
    h2o_socket_write(w->sock, iov, n, on_written);
}

static void evws_flush(evws *w)
{
    ws_hub *h = w->io->h;
    if (!w->c || !w->sock || w->writing || w->close_after) return;
    pthread_mutex_lock(&h->mu);
    evws_take(w);
    pthread_mutex_unlock(&h->mu);
    evws_write(w);
}

/* Under h->mu, any thread: c has something to send. */
static void evws_kick(ws_hub *h, ws_client *c)
{
    (void)h;
    evws *w = c->conn;
    if (c->kicked) return;
    c->kicked = true;
    h2o_multithread_send_message(&w->io->kicks, &w->msg);
}

static const ws_transport evloop_transport = {evws_kick};

/* The kicks that arrived since the I/O thread last looked: what is queued
 * for all of them is taken under one lock, then written. */
static void on_kicks(h2o_multithread_receiver_t *rcv, h2o_linklist_t *messages)
{
    ws_io *io = H2O_STRUCT_FROM_MEMBER(ws_io, kicks, rcv);
    size_t n = 0;
    for (h2o_linklist_t *l = messages->next; l != messages; l = l->next) n++;
    if (n > io->cap) {
        evws **b = realloc(io->batch, n * sizeof *b);
        if (b) io->batch = b, io->cap = n;
    }
    n = 0;
    pthread_mutex_lock(&io->h->mu);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_linklist_t *l = messages->next;
        h2o_linklist_unlink(l); /* before kicked is cleared: the next kick links it again */
        evws *w = (evws *)H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, l);
        if (w->dead) { /* closed on the way: only its kick was left */
            free(w);
            continue;
        }
        w->c->kicked = false;
        if (n < io->cap) {
            w->dropped = w->c->dropped;
            evws_take(w);
            io->batch[n++] = w;
        } else { /* no room to remember it (out of memory): it is kicked again */
            evws_kick(io->h, w->c);
        }
    }
    pthread_mutex_unlock(&io->h->mu);
    for (size_t i = 0; i < n; i++) {
        evws *w = io->batch[i];
        if (w->dropped) close_soon(w); /* even if it never takes its close frame */
        evws_write(w);
    }
}

/* ---- reading ------------------------------------------------------------------ */

/* A protocol error (RFC 6455, 7.4.1: 1002): the connection ends. */
static void protocol_error(evws *w, const char *why)
{
    log_info("ws", "msg=\"protocol error: closed\" id=%llu addr=%s reason=%s",
             (unsigned long long)w->c->id, log_q(w->c->addr), log_q(why));
    w->peer_close = true;
    w->peer_code = 1002;
    h2o_socket_read_stop(w->sock);
    evws_flush(w);
}

/* One frame from the start of in, if it is all there: its length, 0 when
 * more is needed, -1 after a protocol error. */
static long frame_in(evws *w, unsigned char *p, size_t avail)
{
    ws_hub *h = w->io->h;
    if (avail < 2) return 0;
    bool fin = p[0] & 0x80, masked = p[1] & 0x80;
    int op = p[0] & 0x0f;
    uint64_t len = p[1] & 0x7f;
    size_t hl = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + 4;
    if (avail < hl) return 0;
    if (p[0] & 0x70 || !masked) {
        protocol_error(w, p[0] & 0x70 ? "reserved bits set" : "an unmasked frame");
        return -1;
    }
    if (len == 126) {
        len = (uint64_t)p[2] << 8 | p[3];
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
    }
    if (op >= 0x8 && (!fin || len > 125)) {
        protocol_error(w, "a control frame fragmented or longer than 125 bytes");
        return -1;
    }
    if ((op > WS_OP_BINARY && op < WS_OP_CLOSE) || op > WS_OP_PONG) {
        protocol_error(w, "an unknown opcode");
        return -1;
    }
    if (len > (uint64_t)h->s->cfg.ws_max_message) { /* skipped as it comes */
        w->skip = len;
        w->skip_len = len > SIZE_MAX ? SIZE_MAX : (size_t)len;
        w->skip_op = op;
        w->skip_fin = fin;
        return (long)hl;
    }
    if (avail - hl < len) return 0;
    unsigned char *mask = p + hl - 4, *d = p + hl;
    for (uint64_t i = 0; i < len; i++) d[i] ^= mask[i & 3];
    switch (op) {
    case WS_OP_CLOSE:
        w->peer_close = true;
        w->peer_code = len >= 2 ? (uint16_t)(d[0] << 8 | d[1]) : 1000;
        if (w->peer_code < 1000 || w->peer_code == 1005 || w->peer_code == 1006)
            w->peer_code = 1000;
        h2o_socket_read_stop(w->sock);
        break;
    case WS_OP_PING:
        w->pong_len = control_frame(w->pong, WS_OP_PONG, (const char *)d, (size_t)len);
        break;
    case WS_OP_PONG: break;
    default: ws_frame_in(h, w->c, op, fin, (const char *)d, (size_t)len);
    }
    return (long)(hl + len);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    evws *w = sock->data;
    if (err) {
        evws_close(w);
        return;
    }
    while (w->c && !w->peer_close && sock->input->size) {
        if (w->skip) {
            size_t n = sock->input->size < w->skip ? sock->input->size : (size_t)w->skip;
            h2o_buffer_consume(&sock->input, n);
            w->skip -= n;
            if (!w->skip) ws_frame_in(w->io->h, w->c, w->skip_op, w->skip_fin, NULL, w->skip_len);
            continue;
        }
        long n = frame_in(w, (unsigned char *)sock->input->bytes, sock->input->size);
        if (n <= 0) break;
        h2o_buffer_consume(&sock->input, (size_t)n);
    }
    evws_flush(w);
}

/* ---- the handshake ------------------------------------------------------------- */

static void on_upgraded(void *data, h2o_socket_t *sock, size_t reqsize)
{
    evws *w = data;
    if (!sock) { /* the 101 could not be sent */
        bool kicked = ws_client_remove(w->io->h, w->c);
        ws_client_free(w->c);
        w->c = NULL;
        if (kicked)
            w->dead = true; /* freed when its kick comes out */
        else
            free(w);
        return;
    }
    w->sock = sock;
    sock->data = w;
    h2o_buffer_consume(&sock->input, reqsize);
    h2o_socket_read_start(sock, on_read);
    if (sock->input->size)
        on_read(sock, NULL); /* flushes too */
    else
        evws_flush(w); /* anything queued before the 101 went */
}

static const char *header(h2o_req_t *hr, const char *name, size_t *len)
{
    ssize_t i = h2o_find_header_by_str(&hr->headers, name, strlen(name), -1);
    if (i < 0) return NULL;
    *len = hr->headers.entries[i].value.len;
    return hr->headers.entries[i].value.base;
}

int ws_io_upgrade(ws_io *io, h2o_req_t *hr, http_conn *c)
{
    size_t klen = 0, vlen = 0;
    const char *key = header(hr, "sec-websocket-key", &klen);
    const char *ver = header(hr, "sec-websocket-version", &vlen);
    if (strcmp(c->method, "GET") != 0 || !hr->upgrade.base ||
        !h2o_lcstris(hr->upgrade.base, hr->upgrade.len, H2O_STRLIT("websocket")) || !key ||
        klen != 24 || !ver || vlen != 2 || memcmp(ver, "13", 2) != 0) {
        return http_conn_error(c, 400, "bad_request", HTTP_E_BAD_REQUEST, NULL,
                               "/ws wants a WebSocket handshake (RFC 6455: GET, Upgrade: "
                               "websocket, Sec-WebSocket-Key, Sec-WebSocket-Version: 13)");
    }
    evws *w = io->h ? calloc(1, sizeof *w) : NULL;
    if (w) {
        w->io = io;
        w->close_deadline.cb = on_close_deadline;
        w->c = ws_client_add(io->h, &evloop_transport, w, c->remote);
    }
    if (!w || !w->c) {
        free(w);
        return http_conn_error(c, 503, "unavailable", HTTP_E_UNAVAILABLE, "Retry-After: 5\r\n",
                               "too many WebSocket clients");
    }
    /* Sec-WebSocket-Accept: base64(SHA-1(key + the protocol's GUID)) */
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char src[24 + sizeof guid - 1], sha[EVP_MAX_MD_SIZE];
    unsigned int shalen = 0;
    memcpy(src, key, 24);
    memcpy(src + 24, guid, sizeof guid - 1);
    EVP_Digest(src, sizeof src, sha, &shalen, EVP_sha1(), NULL);
    char *accept = h2o_mem_alloc_pool(&hr->pool, 32);
    EVP_EncodeBlock((unsigned char *)accept, sha, (int)shalen);
    hr->res.status = 101;
    hr->res.reason = "Switching Protocols";
    h2o_add_header(&hr->pool, &hr->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_add_header_by_str(&hr->pool, &hr->res.headers, H2O_STRLIT("sec-websocket-accept"), 0, NULL,
                          accept, strlen(accept));
    h2o_http1_upgrade(hr, NULL, 0, on_upgraded, w);
    return 0;
}

/* ---- an I/O thread's WebSockets ------------------------------------------------- */

ws_io *ws_io_new(ws_hub *h, h2o_evloop_t *loop, h2o_multithread_queue_t *q, uint64_t close_ms)
{
    ws_io *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->h = h;
    w->loop = loop;
    w->q = q;
    h2o_multithread_register_receiver(q, &w->kicks, on_kicks);
    h2o_timeout_init(loop, &w->close_timeout, close_ms);
    return w;
}

void ws_io_free(ws_io *w)
{
    if (!w) return;
    h2o_multithread_unregister_receiver(w->q, &w->kicks);
    h2o_timeout_dispose(w->loop, &w->close_timeout);
    free(w->batch);
    free(w);
}
