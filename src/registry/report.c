/* report.c -- the compliance report of a year: one row per compliance entity
 * with its obligation, what it surrendered (allowances and CCER), what is
 * still outstanding, the shortfall and penalty set by the deadline, and its
 * status; as CSV for spreadsheets and as JSON for programs.
 *
 * The report keeps what happened: a year that ended in a shortfall stays a
 * shortfall, with the tonnes withheld from later allocations or surrendered
 * late beside it and, once nothing is owed, "shortfall_settled" and the date.
 *
 * Every entity is listed, also one without verified emissions for the year
 * ("no_emissions"): the authority needs to see who is missing, not only who
 * is short. Quantities are tonnes; the penalty is given in yuan ("1234.56")
 * and, in JSON, in fen as well, so no program has to parse money. The JSON is
 * written by hand: names are the only free text, and they are escaped here
 * (invalid UTF-8, as a name cut at the engine's 47 bytes may end, becomes
 * U+FFFD so the output stays valid JSON).
 */
#include <stdio.h>
#include <string.h>

#include "cets/registry.h"

typedef struct report_row {
    uint32_t entity;
    char name[CETS_NAME_LEN];
    cets_compliance c;
    int64_t outstanding;
    const char *status;
} report_row;

static const char *status_name(int s)
{
    switch (s) {
    case CETS_COMPLIANCE_OPEN: return "open";
    case CETS_COMPLIANCE_COMPLIANT: return "compliant";
    case CETS_COMPLIANCE_SHORTFALL: return "shortfall";
    case CETS_COMPLIANCE_SETTLED: return "shortfall_settled";
    }
    return "unknown";
}

/* Row of participant pid, false when it is not a compliance entity. */
static bool report_row_get(const cets_engine *e, uint32_t pid, int32_t year, report_row *r)
{
    cets_participant_info pi;
    if (cets_participant_get(e, pid, &pi) != CETS_OK || pi.kind != CETS_PK_ENTITY) return false;
    memset(r, 0, sizeof *r);
    r->entity = pid;
    memcpy(r->name, pi.name, sizeof r->name);
    r->name[CETS_NAME_LEN - 1] = 0;
    if (cets_compliance_get(e, pid, year, &r->c) != CETS_OK) {
        r->status = "no_emissions";
        return true;
    }
    r->outstanding = r->c.obligation - r->c.surrendered_cea - r->c.surrendered_ccer - r->c.withheld;
    r->status = status_name(r->c.status);
    return true;
}

/* "2026-12-01" for a settled shortfall, "" otherwise. */
static const char *settled_on(const cets_compliance *c, char on[16])
{
    on[0] = 0;
    if (c->settled_date)
        snprintf(on, 16, "%04d-%02d-%02d", (int)(c->settled_date / 10000),
                 (int)(c->settled_date / 100 % 100), (int)(c->settled_date % 100));
    return on;
}

/* ---- CSV ----------------------------------------------------------------- */

int cets_report_compliance_csv(const cets_engine *e, int32_t year, FILE *out)
{
    fputs("entity,name,year,obligation,surrendered_cea,surrendered_ccer,outstanding,shortfall,"
          "penalty,status,withheld,surrendered_late,settled_on\n",
          out);
    uint32_t n = cets_participant_count(e);
    for (uint32_t pid = 1; pid <= n; pid++) {
        report_row r;
        if (!report_row_get(e, pid, year, &r)) continue;
        char money[24], on[16];
        fprintf(out, "%u,", r.entity);
        cets_csv_text(out, r.name); /* the only text cell: a name users chose */
        fprintf(out, ",%d,%lld,%lld,%lld,%lld,%lld,%s,%s,%lld,%lld,%s\n", (int)year,
                (long long)r.c.obligation, (long long)r.c.surrendered_cea,
                (long long)r.c.surrendered_ccer, (long long)r.outstanding, (long long)r.c.shortfall,
                cets_fmt_money(r.c.penalty, money), r.status, (long long)r.c.withheld,
                (long long)r.c.late_surrendered, settled_on(&r.c, on));
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_string(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    while (*s) {
        int n = cets_utf8_char_len((const char *)s);
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if (*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else if (n)
            fwrite(s, 1, (size_t)n, out);
        else
            fputs("\\ufffd", out);
        s += n ? n : 1;
    }
    fputc('"', out);
}

typedef struct totals {
    int64_t obligation, cea, ccer, outstanding, shortfall, penalty;
    uint32_t entities, by_status[5]; /* open, compliant, shortfall, settled, no_emissions */
} totals;

static void json_row(FILE *out, const report_row *r, bool first)
{
    char money[24], on[16], quoted[20] = "null";
    if (settled_on(&r->c, on)[0]) snprintf(quoted, sizeof quoted, "\"%s\"", on);
    fprintf(out, "%s\n    {\"entity\": %u, \"name\": ", first ? "" : ",", r->entity);
    json_string(out, r->name);
    fprintf(out,
            ", \"obligation\": %lld, \"surrendered_cea\": %lld, \"surrendered_ccer\": %lld, "
            "\"outstanding\": %lld, \"shortfall\": %lld, \"penalty\": \"%s\", "
            "\"penalty_fen\": %lld, \"status\": \"%s\", \"withheld\": %lld, "
            "\"surrendered_late\": %lld, \"settled_on\": %s}",
            (long long)r->c.obligation, (long long)r->c.surrendered_cea,
            (long long)r->c.surrendered_ccer, (long long)r->outstanding, (long long)r->c.shortfall,
            cets_fmt_money(r->c.penalty, money), (long long)r->c.penalty, r->status,
            (long long)r->c.withheld, (long long)r->c.late_surrendered, quoted);
}

static void totals_add(totals *t, const report_row *r)
{
    t->entities++;
    t->obligation += r->c.obligation;
    t->cea += r->c.surrendered_cea;
    t->ccer += r->c.surrendered_ccer;
    t->outstanding += r->outstanding;
    t->shortfall += r->c.shortfall;
    t->penalty += r->c.penalty;
    t->by_status[r->status[0] == 'n'                      ? 4
                 : r->c.status <= CETS_COMPLIANCE_SETTLED ? r->c.status
                                                          : 0]++;
}

int cets_report_compliance_json(const cets_engine *e, int32_t year, FILE *out)
{
    totals t = {0};
    fprintf(out, "{\n  \"year\": %d,\n  \"entities\": [", (int)year);
    uint32_t n = cets_participant_count(e);
    for (uint32_t pid = 1; pid <= n; pid++) {
        report_row r;
        if (!report_row_get(e, pid, year, &r)) continue;
        json_row(out, &r, t.entities == 0);
        totals_add(&t, &r);
    }
    char money[24];
    fprintf(out,
            "\n  ],\n  \"totals\": {\"entities\": %u, \"obligation\": %lld, "
            "\"surrendered_cea\": %lld, \"surrendered_ccer\": %lld, \"outstanding\": %lld, "
            "\"shortfall\": %lld, \"penalty\": \"%s\", \"penalty_fen\": %lld, "
            "\"by_status\": {\"open\": %u, \"compliant\": %u, \"shortfall\": %u, "
            "\"shortfall_settled\": %u, \"no_emissions\": %u}}\n}\n",
            t.entities, (long long)t.obligation, (long long)t.cea, (long long)t.ccer,
            (long long)t.outstanding, (long long)t.shortfall, cets_fmt_money(t.penalty, money),
            (long long)t.penalty, t.by_status[0], t.by_status[1], t.by_status[2], t.by_status[3],
            t.by_status[4]);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
