/* client.h -- what the server-client commands of cets share.
 *
 * The commands that talk to a running cetsd (login, market, post, admin, ...)
 * all go through client.c: it finds the server and the token (flags, then
 * environment, then the profile file), sends one HTTP request on a kept-alive
 * libcurl handle, and turns an API error into "cets: <reason>: <message>".
 * The commands themselves only build a JSON body and print the answer.
 */
#ifndef CETS_CLI_CLIENT_H
#define CETS_CLI_CLIENT_H

#include <stdbool.h>

/* cli.h's json_string (a printer of the report, numfmt.c) and jansson's
 * constructor share a name, and the executable's own definition wins at link
 * time: the client files therefore never call json_string(), only
 * json_stringn(), and cli.h's declaration is renamed away here. */
#define json_string cli_json_string_unused
#include "cli.h"
#undef json_string
#include <jansson.h>

#include "client_cmds.h"

/* The flags every client command takes. */
typedef struct cl_opts {
    const char *server, *token;
    bool json;
    bool quiet; /* a side request (a name for a heading): its failure is not reported */
} cl_opts;

#define CL_COMMON_FLAGS(o)                                                                         \
    {"--server", ARG_STR, &(o).server, 0, 0}, {"--token", ARG_STR, &(o).token, 0, 0},              \
    {                                                                                              \
        "--json", ARG_BOOL, &(o).json, 0, 0                                                        \
    }
#define CL_COMMON_USAGE                                                                            \
    "common flags: --server URL  --token T  --json (print the API's JSON as is)\n"                 \
    "  (defaults: $CETS_SERVER / $CETS_TOKEN, then the profile, see `cets help login`)\n"

/* Parse a client command's flags (the common ones plus extra, at most 13)
 * and minpos..maxpos positionals, then cl_resolve(). Returns -1 to go on,
 * else the exit code (CLI_OK after --help, CLI_USAGE after an error). */
int cl_parse(const char *usage, int argc, char **argv, cl_opts *o, const cli_flag *extra,
             int nextra, const char **pos, int minpos, int maxpos);

/* Fill in o->server and o->token from the environment and the profile
 * where the flags left them unset. */
void cl_resolve(cl_opts *o);

/* One request. body (may be NULL) is consumed. On a 2xx answer returns CLI_OK
 * with *out the parsed answer (caller json_decref()s it) and, with o->json,
 * the raw answer already printed. Otherwise prints the API's error or the
 * transport's and returns CLI_FAIL. */
int cl_call(const cl_opts *o, const char *method, const char *path, json_t *body, json_t **out);

/* The same with a body that is not JSON (a CSV file; ctype NULL: text/csv),
 * and the answer as text (*out, malloc'd: CSV, or JSON the caller parses). */
int cl_call_text(const cl_opts *o, const char *method, const char *path, const char *text,
                 const char *ctype, char **out);
/* The same with a body that is not JSON (a CSV file): payload of plen bytes
 * sent with Content-Type type (NULL: no body). */
int cl_call_raw(const cl_opts *o, const char *method, const char *path, const char *type,
                const char *payload, size_t plen, json_t **out);

/* GET a body that is not JSON (CSV): *text malloc'd, NUL-terminated. */
int cl_get_text(const cl_opts *o, const char *path, char **text);

/* Take the values of a repeatable text flag (--code X --code Y, or
 * --code=X) out of argv: at most cap into vals; the rest of argv (argv[0]
 * included) into rest (argc + 1 entries). Returns how many values, or -1
 * after a usage error (no value, too many). */
int cl_take_repeated(const char *usage, const char *flag, int argc, char **argv, const char **vals,
                     int cap, char **rest, int *nrest);

/* A participant id as an argument (usage error otherwise). */
bool cl_pid_arg(const char *usage, const char *s, long long *id);
/* The caller's participant (GET /me), 0 after an error already printed. */
long long cl_my_participant(const cl_opts *o);
/* The trading date's year (GET /market), 0 after an error. */
int cl_trading_year(const cl_opts *o);

/* A failure that is not the API's: "cets: <message>" on stderr, or under
 * --json {"error":reason,"message":...} on stdout. */
void cl_error(const cl_opts *o, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The profile file: $CETS_PROFILE or ~/.config/cets/profile. Writes
 * "server = ..." and, unless token is NULL, "token = ..." (mode 0600). */
int cl_profile_save(const char *server, const char *token);

/* Path segment: percent-encode anything but letters, digits and "-._~". */
const char *cl_escape(const char *s, char *buf, size_t len);

/* Cells for tables: a JSON value as text ("-" for null or missing). */
void cl_cell(char *cell, const json_t *obj, const char *key);
/* A money string "1234567.80" grouped as "1,234,567.80". */
void cl_money_cell(char *cell, const json_t *obj, const char *key);
/* A money or price string as the API takes it: digits, optional .d or .dd. */
bool cl_is_amount(const char *s);
/* A whole number within [min, max]. */
bool cl_int_arg(const char *s, long long min, long long max, long long *out);

/* "挂牌 listing", "大宗 block", "竞价 auction" for the API's method names. */
const char *cl_method_label(const char *method);
/* A string member, "" when absent. */
const char *cl_str(const json_t *obj, const char *key);
/* A quantity (JSON integer) grouped: "161,440". */
void cl_qty_cell(char *cell, const json_t *obj, const char *key);
/* Money string as fen (0 when absent). */
long long cl_fen(const json_t *obj, const char *key);

/* Times: the API gives UTC ("2026-12-01T22:24:54.123Z"); people read Beijing
 * time (UTC+8, no daylight saving): "2026-12-02 06:24:54". */
#define CL_TZ_OFFSET_S (8 * 3600)
#define CL_TIME_HEAD "时间(北京)", "Time (+08:00)"
bool cl_parse_time(const char *iso_utc, int64_t *unix_s);
void cl_time_text(int64_t unix_s, char *cell);
void cl_time_cell(char *cell, const json_t *obj, const char *key);
/* A Beijing time as typed ("2026-11-30T13:00", "2026-11-30 13:00:30") to Unix seconds. */
bool cl_local_time(const char *s, int64_t *unix_s);

/* Arguments as typed, with the reason when they are not right (a usage
 * error, exit 2): "bad price '75.005': it has more than two decimals ...". */
bool cl_amount_arg(const char *usage, const char *what, const char *s);
bool cl_qty_arg(const char *usage, const char *what, const char *s, long long min, long long max,
                long long *out);

/* Print a JSON object as a two-column "field / value" table. */
enum { CF_TEXT = 0, CF_MONEY = 1, CF_QTY = 2, CF_TIME = 3 };
typedef struct cl_field {
    const char *key, *zh, *en;
    int kind; /* CF_*: how the value is shown */
} cl_field;
void cl_print_fields(const json_t *obj, const cl_field *fields, int n);

/* Shared printers: an account (account, withdraw, admin deposit/credit/...),
 * the answer to an order command (post, take, modify). */
void cl_print_account(const json_t *acct);
void cl_print_order_result(const json_t *r);

#endif
