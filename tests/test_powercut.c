/* test_powercut.c -- power loss, simulated through the journal's I/O hooks.
 *
 * SIGKILL keeps the page cache, so the crash harness proves process crashes
 * only. Here, as SQLite tests its VFS, every file the journal writes is
 * modelled while the real one is written: its durable content (as of its
 * last sync) and the writes since, and the directory's durable names (as of
 * its last fsync) and the name changes since (create, rename, unlink). At a
 * random I/O call the power fails: that call and every later one fail with
 * EIO, and each file is rebuilt from its durable state plus an arbitrary
 * part of what was not yet synced:
 *   - nothing, or everything;
 *   - whole unsynced writes: a prefix of them, or any subset (reordered);
 *   - 512-byte sectors at random (torn pages);
 *   - 4 KiB pages at random, some of them torn into sectors (reordered
 *     writeback);
 *   - a prefix of the unsynced bytes (the classic torn tail);
 * with a file size anywhere from the durable one to the written one (bytes
 * never written read as zeros), and of the unsynced name changes a prefix,
 * in order (what a journaling file system keeps). The simulator makes no
 * real fsync: the model alone decides what survives.
 *
 * Then recovery, which must accept the directory (a false alarm after a
 * power cut would keep the exchange down), and:
 *   - every acknowledged command (its commit returned 0) is there: the
 *     recovered seq is at least the last acknowledged one, at most the last
 *     one appended;
 *   - the state equals a replay: the acknowledged state plus exactly the
 *     recovered unacknowledged commands, applied to a copy (state hash);
 *   - the journal holds exactly the commands appended, in order, each one
 *     byte for byte (a hash per seq), checked by a scan.
 * The run goes on in the same directory (snapshots now and then, segments
 * rolling every few commits) for a while, then starts a new one.
 *
 * Deterministic for a seed: POWERCUT_SEED (default 1), POWERCUT_CYCLES power
 * cuts (default 200, the CI run; use 1000 or more outside CI). The last line
 * says how many cuts ran and how many acknowledged commands were checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "cets/journal.h"
#include "tjournal.h"

/* ---- the model of the disk ------------------------------------------------ */

#define PC_FILES 64
#define PC_DIROPS 64
#define SECTOR 512
#define PAGE 4096

typedef struct pcwrite {
    uint64_t off;
    size_t len;
    unsigned char *data;
} pcwrite;

typedef struct pfile {
    bool used;
    char path[PATH_MAX];  /* its current name ("" once unlinked or replaced) */
    char dname[PATH_MAX]; /* its name after a cut, as of the last directory fsync ("" none) */
    int fd;
    unsigned char *cur; /* what the real file holds */
    size_t cur_len, cur_cap;
    unsigned char *dur; /* what survives for sure: the content at its last sync */
    size_t dur_len;
    pcwrite *pend; /* writes since the last sync */
    size_t npend, cappend;
} pfile;

enum { OP_CREATE, OP_RENAME, OP_UNLINK };
typedef struct dirop {
    int kind;
    int file;
    char from[PATH_MAX], to[PATH_MAX];
} dirop;

/* What a cut leaves of one file. */
typedef struct image {
    char name[PATH_MAX];
    unsigned char *data;
    size_t len;
} image;

enum {
    M_NOTHING,
    M_ALL,
    M_PREFIX_WRITES,
    M_SUBSET_WRITES,
    M_SECTORS,
    M_PAGES,
    M_PREFIX_BYTES,
    M_MODES
};
static const char *const mode_names[M_MODES] = {"nothing", "all",   "write_prefix", "write_subset",
                                                "sectors", "pages", "byte_prefix"};

typedef struct psim {
    pfile f[PC_FILES];
    dirop ops[PC_DIROPS];
    size_t nops;
    uint64_t rng;
    uint64_t calls, cut_at;
    bool dead;
    image img[PC_FILES];
    int nimg;
    /* figures */
    uint64_t modes[M_MODES], names_lost, unsynced_files;
} psim;

