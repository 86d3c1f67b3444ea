/* auth.h -- users, roles, passwords (argon2id via libsodium), session and API
 * tokens, and slowing down repeated failed logins.
 *
 * Users are kept in <data_dir>/users.json (written atomically: temporary
 * file, fsync, rename). Only password hashes and token hashes are stored;
 * tokens and passwords never reach a log.
 */
#ifndef CETS_SERVER_AUTH_H
#define CETS_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

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

/* Open (or create) the users file in data_dir. NULL with err on failure. */
auth *auth_open(const char *data_dir, int session_ttl_s, int max_failures, char *err,
                size_t errlen);
void auth_close(auth *a);

/* What a change of users or tokens returns when users.json could not be
 * written: nothing changed, and the caller answers 503, not 400. */
#define AUTH_E_STORE (-2)

/* Create or replace a user; roles as bits. 0, -1 with err for a bad name,
 * password or role, or AUTH_E_STORE with err. */
int auth_user_put(auth *a, const char *user, const char *password, uint32_t participant,
                  uint32_t roles, char *err, size_t errlen);
bool auth_has_users(auth *a);

/* "view,trade" <-> bits; returns -1 on an unknown role name. */
int auth_roles_parse(const char *csv, uint32_t *roles);
void auth_roles_format(uint32_t roles, char *buf, size_t len);

/* Who is calling: reads "Authorization: Bearer …"; an anonymous principal
 * (authenticated = false) when there is no header; false when a token is
 * given but invalid or expired (answer 401). */
bool auth_identify(auth *a, struct mg_connection *conn, principal *out);
/* Token check for WebSocket "auth" messages. */
bool auth_token_check(auth *a, const char *token, principal *out);

/* Check that p may act with `role` on `participant` (0 = no particular
 * participant). Sends the 401/403 JSON answer itself and logs the denial when
 * not allowed; returns true when allowed. Admins may act on any participant. */
bool auth_require(auth *a, struct mg_connection *conn, const principal *p, uint32_t role,
                  uint32_t participant);

/* Check a user name and password for a gateway that has its own sessions
 * (FIX Logon): the same argon2id check, failure count and slow-down as
 * /api/v1/login (addr is the client's address), but no token is handed out.
 * Slow on purpose: call it off any latency-critical thread. true and *out
 * filled when the password is right and the user is not rate-limited. */
bool auth_password_check(auth *a, const char *user, const char *password, const char *addr,
                         principal *out);

/* Register /api/v1/login, logout, me, tokens and admin/users handlers. */
void api_auth_register(server *s);

#endif
