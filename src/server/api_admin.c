/* api_admin.c -- the exchange operator's endpoints (docs/api.md, role
 * `admin`): instruments, halts, participants, deposits, credits, holidays,
 * end of day and snapshots. User administration is auth's (api_auth.c).
 *
 * Every command here is submitted as the exchange itself (actor =
 * CETS_EXCHANGE_ID), which is what the engine requires of operator commands;
 * the user who asked is in the command (cets_cmd.user, api_submit.c), so in
 * the audit log, and in the request log.
 */
#include <string.h>

#include "api.h"
#include "projection.h"
#include "service.h"
#include "views.h"

#define QTY_MAX_ADMIN 1000000000000000LL /* type check only; the engine applies the rules */

/* Submit an operator command; false after answering the rejection. */
static bool admin_submit(req *r, cets_cmd *c, cets_result *res)
{
    c->actor = CETS_EXCHANGE_ID;
    int code = api_submit(r, c, res);
    if (code != CETS_OK) {
        http_reject(r, c, code, NULL);
        return false;
    }
    return true;
}

static int instrument_answer(req *r, uint32_t id, int status)
{
    cets_instrument_info in;
    const cets_engine *e = core_read_begin(r->s->core);
    int rc = cets_instrument_get(e, id, &in);
    core_read_end(r->s->core);
    return rc == 0 ? http_json(r, status, view_instrument(&in), NULL)
                   : http_not_found(r, "no such instrument");
}

static int account_answer(req *r, uint32_t pid, int status)
{
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = view_account(e, pid);
    core_read_end(r->s->core);
    return o ? http_json(r, status, o, NULL) : http_not_found(r, "no such participant");
}

static int instrument_add(req *r, json_t *b)
{
    const char *code;
    int product = 0, matching = CETS_MATCH_LISTING;
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD};
    cets_result res;
    if (!http_str(r, b, "code", true, CETS_NAME_LEN - 1, &code) ||
        !http_enum(r, b, "product", true, view_products, &product) ||
        !http_enum(r, b, "matching", false, view_matchings, &matching) ||
        !http_money(r, b, "prev_close", true, &c.price))
        return r->status;
    snprintf(c.u.text, sizeof c.u.text, "%s", code); /* the engine checks the code */
    c.aux = product;
    c.flags = (uint8_t)matching;
    if (!admin_submit(r, &c, &res)) return r->status;
    return instrument_answer(r, res.id, 201);
}

/* POST instruments/{code}/halt {"halted"} and instruments/{code}/mode {"matching"} */
static int instrument_change(req *r, json_t *b, const char *code, const char *what)
{
    const cets_engine *e = core_read_begin(r->s->core);
    int id = cets_instrument_find(e, code);
    core_read_end(r->s->core);
    if (id < 0)
        return http_error(r, 404, "unknown_instrument", CETS_UNKNOWN_INSTRUMENT,
                          "no instrument \"%.20s\"", code);
    cets_cmd c = {.instrument = (uint32_t)id};
    bool halted;
    int matching;
    if (strcmp(what, "halt") == 0) {
        if (!http_bool(r, b, "halted", true, &halted)) return r->status;
        c.type = CETS_CMD_INSTRUMENT_HALT;
        c.aux = halted;
    } else if (strcmp(what, "mode") == 0) {
        if (!http_enum(r, b, "matching", true, view_matchings, &matching)) return r->status;
        c.type = CETS_CMD_INSTRUMENT_MODE;
        c.flags = (uint8_t)matching;
    } else {
        return http_not_found(r, "no such resource");
    }
    if (!admin_submit(r, &c, NULL)) return r->status;
    return instrument_answer(r, (uint32_t)id, 200);
}

