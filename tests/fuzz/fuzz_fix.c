/* fuzz_fix.c -- libFuzzer target: arbitrary bytes as a FIX peer's stream,
 * through the parser of src/fix/codec.c and the dictionary's validation
 * (src/fix/validate.c) that every parsed message gets.
 *
 * The input is framed message by message exactly as the gateway does it
 * (skip garbage, drop garbled messages, keep an incomplete tail), and every
 * field of every parsed message is read with the typed getters, so ASan and
 * UBSan see each path a peer can reach.
 *
 * Checked: every call makes progress and uses no more than it was given; a
 * parsed message is exactly the bytes used and its fields lie inside it;
 * fix_find() finds the first occurrence; a verdict names a tag of the
 * message; and the builder's output of any value (without SOH) parses back
 * whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fix.h"
#include "fuzztmp.h"
#include "validate.h"

static fix_msg m;

static void read_all(const fix_msg *msg, const char *buf, size_t len)
{
    char s[FIX_MAX_VALUE + 1];
    int64_t v;
    for (int i = 0; i < msg->n; i++) {
        const fix_field *f = &msg->f[i];
        fuzz_check(f->val >= buf && f->val + f->len <= buf + len, "field %d outside", i);
        fix_get_str(msg, f->tag, s, sizeof s);
        fix_get_int(msg, f->tag, &v);
        fix_get_price(msg, f->tag, &v);
        fuzz_check(fix_find(msg, f->tag, 0) <= i, "tag %u found after its first place", f->tag);
    }
}

static void round_trip(const char *val, size_t len)
{
    static fix_builder b;
    if (len > FIX_MAX_VALUE) len = FIX_MAX_VALUE;
    if (memchr(val, FIX_SOH, len)) return;
    fix_build_begin(&b, "D");
    fix_add_raw(&b, 58, val, len);
    size_t n, used;
    const char *out = fix_build_finish(&b, &n);
    fuzz_check(out != NULL, "builder overflow on %zu bytes", len);
    fuzz_check(fix_parse(out, n, &m, &used) == FIX_OK && used == n, "built message does not parse");
    fuzz_check(m.n == 2 && m.f[1].len == len && !memcmp(m.f[1].val, val, len),
               "value changed on the way");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;
    while (off < size) {
        size_t used = 0;
        fix_status st = fix_parse(buf + off, size - off, &m, &used);
        if (st == FIX_NEED_MORE) break;
        fuzz_check(used <= size - off, "used %zu of %zu", used, size - off);
        fuzz_check(used > 0, "no progress (%s)", fix_status_name(st));
        if (st == FIX_OK) {
            fuzz_check(used == m.rawlen && m.raw == buf + off, "message is not the bytes used");
            read_all(&m, buf + off, used);
            const fix_msg_def *def = fix_dict_msg(m.type);
            fix_verdict v;
            if (def && !fix_validate(&m, def, &v)) {
                char text[200];
                fix_verdict_text(&v, text, sizeof text);
                fuzz_check(v.reason >= 0 && v.reason <= 16 && v.tag_text[0], "bad verdict");
            }
        }
        off += used ? used : 1;
    }
    round_trip(buf, size);
    return 0;
}
