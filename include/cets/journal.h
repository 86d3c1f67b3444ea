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
 *   journal-<first seq>.log.tmp          a segment until its first commit is durable
 *   snapshot-<seq, 20 digits>.snap       engine state after command <seq>
 * Recovery loads the newest valid snapshot and replays every later record.
 * Only a torn tail -- the incomplete last commit, which was never
 * acknowledged -- is cut, and the message says where and how much; damage
 * anywhere else is refused, unless the snapshot already holds every command
 * it touched. docs/operations.md describes the files and the rules.
 *
 * Record format (see src/journal/journal_int.h for the byte layout): a u64
 * XXH3_64bits checksum over the next two fields, a u32 length word (payload
 * length and the record's index in its group commit), and the payload: the
 * command encoded, seq and ts whole, then the type, a word of field widths
 * and the fields that are not zero in as few bytes as hold them (segment
 * version 3, written by this build). Versions 1 and 2, still read, stored
 * the first cets_cmd_size(cmd) bytes of the cets_cmd struct as they are in
 * memory (little-endian; cets builds only on little-endian hosts). Each
 * segment starts with a 32-byte header: "CETSJNL1", version, first seq. Since
 * version 2 a segment gets its name only once its first commit is durable
 * (journal-<seq>.log.tmp until then).
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

#include "cets/api.h"
#include "cets/cets.h"

typedef struct cets_journal cets_journal;

typedef struct cets_journal_stats {
    uint64_t records, commits, bytes;      /* durable records, successful commits, bytes written */
    uint64_t syncs;                        /* fdatasync/fsync calls (segment and directory) */
    uint64_t last_seq;                     /* last durable sequence number */
    uint64_t sync_ns_total, sync_ns_max;   /* time in the segment fdatasync (CLOCK_MONOTONIC) */
    uint64_t write_ns_total, write_ns_max; /* time in write() of the batches */
    uint64_t roll_ns_total;                /* making new segments (create, header, name, fsync) */
    uint64_t direct_bytes; /* of `bytes`, those written past the page cache (O_DIRECT) */
} cets_journal_stats;

/* Open (create if needed) the journal in dir for appending after recovery.
 * next_seq is the sequence number the next command must carry (normally
 * cets_recovery.last_seq + 1). Call cets_recover() first even on a new
 * directory: it stores engine.config, without which the journal cannot be
 * recovered. Refuses a directory whose last segment ends in a torn tail right
 * before next_seq (run cets_recover() first) or already holds next_seq.
 * Appends go to the last segment when it is whole, of this version and ends
 * at next_seq - 1, else to a new segment created at the first commit (so a
 * damaged segment that a snapshot covers is never written to again). Returns
 * NULL with a message in err. */
CETS_API cets_journal *cets_journal_open(const char *dir, uint64_t next_seq, char *err,
                                         size_t errlen);
/* Close without committing: whatever is still buffered is dropped (it was
 * never durable, so never acknowledged). */
CETS_API void cets_journal_close(cets_journal *j);

/* Buffer one command (cmd->seq must be the next sequence number). 0 or -1.
 * No I/O: a copy and a checksum. */
CETS_API int cets_journal_append(cets_journal *j, const cets_cmd *cmd);
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
CETS_API int cets_journal_commit(cets_journal *j);
/* The last error ("" when none). */
CETS_API const char *cets_journal_error(const cets_journal *j);
CETS_API void cets_journal_get_stats(const cets_journal *j, cets_journal_stats *out);
/* The sequence number the next append must carry. */
CETS_API uint64_t cets_journal_next_seq(const cets_journal *j);
/* Start a new segment once the current one reaches this size (default 256 MiB,
 * minimum 4 KiB). A segment may exceed it by one commit's batch. */
CETS_API void cets_journal_set_segment_limit(cets_journal *j, uint64_t bytes);

/* I/O hooks, for fault injection and power-cut simulation in tests. write
 * behaves like write(2) (may write less, may fail with errno set, EINTR
 * included); sync like fdatasync(2) for a segment (is_dir 0) or fsync(2) for
 * the directory (is_dir 1). The members after ctx are every other call by
 * which the journal changes the directory, so that a test can model what a
 * power cut keeps of names and sizes too: open_file like open(2) with mode
 * 0644 (the journal adds O_CLOEXEC itself), truncate_file like ftruncate(2),
 * rename_file like rename(2), unlink_file like unlink(2). They were added
 * after ctx, so code that sets only the first three keeps working (with
 * designated initialisers, as -Wextra wants). NULL members, or io NULL, mean
 * the system calls. */
typedef struct cets_journal_io {
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t len);
    int (*sync)(void *ctx, int fd, int is_dir);
    void *ctx;
    int (*open_file)(void *ctx, const char *path, int flags);
    int (*truncate_file)(void *ctx, int fd, off_t len);
    int (*rename_file)(void *ctx, const char *from, const char *to);
    int (*unlink_file)(void *ctx, const char *path);
} cets_journal_io;
CETS_API void cets_journal_set_io(cets_journal *j, const cets_journal_io *io);
/* The hooks every journal opened from now on starts with (io NULL: the
 * system calls again); the table is copied. Process-wide, for tests that
 * inject faults into a journal they do not hold, such as the one cetsd's
 * core opens, and reopens after a failure. Set it before starting whatever
 * opens journals, and change the behaviour through io->ctx rather than by
 * calling this again while they run: it is not synchronised with
 * cets_journal_open(). */
