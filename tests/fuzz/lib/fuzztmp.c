/* fuzztmp.c -- see fuzztmp.h. */
#include "fuzztmp.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void fuzz_cleanup(void)
{
    fuzz_clear();
    rmdir(dir);
}

const char *fuzz_dir(void)
{
    if (dir[0]) return dir;
    struct stat st;
    const char *base = getenv("FUZZ_TMP");
    if (!base || !base[0])
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/cets-fuzz-XXXXXX", base);
    fuzz_check(mkdtemp(dir) != NULL, "cannot create a scratch directory under %s", base);
    atexit(fuzz_cleanup);
    return dir;
}

void fuzz_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", fuzz_dir(), name);
}

void fuzz_clear(void)
{
    DIR *d = opendir(fuzz_dir());
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[600];
        fuzz_path(p, sizeof p, de->d_name);
        unlink(p);
    }
    closedir(d);
}

void fuzz_write(const char *name, const void *buf, size_t len)
{
    char p[600];
    fuzz_path(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    fuzz_check(f != NULL, "cannot create %s", p);
    fuzz_check(len == 0 || fwrite(buf, 1, len, f) == len, "cannot write %s", p);
    fuzz_check(fclose(f) == 0, "cannot write %s", p);
}

unsigned char *fuzz_read(const char *name, size_t *len)
{
    char p[600];
    fuzz_path(p, sizeof p, name);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    fuzz_check(b != NULL, "out of memory");
    *len = n > 0 ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    return b;
}
