/* api_auth.c -- the account endpoints of docs/api.md: login, logout, me,
 * API tokens, and the operator's users (list, create or replace, delete),
 * over the credential store (src/auth).
 *
 * Bodies go through http.h's strict checks (size, JSON, known fields,
 * types), so a bad request is answered 400/413 and changes nothing. An API
 * token may not create tokens: a leaked program token must not be able to
 * mint itself a longer life. A logout ends only a session; API tokens are
 * revoked by name. When users.json cannot be written the answer is 503
 * unavailable and the store is as it was: that is the server's trouble,
 * not a bad field.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth/auth.h"
#include "auth/auth_int.h"
#include "http.h"
#include "core/log.h"

/* The caller with what kind of token it used; false after answering 401. */
static bool caller(req *r, auth_token_info *info)
{
    char tok[AUTH_TOKEN_HEX + 2];
    bool ok = http_auth_bearer(http_header(r, "Authorization"), tok, sizeof tok) &&
              auth_token_lookup(r->s->auth, tok, &r->who, info);
    sodium_memzero(tok, sizeof tok);
    if (!ok) {
        memset(&r->who, 0, sizeof r->who);
        http_auth_require(r, &r->who, 0, 0); /* answers 401 and logs */
        r->answered = true;
        return false;
    }
    http_note_user(r->who.user);
    return true;
}

/* users.json could not be written (disk full, permissions): 503, and the
 * store undid the change. The reason (err, when the store has not logged it
 * itself) goes to the log, not to the client. */
static int unwritten(req *r, const char *err)
{
    if (err) log_error("auth", "msg=\"users file not written\" error=%s", log_q(err));
    return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                      "the users file could not be written: nothing changed, try again later");
}

/* Exactly this path: civetweb also routes to a handler what merely starts
 * with its path ("/api/v1/loginx", "/api/v1/me/x"). */
static bool path_exact(req *r, const char *path)
{
    if (strcmp(r->path, path) == 0) return true;
    http_not_found(r, "no such resource");
    return false;
}

/* ---- login, logout, me ------------------------------------------------ */

static int on_login(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !path_exact(&r, "/api/v1/login")) return 404;
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    static const char *const fields[] = {"username", "password", NULL};
    json_t *b = http_body(&r, fields);
    const char *user = NULL, *pass = NULL;
    if (!b || !http_str(&r, b, "username", true, 64, &user) ||
        !http_str(&r, b, "password", true, AUTH_PASSWORD_MAX, &pass)) {
        json_decref(b);
        return 400;
    }
    char token[AUTH_TOKEN_HEX + 1], when[32];
    int64_t expires = 0;
    int retry = 0;
    principal p;
    auth_login_status st =
        auth_login(r.s->auth, user, pass, http_remote(&r), token, &expires, &p, &retry);
    json_decref(b);
    if (st == AUTH_LOGIN_LIMITED) {
        char hdr[48];
        snprintf(hdr, sizeof hdr, "Retry-After: %d", retry);
        json_t *e = json_pack("{s:s, s:i, s:s}", "error", "rate_limited", "code",
                              HTTP_E_RATE_LIMITED, "message",
                              "too many failed logins from this address: wait as Retry-After "
                              "says (other addresses are not affected)");
        return http_json(&r, 429, e, hdr);
    }
    if (st == AUTH_LOGIN_FULL)
        return http_error(&r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                          "too many sessions are open: try again later");
    if (st != AUTH_LOGIN_OK)
        return http_error(&r, 401, "unauthenticated", HTTP_E_UNAUTHENTICATED,
                          "wrong user name or password");
    http_note_user(p.user);
    auth_fmt_time(expires, when, sizeof when);
    int rc = http_json(&r, 200,
                       json_pack("{s:s, s:s, s:o}", "token", token, "expires_at", when, "user",
                                 auth_user_json(r.s->auth, p.user)),
                       NULL);
    sodium_memzero(token, sizeof token);
    return rc;
}

static int on_logout(http_conn *conn, void *cb)
{
    req r;
    auth_token_info info;
    if (!http_begin(&r, cb, conn) || !path_exact(&r, "/api/v1/logout")) return 404;
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    if (!caller(&r, &info)) return 401;
    char tok[AUTH_TOKEN_HEX + 2];
    http_auth_bearer(http_header(&r, "Authorization"), tok, sizeof tok);
    bool ended = !info.api && auth_logout(r.s->auth, tok);
    sodium_memzero(tok, sizeof tok);
    if (ended) log_info("auth", "msg=\"logout\" user=%s", log_q(r.who.user));
    return http_json(&r, 200, json_pack("{s:b}", "ended", ended), NULL);
}

