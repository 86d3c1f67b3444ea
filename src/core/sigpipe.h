/* sigpipe.h -- a process with network listeners ignores SIGPIPE.
 *
 * h2o (writev) and OpenSSL (its records and its close_notify) write to
 * sockets without MSG_NOSIGNAL: a peer gone mid-write must be an error on
 * that connection (EPIPE), not the end of the process. Called by every front
 * end and gateway before it listens (evloop.c, src/fix/tls.c). A disposition
 * the program chose itself (a handler, or SIG_IGN already) is left alone. */
#ifndef CETS_CORE_SIGPIPE_H
#define CETS_CORE_SIGPIPE_H

void sigpipe_ignore(void);

#endif
