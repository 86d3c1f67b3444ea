/* test_auth.c -- the credential store (src/auth) without a server: users,
 * passwords, tokens, the failed-login policy, the session cap, what a
 * change of a user ends, and the notices its listeners get. Each test opens
 * the store on a fresh directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/auth/auth.h"
#include "../src/auth/auth_int.h"
#include "../src/auth/throttle.h"

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

static auth *open_with(int ttl, int max_failures, char *err, size_t errlen)
{
    auth_options o;
    auth_options_default(&o);
    o.data_dir = dir;
    o.session_ttl_s = ttl;
    o.max_failures = max_failures;
    return auth_open(&o, err, errlen);
}

static auth *open_auth(int ttl, int max_failures)
{
    char err[256] = "";
    auth *a = open_with(ttl, max_failures, err, sizeof err);
    if (!a) fail_msg("auth_open: %s", err);
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
    auth_set_failure_policy(a, 60000, 1, 1, 60000, 60000);
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
    assert_int_equal(auth_token_create(a, "erin", "bad name", 90, other, &exp, err, sizeof err),
                     -1);
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

static void put_pw(auth *a, const char *user, const char *pw, uint32_t pid, const char *roles)
{
    uint32_t bits;
    char err[256];
    assert_int_equal(auth_roles_parse(roles, &bits), 0);
    if (auth_user_put(a, user, pw, pid, bits, err, sizeof err) != 0)
        fail_msg("auth_user_put: %s", err);
}

/* Rights are looked up at every use: more roles apply at once to every
 * token, and the same password and roles again end nothing. */
static void test_rights_follow_the_user(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "frank", 8, "view");
    char api[AUTH_TOKEN_HEX + 1], sess[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    assert_int_equal(auth_token_create(a, "frank", "bot", 30, api, &exp, err, sizeof err), 0);
    assert_int_equal(login(a, "frank", PW, "10.0.0.6", sess), AUTH_LOGIN_OK);
    put(a, "frank", 8, "trade"); /* promoted */
    principal p;
    assert_true(auth_token_check(a, sess, &p));
    assert_int_equal(p.roles, ROLE_TRADE | ROLE_VIEW);
    assert_true(auth_token_check(a, api, &p));
    assert_int_equal(p.roles, ROLE_TRADE | ROLE_VIEW);
    put(a, "frank", 8, "trade"); /* the same again */
    assert_true(auth_token_check(a, sess, &p));
    assert_true(auth_token_check(a, api, &p));
    auth_close(a);
}

/* Finding 6: a new password, a move to another participant or a role taken
 * away end the user's sessions at once, not 8 hours later; a new password
 * and a move end its API tokens too; fewer roles leave API tokens with the
 * rights that are left. */
static void test_user_change_ends_sessions(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "olga", 8, "trade");
    char api[AUTH_TOKEN_HEX + 1], s1[AUTH_TOKEN_HEX + 1], s2[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    principal p;
    assert_int_equal(login(a, "olga", PW, "10.0.0.8", s1), AUTH_LOGIN_OK);
    assert_int_equal(auth_token_create(a, "olga", "bot", 30, api, &exp, err, sizeof err), 0);

    put_pw(a, "olga", "a brand new password", 8, "trade"); /* password reset */
    assert_false(auth_token_check(a, s1, &p));
    assert_false(auth_token_check(a, api, &p));
    assert_int_equal(login(a, "olga", PW, "10.0.0.8", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "olga", "a brand new password", "10.0.0.8", s2), AUTH_LOGIN_OK);

    assert_int_equal(auth_token_create(a, "olga", "bot2", 30, api, &exp, err, sizeof err), 0);
    put_pw(a, "olga", "a brand new password", 8, "view"); /* trade taken away */
    assert_false(auth_token_check(a, s2, &p));
    assert_true(auth_token_check(a, api, &p)); /* with what is left */
    assert_int_equal(p.roles, ROLE_VIEW);

    assert_int_equal(login(a, "olga", "a brand new password", "10.0.0.8", s1), AUTH_LOGIN_OK);
    put_pw(a, "olga", "a brand new password", 9, "view"); /* moved */
    assert_false(auth_token_check(a, s1, &p));
    assert_false(auth_token_check(a, api, &p));
    auth_close(a);
}

