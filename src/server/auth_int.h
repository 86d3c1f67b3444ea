/* auth_int.h -- the parts of auth.c that only the account endpoints
 * (api_auth.c) and the tests use: logging in and out, API tokens, the user
 * list, and the failed-login policy. Everyone else needs only auth.h. */
#ifndef CETS_SERVER_AUTH_INT_H
#define CETS_SERVER_AUTH_INT_H

#include <jansson.h>

#include "auth.h"

#define AUTH_TOKEN_HEX 64 /* 32 random bytes, hex */
#define AUTH_NAME_MAX 32  /* user and token names: 1-32 of [A-Za-z0-9._-] */
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 128

typedef enum auth_login_status {
    AUTH_LOGIN_OK = 0,
    AUTH_LOGIN_BAD = 1,     /* unknown user or wrong password (not told apart) */
    AUTH_LOGIN_LIMITED = 2, /* too many recent failures: answer 429 */
} auth_login_status;

/* What a presented token is: a login session or a named API token. */
typedef struct auth_token_info {
    bool api;
    char name[AUTH_NAME_MAX + 1]; /* API tokens */
    int64_t expires_ns;
} auth_token_info;

/* Check a password and open a session. addr is the client's address (for
 * the failure count). A failure sleeps 2^(n-1) x base before returning.
 * On AUTH_LOGIN_LIMITED, *retry_after_s says when the window ends. */
auth_login_status auth_login(auth *a, const char *user, const char *password, const char *addr,
                             char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, principal *p,
                             int *retry_after_s);
/* End the session of this token; false when it is not a live session. */
bool auth_logout(auth *a, const char *token);
/* Like auth_token_check(), and also says what kind of token it is. */
bool auth_token_lookup(auth *a, const char *token, principal *out, auth_token_info *info);
/* The bearer token of a request, if any (copied to tok). */
bool auth_bearer(struct mg_connection *conn, char *tok, size_t len);

/* API tokens of a user: create (persisted, hashed; 0, -1 with err, or
 * AUTH_E_STORE with err), list, delete. */
int auth_token_create(auth *a, const char *user, const char *name, int ttl_days,
                      char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, char *err,
                      size_t errlen);
json_t *auth_tokens_json(auth *a, const char *user);
/* 0; -1 when the user has no token of that name; AUTH_E_STORE when
 * users.json could not be written (then nothing changed). */
int auth_token_delete(auth *a, const char *user, const char *name);

/* Users without secrets: [{"username","participant","roles"}]; one user or NULL. */
json_t *auth_users_json(auth *a);
json_t *auth_user_json(auth *a, const char *user);
bool auth_user_exists(auth *a, const char *user);

/* The failed-login policy (defaults: 15 min window, 100 ms base delay, 2 s
 * cap); the tests shorten it. */
void auth_set_failure_policy(auth *a, int window_ms, int delay_base_ms, int delay_cap_ms);

/* "2026-11-30T09:30:00Z" from ns since the epoch. */
void auth_fmt_time(int64_t ns, char *buf, size_t len);

#endif
