/* auth.c -- the credential store (auth.h): users, roles, users.json, API
 * tokens, looking up any token, and telling listeners what ended. Passwords,
 * failed logins and login sessions are login.c's.
 *
 * Users live in memory and in <data_dir>/users.json, which is rewritten
 * whole on every change (temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves the old file or the new one, never half;
 * a change that cannot be written is undone in memory too, so memory is
 * always what the file says. Passwords are stored as argon2id strings
 * (libsodium's crypto_pwhash_str, "interactive" limits); tokens are 32
 * random bytes shown to the client once as hex, and only their BLAKE2b hash
 * is kept. Tokens are found by comparing hashes in constant time
 * (sodium_memcmp) over the live ones.
 *
 * Session tokens live in memory only: a restart logs everyone out, which is
 * what an operator restarting an exchange wants anyway. API tokens are for
 * programs and persist (hashed) in users.json with name, owner and expiry.
 * A token's rights are looked up at every use, so changing a user's roles
 * takes effect at once for all of that user's tokens. What outlives one
 * request (a WebSocket, a FIX session) holds a credential id instead and is
 * told by a notice when that credential ends or its user changes: every
 * change below gathers its notices under the lock and hands them to the
 * listeners after it.
 *
 * At most AUTH_HASHERS argon2id hashes run at once, because each one takes
 * 64 MiB; none runs under the lock.
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth_int.h"
#include "core/jsonin.h"
#include "core/log.h"
#include "store.h"

#define AUTH_HASHERS 2
#define AUTH_MAX_TOKENS 64 /* API tokens per user */

static const char *role_names[] = {"view", "trade", "funds", "compliance", "authority", "admin"};
#define NROLES ((int)(sizeof role_names / sizeof role_names[0]))

int64_t store_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void store_log(const auth *a, int level, const char *fmt, ...)
{
    if (!a->o.log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    a->o.log(level, line);
}

void auth_fmt_time(int64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > AUTH_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void store_token_hash(const char *token, uint8_t out[crypto_generichash_BYTES])
{
    crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token, strlen(token),
                       NULL, 0);
}

void store_token_new(char hex[AUTH_TOKEN_HEX + 1])
{
    uint8_t raw[AUTH_TOKEN_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, AUTH_TOKEN_HEX + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

/* ---- roles ------------------------------------------------------------ */

int auth_roles_parse(const char *csv, uint32_t *roles)
{
    uint32_t bits = 0;
    const char *p = csv ? csv : "";
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ') e++;
        if (e == p) break;
        int i = 0;
        while (i < NROLES && !(strlen(role_names[i]) == (size_t)(e - p) &&
                               memcmp(role_names[i], p, (size_t)(e - p)) == 0))
            i++;
        if (i == NROLES) return -1;
        bits |= 1u << i;
        p = e;
    }
    *roles = bits;
    return 0;
}

void auth_roles_format(uint32_t roles, char *buf, size_t len)
{
    size_t n = 0;
    if (len) buf[0] = 0;
    for (int i = 0; i < NROLES; i++) {
        if (!(roles & (1u << i))) continue;
        int w = snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? "," : "", role_names[i]);
        if (w < 0 || (size_t)w >= (len > n ? len - n : 0)) return;
        n += (size_t)w;
    }
}

static json_t *roles_json(uint32_t roles)
{
    json_t *arr = json_array();
    for (int i = 0; i < NROLES; i++)
        if (roles & (1u << i)) json_array_append_new(arr, json_string(role_names[i]));
    return arr;
}

/* The rights a user's roles give: trade and admin both include view. */
static uint32_t roles_effective(uint32_t roles)
{
    if (roles & (ROLE_TRADE | ROLE_ADMIN)) roles |= ROLE_VIEW;
    return roles;
}

/* ---- the users file --------------------------------------------------- */

user *store_user_find(auth *a, const char *name)
{
    for (int i = 0; i < a->nusers; i++)
        if (strcmp(a->users[i].name, name) == 0) return &a->users[i];
    return NULL;
}

static json_t *users_file_json(const auth *a)
{
    json_t *arr = json_array();
    for (int i = 0; i < a->nusers; i++) {
        const user *u = &a->users[i];
        json_t *toks = json_array();
        for (int k = 0; k < u->ntokens; k++) {
            char hex[2 * crypto_generichash_BYTES + 1];
            sodium_bin2hex(hex, sizeof hex, u->tokens[k].hash, sizeof u->tokens[k].hash);
            json_array_append_new(toks, json_pack("{s:s, s:s, s:I, s:I}", "name", u->tokens[k].name,
                                                  "hash", hex, "created_ns",
                                                  (json_int_t)u->tokens[k].created_ns, "expires_ns",
                                                  (json_int_t)u->tokens[k].expires_ns));
        }
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:I, s:o, s:I, s:o}", "username", u->name,
                                        "password_hash", u->pwhash, "participant",
                                        (json_int_t)u->participant, "roles", roles_json(u->roles),
                                        "created_ns", (json_int_t)u->created_ns, "tokens", toks));
    }
    return json_pack("{s:i, s:o}", "version", 1, "users", arr);
}

