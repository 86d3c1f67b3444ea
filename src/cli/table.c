/* table.c -- tables for people: bilingual headers, aligned columns.
 *
 * The exchange's reports head each column in Chinese with the English below
 * it, as the published daily reports do. Cells are short strings (formatted
 * by numfmt.c); a column is as wide as its widest header or cell, measured in
 * terminal columns (textwidth.c), so CJK text lines up. Numbers align right,
 * text columns left.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void table_init(table *t, const tcol *cols, int ncols)
{
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
}

char (*table_row(table *t, bool rule_before))[FMT_LEN]
{
    if (t->nrows == t->caprows) {
        int cap = t->caprows ? t->caprows * 2 : 16;
        char(*cells)[FMT_LEN] = realloc(t->cells, (size_t)cap * (size_t)t->ncols * FMT_LEN);
        bool *rules = realloc(t->rule_before, (size_t)cap * sizeof *rules);
        if (!cells || !rules) {
            fputs("cets: out of memory\n", stderr);
            exit(CLI_FAIL);
        }
        t->cells = cells;
        t->rule_before = rules;
        t->caprows = cap;
    }
    char(*row)[FMT_LEN] = t->cells + (size_t)t->nrows * (size_t)t->ncols;
    memset(row, 0, (size_t)t->ncols * FMT_LEN);
    t->rule_before[t->nrows++] = rule_before;
    return row;
}

static void rule_print(FILE *f, const int *width, int ncols, int indent)
{
    fprintf(f, "%*s", indent, "");
    int total = 0;
    for (int c = 0; c < ncols; c++) total += width[c] + (c ? 2 : 0);
    for (int i = 0; i < total; i++) fputc('-', f);
    fputc('\n', f);
}

static void line_print(FILE *f, const table *t, const int *width, int indent, int row, bool english)
{
    fprintf(f, "%*s", indent, "");
    for (int c = 0; c < t->ncols; c++) {
        const char *s = row < 0 ? (english ? t->cols[c].en : t->cols[c].zh)
                                : t->cells[(size_t)row * (size_t)t->ncols + (size_t)c];
        bool last = c == t->ncols - 1;
        if (c) fputs("  ", f);
        if (last && t->cols[c].left) /* no trailing blanks */
            fputs(s, f);
        else
            tw_pad(f, s, width[c], !t->cols[c].left);
    }
    fputc('\n', f);
}

void table_print(FILE *f, const table *t, int indent)
{
    int width[32] = {0};
    int ncols = t->ncols < 32 ? t->ncols : 32;
    for (int c = 0; c < ncols; c++) {
        int wz = tw_width(t->cols[c].zh), we = tw_width(t->cols[c].en);
        width[c] = wz > we ? wz : we;
        for (int r = 0; r < t->nrows; r++) {
            int w = tw_width(t->cells[(size_t)r * (size_t)t->ncols + (size_t)c]);
            if (w > width[c]) width[c] = w;
        }
    }
    bool zh = false; /* a table of field names has one heading line */
    for (int c = 0; c < ncols; c++) zh |= t->cols[c].zh[0] != 0;
    if (zh) line_print(f, t, width, indent, -1, false);
    line_print(f, t, width, indent, -1, true);
    rule_print(f, width, ncols, indent);
    for (int r = 0; r < t->nrows; r++) {
        if (t->rule_before[r]) rule_print(f, width, ncols, indent);
        line_print(f, t, width, indent, r, false);
    }
}

void table_free(table *t)
{
    free(t->cells);
    free(t->rule_before);
    memset(t, 0, sizeof *t);
}
