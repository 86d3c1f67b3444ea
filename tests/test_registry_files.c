/* test_registry_files.c -- the registry's files: the CSV loaders (every bad
 * row named by line, and a file with any bad row changes nothing), the
 * compliance report (CSV and JSON, exactly), and the hash-chained audit log
 * (the chain verifies; a one-byte change, a removed line or a torn end is
 * found at its line; a rebuild from the journal writes the same bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cets/journal.h"
#include "cets/registry.h"
#include "tmethods.h"

#define FUNDS 10000000000LL

/* ---- temporary directories --------------------------------------------------- */

static void tmp_dir(char *out, size_t cap, const char *name)
{
    const char *base = getenv("CETS_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(out, cap, "%s/%s-XXXXXX", base, name);
    assert_non_null(mkdtemp(out));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char p[1200];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (unlink(p) != 0) rm_tree(p);
    }
    closedir(d);
    rmdir(dir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 > cap) {
            cap = cap * 2 + 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + *len, 1, cap - *len - 1, f);
        *len += n;
        if (n == 0) break;
    }
    fclose(f);
    buf[*len] = 0;
    return buf;
}

static void spit(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- the CSV loaders ------------------------------------------------------------- */

typedef struct csvfx {
    tmarket m;
    uint32_t c24, c25, ccer, au, e1, e2, e3, inst;
} csvfx;

/* au 2, e1 3, e2 4, e3 5, inst 6. e2 owes 300 t from a 2024 shortfall; e3
 * holds 2,000 t of CEA25 and its 2024 is closed; e2 surrendered 50 t for 2026. */
static void csv_init(csvfx *f)
{
    tm_init(&f->m, NULL);
    f->c24 = tg_instrument(&f->m, "CEA24", CETS_PRODUCT_CEA, 5000);
    f->c25 = tg_instrument(&f->m, "CEA25", CETS_PRODUCT_CEA, 5000);
    f->ccer = tg_instrument(&f->m, "CCER", CETS_PRODUCT_CCER, 3000);
    f->au = tg_party(&f->m, CETS_PK_AUTHORITY, "MEE", 0);
    f->e1 = tg_party(&f->m, CETS_PK_ENTITY, "e1", 0);
    f->e2 = tg_party(&f->m, CETS_PK_ENTITY, "e2", 0);
    f->e3 = tg_party(&f->m, CETS_PK_ENTITY, "e3", 0);
    f->inst = tg_party(&f->m, CETS_PK_INSTITUTION, "fund", 0);
    assert_int_equal(f->au, 2);
    assert_int_equal(f->inst, 6);
    TR_OK(&f->m, tg_allocate(&f->m, f->au, f->e3, f->c25, 2000, 0, 0, 0));
    TR_OK(&f->m, tg_emissions(&f->m, f->au, f->e2, 2024, 300));
    TR_OK(&f->m, tg_emissions(&f->m, f->au, f->e3, 2024, 0));
    TR_OK(&f->m, tg_deadline(&f->m, f->au, 2024));
    assert_int_equal(cets_deduction_owed(f->m.e, f->e2), 300);
    tg_credit(&f->m, f->e2, f->c24, 100);
    TR_OK(&f->m, tg_emissions(&f->m, f->au, f->e2, 2026, 100));
    TR_OK(&f->m, tg_surrender(&f->m, f->e2, f->e2, 2026, 50, NULL));
}

static void assert_errors(const cets_load *l, const char *const *want, size_t n)
{
    for (size_t i = 0; i < l->nerrors && i < n; i++)
        if (strcmp(l->errors[i], want[i]))
            fail_msg("message %zu:\n  got  %s\n  want %s", i, l->errors[i], want[i]);
    assert_int_equal(l->nerrors, n);
    assert_int_equal(l->ncmds, 0);
    assert_null(l->cmds);
}

static void test_csv_allocations_bad_rows(void **state)
{
    (void)state;
    csvfx f;
    csv_init(&f);
    static const char text[] = "entity,vintage,kind,qty,output,benchmark\n"
                               "3,CEA25,pre,1000,100,10\n"
                               "3,CEA25,pre,500,100,10\n"
                               "6,CEA25,pre,100,1,1\n"
                               "99,CEA25,pre,100,1,1\n"
                               "abc,CEA25,pre,100,1,1\n"
                               "3,CEA99,pre,100,1,1\n"
                               "3,CCER,pre,100,1,1\n"
                               "3,CEA24,final,100,1,1\n"
                               "3,CEA24,pre,0,1,1\n"
                               "3,CEA24,pre,12.5,1,1\n"
                               "4,CEA24,trueup,0,1,1\n"
                               "4,CEA24,pre,10000000001,1,1\n"
                               "4,CEA24,pre,100,-1,1\n"
                               "4,CEA24,pre,100,1,x\n"
                               "4,CEA24,pre,100,1\n"
                               "5,CEA25,trueup,-2001,1,1\n"
                               "\"5\",\"CEA25\",pre,\"1,000\",1,1\n"
                               "5,\"CEA25,x\n"
                               "\n"
                               "4,CEA25,trueup,-1,1,1\n"
                               "4,CEA25,pre,100,1,1\n";
    static const char *const want[] = {
        "allocations.csv:3: duplicate row: entity 3, CEA25, pre is already on line 2",
        "allocations.csv:4: entity 6 is not a compliance entity",
        "allocations.csv:5: entity 99 does not exist",
        "allocations.csv:6: entity must be a participant id, not 'abc'",
        "allocations.csv:7: vintage CEA99 does not exist",
        "allocations.csv:8: vintage CCER is not a CEA allowance",
        "allocations.csv:9: kind must be pre or trueup, not 'final'",
        "allocations.csv:10: qty must be a positive integer",
        "allocations.csv:11: qty must be a positive integer",
        "allocations.csv:12: qty must be a non-zero integer",
        "allocations.csv:13: qty must be at most 10000000000 t",
        "allocations.csv:14: output must be a non-negative integer",
        "allocations.csv:15: benchmark must be a non-negative integer",
        "allocations.csv:16: expected 6 fields (entity,vintage,kind,qty,output,benchmark), found 5",
        "allocations.csv:17: qty -2001 takes back more than the 2000 t entity 5 will hold in CEA25",
        "allocations.csv:18: qty must be a positive integer",
        "allocations.csv:19: unterminated quoted field",
        "allocations.csv:21: qty -1 takes back more than the 0 t entity 4 will hold in CEA25",
    };
    uint64_t h = cets_state_hash(f.m.e);
    cets_load l;
    assert_int_equal(
        cets_load_allocations_text(f.m.e, "allocations.csv", text, strlen(text), f.au, &l), -1);
    assert_errors(&l, want, sizeof want / sizeof want[0]);
    assert_int_equal(cets_state_hash(f.m.e), h);
    cets_load_free(&l);
    tm_free(&f.m);
}

/* A good file: owed tonnes are withheld first, so the take-back is checked
 * against what the entity will really hold; the commands apply cleanly. */
static void test_csv_allocations_good(void **state)
{
    (void)state;
    csvfx f;
    csv_init(&f);
    static const char text[] = " Entity , VINTAGE,kind,qty,output,benchmark\r\n"
                               "4,CEA25,pre,500,50,10\r\n"
                               "4, \"CEA25\" ,trueup,-200,48,10\r\n"
                               "3,CEA24,pre,+7000,700,10\r\n"
                               "5,CEA25,trueup,-2000,0,0\r\n";
    cets_load l;
    assert_int_equal(cets_load_allocations_text(f.m.e, "a.csv", text, strlen(text), f.au, &l), 0);
    assert_int_equal(l.nerrors, 0);
    assert_int_equal(l.ncmds, 4);
    const cets_cmd *c = l.cmds;
    assert_int_equal(c[0].type, CETS_CMD_ALLOCATE);
    assert_int_equal(c[0].actor, f.au);
    assert_int_equal(c[0].participant, f.e2);
    assert_int_equal(c[0].instrument, f.c25);
    assert_int_equal(c[0].qty, 500);
    assert_int_equal(c[0].aux, 0);
    assert_int_equal(c[0].u.args[0], 50);
    assert_int_equal(c[0].u.args[1], 10);
    assert_int_equal(c[1].qty, -200);
    assert_int_equal(c[1].aux, 1);
    assert_int_equal(c[2].qty, 7000);
    assert_int_equal(c[3].qty, -2000);
    for (size_t i = 0; i < l.ncmds; i++) {
        cets_cmd cmd = l.cmds[i];
        TR_OK(&f.m, tm_apply(&f.m, &cmd, NULL));
    }
    assert_int_equal(tm_hold(&f.m, f.e2, f.c25).available, 0);
    assert_int_equal(cets_deduction_owed(f.m.e, f.e2), 0);
    assert_int_equal(tm_hold(&f.m, f.e1, f.c24).available, 7000);
    assert_int_equal(tm_hold(&f.m, f.e3, f.c25).available, 0);
    cets_load_free(&l);
    tm_free(&f.m);
}

static void test_csv_emissions(void **state)
{
    (void)state;
    csvfx f;
    csv_init(&f);
    static const char bad[] = "entity,year,tonnes\n"
                              "3,2025,1000\n"
                              "3,2025,1200\n"
                              "3,1999,5\n"
                              "3,2025x,5\n"
                              "4,2025,-1\n"
                              "6,2025,5\n"
                              "5,2024,10\n"
                              "4,2026,49\n"
                              "3,2025\n";
    static const char *const want[] = {
        "emissions.csv:3: duplicate row: entity 3, year 2025 is already on line 2",
        "emissions.csv:4: year must be an integer from 2000 to 2200",
        "emissions.csv:5: year must be an integer from 2000 to 2200",
        "emissions.csv:6: tonnes must be an integer from 0 to 10000000000",
        "emissions.csv:7: entity 6 is not a compliance entity",
        "emissions.csv:8: year 2024 is already closed (its deadline has been processed)",
        "emissions.csv:9: tonnes 49 is below the 50 t entity 4 has already surrendered",
        "emissions.csv:10: expected 3 fields (entity,year,tonnes), found 2",
    };
    uint64_t h = cets_state_hash(f.m.e);
    cets_load l;
    assert_int_equal(cets_load_emissions_text(f.m.e, "emissions.csv", bad, strlen(bad), f.au, &l),
                     -1);
    assert_errors(&l, want, sizeof want / sizeof want[0]);
    assert_int_equal(cets_state_hash(f.m.e), h);
    cets_load_free(&l);
    static const char good[] = "entity,year,tonnes\n3,2025,1000\n4,2026,50\n5,2025,0\n";
    assert_int_equal(cets_load_emissions_text(f.m.e, "e.csv", good, strlen(good), f.au, &l), 0);
    assert_int_equal(l.ncmds, 3);
    assert_int_equal(l.cmds[1].type, CETS_CMD_EMISSIONS);
    assert_int_equal(l.cmds[1].participant, f.e2);
    assert_int_equal(l.cmds[1].aux, 2026);
    assert_int_equal(l.cmds[1].qty, 50);
    for (size_t i = 0; i < l.ncmds; i++) {
        cets_cmd cmd = l.cmds[i];
        TR_OK(&f.m, tm_apply(&f.m, &cmd, NULL));
    }
    cets_compliance cc;
    assert_int_equal(cets_compliance_get(f.m.e, f.e1, 2025, &cc), CETS_OK);
    assert_int_equal(cc.obligation, 1000);
    cets_load_free(&l);
    tm_free(&f.m);
}

static void test_csv_file_level_errors(void **state)
{
    (void)state;
    csvfx f;
    csv_init(&f);
    cets_load l;
    static const char *const header[] = {
        "x.csv:1: the header must be entity,vintage,kind,qty,output,benchmark"};
    static const char wrong[] = "entity,vintage,qty\n3,CEA25,5\n";
    assert_int_equal(cets_load_allocations_text(f.m.e, "x.csv", wrong, strlen(wrong), f.au, &l),
                     -1);
    assert_errors(&l, header, 1);
    cets_load_free(&l);
    static const char *const empty[] = {
        "x.csv:1: the file is empty; the header must be entity,year,tonnes"};
    assert_int_equal(cets_load_emissions_text(f.m.e, "x.csv", "", 0, f.au, &l), -1);
    assert_errors(&l, empty, 1);
    cets_load_free(&l);
    static const char *const authority[] = {"x.csv: participant 3 is not the competent authority"};
    assert_int_equal(cets_load_emissions_text(f.m.e, "x.csv", "entity,year,tonnes\n", 19, f.e1, &l),
                     -1);
    assert_errors(&l, authority, 1);
    cets_load_free(&l);
    /* many bad rows: the first 100 are listed, then how many in all */
    char *text = malloc(200 * 32);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "entity,year,tonnes\n");
    for (int i = 0; i < 150; i++) n += (size_t)sprintf(text + n, "3,%d,-1\n", 2000 + i);
    assert_int_equal(cets_load_emissions_text(f.m.e, "big.csv", text, n, f.au, &l), -1);
    assert_int_equal(l.nerrors, CETS_LOAD_MAX_ERRORS + 1);
    assert_string_equal(l.errors[99],
                        "big.csv:101: tonnes must be an integer from 0 to 10000000000");
    assert_string_equal(l.errors[100], "big.csv: 150 bad rows in all (the first 100 are listed)");
    cets_load_free(&l);
    free(text);
    tm_free(&f.m);
}

