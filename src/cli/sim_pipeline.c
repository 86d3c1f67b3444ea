/* sim_pipeline.c -- the simulation's exchange side, on the core's pipeline.
 *
 * A command gets its sequence number and time (the sequencer), is appended
 * to the journal, and is applied to the engine only after the commit that
 * makes it durable has returned (core/pipeline.h): an effect is never
 * visible before its cause is on disk. Commits are grouped: one fdatasync
 * for a whole batch, not one per command. The batch's results are counted
 * here (accepted, rejected by reason, trades), which is all the simulation
 * reports about them.
 *
 * The view is the simulation's model of what participants see: market data
 * is milliseconds old in a real market, while one simulated group commit
 * spans a minute of market time. It is fed each command as it is sequenced;
 * it acknowledges nothing and decides nothing for the exchange, and at the
 * end of the day its state hash must equal the engine's.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int pl_init(sim_pipeline *p, cets_engine *e, cets_engine *view, core_backend *backend, bus *events,
            size_t batch_max)
{
    memset(p, 0, sizeof *p);
    p->view = view;
    p->batch_max = batch_max;
    if (pipeline_init(&p->core, e, backend, events, true) != 0) {
        snprintf(p->err, sizeof p->err, "%s", p->core.err);
        return -1;
    }
    p->cmds = calloc(batch_max, sizeof *p->cmds);
    p->ids = calloc(batch_max, sizeof *p->ids);
    if (!p->cmds || !p->ids) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return -1;
    }
    return 0;
}

void pl_free(sim_pipeline *p)
{
    pipeline_close(&p->core);
    free(p->cmds);
    free(p->ids);
    p->cmds = NULL;
    p->ids = NULL;
}

int pl_submit(sim_pipeline *p, cets_cmd *c, int64_t ts, uint32_t *id_out)
{
    if (p->n == p->batch_max && pl_flush(p) != 0) return -1;
    if (pipeline_add(&p->core, c, ts) != 0) {
        snprintf(p->err, sizeof p->err, "%s", p->core.err);
        return -1;
    }
    if (p->view) cets_apply(p->view, c, &p->view_res);
    p->cmds[p->n] = *c;
    p->ids[p->n] = id_out;
    p->n++;
    return 0;
}

static void pl_count(sim_pipeline *p, const cets_cmd *c, const cets_result *r)
{
    p->commands++;
    p->by_type[c->type]++; /* a byte: within PL_MAX_TYPE */
    if (r->code == CETS_OK) {
        p->accepted++;
        p->trades += r->ntrades;
        return;
    }
    p->rejected++;
    p->last_reject_code = r->code;
    p->last_reject_type = c->type;
    p->rejected_by_type[c->type]++;
    p->by_reason[r->code >= 0 && r->code < PL_MAX_CODE ? r->code : 0]++;
}

int pl_flush(sim_pipeline *p)
{
    if (p->n == 0) return 0;
    if (pipeline_commit(&p->core, NULL) != 0) {
        snprintf(p->err, sizeof p->err, "%s", p->core.err);
        return -1;
    }
    p->commits++;
    /* Durable: now, and only now, the engine may see the batch. */
    for (size_t i = 0; i < p->n; i++) {
        cets_result r;
        pipeline_apply(&p->core, &p->cmds[i], &r);
        if (p->ids[i]) *p->ids[i] = r.code == CETS_OK ? r.id : 0;
        pl_count(p, &p->cmds[i], &r);
    }
    pipeline_publish(&p->core);
    p->n = 0;
    return 0;
}
