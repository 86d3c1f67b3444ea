/* client_market.c -- public market data from cetsd: market, instruments,
 * depth, trades, bars, daily-report.
 *
 * No login needed. Each command is one GET and one table; --json prints the
 * answer untouched (client.c does that), so scripts see exactly the API.
 */
#include <string.h>

#include "client.h"

#define MU(cmd, what) "usage: cets " cmd "\n" what "\n" CL_COMMON_USAGE
const char market_usage[] =
    MU("market", "The trading date, session and today's trading of every instrument\n"
                 "(volumes by method: listing, block, auction).");
const char instruments_usage[] = MU("instruments", "Every instrument with today's prices.");
const char depth_usage[] = MU("depth CODE", "The best five levels of a book, with listing ids.");
const char trades_usage[] = MU("trades CODE [--limit N]", "Today's trades, newest first.");
const char bars_usage[] =
    MU("bars CODE [--interval 1m|1d]", "Price bars: today's minutes (1m) or closed days (1d).");
const char daily_report_usage[] =
    MU("daily-report", "The daily market report of the last closed day, as `cets "
                       "report DIR` prints it offline.");

/* Cells of a list: keys with a leading '$' are money (grouped), '#'
 * quantities (grouped), '@' times (Beijing time), '%' methods. */
static void list_cell(char *cell, const json_t *e, const char *key)
{
    if (key[0] == '$')
        cl_money_cell(cell, e, key + 1);
    else if (key[0] == '#')
        cl_qty_cell(cell, e, key + 1);
    else if (key[0] == '@')
        cl_time_cell(cell, e, key + 1);
    else if (key[0] == '%')
        snprintf(cell, FMT_LEN, "%s",
                 cl_method_label(json_string_value(json_object_get(e, key + 1))));
    else
        cl_cell(cell, e, key);
}

