/* role.c -- who leads: the lease, the follower, promotion and demotion, and
 * the snapshots the leader publishes (cluster.h).
 *
 * One thread decides, every lease_ttl/4:
 *  - a leader renews the lease by compare-and-set on its revision; if that
 *    fails (it expired: the node was paused, or cut off from NATS, longer
 *    than the TTL), the node steps down at once, before anything else;
 *  - a standby follows the stream (a second thread: an ordered consumer
 *    handing each batch to core_replicate) and tries to create the lease
 *    key, which succeeds only when it is free (the bucket's TTL removed a
 *    dead leader's key). Holding it, the standby stops following, applies
 *    the stream to its end, and promotes the core: opening the leader's
 *    journal appends the fencing marker (stream.c). Only then does it take
 *    commands.
 * A leader whose commit fails is made a standby by the core itself
 * (demote_on_failure); holding the lease still, it follows, catches up and
 * promotes again on the next turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "cluster_int.h"
#include "core/log.h"

struct cluster {
    cl_backend *b;
    core *c;
    pthread_t role_th, follow_th;
    volatile int stop, follow_stop;
    bool following, role_started;
    uint64_t lease_rev;
    uint64_t published_seq; /* the last snapshot this node published */
    pthread_mutex_t mu;     /* stats */
    cluster_stats st;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* ---- following ------------------------------------------------------------------ */

static int follow_one(void *ctx, const cl_msg *m)
{
    cluster *cl = ctx;
    pthread_mutex_lock(&cl->b->mu);
    uint64_t have = cl->b->last_cmd;
    pthread_mutex_unlock(&cl->b->mu);
    size_t skip = 0;
    while (skip < m->n && m->cmds[skip].seq <= have) skip++;
    char err[600];
    if (m->n > skip && core_replicate(cl->c, m->cmds + skip, m->n - skip, err, sizeof err) != 0) {
        log_error("cluster", "msg=\"cannot apply the stream\" alarm=1 stream_seq=%llu error=%s",
                  (unsigned long long)m->stream_seq, log_q(err));
        return -1;
    }
    cl_applied(cl->b, m->stream_seq, m->n ? m->cmds[m->n - 1].seq : have);
    pthread_mutex_lock(&cl->mu);
    cl->st.stream_seq = m->stream_seq;
    pthread_mutex_unlock(&cl->mu);
    return 0;
}

static void *follow_main(void *arg)
{
    cluster *cl = arg;
    pthread_setname_np(pthread_self(), "cluster-follow");
    while (!cl->follow_stop) {
        pthread_mutex_lock(&cl->b->mu);
        uint64_t from = cl->b->applied + 1;
        pthread_mutex_unlock(&cl->b->mu);
        char err[600];
        if (cl_read(cl->b, from, UINT64_MAX, &cl->follow_stop, follow_one, cl, err, sizeof err) !=
            0) {
            log_warn("cluster", "msg=\"following the stream failed; again in 500 ms\" error=%s",
                     log_q(err));
            sleep_ms(500);
        }
    }
    return NULL;
}

static void follow_start(cluster *cl)
{
    if (cl->following) return;
    cl->follow_stop = 0;
    if (pthread_create(&cl->follow_th, NULL, follow_main, cl) == 0) cl->following = true;
}

static void follow_stop(cluster *cl)
{
    if (!cl->following) return;
    cl->follow_stop = 1;
    pthread_join(cl->follow_th, NULL);
    cl->following = false;
}

/* ---- the lease -------------------------------------------------------------------- */

static void lease_value(cluster *cl, char *out, size_t len)
{
    snprintf(out, len, "%s", cl->b->advertise[0] ? cl->b->advertise : cl->b->node);
}

static bool lease_renew(cluster *cl)
{
    char v[256];
    lease_value(cl, v, sizeof v);
    uint64_t rev = 0;
    if (kvStore_Update(&rev, cl->b->kv, "leader", v, (int)strlen(v), cl->lease_rev) != NATS_OK)
        return false;
    cl->lease_rev = rev;
    return true;
}

