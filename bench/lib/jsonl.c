/* jsonl.c -- see jsonl.h. */
#include "jsonl.h"

#include <inttypes.h>
#include <stdio.h>

void jsonl_begin(const char *bench)
{
    printf("{\"bench\":\"%s\"", bench);
}
void jsonl_str(const char *key, const char *val)
{
    printf(",\"%s\":\"%s\"", key, val);
}
void jsonl_u64(const char *key, uint64_t val)
{
    printf(",\"%s\":%" PRIu64, key, val);
}
void jsonl_i64(const char *key, int64_t val)
{
    printf(",\"%s\":%" PRId64, key, val);
}
void jsonl_num(const char *key, double val, int decimals)
{
    printf(",\"%s\":%.*f", key, decimals, val);
}
void jsonl_bool(const char *key, bool val)
{
    printf(",\"%s\":%s", key, val ? "true" : "false");
}
void jsonl_end(void)
{
    printf("}\n");
    fflush(stdout);
}
