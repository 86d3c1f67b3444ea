/* api_registry.c -- the registry: allocation, emissions, surrender, retirement, transfers,
 * freeze, the deadline and compliance (docs/api.md "Registry"); and the request helpers that
 * api_blocks.c and api_auctions.c share with it (api_reg.h).
 *
 * Same pattern as api_trading.c: check who asks and what is asked, then one
 * engine command through api_submit(); every market and registry rule is the
 * engine's (docs/rules.md) and its rejections come back as 422 with the reason.
 *
 * Actors: trading-style commands (blocks, bids, own surrender, retirement,
 * transfers) act as the caller's own participant. Authority commands
 * (allocation, emissions, compulsory surrender, deadline, freeze, the
 * authority's own auctions) act as the caller's participant too: the engine
 * refuses them unless that participant is of kind authority. An admin's
 * auction and freeze commands act as the exchange (CETS_EXCHANGE_ID).
 *
 * Four-eyes user numbers: cets_cmd.user is the acting user's number (the
 * 32-bit FNV-1a hash of the user name, api_submit.c), so the same user name
 * always gives the same number across restarts and the journal can be replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_reg.h"
#include "cets/registry.h"
#include "views.h"

static const char *const comp_statuses[] = {"open", "compliant", "shortfall", "shortfall_settled"};
static const char *const alloc_kinds[] = {"pre", "trueup", NULL};

bool api_has_role(const req *r, uint32_t role)
{
    return (r->who.roles & role) == role;
}

/* Authenticated and holding at least one of roles; false after 401/403. */
bool api_auth_any(req *r, uint32_t roles)
{
    if (!http_auth(r, 0, 0)) return false;
    if (r->who.roles & roles) return true;
    char need[96];
    auth_roles_format(roles, need, sizeof need);
    http_error(r, 403, "forbidden", HTTP_E_FORBIDDEN, "one of the roles %s required", need);
    return false;
}

bool api_submit_checked(req *r, cets_cmd *c, cets_result *res)
{
    int code = api_submit(r, c, res);
    if (code != CETS_OK) {
        http_reject(r, c, code, NULL);
        return false;
    }
    return true;
}

bool api_find_instrument(req *r, const char *code, uint32_t *out)
{
    const cets_engine *e = core_read_begin(r->s->core);
    int id = cets_instrument_find(e, code);
    core_read_end(r->s->core);
    if (id < 0) {
        http_reason(r, CETS_UNKNOWN_INSTRUMENT, NULL);
        return false;
    }
    *out = (uint32_t)id;
    return true;
}

/* {code, side, price, qty} into c. */
bool api_terms(req *r, json_t *b, cets_cmd *c)
{
    const char *code;
    int side;
    if (!http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) ||
        !http_enum(r, b, "side", true, view_sides, &side) ||
        !http_money(r, b, "price", true, &c->price) ||
        !http_int(r, b, "qty", true, -QTY_LIM, QTY_LIM, &c->qty) ||
        !api_find_instrument(r, code, &c->instrument))
        return false;
    c->side = (uint8_t)side;
    return true;
}

/* ---- registry -------------------------------------------------------------- */

static int allocation(req *r)
{
    static const char *const fields[] = {"participant", "code",      "qty", "kind",
                                         "output",      "benchmark", NULL};
    if (!http_auth(r, ROLE_AUTHORITY, 0)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_ALLOCATE};
    const char *code;
    int64_t pid = 0;
    int kind = 0;
    if (b && http_int(r, b, "participant", true, 1, UINT32_MAX - 1, &pid) &&
        http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) &&
        http_int(r, b, "qty", true, -QTY_LIM, QTY_LIM, &c.qty) &&
        http_enum(r, b, "kind", true, alloc_kinds, &kind) &&
        http_int(r, b, "output", false, 0, QTY_LIM, &c.u.args[0]) &&
        http_int(r, b, "benchmark", false, 0, QTY_LIM, &c.u.args[1]) &&
        api_find_instrument(r, code, &c.instrument)) {
        c.actor = r->who.participant;
        c.participant = (uint32_t)pid;
        c.aux = kind;
        if (api_submit_checked(r, &c, NULL)) {
            cets_holding h = {0};
            const cets_engine *e = core_read_begin(r->s->core);
            cets_holding_get(e, c.participant, c.instrument, &h);
            int64_t owed = cets_deduction_owed(e, c.participant);
            core_read_end(r->s->core);
            http_json(r, 201,
                      json_pack("{s:I, s:s, s:I, s:s, s:I, s:I}", "participant", (json_int_t)pid,
                                "code", code, "qty", (json_int_t)c.qty, "kind", alloc_kinds[kind],
                                "available", (json_int_t)h.available, "deduction_owed",
                                (json_int_t)owed),
                      NULL);
        }
    }
    json_decref(b);
    return r->status;
}

