/* validate.h -- one pass over an incoming message against the data
 * dictionary (dict.h), in the order of the FIX Session-level Test Cases:
 * every tag known (373=0), defined for the message type (2), with a value
 * (4) of the right format (6) and in its enumeration (5); header, body and
 * trailer in that order (14); no tag twice outside a repeating group (13);
 * each repeating group's entries in the dictionary's order (15) and as many
 * as its NumInGroup says (16); every required tag present (1). The first
 * problem found is the verdict: the SessionRejectReason and the tag a Reject
 * names.
 *
 * Only the syntax of a message is checked here. What its values mean (a
 * HeartBtInt the exchange allows, whole tonnes, a known symbol) is the
 * business of the session and application layers.
 */
#ifndef CETS_FIX_VALIDATE_H
#define CETS_FIX_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "fix.h"

/* SessionRejectReason (373), FIX 4.4. */
enum fix_reject_reason {
    FIX_REJ_INVALID_TAG = 0,
    FIX_REJ_REQUIRED = 1,
    FIX_REJ_NOT_FOR_TYPE = 2,
    FIX_REJ_NO_VALUE = 4,
    FIX_REJ_VALUE = 5,
    FIX_REJ_FORMAT = 6,
    FIX_REJ_COMPID = 9,
    FIX_REJ_SENDING_TIME = 10,
    FIX_REJ_MSGTYPE = 11,
    FIX_REJ_REPEATED = 13,
    FIX_REJ_ORDER = 14,
    FIX_REJ_GROUP_ORDER = 15,
    FIX_REJ_GROUP_COUNT = 16,
    FIX_REJ_OTHER = 99,
};

typedef struct fix_verdict {
    int reason;        /* enum fix_reject_reason */
    uint32_t tag;      /* RefTagID */
    char tag_text[16]; /* RefTagID as sent: "-1" is not a uint32 */
} fix_verdict;

/* Check m against def (fix_dict_msg(m->type)): true when it conforms,
 * otherwise false and *v says why. */
bool fix_validate(const fix_msg *m, const fix_msg_def *def, fix_verdict *v);
/* The standard wording of a reason ("Required tag missing"). */
const char *fix_reject_text(int reason);
/* "Required tag missing: TargetCompID(56)" into out. */
void fix_verdict_text(const fix_verdict *v, char *out, size_t cap);

#endif
