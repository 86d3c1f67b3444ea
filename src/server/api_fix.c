/* api_fix.c -- the operator provisions FIX sessions (docs/api.md, role
 * `admin`): which SenderCompIDs exist and whose participant each is.
 *
 *   GET    /api/v1/admin/fix/compids
 *   PUT    /api/v1/admin/fix/compids/{compid}  {"participant", "in_session_reset"}
 *   DELETE /api/v1/admin/fix/compids/{compid}
 *
 * The table is the FIX gateway's file <data_dir>/fix/compids (core/compids.h),
 * written whole; the gateway reads it again within a second of a change, and
 * at once when a Logon names a SenderCompID it does not know. The server and
 * the gateway share the file, not code: neither includes the other.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "core/compids.h"
#include "core/log.h"

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER; /* read, change, write */

static void table_path(const server *s, char *out, size_t len)
{
    snprintf(out, len, "%s/fix/compids", s->cfg.data_dir);
}

static json_t *entry_json(const compid_entry *e)
{
    return json_pack("{s:s, s:i, s:b}", "compid", e->comp, "participant",
                     (json_int_t)e->participant, "in_session_reset", e->in_session_reset);
}

static int table_unreadable(req *r, const char *err)
{
    log_error("api", "msg=\"FIX CompID table unreadable\" error=%s", log_q(err));
    return http_error(r, 503, "unavailable", HTTP_E_UNAVAILABLE,
                      "the FIX CompID table cannot be read or written");
}

static int compids_list(req *r, const compid_table *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->n; i++) json_array_append_new(a, entry_json(&t->e[i]));
    return http_json(r, 200, json_pack("{s:o}", "compids", a), NULL);
}

static bool participant_exists(server *s, uint32_t pid)
{
    cets_participant_info info;
    const cets_engine *e = core_read_begin(s->core);
    bool found = cets_participant_get(e, pid, &info) == 0;
    core_read_end(s->core);
    return found;
}

static int compid_put(req *r, compid_table *t, const char *path, const char *comp)
{
    static const char *const fields[] = {"participant", "in_session_reset", NULL};
    compid_entry e = {.in_session_reset = true};
    int64_t pid = 0;
    char err[256];
    if (!compids_valid(comp))
        return http_error(r, 400, "bad_field", HTTP_E_BAD_FIELD,
                          "compid: 1-%d of A-Z a-z 0-9 . _ -", COMPID_MAX);
    json_t *b = http_body(r, fields);
    bool ok = b && http_int(r, b, "participant", true, 1, UINT32_MAX, &pid) &&
              http_bool(r, b, "in_session_reset", false, &e.in_session_reset);
    json_decref(b);
    if (!ok) return r->status;
    if (!participant_exists(r->s, (uint32_t)pid))
        return http_reason(r, CETS_UNKNOWN_PARTICIPANT, NULL);
    snprintf(e.comp, sizeof e.comp, "%s", comp);
    e.participant = (uint32_t)pid;
    const compid_entry *had = compids_find(t, comp);
    bool existed = had != NULL;
    if (had && had->participant != e.participant)
        return http_error(r, 409, "compid_taken", HTTP_E_CONFLICT,
                          "%s is participant %u's: delete it (and its session's files) first", comp,
                          had->participant);
    if (compids_put(t, &e, err, sizeof err) != 0 || compids_save(t, path, err, sizeof err) != 0)
        return table_unreadable(r, err);
    log_info("api", "msg=\"FIX session %s by operator\" compid=%s participant=%u by=%s",
             existed ? "changed" : "provisioned", comp, e.participant, r->who.user);
    return http_json(r, existed ? 200 : 201, entry_json(&e), NULL);
}

static int h_compids(http_conn *conn, void *cb)
{
    req r;
    if (!http_begin(&r, cb, conn) || !http_auth(&r, ROLE_ADMIN, 0)) return r.status;
    bool list = r.nseg == 3, one = r.nseg == 4;
    if (!list && !one) return http_not_found(&r, "no such resource");
    if ((list && !http_is(&r, "GET")) || (one && !http_is(&r, "PUT") && !http_is(&r, "DELETE")))
        return http_bad_method(&r);
    char path[1200], err[256];
    table_path(r.s, path, sizeof path);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/fix", r.s->cfg.data_dir);
    mkdir(dir, 0700); /* the gateway makes it too; the table may come first */
    compid_table t = {0};
    pthread_mutex_lock(&table_mu);
    int rc;
    if (compids_load(&t, path, err, sizeof err) != 0) {
        rc = table_unreadable(&r, err);
    } else if (list) {
        rc = compids_list(&r, &t);
    } else if (http_is(&r, "PUT")) {
        rc = compid_put(&r, &t, path, r.seg[3]);
    } else if (!compids_del(&t, r.seg[3])) {
        rc = http_not_found(&r, "no such FIX SenderCompID");
    } else if (compids_save(&t, path, err, sizeof err) != 0) {
        rc = table_unreadable(&r, err);
    } else {
        log_info("api", "msg=\"FIX session removed by operator\" compid=%s by=%s", r.seg[3],
                 r.who.user);
        rc = http_json(&r, 200, json_pack("{s:s, s:b}", "compid", r.seg[3], "deleted", 1), NULL);
    }
    pthread_mutex_unlock(&table_mu);
    compids_free(&t);
    return rc;
}

void api_fix_register(server *s)
{
    http_handle(s, "/api/v1/admin/fix/compids", h_compids);
}
