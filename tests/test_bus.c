/* test_bus.c -- the core's event bus (src/core/bus.h): readers join at the
 * end, get every event they want in order, on-core readers never lose one,
 * a threaded reader a whole ring behind is cut off and told exactly how much
 * it missed, at the capacity and not one event before, wake-ups come once
 * per batch, and a writer racing two readers loses nothing silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/log.h"

static cets_event ev_make(uint8_t type, uint64_t seq)
{
    cets_event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.seq = seq;
    return e;
}

static void publish(bus *b, uint8_t type, uint64_t from, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        cets_event e = ev_make(type, from + i);
        bus_publish(b, &e);
    }
}

/* ---- an on-core reader that records what it gets ---------------------------- */

typedef struct rec {
    uint64_t n, bad_order, last;
    uint8_t types_seen;
} rec;

static void rec_on(void *ctx, const cets_event *ev)
{
    rec *r = ctx;
    if (r->n && ev->seq <= r->last) r->bad_order++;
    r->last = ev->seq;
    r->n++;
    r->types_seen |= (uint8_t)(1u << (ev->type & 7));
}

static void test_join_at_end_and_filter(void **state)
{
    (void)state;
    bus *b = bus_new(64);
    rec early = {0}, late = {0};
    bus_reader_opts o = {.name = "early",
                         .mode = BUS_ON_CORE,
                         .on_event = rec_on,
                         .ctx = &early,
                         .types = BUS_TYPE(CETS_EV_TRADE)};
    bus_reader *r1 = bus_join(b, &o);
    assert_non_null(r1);
    publish(b, CETS_EV_TRADE, 1, 5);
    publish(b, CETS_EV_DEPTH, 6, 5); /* nobody wants depth: not even published */
    assert_int_equal(bus_published(b), 5);
    bus_batch_end(b);
    assert_int_equal(early.n, 5);
    o.ctx = &late;
    o.name = "late";
    o.types = 0; /* all */
    bus_reader *r2 = bus_join(b, &o);
    publish(b, CETS_EV_DEPTH, 11, 3);
    publish(b, CETS_EV_TRADE, 14, 2);
    bus_batch_end(b);
    assert_int_equal(late.n, 5);  /* nothing from before it joined */
    assert_int_equal(early.n, 7); /* trades only */
    assert_int_equal(early.types_seen, 1u << CETS_EV_TRADE);
    assert_int_equal(early.bad_order + late.bad_order, 0);
    bus_leave(r2);
    publish(b, CETS_EV_DEPTH, 16, 3); /* depth unwanted again */
    assert_int_equal(bus_published(b), 10);
    bus_leave(r1);
    bus_free(b);
}

/* A batch far larger than the ring: the on-core reader is drained in the
 * middle of it and loses nothing. */
static void test_on_core_never_loses(void **state)
{
    (void)state;
    bus *b = bus_new(16);
    assert_int_equal(bus_capacity(b), 16);
    rec r = {0};
    bus_reader_opts o = {.name = "proj", .mode = BUS_ON_CORE, .on_event = rec_on, .ctx = &r};
    bus_reader *rd = bus_join(b, &o);
    publish(b, CETS_EV_TRADE, 1, 1000);
    assert_true(r.n >= 1000 - 16); /* drained along the way */
    bus_batch_end(b);
    assert_int_equal(r.n, 1000);
    assert_int_equal(r.last, 1000);
    assert_int_equal(r.bad_order, 0);
    bus_reader_stats st[2];
    assert_int_equal(bus_stats(b, st, 2), 1);
    assert_int_equal(st[0].cut_offs, 0);
    assert_int_equal(st[0].read, 1000);
    bus_leave(rd);
    bus_free(b);
}

/* ---- threaded readers ------------------------------------------------------------ */

