/* internal.h -- the engine's state, shared by the files of src/engine/.
 *
 * Layout decisions (see docs/engine.md):
 * - Orders live in one pool of fixed-size slots addressed by 32-bit index
 *   (0 = none); a window of the id space maps order ids to slots directly.
 * - Each side of a book is a ladder: one level per tick across today's band,
 *   with a bitmap of non-empty levels, so finding the next best price is a
 *   count-leading/trailing-zeros away and inserting is O(1).
 * - Holdings are a participants x instruments matrix with a stride that
 *   doubles when instruments are added (rare), so memory follows use.
 */
#ifndef CETS_ENGINE_INTERNAL_H
#define CETS_ENGINE_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

/* A helper of the order path inlined into each caller (trading.c): it saves
 * a call and its register saves per order, which the compiler's own
 * estimate leaves in for helpers called from three places. */
#define HOT_INLINE static inline __attribute__((always_inline))

typedef struct order {
    uint64_t id;
    uint64_t client_ref;
    int64_t price;
    int64_t qty; /* remaining */
    int64_t filled_qty;
    int64_t filled_value; /* fen */
    int64_t fees;         /* fen charged so far: fee(filled_value) */
    int64_t reserved;     /* buy: fen still frozen; sell: tonnes still frozen */
    int64_t ts;
    uint32_t participant;
    uint32_t next, prev; /* FIFO within the level; next doubles as free-list link */
    uint16_t instrument;
    uint8_t side, tif;
} order;

typedef struct level {
    uint32_t head, tail;
    uint32_t count, pad;
    int64_t qty;
} level;

typedef struct side_book {
    level *levels;
    uint64_t *bits; /* bit i set: levels[i] not empty */
    int32_t best;   /* index of the best level, -1 when empty */
    uint32_t norders;
} side_book;

typedef struct book {
    int64_t base; /* price of level 0 */
    int64_t tick;
    int32_t nlevels;
    side_book bid, ask;
} book;

typedef struct day_acc { /* an instrument's day so far */
    int64_t open, high, low, last;
    int64_t volume[CETS_METHOD_COUNT], value[CETS_METHOD_COUNT];
    uint64_t trades[CETS_METHOD_COUNT];
} day_acc;

typedef struct instrument {
    char code[CETS_CODE_LEN];
    uint8_t product, matching, status;
    int64_t prev_close, lower, upper, tick;
    int64_t issued, retired;
    day_acc day;
    int64_t cum_volume[CETS_METHOD_COUNT], cum_value[CETS_METHOD_COUNT];
    book bk;
} instrument;

typedef struct pday { /* a participant's day, for the statement; hot fields first */
    int64_t bought, sold, fees;
    uint32_t ntrades, pad;
    int64_t funds_open, deposits, withdrawals, funds_close, fee_income;
} pday;

/* The attached surveillance's day counters for one participant (surveil.c):
 * kept beside the participant's record while attached, so that counting an
 * order or a trade costs no cache miss of its own. Not state: never in a
 * snapshot's participant or the state hash. */
typedef struct surv_counts {
    uint32_t orders, trades; /* accepted orders; fills it was a party to */
    uint32_t posts, quick;   /* orders that may rest, and those cancelled soon */
    uint32_t far;            /* its far_from_market list today (index + 1; 0 = none) */
} surv_counts;

/* What every order checks of its participant first: may it trade (kind,
 * status), and has it orders on a book (open_orders, which spares a
 * self-trade walk when it has none). Eight bytes each, in an array of their
 * own (e->gates, index = id): 10,000 participants' gates fit in 80 KB of
 * cache, where inside 256-byte records they would take 10,000 lines, so an
 * order or cancel that touches no balance (lob.h, with pre-funding off)
 * costs no miss on its participant. */
typedef struct pgate {
    uint8_t kind, status;
    uint16_t pad;
    uint32_t open_orders;
} pgate;

/* The fields every trade and funded order touches (balances, today's
 * totals) share the first cache line, the surveillance's counters end the
 * second (with the cold comp_head); the array is 128-byte aligned, so that
 * the two are a pair the adjacent-line prefetcher may fetch together, and
 * cets_apply prefetches the second while surveillance is attached. */
