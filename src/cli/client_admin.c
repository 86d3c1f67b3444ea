/* client_admin.c -- `cets admin ...`: the exchange operator's commands.
 *
 * One dispatcher, a small table of subcommands: each builds one request to
 * /api/v1/admin/... and prints the instrument, the account or the list the
 * API answers. All need a token of a user with role admin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

const char admin_usage[] =
    "usage: cets admin <subcommand> ...\n"
    "  instrument-add CODE --product CEA|CCER --matching listing|continuous --prev-close PRICE\n"
    "  halt [CODE] on|off              halt one instrument, or the whole market\n"
    "  participants                    every participant's account\n"
    "  participant-add KIND NAME       KIND: authority|entity|institution|individual\n"
    "  status ID active|suspended|frozen\n"
    "  deposit ID AMOUNT\n"
    "  credit ID CODE QTY              issue allowances into a holding\n"
    "  holiday-add DATE                YYYY-MM-DD\n"
    "  holidays-reload                 read the configured calendar file again, journal its\n"
    "                                  new dates\n"
    "  end-of-day\n"
    "  users\n"
    "  user-add USER --participant ID --roles view,trade [--password P]\n"
    "     (the password: --password, else $CETS_PASSWORD)\n"
    "  allocations upload FILE         the authority's allocations CSV (role authority): every\n"
    "  emissions upload FILE           row is checked first; a bad row applies nothing\n"
    "  (auctions: `cets auction`; deadline and freeze: `cets registry`)\n" CL_COMMON_USAGE;

static void print_instrument(const json_t *a)
{
    static const cl_field f[] = {
        {"id", "编号", "Id", false},           {"code", "代码", "Code", false},
        {"product", "产品", "Product", false}, {"matching", "方式", "Matching", false},
        {"status", "状态", "Status", false},   {"prev_close", "昨收", "Prev close", false},
        {"lower", "下限", "Lower", false},     {"upper", "上限", "Upper", false},
    };
    cl_print_fields(a, f, 8);
}

/* Send, then print with show (or nothing) unless --json. */
static int ask(const cl_opts *o, const char *method, const char *path, json_t *body,
               void (*show)(const json_t *))
{
    json_t *a;
    int rc = cl_call(o, method, path, body, &a);
    if (rc) return rc;
    if (!o->json && show) show(a);
    json_decref(a);
    return CLI_OK;
}

static int a_instrument_add(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1], *product = NULL, *matching = "listing", *prev = NULL;
    cli_flag extra[] = {{"--product", ARG_STR, &product, 0, 0},
                        {"--matching", ARG_STR, &matching, 0, 0},
                        {"--prev-close", ARG_STR, &prev, 0, 0}};
    int rc = cl_parse(admin_usage, argc, argv, &o, extra, 3, pos, 1, 1);
    if (rc >= 0) return rc;
    if (!product || (strcmp(product, "CEA") != 0 && strcmp(product, "CCER") != 0))
        return cli_usage_error(admin_usage, "--product is CEA or CCER");
    if (strcmp(matching, "listing") != 0 && strcmp(matching, "continuous") != 0)
        return cli_usage_error(admin_usage, "--matching is listing or continuous");
    if (!prev) return cli_usage_error(admin_usage, "--prev-close wants a price such as 74.60");
    if (!cl_amount_arg(admin_usage, "--prev-close", prev)) return CLI_USAGE;
    return ask(&o, "POST", "/admin/instruments",
               json_pack("{s:s,s:s,s:s,s:s}", "code", pos[0], "product", product, "matching",
                         matching, "prev_close", prev),
               print_instrument);
}

static void print_halted(const json_t *a)
{
    printf("market %s\n", json_is_true(json_object_get(a, "halted")) ? "halted" : "open");
}

static int a_halt(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2] = {NULL, NULL}; /* cli_parse fills only what was given */
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 1, 2);
    if (rc >= 0) return rc;
    int n = pos[1] ? 2 : 1;
    const char *onoff = pos[n - 1];
    if (strcmp(onoff, "on") != 0 && strcmp(onoff, "off") != 0)
        return cli_usage_error(admin_usage, "halt wants on or off, not '%s'", onoff);
    json_t *b = json_pack("{s:b}", "halted", strcmp(onoff, "on") == 0);
    if (n == 1) return ask(&o, "POST", "/admin/halt", b, print_halted);
    char path[256], esc[128];
    snprintf(path, sizeof path, "/admin/instruments/%s/halt", cl_escape(pos[0], esc, sizeof esc));
    return ask(&o, "POST", path, b, print_instrument);
}

