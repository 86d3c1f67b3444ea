/* ws.h -- WebSocket streams on /ws: public (depth, trades, stats per
 * instrument) and private after auth (own orders, fills, balances).
 *
 * The hub is a core listener: on the core thread it only copies each event
 * into a ring; a feed thread turns events into JSON messages and queues them
 * for the subscribed connections, and writer threads send them, so a slow
 * client never holds up the engine (ws.c, ws_feed.c). */
#ifndef CETS_SERVER_WS_H
#define CETS_SERVER_WS_H

#include "server.h"

ws_hub *ws_hub_new(server *s);
void ws_hub_free(ws_hub *h);
/* The core listener (add with core_add_listener(core, ws_on_event, hub)). */
void ws_on_event(void *hub, const cets_event *ev);
/* Register the /ws handler on s->mg. */
void ws_register(server *s);
int ws_client_count(ws_hub *h);

#endif