/* Through real files: messages name the path as given. */
static void test_csv_files(void **state)
{
    (void)state;
    csvfx f;
    csv_init(&f);
    char dir[600], path[700];
    tmp_dir(dir, sizeof dir, "csv");
    snprintf(path, sizeof path, "%s/allocations.csv", dir);
    static const char text[] = "entity,vintage,kind,qty,output,benchmark\n3,CEA25,pre,-5,1,1\n";
    spit(path, text, strlen(text));
    cets_load l;
    assert_int_equal(cets_load_allocations(f.m.e, path, f.au, &l), -1);
    char want[800];
    snprintf(want, sizeof want, "%s:2: qty must be a positive integer", path);
    assert_int_equal(l.nerrors, 1);
    assert_string_equal(l.errors[0], want);
    cets_load_free(&l);
    snprintf(path, sizeof path, "%s/emissions.csv", dir);
    spit(path, "entity,year,tonnes\n3,2025,77\n", 29);
    assert_int_equal(cets_load_emissions(f.m.e, path, f.au, &l), 0);
    assert_int_equal(l.ncmds, 1);
    assert_int_equal(l.cmds[0].qty, 77);
    cets_load_free(&l);
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    assert_int_equal(cets_load_emissions(f.m.e, path, f.au, &l), -1);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    assert_int_equal(l.nerrors, 1);
    assert_string_equal(l.errors[0], want);
    cets_load_free(&l);
    rm_tree(dir);
    tm_free(&f.m);
}

