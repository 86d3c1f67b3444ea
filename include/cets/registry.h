/* registry.h -- the registry's files: CSV loaders for allocations and verified
 * emissions, the compliance report, and the hash-chained audit log.
 *
 * None of this is in the engine: the engine stays free of I/O, and these
 * functions only read its state (cets_*_get/foreach) or listen to its events.
 * Loaders never change the engine either: they turn a file into commands for
 * the caller to sequence, journal and apply. docs/registry.md describes the
 * formats.
 */
#ifndef CETS_REGISTRY_H
#define CETS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cets/api.h"
#include "cets/cets.h"

/* ---- CSV loaders (src/registry/csv.c) ---------------------------------- */

/* What a loader found. On success: cmds (ALLOCATE or EMISSIONS commands, in
 * file order, actor = the authority given, seq and ts zero for the sequencer
 * to fill) and no errors. On failure: no commands at all, and one message per
 * bad row, "<name>:<line>: <what is wrong>", in file order (at most
 * CETS_LOAD_MAX_ERRORS, then one line saying how many bad rows there were). */
typedef struct cets_load {
    cets_cmd *cmds;
    size_t ncmds;
    char **errors;
    size_t nerrors;
} cets_load;

#define CETS_LOAD_MAX_ERRORS 100

/* Allocations: header "entity,vintage,kind,qty,output,benchmark"; entity a
 * compliance entity's participant id, vintage a CEA instrument code, kind
 * "pre" or "trueup", qty tonnes (a true-up may be negative: it takes back),
 * output and benchmark the basis (non-negative integers). The whole file is
 * checked against the engine's state as it will be when the rows are applied
 * in order (deductions owed, take-backs covered), so that a file that loads
 * applies without a rejection. 0 when the file is good, -1 otherwise. */
CETS_API int cets_load_allocations(const cets_engine *e, const char *path, uint32_t authority,
                                   cets_load *out);
/* Verified emissions: header "entity,year,tonnes". */
CETS_API int cets_load_emissions(const cets_engine *e, const char *path, uint32_t authority,
                                 cets_load *out);
/* The same from text in memory; name is used in the messages. */
CETS_API int cets_load_allocations_text(const cets_engine *e, const char *name, const char *text,
                                        size_t len, uint32_t authority, cets_load *out);
CETS_API int cets_load_emissions_text(const cets_engine *e, const char *name, const char *text,
                                      size_t len, uint32_t authority, cets_load *out);
CETS_API void cets_load_free(cets_load *l);

/* ---- the holiday calendar file (src/registry/holidays.c) ----------------- */

/* Read a holiday file: one YYYYMMDD per line, '#' starts a comment, blank
 * lines ignored. Returns the number of dates (at most cap), in file order, or
 * -1 with err ("<path>: No such file or directory", "<path>:<line>: not a
 * date (YYYYMMDD): ..."). The caller stops on -1: no calendar is not a
 * calendar without holidays. */
CETS_API int cets_holidays_load(const char *path, int32_t *dates, int cap, char *err,
                                size_t errlen);

/* ---- CSV output (src/registry/csvout.c) ---------------------------------- */

/* Write s as one text cell of a CSV file: quoted (RFC 4180) when it holds a
 * comma, a double quote or a line break, and with a leading ' when it starts
 * with =, +, -, @, a tab or a carriage return, so that a spreadsheet shows
 * it as text instead of running it as a formula. Every CSV the system writes
 * puts its text cells through here; numbers it formats itself are written
 * as they are (a negative one starts with '-' and stays a number).
 * 0, or -1 on a write error. */
int cets_csv_text(FILE *out, const char *s);
/* True when cets_csv_text writes s exactly as it is (nothing to quote, no
 * formula to guard): for writers that copy such cells themselves. */
bool cets_csv_text_plain(const char *s);
/* Length of the well-formed UTF-8 character at s (1-4), 0 when it is not one
 * (a stray or overlong byte, a surrogate, past U+10FFFF, or cut short by the
 * end of the string). The one check of UTF-8 for the CSV and JSON the
 * registry, the server and the CLI write. */
int cets_utf8_char_len(const char *s);

/* ---- compliance report (src/registry/report.c) -------------------------- */

/* One row per compliance entity (every participant of kind ENTITY, by id):
 * obligation, surrendered allowances and CCER, outstanding, shortfall,
 * penalty, status. No access control: callers decide who may see it.
 * 0, or -1 on a write error. */
