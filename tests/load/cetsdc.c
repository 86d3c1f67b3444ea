/* cetsdc.c -- see cetsdc.h. */
#include "cetsdc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char base_url[64]; /* of the cetsd now running */

void cetsdc_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAILED: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

double cetsdc_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void cetsdc_sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

long cetsdc_env(const char *name, long def)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : def;
}

/* ---- requests ---------------------------------------------------------------- */

typedef struct growbuf {
    char *p;
    size_t n;
} growbuf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    growbuf *b = ctx;
    size_t k = size * nmemb;
    char *p = realloc(b->p, b->n + k + 1);
    if (!p) return 0;
    memcpy(p + b->n, data, k);
    b->p = p;
    b->n += k;
    b->p[b->n] = 0;
    return k;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    size_t k = size * nmemb;
    if (k >= 23 && strncasecmp(data, "Idempotent-Replay: true", 23) == 0) *(bool *)ctx = true;
    return k;
}

long cetsdc_http(CURL *c, const char *method, const char *path, const char *token, const char *body,
                 cresp *out)
{
    char url[512], authz[300];
    growbuf b = {0};
    memset(out, 0, sizeof *out);
    snprintf(url, sizeof url, "%s%s", base_url, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        snprintf(authz, sizeof authz, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, authz);
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->replay);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    double t0 = cetsdc_now();
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->ms = (cetsdc_now() - t0) * 1e3;
    curl_slist_free_all(h);
    out->json = b.p ? json_loads(b.p, JSON_DECODE_ANY, NULL) : NULL;
    free(b.p);
    return out->status;
}

