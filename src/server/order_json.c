/* order_json.c -- see order_json.h. */
#include "order_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cets/registry.h"
#include "views.h"

/* ---- the instrument lookup ------------------------------------------------ */

static int lookup_engine(req *r, const char *code)
{
    const cets_engine *e = core_read_begin(r->s->core);
    int id = cets_instrument_find(e, code);
    core_read_end(r->s->core);
    return id;
}

static oj_lookup_fn lookup = lookup_engine;

void oj_set_lookup(oj_lookup_fn fn)
{
    lookup = fn ? fn : lookup_engine;
}

/* ---- the fast parser ------------------------------------------------------ */

typedef struct scan {
    const char *p, *end;
} scan;

static void ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(scan *s, char c)
{
    ws(s);
    if (s->p >= s->end || *s->p != c) return false;
    s->p++;
    return true;
}

/* A string of printable ASCII without escapes, at most max bytes, into out
 * (with its NUL). */
static bool str(scan *s, char *out, size_t max)
{
    if (!eat(s, '"')) return false;
    size_t n = 0;
    for (; s->p < s->end && *s->p != '"'; s->p++, n++) {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20 || c > 0x7e || c == '\\' || n == max) return false;
        out[n] = (char)c;
    }
    if (s->p >= s->end) return false;
    s->p++;
    out[n] = 0;
    return true;
}

/* An integer as jansson reads one and keeps it an integer: -?(0|[1-9]d*),
 * here at most 16 digits and not "-0". */
static bool integer(scan *s, int64_t *out)
{
    ws(s);
    bool neg = s->p < s->end && *s->p == '-';
    if (neg) s->p++;
    const char *d = s->p;
    int64_t v = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (s->p - d == 16) return false;
        v = v * 10 + (*s->p++ - '0');
    }
    size_t nd = (size_t)(s->p - d);
    if (nd == 0 || (d[0] == '0' && (nd > 1 || neg))) return false;
    if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E')) return false;
    *out = neg ? -v : v;
    return true;
}

static bool name_of(const char *v, const char *const names[], int *out)
{
    for (int i = 0; names[i]; i++)
        if (names[i][0] && strcmp(names[i], v) == 0) {
            *out = i;
            return true;
        }
    return false;
}

enum { F_CODE, F_SIDE, F_PRICE, F_QTY, F_TIF, F_COID, F_LIMIT, F_N };
static const char *const keys[F_N] = {"code", "side", "price", "qty", "tif", "client_order_id",
                                      "limit"};

/* One order object at s. */
static bool order_obj(scan *s, oj_kind kind, oj_order *o)
{
    unsigned allowed =
        kind == OJ_ORDER
            ? 1u << F_CODE | 1u << F_SIDE | 1u << F_PRICE | 1u << F_QTY | 1u << F_TIF | 1u << F_COID
            : 1u << F_CODE | 1u << F_SIDE | 1u << F_QTY | 1u << F_LIMIT | 1u << F_COID;
    unsigned required = kind == OJ_ORDER
                            ? 1u << F_CODE | 1u << F_SIDE | 1u << F_PRICE | 1u << F_QTY
                            : 1u << F_CODE | 1u << F_SIDE | 1u << F_QTY | 1u << F_LIMIT;
    unsigned seen = 0;
    memset(o, 0, sizeof *o);
    o->tif = CETS_TIF_DAY;
    if (!eat(s, '{')) return false;
    do {
        char key[16], v[IDEM_COID_MAX + 1];
        if (!str(s, key, sizeof key - 1) || !eat(s, ':')) return false;
        int f = 0;
        while (f < F_N && strcmp(keys[f], key) != 0) f++;
        if (f == F_N || !(allowed & 1u << f) || (seen & 1u << f)) return false;
        seen |= 1u << f;
        switch (f) {
        case F_CODE:
            if (!str(s, o->code, CETS_CODE_LEN - 1) || !o->code[0]) return false;
            break;
        case F_SIDE:
            if (!str(s, v, 8) || !name_of(v, view_sides, &o->side)) return false;
            break;
        case F_TIF:
            if (!str(s, v, 8) || !name_of(v, view_tifs, &o->tif)) return false;
            break;
        case F_PRICE:
        case F_LIMIT:
            if (!str(s, v, 20) || http_parse_money(v, &o->price) != 0) return false;
            break;
        case F_QTY:
            if (!integer(s, &o->qty) || o->qty < -OJ_QTY_LIMIT || o->qty > OJ_QTY_LIMIT)
                return false;
            break;
        case F_COID:
            if (!str(s, o->coid, IDEM_COID_MAX) || !o->coid[0] || strchr(o->coid, ' '))
                return false;
            o->has_coid = true;
            break;
        }
    } while (eat(s, ','));
    return (seen & required) == required && eat(s, '}');
}

