/* surveil.c -- abnormal-trading alerts: a deterministic consumer of events.
 *
 * The engine's events are the input, in order, with the engine that emitted
 * them for the rules' thresholds (market parameters, params.c) and the
 * instruments' prices; attached with cets_engine_set_surveil() it is fed on
 * the engine thread as each event is emitted, so the state it reads is the
 * state of that moment and the same journal gives the same alerts. It keeps
 * its own counters per participant for the trading day (reset by
 * DAY_CLOSED) and never changes the engine's state: an alert is information
 * for the operator and the authority, who decide on halts and suspensions.
 * While attached, the counters every order and trade bumps live beside the
 * participant's record in the engine (surv_counts, not state), whose lines
 * the command has just read: counting costs no cache miss of its own;
 * cets_engine_set_surveil() moves them there and back. A participant's
 * trades are then the engine's own count of the day's fills (its
 * statement's), which settlement keeps on the record's first line.
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
 *    from the instrument's last listing price today, else its previous close:
 *    one alert per participant, instrument and day, raised by the first such
 *    order; the later ones are added to it (its count, the first four ids,
 *    the farthest's figures);
 *  - post_cancel: at the day's end, a participant with at least
 *    surv.cancel.min posts (orders that may rest) of which more than
 *    surv.cancel.ratio were cancelled by it within surv.cancel.window
 *    seconds of their entry;
 *  - ramping: at the day's end, per instrument, when the close (the day's
 *    listing VWAP) is more than surv.ramp.move from what it would have been
 *    without the window's trades (the VWAP of those before the window, the
 *    last surv.ramp.minutes before the afternoon close; the previous close
 *    when there were none), a participant with more than surv.ramp.share
 *    of the listing volume traded in the window.
 *  - related: a trade between two participants the operator declared
 *    related (RELATED_SET, related.c) while surv.related is 1: one alert per
 *    pair, instrument and day, raised by the first trade; the later ones are
 *    added to it (tonnes, value, the first four trade ids).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define VOLUME_MIN 100 /* t: the least day volume whose shares are looked at */

typedef struct pstat {
    surv_counts c; /* while detached; attached, beside its record (counts_at) */
    uint32_t self_attempts;
    uint32_t ramp_head, rel_head; /* its pientry lists today (index + 1; 0 = none); far: in c */
    bool self_alerted;
} pstat; /* the rest: seldom touched by the attached surveillance */

/* What the evidence needs, apart: seldom written, so the counters stay dense. */
typedef struct pcold {
    uint64_t self_seq[4];  /* the last four self-trade attempts */
    uint64_t quick_ids[4]; /* the first four quick cancels */
} pcold;

/* One participant's figures for one instrument today, in a list per
 * participant (at most one entry per instrument in each list). */
typedef struct pientry {
    uint32_t iid, next; /* next: index + 1 in the same vector, 0 = end */
    uint32_t alert;     /* far, related: the day's alert (index + 1) */
    uint32_t other;     /* related: the counterparty (the list is the lower id's) */
    uint32_t n;         /* ramp: its trades in the window; far: the alert's occurrences */
    int64_t qty;        /* ramp: its tonnes in the window, bought and sold; far: the farthest */
    uint64_t ids[4];    /* ramp: its first four trades in the window */
} pientry;

/* A quick cancel's evidence, logged in order and written into its owner's
 * pcold only when read (qlog_flush): a cancel writes the log's tail line,
 * not the owner's cold line. */
typedef struct qcancel {
    uint32_t pid;
    uint64_t id;
} qcancel;

typedef struct pivec {
    pientry *v;
    uint32_t n, cap;
} pivec;

/* ramping: one instrument's listing trades today, before and in the window */
typedef struct rinst {
    int64_t before_qty, before_value; /* traded before the window */
    int64_t volume;                   /* tonnes traded in the window */
} rinst;

