/* validate.c -- see validate.h.
 *
 * The pass walks the fields once, left to right. Top-level fields are
 * remembered in a bit set by slot (repeats, required ones); a NumInGroup
 * field hands the fields after it to group(), which takes entries for as
 * long as the fields belong to the group (its first field starts an entry)
 * and then counts them. Every lookup is an array index or a bit test: the
 * pass costs a few nanoseconds per field.
 */
#include "validate.h"

#include <stdio.h>
#include <string.h>

typedef struct vctx {
    const fix_msg *m;
    fix_verdict *v;
    uint64_t seen[FIX_SLOT_WORDS]; /* top-level fields met so far */
} vctx;

static bool bit(const uint64_t *set, unsigned slot)
{
    return set[slot / 64] >> (slot % 64) & 1;
}

static void bit_set(uint64_t *set, unsigned slot)
{
    set[slot / 64] |= 1ull << (slot % 64);
}

/* A tag as sent: for FIX_TAG_INVALID the text before '=' ("0", "-1"). */
static void tag_text(const fix_msg *m, int i, char *out, size_t cap)
{
    const fix_field *f = &m->f[i];
    if (f->tag != FIX_TAG_INVALID || i == 0) {
        snprintf(out, cap, "%u", f->tag);
        return;
    }
    const char *start = m->f[i - 1].val + m->f[i - 1].len + 1; /* after the SOH before */
    size_t n = (size_t)(f->val - 1 - start);
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), start);
}

/* The verdict on field i (or, i < 0, on tag): false, to return at once. */
static bool fail(vctx *c, int reason, int i, uint32_t tag)
{
    c->v->reason = reason;
    if (i >= 0) {
        c->v->tag = c->m->f[i].tag;
        tag_text(c->m, i, c->v->tag_text, sizeof c->v->tag_text);
    } else {
        c->v->tag = tag;
        snprintf(c->v->tag_text, sizeof c->v->tag_text, "%u", tag);
    }
    return false;
}

