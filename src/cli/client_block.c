/* client_block.c -- `cets block ...`: block agreements (大宗协议) through
 * cetsd: the board's quotes, direct proposals, counter-proposals, accept,
 * decline, withdraw, and a negotiation's history.
 *
 * Accepting repeats the proposal's terms with the opposite side (the engine
 * refuses anything else, terms_mismatch): the command reads them from the
 * board first, so a person types only the id, and --price/--qty may be given
 * to make sure the terms are the ones read (a proposal's terms never change,
 * but an id mistyped would accept another one). The rules -- 13:00 to 15:00,
 * 100,000 t at least, +/-30% of the previous close -- are the engine's.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

const char block_usage[] =
    "usage: cets block [list]                          the board's quotes and my negotiations\n"
    "       cets block quote CODE buy|sell PRICE QTY      a quote on the board (reserves nothing)\n"
    "       cets block propose CODE buy|sell PRICE QTY --to PARTICIPANT\n"
    "                                                     a direct proposal (reserves at once)\n"
    "       cets block counter ID PRICE QTY               answer a quote or proposal with my "
    "terms\n"
    "       cets block accept ID [--price P --qty Q]      accept a proposal addressed to me: it "
    "trades\n"
    "       cets block decline ID\n"
    "       cets block withdraw ID                        my own quote or proposal\n"
    "       cets block history ID                         every step of the negotiation of ID\n"
    "Role trade. Blocks trade 13:00-15:00 on a trading day, at least 100,000 t, within\n"
    "+/-30% of the previous close; fees 0.05% each side.\n" CL_COMMON_USAGE;

static const tcol block_cols[] = {
    {"编号", "Id", false},     {"类型", "Type", true},      {"代码", "Code", true},
    {"方向", "Side", true},    {"价格", "Price", false},    {"数量(吨)", "Qty (t)", false},
    {"发起方", "From", false}, {"对手方", "To", false},     {"回应", "Answers", false},
    {"状态", "Status", true},  {"冻结", "Reserved", false}, {CL_TIME_HEAD, true},
    {"成交号", "Trade", false}};

static const char *status_label(const char *s)
{
    static const char *const names[][2] = {{"open", "有效 open"},
                                           {"accepted", "已成交 accepted"},
                                           {"declined", "已拒绝 declined"},
                                           {"withdrawn", "已撤回 withdrawn"},
                                           {"countered", "已还价 countered"},
                                           {"lapsed", "已失效 lapsed"},
                                           {"closed", "已关闭 closed"}};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], s) == 0) return names[i][1];
    return s ? s : "-";
}

static void block_row(table *t, const json_t *b)
{
    char(*r)[FMT_LEN] = table_row(t, false);
    cl_cell(r[0], b, "id");
    snprintf(r[1], FMT_LEN, "%s",
             strcmp(cl_str(b, "type"), "quote") == 0 ? "报价 quote" : "意向 proposal");
    cl_cell(r[2], b, "code");
    cl_cell(r[3], b, "side");
    cl_cell(r[4], b, "price");
    cl_qty_cell(r[5], b, "qty");
    cl_cell(r[6], b, "owner");
    cl_cell(r[7], b, "counterparty");
    cl_cell(r[8], b, "answers");
    snprintf(r[9], FMT_LEN, "%s", status_label(json_string_value(json_object_get(b, "status"))));
    /* funds (buy, fen) or tonnes (sell) */
    long long res = json_integer_value(json_object_get(b, "reserved"));
    if (!res)
        snprintf(r[10], FMT_LEN, "-");
    else if (strcmp(cl_str(b, "side"), "buy") == 0)
        fmt_money(res, r[10]);
    else
        snprintf(r[10], FMT_LEN, "%s t", fmt_int(res, (char[FMT_LEN]){0}));
    cl_time_cell(r[11], b, "ts");
    cl_cell(r[12], b, "trade_id");
}

static void blocks_print(const json_t *list)
{
    table t;
    table_init(&t, block_cols, 13);
    for (size_t i = 0; i < json_array_size(list); i++) block_row(&t, json_array_get(list, i));
    table_print(stdout, &t, 0);
    table_free(&t);
    if (!json_array_size(list)) puts("(no quotes or proposals today)");
}

