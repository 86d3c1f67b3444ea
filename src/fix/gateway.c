/* gateway.c -- the FIX gateway's thread and its tables.
 *
 * One thread runs an epoll loop over the listening socket, every
 * connection (conn.c) and an eventfd that says "the hub has news" (hub.c).
 * One turn: read and handle what arrived, drain the hub (command
 * completions, password answers, then the engine's events from the bus),
 * run the timers, then write the
 * session stores and only after that the sockets -- a message a peer has
 * seen is always in its session's outbound log (store.h).
 *
 * Here too: the table of provisioned SenderCompIDs (core/compids.h, read
 * again when it changes), the sessions (one per provisioned SenderCompID,
 * loaded from the state directory at start with the live orders they
 * entered), the instrument codes, sending commands to the core, and
 * starting and stopping.
 */
#include "gw.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/log.h"

#define TICK_NS 100000000LL

/* ---- the provisioned SenderCompIDs ------------------------------------------- */

/* Read the table again when its file changed (or, force, in any case). A
 * table that does not parse is not taken: the last good one stays. */
static void compids_reload(gw *g, bool force)
{
    struct stat st;
    bool exists = stat(g->compids_path, &st) == 0;
    if (!force && exists == g->compids_seen.exists &&
        (!exists ||
         ((uint64_t)st.st_ino == g->compids_seen.ino &&
          (uint64_t)st.st_size == g->compids_seen.size &&
          (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == g->compids_seen.mtime)))
        return;
    compid_table t = {0};
    char err[256];
    if (compids_load(&t, g->compids_path, err, sizeof err) != 0) {
        log_error("fix", "msg=\"CompID table not read, the last one stays\" alarm=1 error=%s",
                  log_q(err));
        compids_free(&t);
        return;
    }
    compids_free(&g->compids);
    g->compids = t;
    g->compids_seen.exists = exists;
    g->compids_seen.ino = exists ? (uint64_t)st.st_ino : 0;
    g->compids_seen.size = exists ? (uint64_t)st.st_size : 0;
    g->compids_seen.mtime =
        exists ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
    for (int i = 0; i < g->nsess; i++) { /* what changed for the sessions there are */
        sess *s = g->sess[i];
        const compid_entry *e = compids_find(&g->compids, s->comp);
        if (e) s->reset_in_session = e->in_session_reset;
        if (s->c && (!e || e->participant != s->participant))
            sess_logout(s, "this SenderCompID is no longer provisioned for your participant");
    }
    log_info("fix", "msg=\"CompID table read\" path=%s compids=%zu", log_q(g->compids_path),
             g->compids.n);
}

const compid_entry *gw_compid(gw *g, const char *comp)
{
    const compid_entry *e = compids_find(&g->compids, comp);
    if (!e) { /* provisioned a moment ago? */
        compids_reload(g, false);
        e = compids_find(&g->compids, comp);
    }
    return e;
}

/* ---- sessions --------------------------------------------------------------- */

fix_store *gw_store(sess *s)
{
    char err[256];
    if (!s->st && !(s->st = fix_store_open(s->g->state_dir, s->comp, err, sizeof err)))
        log_error("fix", "msg=\"cannot open session store\" alarm=1 compid=%s error=%s", s->comp,
                  log_q(err));
    return s->st;
}

void gw_order_note(sess *s, char op, uint64_t order_id, const char *clordid)
{
    if (gw_store(s)) {
        fix_store_order_note(s->st, op, order_id, clordid);
        gw_flush_later(s);
    }
}

sess *gw_session_get(gw *g, const compid_entry *e, char *err, size_t errlen)
{
    for (int i = 0; i < g->nsess; i++)
        if (strcmp(g->sess[i]->comp, e->comp) == 0) return g->sess[i];
    if (g->nsess == g->capsess) {
        int cap = g->capsess ? 2 * g->capsess : 16;
        sess **ns = realloc(g->sess, (size_t)cap * sizeof *ns);
        if (!ns) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        g->sess = ns;
        g->capsess = cap;
    }
    sess *s = calloc(1, sizeof *s);
    if (!s || !(s->st = fix_store_open(g->state_dir, e->comp, err, errlen))) {
        free(s);
        return NULL;
    }
    s->g = g;
    snprintf(s->comp, sizeof s->comp, "%s", e->comp);
    /* the participant the files were written for; a new session's is the table's */
    s->participant = fix_store_participant(s->st);
    if (!s->participant) s->participant = e->participant;
    s->reset_in_session = e->in_session_reset;
    fix_map_init(&s->clord);
    g->sess[g->nsess++] = s;
    gw_participant_watch(g, s->participant);
    return s;
}

void gw_flush_later(sess *s)
{
    if (!s->flush_listed) {
        s->flush_listed = true;
        s->next_flush = s->g->flush_list;
        s->g->flush_list = s;
    }
}

/* Before the table existed, a SenderCompID was whoever's logged on with it
 * first: each session in the state directory is provisioned to the
 * participant its files were written for (docs/fix.md, "Connecting"). */
static void compids_migrate(gw *g)
{
    DIR *d = opendir(g->state_dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        char comp[GW_COMP_MAX + 1], err[256];
        if (len <= 6 || strcmp(de->d_name + len - 6, ".state") != 0 || len - 6 > GW_COMP_MAX)
            continue;
        memcpy(comp, de->d_name, len - 6);
        comp[len - 6] = 0;
        if (compids_find(&g->compids, comp) || !compids_valid(comp)) continue;
        fix_store *st = fix_store_open(g->state_dir, comp, err, sizeof err);
        compid_entry e = {.participant = st ? fix_store_participant(st) : 0,
                          .in_session_reset = true};
        snprintf(e.comp, sizeof e.comp, "%s", comp);
        fix_store_close(st);
        if (e.participant && compids_put(&g->compids, &e, err, sizeof err) == 0) {
            log_warn("fix", "msg=\"session provisioned from its files\" compid=%s participant=%u",
                     log_q(comp), e.participant);
            n++;
        }
    }
    if (d) closedir(d);
    char err[256];
    if (n && compids_save(&g->compids, g->compids_path, err, sizeof err) != 0)
        log_error("fix", "msg=\"CompID table not written\" alarm=1 error=%s", log_q(err));
    if (n) compids_reload(g, true);
}

/* Every provisioned session that has files, with its live orders, so fills
 * of orders entered before a restart still reach it; the files are closed
 * again until the session logs on or is sent something. */
static void sessions_load(gw *g, const cets_engine *e)
{
    compids_reload(g, true);
    compids_migrate(g);
    for (size_t i = 0; i < g->compids.n; i++) {
        const compid_entry *ce = &g->compids.e[i];
        char path[1200], err[256];
        snprintf(path, sizeof path, "%s/%s.state", g->state_dir, ce->comp);
        if (access(path, F_OK) != 0) continue; /* never logged on: nothing to load */
        sess *s = gw_session_get(g, ce, err, sizeof err);
        if (!s) {
            log_error("fix", "msg=\"cannot open session store\" compid=%s error=%s", ce->comp,
                      log_q(err));
            continue;
        }
        if (s->participant) app_restore_orders(g, s, e);
        fix_store_close(s->st);
        s->st = NULL;
    }
}

uint64_t gw_client_ref(const sess *s, const char *id)
{
    char b[GW_COMP_MAX + GW_ID_MAX + 2];
    int n = snprintf(b, sizeof b, "%s\x01%s", s->comp, id);
    uint64_t h = XXH3_64bits(b, (size_t)n);
    return h ? h : 1;
}

/* ---- instruments ------------------------------------------------------------ */

void gw_instruments_load(gw *g, const cets_engine *e)
{
    g->ninst = cets_instrument_count(e);
    for (uint32_t i = 0; i < g->ninst; i++) {
        cets_instrument_info in;
        if (cets_instrument_get(e, i, &in) == 0) {
            snprintf(g->inst[i].code, sizeof g->inst[i].code, "%s", in.code);
            g->inst[i].matching = in.matching;
        }
    }
}

int gw_instrument_find(gw *g, const char *code, size_t len)
{
    for (uint32_t i = 0; i < g->ninst; i++)
        if (strlen(g->inst[i].code) == len && memcmp(g->inst[i].code, code, len) == 0)
            return (int)i;
    return -1;
}

/* ---- commands --------------------------------------------------------------- */

bool gw_submit(gw *g, inflight *f)
{
    f->g = g;
    if (f->client_ref && !fix_map_put(&g->inflight, f->client_ref, f)) f->client_ref = 0;
    if (core_submit_async(g->core, &f->cmd, hub_on_done, f) != 0) {
        if (f->client_ref) fix_map_del(&g->inflight, f->client_ref);
        free(f);
        return false;
    }
    g->total_inflight++;
    if (f->s && ++f->s->inflight >= g->o.max_inflight && f->s->c) f->s->c->paused = true;
    return true;
}

static void done_item(gw *g, inflight *f, int code, const cets_result *res)
{
    g->total_inflight--;
    if (f->client_ref) fix_map_del(&g->inflight, f->client_ref);
    sess *s = f->s;
    if (f->kind == IF_BLOCK)
        block_on_done(g, f, code, res);
    else
        app_on_done(g, f, code, res);
    free(f);
    if (s && --s->inflight <= g->o.max_inflight / 2 && s->c && s->c->paused) {
        s->c->paused = false;
        conn_parse(g, s->c);
    }
}

static conn *conn_by_id(gw *g, uint32_t id)
{
    for (int i = 0; i < g->nconns; i++)
        if (g->conns[i]->id == id) return g->conns[i];
    return NULL;
}

/* Take everything queued by the core and the password worker, then read the
 * bus: the events of a command are on the bus before its completion is
 * queued, so taking the queue first and the events second keeps them in
 * order (hub.c). */
static void hub_drain(gw *g, hub_item **buf, size_t *cap)
{
    uint64_t v;
    if (read(g->efd, &v, sizeof v) < 0 && errno != EAGAIN)
        log_warn("fix", "msg=\"eventfd read failed\" error=%s", log_q(strerror(errno)));
    size_t n = hub_take(g, buf, cap);
    hub_read_events(g);
    for (size_t i = 0; i < n; i++) {
        hub_item *it = &(*buf)[i];
        if (it->kind == HUB_DONE) {
            done_item(g, it->u.done.f, it->u.done.code, &it->u.done.res);
        } else if (it->kind == HUB_AUTH) {
            conn *c = conn_by_id(g, it->u.auth.conn_id);
            if (c && c->state == CS_AUTH) {
                sess_on_auth(g, c, it->u.auth.ok, &it->u.auth.p);
                conn_parse(g, c); /* what came after the Logon */
            }
        } else if (it->kind == HUB_USER) {
            sess_user_ended(g, it->u.user.name, it->u.user.why);
        }
    }
}

/* ---- the loop --------------------------------------------------------------- */

static int64_t clock_ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void timers(gw *g)
{
    int64_t logon_ns = (int64_t)g->o.logon_timeout_ms * 1000000;
    int64_t logout_ns = (int64_t)g->o.logout_timeout_ms * 1000000;
    for (int i = 0; i < g->nconns; i++) {
        conn *c = g->conns[i];
        if (c->state == CS_LOGON_WAIT && g->mono - c->t_open > logon_ns)
            gw_conn_kill(c, "no Logon in time", false);
        else if (c->state == CS_AUTH && g->mono - c->t_open > logon_ns + GW_AUTH_TIMEOUT_NS)
            gw_conn_kill(c, "the password check took too long", false);
        else if (c->state == CS_DEAD && c->flush_first && g->mono - c->t_dead > logout_ns)
            c->flush_first = false; /* give up sending */
    }
    for (int i = 0; i < g->nsess; i++)
        if (g->sess[i]->c) sess_timers(g, g->sess[i]);
    md_tick(g);
    conn_refusals_log(g);
    if (g->mono >= g->next_sync) {
        g->next_sync = g->mono + (int64_t)g->o.sync_interval_ms * 1000000;
        for (int i = 0; i < g->nsess; i++) {
            sess *s = g->sess[i];
            if (s->st && fix_store_unsynced(s->st) && fix_store_sync(s->st) != 0)
                log_error("fix", "msg=\"session store sync failed\" compid=%s error=%s",
                          log_q(s->comp), log_q(fix_store_error(s->st)));
            if (s->st && !s->c && !s->flush_listed) { /* offline: no files kept open */
                fix_store_close(s->st);
                s->st = NULL;
            }
        }
        compids_reload(g, false);
    }
}

/* End of a turn: stores first, then resends, then sockets, then the dead. */
static void turn_end(gw *g)
{
    for (sess *s = g->flush_list, *next; s; s = next) {
        next = s->next_flush;
        s->flush_listed = false;
        if (s->st && fix_store_flush(s->st) != 0) {
            log_error("fix", "msg=\"session store write failed\" alarm=1 compid=%s error=%s",
                      log_q(s->comp), log_q(fix_store_error(s->st)));
            if (s->c) { /* what is not stored must not be sent */
                s->c->outlen = s->c->outoff = 0;
                gw_conn_kill(s->c, "store write failed", false);
            }
        }
    }
    g->flush_list = NULL;
    for (int i = 0; i < g->nconns; i++) {
        conn *c = g->conns[i];
        if (c->s && c->s->cursor < fix_store_next_out(c->s->st)) sess_pump(c->s);
    }
    for (sess *s = g->flush_list; s; s = s->next_flush) /* resends read; nothing new */
        s->flush_listed = false;
    g->flush_list = NULL;
    for (int i = 0; i < g->nconns;) {
        conn *c = g->conns[i];
        if (conn_readable_now(c)) /* TLS bytes held while the buffer was full or paused */
            conn_read(g, c);
        if (c->outlen > c->outoff) conn_send(c);
        if (c->state == CS_DEAD && (!c->flush_first || c->outlen == c->outoff) &&
            (!c->linger || c->peer_closed ||
             g->mono - c->t_dead > (int64_t)g->o.logout_timeout_ms * 1000000)) {
            conn_free(g, i);
            continue;
        }
        conn_watch(g, c);
        i++;
    }
}

static void *gw_main(void *arg)
{
    gw *g = arg;
    struct epoll_event evs[128];
    hub_item *spare = NULL;
    size_t spare_cap = 0;
    int64_t stop_deadline = 0;
    for (;;) {
        int64_t wait_ms = (g->next_tick - clock_ns(CLOCK_MONOTONIC)) / 1000000;
        int n = epoll_wait(g->ep, evs, 128, wait_ms < 0 ? 0 : (int)wait_ms + 1);
        g->mono = clock_ns(CLOCK_MONOTONIC);
        g->wall = clock_ns(CLOCK_REALTIME);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &g->lfd) {
                conn_accept(g);
            } else if (p == &g->efd) {
                hub_drain(g, &spare, &spare_cap);
            } else {
                conn *c = p;
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(g, c);
                if (evs[i].events & EPOLLOUT && c->tls_want_write)
                    conn_read(g, c); /* the TLS handshake waited to write */
                if (evs[i].events & EPOLLOUT && c->outlen > c->outoff) conn_send(c);
                /* epoll reports these even when not asked (a connection
                 * waiting for its password check): do not spin on them */
                if (evs[i].events & (EPOLLHUP | EPOLLERR))
                    gw_conn_kill(c, "connection reset", false);
            }
        }
        if (g->mono >= g->next_tick) {
            g->next_tick = g->mono + TICK_NS;
            timers(g);
        }
        if (g->stopping && !stop_deadline) {
            stop_deadline = g->mono + 5000000000LL;
            for (int i = 0; i < g->nconns; i++)
                if (g->conns[i]->s)
                    sess_logout(g->conns[i]->s, "the exchange's FIX gateway is stopping");
        }
        turn_end(g);
        if (stop_deadline &&
            ((g->total_inflight == 0 && g->nconns == 0) || g->mono > stop_deadline)) {
            hub_drain(g, &spare, &spare_cap);
            /* the core answers every command it took: wait for them, so no
             * completion can arrive after the gateway is freed */
            if (g->total_inflight == 0 || g->mono > stop_deadline + 25000000000LL) break;
        }
        if (stop_deadline) /* stop reading; let the replies and Logouts out */
            for (int i = 0; i < g->nconns; i++)
                if (g->conns[i]->state != CS_DEAD)
                    gw_conn_kill(g->conns[i], "gateway stopping", true);
    }
    free(spare);
    return NULL;
}

