/* bank.c -- see bank.h. */
#include "bank.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "csvfile.h"
#include "csvout.h"

static int64_t num(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static bool ref_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > BANK_REF_MAX) return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.' || *s == '/'))
            return false;
    return true;
}

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return true;
    size_t c = *cap ? *cap * 2 : 32;
    void *g = realloc(*p, c * elem);
    if (!g) return false;
    *p = g;
    *cap = c;
    return true;
}

typedef struct applied {
    bool found;
    uint64_t seq;
    uint32_t participant;
    int64_t amount;
} applied;

static int take_applied(void *ctx, int n, const char *const *v)
{
    applied *a = ctx;
    if (n >= 3) {
        a->found = true;
        a->seq = (uint64_t)num(v[0]);
        a->participant = (uint32_t)num(v[1]);
        a->amount = num(v[2]);
    }
    return 1;
}

static bool same_terms(const bank_notice *a, const bank_notice *b)
{
    return a->participant == b->participant && a->amount == b->amount &&
           a->value_date == b->value_date;
}

int bank_deposits_check(db *d, const cets_engine *e, const char *name, const char *text, size_t len,
                        bank_deposits *out)
{
    memset(out, 0, sizeof *out);
    csv_file c;
    int rc = csv_read(&c, name, text, len, "bank_ref,participant,amount,value_date");
    size_t capa = 0, capd = 0;
    uint32_t nparts = cets_participant_count(e);
    char money[24];
    for (size_t i = 0; i < c.nrows; i++) { /* the rows that split well */
        const csv_row *r = &c.rows[i];
        bank_notice n = {.line = r->line};
        int64_t pid;
        if (!ref_ok(r->f[0])) {
            csv_error(&c, r->line, "bank_ref must be 1-%d of A-Z a-z 0-9 . _ / -", BANK_REF_MAX);
            continue;
        }
        snprintf(n.ref, sizeof n.ref, "%s", r->f[0]);
        if (!csv_int(r->f[1], 1, UINT32_MAX, &pid) || (uint64_t)pid > nparts) {
            csv_error(&c, r->line, "participant %s does not exist", r->f[1]);
            continue;
        }
        n.participant = (uint32_t)pid;
        if (!csv_money(r->f[2], &n.amount) || n.amount <= 0) {
            csv_error(&c, r->line, "amount must be a positive sum in yuan (1234.56)");
            continue;
        }
        if (!csv_date(r->f[3], &n.value_date)) {
            csv_error(&c, r->line, "value_date must be a date (2026-11-30)");
            continue;
        }
        /* twice in this file: the same notice once, or a conflict */
        const bank_notice *twin = NULL;
        for (size_t k = 0; k < out->napply && !twin; k++)
            if (strcmp(out->apply[k].ref, n.ref) == 0) twin = &out->apply[k];
        for (size_t k = 0; k < out->ndups && !twin; k++)
            if (strcmp(out->dups[k].ref, n.ref) == 0) twin = &out->dups[k];
        if (twin && !same_terms(twin, &n)) {
            csv_error(&c, r->line, "bank_ref %s is on line %d with other terms", n.ref, twin->line);
            continue;
        }
        applied a = {0};
        db_val p = db_text(n.ref);
        if (!twin && db_run(d,
                            "SELECT seq, participant, amount FROM deposit_notices"
                            " WHERE bank_ref = $1 ORDER BY seq LIMIT 1",
                            1, &p, take_applied, &a) != 0) {
            csv_error(&c, 0, "the back office's database: %s", db_error(d));
            out->db_failed = true;
            break;
        }
        if (a.found && (a.participant != n.participant || a.amount != n.amount)) {
            csv_error(&c, r->line,
                      "bank_ref %s was applied at seq %" PRIu64 " to participant %u for %s", n.ref,
                      a.seq, a.participant, csvout_money(a.amount, money));
            continue;
        }
        if (twin || a.found) {
            n.seq = twin ? twin->seq : a.seq;
            if (!grow((void **)&out->dups, &capd, out->ndups, sizeof n)) break;
            out->dups[out->ndups++] = n;
            continue;
        }
        if (!grow((void **)&out->apply, &capa, out->napply, sizeof n)) break;
        out->apply[out->napply++] = n;
    }
    csv_errors_close(&c);
    rc = c.nerrors ? -1 : 0;
    if (rc) {
        out->errors = c.errors;
        out->nerrors = c.nerrors;
        c.errors = NULL;
        c.nerrors = 0;
        free(out->apply);
        out->apply = NULL;
        out->napply = 0;
    }
    csv_free(&c);
    return rc;
}

