/* sqlproj.c -- see sqlproj.h. */
#include "sqlproj.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bank.h"
#include "batch.h"
#include "core/log.h"
#include "db.h"
#include "regfile.h"
#include "rows.h"
#include "schema.h"

struct sqlproj {
    char target[1024];
    char files[1024]; /* "" none */
    int bars_days;
    db *d;
    bo_batch b;
    bo_rows r;
    char *upsert[T_NTABLES]; /* the upsert statement of each upsert table */
    bool fresh;              /* the store was at position 0: seed the exchange's row */
};

/* "INSERT ... ON CONFLICT (pk) DO UPDATE SET c = excluded.c, ..." */
static char *upsert_sql(const bo_table_def *t)
{
    char *sql = malloc(4096);
    if (!sql) return NULL;
    int o = snprintf(sql, 4096, "INSERT INTO %s (%s) VALUES (", t->name, t->cols);
    for (int i = 1; i <= t->ncols; i++)
        o += snprintf(sql + o, 4096 - (size_t)o, "%s$%d", i > 1 ? "," : "", i);
    o += snprintf(sql + o, 4096 - (size_t)o, ") ON CONFLICT (%s) DO UPDATE SET ", t->pk);
    char cols[1024], keys[256], keep[256];
    snprintf(cols, sizeof cols, ",%s,", t->cols);
    snprintf(keys, sizeof keys, ",%s,", t->pk);
    snprintf(keep, sizeof keep, ",%s,", t->keep);
    bool first = true;
    for (char *c = strtok(cols + 1, ","); c; c = strtok(NULL, ",")) {
        char probe[80];
        snprintf(probe, sizeof probe, ",%s,", c);
        if (strstr(keys, probe) || strstr(keep, probe)) continue;
        o += snprintf(sql + o, 4096 - (size_t)o, "%s%s = excluded.%s", first ? "" : ", ", c, c);
        first = false;
    }
    return sql;
}

sqlproj *sqlproj_new(const char *target, int bars_days, const char *files_dir)
{
    sqlproj *p = calloc(1, sizeof *p);
    if (!p || strlen(target) >= sizeof p->target ||
        (files_dir && strlen(files_dir) >= sizeof p->files)) {
        free(p);
        return NULL;
    }
    snprintf(p->target, sizeof p->target, "%s", target);
    snprintf(p->files, sizeof p->files, "%s", files_dir ? files_dir : "");
    p->bars_days = bars_days;
    batch_init(&p->b);
    bool ok = rows_init(&p->r, &p->b, bars_days) == 0;
    for (int t = 0; t < T_NTABLES && ok; t++)
        if (bo_tables[t].upsert && !(p->upsert[t] = upsert_sql(&bo_tables[t]))) ok = false;
    if (!ok) {
        sqlproj_free(p);
        return NULL;
    }
    return p;
}

void sqlproj_free(sqlproj *p)
{
    if (!p) return;
    db_close(p->d);
    rows_free(&p->r);
    batch_free(&p->b);
    for (int t = 0; t < T_NTABLES; t++) free(p->upsert[t]);
    free(p);
}

/* ---- the sink ------------------------------------------------------------------- */

static int sp_open(void *ctx, uint64_t *seq, char *err, size_t errlen)
{
    sqlproj *p = ctx;
    batch_clear(&p->b);
    if (!(p->d = db_open(p->target, err, errlen))) return -1;
    int64_t pos = 0;
    int rc = schema_migrate(p->d, NULL, err, errlen);
    if (rc == 0 &&
        db_int_query(p->d, "SELECT value FROM bo_meta WHERE key = 'position'", 0, NULL, &pos) != 1)
        rc = -1, snprintf(err, errlen, "bo_meta has no position: %s", db_error(p->d));
    if (rc != 0) {
        db_close(p->d);
        p->d = NULL;
        return -1;
    }
    *seq = (uint64_t)pos;
    p->fresh = pos == 0;
    return 0;
}

static int sp_resume(void *ctx, const cets_engine *e, char *err, size_t errlen)
{
    sqlproj *p = ctx;
    if (rows_resume(&p->r, e, p->d) != 0) {
        snprintf(err, errlen, "%s", db_error(p->d));
        return -1;
    }
    if (p->fresh) { /* the exchange exists from the start: no command adds it */
        cets_participant_info x;
        db_val *v = cets_participant_get(e, CETS_EXCHANGE_ID, &x) == CETS_OK
                        ? batch_row(&p->b, T_PARTICIPANTS)
                        : NULL;
        if (v) {
            v[0] = db_int(CETS_EXCHANGE_ID), v[1] = db_text(rows_kind(x.kind));
            v[2] = db_text(batch_text(&p->b, x.name)), v[3] = db_text("active");
            v[4] = db_int(0), v[5] = db_int(0);
        }
    }
    return 0;
}

