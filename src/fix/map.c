/* map.c -- see map.h. */
#include "map.h"

#include <stdlib.h>

static size_t slot_of(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

void fix_map_init(fix_map *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->mask = 0;
    m->n = 0;
}

void fix_map_free(fix_map *m)
{
    free(m->keys);
    free(m->vals);
    fix_map_init(m);
}

void *fix_map_get(const fix_map *m, uint64_t key)
{
    if (!m->keys || !key) return NULL;
    for (size_t i = slot_of(key, m->mask);; i = (i + 1) & m->mask) {
        if (m->keys[i] == key) return m->vals[i];
        if (!m->keys[i]) return NULL;
    }
}

static bool grow(fix_map *m)
{
    size_t size = m->keys ? (m->mask + 1) * 2 : 64;
    uint64_t *keys = calloc(size, sizeof *keys);
    void **vals = calloc(size, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; m->keys && i <= m->mask; i++) {
        if (!m->keys[i]) continue;
        size_t j = slot_of(m->keys[i], size - 1);
        while (keys[j]) j = (j + 1) & (size - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->mask = size - 1;
    return true;
}

bool fix_map_put(fix_map *m, uint64_t key, void *val)
{
    if (!key) return false;
    if ((!m->keys || (m->n + 1) * 2 > m->mask + 1) && !grow(m)) return false;
    size_t i = slot_of(key, m->mask);
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & m->mask;
    if (!m->keys[i]) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return true;
}

void *fix_map_del(fix_map *m, uint64_t key)
{
    if (!m->keys || !key) return NULL;
    size_t i = slot_of(key, m->mask);
    while (m->keys[i] != key) {
        if (!m->keys[i]) return NULL;
        i = (i + 1) & m->mask;
    }
    void *val = m->vals[i];
    /* backward shift: pull later members of the cluster into the hole
     * unless their home slot lies cyclically in (hole, j] */
    for (size_t j = i;;) {
        j = (j + 1) & m->mask;
        if (!m->keys[j]) break;
        size_t home = slot_of(m->keys[j], m->mask);
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->vals[i] = NULL;
    m->n--;
    return val;
}

bool fix_map_next(const fix_map *m, size_t *i, uint64_t *key, void **val)
{
    for (; m->keys && *i <= m->mask; (*i)++)
        if (m->keys[*i]) {
            *key = m->keys[*i];
            *val = m->vals[*i];
            (*i)++;
            return true;
        }
    return false;
}
