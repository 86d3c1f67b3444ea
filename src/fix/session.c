/* session.c -- the FIX 4.4 session layer (docs/fix.md, "Session").
 *
 * Inbound, every message is first placed in the sequence:
 *   - equal to the next expected MsgSeqNum: checked (the dictionary's one
 *     pass, validate.h, then SendingTime and the PossDup rules) and handled;
 *   - higher: a gap -- we send one ResendRequest(expected, 0) and drop what
 *     comes beyond the gap until the resend has filled it (the peer resends
 *     everything from there, so dropping loses nothing); ResendRequest and
 *     Logout are still answered;
 *   - lower: ignored when PossDupFlag=Y, otherwise a Logout.
 * A SequenceReset in reset mode, and a Logon resetting both numbers while
 * logged on, ignore sequence numbers altogether. After a Logout of ours the
 * session waits for the peer's Logout and handles nothing else.
 *
 * Before a session exists, a Logon is checked the same way; a refused one
 * is answered with a Logout outside any session and the connection closes.
 *
 * Outbound, every message is stored under its MsgSeqNum before it is sent
 * (store.h). `cursor` is the next MsgSeqNum to put on the wire; normally it
 * is the next one to be made, and messages go out as they are made. While a
 * ResendRequest is answered, new messages are only stored, and the pump
 * (sess_pump) feeds the socket from the store: first the asked range, with
 * PossDupFlag=Y and OrigSendingTime, administrative messages collapsed into
 * SequenceReset-GapFill; then, without PossDup, what was made meanwhile. So
 * the wire always carries MsgSeqNums in order, and a resend of a million
 * messages never holds more than about a megabyte in memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "gw.h"

static bool is(const fix_msg *m, const char *type)
{
    return strcmp(m->type, type) == 0;
}

static bool flag_yes(const fix_msg *m, uint32_t tag)
{
    const fix_field *f = fix_get(m, tag);
    return f && f->len == 1 && f->val[0] == 'Y';
}

static bool field_is(const fix_msg *m, uint32_t tag, const char *val)
{
    const fix_field *f = fix_get(m, tag);
    return f && f->len == strlen(val) && memcmp(f->val, val, f->len) == 0;
}

static int64_t wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- building --------------------------------------------------------------- */

void sess_begin(sess *s, const char *type)
{
    fix_builder *b = &s->g->b;
    fix_build_begin(b, type);
    fix_add_str(b, TAG_SenderCompID, GW_COMP_ID);
    fix_add_str(b, TAG_TargetCompID, s->comp);
    fix_add_int(b, TAG_MsgSeqNum, gw_store(s) ? (int64_t)fix_store_next_out(s->st) : 0);
    fix_add_time(b, TAG_SendingTime, wall_now());
}

/* Finish, store under its MsgSeqNum, and send at once unless a resend is
 * feeding the wire from the store. */
void sess_end(sess *s)
{
    size_t len;
    const char *m = fix_build_finish(&s->g->b, &len);
    if (!m) {
        log_error("fix", "msg=\"outbound message too large, not sent\" compid=%s", log_q(s->comp));
        return;
    }
    if (!s->st) /* its files cannot be opened (logged): what is not stored is not sent */
        return;
    uint64_t seq = fix_store_next_out(s->st);
    if (fix_store_append(s->st, m, len) != 0) {
        log_error("fix", "msg=\"out of memory storing a message\" compid=%s", log_q(s->comp));
        if (s->c) gw_conn_kill(s->c, "out of memory", false);
        return;
    }
    gw_flush_later(s);
    if (s->c && s->c->state == CS_ACTIVE && s->cursor == seq) {
        gw_conn_write(s->c, m, len);
        s->cursor = s->sent_hw = seq + 1;
        s->last_send = s->g->mono;
    }
}

void sess_reject(sess *s, const fix_msg *m, uint32_t tag, int reason, const char *text)
{
    log_info("fix",
             "msg=\"session reject\" compid=%s ref_seq=%" PRIu64
             " type=%s tag=%u reason=%d text=%s",
             log_q(s->comp), s->cur_seq, log_q(m->type), tag, reason, log_q(text));
    fix_builder *b = &s->g->b;
    sess_begin(s, "3");
    fix_add_int(b, TAG_RefSeqNum, (int64_t)s->cur_seq);
    if (tag) fix_add_int(b, TAG_RefTagID, tag);
    fix_add_str(b, TAG_RefMsgType, m->type);
    fix_add_int(b, TAG_SessionRejectReason, reason);
    fix_add_str(b, TAG_Text, text);
    sess_end(s);
}

