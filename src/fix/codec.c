/* codec.c -- FIX 4.4 framing, parsing and building (fix.h).
 *
 * A message on the wire is "8=FIX.4.4|9=<n>|" + n bytes of body +
 * "10=<ddd>|", where | is SOH and ddd is the sum of every byte before "10="
 * modulo 256. The parser trusts nothing: it frames with BodyLength, checks
 * that the CheckSum field follows exactly there, verifies the sum, and only
 * then splits the body into fields, each of which must be digits '=' value
 * SOH. Nothing is allocated; values point into the input.
 */
#include "fix.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cets/cets.h"
#include "tags.h"

static const char BEGIN[] = "8=FIX.4.4\x01";
#define BEGIN_LEN (sizeof BEGIN - 1)
#define BEGIN_VALUE_MAX 16 /* "FIX.4.4", "FIXT.1.1", ...: longer is not a BeginString */

const char *fix_status_name(fix_status s)
{
    switch (s) {
    case FIX_OK: return "ok";
    case FIX_NEED_MORE: return "need_more";
    case FIX_GARBAGE: return "garbage";
    case FIX_BAD_LENGTH: return "bad_body_length";
    case FIX_BAD_CHECKSUM: return "bad_checksum";
    case FIX_BAD_SYNTAX: return "bad_syntax";
    case FIX_TOO_BIG: return "too_big";
    case FIX_BAD_BEGIN: return "bad_begin_string";
    }
    return "unknown";
}

/* Where the next message could start: the next "8=FIX" after buf[0]. */
static size_t skip_to_start(const char *buf, size_t len)
{
    for (size_t i = 1; i + 5 <= len; i++)
        if (memcmp(buf + i, "8=FIX", 5) == 0) return i;
    return len > 4 ? len - 4 : 1; /* keep a tail that may begin "8=FI" */
}

/* Fields of the body. A tag is digits; "0" and "-<digits>" frame as fields
 * too, with tag FIX_TAG_INVALID: they are not garbage but a tag no
 * specification defines, which the session layer rejects by name. */
static fix_status split_fields(const char *p, const char *end, fix_msg *m)
{
    m->n = 0;
    while (p < end) {
        uint32_t tag = 0;
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9' && q - p < 9)
            tag = tag * 10 + (uint32_t)(*q++ - '0');
        if (q == p && q < end && *q == '-') { /* rare: "-1=x", framed as FIX_TAG_INVALID */
            const char *digits = ++q;
            while (q < end && *q >= '0' && *q <= '9' && q - digits < 9) q++;
            if (q == digits) return FIX_BAD_SYNTAX; /* "-=" is no tag */
            tag = FIX_TAG_INVALID;
        }
        if (q == p || q >= end || *q != '=') return FIX_BAD_SYNTAX;
        const char *v = ++q;
        while (q < end && *q != FIX_SOH) q++;
        if (q >= end) return FIX_BAD_SYNTAX;
        if (q - v > FIX_MAX_VALUE) return FIX_TOO_BIG;
        if (m->n >= FIX_MAX_FIELDS) return FIX_TOO_BIG;
        m->f[m->n++] = (fix_field){tag, (uint32_t)(q - v), v};
        p = q + 1;
    }
    return FIX_OK;
}

