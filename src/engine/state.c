/* state.c -- the whole state as bytes: snapshots and the state hash.
 *
 * One walk over the state (state_codec) both writes and reads, so what a
 * snapshot saves and what it restores cannot drift apart, and the state hash
 * is simply XXH3 over the written bytes after the header (the header holds
 * the last seq and time, which the hash leaves out). Orders are written book
 * by book in priority order, so the bytes do not depend on pool slots.
 * Integers are written in the machine's byte order (little-endian on the
 * platforms we build for); the magic number catches a mismatch.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "internal.h"

#define STATE_MAGIC 0x3141545353544543ULL /* "CETSSTA1" */
/* The snapshot format. 3: compliance records keep the deadline's shortfall,
 * and what was withheld or surrendered late apart from it (cets_compliance
 * grew from 56 to 72 bytes; layout.c pins both). A version-2 snapshot is
 * read and converted: its records get the new fields zero. 4: the market
 * parameters (params.c) follow everything else: the changes, the position
 * limits' exemptions (limits.c), then, when there are any of either, the
 * values in force and the defaults; a version-2 or 3
 * snapshot has none, and loads with the defaults in force. The state hash
 * leaves the section out while no change was ever accepted, so the hash of
 * a market that never changed a parameter is what it was before version 4
 * (tests/golden). The journal's command layout (CETS_JOURNAL_VERSION 1) did
 * not change: PARAM_SET is a new command type in it. 5: six surveillance
 * parameters more (the post-then-cancel and ramping rules, surveil.c): the
 * section holds CETS_PARAM_COUNT values where a version-4 one holds
 * PARAM_COUNT_V4; a version-4 snapshot loads with the new ones at their
 * defaults; the related-party declarations (related.c) follow the
 * exemptions (none in a version-4 one). 6: the surveillance's state
 * (surveil.c: alerts, the day's counters) after everything else when one is
 * attached, as a section of its own that opens with SURVEIL_TAG; never in
 * the state hash, and absent from a version-5 snapshot, which loads with
 * none (cetsd's start then replays the journal from seq 1 for the alerts,
 * src/core/core.c). */
#define STATE_VERSION 6
#define SURVEIL_TAG 0x56525553u /* "SURV" */
#define PARAM_COUNT_V4 37       /* surv.related and the five before it came with version 5 */
#define STATE_VERSION_OLDEST 2
_Static_assert(CETS_JOURNAL_VERSION == 1, "a new CETS_JOURNAL_VERSION: pin its state here too");

