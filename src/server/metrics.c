/* metrics.c -- GET /metrics (Prometheus text format 0.0.4) and GET /healthz.
 *
 * Figures come from core_get_stats() (commands, rejects by reason, latency
 * buckets, journal syncs), the HTTP status counters, the WebSocket hub and
 * the credential store (logins, failures, lockouts, sessions).
 * Every reason in the table is written, zeros included, so a rate() over a
 * reason that has not happened yet is 0 rather than missing.
 *
 * /healthz answers the last sequence number and the engine's state hash:
 * two servers (or one before and after a restart) with the same hash hold
 * the same business state. The hash walks the whole state under the shared
 * lock, so /healthz is for probes every few seconds, not for a tight loop.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "api.h"
#include "backoffice/backoffice.h"
#include "evloop.h"
#include "ws.h"

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void out(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return;
        b->p = p;
        b->cap = cap;
    }
}

static void metric(buf *b, const char *name, const char *type, const char *help)
{
    out(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void core_metrics(buf *b, const core_stats *st)
{
    metric(b, "cets_commands_total", "counter",
           "Commands applied by the engine (accepted or rejected).");
    out(b, "cets_commands_total %" PRIu64 "\n", st->applied);
    metric(b, "cets_commands_submitted_total", "counter", "Commands submitted to the core.");
    out(b, "cets_commands_submitted_total %" PRIu64 "\n", st->submitted);
    metric(b, "cets_rejects_total", "counter", "Commands rejected, by reason.");
    int codes[128];
    int n = cets_reason_all(codes, 128);
    for (int i = 0; i < n; i++)
        if (codes[i] > 0 && codes[i] < 1000)
            out(b, "cets_rejects_total{reason=\"%s\"} %" PRIu64 "\n", cets_reason_name(codes[i]),
                st->rejects_by_reason[codes[i]]);
    /* core.h: bucket i counts latencies < 2^(i+4) us; the last one, the rest */
    metric(b, "cets_command_latency_seconds", "histogram",
           "Submit to reply (durable and applied). No _sum: the core keeps buckets only.");
    uint64_t cum = 0;
    for (int i = 0; i < 15; i++) {
        cum += st->latency_buckets[i];
        out(b, "cets_command_latency_seconds_bucket{le=\"%.6f\"} %" PRIu64 "\n",
            (double)(1u << (i + 4)) / 1e6, cum);
    }
    cum += st->latency_buckets[15];
    out(b, "cets_command_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
    out(b, "cets_command_latency_seconds_count %" PRIu64 "\n", cum);
    metric(b, "cets_batches_total", "counter", "Group commits.");
    out(b, "cets_batches_total %" PRIu64 "\n", st->batches);
    metric(b, "cets_journal_sync_seconds_total", "counter", "Time in journal fdatasync.");
    out(b, "cets_journal_sync_seconds_total %.9f\n", st->sync_ns_total / 1e9);
    metric(b, "cets_journal_sync_seconds_max", "gauge", "Longest journal fdatasync.");
    out(b, "cets_journal_sync_seconds_max %.9f\n", st->sync_ns_max / 1e9);
    metric(b, "cets_journal_failures_total", "counter", "Failed group commits.");
    out(b, "cets_journal_failures_total %" PRIu64 "\n", st->journal_failures);
    metric(b, "cets_journal_ok", "gauge", "1 while the journal accepts writes.");
    out(b, "cets_journal_ok %d\n", st->journal_ok ? 1 : 0);
    metric(b, "cets_last_seq", "gauge", "Sequence number of the last applied command.");
    out(b, "cets_last_seq %" PRIu64 "\n", st->last_seq);
    metric(b, "cets_snapshots_total", "counter", "Snapshots written.");
    out(b, "cets_snapshots_total %" PRIu64 "\n", st->snapshots);
    metric(b, "cets_snapshot_failures_total", "counter", "Snapshots that could not be written.");
    out(b, "cets_snapshot_failures_total %" PRIu64 "\n", st->snapshot_failures);
}

/* The event bus: what was published, and per reader how far behind it is
 * and how often it was cut off (core/bus.h). */
static void bus_metrics(buf *b, bus *events)
{
    bus_reader_stats rs[16];
    int n = bus_stats(events, rs, 16);
    if (n > 16) n = 16;
    metric(b, "cets_bus_events_total", "counter", "Events published on the core's event bus.");
    out(b, "cets_bus_events_total %" PRIu64 "\n", bus_published(events));
    metric(b, "cets_bus_reader_behind", "gauge", "Events published and not yet read, per reader.");
    for (int i = 0; i < n; i++)
        out(b, "cets_bus_reader_behind{reader=\"%s\"} %" PRIu64 "\n", rs[i].name, rs[i].behind);
    metric(b, "cets_bus_reader_cut_offs_total", "counter",
           "Times a reader fell a whole bus behind and was cut off.");
    for (int i = 0; i < n; i++)
        out(b, "cets_bus_reader_cut_offs_total{reader=\"%s\"} %" PRIu64 "\n", rs[i].name,
            rs[i].cut_offs);
    metric(b, "cets_bus_reader_lost_total", "counter", "Events readers missed by being cut off.");
    for (int i = 0; i < n; i++)
        out(b, "cets_bus_reader_lost_total{reader=\"%s\"} %" PRIu64 "\n", rs[i].name, rs[i].lost);
}

