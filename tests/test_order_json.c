/* test_order_json.c -- the fast order parser and the direct answer writers
 * of src/server/order_json.c held to the general path (jansson, http_body
 * and the typed field helpers) on generated input.
 *
 * Bodies: orders, takes and batches built from seeded random fields (valid
 * and invalid values, unknown and repeated keys, null, odd numbers,
 * escapes, whitespace), and byte mutations of them (a flip, an insertion, a
 * deletion). For each, the fast parser either declines or gives the same
 * command, client order id and quantity as the general path; where the
 * general path refuses after parsing (an unknown instrument) both answer the
 * same. Answers: the order result, the cancel, rejections with messages of
 * every kind of byte, and batch entries are written by both writers and
 * compared byte for byte. And the limits: code 15/16 bytes, client order id
 * 32/33, qty 10^15 and one past, a batch of 1,000 and of 1,001 orders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/order_json.h"
#include "../src/server/views.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof(a)[0])]

static int stub_lookup(req *r, const char *code)
{
    (void)r;
    static const char *const known[] = {"CEA", "CCER2026", "X", "AAAAAAAAAAAAAAA"};
    for (int i = 0; i < 4; i++)
        if (strcmp(known[i], code) == 0) return i + 3;
    return -1;
}

static req base_req(void)
{
    req r;
    memset(&r, 0, sizeof r);
    r.capture = true; /* every answer is kept: no connection */
    r.who.participant = 7;
    return r;
}

/* ---- generating bodies ---------------------------------------------------- */

typedef struct sb {
    char b[200000];
    size_t n;
} sb;

static void put(sb *s, const char *t)
{
    size_t k = strlen(t);
    if (s->n + k < sizeof s->b) memcpy(s->b + s->n, t, k), s->n += k;
    s->b[s->n] = 0;
}

static void sp(sb *s)
{
    static const char *const w[] = {"", "", "", "", " ", "\n", "\t", "\r\n", "  "};
    put(s, PICK(w));
}

static const char *const codes[] = {"\"CEA\"",
                                    "\"CCER2026\"",
                                    "\"X\"",
                                    "\"NOPE\"",
                                    "\"AAAAAAAAAAAAAAA\"",
                                    "\"AAAAAAAAAAAAAAAA\"",
                                    "\"\"",
                                    "\"C\\u0045A\"",
                                    "\"CE\\\"A\"",
                                    "12",
                                    "null",
                                    "\"\xc3\xa9t\xc3\xa9\""};
static const char *const sides[] = {"\"buy\"", "\"sell\"", "\"buy\"", "\"sell\"",     "\"Buy\"",
                                    "\"\"",    "1",        "null",    "\"b\\u0075y\""};
static const char *const prices[] = {"\"74.60\"",
                                     "\"74.6\"",
                                     "\"0\"",
                                     "\"0.5\"",
                                     "\"1.234\"",
                                     "\"01\"",
                                     "\"-1\"",
                                     "\"9999999999999.99\"",
                                     "\"99999999999999\"",
                                     "74.6",
                                     "\"\"",
                                     "\"7.\"",
                                     "null",
                                     "\"74.60\"",
                                     "\"100\"",
                                     "\" 1\""};
static const char *const qtys[] = {"1",
                                   "100",
                                   "-5",
                                   "0",
                                   "1000000000000000",
                                   "1000000000000001",
                                   "-1000000000000000",
                                   "-1000000000000001",
                                   "1.0",
                                   "1e3",
                                   "-0",
                                   "01",
                                   "\"5\"",
                                   "null",
                                   "10",
                                   "99999999999999999999",
                                   "1E2",
                                   "-",
                                   "123456789012345678"};
static const char *const tifs[] = {"\"day\"", "\"ioc\"", "\"DAY\"", "null", "0", "\"\""};
static const char *const coids[] = {"\"abc\"",
                                    "\"a b\"",
                                    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
                                    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
                                    "\"q\\\"uote\"",
                                    "\"back\\\\slash\"",
                                    "\"\"",
                                    "null",
                                    "\"id-1\"",
                                    "\"~!@#$%^&*()_+{}|:<>?\"",
                                    "\"\xc3\xa9\"",
                                    "\"tab\\t\"",
                                    "7"};

