/* api_account.c -- a participant's own view: account, live orders, today's
 * fills, the last statement (docs/api.md, role `view`).
 *
 * Whose account: the caller's participant, or for an admin any participant
 * named with ?participant=N. auth_require() decides; a user naming another
 * participant gets 403 and learns nothing about it.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "projection.h"
#include "views.h"

/* Check the role for the participant the request is about; 0 after
 * answering a denial or a bad ?participant. */
static uint32_t account_of(req *r)
{
    int64_t pid = 0;
    if (!http_auth(r, ROLE_VIEW, HTTP_SELF) ||
        !http_query_int(r, "participant", 0, 1, UINT32_MAX - 1, &pid) ||
        (pid && !http_auth(r, ROLE_VIEW, (uint32_t)pid)))
        return 0;
    return pid ? (uint32_t)pid : r->who.participant;
}

bool api_id_segment(req *r, const char *seg, uint64_t *id)
{
    char *end;
    unsigned long long v = strtoull(seg, &end, 10);
    if (seg[0] < '0' || seg[0] > '9' || *end || v == 0) {
        http_not_found(r, "no such resource: ids are positive integers");
        return false;
    }
    *id = v;
    return true;
}

static int account_get(req *r)
{
    uint32_t pid = account_of(r);
    if (!pid) return r->status;
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = view_account(e, pid);
    core_read_end(r->s->core);
    return o ? http_json(r, 200, o, NULL) : http_not_found(r, "no such participant");
}

typedef struct orders_walk {
    server *s;
    const cets_engine *e;
    json_t *a;
    uint64_t only; /* one order id, or 0 for all */
} orders_walk;

static void orders_add(void *ctx, const cets_order_info *o)
{
    orders_walk *w = ctx;
    if (w->only && o->order_id != w->only) return;
    char coid[IDEM_COID_MAX + 1];
    bool has = o->client_ref &&
               projection_client_order_id(w->s->proj, o->participant, o->client_ref, coid);
    json_array_append_new(w->a, view_order(w->e, o, has ? coid : NULL));
}

int api_account_orders(req *r)
{
    uint64_t id = 0;
    if (r->nseg > 2 || (r->nseg == 2 && !api_id_segment(r, r->seg[1], &id))) return r->status;
    uint32_t pid = account_of(r);
    if (!pid) return r->status;
    orders_walk w = {r->s, core_read_begin(r->s->core), json_array(), id};
    cets_order_info one;
    if (id) { /* one order: look it up directly, then check it is this participant's */
        if (cets_order_get(w.e, id, &one) == 0 && one.participant == pid) orders_add(&w, &one);
    } else {
        cets_orders_foreach(w.e, pid, orders_add, &w);
    }
    core_read_end(r->s->core);
    if (!id) return http_json(r, 200, w.a, NULL);
    json_t *o = json_incref(json_array_get(w.a, 0));
    json_decref(w.a);
    return o ? http_json(r, 200, o, NULL) : http_not_found(r, "no such live order of yours");
}

typedef struct fills_walk {
    const cets_engine *e;
    uint32_t pid;
    json_t *a;
} fills_walk;

static void fills_add(void *ctx, const cets_trade *t)
{
    fills_walk *w = ctx;
    if (t->buyer == w->pid || t->seller == w->pid)
        json_array_insert_new(w->a, 0, view_fill(w->e, t, w->pid)); /* newest first */
}

static int fills_get(req *r)
{
    uint32_t pid = account_of(r);
    if (!pid) return r->status;
    fills_walk w = {core_read_begin(r->s->core), pid, json_array()};
    cets_trades_foreach(w.e, false, fills_add, &w);
    core_read_end(r->s->core);
    return http_json(r, 200, w.a, NULL);
}

static int statement_get(req *r)
{
    uint32_t pid = account_of(r);
    if (!pid) return r->status;
    cets_statement *st = malloc(sizeof *st);
    if (!st) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = NULL;
    int rc = cets_statement_get(e, pid, st);
    if (rc == 0 && st->date > 0) o = view_statement(e, st);
    core_read_end(r->s->core);
    free(st);
    if (rc != 0) return http_not_found(r, "no such participant");
    return o ? http_json(r, 200, o, NULL) : http_not_found(r, "no trading day has been closed yet");
}

static int h_account(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    if (strcmp(r.seg[0], "account") == 0) return account_get(&r);
    if (strcmp(r.seg[0], "fills") == 0) return fills_get(&r);
    return statement_get(&r);
}

void api_account_register(server *s)
{
    http_handle(s, "/api/v1/account", h_account);
    http_handle(s, "/api/v1/fills", h_account);
    http_handle(s, "/api/v1/statement", h_account);
}
