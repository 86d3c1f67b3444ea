/* fuzz_json.c -- libFuzzer target: arbitrary bytes as the JSON body of a
 * cetsd request, through what of its decoding can be called on its own.
 *
 * http_body() and the typed field helpers of src/server/http.h (http_str,
 * http_int, http_money, ...) read from and answer on a civetweb connection,
 * so they cannot be called without one; what is pure is the parsing: the
 * body is parsed the way http_body() does it (jsonin_loadb(), the depth
 * check and then jansson with JSON_REJECT_DUPLICATES), and every string in
 * it goes through http_parse_money() and http_parse_date(), the two
 * hand-written parsers behind http_money() and http_date().
 *
 * Checked: both agree with a naive reference -- money is digits without a
 * leading zero (at most 13), then optionally '.' and one or two digits; a
 * date is YYYY-MM-DD from 1970 on, a day that exists -- and every value they
 * accept prints back to itself (money through cets_fmt_money()). And the
 * depth scanner agrees with the document: whatever jansson itself parses
 * (here, on the main thread's large stack) passes jsonin_depth_ok() exactly
 * when its nesting is at most JSONIN_MAX_DEPTH.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzztmp.h"
#include "../../src/server/http.h"
#include "core/jsonin.h"

static bool ref_money(const char *s, int64_t *fen)
{
    size_t n = strlen(s), i = 0;
    int64_t y = 0, c = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    size_t digits = i;
    if (digits == 0 || digits > 13 || (digits > 1 && s[0] == '0')) return false;
    for (size_t k = 0; k < digits; k++) y = y * 10 + (s[k] - '0');
    if (i < n) {
        if (s[i] != '.' || n - i - 1 < 1 || n - i - 1 > 2) return false;
        for (size_t k = i + 1; k < n; k++)
            if (s[k] < '0' || s[k] > '9') return false;
        c = (s[i + 1] - '0') * 10 + (n - i - 1 == 2 ? s[i + 2] - '0' : 0);
    }
    *fen = y * 100 + c;
    return true;
}

static bool ref_date(const char *s, int32_t *date)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap)) return false;
    *date = y * 10000 + m * 100 + d;
    return true;
}

static void check_parsers(const char *s)
{
    int64_t fen = -1, want = -1;
    bool ok = http_parse_money(s, &fen) == 0, ref = ref_money(s, &want);
    fuzz_check(ok == ref && (!ok || fen == want),
               "money \"%s\": %d %" PRId64 ", reference %d %" PRId64, s, ok, fen, ref, want);
    if (ok) {
        char buf[32];
        cets_fmt_money(fen, buf);
        int64_t back = -1;
        fuzz_check(http_parse_money(buf, &back) == 0 && back == fen,
                   "money \"%s\" = %" PRId64 " fen prints as \"%s\", which parses as %" PRId64, s,
                   fen, buf, back);
    }
    int32_t date = -1, dwant = -1;
    ok = http_parse_date(s, &date) == 0;
    ref = ref_date(s, &dwant);
    fuzz_check(ok == ref && (!ok || date == dwant), "date \"%s\": %d %d, reference %d %d", s, ok,
               date, ref, dwant);
    if (ok) {
        char buf[16];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", date / 10000, date / 100 % 100, date % 100);
        fuzz_check(strcmp(buf, s) == 0, "date \"%s\" prints as \"%s\"", s, buf);
    }
}

/* Every string in the document through the parsers (bounded: 64 strings). */
static void strings(json_t *v, int *budget)
{
    if (*budget <= 0) return;
    if (json_is_string(v)) {
        --*budget;
        check_parsers(json_string_value(v));
    } else if (json_is_object(v)) {
        const char *key;
        json_t *x;
        json_object_foreach(v, key, x) strings(x, budget);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) strings(x, budget);
    }
}

/* Levels of arrays and objects in v (a scalar is 0). */
static int depth(json_t *v)
{
    int d = 0, k;
    const char *key;
    json_t *x;
    size_t i;
    if (!json_is_object(v) && !json_is_array(v)) return 0;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x)
        {
            if ((k = depth(x)) > d) d = k;
        }
    } else {
        json_array_foreach(v, i, x)
        {
            if ((k = depth(x)) > d) d = k;
        }
    }
    return d + 1; /* each child once: twice per level would be 2^depth calls */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (doc) {
        int d = depth(doc);
        fuzz_check(jsonin_depth_ok((const char *)data, size, &je) == (d <= JSONIN_MAX_DEPTH),
                   "a document %d levels deep, the scanner says %d", d,
                   jsonin_depth_ok((const char *)data, size, &je));
        json_decref(doc);
    }
    json_t *o = jsonin_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        fuzz_check(je.text[0] != 0, "jansson refused without a message");
        return 0;
    }
    int budget = 64;
    strings(o, &budget);
    json_decref(o);
    return 0;
}
