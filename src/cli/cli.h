/* cli.h -- what the files of the cets tool share.
 *
 * The tool is a set of subcommands, dispatched from one table in main.c; each
 * lives in its own file. They share the helpers declared here: flag parsing,
 * text for people (CJK-aware column widths, grouped numbers), calendar dates,
 * data directories, and the printers of the daily market report and the
 * settlement statement, which simulate, report and statement all use so the
 * three print the same thing the same way.
 */
#ifndef CETS_CLI_H
#define CETS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cets/cets.h"
#include "cets/journal.h"

/* Exit codes: 2 is for the person at the keyboard (bad command line),
 * 1 for everything that went wrong after the command line was understood. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* ---- subcommands (one file each) and their usage texts ---------------- */

int cmd_simulate(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_statement(int argc, char **argv);
int cmd_journal(int argc, char **argv);
extern const char simulate_usage[], replay_usage[], report_usage[], statement_usage[];
extern const char journal_usage[];

/* ---- flags (args.c) ----------------------------------------------------- */

typedef enum cli_argkind {
    ARG_BOOL, /* bool *: present or not */
    ARG_INT,  /* int64_t *: within [min, max] */
    ARG_STR,  /* const char **: any text */
    ARG_DATE, /* int32_t *: a valid yyyymmdd */
    ARG_LIST, /* cli_intlist *: repeatable integer within [min, max] */
} cli_argkind;

#define CLI_LIST_MAX 64
typedef struct cli_intlist {
    int64_t v[CLI_LIST_MAX];
    int n;
} cli_intlist;

typedef struct cli_flag {
    const char *name; /* "--orders" */
    cli_argkind kind;
    void *dst;
    int64_t min, max;
} cli_flag;

/* Parse argv[1..argc) (argv[0] is the subcommand's name). "--flag value" and
 * "--flag=value" both work; "--" ends the flags. Positional arguments go to
 * pos (at most maxpos). Returns how many positionals there were; -1 after
 * printing the error and the usage to stderr; -2 after printing the usage to
 * stdout for --help. */
int cli_parse(const char *usage, int argc, char **argv, const cli_flag *flags, int nflags,
              const char **pos, int maxpos);
/* Print "cets: <msg>" and the usage to stderr; returns CLI_USAGE. With
 * cli_errors_json set (a client command run with --json) the message also
 * goes to stdout as {"error":"usage","message":"..."}. */
extern bool cli_errors_json;
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- text for people (textwidth.c, numfmt.c, table.c) ----------------- */

/* Terminal columns of a UTF-8 string: CJK and full-width characters take two. */
int tw_width(const char *s);
/* Print s padded with spaces to width columns, on the left when right is set. */
void tw_pad(FILE *f, const char *s, int width, bool right);

#define FMT_LEN 64
char *fmt_money(int64_t fen, char *buf); /* "1,234,567.89" (cets_fmt_money, grouped) */
char *fmt_price(int64_t fen, char *buf); /* "51.23": prices are never grouped */
char *fmt_int(int64_t n, char *buf);     /* "1,234,567" */
char *fmt_bp(int64_t bp, char *buf);     /* basis points as "+0.43%" */
char *fmt_date(int32_t date, char *buf); /* "2026-11-30" */
char *fmt_tod(int64_t ts, int32_t tz_offset_min, char *buf); /* "10:31:05.123" local */
char *fmt_json_money(int64_t fen, char *buf); /* a JSON number with 2 decimals: "-1.50" */
void json_quote(FILE *f, const char *s);      /* a quoted, escaped JSON string */

/* A table for people: a two-line header (Chinese above English), cells of
 * text, numbers right-aligned, widths measured in terminal columns. */
typedef struct tcol {
    const char *zh, *en;
    bool left; /* text column: aligned left */
} tcol;

typedef struct table {
    const tcol *cols;
    int ncols;
    int nrows, caprows;
    char (*cells)[FMT_LEN]; /* nrows * ncols */
    bool *rule_before;      /* a line above this row (totals) */
} table;

void table_init(table *t, const tcol *cols, int ncols);
/* Start a new row; returns its cells (ncols of FMT_LEN bytes). */
char (*table_row(table *t, bool rule_before))[FMT_LEN];
void table_print(FILE *f, const table *t, int indent);
void table_free(table *t);

/* ---- calendar (calendar.c) --------------------------------------------- */

/* Dates and weekdays: the engine's calendar (cets_date_valid, cets_weekday). */
const char *cal_weekday_name(int32_t date, bool chinese);
/* The trading day after date: the next weekday not among the holidays. */
int32_t cal_next_trading_day(int32_t date, const int32_t *holidays, int n);
/* The operator's calendar file: ./data/holidays-cn.txt, else
 * $CETS_SOURCE_DIR/data/holidays-cn.txt, else the one of the source tree the
 * binary was built in (<exe>/../../data/). NULL if none: an error for the
 * caller unless the user asked for no holidays. */
const char *cal_default_path(char *buf, size_t len);

/* ---- data directories (datadir.c) ---------------------------------------- */

/* Whether dir holds cets state (journal segments, snapshots, stored config). */
bool dd_has_state(const char *dir);
/* Make dir ready for a new market: create it, or, when it holds state, wipe
 * that state (force) or refuse with a message. 0 or -1 with err. */
int dd_prepare_fresh(const char *dir, bool force, char *err, size_t errlen);
/* The configuration the market in dir runs under: the stored engine.config,
 * or for a directory without one the market's defaults, trading from the
 * local date of the journal's first command. */
int dd_guess_config(const char *dir, cets_config *cfg, char *err, size_t errlen);
/* cets_recover() on a private copy of dir, so the files are never changed
 * (recovery truncates torn tails; an inspection must not). *secs: the time
 * cets_recover() took, without the copy. */
cets_engine *dd_recover_readonly(const char *dir, const cets_config *cfg, cets_recovery *rep,
                                 double *secs, char *err, size_t errlen);
/* Replay dir's journal from the first record into a fresh engine from cfg,
 * ignoring snapshots; with stop_date != 0 stop after the END_OF_DAY that
 * closes that date. *records = records applied. Reads only. On success err
 * describes a bad tail of the last segment ("" when the journal is clean). */
cets_engine *dd_replay_scan(const char *dir, const cets_config *cfg, int32_t stop_date,
                            uint64_t *records, char *err, size_t errlen);
double dd_now(void); /* monotonic seconds, for timings */

/* ---- printers (report.c, statement.c) --------------------------------- */

/* The last closed day's market report, as the exchange publishes it. */
int report_print(FILE *f, const cets_engine *e, bool json);
/* The same from statistics at hand (`cets daily-report` builds them from the
 * server's answer): the offline report and the server's print alike. */
void report_print_stats(FILE *f, const cets_day_stats *st, uint32_t n, int64_t composite,
                        int32_t date, bool json);
/* One participant's settlement statement for the last closed day. 0, or -1
 * after printing why (unknown participant, no closed day). */
int statement_print(FILE *f, const cets_engine *e, uint32_t participant, bool json);
/* Names for people. */
const char *kind_name(int kind, bool chinese);
const char *method_name(int method, bool chinese);

#endif