void sess_business_reject(sess *s, const fix_msg *m, int reason, const char *text)
{
    fix_builder *b = &s->g->b;
    sess_begin(s, "j");
    fix_add_int(b, TAG_RefSeqNum, (int64_t)s->cur_seq);
    fix_add_str(b, TAG_RefMsgType, m->type);
    fix_add_int(b, TAG_BusinessRejectReason, reason);
    fix_add_str(b, TAG_Text, text);
    sess_end(s);
}

bool sess_require(sess *s, const fix_msg *m, const uint32_t *tags)
{
    for (; *tags; tags++)
        if (!fix_get(m, *tags)) {
            fix_verdict v = {.reason = FIX_REJ_REQUIRED, .tag = *tags};
            char t[128];
            fix_verdict_text(&v, t, sizeof t);
            sess_reject(s, m, *tags, FIX_REJ_REQUIRED, t);
            return false;
        }
    return true;
}

void sess_logout(sess *s, const char *text)
{
    if (s->logout_sent) return;
    sess_begin(s, "5");
    if (text) fix_add_str(&s->g->b, TAG_Text, text);
    sess_end(s);
    s->logout_sent = true;
    s->logout_at = s->g->mono;
}

static void send_heartbeat(sess *s, const fix_field *test_id)
{
    sess_begin(s, "0");
    if (test_id) fix_add_raw(&s->g->b, TAG_TestReqID, test_id->val, test_id->len);
    sess_end(s);
}

static void send_resend_request(sess *s, uint64_t from)
{
    log_info("fix", "msg=\"gap: resend requested\" compid=%s from=%" PRIu64, log_q(s->comp), from);
    sess_begin(s, "2");
    fix_add_int(&s->g->b, TAG_BeginSeqNo, (int64_t)from);
    fix_add_int(&s->g->b, TAG_EndSeqNo, 0);
    sess_end(s);
}

/* Protocol violation: Logout with the reason. The connection stays open for
 * the peer's Logout answer (nothing else is handled meanwhile) and closes
 * when it comes or after logout_timeout_ms (sess_timers). */
static void fail(sess *s, const char *text)
{
    log_warn("fix", "msg=\"session ended\" compid=%s why=%s", log_q(s->comp), log_q(text));
    sess_logout(s, text);
}

/* The next expected inbound MsgSeqNum. A Logon that came with a number
 * beyond the gap is taken as received once the gap is filled up to it. */
static void set_next_in(sess *s, uint64_t next)
{
    if (s->held_logon && next == s->held_logon) next++;
    if (next > s->held_logon) s->held_logon = 0;
    fix_store_set_next_in(s->st, next);
    gw_flush_later(s);
}

/* ---- Logon ------------------------------------------------------------------ */

static bool get_bounded(const fix_msg *m, uint32_t tag, char *out, size_t cap)
{
    const fix_field *f = fix_get(m, tag);
    return f && f->len > 0 && fix_get_str(m, tag, out, cap) == 0;
}

static bool comp_chars(const char *p, size_t n)
{
    if (n < 1 || n > GW_COMP_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '_' || p[i] == '-'))
            return false;
    return true;
}

/* A Logon refused: a Logout saying why, outside any session (MsgSeqNum 1,
 * stored nowhere: a peer that is not logged on makes nothing last), then
 * the connection closes once it is sent. */
static void logon_refuse(gw *g, conn *c, const fix_msg *m, const char *why)
{
    const fix_field *sender = m ? fix_get(m, TAG_SenderCompID) : NULL;
    fix_builder *b = &g->b;
    char comp[GW_COMP_MAX + 8] = "";
    if (sender)
        snprintf(comp, sizeof comp, "%.*s",
                 (int)(sender->len < GW_COMP_MAX + 4 ? sender->len : GW_COMP_MAX + 4), sender->val);
    else if (!m)
        snprintf(comp, sizeof comp, "%s", c->logon.comp);
    char user[80] = "";
    const fix_field *un = m ? fix_get(m, TAG_Username) : NULL;
    if (un)
        snprintf(user, sizeof user, "%.*s", (int)(un->len < 64 ? un->len : 64), un->val);
    else if (!m)
        snprintf(user, sizeof user, "%s", c->logon.user);
    log_warn("fix", "msg=\"logon refused\" conn=%u compid=%s user=%s peer=%s why=%s", c->id,
             log_q(comp), log_q(user), log_q(c->peer), log_q(why));
    fix_build_begin(b, "5");
    fix_add_str(b, TAG_SenderCompID, GW_COMP_ID);
    if (sender && comp_chars(sender->val, sender->len))
        fix_add_raw(b, TAG_TargetCompID, sender->val, sender->len);
    else if (!m && c->logon.comp[0]) /* after the password check: the Logon's */
        fix_add_str(b, TAG_TargetCompID, c->logon.comp);
    else
        fix_add_str(b, TAG_TargetCompID, "UNKNOWN");
    fix_add_int(b, TAG_MsgSeqNum, 1);
    fix_add_time(b, TAG_SendingTime, wall_now());
    fix_add_str(b, TAG_Text, why);
    size_t len;
    const char *out = fix_build_finish(b, &len);
    if (out) gw_conn_write(c, out, len);
    gw_conn_kill(c, why, true);
}

