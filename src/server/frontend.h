/* frontend.h -- what a front end (civetweb in http.c, the event loop in
 * evloop.c) hands the handlers: a request, parsed, with the few operations
 * that need the connection (read the body, send the answer).
 *
 * A front end fills an http_conn for each request, then calls
 * http_dispatch(), which finds the handler registered with http_handle()
 * for the path (the longest registered prefix that ends at a '/' or the
 * path's end) and runs the checks every request gets first (framing, the
 * dashboard's files).
 */
#ifndef CETS_SERVER_FRONTEND_H
#define CETS_SERVER_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define HTTP_MAX_HEADERS 64

typedef struct http_conn_ops {
    /* up to len bytes of the body; 0 at its end, <0 on error */
    int (*read)(http_conn *c, char *buf, size_t len);
    /* the whole answer: status, its reason, Content-Type, more header lines
     * ("Name: value\r\n"..., or ""), the body (not sent for HEAD), and
     * whether the connection closes after it */
    void (*answer)(http_conn *c, int status, const char *reason, const char *ctype,
                   const char *extra, const char *body, size_t len, bool close);
    /* a request on an I/O thread (c->nonblocking; NULL elsewhere): submit
     * cmds[0..n) without waiting; once they are durable their codes,
     * results and the commands as journaled are written to codes, res and
     * cmds and then(a copy of r, ctx) runs on this thread. 0, or the core's
     * refusal (then is not called: the caller runs it) */
    int (*submit)(http_conn *c, const req *r, cets_cmd *cmds, int *codes, cets_result *res,
                  size_t n, http_then_fn then, void *ctx);
} http_conn_ops;

struct http_conn {
    const http_conn_ops *ops;
    void *impl;               /* the front end's own request */
    const char *method;       /* "GET" */
    const char *path;         /* URL-decoded, without the query */
    const char *query;        /* after '?', or NULL */
    const char *version;      /* "1.1" */
    const char *remote;       /* "127.0.0.1" */
    long long content_length; /* -1: not given */
    int nhdr;
    struct {
        const char *name, *value;
    } hdr[HTTP_MAX_HEADERS];
    bool close;       /* set by the front end or a handler: close after the answer */
    bool nonblocking; /* on an I/O thread: nothing may wait (http_nonblocking) */
    bool defer;       /* the handler asked to run on a handler thread (http_defer) */
};

/* Paths outside the handlers' (the dashboard's files): 0 to serve the file
 * (GET or HEAD of one of the dashboard's own files), or the status of the
 * refusal answered. */
int http_static_check(http_conn *c);
/* Run the request's checks and its handler; the status answered, or 0 when
 * the path is no handler's and the file may be served (http_static_check). */
int http_dispatch(server *s, http_conn *c);
/* The handler registered for path, or NULL. */
http_handler http_route(const char *path);
/* The routes registered (for a front end that registers them itself). */
int http_routes(const char **prefixes[], http_handler **fns);
/* A request starts on this thread (its clock and user for the log line);
 * it ended with status: the request log line and the per-status counter. */
void http_tl_begin(void);
void http_tl_end(const http_conn *c, int status);
/* A request that is answered later on the same thread, after others ran
 * meanwhile (an I/O thread): its clock and user kept, and brought back. */
typedef struct http_tl_state {
    int64_t t0;
    char user[64];
} http_tl_state;
void http_tl_save(http_tl_state *out);
void http_tl_restore(const http_tl_state *in);
/* civetweb (http_civet.c): fill c for the request of conn. */
struct mg_connection;
void http_civet_conn(http_conn *c, struct mg_connection *conn);
/* civetweb: register every route of http_handle() on s->mg. */
void http_civet_routes(server *s);
/* Answer an error in our JSON shape outside any handler. */
int http_conn_error(http_conn *c, int status, const char *name, int code, const char *extra,
                    const char *msg);

#endif
