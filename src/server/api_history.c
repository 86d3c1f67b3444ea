/* api_history.c -- what the back office keeps, over HTTP (docs/api.md
 * "History", "Settlement bank", "Registry file", "Audit log"):
 *
 *   GET  /api/v1/history/{trades|fills|orders|funds|holdings|bars|report|statement}
 *   GET  /api/v1/audit/head
 *   GET  /api/v1/admin/backoffice
 *   POST /api/v1/admin/bank/deposits           (the bank's CSV of deposit notices)
 *   GET  /api/v1/admin/bank/withdrawals?date=  (the day's instructions for the bank)
 *   POST /api/v1/admin/bank/statement          (reconciliation)
 *   GET  /api/v1/admin/registry-file?date=     (the day's holdings movements)
 *   POST /api/v1/admin/registry-file/confirmation (reconciliation)
 *
 * History answers come from the SQL projection (backoffice/history.h),
 * which follows the journal a few milliseconds behind: each answer says up
 * to which command it holds ("as_of"). JSON pages by default, CSV with
 * format=csv; a cursor continues where the last page ended. Market data
 * (trades, bars, reports) is public; a participant's own history needs role
 * view, as for GET /api/v1/account.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "backoffice/backoffice.h"
#include "backoffice/bank.h"
#include "backoffice/csvout.h"
#include "backoffice/history.h"
#include "backoffice/regfile.h"
#include "cets/registry.h"
#include "core/log.h"
#include "views.h"

#define JSON_LIMIT_DEFAULT 1000
#define JSON_LIMIT_MAX 100000
#define BO_WAIT_MS 10000 /* a bank import waits this long for the projection to catch up */

/* ---- plumbing -------------------------------------------------------------------- */

static int answer_csv(req *r, const char *body, size_t len, const char *extra)
{
    return http_send(r, 200, "text/csv; charset=utf-8", extra, body, len);
}

static bool want_csv(req *r)
{
    char fmt[8];
    return http_query_str(r, "format", fmt, sizeof fmt) && strcmp(fmt, "csv") == 0;
}

/* The back office's database, or NULL after answering 503. */
static db *bo_db(req *r)
{
    char err[300];
    db *d = r->s->bo ? bo_db_acquire(r->s->bo, err, sizeof err) : NULL;
    if (!d)
        http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                   "the back office is not available: %s",
                   r->s->bo ? err : "it is switched off (backoffice_sql, audit_log)");
    return d;
}

static uint64_t sql_position(server *s)
{
    bo_status st;
    bo_get_status(s->bo, &st);
    return st.sql_st.position;
}

/* A date query parameter; *out untouched when absent. false after answering 400. */
static bool query_date(req *r, const char *name, bool required, int32_t *out)
{
    char buf[16];
    if (!http_query_str(r, name, buf, sizeof buf)) {
        if (required) http_field_error(r, name, "\"%s\" is required: a date, 2026-11-30", name);
        return !required;
    }
    if (http_parse_date(buf, out) != 0) {
        http_field_error(r, name, "\"%s\" must be a date, 2026-11-30", name);
        return false;
    }
    return true;
}

/* ?code=CEA25 as an instrument id (-1 when absent and not required). */
static bool query_code(req *r, bool required, int *out)
{
    char code[CETS_CODE_LEN + 1];
    *out = -1;
    if (!http_query_str(r, "code", code, sizeof code)) {
        if (required) http_field_error(r, "code", "\"code\" is required: an instrument code");
        return !required;
    }
    const cets_engine *e = core_read_begin(r->s->core);
    *out = cets_instrument_find(e, code);
    core_read_end(r->s->core);
    if (*out < 0) {
        http_error(r, 404, "unknown_instrument", CETS_UNKNOWN_INSTRUMENT, "no instrument \"%.20s\"",
                   code);
        return false;
    }
    return true;
}

/* Whose data: the caller's participant, or ?participant=N for an admin. 0 after answering. */
static uint32_t own_participant(req *r)
{
    int64_t pid = 0;
    if (!http_auth(r, ROLE_VIEW, HTTP_SELF) ||
        !http_query_int(r, "participant", 0, 1, UINT32_MAX - 1, &pid) ||
        (pid && !http_auth(r, ROLE_VIEW, (uint32_t)pid)))
        return 0;
    return pid ? (uint32_t)pid : r->who.participant;
}

