/* rows.c -- the journal's commands and events as rows (rows.h).
 *
 * Movements (funds, holdings, registry) are keyed by the command's seq and
 * their rank k among that command's rows of the table, so the keys are the
 * same in every projection of the journal. Money is in fen, quantities in
 * tonnes, times in ns (UTC), dates yyyymmdd: the engine's trading date when
 * the command came, the date its statements and statistics carry.
 *
 * A trade is one row; its settlement (the buyer pays value + fee, the
 * seller gets value - fee, the exchange both fees, the tonnes move) is not
 * written again as movements: the views funds_ledger and holdings_ledger
 * (schema.c) add a trade's legs to the other movements, so the sum of a
 * participant's ledger rows is its funds (available + frozen) and per
 * instrument its holding. Half the rows, and the projection's speed, hang on
 * that. Reservations by orders, proposals or bids move nothing: no row.
 */
#include "rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_NS 60000000000LL

/* ---- names ----------------------------------------------------------------------- */

const char *rows_side(int side)
{
    return side == CETS_BUY ? "buy" : "sell";
}

const char *rows_method(int m)
{
    return m == CETS_METHOD_LISTING ? "listing" : m == CETS_METHOD_BLOCK ? "block" : "auction";
}

const char *rows_kind(int kind)
{
    static const char *const k[] = {"?",      "exchange",    "authority",
                                    "entity", "institution", "individual"};
    return kind >= 1 && kind <= 5 ? k[kind] : "?";
}

static const char *pstatus(int s)
{
    return s == CETS_PS_SUSPENDED ? "suspended" : s == CETS_PS_FROZEN ? "frozen" : "active";
}

static const char *done_why(int w)
{
    static const char *const n[] = {"?", "filled", "cancelled", "expired", "unfilled"};
    return w >= 1 && w <= 4 ? n[w] : "?";
}

static const char *reg_kind(int k)
{
    static const char *const n[] = {
        "?",      "allocate",         "emissions",        "surrender",
        "retire", "transfer_request", "transfer_approve", "transfer_reject",
        "freeze", "unfreeze",         "deadline"};
    return k >= 1 && k <= CETS_REG_DEADLINE ? n[k] : "?";
}

static const char *comp_status(int s)
{
    static const char *const n[] = {"open", "compliant", "shortfall", "shortfall_settled"};
    return s >= 0 && s <= CETS_COMPLIANCE_SETTLED ? n[s] : "?";
}

static const char *block_status(int s)
{
    static const char *const n[] = {"?",         "open",      "accepted", "declined",
                                    "withdrawn", "countered", "lapsed",   "closed"};
    return s >= 1 && s <= CETS_BLOCK_CLOSED ? n[s] : "?";
}

static const char *auction_status(int s)
{
    static const char *const n[] = {"?", "open", "closed", "cancelled", "failed"};
    return s >= 1 && s <= CETS_AUCTION_FAILED ? n[s] : "?";
}

/* ---- today's 1-minute bars --------------------------------------------------------- */

typedef struct bar_slot {
    int64_t t; /* minute start, ns; 0 = empty */
    uint32_t inst;
    bool touched;
    int64_t open, high, low, close, volume, value;
} bar_slot;

struct bar_map {
    bar_slot *s;
    size_t cap, n; /* cap a power of two */
};

static bar_map *bars_new(void)
{
    bar_map *m = calloc(1, sizeof *m);
    if (m && !(m->s = calloc(m->cap = 1024, sizeof *m->s))) {
        free(m);
        return NULL;
    }
    return m;
}

static void bars_free(bar_map *m)
{
    if (m) free(m->s);
    free(m);
}

static void bars_reset(bar_map *m)
{
    memset(m->s, 0, m->cap * sizeof *m->s);
    m->n = 0;
}

