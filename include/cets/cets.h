/* cets.h -- the engine: the one documented API of cets.
 *
 * The engine is a deterministic state machine with no I/O. Everything that
 * changes state is a command (cets_cmd) that carries a sequence number and a
 * timestamp given by the sequencer; cets_apply() applies one command, fills a
 * cets_result and reports what happened through the listener as events.
 * It never reads the clock, the disk, the network or a random source: the
 * same commands give the same state, bit for bit (cets_state_hash()).
 *
 * Units: prices and money are int64 fen (0.01 CNY); quantities int64 tonnes.
 * Dates are int32 yyyymmdd in Asia/Shanghai; times int64 ns since the Unix
 * epoch (UTC).
 *
 * Thread safety: an engine belongs to one thread.
 */
#ifndef CETS_CETS_H
#define CETS_CETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/api.h"
#include "cets/errors.h"

#define CETS_MAX_INSTRUMENTS 64
#define CETS_MAX_TARGETS 8
#define CETS_CODE_LEN 16 /* with the NUL */
#define CETS_NAME_LEN 48 /* with the NUL */
#define CETS_DEPTH 5
#define CETS_EXCHANGE_ID 1 /* the exchange operator: created with the engine, holds the fees */

typedef enum cets_side { CETS_BUY = 1, CETS_SELL = 2 } cets_side;

typedef enum cets_matching {
    CETS_MATCH_LISTING = 0,    /* post and take (挂牌协议) */
    CETS_MATCH_CONTINUOUS = 1, /* price-time limit order book */
} cets_matching;

typedef enum cets_product { CETS_PRODUCT_CEA = 0, CETS_PRODUCT_CCER = 1 } cets_product;

typedef enum cets_pkind {
    CETS_PK_EXCHANGE = 1,    /* exchange operator */
    CETS_PK_AUTHORITY = 2,   /* competent authority */
    CETS_PK_ENTITY = 3,      /* compliance entity (重点排放单位) */
    CETS_PK_INSTITUTION = 4, /* institution */
    CETS_PK_INDIVIDUAL = 5,  /* individual: CCER only */
} cets_pkind;

typedef enum cets_pstatus {
    CETS_PS_ACTIVE = 0,
    CETS_PS_SUSPENDED = 1, /* no new business on the market; resting orders may be cancelled */
    CETS_PS_FROZEN = 2,    /* judicially frozen: no business, no funds or holdings leave */
} cets_pstatus;

typedef enum cets_istatus { CETS_IS_OPEN = 0, CETS_IS_HALTED = 1 } cets_istatus;

/* Trading methods, for fees and statistics. Continuous-book trades count as
 * listing (screen) trades: they set open, high, low and close. */
typedef enum cets_method {
    CETS_METHOD_LISTING = 0,
    CETS_METHOD_BLOCK = 1,
    CETS_METHOD_AUCTION = 2,
    CETS_METHOD_COUNT = 3,
} cets_method;

typedef enum cets_tif {
    CETS_TIF_DAY = 0, /* rests until filled, cancelled or the end of the day */
    CETS_TIF_IOC = 1, /* continuous mode: what does not fill at once is cancelled */
} cets_tif;

typedef enum cets_cmd_type {
    CETS_CMD_NONE = 0,
    /* operator commands: actor must be the exchange (CETS_EXCHANGE_ID) */
    CETS_CMD_INSTRUMENT_ADD = 1,  /* text=code, aux=product, flags=matching, price=previous close */
    CETS_CMD_INSTRUMENT_HALT = 2, /* instrument, aux=1 halt, 0 resume */
    CETS_CMD_INSTRUMENT_MODE = 3, /* instrument, flags=matching; its book must be empty */
    CETS_CMD_MARKET_HALT = 4,     /* aux=1 halt, 0 resume */
    CETS_CMD_PARTICIPANT_ADD = 5, /* aux=kind, text=name; result.id = the new participant */
    CETS_CMD_PARTICIPANT_STATUS = 6, /* participant, aux=cets_pstatus */
    CETS_CMD_DEPOSIT = 7,            /* participant, qty=amount in fen; text = the settlement
                                     bank's reference of the deposit notice ("" when entered
                                     by hand), aux = the notice's value date (0 = none) */
    CETS_CMD_WITHDRAW = 8,           /* participant, qty=amount in fen (actor: exchange or itself);
                                     refused while the participant is frozen */
    CETS_CMD_HOLDING_CREDIT = 9,     /* participant, instrument, qty=tonnes (issuance) */
    CETS_CMD_HOLIDAY_ADD = 10,       /* aux=yyyymmdd */
    CETS_CMD_HOLIDAY_REMOVE = 11,    /* aux=yyyymmdd */
    CETS_CMD_END_OF_DAY = 12,        /* lapse, statistics, statements, next day */
    CETS_CMD_USER_SET = 13,          /* a user of the server was created, changed or removed:
                                     text = its name, participant = its participant,
                                     counterparty = its user number, aux = its roles (the
                                     server's bits; -1 = removed). Users live with the server,
                                     not in the engine, which only checks the actor and the
                                     fields and keeps nothing: the command is journaled so that
                                     the audit log, a projection of the journal, has it */
    CETS_CMD_PARAM_SET = 14,         /* a market parameter (docs/rules.md, "Market parameters"):
                                     aux = cets_param_id, qty = the new value, price = the
                                     trading date from whose open it applies (yyyymmdd, after
                                     today), or flags = CETS_PARAM_URGENT: at once (price 0) */
    CETS_CMD_LIMIT_EXEMPT = 15,      /* actor: the authority; participant, aux = 1 exempt from the
                                     position limits, 0 no longer; text = the reason */
    CETS_CMD_RELATED_SET = 16,       /* participant and counterparty share an actual controller:
                                     aux = 1 declared, 0 revoked; text = the reason
                                     (surveillance, docs/rules.md) */
    /* trading commands: actor must equal participant */
    CETS_CMD_POST = 20,   /* listing post, or limit order in continuous mode (flags=tif) */
    CETS_CMD_TAKE = 21,   /* listing take: ntargets + targets (price and qty are then ignored:
                             the take's size is the sum of the targets), or qty + limit price;
                             continuous: an IOC order */
    CETS_CMD_CANCEL = 22, /* order_id */
    CETS_CMD_MODIFY = 23, /* order_id, new price and new remaining qty (cancel-replace; keeps
                             priority when only the quantity goes down) */
    /* block agreements (大宗协议), docs/rules.md "Block agreement" */
    CETS_CMD_BLOCK_QUOTE = 30,    /* side, instrument, price, qty: a quote on the block board */
    CETS_CMD_BLOCK_PROPOSE = 31,  /* side, instrument, price, qty, and counterparty (direct) or
                                     order_id = the quote or proposal answered; the proposer's
                                     confirmation: reserves funds or holdings */
    CETS_CMD_BLOCK_ACCEPT = 32,   /* order_id = proposal; instrument, price, qty must repeat its
                                     terms; reserves and trades at once */
    CETS_CMD_BLOCK_DECLINE = 33,  /* order_id = proposal addressed to the participant */
    CETS_CMD_BLOCK_WITHDRAW = 34, /* order_id = own quote or proposal */
    /* one-way bidding (单向竞价) */
    CETS_CMD_AUCTION_CREATE = 40, /* actor exchange (or the authority for paid allocation);
                                     participant = initiator, side = initiator's side,
                                     instrument, qty = lot, u.args = cets_auction_args */
    CETS_CMD_AUCTION_BID = 41,    /* order_id = auction, price, qty; pre-funded */
    CETS_CMD_AUCTION_CLOSE = 42,  /* order_id = auction; at or after the window's end */
    CETS_CMD_AUCTION_CANCEL = 43, /* order_id = auction; releases everything */
    /* registry and compliance: actor must be the authority unless said otherwise */
    CETS_CMD_ALLOCATE = 50,         /* participant (entity), instrument (CEA), qty, aux = 0 pre /
                                     1 true-up, u.args[0] = output, u.args[1] = benchmark */
    CETS_CMD_EMISSIONS = 51,        /* participant, aux = year, qty = verified tonnes */
    CETS_CMD_SURRENDER = 52,        /* participant (actor itself, or the authority: compulsory),
                                     aux = year, qty; or targets = (instrument id, qty) */
    CETS_CMD_RETIRE = 53,           /* voluntary cancellation by the holder: instrument, qty,
                                     u.text = "beneficiary|reason" */
    CETS_CMD_TRANSFER = 54,         /* holder asks: counterparty, instrument, qty, user */
    CETS_CMD_TRANSFER_APPROVE = 55, /* order_id = transfer; user must differ from the asker */
    CETS_CMD_TRANSFER_REJECT = 56,  /* order_id = transfer */
    CETS_CMD_JUDICIAL = 57, /* participant, aux = 1 freeze, 0 unfreeze (authority or exchange);
                                     a freeze cancels its live orders, withdraws its open block
                                     quotes and proposals, drops its auction bids and cancels
                                     auctions it initiated */
    CETS_CMD_DEADLINE = 58, /* aux = year: shortfalls, penalties, deductions */
} cets_cmd_type;

