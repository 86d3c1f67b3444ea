/* test_auth.c -- users, passwords, tokens and the failed-login policy of
 * auth.c, without a server. Each test opens auth on a fresh directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/server/auth.h"
#include "../src/server/auth_int.h"
#include "../src/server/throttle.h"

#define PW "correct horse battery"

static char dir[512];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("CETS_TEST_TMP") ? getenv("CETS_TEST_TMP") : "/tmp";
    mkdir(base, 0700);
    snprintf(dir, sizeof dir, "%s/auth-XXXXXX", base);
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static auth *open_auth(int ttl, int max_failures)
{
    char err[256] = "";
    auth *a = auth_open(dir, ttl, max_failures, err, sizeof err);
    if (!a)
        fail_msg("auth_open: %s", err);
    return a;
}

static void put(auth *a, const char *user, uint32_t pid, const char *roles)
{
    uint32_t bits;
    char err[256];
    assert_int_equal(auth_roles_parse(roles, &bits), 0);
    if (auth_user_put(a, user, PW, pid, bits, err, sizeof err) != 0)
        fail_msg("auth_user_put: %s", err);
}

static long long tj_participant(json_t *u)
{
    return json_integer_value(json_object_get(u, "participant"));
}

static auth_login_status login(auth *a, const char *user, const char *pw, const char *addr,
                               char tok[AUTH_TOKEN_HEX + 1])
{
    char scratch[AUTH_TOKEN_HEX + 1];
    int64_t exp;
    principal p;
    int retry;
    return auth_login(a, user, pw, addr, tok ? tok : scratch, &exp, &p, &retry);
}

static void test_password_round_trip(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    assert_false(auth_has_users(a));
    put(a, "alice", 7, "trade");
    assert_true(auth_has_users(a));
    char tok[AUTH_TOKEN_HEX + 1];
    int64_t exp;
    principal p;
    int retry;
    assert_int_equal(auth_login(a, "alice", PW, "10.0.0.1", tok, &exp, &p, &retry), AUTH_LOGIN_OK);
    assert_true(p.authenticated);
    assert_string_equal(p.user, "alice");
    assert_int_equal(p.participant, 7);
    assert_int_equal(p.roles, ROLE_TRADE | ROLE_VIEW); /* trade implies view */
    assert_int_equal(strlen(tok), AUTH_TOKEN_HEX);
    principal q;
    assert_true(auth_token_check(a, tok, &q));
    assert_string_equal(q.user, "alice");
    assert_int_equal(q.participant, 7);
    auth_close(a);
}

static void test_wrong_password(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    auth_set_failure_policy(a, 60000, 1, 1);
    put(a, "bob", 3, "view");
    assert_int_equal(login(a, "bob", "not the password", "10.0.0.2", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "nobody", PW, "10.0.0.2", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "bob", "", "10.0.0.2", NULL), AUTH_LOGIN_BAD);
    principal p;
    assert_false(auth_token_check(a, "00", &p));
    assert_false(auth_token_check(a, "", &p));
    char fake[AUTH_TOKEN_HEX + 1];
    memset(fake, 'a', AUTH_TOKEN_HEX);
    fake[AUTH_TOKEN_HEX] = 0;
    assert_false(auth_token_check(a, fake, &p));
    assert_false(p.authenticated);
    auth_close(a);
}

static void test_bad_users_refused(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    char err[256];
    assert_int_equal(auth_user_put(a, "", PW, 2, ROLE_VIEW, err, sizeof err), -1);
    assert_int_equal(auth_user_put(a, "has space", PW, 2, ROLE_VIEW, err, sizeof err), -1);
    assert_int_equal(auth_user_put(a, "a\"b", PW, 2, ROLE_VIEW, err, sizeof err), -1);
    assert_int_equal(auth_user_put(a, "short", "1234567", 2, ROLE_VIEW, err, sizeof err), -1);
    assert_non_null(strstr(err, "password"));
    assert_int_equal(auth_user_put(a, "bits", PW, 2, 1u << 20, err, sizeof err), -1);
    assert_false(auth_has_users(a));
    auth_close(a);
}

