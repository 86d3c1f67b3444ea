/* hub.c -- what reaches the gateway thread from other threads: the engine's
 * events (through the core's bus), command completions and the password
 * worker's answers.
 *
 * The engine thread never waits for us. The gateway is a threaded reader of
 * the core's bus: after each batch that brought events it wants, the engine
 * thread pokes the gateway's eventfd (once, until the gateway has read).
 * Completions of core_submit_async() and password answers are appended to
 * the gateway's own queue under a mutex held for a copy, and poke the same
 * eventfd. The gateway takes the queue FIRST, then reads the bus to its end:
 * a command's completion is queued only after every event of its batch is
 * on the bus, so an order's "new" report is sent before any fill and before
 * we forget which session asked.
 *
 * Events are filtered on the gateway thread: a participant's orders only
 * once it has a FIX session, depth and every trade only once someone asked
 * for market data.
 *
 * Passwords are checked (argon2id, deliberately slow, up to 2 s on failure)
 * by one worker thread, so a Logon never stalls the loop; the answer comes
 * back through the queue. The credential store's notices come the same way: a
 * session logged on with a password the operator has since changed, or as
 * a user since deleted, moved or stripped of a role, is logged out.
 */
#include "gw.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* ---- filters (gateway thread) ------------------------------------------------ */

void gw_participant_watch(gw *g, uint32_t p)
{
    if (p < GW_WATCH_MAX) g->watch[p >> 3] |= (uint8_t)(1u << (p & 7));
}

void gw_md_enable(gw *g)
{
    g->md_on = true;
}

static bool watched(const gw *g, uint32_t p)
{
    return p >= GW_WATCH_MAX || (g->watch[p >> 3] & (1u << (p & 7)));
}

/* Which events the gateway needs: its participants' orders and blocks,
 * market data once someone subscribed, and the rare market-wide ones. */
static bool hub_wants(const gw *g, const cets_event *ev)
{
    switch (ev->type) {
    case CETS_EV_ACCEPTED:
    case CETS_EV_REPLACED: return watched(g, ev->u.order.participant);
    case CETS_EV_ORDER_DONE: return watched(g, ev->u.done.order.participant);
    case CETS_EV_TRADE:
        return g->md_on || watched(g, ev->u.trade.buyer) || watched(g, ev->u.trade.seller);
    case CETS_EV_BLOCK:
        return watched(g, ev->u.block.owner) || watched(g, ev->u.block.counterparty);
    case CETS_EV_DEPTH: return g->md_on;
    case CETS_EV_DAY_STATS:
    case CETS_EV_DAY_CLOSED:
    case CETS_EV_ADMIN: return true;
    }
    return false;
}

/* ---- the queue: other threads -> gateway thread -------------------------------- */

static void hub_poke(gw *g)
{
    uint64_t one = 1;
    if (write(g->efd, &one, sizeof one) != (ssize_t)sizeof one && errno != EAGAIN)
        log_warn("fix", "msg=\"cannot wake the gateway\" error=%s", log_q(strerror(errno)));
}

/* A slot at the end of the queue, with the lock held; NULL (lock released)
 * when memory is short. */
static hub_item *hub_reserve(gw *g)
{
    pthread_mutex_lock(&g->hub_mu);
    if (g->hub_n == g->hub_cap) {
        size_t cap = g->hub_cap ? g->hub_cap * 2 : 1024;
        hub_item *q = realloc(g->hub_q, cap * sizeof *q);
        if (!q) {
            pthread_mutex_unlock(&g->hub_mu);
            return NULL;
        }
        g->hub_q = q;
        g->hub_cap = cap;
    }
    return &g->hub_q[g->hub_n++];
}

static void hub_commit(gw *g)
{
    bool poke = !g->hub_signalled;
    g->hub_signalled = true;
    pthread_mutex_unlock(&g->hub_mu);
    if (poke) hub_poke(g);
}

/* The bus's wake-up, on the engine thread. */
void hub_bus_wake(void *ctx)
{
    hub_poke(ctx);
}

void hub_on_done(void *ctx, int code, const cets_cmd *cmd, const cets_result *res)
{
    (void)cmd;
    inflight *f = ctx;
    gw *g = f->g;
    hub_item *it = hub_reserve(g);
    if (!it) { /* out of memory: the session waits for an answer that never comes */
        log_error("fix", "msg=\"completion lost: out of memory\" alarm=1 client_ref=%llu",
                  (unsigned long long)f->client_ref);
        return;
    }
    it->kind = HUB_DONE;
    it->u.done.f = f;
    it->u.done.code = code;
    it->u.done.res = *res;
    hub_commit(g);
}

