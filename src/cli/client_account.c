/* client_account.c -- the caller's money and allowances: account,
 * statement-last, withdraw.
 *
 * `statement-last` is the API's statement of the last closed day; it has its
 * own name because `cets statement DIR PID` reads a data directory offline,
 * and a command that guessed between the two from its argument would turn a
 * mistyped directory into a network call.
 */
#include <string.h>

#include "client.h"

const char account_usage[] =
    "usage: cets account [--participant N]\n"
    "Funds and holdings (an admin may name a participant).\n" CL_COMMON_USAGE;
const char statement_last_usage[] =
    "usage: cets statement-last\n"
    "The settlement statement of the last closed day, from the server\n"
    "(offline, from a data directory: `cets statement DIR PID`).\n" CL_COMMON_USAGE;
const char withdraw_usage[] = "usage: cets withdraw AMOUNT [--participant N]\n"
                              "Withdraw funds (role funds), e.g. 1000.00.\n" CL_COMMON_USAGE;

void cl_print_account(const json_t *a)
{
    static const cl_field f[] = {
        {"participant", "会员号", "Participant", CF_TEXT},
        {"name", "名称", "Name", false},
        {"kind", "类型", "Kind", false},
        {"status", "状态", "Status", false},
        {"available", "可用资金", "Available", true},
        {"frozen", "冻结资金", "Frozen", true},
        {"unsettled", "未交收", "Unsettled", true},
        {"withdrawable", "可取资金", "Withdrawable", true},
        {"open_orders", "未成交委托", "Open orders", false},
        {"withdrawn", "本次取出", "Withdrawn", true},
    };
    cl_print_fields(a, f, json_object_get(a, "withdrawn") ? 10 : 9);
    const json_t *h = json_object_get(a, "holdings");
    if (!json_array_size(h)) return;
    static const tcol cols[] = {{"代码", "Code", true},
                                {"可用(吨)", "Available (t)", false},
                                {"冻结(吨)", "Frozen (t)", false},
                                {"锁定T+1(吨)", "Locked T+1 (t)", false}};
    table t;
    table_init(&t, cols, 4);
    for (size_t i = 0; i < json_array_size(h); i++) {
        const json_t *e = json_array_get(h, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], e, "code");
        cl_qty_cell(r[1], e, "available");
        cl_qty_cell(r[2], e, "frozen");
        cl_qty_cell(r[3], e, "locked");
    }
    fputc('\n', stdout);
    table_print(stdout, &t, 0);
    table_free(&t);
}

int cmd_account(int argc, char **argv)
{
    cl_opts o = {0};
    int64_t part = 0;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX}};
    int rc = cl_parse(account_usage, argc, argv, &o, extra, 1, NULL, 0, 0);
    if (rc >= 0) return rc;
    char path[64] = "/account";
    if (part) snprintf(path, sizeof path, "/account?participant=%lld", (long long)part);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) cl_print_account(a);
    json_decref(a);
    return CLI_OK;
}

int cmd_statement_last(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(statement_last_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/statement", NULL, &a))) return rc;
    if (!o.json) {
        static const cl_field f[] = {
            {"date", "日期", "Date", false},
            {"participant", "会员号", "Participant", false},
            {"funds_open", "期初资金", "Funds open", true},
            {"deposits", "入金", "Deposits", true},
            {"withdrawals", "出金", "Withdrawals", true},
            {"bought_value", "买入金额", "Bought", true},
            {"sold_value", "卖出金额", "Sold", true},
            {"fees", "手续费", "Fees", true},
            {"funds_close", "期末资金", "Funds close", true},
            {"trades", "成交笔数", "Trades", false},
        };
        cl_print_fields(a, f, 10);
        /* 登记变动 is what trading does not explain (allocations, surrenders,
         * retirements, transfers, issuance): with it each line adds up. */
        static const tcol cols[] = {{"代码", "Code", true},
                                    {"期初(吨)", "Opening (t)", false},
                                    {"买入量", "Bought (t)", false},
                                    {"买入额(元)", "Bought (CNY)", false},
                                    {"卖出量", "Sold (t)", false},
                                    {"卖出额(元)", "Sold (CNY)", false},
                                    {"登记变动", "Registry (t)", false},
                                    {"期末(吨)", "Closing (t)", false}};
        table t;
        table_init(&t, cols, 8);
        const json_t *lines = json_object_get(a, "lines");
        for (size_t i = 0; i < json_array_size(lines); i++) {
            const json_t *e = json_array_get(lines, i);
            char(*r)[FMT_LEN] = table_row(&t, false);
            cl_cell(r[0], e, "code");
            cl_qty_cell(r[1], e, "open_qty");
            cl_qty_cell(r[2], e, "bought_qty");
            cl_money_cell(r[3], e, "bought_value");
            cl_qty_cell(r[4], e, "sold_qty");
            cl_money_cell(r[5], e, "sold_value");
            cl_qty_cell(r[6], e, "registry_qty");
            cl_qty_cell(r[7], e, "close_qty");
        }
        fputc('\n', stdout);
        table_print(stdout, &t, 0);
        table_free(&t);
    }
    json_decref(a);
    return CLI_OK;
}

int cmd_withdraw(int argc, char **argv)
{
    cl_opts o = {0};
    int64_t part = 0;
    const char *pos[1];
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX}};
    int rc = cl_parse(withdraw_usage, argc, argv, &o, extra, 1, pos, 1, 1);
    if (rc >= 0) return rc;
    if (!cl_amount_arg(withdraw_usage, "amount", pos[0])) return CLI_USAGE;
    json_t *b = json_pack("{s:s}", "amount", pos[0]), *a;
    if (part) json_object_set_new(b, "participant", json_integer(part));
    if ((rc = cl_call(&o, "POST", "/withdrawals", b, &a))) return rc;
    if (!o.json) cl_print_account(a);
    json_decref(a);
    return CLI_OK;
}
