/* stream.c -- the journal on a JetStream stream: the connection, the
 * streams and buckets, the batch message, reading in order, and the core
 * backend (cluster.h, cluster_int.h).
 *
 * Recovery: the node's own newest snapshot (its data directory, read by
 * cets_recover, which also keeps the engine's configuration there), else the
 * cluster's published snapshot when the stream no longer holds what follows
 * the node's state, then every journal message after it to the stream's end.
 *
 * The leader's journal: opening it appends a marker with ExpectLastSeq = the
 * last message this node applied, so it succeeds only for a node that is
 * caught up, and from then on no older leader can append (its expected
 * sequence is stale). Each commit publishes the batch with the same fence
 * and a message id (node and first seq): a publish that timed out is retried
 * with the same id, and JetStream's de-duplication answers a retry of a
 * stored message with the original's sequence, so a retry can neither lose
 * nor double a batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cluster_int.h"
#include "core/log.h"
#include "cets/journal.h" /* cets_cmd_encode, cets_cmd_decode */

_Static_assert(CETS_CMD_CODE_MAX <= 255, "a command's length in a batch message is one byte");

void cluster_options_default(cluster_options *o)
{
    memset(o, 0, sizeof *o);
    o->nats_url = "nats://127.0.0.1:4222";
    o->node_id = "n1";
    o->advertise = "";
    o->data_dir = "./cetsd-data";
    o->stream = "CETS";
    o->replicas = 3;
    o->lease_ttl_ms = 4000;
    o->publish_timeout_ms = 15000;
    o->snapshot_keep = 2;
    o->snapshot_every = 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int nerr(char *err, size_t errlen, const char *what, natsStatus s)
{
    const char *last = nats_GetLastError(NULL);
    snprintf(err, errlen, "%s: %s%s%s", what, natsStatus_GetText(s), last ? ": " : "",
             last ? last : "");
    return -1;
}

void cl_applied(cl_backend *b, uint64_t stream_seq, uint64_t last_cmd)
{
    pthread_mutex_lock(&b->mu);
    b->applied = stream_seq;
    b->last_cmd = last_cmd;
    pthread_mutex_unlock(&b->mu);
}

/* ---- the batch message ------------------------------------------------------ */

static uint64_t hdr_u64(natsMsg *m, const char *key)
{
    const char *v = NULL;
    if (natsMsgHeader_Get(m, key, &v) != NATS_OK || !v) return 0;
    return strtoull(v, NULL, 10);
}

int cl_decode(natsMsg *m, cl_msg *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->stream_seq = natsMsg_GetSequence(m);
    jsMsgMetaData *meta = NULL;
    if (!out->stream_seq && natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        out->stream_seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
    }
    const char *kind = NULL;
    natsMsgHeader_Get(m, "Cets-Kind", &kind);
    out->last = hdr_u64(m, "Cets-Last");
    if (!kind || (strcmp(kind, "batch") && strcmp(kind, "marker") && strcmp(kind, "genesis"))) {
        snprintf(err, errlen, "stream message %llu: not a cets journal message",
                 (unsigned long long)out->stream_seq);
        return -1;
    }
    out->kind = kind[0];
    if (out->kind != 'b') return 0;
    const unsigned char *p = (const unsigned char *)natsMsg_GetData(m);
    size_t len = (size_t)natsMsg_GetDataLength(m);
    uint32_t count;
    bool v3 = len >= 24 && memcmp(p, CL_BATCH_MAGIC3, 8) == 0;
    if (len < 24 || (!v3 && memcmp(p, CL_BATCH_MAGIC, 8) != 0)) {
        snprintf(err, errlen, "stream message %llu: bad batch header",
                 (unsigned long long)out->stream_seq);
        return -1;
    }
    uint64_t sum;
    memcpy(&sum, p + len - 8, 8);
    memcpy(&count, p + 8, 4);
    size_t least =
        v3 ? 1 + CETS_CMD_CODE_MIN : 4 + offsetof(cets_cmd, actor); /* bytes a command takes */
    if (sum != XXH3_64bits(p, len - 8) || count == 0 || count > (len - 24) / least) {
        snprintf(err, errlen, "stream message %llu: checksum or count wrong",
                 (unsigned long long)out->stream_seq);
        return -1;
    }
    out->cmds = calloc(count, sizeof *out->cmds);
    if (!out->cmds) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t off = 16, end = len - 8;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t n = 0;
        size_t head = v3 ? 1 : 4;
        if (off + head <= end) {
            if (v3)
                n = p[off];
            else
                memcpy(&n, p + off, 4);
        }
        bool ok = off + head <= end && off + head + n <= end &&
                  (v3 ? cets_cmd_decode(p + off + 1, n, len - off - 1, &out->cmds[i]) == 0
                      : n >= offsetof(cets_cmd, actor) && n <= sizeof(cets_cmd));
        if (!ok) {
            snprintf(err, errlen, "stream message %llu: command %u truncated or not a command",
                     (unsigned long long)out->stream_seq, i);
            cl_msg_free(out);
            return -1;
        }
        if (!v3) memcpy(&out->cmds[i], p + off + 4, n);
        off += head + n;
        if (i && out->cmds[i].seq != out->cmds[i - 1].seq + 1) {
            snprintf(err, errlen, "stream message %llu: sequence break inside the batch",
                     (unsigned long long)out->stream_seq);
            cl_msg_free(out);
            return -1;
        }
    }
    out->n = count;
    if (out->cmds[count - 1].seq != out->last) {
        snprintf(err, errlen, "stream message %llu: Cets-Last disagrees with the batch",
                 (unsigned long long)out->stream_seq);
        cl_msg_free(out);
        return -1;
    }
    return 0;
}

