/* fuzz_journal.c -- libFuzzer target: arbitrary bytes as the journal of a
 * data directory, read by cets_journal_scan() and cets_recover().
 *
 * Neither may crash, and each must either accept the journal or refuse it
 * with a message. Beyond that, the promises of journal.h are checked:
 *   - a recovery that refuses changes no file;
 *   - a recovery that succeeds replays exactly the records the scan found,
 *     into the same state as a fresh engine fed those records (the journal
 *     alone determines the state);
 *   - a second recovery agrees with the first (same seq and state, nothing
 *     more cut): recovery judges a directory the same way every time;
 *   - a version 3 payload that decodes re-encodes to the same bytes (one
 *     encoding per command);
 *   - after it, the journal scans to the same records, clean unless recovery
 *     reported damage it left in place ("left as it is": bytes between two
 *     consecutive records, say), and cets_journal_open() accepts the
 *     directory (the server opens the journal right after recovery).
 *
 * Checksums would stop almost every mutation at the first record, so the
 * first input byte is a set of repairs applied before the files are written:
 * a valid segment header, valid record lengths and checksums, contiguous
 * sequence numbers, plausible timestamps (inside the trading sessions of the
 * configured day), and a split into two segments. With all of them, the
 * mutated payloads reach the engine through recovery; with none, the reader
 * meets raw bytes. The configuration is fixed (engine.config written once):
 * the defaults with start date 2026-11-30, as `cets simulate` uses, so the
 * seed journals from it replay as they were recorded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cets/journal.h"
#include "fuzztmp.h"
#include "../../src/journal/journal_int.h"

enum {
    FIX_HEADER = 1,  /* a valid header for first seq 1 */
    FIX_RECORDS = 2, /* lengths clamped into range, checksums recomputed */
    FIX_SEQ = 4,     /* with FIX_RECORDS: seq 1, 2, 3, ... */
    SPLIT = 8,       /* with FIX_RECORDS: a second segment from the middle record on */
    FIX_TS = 16,     /* with FIX_RECORDS: non-decreasing times in the sessions */
};

_Static_assert(offsetof(cets_cmd, seq) == 0 && offsetof(cets_cmd, ts) == 8,
               "the repairs below write seq and ts at these offsets");

#define START_DATE 20261130

static cets_config cfg;
static unsigned char *cfg_file;
static size_t cfg_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cets_config_default(&cfg);
    cfg.start_date = START_DATE;
    char err[512];
    cets_engine *e = cets_recover(fuzz_dir(), &cfg, NULL, NULL, NULL, err, sizeof err);
    fuzz_check(e != NULL, "cannot set up engine.config: %s", err);
    cets_engine_free(e);
    cfg_file = fuzz_read("engine.config", &cfg_len);
    fuzz_check(cfg_file != NULL, "no engine.config after a recovery of an empty directory");
    return 0;
}

typedef struct layout {
    size_t split;       /* offset of the second segment's first record, 0: one segment */
    uint64_t split_seq; /* its seq */
} layout;

/* Repair lengths, checksums, seq and ts of the records in b[JSEG_HDR..n). */
static void fix_records(unsigned char *b, size_t n, unsigned flags, layout *lo)
{
    uint64_t seq = 1;
    int64_t ts = cets_time_at(START_DATE, 9, 30, cfg.tz_offset_min);
    size_t off = JSEG_HDR;
    /* version 2 keeps the record's index in its commit above the length */
    uint32_t version = n >= 12 ? jget32(b + 8) : JSEG_VERSION;
    uint32_t lo_len = jrec_min(version), hi_len = jrec_max(version);
    while (off + JREC_HDR + lo_len <= n) {
        uint32_t word = jget32(b + off + 8);
        uint32_t len = version >= 2 ? word & JREC_LEN_MASK : word;
        uint32_t high = version >= 2 ? word & ~JREC_LEN_MASK : 0;
        if (len < lo_len || len > hi_len) len = lo_len + len % (hi_len - lo_len + 1);
        if (off + JREC_HDR + len > n) break;
        jput32(b + off + 8, len | high);
        unsigned char *p = b + off + JREC_HDR;
        if (flags & FIX_SEQ) jput64(p, seq++);
        if (flags & FIX_TS) {
            ts += (int64_t)(jget64(p + 8) % 4000000000u); /* up to 4 s later */
            jput64(p + 8, (uint64_t)ts);
        }
        jput64(b + off, XXH3_64bits(b + off + 8, 4 + (size_t)len));
        if ((flags & SPLIT) && !lo->split && off >= n / 2) {
            lo->split = off;
            lo->split_seq = jget64(p);
        }
        off += JREC_HDR + len;
    }
}

