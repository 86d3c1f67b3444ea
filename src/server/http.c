/* http.c -- see http.h.
 *
 * Bodies are checked before anything is submitted: size first (413 without
 * reading more than max_body + 1 bytes), then JSON syntax, then the set of
 * keys (an unknown key is refused, so a misspelt optional field such as
 * "client_order_idd" cannot silently turn off idempotency), then each field's
 * type. Only a request that passes all of it becomes a command.
 *
 * Before any handler runs, begin_request checks what civetweb would let
 * through: a body framed two ways (Content-Length with Transfer-Encoding, two
 * lengths) is refused and the connection closed, and outside the handlers'
 * paths only the dashboard's own files are served, read-only. civetweb's own
 * error answers go out in the same JSON shape as ours.
 *
 * The request log is written from civetweb's end_request callback, which
 * knows the final status whoever answered (our handlers, the authentication
 * helper, the static file server); a thread-local holds the start time and
 * the user, since civetweb runs one request at a time per worker thread.
 */
#include "http.h"

#include <civetweb.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cets/errors.h"
#include "core/jsonin.h"
#include "core/log.h"

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

bool http_begin(req *r, server *s, struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    memset(r, 0, sizeof *r);
    r->s = s;
    r->conn = conn;
    r->method = ri->request_method ? ri->request_method : "";
    r->query = ri->query_string;
    snprintf(r->path, sizeof r->path, "%s", ri->local_uri ? ri->local_uri : "/");
    const char *p = r->path;
    if (strncmp(p, "/api/v1/", 8) == 0)
        p += 8;
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

bool http_is(const req *r, const char *method) { return strcmp(r->method, method) == 0; }

/* ---- answers ------------------------------------------------------------- */

/* Does the client want the connection kept open after this answer? */
static bool keep_alive(struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *c = mg_get_header(conn, "Connection");
    if (ri->http_version && strcmp(ri->http_version, "1.1") == 0)
        return !c || strcasecmp(c, "close") != 0;
    return c && strcasecmp(c, "keep-alive") == 0;
}

/* Reason phrases as RFC 9110 names them: civetweb's table has typos
 * ("Unproccessable entity" for 422). Others fall back to civetweb's. */
static const struct {
    int status;
    const char *text;
} status_texts[] = {
    {200, "OK"},           {201, "Created"},          {202, "Accepted"},
    {204, "No Content"},   {400, "Bad Request"},      {401, "Unauthorized"},
    {403, "Forbidden"},    {404, "Not Found"},        {405, "Method Not Allowed"},
    {409, "Conflict"},     {413, "Content Too Large"}, {422, "Unprocessable Content"},
    {429, "Too Many Requests"}, {500, "Internal Server Error"}, {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

const char *http_status_text(int status)
{
    for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++)
        if (status_texts[i].status == status)
            return status_texts[i].text;
    return mg_get_response_code_text(NULL, status);
}

/* The whole answer goes out in one write: civetweb's header functions send
 * each header line as its own write, which with TCP_NODELAY (needed, see
 * service.c) is a packet per line. */
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
    if (r->answered) {
        log_error("http", "msg=\"second answer to one request\" path=%s", log_q(r->path));
        free(text);
        return status;
    }
    r->answered = true;
    r->status = status;
    const char *payload = text ? text : "null";
    size_t n = strlen(payload);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    size_t el = extra ? strlen(extra) : 0;
    const char *eol = el >= 2 && !strcmp(extra + el - 2, "\r\n") ? "" : el ? "\r\n" : "";
    char *head = NULL;
    int hn = asprintf(&head,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nCache-Control: no-store\r\nDate: %s\r\n"
                      "Connection: %s\r\n%s%s\r\n",
                      status, http_status_text(status), n, date,
                      !r->close && keep_alive(r->conn) ? "keep-alive" : "close", extra ? extra : "", eol);
    if (hn < 0) /* asprintf leaves head undefined then */
        head = NULL;
    size_t body_len = r->method && strcmp(r->method, "HEAD") == 0 ? 0 : n;
    char *all = head ? malloc((size_t)hn + body_len) : NULL;
    if (all) {
        memcpy(all, head, (size_t)hn);
        memcpy(all + hn, payload, body_len);
        mg_write(r->conn, all, (size_t)hn + body_len);
    }
    free(all);
    free(head);
    free(text);
    return status;
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
        int n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
              : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;
        int k = 1;
        while (k < n && (s[k] & 0xc0) == 0x80)
            k++;
        if (n > 1 && k < n && !s[k]) { /* cut short by the end */
            *s = 0;
            return;
        }
        if (k < n || (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) ||
            (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))))
            n = 0; /* broken, overlong, a surrogate, or past U+10FFFF */
        if (!n)
            *s = '?';
        s += n ? n : 1;
    }
}

