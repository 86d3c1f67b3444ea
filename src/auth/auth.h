/* auth.h -- the credential store: users, roles, passwords (argon2id via
 * libsodium), session and API tokens, and slowing down repeated failed
 * logins.
 *
 * It knows nothing of HTTP or FIX: cetsd's HTTP middleware
 * (src/server/http_auth.c), its WebSocket streams and the FIX gateway's
 * Logon all ask it, so one policy holds for every way in. Users are kept in
 * <data_dir>/users.json (written atomically: temporary file, fsync,
 * rename). Only password hashes and token hashes are stored; tokens and
 * passwords never reach a log.
 *
 * Whoever holds on to an identity beyond one request (a WebSocket after
 * "auth", a FIX session after Logon) registers a listener: the store tells
 * it whenever a session or token ends or a user's password, participant or
 * roles change, so that rights are never kept longer than they last.
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
    const char *data_dir;     /* users.json lives here; created when missing */
    int session_ttl_s;        /* login session lifetime, 28800 */
    int sessions_per_user;    /* live sessions of one user; a login past it ends the oldest, 16 */
    int max_sessions;         /* live sessions of all users; a login past it is refused, 100000 */
    int max_failures;         /* failed logins of one user from one address before a lockout, 5 */
    int max_address_failures; /* failed logins from one address (any user) before a lockout, 50 */
    int sweep_ms;             /* how often expired sessions and tokens are ended, 1000 */
    auth_log_fn log;          /* NULL: no log lines */
    /* How users.json is made durable before it replaces the old file: NULL
     * is fsync(2). 0, or -1 with errno (the change is then refused, nothing
     * changed). Tests put a slow or failing disk here. */
    int (*sync)(int fd, void *ctx);
    void *sync_ctx;
} auth_options;

void auth_options_default(auth_options *o);
/* Open (or create) the users file in o->data_dir. NULL with err on failure. */
auth *auth_open(const auth_options *o, char *err, size_t errlen);
/* Call after every listener has left. */
void auth_close(auth *a);

/* What a change of users returns besides 0. */
enum {
    AUTH_E_INVALID = -1,   /* the request is wrong (name, password, role; no such user) */
    AUTH_E_UNWRITTEN = -2, /* users.json could not be written: nothing changed */
};

/* Create or replace a user; roles as bits. 0, or AUTH_E_* with err.
 * Replacing ends rights given before: a new password ends every session
 * and API token of the user, a move to another participant too; taking
 * away any role ends its sessions (its API tokens keep the rights that are
 * left). The same password and roles, or only more roles, end nothing. */
int auth_user_put(auth *a, const char *user, const char *password, uint32_t participant,
                  uint32_t roles, char *err, size_t errlen);
/* Remove a user with its sessions and API tokens. 0, or AUTH_E_INVALID (no
 * such user) or AUTH_E_UNWRITTEN, with err. */
int auth_user_delete(auth *a, const char *user, char *err, size_t errlen);
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
    uint64_t cred; /* the session's or token's id, unique in this process (never 0) */
} auth_token_info;

/* Like auth_token_check(), and also says what kind of token it is (info may
 * be NULL). */
bool auth_token_lookup(auth *a, const char *token, principal *out, auth_token_info *info);
/* Whether the credential cred (auth_token_info.cred) is still alive, and
 * (out may be NULL) its user's rights now. */
bool auth_cred_check(auth *a, uint64_t cred, principal *out);

/* Check a user name and password for a gateway that has its own sessions
 * (FIX Logon): the same argon2id check, failure count and lockout as
 * /api/v1/login (addr is the client's address), but no session is opened,
 * so it never ends one of the user's HTTP sessions. Slow on purpose: call it
 * off any latency-critical thread. true and *out filled when the password
 * is right and the user is not locked out from addr. */
bool auth_password_check(auth *a, const char *user, const char *password, const char *addr,
                         principal *out);

/* ---- credentials that end, and who is told -------------------------------- */

typedef enum auth_end {
    AUTH_END_LOGOUT = 1,     /* the session logged out */
    AUTH_END_EXPIRED,        /* the session or API token reached its expiry */
    AUTH_END_SESSION_LIMIT,  /* the user's oldest session, ended by a login past the cap */
    AUTH_END_TOKEN_DELETED,  /* the API token was deleted */
    AUTH_END_PASSWORD_RESET, /* the user's password was changed */
    AUTH_END_MOVED,          /* the user was moved to another participant */
    AUTH_END_ROLES_REDUCED,  /* a role was taken from the user */
    AUTH_END_USER_DELETED,   /* the user was deleted */
    AUTH_END_COUNT
} auth_end;

/* A stable name for clients and logs ("logout", "expired", "session_limit",
 * "token_deleted", "password_reset", "participant_changed", "roles_reduced",
 * "user_deleted") and a sentence. */
const char *auth_end_name(auth_end why);
const char *auth_end_message(auth_end why);

typedef struct auth_notice {
    auth_end why;
    char user[AUTH_NAME_MAX + 1];
    /* The one session or API token that ended; or 0: the user changed
     * (password, participant, roles, deleted), so any of its credentials
     * may have ended or lost rights -- ask auth_cred_check() again. */
    uint64_t cred;
} auth_notice;

/* Called after the change, outside the store's lock, on the thread that
 * made it (or the store's expiry timer), with the notices of one change.
 * It may call auth_cred_check() and auth_token_lookup(), but must not change
 * the store or (un)register listeners. */
typedef void (*auth_listener_fn)(void *ctx, const auth_notice *n, size_t count);
/* 0, or -1 when too many listen already (AUTH_MAX_LISTENERS). */
#define AUTH_MAX_LISTENERS 8
int auth_listen(auth *a, auth_listener_fn fn, void *ctx);
/* Remove it; returns after any call to it in progress has returned. */
void auth_unlisten(auth *a, auth_listener_fn fn, void *ctx);

/* Counters for /metrics. */
typedef struct auth_stats {
    uint64_t logins;                /* passwords accepted (HTTP logins and FIX Logons) */
    uint64_t login_failures;        /* passwords refused */
    uint64_t lockouts;              /* a user at an address, or an address, locked out */
    uint64_t limited;               /* attempts refused while locked out */
    uint64_t ended[AUTH_END_COUNT]; /* sessions and API tokens ended, by why */
    uint64_t sessions;              /* live sessions now */
} auth_stats;
void auth_get_stats(auth *a, auth_stats *out);

#endif
