/* journal_int.h -- what the files of src/journal/ share and nobody else sees.
 *
 * The on-disk format of journal segments lives here in one place, so the
 * writer (journal.c), the reader (segment.c), recovery (recover.c) and the
 * tests agree on it byte for byte:
 *
 *   segment header, 32 bytes:
 *     0  "CETSJNL1"        magic
 *     8  u32 version       JSEG_VERSION
 *    12  u32 reserved      0
 *    16  u64 first seq     equals the number in the file name
 *    24  u64 XXH3_64bits   of bytes 0..23
 *   record, 12 + len bytes:
 *     0  u64 XXH3_64bits   of bytes 8 .. 12+len (the length and the payload)
 *     8  u32 len           payload length, JREC_MIN .. JREC_MAX
 *    12  payload           the first cets_cmd_size(cmd) bytes of the cets_cmd
 *
 * Integers are little-endian. The payload is the raw in-memory struct, which
 * is little-endian too because cets only builds on little-endian hosts (see
 * the #error below): a journal is portable between such hosts, not beyond.
 * The checksum sits first so that length and payload are one contiguous run
 * of bytes to hash.
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
#define JSEG_VERSION 1u
#define JSEG_HDR 32u
#define JREC_HDR 12u
#define JREC_MIN ((uint32_t)offsetof(cets_cmd, actor)) /* seq, ts and the type bytes */
#define JREC_MAX ((uint32_t)sizeof(cets_cmd))
#define JSEG_DEFAULT_LIMIT (256ull << 20)

static inline void jput32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void jput64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
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

/* ---- segment.c: the segment format and its reader ---------------------- */

typedef struct jseg {
    uint64_t first_seq;
    char name[40]; /* journal-<20 digits>.log */
} jseg;

/* Why reading a segment stopped before its end. */
typedef struct jread {
    uint64_t records;  /* whole records read */
    uint64_t last_seq; /* seq of the last whole record, 0 if none */
    uint64_t end;      /* offset just past the last whole record (or the header) */
    uint64_t size;     /* file size */
    char bad[80];      /* "" when the file was read to its end, else what is wrong at `end` */
    uint64_t resumes;  /* nonzero: offset of a valid record found after the bad one, with
                          no zero-filled sector in between (corruption, not a torn write) */
} jread;

/* fn returns 0 to go on; anything else stops the read and is returned. */
typedef int (*jseg_fn)(void *ctx, const cets_cmd *cmd);

void jseg_name(char *out, size_t outlen, uint64_t first_seq);
void jseg_header(unsigned char hdr[JSEG_HDR], uint64_t first_seq);
/* Segments of dir, sorted by first seq (malloc'd array). 0 or -1 with err. */
int jseg_list(const char *dir, jseg **out, size_t *n, char *err, size_t errlen);
/* Read one segment: check its header, call fn (may be NULL) for each whole record
 * in order. Returns 0 when it read to the end or stopped at a bad record (r->bad),
 * -1 with err on an I/O error, a bad header or a sequence break inside the
 * segment, or fn's nonzero value. Never changes the file. */
int jseg_read(const char *dir, const jseg *s, jseg_fn fn, void *ctx, jread *r, char *err,
              size_t errlen);
/* The one judgement of a segment header (magic, checksum, version, first seq
 * against the name) and of a record (whole, plausible length, checksum), for
 * the readers that do not walk a mapped file (reader.c). 0, or -1 with the
 * reason in err / bad. */
int jseg_check_header(const unsigned char *m, const jseg *s, char *err, size_t errlen);
int jrec_check(const unsigned char *p, uint64_t avail, char *bad, size_t badlen);

/* ---- durable.c: writing files so they survive a crash ------------------ */

ssize_t jio_write_default(void *ctx, int fd, const void *buf, size_t len);
int jio_sync_default(void *ctx, int fd, int is_dir);
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

/* ---- snapshot.c ------------------------------------------------------- */

/* Sequence numbers of the snapshot files of dir, ascending (malloc'd). 0 or -1. */
int jsnap_list(const char *dir, uint64_t **seqs, size_t *n, char *err, size_t errlen);
void jsnap_name(char *out, size_t outlen, uint64_t seq);

/* ---- dataconfig.c ----------------------------------------------------- */

int dataconfig_store(const char *dir, const cets_config *cfg, char *err, size_t errlen);

#endif
