/* api_params.c -- the market's parameters (docs/api.md, "Market parameters").
 *
 * GET /api/v1/params answers every parameter with its value in force, its
 * default, its range and the changes waiting for their date, and the whole
 * history of accepted changes; like the market data it needs no login (the
 * rules are announced). POST /api/v1/admin/params (role admin) submits one
 * PARAM_SET: {"name", "value", "from": "YYYY-MM-DD"} or {"name", "value",
 * "urgent": true}; a refusal names the bound or the other parameter it broke
 * (cets_reject_message, params.c).
 *
 * Position limits (limits.c) are parameters too; their exemptions are the
 * authority's: GET /api/v1/limits (roles admin or authority) lists the
 * limits in force and every exemption, POST /api/v1/limits/exemptions
 * (role authority) {"participant", "exempt", "reason"} grants or ends one.
 * GET /api/v1/large-holders[?day=now|last] (roles admin or authority) is the
 * large-holder report (holders.c), now or as the last end of day closed.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "views.h"

#define HISTORY_MAX 4096 /* changes listed, the newest */

static const char *const status_names[] = {"", "pending", "applied", "superseded"};

static json_t *view_change(const cets_param_change *c)
{
    const cets_param_info *pi = cets_param_info_get(c->id);
    json_t *o = json_pack("{s:I, s:o, s:s, s:I, s:o, s:s, s:b, s:I}", "seq", (json_int_t)c->seq,
                          "time", view_time(c->ts), "name", pi ? pi->name : "?", "value",
                          (json_int_t)c->value, "from", view_date(c->effective), "status",
                          c->status <= 3 ? status_names[c->status] : "?", "urgent", c->urgent != 0,
                          "user", (json_int_t)c->user);
    json_object_set_new(o, "applied", c->applied ? view_date(c->applied) : json_null());
    json_object_set_new(o, "old",
                        c->status == CETS_PARAM_APPLIED ? json_integer(c->old) : json_null());
    return o;
}

/* The parameters and the history; NULL when out of memory. */
static json_t *view_params(const cets_engine *e)
{
    uint32_t n = cets_param_changes(e, 0, NULL, 0);
    uint32_t from = n > HISTORY_MAX ? n - HISTORY_MAX : 0;
    cets_param_change *ch = n ? malloc((size_t)(n - from) * sizeof *ch) : NULL;
    if (n && !ch) return NULL;
    cets_param_changes(e, from, ch, n - from);
    json_t *params = json_array(), *hist = json_array();
    for (int id = 0; id < CETS_PARAM_COUNT; id++) {
        const cets_param_info *pi = cets_param_info_get(id);
        json_t *pending = json_array();
        for (uint32_t i = 0; i < n - from; i++)
            if (ch[i].id == id && ch[i].status == CETS_PARAM_PENDING)
                json_array_append_new(pending,
                                      json_pack("{s:I, s:o}", "value", (json_int_t)ch[i].value,
                                                "from", view_date(ch[i].effective)));
        json_array_append_new(
            params,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:o}", "name", pi->name, "unit",
                      pi->unit, "what", pi->what, "value", (json_int_t)cets_param_value(e, id),
                      "default", (json_int_t)cets_param_default(e, id), "min", (json_int_t)pi->min,
                      "max", (json_int_t)pi->max, "urgent", pi->urgent, "pending", pending));
    }
    for (uint32_t i = 0; i < n - from; i++) json_array_append_new(hist, view_change(&ch[i]));
    free(ch);
    return json_pack("{s:o, s:o, s:o, s:I}", "trading_date", view_date(cets_trading_date(e)),
                     "params", params, "history", hist, "changes", (json_int_t)n);
}

/* A view of the engine under the read lock, answered with status. */
static int view_answer(req *r, int status, json_t *(*view)(const cets_engine *))
{
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = view(e);
    core_read_end(r->s->core);
    if (!o) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    return http_json(r, status, o, NULL);
}

static int h_params(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    return view_answer(&r, 200, view_params);
}

