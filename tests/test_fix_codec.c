/* test_fix_codec.c -- FIX framing and parsing: what a peer can get wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fix.h"

static fix_msg msg;

static const char *build_nos(size_t *len)
{
    static fix_builder b;
    fix_build_begin(&b, "D");
    fix_add_str(&b, 49, "CLIENT1");
    fix_add_str(&b, 56, "CETS");
    fix_add_int(&b, 34, 7);
    fix_add_time(&b, 52, 1796000000123000000LL);
    fix_add_str(&b, 11, "ord-1");
    fix_add_str(&b, 55, "CEA25");
    fix_add_str(&b, 54, "1");
    fix_add_int(&b, 38, 1000);
    fix_add_price(&b, 44, 5123);
    return fix_build_finish(&b, len);
}

static void test_round_trip(void **state)
{
    (void)state;
    size_t len, used;
    const char *raw = build_nos(&len);
    assert_int_equal(fix_parse(raw, len, &msg, &used), FIX_OK);
    assert_int_equal(used, len);
    assert_string_equal(msg.type, "D");
    char s[32];
    assert_int_equal(fix_get_str(&msg, 55, s, sizeof s), 0);
    assert_string_equal(s, "CEA25");
    int64_t v;
    assert_int_equal(fix_get_price(&msg, 44, &v), 0);
    assert_int_equal(v, 5123);
    assert_int_equal(fix_get_int(&msg, 38, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(fix_get_str(&msg, 52, s, sizeof s), 0);
    assert_string_equal(s, "20261130-00:53:20.123");
}

static void test_split_reads(void **state)
{
    (void)state;
    size_t len, used;
    const char *raw = build_nos(&len);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(fix_parse(raw, cut, &msg, &used), FIX_NEED_MORE);
    /* two messages in one read */
    char two[2048];
    memcpy(two, raw, len);
    memcpy(two + len, raw, len);
    assert_int_equal(fix_parse(two, 2 * len, &msg, &used), FIX_OK);
    assert_int_equal(used, len);
    assert_int_equal(fix_parse(two + used, 2 * len - used, &msg, &used), FIX_OK);
}

static void test_bad_checksum_and_length(void **state)
{
    (void)state;
    size_t len, used;
    char buf[2048];
    const char *raw = build_nos(&len);
    memcpy(buf, raw, len);
    buf[len - 2] = buf[len - 2] == '9' ? '0' : (char)(buf[len - 2] + 1);
    assert_int_equal(fix_parse(buf, len, &msg, &used), FIX_BAD_CHECKSUM);
    assert_int_equal(used, len);
    raw = build_nos(&len);
    memcpy(buf, raw, len);
    buf[12] = buf[12] == '9' ? '1' : (char)(buf[12] + 1); /* a BodyLength digit */
    fix_status st = fix_parse(buf, len, &msg, &used);
    assert_true(st == FIX_BAD_LENGTH || st == FIX_NEED_MORE);
}

static void test_garbage_then_message(void **state)
{
    (void)state;
    size_t len, used;
    const char *raw = build_nos(&len);
    char buf[2048] = "hello\x01world";
    size_t g = strlen(buf);
    memcpy(buf + g, raw, len);
    assert_int_equal(fix_parse(buf, g + len, &msg, &used), FIX_GARBAGE);
    assert_int_equal(used, g);
    assert_int_equal(fix_parse(buf + used, g + len - used, &msg, &used), FIX_OK);
}

static void test_bad_syntax_and_huge(void **state)
{
    (void)state;
    size_t len, used;
    fix_builder *b = malloc(sizeof *b);
    /* well framed, but one field has no '=' */
    const char *body = "35=D\x01" "58ok\x01";
    char wire[256];
    int n = snprintf(wire, sizeof wire, "8=FIX.4.4\x01" "9=%zu\x01%s", strlen(body), body);
    unsigned sum = 0;
    for (int i = 0; i < n; i++)
        sum += (unsigned char)wire[i];
    n += snprintf(wire + n, sizeof wire - (size_t)n, "10=%03u\x01", sum % 256);
    assert_int_equal(fix_parse(wire, (size_t)n, &msg, &used), FIX_BAD_SYNTAX);
    const char *raw;
    char *big = malloc(FIX_MAX_VALUE + 2);
    memset(big, 'a', FIX_MAX_VALUE + 1);
    big[FIX_MAX_VALUE + 1] = 0;
    fix_build_begin(b, "D");
    fix_add_str(b, 58, big);
    raw = fix_build_finish(b, &len);
    assert_int_equal(fix_parse(raw, len, &msg, &used), FIX_TOO_BIG);
    free(big);
    free(b);
}

static void test_prices(void **state)
{
    (void)state;
    const char *cases[] = {"51.23", "51.2", "51", "51.230", "0.01"};
    int64_t want[] = {5123, 5120, 5100, 5123, 1};
    const char *bad[] = {"51.234", "5e3", "-1", ".5", "51.", "", "1,2"};
    fix_builder b;
    size_t len, used;
    for (int i = 0; i < 5; i++) {
        fix_build_begin(&b, "D");
        fix_add_str(&b, 44, cases[i]);
        const char *raw = fix_build_finish(&b, &len);
        assert_int_equal(fix_parse(raw, len, &msg, &used), FIX_OK);
        int64_t v;
        assert_int_equal(fix_get_price(&msg, 44, &v), 0);
        assert_int_equal(v, want[i]);
    }
    for (int i = 0; i < 7; i++) {
        fix_build_begin(&b, "D");
        fix_add_str(&b, 44, bad[i]);
        const char *raw = fix_build_finish(&b, &len);
        fix_status st = fix_parse(raw, len, &msg, &used);
        int64_t v;
        assert_true(st != FIX_OK || fix_get_price(&msg, 44, &v) == -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_split_reads),
        cmocka_unit_test(test_bad_checksum_and_length), cmocka_unit_test(test_garbage_then_message),
        cmocka_unit_test(test_bad_syntax_and_huge), cmocka_unit_test(test_prices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
