/* fuzztmp.h -- what the libFuzzer targets of tests/fuzz share: a private
 * scratch directory, small file helpers, and fuzz_check().
 *
 * fuzz_check() aborts with a message when a property of the code under test
 * does not hold. An abort is a finding like a crash: libFuzzer saves the
 * input, and the message says which promise (of journal.h, registry.h, ...)
 * was broken, so a finding is more than "it crashed".
 *
 * The directory lives on /dev/shm when there is one: the journal and
 * snapshot targets write files for every input, and tmpfs makes that much
 * faster than a disk.
 */
#ifndef CETS_FUZZTMP_H
#define CETS_FUZZTMP_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define fuzz_check(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The scratch directory: created at the first call, removed at exit. */
const char *fuzz_dir(void);
/* dir/name into out. */
void fuzz_path(char *out, size_t len, const char *name);
/* Remove every file in the scratch directory. */
void fuzz_clear(void);
/* Write (replace) dir/name. */
void fuzz_write(const char *name, const void *buf, size_t len);
/* Read dir/name into a malloc'd buffer; NULL when it is missing. */
unsigned char *fuzz_read(const char *name, size_t *len);

#endif
