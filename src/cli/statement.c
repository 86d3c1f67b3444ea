/* statement.c -- a participant's settlement statement (结算单) for a day.
 *
 * The figures are the engine's (cets_statement_get) and the trades are the
 * closed day's trades that name the participant as buyer or seller
 * (cets_trades_foreach). The printer also checks the statement against
 * itself: opening funds + deposits - withdrawals - bought + sold - fees must
 * equal closing funds, and the trades listed must number and sum as the
 * statement says. A statement that does not add up says so in print: it is
 * the first thing a participant would check.
 */
#include <string.h>

#include "cli.h"

const char *kind_name(int kind, bool chinese)
{
    switch (kind) {
    case CETS_PK_EXCHANGE: return chinese ? "交易所" : "exchange";
    case CETS_PK_AUTHORITY: return chinese ? "主管部门" : "authority";
    case CETS_PK_ENTITY: return chinese ? "重点排放单位" : "compliance entity";
    case CETS_PK_INSTITUTION: return chinese ? "机构" : "institution";
    case CETS_PK_INDIVIDUAL: return chinese ? "个人" : "individual";
    default: return chinese ? "未知" : "unknown";
    }
}

const char *method_name(int method, bool chinese)
{
    switch (method) {
    case CETS_METHOD_LISTING: return chinese ? "挂牌" : "listing";
    case CETS_METHOD_BLOCK: return chinese ? "大宗" : "block";
    case CETS_METHOD_AUCTION: return chinese ? "竞价" : "auction";
    default: return chinese ? "未知" : "unknown";
    }
}

typedef struct stmt_trades {
    const cets_engine *e;
    uint32_t pid;
    FILE *f;
    bool json;
    table *t;
    uint32_t count;
    int64_t bought, sold, fees; /* to check against the statement */
} stmt_trades;

static void trade_row(void *ctx, const cets_trade *tr)
{
    stmt_trades *s = ctx;
    if (tr->buyer != s->pid && tr->seller != s->pid) return;
    bool buy = tr->buyer == s->pid;
    int64_t fee = buy ? tr->buyer_fee : tr->seller_fee;
    s->count++;
    *(buy ? &s->bought : &s->sold) += tr->value;
    s->fees += fee;
    cets_instrument_info ii;
    if (cets_instrument_get(s->e, tr->instrument, &ii) != 0)
        snprintf(ii.code, sizeof ii.code, "#%u", tr->instrument);
    int32_t tz = cets_engine_config(s->e)->tz_offset_min;
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN], d[FMT_LEN];
    if (s->json) {
        fprintf(s->f,
                "{\"type\":\"statement_trade\",\"participant\":%u,\"trade_id\":%llu,"
                "\"seq\":%llu,\"time\":\"%s\",\"code\":",
                s->pid, (unsigned long long)tr->trade_id, (unsigned long long)tr->seq,
                fmt_tod(tr->ts, tz, a));
        json_quote(s->f, ii.code);
        fprintf(s->f,
                ",\"method\":\"%s\",\"side\":\"%s\",\"price\":%s,\"qty\":%lld,\"value\":%s,"
                "\"fee\":%s,\"counterparty\":%u}\n",
                method_name(tr->method, false), buy ? "buy" : "sell", fmt_json_money(tr->price, b),
                (long long)tr->qty, fmt_json_money(tr->value, c), fmt_json_money(fee, d),
                buy ? tr->seller : tr->buyer);
        return;
    }
    char(*r)[FMT_LEN] = table_row(s->t, false);
    snprintf(r[0], FMT_LEN, "%llu", (unsigned long long)tr->trade_id);
    fmt_tod(tr->ts, tz, r[1]);
    snprintf(r[2], FMT_LEN, "%s", ii.code);
    snprintf(r[3], FMT_LEN, "%s", method_name(tr->method, true));
    snprintf(r[4], FMT_LEN, "%s", buy ? "买 Buy" : "卖 Sell");
    fmt_price(tr->price, r[5]);
    fmt_int(tr->qty, r[6]);
    fmt_money(tr->value, r[7]);
    fmt_money(fee, r[8]);
    snprintf(r[9], FMT_LEN, "%u", buy ? tr->seller : tr->buyer);
}

static void fee_sum(void *ctx, const cets_trade *tr)
{
    *(int64_t *)ctx += tr->buyer_fee + tr->seller_fee;
}