static uint64_t pc_rand(psim *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t pc_below(psim *s, uint64_t n)
{
    return n ? pc_rand(s) % n : 0;
}

static void pf_reserve(pfile *p, size_t len)
{
    if (len <= p->cur_cap) return;
    size_t cap = p->cur_cap ? p->cur_cap : 4096;
    while (cap < len) cap *= 2;
    p->cur = realloc(p->cur, cap);
    assert_non_null(p->cur);
    memset(p->cur + p->cur_cap, 0, cap - p->cur_cap);
    p->cur_cap = cap;
}

static void pf_clear_pending(pfile *p)
{
    for (size_t i = 0; i < p->npend; i++) free(p->pend[i].data);
    p->npend = 0;
}

static void pf_free(pfile *p)
{
    pf_clear_pending(p);
    free(p->pend);
    free(p->cur);
    free(p->dur);
    memset(p, 0, sizeof *p);
}

static pfile *pf_by_fd(psim *s, int fd)
{
    for (int i = 0; i < PC_FILES; i++)
        if (s->f[i].used && s->f[i].fd == fd) return &s->f[i];
    return NULL;
}

static int pf_new(psim *s)
{
    for (int i = 0; i < PC_FILES; i++)
        if (!s->f[i].used) {
            memset(&s->f[i], 0, sizeof s->f[i]);
            s->f[i].used = true;
            s->f[i].fd = -1;
            return i;
        }
    fail_msg("powercut: more than %d files", PC_FILES);
    return -1;
}

static void dirop_add(psim *s, int kind, int file, const char *from, const char *to)
{
    if (s->nops == PC_DIROPS)
        fail_msg("powercut: more than %d name changes without a directory fsync", PC_DIROPS);
    dirop *o = &s->ops[s->nops++];
    o->kind = kind;
    o->file = file;
    snprintf(o->from, sizeof o->from, "%s", from ? from : "");
    snprintf(o->to, sizeof o->to, "%s", to ? to : "");
}

/* Name changes become durable, in order, up to op k. */
static void dirops_apply(psim *s, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        dirop *o = &s->ops[i];
        if (o->kind == OP_CREATE) {
            snprintf(s->f[o->file].dname, PATH_MAX, "%s", o->to);
        } else if (o->kind == OP_RENAME) {
            for (int j = 0; j < PC_FILES; j++)
                if (s->f[j].used && j != o->file && !strcmp(s->f[j].dname, o->to))
                    s->f[j].dname[0] = 0; /* replaced */
            if (!strcmp(s->f[o->file].dname, o->from))
                snprintf(s->f[o->file].dname, PATH_MAX, "%s", o->to);
        } else {
            for (int j = 0; j < PC_FILES; j++)
                if (s->f[j].used && !strcmp(s->f[j].dname, o->from)) s->f[j].dname[0] = 0;
        }
    }
}

/* ---- the cut ------------------------------------------------------------ */

static void img_copy(unsigned char *b, const pfile *p, uint64_t from, uint64_t to)
{
    if (to > p->cur_len) to = p->cur_len;
    if (from < to) memcpy(b + from, p->cur + from, to - from);
}

/* What survives of p: its durable bytes and some of the rest. */
static void pc_image_of(psim *s, const pfile *p, image *im)
{
    size_t cap = p->cur_len > p->dur_len ? p->cur_len : p->dur_len;
    unsigned char *b = calloc(1, cap ? cap : 1);
    assert_non_null(b);
    if (p->dur_len) memcpy(b, p->dur, p->dur_len);
    uint64_t lo = UINT64_MAX, hi = 0; /* the unsynced range */
    for (size_t i = 0; i < p->npend; i++) {
        if (p->pend[i].off < lo) lo = p->pend[i].off;
        if (p->pend[i].off + p->pend[i].len > hi) hi = p->pend[i].off + p->pend[i].len;
    }
    int mode = p->npend ? (int)pc_below(s, M_MODES) : M_NOTHING;
    if (p->npend) {
        s->unsynced_files++;
        s->modes[mode]++;
    }
    uint64_t kept_end = p->dur_len, size;
    switch (mode) {
    case M_NOTHING: break;
    case M_ALL:
        if (p->cur_len) memcpy(b, p->cur, p->cur_len);
        kept_end = p->cur_len;
        break;
    case M_PREFIX_WRITES:
    case M_SUBSET_WRITES: {
        size_t upto = mode == M_PREFIX_WRITES ? pc_below(s, p->npend + 1) : p->npend;
        for (size_t i = 0; i < upto; i++) {
            if (mode == M_SUBSET_WRITES && pc_below(s, 2)) continue;
            memcpy(b + p->pend[i].off, p->pend[i].data, p->pend[i].len);
            if (p->pend[i].off + p->pend[i].len > kept_end)
                kept_end = p->pend[i].off + p->pend[i].len;
        }
        break;
    }
    case M_SECTORS:
    case M_PAGES: {
        uint64_t unit = mode == M_SECTORS ? SECTOR : PAGE;
        for (uint64_t u = lo / unit * unit; u < hi; u += unit) {
            uint64_t r = pc_below(s, 4); /* pages: 0-1 kept, 2 torn, 3 lost; sectors: 0-1 kept */
            if (mode == M_SECTORS ? r >= 2 : r == 3) continue;
            if (mode == M_PAGES && r == 2) {
                for (uint64_t q = u; q < u + unit; q += SECTOR)
                    if (pc_below(s, 2)) {
                        img_copy(b, p, q, q + SECTOR);
                        if (q + SECTOR > kept_end) kept_end = q + SECTOR;
                    }
                continue;
            }
            img_copy(b, p, u, u + unit);
            if (u + unit > kept_end) kept_end = u + unit;
        }
        break;
    }
    case M_PREFIX_BYTES:
        kept_end = lo + pc_below(s, hi - lo + 1);
        img_copy(b, p, lo, kept_end);
        break;
    }
    if (kept_end > cap) kept_end = cap;
    /* the size: as written, as far as something was kept, or in between */
    uint64_t r = pc_below(s, 3);
    if (mode == M_ALL || r == 0)
        size = cap;
    else if (r == 1 || mode == M_PREFIX_BYTES)
        size = kept_end;
    else
        size = kept_end + pc_below(s, cap - kept_end + 1);
    if (size < p->dur_len) size = p->dur_len;
    im->data = b;
    im->len = size;
}