struct cets_surveil {
    pstat *p;    /* by participant id */
    pcold *cold; /* by participant id, as p */
    uint32_t capp;
    uint64_t *tbits;   /* by participant id, as p: a bit set when in touched */
    uint32_t *touched; /* participants with anything today */
    uint32_t ntouched, captouched;
    cets_alert *alerts;
    uint32_t nalerts, capalerts;
    pivec far, ramp, rel; /* today's entries (pientry) */
    qcancel *qlog;        /* today's quick cancels not yet in pcold (at most four each) */
    uint32_t nqlog, capqlog;
    rinst ri[CETS_MAX_INSTRUMENTS];
    uint64_t lost; /* events not counted in full, alerts not raised: no memory */
};

cets_surveil *cets_surveil_new(void)
{
    return calloc(1, sizeof(cets_surveil));
}

static void surveil_drop(cets_surveil *s)
{
    free(s->p);
    free(s->cold);
    free(s->tbits);
    free(s->touched);
    free(s->alerts);
    free(s->qlog);
    free(s->far.v);
    free(s->ramp.v);
    free(s->rel.v);
}

void cets_surveil_free(cets_surveil *s)
{
    if (!s) return;
    surveil_drop(s);
    free(s);
}

void cets_surveil_move(cets_surveil *to, cets_surveil *from)
{
    if (to == from) return;
    surveil_drop(to);
    *to = *from;
    memset(from, 0, sizeof *from);
}

const char *cets_alert_rule_name(int rule)
{
    switch (rule) {
    case CETS_ALERT_SELF_TRADE: return "self_trade";
    case CETS_ALERT_ORDER_TRADE: return "order_trade";
    case CETS_ALERT_VOLUME_SHARE: return "volume_share";
    case CETS_ALERT_FAR: return "far_from_market";
    case CETS_ALERT_POST_CANCEL: return "post_cancel";
    case CETS_ALERT_RAMP: return "ramping";
    case CETS_ALERT_RELATED: return "related";
    }
    return "unknown";
}

uint64_t cets_surveil_lost(const cets_surveil *s)
{
    return s->lost;
}

uint32_t cets_surveil_alerts(const cets_surveil *s, uint32_t from, cets_alert *out, uint32_t cap)
{
    for (uint32_t i = 0; out && i < cap && from + i < s->nalerts; i++) out[i] = s->alerts[from + i];
    return s->nalerts;
}

/* Room for participant pid in the arrays by participant id; false when out
 * of memory. */
static bool room_for(cets_surveil *s, uint32_t pid)
{
    if (pid < s->capp) return true;
    uint32_t cap = s->capp ? s->capp : 64;
    while (cap <= pid) cap *= 2;
    pstat *q = realloc(s->p, (size_t)cap * sizeof *q);
    if (!q) return false;
    s->p = q;
    pcold *c = realloc(s->cold, (size_t)cap * sizeof *c);
    if (!c) return false; /* s->p grown, capp not yet: consistent */
    s->cold = c;
    uint64_t *b = realloc(s->tbits, (size_t)cap / 64 * sizeof *b);
    if (!b) return false;
    s->tbits = b;
    memset(q + s->capp, 0, (size_t)(cap - s->capp) * sizeof *q);
    memset(c + s->capp, 0, (size_t)(cap - s->capp) * sizeof *c);
    memset(b + s->capp / 64, 0, (size_t)(cap - s->capp) / 64 * sizeof *b);
    s->capp = cap;
    return true;
}

static inline bool is_touched(const cets_surveil *s, uint32_t pid)
{
    return pid < s->capp && (s->tbits[pid / 64] >> (pid % 64) & 1);
}

/* Add a participant not yet listed to today's list; false when out of
 * memory (the event that needed it is lost: counted). */