/* A deleted user's sessions and API tokens end with it, and stay gone. */
static void test_user_delete(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "pia", 8, "trade");
    put(a, "quinn", 8, "trade");
    char api[AUTH_TOKEN_HEX + 1], sess[AUTH_TOKEN_HEX + 1], other[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    principal p;
    assert_int_equal(login(a, "pia", PW, "10.0.0.9", sess), AUTH_LOGIN_OK);
    assert_int_equal(login(a, "quinn", PW, "10.0.0.9", other), AUTH_LOGIN_OK);
    assert_int_equal(auth_token_create(a, "pia", "bot", 30, api, &exp, err, sizeof err), 0);
    assert_int_equal(auth_user_delete(a, "nobody", err, sizeof err), AUTH_E_INVALID);
    assert_int_equal(auth_user_delete(a, "pia", err, sizeof err), 0);
    assert_false(auth_user_exists(a, "pia"));
    assert_false(auth_token_check(a, sess, &p));
    assert_false(auth_token_check(a, api, &p));
    assert_true(auth_token_check(a, other, &p)); /* another user's session lives */
    assert_int_equal(login(a, "pia", PW, "10.0.0.9", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(auth_user_delete(a, "pia", err, sizeof err), AUTH_E_INVALID);
    auth_close(a);
    a = open_auth(3600, 5);
    assert_false(auth_user_exists(a, "pia")); /* saved */
    assert_true(auth_user_exists(a, "quinn"));
    assert_false(auth_token_check(a, api, &p));
    auth_close(a);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
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
    auth *a = open_with(3600, 5, err, sizeof err);
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
    char sess[AUTH_TOKEN_HEX + 1];
    assert_int_equal(login(a, "lena", PW, "10.0.0.10", sess), AUTH_LOGIN_OK);
    assert_int_equal(auth_user_put(a, "mona", PW, 16, ROLE_VIEW, err, sizeof err),
                     AUTH_E_UNWRITTEN);
    assert_non_null(strstr(err, "users.json"));
    assert_false(auth_user_exists(a, "mona"));
    assert_int_equal(auth_user_put(a, "lena", PW, 99, ROLE_VIEW, err, sizeof err),
                     AUTH_E_UNWRITTEN);
    assert_int_equal(auth_user_put(a, "lena", "another password", 15, ROLE_TRADE, err, sizeof err),
                     AUTH_E_UNWRITTEN);
    assert_int_equal(auth_user_delete(a, "lena", err, sizeof err), AUTH_E_UNWRITTEN);
    assert_true(auth_user_exists(a, "lena"));
    assert_int_equal(auth_token_create(a, "lena", "t", 5, api, &exp, err, sizeof err),
                     AUTH_E_UNWRITTEN);
    json_t *u = auth_user_json(a, "lena");
    assert_int_equal(tj_participant(u), 15); /* the replacement did not happen */
    json_decref(u);
    json_t *toks = auth_tokens_json(a, "lena");
    assert_int_equal(json_array_size(toks), 0);
    json_decref(toks);
    principal p;
    assert_false(auth_token_check(a, api, &p));
    assert_true(auth_token_check(a, sess, &p)); /* nothing ended: nothing changed */
    assert_int_equal(p.roles, ROLE_TRADE | ROLE_VIEW);
    assert_int_equal(login(a, "lena", PW, "10.0.0.10", NULL), AUTH_LOGIN_OK);
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(auth_token_create(a, "lena", "t", 5, api, &exp, err, sizeof err), 0);
    auth_close(a);
}

/* The lockout of a user at one address: at the limit and one past it,
 * with the right password; it ends with its time. */
static void test_rate_limit(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 3);
    auth_set_failure_policy(a, 60000, 1, 2, 1000, 8000); /* 1 s lockouts */
    put(a, "hank", 11, "view");
    for (int i = 0; i < 2; i++)
        assert_int_equal(login(a, "hank", "wrong password", "10.1.0.1", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "hank", PW, "10.1.0.1", NULL), AUTH_LOGIN_OK); /* 2 of 3: in */
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(a, "hank", "wrong password", "10.1.0.1", NULL), AUTH_LOGIN_BAD);
    char tok[AUTH_TOKEN_HEX + 1];
    int64_t exp;
    principal p;
    int retry = 0;
    assert_int_equal(auth_login(a, "hank", PW, "10.1.0.1", tok, &exp, &p, &retry),
                     AUTH_LOGIN_LIMITED); /* the 3rd failure locked it, even the right password */
    assert_int_equal(retry, 1);
    usleep(1100 * 1000); /* the lockout passes */
    assert_int_equal(login(a, "hank", PW, "10.1.0.1", tok), AUTH_LOGIN_OK);
    auth_close(a);
}

/* Finding 9: failures for bob from a stranger's address (FIX Logons, say)
 * lock out the stranger, not bob: bob logs in from his own address, over
 * HTTP or FIX, and others log in from the stranger's. */
