/* test_engine_fast.c -- the engine's fast paths keep its behaviour: the
 * order-id window (lookups, cancels of orders already gone, the window moving
 * and growing around an old order, its span limit, a snapshot restoring it,
 * a snapshot past the span limit refused),
 * the event mask (events of unwanted types are not built, DEPTH ranking only
 * with a depth consumer, state and results the same either way), and the
 * trade tape across chunks and with chunks cleared ahead by another thread, the batch apply equal to single applies, the
 * participant arrays growing with every row kept. White-box where a limit is too large to reach
 * through commands (the id span). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "../src/engine/internal.h"
#include "tmarket.h"

static uint32_t g_cea, g_a, g_b;

static void market(tmarket *m, const cets_config *cfg)
{
    tm_init(m, cfg);
    g_cea = tm_instrument(m, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 5000);
    g_a = tm_participant(m, CETS_PK_INSTITUTION, "a", 100000000000LL);
    g_b = tm_participant(m, CETS_PK_INSTITUTION, "b", 100000000000LL);
    tm_credit(m, g_a, g_cea, 10000000);
    tm_credit(m, g_b, g_cea, 10000000);
}

/* An old order stays findable while thousands of newer ones come and go
 * (the window moves and grows around it); ids never given, ids gone and id 0
 * are unknown, and a rejected cancel changes nothing. */
static void test_id_window_moves(void **state)
{
    (void)state;
    tmarket m;
    market(&m, NULL);
    cets_result r;
    assert_int_equal(tm_post(&m, g_a, g_cea, CETS_BUY, 4600, 5, &r), CETS_OK);
    uint64_t old = r.order_id;
    uint64_t last = 0, *live = malloc(7000 * sizeof *live);
    int nlive = 0;
    assert_non_null(live);
    for (int i = 0; i < 20000; i++) {
        assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, 5400 - i % 50, 1, &r), CETS_OK);
        last = r.order_id;
        if (i % 3)
            assert_int_equal(tm_cancel(&m, g_b, last), CETS_OK);
        else
            live[nlive++] = last;
    }
    assert_int_equal(m.e->idbase, old); /* the window starts at the oldest live order */
    assert_true(m.e->idcap >= 20001);
    cets_order_info info;
    assert_int_equal(cets_order_get(m.e, old, &info), CETS_OK);
    assert_int_equal(info.qty, 5);
    for (int i = 0; i < nlive; i++) assert_int_equal(cets_order_get(m.e, live[i], &info), CETS_OK);
    uint64_t h = cets_state_hash(m.e);
    assert_int_equal(tm_cancel(&m, g_b, last), CETS_UNKNOWN_ORDER);     /* cancelled above */
    assert_int_equal(tm_cancel(&m, g_b, last + 1), CETS_UNKNOWN_ORDER); /* not given yet */
    assert_int_equal(tm_cancel(&m, g_b, last + 100000000), CETS_UNKNOWN_ORDER);
    assert_int_equal(tm_cancel(&m, g_b, 0), CETS_UNKNOWN_ORDER);
    assert_int_equal(tm_cancel(&m, g_b, old), CETS_NOT_OWNER);
    assert_int_equal(cets_state_hash(m.e), h);
    assert_int_equal(tm_cancel(&m, g_a, old), CETS_OK);
    assert_int_equal(cets_order_get(m.e, old, &info), CETS_UNKNOWN_ORDER);
    for (int i = 0; i < nlive; i++) assert_int_equal(tm_cancel(&m, g_b, live[i]), CETS_OK);
    free(live);
    assert_null(tm_invariants(m.e));
    /* nothing live: the next window is made around the new ids only, small */
    uint32_t cap = m.e->idcap;
    for (uint32_t i = 0; i <= cap; i++) {
        assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, 5400, 1, &r), CETS_OK);
        assert_int_equal(tm_cancel(&m, g_b, r.order_id), CETS_OK);
    }
    assert_true(m.e->idbase > last);
    assert_true(m.e->idcap < cap);
    assert_int_equal(cets_order_get(m.e, old, &info), CETS_UNKNOWN_ORDER);
    assert_null(tm_invariants(m.e));
    tm_free(&m);
}

/* The span limit: an order idspan_max - 1 ids after the oldest live one is
 * accepted, one more is refused (CETS_CAPACITY, nothing changed) until the
 * old order ends. The real limit is 2^28 ids; the test lowers it. */
