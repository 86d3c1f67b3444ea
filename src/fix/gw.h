/* gw.h -- the FIX gateway's insides, shared by its files:
 *
 *   gateway.c  the epoll loop, the sessions table, starting and stopping
 *   conn.c     connections: accept, read and frame, buffered writes, close
 *   hub.c      what the core and the password worker hand to the gateway
 *   session.c  the session layer: Logon, sequence numbers, heartbeats,
 *              resend, Logout, session-level Reject
 *   app.c      orders: NewOrderSingle, cancel, replace, mass cancel, and the
 *              execution reports made from the engine's events
 *   block.c    block agreements as TradeCaptureReport
 *   md.c       market data and trading session status
 *
 * Everything here belongs to the gateway thread; only the hub's queue
 * (hub.c) is touched by other threads.
 */
#ifndef CETS_FIX_GW_H
#define CETS_FIX_GW_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth/auth.h"
#include "cets/cets.h"
#include "core/compids.h"
#include "core/core.h"
#include "fix.h"
#include "gateway.h"
#include "map.h"
#include "store.h"
#include "tags.h"
#include "validate.h"

#define GW_COMP_ID "CETS"                /* our SenderCompID; peers send it as TargetCompID */
#define GW_COMP_MAX 32                   /* SenderCompID: 1-32 of [A-Za-z0-9._-] */
#define GW_ID_MAX 40                     /* ClOrdID, MDReqID, TradeReportID: 1-40 printable */
#define GW_RESEND_CHUNK (1 << 20)        /* refill a connection being resent to below this */
#define GW_EVBUF 1024                    /* events read from the bus at a time */
#define GW_WATCH_MAX 65536               /* participants below this are filtered by a bit each */
#define GW_AUTH_TIMEOUT_NS 30000000000LL /* a password check, after logon_timeout_ms */

typedef struct fix_gateway gw;
typedef struct sess sess;
typedef struct conn conn;

typedef enum conn_state {
    CS_LOGON_WAIT = 0, /* connected, nothing yet: the first message must be Logon */
    CS_AUTH = 1,       /* Logon received, password being checked */
    CS_ACTIVE = 2,     /* logged on */
    CS_DEAD = 3,       /* closing: flushed (if asked) and freed at the end of the turn */
} conn_state;

/* The parts of a Logon kept while its password is checked. */
typedef struct logon_req {
    char comp[GW_COMP_MAX + 1];
    char user[64];
    uint64_t seq;
    int hb;
    bool reset, cod, cod_given;
} logon_req;

struct conn {
    gw *g;
    int fd;
    uint32_t id; /* never reused: auth results name connections by it */
    uint32_t ip; /* the peer's IPv4 address, network order */
    conn_state state;
    sess *s; /* while CS_ACTIVE */
    char peer[64];
    char *in; /* bounded: 2 x FIX_MAX_MSG */
    size_t inlen;
    char *out;
    size_t outlen, outoff, outcap;
    int64_t t_open, t_dead;
    uint32_t epoll_mask; /* what epoll watches now */
    bool paused;         /* too many commands in flight: not parsing */
    bool flush_first;    /* CS_DEAD: send what is queued before closing */
    bool linger;         /* CS_DEAD: then wait (logout_timeout_ms) for the peer to close */
    bool peer_closed;
    logon_req logon;
    struct ssl_st *ssl;  /* TLS (tls.c), or NULL on a plain listener */
    bool tls_want_write; /* the handshake waits for the socket to be writable */
    bool tls_logged;
    char tls_err[200];
};

/* A session: one per provisioned SenderCompID that has logged on once, alive
 * for the gateway's lifetime whether connected or not (reports for it are
 * stored and resent on request). Its files are open while it is logged on;
 * offline, a report opens them (gw_store) and the next sync closes them. */