static void sp_command(void *ctx, const cets_engine *e, const cets_cmd *c)
{
    rows_command(&((sqlproj *)ctx)->r, e, c);
}

static void sp_event(void *ctx, const cets_event *ev)
{
    rows_event(&((sqlproj *)ctx)->r, ev);
}

static void sp_applied(void *ctx, const cets_engine *e, const cets_cmd *c, const cets_result *r)
{
    rows_applied(&((sqlproj *)ctx)->r, e, c, r);
}

static int sp_table(sqlproj *p, int t)
{
    const bo_table_def *def = &bo_tables[t];
    const db_val *rows = p->b.rows[t];
    size_t n = p->b.nrows[t];
    if (!n) return 0;
    if (def->upsert) {
        for (size_t i = 0; i < n; i++)
            if (db_run(p->d, p->upsert[t], def->ncols, rows + i * (size_t)def->ncols, NULL, NULL) !=
                0)
                return -1;
        return 0;
    }
    if (db_copy_begin(p->d, def->name, def->cols, def->ncols) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = db_copy_row(p->d, rows + i * (size_t)def->ncols);
    return db_copy_end(p->d) != 0 || rc != 0 ? -1 : 0;
}

/* One of the day's files, whole or not at all. */
static int day_file(sqlproj *p, const char *what, int32_t date,
                    int (*write)(db *, int32_t, FILE *, char *, size_t))
{
    char path[1200], tmp[1210], err[512] = "";
    snprintf(path, sizeof path, "%s/%s-%d.csv", p->files, what, (int)date);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = f ? write(p->d, date, f, err, sizeof err) : -1;
    if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0)) rc = -1;
    if (f && fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc != 0) {
        log_error("backoffice",
                  "msg=\"cannot write the day's file; GET it from the API\" "
                  "file=%s error=%s",
                  log_q(path), log_q(err[0] ? err : strerror(errno)));
        unlink(tmp);
    }
    return rc;
}

static void day_files(sqlproj *p, const int32_t *dates, int n)
{
    if (!p->files[0] || !n) return;
    mkdir(p->files, 0755);
    for (int i = 0; i < n; i++) {
        day_file(p, "withdrawals", dates[i], bank_withdrawals_csv);
        day_file(p, "registry", dates[i], regfile_csv);
    }
}

static int sp_commit(void *ctx, const cets_engine *e, uint64_t seq, char *err, size_t errlen)
{
    (void)e;
    sqlproj *p = ctx;
    int32_t closed[8];
    int nclosed = 0;
    for (size_t i = 0; i < p->b.nrows[T_DAYS] && nclosed < 8; i++)
        closed[nclosed++] = (int32_t)p->b.rows[T_DAYS][i * (size_t)bo_tables[T_DAYS].ncols].i;
    rows_flush_bars(&p->r);
    if (p->b.oom) {
        snprintf(err, errlen, "out of memory for the batch's rows");
        return -1;
    }
    int rc = db_begin(p->d);
    for (int t = 0; t < T_NTABLES && rc == 0; t++) rc = sp_table(p, t);
    for (int i = 0; i < p->b.nafter && rc == 0; i++) {
        db_val v = db_int(p->b.after[i].param);
        rc = db_run(p->d, p->b.after[i].sql, 1, &v, NULL, NULL);
    }
    db_val pos = db_int((int64_t)seq);
    if (rc == 0)
        rc = db_run(p->d, "UPDATE bo_meta SET value = $1 WHERE key = 'position'", 1, &pos, NULL,
                    NULL);
    if (rc == 0) rc = db_commit(p->d);
    if (rc != 0) {
        snprintf(err, errlen, "commit up to seq %llu: %s", (unsigned long long)seq, db_error(p->d));
        db_rollback(p->d);
        return -1;
    }
    batch_clear(&p->b);
    p->fresh = false;
    day_files(p, closed, nclosed);
    return 0;
}

static void sp_close(void *ctx)
{
    sqlproj *p = ctx;
    batch_clear(&p->b);
    db_close(p->d);
    p->d = NULL;
}

follower_sink sqlproj_sink(sqlproj *p)
{
    return (follower_sink){.name = "sql",
                           .ctx = p,
                           .open = sp_open,
                           .resume = sp_resume,
                           .command = sp_command,
                           .event = sp_event,
                           .applied = sp_applied,
                           .commit = sp_commit,
                           .close = sp_close};
}
