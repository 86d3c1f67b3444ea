/* client_registry.c -- `cets registry ...` and `cets compliance`: the
 * registry through cetsd.
 *
 * A compliance entity's side: holdings by vintage, surrender against the
 * year's obligation (allowances, the year's vintage first; CCER named, at
 * most 5% of the obligation -- `cets compliance` shows what is left of that
 * share before anything is submitted), voluntary cancellation with its
 * certificate, transfers and their four-eyes approval by a second user. The
 * competent authority's: allocations, verified emissions, compulsory
 * surrender, judicial freeze, the deadline, and every entity's compliance.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

const char registry_usage[] =
    "usage: cets registry holdings [--participant N]   holdings by vintage: available, frozen, "
    "T+1\n"
    "       cets registry surrender YEAR QTY             allowances: the year's vintage first, "
    "then older\n"
    "       cets registry surrender YEAR --code CODE:QTY [--code CODE:QTY ...]\n"
    "                                                    named instruments (CCER: at most 5% of "
    "the\n"
    "                                                    obligation, see `cets compliance`)\n"
    "           [--participant N]                        the authority's compulsory surrender\n"
    "       cets registry retire CODE QTY --beneficiary NAME --reason TEXT\n"
    "                                                    voluntary cancellation; prints the "
    "certificate\n"
    "       cets registry transfer TO CODE QTY           frozen until a second user approves\n"
    "       cets registry transfers                      pending and decided transfers\n"
    "       cets registry approve ID | reject ID         by another user of the sender (four "
    "eyes)\n"
    "       cets registry allocate PID CODE QTY [--kind pre|trueup] [--output N] [--benchmark N]\n"
    "       cets registry emissions PID YEAR TONNES      verified emissions (the obligation)\n"
    "       cets registry freeze PID on|off              judicial freeze (authority or admin)\n"
    "       cets registry deadline YEAR                  shortfalls, penalties (authority)\n"
    "Roles: compliance for the entity's own commands, authority for allocate, emissions,\n"
    "deadline and a surrender with --participant.\n" CL_COMMON_USAGE;

const char compliance_usage[] =
    "usage: cets compliance [YEAR] [--participant N]   one entity: obligation, surrendered, CCER "
    "share\n"
    "       cets compliance [YEAR] --all [--csv]         every entity (authority, admin)\n"
    "YEAR defaults to the year before the trading date's.\n" CL_COMMON_USAGE;

static int print_answer(const cl_opts *o, const char *method, const char *path, json_t *body,
                        const cl_field *f, int n)
{
    json_t *a;
    int rc = cl_call(o, method, path, body, &a);
    if (rc) return rc;
    if (!o->json) cl_print_fields(a, f, n);
    json_decref(a);
    return CLI_OK;
}

static bool year_arg(const char *usage, const char *s, long long *y)
{
    return cl_qty_arg(usage, "year", s, 2000, 2200, y);
}

/* ---- holdings ------------------------------------------------------------- */

static int r_holdings(int argc, char **argv)
{
    cl_opts o = {0};
    int64_t part = 0;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX - 1}};
    int rc = cl_parse(registry_usage, argc, argv, &o, extra, 1, NULL, 0, 0);
    if (rc >= 0) return rc;
    char path[64] = "/account";
    if (part) snprintf(path, sizeof path, "/account?participant=%lld", (long long)part);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) {
        static const tcol cols[] = {{"代码", "Code", true},
                                    {"可用(吨)", "Available (t)", false},
                                    {"冻结(吨)", "Frozen (t)", false},
                                    {"锁定T+1(吨)", "Locked T+1 (t)", false},
                                    {"合计(吨)", "Total (t)", false}};
        table t;
        table_init(&t, cols, 5);
        const json_t *h = json_object_get(a, "holdings");
        for (size_t i = 0; i < json_array_size(h); i++) {
            const json_t *e = json_array_get(h, i);
            char(*r)[FMT_LEN] = table_row(&t, false);
            cl_cell(r[0], e, "code");
            cl_qty_cell(r[1], e, "available");
            cl_qty_cell(r[2], e, "frozen");
            cl_qty_cell(r[3], e, "locked");
            fmt_int(json_integer_value(json_object_get(e, "available")) +
                        json_integer_value(json_object_get(e, "frozen")) +
                        json_integer_value(json_object_get(e, "locked")),
                    r[4]);
        }
        printf("%s #%lld\n", cl_str(a, "name"),
               (long long)json_integer_value(json_object_get(a, "participant")));
        table_print(stdout, &t, 0);
        table_free(&t);
    }
    json_decref(a);
    return CLI_OK;
}

