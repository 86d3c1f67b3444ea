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
} cl_opts;

#define CL_COMMON_FLAGS(o)                                                         \
    {"--server", ARG_STR, &(o).server, 0, 0}, {"--token", ARG_STR, &(o).token, 0, 0}, \
        {"--json", ARG_BOOL, &(o).json, 0, 0}
#define CL_COMMON_USAGE                                                            \
    "common flags: --server URL  --token T  --json (print the API's JSON as is)\n" \
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
int cl_call(const cl_opts *o, const char *method, const char *path, json_t *body,
            json_t **out);

/* The same with a body that is not JSON (a CSV file; ctype NULL: text/csv),
 * and the answer as text (*out, malloc'd: CSV, or JSON the caller parses). */
int cl_call_text(const cl_opts *o, const char *method, const char *path, const char *text,
                 const char *ctype, char **out);

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

/* Print a JSON object as a two-column "field / value" table. */
typedef struct cl_field {
    const char *key, *zh, *en;
    bool money;
} cl_field;
void cl_print_fields(const json_t *obj, const cl_field *fields, int n);

/* Shared printers: an account (account, withdraw, admin deposit/credit/...),
 * the answer to an order command (post, take, modify). */
void cl_print_account(const json_t *acct);
void cl_print_order_result(const json_t *r);

#endif