/* SendingTime within the tolerance of our clock (0: not checked). */
static bool sending_time_ok(gw *g, const fix_msg *m, int64_t *sent)
{
    const fix_field *st = fix_get(m, TAG_SendingTime);
    if (!st || fix_parse_utc(st->val, st->len, sent) != 0)
        return false; /* the dictionary's check has refused these already */
    int64_t tol = (int64_t)g->o.sending_time_tolerance_s * 1000000000;
    int64_t skew = *sent - wall_now();
    return !tol || (skew <= tol && skew >= -tol);
}

/* The first message of a connection: it must be a Logon, valid by the
 * dictionary and the Logon's rules. The password then goes to the worker;
 * nothing is answered before it is known. */
static void logon_first(gw *g, conn *c, const fix_msg *m)
{
    if (!is(m, "A")) {
        gw_conn_kill(c, "first message is not a Logon", false);
        return;
    }
    logon_req *l = &c->logon;
    memset(l, 0, sizeof *l);
    char password[256], why[200];
    int64_t seq = 0, hb = 0, sent;
    fix_verdict v;
    const char *bad = NULL;
    if (!fix_validate(m, fix_dict_msg("A"), &v)) {
        fix_verdict_text(&v, why, sizeof why);
        bad = why;
    } else if (!field_is(m, TAG_TargetCompID, GW_COMP_ID)) {
        bad = "TargetCompID(56) must be CETS";
    } else if (!get_bounded(m, TAG_SenderCompID, l->comp, sizeof l->comp) ||
               !comp_chars(l->comp, strlen(l->comp))) {
        bad = "SenderCompID(49) must be 1-32 of A-Z a-z 0-9 . _ -";
    } else if (fix_get_int(m, TAG_MsgSeqNum, &seq) != 0 || seq < 1) {
        bad = "MsgSeqNum(34) must be 1 or more";
    } else if (!sending_time_ok(g, m, &sent)) {
        bad = "SendingTime accuracy problem: SendingTime(52) is too far from the exchange's clock";
    } else if (fix_get_int(m, TAG_HeartBtInt, &hb) != 0 || hb < 0 || hb > g->o.max_heartbeat_s) {
        snprintf(why, sizeof why, "HeartBtInt(108) must be 0-%d", g->o.max_heartbeat_s);
        bad = why;
    } else if (!get_bounded(m, TAG_Username, l->user, sizeof l->user) ||
               !get_bounded(m, TAG_Password, password, sizeof password)) {
        bad = "Username(553) and Password(554) are required";
    } else if (flag_yes(m, TAG_ResetSeqNumFlag) && seq != 1) {
        bad = "ResetSeqNumFlag(141)=Y needs MsgSeqNum(34)=1";
    } else if (!gw_compid(g, l->comp)) { /* nothing is made for it, not even a password check */
        snprintf(why, sizeof why, "unknown SenderCompID %s: not provisioned by the exchange",
                 l->comp);
        bad = why;
    }
    if (bad) {
        logon_refuse(g, c, m, bad);
        return;
    }
    l->seq = (uint64_t)seq;
    l->hb = (int)hb;
    l->reset = flag_yes(m, TAG_ResetSeqNumFlag);
    l->cod_given = fix_get(m, TAG_CancelOnDisconnect) != NULL;
    l->cod = flag_yes(m, TAG_CancelOnDisconnect);
    c->state = CS_AUTH;
    gw_auth_ask(g, c, password);
    memset(password, 0, sizeof password);
    /* and the copy in the input buffer (m points into it, which we own) */
    const fix_field *pw = fix_get(m, TAG_Password);
    memset((char *)(uintptr_t)pw->val, '*', pw->len);
}