static void test_lockout_is_per_user_and_address(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    auth_set_failure_policy(a, 60000, 1, 2, 60000, 60000);
    put(a, "bob", 3, "trade");
    put(a, "alice", 2, "trade");
    principal p;
    for (int i = 0; i < 5; i++)
        assert_false(auth_password_check(a, "bob", "guessed wrong", "fix:10.9.0.66", &p));
    assert_false(auth_password_check(a, "bob", PW, "fix:10.9.0.66", &p)); /* locked there */
    assert_int_equal(login(a, "bob", PW, "fix:10.9.0.66", NULL), AUTH_LOGIN_LIMITED);
    assert_int_equal(login(a, "bob", PW, "10.9.0.2", NULL), AUTH_LOGIN_OK); /* bob's HTTP */
    assert_true(auth_password_check(a, "bob", PW, "fix:10.9.0.2", &p));     /* bob's FIX */
    assert_true(auth_password_check(a, "alice", PW, "fix:10.9.0.66", &p));
    auth_close(a);
}

/* Every lockout is counted and logged, with its scope, user and address. */
static char logged[8192];
static void log_keep(int level, const char *fields)
{
    (void)level;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof logged - n, "%s\n", fields);
}

static void test_lockouts_counted_and_logged(void **state)
{
    (void)state;
    auth_options o;
    auth_options_default(&o);
    o.data_dir = dir;
    o.max_failures = 2;
    o.max_address_failures = 4;
    o.log = log_keep;
    logged[0] = 0;
    char err[256];
    auth *a = auth_open(&o, err, sizeof err);
    assert_non_null(a);
    auth_set_failure_policy(a, 60000, 1, 2, 60000, 60000);
    put(a, "bob", 3, "trade");
    login(a, "bob", "wrong password", "10.5.0.1", NULL);
    auth_stats st;
    auth_get_stats(a, &st);
    assert_int_equal(st.lockouts, 0);
    login(a, "bob", "wrong password", "10.5.0.1", NULL); /* bob at 10.5.0.1 */
    auth_get_stats(a, &st);
    assert_int_equal(st.lockouts, 1);
    assert_int_equal(st.login_failures, 2);
    assert_non_null(strstr(logged, "msg=\"login locked out\" scope=user_address user=bob "
                                   "addr=10.5.0.1 failures=2 lock_s=60"));
    login(a, "nobody1", "wrong password", "10.5.0.1", NULL);
    login(a, "nobody2", "wrong password", "10.5.0.1", NULL); /* the address's 4th */
    auth_get_stats(a, &st);
    assert_int_equal(st.lockouts, 2);
    assert_non_null(strstr(logged, "msg=\"login locked out\" scope=address addr=10.5.0.1"));
    assert_int_equal(login(a, "bob", PW, "10.5.0.1", NULL), AUTH_LOGIN_LIMITED);
    auth_get_stats(a, &st);
    assert_int_equal(st.limited, 1);
    assert_null(strstr(logged, PW));
    auth_close(a);
}

static void test_rate_limit_success_resets(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 3);
    auth_set_failure_policy(a, 60000, 1, 2, 60000, 60000);
    put(a, "ivy", 12, "view");
    for (int round = 0; round < 3; round++) {
        assert_int_equal(login(a, "ivy", "wrong password", "10.2.0.1", NULL), AUTH_LOGIN_BAD);
        assert_int_equal(login(a, "ivy", "wrong password", "10.2.0.1", NULL), AUTH_LOGIN_BAD);
        assert_int_equal(login(a, "ivy", PW, "10.2.0.1", NULL), AUTH_LOGIN_OK);
    }
    auth_close(a);
}

/* One address trying many users is locked out at max_address_failures,
 * for every user, at that address only: at the limit and one past it. */
static void test_rate_limit_per_address(void **state)
{
    (void)state;
    auth_options o;
    auth_options_default(&o);
    o.data_dir = dir;
    o.max_failures = 3;
    o.max_address_failures = 6;
    char err[256];
    auth *a = auth_open(&o, err, sizeof err);
    assert_non_null(a);
    auth_set_failure_policy(a, 60000, 1, 2, 60000, 60000);
    put(a, "jack", 13, "view");
    char name[16];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "u%d", i);
        assert_int_equal(login(a, name, "x-password", "10.3.0.1", NULL), AUTH_LOGIN_BAD);
    }
    assert_int_equal(login(a, "jack", PW, "10.3.0.1", NULL), AUTH_LOGIN_OK); /* 5 of 6 */
    assert_int_equal(login(a, "u5", "x-password", "10.3.0.1", NULL), AUTH_LOGIN_BAD);
    assert_int_equal(login(a, "jack", PW, "10.3.0.1", NULL), AUTH_LOGIN_LIMITED);
    assert_int_equal(login(a, "jack", PW, "10.3.0.9", NULL), AUTH_LOGIN_OK); /* others may */
    auth_close(a);
}