static void block_print_one(const json_t *b)
{
    json_t *one = json_array();
    json_array_append(one, (json_t *)b);
    blocks_print(one);
    json_decref(one);
}

static int answer_one(const cl_opts *o, const char *method, const char *path, json_t *body)
{
    json_t *a;
    int rc = cl_call(o, method, path, body, &a);
    if (rc) return rc;
    if (!o->json) block_print_one(a);
    json_decref(a);
    return CLI_OK;
}

/* The day's quotes and proposals the caller may see; NULL after an error. */
static json_t *board(const cl_opts *o)
{
    cl_opts quiet = *o;
    quiet.json = false; /* read for ourselves, not printed */
    json_t *a;
    return cl_call(&quiet, "GET", "/blocks", NULL, &a) == CLI_OK ? a : NULL;
}

static const json_t *find(const json_t *list, long long id)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *b = json_array_get(list, i);
        if (json_integer_value(json_object_get(b, "id")) == id) return b;
    }
    return NULL;
}

static const char *other_side(const char *s)
{
    return strcmp(s, "buy") == 0 ? "sell" : "buy";
}

static bool side_arg(const char *s)
{
    if (strcmp(s, "buy") == 0 || strcmp(s, "sell") == 0) return true;
    cli_usage_error(block_usage, "side is buy or sell, not '%s'", s);
    return false;
}

static bool id_arg(const char *s, long long *id)
{
    return cl_qty_arg(block_usage, "block id", s, 1, INT64_MAX, id);
}

static int b_list(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(block_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/blocks", NULL, &a))) return rc;
    if (!o.json) blocks_print(a);
    json_decref(a);
    return CLI_OK;
}

/* quote / propose: CODE SIDE PRICE QTY */
static json_t *terms(const char *const *pos)
{
    long long qty;
    if (!side_arg(pos[1]) || !cl_amount_arg(block_usage, "price", pos[2]) ||
        !cl_qty_arg(block_usage, "quantity", pos[3], 1, 10000000000LL, &qty))
        return NULL;
    return json_pack("{s:s,s:s,s:s,s:I}", "code", pos[0], "side", pos[1], "price", pos[2], "qty",
                     (json_int_t)qty);
}

static int b_quote(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[4];
    int rc = cl_parse(block_usage, argc, argv, &o, NULL, 0, pos, 4, 4);
    if (rc >= 0) return rc;
    json_t *b = terms(pos);
    return b ? answer_one(&o, "POST", "/blocks/quotes", b) : CLI_USAGE;
}

static int b_propose(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[4], *to = NULL;
    cli_flag extra[] = {{"--to", ARG_STR, &to, 0, 0}};
    int rc = cl_parse(block_usage, argc, argv, &o, extra, 1, pos, 4, 4);
    if (rc >= 0) return rc;
    long long cp;
    if (!to) return cli_usage_error(block_usage, "propose needs --to PARTICIPANT");
    if (!cl_pid_arg(block_usage, to, &cp)) return CLI_USAGE;
    json_t *b = terms(pos);
    if (!b) return CLI_USAGE;
    json_object_set_new(b, "counterparty", json_integer(cp));
    return answer_one(&o, "POST", "/blocks/proposals", b);
}

static int b_counter(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3];
    int rc = cl_parse(block_usage, argc, argv, &o, NULL, 0, pos, 3, 3);
    if (rc >= 0) return rc;
    long long id, qty;
    if (!id_arg(pos[0], &id) || !cl_amount_arg(block_usage, "price", pos[1]) ||
        !cl_qty_arg(block_usage, "quantity", pos[2], 1, 10000000000LL, &qty))
        return CLI_USAGE;
    json_t *list = board(&o);
    if (!list) return CLI_FAIL;
    const json_t *was = find(list, id);
    if (!was) {
        json_decref(list);
        cl_error(&o, "unknown_block", "no quote or proposal %lld today", id);
        return CLI_FAIL;
    }
    json_t *b = json_pack("{s:O,s:s,s:s,s:I,s:I}", "code", json_object_get(was, "code"), "side",
                          other_side(cl_str(was, "side")), "price", pos[1], "qty", (json_int_t)qty,
                          "answers", (json_int_t)id);
    json_decref(list);
    return answer_one(&o, "POST", "/blocks/proposals", b);
}