typedef struct participant {
    uint64_t pad0; /* kind, status and open_orders were here: now in pgate */
    int64_t avail, frozen, unsettled;
    pday cur; /* bought, sold, fees, ntrades end the first line */
    surv_counts surv;
    uint32_t comp_head; /* first compliance record + 1, 0 = none */
    pday last;
    char name[CETS_NAME_LEN];
    int64_t owed; /* tonnes of past shortfalls to withhold from allocations */
} __attribute__((aligned(64))) participant;
_Static_assert(sizeof(participant) == 256 &&
                   offsetof(participant, surv) + sizeof(surv_counts) + sizeof(uint32_t) == 128,
               "a participant is four lines, its surveillance counters end the second");

/* One participant's position in one instrument, with today's movements:
 * one cache line. */
typedef struct holding {
    int64_t avail, frozen, locked;
    int64_t bought_qty, bought_value, sold_qty, sold_value;
    int64_t pad;
} __attribute__((aligned(64))) holding;

typedef struct hday { /* a holding's day, for the statement (cold: end of day) */
    int64_t open_qty, close_qty, bought_qty, bought_value, sold_qty, sold_value;
} hday;

/* The day's trades in fixed chunks, so the log grows without copying: as
 * many as a 2 MiB huge page holds (engine.c). */
#define TRADE_CHUNK 21845
typedef struct trade_log {
    cets_trade **chunks;
    size_t nchunks, capchunks;
    size_t n;
} trade_log;

static inline cets_trade *trade_at(const trade_log *l, size_t i)
{
    return &l->chunks[i / TRADE_CHUNK][i % TRADE_CHUNK];
}
/* The tape's next record: a new chunk first when the last is full (NULL
 * when out of memory), inline otherwise. */
cets_trade *trade_log_grow(trade_log *l);
static inline cets_trade *trade_log_push(trade_log *l)
{
    if (l->n == l->nchunks * TRADE_CHUNK) return trade_log_grow(l);
    cets_trade *t = trade_at(l, l->n);
    l->n++;
    return t;
}

struct cets_engine {
    cets_config cfg;
    cets_listener fn;
    void *ctx;
    uint32_t evmask;   /* the event types built: engine_mask_update (engine.c) */
    uint32_t usermask; /* the listener's, cets_engine_set_event_mask */
    uint64_t last_seq;
    int64_t last_ts;

    /* calendar */
    int32_t date;      /* current trading date */
    int64_t sess[4];   /* session bounds (ns) on that date; all 0 when not a trading day */
    int64_t eod_from;  /* earliest END_OF_DAY time */
    int32_t *holidays; /* sorted */
    uint32_t nholidays, capholidays;
    bool market_halted;

    instrument inst[CETS_MAX_INSTRUMENTS];
    uint32_t ninst;
    uint32_t stride; /* instruments per participant row in hold/hcur/hlast */

    participant *parts; /* index = id; [0] unused */
    pgate *gates;       /* index = id, as parts; capparts of them */
    uint32_t nparts, capparts;
    holding *hold;
    hday *hcur, *hlast;

    order *orders; /* pool; [0] unused */
    uint32_t capord, free_head, nlive;
    uint32_t *idmap; /* id -> slot over the window [idbase, idbase + idcap) (orders.c) */
    uint64_t idbase;
    uint32_t idcap;
    uint32_t idspan_max; /* ORDERS_ID_SPAN_MAX (white-box tests lower it) */
    uint32_t links_min;  /* live orders from which cets_apply_batch prefetches FIFO
                            neighbours: ENGINE_LINKS_MIN (tests lower it) */
    uint64_t ahead_min;  /* bytes of hot state (engine_hot_bytes) from which
                            cets_apply_batch looks ahead at all: the L2 cache's
                            size (engine_cache_bytes; tests set 0) */

    uint64_t next_order_id, next_trade_id;
    int64_t deposits, withdrawals;

    trade_log today, lastday;
    cets_day_stats last_stats[CETS_MAX_INSTRUMENTS];
    uint32_t nlast_stats;
    int32_t last_date;
    int64_t last_composite;

