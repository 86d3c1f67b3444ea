/* cluster_test.c -- cluster mode against real processes: three nats-server
 * nodes and two cetsd on 127.0.0.1, all started and stopped here.
 *
 *   cluster_test CETSD SCENARIO
 *
 *   failover   SIGKILL of the leader cetsd under load, CLUSTER_CYCLES times
 *              (10): a standby accepts commands again within 10 s of the kill,
 *              the killed node restarts and catches up as a standby
 *   pause      the leader is SIGSTOPped until a standby leads, then resumed:
 *              it cannot append a single command (fencing) and follows
 *   nats       SIGKILL of the NATS server that leads the journal stream,
 *              under load: writes resume after the election
 *   bootstrap  with snapshots published every 300 commands (and the stream
 *              purged behind them), a standby restarted from an empty data
 *              directory bootstraps from the published snapshot plus the stream
 *
 * Load: client threads post deposits through the HTTP API to whichever node
 * leads, each with a unique amount, and record every acknowledged one (200).
 * After every scenario: both nodes reach the same sequence number and state
 * hash; a checker replays the stream into a fresh engine (the cluster
 * backend's own recovery) to the same hash; every acknowledged deposit is in
 * the stream exactly once and no deposit is in it twice. A deposit answered
 * otherwise (503, a cut connection) has an unknown outcome and is only
 * checked not to be doubled.
 *
 * Figures are printed as JSON lines; the last line says what was checked.
 * Environment: CLUSTER_CYCLES, CLUSTER_CLIENTS (4), CETS_TEST_TMP, CLUSTER_KEEP=1.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "core/log.h"
#include "natsproc.h"

#define PASSWORD "cluster-test-admin-password"
#define NNODES 2
#define MAX_CLIENTS 8
#define MAX_ACKS 2000000

static const char *cetsd_bin;
static char tmp[512];
static np_cluster nc3; /* the NATS servers */
#define urls nc3.urls
#define ns nc3.n

void np_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "FAILED: ");
    vfprintf(stdout, fmt, ap);
    fprintf(stdout, "\n");
    va_end(ap);
    fflush(stdout);
    kill(0, SIGKILL); /* our children too: nats-server and cetsd */
    _exit(1);
}
#define die np_die

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

#define sleep_ms np_sleep_ms

/* ---- HTTP ---------------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t on_body(char *d, size_t size, size_t nm, void *ctx)
{
    buf *b = ctx;
    size_t k = size * nm;
    char *p = realloc(b->p, b->n + k + 1);
    if (!p) return 0;
    memcpy(p + b->n, d, k);
    b->p = p;
    b->n += k;
    p[b->n] = 0;
    return k;
}

/* A paused node must not hold a caller up: health checks wait 1 s, commands 5 s. */
static long http(CURL *c, int port, const char *method, const char *path, const char *token,
                 const char *body, json_t **out)
{
    long timeout = strcmp(path, "/healthz") == 0 ? 1 : 5;
    char url[256], authz[300];
    buf b = {0};
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        snprintf(authz, sizeof authz, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, authz);
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (out) *out = b.p ? json_loads(b.p, JSON_DECODE_ANY, NULL) : NULL;
    free(b.p);
    return status;
}

/* ---- cetsd nodes ----------------------------------------------------------------------- */

typedef struct node {
    pid_t pid;
    int port;
    char id[16], dir[600], conf[700], log[700];
    char token[200];
    pthread_mutex_t mu; /* token */
} node;
static node nodes[NNODES];