/* Excel's "CSV UTF-8" starts the file with a byte-order mark (issue 10,
 * finding 16): skipped, so the header is found; line numbers are unchanged.
 * Only one, at the very start: anywhere else it is a byte like any other. */
static void test_csv_byte_order_mark(void **state)
{
    (void)state;
    csvfx f;
    csv_init(&f);
    static const char good[] = "\xEF\xBB\xBF"
                               "entity,year,tonnes\r\n3,2025,77\r\n";
    cets_load l;
    assert_int_equal(cets_load_emissions_text(f.m.e, "emissions.csv", good, strlen(good), f.au, &l),
                     0);
    assert_int_equal(l.ncmds, 1);
    assert_int_equal(l.cmds[0].qty, 77);
    cets_load_free(&l);
    static const char bad_row[] = "\xEF\xBB\xBF"
                                  "entity,year,tonnes\n3,2025,x\n";
    assert_int_equal(
        cets_load_emissions_text(f.m.e, "emissions.csv", bad_row, strlen(bad_row), f.au, &l), -1);
    assert_int_equal(l.nerrors, 1);
    assert_non_null(strstr(l.errors[0], "emissions.csv:2: "));
    cets_load_free(&l);
    static const char twice[] = "\xEF\xBB\xBF\xEF\xBB\xBF"
                                "entity,year,tonnes\n3,2025,77\n";
    assert_int_equal(
        cets_load_emissions_text(f.m.e, "emissions.csv", twice, strlen(twice), f.au, &l), -1);
    assert_string_equal(l.errors[0], "emissions.csv:1: the header must be entity,year,tonnes");
    cets_load_free(&l);
    char dir[600], path[700];
    tmp_dir(dir, sizeof dir, "csv-bom");
    snprintf(path, sizeof path, "%s/allocations.csv", dir);
    static const char alloc[] = "\xEF\xBB\xBF"
                                "entity,vintage,kind,qty,output,benchmark\n3,CEA25,pre,5,1,1\n";
    spit(path, alloc, strlen(alloc));
    assert_int_equal(cets_load_allocations(f.m.e, path, f.au, &l), 0);
    assert_int_equal(l.ncmds, 1);
    cets_load_free(&l);
    rm_tree(dir);
    tm_free(&f.m);
}

/* ---- the compliance report ---------------------------------------------------------- */

static char *report(const cets_engine *e, int32_t year, bool json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int rc =
        json ? cets_report_compliance_json(e, year, f) : cets_report_compliance_csv(e, year, f);
    assert_int_equal(rc, 0);
    fclose(f);
    return buf;
}

