/* test_fix_quickfix.c -- the FIX gateway against an independent, strict FIX
 * engine: for each scenario in tests/fix/scenarios/, a fresh exchange is
 * started in this process (fixtest.h) and the QuickFIX client
 * (tests/fix/qf_client.cpp, built when libquickfix-dev is installed) runs
 * the scenario against it with our data dictionary and validation on. A
 * scenario may ask for a restart of the exchange (same data, same port)
 * through a pipe; the client's exit status is the verdict. Every scenario
 * runs twice: over plain TCP, and over TLS ("tls/" before its name: the
 * gateway with fix_tls_cert/fix_tls_key, QuickFIX's SSL initiator verifying
 * the exchange's certificate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtest.h"
#include "tclock.h"

#ifndef CETS_SOURCE_DIR
#define CETS_SOURCE_DIR "."
#endif

static char client[1100];
static int fixed_port;
static bool use_tls;
static char certdir[600], cert[700], key[700];

typedef struct scenario {
    char *path;
    bool tls;
} scenario;

static void options(fix_gateway_options *o)
{
    static char listen[64];
    if (fixed_port) {
        snprintf(listen, sizeof listen, "127.0.0.1:%d", fixed_port);
        o->listen = listen;
    }
    if (use_tls) {
        o->tls_cert = cert;
        o->tls_key = key;
    }
}

/* Serve the client's restart requests until it exits; its exit status. */
static int supervise(fixsrv *srv, pid_t pid, int from_child, int to_child)
{
    int64_t deadline = tclock_ms() + 120000;
    for (;;) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (tclock_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fail_msg("the QuickFIX client did not finish within 120 s");
        }
        struct pollfd p = {.fd = from_child, .events = POLLIN};
        if (poll(&p, 1, 100) == 1 && (p.revents & POLLIN)) {
            char b[64];
            ssize_t n = read(from_child, b, sizeof b);
            if (n > 0 && strncmp(b, "restart", 7) == 0) {
                char dir[512];
                snprintf(dir, sizeof dir, "%s", srv->dir);
                fx_stop(srv);
                fx_start(srv, dir, options);
                if (write(to_child, "ok\n", 3) != 3) fail_msg("cannot answer the client");
            }
        }
    }
}

static void run_scenario(void **state)
{
    const scenario *sc = *state;
    const char *path = sc->path;
    if (access(client, X_OK) != 0) {
        print_message("qf_client not built (no libquickfix-dev): skipped\n");
        skip();
    }
    static fixsrv srv;
    fixed_port = 0;
    use_tls = sc->tls;
    if (use_tls && !certdir[0]) {
        const char *base = getenv("CETS_TEST_TMP");
        snprintf(certdir, sizeof certdir, "%s/qftls-XXXXXX", base && base[0] ? base : "/tmp");
        assert_non_null(mkdtemp(certdir));
        fx_make_cert(certdir);
        snprintf(cert, sizeof cert, "%s/cert.pem", certdir);
        snprintf(key, sizeof key, "%s/key.pem", certdir);
    }
    fx_start(&srv, NULL, options);
    fixed_port = srv.port;
    char work[600], port[16], dict[1100], cin[16], cout[16];
    snprintf(work, sizeof work, "%s/qf", srv.dir);
    mkdir(work, 0700);
    snprintf(port, sizeof port, "%d", srv.port);
    snprintf(dict, sizeof dict, "%s/docs/fix/CETS-FIX44.xml", CETS_SOURCE_DIR);
    int up[2], down[2]; /* child -> parent, parent -> child */
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    snprintf(cin, sizeof cin, "%d", down[0]);
    snprintf(cout, sizeof cout, "%d", up[1]);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        if (use_tls)
            execl(client, client, "--port", port, "--dict", dict, "--dir", work, "--ctl-in", cin,
                  "--ctl-out", cout, "--tls", cert, path, (char *)NULL);
        else
            execl(client, client, "--port", port, "--dict", dict, "--dir", work, "--ctl-in", cin,
                  "--ctl-out", cout, path, (char *)NULL);
        _exit(127);
    }
    close(up[1]);
    close(down[0]);
    int rc = supervise(&srv, pid, up[0], down[1]);
    close(up[0]);
    close(down[1]);
    fx_stop(&srv);
    if (rc != 0) fail_msg("scenario %s failed (exit %d); the client's message is above", path, rc);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

int main(void)
{
    char exe[1024] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    snprintf(client, sizeof client, "%s/qf_client", dirname(exe));
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tests/fix/scenarios", CETS_SOURCE_DIR);
    struct CMUnitTest tests[128];
    size_t nt = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) && nt + 2 <= 128) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0) continue;
        for (int tls = 0; tls < 2; tls++) {
            scenario *sc = calloc(1, sizeof *sc);
            char *name = malloc(len + 5);
            sc->path = malloc(strlen(dir) + len + 2);
            assert_true(sc && name && sc->path);
            sprintf(sc->path, "%s/%s", dir, de->d_name);
            sprintf(name, "%s%s", tls ? "tls/" : "", de->d_name);
            sc->tls = tls;
            tests[nt++] =
                (struct CMUnitTest){.name = name, .test_func = run_scenario, .initial_state = sc};
        }
    }
    if (d) closedir(d);
    if (!nt) {
        fprintf(stderr, "no scenarios in %s\n", dir);
        return 1;
    }
    qsort(tests, nt, sizeof tests[0], by_name);
    int rc = _cmocka_run_group_tests("fix_quickfix", tests, nt, NULL, NULL);
    for (size_t i = 0; i < nt; i++) {
        scenario *sc = tests[i].initial_state;
        free((char *)tests[i].name);
        free(sc->path);
        free(sc);
    }
    return rc;
}
