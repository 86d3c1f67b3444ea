/* snapshot.c -- snapshot files: the engine's state, compressed and checked.
 *
 * The engine serialises itself (cets_snapshot_save); this file only puts the
 * bytes on disk so that a reader can trust them or knows it cannot:
 *
 *   header, 56 bytes (little-endian):
 *     0  "CETSSNP1"   magic
 *     8  u32 version  SNAP_VERSION
 *    12  u32 level    zstd level used (informational)
 *    16  u64 seq      state after this command; equals the file name's number
 *    24  u64 raw      length of the engine's bytes
 *    32  u64 packed   length of the zstd frame that follows
 *    40  u64 XXH3_64bits of the zstd frame
 *    48  u64 XXH3_64bits of bytes 0..47
 *   then the zstd frame.
 *
 * Files appear atomically (temporary file, fsync, rename, directory fsync),
 * so a crash leaves either the old set of snapshots or the new one, plus at
 * most a stray .tmp that the next write removes. zstd level 1: snapshots are
 * taken while the market runs, and speed matters more than the last percent.
 */
#include "journal_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#define SNAP_MAGIC "CETSSNP1"
#define SNAP_VERSION 1u
#define SNAP_HDR 56u
#define SNAP_LEVEL 1
#define SNAP_MAX_RAW (1ull << 40) /* anything larger is a corrupt header */

void jsnap_name(char *out, size_t outlen, uint64_t seq)
{
    snprintf(out, outlen, "snapshot-%020" PRIu64 ".snap", seq);
}

/* "snapshot-" 20 digits ".snap" (34 chars); 1 for a finished file, 2 for a
 * leftover temporary (".snap.tmp"), 0 for anything else. */
static int jsnap_parse_name(const char *name, uint64_t *seq)
{
    size_t n = strlen(name);
    if ((n != 34 && n != 38) || memcmp(name, "snapshot-", 9) != 0 ||
        memcmp(name + 29, ".snap", 5) != 0 || (n == 38 && strcmp(name + 34, ".tmp") != 0))
        return 0;
    uint64_t v = 0;
    for (int i = 9; i < 29; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *seq = v;
    return n == 34 ? 1 : 2;
}

static int jsnap_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* List snapshots; with tidy, also remove leftover temporaries. */
static int jsnap_scan(const char *dir, uint64_t **seqs, size_t *n, bool tidy, char *err,
                      size_t errlen)
{
    *seqs = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return jerr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t seq;
        int kind = jsnap_parse_name(de->d_name, &seq);
        if (kind == 2 && tidy) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
        if (kind != 1) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            uint64_t *grown = realloc(*seqs, cap * sizeof **seqs);
            if (!grown) {
                closedir(d);
                free(*seqs);
                *seqs = NULL;
                return jerr(err, errlen, "out of memory");
            }
            *seqs = grown;
        }
        (*seqs)[(*n)++] = seq;
    }
    closedir(d);
    if (*n > 1) qsort(*seqs, *n, sizeof **seqs, jsnap_cmp);
    return 0;
}

int jsnap_list(const char *dir, uint64_t **seqs, size_t *n, char *err, size_t errlen)
{
    return jsnap_scan(dir, seqs, n, false, err, errlen);
}

/* Keep the newest `keep`; a failed unlink only leaves an extra file behind. */
static void jsnap_prune(const char *dir, int keep)
{
    uint64_t *seqs;
    size_t n;
    if (jsnap_scan(dir, &seqs, &n, true, NULL, 0) != 0) return;
    size_t k = keep < 1 ? 1 : (size_t)keep;
    for (size_t i = 0; i + k < n; i++) {
        char name[40], path[4096];
        jsnap_name(name, sizeof name, seqs[i]);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        unlink(path);
    }
    free(seqs);
    durable_sync_dir(dir);
}

/* Header + zstd frame of the engine's bytes, in one malloc'd buffer. */
static int jsnap_pack(const cets_engine *e, unsigned char **out, size_t *outlen, char *err,
                      size_t errlen)
{
    void *raw;
    size_t rawlen;
    if (cets_snapshot_save(e, &raw, &rawlen) != 0)
        return jerr(err, errlen, "snapshot: the engine could not serialise its state");
    size_t bound = ZSTD_compressBound(rawlen);
    unsigned char *buf = malloc(SNAP_HDR + bound);
    if (!buf) {
        free(raw);
        return jerr(err, errlen, "snapshot: out of memory");
    }
    size_t packed = ZSTD_compress(buf + SNAP_HDR, bound, raw, rawlen, SNAP_LEVEL);
    free(raw);
    if (ZSTD_isError(packed)) {
        free(buf);
        return jerr(err, errlen, "snapshot: zstd: %s", ZSTD_getErrorName(packed));
    }
    memcpy(buf, SNAP_MAGIC, 8);
    jput32(buf + 8, SNAP_VERSION);
    jput32(buf + 12, SNAP_LEVEL);
    jput64(buf + 16, cets_last_seq(e));
    jput64(buf + 24, rawlen);
    jput64(buf + 32, packed);
    jput64(buf + 40, XXH3_64bits(buf + SNAP_HDR, packed));
    jput64(buf + 48, XXH3_64bits(buf, 48));
    *out = buf;
    *outlen = SNAP_HDR + packed;
    return 0;
}