static int on_me(http_conn *conn, void *cb)
{
    req r;
    auth_token_info info;
    if (!http_begin(&r, cb, conn) || !path_exact(&r, "/api/v1/me")) return 404;
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    if (!caller(&r, &info)) return 401;
    json_t *u = auth_user_json(r.s->auth, r.who.user);
    if (!u) /* removed since its token was checked */
        return http_error(&r, 401, "unauthenticated", HTTP_E_UNAUTHENTICATED,
                          "the user no longer exists");
    char when[32];
    auth_fmt_time(info.expires_ns, when, sizeof when);
    json_object_set_new(u, "token_kind", json_string(info.api ? "api" : "session"));
    if (info.api) json_object_set_new(u, "token_name", json_string(info.name));
    json_object_set_new(u, "expires_at", json_string(when));
    return http_json(&r, 200, u, NULL);
}

/* ---- API tokens ------------------------------------------------------- */

static int tokens_create(req *r, const auth_token_info *info)
{
    if (info->api) {
        log_warn("auth",
                 "msg=\"denied\" status=403 user=%s method=POST path=\"/api/v1/tokens\" "
                 "reason=\"API tokens cannot create tokens\"",
                 log_q(r->who.user));
        return http_error(r, 403, "forbidden", HTTP_E_FORBIDDEN,
                          "an API token cannot create tokens: log in with a password");
    }
    static const char *const fields[] = {"name", "ttl_days", NULL};
    json_t *b = http_body(r, fields);
    const char *name = NULL;
    int64_t days = 90;
    if (!b || !http_str(r, b, "name", true, AUTH_NAME_MAX, &name) ||
        !http_int(r, b, "ttl_days", false, 1, 3650, &days)) {
        json_decref(b);
        return 400;
    }
    char token[AUTH_TOKEN_HEX + 1], err[160], when[32];
    int64_t expires;
    int rc;
    int made = auth_token_create(r->s->auth, r->who.user, name, (int)days, token, &expires, err,
                                 sizeof err);
    if (made == AUTH_E_UNWRITTEN) {
        rc = unwritten(r, err);
    } else if (made != 0) {
        rc = http_field_error(r, "name", "%s", err);
    } else {
        auth_fmt_time(expires, when, sizeof when);
        rc = http_json(
            r, 201, json_pack("{s:s, s:s, s:s}", "token", token, "name", name, "expires_at", when),
            NULL);
        sodium_memzero(token, sizeof token);
    }
    json_decref(b);
    return rc;
}

static int on_tokens(http_conn *conn, void *cb)
{
    req r;
    auth_token_info info;
    if (!http_begin(&r, cb, conn)) return 404;
    if (r.nseg > 2 || strcmp(r.seg[0], "tokens") != 0)
        return http_not_found(&r, "no such resource");
    if (!caller(&r, &info)) return 401;
    if (r.nseg == 1 && http_is(&r, "POST")) return tokens_create(&r, &info);
    if (r.nseg == 1 && http_is(&r, "GET"))
        return http_json(&r, 200, auth_tokens_json(r.s->auth, r.who.user), NULL);
    if (r.nseg == 2 && http_is(&r, "DELETE")) {
        int rc = auth_token_delete(r.s->auth, r.who.user, r.seg[1]);
        if (rc == AUTH_E_INVALID) return http_not_found(&r, "you have no API token of that name");
        if (rc != 0) return unwritten(&r, NULL); /* logged by the store */
        return http_json(&r, 200, json_pack("{s:s, s:b}", "name", r.seg[1], "deleted", 1), NULL);
    }
    return http_bad_method(&r);
}

/* ---- users (operator) ------------------------------------------------- */

/* The "roles" array as bits; false after answering 400. */
static bool body_roles(req *r, json_t *b, uint32_t *roles)
{
    json_t *arr = json_object_get(b, "roles");
    size_t i;
    json_t *v;
    *roles = 0;
    if (!json_is_array(arr)) {
        http_field_error(r, "roles", "\"roles\" must be an array of role names");
        return false;
    }
    json_array_foreach(arr, i, v)
    {
        uint32_t bit = 0;
        char back[32] = "";
        if (json_is_string(v) && auth_roles_parse(json_string_value(v), &bit) == 0)
            auth_roles_format(bit, back, sizeof back);
        if (!bit || strcmp(back, json_string_value(v)) != 0) { /* exactly one role name */
            http_field_error(r, "roles",
                             "unknown role: the roles are view, trade, funds, "
                             "compliance, authority, admin");
            return false;
        }
        *roles |= bit;
    }
    return true;
}

