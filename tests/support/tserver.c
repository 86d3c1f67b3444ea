/* tserver.c -- see tserver.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tserver.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/server/config.h"
#include "core/log.h"
#include "../../src/server/service.h"

void ts_tmpdir(char *out, size_t len, const char *prefix)
{
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !base[0]) base = "/tmp";
    mkdir(base, 0755);
    snprintf(out, len, "%s/%s-XXXXXX", base, prefix);
    assert_non_null(mkdtemp(out));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void ts_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void ts_quiet_logs(void)
{
    /* CETS_TEST_LOG=info shows the server's log; by default only warnings */
    const char *lv = getenv("CETS_TEST_LOG");
    log_setup(NULL, lv && !strcmp(lv, "info")    ? LOG_INFO
                    : lv && !strcmp(lv, "debug") ? LOG_DEBUG
                                                 : LOG_ERROR);
}

static void ts_client(tserver *t)
{
    snprintf(t->base, sizeof t->base, "http://127.0.0.1:%d", t->port);
    if (!t->curl) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        t->curl = curl_easy_init();
    }
    assert_non_null(t->curl);
}

static void ts_admin_login(tserver *t)
{
    char *tok = ts_login(t, "admin", TS_ADMIN_PASSWORD);
    snprintf(t->admin, sizeof t->admin, "%s", tok);
    free(tok);
}

void ts_start(tserver *t, const char *dir, void (*cfg_fn)(server_config *c))
{
    server_config cfg;
    char err[1024];
    if (dir)
        snprintf(t->dir, sizeof t->dir, "%s", dir);
    else
        ts_tmpdir(t->dir, sizeof t->dir, "cetsd");
    ts_quiet_logs();
    setenv("CETSD_ADMIN_PASSWORD", TS_ADMIN_PASSWORD, 1);
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", t->dir);
    cfg.core.cfg.enforce_sessions = false;
    cfg.http_threads = 32;                       /* WebSocket clients hold a worker each */
    const char *src = getenv("CETS_SOURCE_DIR"); /* the dashboard, wherever the build is */
    if (src && *src) snprintf(cfg.web_root, sizeof cfg.web_root, "%s/web", src);
    const char *fe = getenv("CETS_TEST_FRONTEND"); /* run a suite on another front end */
    if (fe && *fe) snprintf(cfg.frontend, sizeof cfg.frontend, "%s", fe);
    if (cfg_fn) cfg_fn(&cfg);
    if (service_start(&t->s, &cfg, err, sizeof err) != 0) fail_msg("service_start: %s", err);
    t->running = true;
    t->port = service_port(&t->s);
    assert_true(t->port > 0);
    ts_client(t);
    ts_admin_login(t);
}

void ts_stop(tserver *t)
{
    if (t->curl) /* first, so that no worker waits on our idle keep-alive connection */
        curl_easy_cleanup(t->curl);
    t->curl = NULL;
    if (t->running) service_stop(&t->s);
    t->running = false;
}

/* A port nobody listens on now (the child may still lose a race for it:
 * ts_spawn then tries another). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

int ts_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static bool child_up(tserver *t)
{
    for (int i = 0; i < 200; i++) { /* 10 s */
        int st;
        if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
            t->pid = 0;
            return false;
        }
        tresp r;
        if (ts_req(t, "GET", "/healthz", NULL, NULL, &r) == 200) {
            tresp_free(&r);
            return true;
        }
        tresp_free(&r);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

void ts_spawn(tserver *t, const char *dir)
{
    ts_spawn_with(t, dir, NULL);
}

