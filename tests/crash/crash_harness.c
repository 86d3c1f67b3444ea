/* crash_harness.c -- cetsd killed with SIGKILL under load, again and again.
 *
 *   crash_harness CETSD CETS        (the two binaries; ctest passes them)
 *
 * The real cetsd binary runs on 127.0.0.1 with a temporary data directory.
 * A market is set up through the admin API (one instrument, one participant,
 * user and API token per client), then every cycle:
 *   1. client threads (libcurl, one connection each) post, take and cancel
 *      as fast as cetsd answers, every post and take with a unique
 *      client_order_id, and record every acknowledged answer (2xx, or 422:
 *      a rejection is journaled and acknowledged too);
 *   2. after a random (seeded) moment cetsd gets SIGKILL;
 *   3. `cets replay DIR --verify` rebuilds the state from the files, from
 *      the snapshot and from scratch, and checks conservation;
 *   4. the journal is scanned (read-only): every acknowledged command is in
 *      it exactly once, no client_order_id appears twice at all, and no
 *      order id was acknowledged twice;
 *   5. cetsd is started again; /healthz must give the replay's seq and state
 *      hash; every post and take acknowledged in this cycle is sent again and
 *      must be answered as an idempotent replay with the same order id (or
 *      the same rejection), never executed again -- or, for a command older
 *      than the snapshot recovery started from, as known (409
 *      duplicate_request: used before the restart); every acknowledged
 *      cancel's order must be gone.
 * snapshot_every is small (600), so kills also land during snapshots and
 * recovery starts from one. SIGKILL ends the process, not the machine: what
 * was written stays in the page cache, so this proves nothing is lost or
 * doubled across process crashes; torn writes from a power loss are the
 * journal tests' and fuzz_journal's business. At the end cetsd is stopped gracefully and replayed once
 * more. The summary line gives cycles, acknowledged commands checked, and
 * lost / duplicated / mismatches, which must all be 0 (exit 0), else exit 1.
 *
 * Environment: CRASH_CYCLES (50), CRASH_SEED (1), CRASH_CLIENTS (4),
 * CRASH_TMP or CETS_TEST_TMP (/tmp) for the data directory, CRASH_KEEP=1 to
 * keep it. One caveat: cetsd remembers client order ids for their trading
 * day, so a run across midnight in Asia/Shanghai (16:00 UTC) may report a
 * replay as executed again.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cets/journal.h"
#include "cetsdc.h"
#include "../../src/server/projection.h"

#define MAX_CLIENTS 16
#define LIVE_MAX 512

#define die cetsdc_die

/* splitmix64: a seeded stream per client and cycle. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- the replay tool ----------------------------------------------------------- */

typedef struct replay_out {
    uint64_t seq;
    char hash[24];
    bool verified;
} replay_out;

/* `cets replay DIR --verify`: both ways agree and conservation holds. */
static void replay_verify(const char *cets, const char *dir, replay_out *out)
{
    char cmd[1400], line[1024];
    snprintf(cmd, sizeof cmd, "'%s' replay '%s' --verify 2>&1", cets, dir);
    FILE *p = popen(cmd, "r");
    if (!p) die("cannot run %s", cmd);
    memset(out, 0, sizeof *out);
    char all[8192] = "";
    bool hash_differs = false;
    while (fgets(line, sizeof line, p)) {
        if (strlen(all) + strlen(line) < sizeof all) strcat(all, line);
        if (!strncmp(line, "state_hash=", 11)) {
            char *h = line + 11;
            h[strcspn(h, "\n")] = 0;
            h[16] = 0; /* 16 hex digits */
            if (out->hash[0] && strcmp(out->hash, h)) hash_differs = true;
            memcpy(out->hash, h, 17);
        } else if (!strncmp(line, "last_seq=", 9)) {
            out->seq = strtoull(line + 9, NULL, 10);
        } else if (!strncmp(line, "verify=ok", 9)) {
            out->verified = true;
        }
    }
    int rc = pclose(p);
    if (rc != 0 || !out->verified || hash_differs || !out->hash[0])
        die("`cets replay %s --verify` failed (exit %d):\n%s", dir, rc, all);
}

/* ---- acknowledged commands ---------------------------------------------------- */

enum { ACK_POST = 1, ACK_TAKE = 2, ACK_CANCEL = 3 };