    /* block agreements of the day (ids increase, so the array is sorted) */
    cets_block_info *blocks;
    uint32_t nblocks, capblocks;
    uint64_t next_block_id;
    /* auctions and bids, all time; id = index + 1 */
    cets_auction_info *auctions;
    uint32_t nauctions, capauctions;
    cets_bid_info *bids;
    uint32_t nbids, capbids;
    /* compliance records, linked per participant; transfers, all time */
    cets_compliance *comp;
    uint32_t *comp_next;
    uint32_t ncomp, capcomp, capcomp_next;
    cets_transfer_info *transfers;
    uint32_t ntransfers, captransfers;
    int32_t *closed_years; /* compliance years whose deadline has been processed */
    uint32_t nclosed_years, capclosed_years;

    /* market parameters (params.c): in force, the defaults, every accepted change */
    int64_t pv[CETS_PARAM_COUNT], pdef[CETS_PARAM_COUNT];
    cets_param_change *pchg;
    uint32_t npchg, cappchg;
    int64_t bsess[2]; /* block hours (ns) on the trading date; 0 when not a trading day */
    /* position limit exemptions (limits.c), all time; the last of a participant holds */
    cets_limit_exemption *exempt;
    uint32_t nexempt, capexempt;
    /* related-party declarations (related.c), all time; the last of a pair holds */
    cets_related_decl *related;
    uint32_t nrelated, caprelated;

    cets_surveil *surveil;     /* fed the events it reads (SURVEIL_EVENTS); not state */
    cets_surveil *surveil_own; /* restored by cets_snapshot_load, until taken; attached */

    /* per-command scratch (not state) */
    uint64_t touched; /* instruments whose book changed, bit per instrument */
    cets_result *res;
    const cets_cmd *cmd;
};

/* engine.c */
/* Whether an event of this type goes to a listener (build it only then). */
static inline bool engine_wants(const cets_engine *e, int type)
{
    return (e->evmask >> (type & 31)) & 1;
}
void engine_emit(cets_engine *e, cets_event *ev);
bool engine_grow_stride(cets_engine *e, uint32_t need);
static inline holding *engine_holding(cets_engine *e, uint32_t pid, uint32_t iid)
{
    return &e->hold[(size_t)pid * e->stride + iid];
}
static inline hday *engine_hday(cets_engine *e, uint32_t pid, uint32_t iid)
{
    return &e->hcur[(size_t)pid * e->stride + iid];
}
/* cets_apply without its prefetch, for a caller whose market is small
 * enough to stay in cache (lob.c). */
int engine_apply(cets_engine *e, const cets_cmd *c, cets_result *res);
/* The L2 cache's size in bytes (1 MiB when the system tells none). */
uint64_t engine_cache_bytes(void);
/* Mark instrument iid's best five levels as changed when level idx of that
 * side is among them (or always, with idx < 0). */
void engine_touch_depth(cets_engine *e, uint32_t iid, int is_bid, int32_t idx);
static inline void engine_touch(cets_engine *e, uint32_t iid, int is_bid, int32_t idx)
{
    if (e->cfg.emit_depth && engine_wants(e, CETS_EV_DEPTH))
        engine_touch_depth(e, iid, is_bid, idx);
}
void engine_order_info(const cets_engine *e, const order *o, cets_order_info *out);
uint32_t engine_participant_new(cets_engine *e, uint8_t kind, const char *name);

/* calendar.c */
void calendar_set_date(cets_engine *e, int32_t date);
bool calendar_session_open(const cets_engine *e, int64_t ts);
int32_t calendar_next_trading_day(const cets_engine *e, int32_t date);
int calendar_holiday_add(cets_engine *e, int32_t date);
int calendar_holiday_remove(cets_engine *e, int32_t date);

/* book.c */
bool book_init(book *b, int64_t lower, int64_t upper, int64_t tick);
void book_free(book *b);
static inline int64_t book_price(const book *b, int32_t idx)
{
    return b->base + idx * b->tick;
}
/* The level of a price on the tick; tick 1 (the market's) needs no division. */
static inline int32_t book_index(const book *b, int64_t price)
{
    return (int32_t)(b->tick == 1 ? price - b->base : (price - b->base) / b->tick);
}
int32_t book_next(const side_book *s, int32_t nlevels, int is_bid, int32_t from);
/* Rest the order in slot at the back of its level, or take it off its
 * level: inline, as every post that rests and every order that ends does one. */