/* u.args of AUCTION_CREATE. */
enum {
    CETS_AUCTION_ARG_START = 0, /* window start, ns */
    CETS_AUCTION_ARG_END = 1,   /* window end, ns */
    CETS_AUCTION_ARG_MODE = 2,  /* 0 uniform price, 1 pay-as-bid */
    CETS_AUCTION_ARG_LIMIT = 3, /* initiator's reserve: 0 previous close, 1 previous close -/+10% */
    CETS_AUCTION_ARG_MIN_FILL = 4, /* minimum filled share of the lot, basis points (0 = any) */
    CETS_AUCTION_NARGS = 5,
};

typedef struct cets_target {
    uint64_t order_id; /* a resting listing of the other side */
    int64_t qty;       /* how much of it to take */
} cets_target;

/* The version of the byte layout of everything a data directory stores:
 * journal records (cets_cmd), engine.config (cets_config) and the engine
 * state in snapshots. src/engine/layout.c pins the size and offsets of each
 * stored struct to it; a change of layout bumps it (docs/operations.md). */
#define CETS_JOURNAL_VERSION 1

/* A command. Fixed layout without padding; the journal stores the first
 * cets_cmd_size(cmd) bytes of it. Unused fields are zero. */
typedef struct cets_cmd {
    uint64_t seq;          /* given by the sequencer, strictly increasing */
    int64_t ts;            /* given by the sequencer, ns since epoch UTC, non-decreasing */
    uint8_t type;          /* cets_cmd_type */
    uint8_t side;          /* cets_side */
    uint8_t flags;         /* POST/MODIFY: cets_tif; INSTRUMENT_ADD/MODE: cets_matching */
    uint8_t ntargets;      /* TAKE: number of targets used (0 = take by qty and limit) */
    uint32_t actor;        /* who asks */
    uint32_t participant;  /* whose account */
    uint32_t instrument;   /* instrument id (index) */
    uint32_t user;         /* the server's id of the person acting (four-eyes checks), 0 = none */
    uint32_t counterparty; /* block proposals, transfers: the other participant */
    int64_t price;         /* fen */
    int64_t qty;           /* tonnes, or fen for DEPOSIT and WITHDRAW */
    uint64_t order_id;     /* CANCEL, MODIFY */
    uint64_t client_ref;   /* the client's own reference, echoed in events */
    int64_t aux;           /* per command, see cets_cmd_type */
    union {
        cets_target targets[CETS_MAX_TARGETS];
        char text[CETS_NAME_LEN];
        int64_t args[6];
    } u;
} cets_cmd;

/* Bytes of *cmd that carry information (the journal writes this many). */
CETS_API size_t cets_cmd_size(const cets_cmd *cmd);
/* Short stable name of a command type ("post", "take", ...), "unknown" otherwise. */
CETS_API const char *cets_cmd_name(int type);

typedef struct cets_result {
    int code;             /* CETS_OK or a cets_reason */
    uint32_t id;          /* PARTICIPANT_ADD / INSTRUMENT_ADD: the new id */
    uint64_t order_id;    /* POST, TAKE, MODIFY: the order's id */
    int64_t filled_qty;   /* filled by this command */
    int64_t filled_value; /* fen */
    int64_t resting_qty;  /* left resting on the book */
    uint32_t ntrades;
} cets_result;

/* ---- events ---------------------------------------------------------- */

typedef enum cets_event_type {
    CETS_EV_REJECTED = 1,      /* a command was rejected; nothing changed */
    CETS_EV_ACCEPTED = 2,      /* an order was accepted (before any fills) */
    CETS_EV_TRADE = 3,         /* a trade, settled */
    CETS_EV_ORDER_DONE = 4,    /* an order left the book or ended (see cets_done) */
    CETS_EV_DEPTH = 5,         /* best five levels of an instrument after a change */
    CETS_EV_DAY_STATS = 6,     /* end of day: one per instrument */
    CETS_EV_STATEMENT = 7,     /* end of day: one per participant with activity or balance */
    CETS_EV_DAY_CLOSED = 8,    /* end of day finished; next trading date set */
    CETS_EV_REPLACED = 9,      /* MODIFY accepted */
    CETS_EV_ADMIN = 10,        /* an operator command took effect */
    CETS_EV_BLOCK = 11,        /* a block quote or proposal changed (see cets_block_info) */
    CETS_EV_AUCTION = 12,      /* an auction was created, bid on, closed or cancelled */
    CETS_EV_REGISTRY = 13,     /* a registry movement (allocation, surrender, retirement,
                                transfer, freeze, deadline): the audit trail's input */
    CETS_EV_LARGE_HOLDER = 14, /* end of day: a holding crossed the large-holder threshold */
} cets_event_type;

