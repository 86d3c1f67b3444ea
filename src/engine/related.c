/* related.c -- participants the operator declared related (the same actual
 * controller), for the surveillance's "related" rule (surveil.c).
 *
 * RELATED_SET (an operator command, journaled, with a reason) declares or
 * revokes that a pair of participants share an actual controller. Every
 * declaration is kept for good, oldest first, in the state (snapshot
 * version 5, state.c); the last one of a pair is in force. The declarations
 * change no trading rule: only the alerts read them.
 */
#include <string.h>

#include "internal.h"

bool cets_related(const cets_engine *e, uint32_t a, uint32_t b)
{
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    for (uint32_t i = e->nrelated; i-- > 0;)
        if (e->related[i].a == a && e->related[i].b == b) return e->related[i].related != 0;
    return false;
}

uint32_t cets_related_decls(const cets_engine *e, uint32_t from, cets_related_decl *out,
                            uint32_t cap)
{
    for (uint32_t i = 0; out && i < cap && from + i < e->nrelated; i++)
        out[i] = e->related[from + i];
    return e->nrelated;
}

int related_set(cets_engine *e, const cets_cmd *c)
{
    uint32_t a = c->participant, b = c->counterparty;
    if (a < 1 || a > e->nparts || b < 1 || b > e->nparts || a == CETS_EXCHANGE_ID ||
        b == CETS_EXCHANGE_ID)
        return CETS_UNKNOWN_PARTICIPANT;
    if (a == b || (c->aux != 0 && c->aux != 1)) return CETS_BAD_ARGUMENT;
    size_t n = strnlen(c->u.text, CETS_NAME_LEN);
    if (n == 0 || n == CETS_NAME_LEN) return CETS_BAD_TEXT;
    if (!engine_vec_grow((void **)&e->related, &e->caprelated, e->nrelated + 1, sizeof *e->related))
        return CETS_CAPACITY;
    cets_related_decl *x = &e->related[e->nrelated++];
    memset(x, 0, sizeof *x);
    x->seq = c->seq;
    x->ts = c->ts;
    x->a = a < b ? a : b;
    x->b = a < b ? b : a;
    x->user = c->user;
    x->related = (uint8_t)c->aux;
    memcpy(x->reason, c->u.text, n);
    return CETS_OK;
}
