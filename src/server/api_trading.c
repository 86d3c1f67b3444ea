/* api_trading.c -- orders, takes, modifications, cancels and withdrawals
 * (docs/api.md, roles `trade` and `funds`).
 *
 * Each request becomes one command for the caller's own participant
 * (actor = participant: the engine checks it again), submitted with
 * api_submit(), which returns once the command is durable and applied. The
 * gateway only checks what the engine cannot see (JSON, types, the
 * instrument code, the client order id); every market rule is the engine's,
 * and its rejections come back as 422 with the reason.
 *
 * Idempotency: a client_order_id is claimed in the projection before the
 * command is submitted, so two concurrent requests with the same id execute
 * once; the second waits for the first and answers its result.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "projection.h"
#include "views.h"

#define REPLAY_HEADER "Idempotent-Replay: true\r\n"

/* The result of command cmd, an order, take or modification: 201 when it
 * created an order, 200 for a modification or an idempotent replay. */
static int answer_result(req *r, const cets_cmd *cmd, const idem_result *res, const char *coid,
                         bool replay, bool created)
{
    if (res->code != CETS_OK) return http_reject(r, cmd, res->code, replay ? REPLAY_HEADER : NULL);
    const char *status = res->resting_qty > 0          ? "resting"
                         : res->filled_qty == res->qty ? "filled"
                                                       : "done";
    json_t *o = json_object();
    json_object_set_new(o, "order_id", json_integer((json_int_t)res->order_id));
    json_object_set_new(o, "client_order_id", coid ? json_string(coid) : json_null());
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "qty", json_integer(res->qty));
    json_object_set_new(o, "filled_qty", json_integer(res->filled_qty));
    json_object_set_new(o, "filled_value", view_money(res->filled_value));
    json_object_set_new(o, "resting_qty", json_integer(res->resting_qty));
    json_object_set_new(o, "trades", json_integer(res->ntrades));
    return http_json(r, created && !replay ? 201 : 200, o, replay ? REPLAY_HEADER : NULL);
}

/* Claim client order id coid for cmd (its client_ref set here): what
 * projection_idem_claim says -- without waiting on an I/O thread, where a
 * busy id gives *defer (run the request again on a handler thread, which
 * waits for it). */
static idem_claim claim_id(req *r, cets_cmd *cmd, const char *coid, idem_result *res, bool *defer)
{
    cmd->client_ref = projection_client_ref(coid);
    bool nb = http_nonblocking(r);
    idem_claim c = (nb ? projection_idem_try : projection_idem_claim)(r->s->proj, cmd->participant,
                                                                      cmd->client_ref, coid, res);
    *defer = nb && c == CLAIM_BUSY;
    return c;
}

/* The answer of a claim that is not new (CLAIM_NEW: nothing, false). */
static bool answer_claim(req *r, idem_claim c, const cets_cmd *cmd, const idem_result *res,
                         const char *coid)
{
    switch (c) {
    case CLAIM_DONE: answer_result(r, cmd, res, coid, true, true); return true;
    case CLAIM_KNOWN:
        http_error(r, 409, "duplicate_request", CETS_DUPLICATE_REQUEST,
                   "this client_order_id was used earlier today, before the server restarted; "
                   "see GET /api/v1/orders and /api/v1/fills");
        return true;
    case CLAIM_BUSY:
        http_error(r, 409, "duplicate_request", CETS_DUPLICATE_REQUEST,
                   "a request with this client_order_id is still being executed");
        return true;
    case CLAIM_NOMEM:
        http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
        return true;
    case CLAIM_NEW: break;
    }
    return false;
}

/* The claim of an executed command is finished with its result; that of
 * one the core did not execute is let go. */
static void settle_id(req *r, const cets_cmd *cmd, const idem_result *res, bool standby_too)
{
    if (res->code == CETS_JOURNAL_FAILED || res->code == CETS_CAPACITY ||
        (standby_too && res->code == CETS_NOT_LEADER))
        projection_idem_release(r->s->proj, cmd->participant, cmd->client_ref); /* not executed */
    else
        projection_idem_finish(r->s->proj, cmd->participant, cmd->client_ref, res);
}

