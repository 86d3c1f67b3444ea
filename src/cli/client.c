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

static void api_error(long status, const char *body)
{
    json_t *j = body ? jsonin_loadb(body, strlen(body), 0, &(json_error_t){0}) : NULL;
    const char *reason = json_string_value(json_object_get(j, "error"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *field = json_string_value(json_object_get(j, "field"));
    if (reason) {
        fprintf(stderr, "cets: %s: %s", reason, msg ? msg : "");
        if (field) fprintf(stderr, " (field: %s)", field);
        fputc('\n', stderr);
        const json_t *errs = json_object_get(j, "errors"); /* a file's bad lines */
        for (size_t i = 0; i < json_array_size(errs); i++)
            fprintf(stderr, "  %s\n", json_string_value(json_array_get(errs, i)));
    } else {
        fprintf(stderr, "cets: the server answered HTTP %ld%s%.200s\n", status,
                body && *body ? ": " : "", body ? body : "");
    }
    json_decref(j);
}

/* One request; payload (may be NULL) of type ctype. CLI_OK with the 2xx
 * answer's body in resp, else the error printed and CLI_FAIL. */
static int perform(const cl_opts *o, const char *method, const char *path, const char *payload,
                   const char *ctype, const char *accept, growbuf *resp)
{
    /* static: libcurl keeps the pointer in the handle between requests */
    static char errbuf[CURL_ERROR_SIZE];
    CURL *h = handle();
    char url[2048], auth[400], accept_hdr[80], ctype_hdr[80];
    size_t slen = strlen(o->server);
    while (slen && o->server[slen - 1] == '/') slen--;
    snprintf(url, sizeof url, "%.*s/api/v1%s", (int)slen, o->server, path);
    snprintf(accept_hdr, sizeof accept_hdr, "Accept: %s", accept);
    struct curl_slist *hdr = curl_slist_append(NULL, accept_hdr);
    if (payload) {
        snprintf(ctype_hdr, sizeof ctype_hdr, "Content-Type: %s", ctype);
        hdr = curl_slist_append(hdr, ctype_hdr);
    }
    if (o->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
        hdr = curl_slist_append(hdr, auth);
    }
    errbuf[0] = '\0';
    curl_easy_reset(h); /* keeps the connection cache: the keep-alive survives */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cets/0.1");
    if (payload) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        const char *why = rc == CURLE_COULDNT_CONNECT ? "connection refused"
                          : errbuf[0]                 ? errbuf
                                                      : curl_easy_strerror(rc);
        fprintf(stderr, "cets: cannot reach %.*s: %s\n", (int)slen, o->server, why);
        return CLI_FAIL;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        api_error(status, resp->p);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cl_call(const cl_opts *o, const char *method, const char *path, json_t *body,
            json_t **out)
{
    *out = NULL;
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    growbuf resp = {0};
    int rc = perform(o, method, path, payload, "application/json", "application/json", &resp);
    free(payload);
    if (rc != CLI_OK) {
        free(resp.p);
        return rc;
    }
    json_error_t jerr;
    const char *text = resp.p ? resp.p : "null";
    *out = jsonin_loadb(text, strlen(text), JSON_DECODE_ANY, &jerr);
    if (!*out) {
        fprintf(stderr, "cets: the server's answer is not JSON: %s\n", jerr.text);
        free(resp.p);
        return CLI_FAIL;
    }
    if (o->json) {
        fputs(resp.p, stdout);
        if (resp.n && resp.p[resp.n - 1] != '\n') fputc('\n', stdout);
    }
    free(resp.p);
    return CLI_OK;
}

int cl_call_text(const cl_opts *o, const char *method, const char *path, const char *text,
                 const char *ctype, char **out)
{
    growbuf resp = {0};
    int rc = perform(o, method, path, text, ctype ? ctype : "text/csv", "text/csv, application/json",
                     &resp);
    if (rc != CLI_OK) {
        free(resp.p);
        *out = NULL;
        return rc;
    }
    *out = resp.p ? resp.p : strdup("");
    return CLI_OK;
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
        if (fields[i].money)
            cl_money_cell(row[1], obj, fields[i].key);
        else
            cl_cell(row[1], obj, fields[i].key);
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}