static void test_id_span_limit(void **state)
{
    (void)state;
    tmarket m;
    market(&m, NULL);
    m.e->idspan_max = 4096;
    cets_result r;
    assert_int_equal(tm_post(&m, g_a, g_cea, CETS_BUY, 4600, 5, &r), CETS_OK);
    uint64_t old = r.order_id;
    m.e->next_order_id = old + 4095; /* white-box: skip ids instead of posting 4,000 orders */
    assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, 5400, 1, &r), CETS_OK);
    assert_int_equal(r.order_id, old + 4095);
    uint64_t h = cets_state_hash(m.e);
    uint32_t live = m.e->nlive;
    assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, 5400, 1, &r), CETS_CAPACITY);
    assert_int_equal(cets_state_hash(m.e), h);
    assert_int_equal(m.e->nlive, live);
    assert_int_equal(m.e->next_order_id, old + 4096);
    assert_null(tm_invariants(m.e));
    assert_int_equal(tm_cancel(&m, g_a, old), CETS_OK);
    assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, 5400, 1, &r), CETS_OK);
    assert_int_equal(r.order_id, old + 4096);
    assert_null(tm_invariants(m.e));
    tm_free(&m);
}

/* The order pool doubles from its first 4,096 slots to 32,768 with 30,000
 * orders resting: every order stays as it was (the same state as a market
 * whose pool never grew), and once the pool is 2 MiB or more it lies on a
 * 2 MiB boundary (a copy into huge pages, not a realloc: orders.c). */
static void test_order_pool_growth(void **state)
{
    (void)state;
    cets_config cfg;
    cets_config_default(&cfg);
    tmarket m, big;
    market(&m, &cfg); /* order_capacity 4096 */
    assert_int_equal(m.e->capord, 4096);
    cfg.order_capacity = 1u << 15;
    market(&big, &cfg);
    cets_result r;
    for (int i = 0; i < 30000; i++) {
        int64_t px = 5100 + i % 300, qty = 1 + i % 7;
        assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, px, qty, &r), CETS_OK);
        assert_int_equal(tm_post(&big, g_b, g_cea, CETS_SELL, px, qty, &r), CETS_OK);
        if ((size_t)m.e->capord * sizeof(order) >= (size_t)2 << 20)
            assert_int_equal((uintptr_t)m.e->orders % ((uintptr_t)2 << 20), 0);
    }
    assert_int_equal(m.e->capord, 1u << 15);
    assert_int_equal(big.e->capord, 1u << 15);
    assert_int_equal(cets_state_hash(m.e), cets_state_hash(big.e));
    cets_order_info info;
    for (uint64_t id = r.order_id - 29999; id <= r.order_id; id++) {
        assert_int_equal(cets_order_get(m.e, id, &info), CETS_OK);
        assert_int_equal(info.qty, 1 + (int64_t)(id - (r.order_id - 29999)) % 7);
    }
    assert_null(tm_invariants(m.e));
    tm_free(&m);
    tm_free(&big);
}

/* A snapshot of a book whose ids are spread over a moved window loads into
 * the same state, with every order findable. */
static void test_id_window_snapshot(void **state)
{
    (void)state;
    tmarket m;
    market(&m, NULL);
    cets_result r;
    uint64_t keep[40];
    int nkeep = 0;
    for (int i = 0; i < 8000; i++) {
        assert_int_equal(tm_post(&m, i % 2 ? g_a : g_b, g_cea, i % 2 ? CETS_BUY : CETS_SELL,
                                 i % 2 ? 4700 + i % 90 : 5300 - i % 90, 1, &r),
                         CETS_OK);
        if (i % 200 == 0 && nkeep < 40)
            keep[nkeep++] = r.order_id;
        else
            assert_int_equal(tm_cancel(&m, i % 2 ? g_a : g_b, r.order_id), CETS_OK);
    }
    cets_engine *copy = tm_snapshot_copy(m.e);
    assert_null(tm_invariants(copy));
    for (int i = 0; i < nkeep; i++) {
        cets_order_info info;
        assert_int_equal(cets_order_get(copy, keep[i], &info), CETS_OK);
        assert_int_equal(info.order_id, keep[i]);
        assert_int_equal(cets_order_get(copy, keep[i] + 1, &info), CETS_UNKNOWN_ORDER);
    }
    cets_engine_free(copy);
    tm_free(&m);
}

