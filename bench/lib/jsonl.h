/* jsonl.h -- one JSON object per line on stdout, one line per result.
 *
 * Scripts read the benchmark's output with `jq` or a line-by-line parser, so
 * every figure goes into a flat object and the line is flushed at once.
 * Keys and string values are ours (no escaping needed).
 */
#ifndef BENCH_JSONL_H
#define BENCH_JSONL_H

#include <stdbool.h>
#include <stdint.h>

void jsonl_begin(const char *bench);
void jsonl_str(const char *key, const char *val);
void jsonl_u64(const char *key, uint64_t val);
void jsonl_i64(const char *key, int64_t val);
void jsonl_num(const char *key, double val, int decimals);
void jsonl_bool(const char *key, bool val);
void jsonl_end(void);

#endif