/* Bind the connection to its session and answer the Logon. */
static void logon_accept(gw *g, conn *c, sess *s, const principal *p)
{
    logon_req *l = &c->logon;
    fix_store_set_participant(s->st, s->participant); /* a new session's files learn it */
    s->roles = p->roles;
    snprintf(s->user, sizeof s->user, "%s", p->user);
    c->s = s;
    s->c = c;
    c->state = CS_ACTIVE;
    s->hb_s = l->hb ? l->hb : g->o.heartbeat_s;
    s->cod = l->cod_given ? l->cod : g->o.cancel_on_disconnect;
    s->last_recv = s->last_send = g->mono;
    s->test_sent = 0;
    s->logout_sent = false;
    s->gap_until = s->resend_end = s->held_logon = 0;
    if (l->reset && fix_store_reset(s->st) != 0)
        log_error("fix", "msg=\"sequence reset failed\" compid=%s error=%s", log_q(s->comp),
                  log_q(fix_store_error(s->st)));
    s->cursor = s->sent_hw = fix_store_next_out(s->st);
    gw_flush_later(s);
    uint64_t expected = fix_store_next_in(s->st);
    s->cur_seq = l->seq;
    if (l->seq < expected) {
        char t[128];
        snprintf(t, sizeof t, "MsgSeqNum too low, expecting %" PRIu64 " but received %" PRIu64,
                 expected, l->seq);
        fail(s, t);
        return;
    }
    sess_begin(s, "A");
    fix_add_int(&g->b, TAG_EncryptMethod, 0);
    fix_add_int(&g->b, TAG_HeartBtInt, s->hb_s);
    if (l->reset) fix_add_str(&g->b, TAG_ResetSeqNumFlag, "Y");
    sess_end(s);
    log_info("fix",
             "msg=\"logon\" compid=%s user=%s participant=%u conn=%u peer=%s in=%" PRIu64
             " out=%" PRIu64 " hb=%d reset=%d cod=%d",
             log_q(s->comp), log_q(s->user), s->participant, c->id, log_q(c->peer), l->seq,
             s->cursor - 1, s->hb_s, l->reset, s->cod);
    if (l->seq == expected) {
        set_next_in(s, expected + 1);
    } else {
        send_resend_request(s, expected);
        s->gap_until = l->seq;
        s->held_logon = l->seq;
    }
}

void sess_on_auth(gw *g, conn *c, bool ok, const principal *p)
{
    logon_req *l = &c->logon;
    char err[256];
    if (!ok) {
        log_warn("fix",
                 "msg=\"logon refused: unknown user or wrong password\" compid=%s user=%s peer=%s",
                 log_q(l->comp), log_q(l->user), log_q(c->peer));
        logon_refuse(g, c, NULL, "logon refused: unknown user or wrong password");
        return;
    }
    if (!(p->roles & (ROLE_TRADE | ROLE_VIEW | ROLE_ADMIN))) {
        logon_refuse(g, c, NULL, "logon refused: the user may neither trade nor view");
        return;
    }
    if (core_get_role(g->core) == CORE_STANDBY) { /* cluster mode: docs/fix.md */
        char leader[200];
        core_get_leader(g->core, leader, sizeof leader);
        snprintf(err, sizeof err, "this node is a standby; log on to the leader%s%s",
                 leader[0] ? " at " : "", leader);
        logon_refuse(g, c, NULL, err);
        return;
    }
    const compid_entry *e = gw_compid(g, l->comp); /* the table may have changed meanwhile */
    if (!e) {
        snprintf(err, sizeof err, "unknown SenderCompID %s: not provisioned by the exchange",
                 l->comp);
        logon_refuse(g, c, NULL, err);
        return;
    }
    if (e->participant != p->participant) {
        snprintf(err, sizeof err, "SenderCompID %s belongs to another participant", l->comp);
        logon_refuse(g, c, NULL, err);
        return;
    }
    sess *s = gw_session_get(g, e, err, sizeof err);
    if (!s || !gw_store(s)) {
        logon_refuse(g, c, NULL, "the exchange cannot open this session's files");
        return;
    }
    if (s->c) { /* the test cases: no message, it would take a number of the live session */
        gw_conn_kill(c, "this SenderCompID is logged on from another connection", false);
        return;
    }
    if (s->participant != p->participant) { /* its files are another participant's */
        snprintf(err, sizeof err, "SenderCompID %s belongs to another participant", s->comp);
        log_error("fix",
                  "msg=\"session files of another participant than the CompID table's\" "
                  "compid=%s files=%u table=%u",
                  s->comp, s->participant, e->participant);
        logon_refuse(g, c, NULL, err);
        return;
    }
    logon_accept(g, c, s, p);
}

void sess_user_ended(gw *g, const char *user, int why)
{
    for (int i = 0; i < g->nsess; i++) {
        sess *s = g->sess[i];
        if (!s->c || s->c->state != CS_ACTIVE || strcmp(s->user, user) != 0) continue;
        log_info("fix", "msg=\"logout: the user's rights ended\" compid=%s user=%s reason=%s",
                 s->comp, user, auth_end_name((auth_end)why));
        fail(s, auth_end_message((auth_end)why));
    }
}