struct sess {
    gw *g;
    char comp[GW_COMP_MAX + 1];
    fix_store *st; /* NULL while closed: gw_store() opens it */
    uint32_t participant, roles;
    char user[64];
    conn *c; /* NULL while offline */
    int hb_s;
    int64_t last_recv, last_send, test_sent; /* monotonic ns */
    uint64_t test_n;
    bool logout_sent;
    int64_t logout_at;
    uint64_t cur_seq;      /* MsgSeqNum of the inbound message being handled */
    uint64_t gap_until;    /* inbound: resend asked for up to here */
    uint64_t held_logon;   /* inbound: the MsgSeqNum of a Logon beyond the gap */
    bool reset_in_session; /* a Logon with ResetSeqNumFlag=Y is honoured while logged on */
    uint64_t cursor;       /* outbound: next MsgSeqNum to put on the wire */
    uint64_t sent_hw;      /* outbound: every MsgSeqNum below went out at least once */
    uint64_t resend_end;   /* outbound: MsgSeqNums up to here go out as PossDup */
    bool cod;              /* cancel on disconnect */
    bool flush_listed;
    sess *next_flush;
    fix_map clord; /* hash(ClOrdID) -> ordrec: this session's live orders */
    uint32_t inflight;
    bool tss_sub; /* TradingSessionStatus subscription */
    char tss_reqid[GW_ID_MAX + 1];
};

/* A live order entered through FIX. */
typedef struct ordrec {
    uint64_t order_id;
    sess *s;
    char clordid[GW_ID_MAX + 1];
    char pend_id[GW_ID_MAX + 1]; /* ClOrdID of a cancel or replace in flight */
    char pend_kind;              /* 0, 'C' cancel, 'R' replace */
    uint32_t instrument;
    uint8_t side, tif, ordtype;
    int64_t price, order_qty, leaves, cum_qty, cum_value;
} ordrec;

typedef enum inflight_kind {
    IF_NEW = 1, /* NewOrderSingle */
    IF_CANCEL,  /* OrderCancelRequest */
    IF_REPLACE, /* OrderCancelReplaceRequest */
    IF_MASS,    /* one cancel of an OrderMassCancelRequest */
    IF_COD,     /* one cancel on disconnect */
    IF_BLOCK,   /* TradeCaptureReport */
} inflight_kind;

typedef struct mass_cancel {
    sess *s;
    char clordid[GW_ID_MAX + 1];
    int req_type;
    char symbol[CETS_CODE_LEN];
    uint32_t remaining, affected;
} mass_cancel;

/* A command sent to the core and not answered yet. */
typedef struct inflight {
    gw *g;
    inflight_kind kind;
    sess *s;
    uint64_t client_ref; /* key in gw.inflight (0: not in it) */
    uint64_t in_seq;     /* the inbound MsgSeqNum it came with */
    cets_cmd cmd;
    char id[GW_ID_MAX + 1];   /* ClOrdID or TradeReportID */
    char orig[GW_ID_MAX + 1]; /* OrigClOrdID */
    uint8_t ordtype, tif, trtype;
    int64_t order_qty; /* FIX OrderQty */
    mass_cancel *mass;
} inflight;

typedef struct instr {
    char code[CETS_CODE_LEN];
    uint8_t matching;
} instr;

/* Market data: the last depth and today's statistics per instrument, as
 * the events told; and the subscriptions. */
typedef struct md_stats {
    int64_t prev_close, open, high, low, last_px, last_qty, volume, value;
} md_stats;

typedef struct md_sub {
    sess *s;
    char reqid[GW_ID_MAX + 1];
    uint32_t instrument;
    uint32_t types; /* bit per entry type, MD_* */
    int depth;
} md_sub;

struct fix_gateway {
    core *core;
    auth *auth;
    bus_reader *reader;              /* the core's events */
    cets_event *evbuf;               /* GW_EVBUF */
    uint8_t watch[GW_WATCH_MAX / 8]; /* participants with a FIX session */
    bool md_on;                      /* market data wanted: depth and every trade */
    uint64_t md_seq;                 /* the market copy was read after this command */
    /* the queue other threads fill (hub.c) */
    pthread_mutex_t hub_mu;
    struct hub_item *hub_q;
    size_t hub_n, hub_cap;
    bool hub_signalled;
    fix_gateway_options o;
    char state_dir[1024];
    compid_table compids; /* the provisioned SenderCompIDs (core/compids.h) */
    char compids_path[1100];
    struct {
        uint64_t ino, size;
        int64_t mtime;
        bool exists;
    } compids_seen; /* as loaded */
    int lfd, efd, ep, port;
    struct ssl_ctx_st *tls; /* NULL: plain TCP */
    pthread_t thread;
    volatile int stopping;
    int64_t mono, wall; /* now, once per turn */
    int64_t next_tick, next_sync;
    uint32_t next_conn_id;
    conn **conns;
    int nconns;
    uint64_t refused[3]; /* connections refused since the last log line: total, pending, addr */
    sess **sess;
    int nsess, capsess;
    sess *flush_list;
    fix_map orders;   /* order id -> ordrec */
    fix_map inflight; /* client_ref -> inflight */
    uint64_t total_inflight;
    instr inst[CETS_MAX_INSTRUMENTS];
    uint32_t ninst;
    md_stats stats[CETS_MAX_INSTRUMENTS];
    cets_depth depth[CETS_MAX_INSTRUMENTS];
    bool md_ready;
    md_sub *subs;
    int nsubs, capsubs;
    int tss_status; /* last TradSesStatus pushed */
    int64_t next_tss;
    struct auth_worker *aw;
    fix_builder b;               /* one message is built at a time */
    fix_msg imsg;                /* the inbound message being handled */
    char rbuf[FIX_MAX_MSG + 64]; /* a stored message being resent */
    fix_msg rmsg;
};