__attribute__((noinline)) static bool list_new(cets_surveil *s, uint32_t pid)
{
    if (!room_for(s, pid) || !engine_vec_grow((void **)&s->touched, &s->captouched, s->ntouched + 1,
                                              sizeof *s->touched)) {
        s->lost++;
        return false;
    }
    s->touched[s->ntouched++] = pid;
    s->tbits[pid / 64] |= 1ULL << (pid % 64);
    return true;
}

/* List the participant among today's (once); false when out of memory. A
 * bit per participant says whether it is listed: a first count of the day
 * reads that dense bitmap, not the participant's figures. */
static inline bool touch(cets_surveil *s, uint32_t pid)
{
    return is_touched(s, pid) || list_new(s, pid);
}

/* The participant's figures, listed among today's; NULL when out of memory. */
static pstat *stat_of(cets_surveil *s, uint32_t pid)
{
    return touch(s, pid) ? &s->p[pid] : NULL;
}

/* Where the participant's day counters are: beside its record in the engine
 * while s is attached to it, else with its other figures. */
static surv_counts *counts_at(cets_surveil *s, const cets_engine *e, uint32_t pid)
{
    return e->surveil == s && pid <= e->nparts ? &((cets_engine *)e)->parts[pid].surv
                                               : &s->p[pid].c; /* attach leaves the others */
}

/* Whether the day's trades of s's participants are the engine's own count
 * (the statement's, cur.ntrades: one per fill for each side, on the line
 * settlement has just written) rather than s's: while s is attached to an
 * engine that settles. Counting the resting side's trade in the counters'
 * line would cost a cache miss per trade. */
static bool engine_counts_trades(const cets_surveil *s, const cets_engine *e)
{
    return e->surveil == s && e->cfg.enforce_risk;
}

/* The participant's trades today (closed: the day just closed, read at its
 * DAY_CLOSED, when the engine's count has moved to the day before's). */
static uint32_t trades_of(cets_surveil *s, const cets_engine *e, uint32_t pid, bool closed)
{
    if (engine_counts_trades(s, e) && pid <= e->nparts)
        return closed ? e->parts[pid].last.ntrades : e->parts[pid].cur.ntrades;
    return counts_at(s, e, pid)->trades;
}

/* The participant's counters, listed among today's participants at their
 * first use; NULL when out of memory. Attached, they are on the record's
 * second line (whose fetch cets_apply starts when surveillance
 * is attached): the surveillance's own bitmap is read only by the first
 * count of the day. */
static surv_counts *counts(cets_surveil *s, const cets_engine *e, uint32_t pid)
{
    if (e->surveil == s && pid <= e->nparts) {
        surv_counts *c = &((cets_engine *)e)->parts[pid].surv;
        return c->orders | c->trades | c->posts | c->quick || touch(s, pid) ? c : NULL;
    }
    pstat *st = stat_of(s, pid);
    return st ? &st->c : NULL;
}

void surveil_attach(cets_surveil *s, cets_engine *e)
{
    (void)room_for(s, e->nparts); /* sized once (else on first use): no growing mid-day */
    for (uint32_t k = 0; k < s->ntouched; k++) {
        uint32_t pid = s->touched[k];
        if (pid > e->nparts) continue; /* not this engine's participant: kept */
        e->parts[pid].surv = s->p[pid].c;
        memset(&s->p[pid].c, 0, sizeof s->p[pid].c);
    }
}

void surveil_detach(cets_surveil *s, cets_engine *e)
{
    for (uint32_t k = 0; k < s->ntouched; k++) {
        uint32_t pid = s->touched[k];
        if (pid > e->nparts) continue;
        s->p[pid].c = e->parts[pid].surv;
        if (engine_counts_trades(s, e)) s->p[pid].c.trades = e->parts[pid].cur.ntrades;
        memset(&e->parts[pid].surv, 0, sizeof e->parts[pid].surv);
    }
}

/* A new alert, or NULL when out of memory (counted as lost: the rule's
 * state is left as if it had not fired, so the next event may raise it). */
