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

#define WS_QUEUE_MAX 4096            /* messages waiting for one client before it is dropped, */
#define WS_QUEUE_MAX_BYTES (4 << 20) /* or bytes */
#define WS_WRITERS 3                 /* socket writers; a client that stops reading can hold one */
#define WS_MAX_CLIENTS 20000
#define WS_MAX_IN 4096 /* bytes of one client message */

/* One message, shared by every client it goes to, kept as the whole
 * WebSocket frame: a server's frames are not masked, so the same bytes go
 * to every client and are encoded once. */
typedef struct ws_msg {
    int refs;     /* atomic */
    size_t len;   /* of frame */
    char frame[]; /* header, then the JSON text */
} ws_msg;

typedef struct ws_client {
    struct mg_connection *conn;
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

    ws_msg **q; /* ring of queued messages */
    uint32_t qhead, qlen, qcap;
    size_t qbytes;
    bool busy;    /* a writer is writing to it: it must not be freed */
    bool ready;   /* in the ready list */
    bool dropped; /* too slow or broken: nothing more is sent but a close */
    bool close_sent, closing;
    struct ws_client *prev, *next;   /* all clients */
    struct ws_client *rprev, *rnext; /* ready list */
} ws_client;

typedef struct ws_feed ws_feed;

struct ws_hub {
    server *s;
    pthread_mutex_t mu;
    pthread_cond_t work; /* writers wait for ready clients */
    pthread_cond_t idle; /* a close waits for its writer */
    ws_client *clients;
    int nclients; /* read without mu by the core thread (atomic) */
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
/* Under mu: queue m (a new reference is taken) to one client. */
void ws_enqueue(ws_hub *h, ws_client *c, ws_msg *m);

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
