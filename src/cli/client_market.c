/* client_market.c -- public market data from cetsd: market, instruments,
 * depth, trades, bars, daily-report.
 *
 * No login needed. Each command is one GET and one table; --json prints the
 * answer untouched (client.c does that), so scripts see exactly the API.
 */
#include <string.h>

#include "client.h"

#define MU(cmd, what) "usage: cets " cmd "\n" what "\n" CL_COMMON_USAGE
const char market_usage[] = MU("market", "The trading date, session and every instrument.");
const char instruments_usage[] = MU("instruments", "Every instrument with today's prices.");
const char depth_usage[] = MU("depth CODE", "The best five levels of a book, with listing ids.");
const char trades_usage[] = MU("trades CODE [--limit N]", "Today's trades, newest first.");
const char bars_usage[] = MU("bars CODE [--interval 1m|1d]",
                             "Price bars: today's minutes (1m) or closed days (1d).");
const char daily_report_usage[] = MU("daily-report",
                                     "The daily market report of the last closed day.");

/* One table row per array element: cells from keys (a leading '$' = money). */
static void list_table(const json_t *list, const tcol *cols, const char *const *keys, int n)
{
    table t;
    table_init(&t, cols, n);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        for (int c = 0; c < n; c++) {
            if (keys[c][0] == '$')
                cl_money_cell(r[c], e, keys[c] + 1);
            else
                cl_cell(r[c], e, keys[c]);
        }
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

static void instruments_table(const json_t *list)
{
    static const tcol cols[] = {
        {"代码", "Code", true},      {"产品", "Product", true}, {"方式", "Matching", true},
        {"状态", "Status", true},    {"昨收", "Prev", false},   {"最新", "Last", false},
        {"涨跌幅%", "Chg%", false},  {"下限", "Lower", false},  {"上限", "Upper", false},
        {"成交量", "Volume", false}, {"成交额", "Turnover", false},
    };
    static const char *const keys[] = {"code",  "product", "matching", "status",
                                       "prev_close", "last", "change_pct", "lower",
                                       "upper", "volume",  "$turnover"};
    list_table(list, cols, keys, 11);
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
        printf("交易日 Date %s   交易状态 Session %s   综合价 Composite %s\n\n", d, s, c);
        instruments_table(json_object_get(a, "instruments"));
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
        static const tcol cols[] = {{"方向", "Side", true},   {"价格", "Price", false},
                                    {"数量", "Qty", false},   {"笔数", "Orders", false},
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
                cl_cell(r[2], lv, "qty");
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
    static const tcol cols[] = {{"成交号", "Trade", false}, {"时间", "Time (UTC)", true},
                                {"价格", "Price", false},   {"数量", "Qty", false},
                                {"金额", "Value", false},   {"主动方", "Aggressor", true},
                                {"方式", "Method", true}};
    static const char *const keys[] = {"trade_id", "ts",        "price", "qty",
                                       "$value",   "aggressor", "method"};
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
    static const tcol cols[] = {{"时间", "Time", true},   {"开盘", "Open", false},
                                {"最高", "High", false},  {"最低", "Low", false},
                                {"收盘", "Close", false}, {"成交量", "Volume", false},
                                {"成交额", "Value", false}};
    static const char *const keys[] = {"t", "open", "high", "low", "close", "volume", "$value"};
    if (!o.json) list_table(a, cols, keys, 7);
    json_decref(a);
    return CLI_OK;
}

int cmd_daily_report(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(daily_report_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/report", NULL, &a))) return rc;
    if (!o.json) {
        char d[FMT_LEN], c[FMT_LEN], v[FMT_LEN], x[FMT_LEN];
        cl_cell(d, a, "date");
        cl_cell(c, a, "composite");
        printf("每日成交 Daily market report %s   综合价 Composite %s\n\n", d, c);
        static const tcol cols[] = {
            {"代码", "Code", true},         {"昨收", "Prev", false},
            {"开盘", "Open", false},        {"最高", "High", false},
            {"最低", "Low", false},         {"收盘", "Close", false},
            {"涨跌幅%", "Chg%", false},     {"总成交量", "Volume", false},
            {"总成交额", "Value", false},   {"次日下限", "Next lower", false},
            {"次日上限", "Next upper", false}};
        static const char *const keys[] = {"code",         "prev_close",   "open",
                                           "high",         "low",          "close",
                                           "change_pct",   "total_volume", "$total_value",
                                           "next_lower",   "next_upper"};
        list_table(json_object_get(a, "instruments"), cols, keys, 11);
        const json_t *tot = json_object_get(a, "totals");
        cl_cell(v, tot, "volume");
        cl_money_cell(x, tot, "value");
        printf("\n合计 Total: 成交量 volume %s, 成交额 value %s\n", v, x);
        const json_t *au = json_object_get(a, "audit");
        if (json_is_object(au))
            printf("审计链 Audit chain head at seq %lld: %s\n",
                   (long long)json_integer_value(json_object_get(au, "seq")),
                   json_string_value(json_object_get(au, "head")));
    }
    json_decref(a);
    return CLI_OK;
}
