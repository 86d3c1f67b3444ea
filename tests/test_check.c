/* test_check.c -- cets_check() finds each kind of broken invariant, and the
 * snapshot loader refuses a state that fails it.
 *
 * No command can break an invariant (the other tests check that after every
 * command), so this test breaks them by hand: it reads the engine's private
 * state (src/engine/internal.h), changes one field or one link, asserts the
 * violation cets_check() names, and puts the field back. The market has
 * something of everything that reserves: listings on both sides, a
 * continuous book, a block proposal, an auction with a bid, a pending
 * transfer, and a retirement (held = issued - retired).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/internal.h"
#include "tmethods.h"

typedef struct fx {
    tmarket m;
    uint32_t cea, cont, au, a, b;
    uint64_t bid_order, ask_order, proposal, auction, transfer;
} fx;

static fx F;

static int setup(void **state)
{
    (void)state;
    tm_init(&F.m, NULL);
    tmarket *m = &F.m;
    F.cea = tg_instrument(m, "CEA25", CETS_PRODUCT_CEA, 5000);
    F.cont = tm_instrument(m, "CEA26", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 6000);
    F.au = tg_party(m, CETS_PK_AUTHORITY, "MEE", 0);
    F.a = tg_party(m, CETS_PK_ENTITY, "alpha", 10000000000LL);
    F.b = tg_party(m, CETS_PK_INSTITUTION, "beta", 10000000000LL);
    tg_credit(m, F.a, F.cea, 500000);
    tg_credit(m, F.b, F.cont, 10000);
    cets_result r;
    TR_OK(m, tm_post(m, F.a, F.cea, CETS_SELL, 5100, 1000, &r));
    F.ask_order = r.order_id;
    TR_OK(m, tm_post(m, F.b, F.cea, CETS_BUY, 4900, 500, &r));
    F.bid_order = r.order_id;
    TR_OK(m, tm_post(m, F.b, F.cont, CETS_SELL, 6100, 300, NULL));
    TR_OK(m, tm_post(m, F.a, F.cont, CETS_BUY, 6100, 100, NULL)); /* trades */
    tm_at(m, 13, 30);
    TR_OK(m, tg_block(m, CETS_CMD_BLOCK_PROPOSE, F.a, F.cea, CETS_SELL, 5000, 100000, 0, F.b, &r));
    F.proposal = r.order_id;
    TR_OK(m, tg_auction(m, CETS_EXCHANGE_ID, F.a, F.cea, CETS_SELL, 100000, m->now,
                        m->now + 3600000000000LL, 0, 0, 0, &r));
    F.auction = r.order_id;
    TR_OK(m, tg_bid(m, F.b, F.auction, 5200, 20000, NULL));
    TR_OK(m, tg_transfer(m, F.a, F.a, F.b, F.cea, 700, 7, &r));
    F.transfer = r.order_id;
    TR_OK(m, tg_retire(m, F.a, F.a, F.cea, 300, "green fund|2026"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tm_free(&F.m);
    return 0;
}

/* cets_check() must fail naming rule; then the state is put back and it holds. */
static void expect_violation(const char *rule, const char *where)
{
    cets_check_report rep;
    int rc = cets_check(F.m.e, &rep);
    if (rc == 0) fail_msg("cets_check passed; expected \"%s\"", rule);
    assert_int_equal(rc, -1);
    assert_non_null(rep.rule);
    if (strcmp(rep.rule, rule) != 0)
        fail_msg("cets_check said \"%s\"; expected \"%s\"", rep.message, rule);
    assert_int_equal(strncmp(rep.message, rule, strlen(rule)), 0);
    if (where && !strstr(rep.message, where))
        fail_msg("\"%s\" does not say \"%s\"", rep.message, where);
}

static void expect_ok(void)
{
    cets_check_report rep;
    if (cets_check(F.m.e, &rep) != 0) fail_msg("%s", rep.message);
    assert_null(rep.rule);
    assert_string_equal(rep.message, "");
    assert_int_equal(cets_check(F.m.e, NULL), 0);
}

/* "participant 3" -- how a violation names where it is */
static const char *who(uint32_t pid)
{
    static char buf[4][32];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "participant %u", pid);
    return buf[k];
}

static order *order_of(uint64_t id)
{
    uint32_t slot = orders_find(F.m.e, id);
    assert_true(slot != 0);
    return &F.m.e->orders[slot];
}

static void test_a_sound_state_passes(void **state)
{
    (void)state;
    expect_ok();
    cets_totals t;
    cets_totals_get(F.m.e, &t);
    assert_true(t.retired[F.cea] == 300); /* the retirement is in, and counted */
}

static void test_funds(void **state)
{
    (void)state;
    cets_engine *e = F.m.e;
    participant *p = &e->parts[F.a];
    p->avail -= 1; /* money vanished */
    expect_violation("funds are not conserved", NULL);
    p->avail += 1;
    int64_t avail = p->avail;
    p->avail = -5;
    expect_violation("a participant's funds are negative", who(F.a));
    p->avail = avail;
    p->frozen += 1, p->avail -= 1; /* conserved, but frozen for nothing */
    expect_violation("frozen funds differ from the live reservations", who(F.a));
    p->frozen -= 1, p->avail += 1;
    e->deposits += 10;
    expect_violation("funds are not conserved", NULL);
    e->deposits -= 10;
    expect_ok();
}

