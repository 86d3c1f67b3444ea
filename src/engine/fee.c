/* fee.c -- the exchange's fees, for every trading method and side.
 *
 * One rate per method (listing and continuous, block, auction) and side:
 * cets_config.fee_ppm, parts per million, rounded half-up to the fen. Whoever
 * fills more than once (an order, an auction's initiator) is charged on its
 * cumulative filled value: each fill pays fee(cumulative value after it) minus
 * what was charged before, so the total is exactly the rate on the total
 * value, however many fills, and never more than what was reserved for it
 * (a buyer reserves value + fee by the same rule). A block trade or an
 * auction bid trades once: the rate on its value.
 */
#include "internal.h"

/* round(value * ppm / 1e6), half-up: one division while value * ppm + 5e5
 * fits (any value below 92 billion yuan at the highest rate), else without
 * overflowing value * ppm: value = q * 1e6 + r, and q * ppm is already whole
 * (the same result: value * ppm + 5e5 = q * ppm * 1e6 + r * ppm + 5e5). */
int64_t cets_fee(int64_t value, int32_t ppm)
{
    if (value <= 0 || ppm <= 0) return 0;
    int64_t p;
    if (!__builtin_mul_overflow(value, (int64_t)ppm, &p) && p <= INT64_MAX - 500000)
        return (p + 500000) / 1000000;
    int64_t q = value / 1000000, r = value % 1000000;
    return q * ppm + (r * ppm + 500000) / 1000000;
}

static int32_t fee_rate(const cets_engine *e, int method, int side)
{
    return e->cfg.fee_ppm[method][side == CETS_BUY ? 0 : 1];
}

int64_t fee_of(const cets_engine *e, int method, int side, int64_t value)
{
    return cets_fee(value, fee_rate(e, method, side));
}

int64_t fee_charge(const cets_engine *e, int method, int side, int64_t cum_value, int64_t charged)
{
    return cets_fee(cum_value, fee_rate(e, method, side)) - charged;
}

int64_t fee_buy_reserve(const cets_engine *e, int method, int64_t filled_value, int64_t charged,
                        int64_t value)
{
    return value + fee_charge(e, method, CETS_BUY, filled_value + value, charged);
}
