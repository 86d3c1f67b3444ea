/* journal.c -- `cets journal check DIR` and `cets journal repair DIR [--yes]`.
 *
 * check says what recovery (cetsd's start) would do with a data directory,
 * without changing it: start, and what it would cut or find damaged, or
 * refuse, and where a repair would cut. repair is the operator's explicit
 * way past a refusal: without --yes it only shows the cut, with --yes it
 * makes it (cets_journal_repair(): the bytes are kept, nothing deleted) and
 * logs it as a warning, because acknowledged commands are given up there.
 * Both refuse a directory a running cetsd holds.
 *
 * Output is key=value lines like `cets replay`; the warning is one logfmt
 * line on stderr, as cetsd would write it.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"

const char journal_usage[] =
    "usage: cets journal check DIR\n"
    "       cets journal repair DIR [--yes]\n"
    "Judge a data directory's journal as recovery would, or cut it where recovery\n"
    "refuses to go on. Neither runs while cetsd holds the directory.\n\n"
    "  check          what recovery would do, changing nothing: exit 0 when it would\n"
    "                 start (verdict=clean, or recovers: it would cut a torn tail or\n"
    "                 found damage the snapshot covers), 1 when it would refuse\n"
    "                 (verdict=refused, and the cut a repair would make)\n"
    "  repair         show the cut that makes a refused directory recoverable\n"
    "  repair --yes   make it: the commands from the damage on are given up; the bytes\n"
    "                 cut are kept in <segment>.cut-<offset>, later segments renamed\n"
    "                 <segment>.cut-0; logged at warn\n";

static void journal_print_cut(const cets_journal_cut *c)
{
    printf("cut_segment=%s\n", c->segment);
    printf("cut_offset=%" PRIu64 "\n", c->offset);
    printf("cut_bytes=%" PRIu64 "\n", c->bytes);
    printf("cut_records=%" PRIu64 "\n", c->records);
    printf("cut_first_seq=%" PRIu64 "\n", c->first_seq);
    if (c->last_seq)
        printf("cut_last_seq=%" PRIu64 "\n", c->last_seq);
    else
        printf("cut_last_seq=unknown\n");
    printf("cut_later_segments=%u\n", c->later_segments);
    printf("cut_saved_as=%s\n", c->saved);
}

/* Check and print; returns check's result (0, 1, -1). */
static int journal_check_print(const char *dir, cets_journal_cut *cut)
{
    cets_recovery rep;
    char err[1024];
    int rc = cets_journal_check(dir, &rep, cut, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "cets: journal check of %s failed: %s\n", dir, err);
        return rc;
    }
    printf("verdict=%s\n", rc ? "refused" : rep.warn ? "recovers" : "clean");
    printf("snapshot_seq=%" PRIu64 "\n", rep.snapshot_seq);
    if (rc) {
        printf("refusal: %s\n", err);
        if (cut->segment[0])
            journal_print_cut(cut);
        else
            printf("repair: a cut cannot help; restore the directory from a backup\n");
        return rc;
    }
    printf("last_seq=%" PRIu64 "\n", rep.last_seq);
    printf("records_to_replay=%" PRIu64 "\n", rep.replayed);
    printf("truncated_bytes=%" PRIu64 "\n", rep.truncated_bytes);
    printf("truncated_records=%" PRIu64 "\n", rep.truncated_records);
    printf("recovery: %s\n", rep.message);
    return 0;
}

/* The warning, one logfmt line on stderr as cetsd's log would have it. */
static void journal_log_cut(const char *dir, const cets_journal_cut *c)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32], last[24];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    if (c->last_seq)
        snprintf(last, sizeof last, "%" PRIu64, c->last_seq);
    else
        snprintf(last, sizeof last, "unknown");
    fprintf(stderr,
            "ts=%s.%03dZ level=warn comp=journal msg=\"journal cut by repair: acknowledged "
            "commands given up\" dir=\"%s\" segment=%s offset=%" PRIu64 " bytes_cut=%" PRIu64
            " records_dropped=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%s later_segments=%u "
            "saved=%s\n",
            ts, (int)(tv.tv_usec / 1000), dir, c->segment, c->offset, c->bytes, c->records,
            c->first_seq, last, c->later_segments, c->saved);
}

static int journal_repair(const char *dir, bool yes)
{
    cets_journal_cut cut;
    int rc = journal_check_print(dir, &cut);
    if (rc < 0) return CLI_FAIL;
    if (rc == 0) {
        printf("repair: nothing to cut; recovery starts as it is\n");
        return CLI_OK;
    }
    if (!cut.segment[0]) return CLI_FAIL;
    if (!yes) {
        printf("repair: would cut %s at offset %" PRIu64 "; nothing was changed; run again "
               "with --yes to cut\n",
               cut.segment, cut.offset);
        return CLI_OK;
    }
    char err[1024];
    cets_journal_cut done;
    if (cets_journal_repair(dir, &done, err, sizeof err) != 0) {
        fprintf(stderr, "cets: journal repair of %s failed: %s\n", dir, err);
        return CLI_FAIL;
    }
    if (!done.segment[0]) { /* changed since the check */
        printf("repair: nothing to cut; recovery starts as it is\n");
        return CLI_OK;
    }
    journal_log_cut(dir, &done);
    printf("repaired=yes\n");
    journal_print_cut(&done);
    return journal_check_print(dir, &cut) == 0 ? CLI_OK : CLI_FAIL;
}

int cmd_journal(int argc, char **argv)
{
    bool yes = false;
    const cli_flag flags[] = {{"--yes", ARG_BOOL, &yes, 0, 0}};
    const char *pos[2] = {NULL, NULL};
    int n = cli_parse(journal_usage, argc, argv, flags, 1, pos, 2);
    if (n == -2) return CLI_OK;
    if (n < 0) return CLI_USAGE;
    if (n < 2)
        return cli_usage_error(journal_usage,
                               "journal needs check or repair, and a data directory");
    const char *what = pos[0], *dir = pos[1];
    if (strcmp(what, "check") == 0) {
        if (yes) return cli_usage_error(journal_usage, "--yes is for repair");
        printf("dir=%s\n", dir);
        cets_journal_cut cut;
        return journal_check_print(dir, &cut) == 0 ? CLI_OK : CLI_FAIL;
    }
    if (strcmp(what, "repair") == 0) {
        printf("dir=%s\n", dir);
        return journal_repair(dir, yes);
    }
    return cli_usage_error(journal_usage, "unknown journal command '%s' (check or repair)", what);
}
