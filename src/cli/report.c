/* report.c -- the daily market report, as the exchange publishes it.
 *
 * Everything comes from the engine's statistics of the last closed day
 * (cets_last_day_stats): the report is a view, it computes nothing but sums
 * across instruments. Four short tables instead of one wide one, so the
 * report fits a terminal: prices; listing and block agreements; one-way
 * bidding and totals; cumulative figures since listing. Headings are in
 * Chinese with the English below, as the published reports have them.
 * With json, the same figures as one JSON object per line.
 */
#include <string.h>

#include "cli.h"

typedef struct day_totals {
    int64_t volume[CETS_METHOD_COUNT], value[CETS_METHOD_COUNT];
    uint64_t trades[CETS_METHOD_COUNT];
    int64_t total_volume, total_value, cum_volume, cum_value;
} day_totals;

static int64_t cum_sum(const int64_t *v)
{
    int64_t s = 0;
    for (int m = 0; m < CETS_METHOD_COUNT; m++) s += v[m];
    return s;
}

static void totals_add(day_totals *t, const cets_day_stats *s)
{
    for (int m = 0; m < CETS_METHOD_COUNT; m++) {
        t->volume[m] += s->volume[m];
        t->value[m] += s->value[m];
        t->trades[m] += s->trades[m];
    }
    t->total_volume += s->total_volume;
    t->total_value += s->total_value;
    t->cum_volume += cum_sum(s->cum_volume);
    t->cum_value += cum_sum(s->cum_value);
}

static void prices_print(FILE *f, const cets_day_stats *st, uint32_t n, int64_t composite)
{
    static const tcol cols[] = {
        {"代码", "Code", true},        {"前收盘价", "Prev close", false},
        {"开盘价", "Open", false},     {"最高价", "High", false},
        {"最低价", "Low", false},      {"收盘价", "Close", false},
        {"涨跌幅", "Change %", false}, {"下一交易日价格区间", "Next day's band", false},
    };
    table t;
    table_init(&t, cols, 8);
    bool carried = false;
    for (uint32_t i = 0; i < n; i++) {
        const cets_day_stats *s = &st[i];
        char(*r)[FMT_LEN] = table_row(&t, false);
        char lo[FMT_LEN], hi[FMT_LEN];
        snprintf(r[0], FMT_LEN, "%s%s", s->code, s->traded ? "" : " *");
        fmt_price(s->prev_close, r[1]);
        fmt_price(s->open, r[2]);
        fmt_price(s->high, r[3]);
        fmt_price(s->low, r[4]);
        fmt_price(s->close, r[5]);
        fmt_bp(s->change_bp, r[6]);
        snprintf(r[7], FMT_LEN, "%s - %s", fmt_price(s->next_lower, lo),
                 fmt_price(s->next_upper, hi));
        carried |= !s->traded;
    }
    fprintf(f, "一、价格 Prices (元/吨 CNY/t)\n\n");
    table_print(f, &t, 2);
    table_free(&t);
    char buf[FMT_LEN];
    if (carried)
        fprintf(f, "  * 当日无挂牌协议成交，沿用前收盘价 No listing trade today: the previous "
                   "close carries over.\n");
    fprintf(f,
            "\n  综合价格 Composite price: %s 元/吨 CNY/t (CEA 各年度收盘价等权平均 "
            "equal-weighted mean of the CEA closes)\n\n",
            fmt_price(composite, buf));
}

