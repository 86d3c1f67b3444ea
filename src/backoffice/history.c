/* history.c -- see history.h.
 *
 * The kinds are a table: SQL, parameters, columns, key. Parameters are named
 * by letters in `params` ($1 is the first letter's value, and so on), so
 * that a statement passes exactly the parameters it uses (PostgreSQL refuses
 * others): F from, T to, I instrument (-1 any), P participant, A and B the
 * cursor's key (-1: before the first row), L the limit plus one (one row more
 * than asked tells whether there is a next page). Keys increase with the
 * answer's order, and every ORDER BY is the key, so a page starts exactly
 * after the cursor whatever was added since.
 */
#include "history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hkind {
    const char *kind;
    bool own; /* a participant's own: needs P */
    const char *params;
    int nkey; /* key columns: the first 1 or 2 of the answer */
    const hcol *cols;
    int ncols;
    const char *sql;
} hkind;

#define COLS(a) a, (int)(sizeof a / sizeof a[0])

static const hcol trades_cols[] = {
    {"trade_id", HC_INT}, {"date", HC_DATE},   {"ts", HC_TIME},
    {"code", HC_TEXT},    {"method", HC_TEXT}, {"aggressor", HC_TEXT},
    {"price", HC_MONEY},  {"qty", HC_INT},     {"value", HC_MONEY},
};
static const hcol fills_cols[] = {
    {"trade_id", HC_INT}, {"date", HC_DATE},   {"ts", HC_TIME},      {"code", HC_TEXT},
    {"method", HC_TEXT},  {"side", HC_TEXT},   {"order_id", HC_INT}, {"price", HC_MONEY},
    {"qty", HC_INT},      {"value", HC_MONEY}, {"fee", HC_MONEY},    {"liquidity", HC_TEXT},
};
static const hcol orders_cols[] = {
    {"order_id", HC_INT}, {"date", HC_DATE},   {"code", HC_TEXT},      {"side", HC_TEXT},
    {"tif", HC_TEXT},     {"price", HC_MONEY}, {"filled_qty", HC_INT}, {"filled_value", HC_MONEY},
    {"left_qty", HC_INT}, {"status", HC_TEXT}, {"entered", HC_TIME},   {"done", HC_TIME},
};
static const hcol funds_cols[] = {
    {"seq", HC_INT},   {"k", HC_INT},     {"date", HC_DATE},
    {"ts", HC_TIME},   {"kind", HC_TEXT}, {"amount", HC_MONEY},
    {"fee", HC_MONEY}, {"ref", HC_INT},   {"bank_ref", HC_TEXT},
};
static const hcol holdings_cols[] = {
    {"seq", HC_INT},   {"k", HC_INT},     {"date", HC_DATE}, {"ts", HC_TIME},
    {"code", HC_TEXT}, {"kind", HC_TEXT}, {"qty", HC_INT},   {"ref", HC_INT},
};
static const hcol bars_1m_cols[] = {
    {"date", HC_DATE}, {"t", HC_TIME},      {"open", HC_MONEY}, {"high", HC_MONEY},
    {"low", HC_MONEY}, {"close", HC_MONEY}, {"volume", HC_INT}, {"value", HC_MONEY},
};
static const hcol bars_1d_cols[] = {
    {"t", HC_DATE},      {"open", HC_MONEY}, {"high", HC_MONEY},  {"low", HC_MONEY},
    {"close", HC_MONEY}, {"volume", HC_INT}, {"value", HC_MONEY},
};

