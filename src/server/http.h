/* http.h -- what every HTTP/JSON handler of cetsd shares: the request, strict
 * JSON bodies, typed fields, decimal money, JSON answers and errors in the
 * shape of docs/api.md, the request log and per-status counters.
 *
 * A handler answers exactly once. Every helper that validates something
 * answers the error itself and returns false (or NULL), so handlers read as
 * a straight line of checks:
 *
 *     json_t *b = http_body(r, fields);
 *     if (!b || !http_money(r, b, "amount", true, &amount)) goto out;
 */
#ifndef CETS_SERVER_HTTP_H
#define CETS_SERVER_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "server.h"

struct mg_callbacks;

/* A request on one of the front ends (civetweb, or the event loop of
 * evloop.c): what every handler sees of the connection. Defined in
 * frontend.h; handlers reach it only through the functions below. */
typedef struct http_conn http_conn;
/* A request handler: conn is the request, cb the server. Returns the status. */
typedef int (*http_handler)(http_conn *conn, void *cb);

/* Gateway reason codes (the engine's are in cets/errors.h, 100..899). */
enum {
    HTTP_E_BAD_JSON = 1000,
    HTTP_E_BAD_FIELD = 1001,
    HTTP_E_UNKNOWN_FIELD = 1002,
    HTTP_E_TOO_LARGE = 1003,
    HTTP_E_UNAUTHENTICATED = 1004,
    HTTP_E_FORBIDDEN = 1005,
    HTTP_E_NOT_FOUND = 1006,
    HTTP_E_RATE_LIMITED = 1007,
    HTTP_E_METHOD = 1008,
    HTTP_E_UNAVAILABLE = 1009,
    HTTP_E_BAD_REQUEST = 1010, /* the request itself: ambiguous framing (smuggling) */
    HTTP_E_CONFLICT = 1011,    /* the resource is another's (a FIX CompID: api_fix.c) */
};

#define HTTP_MAX_SEGS 8

typedef struct req {
    server *s;
    http_conn *conn;
    const char *method;
    const char *query;        /* after '?', or NULL */
    char path[512];           /* URL-decoded local path */
    char *seg[HTTP_MAX_SEGS]; /* path segments after "/api/v1/" (into segbuf) */
    int nseg;
    char segbuf[512];
    principal who; /* after http_auth() */
    bool identified;
    bool answered;
    int status;       /* of the answer: what a civetweb handler must return */
    bool close;       /* close the connection after the answer */
    size_t max_body;  /* 0: the configured max_body */
    bool capture;     /* one entry of a batch: the answer is kept, not sent */
    json_t *captured; /* ... its body (the reference is the caller's) */
    char *body;       /* read by http_body_bytes (freed by http_body_done) */
    size_t body_len;
} req;

/* What a handler does once its commands are durable and applied (or
 * refused): their codes and results are in the arrays it gave
 * api_submit_then() (api.h); it answers r and frees ctx. */
typedef int (*http_then_fn)(req *r, void *ctx);

/* true when the request runs on an event-loop I/O thread: nothing may wait
 * there (a busy idempotency claim is handed on with http_defer()). */
bool http_nonblocking(const req *r);
/* Run this request again from its start on a handler thread, where it may
 * wait: nothing may have been answered or changed yet. Returns 0. */
int http_defer(req *r);
/* On an I/O thread: submit cmds without waiting, then(copy of r, ctx) to
 * run there when they are durable (api_submit_then); 0, or the core's
 * refusal (then() not called). -1 anywhere else: submit and wait. */
int http_submit_nonblocking(req *r, cets_cmd *cmds, int *codes, cets_result *res, size_t n,
                            http_then_fn then, void *ctx);
/* Copy r to dst (its segments point into dst's own copy of the path; the body
 * read by http_body_bytes stays r's, dst has none). */
void http_req_copy(req *dst, const req *r);
/* Which requests a front end may run on its I/O threads (handlers that
 * never wait there: they submit with api_submit_then and claim with
 * projection_idem_try): pred(method, path). One predicate; NULL: none. */
void http_nonblocking_routes(bool (*pred)(const char *method, const char *path));
bool http_route_nonblocking(const char *method, const char *path);

/* Set up r for a request on conn; false (404 answered) for a path with too
 * many segments. */
bool http_begin(req *r, server *s, http_conn *conn);
/* Register fn for the requests on path prefix (a path equal to it or below
 * it); on whichever front end runs. At most HTTP_MAX_ROUTES. */
#define HTTP_MAX_ROUTES 48
void http_handle(server *s, const char *prefix, http_handler fn);
/* The value of request header name (case-insensitive), or NULL. */
const char *http_header(const req *r, const char *name);
/* The client's address ("127.0.0.1"). */
const char *http_remote(const req *r);
/* Read up to len bytes of the body: the count, 0 at its end, <0 on error. */
int http_read(req *r, char *buf, size_t len);
/* Answer status with a ready body of content type ctype (extra as for
 * http_json); returns the status. */
int http_send(req *r, int status, const char *ctype, const char *extra, const char *body,
              size_t len);
bool http_is(const req *r, const char *method);

/* ---- answers --------------------------------------------------------- */
/* Answer body (the reference is taken) with status; returns the status, as
 * civetweb request handlers do. extra: more header lines ("Name: value",
 * several separated by "\r\n"), or NULL. */