/* ---- start and stop --------------------------------------------------------- */

void fix_gateway_options_default(fix_gateway_options *o)
{
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1:9878";
    o->state_dir = "./cetsd-data/fix";
    o->heartbeat_s = 30;
    o->max_heartbeat_s = 300;
    o->logon_timeout_ms = 2000;
    o->logout_timeout_ms = 2000;
    o->sync_interval_ms = 1000;
    o->max_connections = 1024;
    o->max_pending = 256;
    o->max_pending_per_addr = 16;
    o->max_out_bytes = 16u << 20;
    o->max_inflight = 16384;
    o->sending_time_tolerance_s = 120;
}

static int listen_on(gw *g, const char *addr, char *err, size_t errlen)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        snprintf(err, errlen, "fix listen address \"%s\" is not host:port", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a.sin_addr) != 1) {
        snprintf(err, errlen, "fix listen address \"%s\": bad IPv4 address", addr);
        return -1;
    }
    int one = 1;
    g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (g->lfd < 0 || setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(g->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(g->lfd, 128) != 0) {
        snprintf(err, errlen, "fix: cannot listen on %s: %s", addr, strerror(errno));
        return -1;
    }
    socklen_t alen = sizeof a;
    getsockname(g->lfd, (struct sockaddr *)&a, &alen);
    g->port = ntohs(a.sin_port);
    return 0;
}