static int emissions(req *r)
{
    static const char *const fields[] = {"participant", "year", "tonnes", NULL};
    if (!http_auth(r, ROLE_AUTHORITY, 0)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_EMISSIONS};
    int64_t pid = 0;
    if (b && http_int(r, b, "participant", true, 1, UINT32_MAX - 1, &pid) &&
        http_int(r, b, "year", true, 0, 9999, &c.aux) &&
        http_int(r, b, "tonnes", true, -QTY_LIM, QTY_LIM, &c.qty)) {
        c.actor = r->who.participant;
        c.participant = (uint32_t)pid;
        if (api_submit_checked(r, &c, NULL))
            http_json(r, 201,
                      json_pack("{s:I, s:I, s:I}", "participant", (json_int_t)pid, "year",
                                (json_int_t)c.aux, "tonnes", (json_int_t)c.qty),
                      NULL);
    }
    json_decref(b);
    return r->status;
}

/* POST …/allocations/csv and …/emissions/csv: all rows checked first (the
 * registry.h loaders), then submitted in file order. */
static int csv_load(req *r, bool alloc)
{
    if (!http_auth(r, ROLE_AUTHORITY, 0)) return r->status;
    size_t len = 0;
    char *text = http_read_raw(r, (size_t)r->s->cfg.max_body, "body", &len);
    if (!text) return r->status;
    cets_load l = {0};
    const char *name = alloc ? "allocations.csv" : "emissions.csv";
    const cets_engine *e = core_read_begin(r->s->core);
    int rc = alloc ? cets_load_allocations_text(e, name, text, len, r->who.participant, &l)
                   : cets_load_emissions_text(e, name, text, len, r->who.participant, &l);
    core_read_end(r->s->core);
    free(text);
    if (rc != 0) {
        json_t *errs = json_array();
        for (size_t i = 0; i < l.nerrors; i++)
            json_array_append_new(errs, json_string(l.errors[i]));
        json_t *o = json_pack("{s:s, s:i, s:s, s:o}", "error", "bad_file", "code", HTTP_E_BAD_FIELD,
                              "message", "the file has errors: nothing was loaded", "errors", errs);
        cets_load_free(&l);
        return http_json(r, 422, o, NULL);
    }
    size_t done = 0;
    int code = CETS_OK;
    for (; done < l.ncmds; done++) {
        cets_cmd c = l.cmds[done];
        c.actor = r->who.participant;
        if ((code = api_submit(r, &c, NULL)) != CETS_OK) break;
    }
    size_t n = l.ncmds;
    cets_load_free(&l);
    if (code != CETS_OK) /* the state changed between the check and the submission */
        return http_error(r, 422, cets_reason_name(code), code,
                          "row %zu of %zu was rejected (%s); the rows before it were applied",
                          done + 1, n, cets_reason_message(code));
    return http_json(r, 201, json_pack("{s:I}", alloc ? "allocations" : "records", (json_int_t)n),
                     NULL);
}

