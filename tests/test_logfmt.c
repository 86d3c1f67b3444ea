/* test_logfmt.c -- the log is logfmt, one line per event, whatever the values
 * (src/server/log.h; issue 10, finding 10).
 *
 * A FIX Logon with SenderCompID "EV\nlevel=error FORGED=2" wrote a second,
 * forged line into the log before anyone had authenticated. Here every log
 * line is read back with a strict logfmt reader -- key=value pairs separated
 * by single spaces, a value bare (no space, quote, '=' or control byte) or
 * double-quoted with \" \\ \n \r \t \uXXXX escapes -- and each value must
 * come back exactly as it went in: from log_quote() directly, from a FIX
 * Logon, from an HTTP request path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "fixtest.h"
#include "tserver.h"

#define FORGED "EV\nlevel=error FORGED=2"

/* ---- a strict logfmt reader ------------------------------------------------ */

typedef struct kv {
    char key[64];
    char val[LOG_VALUE_MAX];
} kv;

/* Parse one line (no newline in it) into out (at most max pairs); the
 * number of pairs, or -1 with *why when it is not logfmt. */
static int logfmt_parse(const char *s, kv *out, int max, const char **why)
{
    int n = 0;
    while (*s) {
        if (n == max) return *why = "too many pairs", -1;
        kv *p = &out[n];
        size_t k = 0;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
               *s == '_' || *s == '.' || *s == '-') {
            if (k + 1 < sizeof p->key) p->key[k++] = *s;
            s++;
        }
        p->key[k] = 0;
        if (!k || *s++ != '=') return *why = "a key without '='", -1;
        size_t v = 0;
        if (*s == '"') {
            for (s++; *s != '"'; s++) {
                if (!*s || (unsigned char)*s < 0x20)
                    return *why = "an unterminated quoted value, or a raw control byte", -1;
                char ch = *s;
                if (ch == '\\') {
                    s++;
                    if (*s == 'n')
                        ch = '\n';
                    else if (*s == 'r')
                        ch = '\r';
                    else if (*s == 't')
                        ch = '\t';
                    else if (*s == '"' || *s == '\\')
                        ch = *s;
                    else if (*s == 'u') {
                        unsigned cp;
                        if (sscanf(s + 1, "%4x", &cp) != 1 || cp > 0x7f)
                            return *why = "a bad \\u escape", -1;
                        ch = (char)cp;
                        s += 4;
                    } else
                        return *why = "an unknown escape", -1;
                }
                if (v + 1 < sizeof p->val) p->val[v++] = ch;
            }
            s++;
        } else {
            for (; *s && *s != ' '; s++) {
                if (*s == '"' || *s == '=' || (unsigned char)*s < 0x20 || *s == 0x7f)
                    return *why = "a bare value with a quote, '=' or a control byte", -1;
                if (v + 1 < sizeof p->val) p->val[v++] = *s;
            }
            if (!v) return *why = "an empty bare value", -1;
        }
        p->val[v] = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(out[i].key, p->key)) return *why = "a key twice", -1;
        n++;
        if (*s == ' ')
            s++;
        else if (*s)
            return *why = "no space after a value", -1;
        if (*s == ' ' || (n && !*s && s[-1] == ' '))
            return *why = "two spaces, or a trailing one", -1;
    }
    return n;
}

static const char *kv_get(const kv *p, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].key, key)) return p[i].val;
    return NULL;
}

/* ---- capturing the log ---------------------------------------------------------- */

static FILE *cap;

static void capture_start(void)
{
    cap = tmpfile();
    assert_non_null(cap);
    log_setup(cap, LOG_DEBUG);
}

/* Every line written since capture_start(), each checked to be logfmt with
 * ts, level and comp first; returns them (malloc'd, NUL-separated), *nlines. */
static char *capture_end(int *nlines)
{
    log_setup(NULL, LOG_ERROR);
    long len = ftell(cap);
    char *text = calloc(1, (size_t)len + 1);
    rewind(cap);
    assert_int_equal(fread(text, 1, (size_t)len, cap), (size_t)len);
    fclose(cap);
    assert_true(len == 0 || text[len - 1] == '\n');
    *nlines = 0;
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = 0;
        kv p[48];
        const char *why = "";
        int n = logfmt_parse(line, p, 48, &why);
        if (n < 3 || strcmp(p[0].key, "ts") || strcmp(p[1].key, "level") ||
            strcmp(p[2].key, "comp"))
            fail_msg("not a logfmt line (%s): %s", why, line);
        if (kv_get(p, n, "FORGED")) fail_msg("a forged key: %s", line);
        ++*nlines;
    }
    return text;
}

/* The next line of the captured text (after capture_end) with key = want. */
static bool captured_has(const char *text, const char *key, const char *want)
{
    for (const char *line = text; *line; line += strlen(line) + 1) {
        kv p[48];
        const char *why;
        int n = logfmt_parse(line, p, 48, &why);
        const char *v = n > 0 ? kv_get(p, n, key) : NULL;
        if (v && !strcmp(v, want)) return true;
    }
    return false;
}

/* ---- log_quote and log_write ------------------------------------------------------ */

static void test_log_value_with_newline_is_one_line(void **state)
{
    (void)state;
    capture_start();
    log_warn("fix", "msg=%s compid=%s peer=%s", log_q("logon refused"), log_q(FORGED),
             log_q("127.0.0.1:5000"));
    int n;
    char *text = capture_end(&n);
    assert_int_equal(n, 1);
    assert_true(captured_has(text, "compid", FORGED));
    assert_true(captured_has(text, "level", "warn"));
    assert_true(captured_has(text, "peer", "127.0.0.1:5000"));
    assert_non_null(strstr(text, "peer=127.0.0.1:5000")); /* a plain word stays bare */
    free(text);
}