static void test_compliance_report(void **state)
{
    (void)state;
    tmarket m;
    tm_init(&m, NULL);
    uint32_t c25 = tg_instrument(&m, "CEA25", CETS_PRODUCT_CEA, 5000);
    uint32_t ccer = tg_instrument(&m, "CCER", CETS_PRODUCT_CCER, 3000);
    uint32_t au = tg_party(&m, CETS_PK_AUTHORITY, "MEE", 0);
    uint32_t e1 = tg_party(&m, CETS_PK_ENTITY, "Steel, \"North\"", 0);
    uint32_t e2 = tg_party(&m, CETS_PK_ENTITY, "宝钢集团", 0);
    tg_party(&m, CETS_PK_INSTITUTION, "fund", 0);
    uint32_t e3 = tg_party(&m, CETS_PK_ENTITY, "tab\there \xe5\xae", 0); /* cut in a character */
    TR_OK(&m, tg_allocate(&m, au, e1, c25, 100000, 0, 0, 0));
    tg_credit(&m, e1, ccer, 5000);
    TR_OK(&m, tg_allocate(&m, au, e2, c25, 1000, 0, 0, 0));
    TR_OK(&m, tg_emissions(&m, au, e1, 2025, 100000));
    TR_OK(&m, tg_emissions(&m, au, e2, 2025, 1234));
    cets_target t = {ccer, 5000};
    TR_OK(&m, tg_surrender_named(&m, e1, e1, 2025, 1, &t, NULL));
    TR_OK(&m, tg_surrender(&m, e1, e1, 2025, 95000, NULL));
    TR_OK(&m, tg_surrender(&m, e2, e2, 2025, 1000, NULL));
    char *csv = report(m.e, 2025, false);
    assert_string_equal(
        csv, "entity,name,year,obligation,surrendered_cea,surrendered_ccer,outstanding,shortfall,"
             "penalty,status,withheld,surrendered_late,settled_on\n"
             "3,\"Steel, \"\"North\"\"\",2025,100000,95000,5000,0,0,0.00,open,0,0,\n"
             "4,宝钢集团,2025,1234,1000,0,234,0,0.00,open,0,0,\n"
             "6,tab\there \xe5\xae,2025,0,0,0,0,0,0.00,no_emissions,0,0,\n");
    free(csv);
    TR_OK(&m, tg_deadline(&m, au, 2025));
    csv = report(m.e, 2025, false);
    /* 234 t x 50.00 x 5 = 58,500.00 */
    assert_non_null(strstr(csv, "\n4,宝钢集团,2025,1234,1000,0,234,234,58500.00,shortfall,0,0,\n"));
    assert_non_null(strstr(
        csv, "\n3,\"Steel, \"\"North\"\"\",2025,100000,95000,5000,0,0,0.00,compliant,0,0,\n"));
    free(csv);
    char *js = report(m.e, 2025, true);
    assert_non_null(strstr(js,
                           "{\"entity\": 3, \"name\": \"Steel, \\\"North\\\"\", \"obligation\": "
                           "100000, \"surrendered_cea\": 95000, \"surrendered_ccer\": 5000, "
                           "\"outstanding\": 0, \"shortfall\": 0, \"penalty\": \"0.00\", "
                           "\"penalty_fen\": 0, \"status\": \"compliant\", \"withheld\": 0, "
                           "\"surrendered_late\": 0, \"settled_on\": null}"));
    json_error_t err;
    json_t *root = json_loads(js, 0, &err);
    if (!root) fail_msg("report JSON does not parse: %s (line %d)", err.text, err.line);
    assert_int_equal(json_integer_value(json_object_get(root, "year")), 2025);
    json_t *ents = json_object_get(root, "entities");
    assert_int_equal(json_array_size(ents), 3);
    json_t *r2 = json_array_get(ents, 1);
    assert_string_equal(json_string_value(json_object_get(r2, "name")), "宝钢集团");
    assert_int_equal(json_integer_value(json_object_get(r2, "penalty_fen")), 5850000);
    assert_string_equal(json_string_value(json_object_get(r2, "status")), "shortfall");
    json_t *r3 = json_array_get(ents, 2);
    assert_string_equal(json_string_value(json_object_get(r3, "name")),
                        "tab\there \xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(json_string_value(json_object_get(r3, "status")), "no_emissions");
    json_t *tot = json_object_get(root, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "entities")), 3);
    assert_int_equal(json_integer_value(json_object_get(tot, "obligation")), 101234);
    assert_int_equal(json_integer_value(json_object_get(tot, "shortfall")), 234);
    json_t *by = json_object_get(tot, "by_status");
    assert_int_equal(json_integer_value(json_object_get(by, "compliant")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "shortfall")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "no_emissions")), 1);
    json_decref(root);
    free(js);
    /* the shortfall made up later by withholding: still a shortfall, settled on that day */
    TR_OK(&m, tm_eod(&m));
    tm_at(&m, 10, 0);
    int32_t day = cets_trading_date(m.e);
    char on[16];
    snprintf(on, sizeof on, "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
    TR_OK(&m, tg_allocate(&m, au, e2, c25, 1000, 0, 0, 0)); /* 234 withheld */
    csv = report(m.e, 2025, false);
    char want[200];
    snprintf(want, sizeof want,
             "\n4,宝钢集团,2025,1234,1000,0,0,234,58500.00,shortfall_settled,234,0,"
             "%s\n",
             on);
    if (!strstr(csv, want)) fail_msg("no line %s in\n%s", want, csv);
    free(csv);
    js = report(m.e, 2025, true);
    root = json_loads(js, 0, &err);
    assert_non_null(root);
    r2 = json_array_get(json_object_get(root, "entities"), 1);
    assert_string_equal(json_string_value(json_object_get(r2, "status")), "shortfall_settled");
    assert_int_equal(json_integer_value(json_object_get(r2, "shortfall")), 234);
    assert_int_equal(json_integer_value(json_object_get(r2, "withheld")), 234);
    assert_int_equal(json_integer_value(json_object_get(r2, "outstanding")), 0);
    assert_string_equal(json_string_value(json_object_get(r2, "settled_on")), on);
    by = json_object_get(json_object_get(root, "totals"), "by_status");
    assert_int_equal(json_integer_value(json_object_get(by, "shortfall")), 0);
    assert_int_equal(json_integer_value(json_object_get(by, "shortfall_settled")), 1);
    json_decref(root);
    free(js);
    (void)e3;
    tm_free(&m);
}

