/* audit_live.c -- see audit_live.h. */
#include "audit_live.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cets/registry.h"

typedef struct day_head {
    int32_t date;
    uint64_t seq;
    char head[CETS_AUDIT_HASH_HEX + 1];
} day_head;

struct audit_live {
    char dir[1024];
    cets_audit *a;
    pthread_mutex_t mu; /* head, head_seq: read by HTTP threads */
    char head[CETS_AUDIT_HASH_HEX + 1];
    uint64_t head_seq;
    day_head days[8]; /* ends of day in the batch: their heads go to audit.heads */
    int ndays;
    int32_t closing; /* the DAY_CLOSED seen in the command being applied */
};

audit_live *audit_live_new(const char *dir)
{
    audit_live *a = calloc(1, sizeof *a);
    if (!a || strlen(dir) >= sizeof a->dir) {
        free(a);
        return NULL;
    }
    snprintf(a->dir, sizeof a->dir, "%s", dir);
    pthread_mutex_init(&a->mu, NULL);
    memset(a->head, '0', CETS_AUDIT_HASH_HEX);
    return a;
}

void audit_live_free(audit_live *a)
{
    if (!a) return;
    if (a->a) cets_audit_close(a->a);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

void audit_live_head(audit_live *a, uint64_t *seq, char head[65])
{
    pthread_mutex_lock(&a->mu);
    *seq = a->head_seq;
    memcpy(head, a->head, CETS_AUDIT_HASH_HEX + 1);
    pthread_mutex_unlock(&a->mu);
}

static void head_publish(audit_live *a)
{
    pthread_mutex_lock(&a->mu);
    memcpy(a->head, cets_audit_head(a->a), CETS_AUDIT_HASH_HEX + 1);
    a->head_seq = cets_audit_last_seq(a->a);
    pthread_mutex_unlock(&a->mu);
}

static int al_open(void *ctx, uint64_t *seq, char *err, size_t errlen)
{
    audit_live *a = ctx;
    if (!(a->a = cets_audit_open(a->dir, err, errlen))) return -1;
    *seq = cets_audit_resume_at(a->a);
    a->ndays = 0;
    head_publish(a);
    return 0;
}

static int al_resume(void *ctx, const cets_engine *e, char *err, size_t errlen)
{
    (void)ctx, (void)e, (void)err, (void)errlen;
    return 0;
}

static void al_command(void *ctx, const cets_engine *e, const cets_cmd *c)
{
    (void)e;
    audit_live *a = ctx;
    cets_audit_command(a->a, c);
    a->closing = 0;
}

static void al_event(void *ctx, const cets_event *ev)
{
    audit_live *a = ctx;
    cets_audit_event(a->a, ev);
    if (ev->type == CETS_EV_DAY_CLOSED) a->closing = ev->u.day.closed_date;
}

static void al_applied(void *ctx, const cets_engine *e, const cets_cmd *c, const cets_result *r)
{
    (void)e, (void)r;
    audit_live *a = ctx;
    if (!a->closing || a->ndays == (int)(sizeof a->days / sizeof a->days[0])) return;
    /* every line up to the end of day is buffered by now, none after it */
    day_head *d = &a->days[a->ndays++];
    d->date = a->closing;
    d->seq = c->seq;
    memcpy(d->head, cets_audit_head(a->a), sizeof d->head);
}

/* "<date>|<seq>|<head>" for the days closed in this batch, once their lines
 * are durable. */
static int heads_append(audit_live *a, char *err, size_t errlen)
{
    if (!a->ndays) return 0;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", a->dir, AUDIT_HEADS_FILE);
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < a->ndays; i++)
        fprintf(f, "%d|%" PRIu64 "|%s\n", a->days[i].date, a->days[i].seq, a->days[i].head);
    a->ndays = 0;
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
    if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int al_commit(void *ctx, const cets_engine *e, uint64_t seq, char *err, size_t errlen)
{
    (void)e, (void)seq;
    audit_live *a = ctx;
    if (cets_audit_commit(a->a, true) != 0) {
        snprintf(err, errlen, "%s", cets_audit_error(a->a));
        return -1;
    }
    head_publish(a);
    return heads_append(a, err, errlen);
}

static void al_close(void *ctx)
{
    audit_live *a = ctx;
    /* what is buffered was not committed: drop it by not writing it */
    if (a->a) {
        cets_audit_discard(a->a);
        cets_audit_close(a->a);
    }
    a->a = NULL;
    a->ndays = 0;
}

follower_sink audit_live_sink(audit_live *a)
{
    return (follower_sink){.name = "audit",
                           .ctx = a,
                           .open = al_open,
                           .resume = al_resume,
                           .command = al_command,
                           .event = al_event,
                           .applied = al_applied,
                           .commit = al_commit,
                           .close = al_close};
}

bool audit_live_head_of_day(const char *dir, int32_t date, uint64_t *seq, char head[65])
{
    char path[1100], line[256];
    snprintf(path, sizeof path, "%s/%s", dir, AUDIT_HEADS_FILE);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        int d;
        unsigned long long s;
        char h[CETS_AUDIT_HASH_HEX + 1];
        if (sscanf(line, "%d|%llu|%64[0-9a-f]", &d, &s, h) == 3 && d == date &&
            strlen(h) == CETS_AUDIT_HASH_HEX) {
            *seq = s;
            memcpy(head, h, sizeof h);
            found = true; /* the first record of the day: a replay writes the same again */
            break;
        }
    }
    fclose(f);
    return found;
}
