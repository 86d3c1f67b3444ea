/* api_auctions.c -- one-way bidding: auctions announced by the authority or the
 * exchange, bids with their reservations, the close and the results (docs/api.md
 * "Auctions").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_reg.h"
#include "cets/registry.h"
#include "views.h"

static const char *const auction_modes[] = {"uniform", "pay_as_bid", NULL};
static const char *const auction_reserves[] = {"previous_close", "limit", NULL};

/* ---- auctions ------------------------------------------------------------------ */

static void auction_cb(void *ctx, const cets_auction_info *a)
{
    listctx *l = ctx;
    json_array_append_new(l->a, view_auction(l->e, a));
}

static void bid_cb(void *ctx, const cets_bid_info *b)
{
    listctx *l = ctx;
    if (l->participant && b->participant != l->participant) return;
    json_array_append_new(
        l->a, json_pack("{s:I, s:I, s:o, s:I, s:I, s:I, s:o}", "id", (json_int_t)b->id,
                        "participant", (json_int_t)b->participant, "price", view_money(b->price),
                        "qty", (json_int_t)b->qty, "filled", (json_int_t)b->filled, "reserved",
                        (json_int_t)b->reserved, "ts", view_time(b->ts)));
}

static int auction_answer(req *r, uint64_t id, int status, bool with_bids)
{
    cets_auction_info a;
    const cets_engine *e = core_read_begin(r->s->core);
    json_t *o = NULL;
    if (cets_auction_get(e, id, &a) == 0) {
        o = view_auction(e, &a);
        if (with_bids && r->who.authenticated) {
            listctx l = {.e = e,
                         .a = json_array(),
                         .participant = api_has_role(r, ROLE_ADMIN) ? 0 : r->who.participant};
            cets_bids_foreach(e, id, bid_cb, &l);
            json_object_set_new(o, api_has_role(r, ROLE_ADMIN) ? "bid_list" : "own_bids", l.a);
        }
    }
    core_read_end(r->s->core);
    return o ? http_json(r, status, o, NULL) : http_reason(r, CETS_UNKNOWN_AUCTION, NULL);
}

/* ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff…]Z" or an integer of ns. */
static bool time_field(req *r, json_t *b, const char *k, int64_t *out)
{
    json_t *v = json_object_get(b, k);
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = json_integer_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    struct tm tm = {0};
    int n = 0;
    if (s && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6) {
        int64_t frac = 0, scale = 1000000000;
        const char *p = s + n;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                if (scale > 1) {
                    scale /= 10;
                    frac += (*p - '0') * scale;
                }
        if (strcmp(p, "Z") == 0) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            time_t t = timegm(&tm);
            if (t > 0) {
                *out = (int64_t)t * 1000000000 + frac;
                return true;
            }
        }
    }
    http_field_error(r, k, "\"%s\" must be an ISO 8601 UTC time (\"2026-11-30T05:00:00Z\") or ns",
                     k);
    return false;
}

static int auction_create(req *r)
{
    static const char *const fields[] = {"participant", "code", "side",    "lot",          "start",
                                         "end",         "mode", "reserve", "min_fill_pct", NULL};
    if (!api_auth_any(r, ROLE_ADMIN | ROLE_AUTHORITY)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_AUCTION_CREATE};
    const char *code, *pct = "0";
    int side, mode = 0, reserve = 0;
    int64_t pid = 0, bp = 0;
    cets_result res;
    if (!b || !http_int(r, b, "participant", true, 1, UINT32_MAX - 1, &pid) ||
        !http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) ||
        !http_enum(r, b, "side", true, view_sides, &side) ||
        !http_int(r, b, "lot", true, -QTY_LIM, QTY_LIM, &c.qty) ||
        !time_field(r, b, "start", &c.u.args[CETS_AUCTION_ARG_START]) ||
        !time_field(r, b, "end", &c.u.args[CETS_AUCTION_ARG_END]) ||
        !http_enum(r, b, "mode", false, auction_modes, &mode) ||
        !http_enum(r, b, "reserve", false, auction_reserves, &reserve) ||
        !http_str(r, b, "min_fill_pct", false, 8, &pct))
        goto out;
    if (http_parse_money(pct, &bp) != 0 || bp > 10000) { /* "12.5" -> 1250 bp */
        http_field_error(r, "min_fill_pct", "\"min_fill_pct\" must be a percentage 0 to 100");
        goto out;
    }
    if (!api_find_instrument(r, code, &c.instrument)) goto out;
    if (api_has_role(r, ROLE_ADMIN)) {
        c.actor = CETS_EXCHANGE_ID;
    } else if ((uint32_t)pid != r->who.participant) {
        http_error(r, 403, "forbidden", HTTP_E_FORBIDDEN,
                   "an authority may only auction its own lot (participant %u)",
                   r->who.participant);
        goto out;
    } else {
        c.actor = r->who.participant;
    }
    c.participant = (uint32_t)pid;
    c.side = (uint8_t)side;
    c.u.args[CETS_AUCTION_ARG_MODE] = mode;
    c.u.args[CETS_AUCTION_ARG_LIMIT] = reserve;
    c.u.args[CETS_AUCTION_ARG_MIN_FILL] = bp;
    if (api_submit_checked(r, &c, &res)) auction_answer(r, res.order_id, 201, false);
