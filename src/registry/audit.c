/* audit.c -- the hash-chained audit log: one line per movement of allowances
 * or money (registry movements, block steps, auction steps, trades), each
 * line carrying the hash of the one before, so that changing, removing or
 * inserting a line anywhere breaks the chain from there on
 * (audit_verify.c finds where).
 *
 * The log is a projection of the journal, not a second source of truth: the
 * lines are made from the engine's events, which the journal reproduces on
 * replay, and every field comes from the event (the command's seq and ts,
 * never the clock), so cets_audit_rebuild() writes the same file again, byte
 * for byte. That decides the durability policy too: lines are buffered while
 * commands are applied, and whoever commits the journal calls
 * cets_audit_commit() after each journal commit. A crash may leave the log
 * behind the journal, never ahead of it; rebuild closes any gap.
 *
 * A chain of plain hashes shows tampering to anyone who kept an earlier head
 * hash (cets_audit_head, e.g. printed in the daily report): whoever rewrites
 * the file must recompute every later hash and cannot match the head
 * published before.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit_int.h"
#include "cets/journal.h"

const char audit_zero_hash[CETS_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct cets_audit {
    int fd;
    char *buf; /* lines not yet written */
    size_t n, cap;
    char prev[CETS_AUDIT_HASH_HEX + 1];
    uint64_t last_seq;
    /* what the file already holds: every line of the commands up to skip_upto,
     * and the first skip_lines lines of command skip_seq (skip_upto + 1),
     * which a crash may have cut in the middle */
    uint64_t skip_upto, skip_seq, skip_lines, skipped;
    cets_cmd cmd; /* the command whose events come (cets_audit_command) */
    bool has_cmd;
    bool failed;
    char err[320];
};

void audit_hash_hex(const char *s, size_t n, char *hex)
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)s, n, NULL, 0);
    sodium_bin2hex(hex, CETS_AUDIT_HASH_HEX + 1, h, sizeof h);
}

static int audit_fail(cets_audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int audit_fail(cets_audit *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->err, sizeof a->err, fmt, ap);
    va_end(ap);
    a->failed = true;
    return -1;
}

/* ---- one line ------------------------------------------------------------- */

typedef struct audit_rec {
    const char *kind;
    uint32_t participant, counterparty;
    int64_t instrument; /* -1: none */
    int64_t qty, price, value, year;
    uint64_t ref;
    char detail[400]; /* already escaped */
} audit_rec;

/* Free text in the detail field: '%', '|', ';', '=' and control bytes are
 * percent-encoded, so a line always splits into the same fields. */
static void detail_text(char *out, size_t cap, const char *key, const char *s, size_t n)
{
    size_t o = strlen(out);
    o += (size_t)snprintf(out + o, cap - o, "%s%s=", o ? ";" : "", key);
    for (size_t i = 0; i < n && s[i] && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == '%' || ch == '|' || ch == ';' || ch == '=')
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", ch);
        else
            out[o++] = (char)ch;
    }
    out[o] = 0;
}

static void detail_add(audit_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail_add(audit_rec *r, const char *fmt, ...)
{
    size_t o = strlen(r->detail);
    if (o) r->detail[o++] = ';';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail + o, sizeof r->detail - o, fmt, ap);
    va_end(ap);
}

/* Append the line of r (seq, ts from the event) to the buffer. */
static void audit_append(cets_audit *a, const cets_event *ev, const audit_rec *r)
{
    if (ev->seq == a->skip_seq && a->skipped < a->skip_lines) {
        a->skipped++; /* written before the restart */
        return;
    }
    char line[AUDIT_LINE_MAX], inst[24] = "";
    if (r->instrument >= 0) snprintf(inst, sizeof inst, "%" PRId64, r->instrument);
    int n = snprintf(line, sizeof line,
                     "%" PRIu64 "|%" PRId64 "|%s|%u|%u|%s|%" PRId64 "|%" PRId64 "|%" PRId64
                     "|%" PRId64 "|%" PRIu64 "|%s|%s",
                     ev->seq, ev->ts, r->kind, r->participant, r->counterparty, inst, r->qty,
                     r->price, r->value, r->year, r->ref, r->detail, a->prev);
    if (n < 0 || (size_t)n + CETS_AUDIT_HASH_HEX + 2 >= sizeof line) {
        audit_fail(a, "audit line too long (seq %" PRIu64 ")", ev->seq);
        return;
    }
    audit_hash_hex(line, (size_t)n, a->prev);
    n += snprintf(line + n, sizeof line - (size_t)n, "|%s\n", a->prev);
    if (a->n + (size_t)n > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1 << 16;
        while (cap < a->n + (size_t)n) cap *= 2;
        char *p = realloc(a->buf, cap);
        if (!p) {
            audit_fail(a, "out of memory for audit lines");
            return;
        }
        a->buf = p;
        a->cap = cap;
    }
    memcpy(a->buf + a->n, line, (size_t)n);
    a->n += (size_t)n;
    a->last_seq = ev->seq;
}