static int error_v(req *r, int status, const char *name, int code, const char *field,
                   const char *extra, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    http_utf8_clean(msg);
    json_t *o = json_pack("{s:s, s:i, s:s}", "error", name, "code", code, "message", msg);
    if (field)
        json_object_set_new(o, "field", json_string(field));
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

int http_reject(req *r, const cets_cmd *cmd, int code, const char *extra)
{
    int status = code == CETS_JOURNAL_FAILED || code == CETS_NOT_LEADER ? 503
                 : code == CETS_DUPLICATE_REQUEST                      ? 409
                                                                       : 422;
    /* the message names the refusing rule's configured numbers (cets.h) */
    char msg[256];
    const cets_engine *e = cmd ? core_read_begin(r->s->core) : NULL;
    cets_reject_message(e, cmd, code, msg, sizeof msg);
    if (e)
        core_read_end(r->s->core);
    json_t *o = json_pack("{s:s, s:i, s:s}", "error", cets_reason_name(code), "code", code,
                          "message", msg);
    if (code == CETS_NOT_LEADER) { /* a standby names the leader */
        char leader[256];
        core_get_leader(r->s->core, leader, sizeof leader);
        json_object_set_new(o, "leader", leader[0] ? json_string(leader) : json_null());
    }
    return http_json(r, status, o, extra);
}

int http_reason(req *r, int code, const char *extra) { return http_reject(r, NULL, code, extra); }

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

static char *read_body(req *r, size_t *len)
{
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    size_t max = r->max_body ? r->max_body : (size_t)r->s->cfg.max_body;
    if (ri->content_length > (long long)max) {
        /* civetweb reads and drops an unread body to keep the connection; for
         * a huge one, close the connection instead of spending a worker on it */
        if (ri->content_length > (long long)max + (1 << 20)) {
            r->close = true;
            mg_disable_connection_keep_alive(r->conn);
        }
        http_error(r, 413, "too_large", HTTP_E_TOO_LARGE, "the body is larger than %zu bytes", max);
        return NULL;
    }
    char *buf = malloc(max + 2);
    size_t n = 0;
    int got;
    while (buf && n <= max && (got = mg_read(r->conn, buf + n, max + 1 - n)) > 0)
        n += (size_t)got;
    if (!buf || n > max) {
        free(buf);
        http_error(r, 413, "too_large", HTTP_E_TOO_LARGE, "the body is larger than %zu bytes", max);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

json_t *http_body(req *r, const char *const fields[])
{
    size_t n;
    char *buf = read_body(r, &n);
    if (!buf)
        return NULL;
    json_error_t je;
    json_t *o = n ? jsonin_loadb(buf, n, JSON_REJECT_DUPLICATES, &je) : NULL;
    free(buf);
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
    json_object_foreach(o, k, v) {
        bool known = false;
        for (int i = 0; fields[i] && !known; i++)
            known = strcmp(fields[i], k) == 0;
        if (!known) {
            char name[128];
            snprintf(name, sizeof name, "%s%.95s", prefix ? prefix : "", k);
            http_utf8_clean(name); /* the cut may split a character */
            json_t *e = json_pack("{s:s, s:i, s:s, s:s}", "error", "unknown_field", "code",
                                  HTTP_E_UNKNOWN_FIELD, "message", "this field is not part of the request",
                                  "field", name);
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
    if (*v && json_is_null(*v) && !required)
        *v = NULL;
    if (!*v && required) {
        http_field_error(r, k, "\"%s\" is required", k);
        return false;
    }
    return true;
}

bool http_str(req *r, json_t *o, const char *k, bool required, size_t maxlen, const char **out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v))
        return false;
    if (!v)
        return true;
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
    if (!field_get(r, o, k, required, &v))
        return false;
    if (!v)
        return true;
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
    if (!field_get(r, o, k, required, &v))
        return false;
    if (!v)
        return true;
    if (!json_is_string(v) || http_parse_money(json_string_value(v), out) != 0) {
        http_field_error(r, k,
                         "\"%s\" must be a decimal string such as \"51.23\" (at most two decimals, no sign)",
                         k);
        return false;
    }
    return true;
}

bool http_bool(req *r, json_t *o, const char *k, bool required, bool *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v))
        return false;
    if (!v)
        return true;
    if (!json_is_boolean(v)) {
        http_field_error(r, k, "\"%s\" must be true or false", k);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool http_enum(req *r, json_t *o, const char *k, bool required, const char *const names[],
               int *out)
{
    json_t *v;
    if (!field_get(r, o, k, required, &v))
        return false;
    if (!v)
        return true;
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
    if (!field_get(r, o, k, required, &v))
        return false;
    if (!v)
        return true;
    if (!json_is_string(v) || http_parse_date(json_string_value(v), out) != 0) {
        http_field_error(r, k, "\"%s\" must be a date \"YYYY-MM-DD\"", k);
        return false;
    }
    return true;
}

int http_query_str(req *r, const char *name, char *buf, size_t len)
{
    if (!r->query)
        return 0;
    char tmp[256];
    /* civetweb: -1 absent, -2 longer than the buffer (it must not pass for
     * absent: "?limit=" and 40 digits used to be silently the default) */
    int n = mg_get_var(r->query, strlen(r->query), name, tmp, len < sizeof tmp ? len : sizeof tmp);
    if (n == -1)
        return 0;
    if (n < 0) {
        http_field_error(r, name, "\"%s\" is longer than %zu bytes", name,
                         (len < sizeof tmp ? len : sizeof tmp) - 1);
        return -1;
    }
    snprintf(buf, len, "%s", tmp);
    return 1;
}

bool http_query_int(req *r, const char *name, int64_t def, int64_t min, int64_t max,
                    int64_t *out)
{
    char buf[32], *end;
    *out = def;
    int q = http_query_str(r, name, buf, sizeof buf);
    if (q <= 0)
        return q == 0;
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
        if (!isdigit((unsigned char)s[0]))
            return -1;
        cents = (s[0] - '0') * 10;
        s++;
        if (isdigit((unsigned char)*s))
            cents += *s++ - '0';
    }
    if (*s)
        return -1;
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
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *date = y * 10000 + m * 100 + d;
    return 0;
}

/* ---- plumbing ------------------------------------------------------------ */

void http_note_user(const char *user) { snprintf(tl.user, sizeof tl.user, "%s", user); }

void http_status_counts(uint64_t out[600])
{
    for (int i = 0; i < 600; i++)
        out[i] = __atomic_load_n(&status_counts[i], __ATOMIC_RELAXED);
}

/* ---- before any handler: framing and what may be served ------------------ */

/* Why the body of this request is not framed one way only, or NULL. With
 * Content-Length and Transfer-Encoding together, or two lengths, a proxy in
 * front and we could each read a different request out of the same bytes
 * (request smuggling); civetweb would quietly pick one. */
static const char *framing_problem(const struct mg_request_info *ri)
{
    const char *len = NULL;
    bool chunked = false;
    for (int i = 0; i < ri->num_headers; i++) {
        const char *name = ri->http_headers[i].name, *v = ri->http_headers[i].value;
        if (strcasecmp(name, "Transfer-Encoding") == 0) {
            chunked = true;
        } else if (strcasecmp(name, "Content-Length") == 0) {
            if (!v[0] || strspn(v, "0123456789") != strlen(v))
                return "Content-Length must be a decimal number";
            if (len && strcmp(len, v) != 0)
                return "two different Content-Length headers";
            len = v;
        }
    }
    return chunked && len ? "Content-Length together with Transfer-Encoding" : NULL;
}

/* Paths our request handlers answer (api_*_register, metrics_register,
 * ws_register): a path equal to one or below it. Every other path is a file
 * of the web root. */
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
    if (strcmp(path, "/") == 0)
        return true; /* index.html */
    for (size_t i = 0; i < sizeof web_files / sizeof web_files[0]; i++) {
        size_t dl = strlen(web_files[i].dir), el = strlen(web_files[i].ext);
        if (strncmp(path, web_files[i].dir, dl) != 0)
            continue;
        const char *name = path + dl;
        size_t n = strlen(name);
        if (n > el && name[0] != '.' && strcmp(name + n - el, web_files[i].ext) == 0 &&
            strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n)
            return true;
    }
    return false;
}

/* Answer from begin_request (no handler has run); returns the status, which
 * civetweb then takes as handled. */
static int begin_refuse(struct mg_connection *conn, const struct mg_request_info *ri, int status,
                        const char *name, int code, const char *extra, const char *msg)
{
    req r;
    memset(&r, 0, sizeof r);
    r.conn = conn;
    r.method = ri->request_method;
    snprintf(r.path, sizeof r.path, "%s", ri->local_uri ? ri->local_uri : "/");
    if (status == 400) { /* the rest of the connection cannot be trusted */
        r.close = true;
        mg_disable_connection_keep_alive(conn);
    }
    char m[256];
    snprintf(m, sizeof m, "%s", msg);
    json_t *o = json_pack("{s:s, s:i, s:s}", "error", name, "code", code, "message", m);
    return http_json(&r, status, o, extra);
}

static int on_begin(struct mg_connection *conn)
{
    tl.t0 = mono_ns();
    tl.user[0] = 0;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *why = framing_problem(ri);
    if (why)
        return begin_refuse(conn, ri, 400, "bad_request", HTTP_E_BAD_REQUEST, NULL, why);
    const char *path = ri->local_uri ? ri->local_uri : "/";
    if (path_handled(path))
        return 0; /* let civetweb route the request to its handler */
    if (!path_is_web_file(path))
        return begin_refuse(conn, ri, 404, "not_found", HTTP_E_NOT_FOUND, NULL, "no such file");
    const char *m = ri->request_method ? ri->request_method : "";
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) /* civetweb would offer PUT, DELETE */
        return begin_refuse(conn, ri, 405, "method_not_allowed", HTTP_E_METHOD, "Allow: GET, HEAD",
                            "the dashboard's files are read-only: GET or HEAD");
    return 0; /* civetweb serves the file */
}