/* Every 8-byte copy of from in buf becomes to; how many there were. */
static int patch_u64(unsigned char *buf, size_t len, uint64_t from, uint64_t to)
{
    int n = 0;
    for (size_t i = 0; i + 8 <= len; i++)
        if (memcmp(buf + i, &from, 8) == 0) {
            memcpy(buf + i, &to, 8);
            n++;
        }
    return n;
}

/* A snapshot whose two orders are `span` ids apart (its bytes changed: no
 * engine writes that), loaded. */
static cets_engine *load_spread(uint64_t span, const char **err)
{
    tmarket m;
    market(&m, NULL);
    const uint64_t x = 0x5a5a5a5a00ull; /* ids whose bytes appear nowhere else */
    m.e->next_order_id = x;
    cets_result r;
    assert_int_equal(tm_post(&m, g_a, g_cea, CETS_BUY, 4600, 5, &r), CETS_OK);
    assert_int_equal(tm_post(&m, g_b, g_cea, CETS_SELL, 5400, 1, &r), CETS_OK);
    assert_int_equal(r.order_id, x + 1);
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    assert_int_equal(patch_u64(buf, len, x + 2, x + span + 1), 1); /* next_order_id */
    assert_int_equal(patch_u64(buf, len, x + 1, x + span), 1);     /* the second order */
    cets_engine *e = cets_snapshot_load(buf, len, err);
    free(buf);
    tm_free(&m);
    return e;
}

/* The span limit on a snapshot's orders: ORDERS_ID_SPAN_MAX - 1 ids apart
 * they load, each findable; one more is refused, saying why. */
static void test_id_span_snapshot(void **state)
{
    (void)state;
    const char *err = NULL;
    const uint64_t x = 0x5a5a5a5a00ull;
    cets_engine *e = load_spread(ORDERS_ID_SPAN_MAX - 1, &err);
    if (!e) fail_msg("at the limit: %s", err);
    cets_order_info info;
    assert_int_equal(cets_order_get(e, x, &info), CETS_OK);
    assert_int_equal(cets_order_get(e, x + ORDERS_ID_SPAN_MAX - 1, &info), CETS_OK);
    assert_int_equal(info.qty, 1);
    cets_engine_free(e);
    err = NULL;
    assert_null(load_spread(ORDERS_ID_SPAN_MAX, &err));
    assert_non_null(err);
    assert_string_equal(err, "snapshot orders span more order ids than the engine allows (2^28)");
}

/* ---- the participant arrays ------------------------------------------------ */

/* Growing the participant arrays keeps every row: 3,000 participants (the
 * arrays double from 64 through 4,096, each time by mremap), each with its
 * own funds and holding and an order resting, then instruments added until
 * the rows widen (8 -> 16 per participant). Every balance, holding and open order is where it was, the
 * invariants hold, and a snapshot restores the same state. */
static void test_participant_growth(void **state)
{
    (void)state;
    tmarket m;
    market(&m, NULL);
    enum { N = 3000 };
    static uint32_t ids[N];
    for (uint32_t i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", i);
        ids[i] = tm_participant(&m, CETS_PK_INSTITUTION, name, 1000000 + i);
        tm_credit(&m, ids[i], g_cea, 1000 + i);
        assert_int_equal(tm_post(&m, ids[i], g_cea, CETS_SELL, 5400 + i % 50, 1, NULL), CETS_OK);
    }
    uint64_t before = cets_state_hash(m.e);
    for (int k = 0; k < 9; k++) { /* 1 + 9 instruments: the rows widen past 8 */
        char code[16];
        snprintf(code, sizeof code, "CEA%02d", 10 + k);
        tm_instrument(&m, code, CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 5000);
    }
    assert_true(m.e->stride >= 16);
    assert_int_not_equal(cets_state_hash(m.e), before); /* the instruments are state */
    for (uint32_t i = 0; i < N; i++) {
        cets_participant_info pi;
        cets_holding h;
        assert_int_equal(cets_participant_get(m.e, ids[i], &pi), CETS_OK);
        assert_int_equal(pi.available, 1000000 + i);
        assert_int_equal(pi.open_orders, 1);
        assert_int_equal(cets_holding_get(m.e, ids[i], g_cea, &h), CETS_OK);
        assert_int_equal(h.available, 1000 + i - 1);
        assert_int_equal(h.frozen, 1);
        assert_int_equal(cets_holding_get(m.e, ids[i], g_cea + 9, &h), CETS_OK);
        assert_int_equal(h.available + h.frozen + h.locked, 0);
    }
    assert_null(tm_invariants(m.e));
    cets_engine_free(tm_snapshot_copy(m.e));
    tm_free(&m);
}

