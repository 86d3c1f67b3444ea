/* http.c -- see http.h.
 *
 * Bodies are checked before anything is submitted: size first (413 without
 * reading more than max_body + 1 bytes), then JSON syntax, then the set of
 * keys (an unknown key is refused, so a misspelt optional field such as
 * "client_order_idd" cannot silently turn off idempotency), then each field's
 * type. Only a request that passes all of it becomes a command.
 *
 * Before any handler runs, http_static_check() refuses what a front end
 * would let through: a body framed two ways (Content-Length with
 * Transfer-Encoding, two lengths) is refused and the connection closed, and
 * outside the handlers' paths only the dashboard's own files are served,
 * read-only. The front ends (frontend.h: civetweb in http_civet.c, the event
 * loop in evloop.c) only carry requests and answers; routes, the checks, the
 * answers' shape and the request log are here, the same on both.
 *
 * The request log's start time and user are thread-locals: a request runs on
 * one thread from its first check to its answer.
 */
#include "http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cets/errors.h"
#include "cets/registry.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "frontend.h"
#include "order_json.h"

static _Thread_local struct {
    int64_t t0;
    char user[64];
} tl;

static uint64_t status_counts[600];

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

bool http_begin(req *r, server *s, http_conn *conn)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->conn = conn;
    r->method = conn->method ? conn->method : "";
    r->query = conn->query;
    snprintf(r->path, sizeof r->path, "%s", conn->path ? conn->path : "/");
    const char *p = r->path;
    if (strncmp(p, "/api/v1/", 8) == 0) p += 8;
    snprintf(r->segbuf, sizeof r->segbuf, "%s", p);
    char *save = NULL;
    for (char *t = strtok_r(r->segbuf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (r->nseg == HTTP_MAX_SEGS) {
            http_not_found(r, "no such resource");
            return false;
        }
        r->seg[r->nseg++] = t;
    }
    return true;
}

static const char *conn_header(const http_conn *c, const char *name)
{
    for (int i = 0; i < c->nhdr; i++)
        if (strcasecmp(c->hdr[i].name, name) == 0) return c->hdr[i].value;
    return NULL;
}

const char *http_header(const req *r, const char *name)
{
    return r->conn ? conn_header(r->conn, name) : NULL;
}

const char *http_remote(const req *r)
{
    return r->conn && r->conn->remote ? r->conn->remote : "-";
}

int http_read(req *r, char *buf, size_t len)
{
    return r->conn ? r->conn->ops->read(r->conn, buf, len) : -1;
}

bool http_is(const req *r, const char *method)
{
    return strcmp(r->method, method) == 0;
}

/* ---- answers ------------------------------------------------------------- */

/* Does the client want the connection kept open after this answer? */
static bool keep_alive(const http_conn *c)
{
    const char *h = conn_header(c, "Connection");
    if (c->version && strcmp(c->version, "1.1") == 0) return !h || strcasecmp(h, "close") != 0;
    return h && strcasecmp(h, "keep-alive") == 0;
}

/* Reason phrases as RFC 9110 names them: civetweb's table has typos
 * ("Unproccessable entity" for 422). Others fall back to civetweb's. */