static void test_session_expires(void **state)
{
    (void)state;
    auth *a = open_auth(1, 5);
    put(a, "carol", 4, "view");
    char tok[AUTH_TOKEN_HEX + 1];
    assert_int_equal(login(a, "carol", PW, "10.0.0.3", tok), AUTH_LOGIN_OK);
    principal p;
    assert_true(auth_token_check(a, tok, &p));
    sleep(2);
    assert_false(auth_token_check(a, tok, &p));
    assert_false(p.authenticated);
    auth_close(a);
}

static void test_logout(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "dave", 5, "view");
    char t1[AUTH_TOKEN_HEX + 1], t2[AUTH_TOKEN_HEX + 1];
    assert_int_equal(login(a, "dave", PW, "10.0.0.4", t1), AUTH_LOGIN_OK);
    assert_int_equal(login(a, "dave", PW, "10.0.0.4", t2), AUTH_LOGIN_OK);
    assert_string_not_equal(t1, t2);
    assert_true(auth_logout(a, t1));
    assert_false(auth_logout(a, t1));
    principal p;
    assert_false(auth_token_check(a, t1, &p));
    assert_true(auth_token_check(a, t2, &p)); /* only that session ended */
    auth_close(a);
}

static void test_api_token_survives_restart(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "erin", 6, "trade");
    char session[AUTH_TOKEN_HEX + 1], api[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    assert_int_equal(login(a, "erin", PW, "10.0.0.5", session), AUTH_LOGIN_OK);
    assert_int_equal(auth_token_create(a, "erin", "algo1", 90, api, &exp, err, sizeof err), 0);
    /* a second token of that name is refused */
    char other[AUTH_TOKEN_HEX + 1];
    assert_int_equal(auth_token_create(a, "erin", "algo1", 90, other, &exp, err, sizeof err), -1);
    assert_int_equal(auth_token_create(a, "erin", "bad name", 90, other, &exp, err, sizeof err), -1);
    assert_int_equal(auth_token_create(a, "erin", "x", 0, other, &exp, err, sizeof err), -1);
    auth_close(a);

    a = open_auth(3600, 5);
    principal p;
    auth_token_info info;
    assert_true(auth_token_lookup(a, api, &p, &info));
    assert_true(info.api);
    assert_string_equal(info.name, "algo1");
    assert_string_equal(p.user, "erin");
    assert_int_equal(p.participant, 6);
    assert_false(auth_token_check(a, session, &p)); /* sessions are memory only */

    json_t *list = auth_tokens_json(a, "erin");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                        "algo1");
    json_decref(list);

    assert_int_equal(auth_token_delete(a, "erin", "nope"), -1);
    assert_int_equal(auth_token_delete(a, "erin", "algo1"), 0);
    assert_false(auth_token_check(a, api, &p));
    auth_close(a);
    a = open_auth(3600, 5);
    assert_false(auth_token_check(a, api, &p)); /* the deletion was saved */
    auth_close(a);
}

