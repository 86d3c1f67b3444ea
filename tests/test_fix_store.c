/* test_fix_store.c -- the FIX session store (src/fix/store.h): messages and
 * sequence numbers survive closing; a torn tail is cut at open; a reset
 * empties the log; the .orders notes replay in order. And the gateway's
 * hash map (src/fix/map.h) against a naive reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/fix/map.h"
#include "../src/fix/store.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("CETS_TEST_TMP");
    mkdir(base ? base : "/tmp", 0755);
    snprintf(dir, sizeof dir, "%s/fixstore-XXXXXX", base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static fix_store *open_store(void)
{
    char err[256];
    fix_store *s = fix_store_open(dir, "S1", err, sizeof err);
    if (!s) fail_msg("%s", err);
    return s;
}

static void append(fix_store *s, int i)
{
    char m[64];
    int n = snprintf(m, sizeof m, "message %d of the session", i);
    assert_int_equal(fix_store_append(s, m, (size_t)n), 0);
}

static void test_survives_close(void **state)
{
    (void)state;
    fix_store *s = open_store();
    assert_int_equal(fix_store_next_out(s), 1);
    assert_int_equal(fix_store_next_in(s), 1);
    for (int i = 1; i <= 100; i++) append(s, i);
    fix_store_set_next_in(s, 42);
    fix_store_set_participant(s, 7);
    char buf[128];
    size_t len;
    assert_int_equal(fix_store_get(s, 50, buf, sizeof buf, &len), 0); /* before any flush */
    assert_memory_equal(buf, "message 50 of", 13);
    fix_store_close(s);
    s = open_store();
    assert_int_equal(fix_store_next_out(s), 101);
    assert_int_equal(fix_store_next_in(s), 42);
    assert_int_equal(fix_store_participant(s), 7);
    assert_int_equal(fix_store_get(s, 100, buf, sizeof buf, &len), 0);
    buf[len] = 0;
    assert_string_equal(buf, "message 100 of the session");
    assert_int_equal(fix_store_get(s, 101, buf, sizeof buf, &len), -1);
    assert_int_equal(fix_store_get(s, 0, buf, sizeof buf, &len), -1);
    fix_store_close(s);
}

static void test_torn_tail_cut(void **state)
{
    (void)state;
    fix_store *s = open_store();
    for (int i = 1; i <= 10; i++) append(s, i);
    fix_store_close(s);
    char path[512];
    struct stat st;
    /* half an index record, and a log that ends inside message 10 */
    snprintf(path, sizeof path, "%s/S1.idx", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 8), 0);
    snprintf(path, sizeof path, "%s/S1.msgs", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 30), 0);
    s = open_store();
    assert_int_equal(fix_store_next_out(s), 9); /* 10 torn, 9 lost its bytes */
    char buf[128];
    size_t len;
    assert_int_equal(fix_store_get(s, 8, buf, sizeof buf, &len), 0);
    append(s, 9);
    fix_store_close(s);
    s = open_store();
    assert_int_equal(fix_store_next_out(s), 10);
    assert_int_equal(fix_store_get(s, 9, buf, sizeof buf, &len), 0);
    buf[len] = 0;
    assert_string_equal(buf, "message 9 of the session");
    fix_store_close(s);
}

static void test_reset(void **state)
{
    (void)state;
    fix_store *s = open_store();
    for (int i = 1; i <= 5; i++) append(s, i);
    fix_store_set_next_in(s, 9);
    assert_int_equal(fix_store_reset(s), 0);
    assert_int_equal(fix_store_next_out(s), 1);
    assert_int_equal(fix_store_next_in(s), 1);
    append(s, 1);
    fix_store_close(s);
    s = open_store();
    assert_int_equal(fix_store_next_out(s), 2);
    assert_int_equal(fix_store_next_in(s), 1);
    fix_store_close(s);
}

static char replay[512];

static void note(void *ctx, char op, uint64_t id, const char *clordid)
{
    (void)ctx;
    size_t n = strlen(replay);
    snprintf(replay + n, sizeof replay - n, "%c%llu:%s ", op, (unsigned long long)id, clordid);
}

static void test_order_notes(void **state)
{
    (void)state;
    fix_store *s = open_store();
    fix_store_order_note(s, 'A', 5, "a1");
    fix_store_order_note(s, 'R', 5, "a2");
    fix_store_order_note(s, 'D', 5, NULL);
    fix_store_close(s);
    s = open_store();
    replay[0] = 0;
    fix_store_orders_load(s, note, NULL);
    assert_string_equal(replay, "A5:a1 R5:a2 D5:- ");
    assert_int_equal(fix_store_orders_clear(s), 0);
    replay[0] = 0;
    fix_store_orders_load(s, note, NULL);
    assert_string_equal(replay, "");
    fix_store_close(s);
}

static void test_map_against_reference(void **state)
{
    (void)state;
    enum { N = 4096 };
    static uint64_t keys[N];
    static int present[N];
    fix_map m;
    fix_map_init(&m);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        keys[i] = i % 7 == 0 ? (uint64_t)i + 1 : x | 1; /* dense and scattered keys */
    }
    for (int round = 0; round < 200000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int i = (int)(x % N);
        if (x >> 60 < 9) {
            assert_true(fix_map_put(&m, keys[i], &keys[i]));
            present[i] = 1;
        } else {
            void *v = fix_map_del(&m, keys[i]);
            assert_ptr_equal(v, present[i] ? &keys[i] : NULL);
            present[i] = 0;
        }
        if (round % 1000 == 0) {
            size_t n = 0;
            for (int k = 0; k < N; k++) {
                assert_ptr_equal(fix_map_get(&m, keys[k]), present[k] ? &keys[k] : NULL);
                n += (size_t)present[k];
            }
            assert_int_equal(m.n, n);
            size_t it = 0, walked = 0;
            uint64_t k;
            void *v;
            while (fix_map_next(&m, &it, &k, &v)) walked++;
            assert_int_equal(walked, n);
        }
    }
    fix_map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_survives_close, setup),
        cmocka_unit_test_setup(test_torn_tail_cut, setup),
        cmocka_unit_test_setup(test_reset, setup),
        cmocka_unit_test_setup(test_order_notes, setup),
        cmocka_unit_test(test_map_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