static void pc_cut(psim *s)
{
    s->dead = true;
    dirops_apply(s, pc_below(s, s->nops + 1));
    s->nimg = 0;
    for (int i = 0; i < PC_FILES; i++) {
        pfile *p = &s->f[i];
        if (!p->used) continue;
        if (!p->dname[0]) { /* its name never became durable */
            s->names_lost++;
            continue;
        }
        image *im = &s->img[s->nimg++];
        snprintf(im->name, sizeof im->name, "%s", p->dname);
        pc_image_of(s, p, im);
    }
}

/* Each hook call: the power may fail now. */
static bool pc_power(psim *s)
{
    if (s->dead) return false;
    if (++s->calls >= s->cut_at) {
        pc_cut(s);
        return false;
    }
    return true;
}

/* After the journal is closed: the disk as the cut left it; the model forgets. */
static void pc_restore(psim *s)
{
    for (int i = 0; i < PC_FILES; i++)
        if (s->f[i].used && s->f[i].path[0]) unlink(s->f[i].path);
    for (int i = 0; i < s->nimg; i++) {
        image *im = &s->img[i];
        int fd = open(im->name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, im->data, im->len), (ssize_t)im->len);
        close(fd);
        free(im->data);
    }
    s->nimg = 0;
    for (int i = 0; i < PC_FILES; i++)
        if (s->f[i].used) pf_free(&s->f[i]);
    s->nops = 0;
    s->dead = false;
}

/* ---- the hooks ---------------------------------------------------------- */

static int pc_fail(void)
{
    errno = EIO;
    return -1;
}

static int hook_open(void *ctx, const char *path, int flags)
{
    psim *s = ctx;
    if (!pc_power(s)) return pc_fail();
    int fd = open(path, flags, 0644);
    if (fd < 0) return fd;
    pfile *old = pf_by_fd(s, fd);
    if (old) old->fd = -1; /* the journal closed it (close() is not a hook) */
    int i = pf_new(s);
    pfile *p = &s->f[i];
    p->fd = fd;
    snprintf(p->path, sizeof p->path, "%s", path);
    if (flags & O_CREAT) {
        dirop_add(s, OP_CREATE, i, NULL, path);
        return fd;
    }
    /* an existing segment reopened for appending: durable as it is */
    snprintf(p->dname, sizeof p->dname, "%s", path);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    pf_reserve(p, (size_t)st.st_size);
    int rfd = open(path, O_RDONLY);
    assert_int_equal(pread(rfd, p->cur, (size_t)st.st_size, 0), st.st_size);
    close(rfd);
    p->cur_len = (size_t)st.st_size;
    p->dur = malloc(p->cur_len ? p->cur_len : 1);
    if (p->cur_len) memcpy(p->dur, p->cur, p->cur_len);
    p->dur_len = p->cur_len;
    return fd;
}

