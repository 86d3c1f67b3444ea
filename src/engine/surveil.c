/* surveil.c -- abnormal-trading alerts: a deterministic consumer of events.
 *
 * The engine's events are the input, in order, with the engine that emitted
 * them for the rules' thresholds (market parameters, params.c) and the
 * instruments' prices; attached with cets_engine_set_surveil() it is fed on
 * the engine thread as each event is emitted, so the state it reads is the
 * state of that moment and the same journal gives the same alerts. It keeps
 * its own counters per participant for the trading day (reset by
 * DAY_CLOSED) and never changes the engine: an alert is information for the
 * operator and the authority, who decide on halts and suspensions.
 *
 * Rules, each off when its parameter is 0:
 *  - self_trade: a participant's self_trade rejections in a day reach
 *    surv.self_trade (once a day per participant; evidence: the attempts' seq);
 *  - order_trade: at the day's end, a participant with at least surv.otr.min
 *    orders and more than surv.otr.ratio orders per trade (trades: fills it
 *    was a party to; none counts as one);
 *  - volume_share: at the day's end, a participant's bought plus sold tonnes
 *    of an instrument (its holding's day figures, all methods) above
 *    surv.volume_share of the day's volume (a day of at least 100 t, so that
 *    one small trade is no alert);
 *  - far_from_market: an accepted order that may rest (not a take or an IOC
 *    order, which trade at resting prices) whose price is more than surv.far
 *    from the instrument's last listing price today, else its previous close.
 * Not built yet: trades between declared related parties, ramping near the
 * close (docs/rules.md, "Surveillance").
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define VOLUME_MIN 100 /* t: the least day volume whose shares are looked at */

typedef struct pstat {
    uint32_t self_attempts;
    bool self_alerted, touched;
    uint64_t self_seq[4];
    uint32_t orders, trades;
} pstat; /* small: a trade touches two of them */

struct cets_surveil {
    pstat *p; /* by participant id */
    uint32_t capp;
    uint32_t *touched; /* participants with anything today */
    uint32_t ntouched, captouched;
    cets_alert *alerts;
    uint32_t nalerts, capalerts;
    bool oom;
};

cets_surveil *cets_surveil_new(void)
{
    return calloc(1, sizeof(cets_surveil));
}

void cets_surveil_free(cets_surveil *s)
{
    if (!s) return;
    free(s->p);
    free(s->touched);
    free(s->alerts);
    free(s);
}

const char *cets_alert_rule_name(int rule)
{
    switch (rule) {
    case CETS_ALERT_SELF_TRADE: return "self_trade";
    case CETS_ALERT_ORDER_TRADE: return "order_trade";
    case CETS_ALERT_VOLUME_SHARE: return "volume_share";
    case CETS_ALERT_FAR: return "far_from_market";
    }
    return "unknown";
}

uint32_t cets_surveil_alerts(const cets_surveil *s, uint32_t from, cets_alert *out, uint32_t cap)
{
    for (uint32_t i = 0; out && i < cap && from + i < s->nalerts; i++) out[i] = s->alerts[from + i];
    return s->nalerts;
}

/* The participant's counters, NULL when out of memory. */
static pstat *stat_of(cets_surveil *s, uint32_t pid)
{
    if (pid >= s->capp) {
        uint32_t cap = s->capp ? s->capp : 64;
        while (cap <= pid) cap *= 2;
        pstat *q = realloc(s->p, (size_t)cap * sizeof *q);
        if (!q) return NULL;
        memset(q + s->capp, 0, (size_t)(cap - s->capp) * sizeof *q);
        s->p = q;
        s->capp = cap;
    }
    pstat *st = &s->p[pid];
    if (!st->touched) {
        if (!engine_vec_grow((void **)&s->touched, &s->captouched, s->ntouched + 1,
                             sizeof *s->touched))
            return NULL;
        s->touched[s->ntouched++] = pid;
        st->touched = true;
    }
    return st;
}

static cets_alert *raise_alert(cets_surveil *s, const cets_engine *e, const cets_event *ev,
                               int rule, uint32_t pid, uint32_t iid)
{
    if (!engine_vec_grow((void **)&s->alerts, &s->capalerts, s->nalerts + 1, sizeof *s->alerts))
        return NULL;
    cets_alert *a = &s->alerts[s->nalerts++];
    memset(a, 0, sizeof *a);
    *a = (cets_alert){.id = s->nalerts,
                      .seq = ev->seq,
                      .ts = ev->ts,
                      .participant = pid,
                      .instrument = iid,
                      .date = e->date,
                      .rule = (uint8_t)rule};
    return a;
}

