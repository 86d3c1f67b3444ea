/* tseed.c -- see tseed.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tseed.h"

#include <stdio.h>
#include <stdlib.h>

static void admin_post(tserver *t, const char *path, json_t *body, long status, json_t **out)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_t *j = ts_expect(t, "POST", path, t->admin, text, status);
    free(text);
    json_decref(body);
    if (out)
        *out = j;
    else
        json_decref(j);
}

void tseed_instrument(tserver *t, const char *code, const char *matching, const char *prev_close)
{
    admin_post(t, "/api/v1/admin/instruments",
               json_pack("{s:s, s:s, s:s, s:s}", "code", code, "product",
                         code[0] == 'C' && code[1] == 'C' ? "CCER" : "CEA", "matching",
                         matching ? matching : "listing", "prev_close", prev_close),
               201, NULL);
}

uint32_t tseed_participant(tserver *t, const char *kind, const char *name)
{
    json_t *j;
    admin_post(t, "/api/v1/admin/participants", json_pack("{s:s, s:s}", "kind", kind, "name", name),
               201, &j);
    long long id = tj_int(j, "participant");
    json_decref(j);
    assert_true(id > 1);
    return (uint32_t)id;
}

void tseed_deposit(tserver *t, uint32_t participant, const char *amount)
{
    admin_post(t, "/api/v1/admin/deposits",
               json_pack("{s:I, s:s}", "participant", (json_int_t)participant, "amount", amount),
               200, NULL);
}

void tseed_credit(tserver *t, uint32_t participant, const char *code, long long qty)
{
    admin_post(t, "/api/v1/admin/credits",
               json_pack("{s:I, s:s, s:I}", "participant", (json_int_t)participant, "code", code,
                         "qty", (json_int_t)qty),
               200, NULL);
}

char *tseed_user(tserver *t, const char *user, uint32_t participant, const char *roles)
{
    ts_user(t, user, TSEED_PASSWORD, participant, roles);
    return ts_login(t, user, TSEED_PASSWORD);
}