/* One table row per array element. */
static void list_table(const json_t *list, const tcol *cols, const char *const *keys, int n)
{
    table t;
    table_init(&t, cols, n);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        for (int c = 0; c < n; c++) list_cell(r[c], e, keys[c]);
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

const char *cl_method_label(const char *m)
{
    if (!m) return "-";
    if (strcmp(m, "listing") == 0) return "挂牌 listing";
    if (strcmp(m, "block") == 0) return "大宗 block";
    if (strcmp(m, "auction") == 0) return "竞价 auction";
    return m;
}

static const char change_note[] =
    "涨跌幅为最新价相对前收盘价 Change %: the last price against the previous close\n";

static void instruments_table(const json_t *list)
{
    static const tcol cols[] = {{"代码", "Code", true},          {"产品", "Product", true},
                                {"方式", "Matching", true},      {"状态", "Status", true},
                                {"前收盘", "Prev close", false}, {"最新", "Last", false},
                                {"涨跌幅%", "Chg%", false},      {"跌停", "Lower", false},
                                {"涨停", "Upper", false},        {"最小变动", "Tick", false}};
    static const char *const keys[] = {"code", "product",    "matching", "status", "prev_close",
                                       "last", "change_pct", "lower",    "upper",  "tick"};
    list_table(list, cols, keys, 10);
    fputs(change_note, stdout);
}

/* Today's trading per instrument, every method: the screen's listing
 * volume, blocks and auctions, and what they add up to. */
static void trading_table(const json_t *list)
{
    static const tcol cols[] = {{"代码", "Code", true},
                                {"最新", "Last", false},
                                {"涨跌幅%", "Chg%", false},
                                {"挂牌量(吨)", "Listing (t)", false},
                                {"大宗量(吨)", "Block (t)", false},
                                {"竞价量(吨)", "Auction (t)", false},
                                {"总成交量(吨)", "Volume (t)", false},
                                {"总成交额(元)", "Turnover (CNY)", false},
                                {"笔数", "Trades", false}};
    table t;
    table_init(&t, cols, 9);
    long long tv = 0, tval = 0, tn = 0;
    for (size_t i = 0; i <= json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        bool total = i == json_array_size(list);
        char(*r)[FMT_LEN] = table_row(&t, total);
        long long vol = 0, val = 0;
        if (!total) {
            vol = json_integer_value(json_object_get(e, "volume")) +
                  json_integer_value(json_object_get(e, "block_volume")) +
                  json_integer_value(json_object_get(e, "auction_volume"));
            val =
                cl_fen(e, "turnover") + cl_fen(e, "block_turnover") + cl_fen(e, "auction_turnover");
            tv += vol, tval += val, tn += json_integer_value(json_object_get(e, "trades"));
            cl_cell(r[0], e, "code");
            cl_cell(r[1], e, "last");
            cl_cell(r[2], e, "change_pct");
            cl_qty_cell(r[3], e, "volume");
            cl_qty_cell(r[4], e, "block_volume");
            cl_qty_cell(r[5], e, "auction_volume");
            fmt_int(vol, r[6]);
            fmt_money(val, r[7]);
            cl_qty_cell(r[8], e, "trades");
        } else {
            snprintf(r[0], FMT_LEN, "合计 Total");
            fmt_int(tv, r[6]);
            fmt_money(tval, r[7]);
            fmt_int(tn, r[8]);
        }
    }
    table_print(stdout, &t, 0);
    table_free(&t);
    fputs(change_note, stdout);
}

int cmd_market(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(market_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/market", NULL, &a))) return rc;
    if (!o.json) {
        char d[FMT_LEN], s[FMT_LEN], c[FMT_LEN];
        cl_cell(d, a, "date");
        cl_cell(s, a, "session");
        cl_cell(c, a, "composite");
        printf("交易日 Date %s   交易状态 Session %s   综合价格 Composite %s\n\n", d, s, c);
        trading_table(json_object_get(a, "instruments"));
    }
    json_decref(a);
    return CLI_OK;
}

int cmd_instruments(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(instruments_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/instruments", NULL, &a))) return rc;
    if (!o.json) instruments_table(a);
    json_decref(a);
    return CLI_OK;
}

int cmd_depth(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(depth_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    char path[256], esc[128];
    snprintf(path, sizeof path, "/instruments/%s/depth", cl_escape(pos[0], esc, sizeof esc));
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) {
        static const tcol cols[] = {{"方向", "Side", true},
                                    {"价格", "Price", false},
                                    {"数量(吨)", "Qty (t)", false},
                                    {"笔数", "Orders", false},
                                    {"挂牌编号:数量", "Listing id:qty", true}};
        table t;
        table_init(&t, cols, 5);
        const char *sides[] = {"asks", "bids"}, *names[] = {"卖 sell", "买 buy"};
        for (int s = 0; s < 2; s++) {
            const json_t *levels = json_object_get(a, sides[s]);
            size_t n = json_array_size(levels);
            for (size_t k = 0; k < n; k++) {
                /* asks from the worst of the five down to the best, so the
                 * spread sits in the middle, as on a trading screen */
                const json_t *lv = json_array_get(levels, s == 0 ? n - 1 - k : k);
                char(*r)[FMT_LEN] = table_row(&t, s == 1 && k == 0 && t.nrows > 0);
                snprintf(r[0], FMT_LEN, "%s", names[s]);
                cl_cell(r[1], lv, "price");
                cl_qty_cell(r[2], lv, "qty");
                cl_cell(r[3], lv, "count");
                const json_t *ods = json_object_get(lv, "orders");
                size_t used = 0;
                for (size_t j = 0; j < json_array_size(ods); j++) {
                    const json_t *od = json_array_get(ods, j);
                    int w = snprintf(r[4] + used, FMT_LEN - used, "%s%lld:%lld", j ? " " : "",
                                     (long long)json_integer_value(json_object_get(od, "order_id")),
                                     (long long)json_integer_value(json_object_get(od, "qty")));
                    if (w < 0 || used + (size_t)w >= FMT_LEN - 5) {
                        snprintf(r[4] + used, FMT_LEN - used, " ...");
                        break;
                    }
                    used += (size_t)w;
                }
            }
        }
        printf("%s\n", pos[0]);
        table_print(stdout, &t, 0);
        table_free(&t);
    }
    json_decref(a);
    return CLI_OK;
}

int cmd_trades(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int64_t limit = 100;
    cli_flag extra[] = {{"--limit", ARG_INT, &limit, 1, 10000}};
    int rc = cl_parse(trades_usage, argc, argv, &o, extra, 1, pos, 1, 1);
    if (rc >= 0) return rc;
    char path[256], esc[128];
    snprintf(path, sizeof path, "/instruments/%s/trades?limit=%lld",
             cl_escape(pos[0], esc, sizeof esc), (long long)limit);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    static const tcol cols[] = {{"成交号", "Trade", false},
                                {CL_TIME_HEAD, true},
                                {"价格", "Price", false},
                                {"数量(吨)", "Qty (t)", false},
                                {"金额(元)", "Value (CNY)", false},
                                {"主动方", "Aggressor", true},
                                {"方式", "Method", true}};
    static const char *const keys[] = {"trade_id", "@ts",       "price",  "#qty",
                                       "$value",   "aggressor", "%method"};
    if (!o.json) list_table(a, cols, keys, 7);
    json_decref(a);
    return CLI_OK;
}

int cmd_bars(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1], *interval = "1m";
    cli_flag extra[] = {{"--interval", ARG_STR, &interval, 0, 0}};
    int rc = cl_parse(bars_usage, argc, argv, &o, extra, 1, pos, 1, 1);
    if (rc >= 0) return rc;
    if (strcmp(interval, "1m") != 0 && strcmp(interval, "1d") != 0)
        return cli_usage_error(bars_usage, "--interval is 1m or 1d, not '%s'", interval);
    char path[256], esc[128];
    snprintf(path, sizeof path, "/instruments/%s/bars?interval=%s",
             cl_escape(pos[0], esc, sizeof esc), interval);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    static const tcol cols[] = {{CL_TIME_HEAD, true},
                                {"开盘", "Open", false},
                                {"最高", "High", false},
                                {"最低", "Low", false},
                                {"收盘", "Close", false},
                                {"成交量(吨)", "Volume (t)", false},
                                {"成交额(元)", "Value (CNY)", false}};
    static const char *const keys[] = {"@t", "open", "high", "low", "close", "#volume", "$value"};
    if (!o.json) list_table(a, cols, keys, 7);
    json_decref(a);
    return CLI_OK;
}

/* The server's report as the engine's statistics, for the report printer
 * the offline tools use: the same four sections, the same look. */
static uint32_t day_stats_from(const json_t *list, cets_day_stats *st, uint32_t cap)
{
    static const char *const methods[CETS_METHOD_COUNT] = {"listing", "block", "auction"};
    uint32_t n = 0;
    for (size_t i = 0; i < json_array_size(list) && n < cap; i++, n++) {
        const json_t *e = json_array_get(list, i);
        cets_day_stats *s = &st[n];
        memset(s, 0, sizeof *s);
        snprintf(s->code, sizeof s->code, "%s", json_string_value(json_object_get(e, "code")));
        s->prev_close = cl_fen(e, "prev_close");
        s->open = cl_fen(e, "open");
        s->high = cl_fen(e, "high");
        s->low = cl_fen(e, "low");
        s->close = cl_fen(e, "close");
        s->change_bp = cl_fen(e, "change_pct"); /* "1.23" -> 123 */
        s->traded = json_is_true(json_object_get(e, "traded"));
        for (int m = 0; m < CETS_METHOD_COUNT; m++) {
            char k[40];
            snprintf(k, sizeof k, "%s_volume", methods[m]);
            s->volume[m] = json_integer_value(json_object_get(e, k));
            snprintf(k, sizeof k, "%s_value", methods[m]);
            s->value[m] = cl_fen(e, k);
            snprintf(k, sizeof k, "%s_trades", methods[m]);
            s->trades[m] = (uint64_t)json_integer_value(json_object_get(e, k));
            snprintf(k, sizeof k, "cum_%s_volume", methods[m]);
            s->cum_volume[m] = json_integer_value(json_object_get(e, k));
            snprintf(k, sizeof k, "cum_%s_value", methods[m]);
            s->cum_value[m] = cl_fen(e, k);
        }
        s->total_volume = json_integer_value(json_object_get(e, "total_volume"));
        s->total_value = cl_fen(e, "total_value");
        s->next_lower = cl_fen(e, "next_lower");
        s->next_upper = cl_fen(e, "next_upper");
    }
    return n;
}

int cmd_daily_report(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(daily_report_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/report", NULL, &a))) return rc;
    if (!o.json) {
        static cets_day_stats st[CETS_MAX_INSTRUMENTS];
        uint32_t n = day_stats_from(json_object_get(a, "instruments"), st, CETS_MAX_INSTRUMENTS);
        const char *d = json_string_value(json_object_get(a, "date"));
        int y = 0, mo = 0, da = 0;
        if (d) sscanf(d, "%d-%d-%d", &y, &mo, &da);
        report_print_stats(stdout, st, n, cl_fen(a, "composite"), y * 10000 + mo * 100 + da, false);
        const json_t *au = json_object_get(a, "audit");
        if (json_is_object(au))
            printf("审计链 Audit chain head at seq %lld: %s\n",
                   (long long)json_integer_value(json_object_get(au, "seq")),
                   json_string_value(json_object_get(au, "head")));
    }
    json_decref(a);
    return CLI_OK;
}