static ssize_t hook_write(void *ctx, int fd, const void *buf, size_t len)
{
    psim *s = ctx;
    if (s->dead) return pc_fail();
    /* The write in flight when the power fails may have reached the disk in
     * part: it is made, and counts as unsynced, before the cut is taken. */
    bool cut_now = ++s->calls >= s->cut_at;
    pfile *p = pf_by_fd(s, fd);
    assert_non_null(p);
    off_t off = lseek(fd, 0, SEEK_CUR);
    assert_true(off >= 0);
    ssize_t n = write(fd, buf, len);
    assert_int_equal(n, (ssize_t)len);
    pf_reserve(p, (size_t)off + len);
    memcpy(p->cur + off, buf, len);
    if ((size_t)off + len > p->cur_len) p->cur_len = (size_t)off + len;
    if (p->npend == p->cappend) {
        p->cappend = p->cappend ? p->cappend * 2 : 8;
        p->pend = realloc(p->pend, p->cappend * sizeof *p->pend);
        assert_non_null(p->pend);
    }
    pcwrite *w = &p->pend[p->npend++];
    w->off = (uint64_t)off;
    w->len = len;
    w->data = malloc(len);
    memcpy(w->data, buf, len);
    if (cut_now) {
        pc_cut(s);
        return pc_fail();
    }
    return n;
}

static int hook_sync(void *ctx, int fd, int is_dir)
{
    psim *s = ctx;
    if (!pc_power(s)) return pc_fail();
    if (is_dir) {
        dirops_apply(s, s->nops);
        s->nops = 0;
        return 0;
    }
    pfile *p = pf_by_fd(s, fd);
    assert_non_null(p);
    free(p->dur);
    p->dur = malloc(p->cur_len ? p->cur_len : 1);
    if (p->cur_len) memcpy(p->dur, p->cur, p->cur_len);
    p->dur_len = p->cur_len;
    pf_clear_pending(p);
    return 0;
}

static int hook_truncate(void *ctx, int fd, off_t len)
{
    psim *s = ctx;
    if (!pc_power(s)) return pc_fail();
    pfile *p = pf_by_fd(s, fd);
    assert_non_null(p);
    if (ftruncate(fd, len) != 0) return -1;
    pf_reserve(p, (size_t)len);
    if ((size_t)len > p->cur_len) memset(p->cur + p->cur_len, 0, (size_t)len - p->cur_len);
    p->cur_len = (size_t)len;
    return 0;
}

static int hook_rename(void *ctx, const char *from, const char *to)
{
    psim *s = ctx;
    if (!pc_power(s)) return pc_fail();
    if (rename(from, to) != 0) return -1;
    int who = -1;
    for (int i = 0; i < PC_FILES; i++) {
        if (!s->f[i].used) continue;
        if (!strcmp(s->f[i].path, to))
            s->f[i].path[0] = 0;
        else if (!strcmp(s->f[i].path, from))
            who = i;
    }
    assert_true(who >= 0);
    snprintf(s->f[who].path, PATH_MAX, "%s", to);
    dirop_add(s, OP_RENAME, who, from, to);
    return 0;
}

static int hook_unlink(void *ctx, const char *path)
{
    psim *s = ctx;
    if (!pc_power(s)) return pc_fail();
    if (unlink(path) != 0) return -1;
    for (int i = 0; i < PC_FILES; i++)
        if (s->f[i].used && !strcmp(s->f[i].path, path)) s->f[i].path[0] = 0;
    dirop_add(s, OP_UNLINK, -1, path, NULL);
    return 0;
}

/* ---- the run ---------------------------------------------------------------- */

typedef struct run {
    psim sim;
    tjdir d;
    cets_engine *e;   /* the live engine: everything appended */
    cets_engine *ref; /* the acknowledged state */
    tstream s;
    cets_cmd *pending; /* appended since the last acknowledged commit */
    size_t npend, cappend;
    uint64_t *hash; /* hash[seq]: XXH3 of the command journaled as seq */
    size_t caphash;
    uint64_t acked;   /* last acknowledged seq */
    uint64_t checked; /* the journal was checked record by record up to here */
    uint64_t seg_limit;
    /* figures */
    uint64_t cuts, acked_total, acked_checked, recovered_unacked, torn_cuts, tmp_removed;
    uint64_t records_cut, snapshots, lost;
} run;

static uint64_t cmd_hash(const cets_cmd *c)
{
    return XXH3_64bits(c, cets_cmd_size(c));
}