/* {year, qty} or {year, instruments:[{code, qty}]}; "participant": compulsory. */
static int surrender(req *r)
{
    static const char *const fields[] = {"year", "qty", "instruments", "participant", NULL};
    if (!http_auth(r, 0, 0)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_SURRENDER};
    int64_t pid = 0;
    cets_result res = {0};
    if (!b || !http_int(r, b, "year", true, 0, 9999, &c.aux) ||
        !http_int(r, b, "participant", false, 1, UINT32_MAX - 1, &pid))
        goto out;
    if (pid ? !http_auth(r, ROLE_AUTHORITY, 0) : !http_auth(r, ROLE_COMPLIANCE, HTTP_SELF))
        goto out;
    json_t *t = json_object_get(b, "instruments");
    if (t && json_object_get(b, "qty")) {
        http_field_error(r, "instruments", "give either \"qty\" or \"instruments\", not both");
        goto out;
    }
    if (!t && !http_int(r, b, "qty", true, -QTY_LIM, QTY_LIM, &c.qty)) goto out;
    if (t) {
        if (!json_is_array(t) || json_array_size(t) == 0) {
            http_field_error(r, "instruments", "\"instruments\" must be a non-empty array");
            goto out;
        }
        if (json_array_size(t) > CETS_MAX_TARGETS) {
            http_reason(r, CETS_TOO_MANY_TARGETS, NULL);
            goto out;
        }
        for (size_t i = 0; i < json_array_size(t); i++) {
            json_t *o = json_array_get(t, i);
            const char *k, *code;
            json_t *v;
            int64_t q = 0;
            uint32_t iid;
            if (!json_is_object(o)) {
                http_field_error(r, "instruments", "each instrument must be {\"code\", \"qty\"}");
                goto out;
            }
            json_object_foreach(o, k, v)
            {
                if (strcmp(k, "code") && strcmp(k, "qty")) {
                    http_error(r, 400, "unknown_field", HTTP_E_UNKNOWN_FIELD,
                               "\"instruments[%zu].%.40s\" is not part of the request", i, k);
                    goto out;
                }
            }
            if (!http_str(r, o, "code", true, CETS_CODE_LEN - 1, &code) ||
                !http_int(r, o, "qty", true, -QTY_LIM, QTY_LIM, &q) ||
                !api_find_instrument(r, code, &iid))
                goto out;
            c.u.targets[i] = (cets_target){iid, q};
        }
        c.ntargets = (uint8_t)json_array_size(t);
    }
    c.actor = r->who.participant;
    c.participant = pid ? (uint32_t)pid : r->who.participant;
    if (api_submit_checked(r, &c, &res))
        http_json(r, 201,
                  json_pack("{s:I, s:I, s:I, s:b}", "participant", (json_int_t)c.participant,
                            "year", (json_int_t)c.aux, "surrendered", (json_int_t)res.filled_qty,
                            "compulsory", pid != 0),
                  NULL);
out:
    json_decref(b);
    return r->status;
}

/* The engine keeps a retirement's text as "beneficiary|reason" (and the
 * audit log's lines are '|'-separated too): neither part may hold a '|', and
 * no control character (a line break, a tab) belongs in a public register.
 * false after answering 400 naming the field. */
static bool retire_text_ok(req *r, const char *field, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p == '|' || *p < 0x20 || *p == 0x7f) {
            http_field_error(r, field,
                             "\"%s\" may not hold '|' or control characters (line breaks, tabs)",
                             field);
            return false;
        }
    return true;
}

static int retirement(req *r)
{
    static const char *const fields[] = {"code", "qty", "beneficiary", "reason", NULL};
    if (!http_auth(r, ROLE_COMPLIANCE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_RETIRE};
    const char *code, *ben, *why;
    if (b && http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) &&
        http_int(r, b, "qty", true, -QTY_LIM, QTY_LIM, &c.qty) &&
        http_str(r, b, "beneficiary", true, CETS_NAME_LEN - 3, &ben) &&
        http_str(r, b, "reason", true, CETS_NAME_LEN - 3, &why) &&
        retire_text_ok(r, "beneficiary", ben) && retire_text_ok(r, "reason", why) &&
        api_find_instrument(r, code, &c.instrument)) {
        if (strlen(ben) + strlen(why) + 1 >= CETS_NAME_LEN) {
            http_field_error(r, "beneficiary",
                             "\"beneficiary\" and \"reason\" together at most %d characters",
                             CETS_NAME_LEN - 2);
        } else {
            size_t bl = strlen(ben), wl = strlen(why); /* bl + 1 + wl < CETS_NAME_LEN */
            memcpy(c.u.text, ben, bl);
            c.u.text[bl] = '|';
            memcpy(c.u.text + bl + 1, why, wl);
            c.u.text[bl + 1 + wl] = 0;
            c.actor = c.participant = r->who.participant;
            /* seq: the journal's number of the cancellation, which is the
             * retirement certificate's number */
            if (api_submit_checked(r, &c, NULL))
                http_json(r, 201,
                          json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:o}", "participant",
                                    (json_int_t)c.participant, "code", code, "qty",
                                    (json_int_t)c.qty, "beneficiary", ben, "reason", why, "seq",
                                    (json_int_t)c.seq, "ts", view_time(c.ts)),
                          NULL);
        }
    }
    json_decref(b);
    return r->status;
}

