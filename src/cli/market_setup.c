/* market_setup.c -- the simulated market before the bell.
 *
 * At 09:00 on the trading day the operator loads the calendar, lists the
 * instruments the date had (the CEA vintages issued by then, CCER from its
 * relaunch: scenario.c) and opens the participants' accounts: mostly
 * compliance entities, with the scenario's shares of institutions and
 * individuals (who may trade CCER only). All of it goes through the pipeline
 * as ordinary journaled operator commands, so a replay of the journal
 * rebuilds it exactly.
 *
 * Sizes are the scenario's, of the real market's orders of magnitude:
 * entities hold funds of millions to hundreds of millions of CNY and
 * allocations of tens of thousands to millions of tonnes per vintage; every
 * amount comes from the seeded PRNG with integer arithmetic only (no libm),
 * so a seed gives the same market on every machine.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const char *regions[] = {"华北", "华东", "华南", "华中", "西北", "西南",   "东北",
                                "江苏", "浙江", "广东", "山东", "河北", "内蒙古", "山西",
                                "河南", "四川", "湖北", "安徽", "福建", "新疆"};
static const char *sectors[] = {"电力", "热电", "发电", "钢铁", "水泥", "铝业"};
static const char *firms[] = {"碳资产管理", "证券", "绿色投资", "能源交易", "资本"};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Roughly log-uniform in [lo, hi] without floating point: a random power of
 * two above lo, then uniform within that octave. */
static int64_t log_uniform(rng *r, int64_t lo, int64_t hi)
{
    if (lo <= 0 || hi < lo) return lo > 0 ? lo : 0;
    int octaves = 0;
    while ((lo << (octaves + 1)) <= hi) octaves++;
    int64_t base = lo << rng_below(r, (uint64_t)octaves + 1);
    int64_t top = base * 2 < hi ? base * 2 : hi;
    return rng_range(r, base, top);
}

static void participant_name(rng *r, int kind, uint32_t n, char *name)
{
    if (kind == CETS_PK_ENTITY)
        snprintf(name, CETS_NAME_LEN, "%s%s有限公司 #%05u", regions[rng_below(r, COUNT(regions))],
                 sectors[rng_below(r, COUNT(sectors))], n);
    else if (kind == CETS_PK_INSTITUTION)
        snprintf(name, CETS_NAME_LEN, "%s%s公司 #%05u", regions[rng_below(r, COUNT(regions))],
                 firms[rng_below(r, COUNT(firms))], n);
    else
        snprintf(name, CETS_NAME_LEN, "个人投资者 #%05u", n);
}

static int admin(sim_pipeline *p, int64_t *ts, int type, uint32_t pid, uint32_t iid, int64_t qty,
                 int64_t aux, uint32_t *id_out)
{
    cets_cmd c = {.type = (uint8_t)type,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = pid,
                  .instrument = iid,
                  .qty = qty,
                  .aux = aux};
    *ts += 10000; /* 10 us apart, as a bulk load would be */
    return pl_submit(p, &c, *ts, id_out);
}

/* Kinds in a seeded random order, in the scenario's proportions. */
static void kinds_assign(sim_market *m, rng *r)
{
    uint32_t n = m->nparts, nind = n * (uint32_t)m->sc->pct_individual / 100,
             ninst = n * (uint32_t)m->sc->pct_institution / 100;
    for (uint32_t i = 0; i < n; i++)
        m->kind[i] = i < nind           ? CETS_PK_INDIVIDUAL
                     : i < nind + ninst ? CETS_PK_INSTITUTION
                                        : CETS_PK_ENTITY;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)rng_below(r, i);
        uint8_t t = m->kind[i - 1];
        m->kind[i - 1] = m->kind[j];
        m->kind[j] = t;
    }
    for (uint32_t i = 0; i < n; i++) m->by_kind[m->kind[i]][m->nkind[m->kind[i]]++] = i;
}

static int setup_fail(sim_pipeline *p, const char *what)
{
    if (p->err[0] == '\0')
        snprintf(p->err, sizeof p->err, "setup: %s rejected: %s (%s)", what,
                 cets_reason_name(p->last_reject_code), cets_cmd_name(p->last_reject_type));
    return -1;
}

