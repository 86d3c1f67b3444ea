/* walk.c -- reading a directory's journal in order, and judging its damage.
 *
 * Recovery, cets_journal_scan(), `cets journal check` and `repair` all walk
 * the segments through here, so they judge damage the same way. The walk
 * passes every whole record after the snapshot (skip) to fn, in order and
 * without a gap, and at each damaged place decides from what the reader
 * found after it (jsurvey, segment.c) what the damage can have cost:
 *
 *   - nothing, when the record that follows the damaged bytes is the next
 *     seq: no command is missing, and the walk goes on;
 *   - proven acknowledged: the damaged place is in a segment that is not the
 *     last (a later segment exists only once every earlier commit is
 *     durable), or a whole record of a later commit follows it (a commit is
 *     written only after the previous one was synced), or the snapshot holds
 *     the first command it lost (snapshots are of committed state), or it is
 *     the first record of a version 2 segment (named only once its first
 *     commit is durable; an incomplete header counts as version 2, the only
 *     one this build writes);
 *   - otherwise it is the torn last commit: never acknowledged, and the walk
 *     stops there; recovery cuts it off (w->torn, w->cut).
 *
 * Proven damage is accepted when every command it lost is in the snapshot
 * (recovery goes on after it, changing nothing, and says so), and refused
 * otherwise, naming the segment, the offset and the seq range at risk, with
 * w->cut saying where an operator's repair would cut. The damage such rules
 * cannot see is the one a power cut also makes: inside the last commit, with
 * nothing of a later commit after it.
 *
 * Invariant: whatever the walk accepts short of the torn tail is judged from
 * the damage and what precedes it (or the snapshot), never from what lies
 * after the torn tail, so a recovery that cut the tail judges the directory
 * again exactly as before (fuzz_journal checks it).
 */
#include "journal_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

void jnote(cets_recovery *rep, const char *fmt, ...)
{
    size_t used = strlen(rep->message);
    if (used + 3 >= sizeof rep->message) return;
    if (used) {
        memcpy(rep->message + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message + used, sizeof rep->message - used, fmt, ap);
    va_end(ap);
}

static int walk_record(void *ctx, const cets_cmd *cmd)
{
    jwalk *w = ctx;
    if (cmd->seq <= w->skip) return 0;
    if (cmd->seq != w->expect) /* the walk checks continuity before reading: a bug if seen */
        return jerr(w->err, w->errlen, "sequence gap: after seq %" PRIu64 " came seq %" PRIu64,
                    w->expect - 1, cmd->seq);
    w->expect++;
    w->applied++;
    return w->fn ? w->fn(w->ctx, cmd) : 0;
}

/* Refuse, with where a repair would cut: segment i from offset off on. */
static int walk_refuse(jwalk *w, size_t i, uint64_t off, uint64_t size, uint64_t first_seq,
                       const jsurvey *sv)
{
    w->refused = 1;
    w->cut.seg = i;
    w->cut.off = off;
    w->cut.size = size;
    w->cut.first_seq = first_seq;
    w->cut.records = sv ? sv->records : 0;
    w->cut.last_seq = sv ? sv->last_seq : 0;
    return -1;
}

/* " seq a..b" or " from seq a on", for messages. */
static const char *walk_range(char *buf, size_t len, uint64_t lo, uint64_t hi)
{
    if (hi >= lo && hi)
        snprintf(buf, len, "seq %" PRIu64 "..%" PRIu64, lo, hi);
    else
        snprintf(buf, len, "from seq %" PRIu64 " on", lo);
    return buf;
}

#define WALK_ADVICE                                                                                \
    "restore the directory from a backup, or give those commands up with `cets journal "           \
    "repair`"

/* Damage at rr->end of segment i, after seq g: refuse, note it, or mark the torn tail.
 * Returns -1 refused, 0 go on at rr->after.resume_off, 1 stop reading this segment. */
static int walk_damage(jwalk *w, size_t i, const jmap *mp, jread *rr, uint64_t g, bool head)
{
    const jseg *s = &w->segs[i];
    jsurvey *sv = &rr->after;
    bool last = i + 1 == w->n;
    bool named = head && (mp->version >= 2 || !mp->m);
    bool in_snapshot = g + 1 <= w->skip;
    /* What it lost: g+1 .. lost_hi (unknown at the end of the last segment). */
    uint64_t lost_hi = 0;
    if (sv->resume_off)
        lost_hi = sv->resume_seq - 1;
    else if (!last)
        lost_hi = w->segs[i + 1].first_seq - 1;
    if ((sv->resume_off || !last) && lost_hi == g) {
        /* Bytes between two consecutive records: no command is missing, and
         * that needs no proof. (Judged before the torn tail: a proof found
         * after it could be cut off with a later torn tail, and the next
         * recovery must judge the directory as this one did.) */
        w->damaged = true;
        jnote(w->rep,
              "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 "): damaged bytes, but seq "
              "%" PRIu64 " follows whole, so no command is missing; the file is left as it is "
              "and the journal goes on in a new segment",
              s->name, rr->bad, rr->end, g, g + 1);
        return sv->resume_off ? 0 : 1;
    }
    if (last && !named && !sv->later_commit && !in_snapshot) {
        w->torn = true;
        w->cut.seg = i;
        w->cut.off = rr->end;
        w->cut.size = rr->size;
        w->cut.first_seq = g + 1;
        w->cut.records = sv->records;
        w->cut.last_seq = sv->last_seq;
        snprintf(w->cut.bad, sizeof w->cut.bad, "%s", rr->bad);
        return 1;
    }
    /* Proven acknowledged. Accepted only when the snapshot holds all it lost:
     * that proof does not depend on anything after it either. */
    bool covered;
    if (sv->resume_off || !last)
        covered = lost_hi <= w->skip;
    else /* the end of the last segment: a snapshot is taken after a whole commit */
        covered = in_snapshot;
    char range[64];
    if (covered) {
        w->damaged = true;
        jnote(w->rep,
              "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 "): the commands it damaged "
              "are in snapshot %" PRIu64 ", so they are not needed; the file is left as it is "
              "and the journal goes on in a new segment",
              s->name, rr->bad, rr->end, g, w->skip);
        return sv->resume_off ? 0 : 1;
    }
    if (!sv->complete) /* what a cut would take, for the message and the repair */
        jseg_survey(mp, rr->end, g, true, sv);
    walk_refuse(w, i, rr->end, rr->size, g + 1, sv);
    /* at risk: what is not in the snapshot, up to the last record a cut would take */
    uint64_t lo = g + 1 > w->skip ? g + 1 : w->skip + 1;
    uint64_t hi = sv->last_seq > lost_hi ? sv->last_seq : lost_hi;
    if (!last)
        jerr(w->err, w->errlen,
             "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 ") in a segment that is not "
             "the last: refusing to recover; nothing was changed; acknowledged commands %s "
             "are at risk (%s)",
             s->name, rr->bad, rr->end, g, walk_range(range, sizeof range, lo, 0), WALK_ADVICE);
    else if (sv->later_commit)
        jerr(w->err, w->errlen,
             "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 "), but whole records of later "
             "commits follow (seq %" PRIu64 "..%" PRIu64 " from offset %" PRIu64 "): "
             "corruption, not a torn write; acknowledged commands %s are at risk; refusing to "
             "recover; nothing was changed (%s)",
             s->name, rr->bad, rr->end, g, sv->resume_seq, sv->last_seq, sv->resume_off,
             walk_range(range, sizeof range, lo, hi), WALK_ADVICE);
    else if (named)
        jerr(w->err, w->errlen,
             "%s: %s: the segment has no whole first record, yet a segment is named only once "
             "its first commit is durable: acknowledged commands %s are lost or at risk; "
             "refusing to recover (only a data directory whose journal was never written "
             "starts empty); nothing was changed (%s)",
             s->name, rr->bad, walk_range(range, sizeof range, lo, hi), WALK_ADVICE);
    else
        jerr(w->err, w->errlen,
             "%s: %s at offset %" PRIu64 " (after seq %" PRIu64 "): snapshot %" PRIu64
             " shows these commands were acknowledged, and %s are not in it; refusing to "
             "recover; nothing was changed (%s)",
             s->name, rr->bad, rr->end, g, w->skip, walk_range(range, sizeof range, lo, hi),
             WALK_ADVICE);
    return -1;
}