static void transfer_cb(void *ctx, const cets_transfer_info *t)
{
    listctx *l = ctx;
    json_array_append_new(l->a, view_transfer(l->e, t));
}

static int transfer_answer(req *r, uint64_t id, int status)
{
    cets_transfer_info t;
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = cets_transfer_get(e, id, &t) == 0 ? view_transfer(e, &t) : NULL;
    core_read_end(r->s->core);
    return o ? http_json(r, status, o, NULL)
             : http_json(r, status, json_pack("{s:I}", "id", (json_int_t)id), NULL);
}

static int transfer_new(req *r)
{
    static const char *const fields[] = {"to", "code", "qty", NULL};
    if (!http_auth(r, ROLE_COMPLIANCE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_TRANSFER};
    const char *code;
    int64_t to = 0;
    cets_result res;
    if (b && http_int(r, b, "to", true, 1, UINT32_MAX - 1, &to) &&
        http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) &&
        http_int(r, b, "qty", true, -QTY_LIM, QTY_LIM, &c.qty) &&
        api_find_instrument(r, code, &c.instrument)) {
        c.actor = c.participant = r->who.participant;
        c.counterparty = (uint32_t)to;
        c.user = api_user_number(r->who.user);
        if (api_submit_checked(r, &c, &res)) transfer_answer(r, res.order_id, 201);
    }
    json_decref(b);
    return r->status;
}

static int transfer_decide(req *r, uint64_t id, bool approve)
{
    if (!http_auth(r, ROLE_COMPLIANCE, HTTP_SELF)) return r->status;
    cets_cmd c = {.type = approve ? CETS_CMD_TRANSFER_APPROVE : CETS_CMD_TRANSFER_REJECT,
                  .order_id = id,
                  .actor = r->who.participant,
                  .participant = r->who.participant,
                  .user = api_user_number(r->who.user)};
    if (!api_submit_checked(r, &c, NULL)) return r->status;
    return transfer_answer(r, id, 200);
}

static int transfers_list(req *r)
{
    if (!api_auth_any(r, ROLE_COMPLIANCE | ROLE_AUTHORITY | ROLE_ADMIN)) return r->status;
    bool all = r->who.roles & (ROLE_AUTHORITY | ROLE_ADMIN);
    listctx l = {.a = json_array()};
    l.e = core_read_begin(r->s->core);
    cets_transfers_foreach(l.e, all ? 0 : r->who.participant, transfer_cb, &l);
    core_read_end(r->s->core);
    return http_json(r, 200, l.a, NULL);
}

static int freeze(req *r)
{
    static const char *const fields[] = {"participant", "frozen", NULL};
    if (!api_auth_any(r, ROLE_AUTHORITY | ROLE_ADMIN)) return r->status;
    json_t *b = http_body(r, fields);
    int64_t pid = 0;
    bool frozen = false;
    if (b && http_int(r, b, "participant", true, 1, UINT32_MAX - 1, &pid) &&
        http_bool(r, b, "frozen", true, &frozen)) {
        cets_cmd c = {.type = CETS_CMD_JUDICIAL, .participant = (uint32_t)pid, .aux = frozen};
        c.actor = api_has_role(r, ROLE_AUTHORITY) ? r->who.participant : CETS_EXCHANGE_ID;
        if (api_submit_checked(r, &c, NULL))
            http_json(r, 200,
                      json_pack("{s:I, s:b}", "participant", (json_int_t)pid, "frozen", frozen),
                      NULL);
    }
    json_decref(b);
    return r->status;
}

