/* ws_evloop.h -- the WebSocket hub's transport on the event loop
 * (ws_evloop.c), for evloop.c: one ws_io per I/O thread. */
#ifndef CETS_SERVER_WS_EVLOOP_H
#define CETS_SERVER_WS_EVLOOP_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0 /* libh2o-evloop: h2o's own event loop */
#endif
#include <h2o.h>

#include "frontend.h"
#include "server.h"

typedef struct ws_io ws_io;

/* For an I/O thread's loop and multithread queue; close_ms: how long a
 * client cut off (or closing) may take to take its close frame. */
ws_io *ws_io_new(ws_hub *h, h2o_evloop_t *loop, h2o_multithread_queue_t *q, uint64_t close_ms);
/* After the loop has stopped and its WebSockets are closed. */
void ws_io_free(ws_io *w);
/* On the I/O thread: the request c (h2o's hr) for /ws becomes a WebSocket.
 * 0, or the status of the refusal answered on c (not a handshake, too many
 * clients). */
int ws_io_upgrade(ws_io *w, h2o_req_t *hr, http_conn *c);

#endif
