/* make_golden.c -- writes the golden data directory of tests/golden/.
 *
 * A small market run through the journal, as cetsd runs one: every command
 * is appended and committed, then applied. It uses every command type and
 * every part of cets_cmd the journal stores (targets, text, auction and
 * allocation arguments, counterparty, user), a few rejected commands (the
 * journal keeps those too), two ends of day, and a snapshot taken while
 * orders rest, a block quote and a proposal are open, an auction runs across
 * days and a transfer waits. The files are made once and committed; the tests
 * then load them with today's code and must reach the recorded state hashes
 * (tests/test_golden.c, tests/cli/golden.sh). Regenerate only on a format
 * change, together with a CETS_JOURNAL_VERSION bump (docs/operations.md).
 *
 * usage: make_golden OUT     writes the data directory OUT/data (which must not
 *                            exist) and the recorded figures, OUT/golden.txt
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cets/cets.h"
#include "cets/journal.h"

#define DAY1 20261130 /* a Monday */
#define DAY2 20261201
#define DAY3 20261202
#define TZ 480

enum { EXCH = CETS_EXCHANGE_ID, GOV = 2, ALPHA = 3, BETA = 4, CARL = 5, DORA = 6 };
enum { CEA25 = 0, CEA26 = 1, CCER = 2, CEA24 = 3 };

typedef struct gen {
    cets_engine *e;
    cets_journal *j;
    uint64_t seq;
    int64_t now;
    uint64_t accepted, rejected;
} gen;

static void die(const char *what, const char *err)
{
    fprintf(stderr, "make_golden: %s: %s\n", what, err);
    exit(1);
}

static void at(gen *g, int32_t date, int hh, int mm)
{
    g->now = cets_time_at(date, hh, mm, TZ);
}

/* Journal c, commit, apply: it must end with `want` (CETS_OK or the
 * rejection the script means to record). Returns the result. */
static cets_result run(gen *g, cets_cmd c, int want)
{
    c.seq = ++g->seq;
    c.ts = g->now;
    if (cets_journal_append(g->j, &c) != 0 || cets_journal_commit(g->j) != 0)
        die("journal", cets_journal_error(g->j));
    cets_result r;
    int rc = cets_apply(g->e, &c, &r);
    if (rc != want) {
        fprintf(stderr, "make_golden: seq %" PRIu64 " %s: %s, expected %s\n", c.seq,
                cets_cmd_name(c.type), cets_reason_name(rc), cets_reason_name(want));
        exit(1);
    }
    if (rc == CETS_OK)
        g->accepted++;
    else
        g->rejected++;
    return r;
}

static cets_cmd text_cmd(cets_cmd c, const char *text)
{
    snprintf(c.u.text, sizeof c.u.text, "%s", text);
    return c;
}

static void add_instrument(gen *g, const char *code, int product, int matching, int64_t close)
{
    run(g,
        text_cmd((cets_cmd){.type = CETS_CMD_INSTRUMENT_ADD,
                            .actor = EXCH,
                            .aux = product,
                            .flags = (uint8_t)matching,
                            .price = close},
                 code),
        CETS_OK);
}

static void add_participant(gen *g, int kind, const char *name)
{
    run(g, text_cmd((cets_cmd){.type = CETS_CMD_PARTICIPANT_ADD, .actor = EXCH, .aux = kind}, name),
        CETS_OK);
}

static void admin(gen *g, int type, uint32_t pid, uint32_t iid, int64_t qty, int64_t aux)
{
    run(g,
        (cets_cmd){.type = (uint8_t)type,
                   .actor = EXCH,
                   .participant = pid,
                   .instrument = iid,
                   .qty = qty,
                   .aux = aux},
        CETS_OK);
}