typedef struct ack {
    uint8_t kind;
    int client, cycle;
    char coid[33];
    long status; /* 201, 200 (cancel) or 422 */
    int code;    /* 422: the reason code */
    uint64_t order_id;
    char body[256]; /* to send again */
} ack;

static struct {
    pthread_mutex_t mu;
    ack *a;
    size_t n, cap;
} acks = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void ack_add(const ack *a)
{
    pthread_mutex_lock(&acks.mu);
    if (acks.n == acks.cap) {
        acks.cap = acks.cap ? acks.cap * 2 : 4096;
        acks.a = realloc(acks.a, acks.cap * sizeof *acks.a);
        if (!acks.a) die("out of memory");
    }
    acks.a[acks.n++] = *a;
    pthread_mutex_unlock(&acks.mu);
}

/* ---- a small map: 64-bit key -> count ------------------------------------------- */

typedef struct cmap {
    uint64_t *key;
    uint32_t *count;
    size_t mask, n;
} cmap;

static uint32_t *cmap_at(cmap *m, uint64_t key)
{
    if (!m->key || (m->n + 1) * 2 > m->mask + 1) {
        cmap old = *m;
        size_t cap = m->key ? (m->mask + 1) * 2 : 1 << 12;
        m->key = calloc(cap, sizeof *m->key);
        m->count = calloc(cap, sizeof *m->count);
        if (!m->key || !m->count) die("out of memory");
        m->mask = cap - 1;
        m->n = 0;
        for (size_t i = 0; old.key && i <= old.mask; i++)
            if (old.key[i]) *cmap_at(m, old.key[i]) = old.count[i];
        free(old.key);
        free(old.count);
    }
    size_t j = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 17) & m->mask;
    while (m->key[j] && m->key[j] != key) j = (j + 1) & m->mask;
    if (!m->key[j]) {
        m->key[j] = key;
        m->n++;
    }
    return &m->count[j];
}

static void cmap_free(cmap *m)
{
    free(m->key);
    free(m->count);
    memset(m, 0, sizeof *m);
}

/* ---- clients -------------------------------------------------------------------- */

typedef struct client {
    int k;
    trader t;
    uint64_t live[LIVE_MAX]; /* own orders that may still rest */
    int nlive, seq;
    uint64_t rng;
    CURL *curl;
    long sent, acked, unanswered;
} client;

static atomic_int stop_clients;
static int cycle_no;

static void live_add(client *cl, uint64_t id)
{
    if (cl->nlive < LIVE_MAX)
        cl->live[cl->nlive++] = id;
    else
        cl->live[rnd(&cl->rng) % LIVE_MAX] = id;
}

/* One order or take; acknowledged answers are recorded. */
static void send_order(client *cl, bool take)
{
    ack a = {.kind = take ? ACK_TAKE : ACK_POST, .client = cl->k, .cycle = cycle_no};
    snprintf(a.coid, sizeof a.coid, "c%d-%d-%d", cycle_no, cl->k, cl->seq++);
    bool buy = rnd(&cl->rng) & 1;
    long qty = 1 + (long)(rnd(&cl->rng) % 20);
    if (take) /* crosses the other side's listings: buys rest below 50, sells above */
        snprintf(a.body, sizeof a.body,
                 "{\"code\":\"CEA25\",\"side\":\"%s\",\"qty\":%ld,\"limit\":\"%s\","
                 "\"client_order_id\":\"%s\"}",
                 buy ? "buy" : "sell", qty, buy ? "52.00" : "48.00", a.coid);
    else {
        long cents = buy ? 4800 + (long)(rnd(&cl->rng) % 200) : 5000 + (long)(rnd(&cl->rng) % 200);
        snprintf(a.body, sizeof a.body,
                 "{\"code\":\"CEA25\",\"side\":\"%s\",\"price\":\"%ld.%02ld\",\"qty\":%ld,"
                 "\"client_order_id\":\"%s\"}",
                 buy ? "buy" : "sell", cents / 100, cents % 100, qty, a.coid);
    }
    cresp r;
    cl->sent++;
    cetsdc_http(cl->curl, "POST", take ? "/api/v1/takes" : "/api/v1/orders", cl->t.token, a.body,
                &r);
    a.status = r.status;
    if (r.status == 201) {
        a.order_id = (uint64_t)cj_int(r.json, "order_id");
        if (cj_int(r.json, "resting_qty") > 0) live_add(cl, a.order_id);
    } else if (r.status == 422) {
        a.code = (int)cj_int(r.json, "code");
    }
    if (r.status == 201 || r.status == 422) {
        cl->acked++;
        ack_add(&a);
    } else if (r.status == 0 || r.status == 503) {
        cl->unanswered++;
    } else if (!stop_clients) {
        die("client %d: POST %s: unexpected status %ld: %s", cl->k, a.body, r.status,
            r.json ? cj_str(r.json, "message") : "");
    }
    json_decref(r.json);
}