static const hkind kinds[] = {
    {"trades", false, "FTIAL", 1, COLS(trades_cols),
     "SELECT t.trade_id, t.date, t.ts, i.code, t.method, t.aggressor, t.price, t.qty, t.value"
     " FROM trades t JOIN instruments i ON i.id = t.instrument"
     " WHERE t.date BETWEEN $1 AND $2 AND ($3 < 0 OR t.instrument = $3) AND t.trade_id > $4"
     " ORDER BY t.date, t.trade_id LIMIT $5"},
    {"fills", true, "PFTIAL", 1, COLS(fills_cols),
     "SELECT * FROM ("
     "SELECT t.trade_id, t.date, t.ts, i.code, t.method, 'buy' AS side, t.buy_order AS order_id,"
     " t.price, t.qty, t.value, t.buyer_fee AS fee,"
     " CASE WHEN t.aggressor = 'buy' THEN 'taker' ELSE 'maker' END AS liquidity"
     " FROM trades t JOIN instruments i ON i.id = t.instrument"
     " WHERE t.buyer = $1 AND t.date BETWEEN $2 AND $3 AND ($4 < 0 OR t.instrument = $4)"
     " AND t.trade_id > $5"
     " UNION ALL "
     "SELECT t.trade_id, t.date, t.ts, i.code, t.method, 'sell', t.sell_order, t.price, t.qty,"
     " t.value, t.seller_fee, CASE WHEN t.aggressor = 'sell' THEN 'taker' ELSE 'maker' END"
     " FROM trades t JOIN instruments i ON i.id = t.instrument"
     " WHERE t.seller = $1 AND t.date BETWEEN $2 AND $3 AND ($4 < 0 OR t.instrument = $4)"
     " AND t.trade_id > $5"
     ") f ORDER BY trade_id LIMIT $6"},
    {"orders", true, "PFTIAL", 1, COLS(orders_cols),
     "SELECT o.order_id, o.date, i.code, o.side, o.tif, o.price, o.filled_qty, o.filled_value,"
     " o.left_qty, o.status, o.entered_ts, o.done_ts"
     " FROM orders o JOIN instruments i ON i.id = o.instrument"
     " WHERE o.participant = $1 AND o.date BETWEEN $2 AND $3"
     " AND ($4 < 0 OR o.instrument = $4) AND o.order_id > $5 ORDER BY o.order_id LIMIT $6"},
    {"funds", true, "PFTABL", 2, COLS(funds_cols),
     "SELECT seq, k, date, ts, kind, amount, fee, ref, bank_ref FROM funds_ledger"
     " WHERE participant = $1 AND date BETWEEN $2 AND $3"
     " AND (seq > $4 OR (seq = $4 AND k > $5)) ORDER BY seq, k LIMIT $6"},
    {"holdings", true, "PFTIABL", 2, COLS(holdings_cols),
     "SELECT h.seq, h.k, h.date, h.ts, i.code, h.kind, h.qty, h.ref"
     " FROM holdings_ledger h LEFT JOIN instruments i ON i.id = h.instrument"
     " WHERE h.participant = $1 AND h.date BETWEEN $2 AND $3"
     " AND ($4 < 0 OR h.instrument = $4 OR h.instrument IS NULL)"
     " AND (h.seq > $5 OR (h.seq = $5 AND h.k > $6)) ORDER BY h.seq, h.k LIMIT $7"},
    {"bars_1m", false, "IFTABL", 2, COLS(bars_1m_cols),
     "SELECT date, t, open, high, low, close, volume, value FROM bars_1m"
     " WHERE instrument = $1 AND date BETWEEN $2 AND $3"
     " AND (date > $4 OR (date = $4 AND t > $5)) ORDER BY date, t LIMIT $6"},
    {"bars_1d", false, "IFTAL", 1, COLS(bars_1d_cols),
     "SELECT date, open, high, low, close, listing_volume, listing_value FROM day_stats"
     " WHERE instrument = $1 AND date BETWEEN $2 AND $3 AND date > $4 ORDER BY date LIMIT $5"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const hkind *kind_find(const char *kind)
{
    for (size_t i = 0; kind && i < NKINDS; i++)
        if (strcmp(kinds[i].kind, kind) == 0) return &kinds[i];
    return NULL;
}

bool history_kind(const char *kind, const hcol **cols, int *ncols, bool *own)
{
    const hkind *k = kind_find(kind);
    if (!k) return false;
    if (cols) *cols = k->cols;
    if (ncols) *ncols = k->ncols;
    if (own) *own = k->own;
    return true;
}

/* "123" or "123.4" (as many parts as the key): 0 and the parts, -1. */
static int cursor_parse(const hkind *k, const char *c, int64_t key[2])
{
    key[0] = key[1] = -1;
    if (!c || !c[0]) return 0;
    for (int i = 0; i < k->nkey; i++) {
        if (*c < '0' || *c > '9') return -1;
        char *end;
        long long v = strtoll(c, &end, 10);
        if (end - c > 18) return -1;
        key[i] = v;
        c = end;
        if (i + 1 < k->nkey && *c++ != '.') return -1;
    }
    return *c ? -1 : 0;
}

bool history_cursor_ok(const char *kind, const char *cursor)
{
    const hkind *k = kind_find(kind);
    int64_t key[2];
    return k && cursor_parse(k, cursor, key) == 0;
}

typedef struct pager {
    const hkind *k;
    history_row_fn fn;
    void *ctx;
    int limit, rows;
    char last[HISTORY_CURSOR_MAX];
    bool more;
} pager;

static int page_row(void *ctx, int n, const char *const *vals)
{
    pager *p = ctx;
    if (n < p->k->ncols) return 1;
    if (p->rows == p->limit) {
        p->more = true; /* the one row more than asked */
        return 1;
    }
    p->rows++;
    if (p->k->nkey == 2)
        snprintf(p->last, sizeof p->last, "%s.%s", vals[0] ? vals[0] : "0",
                 vals[1] ? vals[1] : "0");
    else
        snprintf(p->last, sizeof p->last, "%s", vals[0] ? vals[0] : "0");
    return p->fn(p->ctx, vals);
}

int history_query(db *d, const history_req *q, history_row_fn fn, void *ctx, char *next, char *err,
                  size_t errlen)
{
    next[0] = 0;
    const hkind *k = kind_find(q->kind);
    int64_t key[2];
    if (!k || cursor_parse(k, q->cursor, key) != 0 || q->limit < 1 ||
        q->limit > HISTORY_LIMIT_MAX) {
        snprintf(err, errlen, "bad history query");
        return -1;
    }
    db_val p[8];
    int n = 0;
    for (const char *c = k->params; *c; c++) {
        switch (*c) {
        case 'F': p[n++] = db_int(q->from); break;
        case 'T': p[n++] = db_int(q->to); break;
        case 'I': p[n++] = db_int(q->instrument); break;
        case 'P': p[n++] = db_int(q->participant); break;
        case 'A': p[n++] = db_int(key[0]); break;
        case 'B': p[n++] = db_int(key[1]); break;
        case 'L': p[n++] = db_int(q->limit + 1); break;
        }
    }
    pager pg = {.k = k, .fn = fn, .ctx = ctx, .limit = q->limit};
    if (db_run(d, k->sql, n, p, page_row, &pg) != 0) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    if (pg.more) snprintf(next, HISTORY_CURSOR_MAX, "%s", pg.last);
    return 0;
}

/* ---- the report and statements of a past day ------------------------------------- */

typedef struct report_fill {
    cets_day_stats *st;
    uint32_t cap, n;
} report_fill;

static int64_t num(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static int report_row(void *ctx, int n, const char *const *v)
{
    report_fill *r = ctx;
    if (n < 25 || r->n == r->cap) return 1;
    cets_day_stats *s = &r->st[r->n++];
    memset(s, 0, sizeof *s);
    s->instrument = (uint32_t)num(v[0]);
    snprintf(s->code, sizeof s->code, "%s", v[1] ? v[1] : "");
    s->date = (int32_t)num(v[2]);
    s->prev_close = num(v[3]), s->open = num(v[4]), s->high = num(v[5]), s->low = num(v[6]);
    s->close = num(v[7]), s->change_bp = num(v[8]), s->traded = num(v[9]) != 0;
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        s->volume[m] = num(v[10 + 3 * m]);
        s->value[m] = num(v[11 + 3 * m]);
        s->trades[m] = (uint64_t)num(v[12 + 3 * m]);
    }
    s->total_volume = num(v[19]), s->total_value = num(v[20]);
    s->cum_volume[0] = num(v[21]), s->cum_value[0] = num(v[22]); /* kept summed */
    s->next_lower = num(v[23]), s->next_upper = num(v[24]);
    return 0;
}

typedef struct day_row {
    bool found;
    int64_t composite, seq;
} day_row;

static int take_day(void *ctx, int n, const char *const *v)
{
    day_row *d = ctx;
    if (n >= 2) {
        d->found = true;
        d->composite = num(v[0]);
        d->seq = num(v[1]);
    }
    return 1;
}

int history_report(db *d, int32_t date, cets_day_stats *st, uint32_t cap, uint32_t *n,
                   int64_t *composite, uint64_t *closed_seq, char *err, size_t errlen)
{
    db_val p = db_int(date);
    day_row day = {0};
    report_fill rf = {st, cap, 0};
    if (db_run(d, "SELECT composite, closed_seq FROM days WHERE date = $1", 1, &p, take_day,
               &day) != 0 ||
        (day.found &&
         db_run(d,
                "SELECT instrument, code, date, prev_close, open, high, low, close, change_bp,"
                " traded, listing_volume, listing_value, listing_trades, block_volume,"
                " block_value, block_trades, auction_volume, auction_value, auction_trades,"
                " total_volume, total_value, cum_volume, cum_value, next_lower, next_upper"
                " FROM day_stats WHERE date = $1 ORDER BY instrument",
                1, &p, report_row, &rf) != 0)) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    *n = rf.n;
    *composite = day.composite;
    *closed_seq = (uint64_t)day.seq;
    return day.found ? 1 : 0;
}

static int stmt_head(void *ctx, int n, const char *const *v)
{
    cets_statement *s = ctx;
    if (n < 9) return 1;
    s->funds_open = num(v[0]), s->funds_close = num(v[1]), s->deposits = num(v[2]);
    s->withdrawals = num(v[3]), s->bought_value = num(v[4]), s->sold_value = num(v[5]);
    s->fees = num(v[6]), s->fee_income = num(v[7]), s->ntrades = (uint32_t)num(v[8]);
    s->date = -1; /* found */
    return 1;
}

static int stmt_line(void *ctx, int n, const char *const *v)
{
    cets_statement *s = ctx;
    if (n < 7 || s->nlines == CETS_MAX_INSTRUMENTS) return 1;
    cets_statement_line *l = &s->lines[s->nlines++];
    l->instrument = (uint32_t)num(v[0]), l->open_qty = num(v[1]), l->close_qty = num(v[2]);
    l->bought_qty = num(v[3]), l->bought_value = num(v[4]), l->sold_qty = num(v[5]);
    l->sold_value = num(v[6]);
    return 0;
}

int history_statement(db *d, int32_t date, uint32_t participant, cets_statement *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    db_val p[2] = {db_int(date), db_int(participant)};
    if (db_run(d,
               "SELECT funds_open, funds_close, deposits, withdrawals, bought_value,"
               " sold_value, fees, fee_income, trades FROM statements"
               " WHERE date = $1 AND participant = $2",
               2, p, stmt_head, out) != 0) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    if (out->date != -1) return 0;
    if (db_run(d,
               "SELECT instrument, open_qty, close_qty, bought_qty, bought_value, sold_qty,"
               " sold_value FROM statement_lines WHERE date = $1 AND participant = $2"
               " ORDER BY instrument",
               2, p, stmt_line, out) != 0) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    out->date = date;
    out->participant = participant;
    return 1;
}

int64_t history_last_day(db *d)
{
    int64_t v = 0;
    int rc = db_int_query(d, "SELECT COALESCE(MAX(date), 0) FROM days", 0, NULL, &v);
    return rc < 0 ? -1 : v;
}