/* ---- hub.c ---- */
typedef enum hub_kind { HUB_DONE = 2, HUB_AUTH = 3, HUB_USER = 4 } hub_kind;

typedef struct hub_item {
    uint8_t kind;
    union {
        struct {
            inflight *f;
            int code;
            cets_result res;
        } done;
        struct {
            uint32_t conn_id;
            bool ok;
            principal p;
        } auth;
        struct {
            char name[AUTH_NAME_MAX + 1];
            uint8_t why; /* auth_end */
        } user;          /* the user's rights ended: its sessions log out */
    } u;
} hub_item;

/* Swap the queue with *buf (capacity *cap); the items taken are then in
 * *buf; returns how many. */
size_t hub_take(gw *g, hub_item **buf, size_t *cap);
/* Read the bus to its end and hand each event wanted to app, block and md. */
void hub_read_events(gw *g);
/* The bus reader's wake-up (ctx: the gateway). */
void hub_bus_wake(void *ctx);
/* The core_done_fn of every command the gateway submits (ctx: inflight). */
void hub_on_done(void *ctx, int code, const cets_cmd *cmd, const cets_result *res);
/* Watch this participant's orders and blocks (cheap; never undone). */
void gw_participant_watch(gw *g, uint32_t participant);
/* Market data wanted: depth and every trade from now on. */
void gw_md_enable(gw *g);
/* The worker also listens to the credential store: a user deleted, given a
 * new password, moved or stripped of a role comes back as a HUB_USER item. */
struct auth_worker *auth_worker_start(gw *g, auth *a);
void auth_worker_stop(struct auth_worker *w);
/* Queue a password check; the answer comes back through sess_on_auth(). */
void gw_auth_ask(gw *g, conn *c, const char *password);

/* ---- tls.c ---- */
#define CONN_IO_TLS_ERROR (-2)
/* The listener's TLS context from PEM files; 0, or -1 with err. */
int gw_tls_init(gw *g, const char *cert, const char *key, char *err, size_t errlen);
void gw_tls_free(gw *g);
/* A new connection's TLS object (nothing on a plain listener); false: out of memory. */
bool conn_tls_start(gw *g, conn *c);
/* recv/send on either kind of connection (tls.c's opening comment). */
ssize_t conn_io_recv(conn *c, void *buf, size_t n);
ssize_t conn_io_send(conn *c, const void *buf, size_t n);
bool conn_tls_pending(const conn *c);
const char *conn_tls_error(const conn *c);
void conn_tls_close(conn *c);

/* ---- conn.c ---- */
void conn_accept(gw *g);
/* Once a second: one log line for the connections refused meanwhile. */
void conn_refusals_log(gw *g);
void conn_read(gw *g, conn *c);
/* Handle the whole messages waiting in the input buffer. */
void conn_parse(gw *g, conn *c);
void conn_send(conn *c);
/* Tell epoll what the connection waits for now. */
void conn_watch(gw *g, conn *c);
void conn_free(gw *g, int i);
/* The connection can read now without waiting for epoll (TLS bytes decrypted
 * and held inside OpenSSL while the input buffer was full). */
bool conn_readable_now(const conn *c);
void gw_conn_write(conn *c, const char *p, size_t n);
/* Close: now, or after what is queued has been sent (flush_first). */
void gw_conn_kill(conn *c, const char *why, bool flush_first);
/* Close after what is queued has been sent and the peer has closed its side
 * (or logout_timeout_ms): how a Logout we answered ends. */