/* ---- rows as JSON or CSV ---------------------------------------------------------------- */

typedef struct rows_out {
    const hcol *cols;
    int ncols;
    bool csv;
    FILE *f;     /* csv */
    json_t *arr; /* json */
} rows_out;

static int64_t num(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static int row_out(void *ctx, const char *const *v)
{
    rows_out *o = ctx;
    if (o->csv) { /* one line assembled, one write: an export is a million values */
        char line[2048], *p = line, *end = line + sizeof line - 48;
        for (int i = 0; i < o->ncols && p < end; i++) {
            if (i) *p++ = ',';
            if (!v[i]) continue;
            switch (o->cols[i].type) {
            case HC_MONEY: p += strlen(csvout_money(num(v[i]), p)); break;
            case HC_DATE: p += strlen(csvout_date((int32_t)num(v[i]), p)); break;
            case HC_TIME: p += strlen(csvout_time(num(v[i]), p)); break;
            case HC_INT: {
                size_t n = strlen(v[i]);
                if (n > 40) n = 40;
                memcpy(p, v[i], n);
                p += n;
                break;
            }
            case HC_TEXT:
                if (!cets_csv_text_plain(v[i]) || strlen(v[i]) > 200) {
                    fwrite(line, 1, (size_t)(p - line), o->f);
                    p = line;
                    csvout_text(o->f, v[i]);
                } else {
                    size_t n = strlen(v[i]);
                    memcpy(p, v[i], n);
                    p += n;
                }
                break;
            }
        }
        *p++ = '\n';
        fwrite(line, 1, (size_t)(p - line), o->f);
        return 0;
    }
    json_t *row = json_object();
    for (int i = 0; i < o->ncols; i++) {
        const char *k = o->cols[i].name;
        json_t *val;
        if (!v[i]) {
            val = json_null();
        } else {
            switch (o->cols[i].type) {
            case HC_MONEY: val = view_money(num(v[i])); break;
            case HC_DATE: val = view_date((int32_t)num(v[i])); break;
            case HC_TIME: {
                char ns[64];
                snprintf(ns, sizeof ns, "%s_ns", k);
                json_object_set_new(row, ns, json_integer(num(v[i])));
                val = view_time(num(v[i]));
                break;
            }
            case HC_TEXT: val = json_string(v[i]); break;
            default: val = json_integer(num(v[i])); break;
            }
        }
        json_object_set_new(row, k, val);
    }
    json_array_append_new(o->arr, row);
    return 0;
}

static void csv_header(FILE *f, const hcol *cols, int n)
{
    for (int i = 0; i < n; i++) fprintf(f, "%s%s", i ? "," : "", cols[i].name);
    fputc('\n', f);
}

/* GET history/{kind}: trades, fills, orders, funds, holdings, bars */
static int history_list(req *r, const char *kind)
{
    char interval[8] = "1m";
    if (strcmp(kind, "bars") == 0) {
        if (!http_query_str(r, "interval", interval, sizeof interval))
            snprintf(interval, sizeof interval, "1m");
        if (strcmp(interval, "1m") && strcmp(interval, "1d"))
            return http_field_error(r, "interval", "\"interval\" must be 1m or 1d");
        kind = strcmp(interval, "1m") == 0 ? "bars_1m" : "bars_1d";
    }
    const hcol *cols;
    int ncols;
    bool own;
    if (!history_kind(kind, &cols, &ncols, &own))
        return http_not_found(r, "no such history: trades, fills, orders, funds, holdings, bars, "
                                 "report, statement");
    history_req q = {.kind = kind, .instrument = -1};
    if (own && !(q.participant = own_participant(r))) return r->status;
    bool csv = want_csv(r);
    int64_t limit;
    char cursor[HISTORY_CURSOR_MAX] = "";
    if (!query_date(r, "from", true, &q.from)) return r->status;
    q.to = q.from;
    if (!query_date(r, "to", false, &q.to)) return r->status;
    if (q.to < q.from) return http_field_error(r, "to", "\"to\" must not be before \"from\"");
    if (!query_code(r, strncmp(kind, "bars", 4) == 0, &q.instrument) ||
        !http_query_int(r, "limit", csv ? HISTORY_LIMIT_MAX : JSON_LIMIT_DEFAULT, 1,
                        csv ? HISTORY_LIMIT_MAX : JSON_LIMIT_MAX, &limit))
        return r->status;
    if (http_query_str(r, "cursor", cursor, sizeof cursor) && !history_cursor_ok(kind, cursor))
        return http_field_error(r, "cursor", "\"cursor\" is not one this query gave");
    q.cursor = cursor;
    q.limit = (int)limit;
    db *d = bo_db(r);
    if (!d) return r->status;
    uint64_t as_of = sql_position(r->s);
    rows_out o = {.cols = cols, .ncols = ncols, .csv = csv};
    char *buf = NULL, next[HISTORY_CURSOR_MAX], err[512];
    size_t len = 0;
    if (csv) {
        o.f = open_memstream(&buf, &len);
        csv_header(o.f, cols, ncols);
    } else {
        o.arr = json_array();
    }
    int rc = o.f || o.arr ? history_query(d, &q, row_out, &o, next, err, sizeof err) : -1;
    bo_db_release(r->s->bo, d);
    if (o.f) fclose(o.f);
    if (rc != 0) {
        free(buf);
        json_decref(o.arr);
        log_error("history", "msg=\"query failed\" kind=%s error=%s", kind, log_q(err));
        return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                          "the back office's database: %s", err);
    }
    if (csv) {
        char extra[160];
        snprintf(extra, sizeof extra, "X-As-Of: %llu\r\n%s%s%s", (unsigned long long)as_of,
                 next[0] ? "X-Next-Cursor: " : "", next, next[0] ? "\r\n" : "");
        int st = answer_csv(r, buf, len, extra);
        free(buf);
        return st;
    }
    return http_json(r, 200,
                     json_pack("{s:o, s:o, s:I}", "items", o.arr, "next_cursor",
                               next[0] ? json_string(next) : json_null(), "as_of",
                               (json_int_t)as_of),
                     NULL);
}