static void print_participants(const json_t *a)
{
    static const tcol cols[] = {{"会员号", "Id", false},          {"名称", "Name", true},
                                {"类型", "Kind", true},           {"状态", "Status", true},
                                {"可用资金", "Available", false}, {"冻结", "Frozen", false},
                                {"未交收", "Unsettled", false},   {"可取", "Withdrawable", false},
                                {"委托", "Orders", false}};
    table t;
    table_init(&t, cols, 9);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], e, "id");
        cl_cell(r[1], e, "name");
        cl_cell(r[2], e, "kind");
        cl_cell(r[3], e, "status");
        cl_money_cell(r[4], e, "available");
        cl_money_cell(r[5], e, "frozen");
        cl_money_cell(r[6], e, "unsettled");
        cl_money_cell(r[7], e, "withdrawable");
        cl_cell(r[8], e, "open_orders");
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

static int a_participants(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    return ask(&o, "GET", "/admin/participants", NULL, print_participants);
}

static int a_participant_add(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2];
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 2, 2);
    if (rc >= 0) return rc;
    return ask(&o, "POST", "/admin/participants",
               json_pack("{s:s,s:s}", "kind", pos[0], "name", pos[1]), cl_print_account);
}

static bool id_arg(const char *s, long long *id)
{
    if (cl_int_arg(s, 1, UINT32_MAX, id)) return true;
    cli_usage_error(admin_usage, "bad participant id '%s'", s);
    return false;
}

static int a_status(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2];
    long long id;
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 2, 2);
    if (rc >= 0) return rc;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    char path[96];
    snprintf(path, sizeof path, "/admin/participants/%lld/status", id);
    return ask(&o, "POST", path, json_pack("{s:s}", "status", pos[1]), cl_print_account);
}

static int a_deposit(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2];
    long long id;
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 2, 2);
    if (rc >= 0) return rc;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    if (!cl_amount_arg(admin_usage, "amount", pos[1])) return CLI_USAGE;
    return ask(&o, "POST", "/admin/deposits",
               json_pack("{s:I,s:s}", "participant", (json_int_t)id, "amount", pos[1]),
               cl_print_account);
}

static int a_credit(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3];
    long long id, qty;
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 3, 3);
    if (rc >= 0) return rc;
    if (!id_arg(pos[0], &id)) return CLI_USAGE;
    if (!cl_qty_arg(admin_usage, "quantity", pos[2], 1, INT32_MAX, &qty)) return CLI_USAGE;
    return ask(&o, "POST", "/admin/credits",
               json_pack("{s:I,s:s,s:I}", "participant", (json_int_t)id, "code", pos[1], "qty",
                         (json_int_t)qty),
               cl_print_account);
}

static void print_holiday(const json_t *a)
{
    char d[FMT_LEN], t[FMT_LEN];
    cl_cell(d, a, "date");
    cl_cell(t, a, "trading_day");
    printf("holiday %s (trading day: %s)\n", d, t);
}

static void print_reload(const json_t *a)
{
    printf("holiday calendar %s: %lld dates, %lld added\n", cl_str(a, "file"),
           (long long)json_integer_value(json_object_get(a, "holidays")),
           (long long)json_integer_value(json_object_get(a, "added")));
}

static int a_holidays_reload(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    return ask(&o, "POST", "/admin/holidays/reload", json_object(), print_reload);
}

static int a_holiday_add(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    return ask(&o, "POST", "/admin/holidays", json_pack("{s:s}", "date", pos[0]), print_holiday);
}

static void print_eod(const json_t *a)
{
    char c[FMT_LEN], n[FMT_LEN], x[FMT_LEN];
    cl_cell(c, a, "closed_date");
    cl_cell(n, a, "next_date");
    cl_cell(x, a, "composite");
    printf("closed %s; next trading day %s; composite %s\n", c, n, x);
}

static int a_end_of_day(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    return ask(&o, "POST", "/admin/end-of-day", NULL, print_eod);
}