/* A volume table of two methods (or of a method and the day's totals). */
static void volumes_print(FILE *f, const char *title, const tcol *cols, int ncols,
                          const cets_day_stats *st, uint32_t n, const day_totals *tot, int method_a,
                          int method_b)
{
    table t;
    table_init(&t, cols, ncols);
    for (uint32_t i = 0; i <= n; i++) {
        const cets_day_stats *s = i < n ? &st[i] : NULL;
        char(*r)[FMT_LEN] = table_row(&t, i == n);
        snprintf(r[0], FMT_LEN, "%s", s ? s->code : "合计 Total");
        fmt_int(s ? s->volume[method_a] : tot->volume[method_a], r[1]);
        fmt_money(s ? s->value[method_a] : tot->value[method_a], r[2]);
        fmt_int((int64_t)(s ? s->trades[method_a] : tot->trades[method_a]), r[3]);
        if (method_b >= 0) {
            fmt_int(s ? s->volume[method_b] : tot->volume[method_b], r[4]);
            fmt_money(s ? s->value[method_b] : tot->value[method_b], r[5]);
        } else {
            fmt_int(s ? s->total_volume : tot->total_volume, r[4]);
            fmt_money(s ? s->total_value : tot->total_value, r[5]);
        }
    }
    fprintf(f, "%s\n\n", title);
    table_print(f, &t, 2);
    table_free(&t);
    fputc('\n', f);
}

static void cumulative_print(FILE *f, const cets_day_stats *st, uint32_t n, const day_totals *tot)
{
    static const tcol cols[] = {
        {"代码", "Code", true},
        {"累计成交量(吨)", "Cumulative volume (t)", false},
        {"累计成交额(元)", "Cumulative turnover (CNY)", false},
        {"其中挂牌协议成交量", "of which listing (t)", false},
    };
    table t;
    table_init(&t, cols, 4);
    int64_t listing = 0;
    for (uint32_t i = 0; i <= n; i++) {
        const cets_day_stats *s = i < n ? &st[i] : NULL;
        char(*r)[FMT_LEN] = table_row(&t, i == n);
        snprintf(r[0], FMT_LEN, "%s", s ? s->code : "合计 Total");
        fmt_int(s ? cum_sum(s->cum_volume) : tot->cum_volume, r[1]);
        fmt_money(s ? cum_sum(s->cum_value) : tot->cum_value, r[2]);
        fmt_int(s ? s->cum_volume[CETS_METHOD_LISTING] : listing, r[3]);
        if (s) listing += s->cum_volume[CETS_METHOD_LISTING];
    }
    fprintf(f, "四、累计 Cumulative since listing\n\n");
    table_print(f, &t, 2);
    table_free(&t);
    fputc('\n', f);
}

static void report_text(FILE *f, const cets_day_stats *st, uint32_t n, int64_t composite,
                        int32_t date, const day_totals *tot)
{
    static const tcol listing_block[] = {
        {"代码", "Code", true},
        {"挂牌协议成交量(吨)", "Listing volume (t)", false},
        {"挂牌协议成交额(元)", "Listing turnover (CNY)", false},
        {"笔数", "Trades", false},
        {"大宗协议成交量(吨)", "Block volume (t)", false},
        {"大宗协议成交额(元)", "Block turnover (CNY)", false},
    };
    static const tcol auction_total[] = {
        {"代码", "Code", true},
        {"单向竞价成交量(吨)", "Auction volume (t)", false},
        {"单向竞价成交额(元)", "Auction turnover (CNY)", false},
        {"笔数", "Trades", false},
        {"总成交量(吨)", "Total volume (t)", false},
        {"总成交额(元)", "Total turnover (CNY)", false},
    };
    char d[FMT_LEN];
    fprintf(f, "全国碳排放权交易市场 每日行情\nNational Carbon Market Daily Report\n");
    fprintf(f, "交易日 Trading date: %s %s %s\n\n", fmt_date(date, d), cal_weekday_name(date, true),
            cal_weekday_name(date, false));
    prices_print(f, st, n, composite);
    volumes_print(f, "二、挂牌协议与大宗协议 Listing and block agreements", listing_block, 6, st, n,
                  tot, CETS_METHOD_LISTING, CETS_METHOD_BLOCK);
    volumes_print(f, "三、单向竞价与合计 One-way bidding (auction) and totals", auction_total, 6,
                  st, n, tot, CETS_METHOD_AUCTION, -1);
    cumulative_print(f, st, n, tot);
}