static uint64_t post(gen *g, uint32_t pid, uint32_t iid, int side, int64_t price, int64_t qty,
                     int tif, int want)
{
    return run(g,
               (cets_cmd){.type = CETS_CMD_POST,
                          .actor = pid,
                          .participant = pid,
                          .instrument = iid,
                          .side = (uint8_t)side,
                          .price = price,
                          .qty = qty,
                          .flags = (uint8_t)tif,
                          .client_ref = g->seq + 1000},
               want)
        .order_id;
}

static uint64_t block(gen *g, int type, uint32_t pid, uint32_t iid, int side, int64_t price,
                      int64_t qty, uint32_t to, uint64_t answers)
{
    return run(g,
               (cets_cmd){.type = (uint8_t)type,
                          .actor = pid,
                          .participant = pid,
                          .instrument = iid,
                          .side = (uint8_t)side,
                          .price = price,
                          .qty = qty,
                          .counterparty = to,
                          .order_id = answers},
               CETS_OK)
        .order_id;
}

static uint64_t auction(gen *g, uint32_t initiator, uint32_t iid, int side, int64_t lot,
                        int64_t start, int64_t end, int mode, int limit, int min_fill)
{
    cets_cmd c = {.type = CETS_CMD_AUCTION_CREATE,
                  .actor = EXCH,
                  .participant = initiator,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .qty = lot};
    c.u.args[CETS_AUCTION_ARG_START] = start;
    c.u.args[CETS_AUCTION_ARG_END] = end;
    c.u.args[CETS_AUCTION_ARG_MODE] = mode;
    c.u.args[CETS_AUCTION_ARG_LIMIT] = limit;
    c.u.args[CETS_AUCTION_ARG_MIN_FILL] = min_fill;
    return run(g, c, CETS_OK).order_id;
}

static void bid(gen *g, uint32_t pid, uint64_t au, int64_t price, int64_t qty)
{
    run(g,
        (cets_cmd){.type = CETS_CMD_AUCTION_BID,
                   .actor = pid,
                   .participant = pid,
                   .order_id = au,
                   .price = price,
                   .qty = qty},
        CETS_OK);
}

static void allocate(gen *g, uint32_t pid, uint32_t iid, int64_t qty, int phase, int64_t output,
                     int64_t benchmark)
{
    cets_cmd c = {.type = CETS_CMD_ALLOCATE,
                  .actor = GOV,
                  .participant = pid,
                  .instrument = iid,
                  .qty = qty,
                  .aux = phase,
                  .user = 7};
    c.u.args[0] = output;
    c.u.args[1] = benchmark;
    run(g, c, CETS_OK);
}

static uint64_t transfer(gen *g, uint32_t from, uint32_t to, uint32_t iid, int64_t qty,
                         uint32_t user)
{
    return run(g,
               (cets_cmd){.type = CETS_CMD_TRANSFER,
                          .actor = from,
                          .participant = from,
                          .counterparty = to,
                          .instrument = iid,
                          .qty = qty,
                          .user = user},
               CETS_OK)
        .order_id;
}

static void decide(gen *g, int type, uint32_t actor, uint64_t id, uint32_t user)
{
    run(g, (cets_cmd){.type = (uint8_t)type, .actor = actor, .order_id = id, .user = user},
        CETS_OK);
}

