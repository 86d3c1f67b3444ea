/* throttle.h -- counting failed logins per key within a window, and locking
 * a key out, for longer each time in a row, once it has too many.
 *
 * The store keeps two: one keyed by user name and client address together
 * ("10.0.0.7\nbob"), so a stranger guessing bob's password locks out only
 * himself and never bob at his own address; and one keyed by address alone,
 * with a higher limit, against one address trying many users.
 *
 * Not locked: its owner (login.c) calls it under its own mutex. The table is
 * bounded; when full, the record idle longest is forgotten. */
#ifndef CETS_AUTH_THROTTLE_H
#define CETS_AUTH_THROTTLE_H

#include <stdint.h>

#define THROTTLE_KEY_MAX 160 /* longer keys are cut */

typedef struct throttle throttle;

typedef struct throttle_policy {
    int max_failures;     /* failures within window that lock the key */
    int64_t window_ns;    /* a key's count restarts window_ns after its first failure */
    int64_t delay_ns;     /* the n-th failure is answered after delay_ns x 2^(n-1), */
    int64_t delay_cap_ns; /* at most this */
    int64_t lock_ns;      /* the k-th lock in a row lasts lock_ns x 2^(k-1), */
    int64_t lock_cap_ns;  /* at most this; quiet this long after a lock: short again */
} throttle_policy;

throttle *throttle_new(const throttle_policy *p);
void throttle_free(throttle *t);
void throttle_set_policy(throttle *t, const throttle_policy *p);

/* Seconds (rounded up) until key may try again; 0 when it may now. */
int throttle_blocked(throttle *t, const char *key, int64_t now_ns);
/* Count a failure against key; returns how many it has in its window with
 * this one. *locked_ns is set to the length of the lock when this failure
 * locked the key, else to 0. */
int throttle_fail(throttle *t, const char *key, int64_t now_ns, int64_t *locked_ns);
/* The delay before answering the n-th failure. */
int64_t throttle_delay(const throttle *t, int n);
/* A success: forget key's failures and locks. */
void throttle_clear(throttle *t, const char *key);

#endif