static void send_cancel(client *cl)
{
    int i = (int)(rnd(&cl->rng) % (uint64_t)cl->nlive);
    ack a = {.kind = ACK_CANCEL, .client = cl->k, .cycle = cycle_no, .order_id = cl->live[i]};
    cl->live[i] = cl->live[--cl->nlive]; /* never cancelled twice */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/orders/%" PRIu64, a.order_id);
    cresp r;
    cl->sent++;
    cetsdc_http(cl->curl, "DELETE", path, cl->t.token, NULL, &r);
    a.status = r.status;
    if (r.status == 422) a.code = (int)cj_int(r.json, "code"); /* e.g. filled meanwhile */
    if (r.status == 200 || r.status == 422) {
        cl->acked++;
        ack_add(&a);
    } else if (r.status == 0 || r.status == 503) {
        cl->unanswered++;
    } else if (!stop_clients) {
        die("client %d: DELETE %s: unexpected status %ld", cl->k, path, r.status);
    }
    json_decref(r.json);
}

static void *client_main(void *arg)
{
    client *cl = arg;
    while (!stop_clients) {
        unsigned pick = (unsigned)(rnd(&cl->rng) % 10);
        long before = cl->unanswered;
        if (pick < 5)
            send_order(cl, false);
        else if (pick < 8 || cl->nlive == 0)
            send_order(cl, true);
        else
            send_cancel(cl);
        if (cl->unanswered != before) cetsdc_sleep_ms(5); /* cetsd is down: do not spin */
    }
    return NULL;
}

/* ---- checks -------------------------------------------------------------------------- */

typedef struct totals {
    long checked, replayed, known, lost, duplicated, mismatches;
} totals;

typedef struct scan_maps {
    cmap refs;    /* client_ref -> records */
    cmap cancels; /* order id -> CANCEL records */
} scan_maps;

static int scan_one(void *ctx, const cets_cmd *c)
{
    scan_maps *m = ctx;
    if (c->client_ref) ++*cmap_at(&m->refs, c->client_ref);
    if (c->type == CETS_CMD_CANCEL) ++*cmap_at(&m->cancels, c->order_id);
    return 0;
}

/* Every acknowledged command is in the journal exactly once; no client
 * order id is there twice. (cetsd is down: the files do not change.) */
static void check_journal(const char *dir, totals *t, size_t *first_unchecked)
{
    scan_maps m = {0};
    char err[1024] = "";
    if (cets_journal_scan(dir, 0, scan_one, &m, err, sizeof err) < 0)
        die("journal scan of %s: %s", dir, err);
    for (size_t i = 0; i <= m.refs.mask && m.refs.key; i++)
        if (m.refs.key[i] && m.refs.count[i] > 1) {
            fprintf(stderr, "crash: client_ref %016" PRIx64 " is in the journal %u times\n",
                    m.refs.key[i], m.refs.count[i]);
            t->duplicated++;
        }
    for (size_t i = 0; i < acks.n; i++) {
        const ack *a = &acks.a[i];
        uint32_t n = a->kind == ACK_CANCEL ? *cmap_at(&m.cancels, a->order_id)
                                           : *cmap_at(&m.refs, projection_client_ref(a->coid));
        if (n == 0) {
            if (a->kind == ACK_CANCEL)
                fprintf(stderr,
                        "crash: LOST: cycle %d client %d: the cancel of order %" PRIu64
                        " (status %ld) is not in the journal\n",
                        a->cycle, a->client, a->order_id, a->status);
            else
                fprintf(stderr,
                        "crash: LOST: cycle %d client %d: %s (status %ld) is not in "
                        "the journal\n",
                        a->cycle, a->client, a->coid, a->status);
            t->lost++;
        } else if (n > 1) {
            fprintf(stderr, "crash: cycle %d client %d %s: %u records\n", a->cycle, a->client,
                    a->coid, n);
            t->duplicated++;
        }
    }
    cmap ids = {0}; /* no order id was given twice (e.g. after a restart) */
    for (size_t i = 0; i < acks.n; i++) {
        const ack *a = &acks.a[i];
        if (a->kind != ACK_CANCEL && a->status == 201 && ++*cmap_at(&ids, a->order_id) == 2) {
            fprintf(stderr, "crash: order id %" PRIu64 " was given twice (%s)\n", a->order_id,
                    a->coid);
            t->duplicated++;
        }
    }
    cmap_free(&ids);
    t->checked += (long)(acks.n - *first_unchecked);
    *first_unchecked = acks.n;
    cmap_free(&m.refs);
    cmap_free(&m.cancels);
}

