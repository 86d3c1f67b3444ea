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
 *
 * The fast order parser (src/server/order_json.c) on the same bytes, as an
 * order, a take and a batch: whatever it takes, the general path (jansson,
 * the known keys, oj_json) takes too and gives the same command and client
 * order id. And the bytes as a string: the direct writer's escaping is
 * json_dumps()'s, and it declines exactly what jansson refuses.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzztmp.h"
#include "../../src/server/http.h"
#include "core/jsonin.h"
#include "../../src/server/order_json.h"

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

static int any_instrument(req *r, const char *code)
{
    (void)r;
    return code[0] == 'Z' ? -1 : (int)(unsigned char)code[0]; /* some are unknown */
}

/* The fast parser's order o of kind against the general path on b. */
static void same_order(json_t *b, const oj_order *o, oj_kind kind)
{
    req g, f;
    memset(&g, 0, sizeof g);
    g.capture = true;
    g.who.participant = 9;
    f = g;
    cets_cmd cg, cf;
    const char *coid = NULL;
    int64_t qty = 0;
    bool gok = oj_json(&g, b, kind, &cg, &coid, &qty), fok = oj_cmd(&f, o, kind, &cf);
    fuzz_check(gok == fok, "fast %d, general %d", fok, gok);
    if (gok)
        fuzz_check(cg.type == cf.type && cg.instrument == cf.instrument && cg.side == cf.side &&
                       cg.price == cf.price && cg.qty == cf.qty && cg.flags == cf.flags &&
                       cg.actor == cf.actor && qty == o->qty && (coid != NULL) == o->has_coid &&
                       (!coid || strcmp(coid, o->coid) == 0),
                   "the fast parser's command differs from the general path's");
    json_decref(g.captured);
    json_decref(f.captured);
}

static void fast_parser(const char *buf, size_t size)
{
    static const char *const ofields[] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                          NULL};
    static const char *const tfields[] = {
        "code", "side", "targets", "qty", "limit", "client_order_id", NULL};
    static const char *const bfields[] = {"orders", NULL};
    static oj_order out[OJ_BATCH_MAX];
    oj_set_lookup(any_instrument);
    for (int k = 0; k < 2; k++) {
        oj_kind kind = k ? OJ_TAKE : OJ_ORDER;
        oj_order o;
        if (!oj_parse(buf, size, kind, &o)) continue;
        req g;
        memset(&g, 0, sizeof g);
        g.capture = true;
        json_t *b = http_body_parse(&g, buf, size, k ? tfields : ofields);
        fuzz_check(b != NULL, "the fast parser took what the general path refuses");
        if (b) same_order(b, &o, kind);
        json_decref(b);
        json_decref(g.captured);
    }
    size_t n = 0;
    if (oj_parse_batch(buf, size, out, OJ_BATCH_MAX, &n)) {
        req g;
        memset(&g, 0, sizeof g);
        g.capture = true;
        json_t *b = http_body_parse(&g, buf, size, bfields);
        json_t *orders = json_object_get(b, "orders");
        fuzz_check(json_is_array(orders) && json_array_size(orders) == n,
                   "a batch of %zu the general path does not read alike", n);
        for (size_t i = 0; i < n && i < json_array_size(orders); i++) {
            req e = g;
            e.captured = NULL;
            fuzz_check(http_known_fields(&e, json_array_get(orders, i), ofields, NULL),
                       "batch entry %zu has a key the general path refuses", i);
            json_decref(e.captured);
            same_order(json_array_get(orders, i), &out[i], OJ_ORDER);
        }
        json_decref(b);
        json_decref(g.captured);
    }
}

/* The bytes up to a NUL as a string: the direct writer against jansson. */
static void writer(const char *buf, size_t size)
{
    char s[512];
    size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
    memcpy(s, buf, n);
    s[n] = 0;
    jbuf w;
    jb_init(&w);
    json_t *j = json_string(s);
    bool ok = jb_str(&w, s);
    fuzz_check(ok == (j != NULL), "the writer says %d, jansson %d", ok, j != NULL);
    if (ok && j) {
        char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        fuzz_check(t && strlen(t) == w.len && memcmp(t, w.p, w.len) == 0,
                   "the writer's string differs from json_dumps'");
        free(t);
    }
    json_decref(j);
    jb_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fast_parser((const char *)data, size);
    writer((const char *)data, size);
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