/* ---- surrender ------------------------------------------------------------------ */

static const cl_field surrender_fields[] = {
    {"participant", "参与人", "Participant", CF_TEXT},
    {"year", "履约年度", "Year", CF_TEXT},
    {"surrendered", "本次清缴(吨)", "Surrendered (t)", CF_QTY},
    {"compulsory", "强制清缴", "Compulsory", CF_TEXT}};

static json_t *code_target(const char *s)
{
    const char *colon = strrchr(s, ':');
    long long q;
    if (!colon || colon == s || colon - s >= CETS_CODE_LEN ||
        !cl_int_arg(colon + 1, 1, 10000000000LL, &q))
        return NULL;
    return json_pack("{s:s#,s:I}", "code", s, (int)(colon - s), "qty", (json_int_t)q);
}

static int r_surrender(int argc, char **argv)
{
    const char *codes[CETS_MAX_TARGETS + 1];
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) return CLI_FAIL;
    int nc = cl_take_repeated(registry_usage, "--code", argc, argv, codes, CETS_MAX_TARGETS + 1,
                              rest, &nrest);
    if (nc < 0) {
        free(rest);
        return CLI_USAGE;
    }
    cl_opts o = {0};
    int64_t part = 0;
    const char *pos[2] = {NULL, NULL};
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX - 1}};
    int rc = cl_parse(registry_usage, nrest, rest, &o, extra, 1, pos, 1, 2);
    free(rest);
    if (rc >= 0) return rc;
    long long year, qty = 0;
    if (!year_arg(registry_usage, pos[0], &year)) return CLI_USAGE;
    if (!pos[1] == !nc)
        return cli_usage_error(registry_usage, "give a quantity or --code CODE:QTY, not both");
    if (pos[1] && !cl_qty_arg(registry_usage, "quantity", pos[1], 1, 10000000000LL, &qty))
        return CLI_USAGE;
    json_t *b = json_pack("{s:I}", "year", (json_int_t)year);
    if (qty) json_object_set_new(b, "qty", json_integer(qty));
    if (nc) {
        json_t *list = json_array();
        json_object_set_new(b, "instruments", list);
        for (int i = 0; i < nc; i++) {
            json_t *t = code_target(codes[i]);
            if (!t) {
                json_decref(b);
                return cli_usage_error(registry_usage, "--code wants CODE:QTY, not '%s'", codes[i]);
            }
            json_array_append_new(list, t);
        }
    }
    if (part) json_object_set_new(b, "participant", json_integer(part));
    return print_answer(&o, "POST", "/registry/surrenders", b, surrender_fields, 4);
}

/* ---- voluntary cancellation -------------------------------------------------------- */

