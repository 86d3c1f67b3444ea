/* journal.c -- the command log writer, with group commit.
 *
 * append() copies a command into an in-memory batch with its checksum and
 * does no I/O, so the sequencer can append at memory speed. commit() writes
 * the batch with write() and makes it durable with ONE fdatasync(): the cost
 * of a sync is shared by every command of the batch, which is what makes
 * journaling a million commands a second possible on ordinary disks.
 *
 * Failure is final (see journal.h): once a write or sync fails the journal
 * cuts the segment back to its last durable byte, if it can, and refuses
 * everything until it is closed and the directory recovered. The write and
 * sync calls go through cets_journal_io hooks so tests can inject failures,
 * into one journal (cets_journal_set_io) or every one opened from then on
 * (cets_journal_set_default_io: a journal inside a server they cannot reach).
 *
 * Segments roll between commits: once the current one has reached the size
 * limit, the next commit starts journal-<its first seq>.log. A new segment is
 * written as journal-<seq>.log.tmp: its header and first batch, one
 * fdatasync, then the rename to its real name and an fsync of the directory
 * so the name is durable too. A segment's name therefore proves that its first
 * commit was durable, and recovery can tell a segment emptied by damage from
 * a crash while one was being created (that leaves only the .tmp file).
 *
 * Each record's length word carries its index in the batch (journal_int.h):
 * recovery uses it to tell the torn last commit from damage to earlier ones.
 *
 * Large commits bypass the page cache. Copying a batch into the page cache
 * costs more than its fdatasync when other threads allocate memory meanwhile
 * (measured in bench/README.md: 377 kB took 0.1 ms alone and 1.3-1.8 ms beside
 * the engine), so the segment is opened a second time with O_DIRECT, and a
 * commit's whole 4 KiB blocks, when they come to JDIO_MIN or more, go from the
 * batch buffer straight to the disk; the bytes before the first whole block
 * and after the last go through the page cache as before, and one fdatasync
 * still makes all of it durable. A direct write only ever covers blocks past
 * the segment's old end, never a page a reader may hold, so a follower
 * reading beside the writer sees the same bytes either way. For the blocks to
 * lie at the same offsets in memory as in the file, a batch's first record
 * starts at buf[rs], rs being its file offset modulo JDIO_ALIGN. Where
 * O_DIRECT is refused (tmpfs) or fails with EINVAL, or a test hooks the
 * opening of files, every byte goes through the page cache.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define JBUF_INITIAL (1u << 20)
#define JSEG_MIN_LIMIT 4096u

struct cets_journal {
    char *dir;
    int dirfd;         /* held for directory fsyncs and the flock */
    int fd;            /* current segment, -1 until a commit opens one */
    int dfd;           /* the same file opened O_DIRECT, or -1 */
    uint64_t seg_size; /* durable bytes in the current segment */
    uint64_t seg_limit;
    uint64_t next_seq;   /* seq the next append must carry */
    unsigned char *buf;  /* the batch: whole records from buf[rs], ready to write */
    size_t rs, len, cap; /* JDIO_ALIGN-aligned buf; len includes the rs unused bytes */
    uint64_t batch_first, batch_records;
    bool seg_new;   /* the current segment's first commit has not completed */
    bool seg_named; /* ... and it has its real name already (else the .tmp one) */
    bool failed;
    bool no_direct; /* a direct write was refused (EINVAL): none from then on */
    cets_journal_io io;
    cets_journal_stats st;
    char err[256];
};

/* cets_journal_set_default_io(): what cets_journal_open() installs; zeros
 * mean the system calls. */
static cets_journal_io default_io;

void cets_journal_set_default_io(const cets_journal_io *io)
{
    if (io)
        default_io = *io;
    else
        memset(&default_io, 0, sizeof default_io);
}

static uint64_t journal_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Open the segment at path a second time, for direct writes; -1 (no direct
 * writes) where the filesystem refuses O_DIRECT, or when a test's hooks open
 * the files (they model one descriptor per file). */