/* ---- the audit log ---------------------------------------------------------------------- */

/* A sequencer in miniature: each command gets the next seq and the clock,
 * goes to the journal, then to the engine; a commit makes the batch durable
 * and then writes the audit lines (the log never runs ahead of the journal). */
typedef struct seqr {
    char root[600], dir[700], path[800];
    cets_config cfg;
    cets_engine *e;
    cets_journal *j;
    cets_audit *a;
    uint64_t seq;
    int64_t now;
} seqr;

static void sq_start(seqr *s)
{
    char err[512];
    cets_recovery rep;
    s->e = cets_recover(s->dir, &s->cfg, NULL, NULL, &rep, err, sizeof err);
    if (!s->e) fail_msg("recover: %s", err);
    s->seq = rep.last_seq;
    s->a = cets_audit_open(s->dir, err, sizeof err);
    if (!s->a) fail_msg("audit open: %s", err);
    cets_engine_set_listener(s->e, cets_audit_listener, s->a);
    s->j = cets_journal_open(s->dir, s->seq + 1, err, sizeof err);
    if (!s->j) fail_msg("journal open: %s", err);
}

static void sq_stop(seqr *s)
{
    assert_int_equal(cets_journal_commit(s->j), 0);
    cets_journal_close(s->j);
    assert_int_equal(cets_audit_close(s->a), 0);
    cets_engine_free(s->e);
}

static int sq(seqr *s, int type, uint32_t actor, uint32_t pid, uint32_t iid, int side,
              int64_t price, int64_t qty, uint64_t ref, uint32_t cpty, int64_t aux, cets_result *r)
{
    cets_cmd c = {.seq = ++s->seq,
                  .ts = s->now,
                  .type = (uint8_t)type,
                  .actor = actor,
                  .participant = pid,
                  .instrument = iid,
                  .side = (uint8_t)side,
                  .price = price,
                  .qty = qty,
                  .order_id = ref,
                  .counterparty = cpty,
                  .aux = aux};
    if (type == CETS_CMD_INSTRUMENT_ADD || type == CETS_CMD_PARTICIPANT_ADD)
        snprintf(c.u.text, sizeof c.u.text, "%s", (const char *)(uintptr_t)ref), c.order_id = 0;
    if (type == CETS_CMD_RETIRE) snprintf(c.u.text, sizeof c.u.text, "Acme; 100%% green|net=zero");
    if (type == CETS_CMD_AUCTION_CREATE) {
        c.u.args[CETS_AUCTION_ARG_START] = s->now;
        c.u.args[CETS_AUCTION_ARG_END] = s->now + 3600000000000LL;
    }
    if (type == CETS_CMD_TRANSFER || type == CETS_CMD_TRANSFER_APPROVE)
        c.user = type == CETS_CMD_TRANSFER ? 7 : 8;
    assert_int_equal(cets_journal_append(s->j, &c), 0);
    cets_result tmp;
    uint64_t before = cets_state_hash(s->e);
    cets_audit_command(s->a, &c); /* as the live writer does: the acting user on every line */
    int rc = cets_apply(s->e, &c, r ? r : &tmp);
    if (rc != CETS_OK && cets_state_hash(s->e) != before)
        fail_msg("seq %" PRIu64 ": a rejected command changed the state", c.seq);
    const char *bad = tm_invariants(s->e);
    if (bad) fail_msg("after seq %" PRIu64 ": %s", c.seq, bad);
    return rc;
}

static void sq_commit(seqr *s)
{
    assert_int_equal(cets_journal_commit(s->j), 0);
    assert_int_equal(cets_audit_commit(s->a, true), 0);
}

#define SQ_OK(...) assert_int_equal(sq(__VA_ARGS__), CETS_OK)
#define TXT(s) ((uint64_t)(uintptr_t)(s))

/* A day with every kind of line: allocation, trades of all three methods,
 * block steps, auction steps, retirement, transfer, freeze, surrender,
 * a rejection (no line), the end of day (a lapse) and the deadline. */
