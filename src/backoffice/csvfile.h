/* csvfile.h -- reading the files other institutions send us (the settlement
 * bank's deposit notices and statements, the registry's confirmations):
 * a whole file at once, split into rows of fields, each with its line number.
 *
 * The rules are those of the authority's files (docs/registry.md "CSV
 * files"): UTF-8, one record a line, comma-separated, a header first whose
 * names must match (case and spaces around them do not matter), blank lines
 * skipped, \r\n accepted, a field may be quoted ("" for a quote inside),
 * spaces around a field dropped. Errors are "<name>:<line>: <what>", at most
 * CSV_MAX_ERRORS, then one line saying how many in all; a caller that finds
 * any error uses nothing of the file.
 */
#ifndef CETS_BACKOFFICE_CSVFILE_H
#define CETS_BACKOFFICE_CSVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_MAX_FIELDS 16
#define CSV_MAX_ERRORS 100

typedef struct csv_row {
    int line;
    int n;
    char *f[CSV_MAX_FIELDS];
} csv_row;

typedef struct csv_file {
    char name[128];
    char *buf; /* the text, split in place */
    csv_row *rows;
    size_t nrows, caprows;
    char **errors;
    size_t nerrors, caperrors, bad;
} csv_file;

/* Read text (len bytes) named name, whose header must be the comma-separated
 * names in header. Every row must have as many fields. 0 when well formed,
 * -1 with errors (also for a bad header or an empty file). */
int csv_read(csv_file *c, const char *name, const char *text, size_t len, const char *header);
void csv_free(csv_file *c);
/* Add "<name>:<line>: <what>" (line 0: "<name>: <what>"). */
void csv_error(csv_file *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The closing line after more than CSV_MAX_ERRORS bad rows (call once, at the end). */
void csv_errors_close(csv_file *c);

/* Strict values: money "1234.56" (digits, an optional point and one or two
 * decimals, at most 13 digits before it), a whole number within [min, max],
 * a date "2026-11-30". */
bool csv_money(const char *s, int64_t *fen);
bool csv_int(const char *s, int64_t min, int64_t max, int64_t *out);
bool csv_date(const char *s, int32_t *yyyymmdd);

#endif
