/* fuzzserver.h -- what the end-to-end fuzz targets (fuzz_http, fuzz_ws)
 * share: one real cetsd service started in the fuzzing process, on
 * 127.0.0.1 with a port of its own and a data directory under fuzz_dir(),
 * holding a small market, and two logged-in users whose tokens an input
 * names by placeholder. It runs the default front end, or the one
 * CETS_FUZZ_FRONTEND names (civetweb, evloop): tests/fuzz/run.sh fuzzes
 * fuzz_http on each.
 *
 * The service is started once and lives across inputs (starting one per
 * input would be a thousand times slower), so an input meets the state the
 * earlier ones left: a finding is replayed on a fresh server, where nearly
 * every input does what it did in the run.
 *
 * Placeholders: "@ADMIN@" becomes the operator's token (participant 1, every
 * role), "@USER@" the token of user "fuzz" (participant 2, an entity, roles
 * view, trade, funds, compliance). Participant 3 is a second entity; both
 * hold cash and CEA25 (a listing-mode instrument, previous close 50.00).
 * An input that logs a user out, or replaces it, is followed by a fresh
 * login before the next input, so the placeholders always work.
 */
#ifndef CETS_FUZZSERVER_H
#define CETS_FUZZSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "../../../src/server/server.h"

/* The service, started at the first call (aborts when it cannot start). */
server *fuzz_server(void);
int fuzz_server_port(void);
/* Make both tokens valid again if an input ended or changed them. */
void fuzz_server_tokens_refresh(void);
/* data with every placeholder replaced by its token: malloc'd, *outlen. */
char *fuzz_server_tokens_in(const uint8_t *data, size_t size, size_t *outlen);

/* A TCP connection to the service (a blocking socket), or -1. Every system
 * call here and in the targets retries on EINTR: libFuzzer's -timeout is a
 * SIGALRM that interrupts them. */
int fuzz_server_connect(void);

/* One HTTP request on a connection of its own (Connection: close); the
 * status, or 0 when no answer came. For setting the market up. */
int fuzz_server_request(const char *method, const char *path, const char *token, const char *body);

#endif
