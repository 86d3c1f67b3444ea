/* config.h -- cetsd's configuration: embedded defaults, a `key = value` file,
 * command-line overrides, and printing it back.
 *
 * Every key has a default compiled in, so cetsd runs without a file. The same
 * table drives parsing, printing (--print-config) and docs/cetsd.conf.example,
 * so a key cannot be parsed without being printed or documented. */
#ifndef CETS_SERVER_CONFIG_H
#define CETS_SERVER_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "server.h"

/* Defaults: every key's documented default value. */
void config_default(server_config *c);
/* Set one key from its text value. 0, or -1 with err ("unknown key", "bad value"). */
int config_set(server_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Read a file of `key = value` lines ('#' starts a comment; blank lines are
 * ignored). 0, or -1 with err naming the file and line. */
int config_load(server_config *c, const char *path, char *err, size_t errlen);
/* Write every key with its current value, in the file's own syntax. */
void config_print(const server_config *c, FILE *out);
/* Fill in what is derived: the engine's start date (0 = today in the market's
 * time zone, or the next weekday), and the core's data directory pointer. */
void config_finish(server_config *c, int64_t now_ns);

#endif
