/* test_cli_statement.c -- `cets statement DIR PID --json` writes valid UTF-8
 * JSON even when the engine cut the participant's name in the middle of a
 * character (issue 10, finding 16).
 *
 * The engine keeps a name in 47 bytes. A PARTICIPANT_ADD through the
 * library (cets.h) may carry 48 bytes of text without a terminator; sixteen
 * three-byte characters are then cut to fifteen and two bytes of the
 * sixteenth. A data directory with such a name and one closed day is written
 * here with the journal library, and the real `cets` binary (next to this
 * test's) reads it back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cets/journal.h"
#include "tmarket.h"
#include "tserver.h"

#define CHAR3 "\xe7\xa2\xb3" /* 碳, three bytes */

static void apply(cets_engine *e, cets_journal *j, cets_cmd *c, uint64_t *seq)
{
    cets_result r;
    c->seq = ++*seq;
    c->ts = cets_time_at(TM_DATE, 15, 30, 480);
    assert_int_equal(cets_journal_append(j, c), 0);
    assert_int_equal(cets_apply(e, c, &r), CETS_OK);
}

static void test_statement_json_name_cut_mid_character(void **state)
{
    (void)state;
    char root[512], dir[600], err[512];
    ts_tmpdir(root, sizeof root, "stmt-utf8");
    snprintf(dir, sizeof dir, "%s/data", root);
    cets_config cfg;
    cets_config_default(&cfg);
    cfg.start_date = TM_DATE;
    cets_recovery rep;
    cets_engine *e = cets_recover(dir, &cfg, NULL, NULL, &rep, err, sizeof err);
    if (!e) fail_msg("recover: %s", err);
    cets_journal *j = cets_journal_open(dir, 1, err, sizeof err);
    assert_non_null(j);
    uint64_t seq = 0;
    cets_cmd c = {
        .type = CETS_CMD_PARTICIPANT_ADD, .actor = CETS_EXCHANGE_ID, .aux = CETS_PK_ENTITY};
    _Static_assert(sizeof c.u.text == 48, "the name field is 48 bytes");
    for (int i = 0; i < 16; i++) memcpy(c.u.text + 3 * i, CHAR3, 3); /* 48 bytes, no terminator */
    apply(e, j, &c, &seq);
    cets_participant_info pi;
    assert_int_equal(cets_participant_get(e, 2, &pi), 0);
    assert_int_equal(strlen(pi.name), 47); /* the engine's cut: 15 characters and 2 bytes */
    c = (cets_cmd){.type = CETS_CMD_END_OF_DAY, .actor = CETS_EXCHANGE_ID};
    apply(e, j, &c, &seq);
    assert_int_equal(cets_journal_commit(j), 0);
    cets_journal_close(j);
    cets_engine_free(e);

    char exe[1024] = "", cmd[2200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;
    snprintf(cmd, sizeof cmd, "'%s/cets' statement '%s' 2 --json 2>&1", dirname(exe), dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[65536];
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = 0;
    assert_int_equal(pclose(p), 0);
    json_error_t je;
    json_t *doc = json_loads(out, JSON_DISABLE_EOF_CHECK, &je); /* refuses invalid UTF-8 */
    if (!doc) fail_msg("not valid JSON (%s): %.300s", je.text, out);
    char want[64] = "";
    for (int i = 0; i < 15; i++) strcat(want, CHAR3);
    assert_string_equal(json_string_value(json_object_get(doc, "name")), want);
    json_decref(doc);
    ts_rmtree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_json_name_cut_mid_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
