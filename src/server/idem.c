/* idem.c -- see idem.h. The table is kept at most half full, so probes stay
 * short; deletion shifts the following entries back instead of leaving
 * tombstones, so a long day of claims and releases cannot clog it. */
#include "idem.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const idem_map *m, uint32_t participant, uint64_t ref)
{
    /* ref is already a hash (XXH3 of the client's id); mix in the participant */
    uint64_t h = ref ^ ((uint64_t)participant * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return (size_t)h & (m->cap - 1);
}

void idem_init(idem_map *m)
{
    memset(m, 0, sizeof *m);
}

void idem_free(idem_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

idem_entry *idem_find(idem_map *m, uint32_t participant, uint64_t ref)
{
    if (!m->cap || !ref) return NULL;
    for (size_t i = slot_of(m, participant, ref);; i = (i + 1) & (m->cap - 1)) {
        idem_entry *e = &m->slots[i];
        if (!e->ref) return NULL;
        if (e->ref == ref && e->participant == participant) return e;
    }
}

/* Move every entry of date >= min_date into a new table of cap slots. */
static bool rehash(idem_map *m, size_t cap, int32_t min_date)
{
    idem_entry *old = m->slots;
    size_t oldcap = m->cap;
    idem_entry *s = calloc(cap, sizeof *s);
    if (!s) return false;
    m->slots = s;
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].ref || old[i].date < min_date) continue;
        size_t j = slot_of(m, old[i].participant, old[i].ref);
        while (s[j].ref) j = (j + 1) & (cap - 1);
        s[j] = old[i];
        m->n++;
    }
    free(old);
    return true;
}

idem_entry *idem_put(idem_map *m, uint32_t participant, uint64_t ref)
{
    if (!ref) return NULL;
    idem_entry *e = idem_find(m, participant, ref);
    if (e) return e;
    if ((m->n + 1) * 2 > m->cap && !rehash(m, m->cap ? m->cap * 2 : 1024, INT32_MIN)) return NULL;
    size_t i = slot_of(m, participant, ref);
    while (m->slots[i].ref) i = (i + 1) & (m->cap - 1);
    e = &m->slots[i];
    memset(e, 0, sizeof *e);
    e->ref = ref;
    e->participant = participant;
    m->n++;
    return e;
}

/* Remove slot i, then move back every later entry of the same probe run
 * that may no longer be reachable across the hole. */
static void remove_at(idem_map *m, size_t i)
{
    size_t mask = m->cap - 1;
    m->slots[i].ref = 0;
    m->n--;
    for (size_t j = (i + 1) & mask; m->slots[j].ref; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->slots[j].participant, m->slots[j].ref);
        /* j stays if its home lies cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        m->slots[i] = m->slots[j];
        m->slots[j].ref = 0;
        i = j;
    }
}

void idem_del(idem_map *m, uint32_t participant, uint64_t ref)
{
    idem_entry *e = idem_find(m, participant, ref);
    if (e) remove_at(m, (size_t)(e - m->slots));
}

void idem_prune(idem_map *m, int32_t date)
{
    /* Rebuild rather than delete in place: one pass, and the table shrinks
     * back after a busy day. Out of memory: keep the old entries. */
    size_t keep = 0;
    for (size_t i = 0; i < m->cap; i++) keep += m->slots[i].ref && m->slots[i].date >= date;
    size_t cap = 1024;
    while (cap < keep * 2 + 2) cap *= 2;
    if (m->cap) rehash(m, cap, date);
}
