/* http_auth.c -- who is calling an HTTP request, and may they (http.h, "who
 * is asking"): the bearer token of the Authorization header, looked up in
 * the credential store (src/auth), and the 401/403 answers with their log
 * line.
 *
 * The store knows nothing of HTTP; this file is the only place where a
 * request meets it, so the rule "no valid token: 401; a valid one without
 * the role or for another participant: 403; an admin may act on any
 * participant" is written once.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../auth/auth_int.h"
#include "http.h"
#include "core/log.h"

bool http_auth_bearer(const char *h, char *tok, size_t len)
{
    if (!h) return false;
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        snprintf(tok, len, "%s", ""); /* present but not a bearer token: invalid */
        return true;
    }
    h += 7;
    while (*h == ' ') h++;
    size_t n = strcspn(h, " \t\r\n");
    if (n >= len) n = 0; /* too long to be one of ours */
    memcpy(tok, h, n);
    tok[n] = 0;
    return true;
}

bool http_auth_identify(auth *a, const char *authorization, principal *out, auth_token_info *info)
{
    char tok[AUTH_TOKEN_HEX + 2];
    memset(out, 0, sizeof *out);
    if (info) memset(info, 0, sizeof *info);
    if (!http_auth_bearer(authorization, tok, sizeof tok)) return true; /* anonymous */
    bool ok = auth_token_lookup(a, tok, out, info);
    sodium_memzero(tok, sizeof tok);
    return ok;
}

bool http_auth_require(req *r, const principal *p, uint32_t role, uint32_t participant)
{
    char why[128];
    int status = 0;
    if (!p || !p->authenticated) {
        status = 401;
        snprintf(why, sizeof why, "%s",
                 http_header(r, "Authorization")
                     ? "the token is not valid (expired, revoked or malformed): log in again"
                     : "login required: send Authorization: Bearer <token>");
    } else if ((p->roles & role) != role) {
        char need[96];
        auth_roles_format(role & ~p->roles, need, sizeof need);
        status = 403;
        snprintf(why, sizeof why, "role %s required", need);
    } else if (participant && participant != p->participant && !(p->roles & ROLE_ADMIN)) {
        status = 403;
        snprintf(why, sizeof why, "participant %u is not yours", participant);
    }
    if (!status) return true;
    char path[512];
    snprintf(path, sizeof path, "%s", r->path[0] ? r->path : "-");
    for (char *c = path; *c; c++) /* keep the log line parseable */
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = '_';
    log_warn("auth", "msg=\"denied\" status=%d user=%s method=%s path=%s reason=%s", status,
             log_q(p && p->authenticated ? p->user : "-"),
             log_q(r->method && r->method[0] ? r->method : "-"), log_q(path), log_q(why));
    if (status == 401)
        http_error(r, 401, "unauthenticated", HTTP_E_UNAUTHENTICATED, "%s", why);
    else
        http_error(r, 403, "forbidden", HTTP_E_FORBIDDEN, "%s", why);
    return false;
}

bool http_auth(req *r, uint32_t role, uint32_t participant)
{
    if (!r->identified &&
        !http_auth_identify(r->s->auth, http_header(r, "Authorization"), &r->who, NULL))
        memset(&r->who, 0, sizeof r->who); /* a bad token: http_auth_require answers 401 */
    r->identified = true;
    if (r->who.authenticated) http_note_user(r->who.user);
    if (participant == HTTP_SELF) participant = r->who.participant;
    if (http_auth_require(r, &r->who, role, participant)) return true;
    r->answered = true;
    r->status = r->who.authenticated ? 403 : 401; /* no valid token 401, else 403 */
    return false;
}