static int instruments_add(sim_pipeline *p, sim_market *m, int64_t *ts)
{
    sim_instrument list[SIM_INSTRUMENTS];
    m->ninstr = (uint32_t)scenario_instruments(m->sc, m->date, list);
    for (uint32_t i = 0; i < m->ninstr; i++) {
        const sim_instrument *s = &list[i];
        m->code[i] = s->code;
        cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                      .actor = CETS_EXCHANGE_ID,
                      .flags = CETS_MATCH_LISTING,
                      .price = s->prev_close,
                      .aux = s->product};
        snprintf(c.u.text, sizeof c.u.text, "%s", s->code);
        m->product[i] = s->product;
        m->weight[i] = s->weight;
        *ts += 10000;
        if (pl_submit(p, &c, *ts, &m->instr[i]) != 0) return -1;
    }
    return 0;
}

static int participants_add(sim_pipeline *p, sim_market *m, rng *r, int64_t *ts)
{
    for (uint32_t i = 0; i < m->nparts; i++) {
        cets_cmd c = {
            .type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = m->kind[i]};
        participant_name(r, m->kind[i], i + 2, c.u.text);
        *ts += 10000;
        if (pl_submit(p, &c, *ts, &m->pid[i]) != 0) return -1;
    }
    return 0;
}

/* Opening balances: funds and holdings per kind, in the scenario's ranges
 * (entities hold allowances of most vintages, CCER now and then). */
static int accounts_fund(sim_pipeline *p, sim_market *m, rng *r, int64_t *ts)
{
    const sim_scenario *sc = m->sc;
    for (uint32_t i = 0; i < m->nparts; i++) {
        int kind = m->kind[i];
        int ki = kind == CETS_PK_ENTITY ? 0 : kind == CETS_PK_INSTITUTION ? 1 : 2;
        int64_t yuan = log_uniform(r, sc->funds[ki].lo, sc->funds[ki].hi);
        if (admin(p, ts, CETS_CMD_DEPOSIT, m->pid[i], 0, yuan * 100, 0, NULL) != 0) return -1;
        const sim_range *h = &sc->holdings[ki];
        for (uint32_t k = 0; k < m->ninstr; k++) {
            int64_t qty = 0;
            bool ccer = m->product[k] == CETS_PRODUCT_CCER;
            if (kind == CETS_PK_ENTITY)
                qty = ccer ? (rng_chance(r, 300) ? log_uniform(r, 1000, 200000) : 0)
                           : (rng_chance(r, 800) ? log_uniform(r, h->lo, h->hi) : 0);
            else if (kind == CETS_PK_INSTITUTION)
                qty = rng_chance(r, ccer ? 500 : 600)
                          ? log_uniform(r, ccer ? 1000 : h->lo, ccer ? 100000 : h->hi)
                          : 0;
            else if (ccer)
                qty = rng_chance(r, 500) ? log_uniform(r, h->lo, h->hi) : 0;
            if (qty &&
                admin(p, ts, CETS_CMD_HOLDING_CREDIT, m->pid[i], m->instr[k], qty, 0, NULL) != 0)
                return -1;
        }
    }
    return 0;
}

int market_setup(sim_pipeline *p, sim_market *m, const sim_scenario *sc, uint64_t seed,
                 int32_t date, uint32_t participants, const int32_t *holidays, int nholidays)
{
    memset(m, 0, sizeof *m);
    m->sc = sc;
    rng r = {seed ^ 0x5E7C0DE5EEDULL};
    m->date = date;
    m->tz = cets_engine_config(p->core.e)->tz_offset_min;
    m->nparts = participants;
    m->pid = calloc(participants, sizeof *m->pid);
    m->kind = calloc(participants, sizeof *m->kind);
    for (int k = 0; k < 6; k++) m->by_kind[k] = calloc(participants, sizeof *m->by_kind[k]);
    if (!m->pid || !m->kind || !m->by_kind[5]) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return -1;
    }
    kinds_assign(m, &r);
    int64_t ts = cets_time_at(date, 9, 0, m->tz);
    uint64_t rejected = p->rejected;
    for (int i = 0; i < nholidays; i++) /* the past is no business of a new market */
        if (holidays[i] >= date &&
            admin(p, &ts, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, holidays[i], NULL) == 0)
            m->nholidays++;
    if (p->err[0]) return -1;
    if (instruments_add(p, m, &ts) != 0 || participants_add(p, m, &r, &ts) != 0 ||
        pl_flush(p) != 0 || p->rejected != rejected)
        return setup_fail(p, "a calendar, instrument or participant command");
    if (accounts_fund(p, m, &r, &ts) != 0 || pl_flush(p) != 0 || p->rejected != rejected)
        return setup_fail(p, "a deposit or holding credit");
    return 0;
}

void market_free(sim_market *m)
{
    free(m->pid);
    free(m->kind);
    for (int k = 0; k < 6; k++) free(m->by_kind[k]);
    memset(m, 0, sizeof *m);
}
