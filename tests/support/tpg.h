/* tpg.h -- a real PostgreSQL server for a test: Debian's postgresql-15
 * binaries, initdb and pg_ctl run as the postgres user (runuser when the test
 * runs as root), a cluster in a temporary directory, listening on 127.0.0.1
 * and a free port only, trust authentication for local connections. */
#ifndef CETS_TPG_H
#define CETS_TPG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tpg {
    char dir[512]; /* the cluster */
    char bin[256]; /* /usr/lib/postgresql/15/bin */
    int port;
    bool running;
} tpg;

/* Whether the binaries are installed (a test without them is skipped). */
bool tpg_available(void);
/* initdb and start. Fails the test when it cannot. */
void tpg_start(tpg *p);
/* Stop now ("immediate": like a crash of the database) or cleanly. */
void tpg_stop(tpg *p, bool immediate);
/* Start a stopped cluster again on the same port. */
void tpg_restart(tpg *p);
/* Create database name; its URL into url. */
void tpg_createdb(tpg *p, const char *name, char *url, size_t len);
/* Stop and remove the cluster. */
void tpg_destroy(tpg *p);

#endif
