/* client_trade.c -- trading through cetsd: post, take, modify, cancel, and
 * the caller's orders and fills.
 *
 * Prices go to the API as the user typed them (checked here only for shape,
 * so a typo is a usage error, exit 2); whether a price is inside the band or
 * on the tick is the engine's to judge, and its refusal comes back by name.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

const char post_usage[] =
    "usage: cets post CODE buy|sell PRICE QTY [--ioc] [--client-id ID]\n"
    "Post a listing (listing mode) or a limit order (continuous mode).\n" CL_COMMON_USAGE;
const char take_usage[] =
    "usage: cets take CODE buy|sell --listing ID:QTY [--listing ID:QTY ...]\n"
    "       cets take CODE buy|sell --qty N --limit PRICE\n"
    "Take listings of the other side by id (see `cets depth CODE`, at most 8),\n"
    "or by quantity up to a limit price, best price first. [--client-id ID]\n" CL_COMMON_USAGE;
const char modify_usage[] = "usage: cets modify ORDER_ID PRICE QTY\n"
                            "Replace an order's price and open quantity.\n" CL_COMMON_USAGE;
const char cancel_usage[] = "usage: cets cancel ORDER_ID\nCancel an order.\n" CL_COMMON_USAGE;
const char orders_usage[] = "usage: cets orders [--participant N]\n"
                            "Own live orders (an admin may name a participant).\n" CL_COMMON_USAGE;
const char order_usage[] = "usage: cets order ID\nOne own live order.\n" CL_COMMON_USAGE;
const char fills_usage[] = "usage: cets fills [--participant N]\n"
                           "Own trades today, newest first, with fees.\n" CL_COMMON_USAGE;

void cl_print_order_result(const json_t *r)
{
    static const cl_field f[] = {
        {"order_id", "委托号", "Order", false},
        {"client_order_id", "客户编号", "Client id", false},
        {"status", "状态", "Status", false},
        {"qty", "数量", "Qty", CF_QTY},
        {"filled_qty", "成交量", "Filled", CF_QTY},
        {"filled_value", "成交额", "Filled value", CF_MONEY},
        {"resting_qty", "挂单量", "Resting", CF_QTY},
        {"trades", "成交笔数", "Trades", false},
    };
    cl_print_fields(r, f, 8);
}

static bool side_ok(const char *s)
{
    return strcmp(s, "buy") == 0 || strcmp(s, "sell") == 0;
}

static int order_answer(const cl_opts *o, const char *method, const char *path, json_t *body)
{
    json_t *a;
    int rc = cl_call(o, method, path, body, &a);
    if (rc) return rc;
    if (!o->json) cl_print_order_result(a);
    json_decref(a);
    return CLI_OK;
}

int cmd_post(int argc, char **argv)
{
    cl_opts o = {0};
    bool ioc = false;
    const char *cid = NULL, *pos[4];
    cli_flag extra[] = {{"--ioc", ARG_BOOL, &ioc, 0, 0}, {"--client-id", ARG_STR, &cid, 0, 0}};
    int rc = cl_parse(post_usage, argc, argv, &o, extra, 2, pos, 4, 4);
    if (rc >= 0) return rc;
    long long qty;
    if (!side_ok(pos[1]))
        return cli_usage_error(post_usage, "side is buy or sell, not '%s'", pos[1]);
    if (!cl_amount_arg(post_usage, "price", pos[2])) return CLI_USAGE;
    if (!cl_qty_arg(post_usage, "quantity", pos[3], 1, INT32_MAX, &qty)) return CLI_USAGE;
    json_t *b = json_pack("{s:s,s:s,s:s,s:I}", "code", pos[0], "side", pos[1], "price", pos[2],
                          "qty", (json_int_t)qty);
    if (ioc) json_object_set_new(b, "tif", json_stringn("ioc", 3));
    if (cid) json_object_set_new(b, "client_order_id", json_stringn(cid, strlen(cid)));
    return order_answer(&o, "POST", "/orders", b);
}

/* "ID:QTY" as a take target; NULL when malformed. */
static json_t *target(const char *s)
{
    char idtxt[32];
    const char *colon = strchr(s, ':');
    long long id, q;
    size_t idlen = colon ? (size_t)(colon - s) : 0;
    if (!colon || idlen >= sizeof idtxt) return NULL;
    memcpy(idtxt, s, idlen);
    idtxt[idlen] = '\0';
    if (!cl_int_arg(idtxt, 1, INT64_MAX, &id) || !cl_int_arg(colon + 1, 1, INT32_MAX, &q))
        return NULL;
    return json_pack("{s:I,s:I}", "order_id", (json_int_t)id, "qty", (json_int_t)q);
}

