/* record.c -- the payload of a journal record: a cets_cmd in and out.
 *
 * Versions 1 and 2 store the first cets_cmd_size(cmd) bytes of the struct as
 * they are in memory. Version 3 stores the same command compactly (the byte
 * layout is in journal_int.h): seq and ts whole, the type, a 32-bit word of
 * field widths, each field that is not zero in as few little-endian bytes as
 * hold it, and the bytes of the union up to its last byte that is not zero.
 * The benchmark's commands take 32.6 bytes on average instead of 80
 * (bench_engine --only codec).
 *
 * Why widths in one word rather than varints: the word alone says where every
 * field starts, so the decoder loads all of them at once, 8 bytes each, and
 * masks them to their width, without a branch per field or per byte (a varint
 * decoder spent 34 ns per record on the benchmark's journal, mostly on
 * mispredicted branches; this one about 16, the copy of version 2 about 11).
 *
 * The encoding is canonical: a field has width 0 exactly when it is zero, and
 * otherwise the narrowest width that holds it; the spare bits of the word are
 * zero; the union's bytes stop at a nonzero byte within the part of the union
 * cets_cmd_size() counts. The decoder refuses anything else, so one command
 * has one encoding and a payload that decodes re-encodes to the same bytes
 * (the fuzz target checks it). A record whose checksum holds but which does
 * not decode is damage like any other (jrec_check).
 */
#include "journal_int.h"

/* The fields after the type, in the order of cets_cmd. */
enum {
    JF_SIDE,
    JF_FLAGS,
    JF_NTARGETS, /* u8: width 0 or 1, one bit each (bits 0..2) */
    JF_ACTOR,
    JF_PARTICIPANT,
    JF_INSTRUMENT,
    JF_USER,
    JF_COUNTERPARTY, /* u32: 2 bits each (bits 3..12), widths 0, 1, 2, 4 */
    JF_PRICE,
    JF_QTY,
    JF_ORDER_ID,
    JF_CLIENT_REF,
    JF_AUX, /* 64-bit: 3 bits each (bits 13..27), widths 0..6, 8; signed ones zigzag */
    JF_COUNT,
};
#define JW_SPARE 0xf0000000u /* bits 28..31 */
_Static_assert(JF_COUNT == 13, "JREC3_MAX counts 3 bytes, 5 u32 and 5 u64 fields");
#define JREC_U ((size_t)offsetof(cets_cmd, u))
_Static_assert(JREC3_FIELDS_END <= JREC3_MAX, "the decoder's copy holds every load");
/* The decoder writes the head field by field: it has no gap (src/engine/layout.c pins it). */
_Static_assert(offsetof(cets_cmd, aux) + sizeof(int64_t) == JREC_U,
               "the head of cets_cmd has a gap");

static const uint8_t W32[4] = {0, 1, 2, 4};
static const uint8_t W64[8] = {0, 1, 2, 3, 4, 5, 6, 8};
/* the bytes of a width */
static const uint64_t WMASK[9] = {0,
                                  0xff,
                                  0xffff,
                                  0xffffff,
                                  0xffffffff,
                                  0xffffffffffull,
                                  0xffffffffffffull,
                                  0xffffffffffffffull,
                                  ~0ull};

/* by width: the least value that needs it (less fits the next narrower one) */
static const uint64_t LEAST32[5] = {0, 1, 1ull << 8, 0, 1ull << 16};
static const uint64_t LEAST64[9] = {0,          1,          1ull << 8, 1ull << 16, 1ull << 24,
                                    1ull << 32, 1ull << 40, 0,         1ull << 48};

static inline uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Bytes a value needs (0 for 0). */
static inline unsigned bytes_of(uint64_t v)
{
    return v ? (71u - (unsigned)__builtin_clzll(v)) / 8u : 0;
}

/* Width class of a u32 (widths 0, 1, 2, 4) and of a 64-bit field (0..6, 8). */
static inline unsigned class32(uint64_t v)
{
    unsigned n = bytes_of(v);
    return n < 3 ? n : 3;
}

