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

#include <curl/curl.h>

#include "backoffice/db.h"
#include "backoffice/follower.h"
#include "backoffice/sqlproj.h"
#include "cets/journal.h"
#include "core/log.h"
#include "jsonl.h"
#include "server/config.h"
#include "server/service.h"
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
    a->wl.commands = 405000; /* about 100,000 trades, all on one day */
    a->batch = 16384;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
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
            if (cets_journal_append(j, &parts[k][i]) != 0) return -1;
            if (++n % 4096 == 0 && cets_journal_commit(j) != 0) return -1;
        }
    int rc = cets_journal_commit(j);
    cets_journal_close(j);
    return rc;
}

static int64_t count_rows(const char *target)
{
    char err[512];
    db *d = db_open(target, err, sizeof err);
    if (!d) return -1;
    static const char *const tables[] = {
        "trades",       "orders",         "funds_movements", "holdings_movements",
        "participants", "admin_commands", "bars_1m"};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        int64_t v = 0;
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        if (db_int_query(d, sql, 0, NULL, &v) == 1) total += v;
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

static int run_projection(const char *dir, const char *target, const char *backend, uint64_t last,
                          uint32_t batch)
{
    int64_t rows0 = count_rows(target);
    if (rows0 > 0) {
        fprintf(stderr, "bench_backoffice: %s already holds %lld rows: give an empty database\n",
                backend, (long long)rows0);
        return -1;
    }
    sqlproj *p = sqlproj_new(target, 30, NULL);
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

/* ---- the history API: one day's trades as CSV, over HTTP ------------------------- */

typedef struct body {
    size_t n;
    size_t lines;
} body;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
    body *b = ctx;
    size_t n = size * nmemb;
    b->n += n;
    for (size_t i = 0; i < n; i++) b->lines += p[i] == '\n';
    return n;
}

/* cetsd's service on the data directory (its back office already holds the
 * day), then GET /api/v1/history/trades?format=csv for the whole day. */
static int run_history(const char *dir, int32_t date, uint64_t trades, int repeat)
{
    static server s;
    server_config cfg;
    char err[1024];
    config_default(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.log_level = LOG_WARN;
    log_setup(stderr, LOG_WARN);
    setenv("CETSD_ADMIN_PASSWORD", "bench-admin-password", 1);
    if (service_start(&s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench_backoffice: %s\n", err);
        return -1;
    }
    char url[256];
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/api/v1/history/trades?from=%04d-%02d-%02d&format=csv",
             service_port(&s), date / 10000, date / 100 % 100, date % 100);
    CURL *h = curl_easy_init();
    int rc = 0;
    for (int i = 0; i < repeat && rc == 0; i++) {
        body b = {0, 0};
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        int64_t t0 = timing_now_ns();
        CURLcode cc = curl_easy_perform(h);
        double sec = (timing_now_ns() - t0) / 1e9;
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK || status != 200 || b.lines != trades + 1) {
            fprintf(stderr, "bench_backoffice: history: status %ld, %zu lines for %llu trades\n",
                    status, b.lines, (unsigned long long)trades);
            rc = -1;
            break;
        }
        jsonl_begin("history_csv");
        jsonl_str("backend", "sqlite");
        jsonl_u64("trades", trades);
        jsonl_u64("bytes", b.n);
        jsonl_num("seconds", sec, 3);
        jsonl_num("trades_per_s", trades / sec, 0);
        jsonl_bool("within_1s", sec <= 1.0);
        jsonl_end();
    }
    curl_easy_cleanup(h);
    service_stop(&s);
    return rc;
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
        if (!mkdtemp(tmp)) return 1;
    }
    char dir[600], target[700];
    snprintf(dir, sizeof dir, "%s/data", tmp);
    workload w;
    fprintf(stderr, "bench_backoffice: building %zu commands\n", a.wl.commands);
    if (workload_build(&w, &a.wl) != 0 || write_journal(&w, dir) != 0) return 1;
    uint64_t last = w.nsetup + w.ncmds;
    fprintf(stderr, "bench_backoffice: journal of %llu commands, %llu trades\n",
            (unsigned long long)last, (unsigned long long)w.trades);
    int rc = 0;
    /* the server's own database file: the history run reads what this wrote */
    snprintf(target, sizeof target, "%s/backoffice.sqlite", dir);
    rc |= run_projection(dir, target, "sqlite", last, a.batch);
    if (a.pg && (!a.only || !strcmp(a.only, "projection")))
        rc |= run_projection(dir, a.pg, "postgresql", last, a.batch);
    if (!rc && (!a.only || !strcmp(a.only, "history")))
        rc |= run_history(dir, a.wl.date, w.trades, 3);
    workload_free(&w);
    if (!a.dir) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) fprintf(stderr, "bench_backoffice: could not remove %s\n", tmp);
    }
    return rc ? 1 : 0;
}