static void certificate_print(const cl_opts *o, const json_t *a)
{
    char when[FMT_LEN], q[FMT_LEN], who[FMT_LEN * 2];
    cl_time_cell(when, a, "ts");
    cl_qty_cell(q, a, "qty");
    long long pid = json_integer_value(json_object_get(a, "participant"));
    snprintf(who, sizeof who, "#%lld", pid);
    cl_opts quiet = *o; /* the holder's name, if this user may read the account */
    quiet.json = false;
    quiet.quiet = true;
    json_t *acct;
    if (cl_call(&quiet, "GET", "/account", NULL, &acct) == CLI_OK) {
        snprintf(who, sizeof who, "#%lld %s", pid, cl_str(acct, "name"));
        json_decref(acct);
    }
    printf("全国碳排放权注册登记系统 自愿注销证明\n"
           "National Carbon Emission Registry: Certificate of Voluntary Cancellation\n\n");
    printf("  证明编号 Certificate No.   CETS-R-%010lld\n",
           (long long)json_integer_value(json_object_get(a, "seq")));
    printf("  注销时间 Time (+08:00)     %s\n", when);
    printf("  注销人 Holder              %s\n", who);
    printf("  品种 Instrument            %s\n", cl_str(a, "code"));
    printf("  注销数量 Quantity          %s 吨 t\n", q);
    printf("  受益人 Beneficiary         %s\n", cl_str(a, "beneficiary"));
    printf("  注销原因 Reason            %s\n\n", cl_str(a, "reason"));
    printf(
        "  上述排放配额已从注册登记系统中永久注销，不再用于交易或清缴。\n"
        "  The allowances above are retired from the registry for good: they can no longer be\n"
        "  traded or surrendered. The number is the journal's sequence number of the command.\n");
}

static int r_retire(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2], *ben = NULL, *why = NULL;
    cli_flag extra[] = {{"--beneficiary", ARG_STR, &ben, 0, 0}, {"--reason", ARG_STR, &why, 0, 0}};
    int rc = cl_parse(registry_usage, argc, argv, &o, extra, 2, pos, 2, 2);
    if (rc >= 0) return rc;
    long long qty;
    if (!cl_qty_arg(registry_usage, "quantity", pos[1], 1, 10000000000LL, &qty)) return CLI_USAGE;
    if (!ben || !why)
        return cli_usage_error(registry_usage, "retire needs --beneficiary and --reason");
    json_t *a;
    if ((rc = cl_call(&o, "POST", "/registry/retirements",
                      json_pack("{s:s,s:I,s:s,s:s}", "code", pos[0], "qty", (json_int_t)qty,
                                "beneficiary", ben, "reason", why),
                      &a)))
        return rc;
    if (!o.json) certificate_print(&o, a);
    json_decref(a);
    return CLI_OK;
}

/* ---- transfers ---------------------------------------------------------------------- */

static const tcol transfer_cols[] = {{"编号", "Id", false},
                                     {"转出", "From", false},
                                     {"转入", "To", false},
                                     {"代码", "Code", true},
                                     {"数量(吨)", "Qty (t)", false},
                                     {"状态", "Status", true},
                                     {"申请人编号", "Requested by", false},
                                     {CL_TIME_HEAD, true}};

static void transfers_print(const json_t *list)
{
    table t;
    table_init(&t, transfer_cols, 8);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], e, "id");
        cl_cell(r[1], e, "from");
        cl_cell(r[2], e, "to");
        cl_cell(r[3], e, "code");
        cl_qty_cell(r[4], e, "qty");
        const char *st = cl_str(e, "status");
        snprintf(r[5], FMT_LEN, "%s",
                 strcmp(st, "pending") == 0    ? "待复核 pending"
                 : strcmp(st, "approved") == 0 ? "已批准 approved"
                 : strcmp(st, "rejected") == 0 ? "已驳回 rejected"
                                               : st);
        cl_cell(r[6], e, "requested_by_user");
        cl_time_cell(r[7], e, "ts");
    }
    table_print(stdout, &t, 0);
    table_free(&t);
    if (!json_array_size(list)) puts("(no transfers)");
}

static int transfer_answer(const cl_opts *o, const char *path, json_t *body)
{
    json_t *a;
    int rc = cl_call(o, "POST", path, body, &a);
    if (rc) return rc;
    if (!o->json) {
        json_t *one = json_array();
        json_array_append(one, a);
        transfers_print(one);
        json_decref(one);
    }
    json_decref(a);
    return CLI_OK;
}

