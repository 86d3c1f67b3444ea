/* simulate.c -- `cets simulate`: one trading day of a simulated market.
 *
 * The day runs exactly as the exchange runs it: a fresh data directory is
 * recovered (cets_recover), the journal opened, and every command -- the
 * operator's setup at 09:00, the participants' orders from 09:30 to 15:00,
 * the end of day at 15:30 -- goes sequencer -> journal -> engine through the
 * pipeline, with group commits. Then the day's report is printed (and any
 * statements asked for), a snapshot is written, and a run summary says what
 * happened and how fast. The same seed gives the same day, bit for bit: the
 * state hash printed here is the one `cets replay` finds in the directory.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cets/registry.h"
#include "sim.h"

const char simulate_usage[] =
    "usage: cets simulate [flags]\n"
    "Run one trading day of a simulated national carbon market through the journal\n"
    "and the engine, then print the day's market report.\n\n"
    "  --dir DIR           data directory to create (default ./cets-sim-data)\n"
    "  --force             wipe DIR first if it already holds a market\n"
    "  --scenario NAME     normal (default), opening-day (2021-07-16: CEA1920 at 48.00),\n"
    "                      deadline-rush (2023-12-27): sets the defaults of the next three\n"
    "  --participants N    accounts to open (normal: 2200)\n"
    "  --orders N          participants' commands in the day (normal: 2000)\n"
    "  --date YYYYMMDD     the trading day (normal: 20261130, a Monday); only the instruments\n"
    "                      listed by then are listed\n"
    "  --seed S            seed of the simulation (default 1)\n"
    "  --holidays FILE     calendar file (default data/holidays-cn.txt; 'none': no holidays)\n"
    "  --batch N           commands per journal commit (default 1024)\n"
    "  --statement PID     also print participant PID's statement (repeatable)\n"
    "  --json              print JSON lines instead of tables\n"
    "  --quiet             no progress lines on stderr\n";

typedef struct sim_opts {
    const char *dir, *holidays, *scenario;
    const sim_scenario *sc;
    int64_t participants, orders, seed, batch;
    int32_t date;
    cli_intlist statements;
    bool json, quiet, force;
} sim_opts;

typedef struct sim_events { /* what the listener saw */
    uint64_t trades, day_stats, statements;
    int64_t composite;
    int32_t closed_date, next_date;
} sim_events;

static void sim_listener(void *ctx, const cets_event *ev)
{
    sim_events *s = ctx;
    switch (ev->type) {
    case CETS_EV_TRADE: s->trades++; break;
    case CETS_EV_DAY_STATS: s->day_stats++; break;
    case CETS_EV_STATEMENT: s->statements++; break;
    case CETS_EV_DAY_CLOSED:
        s->composite = ev->u.day.composite;
        s->closed_date = ev->u.day.closed_date;
        s->next_date = ev->u.day.next_date;
        break;
    default: break;
    }
}

