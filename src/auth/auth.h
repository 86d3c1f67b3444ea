/* auth.h -- the credential store: users, roles, passwords (argon2id via
 * libsodium), session and API tokens, and slowing down repeated failed
 * logins.
 *
 * It knows nothing of HTTP or FIX: cetsd's HTTP middleware
 * (src/server/http_auth.c) and the FIX gateway's Logon both ask it, so one
 * policy holds for every way in. Users are kept in <data_dir>/users.json
 * (written atomically: temporary file, fsync, rename). Only password hashes
 * and token hashes are stored; tokens and passwords never reach a log.
 */
#ifndef CETS_AUTH_AUTH_H
#define CETS_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct auth auth;

#define AUTH_TOKEN_HEX 64 /* 32 random bytes, hex */
#define AUTH_NAME_MAX 32  /* user and token names: 1-32 of [A-Za-z0-9._-] */

enum {
    ROLE_VIEW = 1 << 0,
    ROLE_TRADE = 1 << 1,
    ROLE_FUNDS = 1 << 2,
    ROLE_COMPLIANCE = 1 << 3,
    ROLE_AUTHORITY = 1 << 4,
    ROLE_ADMIN = 1 << 5,
};

typedef struct principal {
    bool authenticated;
    char user[64];
    uint32_t participant;
    uint32_t roles; /* ROLE_* bits; ROLE_TRADE implies ROLE_VIEW */
} principal;

/* Where the store writes its log lines: level 0 debug .. 3 error, and the
 * line's logfmt fields ("msg=\"login\" user=alice addr=10.0.0.7"). The
 * store has no logger of its own, so that it depends on no server. */
typedef void (*auth_log_fn)(int level, const char *fields);

typedef struct auth_options {
    const char *data_dir;  /* users.json lives here; created when missing */
    int session_ttl_s;     /* login session lifetime, 28800 */
    int max_failures;      /* failed logins before 429, 5 */
    auth_log_fn log;       /* NULL: no log lines */
} auth_options;

void auth_options_default(auth_options *o);
/* Open (or create) the users file in o->data_dir. NULL with err on failure. */
auth *auth_open(const auth_options *o, char *err, size_t errlen);
void auth_close(auth *a);

/* Create or replace a user; roles as bits. 0, or -1 with err. */
int auth_user_put(auth *a, const char *user, const char *password, uint32_t participant,
                  uint32_t roles, char *err, size_t errlen);
bool auth_has_users(auth *a);

/* "view,trade" <-> bits; returns -1 on an unknown role name. */
int auth_roles_parse(const char *csv, uint32_t *roles);
void auth_roles_format(uint32_t roles, char *buf, size_t len);

/* Who a token (session or API) belongs to, with the user's rights now;
 * false when it is unknown, expired or revoked. */
bool auth_token_check(auth *a, const char *token, principal *out);

/* What a presented token is: a login session or a named API token. */
typedef struct auth_token_info {
    bool api;
    char name[AUTH_NAME_MAX + 1]; /* API tokens */
    int64_t expires_ns;
} auth_token_info;

/* Like auth_token_check(), and also says what kind of token it is (info may
 * be NULL). */
bool auth_token_lookup(auth *a, const char *token, principal *out, auth_token_info *info);

/* Check a user name and password for a gateway that has its own sessions
 * (FIX Logon): the same argon2id check, failure count and slow-down as
 * /api/v1/login (addr is the client's address), but no token is handed out.
 * Slow on purpose: call it off any latency-critical thread. true and *out
 * filled when the password is right and the user is not rate-limited. */
bool auth_password_check(auth *a, const char *user, const char *password, const char *addr,
                         principal *out);

#endif