static void auth_metrics(buf *b, auth *a)
{
    auth_stats st;
    memset(&st, 0, sizeof st);
    if (a) auth_get_stats(a, &st);
    metric(b, "cets_auth_logins_total", "counter", "Passwords accepted (HTTP logins, FIX Logons).");
    out(b, "cets_auth_logins_total %" PRIu64 "\n", st.logins);
    metric(b, "cets_auth_login_failures_total", "counter", "Passwords refused.");
    out(b, "cets_auth_login_failures_total %" PRIu64 "\n", st.login_failures);
    metric(b, "cets_auth_lockouts_total", "counter",
           "Lockouts begun: a user at an address, or an address, after too many failures.");
    out(b, "cets_auth_lockouts_total %" PRIu64 "\n", st.lockouts);
    metric(b, "cets_auth_locked_attempts_total", "counter",
           "Logins refused while locked out (429).");
    out(b, "cets_auth_locked_attempts_total %" PRIu64 "\n", st.limited);
    metric(b, "cets_auth_sessions", "gauge", "Live login sessions.");
    out(b, "cets_auth_sessions %" PRIu64 "\n", st.sessions);
    metric(b, "cets_auth_credentials_ended_total", "counter",
           "Sessions and API tokens ended, by reason.");
    for (int i = 1; i < AUTH_END_COUNT; i++)
        out(b, "cets_auth_credentials_ended_total{reason=\"%s\"} %" PRIu64 "\n",
            auth_end_name((auth_end)i), st.ended[i]);
}

/* The back office's followers (backoffice.h): where each stands, how far
 * behind the journal, whether it is failing (its database down, say). */
static void backoffice_metrics(buf *b, backoffice *bo)
{
    if (!bo) return;
    bo_status st;
    bo_get_status(bo, &st);
    const char *names[2] = {"sql", "audit"};
    const follower_stats *fs[2] = {st.sql ? &st.sql_st : NULL, st.audit ? &st.audit_st : NULL};
    metric(b, "cets_backoffice_position", "gauge",
           "The last command a back office follower has stored (SQL projection, audit log).");
    for (int i = 0; i < 2; i++)
        if (fs[i])
            out(b, "cets_backoffice_position{follower=\"%s\"} %" PRIu64 "\n", names[i],
                fs[i]->position);
    metric(b, "cets_backoffice_behind", "gauge", "Durable commands a follower has not stored yet.");
    for (int i = 0; i < 2; i++)
        if (fs[i])
            out(b, "cets_backoffice_behind{follower=\"%s\"} %" PRIu64 "\n", names[i],
                fs[i]->durable > fs[i]->position ? fs[i]->durable - fs[i]->position : 0);
    metric(b, "cets_backoffice_ok", "gauge", "1 while a follower stores, 0 while it is failing.");
    for (int i = 0; i < 2; i++)
        if (fs[i]) out(b, "cets_backoffice_ok{follower=\"%s\"} %d\n", names[i], fs[i]->ok ? 1 : 0);
    metric(b, "cets_backoffice_failures_total", "counter",
           "Times a follower failed and started over from its stored position.");
    for (int i = 0; i < 2; i++)
        if (fs[i])
            out(b, "cets_backoffice_failures_total{follower=\"%s\"} %" PRIu64 "\n", names[i],
                fs[i]->failures);
}

/* Alerts raised since the server started, by rule (surveil.c). */
static void alert_metrics(buf *b, server *s)
{
    uint64_t n[CETS_ALERT_RELATED + 1] = {0};
    const cets_engine *e = core_read_begin(s->core);
    uint32_t total = s->surveil ? cets_surveil_alerts(s->surveil, 0, NULL, 0) : 0;
    uint64_t lost = s->surveil ? cets_surveil_lost(s->surveil) : 0;
    for (uint32_t i = 0; i < total; i++) {
        cets_alert a;
        cets_surveil_alerts(s->surveil, i, &a, 1);
        n[a.rule <= CETS_ALERT_RELATED ? a.rule : 0]++;
    }
    (void)e;
    core_read_end(s->core);
    metric(b, "cets_alerts_total", "counter", "Abnormal-trading alerts raised, by rule.");
    for (int r = CETS_ALERT_SELF_TRADE; r <= CETS_ALERT_RELATED; r++)
        out(b, "cets_alerts_total{rule=\"%s\"} %" PRIu64 "\n", cets_alert_rule_name(r), n[r]);
    metric(b, "cets_surveil_lost_total", "counter",
           "Events the surveillance could not count, or alerts it could not raise, for lack of "
           "memory since the server started; not 0: its alerts are incomplete.");
    out(b, "cets_surveil_lost_total %" PRIu64 "\n", lost);
}

