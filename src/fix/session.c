/* session.c -- the FIX 4.4 session layer (docs/fix.md, "Session").
 *
 * Inbound, every message is first placed in the sequence:
 *   - equal to the next expected MsgSeqNum: handled;
 *   - higher: a gap -- we send one ResendRequest(expected, 0) and drop what
 *     comes beyond the gap until the resend has filled it (the peer resends
 *     everything from there, so dropping loses nothing); ResendRequest and
 *     Logout are still answered;
 *   - lower: ignored when PossDupFlag=Y, otherwise a Logout and disconnect.
 * A SequenceReset in reset mode ignores sequence numbers altogether.
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

enum { REJ_REQUIRED = 1, REJ_VALUE = 5, REJ_FORMAT = 6, REJ_NO_VALUE = 4, REJ_COMPID = 9,
       REJ_SENDING_TIME = 10, REJ_OTHER = 99 };

static bool is(const fix_msg *m, const char *type) { return strcmp(m->type, type) == 0; }

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

/* UTCTimestamp "YYYYMMDD-HH:MM:SS[.fff...]" to ns; -1 when malformed. */
static int parse_utc(const fix_field *f, int64_t *ns)
{
    const char *v = f->val;
    if (f->len < 17 || v[8] != '-' || v[11] != ':' || v[14] != ':')
        return -1;
    int d[7] = {0};
    static const int pos[6][2] = {{0, 4}, {4, 2}, {6, 2}, {9, 2}, {12, 2}, {15, 2}};
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < pos[k][1]; i++) {
            char ch = v[pos[k][0] + i];
            if (ch < '0' || ch > '9')
                return -1;
            d[k] = d[k] * 10 + (ch - '0');
        }
    int64_t frac = 0, scale = 1000000000;
    if (f->len > 17) {
        if (v[17] != '.' || f->len == 18 || f->len > 27)
            return -1;
        for (uint32_t i = 18; i < f->len; i++) {
            if (v[i] < '0' || v[i] > '9')
                return -1;
            frac = frac * 10 + (v[i] - '0');
            scale /= 10;
        }
    }
    if (d[1] < 1 || d[1] > 12 || d[2] < 1 || d[2] > 31 || d[3] > 23 || d[4] > 59 || d[5] > 60)
        return -1;
    struct tm tm = {.tm_year = d[0] - 1900, .tm_mon = d[1] - 1, .tm_mday = d[2],
                    .tm_hour = d[3], .tm_min = d[4], .tm_sec = d[5]};
    *ns = (int64_t)timegm(&tm) * 1000000000 + frac * scale;
    return 0;
}

/* ---- building --------------------------------------------------------------- */

void sess_begin(sess *s, const char *type)
{
    fix_builder *b = &s->g->b;
    fix_build_begin(b, type);
    fix_add_str(b, TAG_SenderCompID, GW_COMP_ID);
    fix_add_str(b, TAG_TargetCompID, s->comp);
    fix_add_int(b, TAG_MsgSeqNum, (int64_t)fix_store_next_out(s->st));
    fix_add_time(b, TAG_SendingTime, wall_now());
}

/* Finish, store under its MsgSeqNum, and send at once unless a resend is
 * feeding the wire from the store. */
void sess_end(sess *s)
{
    size_t len;
    const char *m = fix_build_finish(&s->g->b, &len);
    if (!m) {
        log_error("fix", "msg=\"outbound message too large, not sent\" comp=%s", s->comp);
        return;
    }
    uint64_t seq = fix_store_next_out(s->st);
    if (fix_store_append(s->st, m, len) != 0) {
        log_error("fix", "msg=\"out of memory storing a message\" comp=%s", s->comp);
        if (s->c)
            gw_conn_kill(s->c, "out of memory", false);
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
    log_info("fix", "msg=\"session reject\" comp=%s ref_seq=%" PRIu64 " type=%s tag=%u reason=%d text=\"%s\"",
             s->comp, s->cur_seq, m->type, tag, reason, text);
    fix_builder *b = &s->g->b;
    sess_begin(s, "3");
    fix_add_int(b, TAG_RefSeqNum, (int64_t)s->cur_seq);
    if (tag)
        fix_add_int(b, TAG_RefTagID, tag);
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
            char t[64];
            snprintf(t, sizeof t, "Required tag missing: %u", *tags);
            sess_reject(s, m, *tags, REJ_REQUIRED, t);
            return false;
        }
    return true;
}