static void day1(gen *g)
{
    at(g, DAY1, 9, 0);
    admin(g, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261225);
    admin(g, CETS_CMD_HOLIDAY_ADD, 0, 0, 0, 20261231);
    add_instrument(g, "CEA25", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 5123);
    add_instrument(g, "CEA26", CETS_PRODUCT_CEA, CETS_MATCH_CONTINUOUS, 6000);
    add_instrument(g, "CCER", CETS_PRODUCT_CCER, CETS_MATCH_LISTING, 8000);
    run(g,
        text_cmd((cets_cmd){.type = CETS_CMD_INSTRUMENT_ADD, .actor = EXCH, .price = 100},
                 "bad code!"),
        CETS_BAD_CODE);
    add_participant(g, CETS_PK_AUTHORITY, "Ministry");
    add_participant(g, CETS_PK_ENTITY, "Alpha Power");
    add_participant(g, CETS_PK_ENTITY, "Beta Steel");
    add_participant(g, CETS_PK_INSTITUTION, "Carl Capital");
    add_participant(g, CETS_PK_INDIVIDUAL, "Dora");
    admin(g, CETS_CMD_DEPOSIT, ALPHA, 0, 2000000000, 0);
    admin(g, CETS_CMD_DEPOSIT, BETA, 0, 4000000000, 0);
    admin(g, CETS_CMD_DEPOSIT, CARL, 0, 2000000000, 0);
    admin(g, CETS_CMD_DEPOSIT, DORA, 0, 10000000, 0);
    allocate(g, ALPHA, CEA25, 600000, 0, 1500, 400);
    allocate(g, BETA, CEA26, 300000, 0, 900, 333);
    allocate(g, BETA, CEA25, 200000, 0, 800, 250);
    admin(g, CETS_CMD_HOLDING_CREDIT, CARL, CCER, 50000, 0);
    admin(g, CETS_CMD_HOLDING_CREDIT, DORA, CCER, 1000, 0);
    admin(g, CETS_CMD_HOLDING_CREDIT, CARL, CEA25, 150000, 0);
    run(g,
        (cets_cmd){.type = CETS_CMD_EMISSIONS,
                   .actor = GOV,
                   .participant = ALPHA,
                   .aux = 2025,
                   .qty = 100000},
        CETS_OK);
    run(g,
        (cets_cmd){.type = CETS_CMD_EMISSIONS,
                   .actor = GOV,
                   .participant = BETA,
                   .aux = 2025,
                   .qty = 50000},
        CETS_OK);

    /* the morning: listing, continuous, halts, statuses */
    at(g, DAY1, 10, 0);
    uint64_t a1 = post(g, ALPHA, CEA25, CETS_SELL, 5150, 1000, CETS_TIF_DAY, CETS_OK);
    uint64_t a2 = post(g, ALPHA, CEA25, CETS_SELL, 5160, 2000, CETS_TIF_DAY, CETS_OK);
    uint64_t b1 = post(g, BETA, CEA25, CETS_BUY, 5100, 500, CETS_TIF_DAY, CETS_OK);
    cets_cmd take = {.type = CETS_CMD_TAKE,
                     .actor = CARL,
                     .participant = CARL,
                     .instrument = CEA25,
                     .side = CETS_BUY,
                     .ntargets = 2,
                     .qty = 500};
    take.u.targets[0] = (cets_target){a1, 400};
    take.u.targets[1] = (cets_target){a2, 100};
    run(g, take, CETS_OK);
    run(g,
        (cets_cmd){.type = CETS_CMD_TAKE,
                   .actor = BETA,
                   .participant = BETA,
                   .instrument = CEA25,
                   .side = CETS_BUY,
                   .qty = 300,
                   .price = 5160},
        CETS_OK);
    run(g,
        (cets_cmd){.type = CETS_CMD_MODIFY,
                   .actor = ALPHA,
                   .participant = ALPHA,
                   .order_id = a2,
                   .price = 5170,
                   .qty = 1500},
        CETS_OK);
    run(g, (cets_cmd){.type = CETS_CMD_CANCEL, .actor = BETA, .participant = BETA, .order_id = b1},
        CETS_OK);
    post(g, BETA, CEA25, CETS_BUY, 5400, 100, CETS_TIF_DAY, CETS_CROSSING_POST);
    post(g, BETA, CEA26, CETS_SELL, 6000, 1000, CETS_TIF_DAY, CETS_OK);
    post(g, ALPHA, CEA26, CETS_BUY, 6010, 400, CETS_TIF_DAY, CETS_OK);
    post(g, ALPHA, CEA26, CETS_BUY, 5990, 300, CETS_TIF_IOC, CETS_OK);
    run(g,
        (cets_cmd){.type = CETS_CMD_TAKE,
                   .actor = CARL,
                   .participant = CARL,
                   .instrument = CEA26,
                   .side = CETS_BUY,
                   .qty = 100,
                   .price = 6000},
        CETS_OK);
    uint64_t d1 = post(g, DORA, CCER, CETS_BUY, 8000, 10, CETS_TIF_DAY, CETS_OK);
    cets_cmd sell = {.type = CETS_CMD_TAKE,
                     .actor = CARL,
                     .participant = CARL,
                     .instrument = CCER,
                     .side = CETS_SELL,
                     .ntargets = 1,
                     .qty = 5};
    sell.u.targets[0] = (cets_target){d1, 5};
    run(g, sell, CETS_OK);
    admin(g, CETS_CMD_INSTRUMENT_HALT, 0, CEA25, 0, 1);
    post(g, ALPHA, CEA25, CETS_SELL, 5150, 10, CETS_TIF_DAY, CETS_INSTRUMENT_HALTED);
    admin(g, CETS_CMD_INSTRUMENT_HALT, 0, CEA25, 0, 0);
    admin(g, CETS_CMD_MARKET_HALT, 0, 0, 0, 1);
    admin(g, CETS_CMD_MARKET_HALT, 0, 0, 0, 0);
    admin(g, CETS_CMD_PARTICIPANT_STATUS, CARL, 0, 0, CETS_PS_SUSPENDED);
    admin(g, CETS_CMD_PARTICIPANT_STATUS, CARL, 0, 0, CETS_PS_ACTIVE);
    run(g, (cets_cmd){.type = CETS_CMD_WITHDRAW, .actor = BETA, .participant = BETA, .qty = 100000},
        CETS_OK);
    add_instrument(g, "CEA24", CETS_PRODUCT_CEA, CETS_MATCH_LISTING, 4800);
    run(g,
        (cets_cmd){.type = CETS_CMD_INSTRUMENT_MODE,
                   .actor = EXCH,
                   .instrument = CEA24,
                   .flags = CETS_MATCH_CONTINUOUS},
        CETS_OK);

    /* the afternoon: blocks, auctions, the registry */
    at(g, DAY1, 13, 30);
    uint64_t q1 = block(g, CETS_CMD_BLOCK_QUOTE, ALPHA, CEA25, CETS_SELL, 5000, 200000, 0, 0);
    uint64_t p1 = block(g, CETS_CMD_BLOCK_PROPOSE, BETA, CEA25, CETS_BUY, 4990, 200000, 0, q1);
    uint64_t p2 = block(g, CETS_CMD_BLOCK_PROPOSE, ALPHA, CEA25, CETS_SELL, 4995, 200000, 0, p1);
    block(g, CETS_CMD_BLOCK_ACCEPT, BETA, CEA25, CETS_BUY, 4995, 200000, 0, p2);
    uint64_t p3 = block(g, CETS_CMD_BLOCK_PROPOSE, CARL, CEA25, CETS_SELL, 5000, 100000, BETA, 0);
    run(g,
        (cets_cmd){
            .type = CETS_CMD_BLOCK_DECLINE, .actor = BETA, .participant = BETA, .order_id = p3},
        CETS_OK);
    uint64_t q2 = block(g, CETS_CMD_BLOCK_QUOTE, BETA, CEA26, CETS_SELL, 6000, 100000, 0, 0);
    run(g,
        (cets_cmd){
            .type = CETS_CMD_BLOCK_WITHDRAW, .actor = BETA, .participant = BETA, .order_id = q2},
        CETS_OK);
    block(g, CETS_CMD_BLOCK_PROPOSE, BETA, CEA25, CETS_BUY, 5000, 100000, CARL, 0); /* lapses */

    int64_t t1330 = cets_time_at(DAY1, 13, 30, TZ), t1400 = cets_time_at(DAY1, 14, 0, TZ);
    uint64_t au1 = auction(g, ALPHA, CEA25, CETS_SELL, 100000, t1330, t1400, 0, 0, 0);
    bid(g, BETA, au1, 5200, 60000);
    bid(g, CARL, au1, 5150, 60000);
    uint64_t au2 =
        auction(g, ALPHA, CEA26, CETS_BUY, 100000, t1330, cets_time_at(DAY1, 16, 0, TZ), 1, 1, 0);
    run(g, (cets_cmd){.type = CETS_CMD_AUCTION_CANCEL, .actor = EXCH, .order_id = au2}, CETS_OK);
    at(g, DAY1, 14, 1);
    run(g, (cets_cmd){.type = CETS_CMD_AUCTION_CLOSE, .actor = EXCH, .order_id = au1}, CETS_OK);
    at(g, DAY1, 14, 5);
    uint64_t au3 = auction(g, CARL, CEA25, CETS_SELL, 100000, g->now, cets_time_at(DAY2, 14, 0, TZ),
                           1, 1, 5000); /* spans the night */
    bid(g, BETA, au3, 5200, 30000);

    run(g,
        (cets_cmd){.type = CETS_CMD_SURRENDER,
                   .actor = ALPHA,
                   .participant = ALPHA,
                   .aux = 2025,
                   .qty = 50000},
        CETS_OK);
    cets_cmd sur = {
        .type = CETS_CMD_SURRENDER, .actor = GOV, .participant = BETA, .aux = 2025, .ntargets = 1};
    sur.u.targets[0] = (cets_target){CEA26, 10000};
    run(g, sur, CETS_OK);
    run(g,
        text_cmd((cets_cmd){.type = CETS_CMD_RETIRE,
                            .actor = CARL,
                            .participant = CARL,
                            .instrument = CCER,
                            .qty = 100},
                 "Green Fund|offsets of 2026 flights"),
        CETS_OK);
    uint64_t t1 = transfer(g, ALPHA, BETA, CEA25, 1000, 11);
    decide(g, CETS_CMD_TRANSFER_APPROVE, ALPHA, t1, 12);
    uint64_t t2 = transfer(g, ALPHA, CARL, CEA25, 500, 11);
    decide(g, CETS_CMD_TRANSFER_REJECT, ALPHA, t2, 12);
    transfer(g, BETA, ALPHA, CEA26, 2000, 21); /* approved after the snapshot */
    run(g,
        (cets_cmd){
            .type = CETS_CMD_JUDICIAL, .actor = GOV, .participant = DORA, .aux = 1, .user = 7},
        CETS_OK);
    run(g,
        (cets_cmd){
            .type = CETS_CMD_JUDICIAL, .actor = GOV, .participant = DORA, .aux = 0, .user = 7},
        CETS_OK);
    run(g,
        (cets_cmd){.type = CETS_CMD_WITHDRAW, .actor = DORA, .participant = DORA, .qty = 900000000},
        CETS_INSUFFICIENT_FUNDS);
    at(g, DAY1, 15, 30);
    admin(g, CETS_CMD_END_OF_DAY, 0, 0, 0, 0);
}