/* ---- inbound, logged on ----------------------------------------------------- */

/* A Reject from a dictionary verdict (RefTagID as the peer wrote it). */
static void reject_verdict(sess *s, const fix_msg *m, const fix_verdict *v)
{
    char text[200];
    fix_verdict_text(v, text, sizeof text);
    log_info("fix",
             "msg=\"session reject\" compid=%s ref_seq=%" PRIu64
             " type=%s tag=%s reason=%d text=\"%s\"",
             s->comp, s->cur_seq, m->type, v->tag_text, v->reason, text);
    fix_builder *b = &s->g->b;
    sess_begin(s, "3");
    fix_add_int(b, TAG_RefSeqNum, (int64_t)s->cur_seq);
    fix_add_str(b, TAG_RefTagID, v->tag_text);
    fix_add_str(b, TAG_RefMsgType, m->type);
    fix_add_int(b, TAG_SessionRejectReason, v->reason);
    fix_add_str(b, TAG_Text, text);
    sess_end(s);
}

/* SendingTime accuracy and the PossDup rules, once a message is valid. */
static bool header_ok(sess *s, const fix_msg *m, bool possdup)
{
    int64_t sent, orig_ns;
    const fix_field *orig = fix_get(m, TAG_OrigSendingTime);
    if (!sending_time_ok(s->g, m, &sent) && !possdup) {
        sess_reject(s, m, TAG_SendingTime, FIX_REJ_SENDING_TIME, "SendingTime accuracy problem");
        fail(s, "SendingTime accuracy problem");
        return false;
    }
    if (possdup && !is(m, "4")) { /* a SequenceReset needs no OrigSendingTime */
        if (!orig) {
            sess_reject(s, m, TAG_OrigSendingTime, FIX_REJ_REQUIRED,
                        "Required tag missing: OrigSendingTime(122)");
            return false;
        }
        if (fix_parse_utc(orig->val, orig->len, &orig_ns) != 0 || orig_ns > sent) {
            sess_reject(s, m, TAG_OrigSendingTime, FIX_REJ_SENDING_TIME,
                        "SendingTime accuracy problem: OrigSendingTime after SendingTime");
            fail(s, "SendingTime accuracy problem");
            return false;
        }
    }
    return true;
}

/* Everything a message must pass before it is handled: a MsgType we take,
 * the dictionary, the header's rules. false: answered (Reject, BMR). */
static bool checked(sess *s, const fix_msg *m)
{
    const fix_msg_def *def = fix_dict_msg(m->type);
    if (!def || !(def->admin || app_accepts(m->type))) {
        if (fix44_msg_type(m->type))
            sess_business_reject(s, m, 3, "Unsupported Message Type");
        else
            sess_reject(s, m, TAG_MsgType, FIX_REJ_MSGTYPE, "Invalid MsgType");
        return false;
    }
    fix_verdict v;
    if (!fix_validate(m, def, &v)) {
        reject_verdict(s, m, &v);
        return false;
    }
    return header_ok(s, m, flag_yes(m, TAG_PossDupFlag));
}

static void on_resend_request(sess *s, const fix_msg *m)
{
    int64_t from, to;
    fix_get_int(m, TAG_BeginSeqNo, &from); /* both there and digits: checked() */
    fix_get_int(m, TAG_EndSeqNo, &to);
    if (from < 1 || (to && to < from)) {
        sess_reject(s, m, from < 1 ? TAG_BeginSeqNo : TAG_EndSeqNo, FIX_REJ_VALUE,
                    "Value is incorrect (out of range) for this tag");
        return;
    }
    uint64_t last = fix_store_next_out(s->st) - 1;
    log_info("fix", "msg=\"resend asked\" compid=%s from=%" PRId64 " to=%" PRId64 " last=%" PRIu64,
             log_q(s->comp), from, to, last);
    if ((uint64_t)from > last) return; /* nothing of ours in that range */
    uint64_t end = to == 0 || (uint64_t)to > last ? last : (uint64_t)to;
    if ((uint64_t)from < s->cursor) s->cursor = (uint64_t)from;
    if (end > s->resend_end) s->resend_end = end;
}

/* SequenceReset: GapFill moves the expected number past the message's own;
 * Reset sets it whatever MsgSeqNum said. Neither may lower it. */
