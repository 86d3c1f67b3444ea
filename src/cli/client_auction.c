/* client_auction.c -- `cets auction ...`: one-way bidding (单向竞价) through
 * cetsd: the auctions announced, open and closed, one auction with my bids
 * and what they reserve (an operator sees every bid), bids, and the
 * operator's create, close and cancel.
 *
 * Windows are typed in Beijing time, as people read them ("2026-11-30T10:00",
 * or "10:00" on the current trading date) and sent as UTC, as the API takes
 * them. The result of a closed auction -- clearing price, filled, value,
 * winners, and each bid's fill -- is what `show` prints.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

const char auction_usage[] =
    "usage: cets auction [list]                  every auction: announced, open, closed\n"
    "       cets auction show ID                 one auction, its result, my bids (admin: every "
    "bid)\n"
    "       cets auction bid ID PRICE QTY        a bid, pre-funded (role trade)\n"
    "       cets auction create CODE sell|buy LOT --participant P --start T --end T\n"
    "                [--mode uniform|pay_as_bid] [--reserve previous_close|limit] [--min-fill "
    "PCT]\n"
    "                                            (role admin; an authority for its own lot)\n"
    "       cets auction close ID                after the window's end (admin, or the authority)\n"
    "       cets auction cancel ID               (admin)\n"
    "Times T are Beijing time: 2026-11-30T10:00, or 10:00 on the trading date.\n" CL_COMMON_USAGE;

static const char *status_label(const char *s)
{
    static const char *const names[][2] = {{"open", "进行中 open"},
                                           {"closed", "已成交 closed"},
                                           {"cancelled", "已取消 cancelled"},
                                           {"failed", "流拍 failed"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], s) == 0) return names[i][1];
    return s[0] ? s : "-";
}

static void auctions_print(const json_t *list)
{
    static const tcol cols[] = {{"编号", "Id", false},
                                {"代码", "Code", true},
                                {"发起方", "Initiator", false},
                                {"方向", "Side", true},
                                {"方式", "Mode", true},
                                {"状态", "Status", true},
                                {"标的(吨)", "Lot (t)", false},
                                {"开始(北京)", "Start (+08:00)", true},
                                {"结束(北京)", "End (+08:00)", true},
                                {"底价", "Reserve", false},
                                {"出价上限", "Bid limit", false},
                                {"申报", "Bids", false},
                                {"成交量(吨)", "Filled (t)", false},
                                {"成交价", "Clearing", false}};
    table t;
    table_init(&t, cols, 14);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *a = json_array_get(list, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], a, "id");
        cl_cell(r[1], a, "code");
        cl_cell(r[2], a, "initiator");
        cl_cell(r[3], a, "side");
        snprintf(r[4], FMT_LEN, "%s",
                 strcmp(cl_str(a, "mode"), "pay_as_bid") == 0 ? "按申报价 pay-as-bid"
                                                              : "统一价 uniform");
        snprintf(r[5], FMT_LEN, "%s", status_label(cl_str(a, "status")));
        cl_qty_cell(r[6], a, "lot");
        cl_time_cell(r[7], a, "start");
        cl_time_cell(r[8], a, "end");
        cl_cell(r[9], a, "reserve_price");
        cl_cell(r[10], a, "bid_limit");
        cl_cell(r[11], a, "bids");
        cl_qty_cell(r[12], a, "filled");
        if (cl_fen(a, "clearing_price"))
            cl_cell(r[13], a, "clearing_price");
        else
            snprintf(r[13], FMT_LEN, "-");
    }
    table_print(stdout, &t, 0);
    table_free(&t);
    if (!json_array_size(list)) puts("(no auctions)");
}

/* Bids reserve funds (fen) when the initiator sells, tonnes when it buys. */
static void bids_print(const char *title, const json_t *bids, bool funds)
{
    static const tcol cols[] = {{"申报号", "Bid", false},
                                {"参与人", "Participant", false},
                                {"价格", "Price", false},
                                {"数量(吨)", "Qty (t)", false},
                                {"成交(吨)", "Filled (t)", false},
                                {"冻结", "Reserved", false},
                                {CL_TIME_HEAD, true}};
    table t;
    table_init(&t, cols, 7);
    for (size_t i = 0; i < json_array_size(bids); i++) {
        const json_t *b = json_array_get(bids, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], b, "id");
        cl_cell(r[1], b, "participant");
        cl_cell(r[2], b, "price");
        cl_qty_cell(r[3], b, "qty");
        cl_qty_cell(r[4], b, "filled");
        long long res = json_integer_value(json_object_get(b, "reserved"));
        if (funds)
            fmt_money(res, r[5]);
        else
            snprintf(r[5], FMT_LEN, "%s t", fmt_int(res, (char[FMT_LEN]){0}));
        cl_time_cell(r[6], b, "ts");
    }
    printf("\n%s\n", title);
    table_print(stdout, &t, 0);
    table_free(&t);
    if (!json_array_size(bids)) puts("(none)");
}

