/* idem.h -- the idempotency map: (participant, client_ref) -> what the first
 * request with that reference got.
 *
 * A plain open-addressing hash table (linear probing, backward-shift
 * deletion), with no lock of its own: the projection owns it and guards it.
 * Entries carry the local date of their first use; a reference is remembered
 * for the rest of that day (docs/api.md), and idem_prune() drops older ones.
 */
#ifndef CETS_SERVER_IDEM_H
#define CETS_SERVER_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDEM_COID_MAX 32

typedef enum idem_state {
    IDEM_PENDING = 1, /* claimed by a request that is being executed now */
    IDEM_DONE = 2,    /* result known */
    IDEM_KNOWN = 3,   /* used before the last restart; result unknown */
} idem_state;

typedef struct idem_result {
    int code; /* CETS_OK or the rejection */
    uint64_t order_id;
    int64_t qty; /* ordered */
    int64_t filled_qty, filled_value, resting_qty;
    uint32_t ntrades;
} idem_result;

typedef struct idem_entry {
    uint64_t ref; /* 0: empty slot */
    uint32_t participant;
    int32_t date;
    uint8_t state;
    idem_result r;
    uint64_t seq; /* of the command, when known */
    char coid[IDEM_COID_MAX + 1];
} idem_entry;

typedef struct idem_map {
    idem_entry *slots;
    size_t cap, n; /* cap is a power of two */
} idem_map;

void idem_init(idem_map *m);
void idem_free(idem_map *m);
idem_entry *idem_find(idem_map *m, uint32_t participant, uint64_t ref);
/* Find or add (zeroed but for the key); NULL when out of memory. */
idem_entry *idem_put(idem_map *m, uint32_t participant, uint64_t ref);
void idem_del(idem_map *m, uint32_t participant, uint64_t ref);
/* Drop entries of dates before `date`. */
void idem_prune(idem_map *m, int32_t date);

#endif