int http_json(req *r, int status, json_t *body, const char *extra);
int http_error(req *r, int status, const char *name, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 400 bad_field / unknown_field naming the field. */
int http_field_error(req *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An engine or core result code: 422 with the reason, 503 journal_failed. */
int http_reason(req *r, int code, const char *extra);
/* What http_reject answers, before it is JSON: {"error": name, "code",
 * "message"[, "leader": the leader or null]}. */
typedef struct http_rejection {
    int status, code;
    const char *name;
    char msg[256];
    bool has_leader;  /* CETS_NOT_LEADER: "leader" follows */
    char leader[256]; /* "": null */
} http_rejection;
void http_rejection_of(req *r, const cets_cmd *cmd, int code, http_rejection *x);
json_t *http_rejection_json(const http_rejection *x); /* NULL when jansson refuses a string */
/* Answer a ready JSON text (http_json without the tree). */
int http_json_text(req *r, int status, const char *extra, const char *text, size_t len);
/* The same for the rejection of command cmd: the message has the numbers of
 * the rule that refused it (cets_reject_message). */
int http_reject(req *r, const cets_cmd *cmd, int code, const char *extra);
int http_not_found(req *r, const char *what);
int http_bad_method(req *r);

/* ---- who is asking (http_auth.c) ----------------------------------------- */
/* Identify the caller (once per request) and check role on participant (0 =
 * none in particular; HTTP_SELF = the caller's own). false when denied
 * (401/403 answered). */
#define HTTP_SELF UINT32_MAX
bool http_auth(req *r, uint32_t role, uint32_t participant);
/* The bearer token of the request, if any (copied to tok; "" when the
 * header is there but holds no bearer token). false: no Authorization. */
bool http_auth_bearer(const char *authorization, char *tok, size_t len);
/* Who is calling (authorization: the Authorization header's value, or NULL):
 * an anonymous principal (authenticated = false) when there is no
 * Authorization header; false when a token is given but invalid or
 * expired (answer 401). info (may be NULL) says what kind of token. */
bool http_auth_identify(auth *a, const char *authorization, principal *out, auth_token_info *info);
/* Check that p may act with `role` on `participant` (0 = no particular
 * participant). Answers 401/403 itself and logs the denial when not
 * allowed; true when allowed. Admins may act on any participant. */
bool http_auth_require(req *r, const principal *p, uint32_t role, uint32_t participant);

/* ---- bodies and fields ------------------------------------------------ */
/* Read and parse the body as a JSON object whose keys are all in fields
 * (NULL-terminated). NULL after answering 413 / 400 (503 out of memory). Free with json_decref. */
json_t *http_body(req *r, const char *const fields[]);
/* The body's bytes (read once, kept in r until http_body_done; http_body
 * parses them after): NULL after answering 413 (or 503 out of memory). */
const char *http_body_bytes(req *r, size_t *len);
void http_body_done(req *r);
/* The body as it came, NUL-terminated, at most max bytes (a buffer as large
 * as the Content-Length says, or growing for a chunked body); NULL after
 * answering 413 "the <what> is larger than max bytes", or 503 when out of
 * memory. Free with free(). */
char *http_read_raw(req *r, size_t max, const char *what, size_t *len);
/* What http_body does with the bytes buf[0..n) (a NUL at buf[n]). */
json_t *http_body_parse(req *r, const char *buf, size_t n, const char *const fields[]);
/* Check that every key of the JSON object o is in fields (NULL-terminated);
 * false after answering 400 unknown_field (prefix, e.g. "orders[3].", goes
 * before the key in the message; NULL for none). */
bool http_known_fields(req *r, json_t *o, const char *const fields[], const char *prefix);
/* Typed fields of o. Absent and not required: *out untouched, true. */
bool http_str(req *r, json_t *o, const char *k, bool required, size_t maxlen, const char **out);
bool http_int(req *r, json_t *o, const char *k, bool required, int64_t min, int64_t max,
              int64_t *out);
bool http_money(req *r, json_t *o, const char *k, bool required, int64_t *out);
bool http_bool(req *r, json_t *o, const char *k, bool required, bool *out);
/* One of names[] (NULL-terminated); *out = its index. */
bool http_enum(req *r, json_t *o, const char *k, bool required, const char *const names[],
               int *out);
/* "2026-11-30" -> 20261130 */
bool http_date(req *r, json_t *o, const char *k, bool required, int32_t *out);
/* Query string parameters. */
bool http_query_int(req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out);
/* A parameter into buf: 1 present, 0 absent (buf untouched), -1 after
 * answering 400 bad_field when its value is longer than len - 1 bytes. */
int http_query_str(req *r, const char *name, char *buf, size_t len);

/* ---- parsing ------------------------------------------------------------- */
/* Strict decimal money: digits, optionally '.' and one or two digits; no sign,
 * exponent, spaces or leading '+'. 0 and *fen, or -1. */
int http_parse_money(const char *s, int64_t *fen);
int http_parse_date(const char *s, int32_t *date);

/* Make s valid UTF-8 in place for a JSON string: a byte that is not part
 * of a well-formed character becomes '?', a character cut short at the end
 * is dropped. For messages that quote what a client sent. */
void http_utf8_clean(char *s);

/* ---- plumbing ------------------------------------------------------------- */
/* civetweb callbacks: request timing and log, JSON 404s under /api/, and
 * civetweb's own messages into our log. */
void http_set_callbacks(struct mg_callbacks *cb);
/* The reason phrase of an HTTP status ("Unprocessable Content"). */
const char *http_status_text(int status);
/* Name the user of the current request for the request log. */
void http_note_user(const char *user);
/* Requests answered per status code (index 100..599). */
void http_status_counts(uint64_t out[600]);

#endif
