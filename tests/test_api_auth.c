/* test_api_auth.c -- the account endpoints of docs/api.md ("Authentication")
 * over HTTP, against a server started in this process on 127.0.0.1: what
 * the operator's changes end, deleting users, the session cap, lockouts
 * per user and address, and a users file that cannot be written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/auth/auth_int.h"
#include "tseed.h"
#include "tserver.h"

static tserver T;
static uint32_t A, B;

static int group_setup(void **state)
{
    (void)state;
    ts_start(&T, NULL, NULL);
    A = tseed_participant(&T, "entity", "Alpha Power");
    B = tseed_participant(&T, "entity", "Beta Steel");
    /* short failure delays and lockouts, so the tests do not sleep long */
    auth_set_failure_policy(T.s.auth, 60000, 1, 2, 60000, 60000);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    ts_rmtree(T.dir);
    return 0;
}

static long status_of(const char *method, const char *path, const char *token, const char *body)
{
    tresp r;
    long st = ts_req(&T, method, path, token, body, &r);
    tresp_free(&r);
    return st;
}

static void replace_user(const char *name, const char *password, uint32_t participant,
                         const char *roles_json, long want)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"%s\",\"participant\":%u,\"roles\":%s}", name,
             password, participant, roles_json);
    json_decref(ts_expect(&T, "POST", "/api/v1/admin/users", T.admin, body, want));
}

/* Finding 6: the operator resetting a password ends the user's sessions and
 * API tokens at once; taking away a role ends its sessions. */
static void test_password_reset_ends_sessions(void **state)
{
    (void)state;
    char *tok = tseed_user(&T, "reset_me", A, "trade");
    json_t *made = ts_expect(&T, "POST", "/api/v1/tokens", tok, "{\"name\":\"prog\"}", 201);
    char *api = strdup(tj_str(made, "token"));
    json_decref(made);
    assert_int_equal(status_of("GET", "/api/v1/me", tok, NULL), 200);
    replace_user("reset_me", "the-new-password", A, "[\"trade\"]", 200);
    assert_int_equal(status_of("GET", "/api/v1/me", tok, NULL), 401);
    assert_int_equal(status_of("GET", "/api/v1/me", api, NULL), 401);
    free(tok);
    tok = ts_login(&T, "reset_me", "the-new-password");
    replace_user("reset_me", "the-new-password", A, "[\"view\"]", 200); /* trade taken away */
    assert_int_equal(status_of("GET", "/api/v1/me", tok, NULL), 401);
    free(tok);
    tok = ts_login(&T, "reset_me", "the-new-password");
    replace_user("reset_me", "the-new-password", A, "[\"view\",\"funds\"]", 200); /* more */
    assert_int_equal(status_of("GET", "/api/v1/me", tok, NULL), 200);
    free(tok);
    free(api);
}

static void test_user_delete(void **state)
{
    (void)state;
    char *tok = tseed_user(&T, "leaving", A, "trade");
    json_t *j = ts_expect(&T, "DELETE", "/api/v1/admin/users/leaving", T.admin, NULL, 200);
    assert_string_equal(tj_str(j, "username"), "leaving");
    assert_true(json_is_true(json_object_get(j, "deleted")));
    json_decref(j);
    assert_int_equal(status_of("GET", "/api/v1/me", tok, NULL), 401);
    json_t *users = ts_expect(&T, "GET", "/api/v1/admin/users", T.admin, NULL, 200);
    for (size_t i = 0; i < json_array_size(users); i++)
        assert_string_not_equal(tj_str(json_array_get(users, i), "username"), "leaving");
    json_decref(users);
    assert_int_equal(status_of("DELETE", "/api/v1/admin/users/leaving", T.admin, NULL), 404);
    assert_int_equal(status_of("DELETE", "/api/v1/admin/users/admin", T.admin, NULL), 400);
    assert_int_equal(status_of("GET", "/api/v1/admin/users/admin", T.admin, NULL), 405);
    assert_int_equal(status_of("DELETE", "/api/v1/admin/users/a/b", T.admin, NULL), 404);
    assert_int_equal(status_of("GET", "/api/v1/admin/usersx", T.admin, NULL), 404);
    assert_int_equal(status_of("DELETE", "/api/v1/admin/users/leaving", tok, NULL), 401);
    free(tok);
}

/* Finding 12 over HTTP: the 17th login ends the first session only. */
static void test_session_cap(void **state)
{
    (void)state;
    char *tok[17];
    tok[0] = tseed_user(&T, "many", A, "view");
    for (int i = 1; i < 16; i++) tok[i] = ts_login(&T, "many", TSEED_PASSWORD);
    for (int i = 0; i < 16; i++)
        assert_int_equal(status_of("GET", "/api/v1/me", tok[i], NULL), 200);
    tok[16] = ts_login(&T, "many", TSEED_PASSWORD);
    assert_int_equal(status_of("GET", "/api/v1/me", tok[0], NULL), 401);
    for (int i = 1; i < 17; i++)
        assert_int_equal(status_of("GET", "/api/v1/me", tok[i], NULL), 200);
    for (int i = 0; i < 17; i++) free(tok[i]);
}