static bool at_end(scan *s)
{
    ws(s);
    return s->p == s->end;
}

bool oj_parse(const char *body, size_t len, oj_kind kind, oj_order *out)
{
    scan s = {body, body + len};
    return order_obj(&s, kind, out) && at_end(&s);
}

size_t oj_batch_bound(const char *body, size_t len)
{
    size_t n = 0;
    for (const char *p = body; (p = memchr(p, '{', (size_t)(body + len - p))); p++) n++;
    return n;
}

bool oj_parse_batch(const char *body, size_t len, oj_order *out, size_t max, size_t *n)
{
    scan s = {body, body + len};
    char key[8];
    if (!eat(&s, '{') || !str(&s, key, sizeof key - 1) || strcmp(key, "orders") != 0 ||
        !eat(&s, ':') || !eat(&s, '['))
        return false;
    *n = 0;
    do {
        if (*n == max || *n == OJ_BATCH_MAX || !order_obj(&s, OJ_ORDER, &out[*n])) return false;
        ++*n;
    } while (eat(&s, ','));
    return eat(&s, ']') && eat(&s, '}') && at_end(&s);
}

bool oj_cmd(req *r, const oj_order *o, oj_kind kind, cets_cmd *cmd)
{
    *cmd = (cets_cmd){.type = kind == OJ_ORDER ? CETS_CMD_POST : CETS_CMD_TAKE};
    int id = lookup(r, o->code);
    if (id < 0) {
        http_reason(r, CETS_UNKNOWN_INSTRUMENT, NULL);
        return false;
    }
    cmd->instrument = (uint32_t)id;
    cmd->side = (uint8_t)o->side;
    cmd->actor = cmd->participant = r->who.participant;
    cmd->price = o->price;
    cmd->qty = o->qty;
    if (kind == OJ_ORDER) cmd->flags = (uint8_t)o->tif;
    return true;
}

/* ---- the general path ----------------------------------------------------- */

/* Fields shared by orders and takes: instrument, side, client order id. */
static bool order_common(req *r, json_t *b, cets_cmd *cmd, const char **coid)
{
    const char *code;
    int side;
    if (!http_str(r, b, "code", true, CETS_CODE_LEN - 1, &code) ||
        !http_enum(r, b, "side", true, view_sides, &side) ||
        !http_str(r, b, "client_order_id", false, IDEM_COID_MAX, coid))
        return false;
    for (const char *c = *coid; c && *c; c++)
        if (*c < 0x21 || *c > 0x7e) {
            http_field_error(r, "client_order_id",
                             "\"client_order_id\" must be 1 to 32 printable ASCII characters");
            return false;
        }
    int id = lookup(r, code);
    if (id < 0) {
        http_reason(r, CETS_UNKNOWN_INSTRUMENT, NULL);
        return false;
    }
    cmd->instrument = (uint32_t)id;
    cmd->side = (uint8_t)side;
    cmd->actor = cmd->participant = r->who.participant;
    return true;
}

