/* csvfile.c -- see csvfile.h. */
#include "csvfile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void csv_error(csv_file *c, int line, const char *fmt, ...)
{
    c->bad++;
    if (c->nerrors >= CSV_MAX_ERRORS) return;
    if (c->nerrors == c->caperrors) {
        size_t cap = c->caperrors ? c->caperrors * 2 : 16;
        char **g = realloc(c->errors, cap * sizeof *g);
        if (!g) return;
        c->errors = g;
        c->caperrors = cap;
    }
    char what[400], msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(msg, sizeof msg, "%s:%d: %s", c->name, line, what);
    else
        snprintf(msg, sizeof msg, "%s: %s", c->name, what);
    if ((c->errors[c->nerrors] = strdup(msg))) c->nerrors++;
}

void csv_errors_close(csv_file *c)
{
    if (c->bad <= CSV_MAX_ERRORS) return;
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %zu bad rows in all (the first %d are listed)", c->name, c->bad,
             CSV_MAX_ERRORS);
    char **g = realloc(c->errors, (c->nerrors + 1) * sizeof *g);
    if (!g) return;
    c->errors = g;
    c->caperrors = c->nerrors + 1;
    if ((g[c->nerrors] = strdup(msg))) c->nerrors++;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

/* Split one line in place. -1 on a bad quote. */
static int split(char *line, csv_row *r)
{
    r->n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        char *field = p;
        if (*p == '"') {
            char *w = field;
            p++;
            for (;;) {
                if (!*p) return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p == ' ' || *p == '\t') p++;
            if (*p && *p != ',') return -1;
            char *next = *p ? p + 1 : p;
            bool end = !*p;
            *w = 0;
            if (r->n < CSV_MAX_FIELDS) r->f[r->n] = field;
            r->n++;
            if (end) return 0;
            p = next;
            continue;
        }
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (strchr(field, '"')) return -1;
        if (r->n < CSV_MAX_FIELDS) r->f[r->n] = trim(field);
        r->n++;
        if (!comma) return 0;
        p = comma + 1;
    }
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

int csv_read(csv_file *c, const char *name, const char *text, size_t len, const char *header)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    if (!(c->buf = malloc(len + 1))) {
        csv_error(c, 0, "out of memory");
        return -1;
    }
    memcpy(c->buf, text, len);
    c->buf[len] = 0;
    if (memchr(text, 0, len)) {
        csv_error(c, 0, "not a text file (a NUL byte)");
        return -1;
    }
    char want[256];
    snprintf(want, sizeof want, "%s", header);
    csv_row h;
    char hcopy[256];
    snprintf(hcopy, sizeof hcopy, "%s", header);
    split(hcopy, &h);
    int nfields = h.n;
    bool seen_header = false;
    int line = 0;
    for (char *p = c->buf; p && *p;) {
        line++;
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t n = strlen(p);
        if (n && p[n - 1] == '\r') p[n - 1] = 0;
        char *cur = p;
        p = nl ? nl + 1 : NULL;
        if (blank(cur)) continue;
        csv_row r = {.line = line};
        if (split(cur, &r) != 0) {
            csv_error(c, line, "a quote is not closed, or text follows a closing quote");
            continue;
        }
        if (!seen_header) {
            seen_header = true;
            bool ok = r.n == nfields;
            for (int i = 0; ok && i < nfields; i++) ok = strcasecmp(r.f[i], h.f[i]) == 0;
            if (!ok) {
                csv_error(c, line, "the header must be %s", want);
                return -1;
            }
            continue;
        }
        if (r.n != nfields) {
            csv_error(c, line, "expected %d fields (%s), found %d", nfields, want, r.n);
            continue;
        }
        if (c->nrows == c->caprows) {
            size_t cap = c->caprows ? c->caprows * 2 : 64;
            csv_row *g = realloc(c->rows, cap * sizeof *g);
            if (!g) {
                csv_error(c, 0, "out of memory");
                return -1;
            }
            c->rows = g;
            c->caprows = cap;
        }
        c->rows[c->nrows++] = r;
    }
    if (!seen_header) csv_error(c, 1, "the header must be %s (the file is empty)", want);
    return c->nerrors ? -1 : 0;
}

void csv_free(csv_file *c)
{
    for (size_t i = 0; i < c->nerrors; i++) free(c->errors[i]);
    free(c->errors);
    free(c->rows);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

bool csv_money(const char *s, int64_t *fen)
{
    int64_t v = 0;
    int digits = 0, dec = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        if (++digits > 13) return false;
        v = v * 10 + (*p++ - '0');
    }
    if (!digits || (digits > 1 && s[0] == '0')) return false;
    v *= 100;
    if (*p == '.') {
        p++;
        if (*p >= '0' && *p <= '9') v += (*p++ - '0') * 10, dec++;
        if (*p >= '0' && *p <= '9') v += *p++ - '0', dec++;
        if (!dec) return false;
    }
    if (*p) return false;
    *fen = v;
    return true;
}

bool csv_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    const char *p = s;
    if (*p == '-') p++;
    if (!*p || strlen(p) > 18) return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return false;
    int64_t v = strtoll(s, NULL, 10);
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

bool csv_date(const char *s, int32_t *out)
{
    int y, m, d, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        s[4] != '-' || s[7] != '-')
        return false;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
    *out = y * 10000 + m * 100 + d;
    return true;
}
