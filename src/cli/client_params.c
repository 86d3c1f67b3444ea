/* client_params.c -- `cets params`: the market's parameters (GET
 * /api/v1/params), their history, and the operator's changes (POST
 * /api/v1/admin/params, role admin); `cets large-holders`: the report of
 * GET /api/v1/large-holders; `cets related`: the related-party declarations
 * (GET and POST /api/v1/related). Values are the engine's integers in
 * the parameter's unit (ppm, bp, t, fen, minutes after local midnight). */
#include <stdlib.h>
#include <string.h>

#include "client.h"

const char params_usage[] =
    "usage: cets params [list]                  every parameter: in force, default, pending\n"
    "       cets params history                 every accepted change, oldest first\n"
    "       cets params set NAME VALUE --from DATE   from the open of DATE (YYYY-MM-DD)\n"
    "       cets params set NAME VALUE --urgent      at once (not fees, listing band, tick,\n"
    "                                                hours)\n" CL_COMMON_USAGE;

static void print_params(const json_t *a)
{
    static const tcol cols[] = {{"参数", "Parameter", true},
                                {"现值", "Value", false},
                                {"默认", "Default", false},
                                {"单位", "Unit", true},
                                {"待生效", "Pending", true}};
    table t;
    table_init(&t, cols, 5);
    const json_t *ps = json_object_get(a, "params");
    for (size_t i = 0; i < json_array_size(ps); i++) {
        const json_t *p = json_array_get(ps, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], p, "name");
        cl_cell(r[1], p, "value");
        cl_cell(r[2], p, "default");
        cl_cell(r[3], p, "unit");
        const json_t *pend = json_object_get(p, "pending");
        size_t o = 0;
        r[4][0] = 0;
        for (size_t k = 0; k < json_array_size(pend) && o + 40 < FMT_LEN; k++) {
            const json_t *c = json_array_get(pend, k);
            o += (size_t)snprintf(r[4] + o, FMT_LEN - o, "%s%lld from %s", k ? ", " : "",
                                  (long long)json_integer_value(json_object_get(c, "value")),
                                  cl_str(c, "from"));
        }
        if (!o) snprintf(r[4], FMT_LEN, "-");
    }
    printf("trading date %s\n", cl_str(a, "trading_date"));
    table_print(stdout, &t, 0);
    table_free(&t);
}

static void print_history(const json_t *a)
{
    static const tcol cols[] = {{"序号", "Seq", false},     {"参数", "Parameter", true},
                                {"新值", "Value", false},   {"原值", "Old", false},
                                {"生效日", "From", true},   {"状态", "Status", true},
                                {"实施日", "Applied", true}};
    table t;
    table_init(&t, cols, 7);
    const json_t *hs = json_object_get(a, "history");
    for (size_t i = 0; i < json_array_size(hs); i++) {
        const json_t *h = json_array_get(hs, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], h, "seq");
        cl_cell(r[1], h, "name");
        cl_cell(r[2], h, "value");
        cl_cell(r[3], h, "old");
        cl_cell(r[4], h, "from");
        snprintf(r[5], FMT_LEN, "%s%s", cl_str(h, "status"),
                 json_is_true(json_object_get(h, "urgent")) ? " (urgent)" : "");
        cl_cell(r[6], h, "applied");
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

static int p_show(int argc, char **argv, bool history)
{
    cl_opts o = {0};
    int rc = cl_parse(params_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    rc = cl_call(&o, "GET", "/params", NULL, &a);
    if (rc) return rc;
    if (!o.json) (history ? print_history : print_params)(a);
    json_decref(a);
    return CLI_OK;
}

static int p_set(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2];
    const char *from = NULL; /* YYYY-MM-DD: the server checks it */
    bool urgent = false;
    cli_flag extra[] = {{"--from", ARG_STR, &from, 0, 0}, {"--urgent", ARG_BOOL, &urgent, 0, 0}};
    int rc = cl_parse(params_usage, argc, argv, &o, extra, 2, pos, 2, 2);
    if (rc >= 0) return rc;
    long long value;
    if (!cl_int_arg(pos[1], -(1LL << 62), 1LL << 62, &value))
        return cli_usage_error(params_usage, "VALUE is a whole number, not '%s'", pos[1]);
    if (urgent == (from != NULL))
        return cli_usage_error(params_usage, "give either --from DATE or --urgent");
    json_t *b = json_pack("{s:s, s:I}", "name", pos[0], "value", (json_int_t)value);
    if (urgent) {
        json_object_set_new(b, "urgent", json_true());
    } else {
        json_object_set_new(b, "from", json_string(from));
    }
    json_t *a;
    rc = cl_call(&o, "POST", "/admin/params", b, &a);
    if (rc) return rc;
    if (!o.json) {
        const json_t *hs = json_object_get(a, "history");
        const json_t *h = json_array_get(hs, json_array_size(hs) - 1);
        if (strcmp(cl_str(h, "status"), "applied") == 0)
            printf("%s = %lld, in force now\n", pos[0],
                   (long long)json_integer_value(json_object_get(h, "value")));
        else
            printf("%s = %lld from the open of %s\n", pos[0],
                   (long long)json_integer_value(json_object_get(h, "value")), cl_str(h, "from"));
    }
    json_decref(a);
    return CLI_OK;
}

const char large_holders_usage[] =
    "usage: cets large-holders [--last-day]   holders above the large-holder threshold, now or\n"
    "                                         as the last end of day closed (admin, "
    "authority)\n" CL_COMMON_USAGE;

static void print_holders(const json_t *a)
{
    static const tcol cols[] = {{"会员号", "Id", false},
                                {"名称", "Name", true},
                                {"品种", "Code", true},
                                {"持有(吨)", "Held (t)", false},
                                {"发行(吨)", "Issued (t)", false},
                                {"占比", "Share", false}};
    table t;
    table_init(&t, cols, 6);
    const json_t *hs = json_object_get(a, "holders");
    for (size_t i = 0; i < json_array_size(hs); i++) {
        const json_t *h = json_array_get(hs, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], h, "participant");
        cl_cell(r[1], h, "name");
        cl_cell(r[2], h, "code");
        cl_qty_cell(r[3], h, "held");
        cl_qty_cell(r[4], h, "issued");
        long long bp = (long long)json_integer_value(json_object_get(h, "share_bp"));
        snprintf(r[5], FMT_LEN, "%lld.%02lld%%", bp / 100, bp % 100);
    }
    long long share = (long long)json_integer_value(json_object_get(a, "share_bp"));
    long long tonnes = (long long)json_integer_value(json_object_get(a, "tonnes"));
    printf("%s %s: above %lld.%02lld%% of the issuance",
           strcmp(cl_str(a, "day"), "last") == 0 ? "end of day" : "now", cl_str(a, "date"),
           share / 100, share % 100);
    if (tonnes) printf(" or %lld t", tonnes);
    printf(" (%zu holdings)\n", json_array_size(hs));
    table_print(stdout, &t, 0);
    table_free(&t);
}

