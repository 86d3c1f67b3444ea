/* test_rules_backoffice.c -- the engine's side of the back office: USER_SET
 * (a user change journaled for the audit log; the engine keeps nothing) and
 * the bank reference a DEPOSIT carries into the journal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cets/cets.h"
#include "tmarket.h"
#include "trules.h"

static int user_set(tmarket *m, uint32_t actor, uint32_t pid, const char *name, int64_t roles)
{
    cets_cmd c = {.type = CETS_CMD_USER_SET,
                  .actor = actor,
                  .participant = pid,
                  .counterparty = 12345,
                  .user = 777,
                  .aux = roles};
    snprintf(c.u.text, sizeof c.u.text, "%s", name);
    return tm_apply(m, &c, NULL);
}

static void test_user_set(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t p = tm_participant(&m, CETS_PK_INSTITUTION, "fund", 0);
    uint64_t before = cets_state_hash(m.e);
    TR_OK(&m, user_set(&m, CETS_EXCHANGE_ID, p, "alice", 3));
    assert_int_equal(cets_state_hash(m.e), before); /* nothing kept */
    const cets_event *ev = tm_last_event(&m, CETS_EV_ADMIN);
    assert_non_null(ev);
    assert_int_equal(ev->u.admin.cmd_type, CETS_CMD_USER_SET);
    assert_int_equal(ev->u.admin.participant, p);
    assert_int_equal(ev->u.admin.aux, 3);
    TR_OK(&m, user_set(&m, CETS_EXCHANGE_ID, p, "alice", -1)); /* removed */
    TR_REJECT(&m, CETS_NOT_AUTHORISED, user_set(&m, p, p, "alice", 3));
    TR_REJECT(&m, CETS_UNKNOWN_PARTICIPANT, user_set(&m, CETS_EXCHANGE_ID, 0, "alice", 3));
    TR_REJECT(&m, CETS_UNKNOWN_PARTICIPANT, user_set(&m, CETS_EXCHANGE_ID, p + 1, "alice", 3));
    TR_REJECT(&m, CETS_BAD_ARGUMENT, user_set(&m, CETS_EXCHANGE_ID, p, "", 3));
    TR_REJECT(&m, CETS_BAD_ARGUMENT, user_set(&m, CETS_EXCHANGE_ID, p, "alice", -2));
    assert_string_equal(cets_cmd_name(CETS_CMD_USER_SET), "user_set");
    tm_free(&m);
}

/* The journal keeps a user's name and a deposit's bank reference: both are
 * within the bytes cets_cmd_size() says carry information. */
static void test_text_is_journaled(void **state)
{
    (void)state;
    cets_cmd c = {.type = CETS_CMD_DEPOSIT};
    assert_true(cets_cmd_size(&c) >= offsetof(cets_cmd, u) + CETS_NAME_LEN);
    c.type = CETS_CMD_USER_SET;
    assert_true(cets_cmd_size(&c) >= offsetof(cets_cmd, u) + CETS_NAME_LEN);
    c.type = CETS_CMD_WITHDRAW;
    assert_int_equal(cets_cmd_size(&c), offsetof(cets_cmd, u));
    /* a deposit with a reference and a value date applies like one without */
    tmarket m;
    tm_init(&m, NULL);
    uint32_t p = tm_participant(&m, CETS_PK_INSTITUTION, "fund", 0);
    cets_cmd d = {.type = CETS_CMD_DEPOSIT,
                  .actor = CETS_EXCHANGE_ID,
                  .participant = p,
                  .qty = 500,
                  .aux = 20261130};
    snprintf(d.u.text, sizeof d.u.text, "BOC-2026-000017");
    TR_OK(&m, tm_apply(&m, &d, NULL));
    assert_int_equal(tm_avail(&m, p), 500);
    tm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_set),
        cmocka_unit_test(test_text_is_journaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