void bank_deposits_free(bank_deposits *b)
{
    for (size_t i = 0; i < b->nerrors; i++) free(b->errors[i]);
    free(b->errors);
    free(b->apply);
    free(b->dups);
    memset(b, 0, sizeof *b);
}

/* ---- withdrawal instructions ----------------------------------------------------- */

static int withdrawal_row(void *ctx, int n, const char *const *v)
{
    FILE *out = ctx;
    if (n < 6) return 1;
    char money[24], ts[32], date[24];
    fprintf(out, "W%s,%s,", v[0], v[1]);
    csvout_text(out, v[2] ? v[2] : "");
    fprintf(out, ",%s,%s,%s\n", csvout_money(num(v[3]), money), csvout_time(num(v[4]), ts),
            csvout_date((int32_t)num(v[5]), date));
    return 0;
}

int bank_withdrawals_csv(db *d, int32_t date, FILE *out, char *err, size_t errlen)
{
    fputs("instruction,participant,name,amount,requested_at,date\n", out);
    db_val p = db_int(date);
    if (db_run(d,
               "SELECT f.seq, f.participant, p.name, -f.amount, f.ts, f.date"
               " FROM funds_movements f JOIN participants p ON p.id = f.participant"
               " WHERE f.kind = 'withdrawal' AND f.date = $1 ORDER BY f.seq",
               1, &p, withdrawal_row, out) != 0) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    return 0;
}

/* ---- reconciliation ------------------------------------------------------------------ */

void recon_free(recon *r)
{
    for (size_t i = 0; i < r->nerrors; i++) free(r->errors[i]);
    free(r->errors);
    free(r->lines);
    memset(r, 0, sizeof *r);
}

recon_line *recon_add(recon *r)
{
    if (!grow((void **)&r->lines, &r->cap, r->nlines, sizeof *r->lines)) return NULL;
    recon_line *l = &r->lines[r->nlines++];
    memset(l, 0, sizeof *l);
    return l;
}

void recon_csv(const recon *r, bool money, const char *theirs_name, FILE *out)
{
    fprintf(out, "participant,%sours,%s,difference,finding\n", money ? "" : "code,", theirs_name);
    for (size_t i = 0; i < r->nlines; i++) {
        const recon_line *l = &r->lines[i];
        char a[24], b[24], c[24];
        fprintf(out, "%u,", l->participant);
        if (!money) fprintf(out, "%s,", l->code);
        if (money)
            fprintf(out, "%s,%s,%s,%s\n", csvout_money(l->ours, a), csvout_money(l->theirs, b),
                    csvout_money(l->theirs - l->ours, c), l->finding);
        else
            fprintf(out, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%s\n", l->ours, l->theirs,
                    l->theirs - l->ours, l->finding);
    }
}

typedef struct ours_map {
    uint32_t *pid;
    int64_t *funds;
    size_t n, cap, capf;
    uint32_t max_pid;
} ours_map;

static int take_funds(void *ctx, int n, const char *const *v)
{
    ours_map *m = ctx;
    if (n < 2) return 1;
    if (!grow((void **)&m->pid, &m->cap, m->n, sizeof *m->pid) ||
        !grow((void **)&m->funds, &m->capf, m->n, sizeof *m->funds))
        return 1;
    m->pid[m->n] = (uint32_t)num(v[0]);
    m->funds[m->n++] = num(v[1]);
    return 0;
}

