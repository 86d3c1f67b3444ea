/* log.h -- structured logs: one line per event, logfmt style
 * ("ts=… level=info comp=core key=value …"), to stderr or a file. */
#ifndef CETS_SERVER_LOG_H
#define CETS_SERVER_LOG_H

#include <stdio.h>

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } log_level;

/* Where and from which level; default stderr, info. */
void log_setup(FILE *out, log_level min);
void log_write(log_level lv, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(comp, ...) log_write(LOG_DEBUG, comp, __VA_ARGS__)
#define log_info(comp, ...) log_write(LOG_INFO, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_write(LOG_WARN, comp, __VA_ARGS__)
#define log_error(comp, ...) log_write(LOG_ERROR, comp, __VA_ARGS__)

#endif
