/* login.c -- passwords, failed logins and login sessions (auth_int.h).
 *
 * Failed logins count twice: against the user at the client's address, and
 * against the address. max_failures failures of one user from one address
 * within 15 minutes lock that user out from that address; the user logs in
 * from anywhere else as before, so a stranger who knows a user name can
 * lock out nobody but himself. max_address_failures from one address, for
 * any users, lock the address (one address trying many names). Each lock in
 * a row lasts twice the one before, from 1 minute up to 1 hour
 * (throttle.c); each failure is answered after 2^(n-1) x 100 ms (at most
 * 2 s). A success clears the user's count at that address, not the
 * address's. Every lockout is logged and counted.
 *
 * A user holds at most sessions_per_user live sessions: a login beyond
 * that ends the oldest, so one user cannot fill the session table that all
 * share (max_sessions, a bound on memory; a login past it is refused).
 * Expired sessions are ended by a timer thread (every sweep_ms), which also
 * announces API tokens that reached their expiry, so a WebSocket is told
 * when its token runs out even if it never asks again.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store.h"

static void sleep_ns(int64_t ns)
{
    struct timespec t = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* ---- the failed-login policy ------------------------------------------------- */

static void policy_of(int max, int64_t window_ns, int64_t delay_ns, int64_t delay_cap_ns,
                      int64_t lock_ns, int64_t lock_cap_ns, throttle_policy *p)
{
    *p = (throttle_policy){.max_failures = max,
                           .window_ns = window_ns,
                           .delay_ns = delay_ns,
                           .delay_cap_ns = delay_cap_ns,
                           .lock_ns = lock_ns,
                           .lock_cap_ns = lock_cap_ns};
}

void store_throttle_open(auth *a)
{
    throttle_policy p;
    const int64_t s = 1000000000;
    policy_of(a->o.max_failures, 15 * 60 * s, s / 10, 2 * s, 60 * s, 3600 * s, &p);
    a->pairs = throttle_new(&p);
    p.max_failures = a->o.max_address_failures;
    a->addrs = throttle_new(&p);
}

void auth_set_failure_policy(auth *a, int window_ms, int delay_base_ms, int delay_cap_ms,
                             int lock_ms, int lock_cap_ms)
{
    throttle_policy p;
    const int64_t ms = 1000000;
    policy_of(a->o.max_failures, window_ms * ms, delay_base_ms * ms, delay_cap_ms * ms,
              lock_ms * ms, lock_cap_ms * ms, &p);
    pthread_mutex_lock(&a->mu);
    throttle_set_policy(a->pairs, &p);
    p.max_failures = a->o.max_address_failures;
    throttle_set_policy(a->addrs, &p);
    pthread_mutex_unlock(&a->mu);
}

/* ---- sessions (under mu) ------------------------------------------------------- */

static void session_remove(auth *a, int i, auth_end why, notices *ns)
{
    session *s = &a->sessions[i];
    a->st.ended[why]++;
    notices_add(ns, why, s->user, s->id);
    store_index_session_removing(a, i);
    sodium_memzero(s->hash, sizeof s->hash);
    *s = a->sessions[--a->nsessions];
    sodium_memzero(a->sessions[a->nsessions].hash, sizeof s->hash); /* the last one's old place */
}

void store_sessions_end_user(auth *a, const char *name, auth_end why, notices *ns)
{
    for (int i = 0; i < a->nsessions;)
        if (strcmp(a->sessions[i].user, name) == 0)
            session_remove(a, i, why, ns);
        else
            i++;
}

void store_expire(auth *a, int64_t now, notices *ns)
{
    for (int i = 0; i < a->nsessions;)
        if (a->sessions[i].expires_ns <= now)
            session_remove(a, i, AUTH_END_EXPIRED, ns);
        else
            i++;
    for (int i = 0; i < a->nusers; i++)
        for (int k = 0; k < a->users[i].ntokens; k++) {
            const api_token *t = &a->users[i].tokens[k];
            if (t->expires_ns > a->swept_ns && t->expires_ns <= now) {
                a->st.ended[AUTH_END_EXPIRED]++;
                notices_add(ns, AUTH_END_EXPIRED, a->users[i].name, t->id);
            }
        }
    if (now > a->swept_ns) a->swept_ns = now;
}

/* Make room for one more session of name: end its oldest while it has
 * sessions_per_user. (Expired ones are gone already.) */
