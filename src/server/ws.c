/* ws.c -- WebSocket streams on /ws (ws.h): the hub -- clients, their
 * queues, what they may ask and the rights they hold -- whatever carries
 * their bytes. Two transports carry them (ws_int.h, ws_transport):
 *  - on the event loop (ws_evloop.c, the default front end) each client is
 *    an h2o socket on an I/O thread, which reads its messages and writes
 *    what is queued for it when the hub kicks it (h2o's multithread queue:
 *    one wake-up per I/O thread for whatever was queued meanwhile);
 *  - on civetweb (ws_civet.c) each connection holds a worker thread, which
 *    reads its messages, and WS_WRITERS writer threads write the queues.
 *
 * The feed thread (ws_feed.c) reads the core's event bus, which never waits
 * for it, so a slow client can never hold up the engine; it turns events
 * into JSON and queues each message, shared, reference-counted and already
 * framed, on every subscribed client's queue. A client whose queue reaches
 * ws_queue_max messages or ws_queue_max_bytes is cut off: its queue is
 * freed, it gets a close frame (1008 and the reason) and a log line, and
 * nothing more.
 *
 * Replies to a client's own messages (acknowledgements, errors, snapshots)
 * go through the same queue, so a client sees "subscribed" before the first
 * message of that subscription.
 *
 * Rights are not checked once at "auth" and kept: the client holds the id
 * of the credential it authenticated with, and the hub listens to the
 * credential store. When that session or API token ends (logout, expiry,
 * deletion, the user's session cap) or its user changes (new password,
 * another participant, fewer roles, deleted), the client's identity is
 * cleared, its private subscriptions end, and it is told so with
 * {"op":"auth_ended","reason",...}, after what was already queued for it.
 */
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "http.h"
#include "views.h"
#include "ws_int.h"

/* ---- messages -------------------------------------------------------- */

ws_msg *ws_msg_new(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) return NULL;
    size_t n = strlen(text), h = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
    ws_msg *m = malloc(sizeof *m + h + n);
    if (!m) {
        free(text);
        return NULL;
    }
    unsigned char *f = (unsigned char *)m->frame;
    f[0] = 0x80 | WS_OP_TEXT; /* FIN, text (RFC 6455, 5.2) */
    if (h == 2) {
        f[1] = (unsigned char)n;
    } else if (h == 4) {
        f[1] = 126;
        f[2] = (unsigned char)(n >> 8);
        f[3] = (unsigned char)n;
    } else {
        f[1] = 127;
        for (int i = 0; i < 8; i++) f[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    }
    memcpy(f + h, text, n);
    free(text);
    m->refs = 1;
    m->len = h + n;
    return m;
}

void ws_msg_unref(ws_msg *m)
{
    if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) free(m);
}

/* ---- queues (under h->mu) ------------------------------------------------ */

static void kick(ws_hub *h, ws_client *c)
{
    if (c->tr && !c->closing) c->tr->kick(h, c);
}

void ws_queue_clear(ws_client *c)
{
    for (uint32_t i = 0; i < c->qlen; i++) ws_msg_unref(c->q[(c->qhead + i) % c->qcap]);
    c->qhead = c->qlen = 0;
    c->qbytes = 0;
}

static void client_drop(ws_hub *h, ws_client *c, const char *why)
{
    ws_queue_clear(c);
    c->dropped = true;
    c->drop_why = why;
    h->dropped++;
    ws_subs_sync(h, c); /* out of every list */
    log_warn("ws", "msg=\"client cut off\" id=%llu addr=%s user=%s reason=%s",
             (unsigned long long)c->id, log_q(c->addr),
             log_q(c->who.authenticated ? c->who.user : "-"), log_q(why));
    kick(h, c); /* its transport sends the close frame */
}

void ws_enqueue(ws_hub *h, ws_client *c, ws_msg *m)
{
    if (!m || c->dropped || c->closing) return;
    const server_config *cfg = &h->s->cfg;
    if (c->qlen >= (uint32_t)cfg->ws_queue_max) {
        client_drop(h, c, "too slow: ws_queue_max messages are queued for it");
        return;
    }
    if (c->qbytes + m->len > (size_t)cfg->ws_queue_max_bytes) {
        client_drop(h, c, "too slow: ws_queue_max_bytes are queued for it");
        return;
    }
    if (c->qlen == c->qcap) { /* grow, unrolling the ring */
        uint32_t cap = c->qcap ? 2 * c->qcap : 16;
        ws_msg **q = malloc(cap * sizeof *q);
        if (!q) {
            client_drop(h, c, "out of memory");
            return;
        }
        for (uint32_t i = 0; i < c->qlen; i++) q[i] = c->q[(c->qhead + i) % c->qcap];
        free(c->q);
        c->q = q;
        c->qcap = cap;
        c->qhead = 0;
    }
    __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
    c->q[(c->qhead + c->qlen++) % c->qcap] = m;
    c->qbytes += m->len;
    kick(h, c);
}

