/* cetsdc.h -- the real cetsd for the load tests (the crash harness and the
 * soak): a child process on 127.0.0.1 with a temporary data directory,
 * HTTP/JSON requests through libcurl, and a small market set up through the
 * admin API.
 *
 * These are programs, not cmocka tests: a failure that makes going on
 * pointless calls cetsdc_die(), which prints "FAILED: ..." and exits 1.
 */
#ifndef CETS_CETSDC_H
#define CETS_CETSDC_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CETSDC_ADMIN_PASSWORD "load-test-admin-password"

void cetsdc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double cetsdc_now(void); /* CLOCK_MONOTONIC, seconds */
void cetsdc_sleep_ms(long ms);
long cetsdc_env(const char *name, long def);

/* ---- requests ---------------------------------------------------------------- */

typedef struct cresp {
    long status; /* 0: no answer (refused, cut, timed out) */
    bool replay; /* the answer carried Idempotent-Replay: true */
    json_t *json;
    double ms; /* request to answer */
} cresp;

/* One request to the current cetsd; body and token may be NULL. The caller
 * decrefs out->json. Returns out->status. */
long cetsdc_http(CURL *c, const char *method, const char *path, const char *token, const char *body,
                 cresp *out);
/* A request that must answer `want`; returns the parsed body. */
json_t *cetsdc_must(CURL *c, const char *method, const char *path, const char *token,
                    const char *body, long want);
long long cj_int(json_t *o, const char *key);   /* -1 when absent */
const char *cj_str(json_t *o, const char *key); /* "" when absent */

/* ---- the process ----------------------------------------------------------------- */

typedef struct cetsd_proc {
    const char *bin;
    pid_t pid;
    int port;
    char dir[512], conf[600], log[600];
} cetsd_proc;

/* A fresh data directory under tmp and a configuration file beside it:
 * sessions not enforced, logs to <dir>.log, and conf_extra (key = value
 * lines, may be NULL). */
void cetsd_prepare(cetsd_proc *d, const char *bin, const char *tmp, const char *conf_extra);
/* Start it (CETSD_ADMIN_PASSWORD set) and wait until /healthz answers. */
void cetsd_start(cetsd_proc *d, CURL *c);
/* Send sig and wait: the exit status, -1 when a signal ended it. */
int cetsd_signal(cetsd_proc *d, int sig);
/* /healthz: last seq and state hash (16 hex digits). false without an answer. */
bool cetsd_healthz(CURL *c, uint64_t *seq, char hash[24]);
/* Remove the data directory, the configuration and the log. */
void cetsd_remove(cetsd_proc *d);

/* ---- the market ---------------------------------------------------------------------- */

typedef struct trader {
    uint32_t participant;
    char token[160]; /* an API token: survives restarts, unlike a session */
} trader;

/* CEA25 (listing, previous close 50.00) and, per trader, an institution
 * with 100,000,000.00 of funds and 5,000,000 t, a user with view and trade,
 * and an API token. The admin's session token into admin (may be NULL). */
void cetsd_market(CURL *c, trader *t, int n, char admin[160]);

#endif