static void sessions_cap_user(auth *a, const char *name, notices *ns)
{
    for (;;) {
        int n = 0, oldest = -1;
        for (int i = 0; i < a->nsessions; i++) {
            const session *s = &a->sessions[i];
            if (strcmp(s->user, name) != 0) continue;
            n++;
            if (oldest < 0 || s->id < a->sessions[oldest].id) /* ids grow with time */
                oldest = i;
        }
        if (n < a->o.sessions_per_user) return;
        store_log(a, LV_INFO, "msg=\"session ended\" user=%s reason=session_limit limit=%d",
                  log_q(name), a->o.sessions_per_user);
        session_remove(a, oldest, AUTH_END_SESSION_LIMIT, ns);
    }
}

static int session_add(auth *a, const char *name, const uint8_t *hash, int64_t now, int64_t expires,
                       notices *ns)
{
    sessions_cap_user(a, name, ns);
    if (a->nsessions >= a->o.max_sessions) return -1;
    if (a->nsessions == a->capsessions) {
        int cap = a->capsessions ? 2 * a->capsessions : 64;
        session *nsv = realloc(a->sessions, (size_t)cap * sizeof *nsv);
        if (!nsv) return -1;
        a->sessions = nsv;
        a->capsessions = cap;
    }
    session *s = &a->sessions[a->nsessions++];
    memcpy(s->hash, hash, sizeof s->hash);
    snprintf(s->user, sizeof s->user, "%s", name);
    s->created_ns = now;
    s->expires_ns = expires;
    s->id = a->next_cred++;
    store_index_session_added(a);
    return 0;
}

/* ---- checking a password ---------------------------------------------------------- */

/* The throttles' keys for name at addr. */
static void keys_of(const char *name, const char *addr, char pk[THROTTLE_KEY_MAX],
                    char ak[THROTTLE_KEY_MAX])
{
    /* an address holds no newline: the key cannot be read two ways */
    snprintf(pk, THROTTLE_KEY_MAX, "%.80s\n%.64s", addr ? addr : "", name ? name : "");
    snprintf(ak, THROTTLE_KEY_MAX, "%.80s", addr ? addr : "");
}

/* Under mu: count a failure of name at addr; the delay to answer it after. */
static int64_t failure_count(auth *a, const char *name, bool known, const char *addr,
                             const char *pk, const char *ak, int64_t now)
{
    int64_t lock_p, lock_a;
    int n = throttle_fail(a->pairs, pk, now, &lock_p);
    throttle_fail(a->addrs, ak, now, &lock_a);
    a->st.login_failures++;
    const char *who = known ? name : "(unknown)";
    if (lock_p) {
        a->st.lockouts++;
        store_log(a, LV_WARN,
                  "msg=\"login locked out\" scope=user_address user=%s addr=%s failures=%d "
                  "lock_s=%lld",
                  log_q(who), log_q(addr ? addr : ""), a->o.max_failures,
                  (long long)(lock_p / 1000000000));
    }
    if (lock_a) {
        a->st.lockouts++;
        store_log(
            a, LV_WARN, "msg=\"login locked out\" scope=address addr=%s failures=%d lock_s=%lld",
            log_q(addr ? addr : ""), a->o.max_address_failures, (long long)(lock_a / 1000000000));
    }
    int64_t delay = throttle_delay(a->pairs, n);
    store_log(a, LV_WARN, "msg=\"login failed\" user=%s addr=%s failures=%d delay_ms=%lld",
              log_q(who), log_q(addr ? addr : ""), n, (long long)(delay / 1000000));
    return delay;
}

/* The whole check, for a login (token != NULL: a session is opened in the
 * same critical section that finds the password unchanged) or for another
 * gateway's Logon (token NULL). */