static void put(sbuf *b, const void *p, size_t n)
{
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1 << 16;
        while (cap < b->n + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void k_bytes(codec *k, void *p, size_t n)
{
    if (!k->reading) {
        put(k->out, p, n);
        return;
    }
    if (k->err || n > k->len - k->pos) {
        k->err = k->err ? k->err : "snapshot is truncated"; /* the first problem is the reason */
        memset(p, 0, n);
        return;
    }
    memcpy(p, k->in + k->pos, n);
    k->pos += n;
}

static void k_day_stats(codec *k, cets_day_stats *s)
{
    K(k, s->date);
    K(k, s->instrument);
    K(k, s->code);
    K(k, s->prev_close);
    K(k, s->open);
    K(k, s->high);
    K(k, s->low);
    K(k, s->close);
    K(k, s->change_bp);
    uint8_t traded = s->traded;
    K(k, traded);
    s->traded = traded != 0;
    K(k, s->volume);
    K(k, s->value);
    K(k, s->trades);
    K(k, s->total_volume);
    K(k, s->total_value);
    K(k, s->cum_volume);
    K(k, s->cum_value);
    K(k, s->next_lower);
    K(k, s->next_upper);
}

static void k_trade(codec *k, cets_trade *t)
{
    K(k, t->trade_id);
    K(k, t->seq);
    K(k, t->ts);
    K(k, t->instrument);
    K(k, t->method);
    K(k, t->aggressor);
    K(k, t->buyer);
    K(k, t->seller);
    K(k, t->buy_order);
    K(k, t->sell_order);
    K(k, t->price);
    K(k, t->qty);
    K(k, t->value);
    K(k, t->buyer_fee);
    K(k, t->seller_fee);
    t->pad = 0;
}

static void k_trades(codec *k, trade_log *l)
{
    uint64_t n = l->n;
    K(k, n);
    if (k->reading && (k->err || n > (k->len - k->pos) / 64)) {
        k->err = k->err ? k->err : "snapshot trade count is corrupt";
        return;
    }
    for (uint64_t i = 0; i < n && !k->err; i++) {
        cets_trade *t = k->reading ? trade_log_push(l) : trade_at(l, i);
        if (!t) {
            k->err = "out of memory";
            return;
        }
        if (k->reading) memset(t, 0, sizeof *t);
        k_trade(k, t);
    }
}

void k_array(codec *k, void **p, uint32_t *n, uint32_t *cap, size_t elem)
{
    uint32_t count = *n;
    K(k, count);
    if (k->reading) {
        if (k->err || count > (k->len - k->pos) / elem) {
            k->err = k->err ? k->err : "snapshot array count is corrupt";
            return;
        }
        if (count && !engine_vec_grow(p, cap, count, elem)) {
            k->err = "out of memory";
            return;
        }
        *n = count;
    }
    if (count) k_bytes(k, *p, (size_t)count * elem);
}

/* A version-2 snapshot's compliance records: 56 bytes each, the fields up
 * to status as today, no settled date, withheld or late tonnes (layout.c). */
#define COMPLIANCE_V2_SIZE 56
#define COMPLIANCE_V2_KEEP (offsetof(cets_compliance, status) + 1)
static void k_compliance_v2(codec *k, cets_engine *e)
{
    uint32_t count = 0;
    K(k, count);
    if (k->err || count > (k->len - k->pos) / COMPLIANCE_V2_SIZE) {
        k->err = k->err ? k->err : "snapshot array count is corrupt";
        return;
    }
    if (count && !engine_vec_grow((void **)&e->comp, &e->capcomp, count, sizeof *e->comp)) {
        k->err = "out of memory";
        return;
    }
    e->ncomp = count;
    for (uint32_t i = 0; i < count; i++) {
        unsigned char old[COMPLIANCE_V2_SIZE];
        k_bytes(k, old, sizeof old);
        memset(&e->comp[i], 0, sizeof e->comp[i]);
        memcpy(&e->comp[i], old, COMPLIANCE_V2_KEEP);
    }
}

static void k_order(codec *k, order *o)
{
    K(k, o->id);
    K(k, o->client_ref);
    K(k, o->price);
    K(k, o->qty);
    K(k, o->filled_qty);
    K(k, o->filled_value);
    K(k, o->fees);
    K(k, o->reserved);
    K(k, o->ts);
    K(k, o->participant);
    K(k, o->instrument);
    K(k, o->side);
    K(k, o->tif);
}

static void write_side(codec *k, cets_engine *e, side_book *s, int32_t nlevels, int is_bid)
{
    uint32_t n = s->norders;
    K(k, n);
    for (int32_t idx = s->best; idx >= 0;
         idx = book_next(s, nlevels, is_bid, is_bid ? idx - 1 : idx + 1))
        for (uint32_t slot = s->levels[idx].head; slot; slot = e->orders[slot].next)
            k_order(k, &e->orders[slot]);
}

static void read_side(codec *k, cets_engine *e, uint32_t iid, int side)
{
    uint32_t n = 0;
    K(k, n);
    instrument *in = &e->inst[iid];
    for (uint32_t i = 0; i < n && !k->err; i++) {
        order o;
        memset(&o, 0, sizeof o);
        k_order(k, &o);
        if (k->err) return;
        /* an id the engine gave out (next_order_id was read before the books),
           and no other live order's */
        if (o.instrument != iid || o.side != side || o.qty <= 0 || o.price < in->lower ||
            o.price > in->upper || (o.price - in->lower) % in->tick || o.id == 0 ||
            o.id >= e->next_order_id || orders_find(e, o.id)) {
            k->err = "snapshot order is inconsistent with its book";
            return;
        }
        uint32_t slot = orders_alloc(e);
        if (!slot || !orders_index(e, o.id, slot)) {
            /* a span the engine that wrote it would have refused, or no memory */
            k->err = slot && !orders_span_ok(e, o.id)
                         ? "snapshot orders span more order ids than the engine allows (2^28)"
                         : "out of memory";
            return;
        }
        e->orders[slot] = o;
        book_insert(&in->bk, e->orders, slot);
    }
}

static void k_instrument(codec *k, cets_engine *e, uint32_t iid)
{
    instrument *in = &e->inst[iid];
    K(k, in->code);
    K(k, in->product);
    K(k, in->matching);
    K(k, in->status);
    K(k, in->prev_close);
    K(k, in->lower);
    K(k, in->upper);
    K(k, in->tick);
    K(k, in->issued);
    K(k, in->retired);
    K(k, in->day);
    K(k, in->cum_volume);
    K(k, in->cum_value);
    if (!k->reading) {
        write_side(k, e, &in->bk.bid, in->bk.nlevels, 1);
        write_side(k, e, &in->bk.ask, in->bk.nlevels, 0);
        return;
    }
    in->code[CETS_CODE_LEN - 1] = 0;
    if (k->err || in->tick <= 0 || in->lower <= 0 || in->upper < in->lower ||
        in->upper > STATE_PRICE_MAX || (in->upper - in->lower) / in->tick > 4000000 ||
        in->prev_close <= 0 || in->prev_close > STATE_PRICE_MAX) {
        k->err = k->err ? k->err : "snapshot instrument band is corrupt";
        return;
    }
    if (!book_init(&in->bk, in->lower, in->upper, in->tick)) {
        k->err = "out of memory";
        return;
    }
    read_side(k, e, iid, CETS_BUY);
    read_side(k, e, iid, CETS_SELL);
}

static void k_participant(codec *k, cets_engine *e, uint32_t id)
{
    participant tmp, *p = k->reading ? &tmp : &e->parts[id];
    pgate gtmp = {0}, *g = k->reading ? &gtmp : &e->gates[id];
    if (k->reading) memset(&tmp, 0, sizeof tmp);
    K(k, g->kind);
    K(k, g->status);
    K(k, p->name);
    K(k, p->avail);
    K(k, p->frozen);
    K(k, p->unsettled);
    K(k, g->open_orders);
    K(k, p->cur);
    K(k, p->last);
    K(k, p->owed);
    K(k, p->comp_head);
    if (k->reading) {
        if (k->err) return;
        p->name[CETS_NAME_LEN - 1] = 0;
        if (id > 1 && engine_participant_new(e, g->kind, p->name) != id) {
            k->err = "out of memory";
            return;
        }
        e->parts[id] = tmp;
        e->gates[id] = gtmp;
    }
    for (uint32_t i = 0; i < e->ninst; i++) {
        K(k, e->hold[(size_t)id * e->stride + i]);
        K(k, e->hcur[(size_t)id * e->stride + i]);
        K(k, e->hlast[(size_t)id * e->stride + i]);
    }
}

static void k_config(codec *k, cets_config *c)
{
    K(k, c->start_date);
    K(k, c->tz_offset_min);
    K(k, c->sessions);
    K(k, c->listing_band_bp);
    K(k, c->block_band_bp);
    K(k, c->listing_min_qty);
    K(k, c->listing_max_qty);
    K(k, c->block_min_qty);
    K(k, c->tick);
    K(k, c->fee_ppm);
    uint8_t flags = (uint8_t)(c->enforce_sessions | c->enforce_risk << 1 | c->keep_trades << 3);
    K(k, flags);
    c->enforce_sessions = flags & 1;
    c->enforce_risk = (flags >> 1) & 1;
    c->keep_trades = (flags >> 3) & 1;
    K(k, c->ccer_cap_bp);
    K(k, c->penalty_multiple_bp);
}

/* The market parameters (version 4): every change, then the values in force
 * and the defaults when there is a change. Left out of the hash without one. */
static void k_params(codec *k, cets_engine *e)
{
    if (k->hashing && e->npchg == 0 && e->nexempt == 0 && e->nrelated == 0) return;
    k_array(k, (void **)&e->pchg, &e->npchg, &e->cappchg, sizeof *e->pchg);
    k_array(k, (void **)&e->exempt, &e->nexempt, &e->capexempt, sizeof *e->exempt);
    if (!k->reading || k->version >= 5)
        k_array(k, (void **)&e->related, &e->nrelated, &e->caprelated, sizeof *e->related);
    if ((e->npchg == 0 && e->nexempt == 0 && e->nrelated == 0) || k->err) return;
    uint32_t n = CETS_PARAM_COUNT;
    K(k, n);
    if (k->reading && n != (k->version == 4 ? PARAM_COUNT_V4 : CETS_PARAM_COUNT)) {
        k->err = "snapshot parameters are corrupt";
        return;
    }
    /* a version-4 snapshot has the first PARAM_COUNT_V4: the later ones keep
       the engine's defaults (params_init) */
    k_bytes(k, e->pv, n * sizeof e->pv[0]);
    k_bytes(k, e->pdef, n * sizeof e->pdef[0]);
    if (k->reading && !k->err) k->err = params_loaded(e);
}

/* Everything after the config: calendar, counters, instruments, participants,
 * trades, the last closed day. */
static void state_codec(codec *k, cets_engine *e)
{
    K(k, e->date);
    if (k->reading && !k->err && !cets_date_valid(e->date)) /* before the calendar uses it */
        k->err = "snapshot dates are corrupt";
    uint8_t halted = e->market_halted;
    K(k, halted);
    e->market_halted = halted != 0;
    uint32_t nh = e->nholidays;
    K(k, nh);
    for (uint32_t i = 0; i < nh && !k->err; i++) {
        int32_t d = k->reading ? 0 : e->holidays[i];
        K(k, d);
        if (k->reading && calendar_holiday_add(e, d) != CETS_OK)
            k->err = "snapshot holiday is corrupt";
    }
    K(k, e->next_order_id);
    K(k, e->next_trade_id);
    K(k, e->deposits);
    K(k, e->withdrawals);
    uint32_t ni = e->ninst, np = e->nparts;
    K(k, ni);
    K(k, np);
    if (k->reading && (k->err || ni > CETS_MAX_INSTRUMENTS || np < 1 || np > 100000000 ||
                       !engine_grow_stride(e, ni))) {
        k->err = k->err ? k->err : "snapshot counts are corrupt";
        return;
    }
    e->ninst = ni;
    for (uint32_t i = 0; i < ni && !k->err; i++) k_instrument(k, e, i);
    for (uint32_t p = 1; p <= np && !k->err; p++) k_participant(k, e, p);
    k_trades(k, &e->today);
    k_trades(k, &e->lastday);
    K(k, e->nlast_stats);
    if (k->reading && e->nlast_stats > ni) k->err = "snapshot statistics are corrupt";
    for (uint32_t i = 0; i < e->nlast_stats && !k->err; i++) k_day_stats(k, &e->last_stats[i]);
    K(k, e->last_date);
    K(k, e->last_composite);
    K(k, e->next_block_id);
    k_array(k, (void **)&e->blocks, &e->nblocks, &e->capblocks, sizeof *e->blocks);
    k_array(k, (void **)&e->auctions, &e->nauctions, &e->capauctions, sizeof *e->auctions);
    k_array(k, (void **)&e->bids, &e->nbids, &e->capbids, sizeof *e->bids);
    if (k->reading && k->version == 2)
        k_compliance_v2(k, e);
    else
        k_array(k, (void **)&e->comp, &e->ncomp, &e->capcomp, sizeof *e->comp);
    uint32_t ncomp = e->ncomp; /* the links array has one link per record */
    k_array(k, (void **)&e->comp_next, &e->ncomp, &e->capcomp_next, sizeof *e->comp_next);
    if (k->reading && !k->err && e->ncomp != ncomp)
        k->err = "snapshot compliance records are corrupt";
    k_array(k, (void **)&e->transfers, &e->ntransfers, &e->captransfers, sizeof *e->transfers);
    k_array(k, (void **)&e->closed_years, &e->nclosed_years, &e->capclosed_years,
            sizeof *e->closed_years);
    if (!k->reading || k->version >= 4) k_params(k, e);
    if (k->reading && !k->err) {
        for (uint32_t i = 0; i < e->ncomp; i++)
            if (e->comp_next[i] > e->ncomp || e->comp[i].participant < 1 ||
                e->comp[i].participant > e->nparts)
                k->err = "snapshot compliance records are corrupt";
        for (uint32_t p = 1; p <= e->nparts; p++)
            if (e->parts[p].comp_head > e->ncomp)
                k->err = "snapshot compliance records are corrupt";
    }
}

/* Serialise the state into b; *hash_from is where the hashed bytes start. */
static void state_write(const cets_engine *ce, sbuf *b, size_t *hash_from, bool hashing)
{
    cets_engine *e = (cets_engine *)ce; /* the codec only reads when writing */
    codec k = {.reading = false, .out = b, .hashing = hashing};
    uint64_t magic = STATE_MAGIC;
    uint32_t version = STATE_VERSION;
    K(&k, magic);
    K(&k, version);
    K(&k, e->last_seq);
    K(&k, e->last_ts);
    /* presentation settings: not business state, so not in the hash */
    uint8_t depth = e->cfg.emit_depth;
    K(&k, depth);
    K(&k, e->cfg.order_capacity);
    *hash_from = b->n;
    cets_config cfg = e->cfg;
    k_config(&k, &cfg);
    state_codec(&k, e);
    if (!hashing && e->surveil) { /* the state hash leaves the surveillance out */
        uint32_t tag = SURVEIL_TAG;
        K(&k, tag);
        surveil_codec(&k, e->surveil, e);
    }
}

/* Version 6: the surveillance's section, when bytes are left; restored
 * attached, owned by the engine until cets_engine_take_surveil(). */
static void read_surveil(codec *k, cets_engine *e)
{
    if (k->err || k->version < 6 || k->pos == k->len) return;
    uint32_t tag = 0;
    K(k, tag);
    if (k->err) {
        k->err = "snapshot surveillance section is truncated";
        return;
    }
    if (tag != SURVEIL_TAG) {
        k->err = "snapshot has trailing bytes that are no surveillance section";
        return;
    }
    cets_surveil *s = cets_surveil_new();
    if (!s) {
        k->err = "out of memory";
        return;
    }
    e->surveil_own = s; /* freed with e if what follows fails */
    surveil_codec(k, s, e);
    if (k->err && strcmp(k->err, "snapshot is truncated") == 0)
        k->err = "snapshot surveillance section is truncated";
}

uint64_t cets_state_hash(const cets_engine *e)
{
    sbuf b = {0};
    size_t from;
    state_write(e, &b, &from, true);
    uint64_t h = b.oom ? 0 : XXH3_64bits(b.p + from, b.n - from);
    free(b.p);
    return h;
}

int cets_snapshot_save(const cets_engine *e, void **buf, size_t *len)
{
    sbuf b = {0};
    size_t from;
    state_write(e, &b, &from, false);
    if (b.oom) {
        free(b.p);
        return -1;
    }
    *buf = b.p;
    *len = b.n;
    return 0;
}

static bool amount_ok(int64_t v)
{
    return v >= 0 && v <= STATE_AMOUNT_MAX;
}

static const char *validate_instruments(const cets_engine *e)
{
    for (uint32_t i = 0; i < e->ninst; i++) {
        const instrument *in = &e->inst[i];
        const day_acc *d = &in->day;
        for (int m = 0; m < CETS_METHOD_COUNT; m++) {
            if (!amount_ok(d->volume[m]) || !amount_ok(d->value[m]) ||
                !amount_ok(in->cum_volume[m]) || !amount_ok(in->cum_value[m]) ||
                (d->trades[m] > 0) != (d->volume[m] > 0))
                return "snapshot day statistics are corrupt";
        }
        int64_t vol = d->volume[CETS_METHOD_LISTING], val = d->value[CETS_METHOD_LISTING];
        if (vol && (val / vol < in->lower - 1 || val / vol > in->upper))
            return "snapshot day statistics are corrupt";
        if (!amount_ok(in->issued) || !amount_ok(in->retired) || in->retired > in->issued ||
            in->product > CETS_PRODUCT_CCER || in->matching > CETS_MATCH_CONTINUOUS)
            return "snapshot instrument is corrupt";
    }
    for (uint32_t i = 0; i < e->nlast_stats; i++)
        if (e->last_stats[i].close <= 0 || e->last_stats[i].close > STATE_PRICE_MAX)
            return "snapshot statistics are corrupt";
    return NULL;
}

/* Range checks a well-formed snapshot always passes: ids in range, amounts
 * within the engine's limits, so that nothing later indexes, divides or sums
 * its way into trouble. The invariants of the state as a whole (conservation,
 * reservations, the books) are cets_check()'s, run after these. */
static const char *state_validate(const cets_engine *e)
{
    if (!cets_date_valid(e->date) || (e->last_date && !cets_date_valid(e->last_date)))
        return "snapshot dates are corrupt";
    const char *bad = validate_instruments(e);
    if (bad) return bad;
    for (uint32_t p = 1; p <= e->nparts; p++) {
        const participant *pp = &e->parts[p];
        const pgate *g = &e->gates[p];
        if (!amount_ok(pp->avail) || !amount_ok(pp->frozen) || !amount_ok(pp->unsettled) ||
            !amount_ok(pp->owed) || g->kind < CETS_PK_EXCHANGE || g->kind > CETS_PK_INDIVIDUAL ||
            g->status > CETS_PS_FROZEN)
            return "snapshot participant is corrupt";
        for (uint32_t i = 0; i < e->ninst; i++) {
            const holding *h = &e->hold[(size_t)p * e->stride + i];
            if (!amount_ok(h->avail) || !amount_ok(h->frozen) || !amount_ok(h->locked))
                return "snapshot holding is corrupt";
        }
    }
    if (!amount_ok(e->deposits) || !amount_ok(e->withdrawals)) return "snapshot funds are corrupt";
    for (uint32_t i = 0; i < e->nblocks; i++)
        if (e->blocks[i].instrument >= e->ninst || e->blocks[i].owner < 1 ||
            e->blocks[i].owner > e->nparts || e->blocks[i].counterparty > e->nparts ||
            !amount_ok(e->blocks[i].reserved))
            return "snapshot block records are corrupt";
    for (uint32_t i = 0; i < e->nauctions; i++)
        if (e->auctions[i].instrument >= e->ninst || e->auctions[i].initiator < 1 ||
            e->auctions[i].initiator > e->nparts || e->auctions[i].id != i + 1 ||
            !amount_ok(e->auctions[i].reserved) || !amount_ok(e->auctions[i].lot))
            return "snapshot auctions are corrupt";
    for (uint32_t i = 0; i < e->nbids; i++)
        if (e->bids[i].auction < 1 || e->bids[i].auction > e->nauctions ||
            e->bids[i].participant < 1 || e->bids[i].participant > e->nparts ||
            !amount_ok(e->bids[i].reserved) || !amount_ok(e->bids[i].qty))
            return "snapshot bids are corrupt";
    for (uint32_t i = 0; i < e->ntransfers; i++)
        if (e->transfers[i].instrument >= e->ninst || e->transfers[i].from < 1 ||
            e->transfers[i].from > e->nparts || e->transfers[i].to < 1 ||
            e->transfers[i].to > e->nparts || !amount_ok(e->transfers[i].qty))
            return "snapshot transfers are corrupt";
    for (uint32_t i = 0; i < e->ninst; i++) {
        const book *b = &e->inst[i].bk;
        const side_book *sides[2] = {&b->bid, &b->ask};
        for (int s = 0; s < 2; s++)
            for (int32_t idx = sides[s]->best; idx >= 0;
                 idx = book_next(sides[s], b->nlevels, s == 0, s == 0 ? idx - 1 : idx + 1))
                for (uint32_t k = sides[s]->levels[idx].head; k; k = e->orders[k].next)
                    if (e->orders[k].participant < 1 || e->orders[k].participant > e->nparts ||
                        !amount_ok(e->orders[k].reserved) || !amount_ok(e->orders[k].filled_value))
                        return "snapshot order is corrupt";
    }
    return NULL;
}

cets_engine *cets_snapshot_load(const void *buf, size_t len, const char **err)
{
    codec k = {.reading = true, .in = buf, .len = len};
    uint64_t magic = 0, last_seq = 0;
    uint32_t version = 0;
    int64_t last_ts = 0;
    K(&k, magic);
    K(&k, version);
    K(&k, last_seq);
    K(&k, last_ts);
    if (!k.err &&
        (magic != STATE_MAGIC || version < STATE_VERSION_OLDEST || version > STATE_VERSION))
        k.err = "not a cets state snapshot of a version this build reads (2 to 6)";
    k.version = version;
    cets_config cfg;
    memset(&cfg, 0, sizeof cfg);
    uint8_t depth = 0;
    K(&k, depth);
    K(&k, cfg.order_capacity);
    cfg.emit_depth = depth != 0;
    k_config(&k, &cfg);
    cets_engine *e = k.err ? NULL : cets_engine_new(&cfg);
    if (!k.err && !e) k.err = "snapshot configuration is invalid";
    if (e) {
        state_codec(&k, e);
        if (!k.err) k.err = state_validate(e);
        read_surveil(&k, e); /* after the checks: it reads the participants */
        if (!k.err && k.pos != k.len) k.err = "snapshot has trailing bytes";
        cets_check_report rep;
        if (!k.err && cets_check(e, &rep) != 0)
            k.err = rep.rule; /* a static phrase; the details are cets_check()'s to give */
    }
    if (k.err) {
        cets_engine_free(e);
        if (err) *err = k.err;
        return NULL;
    }
    e->last_seq = last_seq;
    e->last_ts = last_ts;
    calendar_set_date(e, e->date);
    if (e->surveil_own) cets_engine_set_surveil(e, e->surveil_own);
    return e;
}
