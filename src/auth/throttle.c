/* throttle.c -- see throttle.h. A plain array searched linearly: it holds
 * only keys that failed recently, and a login costs an argon2id hash
 * (~100 ms) anyway, so a scan of a few thousand short strings is noise. */
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THROTTLE_MAX_KEYS 10000

typedef struct failure {
    char key[80];
    int count;
    int64_t first_ns; /* start of its window */
} failure;

struct throttle {
    int max_failures;
    int64_t window_ns, base_ns, cap_ns;
    failure *f;
    int n, cap;
};

throttle *throttle_new(int max_failures, int64_t window_ns, int64_t base_ns, int64_t cap_ns)
{
    throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max_failures = max_failures > 0 ? max_failures : 5;
    throttle_policy(t, window_ns, base_ns, cap_ns);
    return t;
}

void throttle_free(throttle *t)
{
    if (t)
        free(t->f);
    free(t);
}

void throttle_policy(throttle *t, int64_t window_ns, int64_t base_ns, int64_t cap_ns)
{
    t->window_ns = window_ns;
    t->base_ns = base_ns;
    t->cap_ns = cap_ns;
}

/* key's record with its window brought up to date, or NULL. */
static failure *throttle_find(throttle *t, const char *key, int64_t now)
{
    for (int i = 0; i < t->n; i++) {
        failure *f = &t->f[i];
        if (strcmp(f->key, key) != 0)
            continue;
        if (now - f->first_ns >= t->window_ns) {
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
    if (!f || f->count < t->max_failures)
        return 0;
    int64_t left = f->first_ns + t->window_ns - now;
    return (int)(left / 1000000000) + 1;
}

int throttle_fail(throttle *t, const char *key, int64_t now)
{
    failure *f = throttle_find(t, key, now);
    if (!f) {
        int slot = t->n;
        if (t->n == THROTTLE_MAX_KEYS) { /* full: forget the oldest window */
            slot = 0;
            for (int i = 1; i < t->n; i++)
                if (t->f[i].first_ns < t->f[slot].first_ns)
                    slot = i;
        } else if (t->n == t->cap) {
            int cap = t->cap ? 2 * t->cap : 64;
            failure *nf = realloc(t->f, (size_t)cap * sizeof *nf);
            if (!nf)
                return t->max_failures; /* no memory: treat as guessing */
            t->f = nf;
            t->cap = cap;
        }
        if (slot == t->n)
            t->n++;
        f = &t->f[slot];
        snprintf(f->key, sizeof f->key, "%s", key);
        f->count = 0;
        f->first_ns = now;
    }
    return ++f->count;
}

int64_t throttle_delay(const throttle *t, int n)
{
    int64_t d = t->base_ns;
    for (int i = 1; i < n && d < t->cap_ns; i++)
        d *= 2;
    return d < t->cap_ns ? d : t->cap_ns;
}

void throttle_clear(throttle *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->f[i].key, key) == 0) {
            t->f[i] = t->f[--t->n];
            return;
        }
}
