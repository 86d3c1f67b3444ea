/* store.h -- the credential store's insides, shared by its two files:
 *
 *   auth.c   opening and closing, roles, users and users.json, API tokens,
 *            looking up any token, and telling listeners what ended
 *   login.c  passwords, failed-login throttling and lockouts, login
 *            sessions and their cap per user, the expiry timer
 *
 * Locks: a->mu guards users, sessions, the throttles and the counters; it
 * is never held while hashing, sleeping, writing users.json or calling a
 * listener. a->wmu lets one change of the users or their API tokens at a
 * time write users.json (it is held across the write; lookups never take
 * it). Listeners are called with a->lmu held (so auth_unlisten() can wait
 * for them) and a->mu free; so the order is lmu, wmu, mu, never another.
 */
#ifndef CETS_AUTH_STORE_H
#define CETS_AUTH_STORE_H

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>

#include "auth_int.h"
#include "throttle.h"

enum { LV_DEBUG, LV_INFO, LV_WARN, LV_ERROR }; /* the levels of auth_log_fn */

typedef struct api_token {
    char name[AUTH_NAME_MAX + 1];
    uint8_t hash[crypto_generichash_BYTES];
    int64_t created_ns, expires_ns;
    uint64_t id; /* credential id: given at load or creation, never saved */
} api_token;

typedef struct user {
    char name[AUTH_NAME_MAX + 1];
    char pwhash[crypto_pwhash_STRBYTES];
    uint32_t participant, roles;
    int64_t created_ns;
    api_token *tokens;
    int ntokens;
} user;

typedef struct session {
    uint8_t hash[crypto_generichash_BYTES];
    char user[AUTH_NAME_MAX + 1];
    int64_t created_ns, expires_ns;
    uint64_t id;
} session;

/* Notices gathered under mu and handed to the listeners after it. */
typedef struct notices {
    auth_notice *v;
    size_t n, cap;
} notices;

struct auth {
    pthread_mutex_t mu;
    pthread_mutex_t wmu; /* one writer of users.json at a time */
    char path[1100], dir[1024];
    auth_options o; /* o.data_dir points at dir */
    user *users;
    int nusers, capusers;
    session *sessions;
    int nsessions, capsessions;
    /* The credential index (auth.c): a token's hash to where its session or
     * API token is, so that a lookup costs one probe, not a pass over every
     * credential under mu. Sessions keep it up to date as they come and go;
     * a change of the users or their API tokens (users_save) marks it stale
     * and the next lookup rebuilds it. */
    struct tix_ent *tix;
    size_t tix_cap, tix_used; /* tix_cap: a power of two, 0 = none */
    bool tix_stale;
    throttle *pairs; /* failed logins per user at an address ("<addr>\n<user>") */
    throttle *addrs; /* failed logins per address */
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown users */
    uint64_t next_cred;
    int64_t swept_ns; /* API tokens that expired until then have been announced */
    auth_stats st;

    pthread_mutex_t hash_mu;
    pthread_cond_t hash_cv;
    int hashing;

    pthread_mutex_t lmu;
    struct {
        auth_listener_fn fn;
        void *ctx;
    } listeners[AUTH_MAX_LISTENERS];
    int nlisteners;

    pthread_t sweeper;
    bool sweeper_on, sweep_stop;
    pthread_mutex_t smu;
    pthread_cond_t scv;
};

/* auth.c */
void store_log(const auth *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t store_now(void);
void store_token_hash(const char *token, uint8_t out[crypto_generichash_BYTES]);
void store_token_new(char hex[AUTH_TOKEN_HEX + 1]);
user *store_user_find(auth *a, const char *name);
/* Under mu: the credential index follows a session just added (the last)... */
void store_index_session_added(auth *a);
/* ...or sessions[i], about to be replaced by the last one. */
void store_index_session_removing(auth *a, int i);
void store_principal_of(const user *u, principal *p);
/* Under mu: note that why ended cred (0: the user changed) of user name. */
void notices_add(notices *ns, auth_end why, const char *name, uint64_t cred);
/* Without mu: tell every listener, then free ns. */
void store_notify(auth *a, notices *ns);
/* argon2id, at most AUTH_HASHERS at a time. */
int store_password_hash(auth *a, const char *password, char out[crypto_pwhash_STRBYTES]);
bool store_password_verify(auth *a, const char *hash, const char *password);

/* login.c */
void store_throttle_open(auth *a);
/* Under mu: end every session of user name (counted and noticed as why). */
void store_sessions_end_user(auth *a, const char *name, auth_end why, notices *ns);
/* Under mu: end expired sessions, note API tokens that expired since the
 * last sweep. */
void store_expire(auth *a, int64_t now, notices *ns);
int store_sweeper_start(auth *a);
void store_sweeper_stop(auth *a);

#endif
