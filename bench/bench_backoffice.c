/* bench_backoffice.c -- how fast the back office is: the SQL projection's
 * throughput into SQLite and PostgreSQL, and the history API's CSV export of
 * one day's trades.
 *
 *   bench_backoffice [--commands N] [--seed S] [--pg URL] [--dir DIR] [--batch B]
 *                    [--only projection|history]
 *
 * A journal is written first (not timed): the continuous-book workload of
 * bench_engine (lib/workload.c), all on one trading day. Then each run
 * projects the whole journal into a fresh database with the follower the
 * server runs (a replica engine, the journal reader, batched transactions
 * with the position), from the first command to the last, and reports
 * events/s (engine events the projection consumed), commands/s and rows/s.
 * --pg names an empty PostgreSQL database to project into as well (skipped
 * without). The history run starts cetsd's service on the data directory
 * and asks GET /api/v1/history/trades?format=csv for the day over HTTP,
 * like a client, timing the whole answer.
 *
 * One JSON object per line on stdout (bench/README.md), progress on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoffice/db.h"
#include "backoffice/follower.h"
#include "backoffice/sqlproj.h"
#include "cets/journal.h"
#include "jsonl.h"
#include "timing.h"
#include "workload.h"

typedef struct args {
    workload_opts wl;
    const char *pg, *dir, *only;
    uint32_t batch;
} args;

static void usage(void)
{
    fprintf(stderr, "usage: bench_backoffice [--commands N] [--seed S] [--pg URL] [--dir DIR]\n"
                    "         [--batch B] [--only projection|history]\n");
    exit(2);
}

static void parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    workload_opts_default(&a->wl);
    a->wl.commands = 500000;
    a->batch = 16384;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (!strcmp(f, "--commands"))
            a->wl.commands = strtoull(v, NULL, 10);
        else if (!strcmp(f, "--seed"))
            a->wl.seed = strtoull(v, NULL, 10);
        else if (!strcmp(f, "--pg"))
            a->pg = v;
        else if (!strcmp(f, "--dir"))
            a->dir = v;
        else if (!strcmp(f, "--batch"))
            a->batch = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(f, "--only"))
            a->only = v;
        else
            usage();
    }
}

/* The workload as a data directory's journal. */
static int write_journal(const workload *w, const char *dir)
{
    cets_config cfg;
    workload_config(&w->opts, false, &cfg);
    char err[512];
    cets_engine *e = cets_recover(dir, &cfg, NULL, NULL, NULL, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_backoffice: %s\n", err);
        return -1;
    }
    cets_engine_free(e);
    cets_journal *j = cets_journal_open(dir, 1, err, sizeof err);
    if (!j) {
        fprintf(stderr, "bench_backoffice: %s\n", err);
        return -1;
    }
    size_t n = 0;
    const cets_cmd *parts[2] = {w->setup, w->cmds};
    size_t counts[2] = {w->nsetup, w->ncmds};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            if (cets_journal_append(j, &parts[k][i]) != 0)
                return -1;
            if (++n % 4096 == 0 && cets_journal_commit(j) != 0)
                return -1;
        }
    int rc = cets_journal_commit(j);
    cets_journal_close(j);
    return rc;
}

static int64_t count_rows(const char *target)
{
    char err[512];
    db *d = db_open(target, err, sizeof err);
    if (!d)
        return -1;
    static const char *const tables[] = {"trades", "orders", "funds_movements",
                                         "holdings_movements", "participants", "admin_commands",
                                         "bars_1m"};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        int64_t v = 0;
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        if (db_int_query(d, sql, 0, NULL, &v) == 1)
            total += v;
    }
    db_close(d);
    return total;
}

/* CPU time of the whole process: the follower's thread does the work, the
 * main thread sleeps in follower_wait. On a shared machine wall time depends
 * on who else runs; this does not (for PostgreSQL it leaves out the server). */
static int64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int run_projection(const char *dir, const char *target, const char *backend,
                          uint64_t last, uint32_t batch)
{
    int64_t rows0 = count_rows(target);
    if (rows0 > 0) {
        fprintf(stderr, "bench_backoffice: %s already holds %lld rows: give an empty database\n",
                backend, (long long)rows0);
        return -1;
    }
    sqlproj *p = sqlproj_new(target, 30);
    follower_options o;
    follower_options_default(&o);
    o.dir = dir;
    o.batch = batch;
    o.poll_ms = 1;
    follower_sink s = sqlproj_sink(p);
    char err[512];
    int64_t t0 = timing_now_ns(), c0 = cpu_ns();
    follower *f = follower_start(&o, &s, err, sizeof err);
    if (!f || follower_wait(f, last, 600000) != 0) {
        fprintf(stderr, "bench_backoffice: %s projection did not finish\n", backend);
        return -1;
    }
    int64_t dt = timing_now_ns() - t0, cpu = cpu_ns() - c0;
    follower_stats st;
    follower_get_stats(f, &st);
    follower_stop(f, false, 0);
    sqlproj_free(p);
    int64_t rows = count_rows(target);
    double s_el = dt / 1e9;
    jsonl_begin("projection");
    jsonl_str("backend", backend);
    jsonl_u64("commands", st.commands);
    jsonl_u64("events", st.events);
    jsonl_i64("rows", rows);
    jsonl_u64("commits", st.commits);
    jsonl_num("seconds", s_el, 3);
    jsonl_num("cpu_seconds", cpu / 1e9, 3);
    jsonl_num("events_per_s", st.events / s_el, 0);
    jsonl_num("events_per_cpu_s", st.events / (cpu / 1e9), 0);
    jsonl_num("commands_per_s", st.commands / s_el, 0);
    jsonl_num("rows_per_s", rows / s_el, 0);
    jsonl_num("commit_ms_max", st.commit_ns_max / 1e6, 1);
    jsonl_num("commit_ms_mean", st.commits ? st.commit_ns_total / 1e6 / st.commits : 0, 2);
    jsonl_end();
    return 0;
}

int main(int argc, char **argv)
{
    args a;
    parse(argc, argv, &a);
    char tmp[512];
    if (a.dir) {
        snprintf(tmp, sizeof tmp, "%s", a.dir);
    } else {
        snprintf(tmp, sizeof tmp, "/tmp/cets-bench-bo-XXXXXX");
        if (!mkdtemp(tmp))
            return 1;
    }
    char dir[600], target[700];
    snprintf(dir, sizeof dir, "%s/data", tmp);
    workload w;
    fprintf(stderr, "bench_backoffice: building %zu commands\n", a.wl.commands);
    if (workload_build(&w, &a.wl) != 0 || write_journal(&w, dir) != 0)
        return 1;
    uint64_t last = w.nsetup + w.ncmds;
    fprintf(stderr, "bench_backoffice: journal of %llu commands, %llu trades\n",
            (unsigned long long)last, (unsigned long long)w.trades);
    int rc = 0;
    if (!a.only || !strcmp(a.only, "projection")) {
        snprintf(target, sizeof target, "%s/bench.sqlite", tmp);
        rc |= run_projection(dir, target, "sqlite", last, a.batch);
        if (a.pg)
            rc |= run_projection(dir, a.pg, "postgresql", last, a.batch);
    }
    workload_free(&w);
    if (!a.dir) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_backoffice: could not remove %s\n", tmp);
    }
    return rc ? 1 : 0;
}