int cmd_take(int argc, char **argv)
{
    /* --listing repeats with text values, which cli_parse does not know:
     * take them out of argv first, hand the rest to cl_parse. */
    const char *listing[16];
    int nl = 0, nrest = 0;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) return CLI_FAIL;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        if (i > 0 && strcmp(argv[i], "--listing") == 0) {
            if (i + 1 >= argc) {
                free(rest);
                return cli_usage_error(take_usage, "--listing needs ID:QTY");
            }
            v = argv[++i];
        } else if (i > 0 && strncmp(argv[i], "--listing=", 10) == 0) {
            v = argv[i] + 10;
        }
        if (!v) {
            rest[nrest++] = argv[i];
        } else if (nl == 16) {
            free(rest);
            return cli_usage_error(take_usage, "too many --listing");
        } else {
            listing[nl++] = v;
        }
    }
    cl_opts o = {0};
    int64_t qty = 0;
    const char *limit = NULL, *cid = NULL, *pos[2];
    cli_flag extra[] = {{"--qty", ARG_INT, &qty, 1, INT32_MAX},
                        {"--limit", ARG_STR, &limit, 0, 0},
                        {"--client-id", ARG_STR, &cid, 0, 0}};
    int rc = cl_parse(take_usage, nrest, rest, &o, extra, 3, pos, 2, 2);
    free(rest);
    if (rc >= 0) return rc;
    if (!side_ok(pos[1]))
        return cli_usage_error(take_usage, "side is buy or sell, not '%s'", pos[1]);
    if (nl && (qty || limit))
        return cli_usage_error(take_usage, "give --listing or --qty with --limit, not both");
    if (!nl && (!qty || !limit))
        return cli_usage_error(take_usage, "give --listing ID:QTY, or --qty N with --limit PRICE");
    if (limit && !cl_amount_arg(take_usage, "limit price", limit)) return CLI_USAGE;
    json_t *b = json_pack("{s:s,s:s}", "code", pos[0], "side", pos[1]);
    if (nl) {
        json_t *targets = json_array();
        json_object_set_new(b, "targets", targets);
        for (int i = 0; i < nl; i++) {
            json_t *t = target(listing[i]);
            if (!t) {
                json_decref(b);
                return cli_usage_error(take_usage, "--listing wants ID:QTY, not '%s'", listing[i]);
            }
            json_array_append_new(targets, t);
        }
    } else {
        json_object_set_new(b, "qty", json_integer(qty));
        json_object_set_new(b, "limit", json_stringn(limit, strlen(limit)));
    }
    if (cid) json_object_set_new(b, "client_order_id", json_stringn(cid, strlen(cid)));
    return order_answer(&o, "POST", "/takes", b);
}

static bool order_id_arg(const char *usage, const char *s, long long *id)
{
    if (cl_int_arg(s, 1, INT64_MAX, id)) return true;
    cli_usage_error(usage, "bad order id '%s'", s);
    return false;
}

int cmd_modify(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3];
    int rc = cl_parse(modify_usage, argc, argv, &o, NULL, 0, pos, 3, 3);
    if (rc >= 0) return rc;
    long long id, qty;
    if (!order_id_arg(modify_usage, pos[0], &id)) return CLI_USAGE;
    if (!cl_amount_arg(modify_usage, "price", pos[1])) return CLI_USAGE;
    if (!cl_qty_arg(modify_usage, "quantity", pos[2], 1, INT32_MAX, &qty)) return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", id);
    return order_answer(&o, "PATCH", path,
                        json_pack("{s:s,s:I}", "price", pos[1], "qty", (json_int_t)qty));
}

int cmd_cancel(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(cancel_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!order_id_arg(cancel_usage, pos[0], &id)) return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", id);
    json_t *a;
    if ((rc = cl_call(&o, "DELETE", path, NULL, &a))) return rc;
    if (!o.json) printf("order %lld cancelled\n", id);
    json_decref(a);
    return CLI_OK;
}