int bank_reconcile(db *d, const char *name, const char *text, size_t len, recon *r)
{
    memset(r, 0, sizeof *r);
    csv_file c;
    int rc = csv_read(&c, name, text, len, "date,participant,balance");
    int64_t *bank = NULL;
    bool *seen = NULL;
    ours_map ours = {0};
    int64_t count = 0;
    (void)rc; /* the rows that split well are checked all the same */
    if (db_int_query(d, "SELECT COALESCE(MAX(id), 0) FROM participants", 0, NULL, &count) < 0) {
        csv_error(&c, 0, "the back office's database: %s", db_error(d));
        r->db_failed = true;
    }
    size_t np = (size_t)count + 1;
    if (!(bank = calloc(np, sizeof *bank)) || !(seen = calloc(np, sizeof *seen)))
        csv_error(&c, 0, "out of memory");
    for (size_t i = 0; bank && seen && i < c.nrows; i++) {
        const csv_row *row = &c.rows[i];
        int32_t date;
        int64_t pid, bal;
        if (!csv_date(row->f[0], &date)) {
            csv_error(&c, row->line, "date must be a date (2026-11-30)");
            continue;
        }
        if (r->date && date != r->date) {
            csv_error(&c, row->line, "date %s is not the statement's date (the first line's)",
                      row->f[0]);
            continue;
        }
        r->date = date;
        if (!csv_int(row->f[1], 1, UINT32_MAX, &pid)) {
            csv_error(&c, row->line, "participant must be a participant id");
            continue;
        }
        bool neg = row->f[2][0] == '-';
        if (!csv_money(row->f[2] + neg, &bal)) {
            csv_error(&c, row->line, "balance must be a sum in yuan (1234.56)");
            continue;
        }
        if ((size_t)pid >= np) { /* a participant the exchange does not know */
            recon_line *l = recon_add(r);
            if (l)
                *l = (recon_line){.participant = (uint32_t)pid,
                                  .theirs = neg ? -bal : bal,
                                  .finding = "unknown_participant"};
            continue;
        }
        if (seen[pid]) {
            csv_error(&c, row->line, "participant %" PRId64 " is listed twice", pid);
            continue;
        }
        seen[pid] = true;
        bank[pid] = neg ? -bal : bal;
    }
    int64_t closed = 0;
    db_val p = db_int(r->date);
    int got = c.nerrors
                  ? 1
                  : db_int_query(d, "SELECT COUNT(*) FROM days WHERE date = $1", 1, &p, &closed);
    if (got < 0) {
        csv_error(&c, 0, "the back office's database: %s", db_error(d));
        r->db_failed = true;
    } else if (!c.nerrors && !closed)
        csv_error(&c, 0, "the day %s is not a closed trading day of the back office",
                  c.nrows ? c.rows[0].f[0] : "?");
    if (!c.nerrors && db_run(d,
                             "SELECT participant, funds_close FROM statements WHERE date = $1"
                             " ORDER BY participant",
                             1, &p, take_funds, &ours) != 0) {
        csv_error(&c, 0, "the back office's database: %s", db_error(d));
        r->db_failed = true;
    }
    if (!c.nerrors) {
        /* every participant: ours (0 without a statement: no activity, no funds) */
        int64_t *mine = calloc(np, sizeof *mine);
        for (size_t i = 0; mine && i < ours.n; i++)
            if (ours.pid[i] < np) mine[ours.pid[i]] = ours.funds[i];
        for (size_t pid = 1; mine && pid < np; pid++) {
            if (!seen[pid] && !mine[pid]) continue;
            r->compared++;
            if (seen[pid] && bank[pid] == mine[pid]) {
                r->matched++;
                continue;
            }
            recon_line *l = recon_add(r);
            if (l)
                *l = (recon_line){.participant = (uint32_t)pid,
                                  .ours = mine[pid],
                                  .theirs = seen[pid] ? bank[pid] : 0,
                                  .finding = seen[pid] ? "mismatch" : "missing_at_bank"};
        }
        free(mine);
    }
    csv_errors_close(&c);
    rc = 0;
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
    free(bank);
    free(seen);
    free(ours.pid);
    free(ours.funds);
    csv_free(&c);
    return rc;
}