static cets_alert *raise_alert(cets_surveil *s, const cets_engine *e, const cets_event *ev,
                               int rule, uint32_t pid, uint32_t iid)
{
    if (!engine_vec_grow((void **)&s->alerts, &s->capalerts, s->nalerts + 1, sizeof *s->alerts)) {
        s->lost++;
        return NULL;
    }
    cets_alert *a = &s->alerts[s->nalerts++];
    memset(a, 0, sizeof *a);
    *a = (cets_alert){.id = s->nalerts,
                      .seq = ev->seq,
                      .ts = ev->ts,
                      .participant = pid,
                      .instrument = iid,
                      .date = e->date,
                      .rule = (uint8_t)rule,
                      .occurrences = 1};
    return a;
}

/* The participant's entry for instrument iid in list *head of v, added when
 * there is none; NULL when out of memory (counted as lost). */
static pientry *entry_of(cets_surveil *s, pivec *v, uint32_t *head, uint32_t iid, uint32_t other)
{
    for (uint32_t i = *head; i; i = v->v[i - 1].next)
        if (v->v[i - 1].iid == iid && v->v[i - 1].other == other) return &v->v[i - 1];
    if (!engine_vec_grow((void **)&v->v, &v->cap, v->n + 1, sizeof *v->v)) {
        s->lost++;
        return NULL;
    }
    pientry *x = &v->v[v->n++];
    memset(x, 0, sizeof *x);
    x->iid = iid;
    x->other = other;
    x->next = *head;
    *head = v->n;
    return x;
}

/* What an alert measured, and its evidence: n ids of which the first four
 * (at most) are in ids. */
static void alert_figures(cets_alert *a, int64_t figure, int64_t threshold, int64_t c0, int64_t c1,
                          const uint64_t *ids, uint32_t n)
{
    a->figure = figure;
    a->threshold = threshold;
    a->count[0] = c0;
    a->count[1] = c1;
    a->nevidence = n < 4 ? n : 4;
    if (ids) memcpy(a->evidence, ids, a->nevidence * sizeof *ids);
    a->occurrences = n;
}

/* Up to four ids, the first ones. */
static void keep_id(uint64_t *ids, uint32_t seen, uint64_t id)
{
    if (seen < 4) ids[seen] = id;
}

static int on_reject(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    int64_t limit = e->pv[CETS_PARAM_SURV_SELF_TRADE];
    uint32_t pid = ev->u.reject.participant;
    if (ev->u.reject.code != CETS_SELF_TRADE || !limit) return 0;
    pstat *st = stat_of(s, pid);
    if (!st) return 0;
    uint64_t *seqs = s->cold[pid].self_seq;
    seqs[st->self_attempts % 4] = ev->seq;
    st->self_attempts++;
    if (st->self_alerted || st->self_attempts < limit) return 0;
    cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_SELF_TRADE, pid, UINT32_MAX);
    if (!a) return 0;
    st->self_alerted = true;
    a->figure = st->self_attempts;
    a->occurrences = st->self_attempts;
    a->threshold = limit;
    a->nevidence = st->self_attempts < 4 ? st->self_attempts : 4;
    for (uint32_t i = 0; i < a->nevidence; i++) /* oldest of the last four first */
        a->evidence[i] = seqs[(st->self_attempts - a->nevidence + i) % 4];
    return 1;
}

