/* natsproc.c -- see natsproc.h. */
#include "natsproc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void np_sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

int np_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        np_die("no free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

pid_t np_spawn(const char *log, char *const argv[], const char *env_password)
{
    pid_t pid = fork();
    if (pid < 0) np_die("fork: %s", strerror(errno));
    if (pid == 0) {
        /* not left running when the harness dies (a failed check exits at once); forked by
         * the main thread, which lives as long as the harness */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        FILE *f = fopen(log, "a");
        if (f) {
            dup2(fileno(f), 1);
            dup2(fileno(f), 2);
        }
        if (env_password) setenv("CETSD_ADMIN_PASSWORD", env_password, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

void np_reap(pid_t *pid, int sig)
{
    if (*pid <= 0) return;
    kill(*pid, sig);
    waitpid(*pid, NULL, 0);
    *pid = 0;
}

void np_start_node(np_cluster *c, int i)
{
    char *argv[] = {"nats-server", "-c", c->n[i].conf, NULL};
    c->n[i].pid = np_spawn(c->n[i].log, argv, NULL);
}

/* Until JetStream answers (its meta leader is elected). */
static void wait_jetstream(np_cluster *c)
{
    for (int t = 0; t < 300; t++) {
        natsConnection *nc = NULL;
        jsCtx *js = NULL;
        jsAccountInfo *ai = NULL;
        bool ok = natsConnection_ConnectTo(&nc, c->urls) == NATS_OK &&
                  natsConnection_JetStream(&js, nc, NULL) == NATS_OK &&
                  js_GetAccountInfo(&ai, js, NULL, NULL) == NATS_OK;
        jsAccountInfo_Destroy(ai);
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        if (ok) return;
        np_sleep_ms(100);
    }
    np_die("JetStream did not come up (see %s)", c->n[0].log);
}

void np_start(np_cluster *c, const char *dir)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < NP_NODES; i++) {
        np_node *n = &c->n[i];
        n->port = np_free_port();
        n->cport = np_free_port();
        snprintf(n->name, sizeof n->name, "n%d", i + 1);
        snprintf(n->conf, sizeof n->conf, "%s/nats-%d.conf", dir, i + 1);
        snprintf(n->log, sizeof n->log, "%s/nats-%d.log", dir, i + 1);
        snprintf(n->store, sizeof n->store, "%s/nats-%d", dir, i + 1);
    }
    for (int i = 0; i < NP_NODES; i++) {
        FILE *f = fopen(c->n[i].conf, "w");
        if (!f) np_die("%s: %s", c->n[i].conf, strerror(errno));
        fprintf(f,
                "listen: 127.0.0.1:%d\nserver_name: %s\nmax_payload: 8MB\n"
                "jetstream { store_dir: \"%s\" }\n"
                "cluster { name: cets, listen: 127.0.0.1:%d, routes: [",
                c->n[i].port, c->n[i].name, c->n[i].store, c->n[i].cport);
        for (int k = 0, first = 1; k < NP_NODES; k++)
            if (k != i) {
                fprintf(f, "%snats-route://127.0.0.1:%d", first ? "" : ", ", c->n[k].cport);
                first = 0;
            }
        fprintf(f, "] }\n");
        fclose(f);
        char u[64];
        snprintf(u, sizeof u, "%snats://127.0.0.1:%d", i ? "," : "", c->n[i].port);
        strcat(c->urls, u);
    }
    for (int i = 0; i < NP_NODES; i++) np_start_node(c, i);
    wait_jetstream(c);
}

void np_stop(np_cluster *c)
{
    for (int i = 0; i < NP_NODES; i++) np_reap(&c->n[i].pid, SIGTERM);
}

/* One look: -1 when the stream info cannot be had (a busy server's
 * JetStream API answers after its 5 s wait) or names no leader. */
static int stream_leader_once(np_cluster *c, const char *stream)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    int who = -1;
    if (natsConnection_ConnectTo(&nc, c->urls) == NATS_OK &&
        natsConnection_JetStream(&js, nc, NULL) == NATS_OK &&
        js_GetStreamInfo(&si, js, stream, NULL, NULL) == NATS_OK && si->Cluster &&
        si->Cluster->Leader)
        for (int i = 0; i < NP_NODES; i++)
            if (strcmp(si->Cluster->Leader, c->n[i].name) == 0) who = i;
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return who;
}

int np_stream_leader(np_cluster *c, const char *stream)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int who = stream_leader_once(c, stream);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (who >= 0 || t.tv_sec - t0.tv_sec >= NP_LEADER_WAIT_S) return who;
        np_sleep_ms(200);
    }
}
