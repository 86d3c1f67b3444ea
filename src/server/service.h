/* service.h -- starting and stopping cetsd as a whole: the order in which
 * its parts come up and go down. main.c, the tests and the benchmarks all
 * start the same way, so what they test is what runs.
 *
 * Up:   core (recovery) -> projection seeded -> back office (its followers
 *       catch up on their own threads) -> users (bootstrap admin) -> HTTP
 *       (civetweb) with every handler -> demo.
 * Down: demo -> HTTP (no new requests; those in flight finish) -> core
 *       (finishes the queue, syncs, snapshots) -> back office (projects what
 *       is durable, then stops) -> the rest.
 */
#ifndef CETS_SERVER_SERVICE_H
#define CETS_SERVER_SERVICE_H

#include <stddef.h>

#include "server.h"

/* Start with cfg (copied into s). 0, or -1 with err; on failure everything
 * started is stopped again. */
int service_start(server *s, const server_config *cfg, char *err, size_t errlen);
/* Stop and free everything; s may then be started again. */
void service_stop(server *s);
/* Read the configured holiday calendar again (key holidays) and journal the
 * dates from the trading date on that the engine does not know yet: 0 with
 * *n the file's dates and *added those journaled; -1 with err (none
 * configured, unreadable, a bad line: nothing journaled). */
int service_holidays_reload(server *s, int *n, int *added, char *err, size_t errlen);
/* The TCP port HTTP listens on (useful with "listen = 127.0.0.1:0"). */
int service_port(const server *s);
/* The web root in use ("" when none was found). */
const char *service_web_root(const server *s);

#endif
