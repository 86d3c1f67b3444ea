/* api_market.c -- public market data: the market, instruments, depth, the
 * trade tape, bars and the last closed day's report (docs/api.md).
 *
 * No authentication: everything here is public, and nothing names a
 * participant. Engine reads happen under the core's shared lock and build
 * the JSON inside it (small: at most 64 instruments, five levels); tapes and
 * bars come from the projection, which has its own lock.
 */
#include <string.h>
#include <time.h>

#include "api.h"
#include "projection.h"
#include "views.h"

/* "open" when orders are accepted now, "closed" outside the sessions or on
 * a day that is not the trading date, "halted" during a market-wide halt. */
static const char *session_state(server *s, const cets_engine *e)
{
    (void)s;
    if (cets_market_halted(e)) return "halted";
    const cets_config *cfg = cets_engine_config(e);
    if (!cfg->enforce_sessions) return "open";
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t now = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
    int32_t date = cets_trading_date(e);
    if (cets_date_of(now, cfg->tz_offset_min) != date || !cets_is_trading_day(e, date))
        return "closed";
    for (int i = 0; i < 4; i += 2) {
        int64_t from =
            cets_time_at(date, cfg->sessions[i] / 60, cfg->sessions[i] % 60, cfg->tz_offset_min);
        int64_t to = cets_time_at(date, cfg->sessions[i + 1] / 60, cfg->sessions[i + 1] % 60,
                                  cfg->tz_offset_min);
        if (now >= from && now < to) return "open";
    }
    return "closed";
}

static json_t *instruments_json(const cets_engine *e)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < cets_instrument_count(e); i++) {
        cets_instrument_info in;
        if (cets_instrument_get(e, i, &in) == 0) json_array_append_new(a, view_instrument(&in));
    }
    return a;
}

static int market_get(req *r)
{
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = json_object();
    json_object_set_new(o, "date", view_date(cets_trading_date(e)));
    json_object_set_new(o, "session", json_string(session_state(r->s, e)));
    json_object_set_new(o, "composite", view_money(cets_composite_price(e)));
    json_object_set_new(o, "instruments", instruments_json(e));
    core_read_end(r->s->core);
    return http_json(r, 200, o, NULL);
}

static int h_market(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    return market_get(&r);
}

/* Find the instrument named by the path; -1 after answering 404. */
static int instrument_of(req *r, const char *code)
{
    const cets_engine *e = core_read_begin(r->s->core);
    int id = cets_instrument_find(e, code);
    core_read_end(r->s->core);
    if (id < 0)
        http_error(r, 404, "unknown_instrument", CETS_UNKNOWN_INSTRUMENT, "no instrument \"%.20s\"",
                   code);
    return id;
}

static int instrument_get(req *r, uint32_t id)
{
    cets_instrument_info in;
    const cets_engine *e = core_read_begin(r->s->core);
    int rc = cets_instrument_get(e, id, &in);
    core_read_end(r->s->core);
    if (rc != 0) return http_not_found(r, "no such instrument");
    return http_json(r, 200, view_instrument(&in), NULL);
}

static int depth_get(req *r, uint32_t id)
{
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *d = view_depth(e, id);
    core_read_end(r->s->core);
    return d ? http_json(r, 200, d, NULL) : http_not_found(r, "no such instrument");
}

static int trades_get(req *r, uint32_t id)
{
    int64_t limit;
    if (!http_query_int(r, "limit", 100, 1, PROJ_TAPE_LEN, &limit)) return r->status;
    return http_json(r, 200, projection_trades(r->s->proj, id, (int)limit), NULL);
}

static int bars_get(req *r, uint32_t id)
{
    char iv[8] = "1m";
    if (http_query_str(r, "interval", iv, sizeof iv) < 0) return r->status;
    if (strcmp(iv, "1m") == 0) return http_json(r, 200, projection_bars_1m(r->s->proj, id), NULL);
    if (strcmp(iv, "1d") == 0) return http_json(r, 200, projection_bars_1d(r->s->proj, id), NULL);
    return http_field_error(r, "interval", "\"interval\" must be \"1m\" or \"1d\"");
}

static int h_instruments(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    if (r.nseg == 1) {
        const cets_engine *e = core_read_begin(r.s->core);
        json_t *a = instruments_json(e);
        core_read_end(r.s->core);
        return http_json(&r, 200, a, NULL);
    }
    if (r.nseg > 3) return http_not_found(&r, "no such resource");
    int id = instrument_of(&r, r.seg[1]);
    if (id < 0) return r.status;
    if (r.nseg == 2) return instrument_get(&r, (uint32_t)id);
    if (strcmp(r.seg[2], "depth") == 0) return depth_get(&r, (uint32_t)id);
    if (strcmp(r.seg[2], "trades") == 0) return trades_get(&r, (uint32_t)id);
    if (strcmp(r.seg[2], "bars") == 0) return bars_get(&r, (uint32_t)id);
    return http_not_found(&r, "no such resource");
}

static int h_report(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 1) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    static _Thread_local cets_day_stats st[CETS_MAX_INSTRUMENTS];
    int64_t composite;
    int32_t date;
    const cets_engine *e = core_read_begin(r.s->core);
    uint32_t n = cets_last_day_stats(e, st, CETS_MAX_INSTRUMENTS, &composite, &date);
    core_read_end(r.s->core);
    if (date <= 0) return http_not_found(&r, "no trading day has been closed yet");
    json_t *o = view_report(date, composite, st, n);
    api_report_audit(r.s, date, o); /* the audit chain's head at the day's close */
    return http_json(&r, 200, o, NULL);
}

void api_market_register(server *s)
{
    http_handle(s, "/api/v1/market", h_market);
    http_handle(s, "/api/v1/instruments", h_instruments);
    http_handle(s, "/api/v1/report", h_report);
}
