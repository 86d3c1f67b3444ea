/* durable.c -- writing files so that they survive a crash.
 *
 * The rules are the usual POSIX ones, written down once: a write is durable
 * after fsync/fdatasync of the file; a new, renamed or removed name is durable
 * after fsync of its directory; a file is replaced atomically by writing a
 * temporary file, syncing it, and renaming it over the old one. Partial writes
 * and EINTR are retried, never treated as errors.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int jerr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

ssize_t jio_write_default(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx;
    return write(fd, buf, len);
}

int jio_sync_default(void *ctx, int fd, int is_dir)
{
    (void)ctx;
    return is_dir ? fsync(fd) : fdatasync(fd);
}

int jio_open_default(void *ctx, const char *path, int flags)
{
    (void)ctx;
    return open(path, flags, 0644);
}

int jio_truncate_default(void *ctx, int fd, off_t len)
{
    (void)ctx;
    return ftruncate(fd, len);
}

int jio_rename_default(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return rename(from, to);
}

int jio_unlink_default(void *ctx, const char *path)
{
    (void)ctx;
    return unlink(path);
}

int durable_write_all(const cets_journal_io *io, int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = io ? io->write(io->ctx, fd, p, len) : write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) { /* write(2) never does this for a regular file; do not spin */
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int durable_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* fsync the directory that holds path, so a name just created there persists. */
static int durable_sync_parent(const char *path)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash) return durable_sync_dir(".");
    if (slash == parent)
        slash[1] = 0; /* "/x": the root */
    else
        *slash = 0;
    return durable_sync_dir(parent);
}

int durable_mkdir(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return jerr(err, errlen, "%s: path too long", dir);
    /* Create each missing component, left to right, and make its name durable. */
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != 0) continue;
        char c = *p;
        *p = 0;
        if (mkdir(path, 0755) == 0) {
            if (durable_sync_parent(path) != 0)
                return jerr(err, errlen, "%s: cannot sync its parent: %s", path, strerror(errno));
        } else if (errno != EEXIST) {
            return jerr(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        }
        *p = c;
        if (c == 0) break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return jerr(err, errlen, "%s: not a directory", dir);
    return 0;
}

int durable_replace(const char *dir, const char *name, const void *buf, size_t len, char *err,
                    size_t errlen)
{
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return jerr(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
    if (durable_write_all(NULL, fd, buf, len) != 0 || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return jerr(err, errlen, "%s: cannot write: %s", tmp, strerror(saved));
    }
    if (close(fd) != 0) {
        int saved = errno;
        unlink(tmp);
        return jerr(err, errlen, "%s: cannot write: %s", tmp, strerror(saved));
    }
    if (rename(tmp, dst) != 0) {
        int saved = errno;
        unlink(tmp);
        return jerr(err, errlen, "%s: cannot rename to %s: %s", tmp, name, strerror(saved));
    }
    if (durable_sync_dir(dir) != 0)
        return jerr(err, errlen, "%s: cannot sync the directory: %s", dir, strerror(errno));
    return 0;
}

int durable_read_file(const char *path, unsigned char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *b = malloc(size ? size : 1);
    if (!b) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    while (got < size) {
        ssize_t n = read(fd, b + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            free(b);
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0) break; /* shrank under us: take what is there */
        got += (size_t)n;
    }
    close(fd);
    *buf = b;
    *len = got;
    return 0;
}