static const struct {
    int status;
    const char *text;
} status_texts[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {408, "Request Timeout"},
    {411, "Length Required"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {431, "Request Header Fields Too Large"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
};

const char *http_status_text(int status)
{
    for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++)
        if (status_texts[i].status == status) return status_texts[i].text;
    static const char *const classes[] = {"Unknown",     "Informational", "Success",
                                          "Redirection", "Client Error",  "Server Error"};
    return status >= 100 && status < 600 ? classes[status / 100] : classes[0];
}

/* The answer through the front end: it adds Content-Length, Date,
 * Cache-Control and Connection, and sends it in one write. */
int http_send(req *r, int status, const char *ctype, const char *extra, const char *body,
              size_t len)
{
    if (r->answered) {
        log_error("http", "msg=\"second answer to one request\" path=%s", log_q(r->path));
        return status;
    }
    r->answered = true;
    r->status = status;
    size_t el = extra ? strlen(extra) : 0;
    char *lines = NULL;
    if (el && (el < 2 || strcmp(extra + el - 2, "\r\n") != 0)) {
        if (asprintf(&lines, "%s\r\n", extra) < 0) lines = NULL;
    }
    if (r->close && r->conn) r->conn->close = true;
    if (r->conn) {
        bool close = r->close || r->conn->close || !keep_alive(r->conn);
        r->conn->ops->answer(r->conn, status, http_status_text(status), ctype,
                             lines   ? lines
                             : extra ? extra
                                     : "",
                             body, len, close);
    }
    free(lines);
    return status;
}

int http_json(req *r, int status, json_t *body, const char *extra)
{
    if (r->capture && !r->answered) { /* a batch's entry: kept for the batch's answer */
        r->answered = true;
        r->status = status;
        r->captured = body;
        return status;
    }
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    const char *payload = text ? text : "null";
    http_json_text(r, status, extra, payload, strlen(payload));
    free(text);
    return status;
}

int http_json_text(req *r, int status, const char *extra, const char *text, size_t len)
{
    return http_send(r, status, "application/json; charset=utf-8", extra, text, len);
}

/* (http.h) Make s valid UTF-8 in place, as a JSON string must be: each byte that is
 * not part of a well-formed character becomes '?', and a character cut
 * short at the end (a "%.20s" of a path) is dropped. A message quotes what
 * the client sent -- a path, a code -- and jansson refuses invalid UTF-8, so
 * such an answer was the body "null" (found by fuzz_http). */
void http_utf8_clean(char *str)
{
    unsigned char *s = (unsigned char *)str;
    while (*s) {
        int n = cets_utf8_char_len((const char *)s);
        if (!n) {
            int want = s[0] >= 0xc2 && s[0] < 0xe0   ? 2
                       : s[0] >= 0xe0 && s[0] < 0xf5 ? 3 + (s[0] >= 0xf0)
                                                     : 0;
            int k = 1;
            while (k < want && (s[k] & 0xc0) == 0x80) k++;
            if (want && k < want && !s[k]) { /* cut short by the end */
                *s = 0;
                return;
            }
            *s = '?'; /* broken, overlong, a surrogate, or past U+10FFFF */
            n = 1;
        }
        s += n;
    }
}

static int error_v(req *r, int status, const char *name, int code, const char *field,
                   const char *extra, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    http_utf8_clean(msg);
    json_t *o = json_pack("{s:s, s:i, s:s}", "error", name, "code", code, "message", msg);
    if (field) json_object_set_new(o, "field", json_string(field));
    return http_json(r, status, o, extra);
}

int http_error(req *r, int status, const char *name, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = error_v(r, status, name, code, NULL, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int http_field_error(req *r, const char *field, const char *fmt, ...)
{
    char name[96];
    snprintf(name, sizeof name, "%s", field);
    http_utf8_clean(name);
    va_list ap;
    va_start(ap, fmt);
    int rc = error_v(r, 400, "bad_field", HTTP_E_BAD_FIELD, name, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

void http_rejection_of(req *r, const cets_cmd *cmd, int code, http_rejection *x)
{
    x->status = code == CETS_JOURNAL_FAILED || code == CETS_NOT_LEADER ? 503
                : code == CETS_DUPLICATE_REQUEST                       ? 409
                                                                       : 422;
    x->code = code;
    x->name = cets_reason_name(code);
    /* the message names the refusing rule's configured numbers (cets.h) */
    const cets_engine *e = cmd ? core_read_begin(r->s->core) : NULL;
    cets_reject_message(e, cmd, code, x->msg, sizeof x->msg);
    if (e) core_read_end(r->s->core);
    x->has_leader = code == CETS_NOT_LEADER; /* a standby names the leader */
    x->leader[0] = 0;
    if (x->has_leader) core_get_leader(r->s->core, x->leader, sizeof x->leader);
}

json_t *http_rejection_json(const http_rejection *x)
{
    json_t *o = json_pack("{s:s, s:i, s:s}", "error", x->name, "code", x->code, "message", x->msg);
    if (o && x->has_leader)
        json_object_set_new(o, "leader", x->leader[0] ? json_string(x->leader) : json_null());
    return o;
}

int http_reject(req *r, const cets_cmd *cmd, int code, const char *extra)
{
    http_rejection x;
    http_rejection_of(r, cmd, code, &x);
    if (!r->capture) { /* written straight (order_json.h); jansson for what it declines */
        jbuf w;
        jb_init(&w);
        bool ok = oj_rejection_write(&w, &x) && !w.oom;
        if (ok) http_json_text(r, x.status, extra, w.p, w.len);
        jb_free(&w);
        if (ok) return x.status;
    }
    return http_json(r, x.status, http_rejection_json(&x), extra);
}

int http_reason(req *r, int code, const char *extra)
{
    return http_reject(r, NULL, code, extra);
}

int http_not_found(req *r, const char *what)
{
    return http_error(r, 404, "not_found", HTTP_E_NOT_FOUND, "%s", what);
}

int http_bad_method(req *r)
{
    return http_error(r, 405, "method_not_allowed", HTTP_E_METHOD, "%s is not allowed on %s",
                      r->method, r->path);
}

/* ---- bodies ------------------------------------------------------------ */

/* The first buffer of a body without a Content-Length (chunked): doubled
 * as it fills, up to max + 2. */
#define BODY_FIRST_CAP 16384

char *http_read_raw(req *r, size_t max, const char *what, size_t *len)
{
    long long cl = r->conn ? r->conn->content_length : -1;
    if (cl > (long long)max) {
        /* a front end reads and drops an unread body to keep the connection;
         * for a huge one, close the connection instead */
        if (cl > (long long)max + (1 << 20)) r->close = true;
        http_error(r, 413, "too_large", HTTP_E_TOO_LARGE, "the %s is larger than %zu bytes", what,
                   max);
        return NULL;
    }
    /* room for what the length says, one byte more (a body longer than it
     * says is read to the limit like a chunked one) and the NUL */
    size_t cap = cl >= 0 ? (size_t)cl + 2 : (max < BODY_FIRST_CAP ? max : BODY_FIRST_CAP) + 2;
    char *buf = malloc(cap);
    size_t n = 0;
    for (;;) {
        if (buf && n + 1 == cap && cap < max + 2) { /* full, under the limit: grow */
            size_t more = (cap - 2) * 2 + 2;
            if (more > max + 2) more = max + 2;
            char *b = realloc(buf, more);
            if (!b) free(buf);
            buf = b, cap = more;
        }
        if (!buf) {
            http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
            return NULL;
        }
        int got = http_read(r, buf + n, cap - 1 - n);
        if (got <= 0) break;
        n += (size_t)got;
        if (n > max) {
            free(buf);
            http_error(r, 413, "too_large", HTTP_E_TOO_LARGE, "the %s is larger than %zu bytes",
                       what, max);
            return NULL;
        }
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static char *read_body(req *r, size_t *len)
{
    size_t max = r->max_body ? r->max_body : (size_t)r->s->cfg.max_body;
    return http_read_raw(r, max, "body", len);
}

const char *http_body_bytes(req *r, size_t *len)
{
    if (!r->body) r->body = read_body(r, &r->body_len);
    *len = r->body_len;
    return r->body;
}

void http_body_done(req *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

json_t *http_body(req *r, const char *const fields[])
{
    if (r->body) return http_body_parse(r, r->body, r->body_len, fields);
    size_t n;
    char *buf = read_body(r, &n);
    if (!buf) return NULL;
    json_t *o = http_body_parse(r, buf, n, fields);
    free(buf);
    return o;
}

json_t *http_body_parse(req *r, const char *buf, size_t n, const char *const fields[])
{
    json_error_t je;
    json_t *o = n ? jsonin_loadb(buf, n, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!o) {
        if (n)
            http_error(r, 400, "bad_json", HTTP_E_BAD_JSON, "line %d column %d: %s", je.line,
                       je.column, je.text);
        else
            http_error(r, 400, "bad_json", HTTP_E_BAD_JSON, "a JSON object is required");
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        http_error(r, 400, "bad_json", HTTP_E_BAD_JSON, "the body must be a JSON object");
        return NULL;
    }
    if (!http_known_fields(r, o, fields, NULL)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

bool http_known_fields(req *r, json_t *o, const char *const fields[], const char *prefix)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool known = false;
        for (int i = 0; fields[i] && !known; i++) known = strcmp(fields[i], k) == 0;
        if (!known) {
            char name[128];
            snprintf(name, sizeof name, "%s%.95s", prefix ? prefix : "", k);
            http_utf8_clean(name); /* the cut may split a character */
            json_t *e = json_pack("{s:s, s:i, s:s, s:s}", "error", "unknown_field", "code",
                                  HTTP_E_UNKNOWN_FIELD, "message",
                                  "this field is not part of the request", "field", name);
            http_json(r, 400, e, NULL);
            return false;
        }
    }
    return true;
}

/* Get o[k]; *v NULL when absent. false when absent and required (answered). */
static bool field_get(req *r, json_t *o, const char *k, bool required, json_t **v)
{
    *v = json_object_get(o, k);
    if (*v && json_is_null(*v) && !required) *v = NULL;
    if (!*v && required) {
        http_field_error(r, k, "\"%s\" is required", k);
        return false;
    }
    return true;
}

bool http_str(req *r, json_t *o, const char *k, bool required, size_t maxlen, const char **out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v)) return false;
    if (!v) return true;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > maxlen) {
        http_field_error(r, k, "\"%s\" must be a string of 1 to %zu bytes", k, maxlen);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool http_int(req *r, json_t *o, const char *k, bool required, int64_t min, int64_t max,
              int64_t *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v)) return false;
    if (!v) return true;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        http_field_error(r, k, "\"%s\" must be an integer from %lld to %lld", k, (long long)min,
                         (long long)max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

bool http_money(req *r, json_t *o, const char *k, bool required, int64_t *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v)) return false;
    if (!v) return true;
    if (!json_is_string(v) || http_parse_money(json_string_value(v), out) != 0) {
        http_field_error(
            r, k,
            "\"%s\" must be a decimal string such as \"51.23\" (at most two decimals, no sign)", k);
        return false;
    }
    return true;
}

bool http_bool(req *r, json_t *o, const char *k, bool required, bool *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v)) return false;
    if (!v) return true;
    if (!json_is_boolean(v)) {
        http_field_error(r, k, "\"%s\" must be true or false", k);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool http_enum(req *r, json_t *o, const char *k, bool required, const char *const names[], int *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v)) return false;
    if (!v) return true;
    for (int i = 0; json_is_string(v) && names[i]; i++)
        if (names[i][0] && strcmp(names[i], json_string_value(v)) == 0) {
            *out = i;
            return true;
        }
    char list[256] = "";
    for (int i = 0; names[i]; i++)
        if (names[i][0])
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
                     list[0] ? ", " : "", names[i]);
    http_field_error(r, k, "\"%s\" must be one of %s", k, list);
    return false;
}

bool http_date(req *r, json_t *o, const char *k, bool required, int32_t *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v)) return false;
    if (!v) return true;
    if (!json_is_string(v) || http_parse_date(json_string_value(v), out) != 0) {
        http_field_error(r, k, "\"%s\" must be a date \"YYYY-MM-DD\"", k);
        return false;
    }
    return true;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The URL-decoded value of name in query q into out (len bytes with its
 * NUL): its length, -1 absent, -2 longer than len - 1. */
static int query_var(const char *q, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncasecmp(p, name, nl) != 0 || p[nl] != '=') continue;
        const char *v = p + nl + 1;
        size_t n = 0;
        for (; *v && *v != '&'; v++) {
            int c = (unsigned char)*v;
            if (c == '+')
                c = ' ';
            else if (c == '%' && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
                c = hexval(v[1]) * 16 + hexval(v[2]);
                v += 2;
            }
            if (n + 1 >= len) return -2;
            out[n++] = (char)c;
        }
        out[n] = 0;
        return (int)n;
    }
    return -1;
}