/* Read segment i from its header on, across accepted damage. */
static int walk_segment(jwalk *w, size_t i, uint64_t *seg_last)
{
    const jseg *s = &w->segs[i];
    jmap mp;
    int rc = jseg_map(w->dir, s, &mp, w->err, w->errlen);
    if (rc == -2) /* bad header: nothing in it can be trusted */
        return walk_refuse(w, i, 0, mp.size, s->first_seq, NULL);
    if (rc != 0) return -1;
    uint64_t off = JSEG_HDR, expect = s->first_seq;
    *seg_last = 0;
    for (;;) {
        jread rr;
        rc = jseg_run(&mp, off, expect, false, walk_record, w, &w->into, &rr);
        if (rc != 0) break;
        if (rr.records) *seg_last = rr.last_seq;
        if (!rr.bad[0]) break;
        uint64_t g = rr.records ? rr.last_seq : expect - 1;
        bool head = !mp.m || (off == JSEG_HDR && rr.records == 0);
        int d = walk_damage(w, i, &mp, &rr, g, head);
        if (d != 0) {
            rc = d < 0 ? -1 : 0;
            break;
        }
        off = rr.after.resume_off;
        expect = rr.after.resume_seq;
    }
    jseg_unmap(&mp);
    return rc;
}

int jwalk_run(jwalk *w)
{
    w->expect = w->skip + 1;
    w->cut.seg = SIZE_MAX;
    bool prev_read = false;
    uint64_t prev_last = 0;
    const char *prev_name = NULL;
    for (size_t i = 0; i < w->n; i++) {
        const jseg *s = &w->segs[i];
        bool last = i + 1 == w->n;
        if (!last && w->segs[i + 1].first_seq <= w->skip + 1) { /* all in the snapshot */
            prev_read = false;
            continue;
        }
        if (prev_read && s->first_seq != prev_last + 1 && s->first_seq > w->skip + 1) {
            walk_refuse(w, i, 0, 0, s->first_seq, NULL);
            return jerr(w->err, w->errlen,
                        "sequence break: %s ends at seq %" PRIu64 ", %s starts at seq %" PRIu64
                        "; refusing to recover; nothing was changed",
                        prev_name, prev_last, s->name, s->first_seq);
        }
        if (!prev_read && s->first_seq > w->expect) {
            walk_refuse(w, i, 0, 0, s->first_seq, NULL);
            return jerr(w->err, w->errlen,
                        "%s: sequence gap: first record after seq %" PRIu64 " is seq %" PRIu64
                        "; refusing to recover; nothing was changed",
                        s->name, w->expect - 1, s->first_seq);
        }
        uint64_t seg_last;
        int rc = walk_segment(w, i, &seg_last);
        if (rc != 0) return rc;
        if (w->torn) break;
        prev_read = true;
        prev_last = seg_last ? seg_last : s->first_seq - 1;
        prev_name = s->name;
    }
    return 0;
}
