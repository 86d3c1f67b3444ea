/* journal_int.h -- what the files of src/journal/ share and nobody else sees.
 *
 * The on-disk format of journal segments lives here in one place, so the
 * writer (journal.c), the reader (segment.c), recovery (recover.c) and the
 * tests agree on it byte for byte:
 *
 *   segment header, 32 bytes:
 *     0  "CETSJNL1"        magic
 *     8  u32 version       JSEG_VERSION (this build writes 3, reads 1, 2 and 3)
 *    12  u32 reserved      0
 *    16  u64 first seq     equals the number in the file name
 *    24  u64 XXH3_64bits   of bytes 0..23
 *   record, 12 + len bytes:
 *     0  u64 XXH3_64bits   of bytes 8 .. 12+len (the length word and the payload)
 *     8  u32 length word   versions 2 and 3: bits 0..11 the payload length len
 *                          (jrec_min .. jrec_max of the version), bits 12..31 the
 *                          record's index in its commit (0 for the first record of
 *                          a group commit, saturating at JREC_IDX_MAX);
 *                          version 1: the payload length alone
 *    12  payload
 *   payload of version 3, the command encoded (record.c), len 21 .. JREC3_MAX:
 *     0  u64 seq
 *     8  i64 ts
 *    16  u8  type
 *    17  u32 widths        of the fields that follow, 0 for a field that is zero:
 *                          bits 0..2    side, flags, ntargets: 1 bit each (width 0 or 1)
 *                          bits 3..12   actor, participant, instrument, user,
 *                                       counterparty: 2 bits each, widths 0, 1, 2, 4
 *                          bits 13..27  price, qty, order_id, client_ref, aux:
 *                                       3 bits each, widths 0, 1, 2, 3, 4, 5, 6, 8
 *                          bits 28..31  0
 *    21  the fields in that order, each in its width's little-endian low bytes
 *        (price, qty and aux zigzag-encoded: (v << 1) ^ (v >> 63)); a width is
 *        always the narrowest that holds the value
 *     .. the bytes of the union u up to its last nonzero one, at most the
 *        cets_cmd_size(cmd) - 80 bytes the command's type uses of it
 *   payload of versions 1 and 2: the first cets_cmd_size(cmd) bytes of the cets_cmd
 *
 * Integers are little-endian. The payload of versions 1 and 2 is the raw
 * in-memory struct, which is little-endian too because cets only builds on
 * little-endian hosts (see the #error below): a journal is portable between
 * such hosts, not beyond. The checksum sits first so that length and payload
 * are one contiguous run of bytes to hash. seq stays whole and first in every
 * version, so that a reader can resynchronise after damage from any record.
 *
 * Why version 3: the benchmark's commands took 92.2 bytes a record in
 * version 2 and take 44.6 (12 + 32.6), and group commit and cold replay move
 * bytes (bench/README.md).
 *
 * Why version 2 carries the index in the commit: it tells recovery where each
 * commit began (seq - index), and so which damage a power cut can explain. A
 * commit is written only after the previous one was synced, so a whole record
 * whose commit began after a damaged place proves the damage is in commands
 * already acknowledged; without such a record the damage may be the torn,
 * unacknowledged last commit. Version 2 also names a segment only once its
 * first commit is durable (written as journal-<seq>.log.tmp, synced, renamed):
 * a segment that holds no record is damage, never a crash while creating it.
 */
#ifndef CETS_JOURNAL_INT_H
#define CETS_JOURNAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cets/journal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the journal stores commands as raw little-endian structs"
#endif

#define JSEG_MAGIC "CETSJNL1"
#define JSEG_VERSION 3u
/* A segment's version is its own layout and that of the cets_cmd its records
 * hold: version 2 (commit indices in the length word) and version 3 (the
 * commands encoded) hold the commands of CETS_JOURNAL_VERSION 1, as version 1
 * did. */
_Static_assert(
    CETS_JOURNAL_VERSION == 1 && JSEG_VERSION == 3,
    "the journal format changed: a new CETS_JOURNAL_VERSION needs a new segment version");