static int opts_parse(sim_opts *o, int argc, char **argv)
{
    /* 0 / -1: not given, the scenario's default */
    *o = (sim_opts){.dir = "./cets-sim-data",
                    .scenario = "normal",
                    .participants = 0,
                    .orders = -1,
                    .seed = 1,
                    .batch = 1024,
                    .date = 0};
    const cli_flag flags[] = {
        {"--dir", ARG_STR, &o->dir, 0, 0},
        {"--force", ARG_BOOL, &o->force, 0, 0},
        {"--scenario", ARG_STR, &o->scenario, 0, 0},
        {"--participants", ARG_INT, &o->participants, 1, 1000000},
        {"--orders", ARG_INT, &o->orders, 0, 100000000},
        {"--seed", ARG_INT, &o->seed, 0, INT64_MAX},
        {"--date", ARG_DATE, &o->date, 0, 0},
        {"--holidays", ARG_STR, &o->holidays, 0, 0},
        {"--batch", ARG_INT, &o->batch, 64, 1 << 20},
        {"--statement", ARG_LIST, &o->statements, 1, UINT32_MAX},
        {"--json", ARG_BOOL, &o->json, 0, 0},
        {"--quiet", ARG_BOOL, &o->quiet, 0, 0},
    };
    int n = cli_parse(simulate_usage, argc, argv, flags, sizeof flags / sizeof flags[0], NULL, 0);
    if (n < 0) return n;
    if (!(o->sc = scenario_find(o->scenario))) {
        cli_usage_error(simulate_usage, "--scenario is one of %s, not '%s'", scenario_names(),
                        o->scenario);
        return -1;
    }
    if (!o->date) o->date = o->sc->date;
    if (!o->participants) o->participants = o->sc->participants;
    if (o->orders < 0) o->orders = o->sc->orders;
    if (o->date < 20210716) {
        cli_usage_error(simulate_usage, "--date %d: the national market opened on 2021-07-16",
                        o->date);
        return -1;
    }
    for (int i = 0; i < o->statements.n; i++)
        if (o->statements.v[i] > o->participants + 1) {
            cli_usage_error(simulate_usage,
                            "--statement %lld: participants are 1 (the exchange) to %lld",
                            (long long)o->statements.v[i], (long long)o->participants + 1);
            return -1;
        }
    if (cets_weekday(o->date) >= 5) {
        cli_usage_error(simulate_usage, "--date %d is a %s, not a trading day", o->date,
                        cal_weekday_name(o->date, false));
        return -1;
    }
    return 0;
}

/* The calendar: the file given, else the default one, or none when asked.
 * Returns the count, -1 when the file is bad or missing, -2 when --date is a
 * holiday. Without a calendar every weekday would trade, holidays too: a
 * missing default file is an error, not a quiet run on weekends only. */
static int holidays_load(const sim_opts *o, int32_t *dates, int cap, char *path, size_t plen)
{
    char err[512];
    path[0] = '\0';
    if (o->holidays && strcmp(o->holidays, "none") == 0) return 0;
    if (o->holidays)
        snprintf(path, plen, "%s", o->holidays);
    else if (!cal_default_path(path, plen)) {
        fprintf(stderr, "cets: no holiday calendar: data/holidays-cn.txt is not in the current "
                        "directory, under $CETS_SOURCE_DIR or in the source tree of this binary; "
                        "name one with --holidays FILE (or --holidays none: weekends only)\n");
        return -1;
    }
    int n = cets_holidays_load(path, dates, cap, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "cets: %s\n", err);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (dates[i] == o->date) {
            cli_usage_error(simulate_usage, "--date %d is a holiday in %s", o->date, path);
            return -2;
        }
    return n;
}

/* When the k-th of n commands happens: spread evenly over the two sessions
 * with the lunch break's cancels between them, jittered within each slot so
 * times increase but are not regular. */
typedef struct schedule {
    int64_t morning, lunch, afternoon; /* local session starts, ns */
    uint64_t nmorning, nlunch, nafternoon;
    rng r;
} schedule;

static void schedule_init(schedule *s, int32_t date, int32_t tz, uint64_t orders, uint64_t seed)
{
    s->morning = cets_time_at(date, 9, 30, tz);
    s->lunch = cets_time_at(date, 11, 30, tz);
    s->afternoon = cets_time_at(date, 13, 0, tz);
    s->nlunch = orders / 200;
    s->nmorning = (orders - s->nlunch) / 2;
    s->nafternoon = orders - s->nlunch - s->nmorning;
    s->r.s = seed ^ 0x7131E5C4EDULL;
}

static int64_t schedule_at(schedule *s, uint64_t k, bool *lunch)
{
    const int64_t two_hours = 7200LL * 1000000000LL, ninety_min = 5400LL * 1000000000LL;
    int64_t start = s->morning, span = two_hours;
    uint64_t i = k, n = s->nmorning;
    *lunch = false;
    if (k >= s->nmorning + s->nlunch) {
        start = s->afternoon;
        i = k - s->nmorning - s->nlunch;
        n = s->nafternoon;
    } else if (k >= s->nmorning) {
        start = s->lunch;
        span = ninety_min;
        i = k - s->nmorning;
        n = s->nlunch;
        *lunch = true;
    }
    int64_t slot = span / (int64_t)n;
    return start + (int64_t)i * slot + (int64_t)rng_below(&s->r, (uint64_t)slot);
}

