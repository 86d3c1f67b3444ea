/* hub.c -- what other threads hand to the gateway thread: the core's events
 * and command completions, and the password worker's answers.
 *
 * The core thread never waits for us. Its listener (fix_gateway_on_event)
 * and the completions of core_submit_async() append to one queue under a
 * mutex held for a copy, and poke the gateway's eventfd when the queue was
 * empty; the gateway swaps the whole queue out at once (hub_take). Events of
 * a command always come before its completion, so an order's "new" report
 * is sent before any fill and before we forget which session asked.
 *
 * The hub is static: a core listener has no context to find a gateway by,
 * so there is one FIX gateway per process. Events are filtered before the
 * copy: a participant's orders only once it has a FIX session, depth and
 * every trade only once someone asked for market data.
 *
 * Passwords are checked (argon2id, deliberately slow, up to 2 s on failure)
 * by one worker thread, so a Logon never stalls the loop; the answer comes
 * back through the hub. The credential store's notices come the same way: a
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

/* ---- the hub: core thread -> gateway thread ------------------------------- */


/* Static: the core listener has no context to find a gateway by. */
static struct {
    pthread_mutex_t mu;
    hub_item *q;
    size_t n, cap;
    int efd;
    bool signalled;
    uint8_t active;        /* atomic: read without the lock by the listener */
    uint8_t md_on;         /* atomic: market data wanted (depth, all trades) */
    uint8_t parts[8192];   /* atomic bits: participants with a FIX session */
} hub = {.mu = PTHREAD_MUTEX_INITIALIZER, .efd = -1};

void gw_participant_watch(uint32_t p)
{
    if (p < 65536)
        __atomic_or_fetch(&hub.parts[p >> 3], (uint8_t)(1u << (p & 7)), __ATOMIC_RELAXED);
}

void gw_md_enable(void) { __atomic_store_n(&hub.md_on, 1, __ATOMIC_RELAXED); }

static bool watched(uint32_t p)
{
    return p >= 65536 ||
           (__atomic_load_n(&hub.parts[p >> 3], __ATOMIC_RELAXED) & (1u << (p & 7)));
}

/* Which events the gateway needs: its participants' orders and blocks,
 * market data once someone subscribed, and the rare market-wide ones. */
static bool hub_wants(const cets_event *ev)
{
    bool md = __atomic_load_n(&hub.md_on, __ATOMIC_RELAXED);
    switch (ev->type) {
    case CETS_EV_ACCEPTED:
    case CETS_EV_REPLACED:
        return watched(ev->u.order.participant);
    case CETS_EV_ORDER_DONE:
        return watched(ev->u.done.order.participant);
    case CETS_EV_TRADE:
        return md || watched(ev->u.trade.buyer) || watched(ev->u.trade.seller);
    case CETS_EV_BLOCK:
        return watched(ev->u.block.owner) || watched(ev->u.block.counterparty);
    case CETS_EV_DEPTH:
        return md;
    case CETS_EV_DAY_STATS:
    case CETS_EV_DAY_CLOSED:
    case CETS_EV_ADMIN:
        return true;
    }
    return false;
}

/* A slot at the end of the queue, with the lock held; NULL (lock released)
 * when no gateway runs or memory is short. */
static hub_item *hub_reserve(void)
{
    pthread_mutex_lock(&hub.mu);
    if (!hub.active)
        goto none;
    if (hub.n == hub.cap) {
        size_t cap = hub.cap ? hub.cap * 2 : 1024;
        hub_item *q = realloc(hub.q, cap * sizeof *q);
        if (!q)
            goto none;
        hub.q = q;
        hub.cap = cap;
    }
    return &hub.q[hub.n++];
none:
    pthread_mutex_unlock(&hub.mu);
    return NULL;
}

static void hub_commit(void)
{
    if (!hub.signalled) {
        uint64_t one = 1;
        hub.signalled = write(hub.efd, &one, sizeof one) == (ssize_t)sizeof one;
    }
    pthread_mutex_unlock(&hub.mu);
}

