/* auth_int.h -- the parts of the credential store that only the account
 * endpoints (src/server/api_auth.c), the HTTP middleware and the tests use:
 * logging in and out, API tokens, the user list, and the failed-login
 * policy. Everyone else needs only auth.h. */
#ifndef CETS_AUTH_AUTH_INT_H
#define CETS_AUTH_AUTH_INT_H

#include <jansson.h>

#include "auth.h"

#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 128

typedef enum auth_login_status {
    AUTH_LOGIN_OK = 0,
    AUTH_LOGIN_BAD = 1,     /* unknown user or wrong password (not told apart) */
    AUTH_LOGIN_LIMITED = 2, /* locked out after failures: answer 429 */
    AUTH_LOGIN_FULL = 3,    /* the session table (all users) is full: answer 503 */
} auth_login_status;

/* Check a password and open a session. addr is the client's address:
 * failures count against the user at that address, and against the
 * address. A failure sleeps 2^(n-1) x base before returning. When the user
 * already has sessions_per_user sessions, the oldest ends. On
 * AUTH_LOGIN_LIMITED, *retry_after_s says when the lockout ends. */
auth_login_status auth_login(auth *a, const char *user, const char *password, const char *addr,
                             char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, principal *p,
                             int *retry_after_s);
/* End the session of this token (and tell the listeners); false when it
 * is not a live session. */
bool auth_logout(auth *a, const char *token);

/* API tokens of a user: create (persisted, hashed), list, delete.
 * Create: 0, or AUTH_E_INVALID / AUTH_E_UNWRITTEN with err. */
int auth_token_create(auth *a, const char *user, const char *name, int ttl_days,
                      char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, char *err,
                      size_t errlen);
json_t *auth_tokens_json(auth *a, const char *user);
/* 0; AUTH_E_INVALID when the user has no token of that name;
 * AUTH_E_UNWRITTEN when users.json could not be written (then nothing
 * changed). */
int auth_token_delete(auth *a, const char *user, const char *name);

/* Users without secrets: [{"username","participant","roles"}]; one user or NULL. */
json_t *auth_users_json(auth *a);
json_t *auth_user_json(auth *a, const char *user);
bool auth_user_exists(auth *a, const char *user);

/* The failed-login policy of both counts (user at an address, address):
 * defaults 15 min window; failures answered after 100 ms x 2^(n-1), at most
 * 2 s; lockouts of 1 min x 2^(k-1) for the k-th in a row, at most 1 h. The
 * tests shorten it. */
void auth_set_failure_policy(auth *a, int window_ms, int delay_base_ms, int delay_cap_ms,
                             int lock_ms, int lock_cap_ms);

/* End what has expired and tell the listeners: the store's timer does this
 * every sweep_ms; the tests call it to not wait. */
void auth_sweep(auth *a);

/* "2026-11-30T09:30:00Z" from ns since the epoch. */
void auth_fmt_time(int64_t ns, char *buf, size_t len);

#endif