static int h_metrics(http_conn *conn, void *cb)
{
    server *s = cb;
    req r;
    if (!http_begin(&r, s, conn)) return r.status;
    core_stats *st = malloc(sizeof *st);
    uint64_t *http = calloc(600, sizeof *http);
    buf b = {0};
    if (st && http) {
        core_get_stats(s->core, st);
        http_status_counts(http);
        core_metrics(&b, st);
        bus_metrics(&b, core_bus(s->core));
        auth_metrics(&b, s->auth);
        backoffice_metrics(&b, s->bo);
        alert_metrics(&b, s);
        metric(&b, "cets_ws_clients", "gauge", "Open WebSocket connections.");
        out(&b, "cets_ws_clients %d\n", s->ws ? ws_client_count(s->ws) : 0);
        if (s->evl) { /* the event loop's front end: where requests were answered */
            uint64_t io, handler, deferred, msgs, wakeups;
            evloop_http_counts(s, &io, &handler, &deferred, &msgs, &wakeups);
            metric(&b, "cets_http_io_thread_requests_total", "counter",
                   "API requests answered on an event-loop I/O thread (orders, batches, takes, "
                   "cancels).");
            out(&b, "cets_http_io_thread_requests_total %" PRIu64 "\n", io);
            metric(&b, "cets_http_handler_thread_requests_total", "counter",
                   "API requests answered on a handler thread.");
            out(&b, "cets_http_handler_thread_requests_total %" PRIu64 "\n", handler);
            metric(&b, "cets_http_deferred_total", "counter",
                   "Requests an I/O thread handed to a handler thread (a client_order_id still "
                   "being executed).");
            out(&b, "cets_http_deferred_total %" PRIu64 "\n", deferred);
            metric(&b, "cets_http_completion_messages_total", "counter",
                   "Messages that brought the core's completions back to the I/O threads (one "
                   "per I/O thread per journal batch).");
            out(&b, "cets_http_completion_messages_total %" PRIu64 "\n", msgs);
            metric(&b, "cets_http_io_wakeups_total", "counter",
                   "Times an I/O thread woke for answers and completions (each takes everything "
                   "queued meanwhile).");
            out(&b, "cets_http_io_wakeups_total %" PRIu64 "\n", wakeups);
        }
        metric(&b, "cets_http_requests_total", "counter", "HTTP requests answered, by status.");
        for (int i = 100; i < 600; i++)
            if (http[i])
                out(&b, "cets_http_requests_total{status=\"%d\"} %" PRIu64 "\n", i, http[i]);
    }
    int status = b.p ? 200 : 503;
    http_send(&r, status, "text/plain; version=0.0.4; charset=utf-8", NULL, b.p ? b.p : "", b.n);
    free(b.p);
    free(st);
    free(http);
    return status;
}

static int h_healthz(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn)) return r.status;
    bool ok;
    core_stats *st = malloc(sizeof *st);
    if (!st) return http_error(&r, 503, "unavailable", HTTP_E_UNAVAILABLE, "out of memory");
    core_get_stats(r.s->core, st);
    bool standby = core_get_role(r.s->core) == CORE_STANDBY;
    ok = st->journal_ok || standby; /* a standby writes no journal of its own */
    free(st);
    char leader[256];
    core_get_leader(r.s->core, leader, sizeof leader);
    const cets_engine *e = core_read_begin(r.s->core);
    char hash[24];
    snprintf(hash, sizeof hash, "%016" PRIx64, cets_state_hash(e));
    uint64_t seq = cets_last_seq(e);
    int32_t date = cets_trading_date(e);
    core_read_end(r.s->core);
    char d[16];
    snprintf(d, sizeof d, "%04d-%02d-%02d", date / 10000, date / 100 % 100, date % 100);
    json_t *o = json_pack("{s:s, s:I, s:s, s:b, s:s}", "status", ok ? "ok" : "journal_failed",
                          "seq", (json_int_t)seq, "state_hash", hash, "journal_ok", ok, "date", d);
    if (standby || leader[0]) { /* cluster mode */
        json_object_set_new(o, "role", json_string(standby ? "standby" : "leader"));
        json_object_set_new(o, "leader", leader[0] ? json_string(leader) : json_null());
    }
    return http_json(&r, ok ? 200 : 503, o, NULL);
}

void metrics_register(server *s)
{
    http_handle(s, "/metrics", h_metrics);
    http_handle(s, "/healthz", h_healthz);
}
