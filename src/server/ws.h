/* ws.h -- WebSocket streams on /ws: public (depth, trades, stats per
 * instrument) and private after auth (own orders, fills, balances).
 *
 * A feed thread reads the core's event bus, turns events into JSON messages
 * and queues them for the subscribed connections, and the front end's
 * threads send them, so a slow client never holds up the engine (ws.c,
 * ws_feed.c; ws_evloop.c and ws_civet.c carry the bytes).
 * Create the hub after core_start(): it joins the bus at its end. */
#ifndef CETS_SERVER_WS_H
#define CETS_SERVER_WS_H

#include "server.h"

ws_hub *ws_hub_new(server *s);
void ws_hub_free(ws_hub *h);
/* Listen to the credential store (rights that end): after auth_start(). */
void ws_listen(server *s);
/* civetweb (ws_civet.c): register the /ws handler on s->mg and start the
 * writer threads. The event loop serves /ws itself (ws_evloop.c). */
int ws_register(server *s);
int ws_client_count(ws_hub *h);

#endif