static void json_methods(FILE *f, const int64_t *vol, const int64_t *val, const uint64_t *trades)
{
    static const char *names[CETS_METHOD_COUNT] = {"listing", "block", "auction"};
    char b[FMT_LEN];
    for (int m = 0; m < CETS_METHOD_COUNT; m++)
        fprintf(f, ",\"%s_volume\":%lld,\"%s_turnover\":%s,\"%s_trades\":%llu", names[m],
                (long long)vol[m], names[m], fmt_json_money(val[m], b), names[m],
                (unsigned long long)trades[m]);
}

static void report_json(FILE *f, const cets_day_stats *st, uint32_t n, int64_t composite,
                        int32_t date, const day_totals *tot)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN], d[FMT_LEN], e[FMT_LEN];
    fprintf(f, "{\"type\":\"report\",\"date\":%d,\"composite\":%s,\"instruments\":%u}\n", date,
            fmt_json_money(composite, a), n);
    for (uint32_t i = 0; i < n; i++) {
        const cets_day_stats *s = &st[i];
        fprintf(f, "{\"type\":\"instrument\",\"date\":%d,\"code\":", date);
        json_quote(f, s->code);
        fprintf(f, ",\"prev_close\":%s,\"open\":%s,\"high\":%s,\"low\":%s,\"close\":%s",
                fmt_json_money(s->prev_close, a), fmt_json_money(s->open, b),
                fmt_json_money(s->high, c), fmt_json_money(s->low, d), fmt_json_money(s->close, e));
        fprintf(f, ",\"change_bp\":%lld,\"traded\":%s", (long long)s->change_bp,
                s->traded ? "true" : "false");
        json_methods(f, s->volume, s->value, s->trades);
        fprintf(f, ",\"total_volume\":%lld,\"total_turnover\":%s", (long long)s->total_volume,
                fmt_json_money(s->total_value, a));
        fprintf(f, ",\"cum_volume\":%lld,\"cum_turnover\":%s", (long long)cum_sum(s->cum_volume),
                fmt_json_money(cum_sum(s->cum_value), a));
        fprintf(f, ",\"next_lower\":%s,\"next_upper\":%s}\n", fmt_json_money(s->next_lower, a),
                fmt_json_money(s->next_upper, b));
    }
    fprintf(f, "{\"type\":\"totals\",\"date\":%d", date);
    json_methods(f, tot->volume, tot->value, tot->trades);
    fprintf(f, ",\"total_volume\":%lld,\"total_turnover\":%s", (long long)tot->total_volume,
            fmt_json_money(tot->total_value, a));
    fprintf(f, ",\"cum_volume\":%lld,\"cum_turnover\":%s}\n", (long long)tot->cum_volume,
            fmt_json_money(tot->cum_value, b));
}

int report_print(FILE *f, const cets_engine *e, bool json)
{
    static cets_day_stats st[CETS_MAX_INSTRUMENTS];
    int64_t composite = 0;
    int32_t date = 0;
    uint32_t n = cets_last_day_stats(e, st, CETS_MAX_INSTRUMENTS, &composite, &date);
    if (n > CETS_MAX_INSTRUMENTS) n = CETS_MAX_INSTRUMENTS;
    if (date == 0) {
        fprintf(stderr, "cets: no trading day has been closed yet (no END_OF_DAY)\n");
        return -1;
    }
    report_print_stats(f, st, n, composite, date, json);
    return 0;
}

void report_print_stats(FILE *f, const cets_day_stats *st, uint32_t n, int64_t composite,
                        int32_t date, bool json)
{
    day_totals tot;
    memset(&tot, 0, sizeof tot);
    for (uint32_t i = 0; i < n; i++) totals_add(&tot, &st[i]);
    if (json)
        report_json(f, st, n, composite, date, &tot);
    else
        report_text(f, st, n, composite, date, &tot);
}