/* A login sent from another local address (127.0.0.2 reaches a server
 * listening on 127.0.0.1): the status, and Retry-After when there is one. */
static long login_from(const char *source, const char *user, const char *password,
                       long *retry_after)
{
    CURL *c = curl_easy_init();
    char url[128], body[160];
    snprintf(url, sizeof url, "%s/api/v1/login", T.base);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_INTERFACE, source);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    long st = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    if (retry_after) {
        curl_off_t ra = 0;
        curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra);
        *retry_after = (long)ra;
    }
    fclose(sink);
    curl_easy_cleanup(c);
    return st;
}

static long long metric(const char *name)
{
    tresp r;
    ts_req(&T, "GET", "/metrics", NULL, NULL, &r);
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(r.body, key);
    long long v = p ? atoll(p + strlen(key)) : -1;
    tresp_free(&r);
    return v;
}

/* Finding 9 end to end: five wrong passwords for bob from a stranger's
 * address lock out the stranger's address for bob (429, Retry-After), not
 * bob at his own; counted in /metrics. */
static void test_lockout_per_user_and_address(void **state)
{
    (void)state;
    char *tok = tseed_user(&T, "bob", B, "trade");
    free(tok);
    long long lockouts = metric("cets_auth_lockouts_total");
    for (int i = 0; i < 5; i++)
        assert_int_equal(login_from("127.0.0.2", "bob", "not-bobs-password", NULL), 401);
    long retry = 0;
    assert_int_equal(login_from("127.0.0.2", "bob", TSEED_PASSWORD, &retry), 429);
    assert_true(retry >= 59 && retry <= 60);
    assert_int_equal(login_from("127.0.0.1", "bob", TSEED_PASSWORD, NULL), 200);
    assert_int_equal(metric("cets_auth_lockouts_total"), lockouts + 1);
    assert_true(metric("cets_auth_locked_attempts_total") >= 1);
}

/* Finding 16: users.json cannot be written (a directory is in the way of
 * its temporary file): 503 unavailable, not 400, and nothing changed. */
static void test_users_file_unwritable(void **state)
{
    (void)state;
    char *tok = tseed_user(&T, "stays", A, "trade");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/users.json.tmp", T.dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    tresp r;
    ts_req(&T, "POST", "/api/v1/admin/users", T.admin,
           "{\"username\":\"newcomer\",\"password\":\"newcomer-pass\",\"participant\":2,"
           "\"roles\":[\"view\"]}",
           &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(tj_str(r.json, "error"), "unavailable");
    assert_int_equal(tj_int(r.json, "code"), 1009);
    assert_non_null(strstr(tj_str(r.json, "message"), "users file"));
    tresp_free(&r);
    char body[200];
    snprintf(body, sizeof body,
             "{\"username\":\"stays\",\"password\":\"another-password\",\"participant\":%u,"
             "\"roles\":[\"view\"]}",
             B);
    assert_int_equal(status_of("POST", "/api/v1/admin/users", T.admin, body), 503);
    assert_int_equal(status_of("DELETE", "/api/v1/admin/users/stays", T.admin, NULL), 503);
    assert_int_equal(status_of("POST", "/api/v1/tokens", tok, "{\"name\":\"t1\"}"), 503);
    /* nothing changed: no newcomer, stays as it was and still logged in */
    json_t *users = ts_expect(&T, "GET", "/api/v1/admin/users", T.admin, NULL, 200);
    for (size_t i = 0; i < json_array_size(users); i++) {
        json_t *u = json_array_get(users, i);
        assert_string_not_equal(tj_str(u, "username"), "newcomer");
        if (strcmp(tj_str(u, "username"), "stays") == 0)
            assert_int_equal(tj_int(u, "participant"), A);
    }
    json_decref(users);
    json_t *me = ts_expect(&T, "GET", "/api/v1/me", tok, NULL, 200);
    assert_int_equal(tj_int(me, "participant"), A);
    json_decref(me);
    json_t *toks = ts_expect(&T, "GET", "/api/v1/tokens", tok, NULL, 200);
    assert_int_equal(json_array_size(toks), 0);
    json_decref(toks);
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(status_of("POST", "/api/v1/tokens", tok, "{\"name\":\"t1\"}"), 201);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_reset_ends_sessions),
        cmocka_unit_test(test_user_delete),
        cmocka_unit_test(test_session_cap),
        cmocka_unit_test(test_lockout_per_user_and_address),
        cmocka_unit_test(test_users_file_unwritable),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
