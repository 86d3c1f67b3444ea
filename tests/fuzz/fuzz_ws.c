/* fuzz_ws.c -- libFuzzer target: arbitrary bytes as the text messages of one
 * WebSocket client, through ws_message(), the function that handles each
 * message a client sends on /ws (src/server/ws.c).
 *
 * The hub is the real one of a cetsd service running in this process
 * (lib/fuzzserver.h), so "auth" checks real tokens ("@ADMIN@", "@USER@" are
 * replaced by live ones) and subscriptions look up real instruments. The
 * client is made here without a socket: it is never put on the hub's list
 * of clients, and is taken out of its subscriber lists after each message
 * (no engine event is sent to it), and it is marked busy, the flag a writer
 * thread sets while it writes, so no writer takes it; the target reads the
 * replies off its queue itself. The input is split at newlines into up to
 * 16 messages, each at most WS_MAX_IN bytes as on_data() allows, so that
 * one input can authenticate and then subscribe.
 *
 * Checked, after each message:
 *  - exactly one reply, a whole unmasked text frame holding a JSON object
 *    with "op" or "error"; an error is one of the names docs/api.md lists
 *    for WebSocket and has a "message";
 *  - the private streams are open only to an authenticated client with
 *    role view, for its own participant or, with role admin, another.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/ws_int.h"
#include "fuzzserver.h"
#include "fuzztmp.h"

#define MAX_MESSAGES 16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_server();
    return 0;
}

static const char *const error_names[] = {"bad_json",           "bad_field",       "unknown_field",
                                          "unknown_instrument", "unauthenticated", "forbidden",
                                          "too_large",          "bad_message",     NULL};

/* The frame's JSON text: FIN and text opcode, no mask, a length that fits. */
static json_t *frame_json(const ws_msg *m)
{
    const unsigned char *f = (const unsigned char *)m->frame;
    fuzz_check(m->len >= 2 && f[0] == 0x81 && !(f[1] & 0x80), "not an unmasked final text frame");
    size_t h = 2, n = f[1] & 0x7f;
    if (n == 126) {
        h = 4;
        n = (size_t)f[2] << 8 | f[3];
    } else if (n == 127) {
        h = 10;
        n = 0;
        for (int i = 0; i < 8; i++) n = n << 8 | f[2 + i];
    }
    fuzz_check(h + n == m->len, "frame length %zu + %zu, message %zu", h, n, m->len);
    json_error_t je;
    json_t *j = json_loadb(m->frame + h, n, 0, &je);
    fuzz_check(json_is_object(j), "a reply that is not a JSON object: %.*s",
               (int)(n < 200 ? n : 200), m->frame + h);
    return j;
}

static void check_reply(json_t *j)
{
    const char *err = json_string_value(json_object_get(j, "error"));
    if (!err) {
        fuzz_check(json_is_string(json_object_get(j, "op")), "a reply without op or error");
        return;
    }
    int i = 0;
    while (error_names[i] && strcmp(error_names[i], err) != 0) i++;
    fuzz_check(error_names[i] != NULL, "error \"%s\" is not one docs/api.md lists", err);
    fuzz_check(json_is_string(json_object_get(j, "message")), "error \"%s\" without a message",
               err);
}

static void check_rights(const ws_client *c)
{
    if (!(c->orders || c->fills || c->balances)) return;
    fuzz_check(c->who.authenticated && (c->who.roles & ROLE_VIEW),
               "private streams open to a client that is not authenticated with role view");
    fuzz_check(c->owner == c->who.participant || (c->who.roles & ROLE_ADMIN),
               "participant %u's streams open to user %s of participant %u", c->owner, c->who.user,
               c->who.participant);
}

/* Under mu: take c out of the hub's subscriber lists, which a subscribe put
 * it in (ws_subs_sync), so that no engine event reaches it and it may be
 * freed; its subscriptions stay as they are. */
static void subs_leave(ws_hub *h, ws_client *c)
{
    c->closing = true;
    ws_subs_sync(h, c);
    c->closing = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    server *s = fuzz_server();
    ws_hub *h = s->ws;
    fuzz_server_tokens_refresh();
    size_t len;
    char *text = fuzz_server_tokens_in(data, size, &len);
    ws_client *c = calloc(1, sizeof *c);
    c->busy = true; /* we are its writer: see the opening comment */
    snprintf(c->addr, sizeof c->addr, "fuzz");
    size_t at = 0;
    for (int k = 0; k < MAX_MESSAGES && at <= len; k++) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        if (n <= WS_MAX_IN) /* on_data() answers a longer one too_large itself */
            ws_message(h, c, text + at, n);
        pthread_mutex_lock(&h->mu);
        /* one reply per message; an auth that ends the identity the socket
         * had (a failed re-auth, say) is told apart first: auth_ended */
        fuzz_check(n > WS_MAX_IN ? c->qlen == 0 : c->qlen == 1 || c->qlen == 2,
                   "%u replies to one message", c->qlen);
        for (uint32_t i = 0; i < c->qlen; i++) {
            ws_msg *m = c->q[(c->qhead + i) % c->qcap];
            json_t *j = frame_json(m);
            check_reply(j);
            const char *op = json_string_value(json_object_get(j, "op"));
            fuzz_check(c->qlen == 1 || i == 1 || (op && strcmp(op, "auth_ended") == 0),
                       "two replies to one message, the first not auth_ended");
            json_decref(j);
            ws_msg_unref(m);
        }
        c->qhead = c->qlen = 0;
        c->qbytes = 0;
        check_rights(c);
        subs_leave(h, c);
        pthread_mutex_unlock(&h->mu);
        at += n + 1;
    }
    free(c->q);
    free(c);
    free(text);
    return 0;
}