#define JSEG_HDR 32u
#define JREC_HDR 12u
/* Direct writes (journal.c): a commit's whole blocks of JDIO_ALIGN bytes go
 * past the page cache when they come to JDIO_MIN or more (16 blocks: a full
 * batch of 4,096 version 3 records is about 180 kB, under the 64 blocks of
 * before, and went back to the page cache and its slow copy; bench/README.md). */
#define JDIO_ALIGN 4096u
#define JDIO_MIN (16u * JDIO_ALIGN)
/* payload lengths of versions 1 and 2 */
#define JREC_MIN ((uint32_t)offsetof(cets_cmd, actor)) /* seq, ts and the type bytes */
#define JREC_MAX ((uint32_t)sizeof(cets_cmd))
/* of version 3: seq, ts, type and widths; and all fields at their widest */
#define JREC3_FIXED 21u
#define JREC3_FIELDS_END (JREC3_FIXED + 3u + 5u * 4u + 5u * 8u) /* 84 */
#define JREC3_MAX (JREC3_FIELDS_END + (uint32_t)sizeof(((cets_cmd *)0)->u))
/* what jrec_encode may write into: it stores each field as 8 bytes */
#define JREC3_ROOM (JREC3_MAX + 8u)
#define JREC_LEN_BITS 12u
#define JREC_LEN_MASK ((1u << JREC_LEN_BITS) - 1u)
#define JREC_IDX_MAX (UINT32_MAX >> JREC_LEN_BITS) /* "this far or further into its commit" */
#define JSEG_DEFAULT_LIMIT (256ull << 20)
#define JSEG_TMP_SUFFIX ".tmp" /* a segment whose first commit is not yet durable */

_Static_assert(JREC_MAX <= JREC_LEN_MASK && JREC3_MAX <= JREC_LEN_MASK,
               "a payload length must fit in 12 bits");

/* The length word of a version 2 record. */
static inline uint32_t jrec_word(uint32_t len, uint64_t idx)
{
    return len | (uint32_t)(idx < JREC_IDX_MAX ? idx : JREC_IDX_MAX) << JREC_LEN_BITS;
}

static inline void jput32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static inline void jput64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static inline uint32_t jget32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t jget64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Error text into a caller's buffer (err may be NULL). Always returns -1. */
int jerr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- record.c: a record's payload ------------------------------------- */

/* Encode c as a version 3 payload into out (JREC3_ROOM bytes; the bytes past
 * the payload's end are left undefined): its length. */
size_t jrec_encode(unsigned char *out, const cets_cmd *c);
/* The payload p (len bytes, room >= len of them readable) of a segment of
 * this version into *c, every byte of it set: 0, or -1 when it is not a
 * command's encoding (c is then undefined). */
int jrec_decode(const unsigned char *p, uint32_t len, uint64_t room, uint32_t version, cets_cmd *c);
/* The shortest and longest payload of a version. */
uint32_t jrec_min(uint32_t version);
uint32_t jrec_max(uint32_t version);

/* ---- segment.c: the segment format and its reader ---------------------- */

typedef struct jseg {
    uint64_t first_seq;
    char name[40]; /* journal-<20 digits>.log (or .log.tmp, from jseg_list_tmp) */
} jseg;

/* What lies after a damaged place, found by scanning on for whole records
 * (valid length and checksum) whose seq numbers fit: greater than the last
 * good one, and no more records missing than the damaged bytes could hold. */
typedef struct jsurvey {
    uint64_t resume_off; /* first such record (0: none) */
    uint64_t resume_seq; /* its seq */
    uint64_t records;    /* whole records found after the damage */
    uint64_t last_seq;   /* the last of them (0: none) */
    bool later_commit;   /* one of them belongs to a commit begun after the damaged
                             place (version 1, which cannot tell: any record at all) */
    bool ends_clean;     /* the file ends exactly after a whole record */
    bool complete;       /* the survey went to the end of the file (else records and
                             last_seq count only what it read before it could judge) */
} jsurvey;