out:
    json_decref(b);
    return r->status;
}

static int auction_bid(req *r, uint64_t id)
{
    static const char *const fields[] = {"price", "qty", NULL};
    if (!http_auth(r, ROLE_TRADE, HTTP_SELF)) return r->status;
    json_t *b = http_body(r, fields);
    cets_cmd c = {.type = CETS_CMD_AUCTION_BID, .order_id = id};
    cets_result res;
    if (b && http_money(r, b, "price", true, &c.price) &&
        http_int(r, b, "qty", true, -QTY_LIM, QTY_LIM, &c.qty)) {
        c.actor = c.participant = r->who.participant;
        if (api_submit_checked(r, &c, &res))
            http_json(r, 201,
                      json_pack("{s:I, s:I, s:o, s:I}", "bid_id", (json_int_t)res.order_id,
                                "auction", (json_int_t)id, "price", view_money(c.price), "qty",
                                (json_int_t)c.qty),
                      NULL);
    }
    json_decref(b);
    return r->status;
}

static int auction_end(req *r, uint64_t id, bool cancel)
{
    if (!api_auth_any(r, cancel ? ROLE_ADMIN : ROLE_ADMIN | ROLE_AUTHORITY)) return r->status;
    cets_cmd c = {.type = cancel ? CETS_CMD_AUCTION_CANCEL : CETS_CMD_AUCTION_CLOSE,
                  .order_id = id};
    c.actor = api_has_role(r, ROLE_ADMIN) ? CETS_EXCHANGE_ID : r->who.participant;
    c.participant = c.actor;
    if (!api_submit_checked(r, &c, NULL)) return r->status;
    return auction_answer(r, id, 200, true);
}

static int h_auctions(http_conn *conn, void *cb)
{
    req r;
    uint64_t id = 0;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg == 1) {
        if (!http_is(&r, "GET")) return http_bad_method(&r);
        listctx l = {.a = json_array()};
        l.e = core_read_begin(r.s->core);
        cets_auctions_foreach(l.e, auction_cb, &l);
        core_read_end(r.s->core);
        return http_json(&r, 200, l.a, NULL);
    }
    if (r.nseg > 3 || !api_id_segment(&r, r.seg[1], &id))
        return r.answered ? r.status : http_not_found(&r, "no such resource");
    if (r.nseg == 2) {
        if (!http_is(&r, "GET")) return http_bad_method(&r);
        /* public; a valid token adds the caller's bids (all of them for an admin) */
        if (!http_auth_identify(r.s->auth, http_header(&r, "Authorization"), &r.who, NULL))
            memset(&r.who, 0, sizeof r.who);
        r.identified = true;
        return auction_answer(&r, id, 200, true);
    }
    if (strcmp(r.seg[2], "bids") != 0) return http_not_found(&r, "no such resource");
    return http_is(&r, "POST") ? auction_bid(&r, id) : http_bad_method(&r);
}

static int h_admin_auctions(http_conn *conn, void *cb)
{
    req r;
    uint64_t id = 0;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg == 2) return http_is(&r, "POST") ? auction_create(&r) : http_bad_method(&r);
    if (r.nseg != 4 || !api_id_segment(&r, r.seg[2], &id))
        return r.answered ? r.status : http_not_found(&r, "no such resource");
    bool cancel = strcmp(r.seg[3], "cancel") == 0;
    if (!cancel && strcmp(r.seg[3], "close") != 0) return http_not_found(&r, "no such resource");
    return http_is(&r, "POST") ? auction_end(&r, id, cancel) : http_bad_method(&r);
}

void api_auctions_register(server *s)
{
    http_handle(s, "/api/v1/auctions", h_auctions);
    http_handle(s, "/api/v1/admin/auctions", h_admin_auctions);
}
