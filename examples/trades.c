/* trades.c -- the cets engine embedded: a few orders, and the trades they make.
 *
 * Two ways in. First the full engine through cets_apply(): a listing
 * instrument, two participants with money and allowances, a sell listing,
 * a take and a rejected order, with the trades printed from the listener's
 * events. Then the plain order book of lob.h: a continuous book in a price
 * range, orders by owner, trades through a callback.
 *
 * Build against the installed library (docs/engine.md):
 *     cc -o trades trades.c $(pkg-config --cflags --libs cets)
 */
#include <stdio.h>
#include <string.h>

#include <cets/cets.h>
#include <cets/lob.h>

static void on_event(void *ctx, const cets_event *ev)
{
    (void)ctx;
    char price[24], value[24];
    if (ev->type == CETS_EV_TRADE) {
        const cets_trade *t = &ev->u.trade;
        printf("trade %llu: %lld t at %s, value %s, buyer %u seller %u\n",
               (unsigned long long)t->trade_id, (long long)t->qty, cets_fmt_money(t->price, price),
               cets_fmt_money(t->value, value), t->buyer, t->seller);
    }
}

static uint64_t seq;

/* Every command carries the next sequence number and a time (here: 10:00). */
static int apply(cets_engine *e, cets_cmd c, cets_result *r)
{
    c.seq = ++seq;
    c.ts = cets_time_at(cets_trading_date(e), 10, 0, 480);
    return cets_apply(e, &c, r);
}

static void engine_example(void)
{
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = 20261130; /* a Monday */
    cets_engine *e = cets_engine_new(&cfg);
    cets_engine_set_listener(e, on_event, NULL);
    cets_result r;
    cets_cmd add = {.type = CETS_CMD_INSTRUMENT_ADD,
                    .actor = CETS_EXCHANGE_ID,
                    .aux = CETS_PRODUCT_CEA,
                    .flags = CETS_MATCH_LISTING,
                    .price = 5123};
    strcpy(add.u.text, "CEA25");
    apply(e, add, &r);
    uint32_t cea = r.id;
    cets_cmd who = {
        .type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = CETS_PK_ENTITY};
    strcpy(who.u.text, "seller");
    apply(e, who, &r);
    uint32_t seller = r.id;
    strcpy(who.u.text, "buyer");
    apply(e, who, &r);
    uint32_t buyer = r.id;
    apply(e,
          (cets_cmd){.type = CETS_CMD_HOLDING_CREDIT,
                     .actor = CETS_EXCHANGE_ID,
                     .participant = seller,
                     .instrument = cea,
                     .qty = 1000},
          NULL);
    apply(e,
          (cets_cmd){.type = CETS_CMD_DEPOSIT,
                     .actor = CETS_EXCHANGE_ID,
                     .participant = buyer,
                     .qty = 10000000 /* 100,000.00 CNY */},
          NULL);

    apply(e,
          (cets_cmd){.type = CETS_CMD_POST,
                     .actor = seller,
                     .participant = seller,
                     .instrument = cea,
                     .side = CETS_SELL,
                     .price = 5150,
                     .qty = 500},
          &r);
    uint64_t listing = r.order_id;
    printf("listing %llu: sell 500 t at 51.50\n", (unsigned long long)listing);
    cets_cmd take = {.type = CETS_CMD_TAKE,
                     .actor = buyer,
                     .participant = buyer,
                     .instrument = cea,
                     .side = CETS_BUY,
                     .ntargets = 1};
    take.u.targets[0] = (cets_target){listing, 200};
    apply(e, take, &r);
    printf("take: filled %lld t\n", (long long)r.filled_qty);

    cets_cmd far = {.type = CETS_CMD_POST,
                    .actor = buyer,
                    .participant = buyer,
                    .instrument = cea,
                    .side = CETS_BUY,
                    .price = 6000,
                    .qty = 10};
    char msg[160];
    int rc = apply(e, far, &r);
    printf("rejected: %s: %s\n", cets_reason_name(rc),
           cets_reject_message(e, &far, rc, msg, sizeof msg));

    cets_participant_info p;
    cets_participant_get(e, buyer, &p);
    char money[24];
    printf("buyer: available %s CNY\n", cets_fmt_money(p.available, money));
    cets_check_report rep;
    printf("invariants: %s\n", cets_check(e, &rep) == 0 ? "ok" : rep.message);
    cets_engine_free(e);
}

static void on_lob_trade(void *ctx, uint64_t maker, uint64_t taker, int64_t price, int64_t qty)
{
    (void)ctx;
    printf("lob trade: %lld at %lld, maker %llu taker %llu\n", (long long)qty, (long long)price,
           (unsigned long long)maker, (unsigned long long)taker);
}

static void lob_example(void)
{
    cets_lob *lob = cets_lob_new(1, 100000, on_lob_trade, NULL);
    cets_lob_add(lob, CETS_SELL, 5000, 10, 1);
    cets_lob_add(lob, CETS_SELL, 5002, 10, 2);
    cets_lob_add(lob, CETS_BUY, 5002, 15, 3); /* takes 10 at 5000, then 5 at 5002 */
    int64_t bid, ask;
    cets_lob_best(lob, &bid, &ask);
    printf("lob best: bid %lld ask %lld\n", (long long)bid, (long long)ask);
    if (!cets_lob_add(lob, CETS_BUY, 5002, 1, 2)) /* owner 2 would trade with itself */
        printf("lob rejected: %s\n", cets_reason_name(cets_lob_last_error(lob)));
    cets_lob_free(lob);
}

int main(void)
{
    engine_example();
    lob_example();
    return 0;
}