static bool digits(const char *p, uint32_t n)
{
    if (n == 0 || n > 18) return false;
    for (uint32_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

/* 0, FIX_REJ_FORMAT or FIX_REJ_VALUE. */
static int value_check(const fix_field_def *d, const fix_field *f)
{
    const char *p = f->val;
    uint32_t n = f->len;
    switch (d->type) {
    case FIX_T_STRING: break;
    case FIX_T_CHAR:
        if (n != 1) return FIX_REJ_FORMAT;
        break;
    case FIX_T_BOOLEAN:
        if (n != 1 || (p[0] != 'Y' && p[0] != 'N')) return FIX_REJ_FORMAT;
        break;
    case FIX_T_INT:
        if (!(p[0] == '-' ? digits(p + 1, n - 1) : digits(p, n))) return FIX_REJ_FORMAT;
        break;
    case FIX_T_UINT:
        if (!digits(p, n)) return FIX_REJ_FORMAT;
        break;
    case FIX_T_FLOAT: {
        uint32_t i = p[0] == '-', nd = 0, dots = 0;
        if (n > 32) return FIX_REJ_FORMAT;
        for (; i < n; i++)
            if (p[i] >= '0' && p[i] <= '9')
                nd++;
            else if (p[i] == '.' && !dots)
                dots++;
            else
                return FIX_REJ_FORMAT;
        if (!nd) return FIX_REJ_FORMAT;
        break;
    }
    case FIX_T_UTCTIMESTAMP:
        if (!fix_utc_valid(p, n)) return FIX_REJ_FORMAT;
        break;
    }
    for (uint16_t k = 0; k < d->nvalues; k++) { /* the enumeration, when there is one */
        const char *e = d->values[k];
        uint32_t i = 0;
        while (i < n && e[i] == p[i]) i++;
        if (i == n && e[n] == 0) return 0;
    }
    return d->nvalues ? FIX_REJ_VALUE : 0;
}

static int member_index(const fix_group_def *g, uint32_t tag)
{
    uint16_t slot = tag == FIX_TAG_INVALID ? 0 : fix_dict_slot(tag);
    for (int k = 0; slot && k < g->n; k++)
        if (g->m[k].slot == slot) return k;
    return -1;
}

/* The first required field of g missing from an entry (bit k: field k met). */
static int entry_missing(const fix_group_def *g, uint64_t met)
{
    for (int k = 0; k < g->n && k < 64; k++)
        if (g->m[k].required && !(met >> k & 1)) return k;
    return -1;
}

/* The entries of the group opened by field `at` (its NumInGroup, already
 * checked as digits), from field i on; the index after them, or -1. */
static int group(vctx *c, const fix_group_def *g, int at, int i)
{
    const fix_msg *m = c->m;
    const fix_field *count = &m->f[at];
    uint64_t want = 0, entries = 0, met = 0;
    for (uint32_t k = 0; k < count->len; k++) want = want * 10 + (uint64_t)(count->val[k] - '0');
    int last = -1, miss;
    for (; i < m->n; i++) {
        const fix_field *f = &m->f[i];
        int k = member_index(g, f->tag);
        if (k < 0) break; /* the group ends at the first field not its own */
        if (k == 0) {
            if (entries && (miss = entry_missing(g, met)) >= 0)
                return fail(c, FIX_REJ_REQUIRED, -1, fix_dict_fields[g->m[miss].slot].tag), -1;
            if (++entries > want) return fail(c, FIX_REJ_GROUP_COUNT, at, 0), -1;
            met = 0;
        } else if (!entries || k < last) {
            return fail(c, FIX_REJ_GROUP_ORDER, i, 0), -1;
        } else if (met >> k & 1) {
            return fail(c, FIX_REJ_REPEATED, i, 0), -1;
        }
        last = k;
        met |= 1ull << k;
        const fix_field_def *d = &fix_dict_fields[g->m[k].slot];
        int r = f->len == 0 ? FIX_REJ_NO_VALUE : value_check(d, f);
        if (r) return fail(c, r, i, 0), -1;
        /* a group inside: its entries, then on from the field after them */
        if (g->m[k].group && (i = group(c, g->m[k].group, i, i + 1) - 1) < 0) return -1;
    }
    if (entries && (miss = entry_missing(g, met)) >= 0)
        return fail(c, FIX_REJ_REQUIRED, -1, fix_dict_fields[g->m[miss].slot].tag), -1;
    if (entries != want) return fail(c, FIX_REJ_GROUP_COUNT, at, 0), -1;
    return i;
}

static const fix_group_def *group_of(const fix_msg_def *def, uint16_t slot)
{
    for (uint16_t k = 0; k < def->n; k++)
        if (def->m[k].slot == slot) return def->m[k].group;
    return NULL;
}

bool fix_validate(const fix_msg *m, const fix_msg_def *def, fix_verdict *v)
{
    vctx c = {.m = m, .v = v};
    memcpy(c.seen, fix_dict_framed, sizeof c.seen); /* a second one anywhere is a repeat */
    int phase = FIX_IN_HEADER;
    for (int i = 1; i < m->n;) { /* f[0] is MsgType */
        const fix_field *f = &m->f[i];
        uint16_t slot = f->tag == FIX_TAG_INVALID ? 0 : fix_dict_slot(f->tag);
        if (!slot) /* FIX 4.4's own tags exist, just not here; others do not */
            return fail(&c,
                        f->tag >= 1 && f->tag <= FIX44_LAST_TAG ? FIX_REJ_NOT_FOR_TYPE
                                                                : FIX_REJ_INVALID_TAG,
                        i, 0);
        const fix_field_def *d = &fix_dict_fields[slot];
        if (f->len == 0) return fail(&c, FIX_REJ_NO_VALUE, i, 0);
        if (d->where == FIX_IN_HEADER) {
            if (phase != FIX_IN_HEADER) return fail(&c, FIX_REJ_ORDER, i, 0);
        } else if (d->where == FIX_IN_TRAILER) {
            phase = FIX_IN_TRAILER;
        } else {
            if (phase == FIX_IN_TRAILER) return fail(&c, FIX_REJ_ORDER, i, 0);
            if (!bit(def->body, slot)) return fail(&c, FIX_REJ_NOT_FOR_TYPE, i, 0);
            phase = FIX_IN_BODY;
        }
        if (bit(c.seen, slot)) return fail(&c, FIX_REJ_REPEATED, i, 0);
        bit_set(c.seen, slot);
        int r = value_check(d, f);
        if (r) return fail(&c, r, i, 0);
        const fix_group_def *g = d->where == FIX_IN_BODY ? group_of(def, slot) : NULL;
        if (g && (i = group(&c, g, i, i + 1)) < 0) return false;
        if (!g) i++;
    }
    uint64_t missing = 0; /* a word of bits per required field not met: all at once */
    for (int w = 0; w < FIX_SLOT_WORDS; w++)
        missing |= (fix_dict_header_required[w] | def->required[w]) & ~c.seen[w];
    if (!missing) return true;
    for (uint16_t k = 0; k < fix_dict_nheader; k++) /* the first, in the dictionary's order */
        if (fix_dict_header[k].required && !bit(c.seen, fix_dict_header[k].slot))
            return fail(&c, FIX_REJ_REQUIRED, -1, fix_dict_fields[fix_dict_header[k].slot].tag);
    for (uint16_t k = 0; k < def->n; k++)
        if (def->m[k].required && !bit(c.seen, def->m[k].slot))
            return fail(&c, FIX_REJ_REQUIRED, -1, fix_dict_fields[def->m[k].slot].tag);
    return true;
}

const fix_msg_def *fix_dict_msg(const char *type)
{
    for (uint16_t i = 0; i < fix_dict_nmsgs; i++)
        if (strcmp(fix_dict_msgs[i].type, type) == 0) return &fix_dict_msgs[i];
    return NULL;
}

bool fix44_msg_type(const char *t)
{
    static const char *const fix44[] = {
        "0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "A",  "B",  "C",  "D",
        "E",  "F",  "G",  "H",  "J",  "K",  "L",  "M",  "N",  "P",  "Q",  "R",  "S",  "T",
        "V",  "W",  "X",  "Y",  "Z",  "a",  "b",  "c",  "d",  "e",  "f",  "g",  "h",  "i",
        "j",  "k",  "l",  "m",  "n",  "o",  "p",  "q",  "r",  "s",  "t",  "u",  "v",  "w",
        "x",  "y",  "z",  "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK",
        "AL", "AM", "AN", "AO", "AP", "AQ", "AR", "AS", "AT", "AU", "AV", "AW", "AX", "AY",
        "AZ", "BA", "BB", "BC", "BD", "BE", "BF", "BG", "BH"};
    for (size_t i = 0; i < sizeof fix44 / sizeof fix44[0]; i++)
        if (!strcmp(t, fix44[i])) return true;
    return t[0] == 'U'; /* user-defined types */
}

const char *fix_reject_text(int reason)
{
    switch (reason) {
    case FIX_REJ_INVALID_TAG: return "Invalid tag number";
    case FIX_REJ_REQUIRED: return "Required tag missing";
    case FIX_REJ_NOT_FOR_TYPE: return "Tag not defined for this message type";
    case FIX_REJ_NO_VALUE: return "Tag specified without a value";
    case FIX_REJ_VALUE: return "Value is incorrect (out of range) for this tag";
    case FIX_REJ_FORMAT: return "Incorrect data format for value";
    case FIX_REJ_COMPID: return "CompID problem";
    case FIX_REJ_SENDING_TIME: return "SendingTime accuracy problem";
    case FIX_REJ_MSGTYPE: return "Invalid MsgType";
    case FIX_REJ_REPEATED: return "Tag appears more than once";
    case FIX_REJ_ORDER: return "Tag specified out of required order";
    case FIX_REJ_GROUP_ORDER: return "Repeating group fields out of order";
    case FIX_REJ_GROUP_COUNT: return "Incorrect NumInGroup count for repeating group";
    }
    return "Other";
}

void fix_verdict_text(const fix_verdict *v, char *out, size_t cap)
{
    uint16_t slot = v->tag == FIX_TAG_INVALID ? 0 : fix_dict_slot(v->tag);
    if (slot)
        snprintf(out, cap, "%s: %s(%u)", fix_reject_text(v->reason), fix_dict_fields[slot].name,
                 v->tag);
    else
        snprintf(out, cap, "%s: %s", fix_reject_text(v->reason), v->tag_text);
}