static void gw_free(gw *g)
{
    for (int i = 0; i < g->nconns; i++) {
        conn_tls_close(g->conns[i]);
        close(g->conns[i]->fd);
        free(g->conns[i]->in);
        free(g->conns[i]->out);
        free(g->conns[i]);
    }
    size_t it = 0;
    uint64_t k;
    void *v;
    while (fix_map_next(&g->orders, &it, &k, &v)) free(v);
    fix_map_free(&g->orders);
    fix_map_free(&g->inflight); /* empty unless stop timed out; those leak on purpose */
    for (int i = 0; i < g->nsess; i++) {
        fix_store_close(g->sess[i]->st);
        fix_map_free(&g->sess[i]->clord);
        free(g->sess[i]);
    }
    compids_free(&g->compids);
    free(g->sess);
    free(g->conns);
    free(g->subs);
    free(g->evbuf);
    free(g->hub_q);
    bus_leave(g->reader);
    pthread_mutex_destroy(&g->hub_mu);
    if (g->lfd >= 0) close(g->lfd);
    if (g->efd >= 0) close(g->efd);
    if (g->ep >= 0) close(g->ep);
    gw_tls_free(g);
    free(g);
}

/* Load instruments and sessions, and join the bus, all inside one read
 * section: no event can fall between what we read and what we are sent. */
