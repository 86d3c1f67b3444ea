/* http_civet.c -- the civetweb front end (frontend.h): one thread per
 * connection, kept while the event loop (evloop.c) lacks the WebSocket.
 *
 * Before any handler runs, begin_request runs the checks every request gets
 * (http_static_check: framing, only the dashboard's own files, read-only).
 * civetweb's own error answers go out in the same JSON shape as ours. The
 * request log is written from civetweb's end_request callback, which knows
 * the final status whoever answered (our handlers, the authentication
 * helper, the static file server).
 */
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "frontend.h"
#include "server.h"

static int civet_read(http_conn *c, char *buf, size_t len)
{
    return mg_read(c->impl, buf, len);
}

/* The whole answer goes out in one write: civetweb's header functions send
 * each header line as its own write, which with TCP_NODELAY (needed, see
 * service.c) is a packet per line. */
static void civet_answer(http_conn *c, int status, const char *reason, const char *ctype,
                         const char *extra, const char *body, size_t len, bool close)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (close) mg_disable_connection_keep_alive(c->impl);
    char *head = NULL;
    int hn = asprintf(&head,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Cache-Control: no-store\r\nDate: %s\r\nConnection: %s\r\n%s\r\n",
                      status, reason, ctype, len, date, close ? "close" : "keep-alive", extra);
    if (hn < 0) /* asprintf leaves head undefined then */
        return;
    size_t body_len = c->method && strcmp(c->method, "HEAD") == 0 ? 0 : len;
    char *all = malloc((size_t)hn + body_len);
    if (all) {
        memcpy(all, head, (size_t)hn);
        memcpy(all + hn, body, body_len);
        mg_write(c->impl, all, (size_t)hn + body_len);
    }
    free(all);
    free(head);
}

static const http_conn_ops civet_ops = {civet_read, civet_answer, NULL}; /* it waits */

void http_civet_conn(http_conn *c, struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    memset(c, 0, sizeof *c);
    c->ops = &civet_ops;
    c->impl = conn;
    c->method = ri && ri->request_method ? ri->request_method : "-";
    c->path = ri && ri->local_uri ? ri->local_uri : "/";
    c->query = ri ? ri->query_string : NULL;
    c->version = ri ? ri->http_version : NULL;
    c->remote = ri ? ri->remote_addr : "-";
    c->content_length = ri ? ri->content_length : -1;
    for (int i = 0; ri && i < ri->num_headers && i < HTTP_MAX_HEADERS; i++) {
        c->hdr[i].name = ri->http_headers[i].name;
        c->hdr[i].value = ri->http_headers[i].value;
        c->nhdr++;
    }
}

static int on_begin(struct mg_connection *conn)
{
    http_tl_begin();
    http_conn c;
    http_civet_conn(&c, conn);
    int st = http_static_check(&c);
    return st < 0 ? 0 : st; /* 0: civetweb routes it to its handler or serves the file */
}

static void on_end(const struct mg_connection *conn, int status)
{
    http_conn c;
    http_civet_conn(&c, (struct mg_connection *)conn);
    http_tl_end(&c, status);
}

static int on_log(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    log_warn("http", "msg=%s", log_q(message));
    return 1;
}

/* civetweb's own errors (no such file, a request line it cannot read): in
 * our JSON shape on every path, with our status line -- civetweb's echoes
 * the client's protocol token ("HTTP/HVTP/1.1 400"). */
static int on_http_error(struct mg_connection *conn, int status, const char *msg)
{
    http_conn c;
    http_civet_conn(&c, conn);
    if (status == 404)
        http_conn_error(&c, 404, "not_found", HTTP_E_NOT_FOUND, NULL, "no such resource");
    else if (status == 405) {
        char m[600];
        snprintf(m, sizeof m, "%s is not allowed on %s", c.method, c.path);
        http_conn_error(&c, 405, "method_not_allowed", HTTP_E_METHOD, NULL, m);
    } else
        http_conn_error(&c, status, status == 413 ? "too_large" : "bad_request",
                        status == 413 ? HTTP_E_TOO_LARGE : HTTP_E_BAD_REQUEST, NULL,
                        msg ? msg : "error");
    return 0;
}

void http_set_callbacks(struct mg_callbacks *cb)
{
    cb->begin_request = on_begin;
    cb->end_request = on_end;
    cb->log_message = on_log;
    cb->http_error = on_http_error;
}

/* One civetweb handler per route: the request as an http_conn, then the
 * route's handler. */
typedef struct civet_route {
    server *s;
    http_handler fn;
} civet_route;

static int civet_handler(struct mg_connection *conn, void *cb)
{
    civet_route *rt = cb;
    http_conn c;
    http_civet_conn(&c, conn);
    return rt->fn(&c, rt->s);
}

void http_civet_routes(server *s)
{
    const char **prefixes;
    http_handler *fns;
    int n = http_routes(&prefixes, &fns);
    civet_route *rt = calloc(HTTP_MAX_ROUTES, sizeof *rt); /* freed by service_stop */
    s->http_routes = rt;
    for (int i = 0; rt && i < n; i++) {
        rt[i] = (civet_route){s, fns[i]};
        mg_set_request_handler(s->mg, prefixes[i], civet_handler, &rt[i]);
    }
}