static bool lease_take(cluster *cl)
{
    char v[256];
    lease_value(cl, v, sizeof v);
    uint64_t rev = 0;
    if (kvStore_Create(&rev, cl->b->kv, "leader", v, (int)strlen(v)) != NATS_OK) return false;
    cl->lease_rev = rev;
    log_info("cluster", "msg=\"lease taken\" node=%s revision=%llu", cl->b->node,
             (unsigned long long)rev);
    return true;
}

/* Tell the core (for its refusals) and the stats where the leader is. */
static void leader_seen(cluster *cl)
{
    kvEntry *e = NULL;
    char where[256] = "";
    if (kvStore_Get(&e, cl->b->kv, "leader") == NATS_OK) {
        snprintf(where, sizeof where, "%.*s", kvEntry_ValueLen(e), (const char *)kvEntry_Value(e));
        kvEntry_Destroy(e);
    }
    core_set_leader(cl->c, where);
    pthread_mutex_lock(&cl->mu);
    snprintf(cl->st.leader_at, sizeof cl->st.leader_at, "%s", where);
    pthread_mutex_unlock(&cl->mu);
}

/* Holding the lease as a standby: catch up and lead. */
static void promote(cluster *cl)
{
    follow_stop(cl);
    uint64_t first, last;
    char err[600];
    if (cl_stream_bounds(cl->b, &first, &last, err, sizeof err) != 0) goto again;
    pthread_mutex_lock(&cl->b->mu);
    uint64_t applied = cl->b->applied;
    pthread_mutex_unlock(&cl->b->mu);
    if (last > applied &&
        cl_read(cl->b, applied + 1, last, NULL, follow_one, cl, err, sizeof err) != 0)
        goto again;
    if (core_promote(cl->c, err, sizeof err) != 0) goto again;
    char v[256];
    lease_value(cl, v, sizeof v);
    core_set_leader(cl->c, v);
    pthread_mutex_lock(&cl->mu);
    cl->st.promotions++;
    cl->st.leader = true;
    snprintf(cl->st.leader_at, sizeof cl->st.leader_at, "%s", v);
    pthread_mutex_unlock(&cl->mu);
    log_info("cluster", "msg=\"leader\" node=%s", cl->b->node);
    return;
again:
    log_warn("cluster", "msg=\"promotion failed; following again\" error=%s", log_q(err));
    follow_start(cl);
}

static void demote(cluster *cl, const char *why)
{
    core_demote(cl->c);
    pthread_mutex_lock(&cl->mu);
    cl->st.demotions++;
    cl->st.leader = false;
    pthread_mutex_unlock(&cl->mu);
    log_warn("cluster", "msg=\"standby\" node=%s why=%s", cl->b->node, log_q(why));
    follow_start(cl);
}

static void *role_main(void *arg)
{
    cluster *cl = arg;
    pthread_setname_np(pthread_self(), "cluster-role");
    int tick = cl->b->o.lease_ttl_ms / 4;
    while (!cl->stop) {
        int64_t t0 = mono_ms();
        if (core_get_role(cl->c) == CORE_LEADER) {
            if (!lease_renew(cl)) {
                cl->lease_rev = 0;
                demote(cl, "the lease was lost");
            } else if (cl->b->o.snapshot_every) {
                pthread_mutex_lock(&cl->b->mu);
                uint64_t have = cl->b->last_cmd;
                pthread_mutex_unlock(&cl->b->mu);
                char err[600];
                if (have >= cl->published_seq + cl->b->o.snapshot_every &&
                    cluster_publish_snapshot(cl, err, sizeof err) != 0)
                    log_error("cluster", "msg=\"snapshot not published\" error=%s", log_q(err));
            }
        } else {
            pthread_mutex_lock(&cl->mu);
            bool was_leader = cl->st.leader;
            cl->st.leader = false;
            pthread_mutex_unlock(&cl->mu);
            if (was_leader) /* the core stepped down by itself: a commit failed */
                log_warn("cluster", "msg=\"the journal refused a commit: following\"");
            follow_start(cl);
            if (cl->lease_rev && !lease_renew(cl)) cl->lease_rev = 0;
            if (cl->lease_rev || lease_take(cl))
                promote(cl);
            else
                leader_seen(cl);
        }
        int64_t left = tick - (mono_ms() - t0);
        for (; left > 0 && !cl->stop; left -= 50) sleep_ms(left < 50 ? (int)left : 50);
    }
    return NULL;
}