static int gw_attach(gw *g)
{
    bus_reader_opts ro = {.name = "fix",
                          .types = BUS_TYPE(CETS_EV_ACCEPTED) | BUS_TYPE(CETS_EV_REPLACED) |
                                   BUS_TYPE(CETS_EV_ORDER_DONE) | BUS_TYPE(CETS_EV_TRADE) |
                                   BUS_TYPE(CETS_EV_BLOCK) | BUS_TYPE(CETS_EV_DEPTH) |
                                   BUS_TYPE(CETS_EV_DAY_STATS) | BUS_TYPE(CETS_EV_DAY_CLOSED) |
                                   BUS_TYPE(CETS_EV_ADMIN),
                          .mode = BUS_THREADED,
                          .wake = hub_bus_wake,
                          .ctx = g};
    const cets_engine *e = core_read_begin(g->core);
    gw_instruments_load(g, e);
    sessions_load(g, e);
    g->reader = bus_join(core_bus(g->core), &ro);
    core_read_end(g->core);
    return g->reader ? 0 : -1;
}

void gw_resync(gw *g, uint64_t lost)
{
    log_error("fix",
              "msg=\"the gateway fell a whole event bus behind: every session is logged "
              "out\" alarm=1 events_lost=%llu",
              (unsigned long long)lost);
    for (int i = 0; i < g->nconns; i++)
        if (g->conns[i]->s)
            sess_logout(g->conns[i]->s, "the gateway fell behind the exchange's events; "
                                        "log on again to resynchronise");
    /* orders and market data are read again from the engine */
    const cets_engine *e = core_read_begin(g->core);
    app_resync(g, e);
    core_read_end(g->core);
    g->md_ready = false;
    g->md_on = false;
}

