/* registry.c -- the allowances' life outside trading: allocation (with the
 * basis recorded and past shortfalls withheld), verified emissions,
 * surrender against an obligation (current vintage first, CCER at most 5%),
 * voluntary cancellation, four-eyes transfers, judicial freeze, and deadline
 * processing.
 *
 * Surrendered and cancelled units are retired: they leave every holding and
 * are counted per instrument, so holdings always sum to issued - retired.
 * Every movement is a CETS_EV_REGISTRY event, the input of the audit log.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static bool is_authority(const cets_engine *e, uint32_t actor)
{
    return actor >= 1 && actor <= e->nparts && e->gates[actor].kind == CETS_PK_AUTHORITY;
}

static void emit_move(cets_engine *e, const cets_registry_move *m)
{
    cets_event ev = {.type = CETS_EV_REGISTRY};
    ev.u.reg = *m;
    engine_emit(e, &ev);
}

static cets_compliance *comp_find(cets_engine *e, uint32_t pid, int32_t year)
{
    for (uint32_t i = e->parts[pid].comp_head; i; i = e->comp_next[i - 1])
        if (e->comp[i - 1].year == year) return &e->comp[i - 1];
    return NULL;
}

static cets_compliance *comp_add(cets_engine *e, uint32_t pid, int32_t year)
{
    if (!engine_vec_grow((void **)&e->comp, &e->capcomp, e->ncomp + 1, sizeof *e->comp) ||
        !engine_vec_grow((void **)&e->comp_next, &e->capcomp_next, e->ncomp + 1,
                         sizeof *e->comp_next))
        return NULL;
    cets_compliance *c = &e->comp[e->ncomp];
    memset(c, 0, sizeof *c);
    c->participant = pid;
    c->year = year;
    e->comp_next[e->ncomp] = e->parts[pid].comp_head;
    e->parts[pid].comp_head = ++e->ncomp;
    return c;
}

static int check_entity(const cets_engine *e, uint32_t pid)
{
    if (pid < 1 || pid > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    return e->gates[pid].kind == CETS_PK_ENTITY ? CETS_OK : CETS_NOT_ENTITY;
}

/* What a year's shortfall still owes (0 before the deadline). */
static int64_t comp_owed(const cets_compliance *r)
{
    return r->status == CETS_COMPLIANCE_SHORTFALL ? r->shortfall - r->withheld - r->late_surrendered
                                                  : 0;
}

/* q tonnes made up the shortfall of r: withheld, or surrendered late. The
 * record keeps the deadline's shortfall and penalty; once nothing is owed the
 * year is settled on today's date (docs/rules.md "Deadline"). */
static void comp_settle(cets_engine *e, cets_compliance *r, int64_t q, bool by_withholding)
{
    *(by_withholding ? &r->withheld : &r->late_surrendered) += q;
    if (comp_owed(r) == 0) {
        r->status = CETS_COMPLIANCE_SETTLED;
        r->settled_date = e->date;
    }
}

/* Tonnes withheld from an allocation make up past shortfalls, oldest year first. */
static void settle_shortfalls(cets_engine *e, uint32_t pid, int64_t withheld)
{
    while (withheld > 0) {
        cets_compliance *oldest = NULL;
        for (uint32_t i = e->parts[pid].comp_head; i; i = e->comp_next[i - 1])
            if (comp_owed(&e->comp[i - 1]) > 0 && (!oldest || e->comp[i - 1].year < oldest->year))
                oldest = &e->comp[i - 1];
        if (!oldest) return;
        int64_t owed = comp_owed(oldest), q = owed < withheld ? owed : withheld;
        comp_settle(e, oldest, q, true);
        withheld -= q;
    }
}

