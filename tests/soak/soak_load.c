/* soak_load.c -- a steady load on the real cetsd for a long time, with its
 * memory and the request latency sampled into a CSV (scripts/soak.sh runs
 * it and summarises the CSV).
 *
 *   soak_load CETSD OUT.csv
 *
 * cetsd runs on 127.0.0.1 with a temporary data directory and the market of
 * tests/load/cetsdc.h. Client threads send requests at a fixed total rate
 * (open loop: each has its own schedule and does not slow down when cetsd
 * does, so a stall shows as latency, not as a lower rate): posts that do not
 * cross (buys below 50.00, sells above), takes that trade against them, and
 * cancels. Each client keeps at most 40 live orders, and an end of day every
 * SOAK_EOD_SECONDS lapses what rests and closes the day's trades, so the
 * state itself stays about the same size: memory that grows anyway is worth
 * a look. Client order ids are off by default (SOAK_COID_PCT=0): cetsd
 * remembers each one for the rest of the calendar day, by design, and that
 * growth would hide a leak; give a percentage to include them.
 *
 * Every SOAK_INTERVAL seconds one row: t_s, rss_kb (VmRSS of cetsd),
 * threads, fds, seq (from /healthz), requests, errors (answers other than
 * 200, 201 and 422), behind (sends more than a second late), p50_ms,
 * p99_ms, max_ms (of the requests answered in the interval).
 *
 * Environment: SOAK_SECONDS (3600), SOAK_INTERVAL (10), SOAK_RATE (200
 * requests a second in all), SOAK_CLIENTS (4), SOAK_EOD_SECONDS (600; 0:
 * never), SOAK_COID_PCT (0: orders with a client_order_id, percent),
 * SOAK_TMP (/tmp).
 */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cetsdc.h"

#define MAX_CLIENTS 32
#define LIVE_MAX 40

typedef struct client {
    int k;
    trader t;
    CURL *curl;
    double period; /* seconds between sends */
    uint64_t rng;
    uint64_t live[LIVE_MAX];
    int nlive;
    long n;
} client;

/* What the clients saw since the last sample. */
static struct {
    pthread_mutex_t mu;
    double *ms;
    size_t n, cap;
    long requests, errors, behind;
} iv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static atomic_int stop;
static long coid_pct; /* SOAK_COID_PCT */

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void count(const cresp *r, bool behind)
{
    pthread_mutex_lock(&iv.mu);
    if (iv.n == iv.cap) {
        iv.cap = iv.cap ? iv.cap * 2 : 4096;
        iv.ms = realloc(iv.ms, iv.cap * sizeof *iv.ms);
        if (!iv.ms) cetsdc_die("out of memory");
    }
    iv.ms[iv.n++] = r->ms;
    iv.requests++;
    if (r->status != 200 && r->status != 201 && r->status != 422) iv.errors++;
    if (behind) iv.behind++;
    pthread_mutex_unlock(&iv.mu);
}

/* One request of the mix. */
static void one(client *cl, bool behind)
{
    char body[256], path[64];
    cresp r;
    unsigned pick = (unsigned)(rnd(&cl->rng) % 100);
    bool buy = rnd(&cl->rng) & 1;
    long qty = 1 + (long)(rnd(&cl->rng) % 10);
    char coid[48] = "";
    if (rnd(&cl->rng) % 100 < (uint64_t)coid_pct)
        snprintf(coid, sizeof coid, ",\"client_order_id\":\"s%d-%ld\"", cl->k, cl->n);
    cl->n++;
    if (cl->nlive > 0 && (cl->nlive == LIVE_MAX || pick >= 85)) {
        int i = cl->nlive == LIVE_MAX ? 0 : (int)(rnd(&cl->rng) % (uint64_t)cl->nlive);
        snprintf(path, sizeof path, "/api/v1/orders/%" PRIu64, cl->live[i]);
        memmove(&cl->live[i], &cl->live[i + 1], (size_t)(cl->nlive - i - 1) * sizeof cl->live[0]);
        cl->nlive--;
        cetsdc_http(cl->curl, "DELETE", path, cl->t.token, NULL, &r);
    } else if (pick < 55) {
        long cents = buy ? 4800 + (long)(rnd(&cl->rng) % 200) : 5000 + (long)(rnd(&cl->rng) % 200);
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA25\",\"side\":\"%s\",\"price\":\"%ld.%02ld\",\"qty\":%ld%s}",
                 buy ? "buy" : "sell", cents / 100, cents % 100, qty, coid);
        cetsdc_http(cl->curl, "POST", "/api/v1/orders", cl->t.token, body, &r);
        if (r.status == 201 && cj_int(r.json, "resting_qty") > 0 && cl->nlive < LIVE_MAX)
            cl->live[cl->nlive++] = (uint64_t)cj_int(r.json, "order_id");
    } else {
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA25\",\"side\":\"%s\",\"qty\":%ld,\"limit\":\"%s\"%s}",
                 buy ? "buy" : "sell", qty, buy ? "52.00" : "48.00", coid);
        cetsdc_http(cl->curl, "POST", "/api/v1/takes", cl->t.token, body, &r);
    }
    count(&r, behind);
    json_decref(r.json);
}

