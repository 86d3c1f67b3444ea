/* datadir.c -- a data directory as the tool sees it.
 *
 * simulate needs a fresh directory: it must never append a new market to an
 * old journal, so a directory that already holds state is refused unless the
 * user asks to wipe it. The inspection commands (replay, report, statement)
 * must never change a directory, yet cets_recover() truncates a torn tail in
 * place: they recover from a private copy in $TMPDIR instead, and the
 * from-scratch replay reads the journal with cets_journal_scan(), which
 * changes nothing by contract.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double dd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Files that are cets state: journal segments, snapshots (and their
 * temporaries), the journal's stored engine configuration. */
static bool is_state_file(const char *name)
{
    return strncmp(name, "journal-", 8) == 0 || strncmp(name, "snapshot-", 9) == 0 ||
           strncmp(name, "engine.", 7) == 0;
}

bool dd_has_state(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    for (struct dirent *de; !found && (de = readdir(d));) found = is_state_file(de->d_name);
    closedir(d);
    return found;
}

/* mkdir -p */
static int mkdir_parents(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        snprintf(err, errlen, "directory name too long");
        return -1;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        *p = c;
        if (!c) break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    return 0;
}

static int wipe_state(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *de; rc == 0 && (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        bool tmp = len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0; /* half-written */
        if (!is_state_file(de->d_name) && !tmp) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
            snprintf(err, errlen, "cannot remove %s/%s: %s", dir, de->d_name, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int dd_prepare_fresh(const char *dir, bool force, char *err, size_t errlen)
{
    if (mkdir_parents(dir, err, errlen) != 0) return -1;
    if (!dd_has_state(dir)) return 0;
    if (!force) {
        snprintf(err, errlen,
                 "%s already holds a market (journal or snapshots); choose another --dir, "
                 "or add --force to wipe it",
                 dir);
        return -1;
    }
    return wipe_state(dir, err, errlen);
}

/* ---- configuration of an existing directory ----------------------------- */

typedef struct first_record {
    bool seen;
    int64_t ts;
} first_record;

static int first_record_fn(void *ctx, const cets_cmd *cmd)
{
    first_record *fr = ctx;
    fr->seen = true;
    fr->ts = cmd->ts;
    return 1; /* enough */
}

int dd_guess_config(const char *dir, cets_config *cfg, char *err, size_t errlen)
{
    int stored = cets_data_config(dir, cfg, err, errlen);
    if (stored != 0) return stored > 0 ? 0 : -1;
    /* An old directory without engine.config: the defaults, from the date
     * of the first command. */
    cets_config_default(cfg);
    first_record fr = {0};
    long n = cets_journal_scan(dir, 1, first_record_fn, &fr, err, errlen);
    if (!fr.seen) {
        if (n >= 0) snprintf(err, errlen, "%s: the journal holds no commands", dir);
        return -1;
    }
    cfg->start_date = cets_date_of(fr.ts, cfg->tz_offset_min);
    return 0;
}

/* ---- read-only recovery ------------------------------------------------------ */

static int copy_file(int sdir, int ddir, const char *name, char *err, size_t errlen)
{
    int in = openat(sdir, name, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    static char buf[1 << 20];
    ssize_t n = 0;
    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        for (ssize_t off = 0, w; off < n; off += w)
            if ((w = write(out, buf + off, (size_t)(n - off))) <= 0) {
                n = -1;
                break;
            }
    if (in < 0 || out < 0 || n < 0) snprintf(err, errlen, "copy %s: %s", name, strerror(errno));
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

/* Copy the regular files of src into dst (flat: a data dir has no subdirs). */
static int copy_dir(const char *src, const char *dst, char *err, size_t errlen)
{
    DIR *d = opendir(src);
    int ddir = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!d || ddir < 0) {
        snprintf(err, errlen, "cannot read %s: %s", d ? dst : src, strerror(errno));
        if (d) closedir(d);
        if (ddir >= 0) close(ddir);
        return -1;
    }
    int rc = 0;
    for (struct dirent *de; rc == 0 && (de = readdir(d));) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        rc = copy_file(dirfd(d), ddir, de->d_name, err, errlen);
    }
    closedir(d);
    close(ddir);
    return rc;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *de; (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
    rmdir(dir);
}

cets_engine *dd_recover_readonly(const char *dir, const cets_config *cfg, cets_recovery *rep,
                                 double *secs, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: no such data directory", dir);
        return NULL;
    }
    if (!dd_has_state(dir)) {
        snprintf(err, errlen, "%s holds no journal or snapshot", dir);
        return NULL;
    }
    const char *tmp = getenv("TMPDIR");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s/cets-readonly-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(copy)) {
        snprintf(err, errlen, "cannot make a temporary directory in %s: %s",
                 tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return NULL;
    }
    cets_engine *e = NULL;
    if (copy_dir(dir, copy, err, errlen) == 0) {
        double t0 = dd_now();
        e = cets_recover(copy, cfg, NULL, NULL, rep, err, errlen);
        if (secs) *secs = dd_now() - t0;
    }
    remove_dir(copy);
    return e;
}

/* ---- from-scratch replay ------------------------------------------------------ */

typedef struct scan_replay {
    cets_engine *e;
    int32_t stop_date;
    bool done;
    uint64_t records;
} scan_replay;

static void scan_listener(void *ctx, const cets_event *ev)
{
    scan_replay *s = ctx;
    if (ev->type == CETS_EV_DAY_CLOSED && s->stop_date && ev->u.day.closed_date == s->stop_date)
        s->done = true;
}

static int scan_apply(void *ctx, const cets_cmd *cmd)
{
    scan_replay *s = ctx;
    if (s->done) return 1;
    cets_apply(s->e, cmd, NULL);
    s->records++;
    return s->done ? 1 : 0;
}

cets_engine *dd_replay_scan(const char *dir, const cets_config *cfg, int32_t stop_date,
                            uint64_t *records, char *err, size_t errlen)
{
    scan_replay s = {.stop_date = stop_date};
    s.e = cets_engine_new(cfg);
    if (!s.e) {
        snprintf(err, errlen, "cannot create an engine (bad configuration or no memory)");
        return NULL;
    }
    cets_engine_set_listener(s.e, scan_listener, &s);
    err[0] = '\0';
    long n = cets_journal_scan(dir, 1, scan_apply, &s, err, errlen);
    cets_engine_set_listener(s.e, NULL, NULL);
    if (n < 0) {
        cets_engine_free(s.e);
        return NULL;
    }
    *records = s.records;
    return s.e;
}
