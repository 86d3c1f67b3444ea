/* tserver.h -- cetsd for tests: started in this process (service_start) or
 * as a child process running the real cetsd binary, on 127.0.0.1 with a
 * port of its own and a fresh temporary data directory; and a small HTTP
 * client (libcurl, one keep-alive connection) that speaks JSON.
 *
 * The operator account is bootstrapped with TS_ADMIN_PASSWORD. Sessions are
 * not enforced (orders are accepted at any hour), so tests do not depend on
 * the time of day.
 */
#ifndef CETS_TSERVER_H
#define CETS_TSERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../src/server/server.h"

#define TS_ADMIN_PASSWORD "admin-test-password"

typedef struct tserver {
    server s; /* in-process mode */
    bool running;
    pid_t pid; /* child mode: > 0 */
    int port;
    char dir[512];   /* data directory */
    char base[64];   /* "http://127.0.0.1:<port>" */
    void *curl;      /* CURL *, kept for keep-alive */
    char admin[160]; /* admin's token */
} tserver;

typedef struct tresp {
    long status;
    json_t *json; /* parsed body, or NULL */
    char *body;   /* raw body (NUL-terminated) */
    bool replay;  /* Idempotent-Replay: true */
} tresp;

/* A fresh temporary directory under $CETS_TEST_TMP (or /tmp). */
void ts_tmpdir(char *out, size_t len, const char *prefix);
void ts_rmtree(const char *dir);

/* Start in this process on dir (NULL: a fresh one). Asserts success. The
 * server_config can be adjusted by cfg_fn before the start (may be NULL). */
void ts_start(tserver *t, const char *dir, void (*cfg_fn)(server_config *c));
void ts_stop(tserver *t);
/* Start the cetsd binary (next to the test binary) as a child; asserts it
 * answers /healthz within 10 s. */
void ts_spawn(tserver *t, const char *dir);
/* The same with more lines for its configuration file ("key = value\n"...). */
void ts_spawn_with(tserver *t, const char *dir, const char *conf_lines);
/* Send sig to the child and wait; returns its exit status (or -1). */
int ts_signal(tserver *t, int sig);

/* One request; body may be NULL. out->json is parsed when the body is JSON.
 * Returns out->status (0 when the request failed at the HTTP level). */
long ts_req(tserver *t, const char *method, const char *path, const char *token, const char *body,
            tresp *out);
void tresp_free(tresp *r);

/* A plain TCP connection to 127.0.0.1:port (for tests that speak raw HTTP or
 * hold sockets open); asserts it connects. The caller closes it. */
int ts_connect(int port);
/* GET/POST expecting a status; returns the parsed JSON (caller decrefs).
 * Fails the test on another status, printing the body. */
json_t *ts_expect(tserver *t, const char *method, const char *path, const char *token,
                  const char *body, long status);
/* Log in; returns a malloc'd token (fails the test on error). */
char *ts_login(tserver *t, const char *user, const char *password);
/* Create a user with roles "view,trade" through the admin endpoint. */
void ts_user(tserver *t, const char *user, const char *password, uint32_t participant,
             const char *roles);

/* Convenience JSON readers ("" / -1 when absent). */
const char *tj_str(json_t *o, const char *key);
long long tj_int(json_t *o, const char *key);

#endif
