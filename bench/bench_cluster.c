/* bench_cluster.c -- the replicated journal against the file journal, side
 * by side in one run: durable throughput and commit latency through the
 * core, and FIX pipelined order entry (bench_fix, run once per journal).
 *
 *   bench_cluster [--commands 600000] [--rounds 3] [--window 65536] [--no-fix]
 *
 * Starts a three-node nats-server cluster on 127.0.0.1 (a temporary
 * directory; R3 streams). Each round runs the file journal and the NATS
 * journal one after the other: a producer thread keeps at most --window
 * commands in flight with core_submit_async (deposits: the engine's part is
 * negligible, the journal is what is measured); each group commit's duration
 * is timed by a wrapper around the backend. Prints one JSON line per run,
 * then per journal the best and median throughput and the commit p50/p99 of
 * the median run, and the ratio nats/file. Then bench_fix (next to this
 * program) with --journal file and with --nats URLS.
 *
 * Targets (issue 12): R3 at least 500,000 commands/s with commit p99 at
 * most 10 ms; FIX pipelined order entry in cluster mode within 20% of the
 * file journal's.
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "core/log.h"
#include "natsproc.h"

void np_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_cluster: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    kill(0, SIGTERM);
    _exit(1);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- a backend that times each commit ------------------------------------------- */

typedef struct timed {
    core_backend b;
    core_backend *inner;
    int64_t *commits; /* ns each */
    size_t n, cap;
} timed;

typedef struct timed_journal {
    core_journal j;
    core_journal *inner;
    timed *t;
    int64_t t0[2]; /* when each commit in flight started, oldest first */
    int nfly;
} timed_journal;

static int tj_append(core_journal *j, const cets_cmd *c)
{
    return core_journal_append(((timed_journal *)j)->inner, c);
}

static int tj_commit(core_journal *j)
{
    timed_journal *tj = (timed_journal *)j;
    int64_t t0 = now_ns();
    int rc = core_journal_commit(tj->inner);
    timed *t = tj->t;
    if (t->n < t->cap) t->commits[t->n++] = now_ns() - t0;
    return rc;
}

static const char *tj_error(const core_journal *j)
{
    return core_journal_error(((const timed_journal *)j)->inner);
}

static void tj_stats(const core_journal *j, cets_journal_stats *out)
{
    const timed_journal *tj = (const timed_journal *)j;
    tj->inner->ops->stats(tj->inner, out);
}

static void tj_close(core_journal *j)
{
    core_journal_close(((timed_journal *)j)->inner);
    free(j);
}

/* A split commit: timed from its start to the end of its wait. */
static int tj_commit_start(core_journal *j, uint64_t *ticket)
{
    timed_journal *tj = (timed_journal *)j;
    if (tj->nfly < 2) tj->t0[tj->nfly++] = now_ns();
    return tj->inner->ops->commit_start(tj->inner, ticket);
}

static int tj_commit_wait(core_journal *j, uint64_t ticket)
{
    timed_journal *tj = (timed_journal *)j;
    int rc = tj->inner->ops->commit_wait(tj->inner, ticket);
    if (ticket && tj->nfly) {
        timed *t = tj->t;
        if (t->n < t->cap) t->commits[t->n++] = now_ns() - tj->t0[0];
        tj->t0[0] = tj->t0[1];
        tj->nfly--;
    }
    return rc;
}

static const core_journal_ops tj_ops = {tj_append, tj_commit, tj_error, tj_stats,
                                        tj_close,  NULL,      NULL};
static const core_journal_ops tj_split_ops = {tj_append, tj_commit,       tj_error,      tj_stats,
                                              tj_close,  tj_commit_start, tj_commit_wait};

static cets_engine *tb_recover(core_backend *b, const cets_config *cfg, cets_listener fn, void *ctx,
                               cets_recovery *rep, char *err, size_t errlen)
{
    timed *t = (timed *)b;
    return t->inner->recover(t->inner, cfg, fn, ctx, rep, err, errlen);
}