int cets_snapshot_write(const char *dir, const cets_engine *e, int keep, char *err, size_t errlen)
{
    if (durable_mkdir(dir, err, errlen) != 0) return -1;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (jsnap_pack(e, &buf, &len, err, errlen) != 0) return -1;
    char name[40];
    jsnap_name(name, sizeof name, cets_last_seq(e));
    int rc = durable_replace(dir, name, buf, len, err, errlen);
    free(buf);
    if (rc == 0) jsnap_prune(dir, keep);
    return rc;
}

/* Format into why and return it: keeps the checks below one line each. */
static const char *jsnap_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *jsnap_why(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return why;
}

/* Check the header and frame of a whole file; the raw length into *raw. */
static const char *jsnap_check(const unsigned char *b, size_t len, uint64_t *seq, uint64_t *raw,
                               char *why, size_t whylen)
{
    if (len < SNAP_HDR) return jsnap_why(why, whylen, "too short for a snapshot (%zu bytes)", len);
    if (memcmp(b, SNAP_MAGIC, 8) != 0) return "not a snapshot (bad magic)";
    if (jget64(b + 48) != XXH3_64bits(b, 48)) return "header checksum mismatch";
    if (jget32(b + 8) != SNAP_VERSION)
        return jsnap_why(why, whylen, "snapshot version %u, this build reads %u", jget32(b + 8),
                         SNAP_VERSION);
    uint64_t packed = jget64(b + 32);
    if (len - SNAP_HDR != packed)
        return jsnap_why(why, whylen, "%zu bytes of data, the header says %" PRIu64 " (truncated?)",
                         len - SNAP_HDR, packed);
    if (jget64(b + 40) != XXH3_64bits(b + SNAP_HDR, packed)) return "data checksum mismatch";
    *seq = jget64(b + 16);
    *raw = jget64(b + 24);
    unsigned long long framed = ZSTD_getFrameContentSize(b + SNAP_HDR, packed);
    if (*raw > SNAP_MAX_RAW || framed != *raw)
        return "the zstd frame does not match the header's length";
    return NULL;
}

/* Decompress and hand the bytes to the engine; checks what only it can check. */
static cets_engine *jsnap_unpack(const unsigned char *b, uint64_t seq, uint64_t raw, char *why,
                                 size_t whylen)
{
    void *state = malloc(raw ? raw : 1);
    if (!state) {
        jsnap_why(why, whylen, "out of memory for %" PRIu64 " bytes", raw);
        return NULL;
    }
    size_t got = ZSTD_decompress(state, raw, b + SNAP_HDR, jget64(b + 32));
    if (ZSTD_isError(got) || got != raw) {
        snprintf(why, whylen, "zstd: %s", ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
        free(state);
        return NULL;
    }
    const char *lerr = NULL;
    cets_engine *e = cets_snapshot_load(state, raw, &lerr);
    free(state);
    if (!e) {
        jsnap_why(why, whylen, "the engine rejected the state: %s", lerr ? lerr : "malformed");
        return NULL;
    }
    if (cets_last_seq(e) != seq) {
        snprintf(why, whylen, "the state is after seq %" PRIu64 ", the header says %" PRIu64,
                 cets_last_seq(e), seq);
        cets_engine_free(e);
        return NULL;
    }
    return e;
}

cets_engine *cets_snapshot_read(const char *path, uint64_t *seq, char *err, size_t errlen)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    unsigned char *b;
    size_t len;
    if (durable_read_file(path, &b, &len) != 0) {
        jerr(err, errlen, "%s: cannot read: %s", base, strerror(errno));
        return NULL;
    }
    char why[256];
    uint64_t s = 0, raw = 0, named;
    const char *bad = jsnap_check(b, len, &s, &raw, why, sizeof why);
    if (!bad && jsnap_parse_name(base, &named) == 1 && named != s)
        bad = jsnap_why(why, sizeof why, "the header says seq %" PRIu64 ", the name %" PRIu64, s,
                        named);
    cets_engine *e = bad ? NULL : jsnap_unpack(b, s, raw, why, sizeof why);
    free(b);
    if (!e) {
        jerr(err, errlen, "%s: %s", base, bad ? bad : why);
        return NULL;
    }
    if (seq) *seq = s;
    return e;
}