static int r_transfer(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3];
    int rc = cl_parse(registry_usage, argc, argv, &o, NULL, 0, pos, 3, 3);
    if (rc >= 0) return rc;
    long long to, qty;
    if (!cl_pid_arg(registry_usage, pos[0], &to) ||
        !cl_qty_arg(registry_usage, "quantity", pos[2], 1, 10000000000LL, &qty))
        return CLI_USAGE;
    return transfer_answer(
        &o, "/registry/transfers",
        json_pack("{s:I,s:s,s:I}", "to", (json_int_t)to, "code", pos[1], "qty", (json_int_t)qty));
}

static int r_transfers(int argc, char **argv)
{
    cl_opts o = {0};
    int rc = cl_parse(registry_usage, argc, argv, &o, NULL, 0, NULL, 0, 0);
    if (rc >= 0) return rc;
    json_t *a;
    if ((rc = cl_call(&o, "GET", "/registry/transfers", NULL, &a))) return rc;
    if (!o.json) transfers_print(a);
    json_decref(a);
    return CLI_OK;
}

static int r_decide(int argc, char **argv, const char *what)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(registry_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long id;
    if (!cl_qty_arg(registry_usage, "transfer id", pos[0], 1, INT64_MAX, &id)) return CLI_USAGE;
    char path[80];
    snprintf(path, sizeof path, "/registry/transfers/%lld/%s", id, what);
    return transfer_answer(&o, path, NULL);
}

static int r_approve(int argc, char **argv)
{
    return r_decide(argc, argv, "approve");
}
static int r_reject(int argc, char **argv)
{
    return r_decide(argc, argv, "reject");
}

/* ---- the authority ---------------------------------------------------------------------- */

static int r_allocate(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3], *kind = "pre";
    int64_t output = -1, bench = -1;
    cli_flag extra[] = {{"--kind", ARG_STR, &kind, 0, 0},
                        {"--output", ARG_INT, &output, 0, INT64_MAX / 2},
                        {"--benchmark", ARG_INT, &bench, 0, INT64_MAX / 2}};
    int rc = cl_parse(registry_usage, argc, argv, &o, extra, 3, pos, 3, 3);
    if (rc >= 0) return rc;
    long long pid, qty;
    if (!cl_pid_arg(registry_usage, pos[0], &pid)) return CLI_USAGE;
    if (strcmp(kind, "pre") != 0 && strcmp(kind, "trueup") != 0)
        return cli_usage_error(registry_usage, "--kind is pre or trueup, not '%s'", kind);
    /* a true-up may take back: negative */
    if (!cl_qty_arg(registry_usage, "quantity", pos[2],
                    strcmp(kind, "trueup") == 0 ? -10000000000LL : 1, 10000000000LL, &qty))
        return CLI_USAGE;
    json_t *b = json_pack("{s:I,s:s,s:I,s:s}", "participant", (json_int_t)pid, "code", pos[1],
                          "qty", (json_int_t)qty, "kind", kind);
    if (output >= 0) json_object_set_new(b, "output", json_integer(output));
    if (bench >= 0) json_object_set_new(b, "benchmark", json_integer(bench));
    static const cl_field f[] = {{"participant", "参与人", "Participant", CF_TEXT},
                                 {"code", "代码", "Code", CF_TEXT},
                                 {"qty", "分配(吨)", "Allocated (t)", CF_QTY},
                                 {"kind", "类型", "Kind", CF_TEXT},
                                 {"available", "分配后可用(吨)", "Available after (t)", CF_QTY},
                                 {"deduction_owed", "尚欠扣减(吨)", "Still owed (t)", CF_QTY}};
    return print_answer(&o, "POST", "/registry/allocations", b, f, 6);
}

