/* client.c -- HTTP to cetsd: where the server is, who we are, one request.
 *
 * Server and token are looked up flag first, then $CETS_SERVER/$CETS_TOKEN,
 * then the profile file, so a script can override a saved login without
 * touching it. One libcurl handle is kept for the life of the process, so
 * the commands that make several requests reuse the connection. API errors
 * are printed by their reason name (what scripts switch on), transport
 * errors by the address we could not reach.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "core/jsonin.h"

#define DEFAULT_SERVER "http://127.0.0.1:8080"

static char profile_server[512], profile_token[256];

static const char *profile_path(char *buf, size_t len)
{
    const char *p = getenv("CETS_PROFILE");
    if (p && *p) return p;
    const char *home = getenv("HOME");
    snprintf(buf, len, "%s/.config/cets/profile", home && *home ? home : ".");
    return buf;
}

/* "key = value" lines; '#' comments; unknown keys are ignored (a newer cets
 * may have written them). */
static void profile_load(void)
{
    char path[1024];
    FILE *f = fopen(profile_path(path, sizeof path), "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq) continue;
        char *k = line, *v = eq + 1;
        *eq = '\0';
        while (*k == ' ' || *k == '\t') k++;
        for (char *e = eq - 1; e >= k && (*e == ' ' || *e == '\t'); e--) *e = '\0';
        while (*v == ' ' || *v == '\t') v++;
        v[strcspn(v, " \t\r\n")] = '\0';
        if (strcmp(k, "server") == 0) snprintf(profile_server, sizeof profile_server, "%s", v);
        if (strcmp(k, "token") == 0) snprintf(profile_token, sizeof profile_token, "%s", v);
    }
    fclose(f);
}

void cl_resolve(cl_opts *o)
{
    profile_load();
    const char *e;
    if (!o->server) o->server = (e = getenv("CETS_SERVER")) && *e ? e : NULL;
    if (!o->server) o->server = profile_server[0] ? profile_server : DEFAULT_SERVER;
    if (!o->token) o->token = (e = getenv("CETS_TOKEN")) && *e ? e : NULL;
    if (!o->token && profile_token[0]) o->token = profile_token;
}

int cl_parse(const char *usage, int argc, char **argv, cl_opts *o, const cli_flag *extra,
             int nextra, const char **pos, int minpos, int maxpos)
{
    for (int i = 1; i < argc; i++) /* errors as JSON from the first one on */
        if (strcmp(argv[i], "--json") == 0) cli_errors_json = true;
    cli_flag flags[16] = {CL_COMMON_FLAGS(*o)};
    if (nextra > 13) nextra = 13;
    for (int i = 0; i < nextra; i++) flags[3 + i] = extra[i];
    int n = cli_parse(usage, argc, argv, flags, 3 + nextra, pos, maxpos);
    if (n == -2) return CLI_OK;
    if (n < 0) return CLI_USAGE;
    if (n < minpos) return cli_usage_error(usage, "missing arguments");
    cl_resolve(o);
    return -1;
}

static int mkdir_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST) return -1;
    }
    return 0;
}

int cl_profile_save(const char *server, const char *token)
{
    char buf[1024], path[1024], tmp[1100];
    snprintf(path, sizeof path, "%s", profile_path(buf, sizeof buf));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* The token is a password: created 0600, written to a temporary file
     * first so a crash never leaves half a profile. */
    if (mkdir_parents(tmp) != 0) goto fail;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) goto fail;
    if (fchmod(fd, 0600) != 0) {
        close(fd);
        goto fail;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        goto fail;
    }
    fprintf(f, "# cets profile: written by `cets login`\nserver = %s\n", server);
    if (token) fprintf(f, "token = %s\n", token);
    if (fclose(f) != 0 || rename(tmp, path) != 0) goto fail;
    return CLI_OK;
fail:
    fprintf(stderr, "cets: cannot write the profile %s: %s\n", path, strerror(errno));
    return CLI_FAIL;
}

/* ---- one request --------------------------------------------------------- */

typedef struct growbuf {
    char *p;
    size_t n, cap;
} growbuf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    growbuf *b = ud;
    size_t len = size * nmemb;
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) return 0; /* libcurl then fails the transfer */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

static CURL *handle(void)
{
    static CURL *h;
    if (!h) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        h = curl_easy_init();
        if (!h) {
            fputs("cets: cannot start libcurl\n", stderr);
            exit(CLI_FAIL);
        }
    }
    return h;
}