CETS_API int cets_report_compliance_csv(const cets_engine *e, int32_t year, FILE *out);
CETS_API int cets_report_compliance_json(const cets_engine *e, int32_t year, FILE *out);

/* ---- audit log (src/registry/audit.c) ----------------------------------- */

/* One line per movement in <dir>/audit.log:
 *   seq|ts|kind|participant|counterparty|instrument|qty|price|value|year|ref|detail|prev_hash|hash
 * hash = hex BLAKE2b-256 of everything before "|hash" (so of prev_hash and
 * every field); the first line's prev_hash is 64 zeros. The file is a
 * projection of the journal: whoever commits the journal calls
 * cets_audit_commit() after each journal commit, and cets_audit_rebuild()
 * writes it again from the journal. */
typedef struct cets_audit cets_audit;

#define CETS_AUDIT_FILE "audit.log"
#define CETS_AUDIT_HASH_HEX 64

/* Open <dir>/audit.log for appending (created if missing). An existing file
 * continues its chain: its last line gives the previous hash and the last
 * seq; a torn last line (no newline) is cut off. NULL with err on failure. */
CETS_API cets_audit *cets_audit_open(const char *dir, char *err, size_t errlen);
/* Where a writer that reopened the file goes on: the last command all of whose
 * lines the file surely holds (the one before the last line's, whose lines a
 * crash may have cut short; 0 for an empty file). Feed the events of every
 * later command: those of the last line's command that are already in the
 * file are recognised and not written again. */
CETS_API uint64_t cets_audit_resume_at(const cets_audit *a);
/* The command whose events come next (before cets_apply): its user goes on
 * every line it makes, its free text (a code, a name, a bank reference, a user
 * name) on operator lines. Without it, lines carry the user of a registry
 * movement, 0 elsewhere. */
CETS_API void cets_audit_command(cets_audit *a, const cets_cmd *cmd);
/* Commit what is buffered (sync: and fdatasync), then free. */
CETS_API int cets_audit_close(cets_audit *a);
/* Feed one engine event: operator commands (ADMIN: deposits, withdrawals,
 * issuance, instruments, participants, halts, calendar, end of day, users),
 * registry movements, block steps, auction steps and trades become lines
 * (buffered, no I/O); others are ignored. Events of commands before the file's
 * last line's are skipped, and of that command the lines already written, so
 * a replay does not write lines twice. */
CETS_API void cets_audit_event(cets_audit *a, const cets_event *ev);
/* The same as a cets_listener (ctx = the cets_audit). */
CETS_API void cets_audit_listener(void *ctx, const cets_event *ev);
/* Write the buffered lines; with sync, fdatasync too. 0 or -1 (err set). */
CETS_API int cets_audit_commit(cets_audit *a, bool sync);
CETS_API const char *cets_audit_error(const cets_audit *a);
/* Drop the buffered lines (their commands were not made durable by their
 * owner, or a write failed): the log may then only be closed, and reopened. */
CETS_API void cets_audit_discard(cets_audit *a);
/* Seq of the last line written or buffered (0: none). */
CETS_API uint64_t cets_audit_last_seq(const cets_audit *a);
/* The hash of the last line (hex, 64 chars and NUL). */
CETS_API const char *cets_audit_head(const cets_audit *a);

/* Replay the journal of data directory dir from its first command with a
 * fresh engine under the stored configuration, into a new audit file written
 * beside it and renamed over <dir>/audit.log (atomic). Reads the journal
 * only (never the snapshots, which would skip history). 0 or -1 with err. */
CETS_API int cets_audit_rebuild(const char *dir, char *err, size_t errlen);

/* Check the whole chain of an audit file. 0 when every line is well formed,
 * links to the previous one and hashes right; 1 with msg naming the first
 * broken link ("audit.log:17: seq 1234: ..."); -1 when the file cannot be
 * read (msg says why). msg may be NULL. */
CETS_API int cets_audit_verify(const char *path, char *msg, size_t msglen);

/* `cets audit verify FILE`: argv[0] is "verify" (or the subcommand's name),
 * argv[1] the file. Prints the outcome; exit codes 0 ok, 1 broken or
 * unreadable, 2 usage. */
CETS_API int cets_audit_verify_main(int argc, char **argv);
/* Its usage text, for the tool's table of commands. */
extern const char cets_audit_usage[];

#endif