static cets_engine *engine_clone(const cets_engine *e)
{
    void *buf;
    size_t len;
    assert_int_equal(cets_snapshot_save(e, &buf, &len), 0);
    const char *why = NULL;
    cets_engine *c = cets_snapshot_load(buf, len, &why);
    free(buf);
    if (!c) fail_msg("engine copy: %s", why ? why : "?");
    return c;
}

static void hash_set(run *r, uint64_t seq, uint64_t h)
{
    if (seq >= r->caphash) {
        size_t cap = r->caphash ? r->caphash : 4096;
        while (cap <= seq) cap *= 2;
        r->hash = realloc(r->hash, cap * sizeof *r->hash);
        assert_non_null(r->hash);
        r->caphash = cap;
    }
    r->hash[seq] = h;
}

typedef struct scanchk {
    const run *r;
    uint64_t next;
    long bad;
} scanchk;

static int scan_check(void *ctx, const cets_cmd *c)
{
    scanchk *k = ctx;
    if (c->seq != k->next || c->seq >= k->r->caphash || k->r->hash[c->seq] != cmd_hash(c)) k->bad++;
    k->next = c->seq + 1;
    return 0;
}

/* Every record from `from` on is the command appended with that seq, and
 * the journal ends at `to`. */
static void journal_check(run *r, uint64_t from, uint64_t to)
{
    char err[1024] = "";
    scanchk k = {r, from, 0};
    long n = cets_journal_scan(r->d.dir, from, scan_check, &k, err, sizeof err);
    if (n < 0 || err[0]) fail_msg("powercut: seed run: scan from %" PRIu64 ": %s", from, err);
    assert_int_equal(k.bad, 0);
    assert_int_equal((uint64_t)n, to + 1 - from);
}

static void run_dir_start(run *r, uint64_t seed_dir)
{
    char name[64];
    snprintf(name, sizeof name, "powercut-%" PRIu64, seed_dir);
    tj_init(&r->d, name);
    cets_recovery rep;
    r->e = tj_recover(&r->d, &rep);
    r->ref = engine_clone(r->e);
    ts_init(&r->s, seed_dir, 200);
    r->acked = r->checked = 0;
    r->npend = 0;
    static const uint64_t limits[] = {4096, 16384, 65536};
    r->seg_limit = limits[pc_below(&r->sim, 3)];
}

static void run_dir_end(run *r)
{
    journal_check(r, 1, r->acked); /* the whole journal, once more */
    cets_engine_free(r->e);
    cets_engine_free(r->ref);
    tj_free(&r->d);
}

/* Commits until the power fails. */
static void run_until_cut(run *r)
{
    r->sim.cut_at = UINT64_MAX; /* not while opening: a cut there is one before anything */
    cets_journal *j = tj_open(&r->d, r->acked + 1);
    cets_journal_set_segment_limit(j, r->seg_limit);
    r->sim.cut_at = r->sim.calls + 1 + pc_below(&r->sim, 48);
    for (;;) {
        int batch = 1 + (int)pc_below(&r->sim, 40);
        for (int i = 0; i < batch; i++) {
            cets_cmd c;
            cets_result res = {0};
            ts_next(&r->s, r->e, &c);
            if (cets_journal_append(j, &c) != 0) fail_msg("append: %s", cets_journal_error(j));
            cets_apply(r->e, &c, &res);
            ts_result(&r->s, &c, &res);
            if (r->npend == r->cappend) {
                r->cappend = r->cappend ? r->cappend * 2 : 256;
                r->pending = realloc(r->pending, r->cappend * sizeof *r->pending);
                assert_non_null(r->pending);
            }
            r->pending[r->npend++] = c;
            hash_set(r, c.seq, cmd_hash(&c));
        }
        if (cets_journal_commit(j) != 0) {
            if (!r->sim.dead)
                fail_msg("commit failed without a power cut: %s", cets_journal_error(j));
            break;
        }
        /* acknowledged */
        for (size_t i = 0; i < r->npend; i++) cets_apply(r->ref, &r->pending[i], NULL);
        r->acked = r->pending[r->npend - 1].seq;
        r->acked_total += r->npend;
        r->npend = 0;
        if (pc_below(&r->sim, 12) == 0) { /* a snapshot of committed state */
            char err[512];
            if (cets_snapshot_write(r->d.dir, r->ref, 2, err, sizeof err) != 0)
                fail_msg("snapshot: %s", err);
            r->snapshots++;
        }
    }
    cets_journal_close(j);
}

