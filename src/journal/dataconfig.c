/* dataconfig.c -- engine.config: the configuration a data directory runs under.
 *
 * A journal only means something under the rules that produced it: the same
 * commands under another band or fee rate give another state. So the
 * configuration is written into the directory once, when it is created, and
 * recovery always uses the stored one. Format (little-endian):
 *
 *     0  "CETSCFG1"   magic
 *     8  u32 version  1
 *    12  u32 size     sizeof(cets_config) of the build that wrote it
 *    16  the cets_config struct, raw
 *    16+size  u64 XXH3_64bits of everything before it
 *
 * A size that differs from this build's is refused rather than guessed at.
 */
#include "journal_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#define CFG_MAGIC "CETSCFG1"
#define CFG_VERSION 1u
/* engine.config is cets_config as it is in memory (src/engine/layout.c pins it). */
_Static_assert(CFG_VERSION == CETS_JOURNAL_VERSION,
               "the format changed: engine.config carries CETS_JOURNAL_VERSION");
#define CFG_NAME "engine.config"
#define CFG_LEN (16 + sizeof(cets_config) + 8)

int dataconfig_store(const char *dir, const cets_config *cfg, char *err, size_t errlen)
{
    unsigned char b[CFG_LEN];
    memcpy(b, CFG_MAGIC, 8);
    jput32(b + 8, CFG_VERSION);
    jput32(b + 12, (uint32_t)sizeof(cets_config));
    memcpy(b + 16, cfg, sizeof(cets_config));
    jput64(b + 16 + sizeof(cets_config), XXH3_64bits(b, 16 + sizeof(cets_config)));
    return durable_replace(dir, CFG_NAME, b, sizeof b, err, errlen);
}

int cets_data_config(const char *dir, cets_config *out, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, CFG_NAME);
    unsigned char *b;
    size_t len;
    if (durable_read_file(path, &b, &len) != 0) {
        if (errno == ENOENT) return 0;
        return jerr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    int rc = 1;
    if (len < 16 || memcmp(b, CFG_MAGIC, 8) != 0)
        rc = jerr(err, errlen, "%s: not an engine configuration (bad magic)", path);
    else if (jget32(b + 8) != CFG_VERSION || jget32(b + 12) != sizeof(cets_config))
        rc = jerr(err, errlen,
                  "%s: written by another build (version %u, %u bytes; this build: %u, %zu)", path,
                  jget32(b + 8), jget32(b + 12), CFG_VERSION, sizeof(cets_config));
    else if (len != CFG_LEN || jget64(b + len - 8) != XXH3_64bits(b, len - 8))
        rc = jerr(err, errlen, "%s: corrupt (length %zu or checksum mismatch)", path, len);
    else
        memcpy(out, b + 16, sizeof(cets_config));
    free(b);
    return rc;
}