static size_t bars_hash(uint32_t inst, int64_t t, size_t mask)
{
    uint64_t h =
        (uint64_t)t / (uint64_t)MINUTE_NS * 0x9E3779B97F4A7C15ULL ^ inst * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static bar_slot *bars_get(bar_map *m, uint32_t inst, int64_t t)
{
    if ((m->n + 1) * 2 > m->cap) {
        bar_map g = {calloc(m->cap * 2, sizeof *m->s), m->cap * 2, 0};
        if (!g.s) return NULL;
        for (size_t i = 0; i < m->cap; i++)
            if (m->s[i].t) {
                size_t j = bars_hash(m->s[i].inst, m->s[i].t, g.cap - 1);
                while (g.s[j].t) j = (j + 1) & (g.cap - 1);
                g.s[j] = m->s[i];
                g.n++;
            }
        free(m->s);
        *m = g;
    }
    size_t j = bars_hash(inst, t, m->cap - 1);
    while (m->s[j].t && (m->s[j].t != t || m->s[j].inst != inst)) j = (j + 1) & (m->cap - 1);
    if (!m->s[j].t) {
        m->s[j] = (bar_slot){.t = t, .inst = inst};
        m->n++;
    }
    return &m->s[j];
}

int rows_init(bo_rows *r, bo_batch *b, int bars_days)
{
    memset(r, 0, sizeof *r);
    r->b = b;
    r->bars_days = bars_days;
    return (r->bars = bars_new()) ? 0 : -1;
}

void rows_free(bo_rows *r)
{
    bars_free(r->bars);
    free(r->dirty_part);
    free(r->dirty_comp);
    memset(r, 0, sizeof *r);
}

static int load_bar(void *ctx, int n, const char *const *v)
{
    bo_rows *r = ctx;
    if (n < 8) return 1;
    long long x[8];
    for (int i = 0; i < 8; i++) x[i] = v[i] ? strtoll(v[i], NULL, 10) : 0;
    bar_slot *s = bars_get(r->bars, (uint32_t)x[0], x[1]);
    if (!s) return 1;
    s->open = x[2], s->high = x[3], s->low = x[4], s->close = x[5], s->volume = x[6];
    s->value = x[7];
    return 0;
}

int rows_resume(bo_rows *r, const cets_engine *e, db *d)
{
    r->tz = cets_engine_config(e)->tz_offset_min;
    bars_reset(r->bars);
    r->bars_date = cets_trading_date(e);
    db_val p[1] = {db_int(r->bars_date)};
    return db_run(d,
                  "SELECT instrument, t, open, high, low, close, volume, value FROM bars_1m "
                  "WHERE date = $1",
                  1, p, load_bar, r);
}

void rows_flush_bars(bo_rows *r)
{
    for (size_t i = 0; i < r->bars->cap; i++) {
        bar_slot *s = &r->bars->s[i];
        if (!s->t || !s->touched) continue;
        s->touched = false;
        db_val *v = batch_row(r->b, T_BARS);
        if (!v) return;
        v[0] = db_int(s->inst), v[1] = db_int(s->t), v[2] = db_int(r->bars_date);
        v[3] = db_int(s->open), v[4] = db_int(s->high), v[5] = db_int(s->low);
        v[6] = db_int(s->close), v[7] = db_int(s->volume), v[8] = db_int(s->value);
    }
}

static void bar_trade(bo_rows *r, const cets_trade *t)
{
    if (t->method != CETS_METHOD_LISTING) /* block and auction trades set no prices */
        return;
    int64_t minute = t->ts - (t->ts % MINUTE_NS + MINUTE_NS) % MINUTE_NS;
    bar_slot *s = bars_get(r->bars, t->instrument, minute);
    if (!s) {
        r->b->oom = 1;
        return;
    }
    if (!s->volume) s->open = s->high = s->low = t->price;
    if (t->price > s->high) s->high = t->price;
    if (t->price < s->low) s->low = t->price;
    s->close = t->price;
    s->volume += t->qty;
    s->value += t->value;
    s->touched = true;
}

/* ---- what a command touched ------------------------------------------------------- */

static void dirty_part(bo_rows *r, uint32_t pid)
{
    for (size_t i = 0; i < r->ndirty_part; i++)
        if (r->dirty_part[i] == pid) return;
    if (r->ndirty_part == r->capdirty_part) {
        size_t cap = r->capdirty_part ? r->capdirty_part * 2 : 16;
        uint32_t *g = realloc(r->dirty_part, cap * sizeof *g);
        if (!g) {
            r->b->oom = 1;
            return;
        }
        r->dirty_part = g;
        r->capdirty_part = cap;
    }
    r->dirty_part[r->ndirty_part++] = pid;
}

/* Deadlines touch thousands of records; duplicates cost only an upsert. */
static void dirty_comp(bo_rows *r, uint32_t pid, int32_t year)
{
    if (r->ndirty_comp && r->dirty_comp[r->ndirty_comp - 1].participant == pid &&
        r->dirty_comp[r->ndirty_comp - 1].year == year)
        return;
    if (r->ndirty_comp == r->capdirty_comp) {
        size_t cap = r->capdirty_comp ? r->capdirty_comp * 2 : 64;
        comp_key *g = realloc(r->dirty_comp, cap * sizeof *g);
        if (!g) {
            r->b->oom = 1;
            return;
        }
        r->dirty_comp = g;
        r->capdirty_comp = cap;
    }
    r->dirty_comp[r->ndirty_comp++] = (comp_key){pid, year};
}

/* ---- rows ------------------------------------------------------------------------------ */

static db_val *row(bo_rows *r, bo_table t)
{
    return batch_row(r->b, t);
}

/* seq, k, ts, date: the head of every movement row. */
static db_val *movement(bo_rows *r, bo_table t)
{
    db_val *v = row(r, t);
    if (v) {
        v[0] = db_int((int64_t)r->cmd->seq), v[1] = db_int(r->k[t]++);
        v[2] = db_int(r->cmd->ts), v[3] = db_int(r->date);
    }
    return v;
}

static void funds(bo_rows *r, uint32_t pid, const char *kind, int64_t amount, int64_t fee,
                  uint64_t ref, const char *bank_ref)
{
    db_val *v = movement(r, T_FUNDS);
    if (!v) return;
    v[4] = db_int(pid), v[5] = db_text(kind), v[6] = db_int(amount), v[7] = db_int(fee);
    v[8] = db_int((int64_t)ref), v[9] = bank_ref ? db_text(batch_text(r->b, bank_ref)) : db_null();
}

static void holding(bo_rows *r, uint32_t pid, int64_t inst, const char *kind, int64_t qty,
                    uint64_t ref)
{
    db_val *v = movement(r, T_HOLDINGS);
    if (!v) return;
    v[4] = db_int(pid), v[5] = inst >= 0 ? db_int(inst) : db_null(), v[6] = db_text(kind);
    v[7] = db_int(qty), v[8] = db_int((int64_t)ref);
}

static void on_trade(bo_rows *r, const cets_trade *t)
{
    db_val *v = row(r, T_TRADES);
    if (!v) return;
    v[0] = db_int((int64_t)t->trade_id), v[1] = db_int((int64_t)t->seq), v[2] = db_int(t->ts);
    v[3] = db_int(r->date), v[4] = db_int(t->instrument), v[5] = db_text(rows_method(t->method));
    v[6] = db_text(rows_side(t->aggressor)), v[7] = db_int(t->buyer), v[8] = db_int(t->seller);
    v[9] = db_int((int64_t)t->buy_order), v[10] = db_int((int64_t)t->sell_order);
    v[11] = db_int(t->price), v[12] = db_int(t->qty), v[13] = db_int(t->value);
    v[14] = db_int(t->buyer_fee), v[15] = db_int(t->seller_fee);
    bar_trade(r, t); /* its funds and holdings legs: the ledger views */
}

static void on_done(bo_rows *r, const cets_event *ev)
{
    const cets_order_info *o = &ev->u.done.order;
    db_val *v = row(r, T_ORDERS);
    if (!v) return;
    char ref[24];
    snprintf(ref, sizeof ref, "%016" PRIx64, o->client_ref);
    v[0] = db_int((int64_t)o->order_id), v[1] = db_int(o->participant);
    v[2] = db_int(o->instrument), v[3] = db_text(rows_side(o->side));
    v[4] = db_text(o->tif == CETS_TIF_IOC ? "ioc" : "day"), v[5] = db_int(o->price);
    v[6] = db_int(o->filled_qty), v[7] = db_int(o->filled_value);
    v[8] = db_int(ev->u.done.left_qty), v[9] = db_text(done_why(ev->u.done.why));
    v[10] = db_int(o->ts), v[11] = db_int((int64_t)ev->seq), v[12] = db_int(ev->ts);
    v[13] = db_int(r->date), v[14] = db_text(batch_text(r->b, ref));
}

static void on_admin(bo_rows *r, const cets_event *ev)
{
    const cets_cmd *c = r->cmd;
    int type = ev->u.admin.cmd_type;
    uint32_t pid = ev->u.admin.participant;
    db_val *v = row(r, T_ADMIN);
    if (v) {
        bool has_text = type == CETS_CMD_INSTRUMENT_ADD || type == CETS_CMD_PARTICIPANT_ADD ||
                        type == CETS_CMD_DEPOSIT || type == CETS_CMD_USER_SET;
        char text[CETS_NAME_LEN];
        memcpy(text, c->u.text, sizeof text);
        text[sizeof text - 1] = 0;
        v[0] = db_int((int64_t)c->seq), v[1] = db_int(c->ts), v[2] = db_int(r->date);
        v[3] = db_text(cets_cmd_name(type));
        v[4] = db_int(type == CETS_CMD_PARTICIPANT_ADD ? ev->u.admin.id : pid);
        v[5] = db_int(type == CETS_CMD_INSTRUMENT_ADD ? ev->u.admin.id : ev->u.admin.instrument);
        v[6] = db_int(ev->u.admin.qty), v[7] = db_int(ev->u.admin.aux), v[8] = db_int(c->user);
        v[9] = has_text && text[0] ? db_text(batch_text(r->b, text)) : db_null();
    }
    switch (type) {
    case CETS_CMD_INSTRUMENT_ADD: r->dirty_inst |= 1ULL << (ev->u.admin.id & 63); break;
    case CETS_CMD_INSTRUMENT_HALT:
    case CETS_CMD_INSTRUMENT_MODE: r->dirty_inst |= 1ULL << (ev->u.admin.instrument & 63); break;
    case CETS_CMD_PARTICIPANT_ADD: dirty_part(r, ev->u.admin.id); break;
    case CETS_CMD_PARTICIPANT_STATUS: dirty_part(r, pid); break;
    case CETS_CMD_DEPOSIT: {
        char ref[CETS_NAME_LEN];
        memcpy(ref, c->u.text, sizeof ref);
        ref[sizeof ref - 1] = 0;
        funds(r, pid, "deposit", ev->u.admin.qty, 0, 0, ref[0] ? ref : NULL);
        db_val *d = ref[0] ? row(r, T_DEPOSITS) : NULL;
        if (d) {
            d[0] = db_int((int64_t)c->seq), d[1] = db_text(batch_text(r->b, ref));
            d[2] = db_int(pid), d[3] = db_int(ev->u.admin.qty), d[4] = db_int(c->aux);
            d[5] = db_int(c->ts);
        }
        break;
    }
    case CETS_CMD_WITHDRAW: funds(r, pid, "withdrawal", -ev->u.admin.qty, 0, 0, NULL); break;
    case CETS_CMD_HOLDING_CREDIT:
        holding(r, pid, ev->u.admin.instrument, "credit", ev->u.admin.qty, 0);
        break;
    }
}

static void on_registry(bo_rows *r, const cets_registry_move *m)
{
    bool has_inst = m->kind != CETS_REG_EMISSIONS && m->kind != CETS_REG_FREEZE &&
                    m->kind != CETS_REG_UNFREEZE && m->kind != CETS_REG_DEADLINE;
    db_val *v = movement(r, T_REGISTRY);
    if (v) {
        char text[CETS_NAME_LEN], *bar = NULL;
        memcpy(text, m->text, sizeof text);
        text[sizeof text - 1] = 0;
        if (m->kind == CETS_REG_RETIRE && (bar = strchr(text, '|'))) *bar++ = 0;
        v[4] = db_text(reg_kind(m->kind)), v[5] = db_int(m->participant);
        v[6] = db_int(m->counterparty), v[7] = has_inst ? db_int(m->instrument) : db_null();
        v[8] = db_int(m->user), v[9] = db_int(m->year), v[10] = db_int(m->qty);
        v[11] = db_int(m->deducted), v[12] = db_int(m->output), v[13] = db_int(m->benchmark);
        v[14] = db_int(m->obligation), v[15] = db_int(m->shortfall), v[16] = db_int(m->penalty);
        v[17] = db_int(m->compulsory), v[18] = db_int((int64_t)m->ref);
        v[19] = bar ? db_text(batch_text(r->b, text)) : db_null();
        v[20] = bar ? db_text(batch_text(r->b, bar)) : db_null();
    }
    switch (m->kind) {
    case CETS_REG_ALLOCATE:
        if (m->qty)
            holding(r, m->participant, m->instrument, m->compulsory ? "trueup" : "allocation",
                    m->qty, 0);
        if (m->deducted) dirty_comp(r, m->participant, 0); /* it made up past shortfalls */
        break;
    case CETS_REG_SURRENDER:
        holding(r, m->participant, m->instrument, "surrender", -m->qty, 0);
        dirty_comp(r, m->participant, m->year);
        break;
    case CETS_REG_RETIRE: holding(r, m->participant, m->instrument, "retire", -m->qty, 0); break;
    case CETS_REG_TRANSFER_APPROVE:
        holding(r, m->participant, m->instrument, "transfer_out", -m->qty, m->ref);
        holding(r, m->counterparty, m->instrument, "transfer_in", m->qty, m->ref);
        break;
    case CETS_REG_FREEZE:
    case CETS_REG_UNFREEZE:
        holding(r, m->participant, -1, m->kind == CETS_REG_FREEZE ? "freeze" : "unfreeze", 0, 0);
        dirty_part(r, m->participant);
        break;
    case CETS_REG_EMISSIONS:
    case CETS_REG_DEADLINE: dirty_comp(r, m->participant, m->year); break;
    }
}

static void on_block(bo_rows *r, const cets_block_info *b)
{
    db_val *v = row(r, T_BLOCKS);
    if (!v) return;
    v[0] = db_int((int64_t)b->id), v[1] = db_text(b->is_quote ? "quote" : "proposal");
    v[2] = db_int((int64_t)b->answers), v[3] = db_int(b->instrument), v[4] = db_int(b->owner);
    v[5] = db_int(b->counterparty), v[6] = db_text(rows_side(b->side)), v[7] = db_int(b->price);
    v[8] = db_int(b->qty), v[9] = db_text(block_status(b->status));
    v[10] = db_int((int64_t)b->trade_id), v[11] = db_int(b->ts);
    v[12] = db_int((int64_t)r->cmd->seq);
}

static void on_auction(bo_rows *r, const cets_auction_info *a)
{
    db_val *v = row(r, T_AUCTIONS);
    if (!v) return;
    v[0] = db_int((int64_t)a->id), v[1] = db_int(a->instrument), v[2] = db_int(a->initiator);
    v[3] = db_text(rows_side(a->side)), v[4] = db_text(a->mode ? "pay_as_bid" : "uniform");
    v[5] = db_text(auction_status(a->status)), v[6] = db_int(a->lot), v[7] = db_int(a->start);
    v[8] = db_int(a->end), v[9] = db_int(a->reserve_price), v[10] = db_int(a->filled);
    v[11] = db_int(a->clearing_price), v[12] = db_int(a->value), v[13] = db_int(a->nbids);
    v[14] = db_int(a->nwinners), v[15] = db_int((int64_t)r->cmd->seq);
}

static void on_day_stats(bo_rows *r, const cets_day_stats *s)
{
    db_val *v = row(r, T_DAY_STATS);
    if (!v) return;
    v[0] = db_int(s->date), v[1] = db_int(s->instrument);
    char code[CETS_CODE_LEN];
    memcpy(code, s->code, sizeof code);
    code[sizeof code - 1] = 0;
    v[2] = db_text(batch_text(r->b, code)), v[3] = db_int(s->prev_close), v[4] = db_int(s->open);
    v[5] = db_int(s->high), v[6] = db_int(s->low), v[7] = db_int(s->close);
    v[8] = db_int(s->change_bp), v[9] = db_int(s->traded);
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        v[10 + 3 * m] = db_int(s->volume[m]);
        v[11 + 3 * m] = db_int(s->value[m]);
        v[12 + 3 * m] = db_int((int64_t)s->trades[m]);
    }
    int64_t cv = 0, cval = 0;
    for (int m = 0; m < CETS_METHOD_COUNT; m++) cv += s->cum_volume[m], cval += s->cum_value[m];
    v[19] = db_int(s->total_volume), v[20] = db_int(s->total_value), v[21] = db_int(cv);
    v[22] = db_int(cval), v[23] = db_int(s->next_lower), v[24] = db_int(s->next_upper);
}

