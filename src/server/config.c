/* config.c -- see config.h. One table describes every key: its type, where it
 * lives in server_config and one line of help. Parsing is strict: an unknown
 * key or a value that does not parse whole is an error naming the line, since
 * a typo in an exchange's configuration should stop it, not be ignored. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

typedef enum ktype { K_STR, K_INT, K_U32, K_U64, K_BOOL, K_LEVEL, K_DATE } ktype;

typedef struct key {
    const char *name;
    ktype type;
    size_t off, size; /* size: of the char array for K_STR */
    long long min, max;
    const char *help;
} key;

#define OFF(f) offsetof(server_config, f)
#define STR(n, f, h)                                                                               \
    {                                                                                              \
        n, K_STR, OFF(f), sizeof(((server_config *)0)->f), 0, 0, h                                 \
    }
#define NUM(n, t, f, lo, hi, h)                                                                    \
    {                                                                                              \
        n, t, OFF(f), 0, lo, hi, h                                                                 \
    }

static const key keys[] = {
    STR("listen", listen, "address and port for HTTP (and WebSocket on /ws)"),
    STR("data_dir", data_dir, "journal, snapshots, engine.config, users.json"),
    STR("web_root", web_root,
        "dashboard files; empty = the first of <exe dir>/../web, <exe dir>/web, <data_dir>/web, "
        "./web"),
    STR("tls_cert", tls_cert, "PEM certificate; TLS is on when tls_cert and tls_key are both set"),
    STR("tls_key", tls_key, "PEM private key (may be the same file as tls_cert)"),
    STR("log_file", log_file, "empty = stderr"),
    STR("holidays", holidays,
        "holiday calendar (one YYYYMMDD per line, # comments), journaled at start from the trading "
        "date on; unreadable = cetsd stops; empty = none (weekdays trade: a warning)"),
    NUM("log_level", K_LEVEL, log_level, 0, 3, "debug, info, warn or error"),
    NUM("http_threads", K_INT, http_threads, 2, 1024,
        "civetweb: HTTP worker threads, one per open connection (each WebSocket holds one), so "
        "also the connection limit"),
    STR("frontend", frontend,
        "HTTP front end: evloop (h2o's event loop: thousands of connections and WebSockets, TLS) "
        "or civetweb (a thread per connection, no TLS; kept for now)"),
    NUM("http_io_threads", K_INT, http_io_threads, 1, 64, "evloop: I/O threads"),
    NUM("http_workers", K_INT, http_workers, 1, 1024,
        "evloop: handler threads (a request waiting for the journal holds one)"),
    NUM("http_request_timeout_ms", K_INT, http_request_timeout_ms, 100, 3600000,
        "evloop: deadline for a request's header and body, and a keep-alive connection's idle "
        "time"),
    NUM("http_max_connections", K_INT, http_max_connections, 1, 1000000,
        "evloop: open HTTP connections in all; one past it is closed at once"),
    NUM("http_max_connections_per_addr", K_INT, http_max_connections_per_addr, 1, 1000000,
        "evloop: open HTTP connections from one address; one past it is closed at once"),
    NUM("http_stop_drain_ms", K_INT, http_stop_drain_ms, 0, 600000,
        "evloop: at stop, how long the orders already submitted may take to be answered; those "
        "still on their way after it get no answer (their connections are left open until the "
        "process ends)"),
    NUM("ws_max_subscriptions", K_INT, ws_max_subscriptions, 1, 1000,
        "WebSocket: subscriptions one connection may hold (each channel, and each instrument of "
        "depth, trades and stats, counts one); one past it is refused (too_many_subscriptions)"),
    NUM("ws_max_message", K_INT, ws_max_message, 64, 1 << 20,
        "WebSocket: largest message a client may send, bytes (too_large above)"),
    NUM("ws_queue_max", K_INT, ws_queue_max, 16, 1 << 20,
        "WebSocket: messages queued for one client; one more and the client is cut off (close "
        "1008)"),
    NUM("ws_queue_max_bytes", K_INT, ws_queue_max_bytes, 65536, 1 << 30,
        "WebSocket: bytes queued for one client; past it the client is cut off (close 1008)"),
    NUM("session_ttl", K_INT, session_ttl_s, 60, 31 * 86400, "login token lifetime, seconds"),
    NUM("max_body", K_INT, max_body, 256, 64 << 20, "largest request body, bytes (413 above)"),
    NUM("batch_max_body", K_INT, batch_max_body, 256, 64 << 20,
        "largest body of POST /api/v1/orders/batch (up to 1000 orders), bytes (413 above)"),
    NUM("login_max_failures", K_INT, login_max_failures, 1, 1000,
        "failed logins of one user from one address before it is locked out there (429)"),
    NUM("login_max_address_failures", K_INT, login_max_address_failures, 1, 100000,
        "failed logins from one address, for any users, before the address is locked out (429)"),
    NUM("sessions_per_user", K_INT, sessions_per_user, 1, 1000,
        "live login sessions of one user; a login past it ends the user's oldest session"),
    NUM("start_date", K_DATE, start_date, 0, 0,
        "fresh data dir only: first trading date, today (a weekend: the Monday after) or "
        "YYYY-MM-DD"),
    NUM("enforce_sessions", K_BOOL, core.cfg.enforce_sessions, 0, 1,
        "fresh data dir only: accept orders only in the trading sessions"),
    NUM("max_batch", K_U32, core.max_batch, 1, 1 << 20, "commands per group commit, at most"),
    NUM("snapshot_every", K_U64, core.snapshot_every, 0, INT64_MAX,
        "commands between automatic snapshots (0 = only at shutdown)"),
    NUM("snapshot_keep", K_INT, core.snapshot_keep, 1, 1000, "snapshots kept"),
    NUM("bus_events", K_U32, core.bus_events, 16, 1 << 26,
        "events the core's event bus holds (a power of two; 280 bytes each): a WebSocket feed or "
        "FIX gateway this far behind is cut off and resynchronised (docs/architecture.md)"),
    STR("cluster_nats", cluster_nats,
        "cluster mode: the NATS servers holding the replicated journal, comma-separated; empty = "
        "the file journal in data_dir (docs/operations.md, \"Cluster mode\")"),
    STR("cluster_node", cluster_node,
        "cluster mode: this node's id, 1-32 of [A-Za-z0-9_-], unique"),
    STR("cluster_advertise", cluster_advertise,
        "cluster mode: this node's address as a standby names it to clients (empty: "
        "http://listen)"),
    STR("cluster_stream", cluster_stream, "cluster mode: the JetStream stream of the journal"),
    NUM("cluster_replicas", K_INT, cluster_replicas, 1, 5, "cluster mode: JetStream replicas"),
    NUM("cluster_lease_ms", K_INT, cluster_lease_ms, 500, 600000,
        "cluster mode: the leader's lease; a leader silent this long is replaced"),
    NUM("cluster_publish_timeout_ms", K_INT, cluster_publish_timeout_ms, 100, 600000,
        "cluster mode: how long a commit retries an unacknowledged publish"),
    NUM("cluster_snapshot_every", K_U64, cluster_snapshot_every, 0, INT64_MAX,
        "cluster mode: commands between snapshots the leader publishes for new nodes (0 = never)"),
    STR("fix_listen", fix_listen,
        "FIX 4.4 acceptor address and port (docs/fix.md); empty = no FIX gateway"),
    STR("fix_tls_cert", fix_tls_cert,
        "FIX over TLS 1.2/1.3: the PEM certificate (chain) file; with fix_tls_key the FIX listener "
        "speaks only TLS; empty = plain TCP"),
    STR("fix_tls_key", fix_tls_key, "FIX over TLS: the PEM private key file of fix_tls_cert"),
    NUM("fix_heartbeat_s", K_INT, fix_heartbeat_s, 1, 300,
        "FIX HeartBtInt used when a Logon asks for 0, seconds"),
    NUM("fix_cancel_on_disconnect", K_BOOL, fix_cancel_on_disconnect, 0, 1,
        "FIX: cancel a session's live orders when it disconnects (a Logon may ask with tag 20010)"),
    STR("backoffice_db", backoffice_db,
        "the back office's database (docs/backoffice.md): empty = SQLite "
        "<data_dir>/backoffice.sqlite; "
        "a postgresql:// URL for PostgreSQL"),
    NUM("backoffice_sql", K_BOOL, backoffice_sql, 0, 1,
        "project the journal into the back office's database (history API, bank and registry "
        "files)"),
    NUM("audit_log", K_BOOL, audit_log, 0, 1,
        "write the hash-chained audit log <data_dir>/audit.log as commands apply"),
    NUM("bars_1m_days", K_INT, bars_1m_days, 0, 36500,
        "days of 1-minute bars the back office keeps (0 = forever; daily bars are kept forever)"),
    NUM("backoffice_poll_ms", K_INT, backoffice_poll_ms, 1, 60000,
        "when caught up, the back office looks for new commands this often, milliseconds "
        "(a request that needs it current wakes it at once)"),
    NUM("report_audit_wait_ms", K_INT, report_audit_wait_ms, 0, 60000,
        "a daily report waits this long for the audit log to reach the day's close, milliseconds "
        "(then it goes out without the day's audit head, and the log says so)"),
    NUM("fix_max_connections", K_INT, fix_max_connections, 2, 1 << 20,
        "FIX connections at most, logged on or not"),
    NUM("fix_max_pending", K_INT, fix_max_pending, 1, 1 << 20,
        "FIX connections not logged on yet, at most: below fix_max_connections, the rest is kept "
        "for sessions"),
    NUM("fix_max_pending_per_addr", K_INT, fix_max_pending_per_addr, 1, 1 << 20,
        "FIX connections not logged on yet from one IP address, at most"),
    NUM("fix_logon_timeout_ms", K_INT, fix_logon_timeout_ms, 100, 600000,
        "FIX: a connection must send its Logon within this, ms"),
    NUM("fix_logout_timeout_ms", K_INT, fix_logout_timeout_ms, 100, 600000,
        "FIX: how long the exchange waits for the peer's answer to its Logout, or for the peer to "
        "close after answering one, ms"),
    NUM("demo", K_BOOL, demo, 0, 1,
        "seed a demo market (like --demo); a fresh data dir then ignores enforce_sessions"),
    NUM("demo_participants", K_U32, demo_participants, 1, 64,
        "demo: simulated traders, each a participant with a user traderNN"),
    NUM("demo_rate", K_U32, demo_rate, 0, 10000,
        "demo: the traders' orders, takes and cancels per second in all (0 = no traders)"),
    NUM("demo_seed", K_U64, demo_seed, 0, INT64_MAX, "demo: random seed"),
};
#define NKEYS (sizeof keys / sizeof keys[0])

