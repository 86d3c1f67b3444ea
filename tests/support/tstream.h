/* tstream.h -- a deterministic stream of market commands, for journal and
 * replay tests.
 *
 * Unlike tmarket, the stream does not apply anything: ts_next() builds the
 * next command (with seq and ts, like the sequencer) and the test decides
 * what to do with it: journal it, apply it, both. The stream reads the engine
 * only through the public API (trading date, bands), so two engines in the
 * same state get the same commands: replaying a prefix of a stream on a fresh
 * engine gives the reference state for any point of it.
 *
 * The mix: two instruments (CEA listing, CCER continuous), eight trading
 * participants with funds and holdings, then posts, takes (by limit and by
 * named listings), cancels, modifications, deposits, withdrawals and an end
 * of day every `day_len` commands. Many commands are rejected; rejections are
 * journaled and replayed like any other command.
 */
#ifndef CETS_TSTREAM_H
#define CETS_TSTREAM_H

#include <stdint.h>

#include "cets/cets.h"

typedef struct tstream {
    uint64_t rng;
    uint64_t seq;        /* seq of the last command built */
    int64_t now;         /* ts of the last command built */
    uint32_t n;          /* commands built */
    uint32_t day_len;    /* trading commands between two ends of day */
    uint32_t in_day;     /* trading commands built today */
    uint64_t orders[32]; /* recent resting order ids (a ring) */
    uint32_t norders;
} tstream;

/* seed: any value; day_len 0 means 400. */
void ts_init(tstream *s, uint64_t seed, uint32_t day_len);
/* The next command for the state of e (seq = s->seq + 1). */
void ts_next(tstream *s, const cets_engine *e, cets_cmd *c);
/* Tell the stream what a command did (it remembers resting orders). */
void ts_result(tstream *s, const cets_cmd *c, const cets_result *r);
/* ts_next + cets_apply + ts_result. Returns the result code. */
int ts_step(tstream *s, cets_engine *e, cets_cmd *c);

#endif