static int deadline(req *r)
{
    static const char *const fields[] = {"year", NULL};
    if (!http_auth(r, ROLE_AUTHORITY, 0)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_DEADLINE};
    if (b && http_int(r, b, "year", true, 0, 9999, &c.aux)) {
        c.actor = r->who.participant;
        if (api_submit_checked(r, &c, NULL))
            http_json(r, 200,
                      json_pack("{s:I, s:s}", "year", (json_int_t)c.aux, "status", "closed"), NULL);
    }
    json_decref(b);
    return r->status;
}

static json_t *view_compliance(const cets_compliance *c)
{
    json_t *o = json_pack(
        "{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:o, s:s, s:I, s:I}", "participant",
        (json_int_t)c->participant, "year", (int)c->year, "obligation", (json_int_t)c->obligation,
        "surrendered_cea", (json_int_t)c->surrendered_cea, "surrendered_ccer",
        (json_int_t)c->surrendered_ccer, "outstanding",
        (json_int_t)(c->obligation - c->surrendered_cea - c->surrendered_ccer - c->withheld),
        "shortfall", (json_int_t)c->shortfall, "penalty", view_money(c->penalty), "status",
        c->status <= CETS_COMPLIANCE_SETTLED ? comp_statuses[c->status] : "", "withheld",
        (json_int_t)c->withheld, "surrendered_late", (json_int_t)c->late_surrendered);
    json_object_set_new(o, "settled_on",
                        c->settled_date ? view_date(c->settled_date) : json_null());
    return o;
}

/* GET compliance?year=Y[&format=csv]: the registry.h report; a compliance
 * user (neither authority nor admin) sees its own row only. */
static int compliance_report(req *r)
{
    if (!api_auth_any(r, ROLE_COMPLIANCE | ROLE_AUTHORITY | ROLE_ADMIN)) return r->status;
    int64_t year = 0;
    char fmt[8] = "json";
    if (!http_query_int(r, "year", 0, 2000, 2200, &year)) return r->status;
    if (!year) return http_field_error(r, "year", "give ?year=YYYY");
    int q = http_query_str(r, "format", fmt, sizeof fmt);
    if (q < 0) return r->status;
    if (q == 0 || !fmt[0]) snprintf(fmt, sizeof fmt, "json");
    bool csv = strcmp(fmt, "csv") == 0;
    if (!csv && strcmp(fmt, "json") != 0)
        return http_field_error(r, "format", "\"format\" must be json or csv");
    bool all = r->who.roles & (ROLE_AUTHORITY | ROLE_ADMIN);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    const cets_engine *e = core_read_begin(r->s->core);
    int rc = csv ? cets_report_compliance_csv(e, (int32_t)year, f)
                 : cets_report_compliance_json(e, (int32_t)year, f);
    core_read_end(r->s->core);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "report failed");
    }
    if (csv) {
        if (!all) { /* keep the header and the caller's own row */
            char pfx[16];
            int pl = snprintf(pfx, sizeof pfx, "%u,", r->who.participant);
            char *w = strchr(buf, '\n');
            w = w ? w + 1 : buf + len;
            for (char *p = w; *p;) {
                char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
                if (strncmp(p, pfx, (size_t)pl) == 0) {
                    memmove(w, p, n);
                    w += n;
                }
                p += n;
            }
            *w = 0;
            len = (size_t)(w - buf);
        }
        http_send(r, 200, "text/csv", NULL, buf, len);
        free(buf);
        return 200;
    }
    json_t *o = json_loadb(buf, len, 0, NULL);
    free(buf);
    if (!o) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "report failed");
    if (!all) {
        json_t *ents = json_object_get(o, "entities"), *mine = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(ents, i, v)
        {
            if (json_integer_value(json_object_get(v, "entity")) == r->who.participant)
                json_array_append(mine, v);
        }
        json_object_set_new(o, "entities", mine);
        json_object_del(o, "totals");
    }
    return http_json(r, 200, o, NULL);
}