static idem_result idem_of(int code, const cets_result *cr, int64_t qty)
{
    return (idem_result){
        code, cr->order_id, qty, cr->filled_qty, cr->filled_value, cr->resting_qty, cr->ntrades};
}

/* An order or take on its way: what its answer needs. */
typedef struct order_flight {
    cets_cmd cmd;
    int code;
    cets_result res;
    int64_t qty;
    bool has_coid;
    char coid[IDEM_COID_MAX + 1];
} order_flight;

static int order_then(req *r, void *ctx)
{
    order_flight *f = ctx;
    const char *coid = f->has_coid ? f->coid : NULL;
    idem_result res = idem_of(f->code, &f->res, f->qty);
    if (coid) settle_id(r, &f->cmd, &res, false);
    answer_result(r, &f->cmd, &res, coid, false, true);
    free(f);
    return r->status;
}

/* Submit an order or take, once per client order id. */
static int submit_order(req *r, cets_cmd *cmd, int64_t qty, const char *coid)
{
    if (coid) {
        idem_result res = {0};
        bool defer;
        idem_claim c = claim_id(r, cmd, coid, &res, &defer);
        if (defer) return http_defer(r);
        if (answer_claim(r, c, cmd, &res, coid)) return r->status;
    }
    order_flight *f = calloc(1, sizeof *f);
    if (!f) {
        if (coid) projection_idem_release(r->s->proj, cmd->participant, cmd->client_ref);
        return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    }
    f->cmd = *cmd;
    f->qty = qty;
    f->has_coid = coid != NULL;
    if (coid) snprintf(f->coid, sizeof f->coid, "%s", coid);
    return api_submit_then(r, &f->cmd, &f->code, &f->res, 1, order_then, f);
}

/* Fields shared by orders and takes: instrument, side, client order id. */
static bool order_common(req *r, json_t *b, cets_cmd *cmd, const char **coid)
{
    const char *code;
    int side;
    if (!http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) ||
        !http_enum(r, b, "side", true, view_sides, &side) ||
        !http_str(r, b, "client_order_id", false, IDEM_COID_MAX, coid))
        return false;
    for (const char *c = *coid; c && *c; c++)
        if (*c < 0x21 || *c > 0x7e) {
            http_field_error(r, "client_order_id",
                             "\"client_order_id\" must be 1 to 32 printable ASCII characters");
            return false;
        }
    const cets_engine *e = core_read_begin(r->s->core);
    int id = cets_instrument_find(e, code);
    core_read_end(r->s->core);
    if (id < 0) {
        http_reason(r, CETS_UNKNOWN_INSTRUMENT, NULL);
        return false;
    }
    cmd->instrument = (uint32_t)id;
    cmd->side = (uint8_t)side;
    cmd->actor = cmd->participant = r->who.participant;
    return true;
}

#define QTY_LIMIT 1000000000000000LL
#define BATCH_MAX                                                                                  \
    1000 /* orders in one POST /api/v1/orders/batch */ /* type check only; the engine applies the rules */

static int order_post(req *r)
{
    static const char *const fields[] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                         NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd cmd = {.type = CETS_CMD_POST};
    const char *coid = NULL;
    int tif = CETS_TIF_DAY;
    if (b && order_common(r, b, &cmd, &coid) && http_money(r, b, "price", true, &cmd.price) &&
        http_int(r, b, "qty", true, -QTY_LIMIT, QTY_LIMIT, &cmd.qty) &&
        http_enum(r, b, "tif", false, view_tifs, &tif)) {
        cmd.flags = (uint8_t)tif;
        submit_order(r, &cmd, cmd.qty, coid);
    }
    json_decref(b);
    return r->status;
}

