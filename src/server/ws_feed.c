/* ws_feed.c -- engine events to WebSocket messages.
 *
 * The feed is a threaded reader of the core's event bus (core/bus.h): the
 * engine thread wakes it once per batch, and it reads the events it wants in
 * batches and
 *  - publishes each trade (public: no participants) and each fill (to the
 *    buyer's and the seller's private streams) and order change, at once;
 *  - keeps only the last depth of each instrument in the batch, and notes
 *    which instruments' statistics and which participants' balances
 *    changed; after the batch it sends one depth, one stats and one
 *    balances message for each, read from the engine under its read lock.
 *    So a burst of changes costs one message per subscriber, not one per
 *    change, and balances are never rebuilt from events by hand.
 *  - serves the snapshots new subscribers are owed (depth, stats,
 *    balances). A depth snapshot carries the engine's last seq; depth
 *    changes at or before it are skipped for that client, so a client never
 *    sees an older book after a newer one.
 * If the feed falls a whole bus behind, the bus cuts it off and says how many
 * events it missed: every client gets {"op":"gap","lost":n} and fresh
 * snapshots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "projection.h"
#include "views.h"
#include "ws_int.h"

#define FEED_BATCH 1024
#define FEED_MAX_DIRTY 256 /* more changed participants than this: refresh all subscribed */

typedef struct depth_seen {
    cets_depth d;
    uint64_t seq;
    int64_t ts;
} depth_seen;

struct ws_feed {
    ws_hub *h;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bus_reader *reader;
    cets_event *batch; /* FEED_BATCH events read at a time */
    bool wake, stop, started;
    pthread_t thread;

    /* the feed thread's own */
    char codes[CETS_MAX_INSTRUMENTS][CETS_CODE_LEN];
    depth_seen depth[CETS_MAX_INSTRUMENTS];
    uint64_t depth_dirty, stats_dirty;
    uint32_t *dirty; /* participants whose balances changed */
    int ndirty, capdirty;
    bool all_dirty;
};

/* The events the feed turns into messages: rejections, statements (read
 * from the engine) and day statistics are not among them. */
#define FEED_TYPES                                                                                 \
    (BUS_TYPE(CETS_EV_TRADE) | BUS_TYPE(CETS_EV_DEPTH) | BUS_TYPE(CETS_EV_ACCEPTED) |              \
     BUS_TYPE(CETS_EV_ORDER_DONE) | BUS_TYPE(CETS_EV_REPLACED) | BUS_TYPE(CETS_EV_DAY_CLOSED) |    \
     BUS_TYPE(CETS_EV_ADMIN) | BUS_TYPE(CETS_EV_BLOCK) | BUS_TYPE(CETS_EV_AUCTION) |               \
     BUS_TYPE(CETS_EV_REGISTRY))

/* The bus's wake-up, on the engine thread: only a signal. */
static void feed_bus_wake(void *ctx)
{
    ws_feed_wake(ctx);
}

void ws_feed_wake(ws_feed *f)
{
    pthread_mutex_lock(&f->mu);
    f->wake = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

/* ---- who wants what --------------------------------------------------------- */

typedef struct inst_arg {
    uint32_t instrument;
    uint64_t seq;
} inst_arg;

static bool match_trades(const ws_client *c, const void *arg)
{
    return c->trades >> ((const inst_arg *)arg)->instrument & 1;
}

static bool match_depth(const ws_client *c, const void *arg)
{
    const inst_arg *a = arg;
    return (c->depth >> a->instrument & 1) && c->depth_seq[a->instrument] < a->seq;
}

static bool match_stats(const ws_client *c, const void *arg)
{
    return c->stats >> ((const inst_arg *)arg)->instrument & 1;
}

static bool match_orders(const ws_client *c, const void *arg)
{
    return c->orders && c->owner == *(const uint32_t *)arg;
}

static bool match_fills(const ws_client *c, const void *arg)
{
    return c->fills && c->owner == *(const uint32_t *)arg;
}

static bool match_balances(const ws_client *c, const void *arg)
{
    return c->balances && c->owner == *(const uint32_t *)arg;
}

static bool match_blocks(const ws_client *c, const void *arg)
{
    const cets_block_info *b = arg;
    return c->blocks && c->owner &&
           (b->is_quote || c->owner == b->owner || c->owner == b->counterparty);
}

static bool match_auctions(const ws_client *c, const void *arg)
{
    (void)arg;
    return c->auctions;
}

static bool match_registry(const ws_client *c, const void *arg)
{
    const cets_registry_move *m = arg;
    return c->registry && c->owner && (c->owner == m->participant || c->owner == m->counterparty);
}

static bool match_all(const ws_client *c, const void *arg)
{
    (void)c, (void)arg;
    return true;
}

/* ---- building messages ------------------------------------------------------ */

static const char *feed_code(ws_feed *f, uint32_t instrument)
{
    if (instrument >= CETS_MAX_INSTRUMENTS) return "";
    if (!f->codes[instrument][0]) { /* codes never change: ask the engine once */
        cets_instrument_info in;
        const cets_engine *e = core_read_begin(f->h->s->core);
        if (cets_instrument_get(e, instrument, &in) == 0)
            memcpy(f->codes[instrument], in.code, CETS_CODE_LEN);
        core_read_end(f->h->s->core);
    }
    return f->codes[instrument];
}

static json_t *depth_levels(const cets_level *lv, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n && i < CETS_DEPTH; i++)
        json_array_append_new(a,
                              json_pack("{s:o, s:I, s:i}", "price", view_money(lv[i].price), "qty",
                                        (json_int_t)lv[i].qty, "count", (int)lv[i].count));
    return a;
}