static void on_sequence_reset(sess *s, const fix_msg *m, bool gap_fill)
{
    int64_t to;
    fix_get_int(m, TAG_NewSeqNo, &to);
    uint64_t expected = fix_store_next_in(s->st);
    if ((uint64_t)to < expected || (gap_fill && (uint64_t)to <= s->cur_seq)) {
        sess_reject(s, m, TAG_NewSeqNo, FIX_REJ_VALUE,
                    "Value is incorrect (out of range) for this tag: NewSeqNo(36) would lower "
                    "the sequence number");
        return;
    }
    if ((uint64_t)to == expected && !gap_fill)
        log_warn("fix", "msg=\"sequence reset to the expected number\" compid=%s new_seq=%" PRId64,
                 s->comp, to);
    set_next_in(s, (uint64_t)to);
}

/* Logon with ResetSeqNumFlag=Y and MsgSeqNum 1 on a logged-on session: both
 * sides start again at 1 (FIX 4.4 Volume 2, "Logon"), if the operator lets
 * this session do so (in_session_reset in the CompID table). */
static void in_session_reset(sess *s, const fix_msg *m)
{
    gw *g = s->g;
    if (!s->reset_in_session) {
        fail(s, "ResetSeqNumFlag(141)=Y while logged on is not enabled for this SenderCompID "
                "(in_session_reset): log out and log on again with it");
        return;
    }
    int64_t hb;
    if (fix_get_int(m, TAG_HeartBtInt, &hb) == 0 && hb >= 0 && hb <= g->o.max_heartbeat_s)
        s->hb_s = hb ? (int)hb : g->o.heartbeat_s;
    if (fix_store_reset(s->st) != 0) {
        log_error("fix", "msg=\"sequence reset failed\" compid=%s error=%s", s->comp,
                  log_q(fix_store_error(s->st)));
        fail(s, "the exchange could not reset the sequence numbers");
        return;
    }
    s->cursor = s->sent_hw = 1;
    s->gap_until = s->resend_end = s->held_logon = 0;
    sess_begin(s, "A");
    fix_add_int(&g->b, TAG_EncryptMethod, 0);
    fix_add_int(&g->b, TAG_HeartBtInt, s->hb_s);
    fix_add_str(&g->b, TAG_ResetSeqNumFlag, "Y");
    sess_end(s);
    set_next_in(s, 2);
    log_info("fix", "msg=\"sequence numbers reset while logged on\" compid=%s", s->comp);
}

static void dispatch(gw *g, sess *s, const fix_msg *m)
{
    const char *t = m->type;
    if (t[1] == 0 && strchr("012345A", t[0])) {
        switch (t[0]) {
        case '0': /* Heartbeat: any traffic answers a TestRequest */ break;
        case '1': send_heartbeat(s, fix_get(m, TAG_TestReqID)); break;
        case '2': on_resend_request(s, m); break;
        case '3': {
            char ref[24] = "", text[256] = "";
            fix_get_str(m, TAG_RefSeqNum, ref, sizeof ref);
            fix_get_str(m, TAG_Text, text, sizeof text);
            log_warn("fix", "msg=\"peer rejected a message\" compid=%s ref_seq=%s text=%s",
                     log_q(s->comp), log_q(ref), log_q(text));
            break;
        }
        case '4': on_sequence_reset(s, m, true); break;
        case '5':
            sess_logout(s, NULL);
            log_info("fix", "msg=\"logout\" compid=%s initiated_by=peer", log_q(s->comp));
            gw_conn_linger(s->c, "logout");
            break;
        case 'A': sess_reject(s, m, 0, FIX_REJ_OTHER, "Logon received while logged on"); break;
        }
        return;
    }
    app_on_message(g, s, m);
}

/* A message beyond the next expected MsgSeqNum. */
static void on_gap(sess *s, const fix_msg *m, uint64_t seq, uint64_t expected)
{
    if (is(m, "5")) {
        sess_logout(s, NULL);
        gw_conn_linger(s->c, "logout during a sequence gap");
        return;
    }
    if (is(m, "2")) {
        s->cur_seq = seq;
        if (checked(s, m)) on_resend_request(s, m);
        if (!s->c || s->logout_sent) return;
    }
    if (s->gap_until < expected) { /* no resend pending */
        send_resend_request(s, expected);
        s->gap_until = seq;
    } else if (seq > s->gap_until) {
        s->gap_until = seq;
    }
}

/* SenderCompID or TargetCompID present, with a value, and not ours: the tag
 * (a missing or empty one is the dictionary's to refuse). */
