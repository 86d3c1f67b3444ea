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
#include "order_json.h"
#include "projection.h"
#include "views.h"

#define REPLAY_HEADER "Idempotent-Replay: true\r\n"

/* The result of command cmd, an order, take or modification: 201 when it
 * created an order, 200 for a modification or an idempotent replay. */
static int answer_result(req *r, const cets_cmd *cmd, const idem_result *res, const char *coid,
                         bool replay, bool created)
{
    if (res->code != CETS_OK) return http_reject(r, cmd, res->code, replay ? REPLAY_HEADER : NULL);
    if (r->capture) /* a batch's entry answered before it is submitted: kept as a tree */
        return http_json(r, created && !replay ? 201 : 200, oj_result_json(res, coid),
                         replay ? REPLAY_HEADER : NULL);
    jbuf w;
    jb_init(&w);
    oj_result_write(&w, res, coid);
    int st = created && !replay ? 201 : 200;
    if (w.oom)
        http_json(r, st, oj_result_json(res, coid), replay ? REPLAY_HEADER : NULL);
    else
        http_json_text(r, st, replay ? REPLAY_HEADER : NULL, w.p, w.len);
    jb_free(&w);
    return st;
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
 * one the core did not execute is let go: a failed journal, a core stopping,
 * and a standby's refusal (the core refuses at the queue's door: nothing ran,
 * and the same id must go through once this node leads). */
static void settle_id(req *r, const cets_cmd *cmd, const idem_result *res)
{
    if (res->code == CETS_JOURNAL_FAILED || res->code == CETS_CAPACITY ||
        res->code == CETS_NOT_LEADER)
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
    if (coid) settle_id(r, &f->cmd, &res);
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

/* POST /api/v1/orders and /api/v1/takes: the fast parser, else jansson. */
static int order_or_take(req *r, oj_kind kind, const char *const fields[])
{
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    size_t n;
    const char *body = http_body_bytes(r, &n);
    if (!body) return r->status;
    cets_cmd cmd;
    oj_order o;
    if (oj_parse(body, n, kind, &o)) {
        if (oj_cmd(r, &o, kind, &cmd)) submit_order(r, &cmd, cmd.qty, o.has_coid ? o.coid : NULL);
    } else {
        json_t *b = http_body(r, fields);
        const char *coid = NULL;
        int64_t qty = 0;
        if (b && oj_json(r, b, kind, &cmd, &coid, &qty)) submit_order(r, &cmd, qty, coid);
        json_decref(b);
    }
    http_body_done(r);
    return r->status;
}

static int order_post(req *r)
{
    static const char *const fields[] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                         NULL};
    return order_or_take(r, OJ_ORDER, fields);
}

static int take_post(req *r)
{
    static const char *const fields[] = {
        "code", "side", "targets", "qty", "limit", "client_order_id", NULL};
    return order_or_take(r, OJ_TAKE, fields);
}

static int order_modify(req *r, uint64_t id)
{
    static const char *const fields[] = {"price", "qty", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd cmd = {.type = CETS_CMD_MODIFY, .order_id = id, .price = -1, .qty = -1};
    if (!b || !http_money(r, b, "price", false, &cmd.price) ||
        !http_int(r, b, "qty", false, -OJ_QTY_LIMIT, OJ_QTY_LIMIT, &cmd.qty))
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
    else {
        jbuf w;
        jb_init(&w);
        oj_cancel_write(&w, f->cmd.order_id);
        http_json_text(r, 200, NULL, w.p, w.len); /* a few bytes: never out of the inline room */
        jb_free(&w);
    }
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
    const char *coid; /* into the batch's body, or its fast entry */
    bool claimed;     /* its client order id is claimed (CLAIM_NEW) */
    json_t *answer;   /* answered before submission (with index and http_status) */
    int status;       /* ... its status */
    size_t k;         /* submitted: cmds[k] */
} batch_entry;

/* A batch on its way: its entries, and what was submitted of them. */
typedef struct batch_flight {
    json_t *body;   /* the general path's parse (the entries' client order ids) */
    oj_order *fast; /* the fast parser's entries, or NULL */
    size_t n, ns;
    batch_entry *ent;
    cets_cmd *cmds;
    cets_result *res;
    int *codes;
} batch_flight;

static void batch_free(batch_flight *f)
{
    if (!f) return;
    for (size_t i = 0; f->ent && i < f->n; i++) json_decref(f->ent[i].answer);
    free(f->ent);
    free(f->cmds);
    free(f->res);
    free(f->codes);
    free(f->fast);
    json_decref(f->body);
    free(f);
}

/* The answer o (NULL: {}) as an element of the batch's results (the
 * reference is taken). */
static json_t *entry_answer(json_t *o, size_t i, int status)
{
    if (!o) o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)i));
    json_object_set_new(o, "http_status", json_integer(status));
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

/* Claim the client order id of entry b, checked (e answers it otherwise);
 * false: it is busy and the request must wait for it elsewhere
 * (http_defer). */
static bool batch_claim(req *e, batch_entry *ent, batch_entry *b)
{
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

/* Check entry i of the batch into ent[i] (e answers it otherwise): its
 * fast entry, or o of the general path's "orders". */
static bool batch_check(req *e, batch_flight *f, json_t *o, size_t i)
{
    batch_entry *b = &f->ent[i];
    if (f->fast) {
        if (oj_cmd(e, &f->fast[i], OJ_ORDER, &b->cmd) && f->fast[i].has_coid)
            b->coid = f->fast[i].coid;
        return batch_claim(e, f->ent, b);
    }
    static const char *const fields[] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                         NULL};
    char prefix[32];
    snprintf(prefix, sizeof prefix, "orders[%zu].", i);
    b->cmd = (cets_cmd){.type = CETS_CMD_POST};
    int64_t qty;
    if (!json_is_object(o)) {
        http_field_error(e, "orders", "\"orders[%zu]\" must be an object", i);
        return true;
    }
    if (http_known_fields(e, o, fields, prefix) &&
        !oj_json(e, o, OJ_ORDER, &b->cmd, &b->coid, &qty))
        b->coid = NULL;
    return batch_claim(e, f->ent, b);
}