/* ---- the credential index (under mu) --------------------------------------------
 * Open addressing with linear probing. Every credential has two entries:
 * one keyed by the first 8 bytes of its BLAKE2b hash (a token's lookup),
 * one by its credential id (auth_cred_check, for the WebSocket and FIX
 * sessions that re-check after a notice). An entry says where the
 * credential is: session i (k < 0), or API token k of user i, and the user
 * of a session (u, -1 if unknown). A probe by hash compares the whole hash
 * with sodium_memcmp, as the pass over every credential did; which prefix a
 * table holds says nothing about a token that is not known. */
typedef struct tix_ent {
    uint64_t key; /* 0: empty */
    int32_t i, k, u;
    bool by_id; /* keyed by the credential id */
} tix_ent;

static uint64_t tix_key(const uint8_t *h)
{
    uint64_t k;
    memcpy(&k, h, sizeof k);
    return k ? k : 1;
}

static uint64_t tix_id_key(uint64_t id)
{
    uint64_t z = id + 0x9e3779b97f4a7c15ull; /* splitmix64's finaliser */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z ? z : 1;
}

static void tix_put(tix_ent *t, size_t cap, tix_ent e)
{
    size_t p = e.key & (cap - 1);
    while (t[p].key) p = (p + 1) & (cap - 1);
    t[p] = e;
}

static size_t name_slot(const char *name, size_t cap)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 1099511628211ull;
    return h & (cap - 1);
}

/* Every credential into a fresh table; false when out of memory (lookups
 * then pass over every credential). */
static bool tix_build(auth *a)
{
    size_t n = (size_t)a->nsessions;
    for (int i = 0; i < a->nusers; i++) n += (size_t)a->users[i].ntokens;
    n *= 2; /* by hash and by id */
    size_t cap = 64, ucap = 64;
    while (cap < 2 * n + 2) cap <<= 1;
    while (ucap < 2 * (size_t)a->nusers + 2) ucap <<= 1;
    tix_ent *t = calloc(cap, sizeof *t);
    int32_t *names = malloc(ucap * sizeof *names); /* user name -> index, for the sessions */
    if (!t || !names) {
        free(t);
        free(names);
        return false;
    }
    memset(names, 0xff, ucap * sizeof *names);
    for (int i = 0; i < a->nusers; i++) {
        size_t p = name_slot(a->users[i].name, ucap);
        while (names[p] >= 0) p = (p + 1) & (ucap - 1);
        names[p] = i;
        for (int k = 0; k < a->users[i].ntokens; k++) {
            tix_put(t, cap, (tix_ent){tix_key(a->users[i].tokens[k].hash), i, k, i, false});
            tix_put(t, cap, (tix_ent){tix_id_key(a->users[i].tokens[k].id), i, k, i, true});
        }
    }
    for (int i = 0; i < a->nsessions; i++) {
        const session *s = &a->sessions[i];
        int32_t u = -1;
        for (size_t p = name_slot(s->user, ucap); names[p] >= 0 && u < 0; p = (p + 1) & (ucap - 1))
            if (strcmp(a->users[names[p]].name, s->user) == 0) u = names[p];
        tix_put(t, cap, (tix_ent){tix_key(s->hash), i, -1, u, false});
        tix_put(t, cap, (tix_ent){tix_id_key(s->id), i, -1, u, true});
    }
    free(names);
    free(a->tix);
    a->tix = t;
    a->tix_cap = cap;
    a->tix_used = n;
    a->tix_stale = false;
    return true;
}

void store_index_session_added(auth *a)
{
    if (a->tix_stale || !a->tix || 2 * (a->tix_used + 2) > a->tix_cap) {
        a->tix_stale = true; /* rebuilt, larger, at the next lookup */
        return;
    }
    int i = a->nsessions - 1;
    user *u = store_user_find(a, a->sessions[i].user);
    int32_t ui = u ? (int32_t)(u - a->users) : -1;
    tix_put(a->tix, a->tix_cap, (tix_ent){tix_key(a->sessions[i].hash), i, -1, ui, false});
    tix_put(a->tix, a->tix_cap, (tix_ent){tix_id_key(a->sessions[i].id), i, -1, ui, true});
    a->tix_used += 2;
}

/* The slot of session i's entry by hash or by id, or -1. */
static ssize_t tix_find_session(const auth *a, int i, bool by_id)
{
    size_t m = a->tix_cap - 1;
    uint64_t key = by_id ? tix_id_key(a->sessions[i].id) : tix_key(a->sessions[i].hash);
    for (size_t p = key & m; a->tix[p].key; p = (p + 1) & m)
        if (a->tix[p].key == key && a->tix[p].by_id == by_id && a->tix[p].k < 0 && a->tix[p].i == i)
            return (ssize_t)p;
    return -1;
}

/* Delete the entry at slot at, shifting back what follows in its run (no
 * tombstones). */
static void tix_delete(auth *a, size_t at)
{
    size_t m = a->tix_cap - 1, hole = at;
    for (size_t p = (hole + 1) & m; a->tix[p].key; p = (p + 1) & m) {
        size_t home = a->tix[p].key & m;
        /* the entry at p may move to hole unless its home lies cyclically in (hole, p] */
        bool stays = hole <= p ? (home > hole && home <= p) : (home > hole || home <= p);
        if (!stays) {
            a->tix[hole] = a->tix[p];
            hole = p;
        }
    }
    a->tix[hole].key = 0;
    a->tix_used--;
}

