/* errors.c -- names and messages of the reason codes (table in errors.h). */
#include "cets/errors.h"

#include <stddef.h>

typedef struct reason_row {
    int code;
    const char *name, *message;
} reason_row;

static const reason_row reasons[] = {
#define CETS_X_ROW(name, num, str, msg) {num, str, msg},
    CETS_REASONS(CETS_X_ROW)
#undef CETS_X_ROW
};

#define NREASONS (sizeof reasons / sizeof reasons[0])

static const reason_row *reason_find(int code)
{
    for (size_t i = 0; i < NREASONS; i++)
        if (reasons[i].code == code) return &reasons[i];
    return NULL;
}

const char *cets_reason_name(int code)
{
    const reason_row *r = reason_find(code);
    return r ? r->name : "unknown";
}

const char *cets_reason_message(int code)
{
    const reason_row *r = reason_find(code);
    return r ? r->message : "unknown reason code";
}

int cets_reason_all(int *codes, int cap)
{
    int n = 0;
    for (size_t i = 0; i < NREASONS && n < cap; i++) codes[n++] = reasons[i].code;
    return n;
}
