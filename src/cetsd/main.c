/* main.c -- cetsd: the exchange as a service, and the one place its parts are
 * wired together: the server (core, HTTP/JSON, WebSocket: server/service.h)
 * and, beside it, the FIX gateway on the same core (fix/gateway.h). The two
 * gateways never know of each other.
 *
 *   cetsd [--config FILE] [--listen ADDR:PORT] [--data DIR] [--demo]
 *         [--log-level L] [--tls-self-signed] [--print-config]
 *
 * Configuration: compiled-in defaults, then the file, then the flags (so a
 * flag wins). SIGTERM or SIGINT stops it gracefully: HTTP stops accepting and
 * finishes its requests, the core finishes its queue, syncs and writes a
 * snapshot, and cetsd exits 0. docs/operations.md ("Running cetsd").
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "core/log.h"
#include "fix/gateway.h"
#include "server/config.h"
#include "server/server.h"
#include "server/service.h"
#include "server/tls.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cetsd [--config FILE] [--listen ADDR:PORT] [--data DIR] [--demo]\n"
            "             [--fix ADDR:PORT] [--log-level debug|info|warn|error] [--print-config]\n"
            "             [--tls-self-signed]\n"
            "Every configuration key is listed, with its default, by --print-config\n"
            "and in docs/cetsd.conf.example.\n");
}

/* Flags override the file: apply them after it. Returns 0, 1 (--print-config
 * or --help: done) or -1 (bad usage). */
static bool self_signed; /* --tls-self-signed */