/* ---- events to records ----------------------------------------------------- */

static const char *reg_kind(int k)
{
    static const char *const names[] = {
        "?",      "allocate",         "emissions",        "surrender",
        "retire", "transfer_request", "transfer_approve", "transfer_reject",
        "freeze", "unfreeze",         "deadline"};
    return k >= 1 && k <= CETS_REG_DEADLINE ? names[k] : "registry";
}

static void rec_registry(const cets_registry_move *m, audit_rec *r)
{
    bool has_inst = m->kind != CETS_REG_EMISSIONS && m->kind != CETS_REG_FREEZE &&
                    m->kind != CETS_REG_UNFREEZE && m->kind != CETS_REG_DEADLINE;
    *r = (audit_rec){.kind = reg_kind(m->kind),
                     .participant = m->participant,
                     .counterparty = m->counterparty,
                     .instrument = has_inst ? (int64_t)m->instrument : -1,
                     .qty = m->qty,
                     .year = m->year,
                     .ref = m->ref};
    switch (m->kind) {
    case CETS_REG_ALLOCATE:
        detail_add(r, "phase=%s;deducted=%" PRId64 ";output=%" PRId64 ";benchmark=%" PRId64,
                   m->compulsory ? "trueup" : "pre", m->deducted, m->output, m->benchmark);
        break;
    case CETS_REG_SURRENDER:
        detail_add(r, "compulsory=%u;obligation=%" PRId64, m->compulsory, m->obligation);
        break;
    case CETS_REG_RETIRE:
        detail_text(r->detail, sizeof r->detail, "text", m->text, sizeof m->text);
        break;
    case CETS_REG_DEADLINE:
        r->value = m->penalty;
        detail_add(r, "obligation=%" PRId64 ";shortfall=%" PRId64 ";penalty=%" PRId64,
                   m->obligation, m->shortfall, m->penalty);
        break;
    }
}

static const char *method_name(int m)
{
    return m == CETS_METHOD_LISTING ? "listing" : m == CETS_METHOD_BLOCK ? "block" : "auction";
}

static void rec_trade(const cets_trade *t, audit_rec *r)
{
    *r = (audit_rec){.kind = "trade",
                     .participant = t->buyer,
                     .counterparty = t->seller,
                     .instrument = t->instrument,
                     .qty = t->qty,
                     .price = t->price,
                     .value = t->value,
                     .ref = t->trade_id};
    detail_add(r,
               "method=%s;buy_order=%" PRIu64 ";sell_order=%" PRIu64 ";buyer_fee=%" PRId64
               ";seller_fee=%" PRId64,
               method_name(t->method), t->buy_order, t->sell_order, t->buyer_fee, t->seller_fee);
}

static void rec_block(const cets_block_info *b, audit_rec *r)
{
    static const char *const names[] = {"block",          "block_open",      "block_accepted",
                                        "block_declined", "block_withdrawn", "block_countered",
                                        "block_lapsed",   "block_closed"};
    const char *kind = b->status <= CETS_BLOCK_CLOSED ? names[b->status] : "block";
    if (b->status == CETS_BLOCK_OPEN) kind = b->is_quote ? "block_quote" : "block_proposal";
    *r = (audit_rec){.kind = kind,
                     .participant = b->owner,
                     .counterparty = b->counterparty,
                     .instrument = b->instrument,
                     .qty = b->qty,
                     .price = b->price,
                     .value = b->price * b->qty,
                     .ref = b->id};
    detail_add(r, "side=%s;answers=%" PRIu64 ";reserved=%" PRId64 ";trade=%" PRIu64,
               b->side == CETS_BUY ? "buy" : "sell", b->answers, b->reserved, b->trade_id);
}