static void node_conf(int i, long snapshot_every)
{
    node *n = &nodes[i];
    if (!n->port) n->port = np_free_port();
    snprintf(n->id, sizeof n->id, "c%d", i + 1);
    snprintf(n->dir, sizeof n->dir, "%s/cetsd-%d", tmp, i + 1);
    snprintf(n->conf, sizeof n->conf, "%s/cetsd-%d.conf", tmp, i + 1);
    snprintf(n->log, sizeof n->log, "%s/cetsd-%d.log", tmp, i + 1);
    FILE *f = fopen(n->conf, "w");
    if (!f) die("%s: %s", n->conf, strerror(errno));
    fprintf(f,
            "listen = 127.0.0.1:%d\ndata_dir = %s\nlog_file = %s\nenforce_sessions = false\n"
            "snapshot_every = 700\ncluster_nats = %s\ncluster_node = %s\ncluster_lease_ms = 2000\n"
            "cluster_publish_timeout_ms = 12000\ncluster_snapshot_every = %ld\n",
            n->port, n->dir, n->log, urls, n->id, snapshot_every);
    fclose(f);
}

static json_t *healthz(CURL *c, int i)
{
    json_t *j = NULL;
    if (http(c, nodes[i].port, "GET", "/healthz", NULL, NULL, &j) != 200) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void login(CURL *c, int i)
{
    json_t *j = NULL;
    char body[128];
    snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", PASSWORD);
    if (http(c, nodes[i].port, "POST", "/api/v1/login", NULL, body, &j) == 200) {
        pthread_mutex_lock(&nodes[i].mu);
        snprintf(nodes[i].token, sizeof nodes[i].token, "%s", jstr(j, "token"));
        pthread_mutex_unlock(&nodes[i].mu);
    }
    json_decref(j);
}

static void node_start(CURL *c, int i)
{
    char *argv[] = {(char *)cetsd_bin, "--config", nodes[i].conf, NULL};
    nodes[i].pid = np_spawn(nodes[i].log, argv, PASSWORD);
    for (int t = 0; t < 600; t++) { /* 30 s: recovery replays the stream */
        json_t *j = healthz(c, i);
        if (j) {
            json_decref(j);
            login(c, i);
            return;
        }
        int st;
        if (waitpid(nodes[i].pid, &st, WNOHANG) == nodes[i].pid)
            die("cetsd %s exited at start; see %s", nodes[i].id, nodes[i].log);
        sleep_ms(50);
    }
    die("cetsd %s did not answer; see %s", nodes[i].id, nodes[i].log);
}

/* The node that leads (role leader), or -1. */
static int leader(CURL *c)
{
    for (int i = 0; i < NNODES; i++) {
        if (nodes[i].pid <= 0) continue;
        json_t *j = healthz(c, i);
        bool lead = j && strcmp(jstr(j, "role"), "leader") == 0;
        json_decref(j);
        if (lead) return i;
    }
    return -1;
}

static int wait_leader(CURL *c, double secs)
{
    double t0 = now_s();
    while (now_s() - t0 < secs) {
        int l = leader(c);
        if (l >= 0) return l;
        sleep_ms(50);
    }
    die("no leader after %.0f s", secs);
}

/* ---- load ----------------------------------------------------------------------------------- */

static struct {
    atomic_int stop, pause;
    atomic_int lead; /* the node the clients send to */
    atomic_llong acked_total, unknown_total;
    _Atomic double last_ack;            /* now_s() of the last acknowledgement */
    _Atomic double last_ack_by[NNODES]; /* ... by each node */
    pthread_mutex_t mu;
    long long *acks; /* acknowledged amounts, fen */
    size_t nacks;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct client {
    int k;
    pthread_t th;
    CURL *c;
    long long next;
} client;

static void *client_main(void *arg)
{
    client *cl = arg;
    while (!atomic_load(&L.stop)) {
        if (atomic_load(&L.pause)) {
            sleep_ms(10);
            continue;
        }
        int i = atomic_load(&L.lead);
        if (i < 0 || nodes[i].pid <= 0) {
            sleep_ms(20);
            continue;
        }
        long long amount = (long long)(cl->k + 1) * 1000000000LL + cl->next++;
        char body[160], token[200];
        snprintf(body, sizeof body, "{\"participant\":%d,\"amount\":\"%lld.%02lld\"}", 2 + cl->k,
                 amount / 100, amount % 100);
        pthread_mutex_lock(&nodes[i].mu);
        snprintf(token, sizeof token, "%s", nodes[i].token);
        pthread_mutex_unlock(&nodes[i].mu);
        json_t *j = NULL;
        long st = http(cl->c, nodes[i].port, "POST", "/api/v1/admin/deposits", token, body, &j);
        if (st == 200) {
            pthread_mutex_lock(&L.mu);
            if (L.nacks < MAX_ACKS) L.acks[L.nacks++] = amount;
            pthread_mutex_unlock(&L.mu);
            atomic_fetch_add(&L.acked_total, 1);
            double t = now_s();
            atomic_store(&L.last_ack, t);
            atomic_store(&L.last_ack_by[i], t);
        } else {
            atomic_fetch_add(&L.unknown_total, 1);
            if (st == 401)
                login(cl->c, i);
            else if (st == 503 && strcmp(jstr(j, "error"), "not_leader") == 0)
                sleep_ms(20); /* the main thread tells us where the leader went */
            else
                sleep_ms(20);
        }
        json_decref(j);
    }
    return NULL;
}

static client clients[MAX_CLIENTS];
static int nclients;

/* Watch for the leader and point the clients at it, until stop. */
static pthread_t watcher;
static void *watch_main(void *arg)
{
    (void)arg;
    CURL *c = curl_easy_init();
    while (!atomic_load(&L.stop)) {
        int l = leader(c);
        if (l >= 0 && l != atomic_load(&L.lead)) {
            login(c, l);
            atomic_store(&L.lead, l);
        }
        sleep_ms(100);
    }
    curl_easy_cleanup(c);
    return NULL;
}

static void load_start(void)
{
    L.acks = calloc(MAX_ACKS, sizeof *L.acks);
    if (!L.acks) die("out of memory");
    atomic_store(&L.lead, -1);
    for (int k = 0; k < nclients; k++) {
        clients[k].k = k;
        clients[k].c = curl_easy_init();
        pthread_create(&clients[k].th, NULL, client_main, &clients[k]);
    }
    pthread_create(&watcher, NULL, watch_main, NULL);
}

static void load_stop(void)
{
    atomic_store(&L.stop, 1);
    for (int k = 0; k < nclients; k++) {
        pthread_join(clients[k].th, NULL);
        curl_easy_cleanup(clients[k].c);
    }
    pthread_join(watcher, NULL);
}

/* Wait until the clients had at least n acknowledgements more. */
static void load_wait(long long n, double secs)
{
    long long want = atomic_load(&L.acked_total) + n;
    double t0 = now_s();
    while (atomic_load(&L.acked_total) < want) {
        if (now_s() - t0 > secs)
            die("the load made no progress: %lld of %lld acknowledgements in %.0f s",
                atomic_load(&L.acked_total), want, secs);
        sleep_ms(20);
    }
}

/* Seconds from t until the first acknowledgement after it by a node other
 * than `not` (-1: any node). */
static double until_ack(double t, double secs, int not )
{
    for (;;) {
        double best = 0;
        for (int i = 0; i < NNODES; i++) {
            double a = atomic_load(&L.last_ack_by[i]);
            if (i != not &&a > t && (!best || a < best)) best = a;
        }
        if (best) return best - t;
        if (now_s() - t > secs) die("no command was accepted within %.0f s", secs);
        sleep_ms(5);
    }
}

/* ---- checks ---------------------------------------------------------------------------------- */

typedef struct seen {
    long long *v;
    size_t n, cap;
} seen;

static void on_check_event(void *ctx, const cets_event *ev)
{
    seen *s = ctx;
    if (ev->type != CETS_EV_ADMIN || ev->u.admin.cmd_type != CETS_CMD_DEPOSIT) return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) die("out of memory");
    }
    s->v[s->n++] = ev->u.admin.qty;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static bool has(const long long *v, size_t n, long long x)
{
    return n && bsearch(&x, v, n, sizeof *v, cmp_ll) != NULL;
}

/* Both nodes equal, the stream replayed to the same hash, every acknowledged
 * deposit there exactly once. */
static void check_all(CURL *c, const char *scenario)
{
    char hash[2][32] = {"", ""};
    long long seq[2] = {-1, -2};
    for (int t = 0; t < 400 && (seq[0] != seq[1] || strcmp(hash[0], hash[1]) != 0); t++) {
        for (int i = 0; i < NNODES; i++) {
            json_t *j = healthz(c, i);
            seq[i] = j ? json_integer_value(json_object_get(j, "seq")) : -1 - i;
            snprintf(hash[i], sizeof hash[i], "%s", j ? jstr(j, "state_hash") : "");
            json_decref(j);
        }
        sleep_ms(50);
    }
    if (seq[0] != seq[1] || strcmp(hash[0], hash[1]) != 0)
        die("the nodes differ: seq %lld hash %s, seq %lld hash %s", seq[0], hash[0], seq[1],
            hash[1]);

    char dir[700], err[1024];
    snprintf(dir, sizeof dir, "%s/checker", tmp);
    cluster_options o;
    cluster_options_default(&o);
    o.nats_url = urls;
    o.node_id = "checker";
    o.data_dir = dir;
    core_backend *b = cluster_backend_new(&o, err, sizeof err);
    if (!b) die("checker: %s", err);
    seen s = {0};
    cets_recovery rep;
    cets_engine *e = b->recover(b, NULL, on_check_event, &s, &rep, err, sizeof err);
    if (!e) die("checker: replay of the stream: %s", err);
    char h[32];
    snprintf(h, sizeof h, "%016llx", (unsigned long long)cets_state_hash(e));
    bool from_snapshot = rep.snapshot_seq != 0;
    if (strcmp(h, hash[0]) != 0 || (long long)cets_last_seq(e) != seq[0])
        die("a replay of the stream gives seq %llu hash %s; the nodes seq %lld hash %s",
            (unsigned long long)cets_last_seq(e), h, seq[0], hash[0]);
    cets_engine_free(e);
    b->free(b);

    if (s.n) /* a replay from a snapshot may see no deposit after it (and qsort no NULL) */
        qsort(s.v, s.n, sizeof *s.v, cmp_ll);
    size_t doubled = 0, lost = 0;
    for (size_t i = 1; i < s.n; i++) doubled += s.v[i] == s.v[i - 1] && s.v[i] >= 1000000000LL;
    if (!from_snapshot) /* a replay from a snapshot sees only the deposits after it */
        for (size_t i = 0; i < L.nacks; i++) lost += !has(s.v, s.n, L.acks[i]);
    printf("{\"scenario\":\"%s\",\"seq\":%lld,\"state_hash\":\"%s\",\"acknowledged\":%zu,"
           "\"unknown_outcome\":%lld,\"deposits_in_stream\":%zu,\"lost\":%zu,\"doubled\":%zu,"
           "\"replay_from_snapshot\":%s}\n",
           scenario, seq[0], hash[0], L.nacks, atomic_load(&L.unknown_total), s.n, lost, doubled,
           from_snapshot ? "true" : "false");
    if (lost || doubled) die("%zu acknowledged deposits lost, %zu doubled", lost, doubled);
    free(s.v);
}

/* The stream's messages in order: after the marker of node `by`, no batch of
 * node `fenced`. */
static void check_fenced(const char *fenced, const char *by)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    if (natsConnection_ConnectTo(&nc, urls) != NATS_OK ||
        natsConnection_JetStream(&js, nc, NULL) != NATS_OK ||
        js_GetStreamInfo(&si, js, "CETS", NULL, NULL) != NATS_OK)
        die("cannot read the stream");
    uint64_t last = si->State.LastSeq, first = si->State.FirstSeq;
    jsStreamInfo_Destroy(si);
    bool after = false;
    uint64_t bad = 0, marker = 0;
    for (uint64_t q = first; q <= last; q++) {
        natsMsg *m = NULL;
        if (js_GetMsg(&m, js, "CETS", q, NULL, NULL) != NATS_OK) continue;
        const char *kind = "", *from = "";
        natsMsgHeader_Get(m, "Cets-Kind", &kind);
        natsMsgHeader_Get(m, "Cets-Node", &from);
        if (after && strcmp(from, fenced) == 0 && strcmp(kind, "batch") == 0) bad++;
        if (!after && strcmp(from, by) == 0 && strcmp(kind, "marker") == 0) {
            after = true;
            marker = q;
        }
        natsMsg_Destroy(m);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    if (!marker) die("no marker of %s in the stream", by);
    if (bad)
        die("%llu batches of the fenced node %s after %s's marker (stream seq %llu)",
            (unsigned long long)bad, fenced, by, (unsigned long long)marker);
    printf("{\"scenario\":\"pause\",\"fenced_node\":\"%s\",\"marker_stream_seq\":%llu,"
           "\"batches_after_marker_from_fenced\":0}\n",
           fenced, (unsigned long long)marker);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- scenarios -------------------------------------------------------------------------------- */

static void market(CURL *c, int l)
{
    char body[256];
    json_t *j = NULL;
    long st = http(c, nodes[l].port, "POST", "/api/v1/admin/instruments", nodes[l].token,
                   "{\"code\":\"CEA25\",\"product\":\"CEA\",\"prev_close\":\"50.00\"}", &j);
    if (st / 100 != 2) die("instrument: status %ld: %s", st, j ? jstr(j, "message") : "no answer");
    json_decref(j);
    for (int k = 0; k < nclients; k++) {
        snprintf(body, sizeof body, "{\"kind\":\"institution\",\"name\":\"client %d\"}", k);
        if (http(c, nodes[l].port, "POST", "/api/v1/admin/participants", nodes[l].token, body, &j) /
                100 !=
            2)
            die("participant: %s", j ? jstr(j, "message") : "no answer");
        json_decref(j);
    }
}

/* ---- client order ids across a failover ---------------------------------------------------
 * The same trader on both nodes (users are per node); orders with client
 * order ids on the leader; after its death, the same requests to the new
 * leader must be answered as replays of the first results, never executed. */

#define IDEM_N 20
static long long idem_order[IDEM_N];

static void trader_login(CURL *c, int i, char *token, size_t len)
{
    json_t *j = NULL;
    if (http(c, nodes[i].port, "POST", "/api/v1/login", NULL,
             "{\"username\":\"trader\",\"password\":\"trader-password-1\"}", &j) != 200)
        die("trader login on %s", nodes[i].id);
    snprintf(token, len, "%s", jstr(j, "token"));
    json_decref(j);
}

static void idem_user(CURL *c)
{
    for (int i = 0; i < NNODES; i++) {
        json_t *j = NULL;
        long st = http(c, nodes[i].port, "POST", "/api/v1/admin/users", nodes[i].token,
                       "{\"username\":\"trader\",\"password\":\"trader-password-1\","
                       "\"participant\":2,\"roles\":[\"view\",\"trade\"]}",
                       &j);
        if (st / 100 != 2)
            die("trader user on %s: status %ld %s", nodes[i].id, st, j ? jstr(j, "message") : "");
        json_decref(j);
    }
}

static void idem_orders(CURL *c, int at, bool again)
{
    char token[200], body[256];
    trader_login(c, at, token, sizeof token);
    for (int k = 0; k < IDEM_N; k++) {
        snprintf(body, sizeof body,
                 "{\"code\":\"CEA25\",\"side\":\"buy\",\"price\":\"49.%02d\","
                 "\"qty\":1,\"client_order_id\":\"fo-%d\"}",
                 k, k);
        json_t *j = NULL;
        long st = http(c, nodes[at].port, "POST", "/api/v1/orders", token, body, &j);
        long long id = j ? json_integer_value(json_object_get(j, "order_id")) : 0;
        if (st / 100 != 2 || !id)
            die("order fo-%d on %s: status %ld %s", k, nodes[at].id, st,
                j ? jstr(j, "message") : "");
        json_decref(j);
        if (!again)
            idem_order[k] = id;
        else if (id != idem_order[k])
            die("client order id fo-%d after the failover: order %lld, first %lld (executed "
                "twice?)",
                k, id, idem_order[k]);
    }
}

static void scenario_failover(CURL *c, long cycles)
{
    double *t = calloc((size_t)cycles, sizeof *t);
    unsigned seed = 1;
    load_wait(50, 30); /* participant 2 has funds */
    idem_user(c);
    idem_orders(c, wait_leader(c, 20), false);
    for (long k = 0; k < cycles; k++) {
        load_wait(50, 30);
        sleep_ms(200 + rand_r(&seed) % 600);
        int l = wait_leader(c, 20);
        double t0 = now_s();
        np_reap(&nodes[l].pid, SIGKILL);
        t[k] = until_ack(t0, 10, l);
        node_start(c, l); /* back as a standby: it follows the stream */
        printf("{\"scenario\":\"failover\",\"cycle\":%ld,\"killed\":\"%s\",\"kill_to_accepted_ms\":"
               "%.0f}\n",
               k + 1, nodes[l].id, t[k] * 1e3);
        fflush(stdout);
    }
    int nl = wait_leader(c, 20);
    idem_orders(c, nl, true); /* every answer a replay of the first */
    printf("{\"scenario\":\"failover\",\"client_order_ids_replayed\":%d,\"on\":\"%s\"}\n", IDEM_N,
           nodes[nl].id);
    qsort(t, (size_t)cycles, sizeof *t, cmp_d);
    printf("{\"bench\":\"cluster_failover\",\"cycles\":%ld,\"kill_to_accepted_ms_median\":%.0f,"
           "\"kill_to_accepted_ms_worst\":%.0f,\"kill_to_accepted_ms_best\":%.0f}\n",
           cycles, t[cycles / 2] * 1e3, t[cycles - 1] * 1e3, t[0] * 1e3);
    free(t);
}

static void scenario_pause(CURL *c)
{
    load_wait(100, 30);
    int l = wait_leader(c, 20);
    kill(nodes[l].pid, SIGSTOP);
    double t0 = now_s();
    double took = until_ack(t0, 15, l);
    load_wait(50, 30); /* the new leader appends while the old one sleeps */
    int nl = wait_leader(c, 20);
    if (nl == l) die("the paused node still leads");
    kill(nodes[l].pid, SIGCONT);
    /* The woken node must not append: whatever it is asked, it refuses */
    CURL *c2 = curl_easy_init();
    int accepted = 0;
    for (int k = 0; k < 20; k++) {
        char body[128];
        snprintf(body, sizeof body, "{\"participant\":2,\"amount\":\"%d.07\"}", 90000 + k);
        json_t *j = NULL;
        pthread_mutex_lock(&nodes[l].mu);
        char token[200];
        snprintf(token, sizeof token, "%s", nodes[l].token);
        pthread_mutex_unlock(&nodes[l].mu);
        long st = http(c2, nodes[l].port, "POST", "/api/v1/admin/deposits", token, body, &j);
        accepted += st == 200;
        json_decref(j);
        sleep_ms(50);
    }
    curl_easy_cleanup(c2);
    if (accepted) die("the resumed old leader accepted %d commands", accepted);
    printf("{\"scenario\":\"pause\",\"paused_to_accepted_ms\":%.0f,\"old_leader_accepted\":0}\n",
           took * 1e3);
    sleep_ms(1000);
    check_fenced(nodes[l].id, nodes[nl].id);
}

static void scenario_nats(void)
{
    load_wait(100, 30);
    int sl = np_stream_leader(&nc3, "CETS");
    if (sl < 0) die("no stream leader");
    double t0 = now_s();
    np_reap(&ns[sl].pid, SIGKILL);
    double took = until_ack(t0 + 0.05, 30, -1);
    load_wait(200, 60);
    printf("{\"scenario\":\"nats\",\"killed_nats\":\"%s\",\"kill_to_accepted_ms\":%.0f}\n",
           ns[sl].name, took * 1e3);
    np_start_node(&nc3, sl);
    load_wait(100, 60);
}

static void scenario_bootstrap(CURL *c)
{
    load_wait(2000, 120); /* several snapshots published, the stream purged */
    int l = wait_leader(c, 20), s = 1 - l;
    atomic_store(&L.pause, 1);
    sleep_ms(300);
    np_reap(&nodes[s].pid, SIGTERM);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", nodes[s].dir);
    if (system(cmd) != 0) die("rm %s", nodes[s].dir);
    atomic_store(&L.pause, 0);
    load_wait(100, 30);
    node_start(c, s);
    FILE *f = fopen(nodes[s].log, "r");
    char line[2048];
    bool boot = false;
    while (f && fgets(line, sizeof line, f))
        boot |= strstr(line, "bootstrapped from the published snapshot") != NULL;
    if (f) fclose(f);
    if (!boot)
        die("the empty standby did not bootstrap from the published snapshot (see %s)",
            nodes[s].log);
    printf("{\"scenario\":\"bootstrap\",\"standby\":\"%s\",\"bootstrapped_from_snapshot\":true}\n",
           nodes[s].id);
    load_wait(100, 30);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cluster_test CETSD failover|pause|nats|bootstrap\n");
        return 2;
    }
    cetsd_bin = argv[1];
    const char *sc = argv[2];
    setpgid(0, 0);
    const char *base = getenv("CETS_TEST_TMP");
    mkdir(base && *base ? base : "/tmp", 0755);
    snprintf(tmp, sizeof tmp, "%s/cluster-%s-XXXXXX", base && *base ? base : "/tmp", sc);
    if (!mkdtemp(tmp)) die("mkdtemp: %s", strerror(errno));
    log_setup(NULL, LOG_ERROR);
    curl_global_init(CURL_GLOBAL_ALL);
    const char *ncs = getenv("CLUSTER_CLIENTS");
    nclients = ncs ? atoi(ncs) : 4;
    if (nclients < 1 || nclients > MAX_CLIENTS) nclients = 4;
    for (int i = 0; i < NNODES; i++) pthread_mutex_init(&nodes[i].mu, NULL);

    np_start(&nc3, tmp);
    CURL *c = curl_easy_init();
    long snap_every = strcmp(sc, "bootstrap") == 0 ? 300 : 0;
    for (int i = 0; i < NNODES; i++) {
        node_conf(i, snap_every);
        node_start(c, i);
    }
    int l = wait_leader(c, 20);
    market(c, l);
    load_start();
    double t0 = now_s();
    if (strcmp(sc, "failover") == 0) {
        const char *cy = getenv("CLUSTER_CYCLES");
        scenario_failover(c, cy ? atol(cy) : 10);
    } else if (strcmp(sc, "pause") == 0) {
        scenario_pause(c);
    } else if (strcmp(sc, "nats") == 0) {
        scenario_nats();
    } else if (strcmp(sc, "bootstrap") == 0) {
        scenario_bootstrap(c);
    } else {
        die("unknown scenario %s", sc);
    }
    load_stop();
    check_all(c, sc);
    printf(
        "cluster %s: ok in %.1f s (%lld acknowledged, %lld unknown outcomes, 0 lost, 0 doubled)\n",
        sc, now_s() - t0, atomic_load(&L.acked_total), atomic_load(&L.unknown_total));
    for (int i = 0; i < NNODES; i++) np_reap(&nodes[i].pid, SIGTERM);
    np_stop(&nc3);
    curl_easy_cleanup(c);
    if (!getenv("CLUSTER_KEEP")) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    }
    return 0;
}