static uint32_t compid_wrong(const sess *s, const fix_msg *m)
{
    const fix_field *snd = fix_get(m, TAG_SenderCompID), *tgt = fix_get(m, TAG_TargetCompID);
    if (snd && snd->len && !field_is(m, TAG_SenderCompID, s->comp)) return TAG_SenderCompID;
    if (tgt && tgt->len && !field_is(m, TAG_TargetCompID, GW_COMP_ID)) return TAG_TargetCompID;
    return 0;
}

void sess_on_message(gw *g, conn *c, const fix_msg *m)
{
    if (c->state == CS_LOGON_WAIT) {
        logon_first(g, c, m);
        return;
    }
    sess *s = c->s;
    int64_t seq = 0;
    bool numbered = fix_get_int(m, TAG_MsgSeqNum, &seq) == 0 && seq >= 0;
    if (s->logout_sent) { /* waiting for the Logout answer: nothing else counts */
        if (is(m, "5")) {
            if (numbered && (uint64_t)seq == fix_store_next_in(s->st))
                set_next_in(s, (uint64_t)seq + 1);
            log_info("fix", "msg=\"logout\" compid=%s initiated_by=%s", s->comp, "us");
            gw_conn_kill(c, "logout", true);
        }
        return;
    }
    bool reset_mode = is(m, "4") && !flag_yes(m, TAG_GapFillFlag);
    if (!reset_mode && (!numbered || seq < 1)) {
        fail(s, "MsgSeqNum(34) missing or not a number");
        return;
    }
    s->cur_seq = (uint64_t)seq;
    uint64_t expected = fix_store_next_in(s->st);
    uint32_t wrong = compid_wrong(s, m);
    if (wrong) {
        if ((uint64_t)seq == expected) set_next_in(s, expected + 1);
        sess_reject(s, m, wrong, FIX_REJ_COMPID,
                    wrong == TAG_SenderCompID ? "CompID problem: SenderCompID(49)"
                                              : "CompID problem: TargetCompID(56)");
        fail(s, "Incorrect SenderCompID or TargetCompID");
        return;
    }
    if (reset_mode) { /* SequenceReset-Reset: MsgSeqNum does not count */
        if (checked(s, m)) on_sequence_reset(s, m, false);
        return;
    }
    if (is(m, "A") && seq == 1 && flag_yes(m, TAG_ResetSeqNumFlag)) {
        if (checked(s, m)) in_session_reset(s, m);
        return;
    }
    if ((uint64_t)seq > expected) {
        on_gap(s, m, (uint64_t)seq, expected);
        return;
    }
    if ((uint64_t)seq < expected) {
        if (flag_yes(m, TAG_PossDupFlag)) return; /* seen already */
        char t[128];
        snprintf(t, sizeof t, "MsgSeqNum too low, expecting %" PRIu64 " but received %" PRId64,
                 expected, seq);
        fail(s, t);
        return;
    }
    set_next_in(s, expected + 1);
    if (checked(s, m)) dispatch(g, s, m);
}

void sess_on_bad_frame(gw *g, conn *c, fix_status st)
{
    if (st == FIX_BAD_BEGIN) {
        if (c->s)
            fail(c->s, "Incorrect BeginString value: FIX.4.4 expected");
        else
            logon_refuse(g, c, NULL, "Incorrect BeginString value: FIX.4.4 expected");
    } else if (!c->s) { /* before a Logon, nothing garbled can be answered */
        gw_conn_kill(c, "garbled message before Logon", false);
    }
}

/* ---- resend ----------------------------------------------------------------- */

static bool is_admin_type(const char *t)
{
    return t[1] == 0 && strchr("01245A", t[0]); /* Reject (3) is resent */
}

/* Load stored message seq into g->rmsg; false when missing or unreadable. */
static bool stored(sess *s, uint64_t seq)
{
    gw *g = s->g;
    size_t len, used;
    return fix_store_get(s->st, seq, g->rbuf, sizeof g->rbuf, &len) == 0 &&
           fix_parse(g->rbuf, len, &g->rmsg, &used) == FIX_OK;
}

/* SequenceReset-GapFill over [from, to) in place of administrative messages. */
static void send_gap_fill(sess *s, uint64_t from, uint64_t to)
{
    fix_builder *b = &s->g->b;
    fix_build_begin(b, "4");
    fix_add_str(b, TAG_SenderCompID, GW_COMP_ID);
    fix_add_str(b, TAG_TargetCompID, s->comp);
    fix_add_int(b, TAG_MsgSeqNum, (int64_t)from);
    fix_add_str(b, TAG_PossDupFlag, "Y");
    int64_t now = wall_now();
    fix_add_time(b, TAG_SendingTime, now);
    fix_add_time(b, TAG_OrigSendingTime, now);
    fix_add_str(b, TAG_GapFillFlag, "Y");
    fix_add_int(b, TAG_NewSeqNo, (int64_t)to);
    size_t len;
    const char *out = fix_build_finish(b, &len);
    if (out) gw_conn_write(s->c, out, len);
}

