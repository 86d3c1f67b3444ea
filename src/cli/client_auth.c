/* client_auth.c -- cets login, logout, whoami and token: who the client is.
 *
 * `login` trades a user name and password for a session token and keeps it
 * in the profile with the server it came from, so later commands need no
 * flags. The password never goes on the command line unless the user puts it
 * there: --password, $CETS_PASSWORD, or a prompt without echo.
 */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

const char login_usage[] =
    "usage: cets login USER [--password P] [--server URL]\n"
    "Log in to cetsd and save the session token in the profile\n"
    "($CETS_PROFILE, default ~/.config/cets/profile, mode 0600) with the server.\n"
    "The password: --password, else $CETS_PASSWORD, else asked without echo.\n" CL_COMMON_USAGE;
const char logout_usage[] =
    "usage: cets logout\nEnd the session and remove the token from the profile.\n" CL_COMMON_USAGE;
const char whoami_usage[] =
    "usage: cets whoami\nShow the user, participant and roles of the token.\n" CL_COMMON_USAGE;
const char token_usage[] = "usage: cets token create NAME [--ttl-days N]\n"
                           "       cets token list\n"
                           "       cets token delete NAME\n"
                           "API tokens for programs (create needs a session token from login;\n"
                           "the new token is shown once).\n" CL_COMMON_USAGE;

static bool read_password(char *buf, size_t len)
{
    if (!isatty(STDIN_FILENO)) {
        fputs("cets: no password: give --password or $CETS_PASSWORD\n", stderr);
        return false;
    }
    struct termios old, quiet;
    fputs("Password: ", stderr);
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    bool ok = fgets(buf, (int)len, stdin) != NULL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    if (ok) buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

int cmd_login(int argc, char **argv)
{
    cl_opts o = {0};
    const char *password = NULL, *pos[1];
    cli_flag extra[] = {{"--password", ARG_STR, &password, 0, 0}};
    int rc = cl_parse(login_usage, argc, argv, &o, extra, 1, pos, 1, 1);
    if (rc >= 0) return rc;
    o.token = NULL; /* an old token is not sent with a login */
    char typed[256];
    if (!password) password = getenv("CETS_PASSWORD");
    if (!password) {
        if (!read_password(typed, sizeof typed)) return CLI_FAIL;
        password = typed;
    }
    json_t *ans;
    rc = cl_call(&o, "POST", "/login",
                 json_pack("{s:s,s:s}", "username", pos[0], "password", password), &ans);
    if (rc) return rc;
    const char *tok = json_string_value(json_object_get(ans, "token"));
    if (!tok) {
        fputs("cets: the login answer has no token\n", stderr);
        json_decref(ans);
        return CLI_FAIL;
    }
    rc = cl_profile_save(o.server, tok);
    if (rc == CLI_OK && !o.json) {
        char until[FMT_LEN];
        cl_time_cell(until, ans, "expires_at");
        printf("logged in to %s as %s (participant %lld), until %s (+08:00)\n", o.server, pos[0],
               (long long)json_integer_value(
                   json_object_get(json_object_get(ans, "user"), "participant")),
               until);
    }
    json_decref(ans);
    return rc;
}

int cmd_logout(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(logout_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    if (!o.token) {
        fputs("cets: not logged in\n", stderr);
        return CLI_FAIL;
    }
    json_t *ans;
    rc = cl_call(&o, "POST", "/logout", NULL, &ans);
    json_decref(ans);
    /* Forget the token even when the server no longer knew it (expired,
     * restarted): afterwards the profile holds no dead token. */
    int rc2 = cl_profile_save(o.server, NULL);
    if (rc == CLI_OK && !o.json) puts("logged out");
    return rc ? rc : rc2;
}

int cmd_whoami(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(whoami_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *ans;
    if ((rc = cl_call(&o, "GET", "/me", NULL, &ans))) return rc;
    if (!o.json) {
        static const cl_field f[] = {
            {"username", "用户", "User", false},
            {"participant", "会员", "Participant", false},
            {"roles", "角色", "Roles", false},
            {"token_kind", "令牌类型", "Token kind", false},
            {"token_name", "令牌名", "Token name", false},
            {"expires_at", "到期(北京)", "Expires (+08:00)", CF_TIME},
        };
        printf("server %s\n", o.server);
        cl_print_fields(ans, f, 6);
    }
    json_decref(ans);
    return CLI_OK;
}

static void print_tokens(const json_t *a)
{
    static const tcol cols[] = {{"名称", "Name", true},
                                {"创建(北京)", "Created (+08:00)", true},
                                {"到期(北京)", "Expires (+08:00)", true},
                                {"已过期", "Expired", true}};
    table t;
    table_init(&t, cols, 4);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], e, "name");
        cl_time_cell(r[1], e, "created_at");
        cl_time_cell(r[2], e, "expires_at");
        cl_cell(r[3], e, "expired");
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

int cmd_token(int argc, char **argv)
{
    cl_opts o = {0};
    int64_t ttl = 0;
    const char *pos[2] = {NULL, NULL};
    cli_flag extra[] = {{"--ttl-days", ARG_INT, &ttl, 1, 3650}};
    int rc = cl_parse(token_usage, argc, argv, &o, extra, 1, pos, 1, 2);
    if (rc >= 0) return rc;
    const char *verb = pos[0], *name = pos[1];
    json_t *ans = NULL;
    if (strcmp(verb, "list") == 0 && !name) {
        if ((rc = cl_call(&o, "GET", "/tokens", NULL, &ans))) return rc;
        if (!o.json) print_tokens(ans);
    } else if (strcmp(verb, "create") == 0 && name) {
        json_t *body = json_pack("{s:s}", "name", name);
        if (ttl) json_object_set_new(body, "ttl_days", json_integer(ttl));
        if ((rc = cl_call(&o, "POST", "/tokens", body, &ans))) return rc;
        if (!o.json) {
            char exp[FMT_LEN];
            cl_time_cell(exp, ans, "expires_at");
            printf("token %s (expires %s +08:00), shown this once:\n%s\n", name, exp,
                   json_string_value(json_object_get(ans, "token")));
        }
    } else if (strcmp(verb, "delete") == 0 && name) {
        char path[256], esc[160];
        snprintf(path, sizeof path, "/tokens/%s", cl_escape(name, esc, sizeof esc));
        if ((rc = cl_call(&o, "DELETE", path, NULL, &ans))) return rc;
        if (!o.json) printf("token %s deleted\n", name);
    } else {
        return cli_usage_error(token_usage, "bad token command");
    }
    json_decref(ans);
    return CLI_OK;
}
