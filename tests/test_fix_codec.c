/* test_fix_codec.c -- FIX framing and parsing: what a peer can get wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fix.h"
#include "validate.h"

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
    const char *body = "35=D\x01"
                       "58ok\x01";
    char wire[256];
    int n = snprintf(wire, sizeof wire,
                     "8=FIX.4.4\x01"
                     "9=%zu\x01%s",
                     strlen(body), body);
    unsigned sum = 0;
    for (int i = 0; i < n; i++) sum += (unsigned char)wire[i];
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

/* Frame body as FIX.x with a right BodyLength and CheckSum. */
static size_t frame_as(const char *begin, const char *body, char *wire, size_t cap)
{
    int n = snprintf(wire, cap,
                     "8=%s\x01"
                     "9=%zu\x01%s",
                     begin, strlen(body), body);
    unsigned sum = 0;
    for (int i = 0; i < n; i++) sum += (unsigned char)wire[i];
    n += snprintf(wire + n, cap - (size_t)n, "10=%03u\x01", sum % 256);
    return (size_t)n;
}

static void test_begin_string_and_invalid_tags(void **state)
{
    (void)state;
    char wire[256];
    size_t used, n = frame_as("FIX.4.1",
                              "35=0\x01"
                              "34=2\x01",
                              wire, sizeof wire);
    assert_int_equal(fix_parse(wire, n, &msg, &used), FIX_BAD_BEGIN);
    n = frame_as("FIXT.1.1", "35=0\x01", wire, sizeof wire);
    assert_int_equal(fix_parse(wire, n, &msg, &used), FIX_BAD_BEGIN);
    assert_int_equal(fix_parse("8=FIX.4", 7, &msg, &used), FIX_NEED_MORE);
    /* tags 0 and -1 frame (with tag FIX_TAG_INVALID), for the session to refuse by name */
    n = frame_as("FIX.4.4",
                 "35=0\x01"
                 "0=a\x01"
                 "-1=b\x01",
                 wire, sizeof wire);
    assert_int_equal(fix_parse(wire, n, &msg, &used), FIX_OK);
    assert_int_equal(msg.n, 3);
    assert_int_equal(msg.f[1].tag, FIX_TAG_INVALID);
    assert_int_equal(msg.f[2].tag, FIX_TAG_INVALID);
    /* but a tag that is no number is garbled */
    n = frame_as("FIX.4.4",
                 "35=0\x01"
                 "x1=a\x01",
                 wire, sizeof wire);
    assert_int_equal(fix_parse(wire, n, &msg, &used), FIX_BAD_SYNTAX);
    n = frame_as("FIX.4.4",
                 "35=0\x01"
                 "-=a\x01",
                 wire, sizeof wire);
    assert_int_equal(fix_parse(wire, n, &msg, &used), FIX_BAD_SYNTAX);
}

/* ---- the dictionary's one pass (validate.h) -------------------------------- */

/* Validate "TYPE|tag=v|..." (header 49 56 34 52 added first): the reason,
 * or -1 when valid; the RefTagID as sent in *tag. */
static int verdict(const char *type, const char *body, char *tag)
{
    static fix_builder b;
    static char copy[4096];
    fix_build_begin(&b, type);
    fix_add_str(&b, 49, "A1");
    fix_add_str(&b, 56, "CETS");
    fix_add_int(&b, 34, 2);
    fix_add_time(&b, 52, 1796000000123000000LL);
    snprintf(copy, sizeof copy, "%s", body);
    for (char *p = strtok(copy, "|"); p; p = strtok(NULL, "|")) {
        char *eq = strchr(p, '=');
        assert_non_null(eq);
        *eq = 0;
        /* the codec does not build negative tags: write those as 0 */
        fix_add_str(&b, (uint32_t)(p[0] == '-' ? 0 : atoi(p)), eq + 1);
    }
    size_t len, used;
    const char *raw = fix_build_finish(&b, &len);
    assert_int_equal(fix_parse(raw, len, &msg, &used), FIX_OK);
    const fix_msg_def *def = fix_dict_msg(type);
    assert_non_null(def);
    fix_verdict v;
    if (fix_validate(&msg, def, &v)) return -1;
    snprintf(tag, 16, "%s", v.tag_text);
    return v.reason;
}

