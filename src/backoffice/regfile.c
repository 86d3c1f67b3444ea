/* regfile.c -- see regfile.h. */
#include "regfile.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "csvfile.h"
#include "csvout.h"

static int64_t num(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

/* Every participant and instrument with a holding, its opening (before the
 * day), the day's movements by kind and its closing. */
static const char lines_sql[] =
    "SELECT h.participant, h.instrument, i.code,"
    " SUM(CASE WHEN h.date < $1 THEN h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind = 'buy' THEN h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind = 'sell' THEN -h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind IN ('credit', 'allocation', 'trueup')"
    " THEN h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind = 'surrender' THEN -h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind = 'retire' THEN -h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind = 'transfer_in' THEN h.qty ELSE 0 END),"
    " SUM(CASE WHEN h.date = $1 AND h.kind = 'transfer_out' THEN -h.qty ELSE 0 END),"
    " SUM(h.qty),"
    " SUM(CASE WHEN h.date = $1 AND h.qty <> 0 THEN 1 ELSE 0 END)"
    " FROM holdings_ledger h JOIN instruments i ON i.id = h.instrument"
    " WHERE h.date <= $1"
    " GROUP BY h.participant, h.instrument, i.code"
    " ORDER BY h.participant, h.instrument";

typedef struct collect {
    regfile_line *v;
    size_t n, cap;
    bool all; /* every holding, not only those that moved */
    bool oom;
} collect;

static int take_line(void *ctx, int n, const char *const *v)
{
    collect *c = ctx;
    if (n < 13) return 1;
    if (!c->all && num(v[12]) == 0) return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        regfile_line *g = realloc(c->v, cap * sizeof *g);
        if (!g) {
            c->oom = true;
            return 1;
        }
        c->v = g;
        c->cap = cap;
    }
    regfile_line *l = &c->v[c->n++];
    memset(l, 0, sizeof *l);
    l->participant = (uint32_t)num(v[0]), l->instrument = (uint32_t)num(v[1]);
    snprintf(l->code, sizeof l->code, "%s", v[2] ? v[2] : "");
    l->opening = num(v[3]), l->bought = num(v[4]), l->sold = num(v[5]), l->issued = num(v[6]);
    l->surrendered = num(v[7]), l->retired = num(v[8]), l->tin = num(v[9]);
    l->tout = num(v[10]), l->closing = num(v[11]);
    return 0;
}

static int lines_get(db *d, int32_t date, bool all, collect *c, char *err, size_t errlen)
{
    db_val p = db_int(date);
    c->all = all;
    if (db_run(d, lines_sql, 1, &p, take_line, c) != 0 || c->oom) {
        snprintf(err, errlen, "%s", c->oom ? "out of memory" : db_error(d));
        free(c->v);
        c->v = NULL;
        return -1;
    }
    return 0;
}

int regfile_lines(db *d, int32_t date, regfile_line **out, size_t *n, char *err, size_t errlen)
{
    collect c = {0};
    if (lines_get(d, date, false, &c, err, errlen) != 0) return -1;
    *out = c.v;
    *n = c.n;
    return 0;
}

int regfile_csv(db *d, int32_t date, FILE *out, char *err, size_t errlen)
{
    regfile_line *v;
    size_t n;
    if (regfile_lines(d, date, &v, &n, err, errlen) != 0) return -1;
    char day[24];
    csvout_date(date, day);
    fputs("date,participant,code,opening,bought,sold,issued,surrendered,retired,transferred_in,"
          "transferred_out,closing\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const regfile_line *l = &v[i];
        fprintf(out, "%s,%u,", day, l->participant);
        csvout_text(out, l->code);
        fprintf(out,
                ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                ",%" PRId64 ",%" PRId64 "\n",
                l->opening, l->bought, l->sold, l->issued, l->surrendered, l->retired, l->tin,
                l->tout, l->closing);
    }
    free(v);
    return 0;
}

