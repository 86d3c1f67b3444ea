/* fuzz_snapshot.c -- libFuzzer target: arbitrary bytes as an engine state
 * (cets_snapshot_load, cets.h) and as a snapshot file (cets_snapshot_read,
 * journal.h).
 *
 * Both may only return an engine or refuse with a message. An engine they
 * return must be usable: every query walks it, it saves again, the saved
 * bytes load into the same state (same hash, same bytes when saved once
 * more), and an end of day -- which touches every participant, order and
 * instrument -- runs on it without a crash.
 *
 * The first input byte is the mode. Mode bit 0 clear: the rest is written as
 * a snapshot file byte for byte (header, checksums, zstd frame and all). Bit
 * 0 set: the rest is the engine's own bytes; the target loads them with
 * cets_snapshot_load and also wraps them in a correct file (zstd frame,
 * header with checksums, named after the state's seq), which
 * cets_snapshot_read must then accept exactly when the buffer loader did,
 * into the same state. That way mutations reach the engine's state decoder
 * through the file reader's checksums too.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "cets/journal.h"
#include "fuzztmp.h"

enum { AS_STATE = 1 };

/* The snapshot file header of src/journal/snapshot.c: 56 bytes, little-endian:
 * magic, u32 version, u32 zstd level, u64 seq, u64 raw length, u64 packed
 * length, u64 XXH3 of the frame, u64 XXH3 of bytes 0..47. */
#define SNAP_HDR 56

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* The engine's bytes as a correct snapshot file for seq. */
static unsigned char *snap_wrap(const uint8_t *raw, size_t rawlen, uint64_t seq, size_t *len)
{
    size_t bound = ZSTD_compressBound(rawlen);
    unsigned char *b = malloc(SNAP_HDR + bound);
    fuzz_check(b != NULL, "out of memory");
    size_t packed = ZSTD_compress(b + SNAP_HDR, bound, raw, rawlen, 1);
    fuzz_check(!ZSTD_isError(packed), "zstd: %s", ZSTD_getErrorName(packed));
    memcpy(b, "CETSSNP1", 8);
    put32(b + 8, 1);
    put32(b + 12, 1);
    put64(b + 16, seq);
    put64(b + 24, rawlen);
    put64(b + 32, packed);
    put64(b + 40, XXH3_64bits(b + SNAP_HDR, packed));
    put64(b + 48, XXH3_64bits(b, 48));
    *len = SNAP_HDR + packed;
    return b;
}

static void count_order(void *ctx, const cets_order_info *o)
{
    (void)o, ++*(uint64_t *)ctx;
}
static void count_trade(void *ctx, const cets_trade *t)
{
    (void)t, ++*(uint64_t *)ctx;
}
static void count_block(void *ctx, const cets_block_info *b)
{
    (void)b, ++*(uint64_t *)ctx;
}
static void count_auction(void *ctx, const cets_auction_info *a)
{
    (void)a, ++*(uint64_t *)ctx;
}
static void count_comp(void *ctx, const cets_compliance *c)
{
    (void)c, ++*(uint64_t *)ctx;
}
static void count_transfer(void *ctx, const cets_transfer_info *t)
{
    (void)t, ++*(uint64_t *)ctx;
}

/* Every query over the whole state. */
static void walk(const cets_engine *e)
{
    uint64_t n = 0;
    cets_totals t;
    cets_totals_get(e, &t);
    cets_orders_foreach(e, 0, count_order, &n);
    cets_trades_foreach(e, false, count_trade, &n);
    cets_trades_foreach(e, true, count_trade, &n);
    cets_blocks_foreach(e, 0, count_block, &n);
    cets_auctions_foreach(e, count_auction, &n);
    cets_compliance_foreach(e, 0, count_comp, &n);
    cets_transfers_foreach(e, 0, count_transfer, &n);
    uint32_t ni = cets_instrument_count(e), np = cets_participant_count(e);
    for (uint32_t i = 0; i < ni; i++) {
        cets_instrument_info in;
        cets_depth d;
        cets_instrument_get(e, i, &in);
        cets_depth_get(e, i, &d);
    }
    for (uint32_t p = 1; p <= np && p <= 1000; p++) {
        cets_participant_info pi;
        cets_statement st;
        cets_participant_get(e, p, &pi);
        cets_statement_get(e, p, &st);
        cets_orders_foreach(e, p, count_order, &n);
        for (uint32_t i = 0; i < ni; i++) {
            cets_holding h;
            cets_holding_get(e, p, i, &h);
        }
    }
    cets_day_stats stats[CETS_MAX_INSTRUMENTS];
    int64_t composite;
    int32_t date;
    cets_last_day_stats(e, stats, CETS_MAX_INSTRUMENTS, &composite, &date);
    cets_composite_price(e);
}

