/* sequencer.h -- the one place a command gets its sequence number and time.
 *
 * Sequence numbers are consecutive from the engine's last one; times never go
 * back, whatever the clock does (the engine refuses a command older than the
 * last). cetsd stamps a whole batch with the wall clock once; `cets simulate`
 * stamps each command with its market time. A batch that could not be made
 * durable gives its numbers back (sequencer_rewind), so the journal never
 * has a hole.
 */
#ifndef CETS_CORE_SEQUENCER_H
#define CETS_CORE_SEQUENCER_H

#include <stdint.h>

#include "cets/cets.h"

typedef struct sequencer {
    uint64_t next_seq; /* the number the next command gets */
    int64_t last_ts;   /* the time of the last command stamped */
} sequencer;

/* Continue after the engine's last command. */
void sequencer_init(sequencer *s, const cets_engine *e);
/* Give cmd the next number and time ts (or the last time, if ts is older). */
void sequencer_stamp(sequencer *s, cets_cmd *cmd, int64_t ts);
/* Take back every number from next_seq on, and the times with them: the
 * commands that carried them were never durable. */
void sequencer_rewind(sequencer *s, uint64_t next_seq, int64_t last_ts);

#endif
