/* errors.h -- the one table of reason codes.
 *
 * Every rejection the engine, the journal or a gateway gives carries one of
 * these codes. The numbers and the snake-case names are stable: clients store
 * them, FIX carries them in Text, the HTTP API in JSON. Add new codes at the
 * end of a group; never renumber.
 *
 * The messages here are the fixed sentences. Where a rule has configured
 * numbers (bands, sizes, tick, the CCER cap), cets_reject_message() (cets.h)
 * gives the sentence with those numbers for the command refused.
 */
#ifndef CETS_ERRORS_H
#define CETS_ERRORS_H

#include "cets/api.h"

/* X(NAME, number, "stable_name", "message") */
#define CETS_REASONS(X)                                                                            \
    X(OK, 0, "ok", "accepted")                                                                     \
    /* 1xx: the command itself */                                                                  \
    X(BAD_COMMAND, 100, "bad_command", "unknown command type or malformed command")                \
    X(BAD_SIDE, 101, "bad_side", "side must be buy or sell")                                       \
    X(BAD_ARGUMENT, 102, "bad_argument", "an argument is out of its allowed range")                \
    X(TIME_BACKWARDS, 103, "time_backwards", "command time is earlier than the previous one")      \
    X(BAD_CODE, 104, "bad_code", "instrument code must be 1-15 letters and digits")                \
    X(TOO_MANY_TARGETS, 105, "too_many_targets", "a take names at most 8 listings")                \
    X(CAPACITY, 106, "capacity", "the engine is full (instruments, participants or orders)")       \
    X(BAD_PARAM, 107, "bad_param",                                                                 \
      "the parameter's value is outside its range or inconsistent with the others")                \
    X(PARAM_NOT_URGENT, 108, "param_not_urgent",                                                   \
      "this parameter changes only from a later trading day's open, not at once")                  \
    /* 2xx: who is asking */                                                                       \
    X(UNKNOWN_PARTICIPANT, 200, "unknown_participant", "no such participant")                      \
    X(PARTICIPANT_SUSPENDED, 201, "participant_suspended",                                         \
      "the participant is suspended and may not place new orders")                                 \
    X(PARTICIPANT_FROZEN, 202, "participant_frozen",                                               \
      "the participant's funds and holdings are judicially frozen")                                \
    X(NOT_AUTHORISED, 203, "not_authorised", "this command needs the exchange operator")           \
    X(KIND_NOT_ALLOWED, 204, "kind_not_allowed",                                                   \
      "this kind of participant may not trade this instrument")                                    \
    X(NOT_OWNER, 205, "not_owner", "the order belongs to another participant")                     \
    /* 3xx: what is traded */                                                                      \
    X(UNKNOWN_INSTRUMENT, 300, "unknown_instrument", "no such instrument")                         \
    X(INSTRUMENT_HALTED, 301, "instrument_halted", "trading in this instrument is halted")         \
    X(MARKET_HALTED, 302, "market_halted", "trading is halted market-wide")                        \
    X(DUPLICATE_INSTRUMENT, 303, "duplicate_instrument", "an instrument with this code exists")    \
    X(WRONG_MODE, 304, "wrong_mode",                                                               \
      "this command does not apply to the instrument's matching mode")                             \
    X(UNKNOWN_ORDER, 305, "unknown_order", "no such live order")                                   \
    X(BOOK_NOT_EMPTY, 306, "book_not_empty",                                                       \
      "the matching mode can change only while the book is empty")                                 \
    /* 4xx: price and size */                                                                      \
    X(PRICE_TICK, 400, "price_tick", "price is not a multiple of the tick")                        \
    X(PRICE_OUT_OF_BAND, 401, "price_out_of_band",                                                 \
      "price is outside the band around the previous close")                                       \
    X(QTY_OUT_OF_RANGE, 402, "qty_out_of_range", "quantity is outside the size limits")            \
    X(NOTHING_CHANGED, 403, "nothing_changed", "the modification changes nothing")                 \
    /* 5xx: funds and holdings */                                                                  \
    X(INSUFFICIENT_FUNDS, 500, "insufficient_funds",                                               \
      "available funds do not cover price x quantity plus fees")                                   \
    X(INSUFFICIENT_HOLDINGS, 501, "insufficient_holdings",                                         \
      "available holdings do not cover the quantity")                                              \
    X(T1_LOCKED, 502, "t1_locked",                                                                 \
      "allowances bought today may be sold from the next trading day (T+1)")                       \
    X(FUNDS_UNSETTLED, 503, "funds_unsettled",                                                     \
      "today's sale proceeds can be withdrawn after the day's settlement")                         \
    X(OVERFLOW, 504, "overflow", "the amount is too large")                                        \
    X(POSITION_LIMIT, 505, "position_limit",                                                       \
      "the holding would exceed the participant's position limit")                                 \
    /* 6xx: sessions and calendar */                                                               \
    X(SESSION_CLOSED, 600, "session_closed", "the market is not in a trading session now")         \
    X(SESSION_OPEN, 601, "session_open",                                                           \
      "end of day runs only after the day's last session has closed")                              \
    X(NOT_TRADING_DAY, 602, "not_trading_day", "the date is a weekend or a holiday")               \
    /* 7xx: matching */                                                                            \
    X(SELF_TRADE, 700, "self_trade", "a participant may not trade with itself")                    \
    X(CROSSING_POST, 701, "crossing_post",                                                         \
      "the listing would cross the other side: take the resting listings instead")                 \
    X(NOT_IN_BEST_FIVE, 702, "not_in_best_five",                                                   \
      "a take may only name listings within the best five price levels")                           \
    X(TARGET_SIDE, 703, "target_side", "a named listing is on the same side as the take")          \
    X(TARGET_QTY, 704, "target_qty",                                                               \
      "the quantity asked for a named listing must be from 1 to what it still offers")             \
    X(NO_LIQUIDITY, 705, "no_liquidity", "nothing to take within the limit price")                 \
    X(DUPLICATE_TARGET, 706, "duplicate_target", "a take names the same listing twice")            \
    X(UNKNOWN_BLOCK, 710, "unknown_block", "no such open block quote or proposal")                 \
    X(NOT_ADDRESSEE, 711, "not_addressee", "the proposal is addressed to another participant")     \
    X(TERMS_MISMATCH, 712, "terms_mismatch",                                                       \
      "the confirmation does not repeat the proposal's instrument, side, price and quantity")      \
    X(UNKNOWN_AUCTION, 720, "unknown_auction", "no such auction")                                  \
    X(AUCTION_NOT_OPEN, 721, "auction_not_open", "the auction is not taking bids now")             \
    X(AUCTION_RUNNING, 722, "auction_running", "the auction's window has not ended yet")           \
    X(BAD_WINDOW, 723, "bad_window", "the auction window must end after it starts")                \
    /* 8xx: journal and server */                                                                  \
    X(JOURNAL_FAILED, 800, "journal_failed",                                                       \
      "the journal could not be written; the command was not accepted")                            \
    X(DUPLICATE_REQUEST, 801, "duplicate_request", "this client order id was already used")        \
    X(NOT_LEADER, 802, "not_leader", "this node is a standby: send commands to the leader")        \
    /* 9xx: registry and compliance */                                                             \
    X(NOT_ENTITY, 900, "not_entity", "only compliance entities have allocations and obligations")  \
    X(NO_OBLIGATION, 901, "no_obligation",                                                         \
      "no verified emissions are recorded for this entity and year")                               \
    X(YEAR_CLOSED, 902, "year_closed", "the deadline for this year has already been processed")    \
    X(CCER_CAP, 903, "ccer_cap", "CCER may cover only a capped share of an obligation")            \
    X(OVER_SURRENDER, 904, "over_surrender", "the surrender would exceed the obligation")          \
    X(UNKNOWN_TRANSFER, 905, "unknown_transfer", "no such pending transfer")                       \
    X(FOUR_EYES, 906, "four_eyes", "a transfer must be approved by a second user")                 \
    X(NOT_ALLOWANCE, 907, "not_allowance", "allocation is of CEA allowances only")                 \
    X(BAD_TEXT, 908, "bad_text", "a beneficiary and a reason are required (beneficiary|reason)")

typedef enum cets_reason {
#define CETS_X_ENUM(name, num, str, msg) CETS_##name = num,
    CETS_REASONS(CETS_X_ENUM)
#undef CETS_X_ENUM
} cets_reason;

/* "price_out_of_band" for CETS_PRICE_OUT_OF_BAND; "unknown" for a number not in the table. */
CETS_API const char *cets_reason_name(int code);
/* A sentence for a person. */
CETS_API const char *cets_reason_message(int code);
/* Every code in the table, in order; returns how many (fills at most cap). */
CETS_API int cets_reason_all(int *codes, int cap);

#endif