static void rec_auction(const cets_auction_info *au, const cets_bid_info *bid, audit_rec *r)
{
    static const char *const names[] = {"auction", "auction_create", "auction_close",
                                        "auction_cancel", "auction_failed"};
    if (bid->id) {
        *r = (audit_rec){.kind = "auction_bid",
                         .participant = bid->participant,
                         .counterparty = au->initiator,
                         .instrument = au->instrument,
                         .qty = bid->qty,
                         .price = bid->price,
                         .value = bid->price * bid->qty,
                         .ref = au->id};
        detail_add(r, "bid=%" PRIu64 ";reserved=%" PRId64, bid->id, bid->reserved);
        return;
    }
    *r = (audit_rec){.kind = au->status <= CETS_AUCTION_FAILED ? names[au->status] : "auction",
                     .participant = au->initiator,
                     .instrument = au->instrument,
                     .qty = au->status == CETS_AUCTION_OPEN ? au->lot : au->filled,
                     .price = au->clearing_price,
                     .value = au->value,
                     .ref = au->id};
    detail_add(r,
               "side=%s;mode=%s;lot=%" PRId64 ";reserve=%" PRId64 ";bid_limit=%" PRId64
               ";start=%" PRId64 ";end=%" PRId64 ";min_fill_bp=%" PRId64 ";bids=%u;winners=%u",
               au->side == CETS_BUY ? "buy" : "sell", au->mode ? "pay_as_bid" : "uniform", au->lot,
               au->reserve_price, au->bid_limit, au->start, au->end, au->min_fill_bp, au->nbids,
               au->nwinners);
}

/* An operator command that took effect (deposits, withdrawals, issuance,
 * instruments, participants, halts, the calendar, the end of day, users):
 * money in value, tonnes in qty, the new id in ref, the command's free text
 * (a code, a name, a bank reference, a user name) in detail. */
static void rec_admin(const cets_audit *a, const cets_event *ev, audit_rec *r)
{
    int type = ev->u.admin.cmd_type;
    bool money = type == CETS_CMD_DEPOSIT || type == CETS_CMD_WITHDRAW;
    bool has_inst = type == CETS_CMD_INSTRUMENT_ADD || type == CETS_CMD_INSTRUMENT_HALT ||
                    type == CETS_CMD_INSTRUMENT_MODE || type == CETS_CMD_HOLDING_CREDIT;
    bool is_user = type == CETS_CMD_USER_SET;
    *r = (audit_rec){.kind = cets_cmd_name(type),
                     .participant = ev->u.admin.participant,
                     .counterparty = is_user && a->has_cmd ? a->cmd.counterparty : 0,
                     .instrument = !has_inst ? -1
                                   : type == CETS_CMD_INSTRUMENT_ADD
                                       ? (int64_t)ev->u.admin.id
                                       : (int64_t)ev->u.admin.instrument,
                     .qty = money ? 0 : ev->u.admin.qty,
                     .value = money ? ev->u.admin.qty : 0,
                     .ref = ev->u.admin.id};
    if (type == CETS_CMD_PARTICIPANT_ADD) r->participant = ev->u.admin.id;
    detail_add(r, "actor=%u;aux=%" PRId64, a->has_cmd ? a->cmd.actor : 0, ev->u.admin.aux);
    bool has_text = type == CETS_CMD_INSTRUMENT_ADD || type == CETS_CMD_PARTICIPANT_ADD ||
                    type == CETS_CMD_DEPOSIT || is_user;
    if (has_text && a->has_cmd && a->cmd.u.text[0])
        detail_text(r->detail, sizeof r->detail, "text", a->cmd.u.text, sizeof a->cmd.u.text);
}

void cets_audit_command(cets_audit *a, const cets_cmd *cmd)
{
    a->cmd = *cmd;
    a->has_cmd = true;
}

