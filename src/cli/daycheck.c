/* daycheck.c -- the simulated day, recomputed from its trades and checked.
 *
 * After the end of day the engine publishes statistics and statements. This
 * file recomputes them the naive way, from the closed day's trade list alone
 * (cets_trades_foreach), and compares: open, high, low, close (VWAP, half
 * away from zero), change, volumes, values and counts per method, the next
 * day's band, the composite price; each statement's bought, sold, fees,
 * trade count, per-instrument lines and closing balances; and what the end
 * of day must leave behind -- no frozen funds or holdings, nothing locked by
 * T+1, no unsettled proceeds, the next trading date. A slow, obvious second
 * opinion on the fast code: the first disagreement is reported in words.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct inst_sum {
    int64_t volume[CETS_METHOD_COUNT], value[CETS_METHOD_COUNT];
    uint64_t trades[CETS_METHOD_COUNT];
    int64_t open, high, low;
} inst_sum;

typedef struct part_sum {
    int64_t bought, sold, fees;
    uint32_t ntrades;
} part_sum;

typedef struct line_sum {
    int64_t bought_qty, bought_value, sold_qty, sold_value;
} line_sum;

typedef struct recount {
    uint32_t ninst, nparts;
    inst_sum inst[CETS_MAX_INSTRUMENTS];
    part_sum *part;  /* by participant id */
    line_sum *lines; /* participant id * ninst + instrument */
    int64_t fee_income;
    bool bad_trade;
} recount;

static char why[256];

static const char *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return why;
}

static int64_t div_away(int64_t num, int64_t den) /* den > 0 */
{
    return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

static void recount_trade(void *ctx, const cets_trade *t)
{
    recount *r = ctx;
    if (t->instrument >= r->ninst || t->method >= CETS_METHOD_COUNT || t->buyer > r->nparts ||
        t->seller > r->nparts || t->value != t->price * t->qty) {
        r->bad_trade = true;
        return;
    }
    inst_sum *s = &r->inst[t->instrument];
    if (t->method == CETS_METHOD_LISTING) {
        if (!s->trades[CETS_METHOD_LISTING]) s->open = s->high = s->low = t->price;
        if (t->price > s->high) s->high = t->price;
        if (t->price < s->low) s->low = t->price;
    }
    s->volume[t->method] += t->qty;
    s->value[t->method] += t->value;
    s->trades[t->method]++;
    part_sum *b = &r->part[t->buyer], *se = &r->part[t->seller];
    b->bought += t->value;
    b->fees += t->buyer_fee;
    b->ntrades++;
    se->sold += t->value;
    se->fees += t->seller_fee;
    se->ntrades++;
    r->fee_income += t->buyer_fee + t->seller_fee;
    line_sum *lb = &r->lines[(size_t)t->buyer * r->ninst + t->instrument];
    line_sum *ls = &r->lines[(size_t)t->seller * r->ninst + t->instrument];
    lb->bought_qty += t->qty;
    lb->bought_value += t->value;
    ls->sold_qty += t->qty;
    ls->sold_value += t->value;
}

/* One instrument's published statistics against the recount. */
static const char *check_stats(const cets_engine *e, const cets_day_stats *s, const inst_sum *c)
{
    for (int m = 0; m < CETS_METHOD_COUNT; m++)
        if (s->volume[m] != c->volume[m] || s->value[m] != c->value[m] ||
            s->trades[m] != c->trades[m])
            return fail("%s: %s volume/value/trades %lld/%lld/%llu, trades say %lld/%lld/%llu",
                        s->code, method_name(m, false), (long long)s->volume[m],
                        (long long)s->value[m], (unsigned long long)s->trades[m],
                        (long long)c->volume[m], (long long)c->value[m],
                        (unsigned long long)c->trades[m]);
    bool traded = c->volume[CETS_METHOD_LISTING] > 0;
    int64_t close = traded ? div_away(c->value[CETS_METHOD_LISTING], c->volume[CETS_METHOD_LISTING])
                           : s->prev_close;
    int64_t open = traded ? c->open : s->prev_close, high = traded ? c->high : s->prev_close;
    int64_t low = traded ? c->low : s->prev_close;
    if (s->traded != traded || s->open != open || s->high != high || s->low != low ||
        s->close != close)
        return fail("%s: open/high/low/close %lld/%lld/%lld/%lld, trades say %lld/%lld/%lld/%lld",
                    s->code, (long long)s->open, (long long)s->high, (long long)s->low,
                    (long long)s->close, (long long)open, (long long)high, (long long)low,
                    (long long)close);
    if (s->change_bp != div_away((close - s->prev_close) * 10000, s->prev_close))
        return fail("%s: change %lld bp, want %lld", s->code, (long long)s->change_bp,
                    (long long)div_away((close - s->prev_close) * 10000, s->prev_close));
    int32_t bp = cets_engine_config(e)->listing_band_bp;
    int64_t upper = close * (10000 + bp) / 10000, lower = (close * (10000 - bp) + 9999) / 10000;
    if (s->next_lower != lower || s->next_upper != upper)
        return fail("%s: next band %lld-%lld, want %lld-%lld", s->code, (long long)s->next_lower,
                    (long long)s->next_upper, (long long)lower, (long long)upper);
    int64_t tv = 0, tval = 0;
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        tv += c->volume[m];
        tval += c->value[m];
    }
    if (s->total_volume != tv || s->total_value != tval)
        return fail("%s: totals %lld t %lld fen, want %lld t %lld fen", s->code,
                    (long long)s->total_volume, (long long)s->total_value, (long long)tv,
                    (long long)tval);
    return NULL;
}