static void on_statement(bo_rows *r, const cets_statement *s)
{
    db_val *v = row(r, T_STATEMENTS);
    if (!v) return;
    v[0] = db_int(s->date), v[1] = db_int(s->participant), v[2] = db_int(s->funds_open);
    v[3] = db_int(s->funds_close), v[4] = db_int(s->deposits), v[5] = db_int(s->withdrawals);
    v[6] = db_int(s->bought_value), v[7] = db_int(s->sold_value), v[8] = db_int(s->fees);
    v[9] = db_int(s->fee_income), v[10] = db_int(s->ntrades);
    for (uint32_t i = 0; i < s->nlines && i < CETS_MAX_INSTRUMENTS; i++) {
        const cets_statement_line *l = &s->lines[i];
        db_val *w = row(r, T_STATEMENT_LINES);
        if (!w) return;
        w[0] = db_int(s->date), w[1] = db_int(s->participant), w[2] = db_int(l->instrument);
        w[3] = db_int(l->open_qty), w[4] = db_int(l->close_qty), w[5] = db_int(l->bought_qty);
        w[6] = db_int(l->bought_value), w[7] = db_int(l->sold_qty), w[8] = db_int(l->sold_value);
    }
}

/* The date `days` calendar days before date (yyyymmdd). */
static int32_t date_minus(int32_t date, int days)
{
    int64_t t = cets_time_at(date, 12, 0, 0) - (int64_t)days * 86400 * 1000000000LL;
    return cets_date_of(t, 0);
}