static void sq_day(seqr *s)
{
    cets_result r;
    s->now = cets_time_at(TM_DATE, 10, 0, 480);
    SQ_OK(s, CETS_CMD_INSTRUMENT_ADD, 1, 0, 0, 0, 5000, 0, TXT("CEA25"), 0, CETS_PRODUCT_CEA, NULL);
    SQ_OK(s, CETS_CMD_INSTRUMENT_ADD, 1, 0, 0, 0, 3000, 0, TXT("CCER"), 0, CETS_PRODUCT_CCER, NULL);
    SQ_OK(s, CETS_CMD_PARTICIPANT_ADD, 1, 0, 0, 0, 0, 0, TXT("MEE"), 0, CETS_PK_AUTHORITY, NULL);
    SQ_OK(s, CETS_CMD_PARTICIPANT_ADD, 1, 0, 0, 0, 0, 0, TXT("e1"), 0, CETS_PK_ENTITY, NULL);
    SQ_OK(s, CETS_CMD_PARTICIPANT_ADD, 1, 0, 0, 0, 0, 0, TXT("e2"), 0, CETS_PK_ENTITY, NULL);
    SQ_OK(s, CETS_CMD_PARTICIPANT_ADD, 1, 0, 0, 0, 0, 0, TXT("fund"), 0, CETS_PK_INSTITUTION, NULL);
    for (uint32_t p = 3; p <= 5; p++)
        SQ_OK(s, CETS_CMD_DEPOSIT, 1, p, 0, 0, 0, FUNDS, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_ALLOCATE, 2, 3, 0, 0, 0, 500000, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_ALLOCATE, 2, 3, 0, 0, 0, -1000, 0, 0, 1, NULL);
    SQ_OK(s, CETS_CMD_ALLOCATE, 2, 4, 0, 0, 0, 300000, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_HOLDING_CREDIT, 1, 3, 1, 0, 0, 10000, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_POST, 3, 3, 0, CETS_SELL, 5000, 1000, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_TAKE, 5, 5, 0, CETS_BUY, 5000, 1000, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_AUCTION_CREATE, 1, 4, 0, CETS_SELL, 0, 100000, 0, 0, 0, &r);
    uint64_t au = r.order_id;
    SQ_OK(s, CETS_CMD_AUCTION_BID, 5, 5, 0, 0, 5100, 60000, au, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_AUCTION_BID, 3, 3, 0, 0, 5000, 60000, au, 0, 0, NULL);
    sq_commit(s);
    s->now = cets_time_at(TM_DATE, 11, 1, 480);
    SQ_OK(s, CETS_CMD_AUCTION_CLOSE, 1, 0, 0, 0, 0, 0, au, 0, 0, NULL);
    s->now = cets_time_at(TM_DATE, 13, 30, 480);
    SQ_OK(s, CETS_CMD_BLOCK_QUOTE, 4, 4, 0, CETS_SELL, 5000, 100000, 0, 0, 0, &r);
    SQ_OK(s, CETS_CMD_BLOCK_PROPOSE, 5, 5, 0, CETS_BUY, 4900, 100000, r.order_id, 0, 0, &r);
    SQ_OK(s, CETS_CMD_BLOCK_PROPOSE, 4, 4, 0, CETS_SELL, 5000, 100000, r.order_id, 0, 0, &r);
    SQ_OK(s, CETS_CMD_BLOCK_ACCEPT, 5, 5, 0, CETS_BUY, 5000, 100000, r.order_id, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_BLOCK_PROPOSE, 3, 3, 0, CETS_SELL, 5000, 100000, 0, 5, 0, NULL);
    SQ_OK(s, CETS_CMD_RETIRE, 3, 3, 1, 0, 0, 100, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_TRANSFER, 3, 3, 0, 0, 0, 5000, 0, 4, 0, &r);
    SQ_OK(s, CETS_CMD_TRANSFER_APPROVE, 3, 3, 0, 0, 0, 0, r.order_id, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_JUDICIAL, 2, 4, 0, 0, 0, 0, 0, 0, 1, NULL);
    SQ_OK(s, CETS_CMD_JUDICIAL, 2, 4, 0, 0, 0, 0, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_EMISSIONS, 2, 3, 0, 0, 0, 400000, 0, 0, 2025, NULL);
    SQ_OK(s, CETS_CMD_EMISSIONS, 2, 4, 0, 0, 0, 250000, 0, 0, 2025, NULL);
    SQ_OK(s, CETS_CMD_SURRENDER, 3, 3, 0, 0, 0, 380000, 0, 0, 2025, NULL);
    SQ_OK(s, CETS_CMD_SURRENDER, 4, 4, 0, 0, 0, 100000, 0, 0, 2025, NULL);
    assert_int_equal(sq(s, CETS_CMD_SURRENDER, 4, 4, 0, 0, 0, 900000, 0, 0, 2025, NULL),
                     CETS_INSUFFICIENT_HOLDINGS);
    sq_commit(s);
    s->now = cets_time_at(TM_DATE, 15, 30, 480);
    SQ_OK(s, CETS_CMD_END_OF_DAY, 1, 0, 0, 0, 0, 0, 0, 0, 0, NULL);
    SQ_OK(s, CETS_CMD_DEADLINE, 2, 0, 0, 0, 0, 0, 0, 0, 2025, NULL);
    sq_commit(s);
}

/* Lines of a file: starts[i] is where line i+1 begins. */
static size_t line_starts(const char *text, size_t len, size_t *starts, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if ((i == 0 || text[i - 1] == '\n') && n < cap) starts[n++] = i;
    return n;
}

static void expect_verify(const char *path, int rc, const char *want)
{
    char msg[1024];
    assert_int_equal(cets_audit_verify(path, msg, sizeof msg), rc);
    if (want && strcmp(msg, want)) fail_msg("verify:\n  got  %s\n  want %s", msg, want);
}