void config_default(server_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->data_dir, sizeof c->data_dir, "./cetsd-data");
    c->log_level = LOG_INFO;
    c->http_threads = 128;
    c->session_ttl_s = 28800;
    c->max_body = 65536;
    snprintf(c->frontend, sizeof c->frontend, "evloop");
    c->ws_max_subscriptions = WS_DEFAULT_MAX_SUBSCRIPTIONS;
    c->ws_max_message = WS_DEFAULT_MAX_MESSAGE;
    c->ws_queue_max = WS_DEFAULT_QUEUE_MAX;
    c->ws_queue_max_bytes = WS_DEFAULT_QUEUE_MAX_BYTES;
    c->http_io_threads = 2;
    c->http_workers = 16;
    c->http_request_timeout_ms = 10000;
    c->http_max_connections = 10000;
    c->http_max_connections_per_addr = 1000;
    c->http_stop_drain_ms = 30000;
    c->batch_max_body = 1 << 20;
    c->login_max_failures = 5;
    c->login_max_address_failures = 50;
    c->sessions_per_user = 16;
    c->fix_heartbeat_s = 30;
    snprintf(c->cluster_stream, sizeof c->cluster_stream, "CETS");
    c->cluster_replicas = 3;
    c->cluster_lease_ms = 4000;
    c->cluster_publish_timeout_ms = 15000;
    c->cluster_snapshot_every = 1000000;
    c->fix_max_connections = 1024;
    c->fix_max_pending = 256;
    c->fix_max_pending_per_addr = 16;
    c->fix_logon_timeout_ms = 2000;
    c->fix_logout_timeout_ms = 2000;
    c->demo_participants = 24;
    c->demo_rate = 20;
    c->demo_seed = 1;
    c->backoffice_sql = true;
    c->audit_log = true;
    c->bars_1m_days = 30;
    c->backoffice_poll_ms = 10;
    c->report_audit_wait_ms = 5000;
    core_options_default(&c->core);
    c->core.data_dir = c->data_dir;
}