/* Lockouts in a row grow: 10 s, 20 s, 40 s, then the 40 s cap; a key quiet
 * for the cap starts over at 10 s. On a clock of our own. */
static void test_lockouts_grow(void **state)
{
    (void)state;
    const int64_t S = 1000000000;
    throttle_policy pol = {.max_failures = 3,
                           .window_ns = 60 * S,
                           .delay_ns = S / 10,
                           .delay_cap_ns = 2 * S,
                           .lock_ns = 10 * S,
                           .lock_cap_ns = 40 * S};
    throttle *t = throttle_new(&pol);
    int64_t now = 1000 * S, lock;
    static const int want[] = {10, 20, 40, 40};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(throttle_fail(t, "k", now, &lock), 1);
        assert_int_equal(lock, 0);
        assert_int_equal(throttle_fail(t, "k", now, &lock), 2);
        assert_int_equal(throttle_blocked(t, "k", now), 0); /* at the limit but one: free */
        assert_int_equal(throttle_fail(t, "k", now, &lock), 3);
        assert_int_equal(lock, want[k] * S);
        assert_int_equal(throttle_blocked(t, "k", now), want[k]);
        assert_int_equal(throttle_blocked(t, "other", now), 0);
        now += want[k] * S - 1;
        assert_int_equal(throttle_blocked(t, "k", now), 1);
        now += 1;
        assert_int_equal(throttle_blocked(t, "k", now), 0);
    }
    now += 40 * S; /* quiet for the cap */
    for (int i = 0; i < 3; i++) throttle_fail(t, "k", now, &lock);
    assert_int_equal(lock, 10 * S);
    throttle_clear(t, "k"); /* a success forgets it all */
    assert_int_equal(throttle_blocked(t, "k", now), 0);
    throttle_free(t);
}

/* Finding 12: one user cannot fill the session table. At the cap (16 by
 * default) every session lives; one past it ends the user's oldest, and only
 * that one, and no other user's. */
static void test_session_cap(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    put(a, "rita", 8, "view");
    put(a, "sam", 8, "view");
    char other[AUTH_TOKEN_HEX + 1], tok[17][AUTH_TOKEN_HEX + 1];
    assert_int_equal(login(a, "sam", PW, "10.6.0.1", other), AUTH_LOGIN_OK);
    principal p;
    for (int i = 0; i < 16; i++)
        assert_int_equal(login(a, "rita", PW, "10.6.0.1", tok[i]), AUTH_LOGIN_OK);
    for (int i = 0; i < 16; i++) assert_true(auth_token_check(a, tok[i], &p));
    assert_int_equal(login(a, "rita", PW, "10.6.0.1", tok[16]), AUTH_LOGIN_OK);
    assert_false(auth_token_check(a, tok[0], &p)); /* the oldest */
    for (int i = 1; i < 17; i++) assert_true(auth_token_check(a, tok[i], &p));
    assert_true(auth_token_check(a, other, &p));
    auth_stats st;
    auth_get_stats(a, &st);
    assert_int_equal(st.sessions, 17);
    assert_int_equal(st.ended[AUTH_END_SESSION_LIMIT], 1);
    auth_close(a);
}

/* The cap is an option; a FIX Logon (auth_password_check) opens no
 * session, so it never ends an HTTP one. */
static void test_session_cap_option(void **state)
{
    (void)state;
    auth_options o;
    auth_options_default(&o);
    o.data_dir = dir;
    o.sessions_per_user = 2;
    char err[256], t[3][AUTH_TOKEN_HEX + 1];
    auth *a = auth_open(&o, err, sizeof err);
    assert_non_null(a);
    put(a, "tom", 8, "trade");
    principal p;
    assert_int_equal(login(a, "tom", PW, "10.7.0.1", t[0]), AUTH_LOGIN_OK);
    assert_int_equal(login(a, "tom", PW, "10.7.0.1", t[1]), AUTH_LOGIN_OK);
    for (int i = 0; i < 3; i++) assert_true(auth_password_check(a, "tom", PW, "fix:10.7.0.1", &p));
    assert_true(auth_token_check(a, t[0], &p));
    assert_true(auth_token_check(a, t[1], &p));
    assert_int_equal(login(a, "tom", PW, "10.7.0.1", t[2]), AUTH_LOGIN_OK);
    assert_false(auth_token_check(a, t[0], &p));
    assert_true(auth_token_check(a, t[1], &p));
    assert_true(auth_token_check(a, t[2], &p));
    auth_close(a);
}