static void auction_print(const json_t *a)
{
    static const cl_field f[] = {
        {"id", "编号", "Auction", CF_TEXT},
        {"code", "代码", "Code", CF_TEXT},
        {"initiator", "发起方", "Initiator", CF_TEXT},
        {"side", "发起方向", "Initiator's side", CF_TEXT},
        {"mode", "成交方式", "Mode", CF_TEXT},
        {"status", "状态", "Status", CF_TEXT},
        {"lot", "标的数量(吨)", "Lot (t)", CF_QTY},
        {"start", "开始(北京)", "Start (+08:00)", CF_TIME},
        {"end", "结束(北京)", "End (+08:00)", CF_TIME},
        {"reserve_price", "底价", "Reserve price", CF_TEXT},
        {"bid_limit", "出价上限", "Bid limit", CF_TEXT},
        {"min_fill_pct", "最低成交比例%", "Minimum fill %", CF_TEXT},
        {"bids", "申报笔数", "Bids", CF_TEXT},
        {"filled", "成交量(吨)", "Filled (t)", CF_QTY},
        {"clearing_price", "成交价(边际)", "Clearing price", CF_MONEY},
        {"value", "成交额(元)", "Value (CNY)", CF_MONEY},
        {"winners", "中标笔数", "Winners", CF_TEXT},
    };
    /* the words as people read them, in both languages */
    json_t *shown = json_deep_copy(a);
    const char *st = status_label(cl_str(a, "status"));
    const char *mode =
        strcmp(cl_str(a, "mode"), "pay_as_bid") == 0 ? "按申报价 pay-as-bid" : "统一价 uniform";
    json_object_set_new(shown, "mode", json_stringn(mode, strlen(mode)));
    json_object_set_new(shown, "status", json_stringn(st, strlen(st)));
    if (strcmp(cl_str(a, "status"), "closed") != 0)
        json_object_set_new(shown, "clearing_price", json_null());
    cl_print_fields(shown, f, 17);
    json_decref(shown);
    const json_t *all = json_object_get(a, "bid_list"), *own = json_object_get(a, "own_bids");
    bool funds = strcmp(cl_str(a, "side"), "sell") == 0;
    if (all) bids_print("全部申报 Every bid", all, funds);
    if (own) bids_print("我的申报 My bids", own, funds);
}

static bool id_arg(const char *s, long long *id)
{
    return cl_qty_arg(auction_usage, "auction id", s, 1, INT64_MAX, id);
}

static int one(const cl_opts *o, const char *method, const char *path, json_t *body)
{
    json_t *a;
    int rc = cl_call(o, method, path, body, &a);
    if (rc) return rc;
    if (!o->json) auction_print(a);
    json_decref(a);
    return CLI_OK;
}