static ws_msg *depth_msg(const char *code, const cets_depth *d, uint64_t seq)
{
    return ws_msg_new(json_pack("{s:s, s:s, s:I, s:o, s:o}", "channel", "depth", "code", code,
                                "seq", (json_int_t)seq, "bids", depth_levels(d->bids, d->nbids),
                                "asks", depth_levels(d->asks, d->nasks)));
}

static ws_msg *stats_msg(ws_feed *f, uint32_t instrument)
{
    cets_instrument_info in;
    const cets_engine *e = core_read_begin(f->h->s->core);
    json_t *j = cets_instrument_get(e, instrument, &in) == 0 ? view_instrument(&in) : NULL;
    core_read_end(f->h->s->core);
    return j ? ws_msg_new(
                   json_pack("{s:s, s:s, s:o}", "channel", "stats", "code", in.code, "stats", j))
             : NULL;
}

static ws_msg *balances_msg(ws_feed *f, uint32_t participant)
{
    const cets_engine *e = core_read_begin(f->h->s->core);
    json_t *j = view_account(e, participant);
    core_read_end(f->h->s->core);
    return j ? ws_msg_new(json_pack("{s:s, s:o}", "channel", "balances", "account", j)) : NULL;
}

static ws_msg *fill_msg(ws_feed *f, const cets_trade *t, uint32_t participant)
{
    const cets_engine *e = core_read_begin(f->h->s->core);
    json_t *j = view_fill(e, t, participant);
    core_read_end(f->h->s->core);
    return ws_msg_new(json_pack("{s:s, s:o}", "channel", "fills", "fill", j));
}

static ws_msg *order_msg(ws_feed *f, const cets_event *ev, const cets_order_info *o)
{
    static const char *const why[] = {"", "filled", "cancelled", "expired", "unfilled"};
    char coid[IDEM_COID_MAX + 1];
    bool has = o->client_ref && f->h->s->proj &&
               projection_client_order_id(f->h->s->proj, o->participant, o->client_ref, coid);
    const cets_engine *e = core_read_begin(f->h->s->core);
    json_t *j = view_order(e, o, has ? coid : NULL);
    core_read_end(f->h->s->core);
    const char *what = ev->type == CETS_EV_ACCEPTED   ? "accepted"
                       : ev->type == CETS_EV_REPLACED ? "replaced"
                                                      : "done";
    json_t *m = json_pack("{s:s, s:s, s:I, s:o}", "channel", "orders", "event", what, "seq",
                          (json_int_t)ev->seq, "order", j);
    if (ev->type == CETS_EV_ORDER_DONE) {
        uint8_t w = ev->u.done.why;
        json_object_set_new(m, "reason", json_string(w < 5 ? why[w] : "unknown"));
        json_object_set_new(m, "left_qty", json_integer(ev->u.done.left_qty));
    }
    return ws_msg_new(m);
}

/* A block quote or proposal, an auction or a registry movement as it
 * changed: {"channel":"blocks","block":{...}} and so on, the objects of the
 * REST answers (views.c). */