/* One order or take object with random fields into s. */
static void gen_obj(sb *s, oj_kind kind)
{
    static const char *const okeys[] = {"code", "side", "price", "qty", "tif", "client_order_id"};
    static const char *const tkeys[] = {"code", "side", "qty", "limit", "client_order_id"};
    const char *const *keys = kind == OJ_ORDER ? okeys : tkeys;
    int nk = kind == OJ_ORDER ? 6 : 5;
    int order[8];
    for (int i = 0; i < nk; i++) order[i] = i;
    for (int i = nk - 1; i > 0 && rnd(2); i--) {
        int j = (int)rnd((uint32_t)i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    sp(s);
    put(s, "{");
    bool first = true;
    for (int i = 0; i < nk; i++) {
        const char *k = keys[order[i]];
        bool optional = !strcmp(k, "tif") || !strcmp(k, "client_order_id");
        if (rnd(optional ? 2 : 20) == 0) continue; /* left out */
        for (int rep = rnd(30) == 0 ? 2 : 1; rep > 0; rep--) {
            if (!first) put(s, ",");
            first = false;
            sp(s);
            put(s, "\"");
            put(s, k);
            put(s, "\"");
            sp(s);
            put(s, ":");
            sp(s);
            bool good = rnd(4) != 0;
            const char *v = !strcmp(k, "code")    ? (good ? "\"CEA\"" : PICK(codes))
                            : !strcmp(k, "side")  ? (good ? "\"buy\"" : PICK(sides))
                            : !strcmp(k, "price") ? (good ? "\"74.60\"" : PICK(prices))
                            : !strcmp(k, "limit") ? (good ? "\"80\"" : PICK(prices))
                            : !strcmp(k, "qty")   ? (good ? "100" : PICK(qtys))
                            : !strcmp(k, "tif")   ? (good ? "\"ioc\"" : PICK(tifs))
                                                  : (good ? "\"c-1\"" : PICK(coids));
            put(s, v);
            sp(s);
        }
    }
    if (rnd(25) == 0) put(s, first ? "\"foo\":1" : ",\"foo\":1");
    if (kind == OJ_TAKE && rnd(25) == 0)
        put(s, first ? "\"targets\":[{\"order_id\":1,\"qty\":2}]"
                     : ",\"targets\":[{\"order_id\":1,\"qty\":2}]");
    put(s, "}");
    sp(s);
}

static void mutate(sb *s)
{
    if (!s->n) return;
    size_t at = rnd((uint32_t)s->n);
    static const char bytes[] = "{}[]\",:\\ 0123456789.-eEnul\x01\x7f\xc3\xa9";
    switch (rnd(3)) {
    case 0: s->b[at] = bytes[rnd(sizeof bytes - 1)]; break;
    case 1:
        memmove(s->b + at + 1, s->b + at, s->n - at);
        s->b[at] = bytes[rnd(sizeof bytes - 1)];
        s->n++;
        break;
    default: memmove(s->b + at, s->b + at + 1, s->n - at - 1); s->n--;
    }
    s->b[s->n] = 0;
}

/* ---- both paths ----------------------------------------------------------- */

static void same_cmd(const cets_cmd *a, const cets_cmd *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->instrument, b->instrument);
    assert_int_equal(a->side, b->side);
    assert_int_equal(a->actor, b->actor);
    assert_int_equal(a->participant, b->participant);
    assert_int_equal(a->price, b->price);
    assert_int_equal(a->qty, b->qty);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->ntargets, b->ntargets);
    assert_int_equal(a->order_id, b->order_id);
}

