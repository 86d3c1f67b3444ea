/* dict.h -- the gateway's FIX 4.4 data dictionary, compiled in.
 *
 * docs/fix/CETS-FIX44.xml is what members validate against; the same file,
 * turned into tables by scripts/fix_dictgen.c (src/fix/dict_table.c), is
 * what every incoming message is checked against (validate.h). A field is
 * known by its slot, 1..FIX_DICT_NFIELDS, so that sets of fields are a few
 * words of bits: a lookup per field, no search.
 */
#ifndef CETS_FIX_DICT_H
#define CETS_FIX_DICT_H

#include <stdbool.h>
#include <stdint.h>

/* The value types the dictionary uses (QuickFIX's names in the comments). */
typedef enum fix_vtype {
    FIX_T_STRING,       /* STRING: any bytes but SOH, at least one */
    FIX_T_CHAR,         /* CHAR: one byte */
    FIX_T_BOOLEAN,      /* BOOLEAN: Y or N */
    FIX_T_INT,          /* INT: [-]digits */
    FIX_T_UINT,         /* SEQNUM, LENGTH, NUMINGROUP: digits */
    FIX_T_FLOAT,        /* QTY, PRICE, AMT, FLOAT: [-]digits[.digits] */
    FIX_T_UTCTIMESTAMP, /* UTCTIMESTAMP: YYYYMMDD-HH:MM:SS[.fraction] */
} fix_vtype;

typedef enum fix_where { FIX_IN_BODY = 0, FIX_IN_HEADER = 1, FIX_IN_TRAILER = 2 } fix_where;

typedef struct fix_field_def {
    uint32_t tag;
    const char *name;
    uint8_t type;  /* fix_vtype */
    uint8_t where; /* fix_where */
    uint16_t nvalues;
    const char *const *values; /* nvalues > 0: the only values allowed */
} fix_field_def;

struct fix_group_def;

typedef struct fix_member_def {
    uint16_t slot;
    bool required;
    const struct fix_group_def *group; /* a NumInGroup field: its entries */
} fix_member_def;

/* A repeating group: its entries' fields in order; the first starts an entry. */
typedef struct fix_group_def {
    uint16_t n;
    const fix_member_def *m;
} fix_group_def;

#define FIX_SLOT_WORDS 4 /* 256 slots: the generator refuses more */

typedef struct fix_msg_def {
    const char *type, *name;
    bool admin;
    uint16_t n;
    const fix_member_def *m;           /* the body, in the dictionary's order */
    uint64_t body[FIX_SLOT_WORDS];     /* slots that may appear in the body, top level */
    uint64_t required[FIX_SLOT_WORDS]; /* ... and those of them that must */
} fix_msg_def;

/* ---- dict_table.c (generated) ---- */
extern const fix_field_def fix_dict_fields[]; /* by slot; [0] is no field */
extern const uint16_t fix_dict_nfields;
extern const fix_msg_def fix_dict_msgs[];
extern const uint16_t fix_dict_nmsgs;
extern const fix_member_def *const fix_dict_header; /* in order, without 8, 9 and 35 */
extern const uint16_t fix_dict_nheader;
extern const uint64_t fix_dict_header_required[FIX_SLOT_WORDS];
extern const uint64_t fix_dict_framed[FIX_SLOT_WORDS]; /* 8, 9, 35, 10: framing checks them */
extern const uint16_t fix_dict_slot_lo[1024];          /* tag 0-1023 -> slot (0: none) */
extern const uint16_t fix_dict_slot_hi[64];            /* tag 20000-20063 -> slot */

/* ---- validate.c ---- */
/* The slot of a tag, 0 when the dictionary does not have it. */
static inline uint16_t fix_dict_slot(uint32_t tag)
{
    if (tag < 1024) return fix_dict_slot_lo[tag];
    if (tag - 20000 < 64) return fix_dict_slot_hi[tag - 20000];
    return 0;
}
/* The definition of a MsgType, NULL when the dictionary has none. */
const fix_msg_def *fix_dict_msg(const char *type);
/* True for every MsgType FIX 4.4 defines (user-defined types, U..., too). */
bool fix44_msg_type(const char *type);
/* Tags FIX 4.4 defines run from 1 to this; 5000-9999 and 20000-39999 are
 * user-defined: only those in our dictionary exist. */
#define FIX44_LAST_TAG 956

#endif
