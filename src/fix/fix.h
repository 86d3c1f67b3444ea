/* fix.h -- FIX 4.4 tag=value codec: framing, parsing, building.
 *
 * Parsing is zero-copy: a fix_msg holds (tag, pointer, length) for each field
 * in order of appearance, pointing into the caller's buffer, which must stay
 * unchanged while the message is used. Framing checks what the wire can get
 * wrong: BeginString, BodyLength, CheckSum, field syntax, sizes. What a
 * field means is checked later, against the dictionary (validate.h).
 */
#ifndef CETS_FIX_H
#define CETS_FIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIX_SOH '\x01'
#define FIX_MAX_FIELDS 512
#define FIX_MAX_MSG 65536  /* bytes, whole message */
#define FIX_MAX_VALUE 4096 /* bytes, one value */

typedef enum fix_status {
    FIX_OK = 0,
    FIX_NEED_MORE = 1,    /* not a whole message yet: read more */
    FIX_GARBAGE = 2,      /* bytes before a message start: skip *used bytes */
    FIX_BAD_LENGTH = 3,   /* BodyLength missing, malformed, or not followed by CheckSum */
    FIX_BAD_CHECKSUM = 4, /* CheckSum wrong or malformed */
    FIX_BAD_SYNTAX = 5,   /* a field is not tag=value<SOH>, or a tag is not a number */
    FIX_TOO_BIG = 6,      /* message, value or field count over the limits */
    FIX_BAD_BEGIN = 7,    /* "8=FIX..." of another version: not ours to frame */
} fix_status;

/* The tag of a field whose tag is 0 or negative ("-1=x"): it frames, so the
 * session can refuse it by name (Reject 373=0) instead of dropping it. */
#define FIX_TAG_INVALID 0

typedef struct fix_field {
    uint32_t tag;
    uint32_t len;
    const char *val;
} fix_field;

typedef struct fix_msg {
    fix_field f[FIX_MAX_FIELDS];
    int n;
    const char *raw; /* the whole message */
    size_t rawlen;
    char type[8]; /* MsgType (35), NUL-terminated */
} fix_msg;

/* Frame and parse one message at the start of buf[0..len).
 * FIX_OK: *used = bytes of the message, m filled.
 * FIX_NEED_MORE: nothing used; FIX_GARBAGE: skip *used bytes and call again.
 * Other errors: *used = bytes to drop (the bad message as framed, or 1). */
fix_status fix_parse(const char *buf, size_t len, fix_msg *m, size_t *used);
const char *fix_status_name(fix_status s);

/* Field access (first occurrence). */
const fix_field *fix_get(const fix_msg *m, uint32_t tag);
/* Copy a value as a C string; 0, or -1 when absent or too long. */
int fix_get_str(const fix_msg *m, uint32_t tag, char *out, size_t cap);
/* Parse an integer value; 0 or -1 (absent, not a number, overflow). */
int fix_get_int(const fix_msg *m, uint32_t tag, int64_t *out);
/* Parse a decimal price with at most 2 decimals into fen; 0 or -1. */
int fix_get_price(const fix_msg *m, uint32_t tag, int64_t *fen);
/* Index of the first field with tag at or after index from, or -1. */
int fix_find(const fix_msg *m, uint32_t tag, int from);
/* UTCTimestamp "YYYYMMDD-HH:MM:SS[.f...]" (1-9 digits of fraction, years
 * 1900-2261: what ns since the epoch hold) to ns since the epoch; 0, or -1
 * when malformed. */
int fix_parse_utc(const char *v, size_t len, int64_t *ns);
/* The same check without the conversion (what the dictionary's pass needs). */
bool fix_utc_valid(const char *v, size_t len);

/* Building: fields are appended in order; fix_build_finish() adds the
 * header's BeginString and BodyLength and the CheckSum trailer. */
typedef struct fix_builder {
    char body[FIX_MAX_MSG];
    size_t blen;
    char out[FIX_MAX_MSG + 64];
    size_t olen;
    int overflow;
} fix_builder;

void fix_build_begin(fix_builder *b, const char *msg_type);
void fix_add_str(fix_builder *b, uint32_t tag, const char *val);
void fix_add_raw(fix_builder *b, uint32_t tag, const char *val, size_t len);
void fix_add_int(fix_builder *b, uint32_t tag, int64_t v);
void fix_add_price(fix_builder *b, uint32_t tag, int64_t fen); /* "51.23" */
/* UTCTimestamp with milliseconds, from ns since the epoch. */
void fix_add_time(fix_builder *b, uint32_t tag, int64_t ns);
/* Returns the whole message (in b->out) and its length; NULL on overflow. */
const char *fix_build_finish(fix_builder *b, size_t *len);

#endif