static void test_holdings(void **state)
{
    (void)state;
    cets_engine *e = F.m.e;
    holding *h = engine_holding(e, F.a, F.cea);
    h->avail += 1;
    expect_violation("holdings are not conserved", "instrument 0");
    h->avail -= 1;
    e->inst[F.cea].retired -= 300; /* forget the retirement */
    expect_violation("holdings are not conserved", "retired 0");
    e->inst[F.cea].retired += 300;
    h->frozen += 1, h->avail -= 1;
    expect_violation("frozen holdings differ from the live reservations", "instrument 0");
    h->frozen -= 1, h->avail += 1;
    int64_t locked = engine_holding(e, F.a, F.cont)->locked;
    engine_holding(e, F.a, F.cont)->locked = -1;
    expect_violation("a holding is negative", "instrument 1");
    engine_holding(e, F.a, F.cont)->locked = locked;
    expect_ok();
}

/* Each kind of reservation counts: a changed one no longer matches frozen. */
static void test_reservations(void **state)
{
    (void)state;
    cets_engine *e = F.m.e;
    order *o = order_of(F.bid_order);
    o->reserved += 1;
    expect_violation("frozen funds differ from the live reservations", who(F.b));
    o->reserved -= 1;
    cets_block_info *b = &e->blocks[0];
    assert_int_equal(b->id, F.proposal);
    b->reserved -= 1;
    expect_violation("frozen holdings differ from the live reservations", who(F.a));
    b->reserved += 1;
    e->auctions[0].reserved += 1;
    expect_violation("frozen holdings differ from the live reservations", who(F.a));
    e->auctions[0].reserved -= 1;
    e->bids[0].reserved -= 1;
    expect_violation("frozen funds differ from the live reservations", who(F.b));
    e->bids[0].reserved += 1;
    e->transfers[0].qty += 1;
    expect_violation("frozen holdings differ from the live reservations", who(F.a));
    e->transfers[0].qty -= 1;
    /* what has ended reserves nothing */
    b->status = CETS_BLOCK_WITHDRAWN;
    expect_violation("a closed block still reserves", NULL);
    b->status = CETS_BLOCK_OPEN;
    e->auctions[0].status = CETS_AUCTION_CANCELLED;
    expect_violation("a closed auction still reserves", NULL);
    e->auctions[0].status = CETS_AUCTION_OPEN;
    o->reserved = -o->reserved;
    expect_violation("a reservation is negative", NULL);
    o->reserved = -o->reserved;
    expect_ok();
}

/* The books and the order index. */
static void test_books(void **state)
{
    (void)state;
    cets_engine *e = F.m.e;
    book *bk = &e->inst[F.cea].bk;
    e->gates[F.b].open_orders++;
    expect_violation("a participant's open orders disagree with the books", who(F.b));
    e->gates[F.b].open_orders--;
    level *l = &bk->bid.levels[book_index(bk, 4900)];
    l->qty += 1;
    expect_violation("a book level disagrees with its orders", "instrument 0 bid");
    l->qty -= 1;
    order *o = order_of(F.ask_order);
    orders_unindex(e, o->id);
    expect_violation("a resting order is not in the order index", NULL);
    assert_true(orders_index(e, o->id, (uint32_t)(o - e->orders)));
    e->nlive++;
    expect_violation("the order index holds orders that are on no book", NULL);
    e->nlive--;
    int32_t best = bk->ask.best;
    bk->ask.best = -1;
    expect_violation("a book's best level is not its best non-empty level", "instrument 0 ask");
    bk->ask.best = best;
    o->price += 1; /* on the 51.00 level, says 51.01 */
    expect_violation("a resting order is not on the level of its price", NULL);
    o->price -= 1;
    expect_ok();

    /* move the bid up to the ask's price: a crossed book, otherwise sound */
    order *bid = order_of(F.bid_order);
    uint32_t slot = (uint32_t)(bid - e->orders);
    book_remove(bk, e->orders, slot);
    int64_t price = bid->price;
    bid->price = 5100;
    book_insert(bk, e->orders, slot);
    expect_violation("a book is crossed", "instrument 0");
    book_remove(bk, e->orders, slot);
    bid->price = price;
    book_insert(bk, e->orders, slot);
    expect_ok();
}

/* The loader refuses a state that fails the check, naming the invariant,
 * even when every value is in range: here funds frozen for nothing, which
 * the loader's range checks alone let through. */
static void test_snapshot_refuses_a_broken_state(void **state)
{
    (void)state;
    cets_engine *e = F.m.e;
    participant *p = &e->parts[F.b];
    p->frozen += 100, p->avail -= 100;
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(e, &buf, &len), 0);
    p->frozen -= 100, p->avail += 100;
    const char *err = NULL;
    cets_engine *bad = cets_snapshot_load(buf, len, &err);
    assert_null(bad);
    assert_non_null(err);
    assert_string_equal(err, "frozen funds differ from the live reservations");
    free(buf);
    /* the sound state loads, and checks */
    assert_int_equal(cets_snapshot_save(e, &buf, &len), 0);
    cets_engine *good = cets_snapshot_load(buf, len, &err);
    assert_non_null(good);
    assert_int_equal(cets_check(good, NULL), 0);
    assert_int_equal(cets_state_hash(good), cets_state_hash(e));
    cets_engine_free(good);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_sound_state_passes),
        cmocka_unit_test(test_funds),
        cmocka_unit_test(test_holdings),
        cmocka_unit_test(test_reservations),
        cmocka_unit_test(test_books),
        cmocka_unit_test(test_snapshot_refuses_a_broken_state),
    };
    return cmocka_run_group_tests_name("check", tests, setup, teardown);
}