int cmd_large_holders(int argc, char **argv)
{
    cl_opts o = {0};
    bool last = false;
    cli_flag extra[] = {{"--last-day", ARG_BOOL, &last, 0, 0}};
    int rc = cl_parse(large_holders_usage, argc, argv, &o, extra, 1, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    rc = cl_call(&o, "GET", last ? "/large-holders?day=last" : "/large-holders", NULL, &a);
    if (rc) return rc;
    if (!o.json) print_holders(a);
    json_decref(a);
    return CLI_OK;
}

const char related_usage[] =
    "usage: cets related [list]                       the related-party declarations (admin,\n"
    "                                                 authority)\n"
    "       cets related declare ID ID --reason TEXT  the two participants share an actual\n"
    "                                                 controller (admin)\n"
    "       cets related revoke ID ID --reason TEXT   no longer (admin)\n" CL_COMMON_USAGE;

static void print_related(const json_t *a)
{
    static const tcol cols[] = {{"序号", "Seq", false},          {"会员号", "Id", false},
                                {"关联方", "Related to", false}, {"状态", "Status", true},
                                {"现行", "In force", true},      {"原因", "Reason", true}};
    table t;
    table_init(&t, cols, 6);
    const json_t *ds = json_object_get(a, "declarations");
    for (size_t i = 0; i < json_array_size(ds); i++) {
        const json_t *d = json_array_get(ds, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], d, "seq");
        cl_cell(r[1], d, "participant");
        cl_cell(r[2], d, "counterparty");
        snprintf(r[3], FMT_LEN, "%s",
                 json_is_true(json_object_get(d, "related")) ? "declared" : "revoked");
        snprintf(r[4], FMT_LEN, "%s", json_is_true(json_object_get(d, "in_force")) ? "yes" : "no");
        cl_cell(r[5], d, "reason");
    }
    table_print(stdout, &t, 0);
    table_free(&t);
}

static int r_set(int argc, char **argv, bool on)
{
    cl_opts o = {0};
    const char *pos[2];
    const char *reason = NULL;
    cli_flag extra[] = {{"--reason", ARG_STR, &reason, 0, 0}};
    int rc = cl_parse(related_usage, argc, argv, &o, extra, 1, pos, 2, 2);
    if (rc >= 0) return rc;
    long long a, b;
    if (!cl_int_arg(pos[0], 1, 4294967294LL, &a) || !cl_int_arg(pos[1], 1, 4294967294LL, &b))
        return cli_usage_error(related_usage, "ID is a participant number");
    if (!reason) return cli_usage_error(related_usage, "give --reason TEXT");
    json_t *body = json_pack("{s:I, s:I, s:b, s:s}", "participant", (json_int_t)a, "counterparty",
                             (json_int_t)b, "related", on, "reason", reason);
    json_t *ans;
    rc = cl_call(&o, "POST", "/related", body, &ans);
    if (rc) return rc;
    if (!o.json)
        printf("participants %lld and %lld: %s\n", a, b, on ? "related" : "no longer related");
    json_decref(ans);
    return CLI_OK;
}

int cmd_related(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(related_usage, stdout);
        return CLI_OK;
    }
    bool list = argc >= 2 && strcmp(argv[1], "list") == 0;
    if (argc < 2 || argv[1][0] == '-' || list) {
        cl_opts o = {0};
        int rc = cl_parse(related_usage, argc - list, argv + list, &o, NULL, 0, NULL, 0, 0);
        if (rc >= 0) return rc;
        json_t *a;
        rc = cl_call(&o, "GET", "/related", NULL, &a);
        if (rc) return rc;
        if (!o.json) print_related(a);
        json_decref(a);
        return CLI_OK;
    }
    if (strcmp(argv[1], "declare") == 0) return r_set(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "revoke") == 0) return r_set(argc - 1, argv + 1, false);
    return cli_usage_error(related_usage, "unknown related subcommand '%s'", argv[1]);
}

int cmd_params(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(params_usage, stdout);
        return CLI_OK;
    }
    if (argc < 2 || argv[1][0] == '-') return p_show(argc, argv, false);
    if (strcmp(argv[1], "list") == 0) return p_show(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "history") == 0) return p_show(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "set") == 0) return p_set(argc - 1, argv + 1);
    return cli_usage_error(params_usage, "unknown params subcommand '%s'", argv[1]);
}
