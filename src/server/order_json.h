/* order_json.h -- order entry without jansson on the hot endpoints: a parser
 * for the order object straight on the body's bytes, and the answers written
 * straight into one buffer.
 *
 * The fast parser accepts a strict subset of what the general path (jansson,
 * http_body() and the typed field helpers of http.h) accepts, and gives the
 * same command for it. Whatever it is not sure of, it declines, and the
 * request goes the general way, so every error message and status stays the
 * general path's. It declines:
 *   - any string byte outside printable ASCII 0x20..0x7e, and every escape
 *     ('\'): non-ASCII text, control characters, "\u0041";
 *   - an unknown or repeated key, a missing required field, null, true,
 *     false, nested values (a take's "targets" array goes the general way);
 *   - a number that is not an integer of at most 16 digits without sign
 *     "+", leading zeros, fraction or exponent, "-0", and any value out of
 *     its field's range (price and limit as http_parse_money() takes them,
 *     side and tif as view_sides and view_tifs name them, qty within
 *     +-10^15, code 1 to 15 bytes, client_order_id 1 to 32 printable bytes);
 *   - an empty body or object, an empty "orders" array or more than
 *     OJ_BATCH_MAX entries, and anything after the closing brace but JSON
 *     whitespace. JSON whitespace (space, tab, CR, LF) between tokens is
 *     taken as jansson takes it.
 * One mechanism for POST /api/v1/orders, each entry of /orders/batch and
 * POST /api/v1/takes (by qty and limit).
 *
 * The answers: the order result (201/200 of an order or take), a
 * rejection (http_reject) and the batch's list are written into a jbuf in
 * the bytes jansson's json_dumps(JSON_COMPACT) gives for the same object:
 * keys in the order they were set, integers as %lld, strings escaped as
 * jansson escapes them (\" \\ \b \f \n \r \t, other control characters
 * \u00XX, everything else as it is). A string that is not valid UTF-8
 * makes the writer decline too (jansson refuses it; the general path
 * answers as it always did). tests/test_order_json.c holds both ways to
 * each other on thousands of generated bodies and answers.
 */
#ifndef CETS_SERVER_ORDER_JSON_H
#define CETS_SERVER_ORDER_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cets/cets.h"
#include "http.h"
#include "idem.h"

#define OJ_QTY_LIMIT 1000000000000000LL /* |qty| of an order or take */
#define OJ_BATCH_MAX 1000               /* orders in one POST /api/v1/orders/batch */

typedef enum { OJ_ORDER, OJ_TAKE } oj_kind;

/* An order (or a take by qty and limit) as the fast parser read it. */
typedef struct oj_order {
    char code[CETS_CODE_LEN];
    int side;      /* index into view_sides */
    int tif;       /* index into view_tifs; CETS_TIF_DAY when not given */
    int64_t price; /* fen: the order's price, the take's limit */
    int64_t qty;
    bool has_coid;
    char coid[IDEM_COID_MAX + 1];
} oj_order;

/* body[0..len) as one order object of kind: true and *out, or false
 * (declined: the general path decides). */
bool oj_parse(const char *body, size_t len, oj_kind kind, oj_order *out);
/* body[0..len) as {"orders":[order, ...]}: true, *n and out[0..*n), or
 * false (declined). out holds max entries. */
bool oj_parse_batch(const char *body, size_t len, oj_order *out, size_t max, size_t *n);
/* An upper bound of the entries of a batch body (for out's size). */
size_t oj_batch_bound(const char *body, size_t len);

/* The command of o for the caller of r (the instrument looked up; 422
 * unknown_instrument answered and false when there is none). */
bool oj_cmd(req *r, const oj_order *o, oj_kind kind, cets_cmd *cmd);

/* The general path: the fields of the parsed object b (its keys already
 * checked) into cmd, *coid (into b, NULL when not given) and *qty (the
 * ordered quantity: a take by targets sums them); false after answering. */
bool oj_json(req *r, json_t *b, oj_kind kind, cets_cmd *cmd, const char **coid, int64_t *qty);

/* The instrument lookup of both paths: id or -1. The server's reads the
 * engine; a test may put its own (NULL: the server's). */
typedef int (*oj_lookup_fn)(req *r, const char *code);
void oj_set_lookup(oj_lookup_fn fn);

/* ---- answers --------------------------------------------------------- */
typedef struct jbuf {
    char *p;
    size_t len, cap;
    bool oom;
    char inl[1024];
} jbuf;

void jb_init(jbuf *w);
void jb_free(jbuf *w);
void jb_raw(jbuf *w, const char *s, size_t n);
void jb_int(jbuf *w, long long v);
/* s as a JSON string, escaped as jansson does; false (nothing written)
 * when s is not valid UTF-8. */
bool jb_str(jbuf *w, const char *s);

/* The answer to an order or take that executed: jansson's and written. */
json_t *oj_result_json(const idem_result *res, const char *coid);
void oj_result_write(jbuf *w, const idem_result *res, const char *coid);
/* A cancel's answer: {"order_id":…,"status":"cancelled"}. */
json_t *oj_cancel_json(uint64_t order_id);
void oj_cancel_write(jbuf *w, uint64_t order_id);
/* The same written for a rejection (http.h): false when a string in it is
 * not valid UTF-8 (nothing written). */
bool oj_rejection_write(jbuf *w, const http_rejection *x);
/* obj (written, ending in '}') as an element of a batch's results: with
 * "index" and "http_status" after its own keys. */
void oj_entry_close(jbuf *w, size_t index, int status);

#endif
