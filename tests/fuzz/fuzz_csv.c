/* fuzz_csv.c -- libFuzzer target: arbitrary bytes as an allocation or an
 * emissions CSV file (registry.h), checked against a small market.
 *
 * The loaders must not crash, and must keep their promise: either commands
 * and no message, or messages (each naming the file, at most
 * CETS_LOAD_MAX_ERRORS and one summary line) and no command. And a file that
 * loads must apply: every command it gives is accepted by the engine, in
 * file order, on the state it was checked against.
 *
 * The first input byte is the mode: bit 0 emissions (else allocations), bit
 * 1 through a file (cets_load_*) rather than text in memory, bits 2-3 who
 * loads (the authority, an entity, the exchange, nobody known) -- only the
 * authority may. The market is the one of tests/test_registry_files.c: CEA24,
 * CEA25 and CCER; the authority is participant 2, entities 3, 4 and 5, an
 * institution 6; entity 4 owes 300 t from a 2024 shortfall, entity 5 holds
 * 2,000 t of CEA25 and its 2024 is closed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cets/registry.h"
#include "fuzztmp.h"

enum { EMISSIONS = 1, VIA_FILE = 2 };
static const uint32_t loaders[4] = {2, 3, CETS_EXCHANGE_ID, 99};

static void *base; /* the market, as engine bytes: a fresh copy per input */
static size_t base_len;
static uint64_t seq;
static int64_t now;

static void apply_ok(cets_engine *e, cets_cmd c)
{
    c.seq = ++seq;
    c.ts = now;
    int code = cets_apply(e, &c, NULL);
    fuzz_check(code == CETS_OK, "setting up the market: %s refused (%d)", cets_cmd_name(c.type),
               code);
}

