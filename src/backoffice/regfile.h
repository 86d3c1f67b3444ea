/* regfile.h -- the registry of record's files (our own formats,
 * docs/backoffice.md "Registry file"):
 *
 *   end of day, exchange -> registry, one file a trading day:
 *     date,participant,code,opening,bought,sold,issued,surrendered,retired,
 *     transferred_in,transferred_out,closing
 *   one line per participant and instrument whose holding moved that day;
 *   closing = opening + bought - sold + issued - surrendered - retired
 *             + transferred_in - transferred_out (issued: credits and
 *             allocations, a take-back true-up negative)
 *
 *   confirmation, registry -> exchange: date,participant,code,closing
 *   the registry's own closing balance of each line it booked.
 *
 * Both come from the projection's holdings ledger, so they hold what the
 * engine did; the confirmation is reconciled line by line against the file
 * the exchange sent for that day.
 */
#ifndef CETS_BACKOFFICE_REGFILE_H
#define CETS_BACKOFFICE_REGFILE_H

#include <stdint.h>
#include <stdio.h>

#include "bank.h" /* recon */
#include "db.h"

typedef struct regfile_line {
    uint32_t participant, instrument;
    char code[16];
    int64_t opening, bought, sold, issued, surrendered, retired, tin, tout, closing;
} regfile_line;

/* The day's lines (malloc'd, *n of them). 0, or -1 with err. */
int regfile_lines(db *d, int32_t date, regfile_line **out, size_t *n, char *err, size_t errlen);
/* The end-of-day file of trading day date as CSV. 0 or -1. */
int regfile_csv(db *d, int32_t date, FILE *out, char *err, size_t errlen);
/* Reconcile a confirmation with the file of its day. 0 (report in r), -1
 * with r->errors (a malformed line, a day not closed). */
int regfile_reconcile(db *d, const char *name, const char *text, size_t len, recon *r);

#endif
