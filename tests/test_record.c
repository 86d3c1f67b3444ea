/* test_record.c -- the version 3 payload of a journal record (record.c).
 *
 * A command encodes and decodes to itself, every byte; the shortest and the
 * longest encodings are the format's limits, and a length one past either is
 * refused; every way a payload can differ from the one encoding of its
 * command is refused by the decoder; and a record whose checksum holds but
 * whose payload does not decode is damage that recovery names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../src/journal/journal_int.h"
#include "cets/journal.h"
#include "tjournal.h"

/* the int64 whose zigzag encoding is z */
static int64_t unzigzag_of(uint64_t z)
{
    return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static void expect_in(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* Encode, decode, compare the whole struct; the encoding's length. */
static size_t round_trip(const cets_cmd *c)
{
    unsigned char enc[JREC3_ROOM + 1];
    memset(enc, 0xa5, sizeof enc);
    size_t n = jrec_encode(enc, c);
    assert_true(n >= jrec_min(3) && n <= jrec_max(3));
    assert_int_equal(enc[JREC3_ROOM], 0xa5); /* nothing written past its room */
    cets_cmd back;
    memset(&back, 0x5a, sizeof back);
    assert_int_equal(jrec_decode(enc, (uint32_t)n, n, 3, &back), 0); /* from a copy */
    assert_memory_equal(&back, c, sizeof back);
    memset(&back, 0x5a, sizeof back);
    assert_int_equal(jrec_decode(enc, (uint32_t)n, n + 8, 3, &back), 0); /* in place */
    assert_memory_equal(&back, c, sizeof back);
    return n;
}

/* Zero fields take no byte: a command of seq alone is the shortest payload,
 * 21 bytes. Every field at its widest, and a take's eight targets with a last
 * byte that is not zero, make the longest, JREC3_MAX (212). */
static void test_limits(void **state)
{
    (void)state;
    cets_cmd c;
    memset(&c, 0, sizeof c);
    c.seq = 1;
    assert_int_equal(round_trip(&c), jrec_min(3));
    assert_int_equal(jrec_min(3), 21);

    memset(&c, 0xff, sizeof c); /* every u32 and u64 at its maximum, -1 in the signed */
    c.type = CETS_CMD_TAKE;
    c.ntargets = CETS_MAX_TARGETS;
    c.price = INT64_MIN; /* zigzag: the widest */
    c.qty = INT64_MIN;
    c.aux = INT64_MIN;
    assert_int_equal(round_trip(&c), JREC3_MAX);
    assert_int_equal(JREC3_MAX, 212);

    /* every width: the least and the greatest value of each round-trip in it
       (a 64-bit field of 7 bytes takes 8; a u32 of 3 bytes takes 4) */
    for (unsigned nb = 1; nb <= 8; nb++) {
        unsigned w64 = nb == 7 ? 8 : nb, w32 = nb == 3 ? 4 : nb;
        uint64_t lo = 1ull << (8 * (nb - 1)), hi = nb == 8 ? UINT64_MAX : (1ull << (8 * nb)) - 1;
        for (int k = 0; k < 2; k++) {
            memset(&c, 0, sizeof c);
            c.seq = 8;
            c.order_id = k ? hi : lo;
            assert_int_equal(round_trip(&c), jrec_min(3) + w64);
            c.qty = unzigzag_of(k ? hi : lo);
            assert_int_equal(round_trip(&c), jrec_min(3) + 2 * w64);
            if (nb > 4) continue;
            memset(&c, 0, sizeof c);
            c.seq = 8;
            c.participant = (uint32_t)(k ? hi : lo);
            assert_int_equal(round_trip(&c), jrec_min(3) + w32);
        }
    }
    /* signed values around zero */
    const int64_t vals[] = {1, -1, 127, -128, 128, 32767, -32769, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        memset(&c, 0, sizeof c);
        c.seq = 7;
        c.ts = vals[i];
        c.type = CETS_CMD_POST;
        c.price = vals[i];
        c.aux = vals[i] == INT64_MIN ? INT64_MAX : -vals[i];
        round_trip(&c);
    }
    /* a text that fills the union, and one that stops early */
    memset(&c, 0, sizeof c);
    c.seq = 9;
    c.type = CETS_CMD_RETIRE;
    memset(c.u.text, 'x', sizeof c.u.text);
    assert_int_equal(round_trip(&c), jrec_min(3) + sizeof c.u.text);
    c.u.text[3] = 0;
    c.u.text[10] = 0;
    round_trip(&c);
    /* bytes of the union the type does not use are not stored (as in version 2) */
    memset(&c, 0, sizeof c);
    c.seq = 3;
    c.type = CETS_CMD_CANCEL;
    c.u.text[0] = 'y';
    unsigned char enc[JREC3_ROOM];
    size_t n = jrec_encode(enc, &c);
    cets_cmd back;
    assert_int_equal(jrec_decode(enc, (uint32_t)n, n, 3, &back), 0);
    assert_int_equal(back.u.text[0], 0);
}

static void refused(const unsigned char *p, size_t len, const char *why)
{
    cets_cmd c;
    if (jrec_decode(p, (uint32_t)len, len, 3, &c) == 0) fail_msg("decoded: %s", why);
}

/* Every payload that is not the one encoding of a command is refused. */
static void test_refused(void **state)
{
    (void)state;
    unsigned char b[JREC3_ROOM], m[JREC3_ROOM + 8];
    cets_cmd c;
    memset(&c, 0, sizeof c);
    c.seq = 5;
    c.ts = 1000;
    c.type = CETS_CMD_POST;
    c.side = 1;
    c.actor = 300;  /* two bytes */
    c.price = 5000; /* zigzag 10000: two bytes */
    size_t n = jrec_encode(b, &c);
    assert_int_equal(n, 26);
    /* side: bit 0; actor width 2: class 2 at bits 3..4; price width 2: class 2 at 13..15 */
    assert_int_equal(jget32(b + 17), 0x1u | 2u << 3 | 2u << 13);
    assert_int_equal(jrec_decode(b, (uint32_t)n, n, 3, &c), 0);
    assert_int_equal(c.actor, 300);
    assert_int_equal(c.price, 5000);

    refused(b, 20, "shorter than seq, ts, type and widths");
    for (size_t k = 21; k < n; k++) refused(b, k, "a field cut short");

    memcpy(m, b, n);
    m[20] |= 0x10; /* bit 28: a spare bit */
    refused(m, n, "a spare bit of the widths");

    memcpy(m, b, n);
    m[21] = 0; /* side there but zero */
    refused(m, n, "a field of width 1 that is zero");

    /* actor 300 in 4 bytes (class 3) instead of 2 */
    memcpy(m, b, 24);
    jput32(m + 17, 0x1u | 3u << 3 | 2u << 13);
    m[24] = 0, m[25] = 0;
    memcpy(m + 26, b + 24, 2);
    refused(m, 28, "a u32 wider than it needs");
    /* actor 5 in 2 bytes */
    memcpy(m, b, n);
    m[22] = 5, m[23] = 0;
    refused(m, n, "a u32 of one byte in two");

    /* a 64-bit field: 2^48 - 1 (6 bytes) in 8 is refused, 2^48 (7 bytes) in 8 decodes */
    memset(m, 0, sizeof m);
    jput64(m, 1);
    jput32(m + 17, 7u << (13 + 3 * 2)); /* order_id, class 7: width 8 */
    jput64(m + 21, (1ull << 48) - 1);
    refused(m, 29, "a 64-bit field of 6 bytes in 8");
    jput64(m + 21, 1ull << 48);
    assert_int_equal(jrec_decode(m, 29, 29, 3, &c), 0);
    assert_int_equal(c.order_id, 1ull << 48);

    /* widths that claim more bytes than the payload has, in a heap block that
       ends 8 bytes after it (the room the decoder reads fields in place
       with): refused, and nothing read past the block (ASan) */
    for (size_t room = 21; room <= 29; room += 8) {
        unsigned char *h = malloc(room);
        assert_non_null(h);
        memset(h, 0, room);
        jput64(h, 1);
        jput32(h + 17, 0x0fffffffu); /* every field at its widest */
        assert_int_equal(jrec_decode(h, 21, room, 3, &c), -1);
        free(h);
    }

    /* union bytes: none for a post; a trailing zero for a retirement */
    memcpy(m, b, n);
    m[n] = 'z';
    refused(m, n + 1, "union bytes the type does not use");
    memset(&c, 0, sizeof c);
    c.seq = 1;
    c.type = CETS_CMD_RETIRE;
    strcpy(c.u.text, "abc");
    size_t r = jrec_encode(m, &c);
    assert_int_equal(r, 21 + 3);
    m[r] = 0;
    refused(m, r + 1, "a trailing zero in the union's bytes");
    assert_int_equal(jrec_decode(m, (uint32_t)r, r, 3, &c), 0);
}

static int setup(void **state)
{
    tjdir *d = malloc(sizeof *d);
    tj_init(d, "record");
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    tj_free(*state);
    free(*state);
    return 0;
}

/* A record's length at the limits of version 3 (21 and 212) is read, one
 * past them is "bad length"; a record whose checksum holds but whose payload
 * does not decode stops the reader, and recovery refuses it by name. */
static void test_record_damage(void **state)
{
    tjdir *d = *state;
    tstream s;
    cets_engine *e = tj_journaled(d, 30, 10, 0, &s);
    cets_engine_free(e);
    const char *seg = tj_seg(d, 1);
    off_t offs[64];
    assert_int_equal(tj_records(seg, offs, 64), 30);

    unsigned char rec[JREC_HDR + JREC3_MAX + 1];
    jrec jr;
    char bad[96];
    memset(rec, 0, sizeof rec);
    for (uint32_t len = 20; len <= JREC3_MAX + 1; len++) {
        jput64(rec + JREC_HDR, 1);            /* seq */
        rec[JREC_HDR + 16] = CETS_CMD_RETIRE; /* a text may run to 48 */
        jput32(rec + 8, jrec_word(len, 0));
        jput64(rec, XXH3_64bits(rec + 8, 4 + (size_t)len));
        int rc = jrec_check(rec, sizeof rec, 3, &jr, NULL, bad, sizeof bad);
        if (len < 21 || len > JREC3_MAX) {
            assert_int_equal(rc, -1);
            expect_in(bad, "bad length");
        } else if (len == 21) {
            assert_int_equal(rc, 0); /* the shortest: seq alone */
        } else {
            assert_int_equal(rc, -1); /* the length holds, the zero bytes are no encoding */
            expect_in(bad, "payload is not a command's encoding");
        }
    }

    /* the 16th record: a spare bit of its widths set, checksum fixed */
    FILE *f = fopen(seg, "r+b");
    assert_non_null(f);
    unsigned char hdr[JREC_HDR + JREC3_MAX];
    assert_int_equal(fseek(f, offs[15], SEEK_SET), 0);
    assert_int_equal(fread(hdr, 1, sizeof hdr, f) >= JREC_HDR + 21, 1);
    uint32_t len = jget32(hdr + 8) & JREC_LEN_MASK;
    hdr[JREC_HDR + 20] |= 0x80;
    jput64(hdr, XXH3_64bits(hdr + 8, 4 + (size_t)len));
    assert_int_equal(fseek(f, offs[15], SEEK_SET), 0);
    assert_int_equal(fwrite(hdr, 1, JREC_HDR + len, f), JREC_HDR + len);
    assert_int_equal(fclose(f), 0);

    char err[1024] = "";
    long n = cets_journal_scan(d->dir, 0, NULL, NULL, err, sizeof err);
    assert_true(n < 0 || n == 15);
    expect_in(err, "payload is not a command's encoding");
    uint64_t before = tj_digest(seg);
    cets_recovery rep;
    assert_null(cets_recover(d->dir, &d->cfg, NULL, NULL, &rep, err, sizeof err));
    expect_in(err, "payload is not a command's encoding");
    assert_int_equal(tj_digest(seg), before);
}

/* The public face of the codec (cets/journal.h, what the cluster's batch
 * messages use): the same bytes as the journal's, and lengths outside
 * CETS_CMD_CODE_MIN..MAX or past the readable room refused. */
static void test_public_codec(void **state)
{
    (void)state;
    cets_cmd c, back;
    memset(&c, 0, sizeof c);
    c.seq = 42;
    c.ts = 1796600000000000000;
    c.type = CETS_CMD_POST;
    c.side = CETS_SELL;
    c.participant = 3;
    c.price = 5000;
    c.qty = 10;
    unsigned char a[CETS_CMD_CODE_ROOM + 8], b[JREC3_ROOM];
    memset(a, 0, sizeof a);
    size_t n = cets_cmd_encode(a, &c);
    assert_int_equal(n, jrec_encode(b, &c));
    assert_memory_equal(a, b, n);
    assert_int_equal(cets_cmd_decode(a, n, sizeof a, &back), 0);
    assert_memory_equal(&back, &c, sizeof c);
    assert_int_equal(cets_cmd_decode(a, n, n - 1, &back), -1);        /* room short of len */
    assert_int_equal(cets_cmd_decode(a, n - 1, sizeof a, &back), -1); /* not its length */

    memset(&c, 0, sizeof c); /* the shortest: seq, ts, type, widths */
    n = cets_cmd_encode(a, &c);
    assert_int_equal(n, CETS_CMD_CODE_MIN);
    assert_int_equal(cets_cmd_decode(a, n, n, &back), 0);
    assert_int_equal(cets_cmd_decode(a, CETS_CMD_CODE_MIN - 1, sizeof a, &back), -1);
    memset(&c, 0xff, sizeof c); /* the longest, as in test_limits */
    c.type = CETS_CMD_TAKE;
    c.ntargets = CETS_MAX_TARGETS;
    c.price = c.qty = c.aux = INT64_MIN;
    n = cets_cmd_encode(a, &c);
    assert_int_equal(n, CETS_CMD_CODE_MAX);
    assert_int_equal(cets_cmd_decode(a, n, n, &back), 0);
    assert_int_equal(cets_cmd_decode(a, CETS_CMD_CODE_MAX + 1, sizeof a, &back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_public_codec),
        cmocka_unit_test_setup_teardown(test_record_damage, setup, teardown),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