static void on_day_closed(bo_rows *r, const cets_event *ev)
{
    db_val *v = row(r, T_DAYS);
    if (v) {
        v[0] = db_int(ev->u.day.closed_date), v[1] = db_int(ev->u.day.next_date);
        v[2] = db_int(ev->u.day.composite), v[3] = db_int((int64_t)ev->seq);
        v[4] = db_int(ev->ts);
    }
    r->closed_day = true;
    if (r->bars_days > 0)
        batch_add_after(r->b, "DELETE FROM bars_1m WHERE date < $1",
                        date_minus(ev->u.day.closed_date, r->bars_days - 1));
}

void rows_command(bo_rows *r, const cets_engine *e, const cets_cmd *c)
{
    r->cmd = c;
    r->date = cets_trading_date(e);
    memset(r->k, 0, sizeof r->k);
    r->dirty_inst = 0;
    r->ndirty_part = r->ndirty_comp = 0;
    r->closed_day = false;
    if (r->date != r->bars_date) { /* a new day: yesterday's bars are all written */
        rows_flush_bars(r);
        bars_reset(r->bars);
        r->bars_date = r->date;
    }
}

void rows_event(bo_rows *r, const cets_event *ev)
{
    switch (ev->type) {
    case CETS_EV_TRADE: on_trade(r, &ev->u.trade); break;
    case CETS_EV_ORDER_DONE: on_done(r, ev); break;
    case CETS_EV_ADMIN: on_admin(r, ev); break;
    case CETS_EV_REGISTRY: on_registry(r, &ev->u.reg); break;
    case CETS_EV_BLOCK: on_block(r, &ev->u.block); break;
    case CETS_EV_AUCTION: on_auction(r, &ev->u.auction.auction); break;
    case CETS_EV_DAY_STATS: on_day_stats(r, &ev->u.stats); break;
    case CETS_EV_STATEMENT:
        if (ev->u.statement) on_statement(r, ev->u.statement);
        break;
    case CETS_EV_DAY_CLOSED: on_day_closed(r, ev); break;
    }
}

