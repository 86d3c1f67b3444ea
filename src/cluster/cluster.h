/* cluster.h -- cluster mode: the journal replicated on NATS JetStream, a
 * leader and hot standbys (docs/operations.md, "Cluster mode").
 *
 * We write no consensus code. The journal is a JetStream stream (Raft
 * replicated, R3 by default): the leader publishes each batch of commands as
 * one message and answers its clients only once JetStream acknowledged it.
 * Every publish is fenced by the stream's last sequence number
 * (ExpectLastSeq): a node that is not caught up with the stream cannot
 * append, however long it slept. Leadership is a lease in a JetStream
 * key-value bucket (a TTL, renewed by compare-and-set on its revision).
 * Standbys follow the stream with an ordered consumer and apply it to their
 * own engine (core_replicate), so they serve reads and market data; they
 * refuse commands with CETS_NOT_LEADER and the leader's address. When the
 * lease is free a standby takes it, applies the stream to its end, appends a
 * marker (which fences every older leader out), and only then accepts
 * commands.
 *
 * Snapshots: each node writes its own (the core does, in its data
 * directory); the leader also publishes its snapshots to a second stream
 * (libnats 3.4 has no object-store API: the snapshot stream is ours, chunked
 * the way an object store is), from which a new node bootstraps, and the
 * journal stream is purged up to the older of the two snapshots kept.
 *
 * Use (cetsd's main): b = cluster_backend_new(&o); core_options.backend = b,
 * .standby = true, .demote_on_failure = true; start the core (recovery
 * follows the stream to its end); then cl = cluster_start(b, core) runs the
 * lease and the follower; cluster_stop(cl) before core_stop().
 */
#ifndef CETS_CLUSTER_CLUSTER_H
#define CETS_CLUSTER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

typedef struct cluster_options {
    const char *nats_url;   /* "nats://127.0.0.1:4222,nats://127.0.0.1:4223" */
    const char *node_id;    /* unique per node, [A-Za-z0-9_-]{1,32} */
    const char *advertise;  /* told to clients that reach a standby: "http://host:port" */
    const char *data_dir;   /* the node's own snapshots and engine.config */
    const char *stream;     /* "CETS": the journal stream; also names the bucket and subjects */
    int replicas;           /* 3 */
    int lease_ttl_ms;       /* 4000: a leader silent this long loses the lease */
    int publish_timeout_ms; /* 15000: a commit waits this long for JetStream, retrying */
    int snapshot_keep;      /* 2: snapshots kept in the snapshot stream (fixed for now) */
    uint64_t
        snapshot_every; /* 1,000,000: commands between snapshots the leader publishes (0 = never) */
} cluster_options;

void cluster_options_default(cluster_options *o);

/* Connect to NATS, create the stream, the snapshot stream and the lease
 * bucket if they do not exist. NULL with err. The core frees it
 * (core_close) when it is given as core_options.backend. */
core_backend *cluster_backend_new(const cluster_options *o, char *err, size_t errlen);

typedef struct cluster cluster;
/* Start the lease and the follower for a started core whose backend is b. */
cluster *cluster_start(core_backend *b, core *c, char *err, size_t errlen);
void cluster_stop(cluster *cl);

typedef struct cluster_stats {
    bool leader;
    uint64_t stream_seq; /* the last stream message applied or appended here */
    uint64_t promotions, demotions, fenced, publish_retries, snapshots_published;
    char leader_at[256]; /* the lease holder's advertised address */
} cluster_stats;
void cluster_get_stats(cluster *cl, cluster_stats *out);

/* Publish the engine's state as the cluster's snapshot (the leader does it
 * after each of its own snapshots); 0 or -1 with err. */
int cluster_publish_snapshot(cluster *cl, char *err, size_t errlen);

#endif