typedef enum cets_done {
    CETS_DONE_FILLED = 1,
    CETS_DONE_CANCELLED = 2, /* by its owner */
    CETS_DONE_EXPIRED = 3,   /* lapsed at the end of the day */
    CETS_DONE_UNFILLED = 4,  /* take / IOC remainder, never posted */
} cets_done;

typedef struct cets_trade {
    uint64_t trade_id;
    uint64_t seq; /* the command that made it */
    int64_t ts;
    uint32_t instrument;
    uint8_t method;    /* cets_method */
    uint8_t aggressor; /* side of the taker */
    uint16_t pad;
    uint32_t buyer, seller;
    uint64_t buy_order, sell_order;
    int64_t price, qty, value; /* value = price*qty, fen */
    int64_t buyer_fee, seller_fee;
} cets_trade;

typedef struct cets_level {
    int64_t price, qty;
    uint32_t count;
    uint32_t pad;
} cets_level;

typedef struct cets_depth {
    uint32_t instrument;
    uint32_t nbids, nasks;
    uint32_t pad;
    cets_level bids[CETS_DEPTH]; /* best first */
    cets_level asks[CETS_DEPTH];
} cets_depth;

typedef struct cets_order_info {
    uint64_t order_id, client_ref;
    uint32_t participant, instrument;
    uint8_t side, tif, pad[6];
    int64_t price;
    int64_t qty; /* remaining (not yet filled) quantity */
    int64_t filled_qty, filled_value;
    int64_t reserved; /* funds (buy, fen) or holdings (sell, t) still frozen for it */
    int64_t ts;       /* time of entry */
} cets_order_info;

typedef struct cets_day_stats {
    int32_t date;
    uint32_t instrument;
    char code[CETS_CODE_LEN];
    int64_t prev_close;
    int64_t open, high, low, close; /* listing trades only; carried over when none */
    int64_t change_bp;              /* (close - prev_close) / prev_close, basis points, half-up */
    bool traded;                    /* any listing trade today */
    int64_t volume[CETS_METHOD_COUNT], value[CETS_METHOD_COUNT];
    uint64_t trades[CETS_METHOD_COUNT];
    int64_t total_volume, total_value;
    int64_t cum_volume[CETS_METHOD_COUNT], cum_value[CETS_METHOD_COUNT];
    int64_t next_lower, next_upper; /* tomorrow's listing band */
} cets_day_stats;

typedef struct cets_statement_line {
    uint32_t instrument;
    int64_t open_qty, close_qty; /* total holding (available+frozen+locked) */
    int64_t bought_qty, bought_value, sold_qty, sold_value;
} cets_statement_line;

typedef struct cets_statement {
    int32_t date;
    uint32_t participant;
    int64_t funds_open, funds_close; /* total funds (available+frozen) */
    int64_t deposits, withdrawals;
    int64_t bought_value, sold_value, fees;
    int64_t fee_income; /* the exchange (participant 1): fees received */
    uint32_t ntrades;
    uint32_t nlines;
    cets_statement_line lines[CETS_MAX_INSTRUMENTS]; /* instruments with a holding or activity */
} cets_statement;

/* ---- block agreements, auctions, registry ------------------------------ */

typedef enum cets_block_status {
    CETS_BLOCK_OPEN = 1,
    CETS_BLOCK_ACCEPTED = 2, /* traded */
    CETS_BLOCK_DECLINED = 3,
    CETS_BLOCK_WITHDRAWN = 4,
    CETS_BLOCK_COUNTERED = 5, /* answered by a counter-proposal */
    CETS_BLOCK_LAPSED = 6,    /* end of day */
    CETS_BLOCK_CLOSED = 7,    /* a quote whose proposal was accepted */
} cets_block_status;

typedef struct cets_block_info {
    uint64_t id;
    uint64_t answers; /* the quote or proposal this one answers, 0 */
    uint32_t instrument;
    uint32_t owner;        /* who posted or proposed */
    uint32_t counterparty; /* addressee; 0 for a board quote */
    uint8_t side, is_quote, status, pad;
    int64_t price, qty;
    int64_t reserved; /* funds (buy) or tonnes (sell) frozen by a proposal */
    int64_t ts;
    uint64_t trade_id; /* once accepted */
} cets_block_info;

typedef enum cets_auction_status {
    CETS_AUCTION_OPEN = 1,
    CETS_AUCTION_CLOSED = 2,    /* cleared */
    CETS_AUCTION_CANCELLED = 3, /* by the operator */
    CETS_AUCTION_FAILED = 4,    /* below the minimum fill: nothing traded */
} cets_auction_status;

typedef struct cets_auction_info {
    uint64_t id;
    uint32_t instrument, initiator;
    uint8_t side; /* initiator's side: SELL = it sells the lot, buyers bid */
    uint8_t mode; /* 0 uniform price, 1 pay-as-bid */
    uint8_t status, pad;
    int64_t lot, start, end;
    int64_t reserve_price; /* the initiator's floor (selling) or cap (buying) */
    int64_t bid_limit;     /* bids' other bound: cap for buyers, floor for sellers */
    int64_t min_fill_bp;
    int64_t reserved; /* the initiator's frozen tonnes (selling) or funds (buying) */
    int64_t filled, clearing_price, value; /* after the close; clearing = marginal price */
    uint32_t nbids, nwinners;
} cets_auction_info;

typedef struct cets_bid_info {
    uint64_t id, auction;
    uint32_t participant, pad;
    int64_t price, qty, filled, reserved, ts;
} cets_bid_info;

typedef enum cets_reg_kind {
    CETS_REG_ALLOCATE = 1,
    CETS_REG_EMISSIONS = 2,
    CETS_REG_SURRENDER = 3,
    CETS_REG_RETIRE = 4,
    CETS_REG_TRANSFER_REQUEST = 5,
    CETS_REG_TRANSFER_APPROVE = 6,
    CETS_REG_TRANSFER_REJECT = 7,
    CETS_REG_FREEZE = 8,
    CETS_REG_UNFREEZE = 9,
    CETS_REG_DEADLINE = 10, /* one per entity with an obligation for the year */
} cets_reg_kind;