void sess_logout(sess *s, const char *text)
{
    if (s->logout_sent)
        return;
    sess_begin(s, "5");
    if (text)
        fix_add_str(&s->g->b, TAG_Text, text);
    sess_end(s);
    s->logout_sent = true;
    s->logout_at = s->g->mono;
}

static void send_heartbeat(sess *s, const fix_field *test_id)
{
    sess_begin(s, "0");
    if (test_id)
        fix_add_raw(&s->g->b, TAG_TestReqID, test_id->val, test_id->len);
    sess_end(s);
}

static void send_resend_request(sess *s, uint64_t from)
{
    log_info("fix", "msg=\"gap: resend requested\" comp=%s from=%" PRIu64, s->comp, from);
    sess_begin(s, "2");
    fix_add_int(&s->g->b, TAG_BeginSeqNo, (int64_t)from);
    fix_add_int(&s->g->b, TAG_EndSeqNo, 0);
    sess_end(s);
}

/* Protocol violation: Logout with the reason, then close once it is out. */
static void fail(sess *s, const char *text)
{
    conn *c = s->c;
    log_warn("fix", "msg=\"session ended\" comp=%s why=\"%s\"", s->comp, text);
    sess_logout(s, text);
    if (c)
        gw_conn_kill(c, text, true);
}

/* ---- Logon ------------------------------------------------------------------ */

static bool get_bounded(const fix_msg *m, uint32_t tag, char *out, size_t cap)
{
    const fix_field *f = fix_get(m, tag);
    return f && f->len > 0 && fix_get_str(m, tag, out, cap) == 0;
}

/* The first message of a connection: it must be a well-formed Logon. The
 * password then goes to the worker; nothing is answered before it is
 * known, and a refused Logon is answered only by closing. */