static const char *check_all_stats(const cets_engine *e, const recount *r)
{
    static cets_day_stats st[CETS_MAX_INSTRUMENTS];
    int64_t composite = 0, sum = 0, n = 0;
    int32_t date = 0;
    uint32_t count = cets_last_day_stats(e, st, CETS_MAX_INSTRUMENTS, &composite, &date);
    if (count != r->ninst)
        return fail("%u instruments in the day's stats, want %u", count, r->ninst);
    for (uint32_t i = 0; i < count; i++) {
        const char *w = check_stats(e, &st[i], &r->inst[st[i].instrument]);
        if (w) return w;
        cets_instrument_info ii;
        if (cets_instrument_get(e, st[i].instrument, &ii) == 0 && ii.product == CETS_PRODUCT_CEA) {
            sum += st[i].close;
            n++;
        }
    }
    if (n && composite != div_away(sum, n))
        return fail("composite %lld, want %lld", (long long)composite, (long long)div_away(sum, n));
    return NULL;
}

/* One participant's statement against the recount and its balances now. */
static const char *check_statement(const cets_engine *e, const recount *r, uint32_t pid)
{
    static cets_statement st;
    cets_participant_info pi;
    if (cets_participant_get(e, pid, &pi) != 0) return fail("participant %u: no account", pid);
    if (cets_statement_get(e, pid, &st) != 0) return NULL; /* no activity, no balance */
    const part_sum *p = &r->part[pid];
    if (st.bought_value != p->bought || st.sold_value != p->sold || st.fees != p->fees ||
        st.ntrades != p->ntrades)
        return fail("statement %u: bought/sold/fees/trades %lld/%lld/%lld/%u, trades say "
                    "%lld/%lld/%lld/%u",
                    pid, (long long)st.bought_value, (long long)st.sold_value, (long long)st.fees,
                    st.ntrades, (long long)p->bought, (long long)p->sold, (long long)p->fees,
                    p->ntrades);
    int64_t income = pid == CETS_EXCHANGE_ID ? r->fee_income : 0;
    if (st.funds_close != st.funds_open + st.deposits - st.withdrawals - st.bought_value +
                              st.sold_value - st.fees + income)
        return fail("statement %u: funds do not add up", pid);
    if (st.funds_close != pi.available + pi.frozen)
        return fail("statement %u: closing funds %lld, account holds %lld", pid,
                    (long long)st.funds_close, (long long)(pi.available + pi.frozen));
    if (pi.frozen || pi.unsettled || pi.open_orders)
        return fail("participant %u: frozen %lld, unsettled %lld, %u orders after the end of day",
                    pid, (long long)pi.frozen, (long long)pi.unsettled, pi.open_orders);
    for (uint32_t i = 0; i < st.nlines && i < CETS_MAX_INSTRUMENTS; i++) {
        const cets_statement_line *l = &st.lines[i];
        const line_sum *c = &r->lines[(size_t)pid * r->ninst + l->instrument];
        cets_holding h = {0};
        cets_holding_get(e, pid, l->instrument, &h);
        if (l->bought_qty != c->bought_qty || l->bought_value != c->bought_value ||
            l->sold_qty != c->sold_qty || l->sold_value != c->sold_value)
            return fail("statement %u, instrument %u: lines differ from the trades", pid,
                        l->instrument);
        if (l->close_qty != h.available + h.frozen + h.locked || h.frozen || h.locked)
            return fail("participant %u, instrument %u: closing %lld, holding %lld+%lld+%lld", pid,
                        l->instrument, (long long)l->close_qty, (long long)h.available,
                        (long long)h.frozen, (long long)h.locked);
    }
    return NULL;
}

const char *daycheck_run(const cets_engine *e, int32_t next_date)
{
    recount *r = calloc(1, sizeof *r);
    if (!r) return "out of memory";
    r->ninst = cets_instrument_count(e);
    r->nparts = cets_participant_count(e);
    r->part = calloc((size_t)r->nparts + 1, sizeof *r->part);
    r->lines = calloc(((size_t)r->nparts + 1) * (r->ninst ? r->ninst : 1), sizeof *r->lines);
    const char *w = NULL;
    if (!r->part || !r->lines) w = "out of memory";
    if (!w) cets_trades_foreach(e, true, recount_trade, r);
    if (!w && r->bad_trade)
        w = "a trade names no such instrument or participant, or value != price x qty";
    if (!w) w = check_all_stats(e, r);
    for (uint32_t pid = 1; !w && pid <= r->nparts; pid++) w = check_statement(e, r, pid);
    if (!w && cets_trading_date(e) != next_date)
        w = fail("trading date %d after the end of day, want %d", cets_trading_date(e), next_date);
    free(r->part);
    free(r->lines);
    free(r);
    return w;
}
