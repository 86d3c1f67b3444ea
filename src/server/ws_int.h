/* ws_int.h -- the WebSocket hub's insides, shared by ws.c (connections,
 * the client protocol, the writer threads) and ws_feed.c (engine events to
 * messages).
 *
 * Locks: h->mu guards the clients, their subscriptions and queues; h->rmu
 * guards the event ring. The core thread takes only rmu. Nobody holds mu
 * while taking the engine's read lock or rmu, so no lock waits on another
 * held in the opposite order.
 */
#ifndef CETS_SERVER_WS_INT_H
#define CETS_SERVER_WS_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "ws.h"

/* The defaults of the limits (server.h; the configuration's ws_* keys set them) */
#define WS_QUEUE_MAX WS_DEFAULT_QUEUE_MAX             /* messages waiting for one client, */
#define WS_QUEUE_MAX_BYTES WS_DEFAULT_QUEUE_MAX_BYTES /* or bytes, before it is cut off */
#define WS_MAX_IN WS_DEFAULT_MAX_MESSAGE              /* bytes of one client message */
#define WS_WRITERS 3 /* civetweb's socket writers; a client that stops reading can hold one */
#define WS_MAX_CLIENTS 20000
#define WS_BYID_BITS 16   /* the clients by id: 65,536 places, at most a third filled */
#define WS_WRITE_BATCH 64 /* messages a transport takes of one client at a time */

/* Opcodes (RFC 6455, 5.2) */
#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

/* One message, shared by every client it goes to, kept as the whole
 * WebSocket frame: a server's frames are not masked, so the same bytes go
 * to every client and are encoded once. */
typedef struct ws_msg {
    int refs;     /* atomic */
    size_t len;   /* of frame */
    char frame[]; /* header, then the JSON text */
} ws_msg;

typedef struct ws_client ws_client;

/* The channels of docs/api.md: public ones first (per instrument, then
 * auctions: all of them), then the private ones of one participant. */
enum {
    CH_DEPTH,
    CH_TRADES,
    CH_STATS,
    CH_AUCTIONS,
    CH_ORDERS,
    CH_FILLS,
    CH_BALANCES,
    CH_BLOCKS,
    CH_REGISTRY,
    CH_COUNT
};

/* Subscriber lists, so that a message touches only the clients that may
 * want it: one per public channel of an instrument (depth, trades, stats
 * of instrument i: WS_LIST_INST), one for each other channel (WS_LIST_CH;
 * a private channel's list holds every owner's subscribers, its match picks
 * the owner). A client is in a list while it holds that subscription and is
 * neither cut off nor closing; ws_subs_sync keeps the lists so. */
#define WS_LIST_INST(ch, i) ((ch)*CETS_MAX_INSTRUMENTS + (int)(i))   /* ch <= CH_STATS */
#define WS_LIST_CH(ch) (3 * CETS_MAX_INSTRUMENTS + (ch)-CH_AUCTIONS) /* ch >= CH_AUCTIONS */
#define WS_LISTS WS_LIST_CH(CH_COUNT)

typedef struct ws_list {
    ws_client **v; /* in no order */
    uint32_t n, cap;
} ws_list;

/* How the hub reaches a client's connection: civetweb's (ws.c: the writer
 * threads write to it) or an h2o WebSocket on an I/O thread (ws_evloop.c:
 * that thread writes to it). */
typedef struct ws_transport {
    /* Under h->mu: c has something to send (messages, or the close of a
     * client cut off). */
    void (*kick)(ws_hub *h, ws_client *c);
} ws_transport;

struct ws_client {
    const ws_transport *tr; /* NULL: civetweb's */
    void *conn;             /* the transport's connection */
    uint64_t id;
    char addr[48];
    principal who;                 /* after {"op":"auth"}; cleared when the credential ends */
    uint64_t cred;                 /* the credential of who (auth_token_info.cred); 0 = none */
    uint32_t owner;                /* participant of the private channels; 0 = none yet */
    uint64_t depth, trades, stats; /* public subscriptions: instrument id bits */
    bool orders, fills, balances;  /* private subscriptions */
    bool blocks, registry;         /* private too: own negotiations (and the board), moves */
    bool auctions;                 /* public, every auction */
    /* Depth changes at or before this seq are older than the snapshot the
     * client was sent, and are skipped. */
    uint64_t depth_seq[CETS_MAX_INSTRUMENTS];
    uint64_t want_depth, want_stats; /* snapshots the feed owes it */
    bool want_balances;

    uint32_t lpos[WS_LISTS]; /* 1 + its place in each subscriber list; 0: not in it */

