/* audit_verify.c -- checking an audit log's chain, and `cets audit verify`.
 *
 * Each line is checked on its own (well formed, its hash matches its
 * content) and against the line before (its prev_hash is that line's hash,
 * its seq does not go back). The first line that fails is the broken link:
 * a changed byte fails its own line's hash; a removed, inserted or reordered
 * line fails the link of the line after the gap. Everything after the first
 * break is not looked at: once the chain is broken, later lines prove
 * nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit_int.h"

const char cets_audit_usage[] =
    "usage: cets audit verify FILE\n"
    "Checks the hash chain of an audit log (<data dir>/audit.log) and names the first\n"
    "broken link; the log of a running server too. Exit status: 0 intact, 1 broken or\n"
    "unreadable, 2 usage.\n";

static bool is_hex64(const char *s, size_t n)
{
    if (n != CETS_AUDIT_HASH_HEX) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

typedef struct chain {
    char prev[CETS_AUDIT_HASH_HEX + 1];
    uint64_t last_seq;
    long line;
} chain;

/* Check one line (without its newline) against the chain so far. NULL when it
 * holds, else what is wrong; *seq_text gets the line's seq field. */
static const char *verify_line(chain *c, const char *s, size_t n, char *seq_text, size_t cap)
{
    const char *bars[AUDIT_FIELDS];
    int nb = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '|' && nb++ < AUDIT_FIELDS) bars[nb - 1] = s + i;
    size_t seq_len = nb ? (size_t)(bars[0] - s) : n;
    snprintf(seq_text, cap, "%.*s", (int)(seq_len < 24 ? seq_len : 24), s);
    if (nb != AUDIT_FIELDS - 1) return "malformed line: wrong number of fields";
    char *end;
    errno = 0;
    uint64_t seq = strtoull(s, &end, 10);
    if (end != bars[0] || seq_len == 0 || s[0] == '-' || errno)
        return "malformed line: seq is not a number";
    const char *hash = bars[AUDIT_FIELDS - 2] + 1, *prev = bars[AUDIT_FIELDS - 3] + 1;
    if (!is_hex64(hash, (size_t)(s + n - hash)) || !is_hex64(prev, (size_t)(hash - 1 - prev)))
        return "malformed line: a hash is not 64 hex digits";
    char want[CETS_AUDIT_HASH_HEX + 1];
    audit_hash_hex(s, (size_t)(hash - 1 - s), want);
    if (memcmp(want, hash, CETS_AUDIT_HASH_HEX) != 0)
        return "the line does not match its hash: it was changed after it was written";
    if (memcmp(prev, c->prev, CETS_AUDIT_HASH_HEX) != 0)
        return c->line == 1 ? "prev_hash is not the chain's start (64 zeros): lines are missing "
                              "before it"
                            : "prev_hash is not the hash of the line before: a line was removed, "
                              "inserted or moved here";
    if (seq < c->last_seq) return "seq goes backwards";
    memcpy(c->prev, hash, CETS_AUDIT_HASH_HEX);
    c->last_seq = seq;
    return NULL;
}

int cets_audit_verify(const char *path, char *msg, size_t msglen)
{
    char scratch[16];
    if (!msg) {
        msg = scratch;
        msglen = sizeof scratch;
    }
    if (sodium_init() < 0) return snprintf(msg, msglen, "libsodium failed to start"), -1;
    FILE *f = fopen(path, "rb");
    if (!f) return snprintf(msg, msglen, "%s: %s", path, strerror(errno)), -1;
    chain c = {.line = 0};
    memcpy(c.prev, audit_zero_hash, sizeof c.prev);
    char *buf = NULL, seq_text[32];
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    long start = 0;
    while (rc == 0 && (got = getline(&buf, &cap, f)) > 0) {
        c.line++;
        bool torn = buf[got - 1] != '\n';
        if (torn) {
            /* a live server's log: its writer may be in the middle of a write
             * (one write() per batch); look once more before calling it torn */
            struct timespec nap = {0, 100 * 1000000};
            nanosleep(&nap, NULL);
            clearerr(f);
            ssize_t again;
            if (fseek(f, start, SEEK_SET) == 0 && (again = getline(&buf, &cap, f)) > 0) {
                got = again;
                torn = buf[got - 1] != '\n';
            }
        }
        start = ftell(f);
        const char *why = verify_line(&c, buf, (size_t)got - !torn, seq_text, sizeof seq_text);
        if (!why && torn) why = "the last line is torn (no newline): an unfinished write";
        if (why) {
            snprintf(msg, msglen, "%s:%ld: seq %s: %s", path, c.line, seq_text[0] ? seq_text : "?",
                     why);
            rc = 1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(msg, msglen, "%s: read error after line %ld", path, c.line);
        rc = -1;
    }
    if (rc == 0)
        snprintf(msg, msglen, "%s: %ld lines, chain intact, head %s", path, c.line, c.prev);
    free(buf);
    fclose(f);
    return rc;
}

int cets_audit_verify_main(int argc, char **argv)
{
    int i = 1;
    if (i < argc && strcmp(argv[i], "verify") == 0)
        i++; /* called as `audit verify FILE` or as `verify FILE` */
    if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
        fputs(cets_audit_usage, stdout);
        return 0;
    }
    if (argc - i != 1 || argv[i][0] == '-') {
        fprintf(stderr, "cets: audit verify takes one FILE\n%s", cets_audit_usage);
        return 2;
    }
    char msg[1024];
    int rc = cets_audit_verify(argv[i], msg, sizeof msg);
    if (rc == 0) {
        printf("%s\n", msg);
        return 0;
    }
    fprintf(stderr, "cets: %s\n", msg);
    return 1;
}