fix_status fix_parse(const char *buf, size_t len, fix_msg *m, size_t *used)
{
    *used = 0;
    if (len >= BEGIN_LEN + 2 && memcmp(buf, BEGIN, BEGIN_LEN) == 0) /* the usual case */
        goto begin_ok;
    /* "8=FIX": the start of a message; anything else before it is garbage */
    size_t pre = len < 5 ? len : 5;
    if (memcmp(buf, "8=FIX", pre) != 0) {
        *used = skip_to_start(buf, len);
        return FIX_GARBAGE;
    }
    const char *soh = memchr(buf, FIX_SOH, len < 2 + BEGIN_VALUE_MAX ? len : 2 + BEGIN_VALUE_MAX);
    if (!soh) {
        if (len < 2 + BEGIN_VALUE_MAX) return FIX_NEED_MORE;
        *used = skip_to_start(buf, len);
        return FIX_GARBAGE;
    }
    if ((size_t)(soh - buf) + 1 != BEGIN_LEN || memcmp(buf, BEGIN, BEGIN_LEN) != 0) {
        *used = skip_to_start(buf, len); /* another FIX version: the session says so */
        return FIX_BAD_BEGIN;
    }
    if (len < BEGIN_LEN + 2) return FIX_NEED_MORE;
begin_ok:
    if (buf[BEGIN_LEN] != '9' || buf[BEGIN_LEN + 1] != '=') {
        *used = skip_to_start(buf, len); /* BodyLength must be the second field */
        return FIX_BAD_LENGTH;
    }
    size_t i = BEGIN_LEN + 2, body = 0;
    while (i < len && buf[i] >= '0' && buf[i] <= '9' && i - BEGIN_LEN - 2 < 6)
        body = body * 10 + (size_t)(buf[i++] - '0');
    if (i >= len) return i - BEGIN_LEN - 2 < 6 ? FIX_NEED_MORE : (*used = 1, FIX_BAD_LENGTH);
    if (buf[i] != FIX_SOH || i == BEGIN_LEN + 2) {
        *used = skip_to_start(buf, len);
        return FIX_BAD_LENGTH;
    }
    size_t body_start = i + 1, trailer = body_start + body, total = trailer + 7;
    if (total > FIX_MAX_MSG) {
        *used = skip_to_start(buf, len);
        return FIX_TOO_BIG;
    }
    if (len < total) return FIX_NEED_MORE;
    if (memcmp(buf + trailer, "10=", 3) != 0 || buf[trailer + 6] != FIX_SOH ||
        buf[trailer - 1] != FIX_SOH) {
        *used = skip_to_start(buf, len);
        return FIX_BAD_LENGTH;
    }
    unsigned sum = 0;
    for (size_t k = 0; k < trailer; k++) sum += (unsigned char)buf[k];
    const char *cs = buf + trailer + 3;
    if (cs[0] < '0' || cs[0] > '9' || cs[1] < '0' || cs[1] > '9' || cs[2] < '0' || cs[2] > '9' ||
        (unsigned)((cs[0] - '0') * 100 + (cs[1] - '0') * 10 + (cs[2] - '0')) != sum % 256) {
        *used = total;
        return FIX_BAD_CHECKSUM;
    }
    *used = total;
    fix_status st = split_fields(buf + body_start, buf + trailer, m);
    if (st != FIX_OK) return st;
    m->raw = buf;
    m->rawlen = total;
    m->type[0] = 0;
    if (m->n == 0 || m->f[0].tag != TAG_MsgType || m->f[0].len == 0 ||
        m->f[0].len >= sizeof m->type)
        return FIX_BAD_SYNTAX; /* MsgType must be the third field */
    memcpy(m->type, m->f[0].val, m->f[0].len);
    m->type[m->f[0].len] = 0;
    return FIX_OK;
}

int fix_find(const fix_msg *m, uint32_t tag, int from)
{
    for (int i = from < 0 ? 0 : from; i < m->n; i++)
        if (m->f[i].tag == tag) return i;
    return -1;
}

const fix_field *fix_get(const fix_msg *m, uint32_t tag)
{
    int i = fix_find(m, tag, 0);
    return i < 0 ? NULL : &m->f[i];
}

int fix_get_str(const fix_msg *m, uint32_t tag, char *out, size_t cap)
{
    const fix_field *f = fix_get(m, tag);
    if (!f || f->len >= cap) return -1;
    memcpy(out, f->val, f->len);
    out[f->len] = 0;
    return 0;
}