static void progress(const sim_opts *o, const sim_pipeline *p, int32_t tz, int64_t ts,
                     uint64_t done)
{
    if (o->quiet) return;
    char t[FMT_LEN], a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    fprintf(stderr, "cets simulate: %s  %3d%%  orders %s  commands %s  trades %s\n",
            fmt_tod(ts, tz, t), (int)(done * 100 / (uint64_t)o->orders), fmt_int((int64_t)done, a),
            fmt_int((int64_t)(p->commands + p->n), b), fmt_int((int64_t)p->trades, c));
}

typedef struct day {
    sim_pipeline *p;
    flow *f;
    bigtrades *big;
} day;

/* Sequence one command; a full batch is committed, applied, and looked at. */
static int day_submit(day *d, cets_cmd *c, int64_t ts)
{
    if (pl_submit(d->p, c, ts, NULL) != 0) return -1;
    bigtrades_seen(d->big, c, &d->p->view_res);
    if (!pl_full(d->p)) return 0;
    if (pl_flush(d->p) != 0) return -1;
    flow_refresh(d->f, d->p->view);
    return 0;
}

/* The operator's scheduled commands due by ts. */
static int day_due(day *d, int64_t ts)
{
    cets_cmd c;
    int64_t at;
    while (bigtrades_due(d->big, d->p->view, ts, &c, &at))
        if (day_submit(d, &c, at) != 0) return -1;
    return 0;
}

/* The participants' day: orders 09:30-15:00, then the end of day at 15:30. */
static int day_run(const sim_opts *o, sim_pipeline *p, const sim_market *m, double *flow_secs)
{
    day d = {p, flow_new(m, (uint64_t)o->seed),
             bigtrades_new(m, (uint64_t)o->seed, (uint64_t)o->orders)};
    if (!d.f || !d.big) {
        snprintf(p->err, sizeof p->err, "out of memory");
        flow_free(d.f);
        bigtrades_free(d.big);
        return -1;
    }
    schedule s;
    schedule_init(&s, o->date, m->tz, (uint64_t)o->orders, (uint64_t)o->seed);
    flow_refresh(d.f, p->view);
    double t0 = dd_now();
    uint64_t next_report = (uint64_t)o->orders / 10;
    int rc = 0;
    for (uint64_t k = 0; k < (uint64_t)o->orders && rc == 0; k++) {
        bool lunch;
        int64_t ts = schedule_at(&s, k, &lunch);
        cets_cmd c;
        rc = day_due(&d, ts);
        if (lunch || !bigtrades_next(d.big, p->view, ts, &c)) flow_next(d.f, p->view, &c, lunch);
        if (rc == 0) rc = day_submit(&d, &c, ts);
        if (k + 1 == next_report) {
            progress(o, p, m->tz, ts, k + 1);
            next_report += (uint64_t)o->orders / 10;
        }
    }
    int64_t eod_at = cets_time_at(o->date, 15, 30, m->tz);
    cets_cmd eod = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    if (rc == 0) rc = day_due(&d, eod_at); /* auctions still to close */
    if (rc == 0) rc = day_submit(&d, &eod, eod_at);
    if (rc == 0) rc = pl_flush(p); /* always durable before anything is reported */
    *flow_secs = dd_now() - t0;
    flow_free(d.f);
    bigtrades_free(d.big);
    return rc;
}

/* ---- the run summary -------------------------------------------------------- */

typedef struct sim_result {
    const sim_opts *o;
    const sim_pipeline *p;
    const sim_market *m;
    cets_journal_stats js;
    uint64_t hash, snapshot_seq;
    double wall, flow_secs;
    const char *holidays_path;
    const char *check; /* NULL: all hold */
} sim_result;