static void feed_registry_event(ws_feed *f, const cets_event *ev)
{
    const char *channel;
    ws_match match;
    const void *arg;
    if (ev->type == CETS_EV_BLOCK) {
        channel = "blocks", match = match_blocks, arg = &ev->u.block;
    } else if (ev->type == CETS_EV_AUCTION) {
        channel = "auctions", match = match_auctions, arg = &ev->u.auction.auction;
    } else {
        channel = "registry", match = match_registry, arg = &ev->u.reg;
    }
    int list = WS_LIST_CH(ev->type == CETS_EV_BLOCK     ? CH_BLOCKS
                          : ev->type == CETS_EV_AUCTION ? CH_AUCTIONS
                                                        : CH_REGISTRY);
    if (!ws_any_in(f->h, list, match, arg)) return;
    const cets_engine *e = core_read_begin(f->h->s->core);
    json_t *j = ev->type == CETS_EV_BLOCK     ? view_block(e, &ev->u.block)
                : ev->type == CETS_EV_AUCTION ? view_auction(e, &ev->u.auction.auction)
                                              : view_move(e, &ev->u.reg, ev->ts);
    core_read_end(f->h->s->core);
    const char *key = ev->type == CETS_EV_BLOCK     ? "block"
                      : ev->type == CETS_EV_AUCTION ? "auction"
                                                    : "move";
    ws_publish_in(f->h, list, match, arg,
                  ws_msg_new(json_pack("{s:s, s:I, s:o}", "channel", channel, "seq",
                                       (json_int_t)ev->seq, key, j)));
}

/* ---- one batch ----------------------------------------------------------------- */

static void dirty_add(ws_feed *f, uint32_t participant)
{
    if (f->ndirty == f->capdirty) {
        int cap = f->capdirty ? 2 * f->capdirty : FEED_MAX_DIRTY;
        uint32_t *d = realloc(f->dirty, (size_t)cap * sizeof *d);
        if (!d) return; /* that account's next change will bring it */
        f->dirty = d;
        f->capdirty = cap;
    }
    f->dirty[f->ndirty++] = participant;
}