cluster *cluster_start(core_backend *cb, core *c, char *err, size_t errlen)
{
    cluster *cl = calloc(1, sizeof *cl);
    if (!cl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cl->b = (cl_backend *)cb;
    cl->c = c;
    pthread_mutex_init(&cl->mu, NULL);
    if (pthread_create(&cl->role_th, NULL, role_main, cl) != 0) {
        snprintf(err, errlen, "cannot start the cluster's thread");
        free(cl);
        return NULL;
    }
    cl->role_started = true;
    log_info("cluster", "msg=\"started\" node=%s nats=%s stream=%s advertise=%s", cl->b->node,
             log_q(cl->b->url), cl->b->stream, log_q(cl->b->advertise));
    return cl;
}

void cluster_stop(cluster *cl)
{
    if (!cl) return;
    cl->stop = 1;
    if (cl->role_started) pthread_join(cl->role_th, NULL);
    follow_stop(cl);
    if (core_get_role(cl->c) == CORE_LEADER) {
        core_demote(cl->c); /* no command after the lease is given back */
        if (cl->lease_rev)  /* a quick failover: the next standby need not wait for the TTL */
            kvStore_Delete(cl->b->kv, "leader");
        log_info("cluster", "msg=\"lease released\" node=%s", cl->b->node);
    }
    pthread_mutex_destroy(&cl->mu);
    free(cl);
}

void cluster_get_stats(cluster *cl, cluster_stats *out)
{
    pthread_mutex_lock(&cl->mu);
    *out = cl->st;
    pthread_mutex_unlock(&cl->mu);
    pthread_mutex_lock(&cl->b->mu);
    out->stream_seq = cl->b->applied;
    out->fenced = cl->b->fenced;
    out->publish_retries = cl->b->publish_retries;
    pthread_mutex_unlock(&cl->b->mu);
}

/* ---- snapshots in the snapshot stream -------------------------------------------------
 * The state after command <seq>, zstd-compressed, in chunks of CL_SNAP_CHUNK on
 * subject <stream>.s.<seq>; then the meta bucket's "snapshot" says
 * "seq chunks bytes raw first-stream-seq xxh3" of the newest. Two are kept:
 * the snapshot stream is purged up to the older, the journal up to the first
 * message the older does not cover, so the stream's length is bounded by the
 * snapshots and a new node can always bootstrap. */

static kvStore *meta_bucket(cl_backend *b)
{
    char name[64];
    snprintf(name, sizeof name, "%s_META", b->stream);
    kvStore *kv = NULL;
    return js_KeyValue(&kv, b->js, name) == NATS_OK ? kv : NULL;
}

typedef struct snap_meta {
    uint64_t seq, chunks, bytes, raw, first, hash;
} snap_meta;

static int meta_read(kvStore *kv, snap_meta *m)
{
    kvEntry *e = NULL;
    if (kvStore_Get(&e, kv, "snapshot") != NATS_OK) return -1;
    char v[256];
    snprintf(v, sizeof v, "%.*s", kvEntry_ValueLen(e), (const char *)kvEntry_Value(e));
    kvEntry_Destroy(e);
    unsigned long long a[6];
    if (sscanf(v, "%llu %llu %llu %llu %llu %llx", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) != 6)
        return -1;
    *m = (snap_meta){a[0], a[1], a[2], a[3], a[4], a[5]};
    return 0;
}

int cluster_publish_snapshot(cluster *cl, char *err, size_t errlen)
{
    cl_backend *b = cl->b;
    void *raw = NULL;
    size_t rawlen = 0;
    const cets_engine *e = core_read_begin(cl->c);
    uint64_t seq = cets_last_seq(e);
    int rc = cets_snapshot_save(e, &raw, &rawlen);
    core_read_end(cl->c);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t cap = ZSTD_compressBound(rawlen);
    unsigned char *z = malloc(cap);
    size_t zlen = z ? ZSTD_compress(z, cap, raw, rawlen, 1) : 0;
    free(raw);
    if (!z || ZSTD_isError(zlen)) {
        free(z);
        snprintf(err, errlen, "cannot compress the snapshot");
        return -1;
    }
    char subj[96], id[96], v[256];
    snprintf(subj, sizeof subj, "%s.s.%llu", b->stream, (unsigned long long)seq);
    uint64_t chunks = (zlen + CL_SNAP_CHUNK - 1) / CL_SNAP_CHUNK, first = 0;
    for (uint64_t i = 0; i < chunks; i++) {
        size_t off = i * CL_SNAP_CHUNK, n = zlen - off < CL_SNAP_CHUNK ? zlen - off : CL_SNAP_CHUNK;
        jsPubOptions po;
        jsPubOptions_Init(&po);
        snprintf(id, sizeof id, "snap-%llu-%llu", (unsigned long long)seq, (unsigned long long)i);
        po.MsgId = id;
        po.MaxWait = b->o.publish_timeout_ms;
        jsPubAck *pa = NULL;
        jsErrCode jerr = 0;
        natsStatus s = js_Publish(&pa, b->js, subj, z + off, (int)n, &po, &jerr);
        if (s != NATS_OK) {
            free(z);
            snprintf(err, errlen, "publish snapshot chunk %llu: %s", (unsigned long long)i,
                     natsStatus_GetText(s));
            return -1;
        }
        if (i == 0) first = pa->Sequence;
        jsPubAck_Destroy(pa);
    }
    uint64_t hash = XXH3_64bits(z, zlen);
    free(z);
    kvStore *meta = meta_bucket(b);
    if (!meta) {
        snprintf(err, errlen, "no meta bucket");
        return -1;
    }
    snap_meta prev;
    bool had = meta_read(meta, &prev) == 0;
    snprintf(v, sizeof v, "%llu %llu %zu %zu %llu %llx", (unsigned long long)seq,
             (unsigned long long)chunks, zlen, rawlen, (unsigned long long)first,
             (unsigned long long)hash);
    uint64_t rev;
    natsStatus s = kvStore_Put(&rev, meta, "snapshot", v, (int)strlen(v));
    kvStore_Destroy(meta);
    if (s != NATS_OK) {
        snprintf(err, errlen, "record the snapshot: %s", natsStatus_GetText(s));
        return -1;
    }
    cl->published_seq = seq;
    pthread_mutex_lock(&cl->mu);
    cl->st.snapshots_published++;
    pthread_mutex_unlock(&cl->mu);
    log_info("cluster", "msg=\"snapshot published\" seq=%llu bytes=%zu chunks=%llu",
             (unsigned long long)seq, zlen, (unsigned long long)chunks);
    if (had) { /* keep the previous one and this one; drop what only older ones needed */
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Stream.Purge.Sequence = prev.first;
        js_PurgeStream(b->js, b->snap_stream, &jo, NULL);
        uint64_t lo, hi;
        if (cl_stream_bounds(b, &lo, &hi, err, errlen) == 0 && hi) {
            /* every journal message that ends at or before the previous snapshot */
            uint64_t keep_from = lo;
            while (keep_from <= hi) {
                natsMsg *m = NULL;
                if (js_GetMsg(&m, b->js, b->stream, keep_from, NULL, NULL) != NATS_OK) break;
                const char *l = NULL;
                natsMsgHeader_Get(m, "Cets-Last", &l);
                bool covered = l && strtoull(l, NULL, 10) <= prev.seq;
                natsMsg_Destroy(m);
                if (!covered) break;
                keep_from++;
            }
            if (keep_from > lo) {
                jsOptions_Init(&jo);
                jo.Stream.Purge.Sequence = keep_from;
                if (js_PurgeStream(b->js, b->stream, &jo, NULL) == NATS_OK)
                    log_info("cluster",
                             "msg=\"journal stream purged\" before_stream_seq=%llu "
                             "covered_by_snapshot=%llu",
                             (unsigned long long)keep_from, (unsigned long long)prev.seq);
            }
        }
    }
    return 0;
}

/* One try: the newest snapshot the meta bucket names. */
static cets_engine *snapshot_fetch_once(cl_backend *b, uint64_t *stream_seq, char *err,
                                        size_t errlen)
{
    kvStore *meta = meta_bucket(b);
    snap_meta m;
    if (!meta || meta_read(meta, &m) != 0) {
        if (meta) kvStore_Destroy(meta);
        return NULL;
    }
    kvStore_Destroy(meta);
    unsigned char *z = malloc(m.bytes ? m.bytes : 1);
    size_t off = 0;
    for (uint64_t i = 0; z && i < m.chunks; i++) {
        natsMsg *msg = NULL;
        natsStatus st = js_GetMsg(&msg, b->js, b->snap_stream, m.first + i, NULL, NULL);
        if (st != NATS_OK) {
            const char *why = nats_GetLastError(NULL);
            snprintf(err, errlen,
                     "snapshot chunk %llu (stream seq %llu of %s) cannot be read: %s%s%s",
                     (unsigned long long)i, (unsigned long long)(m.first + i), b->snap_stream,
                     natsStatus_GetText(st), why ? ": " : "", why ? why : "");
            free(z);
            return NULL;
        }
        size_t n = (size_t)natsMsg_GetDataLength(msg);
        if (off + n > m.bytes) {
            natsMsg_Destroy(msg);
            break;
        }
        memcpy(z + off, natsMsg_GetData(msg), n);
        off += n;
        natsMsg_Destroy(msg);
    }
    if (!z || off != m.bytes || XXH3_64bits(z, off) != m.hash) {
        snprintf(err, errlen, "the published snapshot of seq %llu is incomplete or damaged",
                 (unsigned long long)m.seq);
        free(z);
        return NULL;
    }
    void *raw = malloc(m.raw ? m.raw : 1);
    size_t got = raw ? ZSTD_decompress(raw, m.raw, z, off) : 0;
    free(z);
    if (!raw || ZSTD_isError(got) || got != m.raw) {
        free(raw);
        snprintf(err, errlen, "the published snapshot of seq %llu does not decompress",
                 (unsigned long long)m.seq);
        return NULL;
    }
    const char *why = NULL;
    cets_engine *e = cets_snapshot_load(raw, got, &why);
    free(raw);
    if (!e) {
        snprintf(err, errlen, "the published snapshot of seq %llu: %s", (unsigned long long)m.seq,
                 why ? why : "invalid");
        return NULL;
    }
    *stream_seq = 0;
    return e;
}

/* The leader publishes and purges while we read: a snapshot can be gone
 * between reading its place and fetching its chunks (two newer ones were
 * published meanwhile). Read the place again, a few times. */
cets_engine *cl_snapshot_fetch(cl_backend *b, uint64_t *stream_seq, char *err, size_t errlen)
{
    cets_engine *e = NULL;
    for (int attempt = 0; attempt < 5 && !e; attempt++) {
        if (attempt) sleep_ms(200 * attempt); /* a JetStream request that timed out under load */
        err[0] = 0;
        e = snapshot_fetch_once(b, stream_seq, err, errlen);
        if (!e && !err[0]) return NULL; /* none was ever published */
    }
    return e;
}
