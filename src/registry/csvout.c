/* csvout.c -- one text cell of a CSV file the system writes, safe to open in
 * a spreadsheet (registry.h, cets_csv_text).
 *
 * Two things can go wrong with free text in a cell. A comma, a double quote
 * or a line break would shift the columns: such a cell is quoted as RFC 4180
 * says. And a cell that starts with '=', '+', '-' or '@' (or a tab or
 * carriage return, which some spreadsheets skip before looking) is taken as
 * a formula by Excel and LibreOffice: a participant named
 * "=cmd|' /C calc'!A0" would run a command on the authority's desk (CSV or
 * formula injection, OWASP). Such a cell gets a leading apostrophe, which
 * spreadsheets read as "this is text" and do not show.
 *
 * Only text goes through here. Numbers the system formats itself (ids,
 * tonnes, "1234.56", and a negative "-5") are written as they are: they are
 * not text a user chose, and quoting them would turn them into text for
 * every program that reads the file.
 */
#include <stdio.h>
#include <string.h>

#include "cets/registry.h"

static bool formula_start(const char *s)
{
    return s[0] && strchr("=+-@\t\r", s[0]) != NULL;
}

int cets_utf8_char_len(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    int n = s[0] < 0x80                   ? 1
            : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
            : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
            : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
                                          : 0;
    for (int i = 1; i < n; i++) /* a NUL ends the string: not a continuation byte */
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, or a UTF-16 surrogate */
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0; /* overlong, or above U+10FFFF */
    return n;
}

bool cets_csv_text_plain(const char *s)
{
    return !formula_start(s) && !strpbrk(s, ",\"\r\n");
}

int cets_csv_text(FILE *out, const char *s)
{
    bool formula = formula_start(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) fputc('"', out);
    if (formula) fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    if (quote) fputc('"', out);
    return ferror(out) ? -1 : 0;
}
