/* journal.h -- the command log, snapshots and recovery.
 *
 * Every command is appended with its sequence number, timestamp and a
 * checksum before it is acknowledged. cets_journal_append() only buffers;
 * cets_journal_commit() writes the buffer and calls fdatasync() once for the
 * whole batch (group commit). A command is durable, and may be acknowledged,
 * once the commit that covers it has returned 0.
 *
 * A data directory holds:
 *   engine.config                        the engine's configuration, written once
 *   journal-<first seq, 20 digits>.log   segments of records
 *   snapshot-<seq, 20 digits>.snap       engine state after command <seq>
 * Recovery loads the newest valid snapshot and replays every later record.
 * A torn or corrupt tail is truncated back to the last whole record, and the
 * message says where and how much. docs/operations.md describes the files.
 *
 * Record format (see src/journal/journal_int.h for the byte layout): a u64
 * XXH3_64bits checksum over the next two fields, a u32 payload length, and
 * the payload: the first cets_cmd_size(cmd) bytes of the cets_cmd struct as
 * they are in memory (little-endian; cets builds only on little-endian hosts).
 * Each segment starts with a 32-byte header: "CETSJNL1", version, first seq.
 *
 * One process at a time: cets_journal_open() and cets_recover() take an
 * exclusive flock() on the directory (the journal holds it until closed).
 * A cets_journal belongs to one thread, like the engine.
 */
#ifndef CETS_JOURNAL_H
#define CETS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cets/cets.h"

typedef struct cets_journal cets_journal;

typedef struct cets_journal_stats {
    uint64_t records, commits, bytes; /* durable records, successful commits, bytes written */
    uint64_t syncs;                   /* fdatasync/fsync calls (segment and directory) */
    uint64_t last_seq;                /* last durable sequence number */
    uint64_t sync_ns_total, sync_ns_max; /* time in the segment fdatasync (CLOCK_MONOTONIC) */
} cets_journal_stats;

/* Open (create if needed) the journal in dir for appending after recovery.
 * next_seq is the sequence number the next command must carry (normally
 * cets_recovery.last_seq + 1). Call cets_recover() first even on a new
 * directory: it stores engine.config, without which the journal cannot be
 * recovered. Refuses a directory whose last segment has a
 * bad tail (run cets_recover() first) or already holds next_seq. Appends go
 * to the last segment when it ends at next_seq - 1, else to a new segment
 * created at the first commit. Returns NULL with a message in err. */
cets_journal *cets_journal_open(const char *dir, uint64_t next_seq, char *err, size_t errlen);
/* Close without committing: whatever is still buffered is dropped (it was
 * never durable, so never acknowledged). */
void cets_journal_close(cets_journal *j);

/* Buffer one command (cmd->seq must be the next sequence number). 0 or -1.
 * No I/O: a copy and a checksum. */
int cets_journal_append(cets_journal *j, const cets_cmd *cmd);
/* Write everything buffered and fdatasync once. 0 when durable, -1 on an I/O
 * error (message in cets_journal_error()); nothing buffered is then durable.
 *
 * A failed commit is final: the journal refuses every later append and
 * commit (-1) until it is closed and the directory recovered. Retrying is
 * not safe: after a failed fdatasync Linux may drop the dirty pages and
 * report the next fdatasync as a success, so a retry could call durable what
 * is lost. On failure the segment is cut back (best effort) to its last
 * durable byte, so a recovery sees exactly the durable commands; commands of
 * the failed batch must be reported as not accepted (CETS_JOURNAL_FAILED).
 * Starting a new segment costs one more fdatasync and a directory fsync. */
int cets_journal_commit(cets_journal *j);
/* The last error ("" when none). */
const char *cets_journal_error(const cets_journal *j);
void cets_journal_get_stats(const cets_journal *j, cets_journal_stats *out);
/* The sequence number the next append must carry. */
uint64_t cets_journal_next_seq(const cets_journal *j);
/* Start a new segment once the current one reaches this size (default 256 MiB,
 * minimum 4 KiB). A segment may exceed it by one commit's batch. */
void cets_journal_set_segment_limit(cets_journal *j, uint64_t bytes);

/* I/O hooks, for fault injection in tests. write behaves like write(2) (may
 * write less, may fail with errno set, EINTR included); sync like
 * fdatasync(2) for a segment (is_dir 0) or fsync(2) for the directory
 * (is_dir 1). NULL members, or io NULL, mean the system calls. */
typedef struct cets_journal_io {
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t len);
    int (*sync)(void *ctx, int fd, int is_dir);
    void *ctx;
} cets_journal_io;
void cets_journal_set_io(cets_journal *j, const cets_journal_io *io);
/* The hooks every journal opened from now on starts with (io NULL: the
 * system calls again); the table is copied. Process-wide, for tests that
 * inject faults into a journal they do not hold, such as the one cetsd's
 * core opens, and reopens after a failure. Set it before starting whatever
 * opens journals, and change the behaviour through io->ctx rather than by
 * calling this again while they run: it is not synchronised with
 * cets_journal_open(). */