static void test_rights_follow_the_user(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "frank", 8, "trade");
    char api[AUTH_TOKEN_HEX + 1], sess[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    assert_int_equal(auth_token_create(a, "frank", "bot", 30, api, &exp, err, sizeof err), 0);
    assert_int_equal(login(a, "frank", PW, "10.0.0.6", sess), AUTH_LOGIN_OK);
    put(a, "frank", 8, "view"); /* demoted: at once, for every token */
    principal p;
    assert_true(auth_token_check(a, sess, &p));
    assert_int_equal(p.roles, ROLE_VIEW);
    assert_true(auth_token_check(a, api, &p));
    assert_int_equal(p.roles, ROLE_VIEW);
    put(a, "frank", 9, "view"); /* moved to another participant: API tokens are dropped */
    assert_false(auth_token_check(a, api, &p));
    assert_true(auth_token_check(a, sess, &p));
    assert_int_equal(p.participant, 9);
    auth_close(a);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_file_holds_no_secrets(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "gina", 10, "view,funds");
    char sess[AUTH_TOKEN_HEX + 1], api[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    assert_int_equal(login(a, "gina", PW, "10.0.0.7", sess), AUTH_LOGIN_OK);
    assert_int_equal(auth_token_create(a, "gina", "t1", 10, api, &exp, err, sizeof err), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/users.json", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    const char *text = slurp(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"gina\""));
    assert_non_null(strstr(text, "$argon2id$"));
    assert_null(strstr(text, PW));
    assert_null(strstr(text, sess));
    assert_null(strstr(text, api));
    char half[AUTH_TOKEN_HEX / 2 + 1]; /* not even half of a token */
    memcpy(half, api, AUTH_TOKEN_HEX / 2);
    half[AUTH_TOKEN_HEX / 2] = 0;
    assert_null(strstr(text, half));
    json_t *users = auth_users_json(a); /* what the operator sees: no hashes either */
    char *shown = json_dumps(users, 0);
    assert_null(strstr(shown, "argon2"));
    assert_non_null(strstr(shown, "\"funds\""));
    free(shown);
    json_decref(users);
    auth_close(a);
}

static void test_corrupt_file_refused(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/users.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"version\":1,\"users\":[{\"username\":", f);
    fclose(f);
    char err[256] = "";
    auth *a = auth_open(dir, 3600, 5, err, sizeof err);
    assert_null(a);
    assert_non_null(strstr(err, "users.json"));
    /* and nothing was overwritten */
    assert_non_null(strstr(slurp(path), "\"username\":"));
}

/* users.json cannot be written (a directory is in the way of its temporary
 * file): the change is refused and memory stays as the file is. */
static void test_save_failure_changes_nothing(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "lena", 15, "trade");
    char tmp[600], err[256], api[AUTH_TOKEN_HEX + 1];
    int64_t exp;
    snprintf(tmp, sizeof tmp, "%s/users.json.tmp", dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(auth_user_put(a, "mona", PW, 16, ROLE_VIEW, err, sizeof err), AUTH_E_STORE);
    assert_non_null(strstr(err, "users.json"));
    assert_false(auth_user_exists(a, "mona"));
    assert_int_equal(auth_user_put(a, "lena", PW, 99, ROLE_VIEW, err, sizeof err), AUTH_E_STORE);
    assert_int_equal(auth_token_create(a, "lena", "t", 5, api, &exp, err, sizeof err),
                     AUTH_E_STORE);
    json_t *u = auth_user_json(a, "lena");
    assert_int_equal(tj_participant(u), 15); /* the replacement did not happen */
    json_decref(u);
    json_t *toks = auth_tokens_json(a, "lena");
    assert_int_equal(json_array_size(toks), 0);
    json_decref(toks);
    principal p;
    assert_false(auth_token_check(a, api, &p));
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(auth_token_create(a, "lena", "t", 5, api, &exp, err, sizeof err), 0);
    auth_close(a);
}

static void test_rate_limit(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 3);
    auth_set_failure_policy(a, 1500, 1, 2); /* 1.5 s window, tiny delays */
    put(a, "hank", 11, "view");
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(a, "hank", "wrong password", "10.1.0.1", NULL), AUTH_LOGIN_BAD);
    /* blocked even with the right password, from any address */
    char tok[AUTH_TOKEN_HEX + 1];
    int64_t exp;
    principal p;
    int retry = 0;
    assert_int_equal(auth_login(a, "hank", PW, "10.1.0.2", tok, &exp, &p, &retry),
                     AUTH_LOGIN_LIMITED);
    assert_true(retry >= 1 && retry <= 2);
    usleep(1600 * 1000); /* the window passes */
    assert_int_equal(login(a, "hank", PW, "10.1.0.2", tok), AUTH_LOGIN_OK);
    auth_close(a);
}

