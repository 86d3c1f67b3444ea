/* test_cluster_msg.c -- the journal stream's batch message, without a server.
 *
 * A batch is written as CETSB3 (each command a one-byte length and the
 * journal's version 3 record payload) and read back as the same commands;
 * CETSB1 batches (u32 length and the raw cets_cmd bytes), which streams
 * written before 2026-12-07 hold, are still read; and a message that is not
 * a whole, canonical batch is refused with a message saying what is wrong.
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

#include "cets/journal.h"
#include "cluster/cluster_int.h"

static cets_cmd cmd(uint64_t seq, uint8_t type)
{
    cets_cmd c;
    memset(&c, 0, sizeof c);
    c.seq = seq;
    c.ts = 1796600000000000000 + (int64_t)seq * 1000;
    c.type = type;
    return c;
}

/* A post, a cancel, a deposit with its text, a take with every target, and
 * that take with every field at its widest: the longest payload. */
static size_t sample(cets_cmd *out)
{
    size_t n = 0;
    out[n] = cmd(101, CETS_CMD_POST);
    out[n].side = CETS_BUY;
    out[n].participant = 17;
    out[n].instrument = 2;
    out[n].price = 5123;
    out[n].qty = 400;
    out[n].client_ref = 77;
    n++;
    out[n] = cmd(102, CETS_CMD_CANCEL);
    out[n].participant = 17;
    out[n].order_id = 123456789;
    n++;
    out[n] = cmd(103, CETS_CMD_DEPOSIT);
    out[n].participant = 9;
    out[n].qty = 1000000000;
    snprintf(out[n].u.text, sizeof out[n].u.text, "bank ref 2026-12-07/0042");
    n++;
    out[n] = cmd(104, CETS_CMD_TAKE);
    out[n].participant = 4;
    out[n].side = CETS_SELL;
    out[n].ntargets = CETS_MAX_TARGETS;
    for (int i = 0; i < CETS_MAX_TARGETS; i++) {
        out[n].u.targets[i].order_id = UINT64_MAX - (uint64_t)i;
        out[n].u.targets[i].qty = INT64_MAX - i;
    }
    n++;
    out[n] = out[n - 1]; /* the take again, every head field at its widest too */
    out[n].seq = 105;
    out[n].flags = 0xff;
    out[n].actor = out[n].participant = out[n].user = out[n].counterparty = UINT32_MAX;
    out[n].instrument = UINT32_MAX;
    out[n].price = INT64_MIN;
    out[n].qty = INT64_MAX;
    out[n].order_id = out[n].client_ref = UINT64_MAX;
    out[n].aux = INT64_MIN;
    n++;
    return n;
}

static natsMsg *msg_of(const void *data, size_t len, const char *kind, uint64_t last)
{
    natsMsg *m = NULL;
    assert_int_equal(natsMsg_Create(&m, "CETS.j", NULL, data, (int)len), NATS_OK);
    char v[24];
    snprintf(v, sizeof v, "%llu", (unsigned long long)last);
    assert_int_equal(natsMsgHeader_Set(m, "Cets-Kind", kind), NATS_OK);
    assert_int_equal(natsMsgHeader_Set(m, "Cets-Last", v), NATS_OK);
    return m;
}

/* Decode data as a batch ending at seq last: 0 with out filled, or -1 with err. */
static int decode(const void *data, size_t len, uint64_t last, cl_msg *out, char *err,
                  size_t errlen)
{
    natsMsg *m = msg_of(data, len, "batch", last);
    int rc = cl_decode(m, out, err, errlen);
    natsMsg_Destroy(m);
    return rc;
}

static unsigned char *encode(const cets_cmd *c, size_t n, size_t *len)
{
    cl_batch *t = calloc(1, sizeof *t);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) assert_int_equal(cl_batch_add(t, &c[i]), 0);
    unsigned char *p = cl_batch_payload(t, 0, t->count, len);
    assert_non_null(p);
    free(t->buf);
    free(t->off);
    free(t);
    return p;
}

/* The layout streams written before CETSB3 hold. */
static unsigned char *encode_v1(const cets_cmd *c, size_t n, size_t *len)
{
    unsigned char *p = malloc(16 + n * (4 + sizeof *c) + 8);
    assert_non_null(p);
    uint32_t count = (uint32_t)n, zero = 0;
    memcpy(p, CL_BATCH_MAGIC, 8);
    memcpy(p + 8, &count, 4);
    memcpy(p + 12, &zero, 4);
    size_t off = 16;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = (uint32_t)cets_cmd_size(&c[i]);
        memcpy(p + off, &k, 4);
        memcpy(p + off + 4, &c[i], k);
        off += 4 + k;
    }
    uint64_t sum = XXH3_64bits(p, off);
    memcpy(p + off, &sum, 8);
    *len = off + 8;
    return p;
}

