/* compids.h -- the FIX SenderCompIDs the operator has provisioned, and whose
 * they are.
 *
 * A FIX session exists only when the operator has created it: a SenderCompID
 * belongs to one participant, and only that participant's users may log on
 * with it; any other SenderCompID is refused before anything is created for
 * it (docs/fix.md, "Connecting"). The table is one text file, by default
 * <data_dir>/fix/compids, one line per SenderCompID:
 *
 *     # SenderCompID participant [in_session_reset=yes|no]
 *     ALICE1 2
 *     BOB1 3 in_session_reset=no
 *
 * cetsd's admin API (server/api_fix.c) and the operator write it, whole
 * (compids_save: a temporary file renamed over it); the FIX gateway reads it
 * and reads it again whenever it changes. It lives in core/ because both
 * sides use it and neither may include the other.
 */
#ifndef CETS_CORE_COMPIDS_H
#define CETS_CORE_COMPIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMPID_MAX 32 /* 1-32 of A-Z a-z 0-9 . _ - */

typedef struct compid_entry {
    char comp[COMPID_MAX + 1];
    uint32_t participant;
    bool in_session_reset; /* a Logon with ResetSeqNumFlag=Y is honoured while logged on */
} compid_entry;

typedef struct compid_table {
    compid_entry *e;
    size_t n, cap;
} compid_table;

bool compids_valid(const char *comp);
/* Read path into t (emptied first). A file that does not exist is an empty
 * table. 0, or -1 with err naming the file and line. */
int compids_load(compid_table *t, const char *path, char *err, size_t errlen);
/* Write t to path (temporary file, fsync, rename). 0 or -1 with err. */
int compids_save(const compid_table *t, const char *path, char *err, size_t errlen);
const compid_entry *compids_find(const compid_table *t, const char *comp);
/* Add or replace e (by SenderCompID). 0, or -1 (bad SenderCompID or
 * participant, out of memory) with err. */
int compids_put(compid_table *t, const compid_entry *e, char *err, size_t errlen);
/* Remove comp; false when it was not there. */
bool compids_del(compid_table *t, const char *comp);
void compids_free(compid_table *t);

#endif