static void *client_main(void *arg)
{
    client *cl = arg;
    double next = cetsdc_now();
    while (!stop) {
        double now = cetsdc_now();
        if (next > now) cetsdc_sleep_ms((long)((next - now) * 1e3));
        bool behind = cetsdc_now() - next > 1.0;
        if (behind) next = cetsdc_now(); /* do not try to catch up a backlog in a burst */
        one(cl, behind);
        next += cl->period;
    }
    return NULL;
}

/* VmRSS (kB) and Threads of a process, from /proc/PID/status. */
static void proc_status(pid_t pid, long *rss_kb, long *threads)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    *rss_kb = *threads = -1;
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "Threads:", 8))
            *threads = strtol(line + 8, NULL, 10);
    }
    fclose(f);
}

static long proc_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d))) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One CSV row from what the interval collected. */
static void sample(FILE *csv, CURL *c, pid_t pid, double t)
{
    long rss, threads, fds = proc_fds(pid);
    proc_status(pid, &rss, &threads);
    uint64_t seq = 0;
    char hash[24];
    cetsd_healthz(c, &seq, hash);
    pthread_mutex_lock(&iv.mu);
    double p50 = 0, p99 = 0, mx = 0;
    if (iv.n) {
        qsort(iv.ms, iv.n, sizeof *iv.ms, cmp_double);
        p50 = iv.ms[iv.n / 2];
        p99 = iv.ms[(size_t)((double)(iv.n - 1) * 0.99)];
        mx = iv.ms[iv.n - 1];
    }
    fprintf(csv, "%.0f,%ld,%ld,%ld,%" PRIu64 ",%ld,%ld,%ld,%.2f,%.2f,%.2f\n", t, rss, threads, fds,
            seq, iv.requests, iv.errors, iv.behind, p50, p99, mx);
    fflush(csv);
    printf("soak: t=%.0fs rss=%ldkB threads=%ld fds=%ld seq=%" PRIu64
           " requests=%ld errors=%ld p50=%.2fms p99=%.2fms max=%.2fms\n",
           t, rss, threads, fds, seq, iv.requests, iv.errors, p50, p99, mx);
    fflush(stdout);
    iv.n = 0;
    iv.requests = iv.errors = iv.behind = 0;
    pthread_mutex_unlock(&iv.mu);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: soak_load CETSD OUT.csv\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    long seconds = cetsdc_env("SOAK_SECONDS", 3600), interval = cetsdc_env("SOAK_INTERVAL", 10);
    long rate = cetsdc_env("SOAK_RATE", 200), eod = cetsdc_env("SOAK_EOD_SECONDS", 600);
    int nclients = (int)cetsdc_env("SOAK_CLIENTS", 4);
    coid_pct = cetsdc_env("SOAK_COID_PCT", 0);
    if (seconds < 1 || interval < 1 || rate < 1 || nclients < 1 || nclients > MAX_CLIENTS)
        cetsdc_die("bad SOAK_* settings");
    const char *tmp = getenv("SOAK_TMP");
    FILE *csv = fopen(argv[2], "w");
    if (!csv) cetsdc_die("cannot write %s", argv[2]);
    fprintf(csv, "t_s,rss_kb,threads,fds,seq,requests,errors,behind,p50_ms,p99_ms,max_ms\n");

    cetsd_proc d;
    cetsd_prepare(&d, argv[1], tmp && *tmp ? tmp : "/tmp", "log_level = warn\n");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    cetsd_start(&d, c);
    trader ts[MAX_CLIENTS];
    char admin[160];
    cetsd_market(c, ts, nclients, admin);
    printf("soak: cetsd pid %d on port %d, data %s; %ld s at %ld requests/s from %d clients, "
           "a sample every %ld s, end of day every %ld s\n",
           (int)d.pid, d.port, d.dir, seconds, rate, nclients, interval, eod);
    fflush(stdout);

    client cls[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    memset(cls, 0, sizeof cls);
    for (int k = 0; k < nclients; k++) {
        cls[k] = (client){.k = k,
                          .t = ts[k],
                          .curl = curl_easy_init(),
                          .period = (double)nclients / (double)rate,
                          .rng = 0x50A4u + (uint64_t)k};
        if (pthread_create(&th[k], NULL, client_main, &cls[k]) != 0) cetsdc_die("pthread_create");
    }
    double t0 = cetsdc_now(), next_sample = t0 + (double)interval,
           next_eod = eod > 0 ? t0 + (double)eod : 1e300;
    while (cetsdc_now() - t0 < (double)seconds) {
        cetsdc_sleep_ms(50);
        double now = cetsdc_now();
        if (now >= next_eod) {
            cresp r;
            cetsdc_http(c, "POST", "/api/v1/admin/end-of-day", admin, NULL, &r);
            if (r.status != 200) printf("soak: end of day answered %ld\n", r.status);
            json_decref(r.json);
            next_eod += (double)eod;
        }
        if (now >= next_sample) {
            sample(csv, c, d.pid, now - t0);
            next_sample += (double)interval;
        }
    }
    stop = 1;
    for (int k = 0; k < nclients; k++) {
        pthread_join(th[k], NULL);
        curl_easy_cleanup(cls[k].curl);
    }
    int rc = cetsd_signal(&d, SIGTERM);
    curl_easy_cleanup(c);
    fclose(csv);
    if (rc != 0) cetsdc_die("cetsd exited %d on SIGTERM; see %s", rc, d.log);
    cetsd_remove(&d);
    free(iv.ms);
    return 0;
}