/* ---- after the command: the state of what it touched ----------------------------- */

static void put_instrument(bo_rows *r, const cets_engine *e, uint32_t id)
{
    cets_instrument_info in;
    if (cets_instrument_get(e, id, &in) != CETS_OK) return;
    db_val *v = row(r, T_INSTRUMENTS);
    if (!v) return;
    char code[CETS_CODE_LEN];
    memcpy(code, in.code, sizeof code);
    code[sizeof code - 1] = 0;
    v[0] = db_int(id), v[1] = db_text(batch_text(r->b, code));
    v[2] = db_text(in.product == CETS_PRODUCT_CCER ? "CCER" : "CEA");
    v[3] = db_text(in.matching == CETS_MATCH_CONTINUOUS ? "continuous" : "listing");
    v[4] = db_text(in.status == CETS_IS_HALTED ? "halted" : "open"), v[5] = db_int(in.prev_close);
    v[6] = db_int((int64_t)r->cmd->seq), v[7] = db_int((int64_t)r->cmd->seq);
}

static void put_participant(bo_rows *r, const cets_engine *e, uint32_t id)
{
    cets_participant_info p;
    if (cets_participant_get(e, id, &p) != CETS_OK) return;
    db_val *v = row(r, T_PARTICIPANTS);
    if (!v) return;
    char name[CETS_NAME_LEN];
    memcpy(name, p.name, sizeof name);
    name[sizeof name - 1] = 0;
    v[0] = db_int(id), v[1] = db_text(rows_kind(p.kind)), v[2] = db_text(batch_text(r->b, name));
    v[3] = db_text(pstatus(p.status)), v[4] = db_int((int64_t)r->cmd->seq);
    v[5] = db_int((int64_t)r->cmd->seq);
}