/* The records of a version 3 segment b[JSEG_HDR..n), as far as their length
 * words lead: a payload that decodes must be the one encoding of its command
 * (record.c), whether its checksum holds or not. */
static void check_codec(const unsigned char *b, size_t n)
{
    if (n < JSEG_HDR || jget32(b + 8) < 3) return;
    for (size_t off = JSEG_HDR; off + JREC_HDR <= n;) {
        uint32_t len = jget32(b + off + 8) & JREC_LEN_MASK;
        if (len > n - off - JREC_HDR) break;
        cets_cmd c;
        if (jrec_decode(b + off + JREC_HDR, len, n - off - JREC_HDR, 3, &c) == 0) {
            unsigned char enc[JREC3_ROOM];
            size_t m = jrec_encode(enc, &c);
            fuzz_check(m == len && memcmp(enc, b + off + JREC_HDR, len) == 0,
                       "a payload of %u bytes decodes, but its command encodes to %zu other bytes",
                       len, m);
        }
        off += JREC_HDR + len;
    }
}

/* The files written for this input: engine.config and one or two segments. */
static char written[3][40];
static int nwritten;

/* Write the segment(s). */
static void write_segments(const unsigned char *b, size_t n, const layout *lo, unsigned flags)
{
    char *name = written[nwritten++];
    jseg_name(name, sizeof written[0], 1);
    if (!lo->split || lo->split_seq <= 1) {
        fuzz_write(name, b, n);
        return;
    }
    fuzz_write(name, b, lo->split);
    size_t rest = n - lo->split;
    unsigned char *s = malloc(JSEG_HDR + rest);
    fuzz_check(s != NULL, "out of memory");
    if (flags & FIX_HEADER)
        jseg_header(s, lo->split_seq);
    else
        memcpy(s, b, JSEG_HDR);
    memcpy(s + JSEG_HDR, b + lo->split, rest);
    name = written[nwritten++];
    jseg_name(name, sizeof written[0], lo->split_seq);
    fuzz_write(name, s, JSEG_HDR + rest);
    free(s);
}

typedef struct fresh {
    cets_engine *e;
    long applied;
} fresh;

static int fresh_apply(void *ctx, const cets_cmd *cmd)
{
    fresh *f = ctx;
    cets_apply(f->e, cmd, NULL);
    f->applied++;
    return 0;
}

/* A digest of the files written (to see whether recovery changed one). */
static uint64_t dir_digest(void)
{
    uint64_t h = 0;
    for (int i = 0; i < nwritten; i++) {
        size_t len;
        unsigned char *b = fuzz_read(written[i], &len);
        h = XXH3_64bits_withSeed(b ? b : (const unsigned char *)"-", b ? len : 1, h);
        free(b);
    }
    return h;
}