static int on_accepted(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    const cets_order_info *o = &ev->u.order;
    surv_counts *c = counts(s, e, o->participant);
    if (!c) return 0;
    c->orders++;
    if (o->tif == CETS_TIF_IOC) return 0; /* takes and IOC orders trade at resting prices */
    c->posts++;
    int64_t far = e->pv[CETS_PARAM_SURV_FAR];
    if (!far || o->instrument >= e->ninst) return 0;
    const instrument *in = &e->inst[o->instrument];
    int64_t ref = in->day.trades[CETS_METHOD_LISTING] ? in->day.last : in->prev_close;
    int64_t dist = o->price > ref ? o->price - ref : ref - o->price;
    if (ref <= 0 || dist * 10000 <= far * ref) return 0;
    pientry *x = entry_of(s, &s->far, &c->far, o->instrument, 0); /* c: listed already */
    if (!x) return 0;
    int64_t figure = dist * 10000 / ref;
    if (x->alert) { /* once a day per participant and instrument: this one is added */
        /* x keeps the alert's count (n) and farthest figure (qty) too, so that
           adding to it only writes the alert: nothing waits for its line */
        cets_alert *a = &s->alerts[x->alert - 1];
        x->n++;
        if (x->n <= 4) {
            a->evidence[x->n - 1] = o->order_id;
            a->nevidence = x->n;
        }
        a->occurrences = x->n;
        if (figure > x->qty) {
            x->qty = figure;
            a->figure = figure;
            a->count[0] = o->price;
            a->count[1] = ref;
        }
        return 0;
    }
    cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_FAR, o->participant, o->instrument);
    if (!a) return 0;
    x->alert = s->nalerts;
    x->n = 1;
    x->qty = figure;
    alert_figures(a, figure, far, o->price, ref, &o->order_id, 1);
    return 1;
}

/* An order its owner cancelled soon after its entry counts for post_cancel. */
static void on_done(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    const cets_order_info *o = &ev->u.done.order;
    if (ev->u.done.why != CETS_DONE_CANCELLED || o->tif == CETS_TIF_IOC) return;
    if (ev->ts - o->ts > e->pv[CETS_PARAM_SURV_CANCEL_WINDOW] * 1000000000LL) return;
    surv_counts *c = counts(s, e, o->participant);
    if (!c) return;
    if (c->quick < 4) {
        if (engine_vec_grow((void **)&s->qlog, &s->capqlog, s->nqlog + 1, sizeof *s->qlog))
            s->qlog[s->nqlog++] = (qcancel){o->participant, o->order_id};
        else /* no room for the log: straight in */
            keep_id(s->cold[o->participant].quick_ids, c->quick, o->order_id);
    }
    c->quick++;
}

/* The logged quick cancels into their owners' evidence, in order (an order
 * id is never 0: the first free place is the next). */
static void qlog_flush(cets_surveil *s)
{
    for (uint32_t i = 0; i < s->nqlog; i++) {
        uint64_t *ids = s->cold[s->qlog[i].pid].quick_ids;
        for (int j = 0; j < 4; j++)
            if (!ids[j]) {
                ids[j] = s->qlog[i].id;
                break;
            }
    }
    s->nqlog = 0;
}

/* ramping: one side of a listing trade in the window */
static void ramp_side(cets_surveil *s, pstat *st, const cets_trade *t)
{
    pientry *x = st ? entry_of(s, &s->ramp, &st->ramp_head, t->instrument, 0) : NULL;
    if (!x) return;
    keep_id(x->ids, x->n, t->trade_id);
    x->n++;
    x->qty += t->qty;
}

/* related: a trade between a declared pair, one alert per pair, instrument
 * and day (the lower id's, counterparty the other); the later trades are
 * added to it. */
static int related_trade(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    const cets_trade *t = &ev->u.trade;
    uint32_t lo = t->buyer < t->seller ? t->buyer : t->seller;
    uint32_t hi = t->buyer < t->seller ? t->seller : t->buyer;
    pstat *st = stat_of(s, lo);
    pientry *x = st ? entry_of(s, &s->rel, &st->rel_head, t->instrument, hi) : NULL;
    if (!x) return 0;
    if (x->alert) {
        cets_alert *a = &s->alerts[x->alert - 1];
        keep_id(a->evidence, a->occurrences, t->trade_id);
        if (a->nevidence < 4) a->nevidence++;
        a->occurrences++;
        a->figure += t->qty;
        a->count[0] += t->qty;
        a->count[1] += t->value;
        return 0;
    }
    cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_RELATED, lo, t->instrument);
    if (!a) return 0;
    x->alert = s->nalerts;
    alert_figures(a, t->qty, 1, t->qty, t->value, &t->trade_id, 1);
    a->counterparty = hi;
    return 1;
}