static int r_emissions(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[3];
    int rc = cl_parse(registry_usage, argc, argv, &o, NULL, 0, pos, 3, 3);
    if (rc >= 0) return rc;
    long long pid, year, t;
    if (!cl_pid_arg(registry_usage, pos[0], &pid) || !year_arg(registry_usage, pos[1], &year) ||
        !cl_qty_arg(registry_usage, "tonnes", pos[2], 0, 10000000000LL, &t))
        return CLI_USAGE;
    static const cl_field f[] = {{"participant", "参与人", "Participant", CF_TEXT},
                                 {"year", "年度", "Year", CF_TEXT},
                                 {"tonnes", "核查排放量(吨)", "Verified emissions (t)", CF_QTY}};
    return print_answer(&o, "POST", "/registry/emissions",
                        json_pack("{s:I,s:I,s:I}", "participant", (json_int_t)pid, "year",
                                  (json_int_t)year, "tonnes", (json_int_t)t),
                        f, 3);
}

static int r_freeze(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[2];
    int rc = cl_parse(registry_usage, argc, argv, &o, NULL, 0, pos, 2, 2);
    if (rc >= 0) return rc;
    long long pid;
    if (!cl_pid_arg(registry_usage, pos[0], &pid)) return CLI_USAGE;
    if (strcmp(pos[1], "on") != 0 && strcmp(pos[1], "off") != 0)
        return cli_usage_error(registry_usage, "freeze wants on or off, not '%s'", pos[1]);
    static const cl_field f[] = {{"participant", "参与人", "Participant", CF_TEXT},
                                 {"frozen", "司法冻结", "Frozen", CF_TEXT}};
    return print_answer(
        &o, "POST", "/registry/freeze",
        json_pack("{s:I,s:b}", "participant", (json_int_t)pid, "frozen", strcmp(pos[1], "on") == 0),
        f, 2);
}

static int r_deadline(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1];
    int rc = cl_parse(registry_usage, argc, argv, &o, NULL, 0, pos, 1, 1);
    if (rc >= 0) return rc;
    long long year;
    if (!year_arg(registry_usage, pos[0], &year)) return CLI_USAGE;
    static const cl_field f[] = {{"year", "履约年度", "Year", CF_TEXT},
                                 {"status", "状态", "Status", CF_TEXT}};
    return print_answer(&o, "POST", "/registry/deadline",
                        json_pack("{s:I}", "year", (json_int_t)year), f, 2);
}

static const struct {
    const char *name;
    int (*run)(int, char **);
} subs[] = {
    {"holdings", r_holdings}, {"surrender", r_surrender}, {"retire", r_retire},
    {"transfer", r_transfer}, {"transfers", r_transfers}, {"approve", r_approve},
    {"reject", r_reject},     {"allocate", r_allocate},   {"emissions", r_emissions},
    {"freeze", r_freeze},     {"deadline", r_deadline},
};

int cmd_registry(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(registry_usage, "registry needs a subcommand");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(registry_usage, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].name, argv[1]) == 0) return subs[i].run(argc - 1, argv + 1);
    return cli_usage_error(registry_usage, "unknown registry subcommand '%s'", argv[1]);
}

/* ---- compliance ---------------------------------------------------------------------------- */

static const char *status_label(const char *s)
{
    return strcmp(s, "open") == 0           ? "未到期 open"
           : strcmp(s, "compliant") == 0    ? "已履约 compliant"
           : strcmp(s, "shortfall") == 0    ? "未足额 shortfall"
           : strcmp(s, "no_emissions") == 0 ? "无排放数据 no_emissions"
                                            : s;
}

static void compliance_one_print(const json_t *a)
{
    static const cl_field f[] = {
        {"participant", "参与人", "Participant", CF_TEXT},
        {"year", "履约年度", "Year", CF_TEXT},
        {"obligation", "应清缴(吨)", "Obligation (t)", CF_QTY},
        {"surrendered_cea", "已清缴配额(吨)", "Surrendered CEA (t)", CF_QTY},
        {"surrendered_ccer", "已抵销CCER(吨)", "Surrendered CCER (t)", CF_QTY},
        {"outstanding", "尚需清缴(吨)", "Outstanding (t)", CF_QTY},
        {"ccer_cap_pct", "CCER抵销上限%", "CCER cap %", CF_TEXT},
        {"ccer_left", "CCER尚可抵销(吨)", "CCER still allowed (t)", CF_QTY},
        {"shortfall", "缺口(吨)", "Shortfall (t)", CF_QTY},
        {"penalty", "罚款(元)", "Penalty (CNY)", CF_MONEY},
        {"status", "状态", "Status", CF_TEXT},
        {"deduction_owed", "待扣减(吨)", "Owed from allocations (t)", CF_QTY},
    };
    cl_print_fields(a, f, 12);
}