void cl_msg_free(cl_msg *m)
{
    free(m->cmds);
    m->cmds = NULL;
    m->n = 0;
}

/* ---- reading the stream ------------------------------------------------------ */

int cl_stream_bounds(cl_backend *b, uint64_t *first, uint64_t *last, char *err, size_t errlen)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, b->stream, NULL, &jerr);
    if (s != NATS_OK) return nerr(err, errlen, "stream info", s);
    *first = si->State.FirstSeq;
    *last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return 0;
}

int cl_read(cl_backend *b, uint64_t from, uint64_t until, const volatile int *stop, cl_msg_fn fn,
            void *ctx, char *err, size_t errlen)
{
    if (until != UINT64_MAX && until < from) return 0;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Ordered = true;
    so.Stream = b->stream;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = from;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_SubscribeSync(&sub, b->js, b->subj, NULL, &so, &jerr);
    if (s != NATS_OK) return nerr(err, errlen, "subscribe to the journal stream", s);
    int rc = 0;
    int64_t idle_since = mono_ms();
    for (;;) {
        if (stop && *stop) break;
        natsMsg *m = NULL;
        s = natsSubscription_NextMsg(&m, sub, 200);
        if (s == NATS_TIMEOUT) {
            /* a bounded read whose end is not coming: the stream changed under us */
            if (until != UINT64_MAX && mono_ms() - idle_since > 30000) {
                snprintf(err, errlen, "the journal stream stopped before seq %llu",
                         (unsigned long long)until);
                rc = -1;
                break;
            }
            continue;
        }
        if (s != NATS_OK) {
            rc = nerr(err, errlen, "reading the journal stream", s);
            break;
        }
        idle_since = mono_ms();
        cl_msg cm;
        if (cl_decode(m, &cm, err, errlen) != 0) {
            natsMsg_Destroy(m);
            rc = -1;
            break;
        }
        natsMsg_Destroy(m);
        int r = fn(ctx, &cm);
        uint64_t seq = cm.stream_seq;
        cl_msg_free(&cm);
        if (r != 0) {
            rc = r < 0 ? -1 : 0;
            break;
        }
        if (until != UINT64_MAX && seq >= until) break;
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    return rc;
}

/* The Cets-Last of the journal message at stream seq, 0 when gone. */
static int msg_last(cl_backend *b, uint64_t seq, uint64_t *last, uint64_t *first_cmd)
{
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    if (js_GetMsg(&m, b->js, b->stream, seq, NULL, &jerr) != NATS_OK) return -1;
    *last = hdr_u64(m, "Cets-Last");
    *first_cmd = hdr_u64(m, "Cets-First");
    natsMsg_Destroy(m);
    return 0;
}

/* The first stream seq in [lo, hi] whose message ends after command `after`
 * (hi + 1 when none): a binary search on Cets-Last, which never decreases. */
static uint64_t find_after(cl_backend *b, uint64_t lo, uint64_t hi, uint64_t after)
{
    uint64_t end = hi + 1;
    while (lo <= hi && lo) {
        uint64_t mid = lo + (hi - lo) / 2, last, first;
        if (msg_last(b, mid, &last, &first) != 0) /* gone (purged meanwhile): look later */
            last = 0;
        if (last > after) {
            end = mid;
            if (mid == lo) break;
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    return end;
}

/* ---- setting up ------------------------------------------------------------ */

static int stream_ensure(cl_backend *b, const char *name, const char *subject, char *err,
                         size_t errlen)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, name, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = name;
    const char *subs[] = {subject};
    sc.Subjects = subs;
    sc.SubjectsLen = 1;
    sc.Replicas = b->o.replicas;
    sc.Storage = js_FileStorage;
    sc.Duplicates = (int64_t)120 * 1000000000; /* the retry window of a commit */
    sc.MaxMsgSize = 8 << 20;
    jerr = 0;
    s = js_AddStream(&si, b->js, &sc, NULL, &jerr);
    if (s != NATS_OK && jerr != JSStreamNameExistErr)
        return nerr(err, errlen, "create the stream", s);
    jsStreamInfo_Destroy(si);
    log_info("cluster", "msg=\"stream ready\" stream=%s subject=%s replicas=%d", name, subject,
             b->o.replicas);
    return 0;
}

static int bucket_ensure(cl_backend *b, kvStore **kv, const char *name, int64_t ttl_ms, char *err,
                         size_t errlen)
{
    if (js_KeyValue(kv, b->js, name) == NATS_OK) return 0;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.History = 1;
    kc.Replicas = b->o.replicas;
    kc.TTL = ttl_ms * 1000000;
    natsStatus s = js_CreateKeyValue(kv, b->js, &kc);
    if (s != NATS_OK && js_KeyValue(kv, b->js, name) != NATS_OK)
        return nerr(err, errlen, "create the bucket", s);
    return 0;
}

/* The engine configuration every node runs: the first node's, kept in the
 * meta bucket. Create stores it unless a node did before; then every node
 * reads what is there. A key not found after that is a create that failed
 * for another reason than the key being there (a bucket made a moment ago,
 * its replicas still electing a leader, answers with a timeout) or a read
 * served by a replica that has not applied the write yet: both are tried
 * again, for as long as a commit may wait for JetStream (publish_timeout_ms),
 * rather than taken for a cluster without a configuration. */
static int config_agree(cl_backend *b, const cets_config *mine, cets_config *out, char *err,
                        size_t errlen)
{
    kvStore *meta = NULL;
    char name[64];
    snprintf(name, sizeof name, "%s_META", b->stream);
    if (bucket_ensure(b, &meta, name, 0, err, errlen) != 0) return -1;
    kvEntry *e = NULL;
    natsStatus s, created;
    int64_t until = mono_ms() + b->o.publish_timeout_ms;
    for (;;) {
        uint64_t rev = 0;
        created = kvStore_Create(&rev, meta, "config", (const void *)mine, (int)sizeof *mine);
        if ((s = kvStore_Get(&e, meta, "config")) != NATS_NOT_FOUND || mono_ms() >= until) break;
        nats_Sleep(100);
    }
    int rc = 0;
    if (s == NATS_NOT_FOUND && created != NATS_OK) {
        snprintf(err, errlen,
                 "store the cluster's engine configuration: %s (none there after %d ms)",
                 natsStatus_GetText(created), b->o.publish_timeout_ms);
        rc = -1;
    } else if (s != NATS_OK)
        rc = nerr(err, errlen, "read the cluster's engine configuration", s);
    else if (kvEntry_ValueLen(e) != (int)sizeof *out) {
        snprintf(err, errlen, "the cluster's engine configuration has %d bytes, this build %zu",
                 kvEntry_ValueLen(e), sizeof *out);
        rc = -1;
    } else {
        memcpy(out, kvEntry_Value(e), sizeof *out);
    }
    kvEntry_Destroy(e);
    kvStore_Destroy(meta);
    return rc;
}

/* ---- the core backend: recovery ---------------------------------------------- */

typedef struct replay_ctx {
    cets_engine *e;
    uint64_t applied, replayed;
    char *err;
    size_t errlen;
} replay_ctx;

static int replay_one(void *ctx, const cl_msg *m)
{
    replay_ctx *r = ctx;
    for (size_t i = 0; i < m->n; i++) {
        const cets_cmd *c = &m->cmds[i];
        uint64_t want = cets_last_seq(r->e) + 1;
        if (c->seq < want) continue; /* in the snapshot already */
        if (c->seq != want) {
            snprintf(r->err, r->errlen, "stream message %llu holds seq %llu, the engine needs %llu",
                     (unsigned long long)m->stream_seq, (unsigned long long)c->seq,
                     (unsigned long long)want);
            return -1;
        }
        cets_apply(r->e, c, NULL);
        r->replayed++;
    }
    r->applied = m->stream_seq;
    return 0;
}

static cets_engine *cb_recover(core_backend *cb, const cets_config *cfg, cets_listener fn,
                               void *ctx, cets_recovery *rep, char *err, size_t errlen)
{
    cl_backend *b = (cl_backend *)cb;
    cets_config def, agreed;
    if (!cfg) {
        cets_config_default(&def);
        cfg = &def;
    }
    memset(rep, 0, sizeof *rep);
    if (config_agree(b, cfg, &agreed, err, errlen) != 0) return NULL;
    cets_recovery local;
    cets_engine *e = cets_recover(b->dir, &agreed, fn, ctx, &local, err, errlen);
    if (!e) return NULL;
    if (memcmp(cets_engine_config(e), &agreed, sizeof agreed) != 0) {
        snprintf(err, errlen, "%s/engine.config differs from the cluster's configuration", b->dir);
        cets_engine_free(e);
        return NULL;
    }
    uint64_t first, last;
    if (cl_stream_bounds(b, &first, &last, err, errlen) != 0) {
        cets_engine_free(e);
        return NULL;
    }
    uint64_t have = cets_last_seq(e), start = first;
    if (last) {
        start = find_after(b, first, last, have);
        uint64_t l, f = 0;
        /* The first message we need is the first the stream still holds,
         * and it does not continue our state (a marker that ends after it,
         * or a batch that starts beyond it): the commands between were
         * purged. Bootstrap from the published snapshot. */
        if (start == first && first > 1 && start <= last && msg_last(b, start, &l, &f) == 0 &&
            (f == 0 || f > have + 1)) {
            uint64_t sseq = 0;
            char why[512] = "";
            cets_engine *boot = cl_snapshot_fetch(b, &sseq, why, sizeof why);
            if (!boot) {
                snprintf(err, errlen,
                         "the stream no longer holds the commands after seq %llu "
                         "and no usable snapshot was published%s%s",
                         (unsigned long long)have, why[0] ? ": " : "", why);
                cets_engine_free(e);
                return NULL;
            }
            cets_engine_free(e);
            e = boot;
            cets_engine_set_listener(e, fn, ctx);
            have = cets_last_seq(e);
            rep->snapshot_seq = have;
            start = find_after(b, sseq + 1, last, have);
            log_info("cluster", "msg=\"bootstrapped from the published snapshot\" seq=%llu",
                     (unsigned long long)have);
        }
    }
    if (!rep->snapshot_seq) rep->snapshot_seq = local.snapshot_seq;
    replay_ctx r = {e, start ? start - 1 : 0, 0, err, errlen};
    if (last && start <= last && cl_read(b, start, last, NULL, replay_one, &r, err, errlen) != 0) {
        cets_engine_free(e);
        return NULL;
    }
    cl_applied(b, last ? last : 0, cets_last_seq(e));
    rep->replayed = r.replayed;
    rep->last_seq = cets_last_seq(e);
    snprintf(rep->message, sizeof rep->message,
             "stream %s: %llu commands replayed from stream seq %llu to %llu; state at seq %llu",
             b->stream, (unsigned long long)r.replayed, (unsigned long long)start,
             (unsigned long long)last, (unsigned long long)rep->last_seq);
    return e;
}

/* ---- the core backend: the leader's journal --------------------------------------- */

typedef struct cl_journal {
    core_journal j;
    cl_backend *b;
    cl_batch cur;    /* being appended */
    cl_batch fly[2]; /* started, oldest first */
    int nfly;
    uint64_t gen;
    char err[512];
    bool failed;
    uint64_t commits, records, bytes;
    pthread_mutex_t mu; /* fly's answers (the ack handler's thread) */
    pthread_cond_t cv;
} cl_journal;

static int grow(cl_batch *t, size_t more)
{
    if (t->len + more <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 1 << 16;
    while (cap < t->len + more) cap *= 2;
    unsigned char *p = realloc(t->buf, cap);
    if (!p) return -1;
    t->buf = p;
    t->cap = cap;
    return 0;
}

static int grow_off(cl_batch *t)
{
    size_t cap = t->offcap ? 2 * t->offcap : 4096;
    size_t *p = realloc(t->off, cap * sizeof *p);
    if (!p) return -1;
    t->off = p;
    t->offcap = cap;
    return 0;
}

int cl_batch_add(cl_batch *t, const cets_cmd *c)
{
    if (t->count == 0) {
        t->len = 0;
        t->first = c->seq;
    }
    if (grow(t, 1 + CETS_CMD_CODE_ROOM) != 0 || (t->count == t->offcap && grow_off(t) != 0))
        return -1;
    t->off[t->count] = t->len;
    size_t n = cets_cmd_encode(t->buf + t->len + 1, c);
    t->buf[t->len] = (unsigned char)n;
    t->len += 1 + n;
    t->count++;
    t->last = c->seq;
    return 0;
}

static int cj_append(core_journal *cj, const cets_cmd *c)
{
    cl_journal *j = (cl_journal *)cj;
    cl_batch *t = &j->cur;
    if (j->failed) return -1;
    if (t->count && c->seq != t->last + 1) {
        snprintf(j->err, sizeof j->err, "append of seq %llu after %llu", (unsigned long long)c->seq,
                 (unsigned long long)t->last);
        return -1;
    }
    if (cl_batch_add(t, c) != 0) {
        snprintf(j->err, sizeof j->err, "out of memory");
        return -1;
    }
    return 0;
}

/* Publish one journal message, fenced on the last stream seq this node
 * holds, retrying a timeout with the same message id until the deadline. */
static int publish(cl_backend *b, const char *kind, const void *data, size_t len, uint64_t first,
                   uint64_t last, const char *msgid, uint64_t *stream_seq, bool *dup, char *err,
                   size_t errlen)
{
    int64_t deadline = mono_ms() + b->o.publish_timeout_ms;
    char v1[24], v2[24];
    snprintf(v1, sizeof v1, "%llu", (unsigned long long)last);
    snprintf(v2, sizeof v2, "%llu", (unsigned long long)first);
    pthread_mutex_lock(&b->mu);
    uint64_t expect = b->applied;
    pthread_mutex_unlock(&b->mu);
    for (int attempt = 0;; attempt++) {
        natsMsg *m = NULL;
        natsStatus s = natsMsg_Create(&m, b->subj, NULL, data, (int)len);
        if (s == NATS_OK) {
            natsMsgHeader_Set(m, "Cets-Kind", kind);
            natsMsgHeader_Set(m, "Cets-Node", b->node);
            natsMsgHeader_Set(m, "Cets-Last", v1);
            if (first) natsMsgHeader_Set(m, "Cets-First", v2);
        }
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = msgid;
        po.ExpectLastSeq = expect; /* 0: an empty stream, only the genesis */
        int64_t left = deadline - mono_ms();
        po.MaxWait = left < 2000 ? (left > 50 ? left : 50) : 2000;
        jsPubAck *pa = NULL;
        jsErrCode jerr = 0;
        if (s == NATS_OK) s = js_PublishMsg(&pa, b->js, m, &po, &jerr);
        natsMsg_Destroy(m);
        if (s == NATS_OK) {
            *stream_seq = pa->Sequence;
            if (dup) *dup = pa->Duplicate;
            jsPubAck_Destroy(pa);
            return 0;
        }
        if (jerr == CL_WRONG_LAST_SEQ) {
            pthread_mutex_lock(&b->mu);
            b->fenced++;
            pthread_mutex_unlock(&b->mu);
            snprintf(err, errlen,
                     "fenced: the journal stream moved past seq %llu (another node "
                     "appended); this node may not append",
                     (unsigned long long)expect);
            return -1;
        }
        if (mono_ms() >= deadline || jerr != 0 ||
            (s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS && s != NATS_CONNECTION_CLOSED &&
             s != NATS_CONNECTION_DISCONNECTED && s != NATS_IO_ERROR))
            return nerr(err, errlen, "publish to the journal stream", s);
        pthread_mutex_lock(&b->mu);
        b->publish_retries++;
        pthread_mutex_unlock(&b->mu);
        if (attempt == 0)
            log_warn("cluster", "msg=\"journal publish not acknowledged: retrying\" status=%s",
                     log_q(natsStatus_GetText(s)));
        usleep(100 * 1000);
    }
}

unsigned char *cl_batch_payload(const cl_batch *t, uint32_t from, uint32_t to, size_t *len)
{
    size_t a = t->off[from], z = to < t->count ? t->off[to] : t->len;
    size_t n = 16 + (z - a) + 8;
    unsigned char *p = malloc(n);
    if (!p) return NULL;
    uint32_t count = to - from, zero = 0;
    memcpy(p, CL_BATCH_MAGIC3, 8);
    memcpy(p + 8, &count, 4);
    memcpy(p + 12, &zero, 4);
    memcpy(p + 16, t->buf + a, z - a);
    uint64_t sum = XXH3_64bits(p, n - 8);
    memcpy(p + n - 8, &sum, 8);
    *len = n;
    return p;
}

static uint64_t part_seq(const cl_batch *t, uint32_t i)
{
    uint64_t seq;
    memcpy(&seq, t->buf + t->off[i] + 1, sizeof seq); /* a payload starts with the seq */
    return seq;
}

static void part_msgid(const cl_journal *j, const cl_batch *t, uint32_t from, char *out, size_t len)
{
    snprintf(out, len, "%s-%llu", j->b->node, (unsigned long long)part_seq(t, from));
}

/* The ack handler of pipelined publishes (a libnats thread). */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js, (void)pae;
    cl_backend *b = closure;
    const char *part = NULL;
    natsMsgHeader_Get(msg, "Cets-Part", &part);
    unsigned long long gen = 0;
    int i = -1;
    if (!part || sscanf(part, "%llu.%d", &gen, &i) != 2) i = -1;
    pthread_mutex_lock(&b->mu);
    cl_journal *j = b->j;
    if (j) { /* b->mu keeps j from being freed under us */
        pthread_mutex_lock(&j->mu);
        for (int k = 0; k < j->nfly; k++) {
            cl_batch *t = &j->fly[k];
            if (t->gen == gen && i >= 0 && i < t->nparts && !t->parts[i].answered) {
                t->parts[i].answered = true;
                t->parts[i].ok = pa != NULL;
                t->parts[i].seq = pa ? pa->Sequence : 0;
                t->answered++;
                pthread_cond_broadcast(&j->cv);
            }
        }
        pthread_mutex_unlock(&j->mu);
    }
    pthread_mutex_unlock(&b->mu);
    natsMsg_Destroy(msg);
}

/* Send every part of the batch at once, each fenced on the stream seq the
 * one before it will get. */
static void parts_send(cl_journal *j, cl_batch *t)
{
    cl_backend *b = j->b;
    char msgid[80], v1[24], v2[24], pi[40];
    for (int i = 0; i < t->nparts; i++) {
        cl_part *p = &t->parts[i];
        size_t len;
        unsigned char *pl = cl_batch_payload(t, p->from, p->to, &len);
        natsMsg *m = NULL;
        if (!pl || natsMsg_Create(&m, b->subj, NULL, (const char *)pl, (int)len) != NATS_OK) {
            free(pl);
            return; /* the rest go one at a time at the wait */
        }
        free(pl);
        snprintf(v1, sizeof v1, "%llu", (unsigned long long)part_seq(t, p->to - 1));
        snprintf(v2, sizeof v2, "%llu", (unsigned long long)part_seq(t, p->from));
        snprintf(pi, sizeof pi, "%llu.%d", (unsigned long long)t->gen, i);
        natsMsgHeader_Set(m, "Cets-Kind", "batch");
        natsMsgHeader_Set(m, "Cets-Node", b->node);
        natsMsgHeader_Set(m, "Cets-Last", v1);
        natsMsgHeader_Set(m, "Cets-First", v2);
        natsMsgHeader_Set(m, "Cets-Part", pi);
        part_msgid(j, t, p->from, msgid, sizeof msgid);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = msgid;
        po.ExpectLastSeq = t->base + (uint64_t)i;
        if (js_PublishMsgAsync(b->js_async, &m, &po) != NATS_OK) {
            natsMsg_Destroy(m);
            return;
        }
    }
}

/* Split the appended commands into parts of about CL_MSG_TARGET bytes, move
 * them in flight and send them. */
static int cj_commit_start(core_journal *cj, uint64_t *ticket)
{
    cl_journal *j = (cl_journal *)cj;
    *ticket = 0;
    if (j->failed) return -1;
    if (j->cur.count == 0) return 0;
    pthread_mutex_lock(&j->mu);
    if (j->nfly == 2) {
        pthread_mutex_unlock(&j->mu);
        snprintf(j->err, sizeof j->err, "a third commit started before the first was waited for");
        j->failed = true;
        return -1;
    }
    cl_batch *t = &j->fly[j->nfly], spare = *t;
    *t = j->cur;    /* the commands move in flight ... */
    j->cur = spare; /* ... and the slot's old buffers take new ones */
    j->cur.count = 0;
    t->gen = ++j->gen;
    t->nparts = t->answered = 0;
    if (j->nfly) {
        const cl_batch *before = &j->fly[j->nfly - 1];
        t->base = before->base + (uint64_t)before->nparts;
    } else {
        pthread_mutex_lock(&j->b->mu);
        t->base = j->b->applied;
        pthread_mutex_unlock(&j->b->mu);
    }
    for (uint32_t from = 0; from < t->count;) {
        uint32_t to = from + 1;
        while (to < t->count && t->off[to] - t->off[from] < CL_MSG_TARGET) to++;
        if (t->nparts == CL_MAX_PIPE - 1) to = t->count;
        t->parts[t->nparts++] = (cl_part){.from = from, .to = to};
        from = to;
    }
    j->nfly++;
    pthread_mutex_unlock(&j->mu);
    parts_send(j, t);
    *ticket = t->gen;
    return 0;
}

/* Wait for the oldest commit's answers; a part that was not acknowledged in
 * order is sent again, one at a time, by publish() (same message id:
 * de-duplicated if it was stored). */
static int cj_commit_wait(core_journal *cj, uint64_t ticket)
{
    cl_journal *j = (cl_journal *)cj;
    cl_backend *b = j->b;
    if (j->failed) return -1;
    if (ticket == 0) return 0;
    pthread_mutex_lock(&j->mu);
    cl_batch *t = &j->fly[0];
    if (!j->nfly || t->gen != ticket) {
        pthread_mutex_unlock(&j->mu);
        snprintf(j->err, sizeof j->err, "commits waited for out of order");
        j->failed = true;
        return -1;
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    int64_t ns = dl.tv_nsec + (int64_t)b->o.publish_timeout_ms * 1000000;
    dl.tv_sec += ns / 1000000000;
    dl.tv_nsec = ns % 1000000000;
    while (t->answered < t->nparts && pthread_cond_timedwait(&j->cv, &j->mu, &dl) == 0)
        ;
    pthread_mutex_unlock(&j->mu);
    char msgid[80];
    uint64_t base = t->base;
    for (int i = 0; i < t->nparts; i++) {
        cl_part *p = &t->parts[i];
        pthread_mutex_lock(&j->mu);
        bool ok = p->answered && p->ok && p->seq == base + (uint64_t)i + 1;
        pthread_mutex_unlock(&j->mu);
        if (!ok) { /* in order from here: the one-at-a-time path with its retries */
            size_t len;
            unsigned char *pl = cl_batch_payload(t, p->from, p->to, &len);
            uint64_t sseq = 0;
            part_msgid(j, t, p->from, msgid, sizeof msgid);
            int rc = pl ? publish(b, "batch", pl, len, part_seq(t, p->from), part_seq(t, p->to - 1),
                                  msgid, &sseq, NULL, j->err, sizeof j->err)
                        : -1;
            if (!pl) snprintf(j->err, sizeof j->err, "out of memory");
            free(pl);
            if (rc != 0) {
                j->failed = true; /* final, like the file journal's */
                return -1;
            }
            p->seq = sseq;
            base = sseq - (uint64_t)i - 1; /* the parts after continue from here */
        }
        cl_applied(b, p->seq, part_seq(t, p->to - 1));
    }
    j->commits++;
    j->records += t->count;
    j->bytes += t->len;
    pthread_mutex_lock(&j->mu);
    cl_batch done = j->fly[0];
    j->fly[0] = j->fly[1];
    j->fly[1] = done; /* keeps its buffers for a later commit */
    j->fly[1].count = 0;
    j->nfly--;
    pthread_mutex_unlock(&j->mu);
    return 0;
}

static int cj_commit(core_journal *cj)
{
    uint64_t ticket;
    int rc = cj_commit_start(cj, &ticket);
    return rc == 0 ? cj_commit_wait(cj, ticket) : rc;
}

static const char *cj_error(const core_journal *cj)
{
    return ((const cl_journal *)cj)->err;
}

static void cj_stats(const core_journal *cj, cets_journal_stats *out)
{
    const cl_journal *j = (const cl_journal *)cj;
    memset(out, 0, sizeof *out);
    out->records = j->records;
    out->commits = j->commits;
    out->bytes = j->bytes;
    out->last_seq = j->b->last_cmd;
}

static void cj_close(core_journal *cj)
{
    cl_journal *j = (cl_journal *)cj;
    pthread_mutex_lock(&j->b->mu);
    if (j->b->j == j) j->b->j = NULL;
    pthread_mutex_unlock(&j->b->mu);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j->cur.buf);
    free(j->cur.off);
    for (int i = 0; i < 2; i++) {
        free(j->fly[i].buf);
        free(j->fly[i].off);
    }
    free(j);
}

static const core_journal_ops cl_ops = {cj_append, cj_commit,       cj_error,      cj_stats,
                                        cj_close,  cj_commit_start, cj_commit_wait};

static core_journal *cb_open(core_backend *cb, uint64_t next_seq, char *err, size_t errlen)
{
    cl_backend *b = (cl_backend *)cb;
    uint64_t first, last;
    if (cl_stream_bounds(b, &first, &last, err, errlen) != 0) return NULL;
    pthread_mutex_lock(&b->mu);
    uint64_t applied = b->applied, last_cmd = b->last_cmd;
    pthread_mutex_unlock(&b->mu);
    if (last != applied || next_seq != last_cmd + 1) {
        snprintf(err, errlen,
                 "not caught up: the stream is at %llu, this node applied %llu "
                 "(next command %llu, engine at %llu)",
                 (unsigned long long)last, (unsigned long long)applied,
                 (unsigned long long)next_seq, (unsigned long long)last_cmd);
        return NULL;
    }
    char msgid[80];
    bool dup = false;
    uint64_t sseq = 0;
    if (applied == 0)
        snprintf(msgid, sizeof msgid, "genesis");
    else
        snprintf(msgid, sizeof msgid, "%s-marker-%llu", b->node, (unsigned long long)applied);
    if (publish(b, applied ? "marker" : "genesis", "", 0, 0, last_cmd, msgid, &sseq, &dup, err,
                errlen) != 0)
        return NULL;
    if (dup) {
        snprintf(err, errlen, "not caught up: another node appended the stream's first message");
        return NULL;
    }
    cl_applied(b, sseq, last_cmd);
    cl_journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->j.ops = &cl_ops;
    j->b = b;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_mutex_lock(&b->mu);
    b->j = j;
    pthread_mutex_unlock(&b->mu);
    log_info("cluster",
             "msg=\"fenced the stream: this node appends from here\" node=%s "
             "stream_seq=%llu next_seq=%llu",
             b->node, (unsigned long long)sseq, (unsigned long long)next_seq);
    return &j->j;
}

static void cb_free(core_backend *cb)
{
    cl_backend *b = (cl_backend *)cb;
    if (b->kv) kvStore_Destroy(b->kv);
    if (b->js) jsCtx_Destroy(b->js);
    if (b->js_async) jsCtx_Destroy(b->js_async);
    if (b->nc) {
        natsConnection_Close(b->nc);
        natsConnection_Destroy(b->nc);
    }
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static bool id_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n < 1 || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

core_backend *cluster_backend_new(const cluster_options *o, char *err, size_t errlen)
{
    if (!o || !o->nats_url || !o->node_id || !id_ok(o->node_id, 32) || !o->stream ||
        !id_ok(o->stream, 32) || !o->data_dir || o->replicas < 1 || o->replicas > 5 ||
        o->lease_ttl_ms < 500 || o->publish_timeout_ms < 100) {
        snprintf(err, errlen,
                 "cluster options: node id and stream must be 1-32 of "
                 "[A-Za-z0-9_-], replicas 1-5, lease at least 500 ms");
        return NULL;
    }
    cl_backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    b->o = *o;
    snprintf(b->url, sizeof b->url, "%s", o->nats_url);
    snprintf(b->node, sizeof b->node, "%s", o->node_id);
    snprintf(b->advertise, sizeof b->advertise, "%s", o->advertise ? o->advertise : "");
    snprintf(b->dir, sizeof b->dir, "%s", o->data_dir);
    snprintf(b->stream, sizeof b->stream, "%s", o->stream);
    snprintf(b->snap_stream, sizeof b->snap_stream, "%s_SNAP", o->stream);
    snprintf(b->bucket, sizeof b->bucket, "%s_LEASE", o->stream);
    snprintf(b->subj, sizeof b->subj, "%s.j", o->stream);
    b->o.nats_url = b->url;
    b->o.node_id = b->node;
    b->o.advertise = b->advertise;
    b->o.data_dir = b->dir;
    b->o.stream = b->stream;
    b->b = (core_backend){.name = "nats", .recover = cb_recover, .open = cb_open, .free = cb_free};

    /* "nats://a:4222,nats://b:4222": every server, so any one can be down */
    char urls[sizeof b->url];
    const char *servers[16];
    int nservers = 0;
    snprintf(urls, sizeof urls, "%s", b->url);
    for (char *save = NULL, *t = strtok_r(urls, ", ", &save); t && nservers < 16;
         t = strtok_r(NULL, ", ", &save))
        servers[nservers++] = t;
    natsOptions *no = NULL;
    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK)
        s = nservers ? natsOptions_SetServers(no, servers, nservers) : NATS_INVALID_ARG;
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(no, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(no, 250);
    if (s == NATS_OK) s = natsOptions_SetTimeout(no, 2000);
    if (s == NATS_OK) s = natsOptions_SetName(no, b->node);
    if (s == NATS_OK) s = natsConnection_Connect(&b->nc, no);
    natsOptions_Destroy(no);
    if (s != NATS_OK) {
        nerr(err, errlen, "connect to NATS", s);
        cb_free(&b->b);
        return NULL;
    }
    char snap_subj[80];
    snprintf(snap_subj, sizeof snap_subj, "%s.s.>", b->stream);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = b;
    jo.PublishAsync.MaxPending = CL_MAX_PIPE;
    if ((s = natsConnection_JetStream(&b->js, b->nc, NULL)) != NATS_OK ||
        (s = natsConnection_JetStream(&b->js_async, b->nc, &jo)) != NATS_OK) {
        nerr(err, errlen, "JetStream", s);
        cb_free(&b->b);
        return NULL;
    }
    if (stream_ensure(b, b->stream, b->subj, err, errlen) != 0 ||
        stream_ensure(b, b->snap_stream, snap_subj, err, errlen) != 0 ||
        bucket_ensure(b, &b->kv, b->bucket, o->lease_ttl_ms, err, errlen) != 0) {
        cb_free(&b->b);
        return NULL;
    }
    return &b->b;
}
