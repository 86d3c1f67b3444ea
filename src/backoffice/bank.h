/* bank.h -- the settlement bank's files (our own formats: no bank's is
 * public; docs/backoffice.md "Settlement bank"):
 *
 *   deposit notices, bank -> exchange:  bank_ref,participant,amount,value_date
 *   withdrawal instructions, exchange -> bank, one file a day:
 *                                       instruction,participant,name,amount,requested_at,date
 *   statement, bank -> exchange:        date,participant,balance
 *
 * Deposits are idempotent on the bank reference: the journal carries it in
 * the DEPOSIT command (cets_cmd.u.text), the projection keeps it in
 * deposit_notices, so a notice sent twice is applied once and recognised
 * the second time. A file with a bad line is refused whole, with every bad
 * line's number, and nothing of it is applied.
 */
#ifndef CETS_BACKOFFICE_BANK_H
#define CETS_BACKOFFICE_BANK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cets/cets.h"
#include "db.h"

#define BANK_REF_MAX 40

typedef struct bank_notice {
    int line;
    char ref[BANK_REF_MAX + 1];
    uint32_t participant;
    int64_t amount;     /* fen */
    int32_t value_date; /* yyyymmdd */
    uint64_t seq;       /* duplicates: the command that applied it */
} bank_notice;

typedef struct bank_deposits {
    bank_notice *apply; /* new notices, in file order */
    size_t napply;
    bank_notice *dups; /* applied before (seq set), or twice in this file (seq 0) */
    size_t ndups;
    char **errors; /* "<name>:<line>: ..." ; nothing may be applied when any */
    size_t nerrors;
    bool db_failed; /* the errors are the database's, not the file's */
} bank_deposits;

/* Check a file of deposit notices against the engine (participants) and the
 * projection (references already applied). The projection must hold every
 * command up to now (the caller waits for it). 0 when the file is good (then
 * apply is what to submit), -1 with errors. */
int bank_deposits_check(db *d, const cets_engine *e, const char *name, const char *text, size_t len,
                        bank_deposits *out);
void bank_deposits_free(bank_deposits *b);

/* The withdrawal instructions of trading day date as the bank's CSV. 0 or -1. */
int bank_withdrawals_csv(db *d, int32_t date, FILE *out, char *err, size_t errlen);

/* ---- reconciliation (the bank's statement here, the registry's confirmation
 * in regfile.h): what differs, one line each ---------------------------------- */
typedef struct recon_line {
    uint32_t participant;
    char code[16]; /* registry: the instrument */
    int64_t ours, theirs;
    const char *finding; /* "mismatch", "missing_at_bank", "unknown_participant", ... */
} recon_line;

typedef struct recon {
    int32_t date;
    size_t compared, matched;
    recon_line *lines;
    size_t nlines, cap;
    char **errors; /* a malformed file: nothing is reconciled */
    size_t nerrors;
    bool db_failed; /* the errors are the database's, not the file's */
} recon;

void recon_free(recon *r);
/* Add one discrepancy (NULL on no memory: the caller reports an error). */
recon_line *recon_add(recon *r);
/* The discrepancy report as CSV: participant,[code,]ours,theirs,difference,finding
 * (money columns as decimals when money). */
void recon_csv(const recon *r, bool money, const char *theirs_name, FILE *out);

/* Reconcile every participant's funds at the close of the statement's day
 * (the projection's statements) with the bank's balances. 0 (the report in
 * r), -1 with r->errors (a bad file, a day not closed). */
int bank_reconcile(db *d, const char *name, const char *text, size_t len, recon *r);

#endif