static int h_instruments(http_conn *conn, void *cb)
{
    static const char *const add_fields[] = {"code", "product", "matching", "prev_close", NULL};
    static const char *const halt_fields[] = {"halted", NULL};
    static const char *const mode_fields[] = {"matching", NULL};
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (!http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    if (r.nseg != 2 && r.nseg != 4) return http_not_found(&r, "no such resource");
    bool halt = r.nseg == 4 && strcmp(r.seg[3], "halt") == 0;
    json_t *b = http_body(&r, r.nseg == 2 ? add_fields : halt ? halt_fields : mode_fields);
    if (b && r.nseg == 2)
        instrument_add(&r, b);
    else if (b)
        instrument_change(&r, b, r.seg[2], r.seg[3]);
    json_decref(b);
    return r.status;
}

static int h_halt(http_conn *conn, void *cb)
{
    static const char *const fields[] = {"halted", NULL};
    req r;
    bool halted = false;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (r.nseg != 2) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    json_t *b = http_body(&r, fields);
    cets_cmd c = {.type = CETS_CMD_MARKET_HALT};
    if (b && http_bool(&r, b, "halted", true, &halted)) {
        c.aux = halted;
        if (admin_submit(&r, &c, NULL)) {
            projection_set_market_halted(r.s->proj, halted);
            http_json(&r, 200, json_pack("{s:b}", "halted", halted), NULL);
        }
    }
    json_decref(b);
    return r.status;
}

/* ---- participants ------------------------------------------------------------ */

static int participants_list(req *r)
{
    json_t *a = json_array();
    const cets_engine *e = core_read_begin(r->s->core);
    for (uint32_t id = 1; id <= cets_participant_count(e); id++) {
        cets_participant_info p;
        if (cets_participant_get(e, id, &p) == 0) json_array_append_new(a, view_participant(&p));
    }
    core_read_end(r->s->core);
    return http_json(r, 200, a, NULL);
}

static int participant_add(req *r)
{
    static const char *const fields[] = {"kind", "name", NULL};
    json_t *b = http_body(r, fields);
    int kind;
    const char *name;
    cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD};
    cets_result res;
    if (b && http_enum(r, b, "kind", true, view_kinds, &kind) &&
        http_str(r, b, "name", true, CETS_NAME_LEN - 1, &name)) {
        c.aux = kind;
        snprintf(c.u.text, sizeof c.u.text, "%s", name);
        if (admin_submit(r, &c, &res)) account_answer(r, res.id, 201);
    }
    json_decref(b);
    return r->status;
}

static int participant_status(req *r, uint32_t pid)
{
    static const char *const fields[] = {"status", NULL};
    json_t *b = http_body(r, fields);
    int st;
    cets_cmd c = {.type = CETS_CMD_PARTICIPANT_STATUS, .participant = pid};
    if (b && http_enum(r, b, "status", true, view_pstatuses, &st)) {
        c.aux = st;
        if (admin_submit(r, &c, NULL)) account_answer(r, pid, 200);
    }
    json_decref(b);
    return r->status;
}

static int h_participants(http_conn *conn, void *cb)
{
    req r;
    uint64_t id = 0;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (r.nseg == 2 && http_is(&r, "GET")) return participants_list(&r);
    if (r.nseg == 2 && http_is(&r, "POST")) return participant_add(&r);
    if ((r.nseg != 3 && r.nseg != 4) || !api_id_segment(&r, r.seg[2], &id) || id > UINT32_MAX)
        return r.answered ? r.status : http_not_found(&r, "no such participant");
    if (r.nseg == 3 && http_is(&r, "GET")) return account_answer(&r, (uint32_t)id, 200);
    if (r.nseg == 4 && strcmp(r.seg[3], "status") == 0 && http_is(&r, "POST"))
        return participant_status(&r, (uint32_t)id);
    return r.nseg == 4 && strcmp(r.seg[3], "status") ? http_not_found(&r, "no such resource")
                                                     : http_bad_method(&r);
}

/* ---- funds, holdings, calendar, end of day ----------------------------------- */

static int deposit_or_credit(req *r, bool credit)
{
    static const char *const dep_fields[] = {"participant", "amount", NULL};
    static const char *const cred_fields[] = {"participant", "code", "qty", NULL};
    json_t *b = http_body(r, credit ? cred_fields : dep_fields);
    int64_t pid = 0;
    const char *code = NULL;
    cets_cmd c = {.type = credit ? CETS_CMD_HOLDING_CREDIT : CETS_CMD_DEPOSIT};
    if (!b || !http_int(r, b, "participant", true, 1, UINT32_MAX - 1, &pid)) goto out;
    if (credit ? !http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) ||
                     !http_int(r, b, "qty", true, -QTY_MAX_ADMIN, QTY_MAX_ADMIN, &c.qty)
               : !http_money(r, b, "amount", true, &c.qty))
        goto out;
    if (credit) {
        const cets_engine *e = core_read_begin(r->s->core);
        int id = cets_instrument_find(e, code);
        core_read_end(r->s->core);
        if (id < 0) {
            http_reason(r, CETS_UNKNOWN_INSTRUMENT, NULL);
            goto out;
        }
        c.instrument = (uint32_t)id;
    }
    c.participant = (uint32_t)pid;
    if (admin_submit(r, &c, NULL)) account_answer(r, c.participant, 200);
