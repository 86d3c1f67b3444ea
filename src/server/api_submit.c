/* api_submit.c -- the one way an HTTP handler submits a command: with the
 * acting user on it.
 *
 * cets_cmd.user names the person behind every command, so the journal, and
 * the audit log made from it (docs/registry.md "The audit log"), says who did
 * what: the engine itself only compares user numbers for the four-eyes rule
 * of transfers. A user number is the 32-bit FNV-1a hash of the user name (0
 * becomes 1), stable across restarts and replays; the USER_SET lines of the
 * audit log map numbers to names.
 */
#include <string.h>

#include "api.h"
#include "core/log.h"

uint32_t api_user_number(const char *user)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)user; *p; p++) h = (h ^ *p) * 16777619u;
    return h ? h : 1;
}

int api_submit(req *r, cets_cmd *c, cets_result *res)
{
    c->user = r->who.authenticated ? api_user_number(r->who.user) : 0;
    return core_submit(r->s->core, c, res);
}

int api_submit_then(req *r, cets_cmd *cmds, int *codes, cets_result *res, size_t n,
                    http_then_fn then, void *ctx)
{
    uint32_t user = r->who.authenticated ? api_user_number(r->who.user) : 0;
    for (size_t i = 0; i < n; i++) cmds[i].user = user;
    int refused = n ? http_submit_nonblocking(r, cmds, codes, res, n, then, ctx) : -1;
    if (refused == 0) return 0; /* then() answers when the completion comes */
    if (refused > 0) {
        for (size_t i = 0; i < n; i++) {
            codes[i] = refused;
            memset(&res[i], 0, sizeof res[i]);
            res[i].code = refused;
        }
    } else if (n == 1) {
        codes[0] = core_submit(r->s->core, cmds, res);
    } else if (n > 1) {
        core_submit_batch(r->s->core, cmds, res, codes, n); /* a refusal is in every codes[i] */
    }
    then(r, ctx);
    return r->status;
}

int api_user_changed(server *s, const char *by, const char *name, uint32_t participant,
                     int64_t roles)
{
    cets_cmd c = {.type = CETS_CMD_USER_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = participant,
                  .counterparty = api_user_number(name),
                  .aux = roles,
                  .user = by && by[0] ? api_user_number(by) : 0};
    snprintf(c.u.text, sizeof c.u.text, "%s", name);
    int code = core_submit(s->core, &c, NULL);
    if (code != CETS_OK)
        log_error("auth",
                  "msg=\"user change stored but not journaled: not in the audit log\" "
                  "alarm=1 user=%s by=%s reason=%s",
                  name, by && by[0] ? by : "-", cets_reason_name(code));
    return code;
}