static void test_validate_fields(void **state)
{
    (void)state;
    char tag[16];
    const char *nos = "11=o1|55=CEA25|54=1|60=20260101-00:00:00|38=10|40=2|44=50.00";
    assert_int_equal(verdict("D", nos, tag), -1);
    assert_int_equal(verdict("0", "999=x", tag), FIX_REJ_INVALID_TAG);
    assert_string_equal(tag, "999");
    assert_int_equal(verdict("0", "0=x", tag), FIX_REJ_INVALID_TAG);
    assert_string_equal(tag, "0");
    assert_int_equal(verdict("0", "55=CEA25", tag), FIX_REJ_NOT_FOR_TYPE);
    assert_int_equal(verdict("0", "1=ACC", tag), FIX_REJ_NOT_FOR_TYPE); /* FIX 4.4, not ours */
    assert_int_equal(verdict("0", "112=", tag), FIX_REJ_NO_VALUE);
    assert_int_equal(verdict("D", "11=o1|55=CEA25|54=1|60=20260101-00:00:00|38=1e3|40=2", tag),
                     FIX_REJ_FORMAT);
    assert_string_equal(tag, "38");
    assert_int_equal(verdict("D", "11=o1|55=CEA25|54=3|60=20260101-00:00:00|38=1|40=2", tag),
                     FIX_REJ_VALUE);
    assert_int_equal(verdict("D", "11=o1|55=CEA25|54=1|60=20260101|38=1|40=2", tag),
                     FIX_REJ_FORMAT);
    assert_string_equal(tag, "60");
    assert_int_equal(verdict("D", "11=o1|54=1|60=20260101-00:00:00|38=1|40=2", tag),
                     FIX_REJ_REQUIRED);
    assert_string_equal(tag, "55");
    assert_int_equal(verdict("D", "11=o1|11=o2|55=CEA25|54=1|60=20260101-00:00:00|38=1|40=2", tag),
                     FIX_REJ_REPEATED);
    assert_int_equal(verdict("D", "11=o1|55=CEA25|54=1|60=20260101-00:00:00|38=1|40=2|43=Y", tag),
                     FIX_REJ_ORDER);
    assert_string_equal(tag, "43");
    assert_int_equal(verdict("1", "43=Y|122=20260101-00:00:00.5|112=t", tag), -1);
    /* years an int64 of ns cannot hold (fuzz_fix-utctimestamp-year-signed-overflow) */
    assert_int_equal(verdict("1", "43=Y|122=02621130-01:30:00.000|112=t", tag), FIX_REJ_FORMAT);
    assert_int_equal(verdict("1", "43=Y|122=22620101-00:00:00|112=t", tag), FIX_REJ_FORMAT);
    assert_int_equal(verdict("1", "43=Y|122=22611231-23:59:59|112=t", tag), -1);
    assert_int_equal(verdict("1", "43=YES|112=t", tag), FIX_REJ_FORMAT);
}

static void test_validate_groups(void **state)
{
    (void)state;
    char tag[16];
    const char *d = "11=o1|55=CEA25|54=1|60=20260101-00:00:00|38=20|40=1|59=3|";
    char b[512];
    snprintf(b, sizeof b, "%s20001=2|20002=7|20003=10|20002=8|20003=10", d);
    assert_int_equal(verdict("D", b, tag), -1);
    snprintf(b, sizeof b, "%s20001=0", d); /* a count of zero and no entries */
    assert_int_equal(verdict("D", b, tag), -1);
    snprintf(b, sizeof b, "%s20001=1|20002=7", d); /* an entry without its TakeQty */
    assert_int_equal(verdict("D", b, tag), FIX_REJ_REQUIRED);
    assert_string_equal(tag, "20003");
    snprintf(b, sizeof b, "%s20001=1|20002=7|20003=1|20003=2", d);
    assert_int_equal(verdict("D", b, tag), FIX_REJ_REPEATED);
    snprintf(b, sizeof b, "%s20001=1|20003=1|20002=7", d);
    assert_int_equal(verdict("D", b, tag), FIX_REJ_GROUP_ORDER);
    assert_string_equal(tag, "20003");
    snprintf(b, sizeof b, "%s20001=3|20002=7|20003=1", d);
    assert_int_equal(verdict("D", b, tag), FIX_REJ_GROUP_COUNT);
    assert_string_equal(tag, "20001");
    snprintf(b, sizeof b, "%s20001=x|20002=7|20003=1", d);
    assert_int_equal(verdict("D", b, tag), FIX_REJ_FORMAT);
    snprintf(b, sizeof b, "%s20002=7|20003=1", d); /* entries without their count */
    assert_int_equal(verdict("D", b, tag), FIX_REJ_NOT_FOR_TYPE);
    assert_string_equal(tag, "20002");
    /* nested: NoSides { Side, NoPartyIDs { PartyID, PartyRole } } */
    const char *ae = "571=r1|856=0|55=CEA25|32=100000|31=50.00|552=1|54=1|";
    snprintf(b, sizeof b, "%s453=1|448=3|452=17", ae);
    assert_int_equal(verdict("AE", b, tag), -1);
    snprintf(b, sizeof b, "%s453=2|448=3|452=17", ae);
    assert_int_equal(verdict("AE", b, tag), FIX_REJ_GROUP_COUNT);
    assert_string_equal(tag, "453");
    snprintf(b, sizeof b, "%s453=1|448=3|452=4", ae); /* PartyRole 17 only */
    assert_int_equal(verdict("AE", b, tag), FIX_REJ_VALUE);
    snprintf(b, sizeof b, "571=r1|856=0|552=2|54=1|54=2|453=1|448=3"); /* 453 in the second */
    assert_int_equal(verdict("AE", b, tag), -1);
    snprintf(b, sizeof b, "571=r1|856=0|552=1|453=1|448=3"); /* the entry must start with 54 */
    assert_int_equal(verdict("AE", b, tag), FIX_REJ_GROUP_ORDER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_split_reads),
        cmocka_unit_test(test_bad_checksum_and_length),
        cmocka_unit_test(test_garbage_then_message),
        cmocka_unit_test(test_bad_syntax_and_huge),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_begin_string_and_invalid_tags),
        cmocka_unit_test(test_validate_fields),
        cmocka_unit_test(test_validate_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