/* After the restart: this cycle's acknowledged commands are still there. */
static void check_replays(client *cls, int cycle, totals *t)
{
    for (size_t i = 0; i < acks.n; i++) {
        const ack *a = &acks.a[i];
        if (a->cycle != cycle) continue;
        client *cl = &cls[a->client];
        cresp r;
        if (a->kind == ACK_CANCEL) {
            if (a->status != 200) continue;
            char path[64];
            snprintf(path, sizeof path, "/api/v1/orders/%" PRIu64, a->order_id);
            if (cetsdc_http(cl->curl, "GET", path, cl->t.token, NULL, &r) != 404) {
                fprintf(stderr, "crash: LOST: cancelled order %" PRIu64 " is live again (%ld)\n",
                        a->order_id, r.status);
                t->lost++;
            }
            json_decref(r.json);
            continue;
        }
        cetsdc_http(cl->curl, "POST", a->kind == ACK_TAKE ? "/api/v1/takes" : "/api/v1/orders",
                    cl->t.token, a->body, &r);
        bool same =
            a->status == 201
                ? r.status == 200 && r.replay && (uint64_t)cj_int(r.json, "order_id") == a->order_id
                : r.status == 422 && r.replay && cj_int(r.json, "code") == a->code;
        if (same) {
            t->replayed++;
        } else if (r.status == 409 && !strcmp(cj_str(r.json, "error"), "duplicate_request")) {
            t->known++; /* used before the snapshot recovery started from: known, not redone */
        } else {
            fprintf(stderr,
                    "crash: cycle %d %s: first %ld (order %" PRIu64 ", code %d), "
                    "again %ld%s (order %lld): %s\n",
                    cycle, a->coid, a->status, a->order_id, a->code, r.status,
                    r.replay ? " replay" : "", cj_int(r.json, "order_id"),
                    r.json ? cj_str(r.json, "message") : "");
            if (r.status == 201)
                t->duplicated++;
            else
                t->lost++;
        }
        json_decref(r.json);
    }
}

/* ---- main ------------------------------------------------------------------------------ */