int ws_take(ws_hub *h, ws_client *c, ws_msg **out, int max, bool *send_close)
{
    (void)h;
    int n = 0;
    *send_close = c->dropped && !c->close_sent;
    c->close_sent |= *send_close;
    while (!c->dropped && c->qlen && n < max) {
        out[n++] = c->q[c->qhead];
        c->qbytes -= c->q[c->qhead]->len;
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qlen--;
    }
    return n;
}

size_t ws_close_payload(const ws_client *c, char *buf, size_t cap)
{
    const char *why = c->drop_why ? c->drop_why : "too slow";
    size_t n = strlen(why);
    if (cap < 2) return 0;
    if (n > cap - 2) n = cap - 2;
    if (n > 123) n = 123; /* a control frame's payload: at most 125 bytes */
    buf[0] = (char)(1008 >> 8), buf[1] = (char)(1008 & 0xff); /* policy violation */
    memcpy(buf + 2, why, n);
    return n + 2;
}

bool ws_any(ws_hub *h, ws_match match, const void *arg)
{
    bool any = false;
    pthread_mutex_lock(&h->mu);
    for (ws_client *c = h->clients; c && !any; c = c->next) any = !c->dropped && match(c, arg);
    pthread_mutex_unlock(&h->mu);
    return any;
}

void ws_publish(ws_hub *h, ws_match match, const void *arg, ws_msg *m)
{
    if (!m) return;
    pthread_mutex_lock(&h->mu);
    for (ws_client *c = h->clients; c; c = c->next)
        if (!c->dropped && match(c, arg)) ws_enqueue(h, c, m);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
}

bool ws_any_in(ws_hub *h, int list, ws_match match, const void *arg)
{
    bool any = false;
    pthread_mutex_lock(&h->mu);
    const ws_list *l = &h->lists[list];
    for (uint32_t i = 0; i < l->n && !any; i++) any = !match || match(l->v[i], arg);
    pthread_mutex_unlock(&h->mu);
    return any;
}

void ws_publish_in(ws_hub *h, int list, ws_match match, const void *arg, ws_msg *m)
{
    if (!m) return;
    pthread_mutex_lock(&h->mu);
    const ws_list *l = &h->lists[list];
    /* a client cut off here leaves the list (ws_subs_sync swaps the last
     * one into its place): look at the same place again then */
    for (uint32_t i = 0; i < l->n;) {
        ws_client *c = l->v[i];
        if (!match || match(c, arg)) ws_enqueue(h, c, m);
        if (i < l->n && l->v[i] == c) i++;
    }
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
}

/* ---- subscriber lists (under h->mu) ---------------------------------------- */

static bool list_add(ws_list *l, ws_client *c, uint32_t *pos)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 16;
        ws_client **v = realloc(l->v, cap * sizeof *v);
        if (!v) return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = c;
    *pos = l->n;
    return true;
}

static void list_remove(ws_list *l, int list, uint32_t *pos)
{
    ws_client *last = l->v[--l->n];
    l->v[*pos - 1] = last;
    last->lpos[list] = *pos;
    *pos = 0;
}

/* Does c belong in list? */
static bool in_list(const ws_client *c, int list)
{
    if (c->dropped || c->closing) return false;
    if (list < WS_LIST_CH(CH_AUCTIONS)) {
        uint64_t set = list < WS_LIST_INST(CH_TRADES, 0)  ? c->depth
                       : list < WS_LIST_INST(CH_STATS, 0) ? c->trades
                                                          : c->stats;
        return set >> (list % CETS_MAX_INSTRUMENTS) & 1;
    }
    switch (list - WS_LIST_CH(CH_AUCTIONS) + CH_AUCTIONS) {
    case CH_AUCTIONS: return c->auctions;
    case CH_ORDERS: return c->orders;
    case CH_FILLS: return c->fills;
    case CH_BALANCES: return c->balances;
    case CH_BLOCKS: return c->blocks;
    default: return c->registry;
    }
}