static void logon_first(gw *g, conn *c, const fix_msg *m)
{
    if (!is(m, "A")) {
        gw_conn_kill(c, "first message is not a Logon", false);
        return;
    }
    logon_req *l = &c->logon;
    memset(l, 0, sizeof *l);
    char password[256];
    int64_t seq, hb;
    const char *bad = NULL;
    if (!get_bounded(m, TAG_SenderCompID, l->comp, sizeof l->comp))
        bad = "SenderCompID(49) missing or longer than 32";
    else if (!field_is(m, TAG_TargetCompID, GW_COMP_ID))
        bad = "TargetCompID(56) must be CETS";
    else if (fix_get_int(m, TAG_MsgSeqNum, &seq) != 0 || seq < 1)
        bad = "MsgSeqNum(34) missing";
    else if (!field_is(m, TAG_EncryptMethod, "0"))
        bad = "EncryptMethod(98) must be 0";
    else if (fix_get_int(m, TAG_HeartBtInt, &hb) != 0 || hb < 0 || hb > g->o.max_heartbeat_s)
        bad = "HeartBtInt(108) missing or out of range";
    else if (!get_bounded(m, TAG_Username, l->user, sizeof l->user) ||
             !get_bounded(m, TAG_Password, password, sizeof password))
        bad = "Username(553) and Password(554) are required";
    else if (flag_yes(m, TAG_ResetSeqNumFlag) && seq != 1)
        bad = "ResetSeqNumFlag(141)=Y needs MsgSeqNum(34)=1";
    if (bad) {
        gw_conn_kill(c, bad, false);
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
    if (!s->participant) {
        s->participant = p->participant;
        fix_store_set_participant(s->st, p->participant);
        gw_participant_watch(g, p->participant);
    }
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
    s->gap_until = s->resend_end = 0;
    if (l->reset && fix_store_reset(s->st) != 0)
        log_error("fix", "msg=\"sequence reset failed\" comp=%s error=\"%s\"", s->comp,
                  fix_store_error(s->st));
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
    if (l->reset)
        fix_add_str(&g->b, TAG_ResetSeqNumFlag, "Y");
    sess_end(s);
    log_info("fix", "msg=\"logon\" comp=%s user=%s participant=%u conn=%u peer=%s in=%" PRIu64
             " out=%" PRIu64 " hb=%d reset=%d cod=%d",
             s->comp, s->user, s->participant, c->id, c->peer, l->seq, s->cursor - 1, s->hb_s,
             l->reset, s->cod);
    if (l->seq == expected) {
        fix_store_set_next_in(s->st, expected + 1);
    } else {
        send_resend_request(s, expected);
        s->gap_until = l->seq;
    }
}

void sess_on_auth(gw *g, conn *c, bool ok, const principal *p)
{
    logon_req *l = &c->logon;
    char err[256];
    if (!ok) {
        log_warn("fix", "msg=\"logon refused: unknown user or wrong password\" comp=%s user=%.60s peer=%s",
                 l->comp, l->user, c->peer);
        gw_conn_kill(c, "logon refused", false);
        return;
    }
    if (!(p->roles & (ROLE_TRADE | ROLE_VIEW | ROLE_ADMIN))) {
        gw_conn_kill(c, "the user may neither trade nor view", false);
        return;
    }
    sess *s = gw_session_get(g, l->comp, err, sizeof err);
    if (!s) {
        gw_conn_kill(c, err, false);
        return;
    }
    if (s->c) {
        gw_conn_kill(c, "this SenderCompID is logged on from another connection", false);
        return;
    }
    if (s->participant && s->participant != p->participant) {
        snprintf(err, sizeof err, "SenderCompID %s belongs to participant %u", s->comp,
                 s->participant);
        gw_conn_kill(c, err, false);
        return;
    }
    logon_accept(g, c, s, p);
}

/* ---- inbound, logged on ----------------------------------------------------- */

/* Checks every message gets once it is in sequence. false: rejected. */
static bool header_ok(sess *s, const fix_msg *m, bool possdup)
{
    for (int i = 0; i < m->n; i++)
        if (m->f[i].len == 0) {
            sess_reject(s, m, m->f[i].tag, REJ_NO_VALUE, "Tag specified without a value");
            return false;
        }
    const fix_field *st = fix_get(m, TAG_SendingTime), *orig = fix_get(m, TAG_OrigSendingTime);
    int64_t sent, orig_ns;
    if (!st) {
        sess_reject(s, m, TAG_SendingTime, REJ_REQUIRED, "Required tag missing: 52");
        return false;
    }
    if (parse_utc(st, &sent) != 0) {
        sess_reject(s, m, TAG_SendingTime, REJ_FORMAT,
                    "Incorrect data format for value: SendingTime");
        return false;
    }
    int64_t tol = (int64_t)s->g->o.sending_time_tolerance_s * 1000000000;
    int64_t skew = sent - wall_now();
    if (tol && !possdup && (skew > tol || skew < -tol)) {
        sess_reject(s, m, TAG_SendingTime, REJ_SENDING_TIME, "SendingTime accuracy problem");
        fail(s, "SendingTime accuracy problem");
        return false;
    }
    if (possdup && !is(m, "4")) {
        if (!orig) {
            sess_reject(s, m, TAG_OrigSendingTime, REJ_REQUIRED, "Required tag missing: 122");
            return false;
        }
        if (parse_utc(orig, &orig_ns) != 0 || orig_ns > sent) {
            sess_reject(s, m, TAG_OrigSendingTime, REJ_SENDING_TIME,
                        "OrigSendingTime after SendingTime");
            fail(s, "SendingTime accuracy problem");
            return false;
        }
    }
    return true;
}

static void on_resend_request(sess *s, const fix_msg *m)
{
    static const uint32_t req[] = {TAG_BeginSeqNo, TAG_EndSeqNo, 0};
    int64_t from, to;
    if (!sess_require(s, m, req))
        return;
    if (fix_get_int(m, TAG_BeginSeqNo, &from) != 0 || fix_get_int(m, TAG_EndSeqNo, &to) != 0 ||
        from < 1 || to < 0 || (to && to < from)) {
        sess_reject(s, m, TAG_EndSeqNo, REJ_VALUE,
                    "Value is incorrect (out of range) for this tag");
        return;
    }
    uint64_t last = fix_store_next_out(s->st) - 1;
    log_info("fix", "msg=\"resend asked\" comp=%s from=%" PRId64 " to=%" PRId64 " last=%" PRIu64,
             s->comp, from, to, last);
    if ((uint64_t)from > last)
        return; /* nothing of ours in that range */
    uint64_t end = to == 0 || (uint64_t)to > last ? last : (uint64_t)to;
    if ((uint64_t)from < s->cursor)
        s->cursor = (uint64_t)from;
    if (end > s->resend_end)
        s->resend_end = end;
}

static void on_sequence_reset(sess *s, const fix_msg *m, bool gap_fill)
{
    static const uint32_t req[] = {TAG_NewSeqNo, 0};
    int64_t to;
    if (!sess_require(s, m, req))
        return;
    uint64_t expected = fix_store_next_in(s->st);
    if (fix_get_int(m, TAG_NewSeqNo, &to) != 0 || (uint64_t)to < expected ||
        (gap_fill && (uint64_t)to <= s->cur_seq)) {
        sess_reject(s, m, TAG_NewSeqNo, REJ_VALUE, "NewSeqNo(36) would lower the sequence number");
        return;
    }
    fix_store_set_next_in(s->st, (uint64_t)to);
    gw_flush_later(s);
}

static void dispatch(gw *g, sess *s, const fix_msg *m)
{
    const char *t = m->type;
    if (t[1] == 0 && strchr("012345A", t[0])) {
        switch (t[0]) {
        case '0': /* Heartbeat: any traffic answers a TestRequest */
            break;
        case '1': {
            static const uint32_t req[] = {TAG_TestReqID, 0};
            if (sess_require(s, m, req))
                send_heartbeat(s, fix_get(m, TAG_TestReqID));
            break;
        }
        case '2':
            on_resend_request(s, m);
            break;
        case '3': {
            char ref[24] = "", text[256] = "";
            fix_get_str(m, TAG_RefSeqNum, ref, sizeof ref);
            fix_get_str(m, TAG_Text, text, sizeof text);
            log_warn("fix", "msg=\"peer rejected a message\" comp=%s ref_seq=%s text=\"%s\"",
                     s->comp, ref, text);
            break;
        }
        case '4':
            on_sequence_reset(s, m, true);
            break;
        case '5': {
            bool ours = s->logout_sent;
            sess_logout(s, NULL);
            log_info("fix", "msg=\"logout\" comp=%s initiated_by=%s", s->comp, ours ? "us" : "peer");
            gw_conn_kill(s->c, "logout", true);
            break;
        }
        case 'A':
            sess_reject(s, m, 0, REJ_OTHER, "Logon received while logged on");
            break;
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
        gw_conn_kill(s->c, "logout during a sequence gap", true);
        return;
    }
    if (is(m, "2")) {
        s->cur_seq = seq;
        if (header_ok(s, m, flag_yes(m, TAG_PossDupFlag)))
            on_resend_request(s, m);
        if (!s->c)
            return;
    }
    if (s->gap_until < expected) { /* no resend pending */
        send_resend_request(s, expected);
        s->gap_until = seq;
    } else if (seq > s->gap_until) {
        s->gap_until = seq;
    }
}

void sess_on_message(gw *g, conn *c, const fix_msg *m)
{
    if (c->state == CS_LOGON_WAIT) {
        logon_first(g, c, m);
        return;
    }
    sess *s = c->s;
    int64_t seq;
    if (fix_get_int(m, TAG_MsgSeqNum, &seq) != 0 || seq < 1) {
        fail(s, "MsgSeqNum(34) missing or not a number");
        return;
    }
    s->cur_seq = (uint64_t)seq;
    if (!field_is(m, TAG_SenderCompID, s->comp) || !field_is(m, TAG_TargetCompID, GW_COMP_ID)) {
        sess_reject(s, m,
                    field_is(m, TAG_SenderCompID, s->comp) ? TAG_TargetCompID : TAG_SenderCompID,
                    REJ_COMPID, "CompID problem");
        fail(s, "CompID problem");
        return;
    }
    bool possdup = flag_yes(m, TAG_PossDupFlag);
    if (is(m, "4") && !flag_yes(m, TAG_GapFillFlag)) { /* reset mode: the number does not count */
        if (header_ok(s, m, true))
            on_sequence_reset(s, m, false);
        return;
    }
    uint64_t expected = fix_store_next_in(s->st);
    if ((uint64_t)seq > expected) {
        on_gap(s, m, (uint64_t)seq, expected);
        return;
    }
    if ((uint64_t)seq < expected) {
        if (possdup)
            return; /* seen already */
        char t[128];
        snprintf(t, sizeof t, "MsgSeqNum too low, expecting %" PRIu64 " but received %" PRId64,
                 expected, seq);
        fail(s, t);
        return;
    }
    fix_store_set_next_in(s->st, expected + 1);
    gw_flush_later(s);
    if (header_ok(s, m, possdup))
        dispatch(g, s, m);
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
    if (out)
        gw_conn_write(s->c, out, len);
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
    if (orig)
        fix_add_raw(b, TAG_OrigSendingTime, orig->val, orig->len);
    for (int i = 1; i < m->n; i++) {
        uint32_t t = m->f[i].tag;
        if (t != TAG_SenderCompID && t != TAG_TargetCompID && t != TAG_MsgSeqNum &&
            t != TAG_PossDupFlag && t != TAG_SendingTime && t != TAG_OrigSendingTime &&
            t != TAG_PossResend)
            fix_add_raw(b, t, m->f[i].val, m->f[i].len);
    }
    size_t len;
    const char *out = fix_build_finish(b, &len);
    if (out)
        gw_conn_write(s->c, out, len);
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
            while (to <= s->resend_end && (!stored(s, to) || is_admin_type(g->rmsg.type)))
                to++;
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
        if (s->cursor > s->sent_hw)
            s->sent_hw = s->cursor;
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
    if (s->test_sent && s->last_recv > s->test_sent)
        s->test_sent = 0;
    if (s->test_sent) {
        if (g->mono - s->test_sent >= hb + grace)
            gw_conn_kill(s->c, "silent peer: no answer to TestRequest", false);
        return;
    }
    if (g->mono - s->last_recv >= hb + grace) {
        char id[32];
        snprintf(id, sizeof id, "TEST%" PRIu64, ++s->test_n);
        sess_begin(s, "1");
        fix_add_str(&g->b, TAG_TestReqID, id);
        sess_end(s);
        s->test_sent = g->mono;
        return;
    }
    if (g->mono - s->last_send >= hb)
        send_heartbeat(s, NULL);
}

void sess_offline(gw *g, sess *s)
{
    app_on_disconnect(g, s);
    md_on_disconnect(g, s);
    s->tss_sub = false;
    s->logout_sent = false;
    s->gap_until = s->resend_end = 0;
    if (fix_store_sync(s->st) != 0)
        log_error("fix", "msg=\"session store sync failed\" comp=%s error=\"%s\"", s->comp,
                  fix_store_error(s->st));
}
