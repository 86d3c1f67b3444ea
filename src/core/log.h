/* log.h -- structured logs: one line per event, logfmt style
 * ("ts=… level=info comp=core key=value …"), to stderr or a file.
 *
 * Every string value goes through log_q(), which quotes and escapes it when
 * it needs it, so that no value -- a user name, a FIX CompID, a path, an
 * address, an error text -- can end the line or add a key of its own
 * ("49=EV\nlevel=error FORGED=2" in a Logon once wrote a forged line):
 *
 *     log_warn("fix", "msg=%s compid=%s peer=%s", log_q("logon refused"), log_q(comp), log_q(peer));
 *
 * Numbers need nothing. As a second line of defence log_write() escapes any
 * control byte that still reaches it, so a line is always one line.
 */
#ifndef CETS_SERVER_LOG_H
#define CETS_SERVER_LOG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } log_level;

/* Where and from which level; default stderr, info. */
void log_setup(FILE *out, log_level min);
/* Whether a line of level lv is written (to skip preparing one that is not). */
bool log_enabled(log_level lv);
void log_write(log_level lv, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(comp, ...) log_write(LOG_DEBUG, comp, __VA_ARGS__)
#define log_info(comp, ...) log_write(LOG_INFO, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_write(LOG_WARN, comp, __VA_ARGS__)
#define log_error(comp, ...) log_write(LOG_ERROR, comp, __VA_ARGS__)

/* The longest value a log line carries, quotes and escapes included; a
 * longer one is cut (on a character boundary) and ends in "...". */
#define LOG_VALUE_MAX 320

/* s as a logfmt value into buf (len bytes): as it is when it is a plain
 * word, else in double quotes with \" \\ \n \r \t and \u00XX escapes.
 * NULL is "-", the empty string "". Returns buf. */
const char *log_quote(char *buf, size_t len, const char *s);

/* log_quote() into a buffer that lives as long as the statement it is in. */
#define log_q(s) log_quote((char[LOG_VALUE_MAX]){0}, LOG_VALUE_MAX, (s))

#endif
