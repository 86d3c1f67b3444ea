/* projection.c -- see projection.h.
 *
 * Two phases. During recovery (before projection_seed) the listener sees the
 * replayed events: it records the first results of client order ids and the
 * daily bars, but not the tapes, which projection_seed() rebuilds from the
 * engine's own list of today's trades (the replay may start after a snapshot
 * and so miss some). After seeding, every event is live.
 *
 * Idempotency across a restart: results seen in the replay are exact; a
 * client order id used earlier today, before the snapshot the recovery started
 * from, is found by scanning today's journal records (the command carries
 * client_ref) and answered from the live order when there still is one,
 * otherwise as "used, result unknown" (409 duplicate_request), never by
 * executing it twice.
 */
#include "projection.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "cets/journal.h"
#include "core/log.h"
#include "views.h"

#define MINUTES 1440

typedef struct bar {
    int64_t open, high, low, close, volume, value; /* volume 0: no trade in it */
} bar;

typedef struct day_bar {
    int32_t date;
    bar b;
} day_bar;

typedef struct inst_proj {
    cets_trade *tape; /* ring of PROJ_TAPE_LEN, allocated at the first trade */
    uint32_t tape_n, tape_next;
    int32_t bars_date;
    bar *bars; /* MINUTES, by local minute of the day */
    day_bar *days;
    size_t ndays, capdays;
} inst_proj;

struct projection {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* an idempotency claim was finished or released */
    int32_t tz;
    char dir[1024];
    FILE *days_file; /* bars-1d.tsv, appended to after seeding */
    bool seeded, market_halted;
    core *core; /* set by projection_seed */
    inst_proj inst[CETS_MAX_INSTRUMENTS];
    idem_map idem;
    /* the replayed command being followed, for its first result */
    uint64_t cur_seq, cur_order, cur_ref;
    uint32_t cur_part;
};