int http_query_str(req *r, const char *name, char *buf, size_t len)
{
    if (!r->query) return 0;
    char tmp[256];
    /* -1 absent, -2 longer than the buffer (it must not pass for absent:
     * "?limit=" and 40 digits used to be silently the default) */
    int n = query_var(r->query, name, tmp, len < sizeof tmp ? len : sizeof tmp);
    if (n == -1) return 0;
    if (n < 0) {
        http_field_error(r, name, "\"%s\" is longer than %zu bytes", name,
                         (len < sizeof tmp ? len : sizeof tmp) - 1);
        return -1;
    }
    memcpy(buf, tmp, (size_t)n + 1); /* query_var kept it under len */
    return 1;
}

bool http_query_int(req *r, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
    char buf[32], *end;
    *out = def;
    int q = http_query_str(r, name, buf, sizeof buf);
    if (q <= 0) return q == 0;
    long long v = strtoll(buf, &end, 10);
    if (!isdigit((unsigned char)buf[0]) || *end || v < min || v > max) {
        http_field_error(r, name, "\"%s\" must be an integer from %lld to %lld", name,
                         (long long)min, (long long)max);
        return false;
    }
    *out = v;
    return true;
}

/* ---- parsing --------------------------------------------------------------- */

int http_parse_money(const char *s, int64_t *fen)
{
    int64_t yuan = 0;
    int digits = 0;
    if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && isdigit((unsigned char)s[1])))
        return -1; /* no sign, no leading zeros */
    for (; isdigit((unsigned char)*s); s++) {
        if (++digits > 13) /* 10^13 CNY: far above any real amount, far below overflow */
            return -1;
        yuan = yuan * 10 + (*s - '0');
    }
    int64_t cents = 0;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)s[0])) return -1;
        cents = (s[0] - '0') * 10;
        s++;
        if (isdigit((unsigned char)*s)) cents += *s++ - '0';
    }
    if (*s) return -1;
    *fen = yuan * 100 + cents;
    return 0;
}