static void test_audit_chain(void **state)
{
    (void)state;
    seqr s = {.seq = 0};
    tmp_dir(s.root, sizeof s.root, "audit");
    snprintf(s.dir, sizeof s.dir, "%s/data", s.root);
    snprintf(s.path, sizeof s.path, "%s/%s", s.dir, CETS_AUDIT_FILE);
    cets_config_default(&s.cfg);
    s.cfg.start_date = TM_DATE;
    sq_start(&s);
    sq_day(&s);
    char head[CETS_AUDIT_HASH_HEX + 1];
    memcpy(head, cets_audit_head(s.a), sizeof head);
    sq_stop(&s);
    size_t len, starts[256];
    char *text = slurp(s.path, &len);
    size_t n = line_starts(text, len, starts, 256);
    if (n <= 25) fail_msg("only %zu lines:\n%s", n, text);
    char want[1200];
    snprintf(want, sizeof want, "%s: %zu lines, chain intact, head %s", s.path, n, head);
    expect_verify(s.path, 0, want);
    /* the retirement's free text cannot split the line */
    int64_t ts = cets_time_at(TM_DATE, 13, 30, 480);
    snprintf(want, sizeof want,
             "|%" PRId64
             "|retire|3|0|1|100|0|0|0|0|user=0;text=Acme%%3B 100%%25 green%%7Cnet%%3Dzero|",
             ts);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "|trade|5|3|0|1000|5000|5000000|0|1|user=0;method=listing;"));
    assert_non_null(strstr(text, "|block_lapsed|3|5|0|100000|5000|500000000|0|"));
    assert_non_null(strstr(text, "|auction_close|4|0|0|100000|5000|"));
    assert_non_null(strstr(text, "|deadline|4|0||100000|0|"));
    assert_non_null(strstr(text, "|allocate|3|0|0|-1000|0|0|0|0|user=0;phase=trueup;"));
    /* rebuilt from the journal: the same bytes */
    char live[900], err[512];
    snprintf(live, sizeof live, "%s.live", s.path);
    assert_int_equal(rename(s.path, live), 0);
    if (cets_audit_rebuild(s.dir, err, sizeof err) != 0) fail_msg("rebuild: %s", err);
    size_t len2;
    char *again = slurp(s.path, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, text, len);
    free(again);
    /* one byte changed in the middle: found at that line */
    size_t k = n / 2, at = starts[k] + 1;
    uint64_t seq_k = strtoull(text + starts[k], NULL, 10);
    char *bad = malloc(len);
    assert_non_null(bad);
    memcpy(bad, text, len);
    while (bad[at] != '|') at++;
    at++; /* first digit of ts */
    bad[at] = bad[at] == '1' ? '2' : '1';
    spit(live, bad, len);
    snprintf(want, sizeof want,
             "%s:%zu: seq %" PRIu64 ": the line does not match its hash: it was changed after "
             "it was written",
             live, k + 1, seq_k);
    expect_verify(live, 1, want);
    /* a changed hash is found at its own line too */
    memcpy(bad, text, len);
    char *digit = &bad[starts[k + 1] - 2]; /* last hex digit of line k+1 */
    *digit = *digit == '0' ? '1' : '0';
    spit(live, bad, len);
    expect_verify(live, 1, want);
    /* a line taken out: the next one no longer links */
    memcpy(bad, text, starts[k]);
    memcpy(bad + starts[k], text + starts[k + 1], len - starts[k + 1]);
    spit(live, bad, len - (starts[k + 1] - starts[k]));
    snprintf(want, sizeof want,
             "%s:%zu: seq %" PRIu64 ": prev_hash is not the hash of the line before: a line was "
             "removed, inserted or moved here",
             live, k + 1, (uint64_t)strtoull(text + starts[k + 1], NULL, 10));
    expect_verify(live, 1, want);
    /* the first line removed: the chain does not start at zero */
    spit(live, text + starts[1], len - starts[1]);
    snprintf(want, sizeof want,
             "%s:1: seq %" PRIu64 ": prev_hash is not the chain's start (64 zeros): lines are "
             "missing before it",
             live, (uint64_t)strtoull(text + starts[1], NULL, 10));
    expect_verify(live, 1, want);
    /* a torn end */
    spit(live, text, len - 5);
    uint64_t seq_last = strtoull(text + starts[n - 1], NULL, 10);
    snprintf(want, sizeof want,
             "%s:%zu: seq %" PRIu64 ": malformed line: a hash is not 64 hex "
             "digits",
             live, n, seq_last);
    expect_verify(live, 1, want);
    spit(live, text, len - 1);
    snprintf(want, sizeof want,
             "%s:%zu: seq %" PRIu64 ": the last line is torn (no newline): an "
             "unfinished write",
             live, n, seq_last);
    expect_verify(live, 1, want);
    /* garbage */
    spit(live, "hello\n", 6);
    snprintf(want, sizeof want, "%s:1: seq hello: malformed line: wrong number of fields", live);
    expect_verify(live, 1, want);
    spit(live, "", 0);
    snprintf(want, sizeof want, "%s: 0 lines, chain intact, head %.64s", live,
             "0000000000000000000000000000000000000000000000000000000000000000");
    expect_verify(live, 0, want);
    snprintf(want, sizeof want, "%s/nothing", s.root);
    assert_int_equal(cets_audit_verify(want, NULL, 0), -1);
    free(bad);
    free(text);
    rm_tree(s.root);
}

/* Restart: the chain continues from the file's last line; a recovery replay
 * writes nothing twice; a torn line is cut; a rebuild still matches. */
