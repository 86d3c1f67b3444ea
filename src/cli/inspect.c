/* inspect.c -- `cets report` and `cets statement`: read a day back.
 *
 * Both recover a data directory (read-only, see datadir.c) and print with the
 * same printers simulate uses. The engine keeps the statistics, statements
 * and trades of the last closed day only; for an earlier day (--date) the
 * journal is replayed from the start until that day's END_OF_DAY, which
 * rebuilds that day's figures exactly as they were published.
 */
#include <stdlib.h>

#include "cli.h"

const char report_usage[] =
    "usage: cets report DIR [--date YYYYMMDD] [--json]\n"
    "Print the daily market report of the last closed trading day in data directory\n"
    "DIR, or of an earlier day with --date.\n";

const char statement_usage[] =
    "usage: cets statement DIR PID [--date YYYYMMDD] [--json]\n"
    "Print participant PID's settlement statement for the last closed trading day in\n"
    "data directory DIR, or for an earlier day with --date.\n";

static int32_t last_closed(const cets_engine *e)
{
    static cets_day_stats st[CETS_MAX_INSTRUMENTS];
    int64_t composite;
    int32_t date = 0;
    cets_last_day_stats(e, st, CETS_MAX_INSTRUMENTS, &composite, &date);
    return date;
}

/* The engine whose last closed day is date (0: the latest). NULL after
 * printing why. */
static cets_engine *inspect_open(const char *dir, int32_t date)
{
    char err[1024];
    cets_config cfg;
    cets_recovery rep;
    if (dd_guess_config(dir, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "cets: %s\n", err);
        return NULL;
    }
    cets_engine *e = dd_recover_readonly(dir, &cfg, &rep, NULL, err, sizeof err);
    if (!e) {
        fprintf(stderr, "cets: recovery of %s failed: %s\n", dir, err);
        return NULL;
    }
    int32_t last = last_closed(e);
    if (date == 0 || date == last) return e;
    if (date > last) {
        fprintf(stderr, "cets: %d has not been closed in %s (last closed day: %d)\n", date, dir,
                last);
        cets_engine_free(e);
        return NULL;
    }
    cfg = *cets_engine_config(e); /* the configuration the market ran with */
    cets_engine_free(e);
    uint64_t records;
    e = dd_replay_scan(dir, &cfg, date, &records, err, sizeof err);
    if (!e) {
        fprintf(stderr, "cets: replay of %s failed: %s\n", dir, err);
        return NULL;
    }
    if (last_closed(e) != date) {
        fprintf(stderr, "cets: no trading day %d was closed in %s\n", date, dir);
        cets_engine_free(e);
        return NULL;
    }
    return e;
}

int cmd_report(int argc, char **argv)
{
    int32_t date = 0;
    bool json = false;
    const cli_flag flags[] = {
        {"--date", ARG_DATE, &date, 0, 0},
        {"--json", ARG_BOOL, &json, 0, 0},
    };
    const char *dir = NULL;
    int n = cli_parse(report_usage, argc, argv, flags, 2, &dir, 1);
    if (n == -2) return CLI_OK;
    if (n < 0) return CLI_USAGE;
    if (n == 0) return cli_usage_error(report_usage, "report needs a data directory");
    cets_engine *e = inspect_open(dir, date);
    if (!e) return CLI_FAIL;
    int rc = report_print(stdout, e, json);
    cets_engine_free(e);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

int cmd_statement(int argc, char **argv)
{
    int32_t date = 0;
    bool json = false;
    const cli_flag flags[] = {
        {"--date", ARG_DATE, &date, 0, 0},
        {"--json", ARG_BOOL, &json, 0, 0},
    };
    const char *pos[2] = {NULL, NULL};
    int n = cli_parse(statement_usage, argc, argv, flags, 2, pos, 2);
    if (n == -2) return CLI_OK;
    if (n < 0) return CLI_USAGE;
    if (n < 2) return cli_usage_error(statement_usage, "statement needs DIR and PID");
    char *end;
    unsigned long pid = strtoul(pos[1], &end, 10);
    if (*end || pos[1][0] == '\0' || pid == 0 || pid > UINT32_MAX)
        return cli_usage_error(statement_usage, "PID must be a participant number, not '%s'",
                               pos[1]);
    cets_engine *e = inspect_open(pos[0], date);
    if (!e) return CLI_FAIL;
    int rc = statement_print(stdout, e, (uint32_t)pid, json);
    cets_engine_free(e);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