static auth_login_status check(auth *a, const char *name, const char *password, const char *addr,
                               char *token, int64_t *expires_ns, principal *p, int *retry_after_s)
{
    char pk[THROTTLE_KEY_MAX], ak[THROTTLE_KEY_MAX], hash[crypto_pwhash_STRBYTES];
    keys_of(name, addr, pk, ak);
    if (!password) password = "";
    memset(p, 0, sizeof *p);
    int64_t now = store_now();

    pthread_mutex_lock(&a->mu);
    int wait_p = throttle_blocked(a->pairs, pk, now);
    int wait_a = throttle_blocked(a->addrs, ak, now);
    if (wait_p || wait_a) {
        a->st.limited++;
        pthread_mutex_unlock(&a->mu);
        *retry_after_s = wait_p > wait_a ? wait_p : wait_a;
        return AUTH_LOGIN_LIMITED;
    }
    /* An unknown user costs one hash like a known one: the answer's timing
     * must not tell which user names exist. */
    user *u = name ? store_user_find(a, name) : NULL;
    bool known = u != NULL;
    snprintf(hash, sizeof hash, "%s", u ? u->pwhash : a->dummy_hash);
    pthread_mutex_unlock(&a->mu);

    if (!known && !hash[0]) {
        store_password_hash(a, "not a password of anyone", hash);
        pthread_mutex_lock(&a->mu);
        memcpy(a->dummy_hash, hash, sizeof hash);
        pthread_mutex_unlock(&a->mu);
    }
    bool ok = store_password_verify(a, hash, password) && known;

    notices ns = {0};
    pthread_mutex_lock(&a->mu);
    u = ok ? store_user_find(a, name) : NULL; /* it may have been replaced meanwhile */
    if (u && strcmp(u->pwhash, hash) == 0) {
        throttle_clear(a->pairs, pk);
        a->st.logins++;
        int rc = 0;
        if (token) {
            store_expire(a, now, &ns);
            uint8_t th[crypto_generichash_BYTES];
            store_token_new(token);
            store_token_hash(token, th);
            *expires_ns = now + (int64_t)a->o.session_ttl_s * 1000000000;
            rc = session_add(a, u->name, th, now, *expires_ns, &ns);
        }
        if (rc == 0) store_principal_of(u, p);
        pthread_mutex_unlock(&a->mu);
        store_notify(a, &ns);
        if (rc != 0) {
            sodium_memzero(token, AUTH_TOKEN_HEX + 1);
            store_log(a, LV_ERROR, "msg=\"login refused: the session table is full\" user=%s",
                      log_q(name));
            return AUTH_LOGIN_FULL;
        }
        if (token)
            store_log(a, LV_INFO, "msg=\"login\" user=%s addr=%s", log_q(p->user),
                      log_q(addr ? addr : ""));
        return AUTH_LOGIN_OK;
    }
    int64_t delay = failure_count(a, name, known, addr, pk, ak, now);
    pthread_mutex_unlock(&a->mu);
    sleep_ns(delay);
    return AUTH_LOGIN_BAD;
}

auth_login_status auth_login(auth *a, const char *name, const char *password, const char *addr,
                             char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, principal *p,
                             int *retry_after_s)
{
    return check(a, name, password, addr, token, expires_ns, p, retry_after_s);
}

/* The same policy in the same place -- throttle, dummy hash for unknown
 * users, failure delay -- but no session: FIX keeps its own session state,
 * and a Logon must not end one of the user's HTTP sessions at the cap. */
bool auth_password_check(auth *a, const char *name, const char *password, const char *addr,
                         principal *out)
{
    int retry;
    return check(a, name, password, addr, NULL, NULL, out, &retry) == AUTH_LOGIN_OK;
}

bool auth_logout(auth *a, const char *token)
{
    uint8_t th[crypto_generichash_BYTES];
    store_token_hash(token, th);
    bool found = false;
    notices ns = {0};
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->nsessions; i++)
        if (sodium_memcmp(a->sessions[i].hash, th, sizeof th) == 0) {
            session_remove(a, i, AUTH_END_LOGOUT, &ns);
            found = true;
            break;
        }
    pthread_mutex_unlock(&a->mu);
    store_notify(a, &ns);
    return found;
}

/* ---- the expiry timer ---------------------------------------------------------------- */

void auth_sweep(auth *a)
{
    notices ns = {0};
    pthread_mutex_lock(&a->mu);
    store_expire(a, store_now(), &ns);
    pthread_mutex_unlock(&a->mu);
    store_notify(a, &ns);
}

static void *sweeper_main(void *arg)
{
    auth *a = arg;
    pthread_setname_np(pthread_self(), "auth-sweep");
    pthread_mutex_lock(&a->smu);
    while (!a->sweep_stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int64_t ns = t.tv_nsec + (int64_t)a->o.sweep_ms * 1000000;
        t.tv_sec += ns / 1000000000;
        t.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&a->scv, &a->smu, &t);
        if (a->sweep_stop) break;
        pthread_mutex_unlock(&a->smu);
        auth_sweep(a);
        pthread_mutex_lock(&a->smu);
    }
    pthread_mutex_unlock(&a->smu);
    return NULL;
}

int store_sweeper_start(auth *a)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->scv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&a->smu, NULL);
    if (pthread_create(&a->sweeper, NULL, sweeper_main, a) != 0) {
        pthread_cond_destroy(&a->scv);
        pthread_mutex_destroy(&a->smu);
        return -1;
    }
    a->sweeper_on = true;
    return 0;
}

void store_sweeper_stop(auth *a)
{
    if (!a->sweeper_on) return;
    pthread_mutex_lock(&a->smu);
    a->sweep_stop = true;
    pthread_cond_signal(&a->scv);
    pthread_mutex_unlock(&a->smu);
    pthread_join(a->sweeper, NULL);
    pthread_cond_destroy(&a->scv);
    pthread_mutex_destroy(&a->smu);
    a->sweeper_on = false;
}