/* The morning of day 2 and the open afternoon business: the snapshot's state. */
static uint64_t day2_before_snapshot(gen *g)
{
    at(g, DAY2, 10, 0);
    post(g, ALPHA, CEA25, CETS_SELL, 5200, 700, CETS_TIF_DAY, CETS_OK);
    post(g, BETA, CEA25, CETS_BUY, 5100, 300, CETS_TIF_DAY, CETS_OK);
    post(g, BETA, CEA26, CETS_SELL, 6100, 500, CETS_TIF_DAY, CETS_OK);
    post(g, CARL, CEA26, CETS_BUY, 6050, 200, CETS_TIF_DAY, CETS_OK);
    run(g,
        (cets_cmd){.type = CETS_CMD_TAKE,
                   .actor = CARL,
                   .participant = CARL,
                   .instrument = CEA25,
                   .side = CETS_BUY,
                   .qty = 200,
                   .price = 5200},
        CETS_OK);
    at(g, DAY2, 13, 30);
    block(g, CETS_CMD_BLOCK_QUOTE, BETA, CEA25, CETS_BUY, 5000, 150000, 0, 0);
    uint64_t p = block(g, CETS_CMD_BLOCK_PROPOSE, ALPHA, CEA25, CETS_SELL, 5010, 120000, BETA, 0);
    bid(g, ALPHA, 3, 5300, 20000);
    return p;
}