static void user_row(table *t, const json_t *e)
{
    char(*r)[FMT_LEN] = table_row(t, false);
    cl_cell(r[0], e, "username");
    cl_cell(r[1], e, "participant");
    cl_cell(r[2], e, "roles");
}

static const tcol user_cols[] = {
    {"用户", "User", true}, {"会员号", "Participant", false}, {"角色", "Roles", true}};

static void print_users(const json_t *a)
{
    table t;
    table_init(&t, user_cols, 3);
    for (size_t i = 0; i < json_array_size(a); i++) user_row(&t, json_array_get(a, i));
    table_print(stdout, &t, 0);
    table_free(&t);
}

static void print_user(const json_t *a)
{
    table t;
    table_init(&t, user_cols, 3);
    user_row(&t, a);
    table_print(stdout, &t, 0);
    table_free(&t);
}

static int a_users(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    return ask(&o, "GET", "/admin/users", NULL, print_users);
}

static int a_user_add(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1], *roles = NULL, *password = NULL;
    int64_t part = 0;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX},
                        {"--roles", ARG_STR, &roles, 0, 0},
                        {"--password", ARG_STR, &password, 0, 0}};
    int rc = cl_parse(admin_usage, argc, argv, &o, extra, 3, pos, 1, 1);
    if (rc >= 0) return rc;
    if (!password) password = getenv("CETS_PASSWORD");
    if (!part || !roles || !password)
        return cli_usage_error(admin_usage, "user-add needs --participant, --roles and a password");
    json_t *arr = json_array();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", roles);
    char *save = NULL;
    for (char *r = strtok_r(buf, ",", &save); r; r = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_stringn(r, strlen(r)));
    json_t *b = json_pack("{s:s,s:s,s:I}", "username", pos[0], "password", password, "participant",
                          (json_int_t)part);
    json_object_set_new(b, "roles", arr);
    return ask(&o, "POST", "/admin/users", b, print_user);
}

/* `allocations upload FILE`, `emissions upload FILE`: the file as it is,
 * to the loader that checks every row before anything is applied; its
 * line-numbered errors are printed one per line (client.c). */
static int a_upload(int argc, char **argv)
{
    bool alloc = strcmp(argv[0], "allocations") == 0;
    cl_opts o = {0};
    const char *pos[2];
    int rc = cl_parse(admin_usage, argc, argv, &o, NULL, 0, pos, 2, 2);
    if (rc >= 0) return rc;
    if (strcmp(pos[0], "upload") != 0)
        return cli_usage_error(admin_usage, "%s wants: upload FILE", argv[0]);
    FILE *f = fopen(pos[1], "rb");
    if (!f) {
        cl_error(&o, "cannot_read", "cannot read %s: %s", pos[1], strerror(errno));
        return CLI_FAIL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char buf[65536];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            char *p = realloc(text, cap);
            if (!p) {
                free(text);
                fclose(f);
                cl_error(&o, "unavailable", "out of memory");
                return CLI_FAIL;
            }
            text = p;
        }
        memcpy(text + len, buf, got);
        len += got;
    }
    fclose(f);
    json_t *a;
    rc = cl_call_raw(&o, "POST", alloc ? "/registry/allocations/csv" : "/registry/emissions/csv",
                     "text/csv", text ? text : "", len, &a);
    free(text);
    if (rc) return rc;
    if (!o.json)
        printf(
            "%s: %lld rows applied\n", pos[1],
            (long long)json_integer_value(json_object_get(a, alloc ? "allocations" : "records")));
    json_decref(a);
    return CLI_OK;
}

static const struct {
    const char *name;
    int (*run)(int, char **);
} subs[] = {
    {"allocations", a_upload},
    {"emissions", a_upload},
    {"instrument-add", a_instrument_add},
    {"halt", a_halt},
    {"participants", a_participants},
    {"participant-add", a_participant_add},
    {"status", a_status},
    {"deposit", a_deposit},
    {"credit", a_credit},
    {"holiday-add", a_holiday_add},
    {"holidays-reload", a_holidays_reload},
    {"end-of-day", a_end_of_day},
    {"users", a_users},
    {"user-add", a_user_add},
};

int cmd_admin(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(admin_usage, "admin needs a subcommand");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(admin_usage, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].name, argv[1]) == 0) return subs[i].run(argc - 1, argv + 1);
    return cli_usage_error(admin_usage, "unknown admin subcommand '%s'", argv[1]);
}