static bool participant_exists(server *s, uint32_t pid)
{
    cets_participant_info info;
    const cets_engine *e = core_read_begin(s->core);
    bool found = cets_participant_get(e, pid, &info) == 0;
    core_read_end(s->core);
    return found;
}

static int users_create(req *r)
{
    static const char *const fields[] = {"username", "password", "participant", "roles", NULL};
    json_t *b = http_body(r, fields);
    const char *name = NULL, *pass = NULL;
    int64_t pid = 0;
    uint32_t roles = 0;
    int rc = 400;
    if (!b || !http_str(r, b, "username", true, AUTH_NAME_MAX, &name) ||
        !http_str(r, b, "password", true, AUTH_PASSWORD_MAX, &pass) ||
        !http_int(r, b, "participant", true, 1, UINT32_MAX, &pid) || !body_roles(r, b, &roles))
        goto out;
    if (!participant_exists(r->s, (uint32_t)pid)) {
        rc = http_reason(r, CETS_UNKNOWN_PARTICIPANT, NULL);
        goto out;
    }
    bool existed = auth_user_exists(r->s->auth, name);
    char err[200];
    int put = auth_user_put(r->s->auth, name, pass, (uint32_t)pid, roles, err, sizeof err);
    if (put == AUTH_E_UNWRITTEN) {
        rc = unwritten(r, err);
        goto out;
    }
    if (put != 0) {
        rc = http_field_error(r, strstr(err, "password") ? "password" : "username", "%s", err);
        goto out;
    }
    log_info("auth", "msg=\"user %s by operator\" user=%s by=%s", existed ? "replaced" : "created",
             log_q(name), log_q(r->who.user));
    api_user_changed(r->s, r->who.user, name, (uint32_t)pid, roles); /* the audit log's line */
    rc = http_json(r, existed ? 200 : 201, auth_user_json(r->s->auth, name), NULL);
out:
    json_decref(b);
    return rc;
}

/* DELETE /api/v1/admin/users/{name}: the user, its sessions and API tokens
 * end at once. An operator may not delete itself, so that a slip cannot
 * leave the exchange without one. */
static int users_delete(req *r, const char *name)
{
    if (strcmp(name, r->who.user) == 0)
        return http_field_error(r, "username",
                                "you cannot delete your own user: another operator must");
    char err[200];
    int rc = auth_user_delete(r->s->auth, name, err, sizeof err);
    if (rc == AUTH_E_INVALID) return http_not_found(r, "no such user");
    if (rc != 0) return unwritten(r, err);
    log_info("auth", "msg=\"user deleted by operator\" user=%s by=%s", name, r->who.user);
    return http_json(r, 200, json_pack("{s:s, s:b}", "username", name, "deleted", 1), NULL);
}

static int on_admin_users(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return 404;
    if (r.nseg < 2 || r.nseg > 3 || strcmp(r.seg[0], "admin") != 0 ||
        strcmp(r.seg[1], "users") != 0)
        return http_not_found(&r, "no such resource");
    if (!http_auth(&r, ROLE_ADMIN, 0)) return r.who.authenticated ? 403 : 401;
    if (r.nseg == 3)
        return http_is(&r, "DELETE") ? users_delete(&r, r.seg[2]) : http_bad_method(&r);
    if (http_is(&r, "GET")) return http_json(&r, 200, auth_users_json(r.s->auth), NULL);
    if (http_is(&r, "POST")) return users_create(&r);
    return http_bad_method(&r);
}

void api_auth_register(server *s)
{
    /* civetweb gives a handler its path and everything below it; the
     * handlers answer 404 for what is below when they have nothing there. */
    http_handle(s, "/api/v1/login", on_login);
    http_handle(s, "/api/v1/logout", on_logout);
    http_handle(s, "/api/v1/me", on_me);
    http_handle(s, "/api/v1/tokens", on_tokens);
    http_handle(s, "/api/v1/admin/users", on_admin_users);
}
