/* tpg.c -- see tpg.h. */
#include "tpg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PGBIN "/usr/lib/postgresql/15/bin"

bool tpg_available(void)
{
    return access(PGBIN "/initdb", X_OK) == 0 && access(PGBIN "/pg_ctl", X_OK) == 0;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Run a command as the postgres user (the server refuses to run as root). */
static int as_postgres(const char *cmd)
{
    char line[3200];
    if (getuid() == 0)
        snprintf(line, sizeof line, "runuser -u postgres -- %s", cmd);
    else
        snprintf(line, sizeof line, "%s", cmd);
    return system(line);
}

static void pg_ctl(tpg *p, const char *what)
{
    char cmd[3000];
    if (strcmp(what, "start") == 0)
        snprintf(cmd, sizeof cmd,
                 "%s/pg_ctl -D %s/data -l %s/log -w -t 60 -o \"-p %d -k %s "
                 "-c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null",
                 p->bin, p->dir, p->dir, p->port, p->dir);
    else
        snprintf(cmd, sizeof cmd, "%s/pg_ctl -D %s/data -w -t 60 -m %s stop >/dev/null 2>&1",
                 p->bin, p->dir, what);
    if (as_postgres(cmd) != 0 && strcmp(what, "start") == 0) {
        char log[1200];
        snprintf(log, sizeof log, "cat %s/log >&2", p->dir);
        if (system(log) != 0) fprintf(stderr, "(no server log)\n");
        fail_msg("pg_ctl start failed");
    }
}

void tpg_start(tpg *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->bin, sizeof p->bin, "%s", PGBIN);
    const char *base = getenv("CETS_TEST_TMP");
    /* As root the server runs as the postgres user, who must reach its
     * directory: a build tree under a private directory (a clone in
     * mktemp -d, mode 0700) is not reachable, /tmp always is. */
    if (!base || !*base || getuid() == 0) base = "/tmp";
    mkdir(base, 0755);
    snprintf(p->dir, sizeof p->dir, "%s/pg-XXXXXX", base);
    assert_non_null(mkdtemp(p->dir));
    chmod(p->dir, 0777); /* the postgres user writes here */
    p->port = free_port();
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "%s/initdb -D %s/data -A trust -U postgres -E UTF8 --no-locale >/dev/null", p->bin,
             p->dir);
    if (as_postgres(cmd) != 0) fail_msg("initdb failed");
    pg_ctl(p, "start");
    p->running = true;
}

void tpg_stop(tpg *p, bool immediate)
{
    if (!p->running) return;
    pg_ctl(p, immediate ? "immediate" : "fast");
    p->running = false;
}

void tpg_restart(tpg *p)
{
    if (p->running) return;
    pg_ctl(p, "start");
    p->running = true;
}

void tpg_createdb(tpg *p, const char *name, char *url, size_t len)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "%s/createdb -h 127.0.0.1 -p %d -U postgres %s", p->bin, p->port,
             name);
    if (as_postgres(cmd) != 0) fail_msg("createdb %s failed", name);
    snprintf(url, len, "postgresql://postgres@127.0.0.1:%d/%s", p->port, name);
}

void tpg_destroy(tpg *p)
{
    tpg_stop(p, false);
    if (p->dir[0]) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
        if (system(cmd) != 0) fprintf(stderr, "tpg: could not remove %s\n", p->dir);
    }
}