void gw_conn_linger(conn *c, const char *why);

/* ---- gateway.c ---- */
/* The gateway fell a whole bus behind and missed events: log every session
 * out and read the market again (docs/fix.md, "Falling behind"). */
void gw_resync(gw *g, uint64_t lost);
/* The provisioned entry of a SenderCompID (the table read again if it has
 * changed), or NULL. */
const compid_entry *gw_compid(gw *g, const char *comp);
/* The session of a provisioned SenderCompID, created (files and all) on
 * first use; NULL with err. */
sess *gw_session_get(gw *g, const compid_entry *e, char *err, size_t errlen);
/* The session's store, opened if it was closed; NULL (logged) when it
 * cannot be. */
fix_store *gw_store(sess *s);
/* A line of the session's .orders file (fix_store_order_note). */
void gw_order_note(sess *s, char op, uint64_t order_id, const char *clordid);
void gw_flush_later(sess *s);
/* Send a command to the core; false (and f freed) when the core is stopping. */
bool gw_submit(gw *g, inflight *f);
int gw_instrument_find(gw *g, const char *code, size_t len);
void gw_instruments_load(gw *g, const cets_engine *e);
uint64_t gw_client_ref(const sess *s, const char *id);

/* ---- session.c ---- */
void sess_on_message(gw *g, conn *c, const fix_msg *m);
/* A message that did not frame: a BeginString of another version is
 * answered with a Logout; before a Logon, anything garbled closes. */
void sess_on_bad_frame(gw *g, conn *c, fix_status st);
void sess_on_auth(gw *g, conn *c, bool ok, const principal *p);
/* The rights of user ended (why: auth_end): its logged-on sessions get a
 * Logout saying why and are closed. */
void sess_user_ended(gw *g, const char *user, int why);
/* Begin an outbound message (header filled), then add fields, then end. */
void sess_begin(sess *s, const char *type);
void sess_end(sess *s);
void sess_reject(sess *s, const fix_msg *m, uint32_t tag, int reason, const char *text);
void sess_business_reject(sess *s, const fix_msg *m, int reason, const char *text);
/* Check that each tag (list ends with 0) is present: else Reject 1 and false. */
bool sess_require(sess *s, const fix_msg *m, const uint32_t *tags);
void sess_logout(sess *s, const char *text);
void sess_timers(gw *g, sess *s);
void sess_pump(sess *s);
void sess_offline(gw *g, sess *s);

/* ---- app.c ---- */
/* The application MsgTypes the gateway takes (D F G q AE V g). */
bool app_accepts(const char *type);
void app_on_message(gw *g, sess *s, const fix_msg *m);
void app_on_event(gw *g, const cets_event *ev);
void app_on_done(gw *g, inflight *f, int code, const cets_result *res);
void app_on_disconnect(gw *g, sess *s);
void app_restore_orders(gw *g, sess *s, const cets_engine *e);
void app_resync(gw *g, const cets_engine *e);
/* Shared field readers: 0, or -1 after a session Reject was sent. */
int app_get_id(sess *s, const fix_msg *m, uint32_t tag, char out[GW_ID_MAX + 1], bool required);
int app_get_qty(sess *s, const fix_msg *m, uint32_t tag, int64_t *qty);
int app_get_side(sess *s, const fix_msg *m, uint32_t tag, uint8_t *side);
int app_get_symbol(gw *g, sess *s, const fix_msg *m, uint32_t *instrument);
/* Price: 0; -1 Reject sent; 1 well-formed but not in fen (off the tick). */
int app_get_price(sess *s, const fix_msg *m, uint32_t tag, int64_t *fen);
/* Text (58) "name: message" and CetsReasonCode of a rejection of cmd (NULL
 * when there is none): the message of the rule that refused (cets.h). */
void app_add_reason(gw *g, fix_builder *b, const cets_cmd *cmd, int code);

/* ---- block.c ---- */
void block_on_message(gw *g, sess *s, const fix_msg *m);
void block_on_event(gw *g, const cets_event *ev);
void block_on_done(gw *g, inflight *f, int code, const cets_result *res);

/* ---- md.c ---- */
void md_on_request(gw *g, sess *s, const fix_msg *m);
void md_on_status_request(gw *g, sess *s, const fix_msg *m);
void md_on_event(gw *g, const cets_event *ev);
void md_tick(gw *g);
void md_on_disconnect(gw *g, sess *s);

#endif
