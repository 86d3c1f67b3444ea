/* bus.h -- the event bus: one ring of the engine's events, one cursor per
 * consumer.
 *
 * The engine thread is the only writer. Each event the engine reports is
 * copied once into a ring of fixed capacity; every consumer (a reader) has
 * its own cursor into it and reads at its own pace. Readers join and leave
 * at any time, from any thread, each with its own context; a reader that
 * joins starts at the current end, so joining inside a read section of the
 * engine (core_read_begin) gives a state and an event stream with nothing
 * between them.
 *
 * Two kinds of reader:
 *  - BUS_THREADED: reads with bus_read() on its own thread. The writer calls
 *    its wake() once per batch that brought it events it wants (and not
 *    again until it has read), never more often: one wake-up per consumer
 *    per journal batch.
 *  - BUS_ON_CORE: drained by the engine thread itself, in order, at the end
 *    of each batch and before the batch's commands are answered: for state
 *    that must be current when a reply goes out (cetsd's projection: tapes,
 *    bars, idempotency). Its on_event must be quick and must never wait for
 *    another thread. Such a reader is also drained in the middle of a batch
 *    whenever the ring would otherwise overrun it, so it never loses an event.
 *
 * Overflow, the one policy: the writer never waits. A threaded reader that
 * falls a whole ring behind is cut off: its next bus_read() returns
 * BUS_CUT_OFF with the number of events it missed, and it continues from
 * the current end. It must resynchronise from the engine's state (a
 * WebSocket feed sends snapshots, the FIX gateway logs its sessions out).
 * Nothing is ever lost silently: each cut-off is logged and counted.
 *
 * Events of type CETS_EV_STATEMENT are carried with u.statement = NULL (the
 * pointer is valid only inside the engine's callback): read statements with
 * cets_statement_get() after the DAY_CLOSED event.
 */
#ifndef CETS_CORE_BUS_H
#define CETS_CORE_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"

typedef struct bus bus;
typedef struct bus_reader bus_reader;

#define BUS_DEFAULT_CAPACITY 65536u /* events (280 bytes each: 18 MiB) */
#define BUS_MIN_CAPACITY 16u
#define BUS_CUT_OFF (-1L)
/* The mask of one event type, for bus_reader_opts.types. */
#define BUS_TYPE(t) (1u << (t))
#define BUS_ALL_TYPES 0xffffffffu

typedef enum bus_mode {
    BUS_THREADED = 0,
    BUS_ON_CORE = 1,
} bus_mode;

typedef struct bus_reader_opts {
    const char *name; /* for logs and metrics: "ws", "fix", "projection" */
    uint32_t types;   /* BUS_TYPE() bits of the events wanted; 0 = all */
    bus_mode mode;
    cets_listener on_event;  /* BUS_ON_CORE: called for each event wanted */
    void (*wake)(void *ctx); /* BUS_THREADED: there is something to read; may be NULL */
    void *ctx;
} bus_reader_opts;

typedef struct bus_reader_stats {
    char name[32];
    bus_mode mode;
    uint64_t read;     /* events delivered */
    uint64_t behind;   /* events published and not yet read */
    uint64_t cut_offs; /* times it fell a whole ring behind */
    uint64_t lost;     /* events missed by those cut-offs */
} bus_reader_stats;

/* capacity: events, rounded up to a power of two (at least BUS_MIN_CAPACITY). */
bus *bus_new(uint32_t capacity);
void bus_free(bus *b); /* every reader must have left */
uint32_t bus_capacity(const bus *b);

/* Join at the current end. NULL on bad options or no memory. */
bus_reader *bus_join(bus *b, const bus_reader_opts *o);
/* Leave; after it returns the writer never touches the reader again. */
void bus_leave(bus_reader *r);

/* BUS_THREADED: copy up to max of the events wanted into out, oldest first.
 * Returns how many (0: nothing new), or BUS_CUT_OFF once after the reader
 * fell a whole ring behind, with *lost set to the events it missed; the
 * next read starts at the end. Only the reader's own thread calls it. */
long bus_read(bus_reader *r, cets_event *out, size_t max, uint64_t *lost);

/* ---- the writer (the engine thread) ---------------------------------------- */
/* A cets_listener: ctx is the bus. Copies ev into the ring when some reader
 * wants its type. */
void bus_publish(void *bus, const cets_event *ev);
/* End of a batch: drain the on-core readers, wake the threaded ones. */
void bus_batch_end(bus *b);

/* Totals, and per reader (up to cap; returns the number of readers). */
uint64_t bus_published(const bus *b);
int bus_stats(bus *b, bus_reader_stats *out, int cap);

#endif