void cl_error(const cl_opts *o, const char *reason, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (o && o->json) {
        json_t *j = json_pack("{s:s,s:s}", "error", reason, "message", msg);
        if (!j) j = json_pack("{s:s,s:s}", "error", reason, "message", "(not UTF-8)");
        json_dumpf(j, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(j);
    } else {
        fprintf(stderr, "cets: %s\n", msg);
    }
}

/* An API error by its reason name; a bad file's line-numbered errors one per
 * line. Under --json the answer is printed as it came (one line). */
static void api_error(const cl_opts *o, long status, const char *body)
{
    json_t *j = body ? jsonin_loadb(body, strlen(body), 0, &(json_error_t){0}) : NULL;
    const char *reason = json_string_value(json_object_get(j, "error"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *field = json_string_value(json_object_get(j, "field"));
    if (o->json && reason) {
        json_dumpf(j, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    } else if (reason) {
        fprintf(stderr, "cets: %s: %s", reason, msg ? msg : "");
        if (field) fprintf(stderr, " (field: %s)", field);
        fputc('\n', stderr);
        const json_t *errs = json_object_get(j, "errors"); /* a file's bad lines */
        for (size_t i = 0; i < json_array_size(errs); i++)
            fprintf(stderr, "  %s\n", json_string_value(json_array_get(errs, i)));
    } else {
        cl_error(o, "bad_answer", "the server answered HTTP %ld%s%.200s", status,
                 body && *body ? ": " : "", body ? body : "");
    }
    json_decref(j);
}

/* One request; payload (plen bytes, may be NULL) of Content-Type type, the
 * answer asked for as accept. CLI_OK with the 2xx answer's body in *body
 * (malloc'd, NULL when empty); else the error is printed and CLI_FAIL. */
static int cl_http(const cl_opts *o, const char *method, const char *path, const char *type,
                   const char *payload, size_t plen, const char *accept, char **body)
{
    /* static: libcurl keeps the pointer in the handle between requests */
    static char errbuf[CURL_ERROR_SIZE];
    *body = NULL;
    CURL *h = handle();
    char url[2048], auth[400], ctype[128], accept_hdr[128];
    size_t slen = strlen(o->server);
    while (slen && o->server[slen - 1] == '/') slen--;
    snprintf(url, sizeof url, "%.*s/api/v1%s", (int)slen, o->server, path);
    snprintf(accept_hdr, sizeof accept_hdr, "Accept: %s", accept);
    struct curl_slist *hdr = curl_slist_append(NULL, accept_hdr);
    if (type) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", type);
        hdr = curl_slist_append(hdr, ctype);
    }
    if (o->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
        hdr = curl_slist_append(hdr, auth);
    }
    growbuf resp = {0};
    errbuf[0] = '\0';
    curl_easy_reset(h); /* keeps the connection cache: the keep-alive survives */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cets/0.1");
    if (payload) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)plen);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        const char *why = rc == CURLE_COULDNT_CONNECT ? "connection refused"
                          : errbuf[0]                 ? errbuf
                                                      : curl_easy_strerror(rc);
        if (!o->quiet)
            cl_error(o, "unreachable", "cannot reach %.*s: %s", (int)slen, o->server, why);
        free(resp.p);
        return CLI_FAIL;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        if (!o->quiet) api_error(o, status, resp.p);
        free(resp.p);
        return CLI_FAIL;
    }
    *body = resp.p;
    return CLI_OK;
}

int cl_get_text(const cl_opts *o, const char *path, char **text)
{
    int rc = cl_http(o, "GET", path, NULL, NULL, 0, "text/csv, application/json", text);
    if (rc == CLI_OK && !*text) *text = strdup("");
    return rc;
}

int cl_call_raw(const cl_opts *o, const char *method, const char *path, const char *type,
                const char *payload, size_t plen, json_t **out)
{
    *out = NULL;
    growbuf resp = {0};
    int rc = cl_http(o, method, path, type, payload, plen, "application/json", &resp.p);
    if (rc != CLI_OK) return rc;
    resp.n = resp.p ? strlen(resp.p) : 0;
    json_error_t jerr;
    const char *text = resp.p ? resp.p : "null";
    *out = jsonin_loadb(text, strlen(text), JSON_DECODE_ANY, &jerr);
    if (!*out) {
        cl_error(o, "bad_answer", "the server's answer is not JSON: %s", jerr.text);
        free(resp.p);
        return CLI_FAIL;
    }
    if (o->json && resp.p) {
        fputs(resp.p, stdout);
        if (resp.n && resp.p[resp.n - 1] != '\n') fputc('\n', stdout);
    }
    free(resp.p);
    return CLI_OK;
}

int cl_call(const cl_opts *o, const char *method, const char *path, json_t *body, json_t **out)
{
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    int rc = cl_call_raw(o, method, path, payload ? "application/json" : NULL, payload,
                         payload ? strlen(payload) : 0, out);
    free(payload);
    return rc;
}

