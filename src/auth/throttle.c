/* throttle.c -- see throttle.h. A plain array searched linearly: it holds
 * only keys that failed recently, and a login costs an argon2id hash
 * (~100 ms) anyway, so a scan of a few thousand short strings is noise.
 *
 * A record lives through three phases: counting (failures within the
 * window), locked (until_ns in the future; a lock starts the count afresh),
 * and quiet. Each lock in a row doubles the next one, so a guesser who comes
 * back after every lock gets max_failures tries per 1, 2, 4 … minutes, then
 * per lock_cap; a key without failures for lock_cap after its last lock
 * ended starts over with the short lock. */
#include "throttle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THROTTLE_MAX_KEYS 10000

typedef struct failure {
    char key[THROTTLE_KEY_MAX];
    int count;        /* failures in the current window */
    int locks;        /* locks in a row */
    int64_t first_ns; /* start of the window */
    int64_t last_ns;  /* the latest failure */
    int64_t until_ns; /* locked until then */
} failure;

struct throttle {
    throttle_policy p;
    failure *f;
    int n, cap;
};

throttle *throttle_new(const throttle_policy *p)
{
    throttle *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    throttle_set_policy(t, p);
    return t;
}

void throttle_free(throttle *t)
{
    if (t) free(t->f);
    free(t);
}

void throttle_set_policy(throttle *t, const throttle_policy *p)
{
    t->p = *p;
    if (t->p.max_failures < 1) t->p.max_failures = 5;
}

/* key's record with its window brought up to date, or NULL. */
static failure *throttle_find(throttle *t, const char *key, int64_t now)
{
    for (int i = 0; i < t->n; i++) {
        failure *f = &t->f[i];
        if (strncmp(f->key, key, sizeof f->key - 1) != 0) continue;
        int64_t quiet = now - (f->last_ns > f->until_ns ? f->last_ns : f->until_ns);
        if (f->until_ns <= now && quiet >= t->p.lock_cap_ns)
            f->locks = 0; /* quiet long enough after its lock: the next is short again */
        if (now - f->first_ns >= t->p.window_ns) {
            f->count = 0;
            f->first_ns = now;
        }
        return f;
    }
    return NULL;
}

int throttle_blocked(throttle *t, const char *key, int64_t now)
{
    failure *f = throttle_find(t, key, now);
    if (!f || f->until_ns <= now) return 0;
    return (int)((f->until_ns - now + 999999999) / 1000000000);
}

/* A free slot: a new one, or, when the table is full, the record idle
 * longest (not locked, if there is such a one). */
static failure *throttle_slot(throttle *t, int64_t now)
{
    if (t->n < THROTTLE_MAX_KEYS) {
        if (t->n == t->cap) {
            int cap = t->cap ? 2 * t->cap : 64;
            failure *nf = realloc(t->f, (size_t)cap * sizeof *nf);
            if (!nf) return NULL;
            t->f = nf;
            t->cap = cap;
        }
        return &t->f[t->n++];
    }
    int best = 0;
    for (int i = 1; i < t->n; i++) {
        bool locked_i = t->f[i].until_ns > now, locked_b = t->f[best].until_ns > now;
        if ((locked_b && !locked_i) ||
            (locked_b == locked_i && t->f[i].last_ns < t->f[best].last_ns))
            best = i;
    }
    return &t->f[best];
}

int throttle_fail(throttle *t, const char *key, int64_t now, int64_t *locked_ns)
{
    *locked_ns = 0;
    failure *f = throttle_find(t, key, now);
    if (!f) {
        if (!(f = throttle_slot(t, now)))
            return t->p.max_failures; /* no memory: treat as guessing */
        memset(f, 0, sizeof *f);
        snprintf(f->key, sizeof f->key, "%s", key);
        f->first_ns = now;
    }
    int n = ++f->count;
    f->last_ns = now;
    if (n >= t->p.max_failures && f->until_ns <= now) {
        int64_t d = t->p.lock_ns;
        for (int i = 0; i < f->locks && d < t->p.lock_cap_ns; i++) d *= 2;
        if (d > t->p.lock_cap_ns) d = t->p.lock_cap_ns;
        f->locks++;
        f->until_ns = now + d;
        f->count = 0; /* after the lock, counting starts afresh */
        f->first_ns = now;
        *locked_ns = d;
    }
    return n;
}

int64_t throttle_delay(const throttle *t, int n)
{
    int64_t d = t->p.delay_ns;
    for (int i = 1; i < n && d < t->p.delay_cap_ns; i++) d *= 2;
    return d < t->p.delay_cap_ns ? d : t->p.delay_cap_ns;
}

void throttle_clear(throttle *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (strncmp(t->f[i].key, key, sizeof t->f[i].key - 1) == 0) {
            t->f[i] = t->f[--t->n];
            return;
        }
}