static void test_audit_restart(void **state)
{
    (void)state;
    seqr s = {.seq = 0};
    tmp_dir(s.root, sizeof s.root, "audit");
    snprintf(s.dir, sizeof s.dir, "%s/data", s.root);
    snprintf(s.path, sizeof s.path, "%s/%s", s.dir, CETS_AUDIT_FILE);
    cets_config_default(&s.cfg);
    s.cfg.start_date = TM_DATE;
    sq_start(&s);
    sq_day(&s);
    uint64_t last = cets_audit_last_seq(s.a);
    sq_stop(&s);
    size_t len;
    char *first = slurp(s.path, &len);
    /* a crash in the middle of writing a line */
    FILE *f = fopen(s.path, "ab");
    assert_non_null(f);
    fputs("123|456|tra", f);
    fclose(f);
    char err[512];
    cets_audit *a = cets_audit_open(s.dir, err, sizeof err);
    assert_non_null(a);
    assert_int_equal(cets_audit_last_seq(a), last);
    /* recovery replays the whole journal through the audit: nothing is added */
    cets_recovery rep;
    cets_engine *e = cets_recover(s.dir, NULL, cets_audit_listener, a, &rep, err, sizeof err);
    assert_non_null(e);
    assert_int_equal(cets_audit_commit(a, true), 0);
    assert_int_equal(cets_audit_close(a), 0);
    cets_engine_free(e);
    size_t len2;
    char *second = slurp(s.path, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(first, second, len);
    free(second);
    /* a second day goes on the same chain */
    sq_start(&s);
    cets_result r;
    s.now = cets_time_at(20261201, 10, 0, 480);
    SQ_OK(&s, CETS_CMD_POST, 4, 4, 0, CETS_SELL, 5000, 500, 0, 0, 0, &r);
    SQ_OK(&s, CETS_CMD_TAKE, 5, 5, 0, CETS_BUY, 5000, 500, 0, 0, 0, NULL);
    SQ_OK(&s, CETS_CMD_ALLOCATE, 2, 4, 0, 0, 0, 20000, 0, 0, 0, NULL); /* shortfall withheld */
    sq_commit(&s);
    sq_stop(&s);
    expect_verify(s.path, 0, NULL);
    second = slurp(s.path, &len2);
    assert_true(len2 > len);
    assert_memory_equal(first, second, len);
    assert_non_null(
        strstr(second + len, "|allocate|4|0|0|0|0|0|0|0|user=0;phase=pre;deducted=20000;"));
    char moved[900];
    snprintf(moved, sizeof moved, "%s.old", s.path);
    assert_int_equal(rename(s.path, moved), 0);
    assert_int_equal(cets_audit_rebuild(s.dir, err, sizeof err), 0);
    size_t len3;
    char *third = slurp(s.path, &len3);
    assert_int_equal(len3, len2);
    assert_memory_equal(third, second, len2);
    free(first);
    free(second);
    free(third);
    /* rebuild refuses a directory that is not a data directory */
    assert_int_equal(cets_audit_rebuild(s.root, err, sizeof err), -1);
    assert_non_null(strstr(err, "no engine.config"));
    rm_tree(s.root);
}

/* A crash after some of a command's lines were written: reopened, the writer
 * replays that command and writes only the lines that are missing, so the
 * file ends as if nothing had happened (before, the rest of that command's
 * lines were lost until a rebuild). */
static void test_audit_resume_mid_command(void **state)
{
    (void)state;
    seqr s = {.seq = 0};
    tmp_dir(s.root, sizeof s.root, "audit");
    snprintf(s.dir, sizeof s.dir, "%s/data", s.root);
    snprintf(s.path, sizeof s.path, "%s/%s", s.dir, CETS_AUDIT_FILE);
    cets_config_default(&s.cfg);
    s.cfg.start_date = TM_DATE;
    sq_start(&s);
    sq_day(&s); /* it ends with the deadline: one line per entity, two of them */
    uint64_t last = cets_audit_last_seq(s.a);
    sq_stop(&s);
    size_t len, starts[256];
    char *whole = slurp(s.path, &len);
    size_t n = line_starts(whole, len, starts, 256);
    assert_int_equal(strtoull(whole + starts[n - 1], NULL, 10), last);
    assert_int_equal(strtoull(whole + starts[n - 2], NULL, 10), last);
    assert_true(strtoull(whole + starts[n - 3], NULL, 10) < last);
    spit(s.path, whole, starts[n - 1]); /* the crash: the second deadline line is lost */
    char err[512];
    cets_audit *a = cets_audit_open(s.dir, err, sizeof err);
    assert_non_null(a);
    assert_int_equal(cets_audit_resume_at(a), last - 1);
    cets_engine *e = cets_journal_engine_at(s.dir, cets_audit_resume_at(a), NULL, err, sizeof err);
    assert_non_null(e);
    cets_engine_set_listener(e, cets_audit_listener, a);
    cets_journal_reader *r = cets_journal_reader_open(s.dir, last, err, sizeof err);
    cets_cmd c;
    while (cets_journal_reader_next(r, UINT64_MAX, &c, err, sizeof err) == 1) {
        cets_audit_command(a, &c);
        cets_apply(e, &c, NULL);
    }
    cets_journal_reader_close(r);
    assert_int_equal(cets_audit_close(a), 0);
    cets_engine_free(e);
    size_t len2;
    char *again = slurp(s.path, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, whole, len);
    free(again);
    free(whole);
    rm_tree(s.root);
}

static void test_audit_verify_main(void **state)
{
    (void)state;
    char root[600], path[700];
    tmp_dir(root, sizeof root, "audit");
    snprintf(path, sizeof path, "%s/audit.log", root);
    spit(path, "", 0);
    char *ok[] = {"audit", "verify", path, NULL};
    assert_int_equal(cets_audit_verify_main(3, ok), 0);
    char *ok2[] = {"verify", path, NULL};
    assert_int_equal(cets_audit_verify_main(2, ok2), 0);
    spit(path, "x\n", 2);
    assert_int_equal(cets_audit_verify_main(3, ok), 1);
    char *none[] = {"audit", "verify", NULL};
    assert_int_equal(cets_audit_verify_main(2, none), 2);
    char *two[] = {"audit", "verify", path, path, NULL};
    assert_int_equal(cets_audit_verify_main(4, two), 2);
    char *flag[] = {"audit", "verify", "--bogus", NULL};
    assert_int_equal(cets_audit_verify_main(3, flag), 2);
    char *help[] = {"audit", "verify", "--help", NULL};
    assert_int_equal(cets_audit_verify_main(3, help), 0);
    snprintf(path, sizeof path, "%s/missing.log", root);
    assert_int_equal(cets_audit_verify_main(3, ok), 1);
    rm_tree(root);
}

/* ---- CSV text cells (csvout.c; issue 10, finding 14) ---------------------------- */

static void test_csv_text_cells(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Alpha Power", "Alpha Power"},
        {"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
        {"+1", "'+1"},
        {"-1", "'-1"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"\rx", "\"'\rx\""},
        {"=1,2", "\"'=1,2\""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"=\"x\"", "\"'=\"\"x\"\"\""},
        {"line\nbreak", "\"line\nbreak\""},
        {"a=b", "a=b"},
        {"a-b", "a-b"},
        {"", ""},
        {"华电 Power", "华电 Power"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&got, &len);
        assert_int_equal(cets_csv_text(f, cases[i][0]), 0);
        fclose(f);
        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("cell \"%s\": got [%s], want [%s]", cases[i][0], got, cases[i][1]);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_allocations_bad_rows),
        cmocka_unit_test(test_csv_allocations_good),
        cmocka_unit_test(test_csv_emissions),
        cmocka_unit_test(test_csv_file_level_errors),
        cmocka_unit_test(test_csv_files),
        cmocka_unit_test(test_csv_byte_order_mark),
        cmocka_unit_test(test_compliance_report),
        cmocka_unit_test(test_csv_text_cells),
        cmocka_unit_test(test_audit_chain),
        cmocka_unit_test(test_audit_restart),
        cmocka_unit_test(test_audit_resume_mid_command),
        cmocka_unit_test(test_audit_verify_main),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