/* targets: [{"order_id":…, "qty":…}, …] into cmd; the total into *qty. */
static bool take_targets(req *r, json_t *t, cets_cmd *cmd, int64_t *qty)
{
    if (!json_is_array(t) || json_array_size(t) == 0) {
        http_field_error(r, "targets", "\"targets\" must be a non-empty array");
        return false;
    }
    if (json_array_size(t) > CETS_MAX_TARGETS) {
        http_reason(r, CETS_TOO_MANY_TARGETS, NULL);
        return false;
    }
    static const char *const tfields[] = {"order_id", "qty", NULL};
    *qty = 0;
    for (size_t i = 0; i < json_array_size(t); i++) {
        json_t *o = json_array_get(t, i);
        char name[32];
        snprintf(name, sizeof name, "targets[%zu]", i);
        const char *k;
        json_t *v;
        if (!json_is_object(o)) {
            http_field_error(r, name, "\"%s\" must be an object {\"order_id\", \"qty\"}", name);
            return false;
        }
        json_object_foreach(o, k, v)
        {
            bool known = !strcmp(k, tfields[0]) || !strcmp(k, tfields[1]);
            if (!known) {
                http_error(r, 400, "unknown_field", HTTP_E_UNKNOWN_FIELD,
                           "\"%s.%.40s\" is not part of the request", name, k);
                return false;
            }
        }
        int64_t id = 0, q = 0;
        if (!http_int(r, o, "order_id", true, 1, INT64_MAX, &id) ||
            !http_int(r, o, "qty", true, -QTY_LIMIT, QTY_LIMIT, &q))
            return false;
        cmd->u.targets[i] = (cets_target){(uint64_t)id, q};
        *qty += q;
    }
    cmd->ntargets = (uint8_t)json_array_size(t);
    return true;
}