/* One registry movement (CETS_EV_REGISTRY). */
typedef struct cets_registry_move {
    uint8_t kind;       /* cets_reg_kind */
    uint8_t compulsory; /* surrender by the authority; allocation: 1 = true-up */
    uint16_t pad;
    uint32_t participant, counterparty, instrument, user;
    int32_t year;
    int64_t qty;                            /* tonnes moved (allocation: issued after deduction) */
    int64_t deducted;                       /* allocation: withheld for an earlier shortfall */
    int64_t output, benchmark;              /* allocation basis */
    int64_t obligation, shortfall, penalty; /* deadline */
    uint64_t ref;                           /* transfer id */
    char text[CETS_NAME_LEN];               /* retirement: "beneficiary|reason" */
} cets_registry_move;

typedef enum cets_compliance_status {
    CETS_COMPLIANCE_OPEN = 0,      /* before the deadline */
    CETS_COMPLIANCE_COMPLIANT = 1, /* deadline passed, obligation met */
    CETS_COMPLIANCE_SHORTFALL = 2, /* deadline passed with a shortfall still owed */
    CETS_COMPLIANCE_SETTLED = 3,   /* deadline passed with a shortfall, made up since (withheld
                                      from allocations, surrendered late) on settled_date */
} cets_compliance_status;

/* A year's record keeps what happened: what the deadline found stays as it
 * found it, and what made up a shortfall afterwards is counted apart.
 * Still owed = shortfall - withheld - late_surrendered. */
typedef struct cets_compliance {
    uint32_t participant;
    int32_t year;
    int64_t obligation;                        /* verified emissions, t */
    int64_t surrendered_cea, surrendered_ccer; /* surrendered, before and after the deadline */
    int64_t shortfall, penalty; /* recorded by the deadline, never changed after it */
    uint8_t status;             /* cets_compliance_status */
    uint8_t pad[3];
    int32_t settled_date;     /* SETTLED: the trading date nothing was owed any more */
    int64_t withheld;         /* tonnes withheld from later allocations against the shortfall */
    int64_t late_surrendered; /* tonnes surrendered after the deadline (compulsory) */
} cets_compliance;

typedef struct cets_transfer_info {
    uint64_t id;
    uint32_t from, to, instrument, user;
    int64_t qty, ts;
    uint8_t status; /* 1 pending, 2 approved, 3 rejected */
    uint8_t pad[7];
} cets_transfer_info;

/* A holder above the large-holder threshold (docs/rules.md, "Large holders"). */
typedef struct cets_large_holder {
    uint32_t participant, instrument;
    int64_t held;     /* available + frozen + locked, t */
    int64_t issued;   /* the instrument's issuance, t */
    int64_t share_bp; /* held / issued, basis points, rounded down */
    uint8_t above;    /* LARGE_HOLDER event: 1 crossed above, 0 fell back below */
    uint8_t pad[7];
} cets_large_holder;

typedef struct cets_event {
    uint8_t type; /* cets_event_type */
    uint8_t pad[7];
    uint64_t seq;
    int64_t ts;
    union {
        struct { /* REJECTED */
            int code;
            uint8_t cmd_type;
            uint32_t participant;
            uint64_t client_ref, order_id;
        } reject;
        cets_order_info order; /* ACCEPTED, REPLACED */
        struct {               /* ORDER_DONE */
            cets_order_info order;
            uint8_t why; /* cets_done */
            uint8_t pad[7];
            int64_t left_qty;
        } done;
        cets_trade trade;                /* TRADE */
        cets_depth depth;                /* DEPTH */
        cets_day_stats stats;            /* DAY_STATS */
        const cets_statement *statement; /* STATEMENT: valid during the callback */
        struct {                         /* DAY_CLOSED */
            int32_t closed_date, next_date;
            int64_t composite; /* composite price of the closed day (fen) */
        } day;
        struct { /* ADMIN: what the operator command did */
            uint8_t cmd_type;
            uint32_t id;          /* new instrument or participant id */
            uint32_t participant; /* the command's participant, instrument, qty, aux */
            uint32_t instrument;
            int64_t qty, aux;
        } admin;
        cets_block_info block; /* BLOCK */
        struct {               /* AUCTION */
            cets_auction_info auction;
            cets_bid_info bid; /* the bid placed, when a bid caused it */
        } auction;
        cets_registry_move reg;  /* REGISTRY */
        cets_large_holder large; /* LARGE_HOLDER */
    } u;
} cets_event;

/* A listener may read only the header and the union member of ev->type: the
 * engine does not clear the rest (events are on the hot path). */
typedef void (*cets_listener)(void *ctx, const cets_event *ev);

/* ---- configuration ---------------------------------------------------- */

typedef struct cets_config {
    int32_t start_date;                       /* first trading date, yyyymmdd */
    int32_t tz_offset_min;                    /* local time = UTC + this; 480 (Asia/Shanghai) */
    int32_t sessions[4];                      /* minutes after local midnight: 570,690,780,900 */
    int32_t listing_band_bp;                  /* 1000 = +/-10% */
    int32_t block_band_bp;                    /* 3000 */
    int64_t listing_min_qty, listing_max_qty; /* 1, 99999 */
    int64_t block_min_qty;                    /* 100000 */
    int64_t tick;                             /* 1 fen */
    int32_t fee_ppm[CETS_METHOD_COUNT][2];    /* [method][0 buy, 1 sell]; 500 = 0.05% */
    bool enforce_sessions;                    /* true; false for embedders and benchmarks */
    bool enforce_risk;                        /* true: funds and holdings checks */
    bool emit_depth;                          /* DEPTH events after each change */
    bool keep_trades;                         /* keep the day's trades for statements */
    int32_t ccer_cap_bp;                      /* CCER share of an obligation: 500 = 5% */
    int32_t penalty_multiple_bp; /* penalty = shortfall x composite x this: 50000 = 5x */
    uint32_t order_capacity;     /* initial order pool size, at most 2^24 (grows) */
} cets_config;

/* The market's defaults (see docs/rules.md). */
CETS_API void cets_config_default(cets_config *cfg);

/* ---- lifecycle --------------------------------------------------------- */

typedef struct cets_engine cets_engine;

CETS_API cets_engine *cets_engine_new(const cets_config *cfg);
CETS_API void cets_engine_free(cets_engine *e);
/* The trade tape (keep_trades) grows by chunks of 2 MiB that the kernel must
 * clear before first use: a stall of the thread that applies commands. This
 * makes the process keep n chunks cleared and mapped (at most
 * CETS_TAPE_RESERVE_MAX; 0 gives them all back) for any engine's tape to take
 * when it grows, so that another thread can do the clearing: callable from
 * any thread, at any time. Returns how many are held when it is done. cetsd's
 * core keeps four, from a thread of its own woken after a batch that found
 * fewer; cets_recover() four, from its journal reader, which fills them again
 * once the replay is applied: the engine it returns has four waiting (none
 * when there was nothing to replay). */
