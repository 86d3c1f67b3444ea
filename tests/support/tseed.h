/* tseed.h -- a small market on a test server, through the operator's HTTP
 * endpoints: instruments, participants, money, holdings and users. Each
 * helper fails the test when the server does not answer as expected. */
#ifndef CETS_TSEED_H
#define CETS_TSEED_H

#include <stdint.h>

#include "tserver.h"

/* POST /api/v1/admin/instruments (listing mode when matching is NULL). */
void tseed_instrument(tserver *t, const char *code, const char *matching, const char *prev_close);
/* POST /api/v1/admin/participants; returns the new participant's id. */
uint32_t tseed_participant(tserver *t, const char *kind, const char *name);
void tseed_deposit(tserver *t, uint32_t participant, const char *amount);
void tseed_credit(tserver *t, uint32_t participant, const char *code, long long qty);
/* A user of participant with roles ("view,trade"); returns a login token (malloc'd). */
char *tseed_user(tserver *t, const char *user, uint32_t participant, const char *roles);

#define TSEED_PASSWORD "seeded-user-password"

#endif