static inline void book_insert(book *b, order *pool, uint32_t slot)
{
    order *o = &pool[slot];
    int is_bid = o->side == CETS_BUY;
    side_book *s = is_bid ? &b->bid : &b->ask;
    int32_t idx = book_index(b, o->price);
    assert(o->qty > 0 && (o->price - b->base) % b->tick == 0);
    assert(idx >= 0 && idx < b->nlevels);
    level *l = &s->levels[idx];
    assert((l->head == 0) == (l->tail == 0) && (l->count == 0) == (l->head == 0));
    o->next = 0;
    o->prev = l->tail;
    if (l->tail)
        pool[l->tail].next = slot;
    else
        l->head = slot;
    l->tail = slot;
    l->count++;
    l->qty += o->qty;
    s->bits[idx >> 6] |= 1ULL << (idx & 63);
    s->norders++;
    if (s->best < 0 || (is_bid ? idx > s->best : idx < s->best)) s->best = idx;
}

static inline void book_remove(book *b, order *pool, uint32_t slot)
{
    order *o = &pool[slot];
    int is_bid = o->side == CETS_BUY;
    side_book *s = is_bid ? &b->bid : &b->ask;
    int32_t idx = book_index(b, o->price);
    assert(idx >= 0 && idx < b->nlevels);
    level *l = &s->levels[idx];
    assert(l->count > 0 && l->qty >= o->qty && s->norders > 0);
    assert(o->prev ? pool[o->prev].next == slot : l->head == slot);
    assert(o->next ? pool[o->next].prev == slot : l->tail == slot);
    if (o->prev)
        pool[o->prev].next = o->next;
    else
        l->head = o->next;
    if (o->next)
        pool[o->next].prev = o->prev;
    else
        l->tail = o->prev;
    o->next = o->prev = 0;
    l->count--;
    l->qty -= o->qty;
    s->norders--;
    if (l->count == 0) {
        assert(l->head == 0 && l->tail == 0 && l->qty == 0);
        s->bits[idx >> 6] &= ~(1ULL << (idx & 63));
        if (s->best == idx) s->best = book_next(s, b->nlevels, is_bid, is_bid ? idx - 1 : idx + 1);
    }
}
int32_t book_nth_level(const book *b, int is_bid,
                       int n); /* index of the nth best level (1-based) or -1 */
/* Number of non-empty levels strictly better than idx, counting at most `cap`. */
int book_rank(const book *b, int is_bid, int32_t idx, int cap);
void book_depth(const book *b, int is_bid, cets_level *out, uint32_t *n);

/* orders.c -- pool and id map */
/* The id map's span limit: a new order's id must be less than this after
 * the oldest live order's (2^28; the window is at most as many slots, 1 GiB),
 * else it is refused with CETS_CAPACITY until older orders end. A power of
 * two, at least 1024. */
#define ORDERS_ID_SPAN_MAX (1u << 28)
/* cets_apply_batch prefetches the orders a command relinks with this many
 * live or more (engine.c, prefetch_links). */
#define ENGINE_LINKS_MIN 65536u
/* What the commands of a market can touch, in bytes: each participant's gate,
 * the first line of its record and its holdings, each live order's slot and
 * id-map entry. While it fits in the L2 cache the look-ahead of
 * cets_apply_batch fetches lines that are there already, and costs more
 * than it saves (engine.c, cets_apply_batch). */
static inline uint64_t engine_hot_bytes(const cets_engine *e)
{
    return (uint64_t)e->nparts * (sizeof(pgate) + 64 + (uint64_t)e->ninst * sizeof(holding)) +
           (uint64_t)e->nlive * (sizeof(order) + sizeof(uint32_t));
}
bool orders_init(cets_engine *e, uint32_t cap);
void orders_free(cets_engine *e);
/* The pool's and the map's slow paths: growth of the pool (0 when out of
 * memory), a new window around the live ids (false when refused). */
uint32_t orders_grow(cets_engine *e);
bool orders_refit(cets_engine *e, uint64_t id);
/* Whether id lies within idspan_max ids of every live order's. */
bool orders_span_ok(const cets_engine *e, uint64_t id);

