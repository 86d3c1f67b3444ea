/* ws.h -- WebSocket streams on /ws: public (depth, trades, stats per
 * instrument) and private after auth (own orders, fills, balances).
 *
 * The hub is a core listener: it turns engine events into JSON messages on
 * the core thread (cheap: formatting only) and hands them to a sender thread
 * that writes them to the subscribed connections, so a slow client never
 * holds up the engine. */
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
