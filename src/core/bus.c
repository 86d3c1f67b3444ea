/* bus.c -- see bus.h.
 *
 * Positions count events since the bus was made (64 bits: they never wrap);
 * an event at position p lives in slot p & mask. The writer publishes an
 * event by storing head = p + 1 (release); a reader copies the slots from
 * its cursor up to the head it loaded (acquire).
 *
 * The writer may overwrite slot p & mask only when every reader has read
 * position p - capacity. It keeps a cached bound, `limit`, below which that
 * is known to hold (the smallest cursor plus the capacity, as last
 * computed); cursors only grow, and a reader that joins or resumes starts at
 * the head, so the bound stays safe until the head reaches it. Only then
 * (once per ring's worth of events at most) does the writer take the mutex
 * and look at the readers: it drains the on-core ones, and cuts off every
 * threaded one still a whole ring behind by setting its `cut` flag before it
 * overwrites anything (release fence). A reader checks the flag after
 * copying (acquire fence): if the writer reached a slot it was copying, the
 * flag is visible and the copies are thrown away. That is the seqlock
 * argument, per reader.
 */
#include "bus.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct bus_reader {
    bus *b;
    bus_reader_opts o;
    char name[32];
    uint64_t cursor;                /* next position to read (atomic: the writer reads it) */
    uint8_t cut;                    /* atomic: set by the writer, cleared by the reader under mu */
    uint8_t woken;                  /* atomic: wake() called and not read since */
    uint64_t nread, cut_offs, lost; /* atomic: stats */
    bus_reader *next;
};

struct bus {
    cets_event *ring;
    uint32_t cap, mask;
    uint64_t head;        /* atomic: events published */
    uint32_t types;       /* atomic: the union of the readers' types */
    uint32_t batch_types; /* writer: types published since the last batch end */
    uint64_t limit;       /* writer: the head may reach this without a look at readers */
    pthread_mutex_t mu;   /* the reader list, joins, leaves, resumes */
    bus_reader *readers;
};

bus *bus_new(uint32_t capacity)
{
    uint32_t cap = BUS_MIN_CAPACITY;
    while (cap < capacity && cap < (1u << 30)) cap <<= 1;
    bus *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->ring = calloc(cap, sizeof *b->ring);
    if (!b->ring) {
        free(b);
        return NULL;
    }
    b->cap = cap;
    b->mask = cap - 1;
    b->limit = cap;
    pthread_mutex_init(&b->mu, NULL);
    return b;
}

void bus_free(bus *b)
{
    if (!b) return;
    assert(!b->readers);
    pthread_mutex_destroy(&b->mu);
    free(b->ring);
    free(b);
}

uint32_t bus_capacity(const bus *b)
{
    return b->cap;
}

static uint64_t head_load(const bus *b)
{
    return __atomic_load_n(&b->head, __ATOMIC_ACQUIRE);
}

/* Under mu. */
static void types_update(bus *b)
{
    uint32_t t = 0;
    for (bus_reader *r = b->readers; r; r = r->next) t |= r->o.types;
    __atomic_store_n(&b->types, t, __ATOMIC_RELAXED);
}

bus_reader *bus_join(bus *b, const bus_reader_opts *o)
{
    if (!b || !o || (o->mode == BUS_ON_CORE && !o->on_event) ||
        (o->mode != BUS_ON_CORE && o->mode != BUS_THREADED))
        return NULL;
    bus_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->b = b;
    r->o = *o;
    if (!r->o.types) r->o.types = BUS_ALL_TYPES;
    snprintf(r->name, sizeof r->name, "%s", o->name ? o->name : "reader");
    r->o.name = r->name;
    pthread_mutex_lock(&b->mu);
    r->cursor = head_load(b);
    r->next = b->readers;
    b->readers = r;
    types_update(b);
    pthread_mutex_unlock(&b->mu);
    return r;
}