void store_index_session_removing(auth *a, int i)
{
    for (int by_id = 0; by_id < 2 && !a->tix_stale && a->tix; by_id++) {
        ssize_t at = tix_find_session(a, i, by_id);
        if (at < 0) { /* cannot be: start again from the sessions themselves */
            a->tix_stale = true;
            return;
        }
        tix_delete(a, (size_t)at);
    }
    int last = a->nsessions - 1; /* moves into i */
    for (int by_id = 0; by_id < 2 && last != i && !a->tix_stale && a->tix; by_id++) {
        ssize_t q = tix_find_session(a, last, by_id);
        if (q < 0)
            a->tix_stale = true;
        else
            a->tix[q].i = i;
    }
}

/* Write users.json atomically; called with a->wmu and a->mu held, returns
 * with both. The document is made under mu, then mu is let go while the file
 * is written and made durable, so that token lookups (one probe under mu) do
 * not wait for the disk; wmu keeps every other change of the users out
 * meanwhile. Lookups in that time see the change already (its caller has
 * not answered yet); when the write fails the caller puts memory back as it
 * was, under mu, before anyone is told. The credential index is rebuilt at
 * the next lookup (users or their tokens changed). */
static int users_save(auth *a, char *err, size_t errlen)
{
    a->tix_stale = true;
    json_t *j = users_file_json(a);
    char *doc = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    pthread_mutex_unlock(&a->mu);
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->path);
    int rc = -1, fd = -1;
    if (!doc) {
        snprintf(err, errlen, "cannot write %s: out of memory", a->path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t len = strlen(doc), off = 0;
    rc = 0;
    while (rc == 0 && off < len) {
        ssize_t w = write(fd, doc + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            rc = -1;
        } else {
            off += (size_t)w;
        }
    }
    if (rc == 0 && (a->o.sync ? a->o.sync(fd, a->o.sync_ctx) : fsync(fd)) != 0) rc = -1;
    int saved_errno = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved_errno = errno;
    }
    if (rc == 0 && rename(tmp, a->path) != 0) {
        rc = -1;
        saved_errno = errno;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", a->path, strerror(saved_errno));
        unlink(tmp);
        goto out;
    }
    int dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    if (doc) {
        sodium_memzero(doc, strlen(doc)); /* password hashes */
        free(doc);
    }
    pthread_mutex_lock(&a->mu);
    a->tix_stale = true; /* lookups meanwhile indexed what may be put back */
    return rc;
}

static int token_from_json(json_t *jt, api_token *t, char *err, size_t errlen)
{
    const char *name, *hex;
    json_int_t created, expires;
    json_error_t je;
    size_t binlen = 0;
    if (json_unpack_ex(jt, &je, 0, "{s:s, s:s, s:I, s:I}", "name", &name, "hash", &hex,
                       "created_ns", &created, "expires_ns", &expires) != 0 ||
        !name_valid(name) ||
        sodium_hex2bin(t->hash, sizeof t->hash, hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
        binlen != sizeof t->hash) {
        snprintf(err, errlen, "bad token entry: %s", je.text);
        return -1;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->created_ns = created;
    t->expires_ns = expires;
    return 0;
}

static int user_from_json(json_t *ju, user *u, char *err, size_t errlen)
{
    const char *name, *hash;
    json_int_t pid, created = 0;
    json_t *roles, *toks = NULL;
    json_error_t je;
    memset(u, 0, sizeof *u);
    if (json_unpack_ex(ju, &je, 0, "{s:s, s:s, s:I, s:o, s?I, s?o}", "username", &name,
                       "password_hash", &hash, "participant", &pid, "roles", &roles, "created_ns",
                       &created, "tokens", &toks) != 0) {
        snprintf(err, errlen, "bad user entry: %s", je.text);
        return -1;
    }
    if (!name_valid(name) || strlen(hash) >= sizeof u->pwhash || pid < 0 || pid > UINT32_MAX ||
        !json_is_array(roles) || (toks && !json_is_array(toks))) {
        snprintf(err, errlen, "bad user entry \"%.40s\"", name);
        return -1;
    }
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(u->pwhash, sizeof u->pwhash, "%s", hash);
    u->participant = (uint32_t)pid;
    u->created_ns = created;
    size_t i;
    json_t *v;
    json_array_foreach(roles, i, v)
    {
        uint32_t bit;
        if (!json_is_string(v) || auth_roles_parse(json_string_value(v), &bit) != 0) {
            snprintf(err, errlen, "user \"%s\": unknown role", name);
            return -1;
        }
        u->roles |= bit;
    }
    size_t nt = toks ? json_array_size(toks) : 0;
    u->tokens = nt ? calloc(nt, sizeof *u->tokens) : NULL;
    json_array_foreach(toks, i, v)
    {
        if (token_from_json(v, &u->tokens[i], err, errlen) != 0) return -1;
        u->ntokens++;
    }
    return 0;
}

static int users_load(auth *a, char *err, size_t errlen)
{
    json_error_t je;
    bool missing;
    json_t *doc = jsonin_load_file(a->path, 0, &je, &missing); /* depth-checked, jsonin.h */
    if (!doc) {
        if (missing) return 0; /* no file yet: no users */
        snprintf(err, errlen, "%s: %s (line %d)", a->path, je.text, je.line);
        return -1;
    }
    json_t *arr = json_object_get(doc, "users");
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "%s: no \"users\" array", a->path);
        json_decref(doc);
        return -1;
    }
    a->capusers = (int)json_array_size(arr) + 8;
    a->users = calloc((size_t)a->capusers, sizeof *a->users);
    size_t i;
    json_t *ju;
    json_array_foreach(arr, i, ju)
    {
        user *u = &a->users[a->nusers];
        int rc = user_from_json(ju, u, err, errlen);
        if (rc == 0 && store_user_find(a, u->name)) {
            snprintf(err, errlen, "%s: user \"%s\" appears twice", a->path, u->name);
            rc = -1;
        }
        if (rc != 0) {
            free(u->tokens);
            json_decref(doc);
            return -1;
        }
        a->nusers++;
    }
    json_decref(doc);
    return 0;
}