static int a_list(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(auction_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/auctions", NULL, &a))) return rc;
    if (!o.json) auctions_print(a);
    json_decref(a);
    return CLI_OK;
}

static int a_show(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(auction_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/auctions/%lld", id);
    return one(&o, "GET", path, NULL);
}

static int a_bid(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3];
    int rc = cl_parse(auction_usage, argc, argv, &o, NULL, 0, pos, 3, 3);
    if (rc >= 0) return rc;
    long long id, qty;
    if (!id_arg(pos[0], &id) || !cl_amount_arg(auction_usage, "price", pos[1]) ||
        !cl_qty_arg(auction_usage, "quantity", pos[2], 1, 10000000000LL, &qty))
        return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/auctions/%lld/bids", id);
    json_t *a;
    if ((rc = cl_call(&o, "POST", path,
                      json_pack("{s:s,s:I}", "price", pos[1], "qty", (json_int_t)qty), &a)))
        return rc;
    if (!o.json) {
        static const cl_field f[] = {{"bid_id", "申报号", "Bid", CF_TEXT},
                                     {"auction", "竞价", "Auction", CF_TEXT},
                                     {"price", "价格", "Price", CF_TEXT},
                                     {"qty", "数量(吨)", "Qty (t)", CF_QTY}};
        cl_print_fields(a, f, 4);
    }
    json_decref(a);
    return CLI_OK;
}

/* A window bound typed in Beijing time, as the API's UTC ISO string. */
static bool when_arg(const cl_opts *o, const char *flag, const char *s, char *out, size_t len)
{
    int64_t t;
    if (strlen(s) == 5 && s[2] == ':') { /* HH:MM on the trading date */
        json_t *m;
        if (cl_call(&(cl_opts){o->server, o->token, false, false}, "GET", "/market", NULL, &m))
            return false;
        char full[40];
        snprintf(full, sizeof full, "%.10sT%s", cl_str(m, "date"), s);
        json_decref(m);
        if (!cl_local_time(full, &t)) goto bad;
    } else if (!cl_local_time(s, &t)) {
        goto bad;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return true;
bad:
    cli_usage_error(auction_usage, "bad %s '%s': a Beijing time such as 2026-11-30T10:00 or 10:00",
                    flag, s);
    return false;
}

static int a_create(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3], *start = NULL, *end = NULL, *mode = "uniform", *reserve = "previous_close",
                        *minfill = "0";
    int64_t part = 0;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX - 1},
                        {"--start", ARG_STR, &start, 0, 0},
                        {"--end", ARG_STR, &end, 0, 0},
                        {"--mode", ARG_STR, &mode, 0, 0},
                        {"--reserve", ARG_STR, &reserve, 0, 0},
                        {"--min-fill", ARG_STR, &minfill, 0, 0}};
    int rc = cl_parse(auction_usage, argc, argv, &o, extra, 6, pos, 3, 3);
    if (rc >= 0) return rc;
    long long lot;
    if (strcmp(pos[1], "buy") != 0 && strcmp(pos[1], "sell") != 0)
        return cli_usage_error(auction_usage, "side is sell or buy (the initiator's), not '%s'",
                               pos[1]);
    if (!cl_qty_arg(auction_usage, "lot", pos[2], 1, 10000000000LL, &lot)) return CLI_USAGE;
    if (!part || !start || !end)
        return cli_usage_error(auction_usage, "create needs --participant, --start and --end");
    if (strcmp(mode, "uniform") != 0 && strcmp(mode, "pay_as_bid") != 0)
        return cli_usage_error(auction_usage, "--mode is uniform or pay_as_bid, not '%s'", mode);
    if (strcmp(reserve, "previous_close") != 0 && strcmp(reserve, "limit") != 0)
        return cli_usage_error(auction_usage, "--reserve is previous_close or limit, not '%s'",
                               reserve);
    if (!cl_amount_arg(auction_usage, "--min-fill", minfill)) return CLI_USAGE;
    char s_utc[32], e_utc[32];
    if (!when_arg(&o, "--start", start, s_utc, sizeof s_utc) ||
        !when_arg(&o, "--end", end, e_utc, sizeof e_utc))
        return CLI_USAGE;
    json_t *b = json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "participant", (json_int_t)part,
                          "code", pos[0], "side", pos[1], "lot", (json_int_t)lot, "start", s_utc,
                          "end", e_utc, "mode", mode, "reserve", reserve, "min_fill_pct", minfill);
    return one(&o, "POST", "/admin/auctions", b);
}

static int a_end(int argc, char **argv, const char *what)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(auction_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    char path[80];
    snprintf(path, sizeof path, "/admin/auctions/%lld/%s", id, what);
    return one(&o, "POST", path, NULL);
}

static int a_close(int argc, char **argv)
{
    return a_end(argc, argv, "close");
}
static int a_cancel(int argc, char **argv)
{
    return a_end(argc, argv, "cancel");
}

static const struct {
    const char *name;
    int (*run)(int, char **);
} subs[] = {
    {"list", a_list},     {"show", a_show},   {"bid", a_bid},
    {"create", a_create}, {"close", a_close}, {"cancel", a_cancel},
};

int cmd_auction(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(auction_usage, stdout);
            return CLI_OK;
        }
        return a_list(argc, argv);
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].name, argv[1]) == 0) return subs[i].run(argc - 1, argv + 1);
    return cli_usage_error(auction_usage, "unknown auction subcommand '%s'", argv[1]);
}
