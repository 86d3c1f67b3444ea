/* tmethods.h -- command builders for the block, auction and registry tests.
 *
 * Each builder applies one command through the tmarket (next seq, market
 * time) and returns its result code; wrap it in TR_OK / TR_REJECT
 * (trules.h) to check the code, the events, the state hash and the
 * invariants. tg_setup_* build a market with every command checked.
 */
#ifndef CETS_TMETHODS_H
#define CETS_TMETHODS_H

#include <stdint.h>

#include "cets/cets.h"
#include "tmarket.h"
#include "trules.h"

/* Assert the market's invariants hold (after a command applied without TR_*). */
#define TG_INV(m) tg_inv((m), __FILE__, __LINE__)
void tg_inv(tmarket *m, const char *file, int line);

/* Setup with checks: participant (+ deposit), instrument, issuance. */
uint32_t tg_party(tmarket *m, int kind, const char *name, int64_t funds);
uint32_t tg_instrument(tmarket *m, const char *code, int product, int64_t prev_close);
void tg_credit(tmarket *m, uint32_t pid, uint32_t iid, int64_t qty);

/* Block agreements: type is one of CETS_CMD_BLOCK_*; ref the quote/proposal. */
int tg_block(tmarket *m, int type, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
             uint64_t ref, uint32_t cpty, cets_result *r);
int tg_block_as(tmarket *m, int type, uint32_t actor, uint32_t pid, uint32_t iid, int side,
                int64_t price, int64_t qty, uint64_t ref, uint32_t cpty, cets_result *r);

/* Auctions. */
int tg_auction(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int side, int64_t lot,
               int64_t start, int64_t end, int mode, int limit, int64_t min_fill_bp,
               cets_result *r);
int tg_bid(tmarket *m, uint32_t pid, uint64_t auction, int64_t price, int64_t qty, cets_result *r);
int tg_auction_cmd(tmarket *m, int type, uint32_t actor, uint64_t auction);

/* Registry. */
int tg_allocate(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int64_t qty, int trueup,
                int64_t output, int64_t benchmark);
int tg_emissions(tmarket *m, uint32_t actor, uint32_t pid, int32_t year, int64_t tonnes);
int tg_surrender(tmarket *m, uint32_t actor, uint32_t pid, int32_t year, int64_t qty,
                 cets_result *r);
int tg_surrender_named(tmarket *m, uint32_t actor, uint32_t pid, int32_t year, int n,
                       const cets_target *t, cets_result *r);
int tg_retire(tmarket *m, uint32_t actor, uint32_t pid, uint32_t iid, int64_t qty,
              const char *text);
int tg_transfer(tmarket *m, uint32_t actor, uint32_t from, uint32_t to, uint32_t iid, int64_t qty,
                uint32_t user, cets_result *r);
int tg_transfer_decide(tmarket *m, int type, uint32_t actor, uint64_t id, uint32_t user);
int tg_judicial(tmarket *m, uint32_t actor, uint32_t pid, int freeze);
int tg_deadline(tmarket *m, uint32_t actor, int32_t year);

/* The registry events recorded since the last tm_clear_events, in order. */
size_t tg_moves(const tmarket *m, cets_registry_move *out, size_t cap);
/* Half-up fee, computed here and not by the engine: round(value * ppm / 1e6). */
int64_t tg_fee(int64_t value, int64_t ppm);
/* Total of a holding (available + frozen + locked). */
int64_t tg_held(const tmarket *m, uint32_t pid, uint32_t iid);

#endif