void cets_audit_event(cets_audit *a, const cets_event *ev)
{
    if (a->failed || ev->seq <= a->skip_upto) return;
    audit_rec r;
    switch (ev->type) {
    case CETS_EV_ADMIN: rec_admin(a, ev, &r); break;
    case CETS_EV_REGISTRY: rec_registry(&ev->u.reg, &r); break;
    case CETS_EV_TRADE: rec_trade(&ev->u.trade, &r); break;
    case CETS_EV_BLOCK: rec_block(&ev->u.block, &r); break;
    case CETS_EV_AUCTION: rec_auction(&ev->u.auction.auction, &ev->u.auction.bid, &r); break;
    default: return;
    }
    /* the acting user first, on every line: the command's, else (a listener
     * without commands) what a registry movement carries */
    char detail[sizeof r.detail + 16];
    uint32_t user = a->has_cmd && a->cmd.seq == ev->seq ? a->cmd.user
                    : ev->type == CETS_EV_REGISTRY      ? ev->u.reg.user
                                                        : 0;
    snprintf(detail, sizeof detail, "user=%u%s%s", user, r.detail[0] ? ";" : "", r.detail);
    size_t dn = strlen(detail) < sizeof r.detail ? strlen(detail) : sizeof r.detail - 1;
    memcpy(r.detail, detail, dn);
    r.detail[dn] = 0;
    audit_append(a, ev, &r);
}

void cets_audit_listener(void *ctx, const cets_event *ev)
{
    cets_audit_event(ctx, ev);
}

/* ---- the file ---------------------------------------------------------------- */

int cets_audit_commit(cets_audit *a, bool sync)
{
    if (a->failed) return -1;
    for (size_t off = 0; off < a->n;) {
        ssize_t w = write(a->fd, a->buf + off, a->n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return audit_fail(a, "audit write: %s", w < 0 ? strerror(errno) : "wrote nothing");
        off += (size_t)w;
    }
    a->n = 0;
    if (sync && fdatasync(a->fd) != 0) return audit_fail(a, "audit fdatasync: %s", strerror(errno));
    return 0;
}

const char *cets_audit_error(const cets_audit *a)
{
    return a->err;
}

void cets_audit_discard(cets_audit *a)
{
    a->n = 0;
    a->failed = true; /* the head counts the dropped lines: only a reopen may go on */
}
uint64_t cets_audit_last_seq(const cets_audit *a)
{
    return a->last_seq;
}
uint64_t cets_audit_resume_at(const cets_audit *a)
{
    return a->skip_seq ? a->skip_seq - 1 : 0;
}
const char *cets_audit_head(const cets_audit *a)
{
    return a->prev;
}

int cets_audit_close(cets_audit *a)
{
    if (!a) return 0;
    int rc = cets_audit_commit(a, true);
    if (a->fd >= 0 && close(a->fd) != 0) rc = -1;
    free(a->buf);
    free(a);
    return rc;
}

/* How many lines at the end of the first `size` bytes (whole lines) carry the
 * last line's seq (a->last_seq). Reads a growing tail until a line with
 * another seq shows, or the whole file. -1 on a read or memory error. */
static int64_t audit_count_last(cets_audit *a, off_t size)
{
    for (off_t want = 65536;; want *= 2) {
        off_t from = size > want ? size - want : 0;
        size_t len = (size_t)(size - from);
        char *buf = malloc(len + 1);
        if (!buf || pread(a->fd, buf, len, from) != (ssize_t)len) {
            free(buf);
            return -1;
        }
        int64_t n = 0;
        bool other = false;
        size_t end = len; /* buf[..end) ends with a newline */
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && buf[start - 1] != '\n') start--;
            if (start == 0 && from > 0) break; /* this line may begin before the tail: read more */
            if (strtoull(buf + start, NULL, 10) != a->last_seq) {
                other = true;
                break;
            }
            n++;
            end = start;
        }
        free(buf);
        if (other || from == 0 || end == 0) return n;
    }
}

/* Where the existing chain ends: cut a torn last line, then take the last
 * line's seq and hash. */
