/* compids.c -- see compids.h. The table is small (one line per FIX session
 * of the whole exchange) and read rarely: a sorted array, searched by
 * bisection, written whole. */
#include "compids.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool compids_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > COMPID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* Index of comp, or of where it would go (*found false). */
static size_t find(const compid_table *t, const char *comp, bool *found)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->e[mid].comp, comp);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const compid_entry *compids_find(const compid_table *t, const char *comp)
{
    bool found;
    size_t i = find(t, comp, &found);
    return found ? &t->e[i] : NULL;
}

int compids_put(compid_table *t, const compid_entry *e, char *err, size_t errlen)
{
    if (!compids_valid(e->comp)) {
        snprintf(err, errlen, "SenderCompID must be 1-%d of A-Z a-z 0-9 . _ -", COMPID_MAX);
        return -1;
    }
    if (e->participant == 0) {
        snprintf(err, errlen, "participant must be a participant's id (1 or more)");
        return -1;
    }
    bool found;
    size_t i = find(t, e->comp, &found);
    if (found) {
        t->e[i] = *e;
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        compid_entry *ne = realloc(t->e, cap * sizeof *ne);
        if (!ne) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        t->e = ne;
        t->cap = cap;
    }
    memmove(t->e + i + 1, t->e + i, (t->n - i) * sizeof *t->e);
    t->e[i] = *e;
    t->n++;
    return 0;
}

bool compids_del(compid_table *t, const char *comp)
{
    bool found;
    size_t i = find(t, comp, &found);
    if (!found) return false;
    memmove(t->e + i, t->e + i + 1, (t->n - i - 1) * sizeof *t->e);
    t->n--;
    return true;
}

void compids_free(compid_table *t)
{
    free(t->e);
    *t = (compid_table){0};
}

/* One line "COMP PARTICIPANT [in_session_reset=yes|no]" into e. */
static int parse_line(char *line, compid_entry *e, char *why, size_t whylen)
{
    char *save, *comp = strtok_r(line, " \t", &save), *part = strtok_r(NULL, " \t", &save);
    *e = (compid_entry){.in_session_reset = true};
    if (!comp || !part) {
        snprintf(why, whylen, "expected: SenderCompID participant [in_session_reset=yes|no]");
        return -1;
    }
    if (strlen(comp) > COMPID_MAX || !compids_valid(comp)) {
        snprintf(why, whylen, "SenderCompID must be 1-%d of A-Z a-z 0-9 . _ -", COMPID_MAX);
        return -1;
    }
    snprintf(e->comp, sizeof e->comp, "%s", comp);
    char *end;
    errno = 0;
    unsigned long p = strtoul(part, &end, 10);
    if (errno || *end || part[0] < '1' || part[0] > '9' || p > UINT32_MAX) {
        snprintf(why, whylen, "participant must be a number (1 or more)");
        return -1;
    }
    e->participant = (uint32_t)p;
    for (char *opt; (opt = strtok_r(NULL, " \t", &save));) {
        if (!strcmp(opt, "in_session_reset=yes")) {
            e->in_session_reset = true;
        } else if (!strcmp(opt, "in_session_reset=no")) {
            e->in_session_reset = false;
        } else {
            snprintf(why, whylen, "unknown option \"%.40s\"", opt);
            return -1;
        }
    }
    return 0;
}

int compids_load(compid_table *t, const char *path, char *err, size_t errlen)
{
    t->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512], why[160];
    int ln = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, ln);
            rc = -1;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        line[strcspn(line, "\r\n")] = 0;
        if (strspn(line, " \t") == strlen(line)) continue;
        compid_entry e;
        if (parse_line(line, &e, why, sizeof why) != 0 ||
            (compids_find(t, e.comp) && snprintf(why, sizeof why, "%s listed twice", e.comp)) ||
            compids_put(t, &e, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, ln, why);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int compids_save(const compid_table *t, const char *path, char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "# FIX sessions provisioned by the operator (docs/fix.md, \"Connecting\"):\n"
               "# SenderCompID participant [in_session_reset=yes|no]\n");
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "%s %u%s\n", t->e[i].comp, t->e[i].participant,
                t->e[i].in_session_reset ? "" : " in_session_reset=no");
    int rc = fflush(f) != 0 || fsync(fileno(f)) != 0 ? -1 : 0;
    if (fclose(f) != 0) rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
