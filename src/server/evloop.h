/* evloop.h -- the event-loop front end (evloop.c): HTTP/1.1 and TLS on
 * h2o's event loop, with http_io_threads I/O threads and http_workers
 * handler threads. */
#ifndef CETS_SERVER_EVLOOP_H
#define CETS_SERVER_EVLOOP_H

#include <stdint.h>

#include "server.h"

/* Listen on cfg.listen and serve; 0, or -1 with err. */
int evloop_start(server *s, char *err, size_t errlen);
/* Stop accepting, answer what is in flight, free everything. */
void evloop_stop(server *s);
int evloop_port(const server *s);
/* Open connections, and those refused by the total and the per-address caps. */
void evloop_counts(const server *s, int *conns, uint64_t *refused_total, uint64_t *refused_addr);
/* Requests answered on an I/O thread and on a handler thread, those handed
 * from the one to the other (a busy client order id), the completion
 * messages the core's batches sent the I/O threads, and the times the I/O
 * threads woke for answers and completions. */
void evloop_http_counts(const server *s, uint64_t *on_io, uint64_t *on_handler, uint64_t *deferred,
                        uint64_t *completion_msgs, uint64_t *wakeups);

#endif