/* ---- the event mask ------------------------------------------------------ */

typedef struct evcount {
    uint64_t n[32];
} evcount;

static void count_ev(void *ctx, const cets_event *ev)
{
    ((evcount *)ctx)->n[ev->type & 31]++;
}

/* A crossing flow with a reject and a cancel, on an engine with the mask
 * given (CETS_EVENTS_ALL: none set). Returns the state hash. */
static uint64_t flow(uint32_t mask, evcount *c, bool emit_depth, cets_result *res)
{
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cfg.emit_depth = emit_depth;
    tmarket m;
    market(&m, &cfg);
    cets_engine_set_listener(m.e, count_ev, c);
    if (mask != CETS_EVENTS_ALL) cets_engine_set_event_mask(m.e, mask);
    memset(c, 0, sizeof *c);
    cets_result r;
    for (int i = 0; i < 30; i++) tm_post(&m, g_a, g_cea, CETS_SELL, 5000 + i, 10, NULL);
    tm_post(&m, g_b, g_cea, CETS_BUY, 5010, 125, &r); /* 11 levels of 10, 15 rest */
    *res = r;
    tm_post(&m, g_a, g_cea, CETS_BUY, 5100, 1, NULL); /* self-trade: rejected */
    tm_cancel(&m, g_a, 3);                            /* filled: unknown */
    tm_modify(&m, g_a, 30, 5020, 4, NULL);            /* shrink */
    tm_cancel(&m, g_a, 29);
    uint64_t h = cets_state_hash(m.e);
    assert_null(tm_invariants(m.e));
    tm_free(&m);
    return h;
}

static void test_event_mask(void **state)
{
    (void)state;
    evcount all, trades, none, nodepth;
    cets_result ra, rt, rn, rd;
    uint64_t h = flow(CETS_EVENTS_ALL, &all, true, &ra);
    assert_true(all.n[CETS_EV_TRADE] == 11 && all.n[CETS_EV_DEPTH] > 0 &&
                all.n[CETS_EV_REJECTED] == 2 && all.n[CETS_EV_ACCEPTED] == 31 &&
                all.n[CETS_EV_ORDER_DONE] > 0 && all.n[CETS_EV_REPLACED] == 1);
    assert_int_equal(flow(1u << CETS_EV_TRADE, &trades, true, &rt), h);
    assert_int_equal(flow(0, &none, true, &rn), h);
    assert_int_equal(flow(~(1u << CETS_EV_DEPTH), &nodepth, true, &rd), h);
    for (int t = 0; t < 32; t++) {
        assert_int_equal(trades.n[t], t == CETS_EV_TRADE ? all.n[t] : 0);
        assert_int_equal(none.n[t], 0);
        assert_int_equal(nodepth.n[t], t == CETS_EV_DEPTH ? 0 : all.n[t]);
    }
    /* the results do not depend on the mask */
    assert_memory_equal(&rt, &ra, sizeof ra);
    assert_memory_equal(&rn, &ra, sizeof ra);
    assert_memory_equal(&rd, &ra, sizeof ra);
    /* with emit_depth off no DEPTH whatever the mask (another hash: the
     * configuration is hashed) */
    evcount off;
    cets_result ro;
    flow(CETS_EVENTS_ALL, &off, false, &ro);
    assert_int_equal(off.n[CETS_EV_DEPTH], 0);
    assert_int_equal(off.n[CETS_EV_TRADE], all.n[CETS_EV_TRADE]);
}

/* A listener set again gets every type again; no listener, no events. */
static void test_event_mask_reset(void **state)
{
    (void)state;
    tmarket m;
    market(&m, NULL);
    evcount c = {0};
    cets_engine_set_listener(m.e, count_ev, &c);
    cets_engine_set_event_mask(m.e, 1u << CETS_EV_TRADE);
    tm_post(&m, g_a, g_cea, CETS_SELL, 5000, 10, NULL);
    assert_int_equal(c.n[CETS_EV_ACCEPTED], 0);
    cets_engine_set_listener(m.e, count_ev, &c);
    tm_post(&m, g_a, g_cea, CETS_SELL, 5000, 10, NULL);
    assert_int_equal(c.n[CETS_EV_ACCEPTED], 1);
    cets_engine_set_listener(m.e, NULL, NULL);
    cets_engine_set_event_mask(m.e, CETS_EVENTS_ALL); /* no listener: still nothing built */
    assert_int_equal(m.e->evmask, 0);
    tm_free(&m);
}

