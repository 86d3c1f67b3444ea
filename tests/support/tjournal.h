/* tjournal.h -- data directories for journal tests: a temporary directory,
 * its files by name, damage done to them on purpose, and a directory filled
 * with a deterministic command stream (tstream) through the real journal.
 *
 * The reference state for any prefix of the stream is a fresh engine fed the
 * same prefix (tj_ref_hash), so a test can say "recovery gave exactly the
 * first n commands". Helpers fail the test (cmocka) when the file system
 * does not do what they ask.
 */
#ifndef CETS_TJOURNAL_H
#define CETS_TJOURNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "cets/journal.h"
#include "tstream.h"

#define TJ_SEED 7
#define TJ_DAY 300 /* commands per trading day: several ends of day per test */

typedef struct tjdir {
    char dir[600]; /* <tmp>/<name>-XXXXXX/data: recovery creates it */
    cets_config cfg;
} tjdir;

/* A fresh directory name under $CETS_TEST_TMP (or /tmp); the data directory
 * itself does not exist yet. */
void tj_init(tjdir *d, const char *name);
/* Remove it and everything in it. */
void tj_free(tjdir *d);

/* dir/name, dir/journal-<first>.log, dir/snapshot-<seq>.snap (static buffers,
 * one of each kind at a time). */
const char *tj_path(const tjdir *d, const char *name);
const char *tj_seg(const tjdir *d, uint64_t first);
const char *tj_snap(const tjdir *d, uint64_t seq);
/* First seqs of the segments, ascending; returns how many. */
int tj_segments(const tjdir *d, uint64_t *out, int max);
/* Entries of the directory whose name starts with prefix. */
int tj_count(const tjdir *d, const char *prefix);

off_t tj_size(const char *path);
void tj_truncate(const char *path, off_t len);
void tj_flip(const char *path, off_t off);             /* one byte, xor 0x40 */
void tj_zero(const char *path, off_t off, size_t len); /* overwrite with zeros */
void tj_append(const char *path, const void *buf, size_t len);
/* XXH3 of the whole file (0 when it does not exist). */
uint64_t tj_digest(const char *path);
/* Offsets of a segment's records (the documented layout); returns how many. */
int tj_records(const char *path, off_t *out, int max);

/* Recovery that must succeed (else the test fails with its message). */
cets_engine *tj_recover(const tjdir *d, cets_recovery *rep);
cets_journal *tj_open(const tjdir *d, uint64_t next_seq);
/* n commands of the stream: appended to j (may be NULL), applied to e,
 * committed every `batch`, and a last commit. */
void tj_feed(cets_engine *e, cets_journal *j, tstream *s, int n, int batch);
/* A directory with n commands journaled in commits of `batch` (segment limit
 * seg_limit, 0: the default): recovers it, opens the journal, feeds it,
 * closes it, and returns the live engine; s continues the stream. */
cets_engine *tj_journaled(const tjdir *d, int n, int batch, uint64_t seg_limit, tstream *s);
/* The state hash after the first n commands of the stream. */
uint64_t tj_ref_hash(const tjdir *d, int n);

#endif