out:
    json_decref(b);
    return r->status;
}

static int h_funds(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (r.nseg != 2) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    return deposit_or_credit(&r, strcmp(r.seg[1], "credits") == 0);
}

static int holiday_answer(req *r, int32_t date)
{
    const cets_engine *e = core_read_begin(r->s->core);
    bool trading = cets_is_trading_day(e, date);
    core_read_end(r->s->core);
    return http_json(
        r, 200, json_pack("{s:o, s:b}", "date", view_date(date), "trading_day", trading), NULL);
}

static int h_holidays(http_conn *conn, void *cb)
{
    static const char *const fields[] = {"date", NULL};
    req r;
    int32_t date = 0;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    cets_cmd c = {0};
    if (r.nseg == 3 && strcmp(r.seg[2], "reload") == 0) {
        if (!http_is(&r, "POST")) return http_bad_method(&r);
        int n, added;
        char err[1400];
        if (service_holidays_reload(r.s, &n, &added, err, sizeof err) != 0)
            return http_error(&r, 409, "conflict", HTTP_E_CONFLICT, "%s", err);
        return http_json(
            &r, 200,
            json_pack("{s:s, s:i, s:i}", "file", r.s->cfg.holidays, "holidays", n, "added", added),
            NULL);
    }
    if (r.nseg == 2 && http_is(&r, "POST")) {
        json_t *b = http_body(&r, fields);
        bool ok = b && http_date(&r, b, "date", true, &date);
        json_decref(b);
        if (!ok) return r.status;
        c.type = CETS_CMD_HOLIDAY_ADD;
    } else if (r.nseg == 3 && http_is(&r, "DELETE")) {
        if (http_parse_date(r.seg[2], &date) != 0)
            return http_not_found(&r, "not a date: use /api/v1/admin/holidays/YYYY-MM-DD");
        c.type = CETS_CMD_HOLIDAY_REMOVE;
    } else {
        return r.nseg == 2 || r.nseg == 3 ? http_bad_method(&r)
                                          : http_not_found(&r, "no such resource");
    }
    c.aux = date;
    if (!admin_submit(&r, &c, NULL)) return r.status;
    return holiday_answer(&r, date);
}

static int h_end_of_day(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (r.nseg != 2) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    cets_cmd c = {.type = CETS_CMD_END_OF_DAY};
    if (!admin_submit(&r, &c, NULL)) return r.status;
    int64_t composite;
    int32_t closed;
    cets_day_stats one;
    const cets_engine *e = core_read_begin(r.s->core);
    cets_last_day_stats(e, &one, 1, &composite, &closed);
    int32_t next = cets_trading_date(e);
    core_read_end(r.s->core);
    return http_json(&r, 200,
                     json_pack("{s:o, s:o, s:o}", "closed_date", view_date(closed), "next_date",
                               view_date(next), "composite", view_money(composite)),
                     NULL);
}

static int h_snapshot(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (r.nseg != 2) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    /* written now, between two batches; a failure is answered (and logged
     * and counted by the core: cets_snapshot_failures_total) */
    char err[256];
    uint64_t seq = 0;
    if (core_snapshot(r.s->core, &seq, err, sizeof err) != 0)
        return http_error(&r, 503, "snapshot_failed", HTTP_E_UNAVAILABLE,
                          "the snapshot was not written: %s", err);
    return http_json(&r, 200, json_pack("{s:s, s:I}", "status", "written", "seq", (json_int_t)seq),
                     NULL);
}

void api_admin_register(server *s)
{
    http_handle(s, "/api/v1/admin/instruments", h_instruments);
    http_handle(s, "/api/v1/admin/halt", h_halt);
    http_handle(s, "/api/v1/admin/participants", h_participants);
    http_handle(s, "/api/v1/admin/deposits", h_funds);
    http_handle(s, "/api/v1/admin/credits", h_funds);
    http_handle(s, "/api/v1/admin/holidays", h_holidays);
    http_handle(s, "/api/v1/admin/end-of-day", h_end_of_day);
    http_handle(s, "/api/v1/admin/snapshot", h_snapshot);
}