static int journal_open_direct(const cets_journal *j, const char *path)
{
    if (j->no_direct || j->io.open_file != jio_open_default) return -1;
    return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

static void journal_close_fds(cets_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    if (j->dfd >= 0) close(j->dfd);
    j->fd = j->dfd = -1;
}

/* Empty the batch, placing its first record where its file offset says: in
 * the current segment, or right after the header of the new segment that the
 * next commit starts. */
static void journal_rebase(cets_journal *j)
{
    uint64_t at = j->fd < 0 || j->seg_size >= j->seg_limit ? JSEG_HDR : j->seg_size;
    j->rs = (size_t)(at % JDIO_ALIGN);
    j->len = j->rs;
    j->batch_records = 0;
}

/* Pick up the last segment when it is whole, of this version, and ends right
 * before next_seq, so a restart does not start a new file each time. A
 * damaged last segment is never written to again: when the damage lies
 * before next_seq - 1 (a snapshot holds those commands: recovery accepted
 * it), the first commit starts a new segment; when it is a tail right before
 * next_seq, recovery has not been run, and opening is refused. So is a
 * segment that already holds next_seq. Repairing is recovery's job, and it
 * reports what it did. */
static int journal_resume(cets_journal *j, char *err, size_t errlen)
{
    jseg *segs;
    size_t n;
    if (jseg_list(j->dir, &segs, &n, err, errlen) != 0) return -1;
    if (n == 0) {
        free(segs);
        return 0;
    }
    jseg last = segs[n - 1];
    free(segs);
    jread r;
    if (jseg_read(j->dir, &last, NULL, NULL, &r, err, errlen) != 0) return -1;
    bool damaged = r.bad[0] != 0;
    uint64_t held = r.records ? r.last_seq : 0; /* the last seq a whole record holds */
    if (damaged && r.after.last_seq > held) held = r.after.last_seq;
    if (last.first_seq > j->next_seq || (held && held >= j->next_seq))
        return jerr(err, errlen,
                    "%s/%s: the journal already holds seq %" PRIu64 " (next seq %" PRIu64
                    "); recover the directory first",
                    j->dir, last.name, held ? held : last.first_seq, j->next_seq);
    bool torn_end = damaged && !r.after.ends_clean;
    uint64_t whole_to = held ? held : last.first_seq - 1;
    if (torn_end && j->next_seq <= whole_to + 1)
        return jerr(err, errlen, "%s/%s: %s at offset %" PRIu64 "; recover the directory first",
                    j->dir, last.name, r.bad, r.end);
    bool follows =
        !damaged && r.version == JSEG_VERSION && r.records && r.last_seq + 1 == j->next_seq;
    if (!follows || r.size >= j->seg_limit) { /* the first commit starts a new segment */
        if (last.first_seq == j->next_seq)    /* ... which would need this one's name */
            return jerr(err, errlen,
                        "%s/%s: holds no whole record, yet its name is the next segment's; "
                        "recover the directory first",
                        j->dir, last.name);
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", j->dir, last.name);
    j->fd = j->io.open_file(j->io.ctx, path, O_WRONLY | O_CLOEXEC);
    if (j->fd < 0 || lseek(j->fd, (off_t)r.size, SEEK_SET) < 0)
        return jerr(err, errlen, "%s: cannot open for appending: %s", path, strerror(errno));
    j->dfd = journal_open_direct(j, path);
    j->seg_size = r.size;
    return 0;
}

cets_journal *cets_journal_open(const char *dir, uint64_t next_seq, char *err, size_t errlen)
{
    if (next_seq == 0) {
        jerr(err, errlen, "next seq must be at least 1");
        return NULL;
    }
    if (durable_mkdir(dir, err, errlen) != 0) return NULL;
    cets_journal *j = calloc(1, sizeof *j);
    if (!j) {
        jerr(err, errlen, "out of memory");
        return NULL;
    }
    j->fd = j->dfd = j->dirfd = -1;
    if (!(j->dir = strdup(dir)) || posix_memalign((void **)&j->buf, JDIO_ALIGN, JBUF_INITIAL)) {
        j->buf = NULL;
        jerr(err, errlen, "out of memory");
        goto fail;
    }
    j->cap = JBUF_INITIAL;
    j->seg_limit = JSEG_DEFAULT_LIMIT;
    j->next_seq = next_seq;
    j->st.last_seq = next_seq - 1;
    cets_journal_set_io(j, &default_io);
    j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dirfd < 0) {
        jerr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        goto fail;
    }
    if (flock(j->dirfd, LOCK_EX | LOCK_NB) != 0) {
        jerr(err, errlen, "%s: the data directory is in use by another journal or recovery", dir);
        goto fail;
    }
    if (journal_resume(j, err, errlen) != 0) goto fail;
    journal_rebase(j);
    return j;
fail:
    cets_journal_close(j);
    return NULL;
}

void cets_journal_close(cets_journal *j)
{
    if (!j) return;
    journal_close_fds(j);
    if (j->dirfd >= 0) close(j->dirfd); /* releases the flock */
    free(j->buf);
    free(j->dir);
    free(j);
}

void cets_journal_set_io(cets_journal *j, const cets_journal_io *io)
{
    j->io.write = io && io->write ? io->write : jio_write_default;
    j->io.sync = io && io->sync ? io->sync : jio_sync_default;
    j->io.open_file = io && io->open_file ? io->open_file : jio_open_default;
    j->io.truncate_file = io && io->truncate_file ? io->truncate_file : jio_truncate_default;
    j->io.rename_file = io && io->rename_file ? io->rename_file : jio_rename_default;
    j->io.unlink_file = io && io->unlink_file ? io->unlink_file : jio_unlink_default;
    j->io.ctx = io ? io->ctx : NULL;
}

void cets_journal_set_segment_limit(cets_journal *j, uint64_t bytes)
{
    j->seg_limit = bytes < JSEG_MIN_LIMIT ? JSEG_MIN_LIMIT : bytes;
    if (j->len == j->rs) journal_rebase(j); /* the next commit may start a segment now */
}

const char *cets_journal_error(const cets_journal *j)
{
    return j->err;
}
uint64_t cets_journal_next_seq(const cets_journal *j)
{
    return j->next_seq;
}
void cets_journal_get_stats(const cets_journal *j, cets_journal_stats *out)
{
    *out = j->st;
}

static int journal_grow(cets_journal *j, size_t need)
{
    size_t cap = j->cap;
    while (cap - j->len < need) cap *= 2;
    void *b;
    if (posix_memalign(&b, JDIO_ALIGN, cap) != 0) {
        snprintf(j->err, sizeof j->err, "out of memory for a batch of %zu bytes", cap);
        return -1;
    }
    memcpy(b, j->buf, j->len);
    free(j->buf);
    j->buf = b;
    j->cap = cap;
    return 0;
}

int cets_journal_append(cets_journal *j, const cets_cmd *cmd)
{
    if (j->failed) return -1;
    if (cmd->seq != j->next_seq) {
        snprintf(j->err, sizeof j->err, "append: seq %" PRIu64 ", expected %" PRIu64, cmd->seq,
                 j->next_seq);
        return -1;
    }
    if (j->cap - j->len < JREC_HDR + JREC3_ROOM && journal_grow(j, JREC_HDR + JREC3_ROOM) != 0)
        return -1;
    unsigned char *p = j->buf + j->len;
    size_t n = jrec_encode(p + JREC_HDR, cmd);
    jput32(p + 8, jrec_word((uint32_t)n, j->batch_records));
    jput64(p, XXH3_64bits(p + 8, 4 + n));
    if (j->batch_records++ == 0) j->batch_first = cmd->seq;
    j->len += JREC_HDR + n;
    j->next_seq++;
    return 0;
}

/* Record the failure, drop the batch, and cut the segment back to its last
 * durable byte so that what a later recovery finds is what was durable. */
static int journal_fail(cets_journal *j, const char *what, int errnum)
{
    snprintf(j->err, sizeof j->err,
             "%s: %s failed: %s; seq %" PRIu64 "..%" PRIu64 " not durable, journal closed to "
             "writes",
             j->dir, what, strerror(errnum), j->batch_first, j->next_seq - 1);
    j->failed = true;
    if (j->dfd >= 0) close(j->dfd);
    j->dfd = -1;
    if (j->fd >= 0 && j->seg_new) {
        /* The segment was being created with this batch: remove it, under
         * whichever name it has. Its real name must not stay (it would claim
         * a durable first commit), nor its .tmp file be in the way of a writer
         * that reopens the journal once the fault is gone, as cetsd's core does. */
        char name[40], path[4096];
        jseg_name(name, sizeof name, j->batch_first);
        snprintf(path, sizeof path, "%s/%s%s", j->dir, name, j->seg_named ? "" : JSEG_TMP_SUFFIX);
        close(j->fd);
        j->fd = -1;
        if (j->io.unlink_file(j->io.ctx, path) == 0) (void)j->io.sync(j->io.ctx, j->dirfd, 1);
    } else if (j->fd >= 0 && j->io.truncate_file(j->io.ctx, j->fd, (off_t)j->seg_size) == 0) {
        (void)j->io.sync(j->io.ctx, j->fd, 0);
    }
    journal_rebase(j);
    return -1;
}

/* Start journal-<first seq of the batch>.log.tmp and write its header. A
 * leftover .tmp of that name (a crash while creating it) held nothing durable,
 * and is overwritten. */
static int journal_roll(cets_journal *j)
{
    journal_close_fds(j);
    char path[4096], name[40];
    jseg_name(name, sizeof name, j->batch_first);
    snprintf(path, sizeof path, "%s/%s%s", j->dir, name, JSEG_TMP_SUFFIX);
    j->seg_new = true;
    j->seg_named = false;
    j->seg_size = 0;
    j->fd = j->io.open_file(j->io.ctx, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
    if (j->fd < 0) {
        int saved = errno;
        j->seg_new = false; /* nothing to remove */
        return journal_fail(j, "creating a segment", saved);
    }
    j->dfd = journal_open_direct(j, path);
    unsigned char hdr[JSEG_HDR];
    jseg_header(hdr, j->batch_first);
    if (durable_write_all(&j->io, j->fd, hdr, sizeof hdr) != 0)
        return journal_fail(j, "writing a segment header", errno);
    j->seg_size = JSEG_HDR;
    return 0;
}

/* Write the batch at the segment's end (the descriptor's offset): through the
 * page cache, or its whole blocks directly (see the top of this file). A
 * direct write the filesystem refuses (EINVAL) turns direct writes off and
 * is done through the page cache; one that stops short is finished there. */
static int journal_write(cets_journal *j)
{
    const unsigned char *b = j->buf + j->rs;
    size_t n = j->len - j->rs;
    uint64_t end = j->seg_size + n;
    uint64_t d0 = (j->seg_size + JDIO_ALIGN - 1) / JDIO_ALIGN * JDIO_ALIGN;
    uint64_t d1 = end / JDIO_ALIGN * JDIO_ALIGN;
    if (j->dfd < 0 || j->seg_size % JDIO_ALIGN != j->rs || d1 < d0 + JDIO_MIN)
        return durable_write_all(&j->io, j->fd, b, n);
    size_t head = (size_t)(d0 - j->seg_size), mid = (size_t)(d1 - d0);
    if (durable_write_all(&j->io, j->fd, b, head) != 0) return -1;
    ssize_t w = -1;
    if (lseek(j->dfd, (off_t)d0, SEEK_SET) == (off_t)d0) {
        do w = j->io.write(j->io.ctx, j->dfd, b + head, mid);
        while (w < 0 && errno == EINTR);
    }
    if (w < 0 && errno != EINVAL) return -1;
    if (w < 0) { /* O_DIRECT opened but not usable here: the page cache from now on */
        close(j->dfd);
        j->dfd = -1;
        j->no_direct = true;
        w = 0;
    }
    j->st.direct_bytes += (uint64_t)w;
    if (lseek(j->fd, (off_t)(d0 + (uint64_t)w), SEEK_SET) < 0) return -1;
    return durable_write_all(&j->io, j->fd, b + head + w, n - head - (size_t)w);
}

int cets_journal_commit(cets_journal *j)
{
    if (j->failed) return -1;
    if (j->len == j->rs) return 0;
    bool fresh = j->fd < 0 || j->seg_size >= j->seg_limit;
    uint64_t r0 = journal_now_ns();
    if (fresh && journal_roll(j) != 0) return -1;
    uint64_t w0 = journal_now_ns();
    if (journal_write(j) != 0) return journal_fail(j, "write", errno);
    uint64_t t0 = journal_now_ns(), wt = t0 - w0;
    int rc = j->io.sync(j->io.ctx, j->fd, 0);
    uint64_t dt = journal_now_ns() - t0;
    j->st.syncs++;
    if (rc != 0) return journal_fail(j, "fdatasync", errno);
    if (fresh) {
        char name[40], from[4096], to[4096];
        jseg_name(name, sizeof name, j->batch_first);
        snprintf(to, sizeof to, "%s/%s", j->dir, name);
        snprintf(from, sizeof from, "%s/%s%s", j->dir, name, JSEG_TMP_SUFFIX);
        if (j->io.rename_file(j->io.ctx, from, to) != 0)
            return journal_fail(j, "naming a new segment", errno);
        j->seg_named = true;
        j->st.syncs++;
        if (j->io.sync(j->io.ctx, j->dirfd, 1) != 0)
            return journal_fail(j, "fsync of the directory", errno);
        j->seg_new = false;
        j->st.roll_ns_total += (w0 - r0) + (journal_now_ns() - t0 - dt);
    }
    j->st.write_ns_total += wt;
    if (wt > j->st.write_ns_max) j->st.write_ns_max = wt;
    j->seg_size += j->len - j->rs;
    j->st.records += j->batch_records;
    j->st.commits++;
    j->st.bytes += j->len - j->rs + (fresh ? JSEG_HDR : 0);
    j->st.last_seq = j->next_seq - 1;
    j->st.sync_ns_total += dt;
    if (dt > j->st.sync_ns_max) j->st.sync_ns_max = dt;
    journal_rebase(j);
    return 0;
}