/* ---- lifecycle -------------------------------------------------------- */

void auth_options_default(auth_options *o)
{
    memset(o, 0, sizeof *o);
    o->session_ttl_s = 28800;
    o->sessions_per_user = 16;
    o->max_sessions = 100000;
    o->max_failures = 5;
    o->max_address_failures = 50;
    o->sweep_ms = 1000;
}

auth *auth_open(const auth_options *o, char *err, size_t errlen)
{
    const char *data_dir = o->data_dir;
    if (sodium_init() < 0) { /* safe to call again; it initialises once */
        snprintf(err, errlen, "libsodium could not initialise");
        return NULL;
    }
    if (!data_dir || strlen(data_dir) + 12 >= sizeof(((auth *)0)->dir)) {
        snprintf(err, errlen, "data directory name missing or too long");
        return NULL;
    }
    auth *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(a->dir, sizeof a->dir, "%s", data_dir);
    snprintf(a->path, sizeof a->path, "%s/users.json", data_dir);
    auth_options_default(&a->o);
    a->o.data_dir = a->dir;
    a->o.log = o->log;
    a->o.sync = o->sync;
    a->o.sync_ctx = o->sync_ctx;
    if (o->session_ttl_s > 0) a->o.session_ttl_s = o->session_ttl_s;
    if (o->sessions_per_user > 0) a->o.sessions_per_user = o->sessions_per_user;
    if (o->max_sessions > 0) a->o.max_sessions = o->max_sessions;
    if (o->max_failures > 0) a->o.max_failures = o->max_failures;
    if (o->max_address_failures > 0) a->o.max_address_failures = o->max_address_failures;
    if (o->sweep_ms > 0) a->o.sweep_ms = o->sweep_ms;
    a->next_cred = 1;
    a->swept_ns = store_now();
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->wmu, NULL);
    pthread_mutex_init(&a->hash_mu, NULL);
    pthread_cond_init(&a->hash_cv, NULL);
    pthread_mutex_init(&a->lmu, NULL);
    store_throttle_open(a);
    if (err && errlen) err[0] = 0;
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
        auth_close(a);
        return NULL;
    }
    if (users_load(a, err, errlen) != 0) {
        auth_close(a);
        return NULL;
    }
    for (int i = 0; i < a->nusers; i++)
        for (int k = 0; k < a->users[i].ntokens; k++) a->users[i].tokens[k].id = a->next_cred++;
    if (!a->pairs || !a->addrs || store_sweeper_start(a) != 0) {
        snprintf(err, errlen, "out of memory or threads");
        auth_close(a);
        return NULL;
    }
    return a;
}

void auth_close(auth *a)
{
    if (!a) return;
    store_sweeper_stop(a);
    for (int i = 0; i < a->nusers; i++) free(a->users[i].tokens);
    free(a->users);
    sodium_memzero(a->sessions, sizeof *a->sessions * (size_t)a->nsessions);
    free(a->sessions);
    free(a->tix);
    throttle_free(a->pairs);
    throttle_free(a->addrs);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->wmu);
    pthread_mutex_destroy(&a->hash_mu);
    pthread_cond_destroy(&a->hash_cv);
    pthread_mutex_destroy(&a->lmu);
    free(a);
}

void auth_get_stats(auth *a, auth_stats *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    out->sessions = (uint64_t)a->nsessions;
    pthread_mutex_unlock(&a->mu);
}

/* ---- listeners ---------------------------------------------------------- */

int auth_listen(auth *a, auth_listener_fn fn, void *ctx)
{
    pthread_mutex_lock(&a->lmu);
    int rc = -1;
    if (a->nlisteners < AUTH_MAX_LISTENERS) {
        a->listeners[a->nlisteners].fn = fn;
        a->listeners[a->nlisteners].ctx = ctx;
        a->nlisteners++;
        rc = 0;
    }
    pthread_mutex_unlock(&a->lmu);
    return rc;
}

void auth_unlisten(auth *a, auth_listener_fn fn, void *ctx)
{
    pthread_mutex_lock(&a->lmu); /* waits for a notification in progress */
    for (int i = 0; i < a->nlisteners; i++)
        if (a->listeners[i].fn == fn && a->listeners[i].ctx == ctx) {
            a->listeners[i] = a->listeners[--a->nlisteners];
            break;
        }
    pthread_mutex_unlock(&a->lmu);
}