static int h_admin_params(http_conn *conn, void *cb)
{
    static const char *const fields[] = {"name", "value", "from", "urgent", NULL};
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    if (r.nseg != 2) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    json_t *b = http_body(&r, fields);
    const char *name = NULL;
    int64_t value = 0;
    int32_t from = 0;
    bool urgent = false;
    bool ok = b && http_str(&r, b, "name", true, 64, &name) &&
              http_int(&r, b, "value", true, INT64_MIN, INT64_MAX, &value) &&
              http_bool(&r, b, "urgent", false, &urgent) &&
              http_date(&r, b, "from", !urgent, &from);
    int id = ok ? cets_param_find(name) : -1;
    if (ok && id < 0)
        http_field_error(&r, "name",
                         "no market parameter \"%.64s\" (GET /api/v1/params lists them)", name);
    else if (ok && urgent && from)
        http_field_error(&r, "from", "an urgent change applies at once: give no date");
    json_decref(b);
    if (!ok || id < 0 || (urgent && from)) return r.status;
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = id,
                  .qty = value,
                  .price = urgent ? 0 : from,
                  .flags = urgent ? CETS_PARAM_URGENT : 0};
    int code = api_submit(&r, &c, NULL);
    if (code != CETS_OK) return http_reject(&r, &c, code, NULL);
    return view_answer(&r, 201, view_params);
}

/* ---- position limits' exemptions --------------------------------------- */

static json_t *view_limits(const cets_engine *e)
{
    uint32_t n = cets_limit_exemptions(e, 0, NULL, 0);
    uint32_t from = n > HISTORY_MAX ? n - HISTORY_MAX : 0;
    cets_limit_exemption *x = n ? malloc((size_t)(n - from) * sizeof *x) : NULL;
    if (n && !x) return NULL;
    cets_limit_exemptions(e, from, x, n - from);
    json_t *lim = json_object(), *ex = json_array();
    for (int id = CETS_PARAM_LIMIT_ENTITY_CEA; id <= CETS_PARAM_LIMIT_VINTAGE; id++)
        json_object_set_new(lim, cets_param_info_get(id)->name,
                            json_integer(cets_param_value(e, id)));
    for (uint32_t i = 0; i < n - from; i++)
        json_array_append_new(
            ex,
            json_pack("{s:I, s:o, s:I, s:b, s:s, s:I, s:b}", "seq", (json_int_t)x[i].seq, "time",
                      view_time(x[i].ts), "participant", (json_int_t)x[i].participant, "exempt",
                      x[i].exempt != 0, "reason", x[i].reason, "user", (json_int_t)x[i].user,
                      "in_force", cets_limit_exempt(e, x[i].participant) == (x[i].exempt != 0)));
    free(x);
    return json_pack("{s:o, s:o}", "limits", lim, "exemptions", ex);
}

static int h_limits(http_conn *conn, void *cb)
{
    static const char *const fields[] = {"participant", "exempt", "reason", NULL};
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, 0, 0)) return r.status;
    if (r.nseg == 1 && http_is(&r, "GET")) {
        if (!(r.who.roles & (ROLE_ADMIN | ROLE_AUTHORITY)))
            return http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN,
                              "one of the roles admin, authority required");
        return view_answer(&r, 200, view_limits);
    }
    if (r.nseg != 2 || strcmp(r.seg[1], "exemptions") != 0)
        return r.nseg == 1 ? http_bad_method(&r) : http_not_found(&r, "no such resource");
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    if (!(r.who.roles & ROLE_AUTHORITY))
        return http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN, "the role authority is required");
    json_t *b = http_body(&r, fields);
    int64_t pid = 0;
    bool on = false;
    const char *why = NULL;
    cets_cmd c = {.type = CETS_CMD_LIMIT_EXEMPT};
    bool ok = b && http_int(&r, b, "participant", true, 1, UINT32_MAX - 1, &pid) &&
              http_bool(&r, b, "exempt", true, &on) &&
              http_str(&r, b, "reason", true, CETS_NAME_LEN - 1, &why);
    if (ok) snprintf(c.u.text, sizeof c.u.text, "%s", why); /* the engine checks it is not empty */
    json_decref(b);
    if (!ok) return r.status;
    c.actor = r.who.participant;
    c.participant = (uint32_t)pid;
    c.aux = on;
    int code = api_submit(&r, &c, NULL);
    if (code != CETS_OK) return http_reject(&r, &c, code, NULL);
    return view_answer(&r, 201, view_limits);
}

