/* client_history.c -- the back office from the command line: history and
 * exports, the settlement bank's files, the registry file, the audit log's
 * head (docs/guide.md "History and the back office").
 *
 *   cets history KIND FROM [TO] [--code C] [--participant N] [--limit N] [--all] [--csv]
 *   cets history report [DATE] [--csv]      cets history statement [DATE] [--participant N]
 *   cets bank deposits FILE | withdrawals DATE | reconcile FILE [--csv]
 *   cets registry-file DATE | confirm FILE [--csv]
 *   cets audit head | verify FILE
 *
 * Tables print every field of the answer; --csv prints the server's CSV as
 * it is, for spreadsheets and scripts; --json the JSON as it is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cets/registry.h"
#include "client.h"
#include "core/jsonin.h"

const char history_usage[] =
    "usage: cets history KIND FROM [TO] [--code C] [--participant N] [--limit N] [--all] [--csv]\n"
    "       cets history bars FROM [TO] --code C [--interval 1m|1d]\n"
    "       cets history report [DATE] [--csv]\n"
    "       cets history statement [DATE] [--participant N]\n"
    "KIND: trades (the market's), fills, orders, funds, holdings (your participant's; an\n"
    "admin names another with --participant). Dates are YYYY-MM-DD, trading days,\n"
    "inclusive. A page holds --limit rows (1000); --all follows the cursors to the end.\n"
    "report: the daily market report of a past day (default: the last closed "
    "one).\n" CL_COMMON_USAGE;
const char bank_usage[] =
    "usage: cets bank deposits FILE      import the bank's deposit notices (CSV); a notice\n"
    "                                    already applied is recognised by its reference\n"
    "       cets bank withdrawals DATE   the day's withdrawal instructions for the bank (CSV)\n"
    "       cets bank reconcile FILE [--csv]  the bank's statement against every participant's\n"
    "                                    funds at that day's close: the discrepancies\n"
    "Role admin. Formats: docs/backoffice.md.\n" CL_COMMON_USAGE;
const char registry_file_usage[] =
    "usage: cets registry-file DATE            the day's holdings movements for the registry "
    "(CSV)\n"
    "       cets registry-file confirm FILE [--csv]  the registry's confirmation reconciled\n"
    "Role admin. Formats: docs/backoffice.md.\n" CL_COMMON_USAGE;
const char audit_usage[] =
    "usage: cets audit verify FILE   check an audit log's hash chain (a live server's too)\n"
    "       cets audit head          the server's chain head: the last line's seq and "
    "hash\n" CL_COMMON_USAGE;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cets: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *g = realloc(buf, cap);
            if (!g) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = g;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = 0;
    return buf;
}

/* Every field of each item, in the answer's order (times without their _ns twin). */
static void items_table(const json_t *items)
{
    const json_t *first = json_array_get(items, 0);
    if (!first) {
        puts("(none)");
        return;
    }
    static tcol cols[32];
    static const char *keys[32];
    int n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)first, k, v)
    {
        size_t kl = strlen(k);
        if (n == 32 || (kl > 3 && strcmp(k + kl - 3, "_ns") == 0)) continue;
        keys[n] = k;
        cols[n] = (tcol){"", k, json_is_string(v)};
        n++;
    }
    table t;
    table_init(&t, cols, n);
    for (size_t i = 0; i < json_array_size(items); i++) {
        char(*row)[FMT_LEN] = table_row(&t, false);
        for (int c = 0; c < n; c++) cl_cell(row[c], json_array_get(items, i), keys[c]);
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

static int history_list(cl_opts *o, const char *kind, const char *from, const char *to,
                        const char *code, int64_t participant, int64_t limit, bool all, bool csv,
                        const char *interval)
{
    char path[1024], esc[64];
    int n =
        snprintf(path, sizeof path, "/history/%s?from=%s", kind, cl_escape(from, esc, sizeof esc));
    if (to)
        n += snprintf(path + n, sizeof path - (size_t)n, "&to=%s", cl_escape(to, esc, sizeof esc));
    if (code)
        n += snprintf(path + n, sizeof path - (size_t)n, "&code=%s",
                      cl_escape(code, esc, sizeof esc));
    if (participant)
        n += snprintf(path + n, sizeof path - (size_t)n, "&participant=%lld",
                      (long long)participant);
    if (limit) n += snprintf(path + n, sizeof path - (size_t)n, "&limit=%lld", (long long)limit);
    if (interval)
        n += snprintf(path + n, sizeof path - (size_t)n, "&interval=%s",
                      cl_escape(interval, esc, sizeof esc));
    if (csv) {
        snprintf(path + n, sizeof path - (size_t)n, "&format=csv");
        char *text;
        int rc = cl_call_text(o, "GET", path, NULL, NULL, &text);
        if (rc == CLI_OK) fputs(text, stdout);
        free(text);
        return rc;
    }
    json_t *items = json_array();
    char cursor[64] = "";
    int rc = CLI_OK;
    for (;;) {
        char page[1200];
        snprintf(page, sizeof page, "%s%s%s", path, cursor[0] ? "&cursor=" : "", cursor);
        json_t *a;
        if ((rc = cl_call(o, "GET", page, NULL, &a))) break;
        json_array_extend(items, json_object_get(a, "items"));
        const char *next = json_string_value(json_object_get(a, "next_cursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(a);
        if (!all || !cursor[0]) break;
    }
    if (rc == CLI_OK && !o->json) {
        items_table(items);
        if (cursor[0]) printf("\n(more: --all, or the next page from cursor %s)\n", cursor);
    }
    json_decref(items);
    return rc;
}

static void report_table(const json_t *a)
{
    char d[FMT_LEN], c[FMT_LEN];
    cl_cell(d, a, "date");
    cl_cell(c, a, "composite");
    printf("每日成交 Daily market report %s   综合价 Composite %s\n\n", d, c);
    items_table(json_object_get(a, "instruments"));
    const json_t *au = json_object_get(a, "audit");
    if (json_is_object(au)) {
        char s[FMT_LEN], h[FMT_LEN * 2];
        cl_cell(s, au, "seq");
        snprintf(h, sizeof h, "%s", json_string_value(json_object_get(au, "head")));
        printf("\n审计链 Audit chain head at seq %s: %s\n", s, h);
    }
}

int cmd_history(int argc, char **argv)
{
    cl_opts o = {0};
    const char *code = NULL, *interval = NULL, *pos[3] = {0};
    int64_t participant = 0, limit = 0;
    bool all = false, csv = false;
    const cli_flag extra[] = {{"--code", ARG_STR, &code, 0, 0},
                              {"--participant", ARG_INT, &participant, 1, UINT32_MAX - 1},
                              {"--limit", ARG_INT, &limit, 1, 1000000},
                              {"--all", ARG_BOOL, &all, 0, 0},
                              {"--csv", ARG_BOOL, &csv, 0, 0},
                              {"--interval", ARG_STR, &interval, 0, 0}};
    int rc = cl_parse(history_usage, argc, argv, &o, extra, 6, pos, 1, 3);
    if (rc >= 0) return rc;
    const char *kind = pos[0];
    if (strcmp(kind, "report") == 0 || strcmp(kind, "statement") == 0) {
        if (pos[2]) return cli_usage_error(history_usage, "%s takes one date", kind);
        char path[256], esc[64];
        int n = snprintf(path, sizeof path, "/history/%s?x=1", kind);
        if (pos[1])
            n += snprintf(path + n, sizeof path - (size_t)n, "&date=%s",
                          cl_escape(pos[1], esc, sizeof esc));
        if (participant)
            n += snprintf(path + n, sizeof path - (size_t)n, "&participant=%lld",
                          (long long)participant);
        if (csv) {
            snprintf(path + n, sizeof path - (size_t)n, "&format=csv");
            char *text;
            if ((rc = cl_call_text(&o, "GET", path, NULL, NULL, &text)) == CLI_OK)
                fputs(text, stdout);
            free(text);
            return rc;
        }
        json_t *a;
        if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
        if (!o.json && kind[0] == 'r') {
            report_table(a);
        } else if (!o.json) {
            json_t *lines = json_incref(json_object_get(a, "lines"));
            json_object_del(a, "lines");
            json_t *one = json_pack("[O]", a);
            items_table(one);
            puts("");
            items_table(lines);
            json_decref(one);
            json_decref(lines);
        }
        json_decref(a);
        return CLI_OK;
    }
    if (!pos[1]) return cli_usage_error(history_usage, "%s needs a date: FROM [TO]", kind);
    return history_list(&o, kind, pos[1], pos[2], code, participant, limit, all, csv, interval);
}

/* POST a CSV file; the answer (JSON) into *out. */
static int post_file(cl_opts *o, const char *path, const char *file, bool csv, char **out)
{
    char *text = read_file(file);
    if (!text) return CLI_FAIL;
    char p[256];
    snprintf(p, sizeof p, "%s%s", path, csv ? "?format=csv" : "");
    int rc = cl_call_text(o, "POST", p, text, "text/csv", out);
    free(text);
    return rc;
}

/* A server's answer read as the outside input it is (jsonin.h: nesting
 * bounded); NULL after saying why. */
static json_t *answer_json(const char *answer)
{
    json_error_t je;
    json_t *a = jsonin_loadb(answer, strlen(answer), 0, &je);
    if (!a) fprintf(stderr, "cets: the server's answer is not JSON: %s\n", je.text);
    return a;
}

static int print_recon(const char *answer, bool money)
{
    json_t *a = answer_json(answer);
    if (!a) return CLI_FAIL;
    char d[FMT_LEN], c[FMT_LEN], m[FMT_LEN];
    cl_cell(d, a, "date");
    cl_cell(c, a, "compared");
    cl_cell(m, a, "matched");
    printf("%s %s: %s compared, %s matched, %zu discrepancies\n",
           money ? "对账 Bank" : "对账 Registry", d, c, m,
           json_array_size(json_object_get(a, "discrepancies")));
    if (json_array_size(json_object_get(a, "discrepancies")))
        items_table(json_object_get(a, "discrepancies"));
    json_decref(a);
    return CLI_OK;
}

int cmd_bank(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2] = {0};
    bool csv = false;
    const cli_flag extra[] = {{"--csv", ARG_BOOL, &csv, 0, 0}};
    int rc = cl_parse(bank_usage, argc, argv, &o, extra, 1, pos, 2, 2);
    if (rc >= 0) return rc;
    char *out = NULL;
    if (strcmp(pos[0], "deposits") == 0) {
        if ((rc = post_file(&o, "/admin/bank/deposits", pos[1], false, &out)) == CLI_OK) {
            json_t *a = o.json ? NULL : answer_json(out);
            if (o.json)
                puts(out);
            else if (!a)
                rc = CLI_FAIL;
            else
                printf("applied %lld notices, %s yuan; %zu already applied (recognised by their "
                       "bank reference)\n",
                       (long long)json_integer_value(json_object_get(a, "applied")),
                       json_string_value(json_object_get(a, "amount")),
                       json_array_size(json_object_get(a, "duplicates")));
            json_decref(a);
        }
    } else if (strcmp(pos[0], "withdrawals") == 0) {
        char path[128], esc[64];
        snprintf(path, sizeof path, "/admin/bank/withdrawals?date=%s",
                 cl_escape(pos[1], esc, sizeof esc));
        if ((rc = cl_call_text(&o, "GET", path, NULL, NULL, &out)) == CLI_OK) fputs(out, stdout);
    } else if (strcmp(pos[0], "reconcile") == 0) {
        if ((rc = post_file(&o, "/admin/bank/statement", pos[1], csv, &out)) == CLI_OK)
            rc = csv || o.json ? (fputs(out, stdout), CLI_OK) : print_recon(out, true);
    } else {
        rc = cli_usage_error(bank_usage, "unknown bank command '%s'", pos[0]);
    }
    free(out);
    return rc;
}

int cmd_registry_file(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2] = {0};
    bool csv = false;
    const cli_flag extra[] = {{"--csv", ARG_BOOL, &csv, 0, 0}};
    int rc = cl_parse(registry_file_usage, argc, argv, &o, extra, 1, pos, 1, 2);
    if (rc >= 0) return rc;
    char *out = NULL;
    if (strcmp(pos[0], "confirm") == 0) {
        if (!pos[1]) return cli_usage_error(registry_file_usage, "confirm needs a FILE");
        if ((rc = post_file(&o, "/admin/registry-file/confirmation", pos[1], csv, &out)) == CLI_OK)
            rc = csv || o.json ? (fputs(out, stdout), CLI_OK) : print_recon(out, false);
    } else {
        if (pos[1]) return cli_usage_error(registry_file_usage, "one DATE");
        char path[128], esc[64];
        snprintf(path, sizeof path, "/admin/registry-file?date=%s",
                 cl_escape(pos[0], esc, sizeof esc));
        if ((rc = cl_call_text(&o, "GET", path, NULL, NULL, &out)) == CLI_OK) fputs(out, stdout);
    }
    free(out);
    return rc;
}

int cmd_audit(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return cets_audit_verify_main(argc - 1, argv + 1);
    cl_opts o = {0};
    const char *pos[1] = {0};
    int rc = cl_parse(audit_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    if (strcmp(pos[0], "head") != 0)
        return cli_usage_error(audit_usage, "unknown audit command '%s'", pos[0]);
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/audit/head", NULL, &a))) return rc;
    if (!o.json)
        printf("seq %lld %s\n", (long long)json_integer_value(json_object_get(a, "seq")),
               json_string_value(json_object_get(a, "head")));
    json_decref(a);
    return CLI_OK;
}