static int take_post(req *r)
{
    static const char *const fields[] = {
        "code", "side", "targets", "qty", "limit", "client_order_id", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd cmd = {.type = CETS_CMD_TAKE};
    const char *coid = NULL;
    int64_t qty = 0;
    if (!b || !order_common(r, b, &cmd, &coid)) goto out;
    json_t *t = json_object_get(b, "targets");
    bool by_qty = json_object_get(b, "qty") || json_object_get(b, "limit");
    if (t && by_qty) {
        http_field_error(r, "targets",
                         "give either \"targets\" or \"qty\" and \"limit\", not both");
        goto out;
    }
    if (t ? !take_targets(r, t, &cmd, &qty)
          : (!http_int(r, b, "qty", true, -QTY_LIMIT, QTY_LIMIT, &cmd.qty) ||
             !http_money(r, b, "limit", true, &cmd.price)))
        goto out;
    submit_order(r, &cmd, t ? qty : cmd.qty, coid);
out:
    json_decref(b);
    return r->status;
}

static int order_modify(req *r, uint64_t id)
{
    static const char *const fields[] = {"price", "qty", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd cmd = {.type = CETS_CMD_MODIFY, .order_id = id, .price = -1, .qty = -1};
    if (!b || !http_money(r, b, "price", false, &cmd.price) ||
        !http_int(r, b, "qty", false, -QTY_LIMIT, QTY_LIMIT, &cmd.qty))
        goto out;
    bool has_qty = json_object_get(b, "qty") && !json_is_null(json_object_get(b, "qty"));
    if (cmd.price < 0 && !has_qty) {
        http_field_error(r, "price", "give \"price\", \"qty\" or both");
        goto out;
    }
    cmd.actor = cmd.participant = r->who.participant;
    cets_order_info o;
    const cets_engine *e = core_read_begin(r->s->core);
    int found = cets_order_get(e, id, &o);
    core_read_end(r->s->core);
    if (found != 0 || (o.participant != cmd.participant && cmd.actor != CETS_EXCHANGE_ID)) {
        http_reason(r, found != 0 ? CETS_UNKNOWN_ORDER : CETS_NOT_OWNER, NULL);
        goto out;
    }
    if (cmd.price < 0) /* what is not given stays as it is */
        cmd.price = o.price;
    if (!has_qty) cmd.qty = o.qty;
    cmd.participant = o.participant;
    cets_result res;
    int code = api_submit(r, &cmd, &res);
    if (code != CETS_OK) {
        http_reject(r, &cmd, code, NULL);
        goto out;
    }
    idem_result ir = {code,           res.order_id,     cmd.qty,
                      res.filled_qty, res.filled_value, res.resting_qty,
                      res.ntrades};
    answer_result(r, &cmd, &ir, NULL, false, false);
out:
    json_decref(b);
    return r->status;
}

static int cancel_then(req *r, void *ctx)
{
    order_flight *f = ctx;
    if (f->code != CETS_OK)
        http_reject(r, &f->cmd, f->code, NULL);
    else
        http_json(
            r, 200,
            json_pack("{s:I, s:s}", "order_id", (json_int_t)f->cmd.order_id, "status", "cancelled"),
            NULL);
    free(f);
    return r->status;
}

static int order_cancel(req *r, uint64_t id)
{
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    order_flight *f = calloc(1, sizeof *f);
    if (!f) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    f->cmd = (cets_cmd){.type = CETS_CMD_CANCEL,
                        .order_id = id,
                        .actor = r->who.participant,
                        .participant = r->who.participant};
    return api_submit_then(r, &f->cmd, &f->code, &f->res, 1, cancel_then, f);
}

/* ---- POST /api/v1/orders/batch ------------------------------------------- */

/* One order of a batch: what it submits, or the answer it already has. */
typedef struct batch_entry {
    cets_cmd cmd;
    const char *coid; /* into the batch's body */
    bool claimed;     /* its client order id is claimed (CLAIM_NEW) */
    json_t *answer;   /* NULL: submitted */
    int status;
} batch_entry;

/* A batch on its way: its entries, and what was submitted of them. */
typedef struct batch_flight {
    json_t *body; /* the request's (the entries' client order ids) */
    size_t n, ns;
    batch_entry *ent;
    cets_cmd *cmds;
    cets_result *res;
    int *codes;
    size_t *which; /* cmds[k] is entry which[k] */
} batch_flight;

static void batch_free(batch_flight *f)
{
    if (!f) return;
    for (size_t i = 0; f->ent && i < f->n; i++) json_decref(f->ent[i].answer);
    free(f->ent);
    free(f->cmds);
    free(f->res);
    free(f->codes);
    free(f->which);
    json_decref(f->body);
    free(f);
}

/* The answer of entry r (captured) as an element of the batch's results. */
static json_t *entry_answer(req *e, size_t i)
{
    json_t *o = e->captured ? e->captured : json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)i));
    json_object_set_new(o, "http_status", json_integer(e->status));
    return o;
}

/* An earlier entry of the same batch that claimed b's client order id:
 * that one executes it, and b must not wait for it (it would wait for its
 * own batch). */
static bool claimed_before(const batch_entry *ent, const batch_entry *b)
{
    for (const batch_entry *a = ent; a < b; a++)
        if (a->claimed && a->cmd.client_ref == b->cmd.client_ref &&
            a->cmd.participant == b->cmd.participant)
            return true;
    return false;
}

/* Check entry i of "orders" into b = &ent[i] (e answers it otherwise);
 * false: its client order id is busy and the request must wait for it
 * elsewhere (http_defer). */
