/* textwidth.c -- how many terminal columns a UTF-8 string takes.
 *
 * The reports mix Chinese and English; a Chinese character takes two columns
 * on a terminal, so padding by bytes or by characters misaligns the tables.
 * This is the East Asian Wide/Fullwidth rule reduced to the blocks our text
 * uses (CJK, Hangul, full-width forms and punctuation): a tiny helper, not a
 * Unicode library. Combining marks are not expected in our text.
 */
#include "cli.h"

/* Decode one UTF-8 sequence at s; sets *cp and returns its length (1 for a
 * stray byte, which then counts as one column). */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 1;
    uint32_t c = len == 2 ? s[0] & 0x1F : len == 3 ? s[0] & 0x0F : s[0] & 0x07;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) { /* truncated sequence */
            *cp = s[0];
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = len == 1 ? s[0] : c;
    return len;
}

static int cp_width(uint32_t c)
{
    if ((c >= 0x1100 && c <= 0x115F) || /* Hangul Jamo */
        (c >= 0x2E80 && c <= 0x303E) || /* CJK radicals, punctuation (、。) */
        (c >= 0x3041 && c <= 0x33FF) || /* kana, CJK compatibility */
        (c >= 0x3400 && c <= 0x4DBF) || /* CJK extension A */
        (c >= 0x4E00 && c <= 0x9FFF) || /* CJK unified ideographs */
        (c >= 0xA000 && c <= 0xA4CF) || /* Yi */
        (c >= 0xAC00 && c <= 0xD7A3) || /* Hangul syllables */
        (c >= 0xF900 && c <= 0xFAFF) || /* CJK compatibility ideographs */
        (c >= 0xFE30 && c <= 0xFE4F) || /* CJK compatibility forms */
        (c >= 0xFF00 && c <= 0xFF60) || /* full-width forms (，：（）) */
        (c >= 0xFFE0 && c <= 0xFFE6) || /* full-width signs (￥) */
        (c >= 0x20000 && c <= 0x3FFFD)) /* CJK extensions B.. */
        return 2;
    return 1;
}

int tw_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c;
        p += utf8_next(p, &c);
        w += cp_width(c);
    }
    return w;
}

void tw_pad(FILE *f, const char *s, int width, bool right)
{
    int pad = width - tw_width(s);
    if (right)
        for (int i = 0; i < pad; i++) fputc(' ', f);
    fputs(s, f);
    if (!right)
        for (int i = 0; i < pad; i++) fputc(' ', f);
}