static inline unsigned class64(uint64_t v)
{
    unsigned n = bytes_of(v);
    return n < 7 ? n : 7;
}

size_t jrec_encode(unsigned char *out, const cets_cmd *c)
{
    uint64_t v[JF_COUNT] = {
        c->side,       c->flags,      c->ntargets,     c->actor,         c->participant,
        c->instrument, c->user,       c->counterparty, zigzag(c->price), zigzag(c->qty),
        c->order_id,   c->client_ref, zigzag(c->aux),
    };
    uint32_t word = 0;
    unsigned char *p = out + JREC3_FIXED;
#pragma GCC unroll 13
    for (unsigned f = JF_SIDE; f < JF_COUNT; f++) {
        unsigned cls, w;
        if (f <= JF_NTARGETS)
            cls = w = v[f] != 0, word |= cls << f;
        else if (f <= JF_COUNTERPARTY)
            cls = class32(v[f]), w = W32[cls], word |= cls << (3 + 2 * (f - JF_ACTOR));
        else
            cls = class64(v[f]), w = W64[cls], word |= cls << (13 + 3 * (f - JF_PRICE));
        memcpy(p, &v[f], 8); /* 8 bytes, of which the next field overwrites the rest */
        p += w;
    }
    size_t tail = cets_cmd_size(c) - JREC_U;
    if (tail) { /* the union's bytes the type uses, up to the last nonzero one */
        const unsigned char *u = (const unsigned char *)&c->u;
        while (tail && !u[tail - 1]) tail--;
        memcpy(p, u, tail);
        p += tail;
    }
    jput64(out, c->seq);
    jput64(out + 8, (uint64_t)c->ts);
    out[16] = c->type;
    jput32(out + 17, word);
    return (size_t)(p - out);
}

/* The union cleared with eight 16-byte stores: memset of its 128 bytes is a
 * `rep stos` here, whose start-up took a fifth of the decoder's time. */
static inline void zero_union(cets_cmd *c)
{
    typedef uint64_t v2 __attribute__((vector_size(16)));
    const v2 z = {0, 0};
    unsigned char *u = (unsigned char *)&c->u;
    _Static_assert(sizeof c->u == 8 * sizeof z, "the union is 128 bytes");
    memcpy(u, &z, 16);
    memcpy(u + 16, &z, 16);
    memcpy(u + 32, &z, 16);
    memcpy(u + 48, &z, 16);
    memcpy(u + 64, &z, 16);
    memcpy(u + 80, &z, 16);
    memcpy(u + 96, &z, 16);
    memcpy(u + 112, &z, 16);
}

/* cets_cmd's head, 80 bytes (seq .. aux, pinned by src/engine/layout.c), from
 * ten little-endian words, in 16-byte stores. */
static inline void store_head(cets_cmd *c, const uint64_t w[10])
{
    typedef uint64_t v2 __attribute__((vector_size(16)));
    unsigned char *d = (unsigned char *)c;
    _Static_assert(offsetof(cets_cmd, type) == 16 && offsetof(cets_cmd, actor) == 20 &&
                       offsetof(cets_cmd, participant) == 24 && offsetof(cets_cmd, user) == 32 &&
                       offsetof(cets_cmd, price) == 40 && offsetof(cets_cmd, aux) == 72,
                   "the head's words");
    for (int i = 0; i < 10; i += 2) {
        v2 x = {w[i], w[i + 1]};
        memcpy(d + 8 * i, &x, 16);
    }
}