static int allocate(cets_engine *e, const cets_cmd *c)
{
    int rc = check_entity(e, c->participant);
    if (rc) return rc;
    if (c->instrument >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    if (e->inst[c->instrument].product != CETS_PRODUCT_CEA) return CETS_NOT_ALLOWANCE;
    if ((c->aux != 0 && c->aux != 1) || c->qty == 0 || (c->qty < 0 && c->aux == 0) ||
        c->qty > 10000000000LL || c->u.args[0] < 0 || c->u.args[1] < 0)
        return CETS_BAD_ARGUMENT;
    holding *h = engine_holding(e, c->participant, c->instrument);
    if (c->qty < 0 && -c->qty > h->avail) /* a true-up that takes back */
        return CETS_INSUFFICIENT_HOLDINGS;
    participant *p = &e->parts[c->participant];
    int64_t deducted = c->qty > 0 ? (p->owed < c->qty ? p->owed : c->qty) : 0;
    int64_t issued = c->qty - deducted;
    p->owed -= deducted;
    settle_shortfalls(e, c->participant, deducted);
    h->avail += issued;
    e->inst[c->instrument].issued += issued;
    cets_registry_move m = {.kind = CETS_REG_ALLOCATE,
                            .compulsory = (uint8_t)c->aux,
                            .participant = c->participant,
                            .instrument = c->instrument,
                            .user = c->user,
                            .qty = issued,
                            .deducted = deducted,
                            .output = c->u.args[0],
                            .benchmark = c->u.args[1]};
    emit_move(e, &m);
    return CETS_OK;
}

static int emissions(cets_engine *e, const cets_cmd *c)
{
    int rc = check_entity(e, c->participant);
    if (rc) return rc;
    if (c->aux < 2000 || c->aux > 2200 || c->qty < 0 || c->qty > 10000000000LL)
        return CETS_BAD_ARGUMENT;
    cets_compliance *r = comp_find(e, c->participant, (int32_t)c->aux);
    if ((r && r->status != CETS_COMPLIANCE_OPEN) || cets_year_closed(e, (int32_t)c->aux))
        return CETS_YEAR_CLOSED;
    if (r && r->surrendered_cea + r->surrendered_ccer > c->qty) return CETS_OVER_SURRENDER;
    if (!r && !(r = comp_add(e, c->participant, (int32_t)c->aux))) return CETS_CAPACITY;
    r->obligation = c->qty;
    cets_registry_move m = {.kind = CETS_REG_EMISSIONS,
                            .participant = c->participant,
                            .user = c->user,
                            .year = (int32_t)c->aux,
                            .qty = c->qty,
                            .obligation = c->qty};
    emit_move(e, &m);
    return CETS_OK;
}

int cets_vintage_of_year(const cets_engine *e, int32_t year)
{
    char code[CETS_CODE_LEN];
    if (year == 2019 || year == 2020)
        memcpy(code, "CEA1920", 8);
    else
        snprintf(code, sizeof code, "CEA%02d", (int)(year % 100));
    return cets_instrument_find(e, code);
}

typedef struct plan_item {
    uint32_t iid;
    int64_t qty;
} plan_item;

/* What a surrender takes: the named instruments, or the year's vintage
 * first and then the other CEA vintages, oldest first. */
static int surrender_plan(cets_engine *e, const cets_cmd *c, plan_item *plan, int *n)
{
    *n = 0;
    if (c->ntargets) {
        if (c->ntargets > CETS_MAX_TARGETS) return CETS_TOO_MANY_TARGETS;
        for (int i = 0; i < c->ntargets; i++) {
            uint64_t iid = c->u.targets[i].order_id;
            int64_t q = c->u.targets[i].qty;
            if (iid >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
            if (q <= 0) return CETS_BAD_ARGUMENT;
            for (int j = 0; j < i; j++)
                if (plan[j].iid == iid) return CETS_DUPLICATE_TARGET;
            if (q > engine_holding(e, c->participant, (uint32_t)iid)->avail)
                return CETS_INSUFFICIENT_HOLDINGS;
            plan[(*n)++] = (plan_item){(uint32_t)iid, q};
        }
        return CETS_OK;
    }
    if (c->qty <= 0) return CETS_BAD_ARGUMENT;
    int64_t left = c->qty;
    int first = cets_vintage_of_year(e, (int32_t)c->aux);
    for (int pass = 0; pass < 2 && left > 0; pass++) {
        for (uint32_t i = 0; i < e->ninst && left > 0; i++) {
            if (e->inst[i].product != CETS_PRODUCT_CEA || (pass == 0) != ((int)i == first))
                continue;
            int64_t have = engine_holding(e, c->participant, i)->avail;
            int64_t q = have < left ? have : left;
            if (q > 0) {
                plan[(*n)++] = (plan_item){i, q};
                left -= q;
            }
        }
    }
    return left > 0 ? CETS_INSUFFICIENT_HOLDINGS : CETS_OK;
}

static int surrender(cets_engine *e, const cets_cmd *c)
{
    int rc = check_entity(e, c->participant);
    if (rc) return rc;
    bool compulsory = is_authority(e, c->actor);
    if (!compulsory && c->actor != c->participant) return CETS_NOT_AUTHORISED;
    if (!compulsory && (rc = risk_check_movement(e, c->participant))) return rc;
    cets_compliance *r = comp_find(e, c->participant, (int32_t)c->aux);
    if (!r) return CETS_NO_OBLIGATION;
    if (r->status != CETS_COMPLIANCE_OPEN && !compulsory) return CETS_YEAR_CLOSED;
    plan_item plan[CETS_MAX_INSTRUMENTS];
    int n;
    if ((rc = surrender_plan(e, c, plan, &n))) return rc;
    int64_t cea = 0, ccer = 0;
    for (int i = 0; i < n; i++)
        *(e->inst[plan[i].iid].product == CETS_PRODUCT_CCER ? &ccer : &cea) += plan[i].qty;
    if ((r->surrendered_ccer + ccer) * 10000 > r->obligation * e->cfg.ccer_cap_bp)
        return CETS_CCER_CAP;
    if (r->surrendered_cea + r->surrendered_ccer + r->withheld + cea + ccer > r->obligation)
        return CETS_OVER_SURRENDER;
    /* act */
    for (int i = 0; i < n; i++) {
        engine_holding(e, c->participant, plan[i].iid)->avail -= plan[i].qty;
        e->inst[plan[i].iid].retired += plan[i].qty;
        cets_registry_move m = {.kind = CETS_REG_SURRENDER,
                                .compulsory = compulsory,
                                .participant = c->participant,
                                .instrument = plan[i].iid,
                                .user = c->user,
                                .year = r->year,
                                .qty = plan[i].qty,
                                .obligation = r->obligation};
        emit_move(e, &m);
    }
    r->surrendered_cea += cea;
    r->surrendered_ccer += ccer;
    if (r->status != CETS_COMPLIANCE_OPEN) { /* after the deadline: less is owed */
        int64_t fixed = cea + ccer;          /* at most what was owed: the check above */
        participant *p = &e->parts[c->participant];
        p->owed -= fixed < p->owed ? fixed : p->owed;
        comp_settle(e, r, fixed, false);
    }
    e->res->filled_qty = cea + ccer;
    return CETS_OK;
}

static int retire(cets_engine *e, const cets_cmd *c)
{
    if (c->participant < 1 || c->participant > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (c->actor != c->participant) return CETS_NOT_AUTHORISED;
    int rc = risk_check_movement(e, c->participant);
    if (rc) return rc;
    if (c->instrument >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    if (c->qty <= 0) return CETS_BAD_ARGUMENT;
    char text[CETS_NAME_LEN];
    memcpy(text, c->u.text, sizeof text);
    text[CETS_NAME_LEN - 1] = 0;
    const char *bar = strchr(text, '|');
    if (!bar || bar == text || !bar[1]) return CETS_BAD_TEXT;
    if ((rc = risk_check_holding(e, c->participant, c->instrument, c->qty))) return rc;
    engine_holding(e, c->participant, c->instrument)->avail -= c->qty;
    e->inst[c->instrument].retired += c->qty;
    cets_registry_move m = {.kind = CETS_REG_RETIRE,
                            .participant = c->participant,
                            .instrument = c->instrument,
                            .user = c->user,
                            .qty = c->qty};
    memcpy(m.text, text, sizeof m.text);
    emit_move(e, &m);
    return CETS_OK;
}

static cets_transfer_info *transfer_find(cets_engine *e, uint64_t id)
{
    return id >= 1 && id <= e->ntransfers ? &e->transfers[id - 1] : NULL;
}

static int transfer_request(cets_engine *e, const cets_cmd *c)
{
    uint32_t from = c->participant, to = c->counterparty;
    if (from < 1 || from > e->nparts || to < 1 || to > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (c->actor != from) return CETS_NOT_AUTHORISED;
    int rc = risk_check_movement(e, from);
    if (rc) return rc;
    if (c->instrument >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    if (to == from || c->qty <= 0 || c->user == 0) return CETS_BAD_ARGUMENT;
    if ((rc = risk_check_product(e, to, c->instrument)) ||
        (rc = risk_check_holding(e, from, c->instrument, c->qty)) ||
        (rc = limits_check(e, to, c->instrument, c->qty)))
        return rc;
    if (!engine_vec_grow((void **)&e->transfers, &e->captransfers, e->ntransfers + 1,
                         sizeof *e->transfers))
        return CETS_CAPACITY;
    cets_transfer_info *t = &e->transfers[e->ntransfers++];
    memset(t, 0, sizeof *t);
    *t = (cets_transfer_info){.id = e->ntransfers,
                              .from = from,
                              .to = to,
                              .instrument = c->instrument,
                              .user = c->user,
                              .qty = c->qty,
                              .ts = c->ts,
                              .status = 1};
    risk_hold(e, from, c->instrument, CETS_SELL, c->qty);
    e->res->order_id = t->id;
    cets_registry_move m = {.kind = CETS_REG_TRANSFER_REQUEST,
                            .participant = from,
                            .counterparty = to,
                            .instrument = c->instrument,
                            .user = c->user,
                            .qty = c->qty,
                            .ref = t->id};
    emit_move(e, &m);
    return CETS_OK;
}

static int transfer_decide(cets_engine *e, const cets_cmd *c)
{
    cets_transfer_info *t = transfer_find(e, c->order_id);
    if (!t || t->status != 1) return CETS_UNKNOWN_TRANSFER;
    if (c->actor != t->from && c->actor != CETS_EXCHANGE_ID) return CETS_NOT_OWNER;
    bool approve = c->type == CETS_CMD_TRANSFER_APPROVE;
    if (approve && (c->user == 0 || c->user == t->user)) return CETS_FOUR_EYES;
    int rc;
    if (approve && ((rc = risk_check_movement(e, t->from)) ||
                    (rc = limits_check(e, t->to, t->instrument, t->qty))))
        return rc;
    risk_hold(e, t->from, t->instrument, CETS_SELL, -t->qty);
    if (approve) {
        engine_holding(e, t->from, t->instrument)->avail -= t->qty;
        engine_holding(e, t->to, t->instrument)->avail += t->qty;
    }
    t->status = approve ? 2 : 3;
    cets_registry_move m = {.kind = approve ? CETS_REG_TRANSFER_APPROVE : CETS_REG_TRANSFER_REJECT,
                            .participant = t->from,
                            .counterparty = t->to,
                            .instrument = t->instrument,
                            .user = c->user,
                            .qty = t->qty,
                            .ref = t->id};
    emit_move(e, &m);
    return CETS_OK;
}

/* Nothing of a frozen participant may move: cancel its live orders, withdraw
 * its block quotes and proposals, drop its auction bids, cancel its auctions. */
static void freeze_open_business(cets_engine *e, uint32_t pid)
{
    for (uint32_t i = 0; i < e->ninst; i++) {
        book *b = &e->inst[i].bk;
        side_book *sides[2] = {&b->bid, &b->ask};
        for (int s = 0; s < 2; s++) {
            for (int32_t idx = sides[s]->best; idx >= 0;) {
                uint32_t slot = sides[s]->levels[idx].head;
                int32_t next = book_next(sides[s], b->nlevels, s == 0, s == 0 ? idx - 1 : idx + 1);
                while (slot) {
                    uint32_t after = e->orders[slot].next;
                    if (e->orders[slot].participant == pid) {
                        e->touched |= 1ULL << i;
                        trading_end_order(e, slot, CETS_DONE_CANCELLED, true);
                    }
                    slot = after;
                }
                idx = next;
            }
        }
    }
    block_withdraw_all(e, pid);
    auction_drop_participant(e, pid);
}

static int judicial(cets_engine *e, const cets_cmd *c)
{
    if (!is_authority(e, c->actor) && c->actor != CETS_EXCHANGE_ID) return CETS_NOT_AUTHORISED;
    if (c->participant < 2 || c->participant > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (c->aux != 0 && c->aux != 1) return CETS_BAD_ARGUMENT;
    e->gates[c->participant].status = c->aux ? CETS_PS_FROZEN : CETS_PS_ACTIVE;
    if (c->aux) freeze_open_business(e, c->participant);
    cets_registry_move m = {.kind = c->aux ? CETS_REG_FREEZE : CETS_REG_UNFREEZE,
                            .participant = c->participant,
                            .user = c->user};
    emit_move(e, &m);
    return CETS_OK;
}

/* After the surrender deadline: each open obligation of the year is closed;
 * a shortfall is recorded, a penalty assessed (shortfall x composite price x
 * multiple), and the shortfall withheld from the entity's next allocations. */
static int deadline(cets_engine *e, const cets_cmd *c)
{
    if (c->aux < 2000 || c->aux > 2200) return CETS_BAD_ARGUMENT;
    int32_t year = (int32_t)c->aux;
    if (cets_year_closed(e, year)) return CETS_YEAR_CLOSED;
    if (!engine_vec_grow((void **)&e->closed_years, &e->capclosed_years, e->nclosed_years + 1,
                         sizeof *e->closed_years))
        return CETS_CAPACITY;
    e->closed_years[e->nclosed_years++] = year;
    int64_t price = cets_composite_price(e);
    for (uint32_t pid = 1; pid <= e->nparts; pid++) {
        cets_compliance *r = e->parts[pid].comp_head ? comp_find(e, pid, year) : NULL;
        if (!r || r->status != CETS_COMPLIANCE_OPEN) continue;
        int64_t shortfall = r->obligation - r->surrendered_cea - r->surrendered_ccer;
        r->shortfall = shortfall;
        r->penalty = shortfall * price / 10000 * e->cfg.penalty_multiple_bp +
                     (shortfall * price % 10000 * e->cfg.penalty_multiple_bp + 5000) / 10000;
        r->status = shortfall ? CETS_COMPLIANCE_SHORTFALL : CETS_COMPLIANCE_COMPLIANT;
        e->parts[pid].owed += shortfall;
        cets_registry_move m = {.kind = CETS_REG_DEADLINE,
                                .participant = pid,
                                .user = c->user,
                                .year = year,
                                .obligation = r->obligation,
                                .qty = r->surrendered_cea + r->surrendered_ccer,
                                .shortfall = shortfall,
                                .penalty = r->penalty};
        emit_move(e, &m);
    }
    return CETS_OK;
}

bool registry_message(const cets_config *cfg, int code, char *buf, size_t len)
{
    if (code != CETS_CCER_CAP) return false;
    char p[16];
    snprintf(buf, len, "CCER may cover at most %s of an obligation",
             fmt_percent(cfg->ccer_cap_bp, p, sizeof p));
    return true;
}

int registry_apply(cets_engine *e, const cets_cmd *c)
{
    switch (c->type) {
    case CETS_CMD_SURRENDER: return surrender(e, c);
    case CETS_CMD_RETIRE: return retire(e, c);
    case CETS_CMD_TRANSFER: return transfer_request(e, c);
    case CETS_CMD_TRANSFER_APPROVE:
    case CETS_CMD_TRANSFER_REJECT: return transfer_decide(e, c);
    case CETS_CMD_JUDICIAL: return judicial(e, c);
    }
    if (!is_authority(e, c->actor)) return CETS_NOT_AUTHORISED;
    switch (c->type) {
    case CETS_CMD_ALLOCATE: return allocate(e, c);
    case CETS_CMD_EMISSIONS: return emissions(e, c);
    case CETS_CMD_DEADLINE: return deadline(e, c);
    }
    return CETS_BAD_COMMAND;
}

int cets_compliance_get(const cets_engine *e, uint32_t pid, int32_t year, cets_compliance *out)
{
    if (pid < 1 || pid > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    const cets_compliance *r = comp_find((cets_engine *)e, pid, year);
    if (!r) return CETS_NO_OBLIGATION;
    *out = *r;
    return CETS_OK;
}

void cets_compliance_foreach(const cets_engine *e, int32_t year,
                             void (*fn)(void *ctx, const cets_compliance *c), void *ctx)
{
    for (uint32_t pid = 1; pid <= e->nparts; pid++)
        for (uint32_t i = e->parts[pid].comp_head; i; i = e->comp_next[i - 1])
            if (!year || e->comp[i - 1].year == year) fn(ctx, &e->comp[i - 1]);
}

int cets_transfer_get(const cets_engine *e, uint64_t id, cets_transfer_info *out)
{
    const cets_transfer_info *t = transfer_find((cets_engine *)e, id);
    if (!t) return CETS_UNKNOWN_TRANSFER;
    *out = *t;
    return CETS_OK;
}

void cets_transfers_foreach(const cets_engine *e, uint32_t pid,
                            void (*fn)(void *ctx, const cets_transfer_info *t), void *ctx)
{
    for (uint32_t i = 0; i < e->ntransfers; i++)
        if (!pid || e->transfers[i].from == pid || e->transfers[i].to == pid)
            fn(ctx, &e->transfers[i]);
}

int64_t cets_deduction_owed(const cets_engine *e, uint32_t pid)
{
    return pid >= 1 && pid <= e->nparts ? e->parts[pid].owed : 0;
}