static core_journal *tb_open(core_backend *b, uint64_t next_seq, char *err, size_t errlen)
{
    timed *t = (timed *)b;
    core_journal *in = t->inner->open(t->inner, next_seq, err, errlen);
    timed_journal *j = in ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        core_journal_close(in);
        return NULL;
    }
    *j = (timed_journal){
        .j = {in->ops->commit_start ? &tj_split_ops : &tj_ops}, .inner = in, .t = t};
    return &j->j;
}

static void tb_free(core_backend *b)
{
    timed *t = (timed *)b;
    t->inner->free(t->inner);
    free(t->commits);
    free(t);
}

/* ---- one run -------------------------------------------------------------------------- */

typedef struct run {
    const char *journal;
    double cmds_per_s;
    double commit_p50_ms, commit_p99_ms, commit_max_ms;
    uint64_t commits;
} run;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t done, failed;
} W = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static void on_done(void *ctx, int code, const cets_cmd *cmd, const cets_result *res)
{
    (void)ctx, (void)cmd, (void)res;
    pthread_mutex_lock(&W.mu);
    W.done++;
    W.failed += code != CETS_OK;
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static run one(const char *journal, core_backend *inner, const char *dir, uint64_t n,
               uint64_t window)
{
    timed *t = calloc(1, sizeof *t);
    t->cap = n + 16;
    t->commits = malloc(t->cap * sizeof *t->commits);
    t->inner = inner;
    t->b = (core_backend){
        .name = inner->name, .recover = tb_recover, .open = tb_open, .free = tb_free};
    core_options o;
    core_options_default(&o);
    o.data_dir = dir;
    o.cfg.enforce_sessions = false;
    o.snapshot_every = 0;
    o.backend = &t->b;
    core *c = core_open(&o);
    char err[1024];
    if (!c || core_start(c, err, sizeof err) != 0)
        np_die("%s: core_start: %s", journal, c ? err : "core_open");
    cets_cmd p = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = 1, .aux = CETS_PK_INSTITUTION};
    snprintf(p.u.text, sizeof p.u.text, "bench");
    if (core_submit(c, &p, NULL) != CETS_OK) np_die("%s: cannot add a participant", journal);
    t->n = 0;
    W.done = W.failed = 0;
    int64_t t0 = now_ns();
    cets_cmd d = {.type = CETS_CMD_DEPOSIT, .actor = 1, .participant = 2, .qty = 1};
    for (uint64_t i = 0; i < n; i++) {
        pthread_mutex_lock(&W.mu);
        while (i - W.done >= window) pthread_cond_wait(&W.cv, &W.mu);
        pthread_mutex_unlock(&W.mu);
        if (core_submit_async(c, &d, on_done, NULL) != 0) np_die("%s: submit refused", journal);
    }
    pthread_mutex_lock(&W.mu);
    while (W.done < n) pthread_cond_wait(&W.cv, &W.mu);
    pthread_mutex_unlock(&W.mu);
    double secs = (now_ns() - t0) / 1e9;
    if (W.failed) np_die("%s: %llu commands failed", journal, (unsigned long long)W.failed);
    qsort(t->commits, t->n, sizeof *t->commits, cmp64);
    run r = {journal,
             n / secs,
             t->commits[t->n / 2] / 1e6,
             t->commits[t->n * 99 / 100] / 1e6,
             t->commits[t->n - 1] / 1e6,
             t->n};
    printf("{\"bench\":\"cluster_durable\",\"journal\":\"%s\",\"commands\":%llu,\"window\":%llu,"
           "\"cmds_per_s\":%.0f,\"commits\":%llu,\"commands_per_commit\":%.0f,"
           "\"commit_p50_ms\":%.3f,\"commit_p99_ms\":%.3f,\"commit_max_ms\":%.3f}\n",
           journal, (unsigned long long)n, (unsigned long long)window, r.cmds_per_s,
           (unsigned long long)r.commits, (double)n / (double)(r.commits ? r.commits : 1),
           r.commit_p50_ms, r.commit_p99_ms, r.commit_max_ms);
    fflush(stdout);
    core_close(c); /* frees the backends */
    return r;
}