void ts_spawn_with(tserver *t, const char *dir, const char *conf_lines)
{
    char exe[1024] = "", bin[1100], conf[1100], log[1100], listen[64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;
    snprintf(bin, sizeof bin, "%s/cetsd", dirname(exe));
    if (dir)
        snprintf(t->dir, sizeof t->dir, "%s", dir);
    else
        ts_tmpdir(t->dir, sizeof t->dir, "cetsd");
    snprintf(conf, sizeof conf, "%s.conf", t->dir);
    snprintf(log, sizeof log, "%s.log", t->dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    const char *fe = getenv("CETS_TEST_FRONTEND");
    fprintf(f,
            "# written by tserver.c\nenforce_sessions = false  # any hour\nhttp_threads = 32\n"
            "log_file = %s\nlog_level = info\nfrontend = %s\n%s",
            log, fe && *fe ? fe : "evloop", conf_lines ? conf_lines : "");
    fclose(f);
    for (int attempt = 0; attempt < 5; attempt++) {
        t->port = free_port();
        snprintf(listen, sizeof listen, "127.0.0.1:%d", t->port);
        t->pid = fork();
        assert_true(t->pid >= 0);
        if (t->pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left running when the test dies */
            setenv("CETSD_ADMIN_PASSWORD", TS_ADMIN_PASSWORD, 1);
            execl(bin, bin, "--config", conf, "--data", t->dir, "--listen", listen, (char *)NULL);
            _exit(127);
        }
        ts_client(t);
        if (child_up(t)) {
            ts_admin_login(t);
            return;
        }
        if (t->pid > 0) ts_signal(t, SIGKILL);
    }
    fail_msg("cetsd did not start (%s); see %s", bin, log);
}

int ts_signal(tserver *t, int sig)
{
    int st = 0;
    if (t->pid <= 0) return -1;
    kill(t->pid, sig);
    pid_t w = waitpid(t->pid, &st, 0);
    t->pid = 0;
    if (t->curl) curl_easy_cleanup(t->curl);
    t->curl = NULL;
    return w > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- the client ------------------------------------------------------------ */

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
    if (k >= 24 && strncasecmp(data, "Idempotent-Replay: true", 23) == 0) *(bool *)ctx = true;
    return k;
}

long ts_req(tserver *t, const char *method, const char *path, const char *token, const char *body,
            tresp *out)
{
    CURL *c = t->curl;
    char url[1024], authz[256];
    growbuf b = {0};
    memset(out, 0, sizeof *out);
    snprintf(url, sizeof url, "%s%s", t->base, path);
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
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(h);
    out->body = b.p ? b.p : calloc(1, 1);
    out->json = json_loads(out->body, JSON_DECODE_ANY, NULL);
    return out->status;
}

void tresp_free(tresp *r)
{
    json_decref(r->json);
    free(r->body);
    memset(r, 0, sizeof *r);
}

json_t *ts_expect(tserver *t, const char *method, const char *path, const char *token,
                  const char *body, long status)
{
    tresp r;
    ts_req(t, method, path, token, body, &r);
    if (r.status != status)
        fail_msg("%s %s: status %ld, want %ld: %s", method, path, r.status, status, r.body);
    json_t *j = json_incref(r.json);
    tresp_free(&r);
    return j;
}

char *ts_login(tserver *t, const char *user, const char *password)
{
    json_t *body = json_pack("{s:s, s:s}", "username", user, "password", password);
    char *text = json_dumps(body, JSON_COMPACT);
    json_t *j = ts_expect(t, "POST", "/api/v1/login", NULL, text, 200);
    char *tok = strdup(tj_str(j, "token"));
    json_decref(j);
    json_decref(body);
    free(text);
    assert_true(strlen(tok) > 0);
    return tok;
}

void ts_user(tserver *t, const char *user, const char *password, uint32_t participant,
             const char *roles)
{
    json_t *arr = json_array();
    char buf[128];
    snprintf(buf, sizeof buf, "%s", roles);
    for (char *save = NULL, *r = strtok_r(buf, ",", &save); r; r = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_string(r));
    json_t *body = json_pack("{s:s, s:s, s:I, s:o}", "username", user, "password", password,
                             "participant", (json_int_t)participant, "roles", arr);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(ts_expect(t, "POST", "/api/v1/admin/users", t->admin, text, 201));
    json_decref(body);
    free(text);
}

const char *tj_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

long long tj_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}