/* ---- the trade tape --------------------------------------------------------- */

/* More trades than a chunk holds: every one on the tape, in order, and the
 * tape the same after a snapshot round trip. */
static void test_trade_tape_chunks(void **state)
{
    (void)state;
    tmarket m;
    market(&m, NULL);
    int n = TRADE_CHUNK + 100;
    for (int i = 0; i < n; i++) {
        assert_int_equal(tm_post(&m, g_a, g_cea, CETS_SELL, 5000, 1, NULL), CETS_OK);
        assert_int_equal(tm_post(&m, g_b, g_cea, CETS_BUY, 5000, 1, NULL), CETS_OK);
    }
    assert_int_equal(m.e->today.n, (size_t)n);
    assert_int_equal(m.e->today.nchunks, 2);
    for (int i = 0; i < n; i += 997) {
        const cets_trade *t = trade_at(&m.e->today, (size_t)i);
        assert_int_equal(t->trade_id, (uint64_t)i + 1);
        assert_int_equal(t->qty, 1);
        assert_int_equal(t->seller, g_a);
    }
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(m.e, &buf, &len), 0);
    cets_engine *copy = cets_snapshot_load(buf, len, NULL);
    free(buf);
    assert_non_null(copy);
    assert_int_equal(cets_state_hash(copy), cets_state_hash(m.e));
    assert_int_equal(copy->today.n, (size_t)n);
    cets_engine_free(copy);
    /* the next day reuses the chunks */
    assert_int_equal(tm_eod(&m), CETS_OK);
    assert_int_equal(m.e->today.n, 0);
    assert_int_equal(m.e->lastday.n, (size_t)n);
    tm_free(&m);
}

/* n trades of 1 t between a and b, in a market of its own; its state hash. */
static uint64_t tape_market(int n, size_t *chunks)
{
    tmarket m;
    market(&m, NULL);
    for (int i = 0; i < n; i++) {
        assert_int_equal(tm_post(&m, g_a, g_cea, CETS_SELL, 5000, 1, NULL), CETS_OK);
        assert_int_equal(tm_post(&m, g_b, g_cea, CETS_BUY, 5000, 1, NULL), CETS_OK);
    }
    assert_int_equal(m.e->today.n, (size_t)n);
    for (int i = 0; i < n; i += 1999) {
        const cets_trade *t = trade_at(&m.e->today, (size_t)i);
        assert_int_equal(t->trade_id, (uint64_t)i + 1);
        assert_int_equal(t->buyer, g_b);
    }
    *chunks = m.e->today.nchunks;
    uint64_t h = cets_state_hash(m.e);
    tm_free(&m);
    return h;
}

/* The tape's chunks cleared ahead (cets_tape_reserve): taken as the tape
 * grows, the same state as chunks the engine maps itself; at most
 * CETS_TAPE_RESERVE_MAX held, 0 gives them back. */
static void test_tape_reserve(void **state)
{
    (void)state;
    size_t chunks;
    assert_int_equal(cets_tape_reserve(0), 0);
    uint64_t plain = tape_market(TRADE_CHUNK + 1, &chunks);
    assert_int_equal(chunks, 2);
    assert_int_equal(cets_tape_reserved(), 0);
    assert_int_equal(cets_tape_reserve(2), 2);
    assert_int_equal(cets_tape_reserved(), 2);
    assert_int_equal(tape_market(TRADE_CHUNK + 1, &chunks), plain); /* both chunks reserved */
    assert_int_equal(cets_tape_reserved(), 0);
    assert_int_equal(cets_tape_reserve(1), 1);
    assert_int_equal(tape_market(TRADE_CHUNK + 1, &chunks), plain); /* one, then its own */
    assert_int_equal(cets_tape_reserved(), 0);
    /* the limit: at it, and past it */
    assert_int_equal(cets_tape_reserve(CETS_TAPE_RESERVE_MAX), CETS_TAPE_RESERVE_MAX);
    assert_int_equal(cets_tape_reserve(CETS_TAPE_RESERVE_MAX + 1), CETS_TAPE_RESERVE_MAX);
    assert_int_equal(cets_tape_reserve(SIZE_MAX), CETS_TAPE_RESERVE_MAX);
    assert_int_equal(cets_tape_reserve(3), 3); /* fewer: the others given back */
    assert_int_equal(cets_tape_reserve(0), 0);
    assert_int_equal(cets_tape_reserved(), 0);
}

