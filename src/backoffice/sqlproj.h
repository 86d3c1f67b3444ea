/* sqlproj.h -- the SQL projection: a follower sink (follower.h) that turns
 * the journal into the tables of schema.c, in SQLite or PostgreSQL.
 *
 * A commit is one transaction: the batch's rows, table by table (COPY on
 * PostgreSQL), the pruning of old 1-minute bars, and bo_meta's `position`,
 * the last command the rows include. Reading the position back is how the
 * projection knows where to go on after a restart or an outage, so it
 * neither skips nor repeats a command. docs/backoffice.md.
 */
#ifndef CETS_BACKOFFICE_SQLPROJ_H
#define CETS_BACKOFFICE_SQLPROJ_H

#include "follower.h"

typedef struct sqlproj sqlproj;

/* target: a SQLite path or a PostgreSQL URL (db.h). bars_days: keep 1-minute
 * bars this many days (0: forever). files_dir (may be NULL): after the commit
 * of an end of day, the day's files for the settlement bank (withdrawal
 * instructions) and the registry (holdings movements) are written there, as
 * withdrawals-<yyyymmdd>.csv and registry-<yyyymmdd>.csv (temporary file,
 * fsync, rename: a file is whole or absent; they are the projection's, and
 * written again the same if the day is projected again). Nothing is opened yet. */
sqlproj *sqlproj_new(const char *target, int bars_days, const char *files_dir);
void sqlproj_free(sqlproj *p);
/* The sink to start a follower with; p must outlive the follower. */
follower_sink sqlproj_sink(sqlproj *p);

#endif