static void run_recover_and_check(run *r, uint64_t seed, int cycle)
{
    pc_restore(&r->sim);
    cets_recovery rep;
    char err[1024] = "";
    cets_engine *got = cets_recover(r->d.dir, &r->d.cfg, NULL, NULL, &rep, err, sizeof err);
    if (!got) fail_msg("powercut seed %" PRIu64 " cut %d: recovery refused: %s", seed, cycle, err);
    uint64_t last = rep.last_seq, issued = r->acked + r->npend;
    if (last < r->acked) {
        r->lost += r->acked - last;
        fail_msg("powercut seed %" PRIu64 " cut %d: acknowledged up to seq %" PRIu64
                 ", recovered to %" PRIu64 ": %s",
                 seed, cycle, r->acked, last, rep.message);
    }
    if (last > issued)
        fail_msg("powercut seed %" PRIu64 " cut %d: recovered to seq %" PRIu64 " but only %" PRIu64
                 " were appended",
                 seed, cycle, last, issued);
    /* the state of a replay: the acknowledged one plus what survived of the rest */
    cets_engine *want = r->ref;
    for (uint64_t k = 0; k < last - r->acked; k++) cets_apply(want, &r->pending[k], NULL);
    if (cets_state_hash(got) != cets_state_hash(want))
        fail_msg("powercut seed %" PRIu64 " cut %d: recovered state differs from the replay "
                 "(seq %" PRIu64 ")",
                 seed, cycle, last);
    r->recovered_unacked += last - r->acked;
    r->torn_cuts += rep.truncated_bytes > 0;
    r->records_cut += rep.truncated_records;
    r->tmp_removed += strstr(rep.message, "never completed: removed") != NULL;
    /* the journal, record by record, from where it was last checked */
    journal_check(r, r->checked + 1, last);
    r->acked_checked += r->acked - r->checked;
    r->checked = r->acked = last;
    r->npend = 0;
    r->s.seq = last; /* the stream goes on after what the journal kept */
    cets_engine_free(r->e);
    r->e = got;
    r->ref = want;
}

static void powercut_cycles(void **state)
{
    (void)state;
    const char *cs = getenv("POWERCUT_CYCLES"), *ss = getenv("POWERCUT_SEED");
    int cycles = cs && *cs ? atoi(cs) : 200;
    uint64_t seed = ss && *ss ? strtoull(ss, NULL, 10) : 1;
    run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->sim.rng = seed;
    cets_journal_io io = {.write = hook_write,
                          .sync = hook_sync,
                          .ctx = &r->sim,
                          .open_file = hook_open,
                          .truncate_file = hook_truncate,
                          .rename_file = hook_rename,
                          .unlink_file = hook_unlink};
    cets_journal_set_default_io(&io);
    uint64_t ndirs = 0;
    run_dir_start(r, seed * 1000 + ndirs++);
    for (int c = 1; c <= cycles; c++) {
        run_until_cut(r);
        r->cuts++;
        run_recover_and_check(r, seed, c);
        if (c % 25 == 0 && c < cycles) {
            run_dir_end(r);
            run_dir_start(r, seed * 1000 + ndirs++);
        }
    }
    run_dir_end(r);
    cets_journal_set_default_io(NULL);
    printf("powercut: seed=%" PRIu64 " cuts=%" PRIu64 " directories=%" PRIu64
           " acknowledged=%" PRIu64 " acknowledged_checked=%" PRIu64 " lost=%" PRIu64
           " recovered_unacknowledged=%" PRIu64 " torn_tails_cut=%" PRIu64 " records_cut=%" PRIu64
           " unfinished_segments_removed=%" PRIu64 " names_lost=%" PRIu64 " snapshots=%" PRIu64
           " unsynced_files=%" PRIu64,
           seed, r->cuts, ndirs, r->acked_total, r->acked_checked, r->lost, r->recovered_unacked,
           r->torn_cuts, r->records_cut, r->tmp_removed, r->sim.names_lost, r->snapshots,
           r->sim.unsynced_files);
    for (int m = 0; m < M_MODES; m++) printf(" %s=%" PRIu64, mode_names[m], r->sim.modes[m]);
    printf("\n");
    free(r->pending);
    free(r->hash);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(powercut_cycles),
    };
    return cmocka_run_group_tests_name("powercut", tests, NULL, NULL);
}