#define CETS_TAPE_RESERVE_MAX 16
CETS_API size_t cets_tape_reserve(size_t n);
/* How many are held now (a few loads: cheap enough for every batch). */
CETS_API size_t cets_tape_reserved(void);
CETS_API void cets_engine_set_listener(cets_engine *e, cets_listener fn, void *ctx);
/* The event types the listener wants: bit (1u << type) per cets_event_type;
 * events of other types are not built at all (and without DEPTH no depth
 * ranking is done). The default, and after each cets_engine_set_listener(),
 * is every type (CETS_EVENTS_ALL). A filter only: the state, the results and
 * the state hash do not depend on it. */
#define CETS_EVENTS_ALL 0xFFFFFFFFu
CETS_API void cets_engine_set_event_mask(cets_engine *e, uint32_t mask);
CETS_API const cets_config *cets_engine_config(const cets_engine *e);

/* Apply one command. Returns res->code. A rejected command changes nothing
 * (state hash unchanged) and emits one CETS_EV_REJECTED. res may be NULL. */
CETS_API int cets_apply(cets_engine *e, const cets_cmd *cmd, cets_result *res);
/* Apply n commands in order, exactly as n calls of cets_apply() would (same
 * state, results and events), while prefetching the participant, holding and
 * named order of the commands a few places ahead, whose cache lines are the
 * cost of a large market (one whose hot state is bigger than the L2 cache;
 * in a smaller one, one command at a time, prefetching only the commands),
 * and the trade tape's next records. res: n results, or NULL. Returns how
 * many were rejected. */
CETS_API size_t cets_apply_batch(cets_engine *e, const cets_cmd *cmds, size_t n, cets_result *res);
/* The prefetch of cets_apply_batch() for one command, for callers that hold
 * their commands otherwise (a list): call it a few commands ahead of
 * cets_apply(). A hint only: it changes nothing. */
CETS_API void cets_prefetch(const cets_engine *e, const cets_cmd *cmd);
/* The second look-ahead of cets_apply_batch(): the holding a cancel or
 * modify of a sell order changes, the first resting order's owner (funds and
 * holding) a crossing post or take fills, and, with 65,536 orders live or
 * more, the orders cmd will relink in its price level's queue (the two beside
 * the order a cancel or modify names, the last of the level a post will rest
 * behind), random lines in a book of many orders. It reads the order cmd
 * names, so call it a couple of commands ahead of cets_apply(), after
 * cets_prefetch() for the same command. A hint only: it changes nothing. */
CETS_API void cets_prefetch_links(const cets_engine *e, const cets_cmd *cmd);

/* The message of a rejection for a person, built from the rule that refused
 * and the engine's configured numbers: a block refused for its band names
 * the block band (+/-30% by default), a 5,000 t block the block sizes. cmd
 * is the command refused: its type says which method's rule it was (NULL:
 * the reason table's sentence, as cets_reason_message()). Reads the market
 * parameters in force, which change only inside cets_apply(): a gateway may
 * call it from its own thread while no command is applied (under the lock
 * that serialises it with cets_apply). Writes at most len
 * bytes (the NUL included) into buf and returns buf. */
CETS_API const char *cets_reject_message(const cets_engine *e, const cets_cmd *cmd, int code,
                                         char *buf, size_t len);

/* Sequence number and time of the last command applied (accepted or not). */
CETS_API uint64_t cets_last_seq(const cets_engine *e);
CETS_API int64_t cets_last_ts(const cets_engine *e);

/* 64-bit hash over the whole business state: instruments, books (in priority
 * order), participants, funds, holdings, statistics, the day's trades, totals
 * and counters. Not over the last seq/ts or reject counters. */
CETS_API uint64_t cets_state_hash(const cets_engine *e);

/* ---- invariants -------------------------------------------------------- */

typedef struct cets_check_report {
    const char *rule;  /* the first invariant that fails, a stable phrase; NULL when all hold */
    char message[256]; /* "<rule>: <where and the numbers>"; "" when all hold */
} cets_check_report;

/* Check what must hold after every command (docs/rules.md, "Conservation"):
 * nothing negative; funds conserved (available + frozen = deposits -
 * withdrawals); holdings conserved per instrument counting surrenders and
 * retirements (available + frozen + locked = issued - retired); frozen funds
 * and tonnes equal to the live reservations of each participant (orders,
 * block proposals, auction lots and bids, pending transfers); no crossed
 * book; the order index consistent with the books. Returns 0 when all hold,
 * else -1 with rep (may be NULL) naming the first violation. Reads only;
 * walks the whole state. */
CETS_API int cets_check(const cets_engine *e, cets_check_report *rep);

/* ---- snapshots (bytes only; files are the journal's business) ---------- */

/* Serialise the whole state into a malloc'd buffer (with the attached
 * surveillance's, cets_engine_take_surveil()). Returns 0 or -1 (no memory). */
CETS_API int cets_snapshot_save(const cets_engine *e, void **buf, size_t *len);
/* Rebuild an engine from a buffer; NULL with *err set on a malformed buffer
 * or a state that fails cets_check() (err is then the invariant's phrase). */
CETS_API cets_engine *cets_snapshot_load(const void *buf, size_t len, const char **err);

/* ---- queries ----------------------------------------------------------- */

typedef struct cets_instrument_info {
    uint32_t id;
    char code[CETS_CODE_LEN];
    uint8_t product, matching, status, pad;
    int64_t prev_close, lower, upper, tick;
    int64_t last;         /* last listing trade price today, 0 if none */
    cets_day_stats today; /* so far today (close = VWAP so far, or previous close) */
} cets_instrument_info;

typedef struct cets_participant_info {
    uint32_t id;
    uint8_t kind, status, pad[2];
    char name[CETS_NAME_LEN];
    int64_t available, frozen; /* funds, fen */
    int64_t unsettled;         /* today's proceeds: spendable (T+0), not withdrawable */
    uint32_t open_orders;
} cets_participant_info;

typedef struct cets_holding {
    int64_t available; /* may be sold */
    int64_t frozen;    /* reserved by resting sell orders */
    int64_t locked;    /* bought today: sellable from the next trading day (T+1) */
} cets_holding;

