/* tmarket.c -- see tmarket.h. */
#include "tmarket.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void record(void *ctx, const cets_event *ev)
{
    tmarket *m = ctx;
    if (m->nev == m->capev) {
        m->capev = m->capev ? m->capev * 2 : 256;
        m->ev = realloc(m->ev, m->capev * sizeof *m->ev);
        assert_non_null(m->ev);
    }
    m->ev[m->nev++] = *ev;
    if (ev->type == CETS_EV_STATEMENT) {
        if (m->nstmts == m->capstmts) {
            m->capstmts = m->capstmts ? m->capstmts * 2 : 16;
            m->stmts = realloc(m->stmts, m->capstmts * sizeof *m->stmts);
            assert_non_null(m->stmts);
        }
        m->stmts[m->nstmts++] = *ev->u.statement;
        m->ev[m->nev - 1].u.statement = NULL; /* only valid during the callback */
    }
}

void tm_init(tmarket *m, const cets_config *cfg)
{
    memset(m, 0, sizeof *m);
    cets_config c;
    if (cfg) {
        c = *cfg;
    } else {
        cets_config_default(&c);
        c.start_date = TM_DATE;
    }
    m->e = cets_engine_new(&c);
    assert_non_null(m->e);
    cets_engine_set_listener(m->e, record, m);
    tm_at(m, 10, 0);
}

void tm_free(tmarket *m)
{
    cets_engine_free(m->e);
    free(m->ev);
    free(m->stmts);
    memset(m, 0, sizeof *m);
}

void tm_at_date(tmarket *m, int32_t date, int hh, int mm)
{
    m->now = cets_time_at(date, hh, mm, cets_engine_config(m->e)->tz_offset_min);
}

void tm_at(tmarket *m, int hh, int mm)
{
    tm_at_date(m, cets_trading_date(m->e), hh, mm);
}

int tm_apply(tmarket *m, cets_cmd *c, cets_result *r)
{
    cets_result tmp;
    c->seq = ++m->seq;
    c->ts = m->now;
    if (m->journal) m->journal(m->journal_ctx, c);
    return cets_apply(m->e, c, r ? r : &tmp);
}

void tm_clear_events(tmarket *m)
{
    m->nev = 0;
    m->nstmts = 0;
}

size_t tm_count_events(const tmarket *m, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nev; i++) n += m->ev[i].type == type;
    return n;
}

const cets_event *tm_last_event(const tmarket *m, int type)
{
    for (size_t i = m->nev; i-- > 0;)
        if (m->ev[i].type == type) return &m->ev[i];
    return NULL;
}

uint32_t tm_instrument(tmarket *m, const char *code, int product, int matching, int64_t prev_close)
{
    cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = product,
                  .flags = (uint8_t)matching,
                  .price = prev_close};
    snprintf(c.u.text, sizeof c.u.text, "%s", code);
    cets_result r;
    int rc = tm_apply(m, &c, &r);
    if (rc != CETS_OK) fail_msg("instrument %s: %s", code, cets_reason_name(rc));
    return r.id;
}

uint32_t tm_participant(tmarket *m, int kind, const char *name, int64_t funds)
{
    cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = kind};
    snprintf(c.u.text, sizeof c.u.text, "%s", name);
    cets_result r;
    int rc = tm_apply(m, &c, &r);
    if (rc != CETS_OK) fail_msg("participant %s: %s", name, cets_reason_name(rc));
    if (funds > 0) {
        rc = tm_admin(m, CETS_CMD_DEPOSIT, r.id, 0, funds, 0);
        if (rc != CETS_OK) fail_msg("deposit %s: %s", name, cets_reason_name(rc));
    }
    return r.id;
}

void tm_credit(tmarket *m, uint32_t pid, uint32_t iid, int64_t qty)
{
    int rc = tm_admin(m, CETS_CMD_HOLDING_CREDIT, pid, iid, qty, 0);
    if (rc != CETS_OK) fail_msg("credit: %s", cets_reason_name(rc));
}