static void check_recovery(long scanned, const char *scan_err, const fresh *f)
{
    char err[1024] = "";
    cets_recovery rep;
    uint64_t before = dir_digest();
    cets_engine *e = cets_recover(fuzz_dir(), NULL, NULL, NULL, &rep, err, sizeof err);
    if (getenv("FUZZ_VERBOSE")) /* replaying one input: say what happened */
        fprintf(stderr, "scan: %ld records%s%s\nrecovery: %s\n", scanned, scan_err[0] ? ": " : "",
                scan_err, e ? rep.message : err);
    if (!e) {
        fuzz_check(err[0] != 0, "cets_recover refused without a message");
        fuzz_check(dir_digest() == before, "cets_recover refused (%s) but changed a file", err);
        return;
    }
    fuzz_check(scanned >= 0, "recovery succeeded where the scan refused: %s", scan_err);
    fuzz_check(rep.last_seq == (uint64_t)scanned && rep.replayed == (uint64_t)scanned,
               "recovery replayed %llu records to seq %llu, the scan found %ld",
               (unsigned long long)rep.replayed, (unsigned long long)rep.last_seq, scanned);
    fuzz_check(cets_state_hash(e) == cets_state_hash(f->e),
               "recovered state differs from a fresh engine fed the same %ld records", scanned);
    fuzz_check(cets_last_seq(e) == rep.last_seq, "engine at seq %llu, report says %llu",
               (unsigned long long)cets_last_seq(e), (unsigned long long)rep.last_seq);
    char err2[1024] = "";
    long again = cets_journal_scan(fuzz_dir(), 0, NULL, NULL, err2, sizeof err2);
    bool kept = strstr(rep.message, "left as it is") != NULL; /* damage recovery accepted */
    fuzz_check(again == scanned && (err2[0] == 0 || kept),
               "after recovery the scan finds %ld records (%s), recovery replayed %ld", again, err2,
               scanned);
    cets_recovery rep2;
    cets_engine *e2 = cets_recover(fuzz_dir(), NULL, NULL, NULL, &rep2, err2, sizeof err2);
    fuzz_check(e2 != NULL, "a second recovery refuses what the first accepted: %s", err2);
    fuzz_check(rep2.last_seq == rep.last_seq && rep2.truncated_bytes == 0 &&
                   cets_state_hash(e2) == cets_state_hash(e),
               "a second recovery disagrees: seq %llu, %llu bytes cut (the first: seq %llu): %s",
               (unsigned long long)rep2.last_seq, (unsigned long long)rep2.truncated_bytes,
               (unsigned long long)rep.last_seq, rep2.message);
    cets_engine_free(e2);
    cets_journal *j = cets_journal_open(fuzz_dir(), rep.last_seq + 1, err2, sizeof err2);
    fuzz_check(j != NULL, "the journal refuses a recovered directory: %s", err2);
    cets_journal_close(j);
    cets_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned flags = data[0];
    size_t n = size - 1;
    unsigned char *b = malloc(n > JSEG_HDR ? n : JSEG_HDR);
    fuzz_check(b != NULL, "out of memory");
    memcpy(b, data + 1, n);
    if (flags & FIX_HEADER) {
        if (n < JSEG_HDR) n = JSEG_HDR;
        jseg_header(b, 1);
    }
    layout lo = {0};
    if (flags & FIX_RECORDS) fix_records(b, n, flags, &lo);
    check_codec(b, n);

    fuzz_clear();
    nwritten = 0;
    snprintf(written[nwritten++], sizeof written[0], "engine.config");
    fuzz_write("engine.config", cfg_file, cfg_len);
    write_segments(b, n, &lo, flags);
    free(b);

    fresh f = {cets_engine_new(&cfg), 0};
    fuzz_check(f.e != NULL, "cannot create an engine");
    char err[1024] = "";
    long scanned = cets_journal_scan(fuzz_dir(), 0, fresh_apply, &f, err, sizeof err);
    fuzz_check(scanned >= 0 || err[0], "cets_journal_scan failed without a message");
    fuzz_check(scanned < 0 || scanned == f.applied, "scan returned %ld but passed %ld records",
               scanned, f.applied);
    check_recovery(scanned, err, &f);
    cets_engine_free(f.e);
    return 0;
}
