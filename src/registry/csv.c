/* csv.c -- loading allocations and verified emissions from CSV files.
 *
 * The authority delivers these as spreadsheets of thousands of rows, and a
 * half-loaded file is worse than none: the registry would then hold some
 * entities' allocations and not others', and nobody could tell which rows to
 * send again. So a loader reads the whole file, checks every row against the
 * engine's state, and hands back commands only when every row is good;
 * otherwise it hands back one line-numbered message per bad row and no
 * command at all. It never changes the engine: the caller sequences,
 * journals and applies the commands like any others.
 *
 * "Checks against the state" means the state the rows will meet when applied
 * in file order: a true-up that takes tonnes back must be covered by what the
 * entity holds by then (earlier rows of the file included), and an
 * allocation first pays off tonnes owed from past shortfalls, exactly as the
 * engine does it (src/engine/registry.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cets/registry.h"

#define MAX_FIELDS 8
#define QTY_LIMIT 10000000000LL /* the engine's bound on one allocation or obligation */

/* ---- a small map from a 64-bit key to a record, for the whole-file checks */

typedef struct slot {
    uint64_t key; /* 0 = empty */
    int64_t avail, owed;
    int first_line[2]; /* allocations: line of the pre / true-up row; emissions: [0] */
} slot;

typedef struct kmap {
    slot *s;
    size_t mask, n;
} kmap;

static size_t kmap_home(const kmap *m, uint64_t key)
{
    return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & m->mask;
}

/* Room for `extra` more keys without moving: pointers from kmap_get stay
 * valid until the next kmap_room. */
static bool kmap_room(kmap *m, size_t extra)
{
    if (m->s && (m->n + extra) * 2 <= m->mask + 1) return true;
    kmap old = *m;
    size_t cap = m->s ? (m->mask + 1) * 2 : 1024;
    while ((m->n + extra) * 2 > cap) cap *= 2;
    if (!(m->s = calloc(cap, sizeof *m->s))) {
        *m = old;
        return false;
    }
    m->mask = cap - 1;
    for (size_t i = 0; old.s && i <= old.mask; i++) {
        if (!old.s[i].key) continue;
        size_t j = kmap_home(m, old.s[i].key);
        while (m->s[j].key) j = (j + 1) & m->mask;
        m->s[j] = old.s[i];
    }
    free(old.s);
    return true;
}

/* The record of key, created (zeroed, *fresh set) when missing; needs room. */
static slot *kmap_get(kmap *m, uint64_t key, bool *fresh)
{
    size_t j = kmap_home(m, key);
    while (m->s[j].key && m->s[j].key != key) j = (j + 1) & m->mask;
    *fresh = !m->s[j].key;
    if (*fresh) {
        memset(&m->s[j], 0, sizeof m->s[j]);
        m->s[j].key = key;
        m->n++;
    }
    return &m->s[j];
}

/* ---- the loader's state and its messages ------------------------------- */

typedef struct loader {
    const cets_engine *e;
    const char *name;
    uint32_t authority;
    cets_load *out;
    size_t cap_cmds, cap_errors, bad;
    bool oom;
    kmap map;
} loader;

static void load_message(loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void load_message(loader *ld, const char *fmt, ...)
{
    cets_load *o = ld->out;
    if (o->nerrors == ld->cap_errors) {
        size_t cap = ld->cap_errors ? ld->cap_errors * 2 : 16;
        char **p = realloc(o->errors, cap * sizeof *p);
        if (!p) {
            ld->oom = true;
            return;
        }
        o->errors = p;
        ld->cap_errors = cap;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!(o->errors[o->nerrors] = strdup(buf)))
        ld->oom = true;
    else
        o->nerrors++;
}

/* One bad row: its message, "<name>:<line>: <what>". Past the cap only counted. */
static bool row_error(loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool row_error(loader *ld, int line, const char *fmt, ...)
{
    if (ld->bad++ >= CETS_LOAD_MAX_ERRORS) return false;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    load_message(ld, "%s:%d: %s", ld->name, line, what);
    return false;
}

static cets_cmd *cmd_push(loader *ld)
{
    cets_load *o = ld->out;
    if (o->ncmds == ld->cap_cmds) {
        size_t cap = ld->cap_cmds ? ld->cap_cmds * 2 : 256;
        cets_cmd *p = realloc(o->cmds, cap * sizeof *p);
        if (!p) {
            ld->oom = true;
            return NULL;
        }
        o->cmds = p;
        ld->cap_cmds = cap;
    }
    cets_cmd *c = &o->cmds[o->ncmds++];
    memset(c, 0, sizeof *c);
    c->actor = ld->authority;
    return c;
}

/* ---- fields ----------------------------------------------------------- */

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Split a line in place into fields: commas separate, spaces around a field
 * are dropped, a field may be quoted ("a,b" and "" for a quote). Returns the
 * number of fields (may exceed max: only max are stored), -1 on an
 * unterminated quote. */
static int csv_split(char *p, char **f, int max)
{
    int n = 0;
    for (;;) {
        while (is_blank(*p)) p++;
        char *start = p, *w = p;
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p) return -1;
                if (*p == '"' && p[1] != '"') break;
                *w++ = *p == '"' ? *++p : *p;
            }
            for (p++; is_blank(*p); p++)
                ;
            if (*p && *p != ',') return -1;
        } else {
            while (*p && *p != ',') p++;
            for (w = p; w > start && is_blank(w[-1]); w--)
                ;
        }
        char sep = *p;
        *w = 0;
        if (n < max) f[n] = start;
        n++;
        if (!sep) return n;
        p++;
    }
}