int fix_get_int(const fix_msg *m, uint32_t tag, int64_t *out)
{
    const fix_field *f = fix_get(m, tag);
    if (!f || f->len == 0 || f->len > 18) return -1;
    uint32_t i = 0;
    int neg = f->val[0] == '-';
    i += neg;
    if (i == f->len) return -1;
    int64_t v = 0;
    for (; i < f->len; i++) {
        if (f->val[i] < '0' || f->val[i] > '9') return -1;
        v = v * 10 + (f->val[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

int fix_get_price(const fix_msg *m, uint32_t tag, int64_t *fen)
{
    const fix_field *f = fix_get(m, tag);
    if (!f || f->len == 0 || f->len > 15) return -1;
    int64_t whole = 0, frac = 0;
    int digits = 0, fd = -1;
    for (uint32_t i = 0; i < f->len; i++) {
        char ch = f->val[i];
        if (ch == '.' && fd < 0 && digits > 0) {
            fd = 0;
        } else if (ch >= '0' && ch <= '9') {
            if (fd >= 0) {
                if (++fd > 2) {
                    if (ch != '0') /* 51.230 is fine, 51.234 is off the tick */
                        return -1;
                    continue;
                }
                frac = frac * 10 + (ch - '0');
            } else {
                whole = whole * 10 + (ch - '0');
                digits++;
            }
        } else {
            return -1;
        }
    }
    if (!digits || fd == 0) return -1;
    if (fd == 1) frac *= 10;
    *fen = whole * 100 + frac;
    return 0;
}

/* The parts of a UTCTimestamp, checked: d = year, month, day, hour, minute,
 * second; *frac_ns the fraction. 0 or -1. */
static int utc_parts(const char *v, size_t len, int d[6], int64_t *frac_ns)
{
    if (len < 17 || v[8] != '-' || v[11] != ':' || v[14] != ':') return -1;
    static const int pos[6][2] = {{0, 4}, {4, 2}, {6, 2}, {9, 2}, {12, 2}, {15, 2}};
    for (int k = 0; k < 6; k++) {
        d[k] = 0;
        for (int i = 0; i < pos[k][1]; i++) {
            char ch = v[pos[k][0] + i];
            if (ch < '0' || ch > '9') return -1;
            d[k] = d[k] * 10 + (ch - '0');
        }
    }
    int64_t frac = 0, scale = 1000000000;
    if (len > 17) {
        if (v[17] != '.' || len == 18 || len > 27) return -1;
        for (size_t i = 18; i < len; i++) {
            if (v[i] < '0' || v[i] > '9') return -1;
            frac = frac * 10 + (v[i] - '0');
            scale /= 10;
        }
    }
    if (d[1] < 1 || d[1] > 12 || d[2] < 1 || d[2] > 31 || d[3] > 23 || d[4] > 59 || d[5] > 60)
        return -1;
    if (d[0] < 1900 || d[0] > 2261) /* ns since 1970 in an int64: 1677-2262 */
        return -1;
    *frac_ns = frac * scale;
    return 0;
}

bool fix_utc_valid(const char *v, size_t len)
{
    int d[6];
    int64_t frac;
    return utc_parts(v, len, d, &frac) == 0;
}

int fix_parse_utc(const char *v, size_t len, int64_t *ns)
{
    int d[6];
    int64_t frac;
    if (utc_parts(v, len, d, &frac) != 0) return -1;
    /* the engine's calendar arithmetic: no timegm() per message */
    *ns = cets_time_at(d[0] * 10000 + d[1] * 100 + d[2], d[3], d[4], 0) +
          (int64_t)d[5] * 1000000000 + frac;
    return 0;
}

/* ---- building -------------------------------------------------------------- */

/* Decimal digits of v into out (no NUL); returns how many. The builder runs
 * once per field of every outbound message, so no printf here. */
static size_t fmt_u64(char *out, uint64_t v)
{
    char t[20];
    size_t n = 0;
    do t[n++] = (char)('0' + v % 10);
    while (v /= 10);
    for (size_t i = 0; i < n; i++) out[i] = t[n - 1 - i];
    return n;
}

static size_t fmt_i64(char *out, int64_t v)
{
    if (v >= 0) return fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

void fix_build_begin(fix_builder *b, const char *msg_type)
{
    b->blen = 0;
    b->olen = 0;
    b->overflow = 0;
    fix_add_str(b, TAG_MsgType, msg_type);
}

void fix_add_raw(fix_builder *b, uint32_t tag, const char *val, size_t len)
{
    char t[16];
    size_t tl = fmt_u64(t, tag);
    t[tl++] = '=';
    if (b->blen + tl + len + 1 > sizeof b->body) {
        b->overflow = 1;
        return;
    }
    memcpy(b->body + b->blen, t, tl);
    b->blen += tl;
    memcpy(b->body + b->blen, val, len);
    b->blen += len;
    b->body[b->blen++] = FIX_SOH;
}

void fix_add_str(fix_builder *b, uint32_t tag, const char *val)
{
    fix_add_raw(b, tag, val, strlen(val));
}

void fix_add_int(fix_builder *b, uint32_t tag, int64_t v)
{
    char s[24];
    fix_add_raw(b, tag, s, fmt_i64(s, v));
}

void fix_add_price(fix_builder *b, uint32_t tag, int64_t fen)
{
    char s[32];
    size_t n = 0;
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    if (fen < 0) s[n++] = '-';
    n += fmt_u64(s + n, a / 100);
    s[n++] = '.';
    s[n++] = (char)('0' + a % 100 / 10);
    s[n++] = (char)('0' + a % 10);
    fix_add_raw(b, tag, s, n);
}

void fix_add_time(fix_builder *b, uint32_t tag, int64_t ns)
{
    /* "YYYYMMDD-HH:MM:SS" changes once a second: keep it per thread */
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[72];
    static _Thread_local size_t cached_len;
    time_t sec = (time_t)(ns / 1000000000);
    if (sec != cached_sec) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        int n = snprintf(cached, sizeof cached, "%04d%02d%02d-%02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_len = n > 0 && (size_t)n < sizeof cached ? (size_t)n : 0;
        cached_sec = sec;
    }
    char s[80];
    int ms = (int)(ns / 1000000 % 1000);
    size_t n = cached_len;
    memcpy(s, cached, n);
    s[n++] = '.';
    s[n++] = (char)('0' + ms / 100);
    s[n++] = (char)('0' + ms / 10 % 10);
    s[n++] = (char)('0' + ms % 10);
    fix_add_raw(b, tag, s, n);
}

const char *fix_build_finish(fix_builder *b, size_t *len)
{
    if (b->overflow) return NULL;
    static const char begin[] = "8=FIX.4.4\x01"
                                "9=";
    size_t n = sizeof begin - 1;
    memcpy(b->out, begin, n);
    n += fmt_u64(b->out + n, b->blen);
    b->out[n++] = FIX_SOH;
    memcpy(b->out + n, b->body, b->blen);
    size_t total = n + b->blen;
    unsigned sum = 0;
    for (size_t i = 0; i < total; i++) sum += (unsigned char)b->out[i];
    sum %= 256;
    char *t = b->out + total;
    t[0] = '1', t[1] = '0', t[2] = '=';
    t[3] = (char)('0' + sum / 100), t[4] = (char)('0' + sum / 10 % 10),
    t[5] = (char)('0' + sum % 10);
    t[6] = FIX_SOH;
    total += 7;
    b->olen = total;
    *len = total;
    return b->out;
}
