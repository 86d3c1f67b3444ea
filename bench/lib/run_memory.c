/* run_memory.c -- resident memory per resting order.
 *
 * A fresh engine with the workload's accounts and one instrument; RSS is read
 * after the setup and again after `orders` day orders that do not cross
 * (buys below the previous close, sells above, spread over the whole band
 * and over all accounts). The difference over the orders is what one more
 * resting order costs: the pool slot, the id table entry, the book's share,
 * including the slack of pools that grow by doubling. RSS counts pages
 * touched, so memory reserved but never written is not counted: that is
 * the figure that matters for sizing a machine.
 */
#include <stdio.h>
#include <string.h>

#include "jsonl.h"
#include "runs.h"
#include "timing.h"

static void order_at(const cets_instrument_info *in, uint32_t first, uint32_t accounts, uint64_t i,
                     int64_t ts, cets_cmd *c)
{
    /* Alternate sides; walk each side's half of the band tick by tick. */
    int64_t half_lo = in->prev_close - in->lower, half_hi = in->upper - in->prev_close;
    memset(c, 0, sizeof *c);
    c->type = CETS_CMD_POST;
    c->flags = CETS_TIF_DAY;
    c->side = (i & 1) ? CETS_SELL : CETS_BUY;
    uint64_t step = i >> 1;
    c->price = c->side == CETS_BUY ? in->prev_close - 1 - (int64_t)(step % (uint64_t)half_lo)
                                   : in->prev_close + 1 + (int64_t)(step % (uint64_t)half_hi);
    c->actor = c->participant = first + (uint32_t)(i % accounts);
    c->instrument = in->id;
    c->qty = 1 + (int64_t)(i % 100);
    c->ts = ts;
}

int run_memory(const workload_opts *base, uint64_t orders)
{
    workload_opts o = *base;
    o.instruments = 1;
    o.commands = 0;
    o.book_orders = 0;
    workload w;
    if (workload_build(&w, &o) != 0) return -1;
    int64_t rss0 = timing_rss_bytes();
    cets_engine *e = workload_engine(&w, false, NULL, NULL);
    int rc = -1;
    cets_instrument_info in;
    char code[CETS_CODE_LEN];
    workload_code(0, code);
    if (!e || cets_instrument_get(e, (uint32_t)cets_instrument_find(e, code), &in) != 0) goto out;
    int64_t rss1 = timing_rss_bytes();
    uint32_t first = cets_participant_count(e) - o.accounts + 1;
    int64_t ts = cets_time_at(o.date, 10, 0, cets_engine_config(e)->tz_offset_min);
    uint64_t seq = w.setup[w.nsetup - 1].seq, rejects = 0;
    cets_cmd c;
    int64_t t0 = timing_now_ns();
    for (uint64_t i = 0; i < orders; i++) {
        order_at(&in, first, o.accounts, i, ts + (int64_t)i, &c);
        c.seq = ++seq;
        if (cets_apply(e, &c, NULL) != CETS_OK) rejects++;
    }
    int64_t t1 = timing_now_ns();
    int64_t rss2 = timing_rss_bytes();
    cets_totals tot;
    cets_totals_get(e, &tot);
    jsonl_begin("memory");
    jsonl_u64("orders", tot.live_orders);
    jsonl_u64("rejects", rejects);
    jsonl_num("rss_engine_setup_mb", (double)(rss1 - rss0) / 1048576.0, 1);
    jsonl_num("rss_orders_mb", (double)(rss2 - rss1) / 1048576.0, 1);
    jsonl_num("bytes_per_order", tot.live_orders ? (double)(rss2 - rss1) / tot.live_orders : 0, 1);
    jsonl_num("inserts_per_s", (double)orders * 1e9 / (double)(t1 - t0), 0);
    jsonl_end();
    rc = rejects ? -1 : 0;
out:
    if (e) cets_engine_free(e);
    workload_free(&w);
    return rc;
}