/* The table of all users' sessions is bounded: at the bound a login is
 * refused (503 over HTTP), not another user's session ended; a logout makes
 * room again. */
static void test_session_table_full(void **state)
{
    (void)state;
    auth_options o;
    auth_options_default(&o);
    o.data_dir = dir;
    o.max_sessions = 3;
    char err[256], t[3][AUTH_TOKEN_HEX + 1];
    auth *a = auth_open(&o, err, sizeof err);
    assert_non_null(a);
    put(a, "u1", 8, "view");
    put(a, "u2", 8, "view");
    assert_int_equal(login(a, "u1", PW, "10.7.1.1", t[0]), AUTH_LOGIN_OK);
    assert_int_equal(login(a, "u1", PW, "10.7.1.1", t[1]), AUTH_LOGIN_OK);
    assert_int_equal(login(a, "u2", PW, "10.7.1.1", t[2]), AUTH_LOGIN_OK); /* at the bound */
    assert_int_equal(login(a, "u2", PW, "10.7.1.1", NULL), AUTH_LOGIN_FULL);
    principal p;
    for (int i = 0; i < 3; i++) assert_true(auth_token_check(a, t[i], &p));
    assert_true(auth_logout(a, t[0]));
    assert_int_equal(login(a, "u2", PW, "10.7.1.1", NULL), AUTH_LOGIN_OK);
    auth_close(a);
}

/* A token is found by one probe of an index of every credential's hash
 * (auth.c): the index follows sessions as they are opened and removed (a
 * removal moves the last session into the hole), and is rebuilt after a
 * change of the users or their API tokens. Every live credential is found,
 * with its user, and no ended one, after each change -- by its token and by
 * its credential id (auth_cred_check). */
#define IX_N 40
static struct {
    char tok[IX_N][AUTH_TOKEN_HEX + 1];
    char user[IX_N][16];
    bool live[IX_N];
    uint64_t cred[IX_N]; /* learnt at the first check */
    int n;
} ix;

static void ix_check(auth *a)
{
    for (int i = 0; i < ix.n; i++) {
        principal p;
        auth_token_info info;
        bool found = auth_token_lookup(a, ix.tok[i], &p, &info);
        if (found != ix.live[i] || (found && strcmp(p.user, ix.user[i]) != 0))
            fail_msg("credential %d (%s): found=%d user=%s, want live=%d", i, ix.user[i], found,
                     found ? p.user : "-", ix.live[i]);
        if (found && !ix.cred[i]) ix.cred[i] = info.cred;
        if (found) assert_int_equal(info.cred, ix.cred[i]);
        assert_true(ix.cred[i] != 0);
        found = auth_cred_check(a, ix.cred[i], &p);
        if (found != ix.live[i] || (found && strcmp(p.user, ix.user[i]) != 0))
            fail_msg("credential id %llu (%s): found=%d user=%s, want live=%d",
                     (unsigned long long)ix.cred[i], ix.user[i], found, found ? p.user : "-",
                     ix.live[i]);
    }
}

static void ix_login(auth *a, const char *user)
{
    assert_true(ix.n < IX_N);
    assert_int_equal(login(a, user, PW, "10.9.0.1", ix.tok[ix.n]), AUTH_LOGIN_OK);
    snprintf(ix.user[ix.n], sizeof ix.user[0], "%s", user);
    ix.live[ix.n++] = true;
}