static int cmp_run(const void *a, const void *b)
{
    double x = ((const run *)a)->cmds_per_s, y = ((const run *)b)->cmds_per_s;
    return x < y ? -1 : x > y;
}

static void summary(const char *journal, run *r, int n)
{
    qsort(r, (size_t)n, sizeof *r, cmp_run);
    run *m = &r[n / 2];
    printf("{\"bench\":\"cluster_durable_summary\",\"journal\":\"%s\",\"runs\":%d,"
           "\"cmds_per_s_best\":%.0f,\"cmds_per_s_median\":%.0f,\"commit_p50_ms_median_run\":%.3f,"
           "\"commit_p99_ms_median_run\":%.3f}\n",
           journal, n, r[n - 1].cmds_per_s, m->cmds_per_s, m->commit_p50_ms, m->commit_p99_ms);
}

static void fix_run(const char *bench_fix, const char *nats)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (nats)
            execl(bench_fix, bench_fix, "--roundtrips", "500", "--orders", "200000", "--nats", nats,
                  (char *)NULL);
        else
            execl(bench_fix, bench_fix, "--roundtrips", "500", "--orders", "200000", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) np_die("%s failed", bench_fix);
}

int main(int argc, char **argv)
{
    uint64_t n = 600000, window = 65536;
    int rounds = 3;
    bool fix = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--commands") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--window") && i + 1 < argc)
            window = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--no-fix"))
            fix = false;
        else {
            fprintf(stderr,
                    "usage: bench_cluster [--commands N] [--rounds R] [--window W] [--no-fix]\n");
            return 2;
        }
    }
    if (n < 1000 || n > 20000000 || rounds < 1 || rounds > 20 || window < 1)
        np_die("--commands 1,000 to 20,000,000, --rounds 1 to 20");
    setpgid(0, 0);
    log_setup(NULL, LOG_WARN);
    char tmp[] = "/tmp/bench-cluster-XXXXXX";
    if (!mkdtemp(tmp)) np_die("mkdtemp: %s", strerror(errno));
    np_cluster nc;
    np_start(&nc, tmp);
    run fr[20], nr[20];
    for (int r = 0; r < rounds; r++) {
        char dir[600], err[1024];
        snprintf(dir, sizeof dir, "%s/file-%d", tmp, r);
        fr[r] = one("file", core_backend_file(dir), dir, n, window);
        snprintf(dir, sizeof dir, "%s/nats-%d", tmp, r);
        char stream[32], node[16];
        snprintf(stream, sizeof stream, "BENCH%d", r);
        snprintf(node, sizeof node, "bench%d", r);
        cluster_options o;
        cluster_options_default(&o);
        o.nats_url = nc.urls;
        o.node_id = node;
        o.data_dir = dir;
        o.stream = stream;
        core_backend *b = cluster_backend_new(&o, err, sizeof err);
        if (!b) np_die("nats backend: %s", err);
        nr[r] = one("nats", b, dir, n, window);
    }
    double fmed, nmed;
    summary("file", fr, rounds);
    fmed = fr[rounds / 2].cmds_per_s;
    summary("nats", nr, rounds);
    nmed = nr[rounds / 2].cmds_per_s;
    printf("{\"bench\":\"cluster_durable_ratio\",\"nats_over_file_median\":%.2f}\n", nmed / fmed);
    if (fix) {
        char self[1024], bf[1100];
        snprintf(self, sizeof self, "%s", argv[0]);
        snprintf(bf, sizeof bf, "%s/bench_fix", dirname(self));
        for (int r = 0; r < 2; r++) {
            fix_run(bf, NULL);
            fix_run(bf, nc.urls);
        }
    }
    np_stop(&nc);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "bench_cluster: could not remove %s\n", tmp);
    return 0;
}