static int wakes;
static void count_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static void test_wake_once_per_batch(void **state)
{
    (void)state;
    bus *b = bus_new(64);
    wakes = 0;
    bus_reader_opts o = {.name = "t",
                         .mode = BUS_THREADED,
                         .wake = count_wake,
                         .types = BUS_TYPE(CETS_EV_TRADE) | BUS_TYPE(CETS_EV_DEPTH)};
    bus_reader *r = bus_join(b, &o);
    rec other = {0};
    bus_reader_opts oc = {.name = "c",
                          .mode = BUS_ON_CORE,
                          .on_event = rec_on,
                          .ctx = &other,
                          .types = BUS_TYPE(CETS_EV_ACCEPTED)};
    bus_reader *rc = bus_join(b, &oc);
    publish(b, CETS_EV_ACCEPTED, 1, 3); /* not its type: no wake */
    bus_batch_end(b);
    assert_int_equal(wakes, 0);
    publish(b, CETS_EV_TRADE, 4, 3);
    bus_batch_end(b);
    assert_int_equal(wakes, 1);
    publish(b, CETS_EV_DEPTH, 7, 3);
    bus_batch_end(b); /* not read yet: not woken again */
    assert_int_equal(wakes, 1);
    cets_event out[8];
    uint64_t lost = 99;
    assert_int_equal(bus_read(r, out, 4, &lost), 4); /* at most max */
    assert_int_equal(out[0].seq, 4);
    assert_int_equal(out[3].seq, 7);
    assert_int_equal(bus_read(r, out, 8, &lost), 2);
    assert_int_equal(out[1].seq, 9);
    assert_int_equal(bus_read(r, out, 8, &lost), 0);
    assert_int_equal(lost, 99); /* untouched without a cut-off */
    publish(b, CETS_EV_TRADE, 10, 1);
    bus_batch_end(b);
    assert_int_equal(wakes, 2); /* read since: woken again */
    bus_leave(rc);
    bus_leave(r);
    bus_free(b);
}

/* At the capacity nothing is lost; one event past it, the reader is cut off,
 * told exactly how many it missed, and continues at the end. */
static void test_cut_off_at_capacity(void **state)
{
    (void)state;
    log_setup(NULL, LOG_ERROR);
    const uint32_t cap = 32;
    bus *b = bus_new(cap);
    bus_reader_opts o = {.name = "slow", .mode = BUS_THREADED};
    bus_reader *r = bus_join(b, &o);
    cets_event out[64];
    uint64_t lost = 0;

    publish(b, CETS_EV_TRADE, 1, cap); /* exactly a ring: all still there */
    bus_batch_end(b);
    assert_int_equal(bus_read(r, out, 64, &lost), cap);
    assert_int_equal(out[0].seq, 1);
    assert_int_equal(out[cap - 1].seq, cap);

    publish(b, CETS_EV_TRADE, cap + 1, cap + 1); /* one past */
    bus_batch_end(b);
    assert_int_equal(bus_read(r, out, 64, &lost), BUS_CUT_OFF);
    assert_int_equal(lost, cap + 1);
    assert_int_equal(bus_read(r, out, 64, &lost), 0); /* at the end now */
    publish(b, CETS_EV_TRADE, 2 * cap + 2, 2);
    assert_int_equal(bus_read(r, out, 64, &lost), 2);
    assert_int_equal(out[0].seq, 2 * cap + 2);
    bus_reader_stats st;
    assert_int_equal(bus_stats(b, &st, 1), 1);
    assert_int_equal(st.cut_offs, 1);
    assert_int_equal(st.lost, cap + 1);
    assert_string_equal(st.name, "slow");
    bus_leave(r);
    bus_free(b);
}

static void test_statement_pointer_cleared(void **state)
{
    (void)state;
    bus *b = bus_new(16);
    bus_reader_opts o = {.name = "t", .mode = BUS_THREADED};
    bus_reader *r = bus_join(b, &o);
    cets_statement st = {.participant = 7};
    cets_event e = ev_make(CETS_EV_STATEMENT, 1);
    e.u.statement = &st;
    bus_publish(b, &e);
    cets_event out[1];
    assert_int_equal(bus_read(r, out, 1, NULL), 1);
    assert_null(out[0].u.statement);
    bus_leave(r);
    bus_free(b);
}