void ws_subs_sync(ws_hub *h, ws_client *c)
{
    for (int i = 0; i < WS_LISTS; i++) {
        bool want = in_list(c, i);
        if (want == (c->lpos[i] != 0)) continue;
        if (!want) {
            list_remove(&h->lists[i], i, &c->lpos[i]);
        } else if (!list_add(&h->lists[i], c, &c->lpos[i])) {
            client_drop(h, c, "out of memory"); /* takes it out of every list */
            return;
        }
    }
}

/* ---- clients ---------------------------------------------------------------- */

/* The clients by id (under mu): linear probing in a table that cannot fill
 * (at most WS_MAX_CLIENTS, counted under mu, against 1 << WS_BYID_BITS
 * places), and a removal shifts back what follows it, so
 * there are no tombstones. */
#define BYID_MASK ((1u << WS_BYID_BITS) - 1)

static uint32_t byid_home(uint64_t id)
{
    return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> (64 - WS_BYID_BITS));
}

static void byid_put(ws_hub *h, ws_client *c)
{
    uint32_t i = byid_home(c->id);
    while (h->byid[i]) i = (i + 1) & BYID_MASK;
    h->byid[i] = c;
}

static void byid_del(ws_hub *h, const ws_client *c)
{
    uint32_t i = byid_home(c->id);
    while (h->byid[i] && h->byid[i] != c) i = (i + 1) & BYID_MASK;
    if (!h->byid[i]) return;
    h->byid[i] = NULL;
    for (uint32_t j = (i + 1) & BYID_MASK; h->byid[j]; j = (j + 1) & BYID_MASK) {
        uint32_t k = byid_home(h->byid[j]->id); /* it may stay if its home is in (i, j] */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        h->byid[i] = h->byid[j];
        h->byid[j] = NULL;
        i = j;
    }
}

ws_client *ws_client_find(ws_hub *h, uint64_t id)
{
    for (uint32_t i = byid_home(id); h->byid[i]; i = (i + 1) & BYID_MASK)
        if (h->byid[i]->id == id) return h->byid[i];
    return NULL;
}

ws_client *ws_client_add(ws_hub *h, const ws_transport *tr, void *conn, const char *addr)
{
    ws_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->tr = tr;
    c->conn = conn;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    pthread_mutex_lock(&h->mu);
    if (h->nclients >= WS_MAX_CLIENTS) { /* counted under the lock: two I/O threads
                                          * admitting at once cannot pass the cap */
        pthread_mutex_unlock(&h->mu);
        free(c);
        log_warn("ws", "msg=\"connection refused: too many clients\" addr=%s", log_q(addr));
        return NULL;
    }
    c->id = ++h->next_id;
    byid_put(h, c);
    c->next = h->clients;
    if (h->clients) h->clients->prev = c;
    h->clients = c;
    __atomic_store_n(&h->nclients, h->nclients + 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&h->mu);
    log_debug("ws", "msg=\"connected\" id=%llu addr=%s", (unsigned long long)c->id, log_q(c->addr));
    return c;
}

bool ws_client_remove(ws_hub *h, ws_client *c)
{
    pthread_mutex_lock(&h->mu);
    c->closing = true;
    ws_subs_sync(h, c); /* out of every list */
    ws_ready_remove(h, c);
    while (c->busy) /* a civetweb writer still holds its connection */
        pthread_cond_wait(&h->idle, &h->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    byid_del(h, c);
    __atomic_store_n(&h->nclients, h->nclients - 1, __ATOMIC_RELAXED);
    ws_queue_clear(c);
    bool kicked = c->kicked;
    pthread_mutex_unlock(&h->mu);
    log_debug("ws", "msg=\"closed\" id=%llu addr=%s", (unsigned long long)c->id, log_q(c->addr));
    return kicked;
}

void ws_client_free(ws_client *c)
{
    if (!c) return;
    ws_queue_clear(c);
    free(c->q);
    free(c);
}

static void on_auth_notice(void *ctx, const auth_notice *n, size_t count);

/* ---- the hub ---------------------------------------------------------------- */

ws_hub *ws_hub_new(server *s)
{
    ws_hub *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->s = s;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->work, NULL);
    pthread_cond_init(&h->idle, NULL);
    h->byid = calloc((size_t)1 << WS_BYID_BITS, sizeof *h->byid);
    h->feed = h->byid ? ws_feed_new(h, core_bus(s->core)) : NULL;
    if (!h->feed) {
        ws_hub_free(h);
        return NULL;
    }
    return h;
}