static void test_token_index_follows_changes(void **state)
{
    (void)state;
    memset(&ix, 0, sizeof ix);
    auth *a = open_auth(3600, 5);
    put(a, "ix1", 8, "view");
    put(a, "ix2", 9, "view");
    put(a, "ix3", 10, "view");
    char err[256];
    int64_t exp;
    for (int i = 0; i < 3; i++) { /* API tokens of ix1 */
        char name[8];
        snprintf(name, sizeof name, "t%d", i);
        assert_int_equal(auth_token_create(a, "ix1", name, 30, ix.tok[ix.n], &exp, err, sizeof err),
                         0);
        snprintf(ix.user[ix.n], sizeof ix.user[0], "ix1");
        ix.live[ix.n++] = true;
    }
    for (int i = 0; i < 24; i++) ix_login(a, i % 3 == 0 ? "ix1" : i % 3 == 1 ? "ix2" : "ix3");
    ix_check(a);
    /* logouts in an order that moves sessions from the end into the middle */
    static const int order[] = {3, 26, 10, 4, 17, 25, 5, 12};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        assert_true(auth_logout(a, ix.tok[order[i]]));
        ix.live[order[i]] = false;
        ix_check(a);
    }
    assert_false(auth_logout(a, ix.tok[3])); /* gone already */
    /* an API token deleted: the index is rebuilt */
    assert_int_equal(auth_token_delete(a, "ix1", "t1"), 0);
    ix.live[1] = false;
    ix_check(a);
    /* a user deleted: its sessions end, the users after it move */
    assert_int_equal(auth_user_delete(a, "ix2", err, sizeof err), 0);
    for (int i = 0; i < ix.n; i++)
        if (strcmp(ix.user[i], "ix2") == 0) ix.live[i] = false;
    ix_check(a);
    for (int i = 0; i < 6; i++) ix_login(a, "ix3"); /* new sessions after the rebuild */
    ix_check(a);
    /* a token no one was given */
    char unknown[AUTH_TOKEN_HEX + 1];
    memset(unknown, 'a', AUTH_TOKEN_HEX);
    unknown[AUTH_TOKEN_HEX] = 0;
    principal p;
    assert_false(auth_token_check(a, unknown, &p));
    assert_false(auth_cred_check(a, 0, &p));
    assert_false(auth_cred_check(a, 999999, &p)); /* an id no one was given */
    auth_close(a);
}

/* ---- writing users.json holds up no lookup -------------------------------------- */

/* A disk that takes its time: the store's sync hook blocks until released,
 * and can fail the write. */
static struct {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int entered;  /* syncs begun */
    bool release; /* let them finish */
    int fail;     /* answer of the sync: 0, or -1 with errno EIO */
} disk = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, 0};

static int slow_sync(int fd, void *ctx)
{
    assert_ptr_equal(ctx, &disk);
    pthread_mutex_lock(&disk.m);
    disk.entered++;
    pthread_cond_broadcast(&disk.cv);
    while (!disk.release) pthread_cond_wait(&disk.cv, &disk.m);
    int fail = disk.fail;
    pthread_mutex_unlock(&disk.m);
    if (fail) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static bool disk_wait(int entered, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&disk.m);
    int rc = 0;
    while (disk.entered < entered && rc == 0)
        rc = pthread_cond_timedwait(&disk.cv, &disk.m, &until);
    bool ok = disk.entered >= entered;
    pthread_mutex_unlock(&disk.m);
    return ok;
}

static void disk_open(bool release, int fail)
{
    pthread_mutex_lock(&disk.m);
    disk.release = release;
    disk.fail = fail;
    pthread_cond_broadcast(&disk.cv);
    pthread_mutex_unlock(&disk.m);
}

typedef struct change {
    auth *a;
    const char *user, *tname;
    char token[AUTH_TOKEN_HEX + 1], err[256];
    int rc;
} change;

static void *create_token(void *arg)
{
    change *c = arg;
    int64_t exp;
    c->rc = auth_token_create(c->a, c->user, c->tname, 30, c->token, &exp, c->err, sizeof c->err);
    return NULL;
}

typedef struct lookup {
    auth *a;
    const char *token;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool done, found;
} lookup;

static void *look(void *arg)
{
    lookup *l = arg;
    principal p;
    bool found = auth_token_check(l->a, l->token, &p);
    pthread_mutex_lock(&l->m);
    l->done = true;
    l->found = found;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->m);
    return NULL;
}

/* Whether a lookup of token answers within seconds (in another thread, so
 * that a lookup stuck behind the write fails the test instead of hanging it). */
static bool lookup_answers(auth *a, const char *token, int seconds, bool *found)
{
    lookup l = {.a = a, .token = token};
    pthread_mutex_init(&l.m, NULL);
    pthread_cond_init(&l.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, look, &l), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&l.m);
    int rc = 0;
    while (!l.done && rc == 0) rc = pthread_cond_timedwait(&l.cv, &l.m, &until);
    bool done = l.done;
    pthread_mutex_unlock(&l.m);
    if (!done) disk_open(true, disk.fail); /* let it go, then fail */
    pthread_join(th, NULL);
    *found = l.found;
    pthread_mutex_destroy(&l.m);
    pthread_cond_destroy(&l.cv);
    return done;
}