/* A free slot, 0 when out of memory; may move the pool. Its contents are
 * left as they are: the caller writes the whole order. */
static inline uint32_t orders_alloc(cets_engine *e)
{
    if (!e->free_head && !orders_grow(e)) return 0;
    uint32_t slot = e->free_head;
    assert(slot > 0 && slot < e->capord);
    e->free_head = e->orders[slot].next;
    return slot;
}

static inline void orders_release(cets_engine *e, uint32_t slot)
{
    assert(slot > 0 && slot < e->capord);
    e->orders[slot].id = 0;
    e->orders[slot].next = e->free_head;
    e->free_head = slot;
}

/* The slot of a live id, 0 for any other (one load at most). */
static inline uint32_t orders_find(const cets_engine *e, uint64_t id)
{
    uint64_t k = id - e->idbase; /* id 0 (none) wraps: idbase >= 1 */
    return k < e->idcap ? e->idmap[k] : 0;
}

static inline bool orders_index(cets_engine *e, uint64_t id, uint32_t slot)
{
    assert(id != 0 && slot > 0 && slot < e->capord && orders_find(e, id) == 0);
    if (id - e->idbase >= e->idcap && !orders_refit(e, id)) return false;
    e->idmap[id - e->idbase] = slot;
    e->nlive++;
    return true;
}

static inline void orders_unindex(cets_engine *e, uint64_t id)
{
    assert(orders_find(e, id) != 0 && e->nlive > 0); /* only indexed ids leave the index */
    uint64_t k = id - e->idbase;
    if (k >= e->idcap || !e->idmap[k]) return;
    e->idmap[k] = 0;
    e->nlive--;
}

/* trading.c */
int trading_post(cets_engine *e, const cets_cmd *c);
int trading_take(cets_engine *e, const cets_cmd *c);
int trading_cancel(cets_engine *e, const cets_cmd *c);
int trading_modify(cets_engine *e, const cets_cmd *c);
void trading_end_order(cets_engine *e, uint32_t slot, int why, bool on_book);
void trading_settle(cets_engine *e, uint32_t iid, uint32_t buyer, uint32_t seller, int64_t q,
                    int64_t value, int64_t bfee, int64_t sfee);
void trading_record(cets_engine *e, cets_trade *tr); /* fills trade_id, seq, ts */

/* engine.c: ask for transparent huge pages over the 2 MiB pages inside
 * [p, p + bytes) when that is large (4 MiB or more): the random accesses to
 * participants, holdings and orders of a large market then cost no TLB
 * misses. Advice only (nothing when the kernel does not take it). */
void engine_hugepages(void *p, size_t bytes);
/* engine.c: zeroed memory for n elements of size, from the kernel, 2 MiB
 * aligned when that large, asked to be backed by huge pages (NULL when out
 * of memory or n is 0); freed told the same n and size. */
void *engine_lines_alloc(size_t n, size_t size);
void engine_lines_free(void *p, size_t n, size_t size);
/* engine.c: grow *p (elements of size elem) to hold need; false when out of memory */
bool engine_vec_grow(void **p, uint32_t *cap, uint32_t need, size_t elem);

