/* wsclient.c -- see wsclient.h. Blocking socket with poll() for timeouts;
 * received bytes accumulate in a buffer and whole frames are cut from it. */
#include "wsclient.h"
#include "tclock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct wsc {
    int fd;
    bool closed;
    int close_code;
    char close_reason[128];
    uint8_t *buf;
    size_t len, cap;
};

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read more bytes into the buffer, waiting up to ms; -1 on timeout or EOF. */
static int fill(wsc *c, int ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, ms < 0 ? 0 : ms) <= 0) return -1;
    if (c->cap - c->len < 65536) {
        size_t cap = c->cap * 2 + 65536;
        uint8_t *b = realloc(c->buf, cap);
        if (!b) return -1;
        c->buf = b;
        c->cap = cap;
    }
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (r <= 0) {
        c->closed = true;
        return -1;
    }
    c->len += (size_t)r;
    return 0;
}

static int handshake(wsc *c, int port, const char *path)
{
    uint8_t raw[16];
    char key[32], req[512];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(key, sizeof key, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, port, key);
    if (write_all(c->fd, req, (size_t)n) != 0) return -1;
    int64_t end = tclock_ms() + 5000;
    for (;;) {
        uint8_t *hdr_end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (hdr_end) {
            size_t hlen = (size_t)(hdr_end - c->buf) + 4;
            bool ok = c->len >= 12 && memcmp(c->buf, "HTTP/1.1 101", 12) == 0;
            memmove(c->buf, c->buf + hlen, c->len - hlen); /* frames may follow at once */
            c->len -= hlen;
            return ok ? 0 : -1;
        }
        if (fill(c, (int)(end - tclock_ms())) != 0) return -1;
    }
}

wsc *wsc_connect(int port, const char *path)
{
    if (sodium_init() < 0) return NULL;
    wsc *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        handshake(c, port, path) != 0) {
        wsc_close(c);
        return NULL;
    }
    return c;
}

void wsc_close(wsc *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    free(c);
}

int wsc_send_frame(wsc *c, int opcode, bool fin, const void *data, size_t len)
{
    uint8_t hdr[14], mask[4];
    size_t h = 0;
    hdr[h++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (len < 126) {
        hdr[h++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(len >> 8);
        hdr[h++] = (uint8_t)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) hdr[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    randombytes_buf(mask, sizeof mask);
    memcpy(hdr + h, mask, 4);
    h += 4;
    uint8_t *out = malloc(h + len);
    memcpy(out, hdr, h);
    for (size_t i = 0; i < len; i++) out[h + i] = ((const uint8_t *)data)[i] ^ mask[i % 4];
    int rc = write_all(c->fd, out, h + len);
    free(out);
    return rc;
}

int wsc_send(wsc *c, const char *text)
{
    return wsc_send_frame(c, 1, true, text, strlen(text));
}

int wsc_send_json(wsc *c, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = s ? wsc_send(c, s) : -1;
    free(s);
    return rc;
}

/* Cut one whole frame from the buffer: opcode and payload (malloc'd, NUL
 * terminated); 0 when the buffer holds no whole frame yet. */
static int frame_take(wsc *c, int *opcode, char **payload, size_t *plen)
{
    if (c->len < 2) return 0;
    size_t need = 2, len = c->buf[1] & 0x7f;
    if (len == 126) {
        if (c->len < 4) return 0;
        len = (size_t)c->buf[2] << 8 | c->buf[3];
        need = 4;
    } else if (len == 127) {
        if (c->len < 10) return 0;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | c->buf[2 + i];
        need = 10;
    }
    if (c->buf[1] & 0x80) /* a server must not mask; take it anyway */
        need += 4;
    if (c->len < need + len) return 0;
    *opcode = c->buf[0] & 0x0f;
    *payload = malloc(len + 1);
    memcpy(*payload, c->buf + need, len);
    (*payload)[len] = 0;
    *plen = len;
    memmove(c->buf, c->buf + need + len, c->len - need - len);
    c->len -= need + len;
    return 1;
}

json_t *wsc_recv(wsc *c, int timeout_ms)
{
    int64_t end = tclock_ms() + timeout_ms;
    for (;;) {
        int op;
        char *p;
        size_t n;
        while (frame_take(c, &op, &p, &n)) {
            if (op == 1) {
                json_t *j = json_loads(p, 0, NULL);
                free(p);
                return j;
            }
            if (op == 9) /* ping */
                wsc_send_frame(c, 10, true, p, n);
            if (op == 8) {
                c->closed = true;
                c->close_code = n >= 2 ? ((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 1005;
                size_t rl = n > 2 ? n - 2 : 0;
                if (rl >= sizeof c->close_reason) rl = sizeof c->close_reason - 1;
                memcpy(c->close_reason, rl ? p + 2 : "", rl);
                c->close_reason[rl] = 0;
            }
            free(p);
            if (c->closed) return NULL;
        }
        if (c->closed || fill(c, (int)(end - tclock_ms())) != 0) return NULL;
    }
}

json_t *wsc_wait(wsc *c, const char *key, const char *value, int timeout_ms)
{
    int64_t end = tclock_ms() + timeout_ms;
    while (tclock_ms() < end) {
        json_t *j = wsc_recv(c, (int)(end - tclock_ms()));
        if (!j) return NULL;
        const char *v = json_string_value(json_object_get(j, key));
        if (v && strcmp(v, value) == 0) return j;
        json_decref(j);
    }
    return NULL;
}

bool wsc_closed(const wsc *c)
{
    return c->closed;
}
int wsc_close_code(const wsc *c)
{
    return c->close_code;
}
const char *wsc_close_reason(const wsc *c)
{
    return c->close_reason;
}
int wsc_fd(const wsc *c)
{
    return c->fd;
}