int cl_call_text(const cl_opts *o, const char *method, const char *path, const char *text,
                 const char *ctype, char **out)
{
    int rc = cl_http(o, method, path, text ? (ctype ? ctype : "text/csv") : NULL, text,
                     text ? strlen(text) : 0, "text/csv, application/json", out);
    if (rc == CLI_OK && !*out) *out = strdup("");
    return rc;
}

/* ---- small helpers for the commands -------------------------------------- */

const char *cl_escape(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            buf[n++] = (char)*p;
        else
            n += (size_t)snprintf(buf + n, len - n, "%%%02X", *p);
    }
    buf[n] = '\0';
    return buf;
}

/* Copy at most FMT_LEN-1 bytes without cutting a UTF-8 character. */
static void cell_copy(char *cell, const char *s)
{
    size_t n = strlen(s);
    if (n >= FMT_LEN) {
        n = FMT_LEN - 1;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(cell, s, n);
    cell[n] = '\0';
}

void cl_cell(char *cell, const json_t *obj, const char *key)
{
    const json_t *v = key ? json_object_get(obj, key) : obj;
    if (json_is_string(v))
        cell_copy(cell, json_string_value(v));
    else if (json_is_integer(v))
        snprintf(cell, FMT_LEN, "%lld", (long long)json_integer_value(v));
    else if (json_is_true(v))
        cell_copy(cell, "yes");
    else if (json_is_false(v))
        cell_copy(cell, "no");
    else if (json_is_array(v)) {
        char buf[FMT_LEN * 4] = "";
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) strncat(buf, ",", sizeof buf - strlen(buf) - 1);
            char one[FMT_LEN];
            cl_cell(one, json_array_get(v, i), NULL);
            strncat(buf, one, sizeof buf - strlen(buf) - 1);
        }
        cell_copy(cell, buf);
    } else
        cell_copy(cell, "-");
}

bool cl_is_amount(const char *s)
{
    size_t d = strspn(s, "0123456789");
    if (d == 0 || d > 13) return false;
    if (s[d] == '\0') return true;
    if (s[d] != '.') return false;
    size_t f = strspn(s + d + 1, "0123456789");
    return f >= 1 && f <= 2 && s[d + 1 + f] == '\0';
}

void cl_money_cell(char *cell, const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    bool neg = s && s[0] == '-';
    if (!s || !cl_is_amount(s + neg)) {
        cl_cell(cell, obj, key);
        return;
    }
    /* To fen, then the shared grouping formatter: one look for all money. */
    long long fen = 0;
    const char *p = s + neg;
    for (; *p && *p != '.'; p++) fen = fen * 10 + (*p - '0');
    int dec = 0;
    if (*p == '.')
        for (p++; *p; p++, dec++) fen = fen * 10 + (*p - '0');
    for (; dec < 2; dec++) fen *= 10;
    fmt_money(neg ? -fen : fen, cell);
}