/* Call after the front end has stopped (no connections left) and after the
 * core has stopped (no more events). */
void ws_hub_free(ws_hub *h)
{
    if (!h) return;
    if (h->listening) /* before anything goes: a notice may be on its way */
        auth_unlisten(h->s->auth, on_auth_notice, h);
    ws_feed_free(h->feed);
    ws_writers_stop(h);
    for (ws_client *c = h->clients, *next; c; c = next) { /* only if a front end still runs */
        next = c->next;
        ws_client_free(c);
    }
    for (int i = 0; i < WS_LISTS; i++) free(h->lists[i].v);
    free(h->byid);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->idle);
    free(h);
}

int ws_client_count(ws_hub *h)
{
    return __atomic_load_n(&h->nclients, __ATOMIC_RELAXED);
}

void ws_listen(server *s)
{
    if (s->ws && s->auth && !s->ws->listening) {
        if (auth_listen(s->auth, on_auth_notice, s->ws) == 0)
            s->ws->listening = true;
        else
            log_error("ws", "msg=\"cannot listen to the credential store\"");
    }
}

/* ---- rights that end ---------------------------------------------------------- */

/* Under mu: c's identity is gone. Its private subscriptions end, and it is
 * told why. */
static void client_unauth(ws_hub *h, ws_client *c, const char *reason, const char *message)
{
    log_info("ws", "msg=\"auth ended\" id=%llu addr=%s user=%s reason=%s private=%d",
             (unsigned long long)c->id, c->addr, c->who.user, reason,
             c->orders || c->fills || c->balances || c->blocks || c->registry);
    memset(&c->who, 0, sizeof c->who);
    c->cred = 0;
    c->owner = 0;
    c->orders = c->fills = c->balances = c->want_balances = false;
    c->blocks = c->registry = false;
    ws_subs_sync(h, c);
    ws_msg *m = ws_msg_new(
        json_pack("{s:s, s:s, s:s}", "op", "auth_ended", "reason", reason, "message", message));
    ws_enqueue(h, c, m);
    ws_msg_unref(m);
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* A client whose user changed, to be looked at again outside mu. */
typedef struct recheck {
    uint64_t client; /* first: sorted and searched by it */
    uint64_t cred;
    auth_end why;
    bool alive;
    principal now;
} recheck;

/* The credential store's listener (auth.h). A notice naming a credential
 * ends the clients that hold it. A notice naming only a user means "look
 * again": each of that user's clients asks the store whether its credential
 * lives and with which rights, without mu held (the store's lock may wait
 * for a file write), and is ended when the credential is gone or its rights
 * shrank. */
static void on_auth_notice(void *ctx, const auth_notice *n, size_t count)
{
    ws_hub *h = ctx;
    uint64_t *ended = malloc(count * sizeof *ended);
    recheck *rc = NULL;
    size_t ne = 0, nr = 0, cap = 0;
    for (size_t i = 0; ended && i < count; i++)
        if (n[i].cred) ended[ne++] = n[i].cred;
    if (ended) qsort(ended, ne, sizeof *ended, u64_cmp);
    pthread_mutex_lock(&h->mu);
    for (ws_client *c = h->clients; c; c = c->next) {
        if (!c->who.authenticated) continue;
        if (ne && bsearch(&c->cred, ended, ne, sizeof *ended, u64_cmp)) {
            size_t i = 0;
            while (n[i].cred != c->cred) i++;
            client_unauth(h, c, auth_end_name(n[i].why), auth_end_message(n[i].why));
            continue;
        }
        for (size_t i = 0; i < count; i++) {
            if (n[i].cred || strcmp(n[i].user, c->who.user) != 0) continue;
            if (nr == cap) {
                size_t ncap = cap ? 2 * cap : 8;
                recheck *nrc = realloc(rc, ncap * sizeof *nrc);
                if (!nrc) { /* cannot look again: end it, to be safe */
                    client_unauth(h, c, auth_end_name(n[i].why), auth_end_message(n[i].why));
                    break;
                }
                rc = nrc;
                cap = ncap;
            }
            rc[nr++] = (recheck){.client = c->id, .cred = c->cred, .why = n[i].why};
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    for (size_t i = 0; i < nr; i++)
        rc[i].alive = auth_cred_check(h->s->auth, rc[i].cred, &rc[i].now);
    if (nr) {
        qsort(rc, nr, sizeof *rc, u64_cmp);
        pthread_mutex_lock(&h->mu);
        for (ws_client *c = h->clients; c; c = c->next) {
            recheck *r = bsearch(&c->id, rc, nr, sizeof *rc, u64_cmp);
            if (!r || !c->who.authenticated || c->cred != r->cred)
                continue; /* authenticated anew meanwhile */
            bool fewer = r->now.participant != c->who.participant || (c->who.roles & ~r->now.roles);
            if (!r->alive || fewer)
                client_unauth(h, c, auth_end_name(r->why), auth_end_message(r->why));
            else
                c->who = r->now; /* only more rights */
        }
        pthread_mutex_unlock(&h->mu);
    }
    free(ended);
    free(rc);
}

/* ---- what a client may say -------------------------------------------------- */

static const char *const channel_names[] = {"depth", "trades",   "stats",  "auctions", "orders",
                                            "fills", "balances", "blocks", "registry", NULL};

static void reply(ws_hub *h, ws_client *c, json_t *j)
{
    ws_msg *m = ws_msg_new(j);
    pthread_mutex_lock(&h->mu);
    ws_enqueue(h, c, m);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
}

static void reply_error(ws_hub *h, ws_client *c, const char *name, const char *message)
{
    char m[256];
    snprintf(m, sizeof m, "%s", message);
    http_utf8_clean(m); /* it may quote a field name the client sent, cut */
    reply(h, c, json_pack("{s:s, s:s}", "error", name, "message", m));
}

static void deny(ws_hub *h, ws_client *c, int status, const char *why)
{
    log_warn("auth", "msg=\"denied\" status=%d user=%s path=\"/ws\" addr=%s reason=%s", status,
             log_q(c->who.authenticated ? c->who.user : "-"), log_q(c->addr), log_q(why));
    reply_error(h, c, status == 401 ? "unauthenticated" : "forbidden", why);
}

static void ws_auth(ws_hub *h, ws_client *c, json_t *msg)
{
    json_t *tok = json_object_get(msg, "token");
    principal p;
    auth_token_info info;
    bool ok =
        json_is_string(tok) && auth_token_lookup(h->s->auth, json_string_value(tok), &p, &info);
    if (ok) {
        pthread_mutex_lock(&h->mu);
        if (c->owner && c->owner != p.participant) /* another user: their streams end */
            c->orders = c->fills = c->balances = c->blocks = c->registry = false;
        c->who = p;
        c->owner = p.participant;
        c->cred = info.cred;
        ws_subs_sync(h, c);
        pthread_mutex_unlock(&h->mu);
        /* A notice that the credential ended may have come between the
         * lookup and now, and found the identity before: ask again. */
        ok = auth_cred_check(h->s->auth, info.cred, NULL);
    }
    if (!ok) {
        pthread_mutex_lock(&h->mu); /* a failed auth leaves no identity behind */
        if (c->who.authenticated)
            client_unauth(h, c, "auth_failed",
                          "the token sent with auth is not valid: the identity held before and "
                          "its private subscriptions have ended");
        pthread_mutex_unlock(&h->mu);
        deny(h, c, 401, "the token is not valid (expired, revoked or malformed)");
        return;
    }
    char roles[96];
    auth_roles_format(p.roles, roles, sizeof roles);
    json_t *list = json_array(); /* as GET /api/v1/me has them */
    char *save = NULL;
    for (char *r = strtok_r(roles, ",", &save); r; r = strtok_r(NULL, ",", &save))
        json_array_append_new(list, json_string(r));
    ws_msg *m = ws_msg_new(json_pack("{s:s, s:s, s:i, s:o}", "op", "authed", "user", p.user,
                                     "participant", (int)p.participant, "roles", list));
    pthread_mutex_lock(&h->mu);
    if (c->cred == info.cred) /* not ended meanwhile (it was told so then) */
        ws_enqueue(h, c, m);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
}

/* The instrument id of a subscription's "code"; -1 after an error reply. */
static int ws_instrument(ws_hub *h, ws_client *c, json_t *msg)
{
    json_t *code = json_object_get(msg, "code");
    if (!json_is_string(code)) {
        reply_error(h, c, "bad_field", "\"code\": the instrument code is required");
        return -1;
    }
    const cets_engine *e = core_read_begin(h->s->core);
    int id = cets_instrument_find(e, json_string_value(code));
    core_read_end(h->s->core);
    if (id < 0 || id >= CETS_MAX_INSTRUMENTS)
        reply_error(h, c, "unknown_instrument", cets_reason_message(CETS_UNKNOWN_INSTRUMENT));
    return id < CETS_MAX_INSTRUMENTS ? id : -1;
}

/* Whose private streams: the caller's, or with "participant" any one for an
 * admin. 0 after a denial. */
static uint32_t ws_owner(ws_hub *h, ws_client *c, json_t *msg)
{
    if (!c->who.authenticated) {
        deny(h, c, 401, "send {\"op\":\"auth\",\"token\":…} first");
        return 0;
    }
    if (!(c->who.roles & ROLE_VIEW)) {
        deny(h, c, 403, "role view required");
        return 0;
    }
    json_t *pid = json_object_get(msg, "participant");
    if (!pid) return c->who.participant;
    if (!json_is_integer(pid) || json_integer_value(pid) < 1 ||
        json_integer_value(pid) > UINT32_MAX) {
        reply_error(h, c, "bad_field", "\"participant\" must be a participant id");
        return 0;
    }
    uint32_t want = (uint32_t)json_integer_value(pid);
    if (want != c->who.participant && !(c->who.roles & ROLE_ADMIN)) {
        char why[64];
        snprintf(why, sizeof why, "participant %u is not yours", want);
        deny(h, c, 403, why);
        return 0;
    }
    return want;
}

/* Under mu: c holds ws_max_subscriptions already (each instrument of a
 * public channel counts one, each other channel one). */
static bool subs_full(ws_hub *h, const ws_client *c)
{
    int n = __builtin_popcountll(c->depth) + __builtin_popcountll(c->trades) +
            __builtin_popcountll(c->stats) + c->auctions + c->orders + c->fills + c->balances +
            c->blocks + c->registry;
    return n >= h->s->cfg.ws_max_subscriptions;
}

static void refuse_full(ws_hub *h, ws_client *c, ws_msg *ack)
{
    char why[128];
    ws_msg_unref(ack);
    snprintf(why, sizeof why,
             "a connection may hold at most %d subscriptions (ws_max_subscriptions): unsubscribe "
             "first",
             h->s->cfg.ws_max_subscriptions);
    reply_error(h, c, "too_many_subscriptions", why);
}

static void ws_subscribe_public(ws_hub *h, ws_client *c, json_t *msg, int ch, bool on)
{
    int id = ws_instrument(h, c, msg);
    if (id < 0) return;
    uint64_t bit = 1ull << id;
    ws_msg *ack =
        ws_msg_new(json_pack("{s:s, s:s, s:O}", "op", on ? "subscribed" : "unsubscribed", "channel",
                             channel_names[ch], "code", json_object_get(msg, "code")));
    pthread_mutex_lock(&h->mu);
    uint64_t *set = ch == CH_DEPTH ? &c->depth : ch == CH_TRADES ? &c->trades : &c->stats;
    if (on && !(*set & bit) && subs_full(h, c)) {
        pthread_mutex_unlock(&h->mu);
        refuse_full(h, c, ack);
        return;
    }
    *set = on ? *set | bit : *set & ~bit;
    ws_subs_sync(h, c);
    ws_enqueue(h, c, ack);
    if (on && ch == CH_DEPTH) c->want_depth |= bit; /* a snapshot first, then the changes */
    if (on && ch == CH_STATS) c->want_stats |= bit;
    h->owed |= on && ch != CH_TRADES;
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(ack);
    if (on && ch != CH_TRADES) ws_feed_wake(h->feed);
}

/* Every auction's changes: public, no instrument. */
static void ws_subscribe_auctions(ws_hub *h, ws_client *c, bool on)
{
    ws_msg *ack = ws_msg_new(
        json_pack("{s:s, s:s}", "op", on ? "subscribed" : "unsubscribed", "channel", "auctions"));
    pthread_mutex_lock(&h->mu);
    if (on && !c->auctions && subs_full(h, c)) {
        pthread_mutex_unlock(&h->mu);
        refuse_full(h, c, ack);
        return;
    }
    c->auctions = on;
    ws_subs_sync(h, c);
    ws_enqueue(h, c, ack);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(ack);
}

static void ws_subscribe_private(ws_hub *h, ws_client *c, json_t *msg, int ch, bool on)
{
    uint32_t owner = on ? ws_owner(h, c, msg) : c->owner;
    if (on && !owner) return;
    ws_msg *ack = ws_msg_new(json_pack("{s:s, s:s, s:i}", "op", on ? "subscribed" : "unsubscribed",
                                       "channel", channel_names[ch], "participant", (int)owner));
    pthread_mutex_lock(&h->mu);
    if (on && owner != c->owner) { /* an admin switching participant */
        c->orders = c->fills = c->balances = c->blocks = c->registry = false;
        c->owner = owner;
    }
    bool *flag = ch == CH_ORDERS     ? &c->orders
                 : ch == CH_FILLS    ? &c->fills
                 : ch == CH_BLOCKS   ? &c->blocks
                 : ch == CH_REGISTRY ? &c->registry
                                     : &c->balances;
    if (on && !*flag && subs_full(h, c)) {
        pthread_mutex_unlock(&h->mu);
        refuse_full(h, c, ack);
        return;
    }
    *flag = on;
    ws_subs_sync(h, c);
    if (on && ch == CH_BALANCES) c->want_balances = h->owed = true;
    ws_enqueue(h, c, ack);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(ack);
    if (on && ch == CH_BALANCES) ws_feed_wake(h->feed);
}

static void ws_subscribe(ws_hub *h, ws_client *c, json_t *msg, bool on)
{
    json_t *name = json_object_get(msg, "channel");
    int ch = 0;
    while (channel_names[ch] &&
           !(json_is_string(name) && strcmp(channel_names[ch], json_string_value(name)) == 0))
        ch++;
    if (ch == CH_COUNT)
        reply_error(h, c, "bad_field",
                    "\"channel\" must be one of depth, trades, stats, auctions, orders, fills, "
                    "balances, blocks, registry");
    else if (ch == CH_AUCTIONS)
        ws_subscribe_auctions(h, c, on);
    else if (ch <= CH_STATS)
        ws_subscribe_public(h, c, msg, ch, on);
    else
        ws_subscribe_private(h, c, msg, ch, on);
}

/* One client message: a JSON object with "op" and that op's fields only
 * (ws_int.h). */
void ws_message(ws_hub *h, ws_client *c, const char *data, size_t len)
{
    static const char *const fields[] = {"op", "channel", "code", "token", "participant", NULL};
    json_error_t je;
    json_t *msg = jsonin_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    const char *key;
    json_t *v;
    if (!json_is_object(msg)) {
        bool deep = !msg && json_error_code(&je) == json_error_stack_overflow;
        reply_error(h, c, "bad_json", deep ? je.text : "each message must be one JSON object");
        goto out;
    }
    json_object_foreach(msg, key, v)
    {
        int i = 0;
        while (fields[i] && strcmp(fields[i], key) != 0) i++;
        if (!fields[i]) {
            char why[96];
            snprintf(why, sizeof why, "unknown field \"%.40s\"", key);
            reply_error(h, c, "unknown_field", why);
            goto out;
        }
    }
    const char *op = json_string_value(json_object_get(msg, "op"));
    if (op && strcmp(op, "subscribe") == 0)
        ws_subscribe(h, c, msg, true);
    else if (op && strcmp(op, "unsubscribe") == 0)
        ws_subscribe(h, c, msg, false);
    else if (op && strcmp(op, "auth") == 0)
        ws_auth(h, c, msg);
    else if (op && strcmp(op, "ping") == 0)
        reply(h, c, json_pack("{s:s}", "op", "pong"));
    else
        reply_error(h, c, "bad_field", "\"op\" must be one of subscribe, unsubscribe, auth, ping");
out:
    json_decref(msg);
}

void ws_frame_in(ws_hub *h, ws_client *c, int opcode, bool fin, const char *data, size_t len)
{
    size_t max = (size_t)h->s->cfg.ws_max_message;
    if (opcode != WS_OP_TEXT || !fin) {
        reply_error(h, c, "bad_message", "send each message as one unfragmented text frame");
    } else if (len > max || !data) {
        char why[96];
        snprintf(why, sizeof why, "a message may have at most %zu bytes (ws_max_message)", max);
        reply_error(h, c, "too_large", why);
    } else {
        ws_message(h, c, data, len);
    }
}