/* targets: [{"order_id":…, "qty":…}, …] into cmd; the total into *qty. */
static bool take_targets(req *r, json_t *t, cets_cmd *cmd, int64_t *qty)
{
    if (!json_is_array(t) || json_array_size(t) == 0) {
        http_field_error(r, "targets", "\"targets\" must be a non-empty array");
        return false;
    }
    if (json_array_size(t) > CETS_MAX_TARGETS) {
        http_reason(r, CETS_TOO_MANY_TARGETS, NULL);
        return false;
    }
    static const char *const tfields[] = {"order_id", "qty", NULL};
    *qty = 0;
    for (size_t i = 0; i < json_array_size(t); i++) {
        json_t *o = json_array_get(t, i);
        char name[32];
        snprintf(name, sizeof name, "targets[%zu]", i);
        const char *k;
        json_t *v;
        if (!json_is_object(o)) {
            http_field_error(r, name, "\"%s\" must be an object {\"order_id\", \"qty\"}", name);
            return false;
        }
        json_object_foreach(o, k, v)
        {
            bool known = !strcmp(k, tfields[0]) || !strcmp(k, tfields[1]);
            if (!known) {
                http_error(r, 400, "unknown_field", HTTP_E_UNKNOWN_FIELD,
                           "\"%s.%.40s\" is not part of the request", name, k);
                return false;
            }
        }
        int64_t id = 0, q = 0;
        if (!http_int(r, o, "order_id", true, 1, INT64_MAX, &id) ||
            !http_int(r, o, "qty", true, -OJ_QTY_LIMIT, OJ_QTY_LIMIT, &q))
            return false;
        cmd->u.targets[i] = (cets_target){(uint64_t)id, q};
        *qty += q;
    }
    cmd->ntargets = (uint8_t)json_array_size(t);
    return true;
}

bool oj_json(req *r, json_t *b, oj_kind kind, cets_cmd *cmd, const char **coid, int64_t *qty)
{
    *cmd = (cets_cmd){.type = kind == OJ_ORDER ? CETS_CMD_POST : CETS_CMD_TAKE};
    *coid = NULL;
    if (!order_common(r, b, cmd, coid)) return false;
    if (kind == OJ_ORDER) {
        int tif = CETS_TIF_DAY;
        if (!http_money(r, b, "price", true, &cmd->price) ||
            !http_int(r, b, "qty", true, -OJ_QTY_LIMIT, OJ_QTY_LIMIT, &cmd->qty) ||
            !http_enum(r, b, "tif", false, view_tifs, &tif))
            return false;
        cmd->flags = (uint8_t)tif;
        *qty = cmd->qty;
        return true;
    }
    json_t *t = json_object_get(b, "targets");
    bool by_qty = json_object_get(b, "qty") || json_object_get(b, "limit");
    if (t && by_qty) {
        http_field_error(r, "targets",
                         "give either \"targets\" or \"qty\" and \"limit\", not both");
        return false;
    }
    if (t) return take_targets(r, t, cmd, qty);
    if (!http_int(r, b, "qty", true, -OJ_QTY_LIMIT, OJ_QTY_LIMIT, &cmd->qty) ||
        !http_money(r, b, "limit", true, &cmd->price))
        return false;
    *qty = cmd->qty;
    return true;
}

/* ---- the writer ----------------------------------------------------------- */

void jb_init(jbuf *w)
{
    w->p = w->inl;
    w->len = 0;
    w->cap = sizeof w->inl;
    w->oom = false;
}

void jb_free(jbuf *w)
{
    if (w->p != w->inl) free(w->p);
    jb_init(w);
}

static bool room(jbuf *w, size_t n)
{
    if (w->oom) return false;
    if (w->len + n <= w->cap) return true;
    size_t cap = w->cap * 2;
    while (cap < w->len + n) cap *= 2;
    char *p = w->p == w->inl ? malloc(cap) : realloc(w->p, cap);
    if (!p) {
        w->oom = true;
        return false;
    }
    if (w->p == w->inl) memcpy(p, w->inl, w->len);
    w->p = p;
    w->cap = cap;
    return true;
}