static void compare(CURL *c, const replay_out *rep, int cycle, totals *t)
{
    uint64_t seq;
    char hash[24];
    if (!cetsd_healthz(c, &seq, hash)) die("cycle %d: no /healthz after the restart", cycle);
    if (seq != rep->seq || strcmp(hash, rep->hash)) {
        fprintf(stderr,
                "crash: cycle %d: cetsd recovered seq %" PRIu64 " hash %s, the replay "
                "gives seq %" PRIu64 " hash %s\n",
                cycle, seq, hash, rep->seq, rep->hash);
        t->mismatches++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crash_harness CETSD CETS\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int cycles = (int)cetsdc_env("CRASH_CYCLES", 50);
    uint64_t seed = (uint64_t)cetsdc_env("CRASH_SEED", 1);
    int nclients = (int)cetsdc_env("CRASH_CLIENTS", 4);
    if (nclients < 1 || nclients > MAX_CLIENTS || cycles < 1)
        die("CRASH_CLIENTS must be 1..%d and CRASH_CYCLES at least 1", MAX_CLIENTS);
    const char *tmp = getenv("CRASH_TMP");
    if (!tmp || !*tmp) tmp = getenv("CETS_TEST_TMP");
    if (!tmp || !*tmp) tmp = "/tmp";

    /* snapshots every 600 commands: kills land during snapshots too, and
     * recoveries start from one */
    cetsd_proc d;
    cetsd_prepare(&d, argv[1], tmp, "snapshot_every = 600\nhttp_threads = 16\nlog_level = warn\n");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *main_curl = curl_easy_init();
    client cls[MAX_CLIENTS];
    trader ts[MAX_CLIENTS];
    memset(cls, 0, sizeof cls);
    double t0 = cetsdc_now();
    printf("crash: cetsd %s, data %s, %d cycles, %d clients, seed %" PRIu64 "\n", d.bin, d.dir,
           cycles, nclients, seed);
    fflush(stdout);
    cetsd_start(&d, main_curl);
    cetsd_market(main_curl, ts, nclients, NULL);
    for (int k = 0; k < nclients; k++) {
        cls[k].k = k;
        cls[k].t = ts[k];
        cls[k].curl = curl_easy_init();
    }

    totals t = {0};
    size_t first_unchecked = 0;
    uint64_t kill_rng = seed * 0x2545F4914F6CDD1DULL + 7;
    for (cycle_no = 1; cycle_no <= cycles; cycle_no++) {
        pthread_t th[MAX_CLIENTS];
        stop_clients = 0;
        for (int k = 0; k < nclients; k++) {
            cls[k].rng = seed ^ ((uint64_t)cycle_no << 32) ^ ((uint64_t)k << 16);
            if (pthread_create(&th[k], NULL, client_main, &cls[k]) != 0) die("pthread_create");
        }
        cetsdc_sleep_ms(100 + (long)(rnd(&kill_rng) % 500)); /* the random moment */
        if (cetsd_signal(&d, SIGKILL) != -1)
            die("cycle %d: cetsd had exited before the kill; see %s", cycle_no, d.log);
        stop_clients = 1;
        for (int k = 0; k < nclients; k++) pthread_join(th[k], NULL);

        replay_out rep;
        replay_verify(argv[2], d.dir, &rep);
        check_journal(d.dir, &t, &first_unchecked);
        cetsd_start(&d, main_curl);
        compare(main_curl, &rep, cycle_no, &t);
        check_replays(cls, cycle_no, &t);
        if (t.lost || t.duplicated || t.mismatches)
            break; /* the messages above say what; stop here with the evidence */
    }
    int cycles_run = cycle_no > cycles ? cycles : cycle_no;

    /* a graceful stop (final snapshot) and one more replay */
    uint64_t seq;
    char hash[24];
    if (!cetsd_healthz(main_curl, &seq, hash)) die("no /healthz before the final stop");
    int rc = cetsd_signal(&d, SIGTERM);
    if (rc != 0) die("cetsd exited %d on SIGTERM; see %s", rc, d.log);
    replay_out rep;
    replay_verify(argv[2], d.dir, &rep);
    if (rep.seq != seq || strcmp(rep.hash, hash)) {
        fprintf(stderr,
                "crash: after the graceful stop the replay gives seq %" PRIu64
                " hash %s, cetsd had seq %" PRIu64 " hash %s\n",
                rep.seq, rep.hash, seq, hash);
        t.mismatches++;
    }
    check_journal(d.dir, &t, &first_unchecked);

    long sent = 0, unanswered = 0;
    for (int k = 0; k < nclients; k++) {
        sent += cls[k].sent;
        unanswered += cls[k].unanswered;
        curl_easy_cleanup(cls[k].curl);
    }
    curl_easy_cleanup(main_curl);
    bool ok = !t.lost && !t.duplicated && !t.mismatches;
    printf("crash: cycles=%d requests=%ld acknowledged=%zu checked=%ld replayed=%ld known=%ld "
           "unanswered=%ld last_seq=%" PRIu64 " lost=%ld duplicated=%ld mismatches=%ld "
           "seconds=%.1f %s\n",
           cycles_run, sent, acks.n, t.checked, t.replayed, t.known, unanswered, rep.seq, t.lost,
           t.duplicated, t.mismatches, cetsdc_now() - t0, ok ? "ok" : "FAILED");
    if (ok && !getenv("CRASH_KEEP")) {
        cetsd_remove(&d);
    } else {
        printf("crash: data kept in %s (log %s)\n", d.dir, d.log);
    }
    free(acks.a);
    return ok ? 0 : 1;
}