static void kv(FILE *f, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kv(FILE *f, const char *label, const char *fmt, ...)
{
    fputs("  ", f);
    tw_pad(f, label, 26, false);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

/* The engine's invariants over the whole state after the day (cets_check:
 * conservation, reservations, the books), and the events against the
 * queries: two views of one day must agree. */
static const char *day_check(const cets_engine *e, const sim_pipeline *p, const sim_events *ev,
                             int32_t next_date)
{
    static cets_totals t;
    static cets_day_stats st[CETS_MAX_INSTRUMENTS];
    int64_t composite = 0;
    int32_t date = 0;
    cets_totals_get(e, &t);
    uint32_t n = cets_last_day_stats(e, st, CETS_MAX_INSTRUMENTS, &composite, &date);
    if (ev->trades != p->trades) return "TRADE events != trades counted in results";
    if (ev->day_stats != n) return "DAY_STATS events != instruments in the last day's stats";
    if (ev->composite != composite) return "DAY_CLOSED composite != cets_last_day_stats composite";
    if (ev->closed_date != date) return "DAY_CLOSED date != cets_last_day_stats date";
    if (p->view && cets_state_hash(p->view) != cets_state_hash(e))
        return "the participants' view and the engine differ after the same commands";
    const char *w = daycheck_run(e, next_date);
    if (w) return w;
    static cets_check_report rep;
    if (cets_check(e, &rep) != 0) return rep.message;
    if (t.live_orders != 0) return "live orders after the end of day";
    return NULL;
}

static void summary_text(FILE *f, const sim_result *r)
{
    const sim_pipeline *p = r->p;
    char a[FMT_LEN], b[FMT_LEN];
    fprintf(f, "五、运行摘要 Run summary\n\n");
    kv(f, "情景 Scenario", "%s: %s", r->o->sc->name, r->o->sc->title);
    kv(f, "参与人 Participants", "%s (%u entities, %u institutions, %u individuals)",
       fmt_int((int64_t)r->m->nparts, a), r->m->nkind[CETS_PK_ENTITY],
       r->m->nkind[CETS_PK_INSTITUTION], r->m->nkind[CETS_PK_INDIVIDUAL]);
    if (r->holidays_path)
        kv(f, "日历 Calendar", "%d holidays from %s", r->m->nholidays, r->holidays_path);
    else
        kv(f, "日历 Calendar", "no holiday file: weekends only");
    kv(f, "命令 Commands", "%s (order flow %s, seed %lld)", fmt_int((int64_t)p->commands, a),
       fmt_int(r->o->orders, b), (long long)r->o->seed);
    kv(f, "接受 Accepted", "%s", fmt_int((int64_t)p->accepted, a));
    kv(f, "拒绝 Rejected", "%s", fmt_int((int64_t)p->rejected, a));
    int codes[128];
    int nc = cets_reason_all(codes, 128);
    for (int i = 0; i < nc; i++)
        if (codes[i] > 0 && codes[i] < PL_MAX_CODE && p->by_reason[codes[i]])
            fprintf(f, "    %-24s %10s\n", cets_reason_name(codes[i]),
                    fmt_int((int64_t)p->by_reason[codes[i]], a));
    fprintf(f, "  按命令 By command\n");
    for (int t = 1; t < PL_MAX_TYPE; t++)
        if (p->by_type[t])
            fprintf(f, "    %-24s %10s   rejected %s\n", cets_cmd_name(t),
                    fmt_int((int64_t)p->by_type[t], a),
                    fmt_int((int64_t)p->rejected_by_type[t], b));
    kv(f, "成交 Trades", "%s", fmt_int((int64_t)p->trades, a));
    kv(f, "日志 Journal", "%s records, %s bytes", fmt_int((int64_t)r->js.records, a),
       fmt_int((int64_t)r->js.bytes, b));
    kv(f, "提交 Commits", "%s group commits, %s fdatasync/fsync calls",
       fmt_int((int64_t)r->js.commits, a), fmt_int((int64_t)r->js.syncs, b));
    kv(f, "同步 fdatasync", "%.3f s in total, %.2f ms at most", (double)r->js.sync_ns_total / 1e9,
       (double)r->js.sync_ns_max / 1e6);
    kv(f, "快照 Snapshot", "after seq %s", fmt_int((int64_t)r->snapshot_seq, a));
    kv(f, "核对 Checks", "%s",
       r->check ? r->check
                : "ok (conservation; statistics and statements "
                  "recomputed from the trades; events = queries)");
    kv(f, "状态哈希 State hash", "%016" PRIx64, r->hash);
    kv(f, "用时 Wall time", "%.3f s, %s commands/s (order flow %.3f s)", r->wall,
       fmt_int((int64_t)((double)p->commands / (r->wall > 0 ? r->wall : 1e-9)), a), r->flow_secs);
    fputc('\n', f);
}

static void summary_json(FILE *f, const sim_result *r)
{
    const sim_pipeline *p = r->p;
    fprintf(f,
            "{\"type\":\"summary\",\"scenario\":\"%s\",\"seed\":%lld,\"participants\":%u,"
            "\"orders\":%lld",
            r->o->sc->name, (long long)r->o->seed, r->m->nparts, (long long)r->o->orders);
    fprintf(f, ",\"commands\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64,
            p->commands, p->accepted, p->rejected);
    fprintf(f, ",\"rejections\":{");
    int codes[128], nc = cets_reason_all(codes, 128);
    const char *sep = "";
    for (int i = 0; i < nc; i++) {
        if (codes[i] <= 0 || codes[i] >= PL_MAX_CODE || !p->by_reason[codes[i]]) continue;
        fprintf(f, "%s\"%s\":%" PRIu64, sep, cets_reason_name(codes[i]), p->by_reason[codes[i]]);
        sep = ",";
    }
    fprintf(f,
            "},\"trades\":%" PRIu64 ",\"journal_records\":%" PRIu64 ",\"journal_commits\":%" PRIu64
            ",\"fdatasyncs\":%" PRIu64 ",\"journal_bytes\":%" PRIu64 ",\"sync_seconds\":%.6f",
            p->trades, r->js.records, r->js.commits, r->js.syncs, r->js.bytes,
            (double)r->js.sync_ns_total / 1e9);
    fprintf(f, ",\"snapshot_seq\":%" PRIu64 ",\"checks\":\"%s\"", r->snapshot_seq,
            r->check ? r->check : "ok");
    fprintf(f,
            ",\"state_hash\":\"%016" PRIx64
            "\",\"wall_seconds\":%.6f,\"commands_per_second\":%.0f}\n",
            r->hash, r->wall, (double)p->commands / (r->wall > 0 ? r->wall : 1e-9));
}

/* ---- the command --------------------------------------------------------------- */

static cets_engine *engine_copy(const cets_engine *e)
{
    void *buf;
    size_t len;
    const char *why;
    if (cets_snapshot_save(e, &buf, &len) != 0) return NULL;
    cets_engine *copy = cets_snapshot_load(buf, len, &why);
    free(buf);
    return copy;
}

/* The exchange's side: the engine recovered from the fresh directory (it
 * stores the configuration there) through the file backend, with the
 * simulation's counter on the bus. */
static cets_engine *sim_open(const sim_opts *o, core_backend *backend, bus *events)
{
    char err[1024];
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = o->date;
    cets_recovery rep;
    cets_engine *e = backend->recover(backend, &cfg, bus_publish, events, &rep, err, sizeof err);
    bus_batch_end(events);
    if (!e) fprintf(stderr, "cets: recovery of %s failed: %s\n", o->dir, err);
    return e;
}

static int sim_print(const sim_opts *o, sim_result *r, const cets_engine *e)
{
    int rc = report_print(stdout, e, o->json);
    for (int i = 0; rc == 0 && i < o->statements.n; i++)
        rc = statement_print(stdout, e, (uint32_t)o->statements.v[i], o->json);
    (o->json ? summary_json : summary_text)(stdout, r);
    return rc;
}

/* Everything after the directory is ready: engine, journal, the day. */
static int sim_run(const sim_opts *o, const int32_t *hol, int nhol, const char *hpath, double t0)
{
    sim_events ev = {0};
    core_backend *backend = core_backend_file(o->dir);
    bus *events = bus_new(BUS_DEFAULT_CAPACITY);
    bus_reader_opts ro = {.name = "simulate",
                          .mode = BUS_ON_CORE,
                          .on_event = sim_listener,
                          .ctx = &ev,
                          .types = BUS_TYPE(CETS_EV_TRADE) | BUS_TYPE(CETS_EV_DAY_STATS) |
                                   BUS_TYPE(CETS_EV_STATEMENT) | BUS_TYPE(CETS_EV_DAY_CLOSED)};
    bus_reader *reader = events ? bus_join(events, &ro) : NULL;
    cets_engine *e = backend && reader ? sim_open(o, backend, events) : NULL;
    if (!e) {
        if (!backend || !reader) fprintf(stderr, "cets: out of memory\n");
        bus_leave(reader);
        bus_free(events);
        if (backend) backend->free(backend);
        return CLI_FAIL;
    }
    sim_pipeline p;
    sim_market m = {0};
    sim_result r = {.o = o, .p = &p, .m = &m, .holidays_path = hpath};
    cets_engine *view = engine_copy(e);
    int rc = pl_init(&p, e, view, backend, events, (size_t)o->batch);
    if (!view) {
        snprintf(p.err, sizeof p.err, "cannot copy the engine (no memory)");
        rc = -1;
    }
    if (rc == 0)
        rc = market_setup(&p, &m, o->sc, (uint64_t)o->seed, o->date, (uint32_t)o->participants, hol,
                          nhol);
    if (rc == 0 && !cets_is_trading_day(e, o->date)) {
        snprintf(p.err, sizeof p.err, "%d is not a trading day for the engine", o->date);
        rc = -1;
    }
    if (rc == 0) rc = day_run(o, &p, &m, &r.flow_secs);
    char err[1024];
    if (rc == 0 && cets_snapshot_write(o->dir, e, 2, err, sizeof err) != 0) {
        snprintf(p.err, sizeof p.err, "snapshot: %.200s", err);
        rc = -1;
    }
    if (rc == 0) {
        r.wall = dd_now() - t0;
        r.hash = cets_state_hash(e);
        r.snapshot_seq = cets_last_seq(e);
        r.check = day_check(e, &p, &ev, cal_next_trading_day(o->date, hol, nhol));
        p.core.j->ops->stats(p.core.j, &r.js);
        rc = sim_print(o, &r, e);
        if (r.check) {
            fprintf(stderr, "cets: simulate: check failed: %s\n", r.check);
            rc = -1;
        }
    } else {
        fprintf(stderr, "cets: simulate: %s\n", p.err);
    }
    pl_free(&p);
    market_free(&m);
    cets_engine_free(view);
    cets_engine_free(e);
    bus_leave(reader);
    bus_free(events);
    backend->free(backend);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

int cmd_simulate(int argc, char **argv)
{
    double t0 = dd_now();
    sim_opts o;
    int rc = opts_parse(&o, argc, argv);
    if (rc == -2) return CLI_OK;
    if (rc != 0) return CLI_USAGE;
    static int32_t hol[1024];
    char hpath[4096], err[1024];
    int nhol = holidays_load(&o, hol, 1024, hpath, sizeof hpath);
    if (nhol < 0) return nhol == -2 ? CLI_USAGE : CLI_FAIL;
    if (dd_prepare_fresh(o.dir, o.force, err, sizeof err) != 0) {
        fprintf(stderr, "cets: %s\n", err);
        return CLI_FAIL;
    }
    return sim_run(&o, hol, nhol, hpath[0] ? hpath : NULL, t0);
}