fix_gateway *fix_gateway_start_with(core *c, auth *a, const fix_gateway_options *o, char *err,
                                    size_t errlen)
{
    if (o->max_connections < 2 || o->max_pending < 1 || o->max_pending >= o->max_connections ||
        o->max_pending_per_addr < 1) {
        snprintf(err, errlen,
                 "fix: max_pending (%d) must be 1 or more and below max_connections "
                 "(%d), so that sessions keep room; max_pending_per_addr (%d) 1 or more",
                 o->max_pending, o->max_connections, o->max_pending_per_addr);
        return NULL;
    }
    gw *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->lfd = g->efd = g->ep = -1;
    g->core = c;
    g->auth = a;
    pthread_mutex_init(&g->hub_mu, NULL);
    g->o = *o;
    snprintf(g->state_dir, sizeof g->state_dir, "%s", o->state_dir);
    g->o.state_dir = g->state_dir;
    if (o->compids_file && o->compids_file[0])
        snprintf(g->compids_path, sizeof g->compids_path, "%s", o->compids_file);
    else
        snprintf(g->compids_path, sizeof g->compids_path, "%s/compids", g->state_dir);
    g->o.compids_file = g->compids_path;
    g->o.listen = NULL;
    g->conns = calloc((size_t)(o->max_connections > 0 ? o->max_connections : 1), sizeof *g->conns);
    g->evbuf = malloc(GW_EVBUF * sizeof *g->evbuf);
    fix_map_init(&g->orders);
    fix_map_init(&g->inflight);
    err[0] = 0;
    if (!g->conns || !g->evbuf || (mkdir(g->state_dir, 0700) != 0 && errno != EEXIST)) {
        snprintf(err, errlen, "fix: cannot create %s: %s", g->state_dir,
                 g->conns && g->evbuf ? strerror(errno) : "out of memory");
        gw_free(g);
        return NULL;
    }
    if (((o->tls_cert && o->tls_cert[0]) || (o->tls_key && o->tls_key[0])) &&
        gw_tls_init(g, o->tls_cert, o->tls_key, err, errlen) != 0) {
        gw_free(g);
        return NULL;
    }
    g->o.tls_cert = g->o.tls_key = NULL; /* the caller's strings; the context holds the files */
    if (listen_on(g, o->listen, err, errlen) != 0 ||
        (g->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
        (g->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || !(g->aw = auth_worker_start(g, a))) {
        if (!err[0]) snprintf(err, errlen, "fix: %s", strerror(errno));
        gw_free(g);
        return NULL;
    }
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = &g->lfd};
    struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &g->efd};
    epoll_ctl(g->ep, EPOLL_CTL_ADD, g->lfd, &le);
    epoll_ctl(g->ep, EPOLL_CTL_ADD, g->efd, &ee);
    g->mono = clock_ns(CLOCK_MONOTONIC);
    g->wall = clock_ns(CLOCK_REALTIME);
    g->next_tick = g->mono + TICK_NS;
    g->next_sync = g->mono + (int64_t)o->sync_interval_ms * 1000000;
    if (gw_attach(g) != 0) {
        snprintf(err, errlen, "fix: cannot join the event bus (out of memory)");
        fix_gateway_stop(g);
        return NULL;
    }
    if (pthread_create(&g->thread, NULL, gw_main, g) != 0) {
        snprintf(err, errlen, "fix: cannot start a thread");
        g->thread = 0;
        fix_gateway_stop(g);
        return NULL;
    }
    log_info("fix", "msg=\"listening\" listen=%s port=%d tls=%s state_dir=%s sessions=%d",
             log_q(o->listen), g->port, g->tls ? "on" : "off", log_q(g->state_dir), g->nsess);
    return g;
}