void fix_gateway_on_event(void *ctx, const cets_event *ev)
{
    (void)ctx;
    if (!__atomic_load_n(&hub.active, __ATOMIC_RELAXED) || !hub_wants(ev))
        return;
    hub_item *it = hub_reserve();
    if (!it)
        return;
    it->kind = HUB_EVENT;
    it->u.ev = *ev;
    hub_commit();
}

void hub_on_done(void *ctx, int code, const cets_cmd *cmd, const cets_result *res)
{
    (void)cmd;
    hub_item *it = hub_reserve();
    if (!it) /* cannot happen while commands are in flight: stop waits for them */
        return;
    it->kind = HUB_DONE;
    it->u.done.f = ctx;
    it->u.done.code = code;
    it->u.done.res = *res;
    hub_commit();
}

/* Open the hub for a gateway whose loop polls efd. Called inside a read
 * section of the engine: no event falls between what the gateway read and
 * what it is sent. */
void hub_open(int efd)
{
    pthread_mutex_lock(&hub.mu);
    hub.n = 0;
    hub.efd = efd;
    hub.signalled = false;
    __atomic_store_n(&hub.md_on, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&hub.active, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&hub.mu);
}

bool hub_is_open(void) { return __atomic_load_n(&hub.active, __ATOMIC_RELAXED); }

void hub_close(void)
{
    pthread_mutex_lock(&hub.mu);
    __atomic_store_n(&hub.active, 0, __ATOMIC_RELAXED);
    hub.efd = -1;
    hub.n = 0;
    pthread_mutex_unlock(&hub.mu);
}

size_t hub_take(hub_item **buf, size_t *cap)
{
    pthread_mutex_lock(&hub.mu);
    hub_item *q = hub.q; /* swap buffers: the core fills the other one meanwhile */
    size_t n = hub.n, qcap = hub.cap;
    hub.q = *buf;
    hub.cap = *cap;
    hub.n = 0;
    hub.signalled = false;
    pthread_mutex_unlock(&hub.mu);
    *buf = q;
    *cap = qcap;
    return n;
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
    pthread_t thread;
};

static void *auth_main(void *arg)
{
    struct auth_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        auth_job *j = w->head;
        if (j) {
            w->head = j->next;
            if (!w->head)
                w->tail = NULL;
        }
        pthread_mutex_unlock(&w->mu);
        if (!j)
            return NULL; /* stopping and nothing left */
        principal p;
        bool ok = w->a && auth_password_check(w->a, j->user, j->password, j->addr, &p);
        sodium_memzero(j->password, sizeof j->password);
        hub_item *it = hub_reserve();
        if (it) {
            it->kind = HUB_AUTH;
            it->u.auth.conn_id = j->conn_id;
            it->u.auth.ok = ok;
            it->u.auth.p = ok ? p : (principal){0};
            hub_commit();
        }
        free(j);
    }
}

/* The store's listener (auth.h): a notice without a credential is a change
 * of its user, which ends everything that user had logged on with. */
static void on_auth_notice(void *ctx, const auth_notice *n, size_t count)
{
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        if (n[i].cred)
            continue; /* one HTTP session or API token: none of ours */
        hub_item *it = hub_reserve();
        if (!it)
            return;
        it->kind = HUB_USER;
        snprintf(it->u.user.name, sizeof it->u.user.name, "%s", n[i].user);
        it->u.user.why = (uint8_t)n[i].why;
        hub_commit();
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

struct auth_worker *auth_worker_start(auth *a)
{
    struct auth_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->a = a;
    /* without the store's notices a session would keep rights that ended */
    if ((a && auth_listen(a, on_auth_notice, w) != 0) ||
        pthread_create(&w->thread, NULL, auth_main, w) != 0) {
        if (a)
            auth_unlisten(a, on_auth_notice, w);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

/* Finish what is queued (its answers are dropped once the hub is closed). */
void auth_worker_stop(struct auth_worker *w)
{
    if (!w)
        return;
    if (w->a)
        auth_unlisten(w->a, on_auth_notice, w);
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
