/* fuzz_http.c -- libFuzzer target: arbitrary bytes as what a client sends
 * to cetsd's HTTP port, end to end.
 *
 * Each input is written to a fresh TCP connection to a real cetsd service
 * running in this process (lib/fuzzserver.h: civetweb, every request
 * handler, the core, the journal on a scratch directory, a small market),
 * "@ADMIN@" and "@USER@" first replaced by live tokens so that inputs reach
 * past authentication. The client then half-closes and reads everything the
 * server answers until it closes. A crash, a sanitizer report or a hang in
 * any server thread is a finding, as is a broken promise of docs/api.md:
 *
 *  - whatever the server sends starts with an HTTP/1.x status line;
 *  - it answers and closes within 9 s of the end of the input (nothing we
 *    send can hold a worker once the client has said everything);
 *  - a JSON answer (to anything but HEAD) is JSON, and an error answer
 *    (4xx, 5xx) is {"error": string, "code": integer, "message": string}.
 *
 * The service lives across inputs (see fuzzserver.h): to replay a finding,
 * run the target on the file, which starts a fresh service first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzzserver.h"
#include "fuzztmp.h"

#define ANSWER_MS 9000
#define ANSWER_MAX (4 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_server();
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int hang_state;      /* TCP_INFO state of a connection that hung */
static size_t hang_written; /* and how much of the input had been written */

/* Send req on a new connection, half-close, read to the end. */
static char *exchange(const char *req, size_t len, size_t *n, bool *ended)
{
    int fd = fuzz_server_connect();
    fuzz_check(fd >= 0, "cannot connect to the service");
    size_t off = 0;
    char *out = malloc(ANSWER_MAX + 1);
    *n = 0;
    *ended = false;
    int64_t t0 = now_ms();
    /* write and read together: an answer may come (and the server close)
     * before all of a long input is written */
    bool wrote_all = len == 0;
    if (wrote_all) shutdown(fd, SHUT_WR);
    while (now_ms() - t0 < ANSWER_MS) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (wrote_all ? 0 : POLLOUT)};
        int ready = poll(&p, 1, (int)(ANSWER_MS - (now_ms() - t0)));
        if (ready < 0 && errno == EINTR)
            continue; /* libFuzzer's SIGALRM (-timeout) interrupts system calls */
        if (ready <= 0) break;
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, out + *n, ANSWER_MAX - *n, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                *ended = true;
                break;
            }
            *n += (size_t)r;
            if (*n == ANSWER_MAX) {
                *ended = true; /* enough to judge */
                break;
            }
        } else if (p.revents & POLLOUT) {
            ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
                wrote_all = true;
                shutdown(fd, SHUT_WR);
            }
        }
    }
    if (!*ended) { /* say where it hangs: the connection's TCP state */
        struct tcp_info ti;
        socklen_t tl = sizeof ti;
        hang_state = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 ? ti.tcpi_state : -1;
        hang_written = off;
    }
    close(fd);
    out[*n] = 0;
    return out;
}

/* The value of header name in the head [h, end), or NULL. */
static const char *header(const char *h, const char *end, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(h, "\r\n"); p && p + 2 < end; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ') v++;
            *vlen = strcspn(v, "\r");
            return v;
        }
    }
    return NULL;
}

/* The first answer: its status line, and a JSON body that keeps the
 * error contract of docs/api.md. */
static void check_first_answer(const char *req, size_t reqlen, const char *resp, size_t n)
{
    if (n == 0) return; /* the server may close without a word (a request line it cannot read) */
    int status = 0, used = 0;
    fuzz_check(n >= 12 && sscanf(resp, "HTTP/1.%*[01] %3d%n", &status, &used) == 1 && used == 12 &&
                   status >= 100 && status < 600,
               "the answer does not start with a status line: %.60s", resp);
    const char *end = strstr(resp, "\r\n\r\n");
    if (!end) return; /* cut short by the close: not ours to judge */
    size_t tl = 0, cl = 0;
    const char *type = header(resp, end, "Content-Type", &tl);
    const char *len = header(resp, end, "Content-Length", &cl);
    size_t lead = 0; /* empty lines before a request line are skipped (RFC 9112, 2.2) */
    while (lead < reqlen && (req[lead] == '\r' || req[lead] == '\n')) lead++;
    bool head = reqlen - lead >= 5 && strncmp(req + lead, "HEAD ", 5) == 0;
    if (!type || !len || head || strncmp(type, "application/json", 16) != 0) return;
    size_t body_len = (size_t)strtoull(len, NULL, 10);
    const char *body = end + 4;
    if ((size_t)(resp + n - body) < body_len) return;
    json_error_t je;
    json_t *j = json_loadb(body, body_len, 0, &je);
    fuzz_check(j != NULL, "status %d: the JSON answer does not parse (%s): %.*s", status, je.text,
               (int)(body_len < 200 ? body_len : 200), body);
    if (status >= 400)
        fuzz_check(json_is_string(json_object_get(j, "error")) &&
                       json_is_integer(json_object_get(j, "code")) &&
                       json_is_string(json_object_get(j, "message")),
                   "status %d: an error without error, code and message: %.*s", status,
                   (int)(body_len < 200 ? body_len : 200), body);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_server_tokens_refresh();
    size_t len, n;
    char *req = fuzz_server_tokens_in(data, size, &len);
    bool ended;
    char *resp = exchange(req, len, &n, &ended);
    fuzz_check(ended,
               "no answer and no close within %d ms of the end of the input (%zu bytes "
               "answered, %zu of %zu written, TCP state %d): %.*s",
               ANSWER_MS, n, hang_written, len, hang_state, (int)(len < 300 ? len : 300), req);
    check_first_answer(req, len, resp, n);
    free(resp);
    free(req);
    return 0;
}