/* ---- the daily report and statements of a past day ------------------------------- */

void api_report_audit(server *s, int32_t date, json_t *report)
{
    uint64_t seq;
    char head[65];
    bool have = s->bo && bo_audit_head_of_day(s->bo, date, &seq, head);
    if (!have && s->bo) {
        /* a report asked for right after the end of day: the audit log's
         * follower may not have written that day's head yet */
        core_stats cs;
        core_get_stats(s->core, &cs);
        if (bo_audit_wait(s->bo, cs.last_seq, s->cfg.report_audit_wait_ms) == 0)
            have = bo_audit_head_of_day(s->bo, date, &seq, head);
        else /* the report goes out without it: say why */
            log_warn("report",
                     "msg=\"audit log still behind: report without the day's audit head\" "
                     "waited_ms=%d last_seq=%llu",
                     s->cfg.report_audit_wait_ms, (unsigned long long)cs.last_seq);
    }
    if (have)
        json_object_set_new(report, "audit",
                            json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "head", head));
    else
        json_object_set_new(report, "audit", json_null());
}

/* ?date= or the last closed day of the projection; 0 after answering. */
static int32_t report_date(req *r, db *d)
{
    int32_t date = 0;
    if (!query_date(r, "date", false, &date)) return 0;
    if (date) return date;
    int64_t last = history_last_day(d);
    if (last <= 0) http_not_found(r, "no trading day has been closed yet");
    return last > 0 ? (int32_t)last : 0;
}