typedef struct cets_totals {
    int64_t deposits, withdrawals;        /* fen, all time */
    int64_t funds;                        /* sum of all participants' available+frozen */
    int64_t issued[CETS_MAX_INSTRUMENTS]; /* tonnes credited, all time */
    int64_t held[CETS_MAX_INSTRUMENTS];   /* sum of all holdings */
    int64_t frozen_funds, reserved_funds; /* sum of frozen funds; sum over live orders */
    int64_t frozen_qty[CETS_MAX_INSTRUMENTS], reserved_qty[CETS_MAX_INSTRUMENTS];
    int64_t retired[CETS_MAX_INSTRUMENTS]; /* surrendered and cancelled: held = issued - retired */
    uint32_t live_orders; /* reserved_* include blocks, bids, auctions and transfers too */
} cets_totals;

CETS_API int32_t cets_trading_date(const cets_engine *e);
/* Whether trading is halted market-wide (MARKET_HALT). */
CETS_API bool cets_market_halted(const cets_engine *e);
/* Whether the deadline of a compliance year has been processed. */
CETS_API bool cets_year_closed(const cets_engine *e, int32_t year);
CETS_API uint32_t cets_instrument_count(const cets_engine *e);
CETS_API uint32_t cets_participant_count(const cets_engine *e);            /* ids are 1..count */
CETS_API int cets_instrument_find(const cets_engine *e, const char *code); /* id or -1 */
CETS_API int cets_instrument_get(const cets_engine *e, uint32_t id, cets_instrument_info *out);
CETS_API int cets_participant_get(const cets_engine *e, uint32_t id, cets_participant_info *out);
CETS_API int cets_holding_get(const cets_engine *e, uint32_t participant, uint32_t instrument,
                              cets_holding *out);
CETS_API int cets_depth_get(const cets_engine *e, uint32_t instrument, cets_depth *out);
CETS_API int cets_order_get(const cets_engine *e, uint64_t order_id, cets_order_info *out);
/* Every live order (participant 0 = all), book by book in priority order. */
CETS_API void cets_orders_foreach(const cets_engine *e, uint32_t participant,
                                  void (*fn)(void *ctx, const cets_order_info *o), void *ctx);
/* Today's trades, or those of the last closed day (last_day = true). */
CETS_API void cets_trades_foreach(const cets_engine *e, bool last_day,
                                  void (*fn)(void *ctx, const cets_trade *t), void *ctx);
/* Conservation figures, computed by walking the whole state. */
CETS_API void cets_totals_get(const cets_engine *e, cets_totals *out);
/* The last closed day: statistics per instrument (returns count) and composite. */
CETS_API uint32_t cets_last_day_stats(const cets_engine *e, cets_day_stats *out, uint32_t cap,
                                      int64_t *composite, int32_t *date);
/* The statement of one participant for the last closed day. */
CETS_API int cets_statement_get(const cets_engine *e, uint32_t participant, cets_statement *out);
/* Whether the date (yyyymmdd) is a trading day under the calendar. */
CETS_API bool cets_is_trading_day(const cets_engine *e, int32_t date);
/* Block board and proposals of the day (participant 0 = all; otherwise those it
 * owns or that are addressed to it, and every board quote). */
CETS_API void cets_blocks_foreach(const cets_engine *e, uint32_t participant,
                                  void (*fn)(void *ctx, const cets_block_info *b), void *ctx);
CETS_API int cets_block_get(const cets_engine *e, uint64_t id, cets_block_info *out);
CETS_API int cets_auction_get(const cets_engine *e, uint64_t id, cets_auction_info *out);
CETS_API void cets_auctions_foreach(const cets_engine *e,
                                    void (*fn)(void *ctx, const cets_auction_info *a), void *ctx);
CETS_API void cets_bids_foreach(const cets_engine *e, uint64_t auction,
                                void (*fn)(void *ctx, const cets_bid_info *b), void *ctx);
/* Compliance of an entity for a year; CETS_NO_OBLIGATION when none recorded. */
CETS_API int cets_compliance_get(const cets_engine *e, uint32_t participant, int32_t year,
                                 cets_compliance *out);
/* Every compliance record of a year (year 0 = all), by participant. */
CETS_API void cets_compliance_foreach(const cets_engine *e, int32_t year,
                                      void (*fn)(void *ctx, const cets_compliance *c), void *ctx);
CETS_API int cets_transfer_get(const cets_engine *e, uint64_t id, cets_transfer_info *out);
CETS_API void cets_transfers_foreach(const cets_engine *e, uint32_t participant,
                                     void (*fn)(void *ctx, const cets_transfer_info *t), void *ctx);
/* Tonnes an entity still owes from past shortfalls (taken from its next allocations). */
CETS_API int64_t cets_deduction_owed(const cets_engine *e, uint32_t participant);
/* The instrument of the vintage of a compliance year (CEA1920 for 2019 and 2020,
 * CEAyy otherwise), or -1. */
CETS_API int cets_vintage_of_year(const cets_engine *e, int32_t year);

/* ---- market parameters (params.c, docs/rules.md "Market parameters") ---- */

/* Every number a rule uses that the operator may change at run time, by
 * CETS_CMD_PARAM_SET. The numbers are journaled: never renumber, add at the end. */