static void compliance_all_print(const json_t *a)
{
    static const tcol cols[] = {{"参与人", "Entity", false},
                                {"名称", "Name", true},
                                {"应清缴(吨)", "Obligation", false},
                                {"配额(吨)", "CEA", false},
                                {"CCER(吨)", "CCER", false},
                                {"尚需(吨)", "Outstanding", false},
                                {"缺口(吨)", "Shortfall", false},
                                {"罚款(元)", "Penalty", false},
                                {"状态", "Status", true}};
    table t;
    table_init(&t, cols, 9);
    const json_t *ents = json_object_get(a, "entities");
    for (size_t i = 0; i < json_array_size(ents); i++) {
        const json_t *e = json_array_get(ents, i);
        char(*r)[FMT_LEN] = table_row(&t, false);
        cl_cell(r[0], e, "entity");
        cl_cell(r[1], e, "name");
        cl_qty_cell(r[2], e, "obligation");
        cl_qty_cell(r[3], e, "surrendered_cea");
        cl_qty_cell(r[4], e, "surrendered_ccer");
        cl_qty_cell(r[5], e, "outstanding");
        cl_qty_cell(r[6], e, "shortfall");
        cl_money_cell(r[7], e, "penalty");
        snprintf(r[8], FMT_LEN, "%s", status_label(cl_str(e, "status")));
    }
    printf("履约报告 Compliance report %lld\n",
           (long long)json_integer_value(json_object_get(a, "year")));
    table_print(stdout, &t, 0);
    table_free(&t);
}

int cmd_compliance(int argc, char **argv)
{
    cl_opts o = {0};
    const char *pos[1] = {NULL};
    int64_t part = 0;
    bool all = false, csv = false;
    cli_flag extra[] = {{"--participant", ARG_INT, &part, 1, UINT32_MAX - 1},
                        {"--all", ARG_BOOL, &all, 0, 0},
                        {"--csv", ARG_BOOL, &csv, 0, 0}};
    int rc = cl_parse(compliance_usage, argc, argv, &o, extra, 3, pos, 0, 1);
    if (rc >= 0) return rc;
    long long year = 0;
    if (pos[0] && !year_arg(compliance_usage, pos[0], &year)) return CLI_USAGE;
    if (csv && !all) return cli_usage_error(compliance_usage, "--csv goes with --all");
    if (all && part) return cli_usage_error(compliance_usage, "give --all or --participant");
    if (!year) {
        year = cl_trading_year(&o) - 1;
        if (year < 2000) return CLI_FAIL;
    }
    char path[96];
    if (all) {
        snprintf(path, sizeof path, "/registry/compliance?year=%lld%s", year,
                 csv ? "&format=csv" : "");
        if (csv) {
            char *text;
            if ((rc = cl_get_text(&o, path, &text))) return rc;
            fputs(text, stdout);
            free(text);
            return CLI_OK;
        }
        json_t *a;
        if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
        if (!o.json) compliance_all_print(a);
        json_decref(a);
        return CLI_OK;
    }
    long long pid = part ? part : cl_my_participant(&o);
    if (!pid) return CLI_FAIL;
    snprintf(path, sizeof path, "/registry/compliance/%lld?year=%lld", pid, year);
    json_t *a;
    if ((rc = cl_call(&o, "GET", path, NULL, &a))) return rc;
    if (!o.json) compliance_one_print(a);
    json_decref(a);
    return CLI_OK;
}