/* fee.c -- every method's fees (cets_config.fee_ppm[method][side]) */
/* The fee on one trade's value. */
/* num / den rounded half away from zero, den > 0 (the close, eod.c) */
static inline int64_t div_half_up(int64_t num, int64_t den)
{
    return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

/* The event types surveil.c reads: only these are built for it. */
#define SURVEIL_EVENTS                                                                             \
    (1u << CETS_EV_REJECTED | 1u << CETS_EV_ACCEPTED | 1u << CETS_EV_TRADE |                       \
     1u << CETS_EV_ORDER_DONE | 1u << CETS_EV_DAY_STATS | 1u << CETS_EV_DAY_CLOSED)

int64_t fee_of(const cets_engine *e, int method, int side, int64_t value);
/* A fill's fee for whoever has filled cum_value in all (this fill included)
 * and was charged `charged` before: fee(cum_value) - charged. */
int64_t fee_charge(const cets_engine *e, int method, int side, int64_t cum_value, int64_t charged);
/* What a buyer reserves to fill `value` more: value + its fee by fee_charge. */
int64_t fee_buy_reserve(const cets_engine *e, int method, int64_t filled_value, int64_t charged,
                        int64_t value);

/* band.c -- price bands and size limits of each method */
/* The listing band of a previous close, on the tick. */
void band_listing(const cets_config *cfg, int64_t close, int64_t tick, int64_t *lower,
                  int64_t *upper);
void band_set(instrument *in, int64_t lower, int64_t upper);
int band_check_listing(const cets_engine *e, const instrument *in, int64_t price, int64_t qty);
int band_check_listing_qty(const cets_engine *e, int64_t qty);
int band_check_block(const cets_engine *e, const instrument *in, int64_t price, int64_t qty);
int band_check_lot(const cets_engine *e, int64_t qty);
/* An auction's reserve price and its bids' other bound. */
void band_auction(const cets_engine *e, const instrument *in, int side, int64_t limit,
                  int64_t *reserve_price, int64_t *bid_limit);
int band_check_bid(const cets_engine *e, const cets_auction_info *au, int64_t price, int64_t qty);
/* The message of a price or size rejection of a command type, with the
 * configured numbers; false when the code is not one of band.c's. */
bool band_message(const cets_engine *e, int cmd_type, int code, char *buf, size_t len);

/* risk.c -- the checks shared by trading, blocks, auctions and the registry */
int risk_check_trader(const cets_engine *e, const cets_cmd *c); /* who, kind, status */
int risk_check_market(const cets_engine *e, const cets_cmd *c, uint32_t iid); /* what, when */
int risk_check_status(const cets_engine *e, uint32_t pid);                /* suspended, frozen */
int risk_check_movement(const cets_engine *e, uint32_t pid);              /* the judicial freeze */
int risk_check_product(const cets_engine *e, uint32_t pid, uint32_t iid); /* individuals: CCER */
bool risk_may_deal(const cets_engine *e, uint32_t pid, uint32_t iid);     /* a counterparty */
int risk_check_halts(const cets_engine *e, uint32_t iid);
int risk_check_funds(const cets_engine *e, uint32_t pid, int64_t need);
/* A buy of qty tonnes of iid needing `need` fen: funds, then the position limits. */
int risk_check_buy(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t need, int64_t qty);
int risk_check_holding(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t qty);
/* Funds (buy) or holdings (sell) cover need. */
int risk_check_cover(const cets_engine *e, uint32_t pid, uint32_t iid, int side, int64_t need);
/* Move amount from available to frozen (negative: back), funds for a buyer,
 * tonnes of iid for a seller. */
void risk_hold(cets_engine *e, uint32_t pid, uint32_t iid, int side, int64_t amount);

/* block.c */
int block_quote(cets_engine *e, const cets_cmd *c);
int block_propose(cets_engine *e, const cets_cmd *c);
int block_accept(cets_engine *e, const cets_cmd *c);
int block_decline(cets_engine *e, const cets_cmd *c);
int block_withdraw(cets_engine *e, const cets_cmd *c);
void block_lapse_all(cets_engine *e);
void block_withdraw_all(cets_engine *e, uint32_t pid); /* judicial freeze */

/* auction.c */
int auction_create(cets_engine *e, const cets_cmd *c);
int auction_bid(cets_engine *e, const cets_cmd *c);
int auction_close(cets_engine *e, const cets_cmd *c);
int auction_cancel(cets_engine *e, const cets_cmd *c);
void auction_drop_participant(cets_engine *e, uint32_t pid); /* judicial freeze */

/* registry.c */
int registry_apply(cets_engine *e, const cets_cmd *c);
/* The message of a registry rejection with the configured numbers (the CCER
 * cap); false for other codes. */
bool registry_message(const cets_config *cfg, int code, char *buf, size_t len);

/* reject.c -- numbers in messages: 99999 -> "99,999"; 1250 bp -> "12.5%" */
const char *fmt_thousands(int64_t v, char *buf, size_t len);
const char *fmt_percent(int64_t bp, char *buf, size_t len);

/* params.c -- the market's parameters (cets_param_id) */
void params_init(cets_engine *e); /* defaults from e->cfg; values in force = defaults */
int params_set(cets_engine *e, const cets_cmd *c); /* PARAM_SET */
/* Apply the pending changes due by date's open (saved: the values before, for
 * params_roll_undo); returns how many applied. */
int params_roll(cets_engine *e, int32_t date, int64_t *saved);
void params_roll_undo(cets_engine *e, int32_t date, const int64_t *saved);
bool params_in_composite(const cets_engine *e, uint32_t iid);
/* After a snapshot's parameters were read: NULL, or what is corrupt. */
const char *params_loaded(cets_engine *e);
/* A PARAM_SET's refusal in words; false when code is not its refusal. */
bool params_message(const cets_engine *e, const cets_cmd *c, int code, char *buf, size_t len);

/* limits.c -- position limits */
/* Whether pid may come to hold qty more of iid (position_limit otherwise). */
int limits_check(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t qty);
_Static_assert(CETS_PARAM_LIMIT_ENTITY_CCER == CETS_PARAM_LIMIT_ENTITY_CEA + 1 &&
                   CETS_PARAM_LIMIT_INSTITUTION_CEA == CETS_PARAM_LIMIT_ENTITY_CEA + 2 &&
                   CETS_PARAM_LIMIT_INSTITUTION_CCER == CETS_PARAM_LIMIT_ENTITY_CEA + 3 &&
                   CETS_PARAM_LIMIT_INDIVIDUAL_CCER == CETS_PARAM_LIMIT_ENTITY_CEA + 4 &&
                   CETS_PARAM_LIMIT_VINTAGE == CETS_PARAM_LIMIT_ENTITY_CEA + 5,
               "limits_any reads the six limit parameters as one run");
/* Whether any position limit is in force: with none (the default) every
 * check passes, and a buy asks this instead of limits_check. Read from the
 * parameters themselves, so nothing derived can go stale. */
static inline bool limits_any(const cets_engine *e)
{
    const int64_t *v = &e->pv[CETS_PARAM_LIMIT_ENTITY_CEA];
    return (v[0] | v[1] | v[2] | v[3] | v[4] | v[5]) != 0;
}
int limits_exempt_set(cets_engine *e, const cets_cmd *c); /* LIMIT_EXEMPT */
int related_set(cets_engine *e, const cets_cmd *c);       /* RELATED_SET (related.c) */
bool limits_message(const cets_engine *e, const cets_cmd *c, int code, char *buf, size_t len);

/* holders.c -- the large-holder report */
void holders_day_end(cets_engine *e); /* after the day's accounts closed: crossings as events */

/* eod.c */
int eod_run(cets_engine *e, const cets_cmd *c);
void eod_day_stats(const cets_engine *e, uint32_t iid, cets_day_stats *out);
void eod_open_day(cets_engine *e);

/* state.c -- the one walk that writes and reads a snapshot's bytes: writing
 * appends to out, reading takes from in and sets err (a static phrase) at the
 * first problem, after which every read gives zeros. */
typedef struct sbuf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} sbuf;

typedef struct codec {
    bool reading;
    uint32_t version;        /* reading: the snapshot's STATE_VERSION */
    bool hashing;            /* writing for the state hash */
    sbuf *out;               /* writing */
    const unsigned char *in; /* reading */
    size_t len, pos;
    const char *err;
} codec;

#define STATE_PRICE_MAX 100000000LL            /* fen: 1,000,000 CNY a tonne */
#define STATE_AMOUNT_MAX 4000000000000000000LL /* any balance or total */

void k_bytes(codec *k, void *p, size_t n);
#define K(k, field) k_bytes((k), &(field), sizeof(field))
/* A flat array of plain structs (memset before being filled, so their
 * padding is zero and the bytes are deterministic). */
void k_array(codec *k, void **p, uint32_t *n, uint32_t *cap, size_t elem);

/* surveil.c -- the surveillance's state in a snapshot (not in the state
 * hash): written from s, or read into s (new, empty) and checked against e. */
void surveil_codec(codec *k, cets_surveil *s, const cets_engine *e);
/* cets_engine_set_surveil: the day counters move beside e's participants
 * (attach) and back into s (detach). */
void surveil_attach(cets_surveil *s, cets_engine *e);
void surveil_detach(cets_surveil *s, cets_engine *e);

#endif