size_t hub_take(gw *g, hub_item **buf, size_t *cap)
{
    pthread_mutex_lock(&g->hub_mu);
    hub_item *q = g->hub_q; /* swap buffers: the others fill the other one meanwhile */
    size_t n = g->hub_n, qcap = g->hub_cap;
    g->hub_q = *buf;
    g->hub_cap = *cap;
    g->hub_n = 0;
    g->hub_signalled = false;
    pthread_mutex_unlock(&g->hub_mu);
    *buf = q;
    *cap = qcap;
    return n;
}

/* Every event on the bus up to its end, in order, filtered. */
void hub_read_events(gw *g)
{
    uint64_t lost;
    long n;
    while ((n = bus_read(g->reader, g->evbuf, GW_EVBUF, &lost)) != 0) {
        if (n == BUS_CUT_OFF) {
            gw_resync(g, lost);
            continue;
        }
        for (long i = 0; i < n; i++) {
            const cets_event *ev = &g->evbuf[i];
            if (!hub_wants(g, ev)) continue;
            app_on_event(g, ev);
            block_on_event(g, ev);
            md_on_event(g, ev);
        }
    }
}

/* ---- the password worker ---------------------------------------------------- */

typedef struct auth_job {
    uint32_t conn_id;
    char user[64], password[256], addr[80];
    struct auth_job *next;
} auth_job;

struct auth_worker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    auth_job *head, *tail;
    bool stop;
    auth *a;
    gw *g;
    pthread_t thread;
};

static void *auth_main(void *arg)
{
    struct auth_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        auth_job *j = w->head;
        if (j) {
            w->head = j->next;
            if (!w->head) w->tail = NULL;
        }
        pthread_mutex_unlock(&w->mu);
        if (!j) return NULL; /* stopping and nothing left */
        principal p;
        bool ok = w->a && auth_password_check(w->a, j->user, j->password, j->addr, &p);
        sodium_memzero(j->password, sizeof j->password);
        hub_item *it = hub_reserve(w->g);
        if (it) {
            it->kind = HUB_AUTH;
            it->u.auth.conn_id = j->conn_id;
            it->u.auth.ok = ok;
            it->u.auth.p = ok ? p : (principal){0};
            hub_commit(w->g);
        }
        free(j);
    }
}

/* The store's listener (auth.h): a notice without a credential is a change
 * of its user, which ends everything that user had logged on with. */
static void on_auth_notice(void *ctx, const auth_notice *n, size_t count)
{
    struct auth_worker *w = ctx;
    for (size_t i = 0; i < count; i++) {
        if (n[i].cred) continue; /* one HTTP session or API token: none of ours */
        hub_item *it = hub_reserve(w->g);
        if (!it) return;
        it->kind = HUB_USER;
        snprintf(it->u.user.name, sizeof it->u.user.name, "%s", n[i].user);
        it->u.user.why = (uint8_t)n[i].why;
        hub_commit(w->g);
    }
}

/* Queue a password check for c; the answer comes back as a HUB_AUTH item. */
void gw_auth_ask(gw *g, conn *c, const char *password)
{
    auth_job *j = calloc(1, sizeof *j);
    if (!j) {
        gw_conn_kill(c, "out of memory", false);
        return;
    }
    j->conn_id = c->id;
    snprintf(j->user, sizeof j->user, "%s", c->logon.user);
    snprintf(j->password, sizeof j->password, "%s", password);
    /* failures count per user and per client address (the IP, not the port) */
    const char *colon = strrchr(c->peer, ':');
    snprintf(j->addr, sizeof j->addr, "fix:%.*s", colon ? (int)(colon - c->peer) : 63, c->peer);
    struct auth_worker *w = g->aw;
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

struct auth_worker *auth_worker_start(gw *g, auth *a)
{
    struct auth_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->a = a;
    w->g = g;
    /* without the store's notices a session would keep rights that ended */
    if ((a && auth_listen(a, on_auth_notice, w) != 0) ||
        pthread_create(&w->thread, NULL, auth_main, w) != 0) {
        if (a) auth_unlisten(a, on_auth_notice, w);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

/* Finish what is queued (the answers still reach the queue; the gateway frees it). */
void auth_worker_stop(struct auth_worker *w)
{
    if (!w) return;
    if (w->a) auth_unlisten(w->a, on_auth_notice, w);
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