static int history_day_report(req *r)
{
    bool csv = want_csv(r);
    db *d = bo_db(r);
    if (!d) return r->status;
    static _Thread_local cets_day_stats st[CETS_MAX_INSTRUMENTS];
    uint32_t n = 0;
    int64_t composite = 0;
    uint64_t seq = 0;
    char err[512];
    int32_t date = report_date(r, d);
    int rc = date ? history_report(d, date, st, CETS_MAX_INSTRUMENTS, &n, &composite, &seq, err,
                                   sizeof err)
                  : -2;
    bo_db_release(r->s->bo, d);
    if (rc == -2) return r->status;
    if (rc < 0) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "%s", err);
    if (rc == 0)
        return http_not_found(r, "that day is not a closed trading day of the back office");
    if (!csv) {
        json_t *o = view_report(date, composite, st, n);
        api_report_audit(r->s, date, o);
        return http_json(r, 200, o, NULL);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("code,date,prev_close,open,high,low,close,change_pct,traded,listing_volume,"
          "listing_value,listing_trades,block_volume,block_value,block_trades,auction_volume,"
          "auction_value,auction_trades,total_volume,total_value,next_lower,next_upper\n",
          f);
    for (uint32_t i = 0; i < n; i++) {
        const cets_day_stats *s = &st[i];
        char m[12][24], day[24];
        int64_t bp = s->change_bp, a = bp < 0 ? -bp : bp;
        fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%s%lld.%02lld,%s", s->code, csvout_date(s->date, day),
                csvout_money(s->prev_close, m[0]), csvout_money(s->open, m[1]),
                csvout_money(s->high, m[2]), csvout_money(s->low, m[3]),
                csvout_money(s->close, m[4]), bp < 0 ? "-" : "", (long long)(a / 100),
                (long long)(a % 100), s->traded ? "true" : "false");
        for (int k = 0; k < CETS_METHOD_COUNT; k++)
            fprintf(f, ",%lld,%s,%llu", (long long)s->volume[k],
                    csvout_money(s->value[k], m[5 + k]), (unsigned long long)s->trades[k]);
        fprintf(f, ",%lld,%s,%s,%s\n", (long long)s->total_volume,
                csvout_money(s->total_value, m[8]), csvout_money(s->next_lower, m[9]),
                csvout_money(s->next_upper, m[10]));
    }
    fclose(f);
    int status = answer_csv(r, buf, len, NULL);
    free(buf);
    return status;
}

static int history_day_statement(req *r)
{
    uint32_t pid = own_participant(r);
    if (!pid) return r->status;
    db *d = bo_db(r);
    if (!d) return r->status;
    static _Thread_local cets_statement st;
    char err[512];
    int32_t date = report_date(r, d);
    int rc = date ? history_statement(d, date, pid, &st, err, sizeof err) : -2;
    bo_db_release(r->s->bo, d);
    if (rc == -2) return r->status;
    if (rc < 0) return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "%s", err);
    if (rc == 0) return http_not_found(r, "no statement of that participant for that day");
    const cets_engine *e = core_read_begin(r->s->core); /* for the instruments' codes */
    json_t *o = view_statement(e, &st);
    core_read_end(r->s->core);
    return http_json(r, 200, o, NULL);
}

static int on_history(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 2) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    if (strcmp(r.seg[1], "report") == 0) return history_day_report(&r);
    if (strcmp(r.seg[1], "statement") == 0) return history_day_statement(&r);
    return history_list(&r, r.seg[1]);
}

/* ---- the audit log's head and the back office's state ----------------------------- */

static int on_audit_head(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (r.nseg != 2 || strcmp(r.seg[1], "head") != 0) return http_not_found(&r, "no such resource");
    if (!http_is(&r, "GET")) return http_bad_method(&r);
    uint64_t seq;
    char head[65];
    if (!r.s->bo || !bo_audit_head(r.s->bo, &seq, head))
        return http_error(&r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                          "the audit log is switched off (audit_log = false)");
    return http_json(
        &r, 200,
        json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "head", head, "file", CETS_AUDIT_FILE),
        NULL);
}

static json_t *follower_json(const follower_stats *f)
{
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "ok", f->ok, "position",
                     (json_int_t)f->position, "durable", (json_int_t)f->durable, "behind",
                     (json_int_t)(f->durable > f->position ? f->durable - f->position : 0),
                     "commands", (json_int_t)f->commands, "events", (json_int_t)f->events,
                     "commits", (json_int_t)f->commits, "failures", (json_int_t)f->failures,
                     "error", f->error);
}

static int backoffice_state(req *r)
{
    if (!r->s->bo)
        return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                          "the back office is switched off (backoffice_sql, audit_log)");
    bo_status st;
    bo_get_status(r->s->bo, &st);
    return http_json(r, 200,
                     json_pack("{s:s, s:o, s:o}", "database", st.database, "sql",
                               st.sql ? follower_json(&st.sql_st) : json_null(), "audit",
                               st.audit ? follower_json(&st.audit_st) : json_null()),
                     NULL);
}

/* ---- the settlement bank and the registry ---------------------------------------------- */

