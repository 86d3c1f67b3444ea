/* jsonin.h -- reading JSON that comes from outside the process: HTTP bodies,
 * WebSocket messages, the users file, a server's answers to the CLI.
 *
 * jansson parses by recursion, one stack frame per level of [ and {, and
 * accepts up to 2,048 levels. A civetweb worker thread has a small stack, so
 * 800 levels in one unauthenticated request overflowed it and killed the
 * whole exchange. Every such input is therefore scanned first, without
 * recursion, and refused before jansson sees it when it nests deeper than
 * JSONIN_MAX_DEPTH. No request or file of ours nests more than four levels.
 */
#ifndef CETS_SERVER_JSONIN_H
#define CETS_SERVER_JSONIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The deepest nesting of arrays and objects accepted (docs/api.md). */
#define JSONIN_MAX_DEPTH 32

/* Does buf nest [ and { (outside strings) at most JSONIN_MAX_DEPTH deep?
 * false with *je filled ("nested too deep ...", the line, column and
 * position of the first bracket too many). Syntax is not checked here. */
bool jsonin_depth_ok(const char *buf, size_t len, json_error_t *je);

/* json_loadb() after jsonin_depth_ok(): NULL with *je on either failure. */
json_t *jsonin_loadb(const char *buf, size_t len, size_t flags, json_error_t *je);

/* The whole file at path through jsonin_loadb(). NULL with *je; *missing
 * is set when the file does not exist. */
json_t *jsonin_load_file(const char *path, size_t flags, json_error_t *je, bool *missing);

#endif
