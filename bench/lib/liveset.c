/* liveset.c -- see liveset.h. */
#include "liveset.h"

#include <stdlib.h>

#define NO_POS UINT32_MAX

static int liveset_grow_pos(liveset *s, uint64_t id)
{
    uint64_t cap = s->poscap ? s->poscap : 1 << 16;
    while (cap <= id) cap *= 2;
    uint32_t *p = realloc(s->pos, cap * sizeof *p);
    if (!p) return -1;
    for (uint64_t i = s->poscap; i < cap; i++) p[i] = NO_POS;
    s->pos = p;
    s->poscap = cap;
    return 0;
}

int liveset_add(liveset *s, uint64_t id)
{
    if (id >= s->poscap && liveset_grow_pos(s, id) != 0) return -1;
    if (s->pos[id] != NO_POS) return 0;
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 4096;
        uint64_t *ids = realloc(s->ids, cap * sizeof *ids);
        if (!ids) return -1;
        s->ids = ids;
        s->cap = cap;
    }
    s->pos[id] = s->n;
    s->ids[s->n++] = id;
    return 0;
}

void liveset_remove(liveset *s, uint64_t id)
{
    if (id >= s->poscap || s->pos[id] == NO_POS) return;
    uint32_t at = s->pos[id];
    uint64_t last = s->ids[--s->n];
    s->ids[at] = last;
    s->pos[last] = at;
    s->pos[id] = NO_POS;
}

void liveset_free(liveset *s)
{
    free(s->ids);
    free(s->pos);
    s->ids = NULL;
    s->pos = NULL;
    s->n = s->cap = 0;
    s->poscap = 0;
}