static int jrec_decode3(const unsigned char *rec, uint32_t len, uint64_t room, cets_cmd *c)
{
    if (len < JREC3_FIXED || len > JREC3_MAX) return -1;
    /* every field is loaded 8 bytes at a time, at offsets that the widths
       alone give, up to JREC3_FIELDS_END whatever len is (a payload whose
       widths claim more than it has is refused after the loads): in place
       when that much is readable, else from a copy with zeros after it */
    unsigned char copy[JREC3_MAX + 8];
    const unsigned char *p = rec;
    uint64_t reach = (len > JREC3_FIELDS_END ? len : JREC3_FIELDS_END) + 8u;
    if (room < reach) {
        memcpy(copy, rec, len);
        memset(copy + len, 0, sizeof copy - len);
        p = copy;
    }
    uint32_t word = jget32(p + 17);
    /* where each field starts follows from the widths alone: the loads are
       independent of one another, and no branch depends on a value. A value
       must need its width: at least the least value that does. Unrolled, the
       shifts and the choice of table are constants. */
    uint64_t v[JF_COUNT];
    unsigned off = JREC3_FIXED;
    bool bad = (word & JW_SPARE) != 0;
#pragma GCC unroll 13
    for (unsigned f = JF_SIDE; f < JF_COUNT; f++) {
        unsigned cls, w;
        uint64_t least;
        if (f < JF_ACTOR) {
            cls = w = (word >> f) & 1u;
            least = cls;
        } else if (f < JF_PRICE) {
            cls = (word >> (3 + 2 * (f - JF_ACTOR))) & 3u;
            w = W32[cls];
            least = LEAST32[w];
        } else {
            cls = (word >> (13 + 3 * (f - JF_PRICE))) & 7u;
            w = W64[cls];
            least = LEAST64[w];
        }
        uint64_t x;
        memcpy(&x, p + off, 8);
        v[f] = x & WMASK[w];
        bad |= v[f] < least;
        off += w;
    }
    if (bad || off > len) return -1;
    /* the head in five 16-byte stores: a copy of the command right after
       (replay batches them) then loads what single stores wrote, and a
       16-byte load forwards only from one store that covers it */
    const uint64_t head[10] = {
        jget64(p),
        jget64(p + 8),
        p[16] | v[JF_SIDE] << 8 | v[JF_FLAGS] << 16 | v[JF_NTARGETS] << 24 | v[JF_ACTOR] << 32,
        v[JF_PARTICIPANT] | v[JF_INSTRUMENT] << 32,
        v[JF_USER] | v[JF_COUNTERPARTY] << 32,
        (uint64_t)unzigzag(v[JF_PRICE]),
        (uint64_t)unzigzag(v[JF_QTY]),
        v[JF_ORDER_ID],
        v[JF_CLIENT_REF],
        (uint64_t)unzigzag(v[JF_AUX]),
    };
    store_head(c, head);
    zero_union(c);
    size_t tail = len - off;
    if (tail) { /* within what the type uses, and ending in a nonzero byte */
        if (tail > cets_cmd_size(c) - JREC_U || !p[len - 1]) return -1;
        memcpy(&c->u, p + off, tail);
    }
    return 0;
}

int jrec_decode(const unsigned char *p, uint32_t len, uint64_t room, uint32_t version, cets_cmd *c)
{
    if (version >= 3) return jrec_decode3(p, len, room, c);
    if (len > sizeof *c) return -1;
    memcpy(c, p, len);
    memset((unsigned char *)c + len, 0, sizeof *c - len);
    return 0;
}

uint32_t jrec_min(uint32_t version)
{
    return version >= 3 ? JREC3_FIXED : JREC_MIN;
}

uint32_t jrec_max(uint32_t version)
{
    return version >= 3 ? JREC3_MAX : JREC_MAX;
}

_Static_assert(CETS_CMD_CODE_MIN == JREC3_FIXED && CETS_CMD_CODE_MAX == JREC3_MAX &&
                   CETS_CMD_CODE_ROOM == JREC3_ROOM,
               "cets/journal.h states version 3's bounds");

size_t cets_cmd_encode(unsigned char *out, const cets_cmd *c)
{
    return jrec_encode(out, c);
}

int cets_cmd_decode(const unsigned char *p, size_t len, size_t room, cets_cmd *c)
{
    if (len < CETS_CMD_CODE_MIN || len > CETS_CMD_CODE_MAX || room < len) return -1;
    return jrec_decode(p, (uint32_t)len, room, 3, c);
}
