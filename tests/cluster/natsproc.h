/* natsproc.h -- child processes for the cluster tests and benchmarks: a
 * three-node nats-server cluster with JetStream on 127.0.0.1 (free ports, a
 * temporary directory), and the small process helpers around it.
 * A failure calls the program's np_die (it must define one). */
#ifndef CETS_NATSPROC_H
#define CETS_NATSPROC_H

#include <stdbool.h>
#include <sys/types.h>

#define NP_NODES 3

typedef struct np_node {
    pid_t pid;
    int port, cport;
    char name[16], conf[700], log[700], store[700];
} np_node;

typedef struct np_cluster {
    np_node n[NP_NODES];
    char urls[512]; /* "nats://127.0.0.1:p1,nats://127.0.0.1:p2,..." */
} np_cluster;

void np_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

int np_free_port(void);
/* fork and exec argv with stdout and stderr appended to log; env_password,
 * if set, becomes CETSD_ADMIN_PASSWORD. */
pid_t np_spawn(const char *log, char *const argv[], const char *env_password);
/* Send sig and wait for the child. */
void np_reap(pid_t *pid, int sig);
void np_sleep_ms(long ms);

/* Configure the three servers under dir, start them, wait for JetStream. */
void np_start(np_cluster *c, const char *dir);
void np_start_node(np_cluster *c, int i);
void np_stop(np_cluster *c);
/* The node that leads stream `stream`, asked again until one is named (a
 * loaded machine's first answers time out), or -1 after NP_LEADER_WAIT_S. */
#define NP_LEADER_WAIT_S 30
int np_stream_leader(np_cluster *c, const char *stream);

#endif