static bool batch_check(req *e, json_t *o, size_t i, batch_entry *ent)
{
    batch_entry *b = &ent[i];
    static const char *const fields[] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                         NULL};
    char prefix[32];
    snprintf(prefix, sizeof prefix, "orders[%zu].", i);
    b->cmd = (cets_cmd){.type = CETS_CMD_POST};
    int tif = CETS_TIF_DAY;
    if (!json_is_object(o)) {
        http_field_error(e, "orders", "\"orders[%zu]\" must be an object", i);
        return true;
    }
    if (http_known_fields(e, o, fields, prefix) && order_common(e, o, &b->cmd, &b->coid) &&
        http_money(e, o, "price", true, &b->cmd.price) &&
        http_int(e, o, "qty", true, -QTY_LIMIT, QTY_LIMIT, &b->cmd.qty) &&
        http_enum(e, o, "tif", false, view_tifs, &tif))
        b->cmd.flags = (uint8_t)tif;
    if (e->answered || !b->coid) return true;
    idem_result res = {0};
    bool defer;
    b->cmd.client_ref = projection_client_ref(b->coid);
    if (claimed_before(ent, b)) { /* busy, by this batch */
        answer_claim(e, CLAIM_BUSY, &b->cmd, &res, b->coid);
        return true;
    }
    idem_claim c = claim_id(e, &b->cmd, b->coid, &res, &defer);
    if (defer) return false;
    b->claimed = !answer_claim(e, c, &b->cmd, &res, b->coid);
    return true;
}

/* The batch's commands are durable: each submitted entry's answer, then the
 * batch's. */
static int batch_then(req *r, void *ctx)
{
    batch_flight *f = ctx;
    req e = *r;
    e.capture = true;
    for (size_t k = 0; k < f->ns; k++) {
        batch_entry *b1 = &f->ent[f->which[k]];
        idem_result ir = idem_of(f->codes[k], &f->res[k], f->cmds[k].qty);
        if (b1->coid) settle_id(r, &b1->cmd, &ir, true);
        e.answered = false;
        e.captured = NULL;
        answer_result(&e, &f->cmds[k], &ir, b1->coid, false, true);
        b1->answer = entry_answer(&e, f->which[k]);
    }
    size_t accepted = 0;
    json_t *list = json_array();
    for (size_t i = 0; i < f->n; i++) {
        if (f->ent[i].answer &&
            json_integer_value(json_object_get(f->ent[i].answer, "http_status")) < 300)
            accepted++;
        json_array_append_new(list, f->ent[i].answer);
        f->ent[i].answer = NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "orders", json_integer((json_int_t)f->n));
    json_object_set_new(o, "accepted", json_integer((json_int_t)accepted));
    json_object_set_new(o, "refused", json_integer((json_int_t)(f->n - accepted)));
    json_object_set_new(o, "results", list);
    http_json(r, 200, o, NULL);
    batch_free(f);
    return r->status;
}

/* Up to BATCH_MAX orders, each checked and answered on its own, those that
 * pass submitted to the core together: one journal batch, one wake-up. */