static int on_reject(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    int64_t limit = e->pv[CETS_PARAM_SURV_SELF_TRADE];
    uint32_t pid = ev->u.reject.participant;
    if (ev->u.reject.code != CETS_SELF_TRADE || !limit) return 0;
    pstat *st = stat_of(s, pid);
    if (!st) return 0;
    st->self_seq[st->self_attempts % 4] = ev->seq;
    st->self_attempts++;
    if (st->self_alerted || st->self_attempts < limit) return 0;
    cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_SELF_TRADE, pid, UINT32_MAX);
    if (!a) return 0;
    st->self_alerted = true;
    a->figure = st->self_attempts;
    a->threshold = limit;
    a->nevidence = st->self_attempts < 4 ? st->self_attempts : 4;
    for (uint32_t i = 0; i < a->nevidence; i++) /* oldest of the last four first */
        a->evidence[i] = st->self_seq[(st->self_attempts - a->nevidence + i) % 4];
    return 1;
}

static int on_accepted(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    const cets_order_info *o = &ev->u.order;
    pstat *st = stat_of(s, o->participant);
    if (!st) return 0;
    st->orders++;
    int64_t far = e->pv[CETS_PARAM_SURV_FAR];
    if (!far || o->instrument >= e->ninst || o->tif == CETS_TIF_IOC)
        return 0; /* takes and IOC orders trade at resting prices: only what rests counts */
    const instrument *in = &e->inst[o->instrument];
    int64_t ref = in->day.trades[CETS_METHOD_LISTING] ? in->day.last : in->prev_close;
    int64_t dist = o->price > ref ? o->price - ref : ref - o->price;
    if (ref <= 0 || dist * 10000 <= far * ref) return 0;
    cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_FAR, o->participant, o->instrument);
    if (!a) return 0;
    a->figure = dist * 10000 / ref;
    a->threshold = far;
    a->count[0] = o->price;
    a->count[1] = ref;
    a->evidence[0] = o->order_id;
    a->nevidence = 1;
    return 1;
}

static void on_trade(cets_surveil *s, const cets_trade *t)
{
    pstat *b = stat_of(s, t->buyer), *se = stat_of(s, t->seller);
    if (b) b->trades++;
    if (se) se->trades++;
}

static int on_day_stats(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    int64_t limit = e->pv[CETS_PARAM_SURV_VOLUME_SHARE];
    const cets_day_stats *d = &ev->u.stats;
    if (!limit || d->total_volume < VOLUME_MIN || d->instrument >= CETS_MAX_INSTRUMENTS) return 0;
    int n = 0;
    for (uint32_t k = 0; k < s->ntouched; k++) { /* who traded today: touched by a trade */
        uint32_t pid = s->touched[k];
        if (!s->p[pid].trades || pid > e->nparts || d->instrument >= e->ninst) continue;
        /* the day's bought and sold tonnes, all methods, as the statement has them */
        const holding *h = &e->hold[(size_t)pid * e->stride + d->instrument];
        int64_t v = h->bought_qty + h->sold_qty;
        if (v * 10000 <= limit * d->total_volume) continue;
        cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_VOLUME_SHARE, pid, d->instrument);
        if (!a) return n;
        a->figure = v * 10000 / d->total_volume;
        a->threshold = limit;
        a->count[0] = v;
        a->count[1] = d->total_volume;
        n++;
    }
    return n;
}

static int on_day_closed(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    int64_t ratio = e->pv[CETS_PARAM_SURV_OTR_RATIO], min = e->pv[CETS_PARAM_SURV_OTR_MIN];
    int n = 0;
    for (uint32_t k = 0; k < s->ntouched; k++) {
        uint32_t pid = s->touched[k];
        pstat *st = &s->p[pid];
        uint32_t trades = st->trades ? st->trades : 1;
        if (ratio && st->orders >= min && st->orders > ratio * trades) {
            cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_ORDER_TRADE, pid, UINT32_MAX);
            if (a) {
                a->date = ev->u.day.closed_date;
                a->figure = st->orders / trades;
                a->threshold = ratio;
                a->count[0] = st->orders;
                a->count[1] = st->trades;
                n++;
            }
        }
        memset(st, 0, sizeof *st);
    }
    s->ntouched = 0;
    return n;
}

int cets_surveil_event(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    switch (ev->type) {
    case CETS_EV_REJECTED: return on_reject(s, e, ev);
    case CETS_EV_ACCEPTED: return on_accepted(s, e, ev);
    case CETS_EV_TRADE: on_trade(s, &ev->u.trade); return 0;
    case CETS_EV_DAY_STATS: return on_day_stats(s, e, ev);
    case CETS_EV_DAY_CLOSED: return on_day_closed(s, e, ev);
    }
    return 0;
}