    ws_msg **q; /* ring of queued messages */
    uint32_t qhead, qlen, qcap;
    size_t qbytes;
    bool busy;    /* a writer is writing to it: it must not be freed */
    bool ready;   /* in the ready list */
    bool dropped; /* too slow or broken: nothing more is sent but a close */
    bool close_sent, closing;
    bool kicked;                     /* the transport was told and has not looked yet */
    const char *drop_why;            /* the reason sent with the close frame (1008) */
    struct ws_client *prev, *next;   /* all clients */
    struct ws_client *rprev, *rnext; /* ready list */
};

typedef struct ws_feed ws_feed;

struct ws_hub {
    server *s;
    pthread_mutex_t mu;
    pthread_cond_t work; /* writers wait for ready clients */
    pthread_cond_t idle; /* a close waits for its writer */
    ws_client *clients;
    ws_list lists[WS_LISTS]; /* subscribers (ws_subs_sync) */
    ws_client **byid;        /* 1 << WS_BYID_BITS places: open addressing by id */
    bool owed;               /* some client wants snapshots (want_*): the feed looks */
    int nclients;            /* read without mu by the core thread (atomic) */
    uint64_t next_id;
    ws_client *ready_head, *ready_tail;
    bool stop;
    pthread_t writers[WS_WRITERS];
    int nwriters, idle_writers;
    uint64_t dropped; /* clients dropped for being slow */
    ws_feed *feed;
    bool listening; /* to the credential store's notices */
};

/* Which clients get a message. */
typedef bool (*ws_match)(const ws_client *c, const void *arg);

ws_msg *ws_msg_new(json_t *j); /* takes j */
void ws_msg_unref(ws_msg *m);

/* Locks mu: is any client matching? */
bool ws_any(ws_hub *h, ws_match match, const void *arg);
/* Locks mu: queue m to every matching client; takes the caller's reference. */
void ws_publish(ws_hub *h, ws_match match, const void *arg, ws_msg *m);
/* The same over the clients of one subscriber list (match NULL: all of
 * them): what the feed uses, touching only the subscribers. */
bool ws_any_in(ws_hub *h, int list, ws_match match, const void *arg);
void ws_publish_in(ws_hub *h, int list, ws_match match, const void *arg, ws_msg *m);
/* Under mu: put c in the lists of the subscriptions it holds, and take it
 * out of the others (all of them once it is cut off or closing). Out of
 * memory it is cut off. */
void ws_subs_sync(ws_hub *h, ws_client *c);
/* Under mu: queue m (a new reference is taken) to one client. */
void ws_enqueue(ws_hub *h, ws_client *c, ws_msg *m);

/* Connections, for a transport: a new client (NULL when out of memory or
 * at WS_MAX_CLIENTS: refuse it), and its end. ws_client_remove waits until
 * no civetweb writer uses c, takes it off the hub and returns whether a
 * kick was on its way to the transport; then free it with ws_client_free. */
ws_client *ws_client_add(ws_hub *h, const ws_transport *tr, void *conn, const char *addr);
bool ws_client_remove(ws_hub *h, ws_client *c);
void ws_client_free(ws_client *c);
/* Under mu: the client of that id (NULL: gone). */
ws_client *ws_client_find(ws_hub *h, uint64_t id);
/* Under mu: let go of everything queued for c. */
void ws_queue_clear(ws_client *c);
/* Under mu: take up to max queued messages of c (references handed over),
 * and whether its close frame is to be sent now (it was cut off). */
int ws_take(ws_hub *h, ws_client *c, ws_msg **out, int max, bool *send_close);
/* The close frame's payload for a client cut off: 1008 and the reason (at
 * most 125 bytes). */
size_t ws_close_payload(const ws_client *c, char *buf, size_t cap);
/* One data frame from c: opcode, FIN, and the payload (data may be NULL
 * when len is past ws_max_message: it was not kept). */
void ws_frame_in(ws_hub *h, ws_client *c, int opcode, bool fin, const char *data, size_t len);

/* civetweb's transport (ws_civet.c): under mu, take c off the writers'
 * ready list; stop the writer threads (at the hub's end). */
void ws_ready_remove(ws_hub *h, ws_client *c);
void ws_writers_stop(ws_hub *h);

/* Handle one text message of client c (its worker thread calls this; the
 * fuzz target tests/fuzz/fuzz_ws.c calls it without a socket). Replies are
 * queued on c. Locks mu itself. */
void ws_message(ws_hub *h, ws_client *c, const char *data, size_t len);

/* The feed: a thread reading the core's event bus. */
ws_feed *ws_feed_new(ws_hub *h, bus *b);
void ws_feed_free(ws_feed *f);
/* Some client wants snapshots (want_*): wake the feed. */
void ws_feed_wake(ws_feed *f);

#endif
