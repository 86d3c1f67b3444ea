/* service.c -- see service.h.
 *
 * The core is started (and the projection seeded) before HTTP accepts its
 * first connection, so no request ever sees a half-recovered market; HTTP is
 * stopped before the core, so every request in flight still gets its answer
 * and no command arrives after the final snapshot.
 */
#include "service.h"

#include <civetweb.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cets/registry.h"
#include "api.h"
#include "backoffice/backoffice.h"
#include "config.h"
#include "demo.h"
#include "frontend.h"
#include "http.h"
#include "core/log.h"
#include "projection.h"
#include "ws.h"
#include "evloop.h"

static bool is_dir(const char *p)
{
    struct stat st;
    return p[0] && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* web_root "" means: the first existing of <exe dir>/../web (a build
 * directory inside the source tree), <exe dir>/web, <data_dir>/web, ./web. */
static void web_root_find(server_config *c)
{
    if (c->web_root[0]) return;
    char exe[1024] = "", cand[1200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *dir = n > 0 ? dirname(exe) : ".";
    const char *fmt[][2] = {
        {dir, "%s/../web"}, {dir, "%s/web"}, {c->data_dir, "%s/web"}, {".", "%s/web"}};
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        snprintf(cand, sizeof cand, fmt[i][1], fmt[i][0]);
        char *real = realpath(cand, NULL);
        if (real && is_dir(real) && strlen(real) < sizeof c->web_root) {
            snprintf(c->web_root, sizeof c->web_root, "%s", real);
            free(real);
            return;
        }
        free(real);
    }
}

/* civetweb wants one PEM holding the key and the certificate; when they are
 * two files, write <data_dir>/tls-combined.pem (mode 0600) from both. */
static int tls_pem(const server_config *c, char *out, size_t len, char *err, size_t errlen)
{
    if (strcmp(c->tls_cert, c->tls_key) == 0) {
        snprintf(out, len, "%s", c->tls_cert);
        return 0;
    }
    snprintf(out, len, "%s/tls-combined.pem", c->data_dir);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *w = fd >= 0 ? fdopen(fd, "w") : NULL;
    const char *parts[] = {c->tls_key, c->tls_cert};
    for (int i = 0; w && i < 2; i++) {
        FILE *f = fopen(parts[i], "r");
        if (!f) {
            snprintf(err, errlen, "%s: %s", parts[i], strerror(errno));
            fclose(w);
            return -1;
        }
        char b[4096];
        size_t k;
        while ((k = fread(b, 1, sizeof b, f)) > 0) fwrite(b, 1, k, w);
        fclose(f);
        fputc('\n', w);
    }
    if (!w || fclose(w) != 0) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

static void routes_register(server *s)
{
    api_market_register(s);
    api_account_register(s);
    api_trading_register(s);
    api_admin_register(s);
    api_params_register(s);
    api_blocks_register(s);
    api_auctions_register(s);
    api_registry_register(s);
    api_history_register(s); /* api_history.c: the back office */
    api_fix_register(s);
    api_auth_register(s);
    metrics_register(s);
}

static int http_start(server *s, char *err, size_t errlen)
{
    server_config *c = &s->cfg;
    if (strcmp(c->frontend, "evloop") == 0) {
        routes_register(s);
        return evloop_start(s, err, errlen);
    }
    if (strcmp(c->frontend, "civetweb") != 0) {
        snprintf(err, errlen, "frontend = \"%s\": want \"civetweb\" or \"evloop\"", c->frontend);
        return -1;
    }
    bool tls = c->tls_cert[0] && c->tls_key[0];
    /* once per process; again when TLS is wanted and not yet initialised */
    static bool inited;
    static unsigned features;
    if (!inited || (tls && !(features & MG_FEATURES_TLS)))
        features |= mg_init_library(tls ? MG_FEATURES_TLS : 0);
    inited = true;
    if (tls && !(features & MG_FEATURES_TLS)) {
        /* Debian's civetweb 1.15 loads libssl.so at run time and looks for
         * OpenSSL 1.1 symbols; with OpenSSL 3 that fails, and a server
         * started anyway accepts TLS handshakes but answers nothing. */
        snprintf(err, errlen,
                 "TLS is configured but civetweb could not initialise OpenSSL "
                 "(its libssl does not match this civetweb build); set frontend = "
                 "\"evloop\", which speaks TLS itself (docs/operations.md)");
        return -1;
    }
    char ports[160], threads[16], pem[1100];
    snprintf(ports, sizeof ports, "%s%s", c->listen, tls ? "s" : "");
    snprintf(threads, sizeof threads, "%d", c->http_threads);
    const char *opt[24];
    int n = 0;
    opt[n++] = "listening_ports", opt[n++] = ports;
    opt[n++] = "num_threads", opt[n++] = threads;
    opt[n++] = "enable_keep_alive", opt[n++] = "yes";
    /* headers and body go out in two writes: without this, Nagle's algorithm
     * and the client's delayed ACK add 40 ms to every keep-alive answer */
    opt[n++] = "tcp_nodelay", opt[n++] = "1";
    opt[n++] = "keep_alive_timeout_ms", opt[n++] = "5000";
    opt[n++] = "request_timeout_ms", opt[n++] = "30000";
    opt[n++] = "enable_directory_listing", opt[n++] = "no";
    if (c->web_root[0]) opt[n++] = "document_root", opt[n++] = c->web_root;
    if (tls) {
        if (tls_pem(c, pem, sizeof pem, err, errlen) != 0) return -1;
        opt[n++] = "ssl_certificate", opt[n++] = pem;
        opt[n++] = "ssl_protocol_version", opt[n++] = "4"; /* TLS 1.2 and later */
    }
    opt[n] = NULL;
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    http_set_callbacks(&cb);
    char mgerr[256] = "";
    struct mg_error_data ed = {.text = mgerr, .text_buffer_size = sizeof mgerr};
    struct mg_init_data init = {.callbacks = &cb, .user_data = s, .configuration_options = opt};
    s->mg = mg_start2(&init, &ed);
    if (!s->mg) {
        snprintf(err, errlen, "cannot start HTTP on %s: %s", c->listen,
                 mgerr[0] ? mgerr : "unknown error");
        return -1;
    }
    routes_register(s);
    http_civet_routes(s);
    if (s->ws && ws_register(s) != 0) {
        snprintf(err, errlen, "cannot start the WebSocket writer threads");
        return -1;
    }
    return 0;
}

/* The credential store's log lines, in cetsd's log. */
static void auth_log(int level, const char *fields)
{
    log_write((log_level)level, "auth", "%s", fields);
}

static auth *auth_start(const server_config *c, char *err, size_t errlen)
{
    auth_options o;
    auth_options_default(&o);
    o.data_dir = c->data_dir;
    o.session_ttl_s = c->session_ttl_s;
    o.max_failures = c->login_max_failures;
    o.max_address_failures = c->login_max_address_failures;
    o.sessions_per_user = c->sessions_per_user;
    o.log = auth_log;
    return auth_open(&o, err, errlen);
}

/* ---- the back office (src/backoffice): followers of the journal ----------- */

/* The last command the core made durable and applied: the followers read no
 * further. */
static uint64_t core_durable(void *ctx)
{
    core_stats st;
    core_get_stats(ctx, &st);
    return st.last_seq;
}

static int backoffice_start(server *s, char *err, size_t errlen)
{
    server_config *c = &s->cfg;
    if (!c->backoffice_sql && !c->audit_log) return 0;
    if (c->core.backend) { /* cluster mode: the journal is the NATS stream, not data_dir's */
        log_warn("backoffice", "msg=\"the back office follows the file journal: not started in "
                               "cluster mode\"");
        return 0;
    }
    bo_options o;
    bo_options_default(&o);
    o.data_dir = c->data_dir;
    o.database = c->backoffice_db;
    o.bars_days = c->bars_1m_days;
    o.poll_ms = (uint32_t)c->backoffice_poll_ms;
    o.sql = c->backoffice_sql;
    o.audit = c->audit_log;
    o.durable = core_durable;
    o.durable_ctx = s->core;
    return (s->bo = bo_start(&o, err, errlen)) ? 0 : -1;
}

/* A fresh data directory has no users: create "admin" for the exchange. */
static int users_bootstrap(server *s, char *err, size_t errlen)
{
    if (auth_has_users(s->auth)) return 0;
    const char *env = getenv("CETSD_ADMIN_PASSWORD");
    char pw[64];
    if (env && env[0]) {
        snprintf(pw, sizeof pw, "%s", env);
    } else {
        unsigned char raw[18];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(pw, sizeof pw, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    }
    uint32_t roles = ROLE_ADMIN | ROLE_VIEW | ROLE_TRADE | ROLE_FUNDS;
    int rc = auth_user_put(s->auth, "admin", pw, CETS_EXCHANGE_ID, roles, err, errlen);
    if (rc == 0 && !(env && env[0]))
        fprintf(stderr,
                "cetsd: created the operator account: user \"admin\", password \"%s\"\n"
                "cetsd: (shown only this once; set CETSD_ADMIN_PASSWORD to choose it)\n",
                pw);
    sodium_memzero(pw, sizeof pw);
    if (rc == 0)
        api_user_changed(s, NULL, "admin", CETS_EXCHANGE_ID, roles); /* the audit log's line */
    if (rc == 0)
        log_warn("bootstrap",
                 "msg=\"created user admin (participant 1, roles view,trade,funds,admin)\" "
                 "password_from=%s",
                 env && env[0] ? "CETSD_ADMIN_PASSWORD" : "generated_printed_once");
    return rc;
}

#define MAX_HOLIDAYS 4096

/* The operator's holiday calendar (key holidays), read before anything
 * starts: a file that cannot be read stops cetsd, since without it every
 * weekday would trade, holidays included. None configured is allowed (the
 * operator may keep holidays through the admin API) but said at start. */
static int holidays_read(const server_config *c, int32_t *dates, int *n, char *err, size_t errlen)
{
    *n = 0;
    if (!c->holidays[0]) {
        log_warn("cetsd", "msg=\"no holiday calendar configured (holidays =): every weekday is a "
                          "trading day unless the operator adds holidays\"");
        return 0;
    }
    char why[1200];
    *n = cets_holidays_load(c->holidays, dates, MAX_HOLIDAYS, why, sizeof why);
    if (*n < 0) {
        snprintf(err, errlen, "holiday calendar (holidays = %s): %s", c->holidays, why);
        return -1;
    }
    return 0;
}

/* Journal the calendar's holidays from the trading date on that the engine
 * does not know yet (a restart adds nothing twice); *added: how many. */
static int holidays_apply(server *s, const int32_t *dates, int n, int *added_out, char *err,
                          size_t errlen)
{
    int added = 0;
    for (int i = 0; i < n; i++) {
        const cets_engine *e = core_read_begin(s->core);
        bool add = dates[i] >= cets_trading_date(e) && cets_is_trading_day(e, dates[i]);
        core_read_end(s->core);
        if (!add) continue;
        cets_cmd hc = {.type = CETS_CMD_HOLIDAY_ADD, .actor = CETS_EXCHANGE_ID, .aux = dates[i]};
        int rc = core_submit(s->core, &hc, NULL);
        if (rc != CETS_OK) {
            snprintf(err, errlen, "holiday %d of %s: %s", (int)dates[i], s->cfg.holidays,
                     cets_reason_name(rc));
            return -1;
        }
        added++;
    }
    if (s->cfg.holidays[0])
        log_info("cetsd", "msg=\"holiday calendar\" file=%s holidays=%d added=%d",
                 log_q(s->cfg.holidays), n, added);
    if (added_out) *added_out = added;
    return 0;
}

int service_holidays_reload(server *s, int *n, int *added, char *err, size_t errlen)
{
    *n = *added = 0;
    if (!s->cfg.holidays[0]) {
        snprintf(err, errlen, "no holiday calendar configured (key holidays)");
        return -1;
    }
    int32_t *dates = malloc(MAX_HOLIDAYS * sizeof *dates);
    if (!dates) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = holidays_read(&s->cfg, dates, n, err, errlen); /* the whole file first */
    if (rc == 0) rc = holidays_apply(s, dates, *n, added, err, errlen);
    free(dates);
    return rc;
}

int service_start(server *s, const server_config *cfg, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    server_config *c = &s->cfg;
    int32_t *holidays = malloc(MAX_HOLIDAYS * sizeof *holidays); /* read before the core opens */
    int nholidays;
    if (!holidays || holidays_read(c, holidays, &nholidays, err, errlen) != 0) {
        if (!holidays) snprintf(err, errlen, "out of memory");
        free(holidays);
        return -1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    config_finish(c, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
    web_root_find(c);
    s->surveil = cets_surveil_new();
    c->core.surveil = s->surveil;
    if (!s->surveil || !(s->core = core_open(&c->core)) ||
        !(s->proj = projection_new(c->data_dir, c->core.cfg.tz_offset_min))) {
        snprintf(err, errlen, "cannot create the core (bad options or out of memory)");
        goto fail;
    }
    bus_reader_opts po = {.name = "projection",
                          .types = PROJECTION_EVENTS,
                          .mode = BUS_ON_CORE,
                          .on_event = projection_on_event,
                          .ctx = s->proj};
    if (!(s->proj_reader = bus_join(core_bus(s->core), &po))) {
        snprintf(err, errlen, "out of memory");
        free(holidays);
        goto fail;
    }
    int hrc = core_start(s->core, err, errlen) != 0 ||
              projection_seed(s->proj, s->core, err, errlen) != 0 ||
              holidays_apply(s, holidays, nholidays, NULL, err, errlen) != 0 ||
              backoffice_start(s, err, errlen) != 0;
    free(holidays);
    holidays = NULL;
    if (hrc) goto fail;
    s->ws = ws_hub_new(s);
    if (!(s->auth = auth_start(c, err, errlen)) || users_bootstrap(s, err, errlen) != 0 ||
        http_start(s, err, errlen) != 0)
        goto fail;
    ws_listen(s);
    if (c->demo && demo_start(s) != 0) {
        snprintf(err, errlen, "the demo market could not be set up (see the log)");
        goto fail;
    }
    log_info("cetsd",
             "msg=\"listening\" listen=%s port=%d tls=%d data_dir=%s web_root=%s threads=%d",
             log_q(c->listen), service_port(s), c->tls_cert[0] && c->tls_key[0], log_q(c->data_dir),
             log_q(c->web_root), c->http_threads);
    return 0;
fail:
    free(holidays);
    service_stop(s);
    return -1;
}

void service_stop(server *s)
{
    if (s->cfg.demo && s->core) demo_stop(s);
    evloop_stop(s);
    if (s->mg) mg_stop(s->mg); /* waits for the requests in flight */
    s->mg = NULL;
    free(s->http_routes);
    s->http_routes = NULL;
    if (s->core) core_stop(s->core);
    bo_stop(s->bo, 30000); /* after the core: it projects everything durable first */
    s->bo = NULL;
    if (s->ws) ws_hub_free(s->ws);
    bus_leave(s->proj_reader);
    if (s->auth) auth_close(s->auth);
    core_close(s->core);
    cets_surveil_free(s->surveil);
    s->surveil = NULL;
    projection_free(s->proj);
    s->core = NULL;
    s->proj_reader = NULL;
    s->ws = NULL;
    s->auth = NULL;
    s->proj = NULL;
}

int service_port(const server *s)
{
    if (s->evl) return evloop_port(s);
    struct mg_server_port p[4];
    int n = s->mg ? mg_get_server_ports(s->mg, 4, p) : 0;
    return n > 0 ? p[0].port : 0;
}

const char *service_web_root(const server *s)
{
    return s->cfg.web_root;
}