void jb_raw(jbuf *w, const char *s, size_t n)
{
    if (!room(w, n)) return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

#define JB_LIT(w, s) jb_raw((w), (s), sizeof(s) - 1)

void jb_int(jbuf *w, long long v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", v);
    jb_raw(w, b, (size_t)n);
}

bool jb_str(jbuf *w, const char *s)
{
    for (const char *c = s; *c;) {
        int n = cets_utf8_char_len(c);
        if (!n) return false;
        c += n;
    }
    JB_LIT(w, "\"");
    const char *run = s;
    for (const char *c = s;; c++) {
        unsigned char u = (unsigned char)*c;
        if (u && u != '"' && u != '\\' && u >= 0x20) continue;
        jb_raw(w, run, (size_t)(c - run));
        if (!u) break;
        char esc[8];
        const char *e = u == '"'    ? "\\\""
                        : u == '\\' ? "\\\\"
                        : u == '\b' ? "\\b"
                        : u == '\f' ? "\\f"
                        : u == '\n' ? "\\n"
                        : u == '\r' ? "\\r"
                        : u == '\t' ? "\\t"
                                    : NULL;
        if (!e) {
            snprintf(esc, sizeof esc, "\\u%04X", u);
            e = esc;
        }
        jb_raw(w, e, strlen(e));
        run = c + 1;
    }
    JB_LIT(w, "\"");
    return true;
}

/* ---- the answers ---------------------------------------------------------- */

static const char *result_status(const idem_result *res)
{
    return res->resting_qty > 0 ? "resting" : res->filled_qty == res->qty ? "filled" : "done";
}

json_t *oj_result_json(const idem_result *res, const char *coid)
{
    json_t *o = json_object();
    json_object_set_new(o, "order_id", json_integer((json_int_t)res->order_id));
    json_object_set_new(o, "client_order_id", coid ? json_string(coid) : json_null());
    json_object_set_new(o, "status", json_string(result_status(res)));
    json_object_set_new(o, "qty", json_integer(res->qty));
    json_object_set_new(o, "filled_qty", json_integer(res->filled_qty));
    json_object_set_new(o, "filled_value", view_money(res->filled_value));
    json_object_set_new(o, "resting_qty", json_integer(res->resting_qty));
    json_object_set_new(o, "trades", json_integer(res->ntrades));
    return o;
}

void oj_result_write(jbuf *w, const idem_result *res, const char *coid)
{
    char money[32];
    JB_LIT(w, "{\"order_id\":");
    jb_int(w, (long long)res->order_id);
    JB_LIT(w, ",\"client_order_id\":");
    if (!coid || !jb_str(w, coid)) JB_LIT(w, "null"); /* a coid is printable ASCII */
    JB_LIT(w, ",\"status\":\"");
    const char *st = result_status(res);
    jb_raw(w, st, strlen(st));
    JB_LIT(w, "\",\"qty\":");
    jb_int(w, res->qty);
    JB_LIT(w, ",\"filled_qty\":");
    jb_int(w, res->filled_qty);
    JB_LIT(w, ",\"filled_value\":");
    jb_str(w, cets_fmt_money(res->filled_value, money));
    JB_LIT(w, ",\"resting_qty\":");
    jb_int(w, res->resting_qty);
    JB_LIT(w, ",\"trades\":");
    jb_int(w, res->ntrades);
    JB_LIT(w, "}");
}

json_t *oj_cancel_json(uint64_t order_id)
{
    return json_pack("{s:I, s:s}", "order_id", (json_int_t)order_id, "status", "cancelled");
}

void oj_cancel_write(jbuf *w, uint64_t order_id)
{
    JB_LIT(w, "{\"order_id\":");
    jb_int(w, (long long)order_id);
    JB_LIT(w, ",\"status\":\"cancelled\"}");
}

bool oj_rejection_write(jbuf *w, const http_rejection *x)
{
    size_t mark = w->len;
    JB_LIT(w, "{\"error\":");
    if (!jb_str(w, x->name)) goto bad;
    JB_LIT(w, ",\"code\":");
    jb_int(w, x->code);
    JB_LIT(w, ",\"message\":");
    if (!jb_str(w, x->msg)) goto bad;
    if (x->has_leader) {
        JB_LIT(w, ",\"leader\":");
        if (!x->leader[0])
            JB_LIT(w, "null");
        else if (!jb_str(w, x->leader))
            goto bad;
    }
    JB_LIT(w, "}");
    return true;
bad:
    w->len = mark;
    return false;
}

void oj_entry_close(jbuf *w, size_t index, int status)
{
    if (w->len && w->p[w->len - 1] == '}') w->len--;
    if (w->len && w->p[w->len - 1] == '{') /* an empty object */
        JB_LIT(w, "\"index\":");
    else
        JB_LIT(w, ",\"index\":");
    jb_int(w, (long long)index);
    JB_LIT(w, ",\"http_status\":");
    jb_int(w, status);
    JB_LIT(w, "}");
}
