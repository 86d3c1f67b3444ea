/* store.c -- see store.h.
 *
 * Appends go to memory first and reach the files in one write() per file
 * per flush: the gateway flushes once per turn of its event loop, so a burst
 * of execution reports costs two system calls, not two per report. Reads
 * for a resend flush first, then pread the index record and the message.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { F_MSGS, F_IDX, F_STATE, F_ORDERS, F_COUNT };
static const char *const suffix[F_COUNT] = {"msgs", "idx", "state", "orders"};

#define STATE_LEN 64

typedef struct idx_rec {
    uint64_t off;
    uint32_t len;
    uint32_t seq;
} idx_rec;

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

struct fix_store {
    int fd[F_COUNT];
    buf pend[F_COUNT];   /* F_MSGS, F_IDX, F_ORDERS: bytes not yet written */
    bool dirty[F_COUNT]; /* written since the last sync */
    bool state_pending;  /* .state must be rewritten */
    uint64_t next_out, next_in;
    uint32_t participant;
    uint64_t msgs_end; /* size of .msgs including what is buffered */
    char err[160];
};

static int buf_add(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void state_parse(fix_store *s)
{
    char b[STATE_LEN + 1] = "";
    ssize_t n = pread(s->fd[F_STATE], b, STATE_LEN, 0);
    unsigned long long in = 1;
    unsigned part = 0;
    if (n > 0) {
        b[n] = 0;
        if (sscanf(b, "next_in=%llu participant=%u", &in, &part) < 1) in = 1;
    }
    s->next_in = in ? in : 1;
    s->participant = part;
}

/* Cut a torn tail: whole index records only, each pointing inside .msgs and
 * numbered in order; .msgs ends where the last record ends. */
static int log_recover(fix_store *s)
{
    struct stat st;
    if (fstat(s->fd[F_IDX], &st) != 0) return -1;
    uint64_t n = (uint64_t)st.st_size / sizeof(idx_rec);
    if (fstat(s->fd[F_MSGS], &st) != 0) return -1;
    uint64_t msize = (uint64_t)st.st_size, end = 0;
    while (n > 0) {
        idx_rec r;
        if (pread(s->fd[F_IDX], &r, sizeof r, (off_t)((n - 1) * sizeof r)) != (ssize_t)sizeof r)
            return -1;
        if (r.seq == (uint32_t)n && r.off + r.len <= msize) {
            end = r.off + r.len;
            break;
        }
        n--;
    }
    if (ftruncate(s->fd[F_IDX], (off_t)(n * sizeof(idx_rec))) != 0 ||
        ftruncate(s->fd[F_MSGS], (off_t)end) != 0)
        return -1;
    s->next_out = n + 1;
    s->msgs_end = end;
    return 0;
}

fix_store *fix_store_open(const char *dir, const char *comp_id, char *err, size_t errlen)
{
    fix_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < F_COUNT; i++) s->fd[i] = -1;
    mkdir(dir, 0700);
    for (int i = 0; i < F_COUNT; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s.%s", dir, comp_id, suffix[i]);
        int flags = O_RDWR | O_CREAT | O_CLOEXEC | (i == F_STATE ? 0 : O_APPEND);
        s->fd[i] = open(path, flags, 0600);
        if (s->fd[i] < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            fix_store_close(s);
            return NULL;
        }
    }
    state_parse(s);
    if (log_recover(s) != 0) {
        snprintf(err, errlen, "%s/%s.idx: %s", dir, comp_id, strerror(errno));
        fix_store_close(s);
        return NULL;
    }
    return s;
}

void fix_store_close(fix_store *s)
{
    if (!s) return;
    if (s->fd[F_MSGS] >= 0) fix_store_sync(s);
    for (int i = 0; i < F_COUNT; i++) {
        if (s->fd[i] >= 0) close(s->fd[i]);
        free(s->pend[i].p);
    }
    free(s);
}

uint64_t fix_store_next_out(const fix_store *s)
{
    return s->next_out;
}
uint64_t fix_store_next_in(const fix_store *s)
{
    return s->next_in;
}
uint32_t fix_store_participant(const fix_store *s)
{
    return s->participant;
}
const char *fix_store_error(const fix_store *s)
{
    return s->err;
}

void fix_store_set_next_in(fix_store *s, uint64_t seq)
{
    if (seq != s->next_in) {
        s->next_in = seq;
        s->state_pending = true;
    }
}

void fix_store_set_participant(fix_store *s, uint32_t participant)
{
    if (participant != s->participant) {
        s->participant = participant;
        s->state_pending = true;
    }
}