static void test_write_holds_up_no_lookup(void **state)
{
    (void)state;
    auth_options o;
    auth_options_default(&o);
    o.data_dir = dir;
    o.sync = slow_sync;
    o.sync_ctx = &disk;
    char err[256];
    disk_open(true, 0);
    auth *a = auth_open(&o, err, sizeof err);
    assert_non_null(a);
    put(a, "wlk", 11, "trade");
    char session[AUTH_TOKEN_HEX + 1];
    assert_int_equal(login(a, "wlk", PW, "10.0.0.9", session), AUTH_LOGIN_OK);

    /* a change waits on the disk: lookups still answer, at once */
    pthread_mutex_lock(&disk.m);
    disk.entered = 0;
    pthread_mutex_unlock(&disk.m);
    disk_open(false, 0);
    change c1 = {.a = a, .user = "wlk", .tname = "t1"};
    pthread_t th1;
    assert_int_equal(pthread_create(&th1, NULL, create_token, &c1), 0);
    assert_true(disk_wait(1, 10));
    bool found = false;
    assert_true(lookup_answers(a, session, 5, &found));
    assert_true(found);
    /* a second change waits for the first: one writer at a time */
    change c2 = {.a = a, .user = "wlk", .tname = "t2"};
    pthread_t th2;
    assert_int_equal(pthread_create(&th2, NULL, create_token, &c2), 0);
    assert_false(disk_wait(2, 1));
    disk_open(true, 0);
    pthread_join(th1, NULL);
    pthread_join(th2, NULL);
    assert_int_equal(c1.rc, 0);
    assert_int_equal(c2.rc, 0);
    assert_true(lookup_answers(a, c1.token, 5, &found) && found);
    assert_true(lookup_answers(a, c2.token, 5, &found) && found);

    /* a write that fails: refused, and nothing changed (memory or file) */
    disk_open(true, 1);
    change c3 = {.a = a, .user = "wlk", .tname = "t3"};
    create_token(&c3);
    assert_int_equal(c3.rc, AUTH_E_UNWRITTEN);
    assert_non_null(strstr(c3.err, "cannot write"));
    assert_int_equal(auth_token_delete(a, "wlk", "t1"), AUTH_E_UNWRITTEN);
    assert_int_equal(auth_user_delete(a, "wlk", err, sizeof err), AUTH_E_UNWRITTEN);
    uint32_t bits;
    assert_int_equal(auth_roles_parse("view", &bits), 0);
    assert_int_equal(auth_user_put(a, "wlk2", PW, 12, bits, err, sizeof err), AUTH_E_UNWRITTEN);
    assert_false(auth_user_exists(a, "wlk2"));
    assert_true(lookup_answers(a, c1.token, 5, &found) && found);
    assert_true(lookup_answers(a, session, 5, &found) && found);
    json_t *toks = auth_tokens_json(a, "wlk");
    assert_int_equal(json_array_size(toks), 2);
    json_decref(toks);
    disk_open(true, 0);
    auth_close(a);

    /* the file has what was acknowledged */
    a = open_auth(3600, 5);
    assert_true(auth_token_check(a, c1.token, &(principal){0}));
    assert_true(auth_token_check(a, c2.token, &(principal){0}));
    assert_false(auth_user_exists(a, "wlk2"));
    auth_close(a);
}

/* ---- notices -------------------------------------------------------------------- */

static struct {
    auth_notice n[64];
    int count, calls;
} heard;

static void hear(void *ctx, const auth_notice *n, size_t count)
{
    assert_ptr_equal(ctx, &heard);
    heard.calls++;
    for (size_t i = 0; i < count && heard.count < 64; i++) heard.n[heard.count++] = n[i];
}

static bool heard_of(auth_end why, const char *user, uint64_t cred)
{
    for (int i = 0; i < heard.count; i++)
        if (heard.n[i].why == why && strcmp(heard.n[i].user, user) == 0 && heard.n[i].cred == cred)
            return true;
    return false;
}

/* Whatever ends a credential tells the listeners which one and why, and
 * auth_cred_check() agrees; a change of a user says "look again" (cred 0). */