long long cj_int(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

const char *cj_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

json_t *cetsdc_must(CURL *c, const char *method, const char *path, const char *token,
                    const char *body, long want)
{
    cresp r;
    if (cetsdc_http(c, method, path, token, body, &r) != want)
        cetsdc_die("%s %s: status %ld, want %ld: %s", method, path, r.status, want,
                   r.json ? cj_str(r.json, "message") : "(no body)");
    return r.json;
}

/* ---- the process ----------------------------------------------------------------- */

void cetsd_prepare(cetsd_proc *d, const char *bin, const char *tmp, const char *conf_extra)
{
    memset(d, 0, sizeof *d);
    d->bin = bin;
    mkdir(tmp, 0755);
    snprintf(d->dir, sizeof d->dir, "%s/cetsd-load-XXXXXX", tmp);
    if (!mkdtemp(d->dir)) cetsdc_die("mkdtemp %s: %s", d->dir, strerror(errno));
    snprintf(d->conf, sizeof d->conf, "%s.conf", d->dir);
    snprintf(d->log, sizeof d->log, "%s.log", d->dir);
    FILE *f = fopen(d->conf, "w");
    if (!f) cetsdc_die("%s: %s", d->conf, strerror(errno));
    fprintf(f, "# written by tests/load/cetsdc.c\nenforce_sessions = false\nlog_file = %s\n%s",
            d->log, conf_extra ? conf_extra : "");
    fclose(f);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        cetsdc_die("no free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static bool alive(cetsd_proc *d)
{
    int st;
    if (d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == d->pid) d->pid = 0;
    return d->pid > 0;
}

bool cetsd_healthz(CURL *c, uint64_t *seq, char hash[24])
{
    cresp r;
    if (cetsdc_http(c, "GET", "/healthz", NULL, NULL, &r) != 200) {
        json_decref(r.json);
        return false;
    }
    *seq = (uint64_t)cj_int(r.json, "seq");
    snprintf(hash, 24, "%s", cj_str(r.json, "state_hash"));
    json_decref(r.json);
    return true;
}

void cetsd_start(cetsd_proc *d, CURL *c)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!d->port || attempt > 0) /* the same port across restarts, unless it is taken */
            d->port = free_port();
        snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", d->port);
        char listen[64];
        snprintf(listen, sizeof listen, "127.0.0.1:%d", d->port);
        d->pid = fork();
        if (d->pid < 0) cetsdc_die("fork: %s", strerror(errno));
        if (d->pid == 0) {
            setenv("CETSD_ADMIN_PASSWORD", CETSDC_ADMIN_PASSWORD, 1);
            execl(d->bin, d->bin, "--config", d->conf, "--data", d->dir, "--listen", listen,
                  (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 500 && alive(d); i++) { /* 10 s */
            uint64_t seq;
            char hash[24];
            if (cetsd_healthz(c, &seq, hash)) return;
            cetsdc_sleep_ms(20);
        }
        if (alive(d)) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
        }
        d->pid = 0;
    }
    cetsdc_die("cetsd did not start; see %s", d->log);
}

int cetsd_signal(cetsd_proc *d, int sig)
{
    int st = 0;
    if (d->pid <= 0) return -1;
    kill(d->pid, sig);
    waitpid(d->pid, &st, 0);
    d->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void rm_tree(const char *dir)
{
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *de;
    while ((de = readdir(dd))) {
        char p[1200];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (unlink(p) != 0) rm_tree(p);
    }
    closedir(dd);
    rmdir(dir);
}

void cetsd_remove(cetsd_proc *d)
{
    rm_tree(d->dir);
    unlink(d->conf);
    unlink(d->log);
}

/* ---- the market ---------------------------------------------------------------------- */

void cetsd_market(CURL *c, trader *t, int n, char admin_out[160])
{
    char body[512], admin[160], session[160];
    json_t *j =
        cetsdc_must(c, "POST", "/api/v1/login", NULL,
                    "{\"username\":\"admin\",\"password\":\"" CETSDC_ADMIN_PASSWORD "\"}", 200);
    snprintf(admin, sizeof admin, "%s", cj_str(j, "token"));
    json_decref(j);
    if (admin_out) memcpy(admin_out, admin, sizeof admin);
    json_decref(cetsdc_must(c, "POST", "/api/v1/admin/instruments", admin,
                            "{\"code\":\"CEA25\",\"product\":\"CEA\",\"matching\":\"listing\","
                            "\"prev_close\":\"50.00\"}",
                            201));
    for (int k = 0; k < n; k++) {
        snprintf(body, sizeof body, "{\"kind\":\"institution\",\"name\":\"load trader %d\"}", k);
        j = cetsdc_must(c, "POST", "/api/v1/admin/participants", admin, body, 201);
        t[k].participant = (uint32_t)cj_int(j, "participant");
        json_decref(j);
        snprintf(body, sizeof body, "{\"participant\":%u,\"amount\":\"100000000.00\"}",
                 t[k].participant);
        json_decref(cetsdc_must(c, "POST", "/api/v1/admin/deposits", admin, body, 200));
        snprintf(body, sizeof body, "{\"participant\":%u,\"code\":\"CEA25\",\"qty\":5000000}",
                 t[k].participant);
        json_decref(cetsdc_must(c, "POST", "/api/v1/admin/credits", admin, body, 200));
        snprintf(body, sizeof body,
                 "{\"username\":\"trader%d\",\"password\":\"trader-password-%d\","
                 "\"participant\":%u,\"roles\":[\"view\",\"trade\"]}",
                 k, k, t[k].participant);
        json_decref(cetsdc_must(c, "POST", "/api/v1/admin/users", admin, body, 201));
        snprintf(body, sizeof body,
                 "{\"username\":\"trader%d\",\"password\":\"trader-password-%d\"}", k, k);
        j = cetsdc_must(c, "POST", "/api/v1/login", NULL, body, 200);
        snprintf(session, sizeof session, "%s", cj_str(j, "token"));
        json_decref(j);
        j = cetsdc_must(c, "POST", "/api/v1/tokens", session, "{\"name\":\"load\",\"ttl_days\":1}",
                        201);
        snprintf(t[k].token, sizeof t[k].token, "%s", cj_str(j, "token"));
        json_decref(j);
    }
}