/* The exchange's account also receives every fee of the day, which is no
 * item of a trader's statement: it is shown, summed from the day's trades. */
static void funds_print(FILE *f, const cets_engine *e, const cets_statement *st)
{
    static const tcol cols[] = {{"项目", "Item", true}, {"金额(元)", "Amount (CNY)", false}};
    int64_t income = 0;
    bool exchange = st->participant == CETS_EXCHANGE_ID;
    if (exchange) cets_trades_foreach(e, true, fee_sum, &income);
    const struct {
        const char *name;
        int64_t v;
    } items[] = {
        {"期初资金 Opening funds", st->funds_open}, {"入金 Deposits", st->deposits},
        {"出金 Withdrawals", -st->withdrawals},     {"买入成交额 Bought", -st->bought_value},
        {"卖出成交额 Sold", st->sold_value},        {"手续费 Fees", -st->fees},
        {"手续费收入 Fee income", income},          {"期末资金 Closing funds", st->funds_close},
    };
    table t;
    table_init(&t, cols, 2);
    for (int i = 0; i < 8; i++) {
        if (i == 6 && !exchange) continue;
        char(*r)[FMT_LEN] = table_row(&t, i == 7);
        snprintf(r[0], FMT_LEN, "%s", items[i].name);
        fmt_money(items[i].v, r[1]);
    }
    fprintf(f, "资金 Funds\n\n");
    table_print(f, &t, 2);
    table_free(&t);
    int64_t expect = st->funds_open + st->deposits - st->withdrawals - st->bought_value +
                     st->sold_value - st->fees + income;
    char a[FMT_LEN];
    if (expect == st->funds_close)
        fprintf(f,
                "  核对 Check: 期初 + 入金 - 出金 - 买入 + 卖出 - 手续费%s = 期末 "
                "opening + in - out - bought + sold - fees%s = closing: ok\n\n",
                exchange ? " + 收入" : "", exchange ? " + income" : "");
    else
        fprintf(f, "  核对 Check: MISMATCH: the items add up to %s, not to the closing funds\n\n",
                fmt_money(expect, a));
}

static void holdings_print(FILE *f, const cets_engine *e, const cets_statement *st)
{
    static const tcol cols[] = {
        {"代码", "Code", true},           {"期初持仓", "Opening (t)", false},
        {"买入量", "Bought (t)", false},  {"买入额(元)", "Bought (CNY)", false},
        {"卖出量", "Sold (t)", false},    {"卖出额(元)", "Sold (CNY)", false},
        {"其他变动", "Other (t)", false}, {"期末持仓", "Closing (t)", false},
    };
    table t;
    table_init(&t, cols, 8);
    for (uint32_t i = 0; i < st->nlines && i < CETS_MAX_INSTRUMENTS; i++) {
        const cets_statement_line *l = &st->lines[i];
        cets_instrument_info ii;
        char(*r)[FMT_LEN] = table_row(&t, false);
        if (cets_instrument_get(e, l->instrument, &ii) == 0)
            snprintf(r[0], FMT_LEN, "%s", ii.code);
        else
            snprintf(r[0], FMT_LEN, "#%u", l->instrument);
        fmt_int(l->open_qty, r[1]);
        fmt_int(l->bought_qty, r[2]);
        fmt_money(l->bought_value, r[3]);
        fmt_int(l->sold_qty, r[4]);
        fmt_money(l->sold_value, r[5]);
        /* issuance, allocation, surrender: what trading does not explain */
        fmt_int(l->close_qty - l->open_qty - l->bought_qty + l->sold_qty, r[6]);
        fmt_int(l->close_qty, r[7]);
    }
    fprintf(f, "持仓 Holdings\n\n");
    if (st->nlines)
        table_print(f, &t, 2);
    else
        fprintf(f, "  (无 none)\n");
    table_free(&t);
    fputc('\n', f);
}

