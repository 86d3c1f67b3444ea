/* audit_live.h -- the hash-chained audit log (cets/registry.h) written live:
 * a follower sink (follower.h) that feeds every command and its events to
 * cets_audit and commits (write + fdatasync) after each batch.
 *
 * Being a follower, it writes as commands are applied, a few milliseconds
 * behind the core, never delaying an acknowledgement, and never ahead of the
 * journal. After a crash the file tells where to go on
 * (cets_audit_resume_at), so no line is written twice or lost: the file is
 * byte for byte what cets_audit_rebuild() writes from the journal.
 *
 * At each end of day it appends "<date>|<seq>|<head>" to <dir>/audit.heads:
 * the chain's head once the day's last command is in the log, for the daily
 * report (audit_live_head_of_day).
 */
#ifndef CETS_BACKOFFICE_AUDIT_LIVE_H
#define CETS_BACKOFFICE_AUDIT_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "follower.h"

#define AUDIT_HEADS_FILE "audit.heads"

typedef struct audit_live audit_live;

audit_live *audit_live_new(const char *dir);
void audit_live_free(audit_live *a);
follower_sink audit_live_sink(audit_live *a);
/* The head of the chain as last committed: its seq (0: no line) and hash. */
void audit_live_head(audit_live *a, uint64_t *seq, char head[65]);
/* The head recorded at the end of trading day date (yyyymmdd) in
 * <dir>/audit.heads: true and *seq, head filled; false when none. */
bool audit_live_head_of_day(const char *dir, int32_t date, uint64_t *seq, char head[65]);

#endif
