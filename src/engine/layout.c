/* layout.c -- the byte layout of what a data directory stores, pinned to
 * CETS_JOURNAL_VERSION.
 *
 * The journal writes cets_cmd as it is in memory (its first cets_cmd_size()
 * bytes), engine.config is cets_config as it is in memory, and a snapshot
 * writes some structs whole (the arrays of blocks, auctions, bids,
 * compliance records and transfers; holdings; a participant's and an
 * instrument's day) and the rest field by field, each as many bytes as the
 * field has. So the size and the offsets of those structs, and the size of
 * every field written alone, are the file format: reordering, resizing or
 * inserting a field would pass every other test and break every existing
 * data directory. This file does not compile after such a change until the
 * version is bumped and the new layout pinned under it; the old directories
 * then need a conversion (docs/operations.md, "Format versions"). The golden
 * files of tests/golden/ catch what these cannot see, such as the order in
 * which state.c writes the fields.
 *
 * Nothing here runs: the file holds static assertions only.
 */
#include <stddef.h>

#include "internal.h"

#define SIZE(T, n) _Static_assert(sizeof(T) == (n), #T " changed size: bump CETS_JOURNAL_VERSION")
#define PIN(T, f, off, n)                                                                          \
    _Static_assert(offsetof(T, f) == (off) && sizeof(((T *)0)->f) == (n),                          \
                   #T "." #f " moved or changed size: bump CETS_JOURNAL_VERSION")
#define FIELD(T, f, n)                                                                             \
    _Static_assert(sizeof(((T *)0)->f) == (n), #T "." #f " changed size: bump "                    \
                                                  "CETS_JOURNAL_VERSION")

#if CETS_JOURNAL_VERSION == 1

/* journal records: the first cets_cmd_size() bytes of a command */
SIZE(cets_cmd, 208);
PIN(cets_cmd, seq, 0, 8);
PIN(cets_cmd, ts, 8, 8);
PIN(cets_cmd, type, 16, 1);
PIN(cets_cmd, side, 17, 1);
PIN(cets_cmd, flags, 18, 1);
PIN(cets_cmd, ntargets, 19, 1);
PIN(cets_cmd, actor, 20, 4);
PIN(cets_cmd, participant, 24, 4);
PIN(cets_cmd, instrument, 28, 4);
PIN(cets_cmd, user, 32, 4);
PIN(cets_cmd, counterparty, 36, 4);
PIN(cets_cmd, price, 40, 8);
PIN(cets_cmd, qty, 48, 8);
PIN(cets_cmd, order_id, 56, 8);
PIN(cets_cmd, client_ref, 64, 8);
PIN(cets_cmd, aux, 72, 8);
PIN(cets_cmd, u, 80, 128);
PIN(cets_cmd, u.targets, 80, 128);
PIN(cets_cmd, u.text, 80, 48);
PIN(cets_cmd, u.args, 80, 48);

/* the targets of a take or a named surrender, inside cets_cmd */
SIZE(cets_target, 16);
PIN(cets_target, order_id, 0, 8);
PIN(cets_target, qty, 8, 8);

/* engine.config, and the configuration at the head of a snapshot */
SIZE(cets_config, 104);
PIN(cets_config, start_date, 0, 4);
PIN(cets_config, tz_offset_min, 4, 4);
PIN(cets_config, sessions, 8, 16);
PIN(cets_config, listing_band_bp, 24, 4);
PIN(cets_config, block_band_bp, 28, 4);
PIN(cets_config, listing_min_qty, 32, 8);
PIN(cets_config, listing_max_qty, 40, 8);
PIN(cets_config, block_min_qty, 48, 8);
PIN(cets_config, tick, 56, 8);
PIN(cets_config, fee_ppm, 64, 24);
PIN(cets_config, enforce_sessions, 88, 1);
PIN(cets_config, enforce_risk, 89, 1);
PIN(cets_config, emit_depth, 90, 1);
PIN(cets_config, keep_trades, 91, 1);
PIN(cets_config, ccer_cap_bp, 92, 4);
PIN(cets_config, penalty_multiple_bp, 96, 4);
PIN(cets_config, order_capacity, 100, 4);

/* snapshots: an instrument's day so far, written whole */
SIZE(day_acc, 104);
PIN(day_acc, open, 0, 8);
PIN(day_acc, high, 8, 8);
PIN(day_acc, low, 16, 8);
PIN(day_acc, last, 24, 8);
PIN(day_acc, volume, 32, 24);
PIN(day_acc, value, 56, 24);
PIN(day_acc, trades, 80, 24);

/* snapshots: a participant's day (cur, last), written whole */
SIZE(pday, 72);
PIN(pday, bought, 0, 8);
PIN(pday, sold, 8, 8);
PIN(pday, fees, 16, 8);
PIN(pday, ntrades, 24, 4);
PIN(pday, pad, 28, 4);
PIN(pday, funds_open, 32, 8);
PIN(pday, deposits, 40, 8);
PIN(pday, withdrawals, 48, 8);
PIN(pday, funds_close, 56, 8);
PIN(pday, fee_income, 64, 8);

/* snapshots: a holding, written whole */
SIZE(holding, 64);
PIN(holding, avail, 0, 8);
PIN(holding, frozen, 8, 8);
PIN(holding, locked, 16, 8);
PIN(holding, bought_qty, 24, 8);
PIN(holding, bought_value, 32, 8);
PIN(holding, sold_qty, 40, 8);
PIN(holding, sold_value, 48, 8);
PIN(holding, pad, 56, 8);

/* snapshots: a holding's day for the statement, written whole */
SIZE(hday, 48);
PIN(hday, open_qty, 0, 8);
PIN(hday, close_qty, 8, 8);
PIN(hday, bought_qty, 16, 8);
PIN(hday, bought_value, 24, 8);
PIN(hday, sold_qty, 32, 8);
PIN(hday, sold_value, 40, 8);

/* snapshots: the block board, an array written whole */
SIZE(cets_block_info, 72);
PIN(cets_block_info, id, 0, 8);
PIN(cets_block_info, answers, 8, 8);
PIN(cets_block_info, instrument, 16, 4);
PIN(cets_block_info, owner, 20, 4);
PIN(cets_block_info, counterparty, 24, 4);
PIN(cets_block_info, side, 28, 1);
PIN(cets_block_info, is_quote, 29, 1);
PIN(cets_block_info, status, 30, 1);
PIN(cets_block_info, pad, 31, 1);
PIN(cets_block_info, price, 32, 8);
PIN(cets_block_info, qty, 40, 8);
PIN(cets_block_info, reserved, 48, 8);
PIN(cets_block_info, ts, 56, 8);
PIN(cets_block_info, trade_id, 64, 8);

/* snapshots: auctions, an array written whole */
SIZE(cets_auction_info, 112);
PIN(cets_auction_info, id, 0, 8);
PIN(cets_auction_info, instrument, 8, 4);
PIN(cets_auction_info, initiator, 12, 4);
PIN(cets_auction_info, side, 16, 1);
PIN(cets_auction_info, mode, 17, 1);
PIN(cets_auction_info, status, 18, 1);
PIN(cets_auction_info, pad, 19, 1);
PIN(cets_auction_info, lot, 24, 8);
PIN(cets_auction_info, start, 32, 8);
PIN(cets_auction_info, end, 40, 8);
PIN(cets_auction_info, reserve_price, 48, 8);
PIN(cets_auction_info, bid_limit, 56, 8);
PIN(cets_auction_info, min_fill_bp, 64, 8);
PIN(cets_auction_info, reserved, 72, 8);
PIN(cets_auction_info, filled, 80, 8);
PIN(cets_auction_info, clearing_price, 88, 8);
PIN(cets_auction_info, value, 96, 8);
PIN(cets_auction_info, nbids, 104, 4);
PIN(cets_auction_info, nwinners, 108, 4);

/* snapshots: auction bids, an array written whole */
SIZE(cets_bid_info, 64);
PIN(cets_bid_info, id, 0, 8);
PIN(cets_bid_info, auction, 8, 8);
PIN(cets_bid_info, participant, 16, 4);
PIN(cets_bid_info, pad, 20, 4);
PIN(cets_bid_info, price, 24, 8);
PIN(cets_bid_info, qty, 32, 8);
PIN(cets_bid_info, filled, 40, 8);
PIN(cets_bid_info, reserved, 48, 8);
PIN(cets_bid_info, ts, 56, 8);

/* snapshots: compliance records, an array written whole */
/* state version 3 (state.c); version 2 had the first 56 bytes, up to and with
 * status, and state.c converts it */
SIZE(cets_compliance, 72);
PIN(cets_compliance, participant, 0, 4);
PIN(cets_compliance, year, 4, 4);
PIN(cets_compliance, obligation, 8, 8);
PIN(cets_compliance, surrendered_cea, 16, 8);
PIN(cets_compliance, surrendered_ccer, 24, 8);
PIN(cets_compliance, shortfall, 32, 8);
PIN(cets_compliance, penalty, 40, 8);
PIN(cets_compliance, status, 48, 1);
PIN(cets_compliance, settled_date, 52, 4);
PIN(cets_compliance, withheld, 56, 8);
PIN(cets_compliance, late_surrendered, 64, 8);

/* snapshots: transfers, an array written whole */
SIZE(cets_transfer_info, 48);
PIN(cets_transfer_info, id, 0, 8);
PIN(cets_transfer_info, from, 8, 4);
PIN(cets_transfer_info, to, 12, 4);
PIN(cets_transfer_info, instrument, 16, 4);
PIN(cets_transfer_info, user, 20, 4);
PIN(cets_transfer_info, qty, 24, 8);
PIN(cets_transfer_info, ts, 32, 8);
PIN(cets_transfer_info, status, 40, 1);
PIN(cets_transfer_info, pad, 41, 7);

/* snapshots: an order, field by field */
FIELD(order, id, 8);
FIELD(order, client_ref, 8);
FIELD(order, price, 8);
FIELD(order, qty, 8);
FIELD(order, filled_qty, 8);
FIELD(order, filled_value, 8);
FIELD(order, fees, 8);
FIELD(order, reserved, 8);
FIELD(order, ts, 8);
FIELD(order, participant, 4);
FIELD(order, instrument, 2);
FIELD(order, side, 1);
FIELD(order, tif, 1);

/* snapshots: a participant, field by field */
FIELD(pgate, kind, 1);
FIELD(pgate, status, 1);
FIELD(participant, name, 48);
FIELD(participant, avail, 8);
FIELD(participant, frozen, 8);
FIELD(participant, unsettled, 8);
FIELD(pgate, open_orders, 4);
FIELD(participant, cur, 72);
FIELD(participant, last, 72);
FIELD(participant, owed, 8);
FIELD(participant, comp_head, 4);

/* snapshots: an instrument, field by field */
FIELD(instrument, code, 16);
FIELD(instrument, product, 1);
FIELD(instrument, matching, 1);
FIELD(instrument, status, 1);
FIELD(instrument, prev_close, 8);
FIELD(instrument, lower, 8);
FIELD(instrument, upper, 8);
FIELD(instrument, tick, 8);
FIELD(instrument, issued, 8);
FIELD(instrument, retired, 8);
FIELD(instrument, day, 104);
FIELD(instrument, cum_volume, 24);
FIELD(instrument, cum_value, 24);

/* snapshots: a trade of the day's tapes, field by field */
FIELD(cets_trade, trade_id, 8);
FIELD(cets_trade, seq, 8);
FIELD(cets_trade, ts, 8);
FIELD(cets_trade, instrument, 4);
FIELD(cets_trade, method, 1);
FIELD(cets_trade, aggressor, 1);
FIELD(cets_trade, buyer, 4);
FIELD(cets_trade, seller, 4);
FIELD(cets_trade, buy_order, 8);
FIELD(cets_trade, sell_order, 8);
FIELD(cets_trade, price, 8);
FIELD(cets_trade, qty, 8);
FIELD(cets_trade, value, 8);
FIELD(cets_trade, buyer_fee, 8);
FIELD(cets_trade, seller_fee, 8);

/* snapshots: the last closed day's statistics, field by field */
FIELD(cets_day_stats, date, 4);
FIELD(cets_day_stats, instrument, 4);
FIELD(cets_day_stats, code, 16);
FIELD(cets_day_stats, prev_close, 8);
FIELD(cets_day_stats, open, 8);
FIELD(cets_day_stats, high, 8);
FIELD(cets_day_stats, low, 8);
FIELD(cets_day_stats, close, 8);
FIELD(cets_day_stats, change_bp, 8);
FIELD(cets_day_stats, volume, 24);
FIELD(cets_day_stats, value, 24);
FIELD(cets_day_stats, trades, 24);
FIELD(cets_day_stats, total_volume, 8);
FIELD(cets_day_stats, total_value, 8);
FIELD(cets_day_stats, cum_volume, 24);
FIELD(cets_day_stats, cum_value, 24);
FIELD(cets_day_stats, next_lower, 8);
FIELD(cets_day_stats, next_upper, 8);

/* snapshots: the engine's own fields, and its arrays' elements */
FIELD(struct cets_engine, last_seq, 8);
FIELD(struct cets_engine, last_ts, 8);
FIELD(struct cets_engine, date, 4);
FIELD(struct cets_engine, next_order_id, 8);
FIELD(struct cets_engine, next_trade_id, 8);
FIELD(struct cets_engine, deposits, 8);
FIELD(struct cets_engine, withdrawals, 8);
FIELD(struct cets_engine, nlast_stats, 4);
FIELD(struct cets_engine, last_date, 4);
FIELD(struct cets_engine, last_composite, 8);
FIELD(struct cets_engine, next_block_id, 8);
FIELD(struct cets_engine, holidays[0], 4);
FIELD(struct cets_engine, comp_next[0], 4);
FIELD(struct cets_engine, closed_years[0], 4);

/* snapshots (version 4): the market parameters' changes, whole; the values */
SIZE(cets_param_change, 56);
PIN(cets_param_change, seq, 0, 8);
PIN(cets_param_change, ts, 8, 8);
PIN(cets_param_change, value, 16, 8);
PIN(cets_param_change, old, 24, 8);
PIN(cets_param_change, id, 32, 4);
PIN(cets_param_change, effective, 36, 4);
PIN(cets_param_change, applied, 40, 4);
PIN(cets_param_change, user, 44, 4);
PIN(cets_param_change, status, 48, 1);
PIN(cets_param_change, urgent, 49, 1);
SIZE(cets_limit_exemption, 80);
PIN(cets_limit_exemption, seq, 0, 8);
PIN(cets_limit_exemption, ts, 8, 8);
PIN(cets_limit_exemption, participant, 16, 4);
PIN(cets_limit_exemption, user, 20, 4);
PIN(cets_limit_exemption, exempt, 24, 1);
PIN(cets_limit_exemption, reason, 32, 48);
SIZE(cets_related_decl, 80);
PIN(cets_related_decl, seq, 0, 8);
PIN(cets_related_decl, ts, 8, 8);
PIN(cets_related_decl, a, 16, 4);
PIN(cets_related_decl, b, 20, 4);
PIN(cets_related_decl, user, 24, 4);
PIN(cets_related_decl, related, 28, 1);
PIN(cets_related_decl, reason, 32, 48);
/* the surveillance's section (state version 6; surveil.c pins its own structs) */
SIZE(cets_alert, 120);
PIN(cets_alert, id, 0, 8);
PIN(cets_alert, seq, 8, 8);
PIN(cets_alert, ts, 16, 8);
PIN(cets_alert, participant, 24, 4);
PIN(cets_alert, instrument, 28, 4);
PIN(cets_alert, date, 32, 4);
PIN(cets_alert, rule, 36, 1);
PIN(cets_alert, figure, 40, 8);
PIN(cets_alert, threshold, 48, 8);
PIN(cets_alert, count, 56, 16);
PIN(cets_alert, evidence, 72, 32);
PIN(cets_alert, nevidence, 104, 4);
PIN(cets_alert, occurrences, 108, 4);
PIN(cets_alert, counterparty, 112, 4);
FIELD(struct cets_engine, pv, 8 * CETS_PARAM_COUNT);
FIELD(struct cets_engine, pdef, 8 * CETS_PARAM_COUNT);

/* the lengths of the arrays inside those structs */
_Static_assert(CETS_MAX_TARGETS == 8 && CETS_NAME_LEN == 48 && CETS_CODE_LEN == 16 &&
                   CETS_METHOD_COUNT == 3 && CETS_AUCTION_NARGS == 5,
               "a stored array changed length: bump CETS_JOURNAL_VERSION");

#else
#error "pin the layout of this CETS_JOURNAL_VERSION here, and convert the older versions"
#endif