CETS_API void cets_journal_set_default_io(const cets_journal_io *io);

/* Write a snapshot of e (state after cets_last_seq(e)) into dir, atomically
 * (temporary file, fsync, rename, directory fsync), zstd-compressed with a
 * checksummed header. Keeps the newest `keep` snapshots (at least 1), deletes
 * older ones. Snapshot committed state only: recovery falls back to an older
 * snapshot plus the journal, which must then hold every later command. 0 or -1. */
CETS_API int cets_snapshot_write(const char *dir, const cets_engine *e, int keep, char *err,
                                 size_t errlen);
/* Load and validate one snapshot file (header, length, checksum, zstd frame,
 * engine state, seq). Returns the engine (listener unset) and its seq, or
 * NULL with err naming the file and what is wrong with it. */
CETS_API cets_engine *cets_snapshot_read(const char *path, uint64_t *seq, char *err, size_t errlen);

/* Recovery report. */
typedef struct cets_recovery {
    uint64_t snapshot_seq;      /* 0: none used */
    uint64_t replayed;          /* records applied after the snapshot */
    uint64_t last_seq;          /* last command in the state */
    uint64_t truncated_bytes;   /* cut from a torn tail */
    uint64_t truncated_records; /* whole records cut with it (the same unacknowledged commit) */
    int warn;                   /* 1: something was cut, removed or found damaged: log at warn */
    char message[1024];         /* what was done, for the log */
    /* CPU seconds of the replay's two threads: the one reading, checking and
       decoding the journal, and the one applying it to the engine (both 0
       when the replay ran on the calling thread alone) */
    double read_cpu_s, apply_cpu_s;
} cets_recovery;

/* Rebuild the engine from dir (created if missing): newest valid snapshot
 * (corrupt ones are skipped, and named in the message), else a new engine,
 * then replay of the journal. cfg only seeds a fresh directory (NULL: the
 * defaults): it is stored as engine.config, and from then on the stored
 * configuration is always used, whatever cfg says, so a replay runs under the
 * rules that produced the journal. The listener (may be NULL) is set before
 * the replay, sees the events of the replayed commands and stays set. The
 * journal is read on a thread of recovery's own; the engine and the listener
 * run only on the calling thread.
 *
 * Damage is judged by what it can have cost (docs/operations.md, Recovery):
 *   - a torn tail, the incomplete last commit of the last segment, was never
 *     acknowledged: it is cut (ftruncate + fsync; rep->truncated_*), and so is
 *     a leftover journal-<seq>.log.tmp removed;
 *   - damage whose lost commands are all in the snapshot is left as it is
 *     and reported; the journal then continues in a new segment;
 *   - anything else is refused (NULL with err naming the segment, the offset
 *     and the seq range at risk; no file changed): damage followed by records
 *     of a later commit, damage in a segment that is not the last, a segment
 *     without records (only a directory whose journal was never written
 *     starts empty), a break in the sequence numbers, a missing
 *     engine.config. cets_journal_repair() is the operator's way past it.
 * rep may be NULL; rep->warn says whether the message should be a warning. */
CETS_API cets_engine *cets_recover(const char *dir, const cets_config *cfg, cets_listener fn,
                                   void *ctx, cets_recovery *rep, char *err, size_t errlen);

/* The configuration stored in dir/engine.config. 1 and *out filled, 0 when
 * there is none, -1 with err when it is unreadable or corrupt. */
CETS_API int cets_data_config(const char *dir, cets_config *out, char *err, size_t errlen);

/* Iterate the records of a journal directory without an engine (for tools
 * and tests): calls fn for each whole record with seq >= from_seq, in order;
 * fn returns nonzero to stop (fn NULL: only count and check). Never changes a
 * file. The records are judged as cets_recover() judges them with a snapshot
 * at from_seq - 1: returns the number of records passed to fn, or -1 with err
 * where recovery would refuse (unreadable file, bad header, sequence gap,
 * damage that recovery does not accept). A torn tail, or damage before
 * from_seq, ends or interrupts the scan without error: the count is returned
 * and err describes it (err[0] == 0 when the journal is clean). */