static void test_log_values_round_trip(void **state)
{
    (void)state;
    static const char *const values[] = {
        "",
        " ",
        "a b",
        "a=b",
        "=",
        "\"",
        "\\",
        "\\\"",
        "\t",
        "\r\n",
        "\x01\x1f\x7f",
        "x\n",
        "level=error",
        "msg=\"x\" y=1",
        "日本語 テスト",
        "plain",
        "-",
        "a\"b\\c\nd",
    };
    capture_start();
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        log_info("t", "i=%zu v=%s", i, log_q(values[i]));
    int n;
    char *text = capture_end(&n);
    assert_int_equal(n, (int)(sizeof values / sizeof values[0]));
    const char *line = text;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++, line += strlen(line) + 1) {
        kv p[8];
        const char *why;
        int k = logfmt_parse(line, p, 8, &why);
        assert_int_equal(k, 5);
        if (strcmp(kv_get(p, k, "v"), values[i]) != 0)
            fail_msg("value %zu came back as \"%s\": %s", i, kv_get(p, k, "v"), line);
    }
    free(text);
    char b[LOG_VALUE_MAX];
    assert_string_equal(log_quote(b, sizeof b, NULL), "-");
}

/* A value longer than LOG_VALUE_MAX is cut on a character boundary, marked
 * "...", and still closed; at the limit it is whole. */
static void test_log_long_value_cut_well_formed(void **state)
{
    (void)state;
    char big[2000] = "", fits[LOG_VALUE_MAX];
    while (strlen(big) + 8 < sizeof big) strcat(big, "碳 \"x\"\n");
    memset(fits, 'a', sizeof fits - 1);
    fits[sizeof fits - 1] = 0; /* 319 bytes: a bare word that just fits */
    capture_start();
    log_info("t", "v=%s", log_q(big));
    log_info("t", "v=%s", log_q(fits));
    fits[sizeof fits - 2] = ' '; /* now it needs quotes: two bytes more, so cut */
    log_info("t", "v=%s", log_q(fits));
    int n;
    char *text = capture_end(&n);
    assert_int_equal(n, 3);
    const char *line = text;
    kv p[8];
    const char *why;
    int k = logfmt_parse(line, p, 8, &why);
    const char *v = kv_get(p, k, "v");
    assert_true(strlen(v) > 100 && strlen(v) < LOG_VALUE_MAX);
    assert_memory_equal(v, big, strlen(v) - 3);
    assert_string_equal(v + strlen(v) - 3, "...");
    line += strlen(line) + 1;
    k = logfmt_parse(line, p, 8, &why);
    assert_int_equal(strlen(kv_get(p, k, "v")), LOG_VALUE_MAX - 1);
    line += strlen(line) + 1;
    k = logfmt_parse(line, p, 8, &why);
    assert_string_equal(kv_get(p, k, "v") + strlen(kv_get(p, k, "v")) - 3, "...");
    free(text);
}

/* A caller that forgets log_q() still cannot split the line. */
static void test_log_unquoted_control_byte_still_one_line(void **state)
{
    (void)state;
    capture_start();
    log_warn("t", "msg=\"%s\"", "two\nlines\r\x01");
    int n;
    char *text = capture_end(&n);
    assert_int_equal(n, 1);
    assert_true(captured_has(text, "msg", "two\nlines\r\x01"));
    free(text);
}

/* ---- from outside ------------------------------------------------------------------- */

/* The reproduction of the finding: a Logon whose SenderCompID holds a
 * newline and a key of its own. */
static void test_fix_logon_cannot_forge_a_line(void **state)
{
    (void)state;
    fixsrv f;
    fx_start(&f, NULL, NULL);
    capture_start();
    fxc c;
    fxc_connect(&c, f.port, FORGED);
    fxc_send(&c, "A", "98=0|108=30|553=alice|554=not-the-password");
    assert_true(fxc_closed(&c, 10000));
    fxc_close(&c);
    fxc_connect(&c, f.port, "OK1");
    fxc_send(&c, "A", "98=0|108=30|553=" FORGED "|554=x");
    assert_true(fxc_closed(&c, 10000));
    fxc_close(&c);
    fx_stop(&f);
    int n;
    char *text = capture_end(&n);
    assert_true(n >= 2);
    assert_true(
        captured_has(text, "compid", FORGED)); /* the SenderCompID (comp is the component) */
    assert_true(captured_has(text, "user", FORGED));
    free(text);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f.dir);
    assert_int_equal(system(cmd), 0);
}

static void test_http_path_cannot_forge_a_line(void **state)
{
    (void)state;
    tserver t;
    memset(&t, 0, sizeof t);
    ts_start(&t, NULL, NULL);
    capture_start();
    tresp r;
    ts_req(&t, "GET", "/api/v1/x%0Alevel=error%20FORGED=2", NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    tresp_free(&r);
    ts_req(&t, "GET", "/api/v1/account", "bad%0Atoken", NULL, &r);
    tresp_free(&r);
    ts_stop(&t);
    int n;
    char *text = capture_end(&n);
    assert_true(n >= 2);
    assert_true(captured_has(text, "path", "/api/v1/x\nlevel=error FORGED=2"));
    free(text);
    ts_rmtree(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_value_with_newline_is_one_line),
        cmocka_unit_test(test_log_values_round_trip),
        cmocka_unit_test(test_log_long_value_cut_well_formed),
        cmocka_unit_test(test_log_unquoted_control_byte_still_one_line),
        cmocka_unit_test(test_fix_logon_cannot_forge_a_line),
        cmocka_unit_test(test_http_path_cannot_forge_a_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