static int on_trade(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    const cets_trade *t = &ev->u.trade;
    if (engine_counts_trades(s, e)) { /* listed among today's; the engine counts */
        touch(s, t->buyer);
        touch(s, t->seller);
    } else {
        surv_counts *b = counts(s, e, t->buyer), *se = counts(s, e, t->seller);
        if (b) b->trades++;
        if (se) se->trades++;
    }
    int n = e->nrelated && e->pv[CETS_PARAM_SURV_RELATED] && cets_related(e, t->buyer, t->seller)
                ? related_trade(s, e, ev)
                : 0;
    int64_t minutes = e->pv[CETS_PARAM_SURV_RAMP_MINUTES];
    if (!minutes || t->method != CETS_METHOD_LISTING || t->instrument >= CETS_MAX_INSTRUMENTS)
        return n;
    rinst *r = &s->ri[t->instrument];
    if (t->ts < e->eod_from - minutes * 60 * 1000000000LL) {
        r->before_qty += t->qty;
        r->before_value += t->value;
        return n;
    }
    r->volume += t->qty;
    ramp_side(s, stat_of(s, t->buyer), t);
    ramp_side(s, stat_of(s, t->seller), t);
    return n;
}

/* ramping: the close moved more than surv.ramp.move over the window, and
 * who traded more than surv.ramp.share of the window's volume */
static int ramp_check(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    const cets_day_stats *d = &ev->u.stats;
    const rinst *r = &s->ri[d->instrument];
    int64_t move = e->pv[CETS_PARAM_SURV_RAMP_MOVE], share = e->pv[CETS_PARAM_SURV_RAMP_SHARE];
    /* the close without the window: the day's listing trades before it */
    int64_t ref = r->before_qty ? div_half_up(r->before_value, r->before_qty) : d->prev_close;
    int64_t dist = d->close > ref ? d->close - ref : ref - d->close;
    if (!e->pv[CETS_PARAM_SURV_RAMP_MINUTES] || !r->volume || ref <= 0 ||
        dist * 10000 <= move * ref)
        return 0;
    int n = 0;
    for (uint32_t k = 0; k < s->ntouched; k++) {
        uint32_t pid = s->touched[k];
        const pientry *x = NULL;
        for (uint32_t i = s->p[pid].ramp_head; i && !x; i = s->ramp.v[i - 1].next)
            if (s->ramp.v[i - 1].iid == d->instrument) x = &s->ramp.v[i - 1];
        if (!x || x->qty * 10000 <= share * r->volume) continue;
        cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_RAMP, pid, d->instrument);
        if (!a) return n;
        alert_figures(a, dist * 10000 / ref, move, x->qty, r->volume, x->ids, x->n);
        n++;
    }
    return n;
}