static const key *key_find(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

/* "2026-11-30" -> 20261130, or -1. */
static int64_t parse_date(const char *s)
{
    int y, m, d, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10) return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
    return (int64_t)y * 10000 + m * 100 + d;
}

static int parse_number(const key *k, const char *v, long long *out)
{
    if (k->type == K_BOOL) {
        if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
            return *out = 1, 0;
        if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
            return *out = 0, 0;
        return -1;
    }
    if (k->type == K_LEVEL) {
        static const char *lv[] = {"debug", "info", "warn", "error"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, lv[i])) return *out = i, 0;
        return -1;
    }
    if (k->type == K_DATE) {
        *out = strcmp(v, "today") == 0 ? 0 : parse_date(v);
        return *out < 0 ? -1 : 0;
    }
    char *end;
    errno = 0;
    *out = strtoll(v, &end, 10);
    if (errno || end == v || *end || !isdigit((unsigned char)v[0])) return -1;
    return *out < k->min || *out > k->max ? -1 : 0;
}

int config_set(server_config *c, const char *name, const char *value, char *err, size_t errlen)
{
    const key *k = key_find(name);
    if (!k) {
        snprintf(err, errlen, "unknown key \"%s\"", name);
        return -1;
    }
    char *p = (char *)c + k->off;
    if (k->type == K_STR) {
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", name, k->size - 1);
            return -1;
        }
        snprintf(p, k->size, "%s", value);
        return 0;
    }
    long long v;
    if (parse_number(k, value, &v) != 0) {
        snprintf(err, errlen, "%s: bad value \"%s\" (%s)", name, value, k->help);
        return -1;
    }
    switch (k->type) {
    case K_INT:
    case K_LEVEL: *(int *)p = (int)v; break;
    case K_U32: *(uint32_t *)p = (uint32_t)v; break;
    case K_U64: *(uint64_t *)p = (uint64_t)v; break;
    case K_BOOL: *(bool *)p = v != 0; break;
    case K_DATE: *(int64_t *)p = v; break;
    case K_STR: break;
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

int config_load(server_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048], why[512];
    int ln = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, ln);
            rc = -1;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = 0; /* no key or value contains '#' */
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, ln);
            rc = -1;
            break;
        }
        *eq = 0;
        if (config_set(c, trim(s), trim(eq + 1), why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, ln, why);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

static void print_value(const key *k, const server_config *c, FILE *out)
{
    const char *p = (const char *)c + k->off;
    static const char *lv[] = {"debug", "info", "warn", "error"};
    switch (k->type) {
    case K_STR: fprintf(out, "%s", p); break;
    case K_INT: fprintf(out, "%d", *(const int *)p); break;
    case K_LEVEL: fprintf(out, "%s", lv[*(const int *)p & 3]); break;
    case K_U32: fprintf(out, "%" PRIu32, *(const uint32_t *)p); break;
    case K_U64: fprintf(out, "%" PRIu64, *(const uint64_t *)p); break;
    case K_BOOL: fprintf(out, "%s", *(const bool *)p ? "true" : "false"); break;
    case K_DATE: {
        int64_t d = *(const int64_t *)p;
        if (d == 0)
            fprintf(out, "today");
        else
            fprintf(out, "%04d-%02d-%02d", (int)(d / 10000), (int)(d / 100 % 100), (int)(d % 100));
        break;
    }
    }
}

void config_print(const server_config *c, FILE *out)
{
    for (size_t i = 0; i < NKEYS; i++) {
        fprintf(out, "# %s\n%s = ", keys[i].help, keys[i].name);
        print_value(&keys[i], c, out);
        fprintf(out, "\n");
    }
}

void config_finish(server_config *c, int64_t now_ns)
{
    c->core.data_dir = c->data_dir;
    int32_t tz = c->core.cfg.tz_offset_min;
    int32_t date = (int32_t)c->start_date;
    if (date == 0) {
        /* today in the market's time zone; a weekend moves to Monday (holidays
         * are the operator's, loaded later as journaled commands). The
         * engine's calendar: cets_weekday, cets_date_add. */
        date = cets_date_of(now_ns, tz);
        while (cets_weekday(date) >= 5) date = cets_date_add(date, 1);
    }
    c->core.cfg.start_date = date;
}