/* A whole decimal integer, optionally signed, |v| <= 10^18. */
static bool parse_int(const char *s, int64_t *v)
{
    bool neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    if (!*s) return false;
    int64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > 100000000000000000LL) return false;
        x = x * 10 + (*s - '0');
    }
    *v = neg ? -x : x;
    return true;
}

/* The entity column: an existing compliance entity. 0 after a row error. */
static uint32_t field_entity(loader *ld, int line, const char *s)
{
    int64_t id;
    cets_participant_info pi;
    if (!parse_int(s, &id) || id < 1 || id > UINT32_MAX)
        return row_error(ld, line, "entity must be a participant id, not '%s'", s), 0;
    if (cets_participant_get(ld->e, (uint32_t)id, &pi) != CETS_OK)
        return row_error(ld, line, "entity %lld does not exist", (long long)id), 0;
    if (pi.kind != CETS_PK_ENTITY)
        return row_error(ld, line, "entity %lld is not a compliance entity", (long long)id), 0;
    return (uint32_t)id;
}

/* ---- allocations --------------------------------------------------------- */

typedef struct alloc_row {
    uint32_t entity;
    int iid;
    int kind; /* 0 pre, 1 true-up */
    int64_t qty, output, benchmark;
} alloc_row;

static bool alloc_parse(loader *ld, int line, char **f, alloc_row *r)
{
    cets_instrument_info ii;
    if (!(r->entity = field_entity(ld, line, f[0]))) return false;
    if ((r->iid = cets_instrument_find(ld->e, f[1])) < 0)
        return row_error(ld, line, "vintage %s does not exist", f[1]);
    cets_instrument_get(ld->e, (uint32_t)r->iid, &ii);
    if (ii.product != CETS_PRODUCT_CEA)
        return row_error(ld, line, "vintage %s is not a CEA allowance", f[1]);
    if (strcmp(f[2], "pre") && strcmp(f[2], "trueup"))
        return row_error(ld, line, "kind must be pre or trueup, not '%s'", f[2]);
    r->kind = f[2][0] == 't';
    bool ok = parse_int(f[3], &r->qty);
    if (r->kind == 0 && (!ok || r->qty <= 0))
        return row_error(ld, line, "qty must be a positive integer");
    if (r->kind == 1 && (!ok || r->qty == 0))
        return row_error(ld, line, "qty must be a non-zero integer");
    if (r->qty > QTY_LIMIT || r->qty < -QTY_LIMIT)
        return row_error(ld, line, "qty must be at most %lld t", QTY_LIMIT);
    if (!parse_int(f[4], &r->output) || r->output < 0)
        return row_error(ld, line, "output must be a non-negative integer");
    if (!parse_int(f[5], &r->benchmark) || r->benchmark < 0)
        return row_error(ld, line, "benchmark must be a non-negative integer");
    return true;
}

/* Follow the row's effect as the engine will apply it: deduction of tonnes
 * owed first, take-backs only from available tonnes. */
