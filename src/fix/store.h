/* store.h -- what a FIX session keeps on disk: every message it sent (for
 * ResendRequest), its sequence numbers, the participant it is bound to, and
 * the ClOrdIDs of its live orders.
 *
 * Per SenderCompID, in the gateway's state directory:
 *   <comp>.msgs    the outbound messages, raw, one after the other
 *   <comp>.idx     16 bytes per message: offset (u64), length (u32), seq
 *                  (u32), native byte order; record i is MsgSeqNum i + 1
 *   <comp>.state   64 bytes rewritten in place: next inbound MsgSeqNum and
 *                  the participant
 *   <comp>.orders  lines "A|R <order id> <ClOrdID>" and "D <order id>"
 * The next outbound MsgSeqNum is the number of index records + 1, so it
 * cannot disagree with the log.
 *
 * Durability: appends are buffered and written (to the page cache) by
 * fix_store_flush(), which the gateway calls before the bytes go on the
 * wire: a message a peer has seen is in the file, so it survives a crash of
 * the process. fix_store_sync() (fdatasync) runs at logout, at disconnect
 * and once a second; an operating-system crash may lose up to that second.
 * A torn tail (index beyond the log, half a record) is cut off at open.
 */
#ifndef CETS_FIX_STORE_H
#define CETS_FIX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fix_store fix_store;

/* Open or create the files of comp_id (1-32 of [A-Za-z0-9._-]) in dir. */
fix_store *fix_store_open(const char *dir, const char *comp_id, char *err, size_t errlen);
/* Flush, sync and close. */
void fix_store_close(fix_store *s);

uint64_t fix_store_next_out(const fix_store *s);
uint64_t fix_store_next_in(const fix_store *s);
uint32_t fix_store_participant(const fix_store *s);
void fix_store_set_next_in(fix_store *s, uint64_t seq);
void fix_store_set_participant(fix_store *s, uint32_t participant);

/* Append the message whose MsgSeqNum is fix_store_next_out() (buffered).
 * 0, or -1 when out of memory. */
int fix_store_append(fix_store *s, const char *msg, size_t len);
/* A stored message into buf (cap at least its length): 0 and *len, or -1
 * when seq was never stored (before a reset) or cannot be read. */
int fix_store_get(fix_store *s, uint64_t seq, char *buf, size_t cap, size_t *len);

/* A line for the .orders file (buffered): op 'A' accepted, 'R' replaced
 * (new ClOrdID), 'D' done. */
void fix_store_order_note(fix_store *s, char op, uint64_t order_id, const char *clordid);
/* Replay the .orders file in order. */
void fix_store_orders_load(fix_store *s,
                           void (*fn)(void *ctx, char op, uint64_t order_id, const char *clordid),
                           void *ctx);
/* Empty the .orders file (before writing back the live orders). */
int fix_store_orders_clear(fix_store *s);

/* Sequence reset (ResetSeqNumFlag): empty the log, both numbers back to 1. */
int fix_store_reset(fix_store *s);

/* Write what is buffered; 0 or -1 (errno kept, the buffers too). */
int fix_store_flush(fix_store *s);
/* Flush and fdatasync every file that changed since the last sync. */
int fix_store_sync(fix_store *s);
bool fix_store_unsynced(const fix_store *s);
const char *fix_store_error(const fix_store *s);

#endif