void notices_add(notices *ns, auth_end why, const char *name, uint64_t cred)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 8;
        auth_notice *v = realloc(ns->v, cap * sizeof *v);
        if (!v) return; /* the listeners still learn of it: their own checks and the sweep */
        ns->v = v;
        ns->cap = cap;
    }
    auth_notice *n = &ns->v[ns->n++];
    memset(n, 0, sizeof *n);
    n->why = why;
    snprintf(n->user, sizeof n->user, "%s", name);
    n->cred = cred;
}

void store_notify(auth *a, notices *ns)
{
    if (ns->n) {
        pthread_mutex_lock(&a->lmu);
        for (int i = 0; i < a->nlisteners; i++)
            a->listeners[i].fn(a->listeners[i].ctx, ns->v, ns->n);
        pthread_mutex_unlock(&a->lmu);
    }
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

static const struct {
    const char *name, *message;
} end_text[AUTH_END_COUNT] = {
    [AUTH_END_LOGOUT] = {"logout", "the session was logged out"},
    [AUTH_END_EXPIRED] = {"expired", "the token has expired: log in again"},
    [AUTH_END_SESSION_LIMIT] = {"session_limit",
                                "a newer login of this user ended its oldest session"},
    [AUTH_END_TOKEN_DELETED] = {"token_deleted", "the API token was deleted"},
    [AUTH_END_PASSWORD_RESET] = {"password_reset",
                                 "the user's password was changed: log in with the new one"},
    [AUTH_END_MOVED] = {"participant_changed",
                        "the user was moved to another participant: log in again"},
    [AUTH_END_ROLES_REDUCED] = {"roles_reduced", "a role was taken from the user: log in again"},
    [AUTH_END_USER_DELETED] = {"user_deleted", "the user was deleted"},
};

const char *auth_end_name(auth_end why)
{
    return why > 0 && why < AUTH_END_COUNT ? end_text[why].name : "ended";
}

const char *auth_end_message(auth_end why)
{
    return why > 0 && why < AUTH_END_COUNT ? end_text[why].message : "the credential ended";
}

/* ---- users ------------------------------------------------------------ */

/* argon2id is slow and takes 64 MiB on purpose; run few at once. */
static void hasher_enter(auth *a)
{
    pthread_mutex_lock(&a->hash_mu);
    while (a->hashing >= AUTH_HASHERS) pthread_cond_wait(&a->hash_cv, &a->hash_mu);
    a->hashing++;
    pthread_mutex_unlock(&a->hash_mu);
}

static void hasher_leave(auth *a)
{
    pthread_mutex_lock(&a->hash_mu);
    a->hashing--;
    pthread_cond_signal(&a->hash_cv);
    pthread_mutex_unlock(&a->hash_mu);
}

int store_password_hash(auth *a, const char *password, char out[crypto_pwhash_STRBYTES])
{
    hasher_enter(a);
    int rc = crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    hasher_leave(a);
    return rc;
}

bool store_password_verify(auth *a, const char *hash, const char *password)
{
    hasher_enter(a);
    bool ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    hasher_leave(a);
    return ok;
}

/* Under mu: end (count and notice) every API token of u; the array itself
 * is the caller's to free once the file says so. */
static void tokens_end(auth *a, const user *u, auth_end why, notices *ns)
{
    int64_t now = store_now();
    for (int k = 0; k < u->ntokens; k++)
        if (u->tokens[k].expires_ns > now) {
            a->st.ended[why]++;
            notices_add(ns, why, u->name, u->tokens[k].id);
        }
}

/* What replacing old by (participant, roles, new password or not) ends, the
 * strongest reason first; 0 when nothing. */
static auth_end replace_ends(const user *old, uint32_t participant, uint32_t roles,
                             bool same_password)
{
    if (!same_password) return AUTH_END_PASSWORD_RESET;
    if (old->participant != participant) return AUTH_END_MOVED;
    if (roles_effective(old->roles) & ~roles_effective(roles)) return AUTH_END_ROLES_REDUCED;
    return 0;
}

int auth_user_put(auth *a, const char *name, const char *password, uint32_t participant,
                  uint32_t roles, char *err, size_t errlen)
{
    if (!name_valid(name)) {
        snprintf(err, errlen, "user name must be 1-%d of letters, digits, '.', '_', '-'",
                 AUTH_NAME_MAX);
        return AUTH_E_INVALID;
    }
    size_t plen = password ? strlen(password) : 0;
    if (plen < AUTH_PASSWORD_MIN || plen > AUTH_PASSWORD_MAX) {
        snprintf(err, errlen, "password must be %d to %d bytes", AUTH_PASSWORD_MIN,
                 AUTH_PASSWORD_MAX);
        return AUTH_E_INVALID;
    }
    if (roles & ~((1u << NROLES) - 1)) {
        snprintf(err, errlen, "unknown role bits");
        return AUTH_E_INVALID;
    }
    /* Is it the password the user has now? Then nothing made with it ends
     * and the stored hash stays (a login verifying it meanwhile succeeds). */
    char old_hash[crypto_pwhash_STRBYTES] = "", hash[crypto_pwhash_STRBYTES];
    pthread_mutex_lock(&a->mu);
    user *u = store_user_find(a, name);
    if (u) memcpy(old_hash, u->pwhash, sizeof old_hash);
    pthread_mutex_unlock(&a->mu);
    bool same_password = old_hash[0] && store_password_verify(a, old_hash, password);
    if (!same_password && store_password_hash(a, password, hash) != 0) {
        snprintf(err, errlen, "password hashing failed (out of memory)");
        return AUTH_E_INVALID;
    }
    if (same_password) memcpy(hash, old_hash, sizeof hash);

    notices ns = {0};
    pthread_mutex_lock(&a->wmu);
    pthread_mutex_lock(&a->mu);
    u = store_user_find(a, name);
    user saved = {0};
    bool fresh = !u;
    if (fresh) {
        if (a->nusers == a->capusers) {
            int cap = a->capusers ? 2 * a->capusers : 16;
            user *nu = realloc(a->users, (size_t)cap * sizeof *nu);
            if (!nu) {
                pthread_mutex_unlock(&a->mu);
                pthread_mutex_unlock(&a->wmu);
                snprintf(err, errlen, "out of memory");
                return AUTH_E_INVALID;
            }
            a->users = nu;
            a->capusers = cap;
        }
        u = &a->users[a->nusers++];
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", name);
        u->created_ns = store_now();
    } else {
        saved = *u;
    }
    /* replaced meanwhile by someone else: not the password we checked */
    auth_end ends = fresh ? 0
                          : replace_ends(u, participant, roles,
                                         same_password && strcmp(u->pwhash, old_hash) == 0);
    snprintf(u->pwhash, sizeof u->pwhash, "%s", hash);
    /* A new password or another participant: API tokens made before must
     * not outlive the change. */
    bool drop_tokens = ends == AUTH_END_PASSWORD_RESET || ends == AUTH_END_MOVED;
    if (drop_tokens) u->ntokens = 0;
    u->participant = participant;
    u->roles = roles;
    int rc = users_save(a, err, errlen);
    if (rc != 0) { /* keep memory equal to the file */
        rc = AUTH_E_UNWRITTEN;
        if (fresh)
            a->nusers--;
        else
            *u = saved;
    } else if (ends) {
        if (drop_tokens) {
            tokens_end(a, &saved, ends, &ns);
            free(u->tokens);
            u->tokens = NULL;
        }
        store_sessions_end_user(a, name, ends, &ns);
        notices_add(&ns, ends, name, 0);
    }
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_unlock(&a->wmu);
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(old_hash, sizeof old_hash);
    if (rc == 0)
        store_log(a, LV_INFO, "msg=\"user %s\" user=%s participant=%u%s%s",
                  fresh ? "created" : "replaced", name, participant, ends ? " ended=" : "",
                  ends ? auth_end_name(ends) : "");
    store_notify(a, &ns);
    return rc;
}

int auth_user_delete(auth *a, const char *name, char *err, size_t errlen)
{
    notices ns = {0};
    pthread_mutex_lock(&a->wmu);
    pthread_mutex_lock(&a->mu);
    user *u = name ? store_user_find(a, name) : NULL;
    if (!u) {
        pthread_mutex_unlock(&a->mu);
        pthread_mutex_unlock(&a->wmu);
        snprintf(err, errlen, "no such user");
        return AUTH_E_INVALID;
    }
    int i = (int)(u - a->users);
    user gone = *u;
    memmove(&a->users[i], &a->users[i + 1], (size_t)(a->nusers - i - 1) * sizeof *u);
    a->nusers--;
    if (users_save(a, err, errlen) != 0) { /* put it back where it was */
        memmove(&a->users[i + 1], &a->users[i], (size_t)(a->nusers - i) * sizeof *u);
        a->users[i] = gone;
        a->nusers++;
        pthread_mutex_unlock(&a->mu);
        pthread_mutex_unlock(&a->wmu);
        return AUTH_E_UNWRITTEN;
    }
    tokens_end(a, &gone, AUTH_END_USER_DELETED, &ns);
    free(gone.tokens);
    store_sessions_end_user(a, gone.name, AUTH_END_USER_DELETED, &ns);
    notices_add(&ns, AUTH_END_USER_DELETED, gone.name, 0);
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_unlock(&a->wmu);
    sodium_memzero(gone.pwhash, sizeof gone.pwhash);
    store_log(a, LV_INFO, "msg=\"user deleted\" user=%s participant=%u", gone.name,
              gone.participant);
    store_notify(a, &ns);
    return 0;
}

bool auth_has_users(auth *a)
{
    pthread_mutex_lock(&a->mu);
    bool any = a->nusers > 0;
    pthread_mutex_unlock(&a->mu);
    return any;
}

bool auth_user_exists(auth *a, const char *name)
{
    pthread_mutex_lock(&a->mu);
    bool found = store_user_find(a, name) != NULL;
    pthread_mutex_unlock(&a->mu);
    return found;
}

static json_t *user_public_json(const user *u)
{
    return json_pack("{s:s, s:I, s:o}", "username", u->name, "participant",
                     (json_int_t)u->participant, "roles", roles_json(u->roles));
}

json_t *auth_users_json(auth *a)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->nusers; i++) json_array_append_new(arr, user_public_json(&a->users[i]));
    pthread_mutex_unlock(&a->mu);
    return arr;
}

