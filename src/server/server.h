/* server.h -- what the parts of cetsd share: the configuration and the
 * handles of the core, authentication, WebSocket hub and HTTP server. */
#ifndef CETS_SERVER_SERVER_H
#define CETS_SERVER_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

struct mg_context;
struct mg_connection;
typedef struct auth auth;
typedef struct ws_hub ws_hub;
typedef struct projection projection;
typedef struct backoffice backoffice;

/* The WebSocket limits' defaults (ws_* keys of the configuration). */
#define WS_DEFAULT_MAX_SUBSCRIPTIONS 200
#define WS_DEFAULT_MAX_MESSAGE 4096
#define WS_DEFAULT_QUEUE_MAX 4096
#define WS_DEFAULT_QUEUE_MAX_BYTES (4 << 20)

typedef struct server_config {
    char listen[128];    /* "127.0.0.1:8080" */
    char data_dir[1024]; /* "./cetsd-data" */
    char web_root[1024]; /* static dashboard files, "" = built-in path next to the binary */
    char tls_cert[1024]; /* PEM; TLS on when both cert and key are set */
    char tls_key[1024];
    char log_file[1024];         /* "" = stderr */
    char holidays[1024];         /* holiday calendar file, journaled at start; "" = none */
    int log_level;               /* 0 debug .. 3 error; 1 */
    int http_threads;            /* civetweb worker threads, 128 */
    char frontend[16];           /* "evloop" (evloop.c, default) or "civetweb" */
    int http_io_threads;         /* evloop: I/O threads, 2 */
    int http_workers;            /* evloop: handler threads, 16 */
    int http_request_timeout_ms; /* evloop: a request's header and body, and keep-alive idle, 10000 */
    int http_max_connections;    /* evloop: open connections in all, 10000 */
    int http_max_connections_per_addr; /* evloop: from one address, 1000 */
    int http_stop_drain_ms;            /* evloop: answering what is in flight at stop, 30000 */
    int ws_max_subscriptions;          /* WebSocket: subscriptions per connection */
    int ws_max_message;                /* WebSocket: bytes of one client message */
    int ws_queue_max;                  /* WebSocket: messages queued for one client, */
    int ws_queue_max_bytes;            /* or bytes, before it is cut off */
    int session_ttl_s;                 /* login token lifetime, 28800 */
    int max_body;                      /* bytes, 65536 */
    int batch_max_body;                /* bytes of POST /api/v1/orders/batch, 1048576 */
    int login_max_failures;            /* failures of one user from one address before 429, 5 */
    int login_max_address_failures;    /* failures from one address, any users, before 429, 50 */
    int sessions_per_user;             /* live login sessions of one user; the oldest ends, 16 */
    int64_t start_date;                /* for a fresh data dir; 0 = today (Asia/Shanghai) */
    bool demo;                         /* seed a demo market and run simulated traders */
    uint32_t demo_participants;        /* simulated traders, at most 64 */
    uint32_t demo_rate;                /* their actions per second in all (0 = none) */
    uint64_t demo_seed;
    /* cluster mode (src/cluster): the journal on NATS JetStream; "" = off */
    char cluster_nats[512];      /* NATS servers: "nats://127.0.0.1:4222,nats://127.0.0.1:4223" */
    char cluster_node[40];       /* this node's id, unique in the cluster */
    char cluster_advertise[256]; /* what a standby tells clients about this node when it leads */
    char cluster_stream[40];     /* "CETS" */
    int cluster_replicas;        /* 3 */
    int cluster_lease_ms;        /* 4000 */
    int cluster_publish_timeout_ms;  /* 15000 */
    uint64_t cluster_snapshot_every; /* 1000000 */
    char fix_listen[128];            /* FIX 4.4 acceptor, "" = off */
    char fix_tls_cert[1024];         /* PEM certificate chain: the FIX listener speaks TLS */
    char fix_tls_key[1024];          /* its PEM private key */
    int fix_heartbeat_s;             /* HeartBtInt when a Logon asks for 0; 30 */
    bool fix_cancel_on_disconnect;
    /* the back office (docs/backoffice.md) */
    char backoffice_db[1024];     /* "" = SQLite <data_dir>/backoffice.sqlite; postgresql://... */
    bool backoffice_sql;          /* the SQL projection (history, bank and registry files) */
    bool audit_log;               /* the live audit log, <data_dir>/audit.log */
    int bars_1m_days;             /* 1-minute bars kept this many days, 30 (0 = forever) */
    int backoffice_poll_ms;       /* the followers' look for new commands when caught up, 10 */
    int report_audit_wait_ms;     /* a daily report's wait for the audit log, 5000 */
    int fix_max_connections;      /* 1024 */
    int fix_max_pending;          /* 256: not logged on yet, in all */
    int fix_max_pending_per_addr; /* 16: not logged on yet, from one address */
    int fix_logon_timeout_ms;     /* 2000 */
    int fix_logout_timeout_ms;    /* 2000 */
    core_options core;
} server_config;

typedef struct server {
    server_config cfg;
    core *core;
    auth *auth;
    ws_hub *ws;
    projection *proj; /* bars, tapes, idempotency map: built from events */
    struct mg_context *mg;
    void *http_routes;            /* the front end's table of routes (http_civet.c) */
    struct evl *evl;              /* frontend = "evloop" (evloop.c) */
    struct demo_traders *traders; /* --demo: simulated traders */
    bus_reader *proj_reader;      /* the projection's place on the core's bus */
    backoffice *bo;               /* SQL projection and live audit log (src/backoffice) */
    cets_surveil *surveil;        /* abnormal-trading alerts, fed on the engine thread */
    volatile int stop;            /* set by SIGTERM/SIGINT */
} server;

#endif