/* The stored message in g->rmsg again, as a possible duplicate. */
static void send_possdup(sess *s, uint64_t seq)
{
    gw *g = s->g;
    fix_builder *b = &g->b;
    const fix_msg *m = &g->rmsg;
    const fix_field *orig = fix_get(m, TAG_SendingTime);
    fix_build_begin(b, m->type);
    fix_add_str(b, TAG_SenderCompID, GW_COMP_ID);
    fix_add_str(b, TAG_TargetCompID, s->comp);
    fix_add_int(b, TAG_MsgSeqNum, (int64_t)seq);
    fix_add_str(b, TAG_PossDupFlag, "Y");
    fix_add_time(b, TAG_SendingTime, wall_now());
    if (orig) fix_add_raw(b, TAG_OrigSendingTime, orig->val, orig->len);
    for (int i = 1; i < m->n; i++) {
        uint32_t t = m->f[i].tag;
        if (t != TAG_SenderCompID && t != TAG_TargetCompID && t != TAG_MsgSeqNum &&
            t != TAG_PossDupFlag && t != TAG_SendingTime && t != TAG_OrigSendingTime &&
            t != TAG_PossResend)
            fix_add_raw(b, t, m->f[i].val, m->f[i].len);
    }
    size_t len;
    const char *out = fix_build_finish(b, &len);
    if (out) gw_conn_write(s->c, out, len);
}

void sess_pump(sess *s)
{
    gw *g = s->g;
    uint64_t next = fix_store_next_out(s->st);
    while (s->c && s->c->state == CS_ACTIVE && s->cursor < next &&
           s->c->outlen - s->c->outoff < GW_RESEND_CHUNK) {
        uint64_t q = s->cursor;
        if (q > s->resend_end && q < s->sent_hw) { /* went out live already */
            s->cursor = s->sent_hw;
            continue;
        }
        bool have = stored(s, q);
        if (q <= s->resend_end && (!have || is_admin_type(g->rmsg.type))) {
            uint64_t to = q + 1;
            while (to <= s->resend_end && (!stored(s, to) || is_admin_type(g->rmsg.type))) to++;
            send_gap_fill(s, q, to);
            s->cursor = to;
            continue;
        }
        if (q <= s->resend_end)
            send_possdup(s, q);
        else if (have)
            gw_conn_write(s->c, g->rbuf, g->rmsg.rawlen);
        else
            send_gap_fill(s, q, q + 1);
        s->cursor = q + 1;
        if (s->cursor > s->sent_hw) s->sent_hw = s->cursor;
        s->last_send = g->mono;
    }
}

/* ---- timers and going offline ---------------------------------------------- */

void sess_timers(gw *g, sess *s)
{
    int64_t hb = (int64_t)s->hb_s * 1000000000;
    int64_t grace = hb / 5 > 100000000 ? hb / 5 : 100000000; /* transmission time */
    if (s->logout_sent) {
        if (g->mono - s->logout_at > (int64_t)g->o.logout_timeout_ms * 1000000)
            gw_conn_kill(s->c, "no Logout answer", false);
        return;
    }
    if (s->test_sent && s->last_recv > s->test_sent) s->test_sent = 0;
    if (s->test_sent) {
        if (g->mono - s->test_sent >= hb + grace)
            gw_conn_kill(s->c, "silent peer: no answer to TestRequest", false);
        return;
    }
    /* the Heartbeat first when both are due (a turn that came late, under load): the
     * order the peer sees does not depend on how late the turn was */
    if (g->mono - s->last_send >= hb) send_heartbeat(s, NULL);
    if (g->mono - s->last_recv >= hb + grace) {
        char id[32];
        snprintf(id, sizeof id, "TEST%" PRIu64, ++s->test_n);
        sess_begin(s, "1");
        fix_add_str(&g->b, TAG_TestReqID, id);
        sess_end(s);
        s->test_sent = g->mono;
    }
}

void sess_offline(gw *g, sess *s)
{
    app_on_disconnect(g, s);
    md_on_disconnect(g, s);
    s->tss_sub = false;
    s->logout_sent = false;
    s->gap_until = s->resend_end = 0;
    if (s->st && fix_store_sync(s->st) != 0)
        log_error("fix", "msg=\"session store sync failed\" compid=%s error=%s", log_q(s->comp),
                  log_q(fix_store_error(s->st)));
    fix_store_close(s->st); /* a session's files are open only while it is logged on */
    s->st = NULL;
}
