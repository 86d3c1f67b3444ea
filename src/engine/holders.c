/* holders.c -- the large-holder report.
 *
 * A holder is large in an instrument when its whole holding (available,
 * frozen and bought today) is above large.share of the instrument's
 * issuance, or above large.tonnes (parameters, params.c; either may be 0,
 * off). The report is computed when asked, from the holdings now or from
 * the last closed day's closing holdings (hlast), so it keeps no state of
 * its own: one pass over the participants x instruments matrix. At the end
 * of the day, a holding whose opening and closing amounts fall on the two
 * sides of the threshold crossed it, and is a LARGE_HOLDER event, in the
 * same order on every replay.
 */
#include "internal.h"

/* The threshold in tonnes for an instrument: held above it is large; -1 = none. */
static int64_t threshold(const cets_engine *e, uint32_t iid)
{
    int64_t share = e->pv[CETS_PARAM_LARGE_SHARE], tonnes = e->pv[CETS_PARAM_LARGE_TONNES];
    int64_t t = -1;
    if (share > 0 && e->inst[iid].issued > 0)
        t = (int64_t)((__int128)e->inst[iid].issued * share / 10000);
    if (tonnes > 0 && (t < 0 || tonnes < t)) t = tonnes;
    return t;
}

static void fill(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t held,
                 cets_large_holder *h)
{
    int64_t issued = e->inst[iid].issued;
    *h = (cets_large_holder){.participant = pid,
                             .instrument = iid,
                             .held = held,
                             .issued = issued,
                             .share_bp =
                                 issued > 0 ? (int64_t)((__int128)held * 10000 / issued) : 0};
}

uint32_t cets_large_holders(const cets_engine *e, bool last_day,
                            void (*fn)(void *ctx, const cets_large_holder *h), void *ctx)
{
    int64_t t[CETS_MAX_INSTRUMENTS];
    bool any = false;
    for (uint32_t i = 0; i < e->ninst; i++) any |= (t[i] = threshold(e, i)) >= 0;
    uint32_t n = 0;
    for (uint32_t p = 1; any && p <= e->nparts; p++) {
        const holding *row = &e->hold[(size_t)p * e->stride];
        const hday *day = &e->hlast[(size_t)p * e->stride];
        for (uint32_t i = 0; i < e->ninst; i++) {
            int64_t held =
                last_day ? day[i].close_qty : row[i].avail + row[i].frozen + row[i].locked;
            if (t[i] < 0 || held <= t[i]) continue;
            n++;
            if (fn) {
                cets_large_holder h;
                fill(e, p, i, held, &h);
                fn(ctx, &h);
            }
        }
    }
    return n;
}

void holders_day_end(cets_engine *e)
{
    int64_t t[CETS_MAX_INSTRUMENTS];
    bool any = false;
    for (uint32_t i = 0; i < e->ninst; i++) any |= (t[i] = threshold(e, i)) >= 0;
    if (!any || !e->fn) return;
    for (uint32_t p = 1; p <= e->nparts; p++) {
        const hday *day = &e->hlast[(size_t)p * e->stride];
        for (uint32_t i = 0; i < e->ninst; i++) {
            bool was = t[i] >= 0 && day[i].open_qty > t[i];
            bool is = t[i] >= 0 && day[i].close_qty > t[i];
            if (was == is) continue;
            cets_event ev = {.type = CETS_EV_LARGE_HOLDER};
            fill(e, p, i, day[i].close_qty, &ev.u.large);
            ev.u.large.above = is;
            engine_emit(e, &ev);
        }
    }
}