/* ---- related parties (related.c) ----------------------------------------- */

static json_t *view_related(const cets_engine *e)
{
    uint32_t n = cets_related_decls(e, 0, NULL, 0);
    cets_related_decl *x = n ? calloc(n, sizeof *x) : NULL;
    if (x) cets_related_decls(e, 0, x, n);
    json_t *list = json_array();
    for (uint32_t i = 0; x && i < n; i++)
        json_array_append_new(
            list, json_pack("{s:I, s:o, s:I, s:I, s:b, s:s, s:I, s:b}", "seq", (json_int_t)x[i].seq,
                            "time", view_time(x[i].ts), "participant", (json_int_t)x[i].a,
                            "counterparty", (json_int_t)x[i].b, "related", x[i].related != 0,
                            "reason", x[i].reason, "user", (json_int_t)x[i].user, "in_force",
                            cets_related(e, x[i].a, x[i].b) == (x[i].related != 0)));
    free(x);
    return json_pack("{s:o}", "declarations", list);
}

/* GET /api/v1/related (admin, authority): every declaration; POST (admin):
 * declare or revoke that two participants share an actual controller. */
static int h_related(http_conn *conn, void *cb)
{
    static const char *const fields[] = {"participant", "counterparty", "related", "reason", NULL};
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, 0, 0)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (http_is(&r, "GET")) {
        if (!(r.who.roles & (ROLE_ADMIN | ROLE_AUTHORITY)))
            return http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN,
                              "one of the roles admin, authority required");
        return view_answer(&r, 200, view_related);
    }
    if (!http_is(&r, "POST")) return http_bad_method(&r);
    if (!(r.who.roles & ROLE_ADMIN))
        return http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN, "the role admin is required");
    json_t *b = http_body(&r, fields);
    int64_t a = 0, other = 0;
    bool on = false;
    const char *why = NULL;
    cets_cmd c = {.type = CETS_CMD_RELATED_SET, .actor = CETS_EXCHANGE_ID};
    bool ok = b && http_int(&r, b, "participant", true, 1, UINT32_MAX - 1, &a) &&
              http_int(&r, b, "counterparty", true, 1, UINT32_MAX - 1, &other) &&
              http_bool(&r, b, "related", true, &on) &&
              http_str(&r, b, "reason", true, CETS_NAME_LEN - 1, &why);
    if (ok) snprintf(c.u.text, sizeof c.u.text, "%s", why); /* the engine checks it is not empty */
    json_decref(b);
    if (!ok) return r.status;
    c.participant = (uint32_t)a;
    c.counterparty = (uint32_t)other;
    c.aux = on;
    int code = api_submit(&r, &c, NULL);
    if (code != CETS_OK) return http_reject(&r, &c, code, NULL);
    return view_answer(&r, 201, view_related);
}

/* ---- the large-holder report -------------------------------------------- */

typedef struct holders_ctx {
    const cets_engine *e;
    json_t *list;
} holders_ctx;

static void add_holder(void *ctx, const cets_large_holder *h)
{
    holders_ctx *x = ctx;
    cets_instrument_info in;
    cets_participant_info p;
    cets_instrument_get(x->e, h->instrument, &in);
    cets_participant_get(x->e, h->participant, &p);
    json_array_append_new(x->list,
                          json_pack("{s:I, s:s, s:s, s:I, s:I, s:I}", "participant",
                                    (json_int_t)h->participant, "name", p.name, "code", in.code,
                                    "held", (json_int_t)h->held, "issued", (json_int_t)h->issued,
                                    "share_bp", (json_int_t)h->share_bp));
}