static void same_answer(const req *a, const req *b)
{
    assert_int_equal(a->status, b->status);
    char *x = a->captured ? json_dumps(a->captured, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *y = b->captured ? json_dumps(b->captured, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    assert_string_equal(x ? x : "-", y ? y : "-");
    free(x);
    free(y);
}

/* The fast and the general path on one object of kind (the general path
 * from its parsed b; the fast one's o). */
static void compare_entry(json_t *b, const oj_order *o, oj_kind kind)
{
    req g = base_req(), f = base_req();
    cets_cmd cg, cf;
    const char *coid = NULL;
    int64_t qty = 0;
    bool gok = oj_json(&g, b, kind, &cg, &coid, &qty);
    bool fok = oj_cmd(&f, o, kind, &cf);
    if (!gok) {
        assert_false(fok);
        same_answer(&g, &f); /* the unknown instrument, answered alike */
    } else {
        assert_true(fok);
        same_cmd(&cg, &cf);
        assert_int_equal(qty, o->qty);
        assert_int_equal(coid != NULL, o->has_coid);
        if (coid) assert_string_equal(coid, o->coid);
    }
    json_decref(g.captured);
    json_decref(f.captured);
}

static const char *const order_fields[] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                           NULL};
static const char *const take_fields[] = {
    "code", "side", "targets", "qty", "limit", "client_order_id", NULL};

/* One body of kind through both: the fast parser's answer (true: taken). */
static bool one_body(const sb *s, oj_kind kind)
{
    oj_order o;
    if (!oj_parse(s->b, s->n, kind, &o)) return false;
    req g = base_req();
    json_t *b = http_body_parse(&g, s->b, s->n, kind == OJ_ORDER ? order_fields : take_fields);
    if (!b) fail_msg("the general path refused what the fast parser took: %s", s->b);
    compare_entry(b, &o, kind);
    json_decref(b);
    json_decref(g.captured);
    return true;
}

static void differential(oj_kind kind, int *taken, int *declined)
{
    sb *s = malloc(sizeof *s);
    for (int i = 0; i < 4000; i++) {
        s->n = 0;
        gen_obj(s, kind);
        for (int m = i % 4 == 3 ? 1 + (int)rnd(3) : 0; m > 0; m--) mutate(s);
        if (one_body(s, kind))
            ++*taken;
        else
            ++*declined;
    }
    free(s);
}

static void t_orders(void **st)
{
    (void)st;
    int taken = 0, declined = 0;
    differential(OJ_ORDER, &taken, &declined);
    print_message("orders: %d taken by the fast parser, %d declined\n", taken, declined);
    assert_true(taken > 400 && declined > 400); /* both ways are exercised */
}

static void t_takes(void **st)
{
    (void)st;
    int taken = 0, declined = 0;
    differential(OJ_TAKE, &taken, &declined);
    print_message("takes: %d taken, %d declined\n", taken, declined);
    assert_true(taken > 400 && declined > 400);
}

/* A batch body through both: fast entries compared one by one. */
static bool one_batch(const sb *s, oj_order *out, size_t max)
{
    size_t n = 0;
    static const char *const fields[] = {"orders", NULL};
    if (!oj_parse_batch(s->b, s->n, out, max, &n)) return false;
    assert_true(n >= 1 && n <= max && n <= oj_batch_bound(s->b, s->n));
    req g = base_req();
    json_t *b = http_body_parse(&g, s->b, s->n, fields);
    if (!b) fail_msg("the general path refused a batch the fast parser took: %s", s->b);
    json_t *orders = json_object_get(b, "orders");
    assert_true(json_is_array(orders));
    assert_int_equal(json_array_size(orders), n);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(orders, i);
        req k = base_req();
        assert_true(json_is_object(e));
        assert_true(http_known_fields(&k, e, order_fields, "orders[0]."));
        compare_entry(e, &out[i], OJ_ORDER);
    }
    json_decref(b);
    return true;
}

static void t_batches(void **st)
{
    (void)st;
    sb *s = malloc(sizeof *s);
    oj_order *out = malloc(OJ_BATCH_MAX * sizeof *out);
    int taken = 0, declined = 0;
    for (int i = 0; i < 1500; i++) {
        s->n = 0;
        sp(s);
        put(s, rnd(20) ? "{\"orders\"" : "{\"order\"");
        sp(s);
        put(s, ":");
        sp(s);
        put(s, "[");
        int n = rnd(10) == 0 ? 0 : 1 + (int)rnd(6);
        for (int k = 0; k < n; k++) {
            if (k) put(s, ",");
            gen_obj(s, OJ_ORDER);
        }
        put(s, "]");
        sp(s);
        put(s, "}");
        if (i % 4 == 3) mutate(s);
        if (one_batch(s, out, OJ_BATCH_MAX))
            taken++;
        else
            declined++;
    }
    print_message("batches: %d taken, %d declined\n", taken, declined);
    assert_true(taken > 20 && declined > 100);
    free(out);
    free(s);
}