static void statement_text(FILE *f, const cets_engine *e, const cets_statement *st,
                           const cets_participant_info *pi)
{
    static const tcol trade_cols[] = {
        {"成交编号", "Trade", false},
        {"时间", "Time", true},
        {"代码", "Code", true},
        {"方式", "Method", true},
        {"方向", "Side", true},
        {"价格", "Price", false},
        {"数量(吨)", "Qty (t)", false},
        {"成交额(元)", "Value (CNY)", false},
        {"手续费(元)", "Fee (CNY)", false},
        {"对手方", "Counterparty", false},
    };
    char d[FMT_LEN];
    fprintf(f, "结算单 Settlement Statement\n");
    fprintf(f, "交易日 Trading date: %s %s %s\n", fmt_date(st->date, d),
            cal_weekday_name(st->date, true), cal_weekday_name(st->date, false));
    fprintf(f, "参与人 Participant: %u  %s  (%s %s)\n\n", st->participant, pi->name,
            kind_name(pi->kind, true), kind_name(pi->kind, false));
    funds_print(f, e, st);
    holdings_print(f, e, st);
    table t;
    table_init(&t, trade_cols, 10);
    stmt_trades s = {.e = e, .pid = st->participant, .f = f, .t = &t};
    cets_trades_foreach(e, true, trade_row, &s);
    fprintf(f, "成交明细 Trades (%u)\n\n", s.count);
    if (s.count)
        table_print(f, &t, 2);
    else
        fprintf(f, "  (无 none)\n");
    table_free(&t);
    if (s.count != st->ntrades || s.bought != st->bought_value || s.sold != st->sold_value ||
        s.fees != st->fees)
        fprintf(f,
                "\n  核对 Check: MISMATCH: the trades listed (%u) do not add up to the "
                "statement (%u trades)\n",
                s.count, st->ntrades);
    fputc('\n', f);
}

static void statement_json(FILE *f, const cets_engine *e, const cets_statement *st,
                           const cets_participant_info *pi)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN], d[FMT_LEN];
    fprintf(f, "{\"type\":\"statement\",\"date\":%d,\"participant\":%u,\"name\":", st->date,
            st->participant);
    json_quote(f, pi->name);
    fprintf(f, ",\"kind\":\"%s\",\"funds_open\":%s,\"funds_close\":%s", kind_name(pi->kind, false),
            fmt_json_money(st->funds_open, a), fmt_json_money(st->funds_close, b));
    fprintf(f, ",\"deposits\":%s,\"withdrawals\":%s", fmt_json_money(st->deposits, a),
            fmt_json_money(st->withdrawals, b));
    fprintf(f, ",\"bought_value\":%s,\"sold_value\":%s,\"fees\":%s,\"trades\":%u,\"holdings\":[",
            fmt_json_money(st->bought_value, a), fmt_json_money(st->sold_value, b),
            fmt_json_money(st->fees, c), st->ntrades);
    for (uint32_t i = 0; i < st->nlines && i < CETS_MAX_INSTRUMENTS; i++) {
        const cets_statement_line *l = &st->lines[i];
        cets_instrument_info ii;
        if (cets_instrument_get(e, l->instrument, &ii) != 0)
            snprintf(ii.code, sizeof ii.code, "#%u", l->instrument);
        fprintf(f, "%s{\"code\":", i ? "," : "");
        json_quote(f, ii.code);
        fprintf(f,
                ",\"open\":%lld,\"close\":%lld,\"bought\":%lld,\"bought_value\":%s,"
                "\"sold\":%lld,\"sold_value\":%s}",
                (long long)l->open_qty, (long long)l->close_qty, (long long)l->bought_qty,
                fmt_json_money(l->bought_value, c), (long long)l->sold_qty,
                fmt_json_money(l->sold_value, d));
    }
    fprintf(f, "]}\n");
    stmt_trades s = {.e = e, .pid = st->participant, .f = f, .json = true};
    cets_trades_foreach(e, true, trade_row, &s);
}

int statement_print(FILE *f, const cets_engine *e, uint32_t participant, bool json)
{
    static cets_statement st; /* large: 64 lines */
    cets_participant_info pi;
    if (cets_participant_get(e, participant, &pi) != 0) {
        fprintf(stderr, "cets: no participant %u (participants are 1 to %u)\n", participant,
                cets_participant_count(e));
        return -1;
    }
    if (cets_statement_get(e, participant, &st) != 0) {
        fprintf(stderr, "cets: no statement for participant %u: no trading day closed yet\n",
                participant);
        return -1;
    }
    if (json)
        statement_json(f, e, &st, &pi);
    else
        statement_text(f, e, &st, &pi);
    return 0;
}