json_t *auth_user_json(auth *a, const char *name)
{
    pthread_mutex_lock(&a->mu);
    user *u = store_user_find(a, name);
    json_t *j = u ? user_public_json(u) : NULL;
    pthread_mutex_unlock(&a->mu);
    return j;
}

void store_principal_of(const user *u, principal *p)
{
    memset(p, 0, sizeof *p);
    p->authenticated = true;
    snprintf(p->user, sizeof p->user, "%s", u->name);
    p->participant = u->participant;
    p->roles = roles_effective(u->roles);
}

/* ---- tokens --------------------------------------------------------------- */

static void found_session(const session *s, const user *u, principal *out, auth_token_info *info)
{
    store_principal_of(u, out);
    if (info) {
        info->expires_ns = s->expires_ns;
        info->cred = s->id;
    }
}

static void found_token(const api_token *t, const user *u, principal *out, auth_token_info *info)
{
    store_principal_of(u, out);
    if (info) {
        info->api = true;
        snprintf(info->name, sizeof info->name, "%s", t->name);
        info->expires_ns = t->expires_ns;
        info->cred = t->id;
    }
}

/* One probe of the credential index for the hash th. */
static bool tix_lookup(auth *a, const uint8_t *th, int64_t now, principal *out,
                       auth_token_info *info)
{
    size_t m = a->tix_cap - 1;
    uint64_t key = tix_key(th);
    for (size_t p = key & m; a->tix[p].key; p = (p + 1) & m) {
        const tix_ent *e = &a->tix[p];
        if (e->key != key || e->by_id) continue;
        if (e->k < 0) {
            if (e->i >= a->nsessions) continue; /* cannot be: the index follows every removal */
            const session *s = &a->sessions[e->i];
            if (sodium_memcmp(s->hash, th, crypto_generichash_BYTES) != 0) continue;
            if (s->expires_ns <= now) return false;
            user *u = e->u >= 0 && e->u < a->nusers && strcmp(a->users[e->u].name, s->user) == 0
                          ? &a->users[e->u]
                          : store_user_find(a, s->user);
            if (!u) return false;
            found_session(s, u, out, info);
            return true;
        }
        if (e->i >= a->nusers || e->k >= a->users[e->i].ntokens) continue; /* nor this */
        const user *u = &a->users[e->i];
        const api_token *t = &u->tokens[e->k];
        if (sodium_memcmp(t->hash, th, crypto_generichash_BYTES) != 0) continue;
        if (t->expires_ns <= now) return false;
        found_token(t, u, out, info);
        return true;
    }
    return false;
}

