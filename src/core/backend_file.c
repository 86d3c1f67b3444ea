/* backend_file.c -- the file journal (cets/journal.h) as a core backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

typedef struct file_backend {
    core_backend b;
    char dir[1024];
} file_backend;

typedef struct file_journal {
    core_journal j;
    cets_journal *f;
} file_journal;

static int fj_append(core_journal *j, const cets_cmd *c)
{
    return cets_journal_append(((file_journal *)j)->f, c);
}

static int fj_commit(core_journal *j)
{
    return cets_journal_commit(((file_journal *)j)->f);
}

static const char *fj_error(const core_journal *j)
{
    return cets_journal_error(((const file_journal *)j)->f);
}

static void fj_stats(const core_journal *j, cets_journal_stats *out)
{
    cets_journal_get_stats(((const file_journal *)j)->f, out);
}

static void fj_close(core_journal *j)
{
    cets_journal_close(((file_journal *)j)->f);
    free(j);
}

static const core_journal_ops file_ops = {fj_append, fj_commit, fj_error, fj_stats,
                                          fj_close,  NULL,      NULL};

static cets_engine *fb_recover(core_backend *b, const cets_config *cfg, cets_listener fn, void *ctx,
                               cets_recovery *rep, char *err, size_t errlen)
{
    return cets_recover(((file_backend *)b)->dir, cfg, fn, ctx, rep, err, errlen);
}

static core_journal *fb_open(core_backend *b, uint64_t next_seq, char *err, size_t errlen)
{
    file_journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->j.ops = &file_ops;
    if (!(j->f = cets_journal_open(((file_backend *)b)->dir, next_seq, err, errlen))) {
        free(j);
        return NULL;
    }
    return &j->j;
}

static void fb_free(core_backend *b)
{
    free(b);
}

core_backend *core_backend_file(const char *dir)
{
    file_backend *b = calloc(1, sizeof *b);
    if (!b || strlen(dir) >= sizeof b->dir) {
        free(b);
        return NULL;
    }
    snprintf(b->dir, sizeof b->dir, "%s", dir);
    b->b = (core_backend){.name = "file", .recover = fb_recover, .open = fb_open, .free = fb_free};
    return &b->b;
}