static void put_compliance(bo_rows *r, const cets_compliance *c)
{
    db_val *v = row(r, T_COMPLIANCE);
    if (!v) return;
    v[0] = db_int(c->participant), v[1] = db_int(c->year), v[2] = db_int(c->obligation);
    v[3] = db_int(c->surrendered_cea), v[4] = db_int(c->surrendered_ccer);
    v[5] = db_int(c->shortfall), v[6] = db_int(c->penalty), v[7] = db_int(c->withheld);
    v[8] = db_int(c->late_surrendered), v[9] = db_text(comp_status(c->status));
    v[10] = c->settled_date ? db_int(c->settled_date) : db_null();
    v[11] = db_int((int64_t)r->cmd->seq);
}

typedef struct comp_walk {
    bo_rows *r;
    uint32_t participant;
} comp_walk;

static void comp_of(void *ctx, const cets_compliance *c)
{
    comp_walk *w = ctx;
    if (c->participant == w->participant) put_compliance(w->r, c);
}

static void put_transfer(bo_rows *r, const cets_engine *e, uint64_t id)
{
    cets_transfer_info t;
    if (cets_transfer_get(e, id, &t) != CETS_OK) return;
    db_val *v = row(r, T_TRANSFERS);
    if (!v) return;
    static const char *const st[] = {"?", "pending", "approved", "rejected"};
    const cets_cmd *c = r->cmd;
    bool decided = t.status >= 2;
    v[0] = db_int((int64_t)t.id), v[1] = db_int(t.from), v[2] = db_int(t.to);
    v[3] = db_int(t.instrument), v[4] = db_int(t.qty), v[5] = db_text(st[t.status & 3]);
    v[6] = db_int(t.user), v[7] = db_int((int64_t)c->seq), v[8] = db_int(t.ts);
    v[9] = decided ? db_int(c->user) : db_null();
    v[10] = decided ? db_int((int64_t)c->seq) : db_null();
    v[11] = decided ? db_int(c->ts) : db_null();
}

void rows_applied(bo_rows *r, const cets_engine *e, const cets_cmd *c, const cets_result *res)
{
    if (res->code != CETS_OK) return;
    uint64_t inst = r->closed_day ? ~0ULL : r->dirty_inst;
    uint32_t ninst = cets_instrument_count(e);
    for (uint32_t i = 0; i < ninst && i < 64; i++)
        if (inst & (1ULL << i)) put_instrument(r, e, i);
    for (size_t i = 0; i < r->ndirty_part; i++) put_participant(r, e, r->dirty_part[i]);
    for (size_t i = 0; i < r->ndirty_comp; i++) {
        comp_key k = r->dirty_comp[i];
        cets_compliance cc;
        if (k.year == 0) {
            comp_walk w = {r, k.participant};
            cets_compliance_foreach(e, 0, comp_of, &w);
        } else if (cets_compliance_get(e, k.participant, k.year, &cc) == CETS_OK) {
            put_compliance(r, &cc);
        }
    }
    if (c->type == CETS_CMD_TRANSFER)
        put_transfer(r, e, res->order_id);
    else if (c->type == CETS_CMD_TRANSFER_APPROVE || c->type == CETS_CMD_TRANSFER_REJECT)
        put_transfer(r, e, c->order_id);
}