static void add_named(cets_engine *e, int type, int64_t aux, int64_t price, const char *name)
{
    cets_cmd c = {.type = (uint8_t)type, .actor = CETS_EXCHANGE_ID, .aux = aux, .price = price};
    snprintf(c.u.text, sizeof c.u.text, "%s", name);
    apply_ok(e, c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = 20261130;
    cets_engine *e = cets_engine_new(&cfg);
    fuzz_check(e != NULL, "cannot create an engine");
    now = cets_time_at(cfg.start_date, 10, 0, cfg.tz_offset_min);
    add_named(e, CETS_CMD_INSTRUMENT_ADD, CETS_PRODUCT_CEA, 5000, "CEA24"); /* 0 */
    add_named(e, CETS_CMD_INSTRUMENT_ADD, CETS_PRODUCT_CEA, 5000, "CEA25"); /* 1 */
    add_named(e, CETS_CMD_INSTRUMENT_ADD, CETS_PRODUCT_CCER, 3000, "CCER"); /* 2 */
    add_named(e, CETS_CMD_PARTICIPANT_ADD, CETS_PK_AUTHORITY, 0, "MEE");    /* 2 */
    add_named(e, CETS_CMD_PARTICIPANT_ADD, CETS_PK_ENTITY, 0, "e1");        /* 3 */
    add_named(e, CETS_CMD_PARTICIPANT_ADD, CETS_PK_ENTITY, 0, "e2");        /* 4 */
    add_named(e, CETS_CMD_PARTICIPANT_ADD, CETS_PK_ENTITY, 0, "e3");        /* 5 */
    add_named(e, CETS_CMD_PARTICIPANT_ADD, CETS_PK_INSTITUTION, 0, "fund"); /* 6 */
    apply_ok(
        e,
        (cets_cmd){
            .type = CETS_CMD_ALLOCATE, .actor = 2, .participant = 5, .instrument = 1, .qty = 2000});
    apply_ok(
        e, (cets_cmd){
               .type = CETS_CMD_EMISSIONS, .actor = 2, .participant = 4, .aux = 2024, .qty = 300});
    apply_ok(e,
             (cets_cmd){
                 .type = CETS_CMD_EMISSIONS, .actor = 2, .participant = 5, .aux = 2024, .qty = 0});
    apply_ok(e, (cets_cmd){.type = CETS_CMD_DEADLINE, .actor = 2, .aux = 2024});
    fuzz_check(cets_deduction_owed(e, 4) == 300, "the market's shortfall is not set up");
    fuzz_check(cets_snapshot_save(e, &base, &base_len) == 0, "cannot save the market");
    cets_engine_free(e);
    return 0;
}

static void check_result(int rc, const cets_load *l, const char *name, uint32_t who, int type)
{
    fuzz_check(rc == 0 || rc == -1, "loader returned %d", rc);
    if (rc == -1) {
        fuzz_check(l->ncmds == 0 && !l->cmds, "a refused file gave %zu commands", l->ncmds);
        fuzz_check(l->nerrors > 0, "a refused file without a message");
        fuzz_check(l->nerrors <= CETS_LOAD_MAX_ERRORS + 1, "%zu messages", l->nerrors);
        for (size_t i = 0; i < l->nerrors; i++)
            fuzz_check(l->errors[i] && strncmp(l->errors[i], name, strlen(name)) == 0,
                       "message %zu does not name the file: %s", i,
                       l->errors[i] ? l->errors[i] : "(null)");
        return;
    }
    fuzz_check(l->nerrors == 0, "a loaded file with %zu messages: %s", l->nerrors, l->errors[0]);
    for (size_t i = 0; i < l->ncmds; i++)
        fuzz_check(l->cmds[i].type == type && l->cmds[i].actor == who && l->cmds[i].seq == 0 &&
                       l->cmds[i].ts == 0,
                   "command %zu: type %d actor %u", i, l->cmds[i].type, l->cmds[i].actor);
}

/* A file that loads applies without a rejection, row after row. */
static void check_applies(const cets_load *l)
{
    const char *why = NULL;
    cets_engine *e = cets_snapshot_load(base, base_len, &why);
    fuzz_check(e != NULL, "the market does not load: %s", why ? why : "?");
    uint64_t s = cets_last_seq(e);
    for (size_t i = 0; i < l->ncmds; i++) {
        cets_cmd c = l->cmds[i];
        c.seq = ++s;
        c.ts = now;
        int code = cets_apply(e, &c, NULL);
        fuzz_check(code == CETS_OK, "row command %zu of a file that loaded was refused: %d (%s)", i,
                   code, cets_reason_name(code));
    }
    cets_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    uint32_t who = loaders[(mode >> 2) & 3];
    bool emissions = mode & EMISSIONS;
    const char *e = NULL;
    cets_engine *market = cets_snapshot_load(base, base_len, &e);
    fuzz_check(market != NULL, "the market does not load: %s", e ? e : "?");
    cets_load l;
    memset(&l, 0, sizeof l);
    int rc;
    char name[600];
    if (mode & VIA_FILE) {
        fuzz_write("rows.csv", text, len);
        fuzz_path(name, sizeof name, "rows.csv");
        rc = emissions ? cets_load_emissions(market, name, who, &l)
                       : cets_load_allocations(market, name, who, &l);
    } else {
        snprintf(name, sizeof name, "rows.csv");
        rc = emissions ? cets_load_emissions_text(market, name, text, len, who, &l)
                       : cets_load_allocations_text(market, name, text, len, who, &l);
    }
    if (getenv("FUZZ_VERBOSE")) /* replaying one input: say what happened */
        fprintf(stderr, "%s by %u: rc %d, %zu commands, %zu messages%s%s\n",
                emissions ? "emissions" : "allocations", who, rc, l.ncmds, l.nerrors,
                l.nerrors ? ", first: " : "", l.nerrors ? l.errors[0] : "");
    check_result(rc, &l, name, who, emissions ? CETS_CMD_EMISSIONS : CETS_CMD_ALLOCATE);
    if (rc == 0) check_applies(&l);
    cets_load_free(&l);
    cets_engine_free(market);
    return 0;
}
