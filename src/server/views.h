/* views.h -- the engine's structs as JSON, in the shapes docs/api.md gives.
 *
 * One place decides how an instrument, an order, a trade or an account looks
 * on the wire, so the HTTP answers and the WebSocket messages agree. Money
 * and prices are decimal strings ("51.23"), quantities integers, times ISO
 * 8601 UTC strings, dates "YYYY-MM-DD". Functions that take the engine must
 * be called between core_read_begin() and core_read_end().
 */
#ifndef CETS_SERVER_VIEWS_H
#define CETS_SERVER_VIEWS_H

#include <jansson.h>

#include "cets/cets.h"

/* Names on the wire, indexed by the engine's enum values ("" = unused). */
extern const char *const view_sides[];     /* "", "buy", "sell" */
extern const char *const view_products[];  /* "CEA", "CCER" */
extern const char *const view_matchings[]; /* "listing", "continuous" */
extern const char
    *const view_kinds[]; /* "", "exchange", "authority", "entity", "institution", "individual" */
extern const char *const view_pstatuses[]; /* "active", "suspended", "frozen" */
extern const char *const view_tifs[];      /* "day", "ioc" */
extern const char *const view_methods[];   /* "listing", "block", "auction" */

json_t *view_money(int64_t fen);
json_t *view_time(int64_t ts_ns);
json_t *view_date(int32_t yyyymmdd);
/* Percent with two decimals from basis points: 123 -> "1.23". */
json_t *view_pct_bp(int64_t bp);

json_t *view_instrument(const cets_instrument_info *in);
/* Best five levels with the resting orders of each level. NULL: no such instrument. */
json_t *view_depth(const cets_engine *e, uint32_t instrument);
/* A trade without its participants (market data). */
json_t *view_trade_public(const cets_trade *t);
/* A trade as one participant's fill: own side, order and fee. */
json_t *view_fill(const cets_engine *e, const cets_trade *t, uint32_t participant);
/* A live order; client_order_id may be NULL. */
json_t *view_order(const cets_engine *e, const cets_order_info *o, const char *client_order_id);
json_t *view_account(const cets_engine *e, uint32_t participant);
json_t *view_participant(const cets_participant_info *p);
json_t *view_day_stats(const cets_day_stats *st);
json_t *view_statement(const cets_engine *e, const cets_statement *st);
/* The daily report (GET /api/v1/report, and of a past day from the history). */
json_t *view_report(int32_t date, int64_t composite, const cets_day_stats *st, uint32_t n);
/* Block quotes and proposals, auctions, transfers (docs/api.md). */
json_t *view_block(const cets_engine *e, const cets_block_info *b);
json_t *view_auction(const cets_engine *e, const cets_auction_info *a);
json_t *view_transfer(const cets_engine *e, const cets_transfer_info *t);
/* One registry movement (CETS_EV_REGISTRY) at time ts: the WebSocket's
 * registry channel. */
json_t *view_move(const cets_engine *e, const cets_registry_move *m, int64_t ts);

#endif