/* Save, load, save: the same state and the same bytes. */
static void roundtrip(const cets_engine *e)
{
    void *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    fuzz_check(cets_snapshot_save(e, &b1, &n1) == 0, "cannot save a loaded state");
    const char *why = NULL;
    cets_engine *e2 = cets_snapshot_load(b1, n1, &why);
    fuzz_check(e2 != NULL, "a saved state does not load again: %s", why ? why : "?");
    fuzz_check(cets_state_hash(e2) == cets_state_hash(e), "a saved state loads as another state");
    fuzz_check(cets_snapshot_save(e2, &b2, &n2) == 0, "cannot save a reloaded state");
    fuzz_check(n1 == n2 && memcmp(b1, b2, n1) == 0, "saving a reloaded state gives other bytes");
    cets_engine_free(e2);
    free(b1);
    free(b2);
}

/* The end of the day after the close: lapses, statistics, statements. */
static void end_of_day(cets_engine *e)
{
    const cets_config *c = cets_engine_config(e);
    int64_t ts = cets_time_at(cets_trading_date(e), 15, 30, c->tz_offset_min);
    if (ts < cets_last_ts(e)) ts = cets_last_ts(e);
    cets_cmd cmd = {.seq = cets_last_seq(e) + 1,
                    .ts = ts,
                    .type = CETS_CMD_END_OF_DAY,
                    .actor = CETS_EXCHANGE_ID,
                    .participant = CETS_EXCHANGE_ID};
    cets_result r;
    cets_apply(e, &cmd, &r);
    walk(e);
}

static void exercise(cets_engine *e)
{
    walk(e);
    roundtrip(e);
    end_of_day(e);
}

static cets_engine *read_file(const char *name, char *err, size_t errlen)
{
    char path[600];
    fuzz_path(path, sizeof path, name);
    uint64_t seq = 0;
    cets_engine *e = cets_snapshot_read(path, &seq, err, errlen);
    fuzz_check(e || err[0], "cets_snapshot_read refused without a message");
    fuzz_check(!e || cets_last_seq(e) == seq, "read seq %" PRIu64 ", the state is at %" PRIu64, seq,
               e ? cets_last_seq(e) : 0);
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[0];
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    char err[512] = "";
    fuzz_clear();
    if (!(mode & AS_STATE)) {
        fuzz_write("snapshot-00000000000000000001.snap", body, n);
        cets_engine *e = read_file("snapshot-00000000000000000001.snap", err, sizeof err);
        if (e) exercise(e);
        cets_engine_free(e);
        return 0;
    }
    const char *why = NULL;
    cets_engine *e = cets_snapshot_load(body, n, &why);
    fuzz_check(e || (why && why[0]), "cets_snapshot_load refused without a message");
    uint64_t seq = e ? cets_last_seq(e) : n;
    size_t flen;
    unsigned char *file = snap_wrap(body, n, seq, &flen);
    char name[64];
    snprintf(name, sizeof name, "snapshot-%020" PRIu64 ".snap", seq);
    fuzz_write(name, file, flen);
    free(file);
    cets_engine *f = read_file(name, err, sizeof err);
    fuzz_check(!e == !f, "the buffer loader %s, the file reader %s (%s)",
               e ? "accepted" : "refused", f ? "accepted" : "refused", f ? "" : err);
    if (e) {
        fuzz_check(cets_state_hash(e) == cets_state_hash(f), "file and buffer load differently");
        exercise(e);
    }
    cets_engine_free(e);
    cets_engine_free(f);
    return 0;
}