/* One run of whole, consecutive records, and why it stopped before the end. */
typedef struct jread {
    uint64_t records;  /* whole records read */
    uint64_t last_seq; /* seq of the last whole record, 0 if none */
    uint64_t end;      /* offset just past the last whole record (or where the run began) */
    uint64_t size;     /* file size */
    uint32_t version;  /* of the segment (0: its header is incomplete) */
    char bad[96];      /* "" when the run reached the end of the file, else what is wrong at end */
    jsurvey after;     /* bad[0]: what follows the damage */
} jread;

/* fn returns 0 to go on; anything else stops the read and is returned. */
typedef int (*jseg_fn)(void *ctx, const cets_cmd *cmd);

/* A segment mapped for reading. */
typedef struct jmap {
    const unsigned char *m; /* NULL when the file is shorter than a header */
    uint64_t size;
    uint32_t version;
} jmap;

void jseg_name(char *out, size_t outlen, uint64_t first_seq);
void jseg_header(unsigned char hdr[JSEG_HDR], uint64_t first_seq);
/* Segments of dir, sorted by first seq (malloc'd array). 0 or -1 with err. */
int jseg_list(const char *dir, jseg **out, size_t *n, char *err, size_t errlen);
/* The same for leftover journal-<seq>.log.tmp files (name holds the .tmp name). */
int jseg_list_tmp(const char *dir, jseg **out, size_t *n, char *err, size_t errlen);
/* Map a segment and check its header. 0 (a file shorter than a header is
 * mapped as m NULL), -1 with err when it cannot be read, -2 with err when
 * its header is bad (size is set). */
int jseg_map(const char *dir, const jseg *s, jmap *mp, char *err, size_t errlen);
void jseg_unmap(jmap *mp);
/* Read the run of records starting at off, which must carry seq `expect`
 * onwards, calling fn (may be NULL) for each; a record that is not whole or
 * carries another seq ends the run (r->bad, and r->after describes what
 * follows: to the end of the file with full, else only until the resume
 * point and a record of a later commit are found, so that a segment with
 * many damaged places is not surveyed to its end at each). A segment without
 * any record is damage too. 0, or fn's nonzero value. Never changes the file.
 * Each record is decoded into *into when into is not NULL (fn may move
 * *into on: replay decodes straight into its batch), else into a cets_cmd of
 * the run's own. */
int jseg_run(const jmap *mp, uint64_t off, uint64_t expect, bool full, jseg_fn fn, void *ctx,
             cets_cmd *const *into, jread *r);
/* The survey of the rest of the file after a bad record at off (last good
 * seq: after), as jseg_run makes it. */
void jseg_survey(const jmap *mp, uint64_t off, uint64_t after, bool full, jsurvey *sv);
/* Map, read the first run (from the header on, surveyed in full), unmap. 0,
 * -1 or -2 with err (as jseg_map), or fn's value. */
int jseg_read(const char *dir, const jseg *s, jseg_fn fn, void *ctx, jread *r, char *err,
              size_t errlen);
/* The one judgement of a segment header (magic, checksum, version, first seq
 * against the name) and of a record (whole, plausible length, checksum), for
 * the readers that do not walk a mapped file (reader.c). 0, or -1 with the
 * reason in err / bad. */
int jseg_check_header(const unsigned char *m, const jseg *s, char *err, size_t errlen);
/* A record as a reader sees it. */
typedef struct jrec {
    uint32_t len; /* payload length */
    uint64_t idx; /* index in its commit (version 2; JREC_IDX_MAX: that far or further) */
    uint64_t seq;
} jrec;
/* version: the segment's (its header's bytes 8..11); rec filled when whole,
 * and cmd (may be NULL) with the command it holds. A version 3 record is whole
 * only when its payload decodes. bad may be NULL. */
int jrec_check(const unsigned char *p, uint64_t avail, uint32_t version, jrec *rec, cets_cmd *cmd,
               char *bad, size_t badlen);

/* ---- walk.c: the segments of a directory in order, damage judged -------- */

/* Where the journal is cut: by recovery (a torn tail) or by a repair. */
typedef struct jcut {
    size_t seg;         /* index into the segments; SIZE_MAX: nowhere */
    uint64_t off;       /* the segment keeps [0, off); off <= JSEG_HDR: the whole file goes */
    uint64_t size;      /* its size when read (0: not read) */
    uint64_t first_seq; /* the first command taken out (damaged ones included) */
    uint64_t records;   /* whole records after off in that segment */
    uint64_t last_seq;  /* the last of them (0: none) */
    char bad[96];       /* a torn tail: what was wrong at off */
} jcut;