static const tcol order_cols[] = {
    {"委托号", "Order", false},
    {"代码", "Code", true},
    {"方向", "Side", true},
    {"价格", "Price", false},
    {"未成交", "Open qty", false},
    {"已成交", "Filled", false},
    {"成交额", "Filled value", false},
    {"有效期", "TIF", true},
    {"客户编号", "Client id", true},
    {CL_TIME_HEAD, true},
};

static void order_row(table *t, const json_t *e)
{
    char(*r)[FMT_LEN] = table_row(t, false);
    cl_cell(r[0], e, "order_id");
    cl_cell(r[1], e, "code");
    cl_cell(r[2], e, "side");
    cl_cell(r[3], e, "price");
    cl_qty_cell(r[4], e, "qty");
    cl_qty_cell(r[5], e, "filled_qty");
    cl_money_cell(r[6], e, "filled_value");
    cl_cell(r[7], e, "tif");
    cl_cell(r[8], e, "client_order_id");
    cl_time_cell(r[9], e, "ts");
}

/* base, plus "?participant=N" when given (an admin reading another). */
static void with_participant(char *path, size_t len, const char *base, int64_t p)
{
    if (p)
        snprintf(path, len, "%s?participant=%lld", base, (long long)p);
    else
        snprintf(path, len, "%s", base);
}

int cmd_orders(int argc, char **argv)
{
    cl_opts o = {0};
    int64_t part = 0;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX}};
    int rc = cl_parse(orders_usage, argc, argv, &o, extra, 1, NULL, 0, 0);
    if (rc >= 0) return rc;
    char path[64];
    with_participant(path, sizeof path, "/orders", part);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) {
        table t;
        table_init(&t, order_cols, 10);
        for (size_t i = 0; i < json_array_size(a); i++) order_row(&t, json_array_get(a, i));
        table_print(stdout, &t, 0);
        table_free(&t);
        if (!json_array_size(a)) puts("(no live orders)");
    }
    json_decref(a);
    return CLI_OK;
}

int cmd_order(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(order_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!order_id_arg(order_usage, pos[0], &id)) return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", id);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) {
        table t;
        table_init(&t, order_cols, 10);
        order_row(&t, a);
        table_print(stdout, &t, 0);
        table_free(&t);
    }
    json_decref(a);
    return CLI_OK;
}

int cmd_fills(int argc, char **argv)
{
    cl_opts o = {0};
    int64_t part = 0;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX}};
    int rc = cl_parse(fills_usage, argc, argv, &o, extra, 1, NULL, 0, 0);
    if (rc >= 0) return rc;
    char path[64];
    with_participant(path, sizeof path, "/fills", part);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) {
        static const tcol cols[] = {{"成交号", "Trade", false},
                                    {CL_TIME_HEAD, true},
                                    {"代码", "Code", true},
                                    {"方向", "Side", true},
                                    {"价格", "Price", false},
                                    {"数量(吨)", "Qty (t)", false},
                                    {"金额(元)", "Value (CNY)", false},
                                    {"手续费(元)", "Fee (CNY)", false},
                                    {"委托号", "Order", false},
                                    {"角色", "Liquidity", true},
                                    {"方式", "Method", true}};
        table t;
        table_init(&t, cols, 11);
        for (size_t i = 0; i < json_array_size(a); i++) {
            const json_t *e = json_array_get(a, i);
            char(*r)[FMT_LEN] = table_row(&t, false);
            cl_cell(r[0], e, "trade_id");
            cl_time_cell(r[1], e, "ts");
            cl_cell(r[2], e, "code");
            cl_cell(r[3], e, "side");
            cl_cell(r[4], e, "price");
            cl_qty_cell(r[5], e, "qty");
            cl_money_cell(r[6], e, "value");
            cl_money_cell(r[7], e, "fee");
            cl_cell(r[8], e, "order_id");
            cl_cell(r[9], e, "liquidity");
            snprintf(r[10], FMT_LEN, "%s",
                     cl_method_label(json_string_value(json_object_get(e, "method"))));
        }
        table_print(stdout, &t, 0);
        table_free(&t);
    }
    json_decref(a);
    return CLI_OK;
}