int http_parse_date(const char *s, int32_t *date)
{
    int y, m, d, n = 0;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *date = y * 10000 + m * 100 + d;
    return 0;
}

/* ---- plumbing ------------------------------------------------------------ */

void http_note_user(const char *user)
{
    snprintf(tl.user, sizeof tl.user, "%s", user);
}

void http_status_counts(uint64_t out[600])
{
    for (int i = 0; i < 600; i++) out[i] = __atomic_load_n(&status_counts[i], __ATOMIC_RELAXED);
}

void http_tl_save(http_tl_state *out)
{
    out->t0 = tl.t0;
    memcpy(out->user, tl.user, sizeof out->user);
}

void http_tl_restore(const http_tl_state *in)
{
    tl.t0 = in->t0;
    memcpy(tl.user, in->user, sizeof tl.user);
}

bool http_nonblocking(const req *r)
{
    return r->conn && r->conn->nonblocking;
}

int http_defer(req *r)
{
    r->conn->defer = true;
    r->answered = true; /* nothing else answers it here */
    r->status = 0;
    return 0;
}

int http_submit_nonblocking(req *r, cets_cmd *cmds, int *codes, cets_result *res, size_t n,
                            http_then_fn then, void *ctx)
{
    http_conn *c = r->conn;
    if (!c || !c->nonblocking || !c->ops->submit) return -1;
    return c->ops->submit(c, r, cmds, codes, res, n, then, ctx);
}