static int on_day_stats(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    int64_t limit = e->pv[CETS_PARAM_SURV_VOLUME_SHARE];
    const cets_day_stats *d = &ev->u.stats;
    if (d->instrument >= CETS_MAX_INSTRUMENTS) return 0;
    int n = ramp_check(s, e, ev);
    if (!limit || d->total_volume < VOLUME_MIN) return n;
    for (uint32_t k = 0; k < s->ntouched; k++) { /* who traded today: touched by a trade */
        uint32_t pid = s->touched[k];
        if (pid > e->nparts || !trades_of(s, e, pid, false) || d->instrument >= e->ninst) continue;
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
    int64_t cratio = e->pv[CETS_PARAM_SURV_CANCEL_RATIO], cmin = e->pv[CETS_PARAM_SURV_CANCEL_MIN];
    int n = 0;
    qlog_flush(s);
    for (uint32_t k = 0; k < s->ntouched; k++) {
        uint32_t pid = s->touched[k];
        surv_counts *st = counts_at(s, e, pid);
        st->trades = trades_of(s, e, pid, true);
        uint32_t trades = st->trades ? st->trades : 1;
        if (ratio && st->orders >= min && st->orders > ratio * trades) {
            cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_ORDER_TRADE, pid, UINT32_MAX);
            if (a) {
                a->date = ev->u.day.closed_date;
                alert_figures(a, st->orders / trades, ratio, st->orders, st->trades, NULL, 1);
                a->nevidence = 0;
                n++;
            }
        }
        if (cratio && st->posts >= cmin && st->quick * 10000LL > cratio * st->posts) {
            cets_alert *a = raise_alert(s, e, ev, CETS_ALERT_POST_CANCEL, pid, UINT32_MAX);
            if (a) {
                a->date = ev->u.day.closed_date;
                alert_figures(a, st->quick * 10000LL / st->posts, cratio, st->quick, st->posts,
                              s->cold[pid].quick_ids, st->quick);
                n++;
            }
        }
        memset(st, 0, sizeof *st);
        memset(&s->p[pid], 0, sizeof s->p[pid]);
        memset(&s->cold[pid], 0, sizeof s->cold[pid]);
        s->tbits[pid / 64] &= ~(1ULL << (pid % 64));
    }
    s->ntouched = 0;
    s->far.n = s->ramp.n = s->rel.n = 0;
    memset(s->ri, 0, sizeof s->ri);
    return n;
}

int cets_surveil_event(cets_surveil *s, const cets_engine *e, const cets_event *ev)
{
    switch (ev->type) {
    case CETS_EV_REJECTED: return on_reject(s, e, ev);
    case CETS_EV_ACCEPTED: return on_accepted(s, e, ev);
    case CETS_EV_TRADE: return on_trade(s, e, ev);
    case CETS_EV_ORDER_DONE: on_done(s, e, ev); return 0;
    case CETS_EV_DAY_STATS: return on_day_stats(s, e, ev);
    case CETS_EV_DAY_CLOSED: return on_day_closed(s, e, ev);
    }
    return 0;
}

/* ---- the state in a snapshot (state.c, version 6) ----------------------- */

/* Written whole, so their layout is the format (layout.c pins cets_alert). */
_Static_assert(sizeof(pientry) == 64 && offsetof(pientry, qty) == 24 &&
                   offsetof(pientry, ids) == 32 && sizeof(pcold) == 64 && sizeof(rinst) == 24 &&
                   CETS_MAX_INSTRUMENTS == 64,
               "the surveillance's snapshot section changed layout: bump the state version");

/* Tonnes the rules multiply by 10,000 (basis points) without overflow. */
static bool tonnes_ok(int64_t v)
{
    return v >= 0 && v <= STATE_AMOUNT_MAX / 10000;
}

static bool amount_ok(int64_t v)
{
    return v >= -STATE_AMOUNT_MAX && v <= STATE_AMOUNT_MAX;
}

/* One list of today's entries; in a list an entry links only to one added
 * before it (entries are put at the head), so no walk can loop. */
static void k_pivec(codec *k, pivec *v, uint32_t nalerts, uint32_t nparts)
{
    k_array(k, (void **)&v->v, &v->n, &v->cap, sizeof *v->v);
    for (uint32_t i = 0; k->reading && !k->err && i < v->n; i++)
        if (v->v[i].next > i || v->v[i].iid >= CETS_MAX_INSTRUMENTS || v->v[i].alert > nalerts ||
            v->v[i].other > nparts || !tonnes_ok(v->v[i].qty))
            k->err = "snapshot surveillance section is corrupt";
}