static void day2_after_snapshot(gen *g, uint64_t proposal)
{
    at(g, DAY2, 14, 10);
    run(g, (cets_cmd){.type = CETS_CMD_AUCTION_CLOSE, .actor = EXCH, .order_id = 3}, CETS_OK);
    run(g, (cets_cmd){.type = CETS_CMD_DEADLINE, .actor = GOV, .aux = 2025, .user = 7}, CETS_OK);
    allocate(g, ALPHA, CEA25, 20000, 1, 1050, 400); /* a true-up: withheld for the shortfall */
    admin(g, CETS_CMD_HOLIDAY_REMOVE, 0, 0, 0, 20261231);
    decide(g, CETS_CMD_TRANSFER_APPROVE, BETA, 3, 22);
    block(g, CETS_CMD_BLOCK_ACCEPT, BETA, CEA25, CETS_BUY, 5010, 120000, 0, proposal);
    at(g, DAY2, 15, 30);
    admin(g, CETS_CMD_END_OF_DAY, 0, 0, 0, 0);
    at(g, DAY3, 10, 0);
    post(g, DORA, CCER, CETS_BUY, 8000, 3, CETS_TIF_DAY, CETS_OK);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_golden OUT   (writes OUT/data and OUT/golden.txt)\n");
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data", argv[1]);
    mkdir(argv[1], 0777);
    struct stat st;
    if (stat(dir, &st) == 0) die(dir, "exists already");
    char err[1024];
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = DAY1;
    cets_recovery rep;
    gen g = {0};
    if (!(g.e = cets_recover(dir, &cfg, NULL, NULL, &rep, err, sizeof err))) die("recover", err);
    if (!(g.j = cets_journal_open(dir, 1, err, sizeof err))) die("journal", err);
    day1(&g);
    uint64_t proposal = day2_before_snapshot(&g);
    if (cets_snapshot_write(dir, g.e, 1, err, sizeof err) != 0) die("snapshot", err);
    uint64_t snap_seq = cets_last_seq(g.e), snap_hash = cets_state_hash(g.e);
    day2_after_snapshot(&g, proposal);
    cets_journal_close(g.j);

    char path[4096];
    snprintf(path, sizeof path, "%s/golden.txt", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f) die(path, "cannot create");
    fprintf(f, "# written by tests/golden/make_golden.c; see tests/golden/README.md\n");
    fprintf(f, "journal_version=%d\n", CETS_JOURNAL_VERSION);
    fprintf(f, "records=%" PRIu64 "\n", g.seq);
    fprintf(f, "accepted=%" PRIu64 "\n", g.accepted);
    fprintf(f, "rejected=%" PRIu64 "\n", g.rejected);
    fprintf(f, "snapshot_seq=%" PRIu64 "\n", snap_seq);
    fprintf(f, "snapshot_state_hash=%016" PRIx64 "\n", snap_hash);
    fprintf(f, "last_seq=%" PRIu64 "\n", cets_last_seq(g.e));
    fprintf(f, "trading_date=%d\n", cets_trading_date(g.e));
    fprintf(f, "state_hash=%016" PRIx64 "\n", cets_state_hash(g.e));
    fclose(f);
    cets_engine_free(g.e);
    return 0;
}