static int audit_resume(cets_audit *a, const char *path)
{
    struct stat st;
    if (fstat(a->fd, &st) != 0) return audit_fail(a, "%s: %s", path, strerror(errno));
    char tail[AUDIT_LINE_MAX * 2 + 1];
    off_t from = st.st_size > (off_t)sizeof tail - 1 ? st.st_size - (off_t)sizeof tail + 1 : 0;
    ssize_t got = st.st_size ? pread(a->fd, tail, (size_t)(st.st_size - from), from) : 0;
    if (got < 0 || got != st.st_size - from) return audit_fail(a, "%s: cannot read its end", path);
    tail[got] = 0;
    char *nl = memrchr(tail, '\n', (size_t)got);
    off_t keep = nl ? from + (nl - tail) + 1 : 0;
    if (keep != st.st_size && (ftruncate(a->fd, keep) != 0 || fdatasync(a->fd) != 0))
        return audit_fail(a, "%s: cannot cut the torn last line: %s", path, strerror(errno));
    if (!keep) return 0;
    *nl = 0;
    char *line = memrchr(tail, '\n', (size_t)(nl - tail));
    line = line ? line + 1 : tail;
    char *bar = strrchr(line, '|');
    if (!bar || strlen(bar + 1) != CETS_AUDIT_HASH_HEX ||
        sscanf(line, "%" SCNu64, &a->last_seq) != 1)
        return audit_fail(a, "%s: the last line is malformed; verify the file and rebuild it",
                          path);
    memcpy(a->prev, bar + 1, CETS_AUDIT_HASH_HEX + 1);
    /* the last command's lines may be cut short by a crash: count them, so that
     * replaying it writes only the rest */
    int64_t n = audit_count_last(a, keep);
    if (n < 0) return audit_fail(a, "%s: cannot read it back: %s", path, strerror(errno));
    a->skip_upto = a->last_seq - 1;
    a->skip_seq = a->last_seq;
    a->skip_lines = (uint64_t)n;
    return 0;
}

static cets_audit *audit_new(int fd)
{
    if (sodium_init() < 0) return NULL;
    cets_audit *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->fd = fd;
    memcpy(a->prev, audit_zero_hash, sizeof a->prev);
    return a;
}

cets_audit *cets_audit_open(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, CETS_AUDIT_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cets_audit *a = fd >= 0 ? audit_new(fd) : NULL;
    if (!a) {
        snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno) : "out of memory");
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (audit_resume(a, path) != 0) {
        snprintf(err, errlen, "%s", a->err);
        close(fd);
        free(a->buf);
        free(a);
        return NULL;
    }
    return a;
}

/* ---- rebuild ------------------------------------------------------------------ */

typedef struct rebuild {
    cets_engine *e;
    cets_audit *a;
    uint64_t applied;
} rebuild;

static int rebuild_apply(void *ctx, const cets_cmd *cmd)
{
    rebuild *rb = ctx;
    cets_audit_command(rb->a, cmd);
    cets_apply(rb->e, cmd, NULL); /* rejections replay as rejections: nothing to write */
    if (++rb->applied % 4096 == 0 && cets_audit_commit(rb->a, false) != 0) return 1;
    return 0;
}

/* Replay into tmp; 0 or -1 with err. */
static int rebuild_into(const char *dir, int fd, const char *tmp, char *err, size_t errlen)
{
    cets_config cfg;
    int rc = cets_data_config(dir, &cfg, err, errlen);
    if (rc <= 0)
        return rc == 0
                   ? (snprintf(err, errlen, "%s: no engine.config: not a data directory", dir), -1)
                   : -1;
    cets_engine *e = cets_engine_new(&cfg);
    cets_audit *a = e ? audit_new(fd) : NULL;
    if (!a) {
        cets_engine_free(e);
        snprintf(err, errlen, "%s: cannot start a replay", dir);
        return -1;
    }
    cets_engine_set_listener(e, cets_audit_listener, a);
    rebuild rb = {e, a, 0};
    char scan_err[512] = "";
    long n = cets_journal_scan(dir, 1, rebuild_apply, &rb, scan_err, sizeof scan_err);
    rc = n < 0 ? -1 : cets_audit_commit(a, true);
    if (n < 0)
        snprintf(err, errlen, "%s", scan_err);
    else if (rc != 0)
        snprintf(err, errlen, "%s: %s", tmp, a->err);
    cets_engine_free(e);
    free(a->buf);
    free(a);
    return rc;
}

int cets_audit_rebuild(const char *dir, char *err, size_t errlen)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.rebuild.tmp", dir, CETS_AUDIT_FILE);
    snprintf(path, sizeof path, "%s/%s", dir, CETS_AUDIT_FILE);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = rebuild_into(dir, fd, tmp, err, errlen);
    if (close(fd) != 0 && rc == 0) rc = -1, snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1, snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
    if (rc != 0) {
        unlink(tmp);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* the rename is durable once the directory is */
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
