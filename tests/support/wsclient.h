/* wsclient.h -- a minimal WebSocket client for tests (RFC 6455 over a plain
 * TCP socket): the opening handshake, masked text frames out, whole
 * unfragmented frames in. Debian's libcurl 7.88 has no WebSocket support, and
 * a test client this small is easier to trust than a second library. */
#ifndef CETS_TESTS_WSCLIENT_H
#define CETS_TESTS_WSCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct wsc wsc;

/* Connect to 127.0.0.1:port and upgrade path; NULL on failure. */
wsc *wsc_connect(int port, const char *path);
void wsc_close(wsc *c);
/* Send one text message (masked, as a client must). 0 or -1. */
int wsc_send(wsc *c, const char *text);
/* Send a JSON value (taken). */
int wsc_send_json(wsc *c, json_t *j);
/* The next text message as JSON, waiting up to timeout_ms; NULL on timeout,
 * close or a message that is not JSON. Pings are answered. */
json_t *wsc_recv(wsc *c, int timeout_ms);
/* The next message with m[key] == value (a string), skipping others, until
 * timeout_ms has passed in all; NULL when none came. */
json_t *wsc_wait(wsc *c, const char *key, const char *value, int timeout_ms);
/* Whether the server closed the connection (a close frame or EOF was read). */
bool wsc_closed(const wsc *c);
/* The close status code the server sent, 0 if none. */
int wsc_close_code(const wsc *c);
/* The reason text of the server's close frame ("" if none). */
const char *wsc_close_reason(const wsc *c);
/* Send a raw frame (for protocol tests): opcode, fin bit, payload. */
int wsc_send_frame(wsc *c, int opcode, bool fin, const void *data, size_t len);
/* The socket, to stop reading it (tests of slow clients). */
int wsc_fd(const wsc *c);

#endif
