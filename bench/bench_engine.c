/* bench_engine.c -- how fast is cets: engine, journal, replay, memory, lob.
 *
 * Prints one JSON object per line per result (see bench/README.md for what
 * each field means). Everything is generated before any clock starts, from
 * a seed, so two runs with the same flags do the same work. The default run
 * takes under a minute on two cores.
 *
 *   bench_engine [--commands N] [--seed S] [--dir DIR] [--only NAME]
 *                [--depth on|off|both] [--instruments K] [--accounts A]
 *                [--batch B] [--rate R] [--paced-commands N] [--memory-orders N]
 *                [--repeat N] [--controls N]
 *
 * NAME is one of memory, throughput, latency, engine (both), group, replay
 * (runs group first, as it replays that journal), paced, journal (group,
 * replay and paced), lob. --repeat runs the throughput run N times (for
 * profiling, and to see the spread). --controls N runs the workload N times
 * with position limits and surveillance on and N times off, alternating
 * (bench/lib/run_controls.c); with --only controls, nothing else.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runs.h"
#include "workload.h"

typedef struct args {
    workload_opts wl;
    const char *dir, *only;
    bool depth_off, depth_on;
    size_t batch, paced_commands;
    uint64_t rate, memory_orders, repeat;
    uint64_t controls; /* --controls N: limits and surveillance on vs off, N runs each */
} args;

static void usage(void)
{
    fprintf(stderr, "usage: bench_engine [--commands N] [--seed S] [--dir DIR] [--only NAME]\n"
                    "         [--depth on|off|both] [--instruments K] [--accounts A] [--batch B]\n"
                    "         [--rate R] [--paced-commands N] [--memory-orders N] [--repeat N]\n"
                    "         [--controls N]\n"
                    "NAME: memory throughput latency engine group replay paced journal lob controls\n");
    exit(2);
}

static uint64_t num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || end == s)
        usage();
    return v;
}

static void parse(int argc, char **argv, args *a)
{
    workload_opts_default(&a->wl);
    a->depth_off = a->depth_on = true;
    a->batch = 4096;
    a->rate = 1000000;
    a->paced_commands = 2000000;
    a->memory_orders = 1000000;
    a->repeat = 1;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (!strcmp(f, "--commands"))
            a->wl.commands = num(v);
        else if (!strcmp(f, "--seed"))
            a->wl.seed = num(v);
        else if (!strcmp(f, "--dir"))
            a->dir = v;
        else if (!strcmp(f, "--only"))
            a->only = v;
        else if (!strcmp(f, "--instruments"))
            a->wl.instruments = (uint32_t)num(v);
        else if (!strcmp(f, "--accounts"))
            a->wl.accounts = (uint32_t)num(v);
        else if (!strcmp(f, "--batch"))
            a->batch = num(v);
        else if (!strcmp(f, "--rate"))
            a->rate = num(v);
        else if (!strcmp(f, "--paced-commands"))
            a->paced_commands = num(v);
        else if (!strcmp(f, "--memory-orders"))
            a->memory_orders = num(v);
        else if (!strcmp(f, "--controls"))
            a->controls = strtoull(v, NULL, 10);
        else if (!strcmp(f, "--repeat"))
            a->repeat = num(v);
        else if (!strcmp(f, "--depth")) {
            a->depth_on = strcmp(v, "off") != 0;
            a->depth_off = strcmp(v, "on") != 0;
            if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "both"))
                usage();
        } else
            usage();
    }
    if (a->wl.commands < 1 || a->batch < 1 || a->rate < 1)
        usage();
}

/* Whether to run `name`: everything without --only; else the named part,
 * where "engine" and "journal" name groups. */
static bool want(const args *a, const char *name)
{
    if (!a->only)
        return true;
    if (!strcmp(a->only, name))
        return true;
    if (!strcmp(a->only, "engine"))
        return !strcmp(name, "throughput") || !strcmp(name, "latency");
    if (!strcmp(a->only, "journal"))
        return !strcmp(name, "group") || !strcmp(name, "replay") || !strcmp(name, "paced");
    if (!strcmp(a->only, "replay"))
        return !strcmp(name, "group");
    return false;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int run_engine_all(const args *a, const workload *w)
{
    int rc = 0;
    for (int d = 0; d < 2; d++) {
        bool depth = d == 1;
        if (depth ? !a->depth_on : !a->depth_off)
            continue;
        for (uint64_t i = 0; i < a->repeat && want(a, "throughput"); i++)
            rc |= run_engine_throughput(w, depth);
        if (want(a, "latency"))
            rc |= run_engine_latency(w, depth);
    }
    return rc;
}

/* Group commit and its replay once per depth setting; the paced run once,
 * with depth events on when they are wanted at all. */
static int run_journal_all(const args *a, const workload *w, const char *root)
{
    char dir[4096];
    int rc = 0;
    journal_opts jo = {.dir = dir, .batch = a->batch};
    for (int d = 0; d < 2 && want(a, "group"); d++) {
        jo.depth = d == 1;
        if (jo.depth ? !a->depth_on : !a->depth_off)
            continue;
        uint64_t hash = 0;
        snprintf(dir, sizeof dir, "%s/group-depth-%s", root, jo.depth ? "on" : "off");
        jo.commands = w->ncmds;
        int jrc = run_journal(w, &jo, &hash);
        rc |= jrc;
        if (jrc == 0 && want(a, "replay")) {
            rc |= run_replay(dir, false, hash);
            rc |= run_replay(dir, true, hash);
        }
    }
    if (want(a, "paced")) {
        uint64_t hash;
        snprintf(dir, sizeof dir, "%s/paced", root);
        jo.depth = a->depth_on;
        jo.rate = a->rate;
        jo.commands = a->paced_commands < w->ncmds ? a->paced_commands : w->ncmds;
        rc |= run_journal(w, &jo, &hash);
    }
    return rc;
}

int main(int argc, char **argv)
{
    args a = {0};
    parse(argc, argv, &a);
    int rc = 0;
    if (want(&a, "memory"))
        rc |= run_memory(&a.wl, a.memory_orders);
    bool engine = want(&a, "throughput") || want(&a, "latency");
    bool journal = want(&a, "group") || want(&a, "paced");
    if (engine || journal || a.controls) {
        workload w;
        if (workload_build(&w, &a.wl) != 0)
            return 1;
        if (a.depth_on && workload_hash_depth(&w) != 0)
            return 1;
        if (engine)
            rc |= run_engine_all(&a, &w);
        if (a.controls)
            rc |= run_engine_controls(&w, a.controls);
        if (journal) {
            char tmp[] = "/tmp/cets-bench-XXXXXX";
            const char *root = a.dir;
            if (!root && !(root = mkdtemp(tmp))) {
                perror("mkdtemp");
                return 1;
            }
            if (a.dir && mkdir(a.dir, 0700) != 0 && errno != EEXIST) {
                perror(a.dir);
                return 1;
            }
            rc |= run_journal_all(&a, &w, root);
            if (!a.dir)
                nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
        workload_free(&w);
    }
    if (want(&a, "lob"))
        rc |= run_lob(&a.wl);
    return rc ? 1 : 0;
}