bool auth_token_lookup(auth *a, const char *token, principal *out, auth_token_info *info)
{
    memset(out, 0, sizeof *out);
    if (info) memset(info, 0, sizeof *info);
    if (!token || strlen(token) != AUTH_TOKEN_HEX) return false;
    uint8_t th[crypto_generichash_BYTES];
    store_token_hash(token, th);
    int64_t now = store_now();
    bool found = false;
    pthread_mutex_lock(&a->mu);
    if ((!a->tix_stale && a->tix) || tix_build(a)) {
        found = tix_lookup(a, th, now, out, info);
        pthread_mutex_unlock(&a->mu);
        return found;
    }
    for (int i = 0; i < a->nsessions && !found; i++) {
        const session *s = &a->sessions[i];
        if (s->expires_ns > now && sodium_memcmp(s->hash, th, sizeof th) == 0) {
            user *u = store_user_find(a, s->user);
            if (u) {
                found_session(s, u, out, info);
                found = true;
            }
        }
    }
    for (int i = 0; i < a->nusers && !found; i++) {
        const user *u = &a->users[i];
        for (int k = 0; k < u->ntokens; k++) {
            const api_token *t = &u->tokens[k];
            if (t->expires_ns > now && sodium_memcmp(t->hash, th, sizeof th) == 0) {
                found_token(t, u, out, info);
                found = true;
                break;
            }
        }
    }
    pthread_mutex_unlock(&a->mu);
    return found;
}

bool auth_token_check(auth *a, const char *token, principal *out)
{
    return auth_token_lookup(a, token, out, NULL);
}