static int bad_file(req *r, char **errors, size_t n, const char *nothing)
{
    json_t *errs = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(errs, json_string(errors[i]));
    return http_json(r, 422,
                     json_pack("{s:s, s:i, s:s, s:o}", "error", "bad_file", "code",
                               HTTP_E_BAD_FIELD, "message", nothing, "errors", errs),
                     NULL);
}

/* Wait until the projection holds every command up to now: a bank import
 * decides what is new from it. false after answering 503. */
static bool projection_current(req *r)
{
    core_stats cs;
    core_get_stats(r->s->core, &cs);
    if (bo_sql_wait(r->s->bo, cs.last_seq, BO_WAIT_MS) == 0) return true;
    http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE,
               "the back office's projection is behind the journal (see GET "
               "/api/v1/admin/backoffice); try again");
    return false;
}

static pthread_mutex_t deposits_mu = PTHREAD_MUTEX_INITIALIZER;

/* POST admin/bank/deposits: every notice checked first; new ones applied in
 * file order; one seen before (this file or an earlier one) applied never again. */
static int bank_import(req *r)
{
    size_t len;
    char *text = http_read_raw(r, (size_t)r->s->cfg.max_body, "file", &len);
    if (!text) return r->status;
    pthread_mutex_lock(&deposits_mu); /* two imports of one file: the second sees the first */
    int status;
    db *d = NULL;
    bank_deposits b = {0};
    if (!projection_current(r) || !(d = bo_db(r))) {
        status = r->status;
        goto out;
    }
    const cets_engine *e = core_read_begin(r->s->core);
    int rc = bank_deposits_check(d, e, "deposits.csv", text, len, &b);
    core_read_end(r->s->core);
    if (rc != 0) {
        status = b.db_failed
                     ? http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "%s",
                                  b.nerrors ? b.errors[0] : "the back office's database")
                     : bad_file(r, b.errors, b.nerrors, "the file has errors: nothing was applied");
        goto out;
    }
    size_t done = 0;
    int code = CETS_OK;
    int64_t total = 0;
    for (; done < b.napply; done++) {
        const bank_notice *n = &b.apply[done];
        cets_cmd c = {.type = CETS_CMD_DEPOSIT,
                      .actor = CETS_EXCHANGE_ID,
                      .participant = n->participant,
                      .qty = n->amount,
                      .aux = n->value_date};
        snprintf(c.u.text, sizeof c.u.text, "%s", n->ref);
        if ((code = api_submit(r, &c, NULL)) != CETS_OK) break;
        total += n->amount;
    }
    if (code != CETS_OK) {
        status =
            http_error(r, code == CETS_JOURNAL_FAILED ? 503 : 422, cets_reason_name(code), code,
                       "the notice on line %d was refused (%s); the %zu before it were "
                       "applied, importing the file again applies the rest",
                       b.apply[done].line, cets_reason_message(code), done);
        goto out;
    }
    json_t *dups = json_array();
    for (size_t i = 0; i < b.ndups; i++)
        json_array_append_new(dups, json_pack("{s:i, s:s, s:I}", "line", b.dups[i].line, "bank_ref",
                                              b.dups[i].ref, "seq", (json_int_t)b.dups[i].seq));
    log_info("bank", "msg=\"deposit notices imported\" applied=%zu duplicates=%zu by=%s", b.napply,
             b.ndups, r->who.user);
    status = http_json(r, 200,
                       json_pack("{s:I, s:o, s:o}", "applied", (json_int_t)b.napply, "amount",
                                 view_money(total), "duplicates", dups),
                       NULL);
out:
    pthread_mutex_unlock(&deposits_mu);
    if (d) bo_db_release(r->s->bo, d);
    bank_deposits_free(&b);
    free(text);
    return status;
}

/* GET admin/bank/withdrawals?date= and admin/registry-file?date=: the day's file. */
static int day_file(req *r, int (*write)(db *, int32_t, FILE *, char *, size_t))
{
    int32_t date = 0;
    if (!query_date(r, "date", true, &date)) return r->status;
    db *d = bo_db(r);
    if (!d) return r->status;
    char *buf = NULL, err[512];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = write(d, date, f, err, sizeof err);
    fclose(f);
    bo_db_release(r->s->bo, d);
    if (rc != 0) {
        free(buf);
        return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "%s", err);
    }
    int st = answer_csv(r, buf, len, NULL);
    free(buf);
    return st;
}