void http_req_copy(req *dst, const req *r)
{
    *dst = *r;
    for (int i = 0; i < r->nseg; i++) dst->seg[i] = dst->segbuf + (r->seg[i] - r->segbuf);
    dst->body = NULL; /* the body stays r's (http_body_done frees it) */
    dst->body_len = 0;
}

static bool (*nonblocking_pred)(const char *method, const char *path);

void http_nonblocking_routes(bool (*pred)(const char *method, const char *path))
{
    nonblocking_pred = pred;
}

bool http_route_nonblocking(const char *method, const char *path)
{
    return nonblocking_pred && method && path && nonblocking_pred(method, path);
}

void http_tl_begin(void)
{
    tl.t0 = mono_ns();
    tl.user[0] = 0;
}

/* One line per request would drown the log (a dashboard polls): at debug,
 * except the operator's changes (who asked is their record) at info and
 * server errors at warn. */
void http_tl_end(const http_conn *c, int status)
{
    int64_t us = (mono_ns() - tl.t0) / 1000;
    if (status >= 100 && status < 600)
        __atomic_fetch_add(&status_counts[status], 1, __ATOMIC_RELAXED);
    const char *m = c && c->method ? c->method : "-";
    const char *uri = c && c->path ? c->path : "-";
    log_level lv = status >= 500                                                      ? LOG_WARN
                   : strncmp(uri, "/api/v1/admin/", 14) == 0 && strcmp(m, "GET") != 0 ? LOG_INFO
                                                                                      : LOG_DEBUG;
    if (!log_enabled(lv)) return; /* the quoting below costs more than the rest */
    log_write(lv, "http", "method=%s path=%s status=%d us=%lld user=%s remote=%s", log_q(m),
              log_q(uri), status, (long long)us, log_q(tl.user[0] ? tl.user : "-"),
              log_q(c && c->remote ? c->remote : "-"));
}