int fix_store_append(fix_store *s, const char *msg, size_t len)
{
    idx_rec r = {.off = s->msgs_end, .len = (uint32_t)len, .seq = (uint32_t)s->next_out};
    size_t mlen = s->pend[F_MSGS].len;
    if (buf_add(&s->pend[F_MSGS], msg, len) != 0) return -1;
    if (buf_add(&s->pend[F_IDX], &r, sizeof r) != 0) {
        s->pend[F_MSGS].len = mlen;
        return -1;
    }
    s->msgs_end += len;
    s->next_out++;
    return 0;
}

int fix_store_get(fix_store *s, uint64_t seq, char *out, size_t cap, size_t *len)
{
    if (seq < 1 || seq >= s->next_out) return -1;
    if ((s->pend[F_MSGS].len || s->pend[F_IDX].len) && fix_store_flush(s) != 0) return -1;
    idx_rec r;
    if (pread(s->fd[F_IDX], &r, sizeof r, (off_t)((seq - 1) * sizeof r)) != (ssize_t)sizeof r ||
        r.seq != (uint32_t)seq || r.len > cap)
        return -1;
    if (pread(s->fd[F_MSGS], out, r.len, (off_t)r.off) != (ssize_t)r.len) return -1;
    *len = r.len;
    return 0;
}

void fix_store_order_note(fix_store *s, char op, uint64_t order_id, const char *clordid)
{
    char line[128];
    int n = snprintf(line, sizeof line, "%c %llu %s\n", op, (unsigned long long)order_id,
                     clordid ? clordid : "-");
    if (n > 0 && (size_t)n < sizeof line) buf_add(&s->pend[F_ORDERS], line, (size_t)n);
}

void fix_store_orders_load(fix_store *s,
                           void (*fn)(void *ctx, char op, uint64_t order_id, const char *clordid),
                           void *ctx)
{
    fix_store_flush(s);
    int fd = dup(s->fd[F_ORDERS]);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return;
    }
    rewind(f);
    char line[256], op, id[128];
    unsigned long long oid;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%c %llu %127s", &op, &oid, id) == 3) fn(ctx, op, oid, id);
    fclose(f);
}

int fix_store_orders_clear(fix_store *s)
{
    s->pend[F_ORDERS].len = 0;
    s->dirty[F_ORDERS] = true;
    return ftruncate(s->fd[F_ORDERS], 0);
}

int fix_store_reset(fix_store *s)
{
    s->pend[F_MSGS].len = s->pend[F_IDX].len = 0;
    if (ftruncate(s->fd[F_MSGS], 0) != 0 || ftruncate(s->fd[F_IDX], 0) != 0) {
        snprintf(s->err, sizeof s->err, "reset: %s", strerror(errno));
        return -1;
    }
    s->dirty[F_MSGS] = s->dirty[F_IDX] = true;
    s->msgs_end = 0;
    s->next_out = 1;
    s->next_in = 1;
    s->state_pending = true;
    return 0;
}

int fix_store_flush(fix_store *s)
{
    static const int order[] = {F_MSGS, F_IDX, F_ORDERS}; /* the log before its index */
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        int i = order[k];
        if (!s->pend[i].len) continue;
        if (write_all(s->fd[i], s->pend[i].p, s->pend[i].len) != 0) {
            snprintf(s->err, sizeof s->err, "write %s: %s", suffix[i], strerror(errno));
            return -1;
        }
        s->pend[i].len = 0;
        s->dirty[i] = true;
    }
    if (s->state_pending) {
        char b[STATE_LEN];
        memset(b, ' ', sizeof b);
        int n = snprintf(b, sizeof b, "next_in=%020llu participant=%010u",
                         (unsigned long long)s->next_in, s->participant);
        b[n] = ' ';
        b[STATE_LEN - 1] = '\n';
        if (pwrite(s->fd[F_STATE], b, sizeof b, 0) != (ssize_t)sizeof b) {
            snprintf(s->err, sizeof s->err, "write state: %s", strerror(errno));
            return -1;
        }
        s->state_pending = false;
        s->dirty[F_STATE] = true;
    }
    return 0;
}

int fix_store_sync(fix_store *s)
{
    if (fix_store_flush(s) != 0) return -1;
    for (int i = 0; i < F_COUNT; i++) {
        if (!s->dirty[i]) continue;
        if (fdatasync(s->fd[i]) != 0) {
            snprintf(s->err, sizeof s->err, "fdatasync %s: %s", suffix[i], strerror(errno));
            return -1;
        }
        s->dirty[i] = false;
    }
    return 0;
}

bool fix_store_unsynced(const fix_store *s)
{
    for (int i = 0; i < F_COUNT; i++)
        if (s->dirty[i] || s->pend[i].len) return true;
    return s->state_pending;
}
