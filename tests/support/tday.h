/* tday.h -- a seeded market of two trading days written to a real journal,
 * for the back office tests: every command goes through a tmarket (the
 * reference engine, which applies it) and into a data directory's journal,
 * committed in batches, so a projection of the directory can be compared
 * with the engine that made it.
 *
 * The days hold all three trading methods (listing post and take, a
 * continuous book with IOC orders, cancels and modifications; block quotes,
 * proposals and acceptances; a one-way auction), money in and out (deposits
 * with bank references, withdrawals), issuance, and a compliance cycle:
 * allocations with their basis, verified emissions, surrenders (CEA and
 * CCER), a retirement, a four-eyes transfer, a freeze and an unfreeze, the
 * deadline with shortfalls, and on the second day allocations from which the
 * shortfalls are withheld.
 */
#ifndef CETS_TDAY_H
#define CETS_TDAY_H

#include <stdint.h>

#include "cets/journal.h"
#include "tmarket.h"

#define TDAY_TRADERS 10
#define TDAY_ENTITIES 6

typedef struct tday {
    tmarket m; /* the reference engine */
    cets_journal *j;
    char dir[600];
    uint64_t rng;
    int pending; /* appended since the last commit */
    int batch;   /* commands per commit */
    uint32_t au; /* the authority */
    uint32_t trader[TDAY_TRADERS];
    uint32_t entity[TDAY_ENTITIES];
    uint32_t cea24, cea25, ccer;
    uint64_t resting[64]; /* recent resting order ids */
    int nresting;
} tday;

/* A fresh data directory dir (created) under the default configuration with
 * start date TM_DATE, its journal open at seq 1. */
void tday_open(tday *d, const char *dir, uint64_t seed);
/* The market: instruments, participants, money, holdings. */
void tday_setup(tday *d);
/* n commands of the seeded order flow (listing and continuous) at the
 * current time, moving the clock by a second each. */
void tday_flow(tday *d, int n);
/* Day one: setup, a morning of flow, the afternoon's block trade and auction,
 * the registry's year, the end of day. Day two: the deadline of the year,
 * flow, allocations that withhold the shortfalls, the end of day. */
void tday_two_days(tday *d, int flow);
/* Commit what is appended. */
void tday_commit(tday *d);
/* Commit and close the journal; the reference engine stays. */
void tday_close(tday *d);
void tday_free(tday *d);

#endif