fix_gateway *fix_gateway_start(core *c, auth *a, const char *listen_addr, const char *state_dir,
                               char *err, size_t errlen)
{
    fix_gateway_options o;
    fix_gateway_options_default(&o);
    if (listen_addr && listen_addr[0]) o.listen = listen_addr;
    if (state_dir && state_dir[0]) o.state_dir = state_dir;
    return fix_gateway_start_with(c, a, &o, err, errlen);
}

int fix_gateway_port(const fix_gateway *g)
{
    return g ? g->port : 0;
}

void fix_gateway_stop(fix_gateway *g)
{
    if (!g) return;
    if (g->thread) {
        g->stopping = 1;
        uint64_t one = 1;
        if (write(g->efd, &one, sizeof one) < 0) log_warn("fix", "msg=\"cannot wake the gateway\"");
        pthread_join(g->thread, NULL);
    }
    bus_leave(g->reader); /* no more wake-ups */
    g->reader = NULL;
    auth_worker_stop(g->aw);
    g->aw = NULL;
    log_info("fix", "msg=\"stopped\" sessions=%d", g->nsess);
    if (g->total_inflight) { /* a completion may still come: keep what it touches */
        log_error("fix",
                  "msg=\"stopped with commands in flight; the gateway is not freed\" "
                  "n=%llu",
                  (unsigned long long)g->total_inflight);
        return;
    }
    gw_free(g);
}