static int orders_batch(req *r)
{
    static const char *const fields[] = {"orders", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    r->max_body = (size_t)r->s->cfg.batch_max_body;
    json_t *b = http_body(r, fields);
    if (!b) return r->status;
    json_t *orders = json_object_get(b, "orders");
    if (!json_is_array(orders) || json_array_size(orders) == 0) {
        http_field_error(r, "orders", "\"orders\" must be a non-empty array of orders");
        json_decref(b);
        return r->status;
    }
    size_t n = json_array_size(orders);
    if (n > BATCH_MAX) {
        http_error(r, 413, "too_large", HTTP_E_TOO_LARGE,
                   "a batch holds at most %d orders; this one has %zu (nothing was submitted)",
                   BATCH_MAX, n);
        json_decref(b);
        return r->status;
    }
    batch_flight *f = calloc(1, sizeof *f);
    if (f) {
        *f = (batch_flight){.body = b, .n = n};
        f->ent = calloc(n, sizeof *f->ent);
        f->cmds = calloc(n, sizeof *f->cmds);
        f->res = calloc(n, sizeof *f->res);
        f->codes = calloc(n, sizeof *f->codes);
        f->which = calloc(n, sizeof *f->which);
    }
    if (!f || !f->ent || !f->cmds || !f->res || !f->codes || !f->which) {
        http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
        if (f)
            batch_free(f);
        else
            json_decref(b);
        return r->status;
    }
    req e = *r;
    e.capture = true;
    for (size_t i = 0; i < n; i++) {
        e.answered = false;
        e.captured = NULL;
        if (!batch_check(&e, json_array_get(orders, i), i, f->ent)) {
            /* a busy id on an I/O thread: let go of what this batch claimed
             * (nothing is submitted yet), and run it again where it may wait */
            for (size_t k = 0; k < i; k++)
                if (f->ent[k].claimed)
                    projection_idem_release(r->s->proj, f->ent[k].cmd.participant,
                                            f->ent[k].cmd.client_ref);
            batch_free(f);
            return http_defer(r);
        }
        if (e.answered) {
            f->ent[i].answer = entry_answer(&e, i);
            continue;
        }
        f->cmds[f->ns] = f->ent[i].cmd;
        f->which[f->ns++] = i;
    }
    return api_submit_then(r, f->cmds, f->codes, f->res, f->ns, batch_then, f);
}

static int h_orders(http_conn *conn, void *cb)
{
    req r;
    uint64_t id = 0;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg == 2 && strcmp(r.seg[1], "batch") == 0)
        return http_is(&r, "POST") ? orders_batch(&r) : http_bad_method(&r);
    if (http_is(&r, "GET")) return api_account_orders(&r);
    if (r.nseg > 2) return http_not_found(&r, "no such resource");
    if (http_is(&r, "POST") && r.nseg == 1) return order_post(&r);
    if (r.nseg == 2 && !api_id_segment(&r, r.seg[1], &id)) return r.status;
    if (http_is(&r, "PATCH") && id) return order_modify(&r, id);
    if (http_is(&r, "DELETE") && id) return order_cancel(&r, id);
    return http_bad_method(&r);
}

static int h_takes(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    return take_post(&r);
}

static int withdraw(req *r)
{
    static const char *const fields[] = {"amount", "participant", NULL};
    if (!http_auth(r, ROLE_FUNDS, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    int64_t amount = 0, pid = 0;
    if (!b || !http_money(r, b, "amount", true, &amount) ||
        !http_int(r, b, "participant", false, 1, UINT32_MAX - 1, &pid) ||
        (pid && !http_auth(r, ROLE_FUNDS, (uint32_t)pid)))
        goto out;
    if (!pid) pid = r->who.participant;
    /* one's own funds as oneself; an admin's withdrawal for another as the exchange */
    cets_cmd cmd = {.type = CETS_CMD_WITHDRAW,
                    .participant = (uint32_t)pid,
                    .qty = amount,
                    .actor = pid == r->who.participant ? (uint32_t)pid : CETS_EXCHANGE_ID};
    int code = api_submit(r, &cmd, NULL);
    if (code != CETS_OK) {
        http_reject(r, &cmd, code, NULL);
        goto out;
    }
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *acct = view_account(e, (uint32_t)pid);
    core_read_end(r->s->core);
    json_object_set_new(acct, "withdrawn", view_money(amount));
    http_json(r, 200, acct, NULL);
out:
    json_decref(b);
    return r->status;
}

static int h_withdrawals(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    return withdraw(&r);
}

/* The requests that run on an event loop's I/O thread: orders, batches,
 * takes and cancels (they submit with api_submit_then and claim ids without
 * waiting). */
static bool trading_nonblocking(const char *method, const char *path)
{
    if (strcmp(method, "POST") == 0)
        return strcmp(path, "/api/v1/orders") == 0 || strcmp(path, "/api/v1/orders/batch") == 0 ||
               strcmp(path, "/api/v1/takes") == 0;
    if (strcmp(method, "DELETE") != 0 || strncmp(path, "/api/v1/orders/", 15) != 0) return false;
    const char *id = path + 15;
    return id[0] && strspn(id, "0123456789") == strlen(id);
}

void api_trading_register(server *s)
{
    http_nonblocking_routes(trading_nonblocking);
    http_handle(s, "/api/v1/orders", h_orders);
    http_handle(s, "/api/v1/takes", h_takes);
    http_handle(s, "/api/v1/withdrawals", h_withdrawals);
}