void bus_leave(bus_reader *r)
{
    if (!r) return;
    bus *b = r->b;
    pthread_mutex_lock(&b->mu);
    for (bus_reader **p = &b->readers; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    types_update(b);
    pthread_mutex_unlock(&b->mu);
    free(r);
}

/* ---- the writer ----------------------------------------------------------- */

/* Under mu, on the writer: deliver to an on-core reader everything up to h. */
static void drain(bus *b, bus_reader *r, uint64_t h)
{
    uint64_t n = 0;
    for (uint64_t c = r->cursor; c < h; c++) {
        const cets_event *ev = &b->ring[c & b->mask];
        if (r->o.types & BUS_TYPE(ev->type)) {
            r->o.on_event(r->o.ctx, ev);
            n++;
        }
    }
    __atomic_store_n(&r->cursor, h, __ATOMIC_RELEASE);
    __atomic_fetch_add(&r->nread, n, __ATOMIC_RELAXED);
}

/* The head reached the cached limit: make room for position p. */
static void make_room(bus *b, uint64_t p)
{
    uint64_t min = p;
    pthread_mutex_lock(&b->mu);
    for (bus_reader *r = b->readers; r; r = r->next) {
        if (r->o.mode == BUS_ON_CORE) {
            if (r->cursor + b->cap <= p) drain(b, r, p);
        } else if (!__atomic_load_n(&r->cut, __ATOMIC_ACQUIRE)) {
            uint64_t c = __atomic_load_n(&r->cursor, __ATOMIC_ACQUIRE);
            if (c + b->cap <= p) {
                __atomic_store_n(&r->cut, 1, __ATOMIC_RELAXED);
                __atomic_fetch_add(&r->cut_offs, 1, __ATOMIC_RELAXED);
                log_warn("bus",
                         "msg=\"reader fell a whole ring behind: cut off\" reader=%s "
                         "cursor=%llu head=%llu capacity=%u",
                         r->name, (unsigned long long)c, (unsigned long long)p, b->cap);
                continue;
            }
        } else {
            continue;
        }
        uint64_t c = __atomic_load_n(&r->cursor, __ATOMIC_RELAXED);
        if (c < min) min = c;
    }
    pthread_mutex_unlock(&b->mu);
    b->limit = min + b->cap;
    assert(b->limit > p);
    /* every cut flag is set before the slots a cut reader may be copying change */
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

void bus_publish(void *ctx, const cets_event *ev)
{
    bus *b = ctx;
    uint32_t bit = BUS_TYPE(ev->type & 31);
    if (!(__atomic_load_n(&b->types, __ATOMIC_RELAXED) & bit)) return;
    uint64_t p = b->head; /* only this thread writes it */
    if (p >= b->limit) make_room(b, p);
    cets_event *slot = &b->ring[p & b->mask];
    memcpy(slot, ev, sizeof *slot);
    if (ev->type == CETS_EV_STATEMENT) slot->u.statement = NULL;
    b->batch_types |= bit;
    __atomic_store_n(&b->head, p + 1, __ATOMIC_RELEASE);
}

void bus_batch_end(bus *b)
{
    if (!b->batch_types) return;
    uint64_t h = b->head;
    pthread_mutex_lock(&b->mu);
    for (bus_reader *r = b->readers; r; r = r->next) {
        if (r->o.mode == BUS_ON_CORE)
            drain(b, r, h);
        else if (r->o.wake && (r->o.types & b->batch_types) &&
                 !__atomic_exchange_n(&r->woken, 1, __ATOMIC_ACQ_REL))
            r->o.wake(r->o.ctx);
    }
    pthread_mutex_unlock(&b->mu);
    b->batch_types = 0;
}

/* ---- threaded readers -------------------------------------------------------- */

static long resume(bus_reader *r, uint64_t *lost)
{
    bus *b = r->b;
    pthread_mutex_lock(&b->mu);
    uint64_t h = head_load(b), n = h - r->cursor;
    __atomic_store_n(&r->cursor, h, __ATOMIC_RELEASE);
    __atomic_store_n(&r->cut, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&b->mu);
    __atomic_fetch_add(&r->lost, n, __ATOMIC_RELAXED);
    if (lost) *lost = n;
    return BUS_CUT_OFF;
}

long bus_read(bus_reader *r, cets_event *out, size_t max, uint64_t *lost)
{
    bus *b = r->b;
    if (__atomic_load_n(&r->cut, __ATOMIC_ACQUIRE)) return resume(r, lost);
    __atomic_store_n(&r->woken, 0, __ATOMIC_RELEASE); /* a later batch wakes us again */
    uint64_t h = head_load(b), c = r->cursor;
    size_t n = 0;
    for (; c < h && n < max; c++) {
        const cets_event *ev = &b->ring[c & b->mask];
        if (r->o.types & BUS_TYPE(ev->type & 31)) memcpy(&out[n++], ev, sizeof *ev);
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&r->cut, __ATOMIC_RELAXED))
        return resume(r, lost); /* the writer may have overwritten what we copied */
    __atomic_store_n(&r->cursor, c, __ATOMIC_RELEASE);
    __atomic_fetch_add(&r->nread, n, __ATOMIC_RELAXED);
    return (long)n;
}

/* ---- stats ---------------------------------------------------------------------- */

uint64_t bus_published(const bus *b)
{
    return head_load(b);
}

int bus_stats(bus *b, bus_reader_stats *out, int cap)
{
    int n = 0;
    pthread_mutex_lock(&b->mu);
    uint64_t h = head_load(b);
    for (bus_reader *r = b->readers; r; r = r->next, n++) {
        if (n >= cap) continue;
        bus_reader_stats *s = &out[n];
        snprintf(s->name, sizeof s->name, "%s", r->name);
        s->mode = r->o.mode;
        s->read = __atomic_load_n(&r->nread, __ATOMIC_RELAXED);
        uint64_t c = __atomic_load_n(&r->cursor, __ATOMIC_RELAXED);
        s->behind = h > c ? h - c : 0;
        s->cut_offs = __atomic_load_n(&r->cut_offs, __ATOMIC_RELAXED);
        s->lost = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&b->mu);
    return n;
}