/* POST admin/bank/statement and admin/registry-file/confirmation. */
static int reconcile(req *r, bool bank)
{
    size_t len;
    char *text = http_read_raw(r, (size_t)r->s->cfg.max_body, "file", &len);
    if (!text) return r->status;
    db *d = bo_db(r);
    if (!d) {
        free(text);
        return r->status;
    }
    recon rc;
    int ok = bank ? bank_reconcile(d, "statement.csv", text, len, &rc)
                  : regfile_reconcile(d, "confirmation.csv", text, len, &rc);
    bo_db_release(r->s->bo, d);
    free(text);
    int status;
    if (ok != 0) {
        status = rc.db_failed ? http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE, "%s",
                                           rc.nerrors ? rc.errors[0] : "the back office's database")
                              : bad_file(r, rc.errors, rc.nerrors,
                                         "the file has errors: nothing was reconciled");
    } else if (want_csv(r)) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        recon_csv(&rc, bank, bank ? "bank" : "registry", f);
        fclose(f);
        status = answer_csv(r, buf, n, NULL);
        free(buf);
    } else {
        json_t *lines = json_array();
        for (size_t i = 0; i < rc.nlines; i++) {
            const recon_line *l = &rc.lines[i];
            json_t *o = json_pack("{s:I, s:s}", "participant", (json_int_t)l->participant,
                                  "finding", l->finding);
            if (bank) {
                json_object_set_new(o, "ours", view_money(l->ours));
                json_object_set_new(o, "bank", view_money(l->theirs));
                json_object_set_new(o, "difference", view_money(l->theirs - l->ours));
            } else {
                json_object_set_new(o, "code", json_string(l->code));
                json_object_set_new(o, "ours", json_integer(l->ours));
                json_object_set_new(o, "registry", json_integer(l->theirs));
                json_object_set_new(o, "difference", json_integer(l->theirs - l->ours));
            }
            json_array_append_new(lines, o);
        }
        log_info(bank ? "bank" : "registry",
                 "msg=\"reconciled\" date=%d compared=%zu matched=%zu discrepancies=%zu", rc.date,
                 rc.compared, rc.matched, rc.nlines);
        status = http_json(r, 200,
                           json_pack("{s:o, s:I, s:I, s:o}", "date", view_date(rc.date), "compared",
                                     (json_int_t)rc.compared, "matched", (json_int_t)rc.matched,
                                     "discrepancies", lines),
                           NULL);
    }
    recon_free(&rc);
    return status;
}

static int on_admin_bo(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    if (!http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    const char *a = r.nseg > 1 ? r.seg[1] : "", *b = r.nseg > 2 ? r.seg[2] : "";
    bool get = http_is(&r, "GET"), post = http_is(&r, "POST");
    if (strcmp(a, "backoffice") == 0 && r.nseg == 2)
        return get ? backoffice_state(&r) : http_bad_method(&r);
    if (strcmp(a, "bank") == 0 && r.nseg == 3 && strcmp(b, "deposits") == 0)
        return post ? bank_import(&r) : http_bad_method(&r);
    if (strcmp(a, "bank") == 0 && r.nseg == 3 && strcmp(b, "withdrawals") == 0)
        return get ? day_file(&r, bank_withdrawals_csv) : http_bad_method(&r);
    if (strcmp(a, "bank") == 0 && r.nseg == 3 && strcmp(b, "statement") == 0)
        return post ? reconcile(&r, true) : http_bad_method(&r);
    if (strcmp(a, "registry-file") == 0 && r.nseg == 2)
        return get ? day_file(&r, regfile_csv) : http_bad_method(&r);
    if (strcmp(a, "registry-file") == 0 && r.nseg == 3 && strcmp(b, "confirmation") == 0)
        return post ? reconcile(&r, false) : http_bad_method(&r);
    return http_not_found(&r, "no such resource");
}

void api_history_register(server *s)
{
    http_handle(s, "/api/v1/history", on_history);
    http_handle(s, "/api/v1/audit", on_audit_head);
    http_handle(s, "/api/v1/admin/backoffice", on_admin_bo);
    http_handle(s, "/api/v1/admin/bank", on_admin_bo);
    http_handle(s, "/api/v1/admin/registry-file", on_admin_bo);
}
