/* demo.c -- a demo market: the seven instruments of the national market with
 * plausible previous closes; the competent authority, two compliance
 * entities, an institution and an individual with funds and allowances of
 * the real market's orders of magnitude; verified emissions for 2025, so that
 * the compliance pages have an obligation to show; and the users of
 * docs/operations.md: alice and bob (traders and compliance officers of
 * their entities), alice2 (alice's colleague, the second pair of eyes for
 * transfers) and mee (the authority). Seeded through core_submit() like any
 * operator command, so the demo is journaled and survives a restart; seeded
 * once only (when the market has no instrument). Then simulated traders
 * (demo_traders.c) trade through the HTTP API at demo_rate actions per
 * second. */
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
    {"CEA1920", CETS_PRODUCT_CEA, 6850}, {"CEA21", CETS_PRODUCT_CEA, 7020},
    {"CEA22", CETS_PRODUCT_CEA, 7100},   {"CEA23", CETS_PRODUCT_CEA, 7235},
    {"CEA24", CETS_PRODUCT_CEA, 7380},   {"CEA25", CETS_PRODUCT_CEA, 7460},
    {"CCER", CETS_PRODUCT_CCER, 8500},
};

typedef struct demo_user {
    const char *name, *password;
    uint32_t roles;
} demo_user;

typedef struct demo_participant {
    const char *name;
    int kind;
    int64_t funds;     /* fen */
    int64_t cea, ccer; /* tonnes of each CEA vintage, of CCER */
    int64_t emissions; /* verified 2025 emissions: the obligation, t */
    demo_user users[2];
} demo_participant;

#define DEMO_YEAR 2025
#define R_TRADER (ROLE_VIEW | ROLE_TRADE | ROLE_FUNDS | ROLE_COMPLIANCE)

static const demo_participant participants[] = {
    {"Demo Power Generation Co.",
     CETS_PK_ENTITY,
     10000000000LL,
     500000,
     20000,
     1200000,
     {{"alice", "alice-demo", R_TRADER}, {"alice2", "alice2-demo", ROLE_VIEW | ROLE_COMPLIANCE}}},
    {"Demo Steel Works",
     CETS_PK_ENTITY,
     10000000000LL,
     300000,
     10000,
     800000,
     {{"bob", "bob-demo", R_TRADER}}},
    {"Demo Carbon Asset Management", CETS_PK_INSTITUTION, 5000000000LL, 200000, 50000, 0, {{0}}},
    {"Demo Individual Investor", CETS_PK_INDIVIDUAL, 100000000LL, 0, 20000, 0, {{0}}},
    {"Demo Ministry of Ecology and Environment",
     CETS_PK_AUTHORITY,
     0,
     0,
     0,
     0,
     {{"mee", "mee-demo", ROLE_VIEW | ROLE_AUTHORITY}}},
};
#define NPART (sizeof participants / sizeof participants[0])

static int op(server *s, cets_cmd *c, cets_result *r)
{
    if (!c->actor) c->actor = CETS_EXCHANGE_ID;
    int code = core_submit(s->core, c, r);
    if (code != CETS_OK)
        log_error("demo", "msg=\"seeding failed\" cmd=%s reason=%s", log_q(cets_cmd_name(c->type)),
                  log_q(cets_reason_name(code)));
    return code;
}

/* Funds, holdings and users of one participant. */
static int demo_account(server *s, const demo_participant *d, uint32_t pid)
{
    size_t ni = sizeof instruments / sizeof instruments[0];
    if (d->funds) {
        cets_cmd dep = {.type = CETS_CMD_DEPOSIT, .participant = pid, .qty = d->funds};
        if (op(s, &dep, NULL) != CETS_OK) return -1;
    }
    for (size_t i = 0; i < ni; i++) {
        int64_t q = instruments[i].product == CETS_PRODUCT_CCER ? d->ccer : d->cea;
        cets_cmd cr = {.type = CETS_CMD_HOLDING_CREDIT,
                       .participant = pid,
                       .instrument = (uint32_t)i,
                       .qty = q};
        if (q && op(s, &cr, NULL) != CETS_OK) return -1;
    }
    for (int u = 0; u < 2 && d->users[u].name; u++) {
        char err[256];
        if (auth_user_put(s->auth, d->users[u].name, d->users[u].password, pid, d->users[u].roles,
                          err, sizeof err) != 0) {
            log_error("demo", "msg=\"cannot create user\" user=%s error=%s",
                      log_q(d->users[u].name), log_q(err));
            return -1;
        }
    }
    return 0;
}

static int demo_seed(server *s)
{
    size_t ni = sizeof instruments / sizeof instruments[0];
    for (size_t i = 0; i < ni; i++) {
        cets_cmd c = {.type = CETS_CMD_INSTRUMENT_ADD,
                      .aux = instruments[i].product,
                      .price = instruments[i].prev_close};
        snprintf(c.u.text, sizeof c.u.text, "%s", instruments[i].code);
        if (op(s, &c, NULL) != CETS_OK) return -1;
    }
    uint32_t authority = 0, pids[NPART];
    for (size_t p = 0; p < NPART; p++) {
        const demo_participant *d = &participants[p];
        cets_cmd c = {.type = CETS_CMD_PARTICIPANT_ADD, .aux = d->kind};
        cets_result r;
        snprintf(c.u.text, sizeof c.u.text, "%s", d->name);
        if (op(s, &c, &r) != CETS_OK || demo_account(s, d, r.id) != 0) return -1;
        pids[p] = r.id;
        if (d->kind == CETS_PK_AUTHORITY) authority = r.id;
    }
    for (size_t p = 0; p < NPART; p++) { /* the obligations, recorded by the authority */
        cets_cmd c = {.type = CETS_CMD_EMISSIONS,
                      .actor = authority,
                      .participant = pids[p],
                      .aux = DEMO_YEAR,
                      .qty = participants[p].emissions};
        if (participants[p].emissions && op(s, &c, NULL) != CETS_OK) return -1;
    }
    log_info("demo",
             "msg=\"demo market seeded\" instruments=%zu participants=%zu "
             "users=mee,alice,alice2,bob",
             ni, NPART);
    return 0;
}

int demo_start(server *s)
{
    const cets_engine *e = core_read_begin(s->core);
    uint32_t n = cets_instrument_count(e);
    core_read_end(s->core);
    if (!n && demo_seed(s) != 0) return -1;
    if (s->cfg.demo_rate > 0) {
        s->traders = demo_traders_start(s, (int)s->cfg.demo_participants, s->cfg.demo_rate,
                                        s->cfg.demo_seed);
        if (!s->traders) return -1;
    }
    return 0;
}

void demo_stop(server *s)
{
    demo_traders_stop(s->traders);
    s->traders = NULL;
}