static int compliance_one(req *r, const char *seg)
{
    uint64_t pid = 0;
    int64_t year = 0;
    if (!api_id_segment(r, seg, &pid)) return r->status;
    if (pid > UINT32_MAX - 1) return http_not_found(r, "no such participant");
    if (!api_auth_any(r, ROLE_COMPLIANCE | ROLE_AUTHORITY | ROLE_ADMIN)) return r->status;
    if (!(r->who.roles & (ROLE_AUTHORITY | ROLE_ADMIN)) && pid != r->who.participant)
        return http_error(r, 403, "forbidden", HTTP_E_FORBIDDEN, "participant %u is not yours",
                          (unsigned)pid);
    if (!http_query_int(r, "year", 0, 2000, 2200, &year)) return r->status;
    if (!year) return http_field_error(r, "year", "give ?year=YYYY");
    cets_compliance c;
    const cets_engine *e = core_read_begin(r->s->core);
    int rc = cets_compliance_get(e, (uint32_t)pid, (int32_t)year, &c);
    int64_t owed = cets_deduction_owed(e, (uint32_t)pid);
    int64_t cap_bp = cets_engine_config(e)->ccer_cap_bp;
    core_read_end(r->s->core);
    if (rc != 0) return http_reason(r, rc, NULL);
    json_t *o = view_compliance(&c);
    json_object_set_new(o, "deduction_owed", json_integer(owed));
    /* The CCER cap as the engine checks it (surrendered + now) x 10000 <=
     * obligation x cap: what may still be surrendered in CCER this year. */
    int64_t ccer_max = c.obligation * cap_bp / 10000, left = ccer_max - c.surrendered_ccer;
    json_object_set_new(o, "ccer_cap_pct", view_pct_bp(cap_bp));
    json_object_set_new(o, "ccer_max", json_integer(ccer_max));
    json_object_set_new(o, "ccer_left", json_integer(left > 0 ? left : 0));
    return http_json(r, 200, o, NULL);
}

static int h_registry(http_conn *conn, void *cb)
{
    req r;
    uint64_t id = 0;
    if (!http_begin(&r, cb, conn)) return r.status;
    const char *s1 = r.nseg > 1 ? r.seg[1] : "";
    const char *s2 = r.nseg > 2 ? r.seg[2] : "";
    const char *s3 = r.nseg > 3 ? r.seg[3] : "";
    bool post = http_is(&r, "POST"), get = http_is(&r, "GET");
    if (r.nseg == 2) {
        if (!strcmp(s1, "allocations")) return post ? allocation(&r) : http_bad_method(&r);
        if (!strcmp(s1, "emissions")) return post ? emissions(&r) : http_bad_method(&r);
        if (!strcmp(s1, "surrenders")) return post ? surrender(&r) : http_bad_method(&r);
        if (!strcmp(s1, "retirements")) return post ? retirement(&r) : http_bad_method(&r);
        if (!strcmp(s1, "transfers"))
            return post ? transfer_new(&r) : get ? transfers_list(&r) : http_bad_method(&r);
        if (!strcmp(s1, "freeze")) return post ? freeze(&r) : http_bad_method(&r);
        if (!strcmp(s1, "deadline")) return post ? deadline(&r) : http_bad_method(&r);
        if (!strcmp(s1, "compliance")) return get ? compliance_report(&r) : http_bad_method(&r);
    } else if (r.nseg == 3) {
        if (!strcmp(s2, "csv") && (!strcmp(s1, "allocations") || !strcmp(s1, "emissions")))
            return post ? csv_load(&r, s1[0] == 'a') : http_bad_method(&r);
        if (!strcmp(s1, "compliance")) return get ? compliance_one(&r, s2) : http_bad_method(&r);
    } else if (r.nseg == 4 && !strcmp(s1, "transfers") &&
               (!strcmp(s3, "approve") || !strcmp(s3, "reject"))) {
        if (!api_id_segment(&r, s2, &id)) return r.status;
        return post ? transfer_decide(&r, id, s3[0] == 'a') : http_bad_method(&r);
    }
    return http_not_found(&r, "no such resource");
}

void api_registry_register(server *s)
{
    http_handle(s, "/api/v1/registry", h_registry);
}
