/* cluster_int.h -- what the files of src/cluster share:
 *
 *   stream.c    the NATS connection, the streams and the bucket, the batch
 *               message format, reading the stream, and the core backend
 *               (recover, and the leader's fenced journal)
 *   role.c      the lease, the follower, promotion and demotion, snapshots
 *               published and bootstraps from them
 *
 * Subjects: <stream>.j carries the journal (stream <stream>), <stream>.s.<seq>
 * the chunks of the snapshot after command <seq> (stream <stream>_SNAP); the
 * bucket <stream>_KV holds "leader" (the lease), "config" (the engine's
 * configuration, written once by the first node) and "snapshot" (where the
 * newest published snapshot is).
 *
 * A journal message: headers Cets-Kind ("batch", "marker" or "genesis"),
 * Cets-Node (the node that appended it), Cets-Last (the last command's seq
 * after it), Cets-First (batches: the first); the payload of a batch:
 *     0  "CETSB1\0\0"
 *     8  u32 count, u32 0
 *    16  count x (u32 len, the first len bytes of the cets_cmd)
 *     …  u64 XXH3_64bits of everything before
 */
#ifndef CETS_CLUSTER_INT_H
#define CETS_CLUSTER_INT_H

#include <nats/nats.h>
#include <pthread.h>

#include "cluster.h"

/* A batch message: magic, u32 count, u32 zero, the commands, XXH3-64 of all
 * before it. Each command in CETSB3 (written since 2026-12-07) is a u8
 * length and the journal's version 3 record payload (src/journal/record.c);
 * in CETSB1 (still read) a u32 length and that many bytes of the cets_cmd. */
#define CL_BATCH_MAGIC "CETSB1\0\0"
#define CL_BATCH_MAGIC3 "CETSB3\0\0"
#define CL_WRONG_LAST_SEQ 10071 /* JetStream: "wrong last sequence" */
#define CL_SNAP_CHUNK (512u << 10)
#define CL_MSG_TARGET (256u << 10) /* a commit's batch goes out as messages of about this */
#define CL_MAX_PIPE 256            /* messages of one commit in flight at once */

typedef struct cl_backend {
    core_backend b; /* first: what the core sees */
    cluster_options o;
    char url[1024], node[40], advertise[256], dir[1024], stream[48], snap_stream[56], bucket[56],
        subj[64];
    natsConnection *nc;
    jsCtx *js;
    jsCtx *js_async; /* the same connection, with the ack handler of pipelined publishes */
    kvStore *kv;

    pthread_mutex_t mu; /* the fields below */
    uint64_t applied;   /* stream seq of the last journal message in the engine */
    uint64_t last_cmd;  /* seq of the last command in the engine */
    uint64_t fenced, publish_retries;
    struct cl_journal *j; /* the leader's open journal, if any */
} cl_backend;

/* One decoded journal message. */
typedef struct cl_msg {
    uint64_t stream_seq;
    char kind;      /* 'b' batch, 'm' marker, 'g' genesis */
    uint64_t last;  /* Cets-Last */
    cets_cmd *cmds; /* batch: malloc'd */
    size_t n;
} cl_msg;

/* ---- stream.c ---- */
/* One message of a commit in flight (pipelined), and its answer. */
typedef struct cl_part {
    uint32_t from, to; /* commands [from, to) of the batch */
    bool answered, ok;
    uint64_t seq;
} cl_part;

/* The commands of one commit, appended or in flight. */
typedef struct cl_batch {
    unsigned char *buf; /* the commands as in a CETSB3 message: u8 len + payload each */
    size_t len, cap;
    size_t *off; /* where each command starts in buf */
    size_t offcap;
    uint32_t count;
    uint64_t first, last;
    cl_part parts[CL_MAX_PIPE];
    int nparts, answered;
    uint64_t gen;  /* the commit's ticket; a late answer to an older one is ignored */
    uint64_t base; /* the stream seq its first message is fenced on */
} cl_batch;

/* Append c to t (t->count 0: a new batch). 0, or -1 out of memory. */
int cl_batch_add(cl_batch *t, const cets_cmd *c);
/* Commands [from, to) of t as one batch message (malloc'd, *len bytes). */
unsigned char *cl_batch_payload(const cl_batch *t, uint32_t from, uint32_t to, size_t *len);
/* Decode a NATS message of the journal stream. 0, or -1 with err. */
int cl_decode(natsMsg *m, cl_msg *out, char *err, size_t errlen);
void cl_msg_free(cl_msg *m);
/* The stream's first and last sequence numbers. 0 or -1. */
int cl_stream_bounds(cl_backend *b, uint64_t *first, uint64_t *last, char *err, size_t errlen);
/* Read journal messages from stream seq `from` through `until` (inclusive;
 * UINT64_MAX: until *stop is set), in order, calling fn for each; fn returns
 * nonzero to stop. 0, or -1 with err. */
typedef int (*cl_msg_fn)(void *ctx, const cl_msg *m);
int cl_read(cl_backend *b, uint64_t from, uint64_t until, const volatile int *stop, cl_msg_fn fn,
            void *ctx, char *err, size_t errlen);
/* Record that the engine now holds message m (applied or appended). */
void cl_applied(cl_backend *b, uint64_t stream_seq, uint64_t last_cmd);

/* ---- role.c ---- */
/* A published snapshot newer than the engine's state, for a bootstrap:
 * the engine after it and the stream seq to continue from, or NULL (none, or
 * err set when it could not be read). */
cets_engine *cl_snapshot_fetch(cl_backend *b, uint64_t *stream_seq, char *err, size_t errlen);

#endif
