/* throttle.h -- counting failed logins per key ("u:alice", "a:10.0.0.7")
 * within a window, to slow down and then stop password guessing.
 *
 * Not locked: its owner (auth.c) calls it under its own mutex. The table is
 * bounded; when full, the oldest window is forgotten. */
#ifndef CETS_SERVER_THROTTLE_H
#define CETS_SERVER_THROTTLE_H

#include <stdint.h>

typedef struct throttle throttle;

/* max_failures failures within window_ns block a key until the window ends;
 * each failure is answered after base_ns x 2^(n-1), at most cap_ns. */
throttle *throttle_new(int max_failures, int64_t window_ns, int64_t base_ns, int64_t cap_ns);
void throttle_free(throttle *t);
void throttle_policy(throttle *t, int64_t window_ns, int64_t base_ns, int64_t cap_ns);

/* Seconds until key may try again; 0 when it may now. */
int throttle_blocked(throttle *t, const char *key, int64_t now_ns);
/* Count a failure against key; returns how many it now has in its window. */
int throttle_fail(throttle *t, const char *key, int64_t now_ns);
/* The delay before answering the n-th failure. */
int64_t throttle_delay(const throttle *t, int n);
/* A success: forget key's failures. */
void throttle_clear(throttle *t, const char *key);

#endif