static void on_end(const struct mg_connection *conn, int status)
{
    int64_t us = (mono_ns() - tl.t0) / 1000;
    if (status >= 100 && status < 600)
        __atomic_fetch_add(&status_counts[status], 1, __ATOMIC_RELAXED);
    const struct mg_request_info *ri = mg_get_request_info(conn);
    /* One line per request would drown the log (a dashboard polls): at debug,
     * except the operator's changes (who asked is their record) at info and
     * server errors at warn. */
    const char *m = ri->request_method ? ri->request_method : "-";
    const char *uri = ri->local_uri ? ri->local_uri : "-";
    log_level lv = status >= 500 ? LOG_WARN
                   : strncmp(uri, "/api/v1/admin/", 14) == 0 && strcmp(m, "GET") != 0 ? LOG_INFO
                                                                                       : LOG_DEBUG;
    log_write(lv, "http", "method=%s path=%s status=%d us=%lld user=%s remote=%s", log_q(m),
              log_q(uri), status, (long long)us, log_q(tl.user[0] ? tl.user : "-"),
              log_q(ri->remote_addr));
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
    const struct mg_request_info *ri = mg_get_request_info(conn);
    req r;
    memset(&r, 0, sizeof r);
    r.conn = conn;
    r.method = ri && ri->request_method ? ri->request_method : "-";
    snprintf(r.path, sizeof r.path, "%s", ri && ri->local_uri ? ri->local_uri : "-");
    if (status == 404)
        http_not_found(&r, "no such resource");
    else if (status == 405)
        http_bad_method(&r);
    else
        http_error(&r, status, status == 413 ? "too_large" : "bad_request",
                   status == 413 ? HTTP_E_TOO_LARGE : HTTP_E_BAD_REQUEST, "%s", msg ? msg : "error");
    return 0;
}

void http_set_callbacks(struct mg_callbacks *cb)
{
    cb->begin_request = on_begin;
    cb->end_request = on_end;
    cb->log_message = on_log;
    cb->http_error = on_http_error;
}
