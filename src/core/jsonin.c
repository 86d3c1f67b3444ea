/* jsonin.c -- see jsonin.h.
 *
 * The scanner knows only enough JSON to find brackets that count: outside a
 * string every [ and { opens a level and every ] and } closes one; inside a
 * string a backslash hides the next byte. Everything else (syntax, UTF-8,
 * numbers) is jansson's to judge afterwards, so a broken document that is
 * shallow gets jansson's own message.
 */
#include "jsonin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void depth_error(const char *buf, size_t at, json_error_t *je)
{
    int line = 1, column = 1;
    for (size_t i = 0; i < at; i++) {
        column++;
        if (buf[i] == '\n') line++, column = 1;
    }
    memset(je, 0, sizeof *je);
    je->line = line;
    je->column = column;
    je->position = (int)at;
    snprintf(je->source, sizeof je->source, "<buffer>");
    snprintf(je->text, sizeof je->text, "nested too deep (more than %d levels of [ and {)",
             JSONIN_MAX_DEPTH);
    /* jansson keeps its error code in the last byte of text (json_error_code()) */
    je->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_stack_overflow;
}

bool jsonin_depth_ok(const char *buf, size_t len, json_error_t *je)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        if (in_string) {
            if (ch == '\\')
                i++; /* the escaped byte, whatever it is */
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > JSONIN_MAX_DEPTH) {
                depth_error(buf, i, je);
                return false;
            }
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--; /* one too many is jansson's syntax error to report */
        }
    }
    return true;
}

json_t *jsonin_loadb(const char *buf, size_t len, size_t flags, json_error_t *je)
{
    if (!jsonin_depth_ok(buf, len, je)) return NULL;
    return json_loadb(buf, len, flags, je);
}

json_t *jsonin_load_file(const char *path, size_t flags, json_error_t *je, bool *missing)
{
    *missing = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        memset(je, 0, sizeof *je);
        snprintf(je->text, sizeof je->text, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    bool oom = false;
    do {
        if (len == cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 16384);
            if (!p) {
                oom = true;
                break;
            }
            buf = p;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    bool bad = oom || ferror(f);
    fclose(f);
    json_t *j = NULL;
    if (bad) {
        memset(je, 0, sizeof *je);
        snprintf(je->text, sizeof je->text, "cannot read: %s", oom ? "out of memory" : "I/O error");
    } else {
        j = jsonin_loadb(buf ? buf : "", len, flags, je);
    }
    free(buf);
    return j;
}