static bool alloc_simulate(loader *ld, int line, const alloc_row *r, const char *code)
{
    bool fresh;
    if (!kmap_room(&ld->map, 2)) return ld->oom = true, false;
    slot *p = kmap_get(&ld->map, (uint64_t)r->entity << 8 | 0xff, &fresh); /* the entity */
    if (fresh) p->owed = cets_deduction_owed(ld->e, r->entity);
    slot *h = kmap_get(&ld->map, (uint64_t)r->entity << 8 | (uint64_t)r->iid, &fresh);
    if (fresh) {
        cets_holding hold;
        cets_holding_get(ld->e, r->entity, (uint32_t)r->iid, &hold);
        h->avail = hold.available;
    }
    if (h->first_line[r->kind])
        return row_error(ld, line, "duplicate row: entity %u, %s, %s is already on line %d",
                         r->entity, code, r->kind ? "trueup" : "pre", h->first_line[r->kind]);
    if (r->qty < 0 && -r->qty > h->avail)
        return row_error(ld, line,
                         "qty %lld takes back more than the %lld t entity %u will hold in %s",
                         (long long)r->qty, (long long)h->avail, r->entity, code);
    h->first_line[r->kind] = line;
    int64_t deducted = r->qty > 0 ? (p->owed < r->qty ? p->owed : r->qty) : 0;
    p->owed -= deducted;
    h->avail += r->qty - deducted;
    return true;
}

static void alloc_row_check(loader *ld, int line, char **f, int nf)
{
    alloc_row r = {0};
    if (nf != 6) {
        row_error(ld, line,
                  "expected 6 fields (entity,vintage,kind,qty,output,benchmark), found %d", nf);
        return;
    }
    if (!alloc_parse(ld, line, f, &r) || !alloc_simulate(ld, line, &r, f[1])) return;
    cets_cmd *c = cmd_push(ld);
    if (!c) return;
    c->type = CETS_CMD_ALLOCATE;
    c->participant = r.entity;
    c->instrument = (uint32_t)r.iid;
    c->qty = r.qty;
    c->aux = r.kind;
    c->u.args[0] = r.output;
    c->u.args[1] = r.benchmark;
}

/* ---- verified emissions -------------------------------------------------- */

static void emis_row_check(loader *ld, int line, char **f, int nf)
{
    if (nf != 3) {
        row_error(ld, line, "expected 3 fields (entity,year,tonnes), found %d", nf);
        return;
    }
    uint32_t ent = field_entity(ld, line, f[0]);
    int64_t year, tonnes;
    if (!ent) return;
    if (!parse_int(f[1], &year) || year < 2000 || year > 2200) {
        row_error(ld, line, "year must be an integer from 2000 to 2200");
        return;
    }
    if (!parse_int(f[2], &tonnes) || tonnes < 0 || tonnes > QTY_LIMIT) {
        row_error(ld, line, "tonnes must be an integer from 0 to %lld", QTY_LIMIT);
        return;
    }
    cets_compliance cc;
    bool have = cets_compliance_get(ld->e, ent, (int32_t)year, &cc) == CETS_OK;
    if ((have && cc.status != CETS_COMPLIANCE_OPEN) || cets_year_closed(ld->e, (int32_t)year)) {
        row_error(ld, line, "year %lld is already closed (its deadline has been processed)",
                  (long long)year);
        return;
    }
    if (have && cc.surrendered_cea + cc.surrendered_ccer > tonnes) {
        row_error(ld, line, "tonnes %lld is below the %lld t entity %u has already surrendered",
                  (long long)tonnes, (long long)(cc.surrendered_cea + cc.surrendered_ccer), ent);
        return;
    }
    bool fresh;
    if (!kmap_room(&ld->map, 1)) {
        ld->oom = true;
        return;
    }
    slot *s = kmap_get(&ld->map, (uint64_t)ent << 16 | (uint64_t)year, &fresh);
    if (!fresh) {
        row_error(ld, line, "duplicate row: entity %u, year %lld is already on line %d", ent,
                  (long long)year, s->first_line[0]);
        return;
    }
    s->first_line[0] = line;
    cets_cmd *c = cmd_push(ld);
    if (c) {
        c->type = CETS_CMD_EMISSIONS;
        c->participant = ent;
        c->aux = year;
        c->qty = tonnes;
    }
}

/* ---- the file ------------------------------------------------------------ */

typedef void (*row_fn)(loader *ld, int line, char **f, int nf);