typedef enum cets_param_id {
    CETS_PARAM_FEE_LISTING_BUY = 0, /* ppm of turnover; 500 = 0.05% */
    CETS_PARAM_FEE_LISTING_SELL = 1,
    CETS_PARAM_FEE_BLOCK_BUY = 2,
    CETS_PARAM_FEE_BLOCK_SELL = 3,
    CETS_PARAM_FEE_AUCTION_BUY = 4,
    CETS_PARAM_FEE_AUCTION_SELL = 5,
    CETS_PARAM_BAND_LISTING = 6, /* bp of the previous close */
    CETS_PARAM_BAND_BLOCK = 7,
    CETS_PARAM_BAND_AUCTION = 8,    /* an auction's limits around the previous close */
    CETS_PARAM_LISTING_MIN_QTY = 9, /* t */
    CETS_PARAM_LISTING_MAX_QTY = 10,
    CETS_PARAM_BLOCK_MIN_QTY = 11, /* also an auction lot's minimum */
    CETS_PARAM_BLOCK_MAX_QTY = 12,
    CETS_PARAM_AUCTION_MAX_LOT = 13,
    CETS_PARAM_TICK = 14,             /* fen */
    CETS_PARAM_CCER_CAP = 15,         /* bp of an obligation */
    CETS_PARAM_PENALTY_MULTIPLE = 16, /* bp: 50000 = 5 x */
    CETS_PARAM_COMPOSITE = 17,        /* bit i: instrument i is in the composite; 0 = every CEA */
    CETS_PARAM_AM_OPEN = 18,          /* minutes after local midnight */
    CETS_PARAM_AM_CLOSE = 19,
    CETS_PARAM_PM_OPEN = 20,
    CETS_PARAM_PM_CLOSE = 21,
    CETS_PARAM_BLOCK_OPEN = 22,
    CETS_PARAM_BLOCK_CLOSE = 23,
    /* position limits (limits.c): the most a participant may hold, available + frozen +
       bought today, t; 0 = no limit */
    CETS_PARAM_LIMIT_ENTITY_CEA = 24, /* a compliance entity, all CEA vintages together */
    CETS_PARAM_LIMIT_ENTITY_CCER = 25,
    CETS_PARAM_LIMIT_INSTITUTION_CEA = 26,
    CETS_PARAM_LIMIT_INSTITUTION_CCER = 27,
    CETS_PARAM_LIMIT_INDIVIDUAL_CCER = 28,
    CETS_PARAM_LIMIT_VINTAGE = 29, /* any trading participant, one CEA vintage */
    /* the large-holder report (holders.c): above either threshold; 0 = that one is off */
    CETS_PARAM_LARGE_SHARE = 30,  /* bp of the instrument's issuance */
    CETS_PARAM_LARGE_TONNES = 31, /* t */
    /* abnormal-trading alerts (surveil.c): each rule's thresholds; 0 = the rule is off */
    CETS_PARAM_SURV_SELF_TRADE = 32,    /* self-trade attempts by one participant in a day */
    CETS_PARAM_SURV_OTR_RATIO = 33,     /* orders per trade at the day's end */
    CETS_PARAM_SURV_OTR_MIN = 34,       /* ... counted from this many orders in the day */
    CETS_PARAM_SURV_VOLUME_SHARE = 35,  /* bp of an instrument's day volume */
    CETS_PARAM_SURV_FAR = 36,           /* bp from the last price (or previous close) */
    CETS_PARAM_SURV_CANCEL_RATIO = 37,  /* bp: quick cancels of its own posts over its posts */
    CETS_PARAM_SURV_CANCEL_MIN = 38,    /* ... counted from this many posts in the day */
    CETS_PARAM_SURV_CANCEL_WINDOW = 39, /* s: a cancel this soon after the post is quick */
    CETS_PARAM_SURV_RAMP_MINUTES = 40,  /* min: the window before the close */
    CETS_PARAM_SURV_RAMP_MOVE = 41,     /* bp: the close's move over the window */
    CETS_PARAM_SURV_RAMP_SHARE = 42,    /* bp: the participant's share of the window's volume */
    CETS_PARAM_SURV_RELATED = 43,       /* 1: trades between declared related parties alert */
    CETS_PARAM_COUNT = 44,
} cets_param_id;

#define CETS_PARAM_URGENT 1 /* PARAM_SET flags: applies at once */

typedef struct cets_param_info {
    const char *name; /* "fee.listing.buy" */
    const char *unit; /* "ppm", "bp", "t", "fen", "min", "mask" */
    const char *what; /* one line for a person */
    int64_t min, max; /* the values a change may have */
    bool urgent;      /* may apply at once (flags = CETS_PARAM_URGENT) */
} cets_param_info;

typedef enum cets_param_status {
    CETS_PARAM_PENDING = 1,    /* waits for its date's open */
    CETS_PARAM_APPLIED = 2,    /* took effect on `applied` */
    CETS_PARAM_SUPERSEDED = 3, /* replaced by a later change for the same date before it applied */
} cets_param_status;

/* One accepted PARAM_SET, kept for good: the history. */
typedef struct cets_param_change {
    uint64_t seq; /* the command */
    int64_t ts;
    int64_t value;
    int64_t old;       /* the value it replaced, once applied */
    int32_t id;        /* cets_param_id */
    int32_t effective; /* the date asked for (urgent: the trading date it was set on) */
    int32_t applied;   /* the trading date it took effect, 0 before */
    uint32_t user;     /* the command's user */
    uint8_t status;    /* cets_param_status */
    uint8_t urgent;
    uint8_t pad[6];
} cets_param_change;

/* The table of parameters (NULL past CETS_PARAM_COUNT); the id of a name or -1. */
CETS_API const cets_param_info *cets_param_info_get(int id);
CETS_API int cets_param_find(const char *name);
/* The value in force, and the engine's default (from its cets_config). */
CETS_API int64_t cets_param_value(const cets_engine *e, int id);
CETS_API int64_t cets_param_default(const cets_engine *e, int id);
/* Every accepted change, oldest first: fills at most cap from index `from`,
 * returns the number of changes in all. */
CETS_API uint32_t cets_param_changes(const cets_engine *e, uint32_t from, cets_param_change *out,
                                     uint32_t cap);
/* Why a PARAM_SET would be refused, in words, with the numbers ("fee.listing.buy
 * must be from 0 to 100000 ppm, not -5"); "" when it would be accepted. */
CETS_API const char *cets_param_check(const cets_engine *e, const cets_cmd *cmd, char *buf,
                                      size_t len);

/* ---- position limits (limits.c, docs/rules.md "Position limits") ---------- */

/* One LIMIT_EXEMPT, kept for good; the last one of a participant is in force. */
typedef struct cets_limit_exemption {
    uint64_t seq;
    int64_t ts;
    uint32_t participant;
    uint32_t user;
    uint8_t exempt; /* 1 exempted, 0 exemption withdrawn */
    uint8_t pad[7];
    char reason[CETS_NAME_LEN];
} cets_limit_exemption;

/* One RELATED_SET, kept for good: the last one of a pair is in force. a < b. */
typedef struct cets_related_decl {
    uint64_t seq;
    int64_t ts;
    uint32_t a, b;
    uint32_t user;
    uint8_t related; /* 1 declared, 0 revoked */
    uint8_t pad[3];
    char reason[CETS_NAME_LEN];
} cets_related_decl;

/* Whether the operator declared participants a and b related (in force now). */
CETS_API bool cets_related(const cets_engine *e, uint32_t a, uint32_t b);
/* Every declaration and revocation, oldest first (as cets_param_changes). */
CETS_API uint32_t cets_related_decls(const cets_engine *e, uint32_t from, cets_related_decl *out,
                                     uint32_t cap);

/* Whether a participant is exempt from the position limits now. */
CETS_API bool cets_limit_exempt(const cets_engine *e, uint32_t participant);
/* Every exemption and withdrawal, oldest first (as cets_param_changes). */
CETS_API uint32_t cets_limit_exemptions(const cets_engine *e, uint32_t from,
                                        cets_limit_exemption *out, uint32_t cap);
/* The limits that bind participant on instrument now (0 = none): all of the
 * instrument's product together, and the instrument alone. */
