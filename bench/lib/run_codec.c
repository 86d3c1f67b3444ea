/* run_codec.c -- the journal's record payload: the workload's commands
 * encoded and decoded as segment version 3 stores them (src/journal/record.c),
 * against the raw copy of versions 1 and 2 (the first cets_cmd_size() bytes,
 * read back by a copy and zeroing the rest).
 *
 * The commands are encoded in chunks into a buffer that stays in the cache
 * (as the journal thread's batch buffer does), then decoded back one by one
 * into the same cets_cmd, as a replay reads them; an untimed pass compares
 * each with the original, so the line also says the encoding lost nothing. The minimum of `repeat` passes is what it prints: this is a
 * CPU-bound loop, and the minimum is its cost without interference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/journal/journal_int.h" /* jrec_encode, jrec_decode, JREC3_ROOM */
#include "jsonl.h"
#include "runs.h"
#include "timing.h"

#define CODEC_CHUNK 4096 /* commands per chunk: one group commit's batch */

int run_codec(const workload *w, uint64_t repeat)
{
    unsigned char *buf = malloc((size_t)CODEC_CHUNK * JREC3_ROOM);
    uint32_t *lens = malloc(CODEC_CHUNK * sizeof *lens);
    if (!buf || !lens) {
        free(buf);
        free(lens);
        fprintf(stderr, "bench_engine: codec: out of memory\n");
        return -1;
    }
    double best_enc = 0, best_dec = 0, best_raw = 0;
    uint64_t bytes = 0, raw_bytes = 0, mismatches = 0, checksum = 0;
    for (uint64_t r = 0; r < repeat; r++) {
        int64_t enc_ns = 0, dec_ns = 0, raw_ns = 0;
        bytes = raw_bytes = 0;
        for (size_t at = 0; at < w->ncmds; at += CODEC_CHUNK) {
            size_t n = w->ncmds - at < CODEC_CHUNK ? w->ncmds - at : CODEC_CHUNK;
            const cets_cmd *in = w->cmds + at;
            int64_t t0 = timing_now_ns();
            unsigned char *p = buf;
            for (size_t i = 0; i < n; i++) {
                lens[i] = (uint32_t)jrec_encode(p, &in[i]);
                p += lens[i];
            }
            int64_t t1 = timing_now_ns();
            size_t room = (size_t)CODEC_CHUNK * JREC3_ROOM;
            p = buf;
            for (size_t i = 0; i < n; i++) { /* as a replay reads: into one command */
                cets_cmd c;
                mismatches += jrec_decode(p, lens[i], room - (size_t)(p - buf), 3, &c) != 0;
                checksum += (uint64_t)c.price ^ c.order_id;
                p += lens[i];
            }
            int64_t t2 = timing_now_ns();
            bytes += (uint64_t)(p - buf);
            p = buf;
            for (size_t i = 0; i < n; i++) { /* untimed: each came back whole */
                cets_cmd c;
                if (jrec_decode(p, lens[i], room - (size_t)(p - buf), 3, &c) != 0 ||
                    memcmp(&c, &in[i], sizeof c) != 0)
                    mismatches++;
                p += lens[i];
            }
            int64_t t2b = timing_now_ns();
            /* versions 1 and 2: the raw bytes, copied in and copied back */
            p = buf;
            for (size_t i = 0; i < n; i++) {
                size_t len = cets_cmd_size(&in[i]);
                memcpy(p, &in[i], len);
                lens[i] = (uint32_t)len;
                p += len;
            }
            raw_bytes += (uint64_t)(p - buf);
            p = buf;
            for (size_t i = 0; i < n; i++) {
                cets_cmd c;
                jrec_decode(p, lens[i], room - (size_t)(p - buf), 2, &c);
                checksum += (uint64_t)c.price ^ c.order_id;
                p += lens[i];
            }
            int64_t t3 = timing_now_ns();
            enc_ns += t1 - t0;
            dec_ns += t2 - t1;
            raw_ns += t3 - t2b;
        }
        double n = (double)w->ncmds;
        double e = (double)enc_ns / n, d = (double)dec_ns / n, c = (double)raw_ns / n;
        if (r == 0 || e < best_enc) best_enc = e;
        if (r == 0 || d < best_dec) best_dec = d;
        if (r == 0 || c < best_raw) best_raw = c;
    }
    free(buf);
    free(lens);
    jsonl_begin("journal_codec");
    jsonl_u64("commands", w->ncmds);
    jsonl_u64("repeat", repeat);
    jsonl_num("encode_ns", best_enc, 2);
    jsonl_num("decode_ns", best_dec, 2);
    jsonl_num("raw_copy_and_back_ns", best_raw, 2);
    jsonl_num("payload_bytes_per_command", (double)bytes / (double)w->ncmds, 1);
    jsonl_num("raw_payload_bytes_per_command", (double)raw_bytes / (double)w->ncmds, 1);
    jsonl_bool("match", mismatches == 0);
    jsonl_u64("checksum", checksum & 0xffff); /* keeps the decoded values live */
    jsonl_end();
    if (mismatches) {
        fprintf(stderr, "bench_engine: codec: %llu commands did not decode to themselves\n",
                (unsigned long long)mismatches);
        return -1;
    }
    return 0;
}
