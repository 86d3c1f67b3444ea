/* demo.c -- a minimal demo market: the seven instruments of the national
 * market with plausible previous closes, four participants with funds and
 * holdings, and two users, alice and bob (docs/operations.md lists the
 * logins). Seeded through core_submit() like any operator command, so the
 * demo is journaled and survives a restart; seeded once only (when the
 * market has no instrument). Then simulated traders (demo_traders.c) trade
 * through the HTTP API at demo_rate actions per second. */
#include "demo.h"

#include <string.h>

#include "auth/auth.h"
#include "demo_traders.h"
#include "core/log.h"

typedef struct demo_instrument {
    const char *code;
    int product;
    int64_t prev_close; /* fen */
} demo_instrument;

static const demo_instrument instruments[] = {
    {"CEA1920", CETS_PRODUCT_CEA, 6850},  {"CEA21", CETS_PRODUCT_CEA, 7020},
    {"CEA22", CETS_PRODUCT_CEA, 7100},    {"CEA23", CETS_PRODUCT_CEA, 7235},
    {"CEA24", CETS_PRODUCT_CEA, 7380},    {"CEA25", CETS_PRODUCT_CEA, 7460},
    {"CCER", CETS_PRODUCT_CCER, 8500},
};

typedef struct demo_participant {
    const char *name;
    int kind;
    const char *user, *password; /* NULL: no user */
} demo_participant;

static const demo_participant participants[] = {
    {"Demo Power Generation Co.", CETS_PK_ENTITY, "alice", "alice-demo"},
    {"Demo Steel Works", CETS_PK_ENTITY, "bob", "bob-demo"},
    {"Demo Carbon Asset Management", CETS_PK_INSTITUTION, NULL, NULL},
    {"Demo Individual Investor", CETS_PK_INDIVIDUAL, NULL, NULL},
};

static int op(server *s, cets_cmd *c, cets_result *r)
{
    c->actor = CETS_EXCHANGE_ID;
    int code = core_submit(s->core, c, r);
    if (code != CETS_OK)
        log_error("demo", "msg=\"seeding failed\" cmd=%s reason=%s", log_q(cets_cmd_name(c->type)),
                  log_q(cets_reason_name(code)));
    return code;
}

static int demo_seed(server *s)
{
    size_t ni = sizeof instruments / sizeof instruments[0];
    for (size_t i = 0; i < ni; i++) {
        cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD, .aux = instruments[i].product,
                      .price = instruments[i].prev_close};
        snprintf(c.u.text, sizeof c.u.text, "%s", instruments[i].code);
        if (op(s, &c, NULL) != CETS_OK)
            return -1;
    }
    for (size_t p = 0; p < sizeof participants / sizeof participants[0]; p++) {
        const demo_participant *d = &participants[p];
        cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD, .aux = d->kind};
        cets_result r;
        snprintf(c.u.text, sizeof c.u.text, "%s", d->name);
        if (op(s, &c, &r) != CETS_OK)
            return -1;
        uint32_t pid = r.id;
        cets_cmd dep = {.type = CETS_CMD_DEPOSIT, .participant = pid, .qty = 1000000000}; /* 10m CNY */
        if (op(s, &dep, NULL) != CETS_OK)
            return -1;
        for (size_t i = 0; i < ni; i++) {
            if (d->kind == CETS_PK_INDIVIDUAL && instruments[i].product != CETS_PRODUCT_CCER)
                continue;
            cets_cmd cr = {.type = CETS_CMD_HOLDING_CREDIT, .participant = pid,
                           .instrument = (uint32_t)i, .qty = 20000};
            if (op(s, &cr, NULL) != CETS_OK)
                return -1;
        }
        char err[256];
        if (d->user && auth_user_put(s->auth, d->user, d->password, pid,
                                     ROLE_VIEW | ROLE_TRADE | ROLE_FUNDS, err, sizeof err) != 0) {
            log_error("demo", "msg=\"cannot create user\" user=%s error=%s", log_q(d->user),
                      log_q(err));
            return -1;
        }
    }
    log_info("demo", "msg=\"demo market seeded\" instruments=%zu participants=%zu users=alice,bob",
             ni, sizeof participants / sizeof participants[0]);
    return 0;
}

int demo_start(server *s)
{
    const cets_engine *e = core_read_begin(s->core);
    uint32_t n = cets_instrument_count(e);
    core_read_end(s->core);
    if (!n && demo_seed(s) != 0)
        return -1;
    if (s->cfg.demo_rate > 0) {
        s->traders = demo_traders_start(s, (int)s->cfg.demo_participants, s->cfg.demo_rate,
                                        s->cfg.demo_seed);
        if (!s->traders)
            return -1;
    }
    return 0;
}

void demo_stop(server *s)
{
    demo_traders_stop(s->traders);
    s->traders = NULL;
}
