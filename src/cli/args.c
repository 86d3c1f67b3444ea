/* args.c -- command-line flags from a table.
 *
 * Each subcommand describes its flags as a small array (name, kind, where to
 * store, range) and calls cli_parse(). Anything the table does not know is a
 * usage error (exit 2) that names the offending word, then shows the usage:
 * a typo must never silently run a day-long simulation with defaults.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_errors_json;

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cli_errors_json) { /* a program asked: the error as JSON on stdout too */
        fputs("{\"error\":\"usage\",\"message\":", stdout);
        json_quote(stdout, msg);
        fputs("}\n", stdout);
    }
    fprintf(stderr, "cets: %s\n", msg);
    fputs(usage, stderr);
    return CLI_USAGE;
}

/* Whole decimal number, nothing else. */
static bool parse_i64(const char *s, int64_t *out)
{
    if (!*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static const cli_flag *flag_find(const cli_flag *flags, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

/* Store one flag's value; false after printing the usage error. */
static bool flag_store(const char *usage, const cli_flag *f, const char *val)
{
    int64_t v = 0;
    switch (f->kind) {
    case ARG_BOOL: *(bool *)f->dst = true; return true;
    case ARG_STR: *(const char **)f->dst = val; return true;
    case ARG_DATE:
        if (!parse_i64(val, &v) || v > INT32_MAX || !cets_date_valid((int32_t)v)) {
            cli_usage_error(usage, "%s wants a date as YYYYMMDD, not '%s'", f->name, val);
            return false;
        }
        *(int32_t *)f->dst = (int32_t)v;
        return true;
    case ARG_INT:
    case ARG_LIST:
        if (!parse_i64(val, &v) || v < f->min || v > f->max) {
            cli_usage_error(usage, "%s wants a whole number from %lld to %lld, not '%s'", f->name,
                            (long long)f->min, (long long)f->max, val);
            return false;
        }
        if (f->kind == ARG_INT) {
            *(int64_t *)f->dst = v;
            return true;
        }
        cli_intlist *l = f->dst;
        if (l->n == CLI_LIST_MAX) {
            cli_usage_error(usage, "%s may be given at most %d times", f->name, CLI_LIST_MAX);
            return false;
        }
        l->v[l->n++] = v;
        return true;
    }
    return false;
}

int cli_parse(const char *usage, int argc, char **argv, const cli_flag *flags, int nflags,
              const char **pos, int maxpos)
{
    int npos = 0;
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* "-" alone is positional, and so is a negative number ("-5", "-.5"):
         * the command then says what is wrong with it, not "unknown flag". */
        bool negative = a[0] == '-' && ((a[1] >= '0' && a[1] <= '9') || a[1] == '.');
        if (flags_done || a[0] != '-' || a[1] == '\0' || negative) {
            if (npos == maxpos) {
                cli_usage_error(usage, "unexpected argument '%s'", a);
                return -1;
            }
            pos[npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -2;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const cli_flag *f = flag_find(flags, nflags, a, len);
        if (!f) {
            cli_usage_error(usage, "unknown flag '%.*s'", (int)len, a);
            return -1;
        }
        const char *val = NULL;
        if (f->kind == ARG_BOOL) {
            if (eq) {
                cli_usage_error(usage, "%s takes no value", f->name);
                return -1;
            }
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            cli_usage_error(usage, "%s needs a value", f->name);
            return -1;
        }
        if (!flag_store(usage, f, val)) return -1;
    }
    return npos;
}