/* ---- the limits ----------------------------------------------------------- */

static bool parses(const char *body, oj_kind kind, oj_order *o)
{
    return oj_parse(body, strlen(body), kind, o);
}

static void t_limits(void **st)
{
    (void)st;
    oj_order o;
    assert_true(parses("{\"code\":\"AAAAAAAAAAAAAAA\",\"side\":\"buy\",\"price\":\"1\",\"qty\":1}",
                       OJ_ORDER, &o));
    assert_string_equal(o.code, "AAAAAAAAAAAAAAA");
    assert_false(
        parses("{\"code\":\"AAAAAAAAAAAAAAAA\",\"side\":\"buy\",\"price\":\"1\",\"qty\":1}",
               OJ_ORDER, &o));
    assert_true(parses("{\"code\":\"X\",\"side\":\"sell\",\"price\":\"1\",\"qty\":1,"
                       "\"client_order_id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
                       OJ_ORDER, &o));
    assert_true(o.has_coid && strlen(o.coid) == 32);
    assert_false(parses("{\"code\":\"X\",\"side\":\"sell\",\"price\":\"1\",\"qty\":1,"
                        "\"client_order_id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
                        OJ_ORDER, &o));
    assert_true(
        parses("{\"code\":\"X\",\"side\":\"sell\",\"price\":\"1\",\"qty\":1000000000000000}",
               OJ_ORDER, &o));
    assert_int_equal(o.qty, 1000000000000000LL);
    assert_false(
        parses("{\"code\":\"X\",\"side\":\"sell\",\"price\":\"1\",\"qty\":1000000000000001}",
               OJ_ORDER, &o));
    assert_true(
        parses("{\"code\":\"X\",\"side\":\"sell\",\"price\":\"1\",\"qty\":-1000000000000000}",
               OJ_ORDER, &o));
    assert_false(
        parses("{\"code\":\"X\",\"side\":\"sell\",\"price\":\"1\",\"qty\":-1000000000000001}",
               OJ_ORDER, &o));

    /* a batch of 1,000 is taken, one of 1,001 declined (the general path
     * answers 413) */
    static const char one[] = "{\"code\":\"CEA\",\"side\":\"buy\",\"price\":\"74.60\",\"qty\":1}";
    sb *s = malloc(sizeof *s);
    oj_order *out = malloc((OJ_BATCH_MAX + 1) * sizeof *out);
    size_t n = 0;
    s->n = 0;
    put(s, "{\"orders\":[");
    for (int i = 0; i < OJ_BATCH_MAX; i++) put(s, i ? "," : ""), put(s, one);
    put(s, "]}");
    assert_true(oj_parse_batch(s->b, s->n, out, OJ_BATCH_MAX + 1, &n));
    assert_int_equal(n, OJ_BATCH_MAX);
    s->n -= 2;
    put(s, ",");
    put(s, one);
    put(s, "]}");
    assert_false(oj_parse_batch(s->b, s->n, out, OJ_BATCH_MAX + 1, &n));
    /* and out's room is respected */
    assert_false(oj_parse_batch(s->b, s->n, out, 3, &n));
    free(out);
    free(s);
}

/* ---- the writers ---------------------------------------------------------- */

static void same_text(json_t *tree, const jbuf *w)
{
    char *t = json_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(t);
    assert_false(w->oom);
    assert_int_equal(strlen(t), w->len);
    assert_memory_equal(t, w->p, w->len);
    free(t);
    json_decref(tree);
}