/* ---- routes ---------------------------------------------------------------- */

static struct {
    const char *prefix;
    http_handler fn;
} routes[HTTP_MAX_ROUTES];
static int nroutes;
static const char *route_prefixes[HTTP_MAX_ROUTES];
static http_handler route_fns[HTTP_MAX_ROUTES];

void http_handle(server *s, const char *prefix, http_handler fn)
{
    (void)s;
    for (int i = 0; i < nroutes; i++)
        if (strcmp(routes[i].prefix, prefix) == 0) {
            routes[i].fn = route_fns[i] = fn;
            return;
        }
    if (nroutes == HTTP_MAX_ROUTES) {
        log_error("http", "msg=\"too many routes\" path=%s", log_q(prefix));
        return;
    }
    routes[nroutes].prefix = route_prefixes[nroutes] = prefix;
    routes[nroutes].fn = route_fns[nroutes] = fn;
    nroutes++;
}

int http_routes(const char **prefixes[], http_handler **fns)
{
    *prefixes = route_prefixes;
    *fns = route_fns;
    return nroutes;
}

http_handler http_route(const char *path)
{
    http_handler best = NULL;
    size_t best_len = 0;
    for (int i = 0; i < nroutes; i++) {
        size_t n = strlen(routes[i].prefix);
        if (n > best_len && strncmp(path, routes[i].prefix, n) == 0 &&
            (path[n] == 0 || path[n] == '/'))
            best = routes[i].fn, best_len = n;
    }
    return best;
}

/* ---- before any handler: framing and what may be served ------------------ */

/* Why the body of this request is not framed one way only, or NULL. With
 * Content-Length and Transfer-Encoding together, two lengths, or a header
 * line folded onto the one before, a proxy in front and we could each read a
 * different request out of the same bytes (request smuggling); a front end
 * would quietly pick one, or drop the folded line. */