static int h_large_holders(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, 0, 0)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    if (!(r.who.roles & (ROLE_ADMIN | ROLE_AUTHORITY)))
        return http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN,
                          "one of the roles admin, authority required");
    char day[8] = "now";
    int q = http_query_str(&r, "day", day, sizeof day);
    if (q < 0) return r.status;
    bool last = strcmp(day, "last") == 0;
    if (!last && strcmp(day, "now") != 0) return http_field_error(&r, "day", "day is now or last");
    holders_ctx x = {.list = json_array()};
    x.e = core_read_begin(r.s->core);
    cets_large_holders(x.e, last, add_holder, &x);
    int32_t date = 0;
    cets_day_stats none;
    if (last)
        cets_last_day_stats(x.e, &none, 0, NULL, &date);
    else
        date = cets_trading_date(x.e);
    json_t *o =
        json_pack("{s:s, s:o, s:I, s:I, s:o}", "day", last ? "last" : "now", "date",
                  date ? view_date(date) : json_null(), "share_bp",
                  (json_int_t)cets_param_value(x.e, CETS_PARAM_LARGE_SHARE), "tonnes",
                  (json_int_t)cets_param_value(x.e, CETS_PARAM_LARGE_TONNES), "holders", x.list);
    core_read_end(r.s->core);
    return http_json(&r, 200, o, NULL);
}

/* ---- abnormal-trading alerts (surveil.c) ---------------------------------- */

static json_t *view_alert(const cets_engine *e, const cets_alert *a)
{
    json_t *ev = json_array();
    for (uint32_t i = 0; i < a->nevidence && i < 4; i++)
        json_array_append_new(ev, json_integer((json_int_t)a->evidence[i]));
    cets_instrument_info in;
    bool has = a->instrument != UINT32_MAX && cets_instrument_get(e, a->instrument, &in) == 0;
    json_t *o = json_pack(
        "{s:I, s:s, s:I, s:o, s:I, s:o, s:o, s:I, s:I, s:[I,I], s:o, s:I}", "id", (json_int_t)a->id,
        "rule", cets_alert_rule_name(a->rule), "seq", (json_int_t)a->seq, "time", view_time(a->ts),
        "participant", (json_int_t)a->participant, "code", has ? json_string(in.code) : json_null(),
        "date", view_date(a->date), "figure", (json_int_t)a->figure, "threshold",
        (json_int_t)a->threshold, "counts", (json_int_t)a->count[0], (json_int_t)a->count[1],
        "evidence", ev, "occurrences", (json_int_t)a->occurrences);
    if (a->counterparty) /* related: the other participant of the pair */
        json_object_set_new(o, "counterparty", json_integer((json_int_t)a->counterparty));
    return o;
}

static int h_alerts(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, 0, 0)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    if (!(r.who.roles & (ROLE_ADMIN | ROLE_AUTHORITY)))
        return http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN,
                          "one of the roles admin, authority required");
    int64_t from = 0, limit = 100;
    if (!http_query_int(&r, "from", 0, 0, UINT32_MAX, &from) ||
        !http_query_int(&r, "limit", 100, 1, 1000, &limit))
        return r.status;
    json_t *list = json_array();
    const cets_engine *e = core_read_begin(r.s->core);
    uint32_t n = r.s->surveil ? cets_surveil_alerts(r.s->surveil, 0, NULL, 0) : 0;
    uint64_t lost = r.s->surveil ? cets_surveil_lost(r.s->surveil) : 0;
    for (uint32_t i = (uint32_t)from; i < n && i < from + limit; i++) {
        cets_alert a;
        cets_surveil_alerts(r.s->surveil, i, &a, 1);
        json_array_append_new(list, view_alert(e, &a));
    }
    core_read_end(r.s->core);
    return http_json(&r, 200,
                     json_pack("{s:I, s:I, s:o}", "total", (json_int_t)n, "lost", (json_int_t)lost,
                               "alerts", list),
                     NULL);
}

void api_params_register(server *s)
{
    http_handle(s, "/api/v1/alerts", h_alerts);
    http_handle(s, "/api/v1/related", h_related);
    http_handle(s, "/api/v1/large-holders", h_large_holders);
    http_handle(s, "/api/v1/limits", h_limits);
    http_handle(s, "/api/v1/params", h_params);
    http_handle(s, "/api/v1/admin/params", h_admin_params);
}
