/* sequencer.c -- see sequencer.h. */
#include "sequencer.h"

#include <assert.h>

void sequencer_init(sequencer *s, const cets_engine *e)
{
    s->next_seq = cets_last_seq(e) + 1;
    s->last_ts = cets_last_ts(e);
}

void sequencer_stamp(sequencer *s, cets_cmd *cmd, int64_t ts)
{
    cmd->seq = s->next_seq++;
    cmd->ts = ts > s->last_ts ? ts : s->last_ts;
    s->last_ts = cmd->ts;
}

void sequencer_rewind(sequencer *s, uint64_t next_seq, int64_t last_ts)
{
    assert(next_seq <= s->next_seq && last_ts <= s->last_ts);
    s->next_seq = next_seq;
    s->last_ts = last_ts;
}