/* Another thread filling the reserve while the engine takes from it. */
static void *tape_filler(void *arg)
{
    atomic_bool *stop = arg;
    for (int i = 0; !atomic_load(stop) && i < 100000; i++) cets_tape_reserve(i % 2 ? 1 : 3);
    return NULL;
}

static void test_tape_reserve_threads(void **state)
{
    (void)state;
    size_t chunks;
    uint64_t plain = tape_market(2 * TRADE_CHUNK + 1, &chunks);
    atomic_bool stop = false;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, tape_filler, &stop), 0);
    uint64_t h = tape_market(2 * TRADE_CHUNK + 1, &chunks);
    atomic_store(&stop, true);
    pthread_join(th, NULL);
    assert_int_equal(h, plain);
    assert_int_equal(chunks, 3);
    assert_true(cets_tape_reserved() <= 3);
    assert_int_equal(cets_tape_reserve(0), 0);
}

/* ---- the batch apply ------------------------------------------------------------ */

/* cets_apply_batch() is n calls of cets_apply(): the same results, events and
 * state, across posts, crossing orders, cancels (of live orders, of orders
 * gone, of ids never given), modifies, rejects, posts off the book's ladder
 * or of no side or instrument, and a command of a participant that does not
 * exist (nothing to prefetch). */
static void batch_commands(const tmarket *m, cets_cmd *cmds, int n)
{
    uint64_t x = 12345;
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t k = (uint32_t)(x >> 33);
        cets_cmd *c = &cmds[i];
        c->seq = m->seq + 1 + (uint64_t)i;
        c->ts = m->now;
        c->participant = c->actor = k % 7 == 0 ? 99 : k % 2 ? g_a : g_b;
        c->instrument = g_cea;
        if (k % 5 < 3) {
            c->type = CETS_CMD_POST;
            c->side = (uint8_t)(k % 3 == 0 ? CETS_BUY : CETS_SELL);
            c->price = 4950 + (int64_t)(k % 100);
            c->qty = 1 + (int64_t)(k % 40);
            c->flags = (uint8_t)(k % 11 == 0 ? CETS_TIF_IOC : CETS_TIF_DAY);
            /* off the ladder, no side, no such instrument: the look-ahead
               reads no level for these (and they are refused) */
            if (k % 17 == 0) c->price = k % 2 ? 1 : 1000000000;
            if (k % 23 == 0) c->side = 0;
            if (k % 29 == 0) c->instrument = 60;
        } else {
            c->type = (uint8_t)(k % 5 == 3 ? CETS_CMD_CANCEL : CETS_CMD_MODIFY);
            c->order_id = 1 + (uint64_t)(k % (uint32_t)(i + 2)) + (k % 13 == 0 ? 100000 : 0);
            c->price = 4950 + (int64_t)(k % 100);
            c->qty = 1 + (int64_t)(k % 30);
        }
    }
}