static int b_accept(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1], *price = NULL;
    int64_t qty = 0;
    cli_flag extra[] = {{"--price", ARG_STR, &price, 0, 0},
                        {"--qty", ARG_INT, &qty, 1, 10000000000LL}};
    int rc = cl_parse(block_usage, argc, argv, &o, extra, 2, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!id_arg(pos[0], &id) || (price && !cl_amount_arg(block_usage, "--price", price)))
        return CLI_USAGE;
    json_t *list = board(&o);
    if (!list) return CLI_FAIL;
    const json_t *p = find(list, id);
    if (!p) {
        json_decref(list);
        cl_error(&o, "unknown_block", "no proposal %lld addressed to you today", id);
        return CLI_FAIL;
    }
    /* the terms read, or the ones the person insists on (then the engine
     * compares them) */
    json_t *b = json_pack("{s:O,s:s,s:s,s:I}", "code", json_object_get(p, "code"), "side",
                          other_side(cl_str(p, "side")), "price",
                          price ? price : json_string_value(json_object_get(p, "price")), "qty",
                          (json_int_t)(qty ? qty : json_integer_value(json_object_get(p, "qty"))));
    json_decref(list);
    char path[64];
    snprintf(path, sizeof path, "/blocks/%lld/accept", id);
    return answer_one(&o, "POST", path, b);
}

static int b_simple(int argc, char **argv, const char *method, const char *what)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(block_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    char path[64];
    snprintf(path, sizeof path, "/blocks/%lld%s", id, what);
    return answer_one(&o, method, path, NULL);
}

static int b_decline(int argc, char **argv)
{
    return b_simple(argc, argv, "POST", "/decline");
}
static int b_withdraw(int argc, char **argv)
{
    return b_simple(argc, argv, "DELETE", "");
}

/* Does b descend from root (through "answers")? */
static bool in_chain(const json_t *list, const json_t *b, long long root)
{
    for (int depth = 0; b && depth < 1000; depth++) {
        long long id = json_integer_value(json_object_get(b, "id"));
        if (id == root) return true;
        const json_t *up = json_object_get(b, "answers");
        if (!json_is_integer(up)) return false;
        b = find(list, json_integer_value(up));
    }
    return false;
}

static int b_history(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(block_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    json_t *list = board(&o);
    if (!list) return CLI_FAIL;
    const json_t *b = find(list, id);
    if (!b) {
        json_decref(list);
        cl_error(&o, "unknown_block", "no quote or proposal %lld today", id);
        return CLI_FAIL;
    }
    long long root = id; /* up to where it began */
    for (int depth = 0; b && depth < 1000; depth++) {
        root = json_integer_value(json_object_get(b, "id"));
        const json_t *up = json_object_get(b, "answers");
        b = json_is_integer(up) ? find(list, json_integer_value(up)) : NULL;
    }
    json_t *steps = json_array(); /* ids increase: the list is in order */
    for (size_t i = 0; i < json_array_size(list); i++)
        if (in_chain(list, json_array_get(list, i), root))
            json_array_append(steps, json_array_get(list, i));
    if (o.json) {
        json_dumpf(steps, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    } else {
        printf("大宗协议磋商 Negotiation from %lld (%zu steps)\n", root, json_array_size(steps));
        blocks_print(steps);
    }
    json_decref(steps);
    json_decref(list);
    return CLI_OK;
}

static const struct {
    const char *name;
    int (*run)(int, char **);
} subs[] = {
    {"list", b_list},     {"quote", b_quote},     {"propose", b_propose},   {"counter", b_counter},
    {"accept", b_accept}, {"decline", b_decline}, {"withdraw", b_withdraw}, {"history", b_history},
};

int cmd_block(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(block_usage, stdout);
            return CLI_OK;
        }
        return b_list(argc, argv);
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].name, argv[1]) == 0) return subs[i].run(argc - 1, argv + 1);
    return cli_usage_error(block_usage, "unknown block subcommand '%s'", argv[1]);
}