static int parse_args(int argc, char **argv, server_config *c, bool *print)
{
    const char *file = NULL;
    char err[512];
    for (int i = 1; i < argc; i++) /* the file first, wherever --config is */
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) file = argv[++i];
    if (file && config_load(c, file, err, sizeof err) != 0) {
        fprintf(stderr, "cetsd: %s\n", err);
        return -1;
    }
    static const char *const with_value[][2] = {{"--listen", "listen"},
                                                {"--data", "data_dir"},
                                                {"--log-level", "log_level"},
                                                {"--fix", "fix_listen"}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *key = NULL;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            if (strcmp(a, with_value[k][0]) == 0) key = with_value[k][1];
        if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            i++;
        } else if (key && i + 1 < argc) {
            if (config_set(c, key, argv[++i], err, sizeof err) != 0) {
                fprintf(stderr, "cetsd: %s: %s\n", a, err);
                return -1;
            }
        } else if (strcmp(a, "--demo") == 0) {
            c->demo = true;
        } else if (strcmp(a, "--tls-self-signed") == 0) {
            self_signed = true;
        } else if (strcmp(a, "--print-config") == 0) {
            *print = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else {
            fprintf(stderr, "cetsd: unknown or incomplete argument \"%s\"\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* Cluster mode: the journal is the NATS stream, the core starts as a standby
 * and the lease decides when it leads (cluster/cluster.h). */
static core_backend *cluster_backend(server_config *c, char *err, size_t errlen)
{
    cluster_options o;
    cluster_options_default(&o);
    char adv[300];
    if (c->cluster_advertise[0])
        snprintf(adv, sizeof adv, "%s", c->cluster_advertise);
    else
        snprintf(adv, sizeof adv, "http://%s", c->listen);
    o.nats_url = c->cluster_nats;
    o.node_id = c->cluster_node;
    o.advertise = adv;
    o.data_dir = c->data_dir;
    o.stream = c->cluster_stream;
    o.replicas = c->cluster_replicas;
    o.lease_ttl_ms = c->cluster_lease_ms;
    o.publish_timeout_ms = c->cluster_publish_timeout_ms;
    o.snapshot_every = c->cluster_snapshot_every;
    core_backend *b = cluster_backend_new(&o, err, errlen);
    if (b) {
        c->core.backend = b;
        c->core.standby = true;
        c->core.demote_on_failure = true;
    }
    return b;
}

/* The FIX gateway on the server's core and credential store. */
static fix_gateway *fix_start(server *s, char *err, size_t errlen)
{
    fix_gateway_options fo;
    fix_gateway_options_default(&fo);
    char fixdir[1100];
    snprintf(fixdir, sizeof fixdir, "%s/fix", s->cfg.data_dir);
    fo.listen = s->cfg.fix_listen;
    fo.state_dir = fixdir;
    fo.heartbeat_s = s->cfg.fix_heartbeat_s;
    fo.cancel_on_disconnect = s->cfg.fix_cancel_on_disconnect;
    fo.max_connections = s->cfg.fix_max_connections;
    fo.max_pending = s->cfg.fix_max_pending;
    fo.max_pending_per_addr = s->cfg.fix_max_pending_per_addr;
    fo.logon_timeout_ms = s->cfg.fix_logon_timeout_ms;
    fo.logout_timeout_ms = s->cfg.fix_logout_timeout_ms;
    fo.tls_cert = s->cfg.fix_tls_cert;
    fo.tls_key = s->cfg.fix_tls_key;
    return fix_gateway_start_with(s->core, s->auth, &fo, err, errlen);
}

int main(int argc, char **argv)
{
    static server_config cfg;
    static server s;
    bool print = false;
    config_default(&cfg);
    int rc = parse_args(argc, argv, &cfg, &print);
    if (rc != 0) return rc < 0 ? 2 : 0;
    if (print) {
        config_print(&cfg, stdout);
        return 0;
    }
    if (cfg.demo) /* a demo should be tradable at any hour: seeds a fresh data dir only */
        cfg.core.cfg.enforce_sessions = false;
    FILE *logf = cfg.log_file[0] ? fopen(cfg.log_file, "a") : NULL;
    if (cfg.log_file[0] && !logf) {
        fprintf(stderr, "cetsd: cannot open log file %s\n", cfg.log_file);
        return 1;
    }
    log_setup(logf, (log_level)cfg.log_level);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    char err[1024];
    log_info("cetsd", "msg=\"starting\" data_dir=%s listen=%s", log_q(cfg.data_dir),
             log_q(cfg.listen));
    if (self_signed) { /* a local demo over https: a certificate of its own, on the event loop */
        char crt[1024], key[1024];
        if (tls_self_signed(cfg.data_dir, crt, sizeof crt, key, sizeof key, err, sizeof err) != 0) {
            fprintf(stderr, "cetsd: --tls-self-signed: %s\n", err);
            return 1;
        }
        snprintf(cfg.tls_cert, sizeof cfg.tls_cert, "%s", crt);
        snprintf(cfg.tls_key, sizeof cfg.tls_key, "%s", key);
        snprintf(cfg.frontend, sizeof cfg.frontend, "evloop");
        log_warn("cetsd",
                 "msg=\"TLS with a self-signed certificate: for a local demo only\" "
                 "cert=%s frontend=evloop",
                 log_q(crt));
    }
    core_backend *cb = NULL;
    if (cfg.cluster_nats[0] && !(cb = cluster_backend(&cfg, err, sizeof err))) {
        log_error("cetsd", "msg=\"cannot start\" error=%s", log_q(err));
        fprintf(stderr, "cetsd: %s\n", err);
        return 1;
    }
    if (service_start(&s, &cfg, err, sizeof err) != 0) {
        log_error("cetsd", "msg=\"cannot start\" error=%s", log_q(err));
        fprintf(stderr, "cetsd: %s\n", err);
        return 1;
    }
    fix_gateway *fix = NULL;
    cluster *cl = NULL;
    if ((cfg.fix_listen[0] && !(fix = fix_start(&s, err, sizeof err))) ||
        (cb && !(cl = cluster_start(cb, s.core, err, sizeof err)))) {
        log_error("cetsd", "msg=\"cannot start\" error=%s", log_q(err));
        fprintf(stderr, "cetsd: %s\n", err);
        fix_gateway_stop(fix);
        service_stop(&s);
        return 1;
    }
    while (!got_signal) {
        struct timespec t = {0, 100 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    s.stop = 1;
    log_info("cetsd", "msg=\"stopping\" signal=%d", (int)got_signal);
    cluster_stop(cl);      /* the lease is given back before anything stops */
    fix_gateway_stop(fix); /* before the core: its sessions submit to it */
    service_stop(&s);
    log_info("cetsd", "msg=\"stopped\" exit=0");
    if (logf) fclose(logf);
    return 0;
}