static void mark_dirty(ws_feed *f, uint32_t participant)
{
    if (!participant || f->all_dirty) return;
    for (int i = 0; i < f->ndirty; i++)
        if (f->dirty[i] == participant) return;
    if (f->ndirty == FEED_MAX_DIRTY)
        f->all_dirty = true;
    else
        dirty_add(f, participant);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void feed_trade(ws_feed *f, const cets_event *ev)
{
    const cets_trade *t = &ev->u.trade;
    inst_arg a = {t->instrument, ev->seq};
    int list = WS_LIST_INST(CH_TRADES, t->instrument);
    if (t->instrument < CETS_MAX_INSTRUMENTS && ws_any_in(f->h, list, match_trades, &a))
        ws_publish_in(
            f->h, list, match_trades, &a,
            ws_msg_new(json_pack("{s:s, s:s, s:o}", "channel", "trades", "code",
                                 feed_code(f, t->instrument), "trade", view_trade_public(t))));
    uint32_t sides[2] = {t->buyer, t->seller};
    for (int i = 0; i < 2; i++) {
        if (ws_any_in(f->h, WS_LIST_CH(CH_FILLS), match_fills, &sides[i]))
            ws_publish_in(f->h, WS_LIST_CH(CH_FILLS), match_fills, &sides[i],
                          fill_msg(f, t, sides[i]));
        mark_dirty(f, sides[i]);
    }
    mark_dirty(f, CETS_EXCHANGE_ID); /* the fees */
    if (t->instrument < CETS_MAX_INSTRUMENTS) f->stats_dirty |= 1ull << t->instrument;
}

static void feed_order(ws_feed *f, const cets_event *ev, const cets_order_info *o)
{
    uint32_t owner = o->participant;
    if (ws_any_in(f->h, WS_LIST_CH(CH_ORDERS), match_orders, &owner))
        ws_publish_in(f->h, WS_LIST_CH(CH_ORDERS), match_orders, &owner, order_msg(f, ev, o));
    mark_dirty(f, owner);
}

static void feed_event(ws_feed *f, const cets_event *ev)
{
    switch (ev->type) {
    case CETS_EV_DEPTH:
        if (ev->u.depth.instrument < CETS_MAX_INSTRUMENTS) {
            depth_seen *d = &f->depth[ev->u.depth.instrument];
            d->d = ev->u.depth;
            d->seq = ev->seq;
            d->ts = ev->ts;
            f->depth_dirty |= 1ull << ev->u.depth.instrument;
        }
        break;
    case CETS_EV_TRADE: feed_trade(f, ev); break;
    case CETS_EV_ACCEPTED:
    case CETS_EV_REPLACED: feed_order(f, ev, &ev->u.order); break;
    case CETS_EV_ORDER_DONE: feed_order(f, ev, &ev->u.done.order); break;
    case CETS_EV_BLOCK:
        feed_registry_event(f, ev);
        mark_dirty(f, ev->u.block.owner);
        mark_dirty(f, ev->u.block.counterparty);
        break;
    case CETS_EV_AUCTION:
        feed_registry_event(f, ev);
        mark_dirty(f, ev->u.auction.auction.initiator);
        mark_dirty(f, ev->u.auction.bid.participant);
        break;
    case CETS_EV_REGISTRY:
        feed_registry_event(f, ev);
        mark_dirty(f, ev->u.reg.participant);
        mark_dirty(f, ev->u.reg.counterparty);
        break;
    default: /* ADMIN (deposits, halts, new instruments), DAY_CLOSED (T+1) */
        f->all_dirty = true;
        f->stats_dirty = ~0ull;
        break;
    }
}

/* Too much changed to track (all_dirty): the participant of every balances
 * subscription, once each. */
static void dirty_from_subscribers(ws_feed *f)
{
    f->ndirty = 0;
    pthread_mutex_lock(&f->h->mu);
    const ws_list *l = &f->h->lists[WS_LIST_CH(CH_BALANCES)];
    for (uint32_t i = 0; i < l->n; i++) dirty_add(f, l->v[i]->owner);
    pthread_mutex_unlock(&f->h->mu);
    qsort(f->dirty, (size_t)f->ndirty, sizeof *f->dirty, cmp_u32);
    int n = 0;
    for (int i = 0; i < f->ndirty; i++)
        if (n == 0 || f->dirty[n - 1] != f->dirty[i]) f->dirty[n++] = f->dirty[i];
    f->ndirty = n;
}

/* After a batch: one message per changed book, statistics and account. */
static void feed_flush(ws_feed *f)
{
    for (uint32_t i = 0; f->depth_dirty && i < CETS_MAX_INSTRUMENTS; i++) {
        if (!(f->depth_dirty >> i & 1)) continue;
        inst_arg a = {i, f->depth[i].seq};
        int list = WS_LIST_INST(CH_DEPTH, i);
        if (ws_any_in(f->h, list, match_depth, &a))
            ws_publish_in(f->h, list, match_depth, &a,
                          depth_msg(feed_code(f, i), &f->depth[i].d, a.seq));
    }
    for (uint32_t i = 0; f->stats_dirty && i < CETS_MAX_INSTRUMENTS; i++) {
        inst_arg a = {i, 0};
        int list = WS_LIST_INST(CH_STATS, i);
        if ((f->stats_dirty >> i & 1) && ws_any_in(f->h, list, match_stats, &a))
            ws_publish_in(f->h, list, match_stats, &a, stats_msg(f, i));
    }
    if (f->all_dirty) dirty_from_subscribers(f);
    for (int i = 0; i < f->ndirty; i++)
        if (ws_any_in(f->h, WS_LIST_CH(CH_BALANCES), match_balances, &f->dirty[i]))
            ws_publish_in(f->h, WS_LIST_CH(CH_BALANCES), match_balances, &f->dirty[i],
                          balances_msg(f, f->dirty[i]));
    f->depth_dirty = f->stats_dirty = 0;
    f->ndirty = 0;
    f->all_dirty = false;
}

/* ---- snapshots for new subscribers -------------------------------------------- */

typedef struct owed {
    uint64_t client, depth, stats;
    uint32_t owner;
    bool balances;
} owed;

/* Queue m to client o->client if it still has the subscription; depth_seq
 * (when not 0) is recorded for instrument i first. Takes m. */
static void owed_send(ws_hub *h, const owed *o, ws_msg *m, int kind, uint32_t i, uint64_t seq)
{
    pthread_mutex_lock(&h->mu);
    ws_client *c = ws_client_find(h, o->client);
    if (c && c->dropped) c = NULL;
    bool still = c && (kind == 0   ? (c->depth >> i & 1)
                       : kind == 1 ? (c->stats >> i & 1)
                                   : (c->balances && c->owner == o->owner));
    if (still && kind == 0) c->depth_seq[i] = seq;
    if (still) ws_enqueue(h, c, m);
    pthread_mutex_unlock(&h->mu);
    ws_msg_unref(m);
}

static void owed_serve(ws_feed *f, const owed *o)
{
    for (uint32_t i = 0; i < CETS_MAX_INSTRUMENTS; i++) {
        if (o->depth >> i & 1) {
            cets_depth d;
            const cets_engine *e = core_read_begin(f->h->s->core);
            int rc = cets_depth_get(e, i, &d);
            uint64_t seq = cets_last_seq(e); /* read with the book: same state */
            core_read_end(f->h->s->core);
            if (rc == 0) owed_send(f->h, o, depth_msg(feed_code(f, i), &d, seq), 0, i, seq);
        }
        if (o->stats >> i & 1) owed_send(f->h, o, stats_msg(f, i), 1, i, 0);
    }
    if (o->balances) owed_send(f->h, o, balances_msg(f, o->owner), 2, 0, 0);
}

static void feed_snapshots(ws_feed *f)
{
    owed *list = NULL;
    int n = 0, cap = 0;
    pthread_mutex_lock(&f->h->mu);
    bool full = false; /* out of memory: the rest stay owed until the next round */
    for (ws_client *c = f->h->owed ? f->h->clients : NULL; c && !full; c = c->next) {
        if (c->dropped || !(c->want_depth || c->want_stats || c->want_balances)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            owed *nl = realloc(list, (size_t)cap * sizeof *nl);
            if (!nl) {
                full = true;
                break;
            }
            list = nl;
        }
        list[n++] = (owed){c->id, c->want_depth, c->want_stats, c->owner, c->want_balances};
        c->want_depth = c->want_stats = 0;
        c->want_balances = false;
    }
    f->h->owed = full; /* the scan saw every client that owed one */
    pthread_mutex_unlock(&f->h->mu);
    for (int i = 0; i < n; i++) owed_serve(f, &list[i]);
    free(list);
}

/* Lost events: tell everyone, and send everyone fresh snapshots. */
static void feed_gap(ws_feed *f, uint64_t lost)
{
    log_warn("ws", "msg=\"event ring overflowed; clients resynchronised\" lost=%llu",
             (unsigned long long)lost);
    ws_publish(f->h, match_all, NULL,
               ws_msg_new(json_pack("{s:s, s:I, s:s}", "op", "gap", "lost", (json_int_t)lost,
                                    "message", "messages were lost; snapshots follow")));
    pthread_mutex_lock(&f->h->mu);
    for (ws_client *c = f->h->clients; c; c = c->next) {
        c->want_depth |= c->depth;
        c->want_stats |= c->stats;
        c->want_balances |= c->balances;
        memset(c->depth_seq, 0, sizeof c->depth_seq);
    }
    f->h->owed = true;
    pthread_mutex_unlock(&f->h->mu);
}

/* ---- the thread ---------------------------------------------------------------------- */

static void *feed_main(void *arg)
{
    ws_feed *f = arg;
    pthread_setname_np(pthread_self(), "ws-feed");
    for (;;) {
        pthread_mutex_lock(&f->mu);
        while (!f->wake && !f->stop) pthread_cond_wait(&f->cv, &f->mu);
        if (f->stop) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        f->wake = false;
        pthread_mutex_unlock(&f->mu);

        uint64_t lost = 0;
        long n;
        while ((n = bus_read(f->reader, f->batch, FEED_BATCH, &lost)) != 0) {
            if (n == BUS_CUT_OFF) {
                feed_gap(f, lost);
                continue;
            }
            if (ws_client_count(f->h) > 0)
                for (long i = 0; i < n; i++) feed_event(f, &f->batch[i]);
            feed_flush(f);
        }
        feed_snapshots(f);
    }
    return NULL;
}

ws_feed *ws_feed_new(ws_hub *h, bus *b)
{
    ws_feed *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->h = h;
    f->batch = malloc(FEED_BATCH * sizeof *f->batch);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    bus_reader_opts o = {
        .name = "ws", .types = FEED_TYPES, .mode = BUS_THREADED, .wake = feed_bus_wake, .ctx = f};
    if (!f->batch || !(f->reader = bus_join(b, &o))) {
        ws_feed_free(f);
        return NULL;
    }
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
        bus_leave(f->reader);
        f->reader = NULL;
        ws_feed_free(f);
        return NULL;
    }
    f->started = true;
    return f;
}

void ws_feed_free(ws_feed *f)
{
    if (!f) return;
    if (f->started) {
        pthread_mutex_lock(&f->mu);
        f->stop = true;
        pthread_cond_signal(&f->cv);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
    }
    bus_leave(f->reader);
    free(f->batch);
    free(f->dirty);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}