typedef struct jwalk {
    /* in */
    const char *dir;
    const jseg *segs;
    size_t n;
    uint64_t skip; /* the snapshot's seq: commands up to it are not needed */
    jseg_fn fn;    /* each record after skip, in order (may be NULL) */
    void *ctx;
    cets_cmd *into; /* where the next record is decoded (NULL: the walk's own); fn may move it */
    cets_recovery *rep; /* notes on accepted damage go into its message */
    char *err;
    size_t errlen;
    /* out */
    uint64_t expect;  /* the next seq the state needs: skip + 1 + applied */
    uint64_t applied; /* records passed to fn */
    bool torn;        /* the last segment ends in a torn tail, at cut */
    bool damaged;     /* damage covered by the snapshot was met (noted) */
    int refused;      /* 1: err says why, cut says where a repair would cut */
    jcut cut;
} jwalk;

/* Walk w->segs. 0 (w->torn says whether a tail is to be cut), -1 with w->err
 * (w->refused: refused, else an I/O error), or fn's positive value. Never
 * changes a file. */
int jwalk_run(jwalk *w);
/* Whether recovery replays on two threads (recover.c; default true). White-box
 * tests turn it off to check the one-thread path gives the same engine. */
extern bool jreplay_threads;
/* Append a note to a report's message, "; "-separated; a long one is cut short. */
void jnote(cets_recovery *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- durable.c: writing files so they survive a crash ------------------ */

ssize_t jio_write_default(void *ctx, int fd, const void *buf, size_t len);
int jio_sync_default(void *ctx, int fd, int is_dir);
int jio_open_default(void *ctx, const char *path, int flags);
int jio_truncate_default(void *ctx, int fd, off_t len);
int jio_rename_default(void *ctx, const char *from, const char *to);
int jio_unlink_default(void *ctx, const char *path);
/* write() all of buf through io, retrying partial writes and EINTR. 0 or -1 (errno). */
int durable_write_all(const cets_journal_io *io, int fd, const void *buf, size_t len);
/* fsync the directory itself, so created, renamed and removed names persist. */
int durable_sync_dir(const char *dir);
/* mkdir -p. 0 or -1 with err. */
int durable_mkdir(const char *dir, char *err, size_t errlen);
/* Replace dir/name with buf atomically: name.tmp, fsync, rename, fsync dir. */
int durable_replace(const char *dir, const char *name, const void *buf, size_t len, char *err,
                    size_t errlen);
/* Read a whole file into a malloc'd buffer. 0, or -1 with errno (ENOENT: missing). */
int durable_read_file(const char *path, unsigned char **buf, size_t *len);

/* ---- recover.c: what recovery and its dry run (repair.c) share ---------- */

/* The stored configuration (1); none stored (0): with has_data refused (-1
 * with err), else seed or the defaults into out, stored when store is set. */
int jconfig_get(const char *dir, bool has_data, const cets_config *seed, bool store,
                cets_config *out, char *err, size_t errlen);
/* The newest snapshot of snaps that validates (rep->snapshot_seq), bad ones
 * noted in rep; none: a new engine under cfg. NULL only when out of memory. */
cets_engine *jsnap_newest(const char *dir, const cets_config *cfg, const uint64_t *snaps, size_t n,
                          cets_recovery *rep);
/* flock() the directory, exclusive or shared, without waiting: the fd, or -1 with err. */
int jlock_dir(const char *dir, bool exclusive, char *err, size_t errlen);

/* ---- snapshot.c ------------------------------------------------------- */

/* Sequence numbers of the snapshot files of dir, ascending (malloc'd). 0 or -1. */
int jsnap_list(const char *dir, uint64_t **seqs, size_t *n, char *err, size_t errlen);
void jsnap_name(char *out, size_t outlen, uint64_t seq);

/* ---- dataconfig.c ----------------------------------------------------- */

int dataconfig_store(const char *dir, const cets_config *cfg, char *err, size_t errlen);

#endif