CETS_API void cets_position_limits(const cets_engine *e, uint32_t participant, uint32_t instrument,
                                   int64_t *product, int64_t *vintage);

/* The large-holder report: every holding above the thresholds, by
 * participant then instrument; now (last_day false), or as the last end of
 * day closed it (true). fn may be NULL; returns how many. */
CETS_API uint32_t cets_large_holders(const cets_engine *e, bool last_day,
                                     void (*fn)(void *ctx, const cets_large_holder *h), void *ctx);

/* ---- abnormal-trading alerts (surveil.c, docs/rules.md "Surveillance") --- */

/* A deterministic consumer of the engine's events: fed every event in order
 * (with the engine, whose parameters hold the thresholds), it raises alerts
 * with their evidence; the same events give the same alerts. It never
 * changes the engine: halts and suspensions stay the operator's. */
typedef enum cets_alert_rule {
    CETS_ALERT_SELF_TRADE = 1,   /* repeated self-trade attempts */
    CETS_ALERT_ORDER_TRADE = 2,  /* many orders for few trades (spoofing-like) */
    CETS_ALERT_VOLUME_SHARE = 3, /* one participant's share of a day's volume */
    CETS_ALERT_FAR = 4,          /* orders far from the market */
    CETS_ALERT_POST_CANCEL = 5,  /* posts cancelled soon after (spoofing-like) */
    CETS_ALERT_RAMP = 6,         /* ramping near the close */
    CETS_ALERT_RELATED = 7,      /* trades between participants declared related */
} cets_alert_rule;

typedef struct cets_alert {
    uint64_t id;  /* 1, 2, ... */
    uint64_t seq; /* the command whose event raised it */
    int64_t ts;
    uint32_t participant, instrument; /* instrument: UINT32_MAX when none */
    int32_t date;                     /* trading date */
    uint8_t rule;                     /* cets_alert_rule */
    uint8_t pad[3];
    int64_t figure;        /* what was measured: attempts, orders per trade, share bp, distance bp
                             (far: the farthest), quick cancels per post bp, the close's move bp */
    int64_t threshold;     /* the parameter it passed */
    int64_t count[2];      /* self trade: -, -; order/trade: orders, trades; share: its volume,
                          the day's; far: the farthest's price, its reference price; post/cancel:
                          quick cancels, posts; ramp: its window volume, the window's */
    uint64_t evidence[4];  /* the first four: far: order ids; self trade: the attempts' seq
                             (the last four); post/cancel: cancelled order ids; ramp: trade ids */
    uint32_t nevidence;    /* evidence[] filled */
    uint32_t occurrences;  /* what the evidence stands for in all: attempts, far orders,
                             quick cancels, window trades, related trades (1 for the others) */
    uint32_t counterparty; /* related: the other participant (0 for the other rules) */
    uint32_t pad2;
} cets_alert;

typedef struct cets_surveil cets_surveil;
CETS_API cets_surveil *cets_surveil_new(void);
CETS_API void cets_surveil_free(cets_surveil *s);
/* Feed one event; e is the engine that emitted it (read for the thresholds
 * and prices). Returns the number of alerts it raised (0 when out of memory:
 * cets_surveil_lost counts it). */
CETS_API int cets_surveil_event(cets_surveil *s, const cets_engine *e, const cets_event *ev);
/* Events s could not count in full, or alerts it could not raise, for lack
 * of memory, since it was made (cets_surveil_move hands the count over; a
 * snapshot does not keep it). Anything but 0 means its counters and alerts
 * are incomplete: cetsd says so in /metrics and GET /api/v1/alerts. */
CETS_API uint64_t cets_surveil_lost(const cets_surveil *s);
/* The alerts raised so far, oldest first; returns how many in all. */
CETS_API uint32_t cets_surveil_alerts(const cets_surveil *s, uint32_t from, cets_alert *out,
                                      uint32_t cap);
/* Feed s every event the engine emits from now on, before its listener
 * (NULL: stop). The engine does not own s. While attached (to one engine at
 * a time), s keeps its day counters beside the engine's participants: detach
 * it (NULL, or another) before freeing the engine if s is to go on. */
CETS_API void cets_engine_set_surveil(cets_engine *e, cets_surveil *s);
/* A snapshot of an engine with surveillance attached holds the surveillance's
 * state too (its alerts and the day's counters; never in the state hash):
 * cets_snapshot_load() restores it into a cets_surveil of the engine's own,
 * attached, so that the commands replayed after the snapshot feed it. This
 * detaches that one and hands it over (the caller frees it); NULL when the
 * snapshot held none (one of version 5 or older, or saved without any). */
CETS_API cets_surveil *cets_engine_take_surveil(cets_engine *e);
/* to takes over from's alerts and counters (to's own are dropped); from is
 * left as cets_surveil_new() makes it. Neither may be attached meanwhile. */
CETS_API void cets_surveil_move(cets_surveil *to, cets_surveil *from);
/* "self_trade", "order_trade", "volume_share", "far_from_market", "post_cancel",
 * "ramping", "related"; "unknown". */
CETS_API const char *cets_alert_rule_name(int rule);

/* Composite price now: equal-weighted mean of the CEA closes (fen, half-up). */
CETS_API int64_t cets_composite_price(const cets_engine *e);

/* ---- helpers ----------------------------------------------------------- */

/* The calendar (proleptic Gregorian, no time zone): the engine's, and the
 * one the tools and tests use. Dates are yyyymmdd. */
/* A real day from 1970-01-01 to 2261-12-31 (times are int64 ns since 1970). */
CETS_API bool cets_date_valid(int32_t date);
/* Days since 1970-01-01 of a date, and the date of such a day count. */
CETS_API int64_t cets_days_from_civil(int32_t date);
CETS_API int32_t cets_civil_from_days(int64_t days);
/* The date `days` days after (negative: before) date. */
CETS_API int32_t cets_date_add(int32_t date, int64_t days);
/* Day of the week: 0 Monday .. 6 Sunday. */
CETS_API int cets_weekday(int32_t date);
/* ns since epoch (UTC) of local date yyyymmdd at hh:mm under tz_offset_min. */
CETS_API int64_t cets_time_at(int32_t date, int hh, int mm, int32_t tz_offset_min);
/* Local date (yyyymmdd) of a time. */
CETS_API int32_t cets_date_of(int64_t ts, int32_t tz_offset_min);
/* Money half-up: round(x * ppm / 1e6). */
CETS_API int64_t cets_fee(int64_t value, int32_t ppm);
/* Format fen as "51.23" into buf (at least 24 bytes); returns buf. */
CETS_API char *cets_fmt_money(int64_t fen, char *buf);

#endif