/* The batch's commands are durable: each submitted entry's claim settled,
 * and the batch's answer written in one buffer (order_json.h). */
static int batch_then(req *r, void *ctx)
{
    batch_flight *f = ctx;
    size_t accepted = 0;
    for (size_t i = 0; i < f->n; i++) {
        batch_entry *b = &f->ent[i];
        if (b->answer) {
            accepted += b->status < 300;
            continue;
        }
        idem_result ir = idem_of(f->codes[b->k], &f->res[b->k], f->cmds[b->k].qty);
        if (b->coid) settle_id(r, &b->cmd, &ir);
        accepted += ir.code == CETS_OK;
    }
    jbuf w;
    jb_init(&w);
    jb_raw(&w, "{\"orders\":", 10);
    jb_int(&w, (long long)f->n);
    jb_raw(&w, ",\"accepted\":", 12);
    jb_int(&w, (long long)accepted);
    jb_raw(&w, ",\"refused\":", 11);
    jb_int(&w, (long long)(f->n - accepted));
    jb_raw(&w, ",\"results\":[", 12);
    for (size_t i = 0; i < f->n; i++) {
        batch_entry *b = &f->ent[i];
        if (i) jb_raw(&w, ",", 1);
        json_t *tree = b->answer;
        if (!tree) {
            size_t k = b->k;
            idem_result ir = idem_of(f->codes[k], &f->res[k], f->cmds[k].qty);
            if (ir.code == CETS_OK) {
                oj_result_write(&w, &ir, b->coid);
                oj_entry_close(&w, i, 201);
                continue;
            }
            http_rejection x;
            http_rejection_of(r, &f->cmds[k], ir.code, &x);
            if (oj_rejection_write(&w, &x)) {
                oj_entry_close(&w, i, x.status);
                continue;
            }
            tree = b->answer = entry_answer(http_rejection_json(&x), i, x.status);
        }
        char *text = json_dumps(tree, JSON_COMPACT);
        if (text) jb_raw(&w, text, strlen(text));
        free(text);
        if (!text) w.oom = true;
    }
    jb_raw(&w, "]}", 2);
    if (w.oom)
        http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    else
        http_json_text(r, 200, NULL, w.p, w.len);
    jb_free(&w);
    batch_free(f);
    return r->status;
}

/* The batch's entries: the fast parser's (f->fast), else the general
 * path's "orders" of f->body; n into f->n. false after answering. */
static bool batch_parse(req *r, batch_flight *f, json_t **orders)
{
    static const char *const fields[] = {"orders", NULL};
    size_t len, bound;
    const char *body = http_body_bytes(r, &len);
    if (!body) return false;
    bound = oj_batch_bound(body, len);
    if (bound > 1 && bound <= OJ_BATCH_MAX + 1 && (f->fast = malloc((bound - 1) * sizeof *f->fast)))
        if (!oj_parse_batch(body, len, f->fast, bound - 1, &f->n)) {
            free(f->fast);
            f->fast = NULL;
        }
    if (f->fast) return true;
    if (!(f->body = http_body(r, fields))) return false;
    *orders = json_object_get(f->body, "orders");
    if (!json_is_array(*orders) || json_array_size(*orders) == 0) {
        http_field_error(r, "orders", "\"orders\" must be a non-empty array of orders");
        return false;
    }
    f->n = json_array_size(*orders);
    if (f->n > OJ_BATCH_MAX) {
        http_error(r, 413, "too_large", HTTP_E_TOO_LARGE,
                   "a batch holds at most %d orders; this one has %zu (nothing was submitted)",
                   OJ_BATCH_MAX, f->n);
        return false;
    }
    return true;
}

/* Up to OJ_BATCH_MAX orders, each checked and answered on its own, those
 * that pass submitted to the core together: one journal batch, one
 * wake-up. */
static int orders_batch(req *r)
{
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    r->max_body = (size_t)r->s->cfg.batch_max_body;
    batch_flight *f = calloc(1, sizeof *f);
    json_t *orders = NULL;
    if (!f) {
        http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
        goto out;
    }
    bool parsed = batch_parse(r, f, &orders);
    http_body_done(r); /* what is kept is copied out of it */
    if (!parsed) goto out;
    size_t n = f->n;
    f->ent = calloc(n, sizeof *f->ent);
    f->cmds = calloc(n, sizeof *f->cmds);
    f->res = calloc(n, sizeof *f->res);
    f->codes = calloc(n, sizeof *f->codes);
    if (!f->ent || !f->cmds || !f->res || !f->codes) {
        http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
        goto out;
    }
    req e = *r;
    e.capture = true;
    for (size_t i = 0; i < n; i++) {
        e.answered = false;
        e.captured = NULL;
        if (!batch_check(&e, f, f->fast ? NULL : json_array_get(orders, i), i)) {
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
            f->ent[i].answer = entry_answer(e.captured, i, e.status);
            f->ent[i].status = e.status;
            continue;
        }
        f->ent[i].k = f->ns;
        f->cmds[f->ns++] = f->ent[i].cmd;
    }
    return api_submit_then(r, f->cmds, f->codes, f->res, f->ns, batch_then, f);
out:
    batch_free(f);
    return r->status;
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