static void test_bad_options(void **state)
{
    (void)state;
    bus *b = bus_new(16);
    bus_reader_opts o = {.mode = BUS_ON_CORE}; /* no callback */
    assert_null(bus_join(b, &o));
    o.mode = 7;
    assert_null(bus_join(b, &o));
    assert_null(bus_join(NULL, &o));
    bus_free(b);
}

/* ---- a writer racing two readers ----------------------------------------------- */

#define RACE_EVENTS 2000000ull
#define RACE_BATCH 97

typedef struct racer {
    bus_reader *r;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool woken, stop;
    uint64_t got, lost, cut, bad, last;
    int slow; /* every this many reads, dawdle */
} racer;

static void racer_wake(void *ctx)
{
    racer *x = ctx;
    pthread_mutex_lock(&x->mu);
    x->woken = true;
    pthread_cond_signal(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static void *racer_main(void *arg)
{
    racer *x = arg;
    cets_event *buf = malloc(256 * sizeof *buf);
    for (uint64_t reads = 0;; reads++) {
        pthread_mutex_lock(&x->mu);
        while (!x->woken && !x->stop) pthread_cond_wait(&x->cv, &x->mu);
        bool stop = x->stop && !x->woken;
        x->woken = false;
        pthread_mutex_unlock(&x->mu);
        long n;
        uint64_t lost;
        while ((n = bus_read(x->r, buf, 256, &lost)) != 0) {
            if (n == BUS_CUT_OFF) {
                x->cut++;
                x->lost += lost;
                continue;
            }
            for (long i = 0; i < n; i++) {
                /* in order, and every gap is a reported loss */
                if (buf[i].seq <= x->last) x->bad++;
                x->last = buf[i].seq;
            }
            x->got += (uint64_t)n;
            if (x->slow && reads % (uint64_t)x->slow == 0)
                for (volatile int k = 0; k < 200000; k++)
                    ;
        }
        if (stop) break;
    }
    free(buf);
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    log_setup(NULL, LOG_ERROR);
    bus *b = bus_new(1024);
    racer x[2] = {{.slow = 0}, {.slow = 1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        pthread_mutex_init(&x[i].mu, NULL);
        pthread_cond_init(&x[i].cv, NULL);
        bus_reader_opts o = {
            .name = i ? "slow" : "fast", .mode = BUS_THREADED, .wake = racer_wake, .ctx = &x[i]};
        x[i].r = bus_join(b, &o);
        pthread_create(&th[i], NULL, racer_main, &x[i]);
    }
    for (uint64_t s = 1; s <= RACE_EVENTS; s++) {
        cets_event e = ev_make(CETS_EV_TRADE, s);
        bus_publish(b, &e);
        if (s % RACE_BATCH == 0) bus_batch_end(b);
    }
    bus_batch_end(b);
    for (int i = 0; i < 2; i++) {
        racer_wake(&x[i]); /* a last read after everything is published */
        pthread_mutex_lock(&x[i].mu);
        x[i].stop = true;
        pthread_cond_signal(&x[i].cv);
        pthread_mutex_unlock(&x[i].mu);
        pthread_join(th[i], NULL);
        assert_int_equal(x[i].bad, 0);
        /* nothing lost silently: every event was read or reported lost */
        assert_int_equal(x[i].got + x[i].lost, RACE_EVENTS);
        bus_leave(x[i].r);
        pthread_mutex_destroy(&x[i].mu);
        pthread_cond_destroy(&x[i].cv);
    }
    assert_true(x[1].cut > 0); /* the slow one was cut off at least once */
    bus_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_at_end_and_filter),
        cmocka_unit_test(test_on_core_never_loses),
        cmocka_unit_test(test_wake_once_per_batch),
        cmocka_unit_test(test_cut_off_at_capacity),
        cmocka_unit_test(test_statement_pointer_cleared),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