void cets_journal_set_default_io(const cets_journal_io *io);

/* Write a snapshot of e (state after cets_last_seq(e)) into dir, atomically
 * (temporary file, fsync, rename, directory fsync), zstd-compressed with a
 * checksummed header. Keeps the newest `keep` snapshots (at least 1), deletes
 * older ones. Snapshot committed state only: recovery falls back to an older
 * snapshot plus the journal, which must then hold every later command. 0 or -1. */
int cets_snapshot_write(const char *dir, const cets_engine *e, int keep, char *err,
                        size_t errlen);
/* Load and validate one snapshot file (header, length, checksum, zstd frame,
 * engine state, seq). Returns the engine (listener unset) and its seq, or
 * NULL with err naming the file and what is wrong with it. */
cets_engine *cets_snapshot_read(const char *path, uint64_t *seq, char *err, size_t errlen);

/* Recovery report. */
typedef struct cets_recovery {
    uint64_t snapshot_seq;   /* 0: none used */
    uint64_t replayed;       /* records applied after the snapshot */
    uint64_t last_seq;       /* last command in the state */
    uint64_t truncated_bytes;/* cut from a torn or corrupt tail */
    char message[512];       /* what was done, for the log */
} cets_recovery;

/* Rebuild the engine from dir (created if missing): newest valid snapshot
 * (corrupt ones are skipped, and named in the message), else a new engine,
 * then replay of the journal. cfg only seeds a fresh directory (NULL: the
 * defaults): it is stored as engine.config, and from then on the stored
 * configuration is always used, whatever cfg says, so a replay runs under the
 * rules that produced the journal. The listener (may be NULL) is set before
 * the replay, sees the events of the replayed commands and stays set.
 *
 * Refuses (NULL with err, no file changed) a bad record in any segment but the
 * last, a break in the sequence numbers, or corruption in the last segment
 * that is followed by valid records (cutting would lose them). A torn tail of
 * the last segment is cut (ftruncate + fsync). rep may be NULL. */
cets_engine *cets_recover(const char *dir, const cets_config *cfg, cets_listener fn, void *ctx,
                          cets_recovery *rep, char *err, size_t errlen);

/* The configuration stored in dir/engine.config. 1 and *out filled, 0 when
 * there is none, -1 with err when it is unreadable or corrupt. */
int cets_data_config(const char *dir, cets_config *out, char *err, size_t errlen);

/* Iterate the records of a journal directory without an engine (for tools
 * and tests): calls fn for each whole record with seq >= from_seq, in order;
 * fn returns nonzero to stop (fn NULL: only count and check). Never changes a file. Returns the number of
 * records passed to fn, or -1 with err (unreadable file, bad header, sequence
 * gap, bad record in a segment that is not the last). A bad tail in the last
 * segment ends the scan without error: the count is returned and err
 * describes the tail (err[0] == 0 when the journal is clean). */
long cets_journal_scan(const char *dir, uint64_t from_seq,
                       int (*fn)(void *ctx, const cets_cmd *cmd), void *ctx, char *err,
                       size_t errlen);

/* ---- following a journal (src/journal/reader.c) ------------------------
 * For consumers that rebuild what they need from the journal itself, at their
 * own pace, beside the process that writes it (the back office's SQL
 * projection and the live audit log): records are read with pread() from
 * where the reader stands, segment after segment, and checked like recovery
 * checks them. A reader never changes a file and takes no lock.
 *
 * Only committed records may be trusted: the writer appends a batch before
 * its fdatasync, and a failed commit is cut back. So each read names `upto`,
 * the last sequence number the caller knows to be durable (the core's last
 * applied command, say): a record above it is never read. With upto =
 * UINT64_MAX (a journal no one writes) an incomplete tail is the end. */
typedef struct cets_journal_reader cets_journal_reader;

/* A reader whose first record will be from_seq (>= 1). NULL with err when
 * dir holds no segment that can hold it (a journal starting later). */
cets_journal_reader *cets_journal_reader_open(const char *dir, uint64_t from_seq, char *err,
                                              size_t errlen);
/* The next record into *out: 1, or 0 when it is above upto or not written yet,
 * or -1 with err (a bad record, a gap, an unreadable file: the reader is then
 * stuck; close it and open another from where it stood). */
int cets_journal_reader_next(cets_journal_reader *r, uint64_t upto, cets_cmd *out, char *err,
                             size_t errlen);
/* The seq the next record will carry. */
uint64_t cets_journal_reader_position(const cets_journal_reader *r);
void cets_journal_reader_close(cets_journal_reader *r);

/* An engine (listener unset) in the state after command seq of dir: the
 * newest snapshot at or before seq that loads, then the journal up to seq,
 * under the stored configuration (seq 0: a fresh engine). *from_snapshot (may
 * be NULL): the snapshot's seq, 0 when none was used. NULL with err when the
 * journal does not reach seq. Changes no file, takes no lock. */
cets_engine *cets_journal_engine_at(const char *dir, uint64_t seq, uint64_t *from_snapshot,
                                    char *err, size_t errlen);

#endif