int tm_admin(tmarket *m, int type, uint32_t pid, uint32_t iid, int64_t qty, int64_t aux)
{
    cets_cmd c = {.type = (uint8_t)type,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = pid,
                  .instrument = iid,
                  .qty = qty,
                  .aux = aux};
    return tm_apply(m, &c, NULL);
}

int tm_post_tif(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
                int tif, cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_POST,
                  .actor = pid,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .price = price,
                  .qty = qty,
                  .flags = (uint8_t)tif};
    return tm_apply(m, &c, r);
}

int tm_post(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
            cets_result *r)
{
    return tm_post_tif(m, pid, iid, side, price, qty, CETS_TIF_DAY, r);
}

int tm_take_limit(tmarket *m, uint32_t pid, uint32_t iid, int side, int64_t qty, int64_t limit,
                  cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_TAKE,
                  .actor = pid,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .price = limit,
                  .qty = qty};
    return tm_apply(m, &c, r);
}

int tm_take_targets(tmarket *m, uint32_t pid, uint32_t iid, int side, int n, const cets_target *t,
                    cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_TAKE,
                  .actor = pid,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .ntargets = (uint8_t)n};
    for (int i = 0; i < n && i < CETS_MAX_TARGETS; i++) {
        c.u.targets[i] = t[i];
        c.qty += t[i].qty;
    }
    return tm_apply(m, &c, r);
}

int tm_cancel(tmarket *m, uint32_t pid, uint64_t order_id)
{
    cets_cmd c = {.type = CETS_CMD_CANCEL, .actor = pid, .participant = pid, .order_id = order_id};
    return tm_apply(m, &c, NULL);
}

int tm_modify(tmarket *m, uint32_t pid, uint64_t order_id, int64_t price, int64_t qty,
              cets_result *r)
{
    cets_cmd c = {.type = CETS_CMD_MODIFY,
                  .actor = pid,
                  .participant = pid,
                  .order_id = order_id,
                  .price = price,
                  .qty = qty};
    return tm_apply(m, &c, r);
}

int tm_eod(tmarket *m)
{
    tm_at(m, 15, 30);
    cets_cmd c = {.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    return tm_apply(m, &c, NULL);
}

const char *tm_invariants(const cets_engine *e)
{
    static cets_check_report rep;
    return cets_check(e, &rep) == 0 ? NULL : rep.message;
}

cets_engine *tm_snapshot_copy(const cets_engine *e)
{
    void *buf;
    size_t len;
    if (cets_snapshot_save(e, &buf, &len) != 0) fail_msg("snapshot save failed");
    const char *err = NULL;
    cets_engine *copy = cets_snapshot_load(buf, len, &err);
    free(buf);
    if (!copy) fail_msg("snapshot load failed: %s", err ? err : "?");
    if (cets_state_hash(copy) != cets_state_hash(e)) fail_msg("the copy's state hash differs");
    return copy;
}

int64_t tm_avail(const tmarket *m, uint32_t pid)
{
    cets_participant_info pi;
    cets_participant_get(m->e, pid, &pi);
    return pi.available;
}

int64_t tm_frozen(const tmarket *m, uint32_t pid)
{
    cets_participant_info pi;
    cets_participant_get(m->e, pid, &pi);
    return pi.frozen;
}

cets_holding tm_hold(const tmarket *m, uint32_t pid, uint32_t iid)
{
    cets_holding h = {0};
    cets_holding_get(m->e, pid, iid, &h);
    return h;
}

int tm_param_now(tmarket *m, int id, int64_t v)
{
    cets_cmd c = {.type = CETS_CMD_PARAM_SET,
                  .actor = CETS_EXCHANGE_ID,
                  .aux = id,
                  .qty = v,
                  .flags = CETS_PARAM_URGENT};
    return tm_apply(m, &c, NULL);
}