static void test_apply_batch(void **state)
{
    (void)state;
    enum { N = 3000 };
    cets_cmd *cmds = calloc(N, sizeof *cmds);
    cets_result *r1 = calloc(N, sizeof *r1), *r2 = calloc(N, sizeof *r2);
    assert_true(cmds && r1 && r2);
    tmarket a, b;
    market(&a, NULL);
    market(&b, NULL);
    batch_commands(&a, cmds, N);
    b.e->ahead_min = 0; /* the look-ahead, as in a market bigger than the L2 cache */
    b.e->links_min = 0; /* at the FIFO links too, as in a book of 64k orders */
    uint64_t h0 = cets_state_hash(b.e);
    for (int i = 0; i < N; i++) { /* hints: they change nothing, whatever the command names */
        cets_prefetch(b.e, &cmds[i]);
        cets_prefetch_links(b.e, &cmds[i]);
    }
    assert_int_equal(cets_state_hash(b.e), h0);
    size_t rejects = 0;
    tm_clear_events(&a);
    tm_clear_events(&b);
    for (int i = 0; i < N; i++) rejects += cets_apply(a.e, &cmds[i], &r1[i]) != CETS_OK;
    assert_int_equal(cets_apply_batch(b.e, cmds, N, r2), rejects);
    assert_true(rejects > 100 && rejects < N - 100);
    assert_memory_equal(r1, r2, N * sizeof *r1);
    assert_int_equal(cets_state_hash(a.e), cets_state_hash(b.e));
    assert_int_equal(a.nev, b.nev);
    for (size_t i = 0; i < a.nev; i++) { /* the header and the member in use */
        const cets_event *p = &a.ev[i], *q = &b.ev[i];
        assert_int_equal(p->type, q->type);
        assert_int_equal(p->seq, q->seq);
        if (p->type == CETS_EV_TRADE)
            assert_memory_equal(&p->u.trade, &q->u.trade, sizeof p->u.trade);
        else if (p->type == CETS_EV_ACCEPTED || p->type == CETS_EV_REPLACED)
            assert_memory_equal(&p->u.order, &q->u.order, sizeof p->u.order);
        else if (p->type == CETS_EV_REJECTED)
            assert_memory_equal(&p->u.reject, &q->u.reject, sizeof p->u.reject);
        else if (p->type == CETS_EV_DEPTH)
            assert_memory_equal(&p->u.depth, &q->u.depth, sizeof p->u.depth);
    }
    assert_null(tm_invariants(b.e));
    /* without results, and empty */
    assert_int_equal(cets_apply_batch(b.e, cmds, 0, NULL), 0);
    tm_free(&a);
    tm_free(&b);
    free(cmds);
    free(r1);
    free(r2);
}

/* Batches of every size around the look-aheads' distances (cets_apply_batch
 * prefetches up to 16 commands ahead; a batch's last 16 test each distance,
 * the ones before test none): the same results and state as one command at a
 * time, without the look-ahead (a market that fits in the L2 cache, as this
 * one does), with it, and with the FIFO look-ahead too. */
static void test_apply_batch_sizes(void **state)
{
    (void)state;
    enum { N = 600 };
    static const size_t sizes[] = {1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 18, 31, 32, 33, 599, 600};
    cets_cmd *cmds = calloc(N, sizeof *cmds);
    cets_result *r1 = calloc(N, sizeof *r1), *r2 = calloc(N, sizeof *r2);
    assert_true(cmds && r1 && r2);
    tmarket a;
    market(&a, NULL);
    batch_commands(&a, cmds, N);
    size_t rejects = 0;
    for (int i = 0; i < N; i++) rejects += cets_apply(a.e, &cmds[i], &r1[i]) != CETS_OK;
    assert_true(rejects > 10 && rejects < N - 10);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int mode = 0; mode < 3; mode++) {
            tmarket b;
            market(&b, NULL);
            assert_true(engine_hot_bytes(b.e) < b.e->ahead_min); /* mode 0 is the default */
            if (mode > 0) b.e->ahead_min = 0;
            if (mode > 1) b.e->links_min = 0;
            memset(r2, 0xa5, N * sizeof *r2);
            size_t got = 0;
            for (size_t at = 0; at < N; at += sizes[k]) {
                size_t n = N - at < sizes[k] ? N - at : sizes[k];
                got += cets_apply_batch(b.e, cmds + at, n, r2 + at);
            }
            assert_int_equal(got, rejects);
            assert_memory_equal(r1, r2, N * sizeof *r1);
            assert_int_equal(cets_state_hash(b.e), cets_state_hash(a.e));
            tm_free(&b);
        }
    }
    tm_free(&a);
    free(cmds);
    free(r1);
    free(r2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_window_moves),      cmocka_unit_test(test_id_span_limit),
        cmocka_unit_test(test_id_window_snapshot),   cmocka_unit_test(test_id_span_snapshot),
        cmocka_unit_test(test_event_mask),           cmocka_unit_test(test_event_mask_reset),
        cmocka_unit_test(test_trade_tape_chunks),    cmocka_unit_test(test_apply_batch),
        cmocka_unit_test(test_apply_batch_sizes),    cmocka_unit_test(test_participant_growth),
        cmocka_unit_test(test_order_pool_growth),    cmocka_unit_test(test_tape_reserve),
        cmocka_unit_test(test_tape_reserve_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