int regfile_reconcile(db *d, const char *name, const char *text, size_t len, recon *r)
{
    memset(r, 0, sizeof *r);
    csv_file c;
    csv_read(&c, name, text, len, "date,participant,code,closing");
    collect all = {0};
    bool *confirmed = NULL;
    char err[512];
    for (size_t i = 0; i < c.nrows; i++) { /* the date first: the lines are compared with it */
        int32_t date;
        if (csv_date(c.rows[i].f[0], &date) && !r->date) r->date = date;
    }
    int64_t closed = 0;
    db_val p = db_int(r->date);
    if (r->date && db_int_query(d, "SELECT COUNT(*) FROM days WHERE date = $1", 1, &p, &closed) < 0)
        csv_error(&c, 0, "the back office's database: %s", db_error(d)), r->db_failed = true;
    else if (r->date && !closed)
        csv_error(&c, 0, "the day %s is not a closed trading day of the back office",
                  c.rows[0].f[0]);
    else if (r->date && lines_get(d, r->date, true, &all, err, sizeof err) != 0)
        csv_error(&c, 0, "the back office's database: %s", err), r->db_failed = true;
    if (all.n && !(confirmed = calloc(all.n, sizeof *confirmed))) csv_error(&c, 0, "out of memory");
    for (size_t i = 0; i < c.nrows && (confirmed || !all.n); i++) {
        const csv_row *row = &c.rows[i];
        int32_t date;
        int64_t pid, qty;
        if (!csv_date(row->f[0], &date) || date != r->date) {
            csv_error(&c, row->line, "date must be the confirmation's date (the first line's)");
            continue;
        }
        if (!csv_int(row->f[1], 1, UINT32_MAX, &pid)) {
            csv_error(&c, row->line, "participant must be a participant id");
            continue;
        }
        if (!csv_int(row->f[3], INT64_MIN / 2, INT64_MAX / 2, &qty)) {
            csv_error(&c, row->line, "closing must be a whole number of tonnes");
            continue;
        }
        size_t k = 0;
        while (k < all.n && !(all.v[k].participant == pid && strcmp(all.v[k].code, row->f[2]) == 0))
            k++;
        if (k == all.n) {
            /* a holding the exchange does not have (or an instrument it does not list) */
            recon_line *l = recon_add(r);
            if (l) {
                *l = (recon_line){
                    .participant = (uint32_t)pid, .theirs = qty, .finding = "unknown_holding"};
                snprintf(l->code, sizeof l->code, "%.15s", row->f[2]);
            }
            r->compared++;
            continue;
        }
        if (confirmed[k]) {
            csv_error(&c, row->line, "participant %" PRId64 " and %s are listed twice", pid,
                      row->f[2]);
            continue;
        }
        confirmed[k] = true;
        r->compared++;
        if (all.v[k].closing == qty) {
            r->matched++;
            continue;
        }
        recon_line *l = recon_add(r);
        if (l) {
            *l = (recon_line){.participant = (uint32_t)pid,
                              .ours = all.v[k].closing,
                              .theirs = qty,
                              .finding = "mismatch"};
            snprintf(l->code, sizeof l->code, "%s", all.v[k].code);
        }
    }
    /* what the exchange sent that day (the lines that moved) and the registry did not book */
    collect moved = {0};
    if (!c.nerrors && r->date && lines_get(d, r->date, false, &moved, err, sizeof err) != 0)
        csv_error(&c, 0, "the back office's database: %s", err), r->db_failed = true;
    for (size_t m = 0; !c.nerrors && m < moved.n; m++) {
        size_t k = 0;
        while (k < all.n && !(all.v[k].participant == moved.v[m].participant &&
                              all.v[k].instrument == moved.v[m].instrument))
            k++;
        if (k < all.n && confirmed[k]) continue;
        r->compared++;
        recon_line *l = recon_add(r);
        if (l) {
            *l = (recon_line){.participant = moved.v[m].participant,
                              .ours = moved.v[m].closing,
                              .finding = "not_confirmed"};
            snprintf(l->code, sizeof l->code, "%s", moved.v[m].code);
        }
    }
    if (!r->date && !c.nerrors) csv_error(&c, 0, "no line to reconcile");
    csv_errors_close(&c);
    int rc = 0;
    if (c.nerrors) {
        free(r->lines);
        r->lines = NULL;
        r->nlines = r->compared = r->matched = 0;
        r->errors = c.errors;
        r->nerrors = c.nerrors;
        c.errors = NULL;
        c.nerrors = 0;
        rc = -1;
    }
    free(all.v);
    free(moved.v);
    free(confirmed);
    csv_free(&c);
    return rc;
}
