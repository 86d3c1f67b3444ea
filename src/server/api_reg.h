/* api_reg.h -- request helpers shared by api_blocks.c, api_auctions.c and
 * api_registry.c (defined in api_registry.c). */
#ifndef CETS_SERVER_API_REG_H
#define CETS_SERVER_API_REG_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"

#define QTY_LIM 100000000000000LL /* type check only; the engine applies the rules */

/* What a list callback fills: the engine, the array, a participant filter. */
typedef struct listctx {
    const cets_engine *e;
    json_t *a;
    uint32_t participant; /* filter (0 = none) */
} listctx;

bool api_has_role(const req *r, uint32_t role);
/* Authenticated and holding at least one of roles; false after 401/403. */
bool api_auth_any(req *r, uint32_t roles);
/* api_submit(), and the rejection answered (422 with the rule's reason): false then. */
bool api_submit_checked(req *r, cets_cmd *c, cets_result *res);
bool api_find_instrument(req *r, const char *code, uint32_t *out);
/* {code, side, price, qty} into c. */
bool api_terms(req *r, json_t *b, cets_cmd *c);

#endif