bool auth_cred_check(auth *a, uint64_t cred, principal *out)
{
    principal p;
    memset(&p, 0, sizeof p);
    int64_t now = store_now();
    bool found = false;
    pthread_mutex_lock(&a->mu);
    if (cred && ((!a->tix_stale && a->tix) || tix_build(a))) {
        size_t m = a->tix_cap - 1;
        uint64_t key = tix_id_key(cred);
        for (size_t p2 = key & m; a->tix[p2].key && !found; p2 = (p2 + 1) & m) {
            const tix_ent *e = &a->tix[p2];
            if (e->key != key || !e->by_id) continue;
            if (e->k < 0) {
                if (e->i >= a->nsessions) continue; /* cannot be */
                const session *s = &a->sessions[e->i];
                if (s->id != cred) continue;
                user *u = s->expires_ns > now ? store_user_find(a, s->user) : NULL;
                if (u) store_principal_of(u, &p);
                found = u != NULL;
                break;
            }
            if (e->i >= a->nusers || e->k >= a->users[e->i].ntokens) continue; /* nor this */
            const api_token *t = &a->users[e->i].tokens[e->k];
            if (t->id != cred) continue;
            if (t->expires_ns > now) store_principal_of(&a->users[e->i], &p);
            found = t->expires_ns > now;
            break;
        }
        pthread_mutex_unlock(&a->mu);
        if (out) *out = p;
        return found;
    }
    for (int i = 0; cred && i < a->nsessions && !found; i++) { /* no index: out of memory */
        const session *s = &a->sessions[i];
        if (s->id == cred && s->expires_ns > now) {
            user *u = store_user_find(a, s->user);
            if (u) {
                store_principal_of(u, &p);
                found = true;
            }
        }
    }
    for (int i = 0; cred && i < a->nusers && !found; i++)
        for (int k = 0; k < a->users[i].ntokens && !found; k++)
            if (a->users[i].tokens[k].id == cred && a->users[i].tokens[k].expires_ns > now) {
                store_principal_of(&a->users[i], &p);
                found = true;
            }
    pthread_mutex_unlock(&a->mu);
    if (out) *out = p;
    return found;
}

int auth_token_create(auth *a, const char *name, const char *tname, int ttl_days,
                      char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, char *err, size_t errlen)
{
    if (!name_valid(tname)) {
        snprintf(err, errlen, "token name must be 1-%d of letters, digits, '.', '_', '-'",
                 AUTH_NAME_MAX);
        return AUTH_E_INVALID;
    }
    if (ttl_days < 1 || ttl_days > 3650) {
        snprintf(err, errlen, "ttl_days must be 1 to 3650");
        return AUTH_E_INVALID;
    }
    pthread_mutex_lock(&a->wmu);
    pthread_mutex_lock(&a->mu);
    user *u = store_user_find(a, name);
    int rc = AUTH_E_INVALID;
    if (!u) {
        snprintf(err, errlen, "no such user");
        goto out;
    }
    for (int k = 0; k < u->ntokens; k++)
        if (strcmp(u->tokens[k].name, tname) == 0) {
            snprintf(err, errlen, "a token named \"%s\" exists", tname);
            goto out;
        }
    if (u->ntokens == AUTH_MAX_TOKENS) {
        snprintf(err, errlen, "at most %d API tokens per user", AUTH_MAX_TOKENS);
        goto out;
    }
    api_token *nt = realloc(u->tokens, (size_t)(u->ntokens + 1) * sizeof *nt);
    if (!nt) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    u->tokens = nt;
    api_token *t = &u->tokens[u->ntokens++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", tname);
    store_token_new(token);
    store_token_hash(token, t->hash);
    t->created_ns = store_now();
    t->expires_ns = t->created_ns + (int64_t)ttl_days * 86400 * 1000000000;
    t->id = a->next_cred++;
    *expires_ns = t->expires_ns;
    rc = users_save(a, err, errlen);
    if (rc != 0) {
        rc = AUTH_E_UNWRITTEN;
        u->ntokens--;
        sodium_memzero(token, AUTH_TOKEN_HEX + 1);
    }
out:
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_unlock(&a->wmu);
    if (rc == 0) store_log(a, LV_INFO, "msg=\"api token created\" user=%s name=%s", name, tname);
    return rc;
}

json_t *auth_tokens_json(auth *a, const char *name)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&a->mu);
    user *u = store_user_find(a, name);
    int64_t now = store_now();
    for (int k = 0; u && k < u->ntokens; k++) {
        char c[32], e[32];
        auth_fmt_time(u->tokens[k].created_ns, c, sizeof c);
        auth_fmt_time(u->tokens[k].expires_ns, e, sizeof e);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "name", u->tokens[k].name,
                                             "created_at", c, "expires_at", e, "expired",
                                             u->tokens[k].expires_ns <= now));
    }
    pthread_mutex_unlock(&a->mu);
    return arr;
}

int auth_token_delete(auth *a, const char *name, const char *tname)
{
    char err[256];
    int rc = AUTH_E_INVALID;
    notices ns = {0};
    pthread_mutex_lock(&a->wmu);
    pthread_mutex_lock(&a->mu);
    user *u = store_user_find(a, name);
    for (int k = 0; u && k < u->ntokens; k++) {
        if (strcmp(u->tokens[k].name, tname) != 0) continue;
        api_token gone = u->tokens[k];
        u->tokens[k] = u->tokens[--u->ntokens];
        rc = users_save(a, err, sizeof err);
        if (rc != 0) { /* put it back: memory stays equal to the file */
            u->tokens[u->ntokens++] = u->tokens[k];
            u->tokens[k] = gone;
            store_log(a, LV_ERROR, "msg=\"token delete not saved\" error=%s", log_q(err));
            rc = AUTH_E_UNWRITTEN;
        } else {
            a->st.ended[AUTH_END_TOKEN_DELETED]++;
            notices_add(&ns, AUTH_END_TOKEN_DELETED, u->name, gone.id);
        }
        break;
    }
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_unlock(&a->wmu);
    if (rc == 0) store_log(a, LV_INFO, "msg=\"api token deleted\" user=%s name=%s", name, tname);
    store_notify(a, &ns);
    return rc;
}