static void test_notices(void **state)
{
    (void)state;
    auth *a = open_auth(1, 5); /* sessions of 1 s */
    put(a, "uma", 8, "trade");
    memset(&heard, 0, sizeof heard);
    assert_int_equal(auth_listen(a, hear, &heard), 0);
    char t1[AUTH_TOKEN_HEX + 1], t2[AUTH_TOKEN_HEX + 1], api[AUTH_TOKEN_HEX + 1], err[256];
    int64_t exp;
    principal p;
    auth_token_info i1, i2, ia;
    assert_int_equal(login(a, "uma", PW, "10.8.0.1", t1), AUTH_LOGIN_OK);
    assert_true(auth_token_lookup(a, t1, &p, &i1));
    assert_true(i1.cred > 0);
    assert_true(auth_cred_check(a, i1.cred, &p));
    assert_string_equal(p.user, "uma");
    assert_true(auth_logout(a, t1));
    assert_true(heard_of(AUTH_END_LOGOUT, "uma", i1.cred));
    assert_false(auth_cred_check(a, i1.cred, &p));
    assert_false(p.authenticated);

    assert_int_equal(auth_token_create(a, "uma", "bot", 1, api, &exp, err, sizeof err), 0);
    assert_true(auth_token_lookup(a, api, &p, &ia));
    assert_true(ia.api && ia.cred != i1.cred);
    assert_int_equal(auth_token_delete(a, "uma", "bot"), 0);
    assert_true(heard_of(AUTH_END_TOKEN_DELETED, "uma", ia.cred));
    assert_false(auth_cred_check(a, ia.cred, NULL));

    assert_int_equal(login(a, "uma", PW, "10.8.0.1", t2), AUTH_LOGIN_OK);
    assert_true(auth_token_lookup(a, t2, &p, &i2));
    usleep(1100 * 1000);
    auth_sweep(a); /* the timer's work, without waiting for it */
    assert_true(heard_of(AUTH_END_EXPIRED, "uma", i2.cred));

    put(a, "uma", 8, "view"); /* fewer roles */
    assert_true(heard_of(AUTH_END_ROLES_REDUCED, "uma", 0));
    int before = heard.count;
    put(a, "uma", 8, "view,funds"); /* more, then the same: nothing to tell */
    put(a, "uma", 8, "view,funds");
    assert_int_equal(heard.count, before);
    assert_int_equal(auth_user_delete(a, "uma", err, sizeof err), 0);
    assert_true(heard_of(AUTH_END_USER_DELETED, "uma", 0));
    auth_unlisten(a, hear, &heard);
    before = heard.count;
    put(a, "vera", 8, "view");
    assert_int_equal(login(a, "vera", PW, "10.8.0.1", t1), AUTH_LOGIN_OK);
    assert_true(auth_logout(a, t1));
    assert_int_equal(heard.count, before); /* gone: not called any more */
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
    throttle_policy pol = {.max_failures = 5,
                           .window_ns = 60000000000LL,
                           .delay_ns = 100000000,
                           .delay_cap_ns = 2000000000,
                           .lock_ns = 60000000000LL,
                           .lock_cap_ns = 3600000000000LL};
    throttle *t = throttle_new(&pol);
    assert_int_equal(throttle_delay(t, 1), 100000000);
    assert_int_equal(throttle_delay(t, 2), 200000000);
    assert_int_equal(throttle_delay(t, 4), 800000000);
    assert_int_equal(throttle_delay(t, 5), 1600000000);
    assert_int_equal(throttle_delay(t, 6), 2000000000); /* capped */
    assert_int_equal(throttle_delay(t, 60), 2000000000);
    throttle_free(t);

    /* and a failed login really waits: the third failure 4 x 60 ms */
    auth *a = open_auth(3600, 10);
    auth_set_failure_policy(a, 60000, 60, 2000, 60000, 60000);
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

static void hear_nothing(void *ctx, const auth_notice *n, size_t count)
{
    (void)ctx, (void)n, (void)count;
}

/* AUTH_MAX_LISTENERS may listen, one more is refused; leaving makes room. */
static void test_listeners_bounded(void **state)
{
    (void)state;
    auth *a = open_auth(3600, 5);
    static int ctx[AUTH_MAX_LISTENERS + 1];
    for (int i = 0; i < AUTH_MAX_LISTENERS; i++)
        assert_int_equal(auth_listen(a, hear_nothing, &ctx[i]), 0);
    assert_int_equal(auth_listen(a, hear_nothing, &ctx[AUTH_MAX_LISTENERS]), -1);
    auth_unlisten(a, hear_nothing, &ctx[3]);
    assert_int_equal(auth_listen(a, hear_nothing, &ctx[AUTH_MAX_LISTENERS]), 0);
    for (int i = 0; i <= AUTH_MAX_LISTENERS; i++) auth_unlisten(a, hear_nothing, &ctx[i]);
    auth_close(a);
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
        cmocka_unit_test_setup_teardown(test_user_change_ends_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_holds_no_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failure_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_is_per_user_and_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockouts_counted_and_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_success_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_per_address, setup, teardown),
        cmocka_unit_test(test_lockouts_grow),
        cmocka_unit_test_setup_teardown(test_session_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_cap_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_index_follows_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_holds_up_no_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_table_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listeners_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_delay_grows, setup, teardown),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