CETS_API long cets_journal_scan(const char *dir, uint64_t from_seq,
                                int (*fn)(void *ctx, const cets_cmd *cmd), void *ctx, char *err,
                                size_t errlen);

/* Where cets_journal_repair() cuts the journal, or would cut it. */
typedef struct cets_journal_cut {
    char segment[40];        /* the segment cut ("": nothing to cut) */
    uint64_t offset;         /* it keeps its bytes before this offset (0: set aside whole) */
    uint64_t bytes;          /* bytes taken out of the journal, there and in later segments */
    uint64_t records;        /* whole records among them (damaged ones cannot be counted) */
    uint64_t first_seq;      /* the seq range taken out: first_seq .. last_seq */
    uint64_t last_seq;       /* (0: no whole record after the damage, the end is unknown) */
    uint32_t later_segments; /* later segments set aside with it */
    char saved[64];          /* the file that keeps the bytes cut from the segment */
} cets_journal_cut;

/* What cets_recover() would do with dir, without doing it and without
 * creating anything (`cets journal check`). 0: it would recover (rep as it
 * would report, its truncated_* fields saying what it would cut). 1: it would
 * refuse: err says why, and cut says what cets_journal_repair() would do
 * (cut->segment "" when a repair cannot help, e.g. engine.config is missing).
 * -1 with err: the directory cannot be read, or a journal has it open. */
int cets_journal_check(const char *dir, cets_recovery *rep, cets_journal_cut *cut, char *err,
                       size_t errlen);

/* The operator's repair (`cets journal repair DIR --yes`) of a directory that
 * recovery refuses: the journal is cut at the first damage recovery does not
 * accept, so that the commands from there on are given up explicitly. The
 * bytes cut from that segment are kept in <segment>.cut-<offset>, later
 * segments are renamed <segment>.cut-0 (recovery ignores both), everything is
 * synced, and cut says what was taken out. 0: cut, or nothing to cut because
 * recovery would start (cut->segment ""). -1 with err (no file changed when
 * the cut itself could not start): repair cannot help, or an I/O error. */
CETS_API int cets_journal_repair(const char *dir, cets_journal_cut *cut, char *err, size_t errlen);

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
CETS_API cets_journal_reader *cets_journal_reader_open(const char *dir, uint64_t from_seq,
                                                       char *err, size_t errlen);
/* The next record into *out: 1, or 0 when it is above upto or not written yet,
 * or -1 with err (a bad record, a gap, an unreadable file: the reader is then
 * stuck; close it and open another from where it stood). *out holds a
 * command only after 1: otherwise it may hold part of a record that was not. */
CETS_API int cets_journal_reader_next(cets_journal_reader *r, uint64_t upto, cets_cmd *out,
                                      char *err, size_t errlen);
/* The seq the next record will carry. */
CETS_API uint64_t cets_journal_reader_position(const cets_journal_reader *r);
CETS_API void cets_journal_reader_close(cets_journal_reader *r);

/* An engine (listener unset) in the state after command seq of dir: the
 * newest snapshot at or before seq that loads, then the journal up to seq,
 * under the stored configuration (seq 0: a fresh engine). *from_snapshot (may
 * be NULL): the snapshot's seq, 0 when none was used. NULL with err when the
 * journal does not reach seq. Changes no file, takes no lock. */
CETS_API cets_engine *cets_journal_engine_at(const char *dir, uint64_t seq, uint64_t *from_snapshot,
                                             char *err, size_t errlen);

/* A command in the journal's compact record encoding (segment version 3,
 * docs/operations.md "Journal records"): seq and ts whole, the type, a word
 * of field widths, each field in as few bytes as hold it. One command has
 * one encoding, and cets_cmd_decode() refuses any other bytes. The
 * cluster's batch messages carry commands this way. */
#define CETS_CMD_CODE_MIN 21                       /* the shortest encoding, bytes */
#define CETS_CMD_CODE_MAX 212                      /* the longest */
#define CETS_CMD_CODE_ROOM (CETS_CMD_CODE_MAX + 8) /* what cets_cmd_encode() may write */
/* c into out (CETS_CMD_CODE_ROOM bytes; those past the encoding are left
 * undefined); returns the encoding's length. */
CETS_API size_t cets_cmd_encode(unsigned char *out, const cets_cmd *c);
/* The len bytes at p (room >= len of them readable from p) into *c, every
 * byte of it set: 0, or -1 when they are not a command's encoding (*c is
 * then undefined). */
CETS_API int cets_cmd_decode(const unsigned char *p, size_t len, size_t room, cets_cmd *c);

#endif