static int64_t now_ns(int clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int32_t today(const projection *p)
{
    return cets_date_of(now_ns(CLOCK_REALTIME), p->tz);
}

projection *projection_new(const char *data_dir, int32_t tz_offset_min)
{
    projection *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->tz = tz_offset_min;
    snprintf(p->dir, sizeof p->dir, "%s", data_dir);
    idem_init(&p->idem);
    return p;
}

void projection_free(projection *p)
{
    if (!p) return;
    for (int i = 0; i < CETS_MAX_INSTRUMENTS; i++) {
        free(p->inst[i].tape);
        free(p->inst[i].bars);
        free(p->inst[i].days);
    }
    if (p->days_file) fclose(p->days_file);
    idem_free(&p->idem);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* ---- tapes and bars (p->mu held) ---------------------------------------- */

static void bar_add(bar *b, int64_t price, int64_t qty, int64_t value)
{
    if (!b->volume) {
        b->open = b->high = b->low = price;
    }
    if (price > b->high) b->high = price;
    if (price < b->low) b->low = price;
    b->close = price;
    b->volume += qty;
    b->value += value;
}

static void trade_add(projection *p, const cets_trade *t)
{
    if (t->instrument >= CETS_MAX_INSTRUMENTS) return;
    inst_proj *in = &p->inst[t->instrument];
    if (!in->tape && !(in->tape = malloc(PROJ_TAPE_LEN * sizeof *in->tape))) return;
    in->tape[in->tape_next] = *t;
    in->tape_next = (in->tape_next + 1) % PROJ_TAPE_LEN;
    if (in->tape_n < PROJ_TAPE_LEN) in->tape_n++;
    if (t->method != CETS_METHOD_LISTING) /* block and auction trades set no prices */
        return;
    int32_t date = cets_date_of(t->ts, p->tz);
    int64_t local = t->ts + (int64_t)p->tz * 60000000000LL;
    int minute = (int)((local / 60000000000LL) % MINUTES);
    if (minute < 0) minute += MINUTES;
    if (!in->bars && !(in->bars = calloc(MINUTES, sizeof *in->bars))) return;
    if (in->bars_date != date) {
        memset(in->bars, 0, MINUTES * sizeof *in->bars);
        in->bars_date = date;
    }
    bar_add(&in->bars[minute], t->price, t->qty, t->value);
}

static void tapes_clear(projection *p)
{
    for (int i = 0; i < CETS_MAX_INSTRUMENTS; i++) {
        p->inst[i].tape_n = p->inst[i].tape_next = 0;
        p->inst[i].bars_date = 0;
        if (p->inst[i].bars) memset(p->inst[i].bars, 0, MINUTES * sizeof(bar));
    }
}

/* Add a closed day's bar unless that date is there; true when added. */
static bool day_add(projection *p, uint32_t iid, int32_t date, const bar *b)
{
    if (iid >= CETS_MAX_INSTRUMENTS) return false;
    inst_proj *in = &p->inst[iid];
    size_t i = in->ndays;
    while (i > 0 && in->days[i - 1].date > date) i--;
    if (i > 0 && in->days[i - 1].date == date) return false;
    if (in->ndays == in->capdays) {
        size_t cap = in->capdays ? in->capdays * 2 : 64;
        day_bar *d = realloc(in->days, cap * sizeof *d);
        if (!d) return false;
        in->days = d;
        in->capdays = cap;
    }
    memmove(&in->days[i + 1], &in->days[i], (in->ndays - i) * sizeof *in->days);
    in->days[i] = (day_bar){date, *b};
    in->ndays++;
    return true;
}

static void day_write(FILE *f, const char *code, int32_t date, const bar *b)
{
    fprintf(
        f, "%s\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\n",
        code, date, b->open, b->high, b->low, b->close, b->volume, b->value);
}

static void on_day_stats(projection *p, const cets_day_stats *st)
{
    bar b = {st->open,
             st->high,
             st->low,
             st->close,
             st->volume[CETS_METHOD_LISTING],
             st->value[CETS_METHOD_LISTING]};
    if (day_add(p, st->instrument, st->date, &b) && p->days_file) {
        day_write(p->days_file, st->code, st->date, &b);
        fflush(p->days_file);
    }
}

/* ---- the listener --------------------------------------------------------- */

/* Replay: remember first results of commands that carried a client_ref. */
static void replay_idem(projection *p, const cets_event *ev)
{
    idem_entry *e;
    switch (ev->type) {
    case CETS_EV_ACCEPTED:
        if (!ev->u.order.client_ref ||
            !(e = idem_put(&p->idem, ev->u.order.participant, ev->u.order.client_ref)))
            return;
        e->date = cets_date_of(ev->ts, p->tz);
        e->state = IDEM_DONE;
        e->seq = ev->seq;
        e->r = (idem_result){.code = CETS_OK,
                             .order_id = ev->u.order.order_id,
                             .qty = ev->u.order.qty,
                             .resting_qty = ev->u.order.qty};
        p->cur_seq = ev->seq;
        p->cur_order = ev->u.order.order_id;
        p->cur_part = ev->u.order.participant;
        p->cur_ref = ev->u.order.client_ref;
        return;
    case CETS_EV_REJECTED:
        if (!ev->u.reject.client_ref ||
            (ev->u.reject.cmd_type != CETS_CMD_POST && ev->u.reject.cmd_type != CETS_CMD_TAKE) ||
            !(e = idem_put(&p->idem, ev->u.reject.participant, ev->u.reject.client_ref)))
            return;
        e->date = cets_date_of(ev->ts, p->tz);
        e->state = IDEM_DONE;
        e->seq = ev->seq;
        e->r = (idem_result){.code = ev->u.reject.code};
        return;
    case CETS_EV_TRADE:
    case CETS_EV_ORDER_DONE: break;
    default: return;
    }
    if (ev->seq != p->cur_seq || !(e = idem_find(&p->idem, p->cur_part, p->cur_ref))) return;
    if (ev->type == CETS_EV_TRADE &&
        (ev->u.trade.buy_order == p->cur_order || ev->u.trade.sell_order == p->cur_order)) {
        e->r.filled_qty += ev->u.trade.qty;
        e->r.filled_value += ev->u.trade.value;
        e->r.resting_qty -= ev->u.trade.qty;
        e->r.ntrades++;
    } else if (ev->type == CETS_EV_ORDER_DONE && ev->u.done.order.order_id == p->cur_order) {
        e->r.resting_qty = 0;
    }
}

void projection_on_event(void *ctx, const cets_event *ev)
{
    projection *p = ctx;
    pthread_mutex_lock(&p->mu);
    /* what this node did not execute itself (the recovery replay, and on a
     * standby the leader's commands) is learnt from the events, so a client
     * order id keeps its first result across a restart and a failover */
    if (!p->seeded || (p->core && core_get_role(p->core) == CORE_STANDBY)) replay_idem(p, ev);
    switch (ev->type) {
    case CETS_EV_TRADE:
        if (p->seeded) trade_add(p, &ev->u.trade);
        break;
    case CETS_EV_DAY_STATS: on_day_stats(p, &ev->u.stats); break;
    case CETS_EV_DAY_CLOSED:
        tapes_clear(p);
        idem_prune(&p->idem, cets_date_of(ev->ts, p->tz));
        break;
    default: break;
    }
    pthread_mutex_unlock(&p->mu);
}

/* ---- seeding after recovery ------------------------------------------------- */

static void seed_trade(void *ctx, const cets_trade *t)
{
    trade_add(ctx, t);
}

typedef struct seed_ctx {
    projection *p;
    int32_t today;
} seed_ctx;

static int seed_scan(void *ctx, const cets_cmd *c)
{
    seed_ctx *s = ctx;
    projection *p = s->p;
    if (c->type == CETS_CMD_MARKET_HALT && c->actor == CETS_EXCHANGE_ID &&
        (c->aux == 0 || c->aux == 1))
        p->market_halted = c->aux == 1; /* exactly the engine's acceptance test */
    if ((c->type != CETS_CMD_POST && c->type != CETS_CMD_TAKE) || !c->client_ref ||
        cets_date_of(c->ts, p->tz) != s->today ||
        idem_find(&p->idem, c->participant, c->client_ref))
        return 0;
    idem_entry *e = idem_put(&p->idem, c->participant, c->client_ref);
    if (e) {
        e->date = s->today;
        e->state = IDEM_KNOWN;
        e->seq = c->seq;
    }
    return 0;
}

static void seed_order(void *ctx, const cets_order_info *o)
{
    seed_ctx *s = ctx;
    if (!o->client_ref) return;
    idem_entry *e = idem_find(&s->p->idem, o->participant, o->client_ref);
    if (!e && cets_date_of(o->ts, s->p->tz) == s->today)
        e = idem_put(&s->p->idem, o->participant, o->client_ref);
    if (!e || e->state == IDEM_DONE) return;
    e->date = s->today;
    e->state = IDEM_DONE; /* answered from the order as it is now */
    e->r = (idem_result){.code = CETS_OK,
                         .order_id = o->order_id,
                         .qty = o->qty + o->filled_qty,
                         .filled_qty = o->filled_qty,
                         .filled_value = o->filled_value,
                         .resting_qty = o->qty};
}

/* Read bars-1d.tsv into memory, then write it back whole with what the replay
 * added, and keep it open for appending. */
static int days_load(projection *p, const cets_engine *e, char *err, size_t errlen)
{
    char path[1100], tmp[1110], line[512];
    snprintf(path, sizeof path, "%s/bars-1d.tsv", p->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(path, "r");
    for (int ln = 1; f && fgets(line, sizeof line, f); ln++) {
        char code[CETS_CODE_LEN + 8];
        int date;
        bar b;
        if (sscanf(line,
                   "%23s %d %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64,
                   code, &date, &b.open, &b.high, &b.low, &b.close, &b.volume, &b.value) != 8) {
            log_warn("projection", "msg=\"skipping a bad line of bars-1d.tsv\" line=%d", ln);
            continue;
        }
        int iid = cets_instrument_find(e, code);
        if (iid >= 0) day_add(p, (uint32_t)iid, date, &b);
    }
    if (f) fclose(f);
    FILE *out = fopen(tmp, "w");
    for (uint32_t i = 0; out && i < cets_instrument_count(e) && i < CETS_MAX_INSTRUMENTS; i++) {
        cets_instrument_info in;
        cets_instrument_get(e, i, &in);
        for (size_t d = 0; d < p->inst[i].ndays; d++)
            day_write(out, in.code, p->inst[i].days[d].date, &p->inst[i].days[d].b);
    }
    if (!out || fclose(out) != 0 || rename(tmp, path) != 0 || !(p->days_file = fopen(path, "a"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Lock order everywhere: the engine's read lock before p->mu, as on the core
 * thread (engine write lock, then the listener takes p->mu). */
int projection_seed(projection *p, core *c, char *err, size_t errlen)
{
    /* What is derived must not keep the exchange from starting: a bars file
     * that cannot be written or a journal segment that cannot be scanned (an
     * old one, already covered by the snapshot recovery used) costs history
     * or idempotency across the restart, and says so in the log. */
    (void)err, (void)errlen;
    char why[1400];
    p->core = c;
    const cets_engine *e = core_read_begin(c);
    pthread_mutex_lock(&p->mu);
    p->tz = cets_engine_config(e)->tz_offset_min;
    seed_ctx s = {p, today(p)};
    tapes_clear(p);
    cets_trades_foreach(e, false, seed_trade, p);
    if (days_load(p, e, why, sizeof why) != 0)
        log_error("projection", "msg=\"daily bars not kept\" error=%s", log_q(why));
    pthread_mutex_unlock(&p->mu);
    core_read_end(c);

    pthread_mutex_lock(&p->mu);
    long n = cets_journal_scan(p->dir, 1, seed_scan, &s, why, sizeof why);
    pthread_mutex_unlock(&p->mu);
    if (n < 0)
        log_error("projection",
                  "msg=\"journal scan failed: client order ids used before this "
                  "start are not recognised\" error=%s",
                  log_q(why));

    e = core_read_begin(c);
    pthread_mutex_lock(&p->mu);
    cets_orders_foreach(e, 0, seed_order, &s);
    p->seeded = true;
    size_t refs = p->idem.n;
    bool halted = p->market_halted;
    pthread_mutex_unlock(&p->mu);
    core_read_end(c);
    log_info("projection", "msg=\"seeded\" journal_records=%ld client_refs=%zu market_halted=%d", n,
             refs, halted);
    return 0;
}

/* ---- market data --------------------------------------------------------- */

json_t *projection_trades(projection *p, uint32_t iid, int limit)
{
    json_t *a = json_array();
    if (iid >= CETS_MAX_INSTRUMENTS) return a;
    pthread_mutex_lock(&p->mu);
    const inst_proj *in = &p->inst[iid];
    for (uint32_t k = 0; k < in->tape_n && (int)k < limit; k++) {
        uint32_t i = (in->tape_next + PROJ_TAPE_LEN - 1 - k) % PROJ_TAPE_LEN;
        json_array_append_new(a, view_trade_public(&in->tape[i]));
    }
    pthread_mutex_unlock(&p->mu);
    return a;
}

static json_t *bar_json(json_t *t, const bar *b)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "t", t, "open", view_money(b->open),
                     "high", view_money(b->high), "low", view_money(b->low), "close",
                     view_money(b->close), "volume", (json_int_t)b->volume, "value",
                     view_money(b->value));
}

json_t *projection_bars_1m(projection *p, uint32_t iid)
{
    json_t *a = json_array();
    if (iid >= CETS_MAX_INSTRUMENTS) return a;
    pthread_mutex_lock(&p->mu);
    const inst_proj *in = &p->inst[iid];
    for (int m = 0; in->bars && m < MINUTES; m++)
        if (in->bars[m].volume)
            json_array_append_new(
                a, bar_json(view_time(cets_time_at(in->bars_date, m / 60, m % 60, p->tz)),
                            &in->bars[m]));
    pthread_mutex_unlock(&p->mu);
    return a;
}

json_t *projection_bars_1d(projection *p, uint32_t iid)
{
    json_t *a = json_array();
    if (iid >= CETS_MAX_INSTRUMENTS) return a;
    pthread_mutex_lock(&p->mu);
    const inst_proj *in = &p->inst[iid];
    for (size_t d = 0; d < in->ndays; d++)
        json_array_append_new(a, bar_json(view_date(in->days[d].date), &in->days[d].b));
    pthread_mutex_unlock(&p->mu);
    return a;
}

bool projection_market_halted(projection *p)
{
    pthread_mutex_lock(&p->mu);
    bool h = p->market_halted;
    pthread_mutex_unlock(&p->mu);
    return h;
}

void projection_set_market_halted(projection *p, bool halted)
{
    pthread_mutex_lock(&p->mu);
    p->market_halted = halted;
    pthread_mutex_unlock(&p->mu);
}

/* ---- idempotency --------------------------------------------------------------- */

uint64_t projection_client_ref(const char *client_order_id)
{
    uint64_t h = XXH3_64bits(client_order_id, strlen(client_order_id));
    return h ? h : 1; /* 0 means "no reference" in a command */
}

#define CLAIM_WAIT_NS 10000000000LL /* a duplicate in flight waits this long for the first */

static idem_claim idem_claim_wait(projection *p, uint32_t participant, uint64_t ref,
                                  const char *coid, idem_result *out, bool wait)
{
    struct timespec until;
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + CLAIM_WAIT_NS;
    until.tv_sec = (time_t)(deadline / 1000000000);
    until.tv_nsec = (long)(deadline % 1000000000);
    pthread_mutex_lock(&p->mu);
    int32_t day = today(p);
    idem_claim rc;
    for (;;) {
        idem_entry *e = idem_find(&p->idem, participant, ref);
        if (e && e->date < day) { /* remembered for the rest of its day only */
            idem_del(&p->idem, participant, ref);
            e = NULL;
        }
        if (!e) {
            e = idem_put(&p->idem, participant, ref);
            if (!e) {
                rc = CLAIM_NOMEM;
                break;
            }
            e->date = day;
            e->state = IDEM_PENDING;
            snprintf(e->coid, sizeof e->coid, "%s", coid);
            rc = CLAIM_NEW;
            break;
        }
        if (e->state == IDEM_DONE) {
            *out = e->r;
            rc = CLAIM_DONE;
            break;
        }
        if (e->state == IDEM_KNOWN) {
            rc = CLAIM_KNOWN;
            break;
        }
        if (!wait || pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT) {
            rc = CLAIM_BUSY;
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

idem_claim projection_idem_claim(projection *p, uint32_t participant, uint64_t ref,
                                 const char *coid, idem_result *out)
{
    return idem_claim_wait(p, participant, ref, coid, out, true);
}

idem_claim projection_idem_try(projection *p, uint32_t participant, uint64_t ref, const char *coid,
                               idem_result *out)
{
    return idem_claim_wait(p, participant, ref, coid, out, false);
}

void projection_idem_finish(projection *p, uint32_t participant, uint64_t ref,
                            const idem_result *res)
{
    pthread_mutex_lock(&p->mu);
    idem_entry *e = idem_find(&p->idem, participant, ref);
    if (e) {
        e->state = IDEM_DONE;
        e->r = *res;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void projection_idem_release(projection *p, uint32_t participant, uint64_t ref)
{
    pthread_mutex_lock(&p->mu);
    idem_del(&p->idem, participant, ref);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

bool projection_client_order_id(projection *p, uint32_t participant, uint64_t ref,
                                char out[IDEM_COID_MAX + 1])
{
    pthread_mutex_lock(&p->mu);
    idem_entry *e = idem_find(&p->idem, participant, ref);
    bool ok = e && e->coid[0];
    if (ok) memcpy(out, e->coid, IDEM_COID_MAX + 1);
    pthread_mutex_unlock(&p->mu);
    return ok;
}
