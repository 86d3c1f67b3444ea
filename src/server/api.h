/* api.h -- the HTTP/JSON endpoints of docs/api.md, one register function per
 * file. Each registers its path prefixes on s->mg; a handler takes a request,
 * checks who asks and what is asked, reads the engine under the core's shared
 * lock or submits one command, and answers once.
 *
 * Paths are registered per resource ("/api/v1/orders", "/api/v1/admin/halt"),
 * never as a catch-all "/api/v1": civetweb gives a shorter registered prefix
 * precedence over a longer one, which would take the authentication
 * endpoints' paths away from them. */
#ifndef CETS_SERVER_API_H
#define CETS_SERVER_API_H

#include "http.h"
#include "server.h"

void api_market_register(server *s);   /* market, instruments, depth, trades, bars, report */
void api_account_register(server *s);  /* account, own orders (GET), fills, statement */
void api_trading_register(server *s);  /* orders (POST, PATCH, DELETE), takes, withdrawals */
void api_admin_register(server *s);    /* operator endpoints but users */
void api_blocks_register(server *s);   /* api_blocks.c */
void api_auctions_register(server *s); /* api_auctions.c */
void api_registry_register(server *s); /* api_registry.c: registry and compliance */
void api_auth_register(server *s);     /* login, logout, me, tokens, admin/users */
void api_fix_register(server *s);      /* the FIX sessions the operator provisions */
void api_params_register(server *s);   /* market parameters: list, operator's changes */
void metrics_register(server *s);      /* /metrics, /healthz */

/* GET /api/v1/orders[/{id}], answered by api_account.c for the handler of
 * /api/v1/orders, which api_trading.c owns (one handler per path). */
int api_account_orders(req *r);
/* A path segment as an id; false (404 answered) when it is not one. */
bool api_id_segment(req *r, const char *seg, uint64_t *id);

/* ---- api_submit.c: every command carries its acting user ------------------ */
/* The user number of a user name (FNV-1a 32, never 0): cets_cmd.user. */
uint32_t api_user_number(const char *user);
/* core_submit() with c->user set to the caller's user number. */
int api_submit(req *r, cets_cmd *c, cets_result *res);
/* Submit cmds[0..n) (one journal batch when n > 1) with the acting user on
 * them; codes[i] and res[i] get command i's code and result, then
 * then(r, ctx) runs: at once after waiting (civetweb, the handler threads),
 * or -- on an event-loop I/O thread (http_nonblocking) -- without waiting,
 * when the completion comes back to that thread, with a copy of r. So the
 * three arrays must live until then() runs (in ctx). n = 0 runs then() at
 * once. The one way the hot handlers submit, on every front end. Returns
 * r->status (0 while the answer is to come). */
int api_submit_then(req *r, cets_cmd *cmds, int *codes, cets_result *res, size_t n,
                    http_then_fn then, void *ctx);
/* Journal that user `name` was created or changed (roles: its bits, -1 removed)
 * by user `by` ("" or NULL: the server itself), for the audit log. Returns the
 * engine's code; a failure is logged, the change itself stays. */
int api_user_changed(server *s, const char *by, const char *name, uint32_t participant,
                     int64_t roles);

/* ---- api_history.c: history, exports, the bank's and the registry's files, the audit head */
void api_history_register(server *s);
/* Add "audit":{"seq","head"} (the chain's head at the end of day date) to a
 * daily report. When the head is not written yet, first wait (up to 5 s) for
 * the audit log to hold every command applied so far; "audit":null when the
 * audit log is off, has no head for that day, or is still behind. */
void api_report_audit(server *s, int32_t date, json_t *report);

#endif