static void reseal(unsigned char *p, size_t len)
{
    uint64_t sum = XXH3_64bits(p, len - 8);
    memcpy(p + len - 8, &sum, 8);
}

static void expect_same(const cl_msg *m, const cets_cmd *c, size_t n)
{
    assert_int_equal(m->kind, 'b');
    assert_int_equal(m->n, n);
    assert_int_equal(m->last, c[n - 1].seq);
    for (size_t i = 0; i < n; i++)
        if (memcmp(&m->cmds[i], &c[i], sizeof c[i]) != 0) fail_msg("command %zu differs", i);
}

static void batch_round_trip(void **state)
{
    (void)state;
    cets_cmd c[8];
    size_t n = sample(c), len, len1;
    unsigned char *p = encode(c, n, &len);
    assert_memory_equal(p, CL_BATCH_MAGIC3, 8);
    cl_msg m;
    char err[256] = "";
    if (decode(p, len, c[n - 1].seq, &m, err, sizeof err) != 0) fail_msg("%s", err);
    expect_same(&m, c, n);
    cl_msg_free(&m);
    /* the widest command is the longest payload a length byte must hold */
    size_t off = 16;
    for (size_t i = 0; i + 1 < n; i++) off += 1 + p[off];
    assert_int_equal(p[off], CETS_CMD_CODE_MAX);
    assert_int_equal(off + 1 + p[off] + 8, len);
    /* and the whole batch is smaller than the raw layout's */
    unsigned char *p1 = encode_v1(c, 2, &len1);
    size_t len2;
    unsigned char *p2 = encode(c, 2, &len2);
    assert_true(len2 * 2 < len1);
    free(p1);
    free(p2);
    free(p);
}

static void old_batches_still_read(void **state)
{
    (void)state;
    cets_cmd c[8];
    size_t n = sample(c), len;
    unsigned char *p = encode_v1(c, n, &len);
    cl_msg m;
    char err[256] = "";
    if (decode(p, len, c[n - 1].seq, &m, err, sizeof err) != 0) fail_msg("%s", err);
    expect_same(&m, c, n);
    cl_msg_free(&m);
    free(p);
}

static void expect_refused(const unsigned char *p, size_t len, uint64_t last, const char *what)
{
    cl_msg m;
    char err[256] = "";
    assert_int_equal(decode(p, len, last, &m, err, sizeof err), -1);
    if (!strstr(err, what)) fail_msg("expected \"%s\" in \"%s\"", what, err);
    assert_null(m.cmds);
}

static void bad_batches_refused(void **state)
{
    (void)state;
    cets_cmd c[8];
    size_t n = sample(c), len;
    unsigned char *p = encode(c, n, &len);
    unsigned char *q = malloc(len);
    assert_non_null(q);
    uint64_t last = c[n - 1].seq;
    size_t second = 16 + 1 + p[16]; /* where the second command starts */

    memcpy(q, p, len); /* a byte changed: the checksum */
    q[20] ^= 1;
    expect_refused(q, len, last, "checksum or count wrong");
    memcpy(q, p, len); /* a format this build does not know */
    q[5] = '2';
    reseal(q, len);
    expect_refused(q, len, last, "bad batch header");
    memcpy(q, p, len); /* a spare bit of the first command's widths word */
    q[16 + 1 + 17 + 3] |= 0x80;
    reseal(q, len);
    expect_refused(q, len, last, "command 0 truncated or not a command");
    memcpy(q, p, len); /* a length shorter than any payload */
    q[second] = 20;    /* the fixed part alone is 21 */
    reseal(q, len);
    expect_refused(q, len, last, "command 1 truncated or not a command");
    memcpy(q, p, len); /* a length reaching past the commands */
    q[second] = 255;
    reseal(q, len);
    expect_refused(q, len, last, "command 1 truncated or not a command");
    memcpy(q, p, len); /* one command more than there are */
    uint32_t more = (uint32_t)n + 1;
    memcpy(q + 8, &more, 4);
    reseal(q, len);
    expect_refused(q, len, last, "truncated or not a command");
    memcpy(q, p, len); /* the second command's seq off by one */
    q[second + 1] ^= 3;
    reseal(q, len);
    expect_refused(q, len, last, "sequence break inside the batch");
    expect_refused(p, len, last + 1, "Cets-Last disagrees with the batch");
    expect_refused(p, 23, last, "bad batch header");
    free(q);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_round_trip),
        cmocka_unit_test(old_batches_still_read),
        cmocka_unit_test(bad_batches_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