static const char *alerts_check(const cets_surveil *s, const cets_engine *e)
{
    for (uint32_t i = 0; i < s->nalerts; i++) {
        const cets_alert *a = &s->alerts[i];
        if (a->id != i + 1 || a->rule < CETS_ALERT_SELF_TRADE || a->rule > CETS_ALERT_RELATED ||
            a->nevidence > 4 || a->participant < 1 || a->participant > e->nparts ||
            a->counterparty > e->nparts || !amount_ok(a->figure) || !amount_ok(a->count[0]) ||
            !amount_ok(a->count[1]) ||
            (a->instrument != UINT32_MAX && a->instrument >= CETS_MAX_INSTRUMENTS))
            return "snapshot surveillance alerts are corrupt";
    }
    return NULL;
}

/* A participant with anything today: its id, counters and evidence. */
static void k_touched(codec *k, cets_surveil *s, const cets_engine *e, uint32_t i)
{
    uint32_t pid = k->reading ? 0 : s->touched[i];
    K(k, pid);
    pstat tmp, *st = &tmp;
    memset(&tmp, 0, sizeof tmp);
    if (!k->reading) {
        st = &s->p[pid];
    } else if (!k->err && (pid < 1 || pid > e->nparts || is_touched(s, pid))) {
        k->err = "snapshot surveillance section is corrupt"; /* unknown, or twice */
        return;
    }
    surv_counts *c = k->reading ? &tmp.c : counts_at(s, e, pid); /* read: s is detached */
    if (!k->reading) c->trades = trades_of(s, e, pid, false);    /* the same figure either way */
    K(k, st->self_attempts);
    K(k, c->orders);
    K(k, c->trades);
    K(k, c->posts);
    K(k, c->quick);
    K(k, c->far);
    K(k, st->ramp_head);
    K(k, st->rel_head);
    uint8_t alerted = st->self_alerted;
    K(k, alerted);
    pcold cold;
    if (!k->reading) cold = s->cold[pid];
    K(k, cold);
    if (!k->reading || k->err) return;
    if (alerted > 1 || tmp.c.far > s->far.n || st->ramp_head > s->ramp.n ||
        st->rel_head > s->rel.n) {
        k->err = "snapshot surveillance section is corrupt";
        return;
    }
    pstat *to = stat_of(s, pid); /* adds it to the touched list, in the order written */
    if (!to) {
        k->err = "out of memory";
        return;
    }
    tmp.self_alerted = alerted;
    *to = tmp;
    s->cold[pid] = cold;
}

void surveil_codec(codec *k, cets_surveil *s, const cets_engine *e)
{
    if (!k->reading) qlog_flush(s); /* the evidence as pcold holds it */
    k_array(k, (void **)&s->alerts, &s->nalerts, &s->capalerts, sizeof *s->alerts);
    if (k->reading && !k->err) k->err = alerts_check(s, e);
    k_pivec(k, &s->far, s->nalerts, e->nparts);
    k_pivec(k, &s->ramp, s->nalerts, e->nparts);
    k_pivec(k, &s->rel, s->nalerts, e->nparts);
    uint32_t n = s->ntouched;
    K(k, n);
    if (k->reading && !k->err && n > e->nparts) k->err = "snapshot surveillance section is corrupt";
    for (uint32_t i = 0; i < n && !k->err; i++) k_touched(k, s, e, i);
    k_bytes(k, s->ri, sizeof s->ri);
    for (uint32_t i = 0; k->reading && !k->err && i < CETS_MAX_INSTRUMENTS; i++)
        if (!tonnes_ok(s->ri[i].volume) || !tonnes_ok(s->ri[i].before_qty) ||
            s->ri[i].before_value < 0 || s->ri[i].before_value > STATE_AMOUNT_MAX ||
            (s->ri[i].before_qty ? s->ri[i].before_value / s->ri[i].before_qty > STATE_PRICE_MAX
                                 : s->ri[i].before_value != 0))
            k->err = "snapshot surveillance section is corrupt";
}
