/* batch.c -- see batch.h. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 65536u

struct batch_block {
    batch_block *next;
    size_t used, cap;
    char data[];
};

void batch_init(bo_batch *b)
{
    memset(b, 0, sizeof *b);
}

void batch_clear(bo_batch *b)
{
    for (int t = 0; t < T_NTABLES; t++) b->nrows[t] = 0;
    /* keep the first text block, free the rest */
    if (b->text) {
        batch_block *k = b->text->next;
        while (k) {
            batch_block *n = k->next;
            free(k);
            k = n;
        }
        b->text->next = NULL;
        b->text->used = 0;
    }
    b->nafter = 0;
    b->total = 0;
    b->oom = 0;
}

void batch_free(bo_batch *b)
{
    batch_clear(b);
    free(b->text);
    for (int t = 0; t < T_NTABLES; t++) free(b->rows[t]);
    memset(b, 0, sizeof *b);
}

db_val *batch_row(bo_batch *b, bo_table t)
{
    size_t n = (size_t)bo_tables[t].ncols;
    if (b->nrows[t] == b->cap[t]) {
        size_t cap = b->cap[t] ? b->cap[t] * 2 : 256;
        db_val *g = realloc(b->rows[t], cap * n * sizeof *g);
        if (!g) {
            b->oom = 1;
            return NULL;
        }
        b->rows[t] = g;
        b->cap[t] = cap;
    }
    db_val *row = b->rows[t] + b->nrows[t]++ * n;
    memset(row, 0, n * sizeof *row);
    b->total++;
    return row;
}

const char *batch_text(bo_batch *b, const char *s)
{
    size_t n = strlen(s) + 1;
    if (!b->text || b->text->used + n > b->text->cap) {
        size_t cap = n > BLOCK ? n : BLOCK;
        batch_block *k = malloc(sizeof *k + cap);
        if (!k) {
            b->oom = 1;
            return "";
        }
        k->used = 0;
        k->cap = cap;
        k->next = b->text;
        b->text = k;
    }
    char *out = b->text->data + b->text->used;
    memcpy(out, s, n);
    b->text->used += n;
    return out;
}

void batch_add_after(bo_batch *b, const char *sql, int64_t param)
{
    if (b->nafter < (int)(sizeof b->after / sizeof b->after[0]))
        b->after[b->nafter++] = (batch_after){sql, param};
    else
        b->oom = 1;
}
