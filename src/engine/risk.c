/* risk.c -- the checks every way of trading shares, and reservations.
 *
 * Who may trade (kind, status), what it may trade (individuals: CCER only),
 * whether the market is open (halts, sessions), whether its funds or holdings
 * cover what it commits, whether a buy stays within the position limits
 * (limits.c), and the judicial freeze: trading, blocks, auctions
 * and the registry all ask here, so each rule has one home and one reason
 * code. The checks change nothing; risk_hold() moves amounts between
 * available and frozen once a command has passed them all.
 *
 * Suspension (participant_suspended) stops new business on the market:
 * orders, takes, modifications, block quotes, proposals and acceptances,
 * auction bids and initiating an auction; cancelling, declining and
 * withdrawing still work, and so do deposits, withdrawals, transfers,
 * retirements and surrenders. A judicial freeze (participant_frozen) stops
 * all that new business too and, beyond it, every movement of the frozen
 * participant's funds and holdings out of its account: withdrawals (by
 * itself or by the exchange), transfers (requesting and approving),
 * retirements and its own surrenders. The authority's compulsory surrender
 * and allocations still work; money and tonnes may still come in.
 */
#include "internal.h"

int risk_check_status(const cets_engine *e, uint32_t pid)
{
    uint8_t status = e->gates[pid].status;
    if (status == CETS_PS_SUSPENDED) return CETS_PARTICIPANT_SUSPENDED;
    if (status == CETS_PS_FROZEN) return CETS_PARTICIPANT_FROZEN;
    return CETS_OK;
}

int risk_check_movement(const cets_engine *e, uint32_t pid)
{
    return e->gates[pid].status == CETS_PS_FROZEN ? CETS_PARTICIPANT_FROZEN : CETS_OK;
}

/* The exchange and the authority run the market; they do not trade on it. */
static bool kind_trades(uint8_t kind)
{
    return kind != CETS_PK_EXCHANGE && kind != CETS_PK_AUTHORITY;
}

int risk_check_product(const cets_engine *e, uint32_t pid, uint32_t iid)
{
    return e->gates[pid].kind == CETS_PK_INDIVIDUAL && e->inst[iid].product != CETS_PRODUCT_CCER
               ? CETS_KIND_NOT_ALLOWED
               : CETS_OK;
}

bool risk_may_deal(const cets_engine *e, uint32_t pid, uint32_t iid)
{
    return kind_trades(e->gates[pid].kind) && risk_check_product(e, pid, iid) == CETS_OK;
}

int risk_check_halts(const cets_engine *e, uint32_t iid)
{
    if (e->market_halted) return CETS_MARKET_HALTED;
    if (e->inst[iid].status == CETS_IS_HALTED) return CETS_INSTRUMENT_HALTED;
    return CETS_OK;
}

int risk_check_trader(const cets_engine *e, const cets_cmd *c)
{
    if (c->participant < 1 || c->participant > e->nparts) return CETS_UNKNOWN_PARTICIPANT;
    if (c->actor != c->participant) return CETS_NOT_AUTHORISED;
    if (!kind_trades(e->gates[c->participant].kind)) return CETS_KIND_NOT_ALLOWED;
    return risk_check_status(e, c->participant);
}

int risk_check_market(const cets_engine *e, const cets_cmd *c, uint32_t iid)
{
    if (iid >= e->ninst) return CETS_UNKNOWN_INSTRUMENT;
    int rc;
    if ((rc = risk_check_product(e, c->participant, iid)) || (rc = risk_check_halts(e, iid)))
        return rc;
    if (e->cfg.enforce_sessions && !calendar_session_open(e, c->ts)) return CETS_SESSION_CLOSED;
    return CETS_OK;
}

int risk_check_holding(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t qty)
{
    if (!e->cfg.enforce_risk) return CETS_OK;
    const holding *h = &e->hold[(size_t)pid * e->stride + iid];
    if (qty <= h->avail) return CETS_OK;
    return qty <= h->avail + h->locked ? CETS_T1_LOCKED : CETS_INSUFFICIENT_HOLDINGS;
}

int risk_check_funds(const cets_engine *e, uint32_t pid, int64_t need)
{
    if (!e->cfg.enforce_risk || need <= e->parts[pid].avail) return CETS_OK;
    return CETS_INSUFFICIENT_FUNDS;
}

int risk_check_buy(const cets_engine *e, uint32_t pid, uint32_t iid, int64_t need, int64_t qty)
{
    int rc = risk_check_funds(e, pid, need);
    return rc ? rc : limits_any(e) ? limits_check(e, pid, iid, qty) : CETS_OK;
}

int risk_check_cover(const cets_engine *e, uint32_t pid, uint32_t iid, int side, int64_t need)
{
    return side == CETS_BUY ? risk_check_funds(e, pid, need)
                            : risk_check_holding(e, pid, iid, need);
}

void risk_hold(cets_engine *e, uint32_t pid, uint32_t iid, int side, int64_t amount)
{
    if (side == CETS_BUY) {
        participant *p = &e->parts[pid];
        p->avail -= amount;
        p->frozen += amount;
    } else {
        holding *h = engine_holding(e, pid, iid);
        h->avail -= amount;
        h->frozen += amount;
    }
}
