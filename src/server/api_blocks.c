/* api_blocks.c -- block agreements: quotes, direct proposals, counter-proposals,
 * acceptance and decline (docs/api.md "Block agreements"). The request helpers shared with
 * auctions and the registry are in api_reg.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_reg.h"
#include "cets/registry.h"
#include "views.h"

/* ---- block agreements ------------------------------------------------------ */

static void block_cb(void *ctx, const cets_block_info *b)
{
    listctx *l = ctx;
    json_array_append_new(l->a, view_block(l->e, b));
}

static int block_answer(req *r, uint64_t id, int status)
{
    cets_block_info b;
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = cets_block_get(e, id, &b) == 0 ? view_block(e, &b) : NULL;
    core_read_end(r->s->core);
    if (!o) return http_json(r, status, json_pack("{s:I}", "id", (json_int_t)id), NULL);
    return http_json(r, status, o, NULL);
}

static int blocks_list(req *r)
{
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    listctx l = {.a = json_array()};
    l.e = core_read_begin(r->s->core);
    cets_blocks_foreach(l.e, r->who.participant, block_cb, &l);
    core_read_end(r->s->core);
    return http_json(r, 200, l.a, NULL);
}

static int block_new(req *r, bool quote)
{
    static const char *const qfields[] = {"code", "side", "price", "qty", NULL};
    static const char *const pfields[] = {"code",         "side",    "price", "qty",
                                          "counterparty", "answers", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, quote ? qfields : pfields);
    cets_cmd c = {.type = quote ? CETS_CMD_BLOCK_QUOTE : CETS_CMD_BLOCK_PROPOSE};
    int64_t cp = 0, ans = 0;
    cets_result res;
    if (!b || !api_terms(r, b, &c)) goto out;
    if (!quote) {
        if (!http_int(r, b, "counterparty", false, 1, UINT32_MAX - 1, &cp) ||
            !http_int(r, b, "answers", false, 1, INT64_MAX, &ans))
            goto out;
        if (!cp == !ans) {
            http_field_error(r, "counterparty", "give either \"counterparty\" or \"answers\"");
            goto out;
        }
        c.counterparty = (uint32_t)cp;
        c.order_id = (uint64_t)ans;
    }
    c.actor = c.participant = r->who.participant;
    if (api_submit_checked(r, &c, &res)) block_answer(r, res.order_id, 201);
out:
    json_decref(b);
    return r->status;
}

static int block_act(req *r, uint64_t id, int type)
{
    static const char *const afields[] = {"code", "side", "price", "qty", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    cets_cmd c = {.type = (uint8_t)type, .order_id = id};
    json_t *b = NULL;
    if (type == CETS_CMD_BLOCK_ACCEPT) {
        b = http_body(r, afields);
        if (!b || !api_terms(r, b, &c)) goto out;
    }
    c.actor = c.participant = r->who.participant;
    if (api_submit_checked(r, &c, NULL)) block_answer(r, id, 200);
out:
    json_decref(b);
    return r->status;
}

static int h_blocks(http_conn *conn, void *cb)
{
    req r;
    uint64_t id = 0;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg == 1) return http_is(&r, "GET") ? blocks_list(&r) : http_bad_method(&r);
    if (r.nseg == 2 && strcmp(r.seg[1], "quotes") == 0)
        return http_is(&r, "POST") ? block_new(&r, true) : http_bad_method(&r);
    if (r.nseg == 2 && strcmp(r.seg[1], "proposals") == 0)
        return http_is(&r, "POST") ? block_new(&r, false) : http_bad_method(&r);
    if (r.nseg < 2 || r.nseg > 3) return http_not_found(&r, "no such resource");
    if (!api_id_segment(&r, r.seg[1], &id)) return r.status;
    if (r.nseg == 2)
        return http_is(&r, "DELETE") ? block_act(&r, id, CETS_CMD_BLOCK_WITHDRAW)
                                     : http_bad_method(&r);
    int type = strcmp(r.seg[2], "accept") == 0    ? CETS_CMD_BLOCK_ACCEPT
               : strcmp(r.seg[2], "decline") == 0 ? CETS_CMD_BLOCK_DECLINE
                                                  : 0;
    if (!type) return http_not_found(&r, "no such resource");
    return http_is(&r, "POST") ? block_act(&r, id, type) : http_bad_method(&r);
}

void api_blocks_register(server *s)
{
    http_handle(s, "/api/v1/blocks", h_blocks);
}
