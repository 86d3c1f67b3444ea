/* fuzzserver.c -- see fuzzserver.h. The market is set up and users log in
 * through the HTTP API like any client (the documented interface); before
 * each input the tokens are checked in process with auth_token_check() (an
 * HTTP round trip per input would halve the run), and only when an input has
 * replaced the operator's password is it put back with auth_user_put(), as
 * cetsd's bootstrap does. */
#include "fuzzserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/auth_int.h"
#include "core/log.h"
#include "../../../src/server/config.h"
#include "../../../src/server/service.h"
#include "fuzztmp.h"

#define ADMIN_PASSWORD "fuzz-admin-password"
#define USER_PASSWORD "fuzz-user-password"

static server S;
static bool started;
static int port;
static char data_dir[512];
static char admin_token[160], user_token[160];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void server_down(void)
{
    service_stop(&S);
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fuzz_server_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
    if (errno == EINTR) { /* the connection goes on: wait for it */
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t el = sizeof err;
        while (poll(&p, 1, 10000) < 0 && errno == EINTR)
            ;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0 &&
            (p.revents & POLLOUT))
            return fd;
    }
    close(fd);
    return -1;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w, n -= (size_t)w;
    }
}

/* A whole exchange on one connection; the answer (malloc'd) or NULL. */
static char *http_call(const char *method, const char *path, const char *token, const char *body)
{
    char head[1024], auth[200] = "";
    if (token) snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    size_t blen = body ? strlen(body) : 0;
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      method, path, auth, blen);
    int fd = fuzz_server_connect();
    if (fd < 0) return NULL;
    send_all(fd, head, (size_t)hn);
    send_all(fd, body, blen);
    size_t n = 0, cap = 4096;
    char *out = malloc(cap + 1);
    for (;;) {
        /* libFuzzer's SIGALRM (-timeout) interrupts system calls: EINTR */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, 10000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        if (n == cap) out = realloc(out, (cap *= 2) + 1);
        ssize_t r = recv(fd, out + n, cap - n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    out[n] = 0;
    return out;
}

static int status_of(const char *resp)
{
    int st = 0;
    return resp && sscanf(resp, "HTTP/1.%*d %d", &st) == 1 ? st : 0;
}

int fuzz_server_request(const char *method, const char *path, const char *token, const char *body)
{
    char *r = http_call(method, path, token, body);
    int st = status_of(r);
    free(r);
    return st;
}

static char last_answer[300]; /* of the last failed set-up request, for the message */

static bool login(const char *user, const char *password, char *token, size_t len)
{
    char body[200];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
    char *r = http_call("POST", "/api/v1/login", NULL, body);
    const char *t = r && status_of(r) == 200 ? strstr(r, "\"token\":\"") : NULL;
    bool ok = false;
    if (t) {
        t += 9;
        size_t n = strcspn(t, "\"");
        ok = n > 0 && n < len;
        snprintf(token, len, "%.*s", (int)n, t);
    }
    if (!ok) snprintf(last_answer, sizeof last_answer, "%s", r ? r : "(no connection)");
    free(r);
    return ok;
}

/* Does token still stand for the user it was made for? Checked in process
 * (auth.h, as the WebSocket auth does it): it runs before every input. */
static bool token_good(const char *token, const char *user, uint32_t participant, uint32_t roles)
{
    principal p;
    return auth_token_check(S.auth, token, &p) && strcmp(p.user, user) == 0 &&
           p.participant == participant && (p.roles & roles) == roles;
}

#define ADMIN_ROLES (ROLE_ADMIN | ROLE_VIEW | ROLE_TRADE | ROLE_FUNDS)
#define USER_ROLES (ROLE_VIEW | ROLE_TRADE | ROLE_FUNDS | ROLE_COMPLIANCE)

static void admin_back(void)
{
    if (token_good(admin_token, "admin", CETS_EXCHANGE_ID, ADMIN_ROLES)) return;
    if (login("admin", ADMIN_PASSWORD, admin_token, sizeof admin_token) &&
        token_good(admin_token, "admin", CETS_EXCHANGE_ID, ADMIN_ROLES))
        return;
    char err[256];
    fuzz_check(auth_user_put(S.auth, "admin", ADMIN_PASSWORD, CETS_EXCHANGE_ID, ADMIN_ROLES, err,
                             sizeof err) == 0,
               "cannot put the operator back: %s", err);
    fuzz_check(login("admin", ADMIN_PASSWORD, admin_token, sizeof admin_token),
               "the operator cannot log in: %s", last_answer);
}

static void user_back(void)
{
    if (token_good(user_token, "fuzz", 2, USER_ROLES)) return;
    int st = fuzz_server_request(
        "POST", "/api/v1/admin/users", admin_token,
        "{\"username\":\"fuzz\",\"password\":\"" USER_PASSWORD
        "\",\"participant\":2,\"roles\":[\"view\",\"trade\",\"funds\",\"compliance\"]}");
    fuzz_check(st == 200 || st == 201, "cannot put user fuzz back: %d", st);
    fuzz_check(login("fuzz", USER_PASSWORD, user_token, sizeof user_token),
               "user fuzz cannot log in: %s", last_answer);
}

void fuzz_server_tokens_refresh(void)
{
    admin_back();
    user_back();
}

static void seed(const char *method, const char *path, const char *body)
{
    int st = fuzz_server_request(method, path, admin_token, body);
    fuzz_check(st >= 200 && st < 300, "set-up %s %s: %d", method, path, st);
}

server *fuzz_server(void)
{
    if (started) return &S;
    /* the log is written (its escaping is under test too) but not shown */
    log_setup(fopen("/dev/null", "w"), LOG_DEBUG);
    snprintf(data_dir, sizeof data_dir, "%s/cetsd", fuzz_dir());
    setenv("CETSD_ADMIN_PASSWORD", ADMIN_PASSWORD, 1);
    server_config cfg;
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data_dir);
    cfg.core.cfg.enforce_sessions = false;
    cfg.http_threads = 16;
    cfg.login_max_failures = 1000;
    const char *fe = getenv("CETS_FUZZ_FRONTEND"); /* fuzz another front end than the default */
    if (fe && *fe) snprintf(cfg.frontend, sizeof cfg.frontend, "%s", fe);
    char err[1024];
    fuzz_check(service_start(&S, &cfg, err, sizeof err) == 0, "service_start: %s", err);
    started = true;
    atexit(server_down);
    port = service_port(&S);
    /* every input comes from 127.0.0.1: failed logins are forgotten after a
     * second, and answered at once, or the address would soon be locked
     * out and each failure would sleep (what the policy does is test_auth's) */
    auth_set_failure_policy(S.auth, 1000, 0, 0, 0, 0);
    fuzz_check(login("admin", ADMIN_PASSWORD, admin_token, sizeof admin_token), "admin login");
    seed("POST", "/api/v1/admin/instruments",
         "{\"code\":\"CEA25\",\"product\":\"CEA\",\"matching\":\"listing\",\"prev_close\":\"50."
         "00\"}");
    seed("POST", "/api/v1/admin/instruments",
         "{\"code\":\"CEAC\",\"product\":\"CEA\",\"matching\":\"continuous\",\"prev_close\":\"50."
         "00\"}");
    for (int i = 0; i < 2; i++) {
        seed("POST", "/api/v1/admin/participants", "{\"kind\":\"entity\",\"name\":\"Fuzz Power\"}");
        char b[128];
        snprintf(b, sizeof b, "{\"participant\":%d,\"amount\":\"1000000.00\"}", 2 + i);
        seed("POST", "/api/v1/admin/deposits", b);
        snprintf(b, sizeof b, "{\"participant\":%d,\"code\":\"CEA25\",\"qty\":100000}", 2 + i);
        seed("POST", "/api/v1/admin/credits", b);
    }
    user_back();
    return &S;
}

int fuzz_server_port(void)
{
    fuzz_server();
    return port;
}

char *fuzz_server_tokens_in(const uint8_t *data, size_t size, size_t *outlen)
{
    static const char *const names[] = {"@ADMIN@", "@USER@"};
    const char *values[] = {admin_token, user_token};
    size_t cap = size + 1, n = 0;
    char *out = malloc(cap);
    for (size_t i = 0; i < size;) {
        int k = -1;
        for (int j = 0; j < 2 && k < 0; j++)
            if (size - i >= strlen(names[j]) && memcmp(data + i, names[j], strlen(names[j])) == 0)
                k = j;
        const char *piece = k >= 0 ? values[k] : (const char *)data + i;
        size_t plen = k >= 0 ? strlen(values[k]) : 1;
        if (n + plen + 1 > cap) out = realloc(out, cap = 2 * cap + plen);
        memcpy(out + n, piece, plen);
        n += plen;
        i += k >= 0 ? strlen(names[k]) : 1;
    }
    out[n] = 0;
    *outlen = n;
    return out;
}