static void test_rate_limit_success_resets(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 3);
    auth_set_failure_policy(a, 60000, 1, 2);
    put(a, "ivy", 12, "view");
    for (int round = 0; round < 3; round++) {
        assert_int_equal(login(a, "ivy", "wrong password", "10.2.0.1", NULL), AUTH_LOGIN_BAD);
        assert_int_equal(login(a, "ivy", "wrong password", "10.2.0.1", NULL), AUTH_LOGIN_BAD);
        assert_int_equal(login(a, "ivy", PW, "10.2.0.1", NULL), AUTH_LOGIN_OK);
    }
    auth_close(a);
}

static void test_rate_limit_per_address(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 3);
    auth_set_failure_policy(a, 60000, 1, 2);
    put(a, "jack", 13, "view");
    /* one address guessing three different users */
    assert_int_equal(login(a, "u1", "x-password", "10.3.0.1", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "u2", "x-password", "10.3.0.1", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "u3", "x-password", "10.3.0.1", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "jack", PW, "10.3.0.1", NULL), AUTH_LOGIN_LIMITED);
    assert_int_equal(login(a, "jack", PW, "10.3.0.9", NULL), AUTH_LOGIN_OK); /* others may */
    auth_close(a);
}

static int64_t ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_failure_delay_grows(void **state)
{
    (void)state;
    throttle *t = throttle_new(5, 60000000000LL, 100000000, 2000000000);
    assert_int_equal(throttle_delay(t, 1), 100000000);
    assert_int_equal(throttle_delay(t, 2), 200000000);
    assert_int_equal(throttle_delay(t, 4), 800000000);
    assert_int_equal(throttle_delay(t, 5), 1600000000);
    assert_int_equal(throttle_delay(t, 6), 2000000000); /* capped */
    assert_int_equal(throttle_delay(t, 60), 2000000000);
    throttle_free(t);

    /* and a failed login really waits: the third failure 4 x 60 ms */
    auth *a = open_auth(3600, 10);
    auth_set_failure_policy(a, 60000, 60, 2000);
    put(a, "kim", 14, "view");
    login(a, "kim", "wrong password", "10.4.0.1", NULL);
    login(a, "kim", "wrong password", "10.4.0.1", NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(login(a, "kim", "wrong password", "10.4.0.1", NULL), AUTH_LOGIN_BAD);
    assert_true(ms_since(&t0) >= 240);
    auth_close(a);
}

static void test_roles(void **state)
{
    (void)state;
    uint32_t r = 99;
    assert_int_equal(auth_roles_parse("", &r), 0);
    assert_int_equal(r, 0);
    assert_int_equal(auth_roles_parse("view,trade", &r), 0);
    assert_int_equal(r, ROLE_VIEW | ROLE_TRADE);
    assert_int_equal(auth_roles_parse("admin", &r), 0);
    assert_int_equal(r, ROLE_ADMIN);
    assert_int_equal(auth_roles_parse("funds, compliance,authority", &r), 0);
    assert_int_equal(r, ROLE_FUNDS | ROLE_COMPLIANCE | ROLE_AUTHORITY);
    assert_int_equal(auth_roles_parse("view,bogus", &r), -1);
    assert_int_equal(auth_roles_parse("Admin", &r), -1);
    assert_int_equal(auth_roles_parse("viewer", &r), -1);
    char buf[128];
    auth_roles_format(ROLE_VIEW | ROLE_TRADE | ROLE_FUNDS | ROLE_COMPLIANCE | ROLE_AUTHORITY |
                          ROLE_ADMIN,
                      buf, sizeof buf);
    assert_string_equal(buf, "view,trade,funds,compliance,authority,admin");
    assert_int_equal(auth_roles_parse(buf, &r), 0);
    assert_int_equal(r, 63);
    auth_roles_format(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    auth_roles_format(ROLE_ADMIN | ROLE_VIEW, buf, 8); /* too small: cut, still terminated */
    assert_true(strlen(buf) < 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_password_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_users_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_token_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rights_follow_the_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_holds_no_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failure_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_success_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_per_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_delay_grows, setup, teardown),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