/* Next line of text[*pos..len) into buf (without \r\n); false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, char **buf, size_t *cap)
{
    if (*pos >= len) return false;
    const char *s = text + *pos, *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += n + (nl != NULL);
    if (n && s[n - 1] == '\r') n--;
    if (n + 1 > *cap) {
        char *p = realloc(*buf, n + 1);
        if (!p) return false;
        *buf = p;
        *cap = n + 1;
    }
    memcpy(*buf, s, n);
    (*buf)[n] = 0;
    return true;
}

static bool header_ok(char *line, const char *want)
{
    char *f[MAX_FIELDS], *g[MAX_FIELDS], expect[128];
    snprintf(expect, sizeof expect, "%s", want);
    int n = csv_split(line, f, MAX_FIELDS), m = csv_split(expect, g, MAX_FIELDS);
    if (n != m) return false;
    for (int i = 0; i < n; i++)
        if (strcasecmp(f[i], g[i])) return false;
    return true;
}

static void load_rows(loader *ld, const char *text, size_t len, const char *header, row_fn fn)
{
    char *buf = NULL;
    size_t cap = 0, pos = 0;
    int line = 0;
    bool seen_header = false;
    while (!ld->oom && next_line(text, len, &pos, &buf, &cap)) {
        line++;
        char *p = buf, *f[MAX_FIELDS];
        while (is_blank(*p)) p++;
        if (!*p) continue; /* blank lines (a trailing one, say) carry nothing */
        if (!seen_header) {
            seen_header = true;
            if (!header_ok(p, header)) {
                row_error(ld, line, "the header must be %s", header);
                break;
            }
            continue;
        }
        int nf = csv_split(p, f, MAX_FIELDS);
        if (nf < 0)
            row_error(ld, line, "unterminated quoted field");
        else
            fn(ld, line, f, nf); /* nf may exceed MAX_FIELDS: fn checks it first */
    }
    if (!seen_header && !ld->bad)
        row_error(ld, 1, "the file is empty; the header must be %s", header);
    free(buf);
}

static int load_text(const cets_engine *e, const char *name, const char *text, size_t len,
                     uint32_t authority, cets_load *out, const char *header, row_fn fn)
{
    memset(out, 0, sizeof *out);
    loader ld = {.e = e, .name = name, .authority = authority, .out = out};
    cets_participant_info pi;
    if (cets_participant_get(e, authority, &pi) != CETS_OK || pi.kind != CETS_PK_AUTHORITY) {
        load_message(&ld, "%s: participant %u is not the competent authority", name, authority);
        return -1;
    }
    /* Excel's "CSV UTF-8" starts the file with a byte-order mark: it is
     * not part of the header */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3, len -= 3;
    load_rows(&ld, text, len, header, fn);
    free(ld.map.s);
    if (ld.bad > CETS_LOAD_MAX_ERRORS)
        load_message(&ld, "%s: %zu bad rows in all (the first %d are listed)", name, ld.bad,
                     CETS_LOAD_MAX_ERRORS);
    if (ld.oom) load_message(&ld, "%s: out of memory", name);
    if (!ld.bad && !ld.oom) return 0;
    free(out->cmds); /* a file with any bad row changes nothing */
    out->cmds = NULL;
    out->ncmds = 0;
    return -1;
}

/* The whole file in memory (these files are thousands of rows, not millions). */
static char *read_all(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    *err = f ? 0 : errno;
    while (f && !*err) {
        if (*len == cap) {
            char *p = realloc(text, cap = cap ? cap * 2 : 65536);
            if (!p) {
                *err = ENOMEM;
                break;
            }
            text = p;
        }
        size_t n = fread(text + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0 && ferror(f)) *err = EIO;
        if (n == 0) break;
    }
    if (f) fclose(f);
    return text;
}

static int load_file(const cets_engine *e, const char *path, uint32_t authority, cets_load *out,
                     const char *header, row_fn fn)
{
    size_t len;
    int err;
    char *text = read_all(path, &len, &err);
    int rc;
    if (err) {
        memset(out, 0, sizeof *out);
        loader ld = {.out = out};
        load_message(&ld, "%s: cannot read: %s", path, strerror(err));
        rc = -1;
    } else {
        rc = load_text(e, path, text ? text : "", len, authority, out, header, fn);
    }
    free(text);
    return rc;
}

static const char alloc_header[] = "entity,vintage,kind,qty,output,benchmark";
static const char emis_header[] = "entity,year,tonnes";

int cets_load_allocations_text(const cets_engine *e, const char *name, const char *text, size_t len,
                               uint32_t authority, cets_load *out)
{
    return load_text(e, name, text, len, authority, out, alloc_header, alloc_row_check);
}

int cets_load_emissions_text(const cets_engine *e, const char *name, const char *text, size_t len,
                             uint32_t authority, cets_load *out)
{
    return load_text(e, name, text, len, authority, out, emis_header, emis_row_check);
}

int cets_load_allocations(const cets_engine *e, const char *path, uint32_t authority,
                          cets_load *out)
{
    return load_file(e, path, authority, out, alloc_header, alloc_row_check);
}

int cets_load_emissions(const cets_engine *e, const char *path, uint32_t authority, cets_load *out)
{
    return load_file(e, path, authority, out, emis_header, emis_row_check);
}

void cets_load_free(cets_load *l)
{
    for (size_t i = 0; i < l->nerrors; i++) free(l->errors[i]);
    free(l->errors);
    free(l->cmds);
    memset(l, 0, sizeof *l);
}