static int64_t rnd_int(void)
{
    static const int64_t edge[] = {0,
                                   1,
                                   -1,
                                   99,
                                   100,
                                   1000000000000000LL,
                                   -1000000000000000LL,
                                   INT64_MAX,
                                   INT64_MIN + 1,
                                   4294967296LL};
    return rnd(3) ? (int64_t)rnd(1000000) - 500 : PICK(edge);
}

static void rnd_text(char *out, size_t cap, bool ascii)
{
    static const char *const pieces[] = {"a",
                                         "Z",
                                         " ",
                                         "\"",
                                         "\\",
                                         "/",
                                         "\n",
                                         "\t",
                                         "\r",
                                         "\b",
                                         "\f",
                                         "\x01",
                                         "\x1f",
                                         "\x7f",
                                         "~",
                                         "{}",
                                         "\xc3\xa9",
                                         "\xe4\xb8\xad",
                                         "\xf0\x9f\x98\x80",
                                         "\xc3",
                                         "\xed\xa0\x80",
                                         "\xff",
                                         "12.5"};
    size_t n = 0, k = rnd(12);
    out[0] = 0;
    for (size_t i = 0; i < k; i++) {
        const char *p = PICK(pieces);
        if (ascii && ((unsigned char)p[0] < 0x21 || (unsigned char)p[0] > 0x7e)) continue;
        size_t l = strlen(p);
        if (n + l + 1 > cap) break;
        memcpy(out + n, p, l + 1);
        n += l;
    }
}

static void t_writers(void **st)
{
    (void)st;
    for (int i = 0; i < 3000; i++) {
        idem_result res = {0,         (uint64_t)rnd_int() & INT64_MAX, rnd_int(), rnd_int(),
                           rnd_int(), rnd(2) ? 0 : rnd_int(),          rnd(1000)};
        if (rnd(3) == 0) res.filled_qty = res.qty;
        char coid[IDEM_COID_MAX + 1];
        rnd_text(coid, sizeof coid, true);
        const char *c = rnd(4) == 0 || !coid[0] ? NULL : coid;
        jbuf w;
        jb_init(&w);
        oj_result_write(&w, &res, c);
        same_text(oj_result_json(&res, c), &w);
        /* as a batch entry */
        oj_entry_close(&w, (size_t)i, 201);
        json_t *e = oj_result_json(&res, c);
        json_object_set_new(e, "index", json_integer(i));
        json_object_set_new(e, "http_status", json_integer(201));
        same_text(e, &w);
        jb_free(&w);

        jb_init(&w);
        oj_cancel_write(&w, res.order_id);
        same_text(oj_cancel_json(res.order_id), &w);
        jb_free(&w);

        http_rejection x = {.status = 422, .code = 100 + (int)rnd(800), .name = "price_band"};
        rnd_text(x.msg, sizeof x.msg, false);
        x.has_leader = rnd(4) == 0;
        if (x.has_leader && rnd(2)) rnd_text(x.leader, sizeof x.leader, false);
        jb_init(&w);
        json_t *j = http_rejection_json(&x);
        bool leader_bad = x.has_leader && x.leader[0] && !json_object_get(j, "leader");
        if (oj_rejection_write(&w, &x)) {
            assert_false(leader_bad);
            same_text(j, &w);
        } else {
            assert_int_equal(w.len, 0);    /* declined: nothing written */
            assert_true(!j || leader_bad); /* jansson refuses it too */
            json_decref(j);
        }
        jb_free(&w);
    }
    /* an entry whose answer is empty ({} then index and status) */
    jbuf w;
    jb_init(&w);
    jb_raw(&w, "{}", 2);
    oj_entry_close(&w, 3, 503);
    same_text(json_pack("{s:i, s:i}", "index", 3, "http_status", 503), &w);
    jb_free(&w);
    /* a long text grows the buffer past its inline room */
    jb_init(&w);
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_true(jb_str(&w, big));
    same_text(json_string(big), &w);
    jb_free(&w);
}

int main(void)
{
    oj_set_lookup(stub_lookup);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_orders), cmocka_unit_test(t_takes),   cmocka_unit_test(t_batches),
        cmocka_unit_test(t_limits), cmocka_unit_test(t_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