bool cl_int_arg(const char *s, long long min, long long max, long long *out)
{
    if (!*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

void cl_print_fields(const json_t *obj, const cl_field *fields, int n)
{
    static const tcol cols[] = {{"项目", "Field", true}, {"内容", "Value", false}};
    table t;
    table_init(&t, cols, 2);
    for (int i = 0; i < n; i++) {
        char(*row)[FMT_LEN] = table_row(&t, false);
        char label[FMT_LEN * 2];
        snprintf(label, sizeof label, "%s %s", fields[i].zh, fields[i].en);
        cell_copy(row[0], label);
        if (fields[i].kind == CF_MONEY)
            cl_money_cell(row[1], obj, fields[i].key);
        else if (fields[i].kind == CF_QTY)
            cl_qty_cell(row[1], obj, fields[i].key);
        else if (fields[i].kind == CF_TIME)
            cl_time_cell(row[1], obj, fields[i].key);
        else
            cl_cell(row[1], obj, fields[i].key);
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

/* ---- values for people --------------------------------------------------------- */

const char *cl_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

void cl_qty_cell(char *cell, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        fmt_int((int64_t)json_integer_value(v), cell);
    else
        cl_cell(cell, obj, key);
}

bool cl_parse_time(const char *s, int64_t *unix_s)
{
    struct tm tm = {0};
    int n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    const char *p = s + n;
    if (*p == '.') p += 1 + strspn(p + 1, "0123456789");
    if (strcmp(p, "Z") != 0) return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *unix_s = (int64_t)timegm(&tm);
    return true;
}

void cl_time_text(int64_t unix_s, char *cell)
{
    time_t t = (time_t)(unix_s + CL_TZ_OFFSET_S);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(cell, FMT_LEN, "%Y-%m-%d %H:%M:%S", &tm);
}

void cl_time_cell(char *cell, const json_t *obj, const char *key)
{
    int64_t t;
    if (cl_parse_time(json_string_value(json_object_get(obj, key)), &t))
        cl_time_text(t, cell);
    else
        cl_cell(cell, obj, key);
}

bool cl_local_time(const char *s, int64_t *unix_s)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &n) != 5 &&
        sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &n) != 5)
        return false;
    const char *p = s + n;
    if (*p == ':') {
        int k = 0;
        if (sscanf(p, ":%2d%n", &tm.tm_sec, &k) != 1) return false;
        p += k;
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *unix_s = (int64_t)timegm(&tm) - CL_TZ_OFFSET_S;
    return true;
}

/* What is wrong with a price or amount as typed, or NULL when it is one. */
static const char *amount_problem(const char *s)
{
    if (!*s) return "it is empty";
    if (s[0] == '-') return "it must be positive";
    if (s[0] == '+') return "give it without a sign";
    const char *dot = strchr(s, '.');
    size_t d = strspn(s, "0123456789");
    if (d == 0 && !(dot == s && s[1])) return "it must be digits, e.g. 75.00";
    if (dot && strspn(dot + 1, "0123456789") > 2 && !dot[1 + strspn(dot + 1, "0123456789")])
        return "it has more than two decimals: prices and money are in CNY with at most two "
               "decimals (the tick is 0.01)";
    if (strchr(s, ',')) return "give it without thousands separators";
    if (d > 13) return "it has more than 13 digits before the point";
    if (!cl_is_amount(s))
        return "it must be digits with an optional . and one or two decimals, "
               "e.g. 75.00";
    return NULL;
}

bool cl_amount_arg(const char *usage, const char *what, const char *s)
{
    const char *why = amount_problem(s);
    if (!why) return true;
    cli_usage_error(usage, "bad %s '%s': %s", what, s, why);
    return false;
}

bool cl_qty_arg(const char *usage, const char *what, const char *s, long long min, long long max,
                long long *out)
{
    if (cl_int_arg(s, min, max, out)) return true;
    long long v;
    if (cl_int_arg(s, INT64_MIN, INT64_MAX, &v) && v < min)
        cli_usage_error(usage, "bad %s '%s': it must be at least %lld", what, s, min);
    else if (cl_int_arg(s, INT64_MIN, INT64_MAX, &v))
        cli_usage_error(usage, "bad %s '%s': it must be at most %lld", what, s, max);
    else if (strchr(s, '.'))
        cli_usage_error(usage, "bad %s '%s': it is a whole number of tonnes", what, s);
    else
        cli_usage_error(usage, "bad %s '%s': it must be a whole number from %lld to %lld", what, s,
                        min, max);
    return false;
}

long long cl_fen(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s) return 0;
    bool neg = s[0] == '-';
    long long fen = 0;
    const char *p = s + neg;
    for (; *p >= '0' && *p <= '9'; p++) fen = fen * 10 + (*p - '0');
    int dec = 0;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9' && dec < 2; p++, dec++) fen = fen * 10 + (*p - '0');
    for (; dec < 2; dec++) fen *= 10;
    return neg ? -fen : fen;
}

int cl_take_repeated(const char *usage, const char *flag, int argc, char **argv, const char **vals,
                     int cap, char **rest, int *nrest)
{
    size_t fl = strlen(flag);
    int n = 0;
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        if (i > 0 && strcmp(argv[i], flag) == 0) {
            if (i + 1 >= argc) {
                cli_usage_error(usage, "%s needs a value", flag);
                return -1;
            }
            v = argv[++i];
        } else if (i > 0 && strncmp(argv[i], flag, fl) == 0 && argv[i][fl] == '=') {
            v = argv[i] + fl + 1;
        }
        if (!v) {
            rest[(*nrest)++] = argv[i];
        } else if (n == cap) {
            cli_usage_error(usage, "%s may be given at most %d times", flag, cap);
            return -1;
        } else {
            vals[n++] = v;
        }
    }
    rest[*nrest] = NULL;
    return n;
}

bool cl_pid_arg(const char *usage, const char *s, long long *id)
{
    return cl_qty_arg(usage, "participant id", s, 1, UINT32_MAX - 1, id);
}

long long cl_my_participant(const cl_opts *o)
{
    json_t *me;
    if (cl_call(&(cl_opts){o->server, o->token, false, o->quiet}, "GET", "/me", NULL, &me))
        return 0;
    long long p = json_integer_value(json_object_get(me, "participant"));
    json_decref(me);
    return p;
}

int cl_trading_year(const cl_opts *o)
{
    json_t *m;
    if (cl_call(&(cl_opts){o->server, o->token, false, o->quiet}, "GET", "/market", NULL, &m))
        return 0;
    const char *d = json_string_value(json_object_get(m, "date"));
    int y = d ? atoi(d) : 0;
    json_decref(m);
    return y;
}