static const char *framing_problem(const http_conn *c)
{
    const char *len = NULL;
    bool chunked = false;
    for (int i = 0; i < c->nhdr; i++) {
        const char *name = c->hdr[i].name, *v = c->hdr[i].value;
        if (!name[0] || name[0] == ' ' || name[0] == '\t') /* RFC 9112, 5.2: refused or unfolded */
            return "a header line folded onto the one before (obs-fold)";
        if (strcasecmp(name, "Transfer-Encoding") == 0) {
            chunked = true;
        } else if (strcasecmp(name, "Content-Length") == 0) {
            if (!v[0] || strspn(v, "0123456789") != strlen(v))
                return "Content-Length must be a decimal number";
            if (len && strcmp(len, v) != 0) return "two different Content-Length headers";
            len = v;
        }
    }
    return chunked && len ? "Content-Length together with Transfer-Encoding" : NULL;
}

/* Paths our request handlers answer (http_handle) and the WebSocket: a path
 * equal to one or below it. Every other path is a file of the web root. */
static const char *const handled_paths[] = {"/api", "/ws", "/metrics", "/healthz"};

/* The dashboard's files (web/): the pages and the stylesheet at the top, its
 * modules in js/, the chart library in vendor/. Nothing else under the web
 * root is served -- not package.json, the lock file, node_modules or dot
 * files -- and a file name is plain: letters, digits, '.', '_', '-', not
 * starting with '.'. */
static const struct {
    const char *dir, *ext;
} web_files[] = {{"/", ".html"}, {"/", ".css"}, {"/js/", ".js"}, {"/vendor/", ".js"}};

static bool path_handled(const char *path)
{
    for (size_t i = 0; i < sizeof handled_paths / sizeof handled_paths[0]; i++) {
        size_t n = strlen(handled_paths[i]);
        if (strncmp(path, handled_paths[i], n) == 0 && (path[n] == 0 || path[n] == '/'))
            return true;
    }
    return false;
}

static bool path_is_web_file(const char *path)
{
    if (strcmp(path, "/") == 0) return true; /* index.html */
    for (size_t i = 0; i < sizeof web_files / sizeof web_files[0]; i++) {
        size_t dl = strlen(web_files[i].dir), el = strlen(web_files[i].ext);
        if (strncmp(path, web_files[i].dir, dl) != 0) continue;
        const char *name = path + dl;
        size_t n = strlen(name);
        if (n > el && name[0] != '.' && strcmp(name + n - el, web_files[i].ext) == 0 &&
            strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n)
            return true;
    }
    return false;
}

int http_conn_error(http_conn *c, int status, const char *name, int code, const char *extra,
                    const char *msg)
{
    req r;
    memset(&r, 0, sizeof r);
    r.conn = c;
    r.method = c->method ? c->method : "-";
    snprintf(r.path, sizeof r.path, "%s", c->path ? c->path : "/");
    if (status == 400) /* the rest of the connection cannot be trusted */
        r.close = true;
    char m[256];
    snprintf(m, sizeof m, "%s", msg);
    http_utf8_clean(m);
    json_t *o = json_pack("{s:s, s:i, s:s}", "error", name, "code", code, "message", m);
    return http_json(&r, status, o, extra);
}

/* The checks before any handler: -1 to go on to the handler, 0 to serve a
 * file, else the status answered. */
int http_static_check(http_conn *c)
{
    const char *why = framing_problem(c);
    if (why) return http_conn_error(c, 400, "bad_request", HTTP_E_BAD_REQUEST, NULL, why);
    const char *path = c->path ? c->path : "/";
    if (path_handled(path)) return -1;
    if (!path_is_web_file(path))
        return http_conn_error(c, 404, "not_found", HTTP_E_NOT_FOUND, NULL, "no such file");
    const char *m = c->method ? c->method : "";
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) /* a file server could offer PUT, DELETE */
        return http_conn_error(c, 405, "method_not_allowed", HTTP_E_METHOD, "Allow: GET, HEAD",
                               "the dashboard's files are read-only: GET or HEAD");
    return 0;
}

int http_dispatch(server *s, http_conn *c)
{
    int st = http_static_check(c);
    if (st >= 0) return st;
    http_handler fn = http_route(c->path);
    if (!fn)
        return http_conn_error(c, 404, "not_found", HTTP_E_NOT_FOUND, NULL, "no such resource");
    return fn(c, s);
}
