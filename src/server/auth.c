/* auth.c -- users, roles, passwords, tokens, and slowing down guessers.
 *
 * Users live in memory and in <data_dir>/users.json, which is rewritten
 * whole on every change (temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves the old file or the new one, never half.
 * Passwords are stored as argon2id strings (libsodium's crypto_pwhash_str,
 * "interactive" limits); tokens are 32 random bytes shown to the client once
 * as hex, and only their BLAKE2b hash is kept. Tokens are found by comparing
 * hashes in constant time (sodium_memcmp) over the live ones.
 *
 * Session tokens live in memory only: a restart logs everyone out, which is
 * what an operator restarting an exchange wants anyway. API tokens are for
 * programs and persist (hashed) in users.json with name, owner and expiry.
 * A token's rights are looked up at every use, so changing a user's roles or
 * participant takes effect at once for all of that user's tokens.
 *
 * Failed logins are counted per user name and per client address within a
 * window (15 min): each failure is answered after 2^(n-1) x 100 ms (at most
 * 2 s), and from login_max_failures on, the answer is 429 until the window
 * has passed. A success clears both counts.
 *
 * One mutex guards everything; the slow parts (argon2id, the failure delay)
 * run outside it. At most AUTH_HASHERS hashes run at once, because each one
 * takes 64 MiB.
 */
#include "auth.h"

#include <civetweb.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth_int.h"
#include "http.h"
#include "jsonin.h"
#include "log.h"
#include "throttle.h"

#define AUTH_HASHERS 2
#define AUTH_MAX_SESSIONS 100000
#define AUTH_MAX_TOKENS 64 /* API tokens per user */

typedef struct api_token {
    char name[AUTH_NAME_MAX + 1];
    uint8_t hash[crypto_generichash_BYTES];
    int64_t created_ns, expires_ns;
} api_token;

typedef struct user {
    char name[AUTH_NAME_MAX + 1];
    char pwhash[crypto_pwhash_STRBYTES];
    uint32_t participant, roles;
    int64_t created_ns;
    api_token *tokens;
    int ntokens;
} user;

typedef struct session {
    uint8_t hash[crypto_generichash_BYTES];
    char user[AUTH_NAME_MAX + 1];
    int64_t expires_ns;
} session;

struct auth {
    pthread_mutex_t mu;
    char path[1100], dir[1024];
    int session_ttl_s;
    user *users;
    int nusers, capusers;
    session *sessions;
    int nsessions, capsessions;
    throttle *limit; /* failed logins per "u:<name>" and "a:<address>" */
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown users */

    pthread_mutex_t hash_mu;
    pthread_cond_t hash_cv;
    int hashing;
};

static const char *role_names[] = {"view", "trade", "funds", "compliance", "authority", "admin"};
#define NROLES ((int)(sizeof role_names / sizeof role_names[0]))

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    struct timespec t = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
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
    if (n < 1 || n > AUTH_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static void token_hash(const char *token, uint8_t out[crypto_generichash_BYTES])
{
    crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token,
                       strlen(token), NULL, 0);
}

static void token_new(char hex[AUTH_TOKEN_HEX + 1])
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
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e == p)
            break;
        int i = 0;
        while (i < NROLES && !(strlen(role_names[i]) == (size_t)(e - p) &&
                               memcmp(role_names[i], p, (size_t)(e - p)) == 0))
            i++;
        if (i == NROLES)
            return -1;
        bits |= 1u << i;
        p = e;
    }
    *roles = bits;
    return 0;
}

void auth_roles_format(uint32_t roles, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (int i = 0; i < NROLES; i++) {
        if (!(roles & (1u << i)))
            continue;
        int w = snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? "," : "", role_names[i]);
        if (w < 0 || (size_t)w >= (len > n ? len - n : 0))
            return;
        n += (size_t)w;
    }
}

static json_t *roles_json(uint32_t roles)
{
    json_t *arr = json_array();
    for (int i = 0; i < NROLES; i++)
        if (roles & (1u << i))
            json_array_append_new(arr, json_string(role_names[i]));
    return arr;
}

/* The rights a user's roles give: trade and admin both include view. */
static uint32_t roles_effective(uint32_t roles)
{
    if (roles & (ROLE_TRADE | ROLE_ADMIN))
        roles |= ROLE_VIEW;
    return roles;
}

/* ---- the users file --------------------------------------------------- */

static user *user_find(auth *a, const char *name)
{
    for (int i = 0; i < a->nusers; i++)
        if (strcmp(a->users[i].name, name) == 0)
            return &a->users[i];
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
            json_array_append_new(toks, json_pack("{s:s, s:s, s:I, s:I}", "name",
                                                  u->tokens[k].name, "hash", hex, "created_ns",
                                                  (json_int_t)u->tokens[k].created_ns,
                                                  "expires_ns",
                                                  (json_int_t)u->tokens[k].expires_ns));
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o, s:I, s:o}", "username",
                                             u->name, "password_hash", u->pwhash, "participant",
                                             (json_int_t)u->participant, "roles",
                                             roles_json(u->roles), "created_ns",
                                             (json_int_t)u->created_ns, "tokens", toks));
    }
    return json_pack("{s:i, s:o}", "version", 1, "users", arr);
}

/* Write users.json atomically; called with a->mu held. 0, or AUTH_E_STORE
 * (logged) when the file could not be written. */
static int users_save(auth *a, char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->path);
    json_t *doc = users_file_json(a);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        log_error("auth", "msg=\"users file not written\" error=%s", log_q(err));
        json_decref(doc);
        return AUTH_E_STORE;
    }
    int rc = json_dumpfd(doc, fd, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(doc);
    if (rc == 0 && fsync(fd) != 0)
        rc = -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, a->path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", a->path, strerror(errno));
        log_error("auth", "msg=\"users file not written\" error=%s", log_q(err));
        unlink(tmp);
        return AUTH_E_STORE;
    }
    int dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
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
                       "password_hash", &hash, "participant", &pid, "roles", &roles,
                       "created_ns", &created, "tokens", &toks) != 0) {
        snprintf(err, errlen, "bad user entry: %s", je.text);
        return -1;
    }
    if (!name_valid(name) || strlen(hash) >= sizeof u->pwhash || pid < 0 ||
        pid > UINT32_MAX || !json_is_array(roles) || (toks && !json_is_array(toks))) {
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
        if (token_from_json(v, &u->tokens[i], err, errlen) != 0)
            return -1;
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
        if (missing)
            return 0; /* no file yet: no users */
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
        if (rc == 0 && user_find(a, u->name)) {
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

auth *auth_open(const char *data_dir, int session_ttl_s, int max_failures, char *err,
                size_t errlen)
{
    if (sodium_init() < 0) { /* safe to call again; it initialises once */
        snprintf(err, errlen, "libsodium could not initialise");
        return NULL;
    }
    if (!data_dir || strlen(data_dir) + 12 >= sizeof(((auth *)0)->dir)) {
        snprintf(err, errlen, "data directory name missing or too long");
        return NULL;
    }
    auth *a = calloc(1, sizeof *a);
    snprintf(a->dir, sizeof a->dir, "%s", data_dir);
    snprintf(a->path, sizeof a->path, "%s/users.json", data_dir);
    a->session_ttl_s = session_ttl_s > 0 ? session_ttl_s : 28800;
    a->limit = throttle_new(max_failures, (int64_t)15 * 60 * 1000000000, 100000000, 2000000000);
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->hash_mu, NULL);
    pthread_cond_init(&a->hash_cv, NULL);
    if (err && errlen)
        err[0] = 0;
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
        auth_close(a);
        return NULL;
    }
    if (users_load(a, err, errlen) != 0) {
        auth_close(a);
        return NULL;
    }
    return a;
}

void auth_close(auth *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->nusers; i++)
        free(a->users[i].tokens);
    free(a->users);
    sodium_memzero(a->sessions, sizeof *a->sessions * (size_t)a->nsessions);
    free(a->sessions);
    throttle_free(a->limit);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->hash_mu);
    pthread_cond_destroy(&a->hash_cv);
    free(a);
}

void auth_set_failure_policy(auth *a, int window_ms, int delay_base_ms, int delay_cap_ms)
{
    pthread_mutex_lock(&a->mu);
    throttle_policy(a->limit, (int64_t)window_ms * 1000000, (int64_t)delay_base_ms * 1000000,
                    (int64_t)delay_cap_ms * 1000000);
    pthread_mutex_unlock(&a->mu);
}

/* ---- users ------------------------------------------------------------ */

/* argon2id is slow and takes 64 MiB on purpose; run few at once. */
static void hasher_enter(auth *a)
{
    pthread_mutex_lock(&a->hash_mu);
    while (a->hashing >= AUTH_HASHERS)
        pthread_cond_wait(&a->hash_cv, &a->hash_mu);
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

static int password_hash(auth *a, const char *password, char out[crypto_pwhash_STRBYTES])
{
    hasher_enter(a);
    int rc = crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    hasher_leave(a);
    return rc;
}

static bool password_verify(auth *a, const char *hash, const char *password)
{
    hasher_enter(a);
    bool ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    hasher_leave(a);
    return ok;
}

int auth_user_put(auth *a, const char *name, const char *password, uint32_t participant,
                  uint32_t roles, char *err, size_t errlen)
{
    if (!name_valid(name)) {
        snprintf(err, errlen, "user name must be 1-%d of letters, digits, '.', '_', '-'",
                 AUTH_NAME_MAX);
        return -1;
    }
    size_t plen = password ? strlen(password) : 0;
    if (plen < AUTH_PASSWORD_MIN || plen > AUTH_PASSWORD_MAX) {
        snprintf(err, errlen, "password must be %d to %d bytes", AUTH_PASSWORD_MIN,
                 AUTH_PASSWORD_MAX);
        return -1;
    }
    if (roles & ~((1u << NROLES) - 1)) {
        snprintf(err, errlen, "unknown role bits");
        return -1;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (password_hash(a, password, hash) != 0) {
        snprintf(err, errlen, "password hashing failed (out of memory)");
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    user *u = user_find(a, name);
    user saved = {0};
    bool fresh = !u;
    if (fresh) {
        if (a->nusers == a->capusers) {
            int cap = a->capusers ? 2 * a->capusers : 16;
            user *nu = realloc(a->users, (size_t)cap * sizeof *nu);
            if (!nu) {
                pthread_mutex_unlock(&a->mu);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            a->users = nu;
            a->capusers = cap;
        }
        u = &a->users[a->nusers++];
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", name);
        u->created_ns = now_ns();
    } else {
        saved = *u;
    }
    snprintf(u->pwhash, sizeof u->pwhash, "%s", hash);
    /* A user moved to another participant must not keep tokens that were
     * made for the old one. */
    bool moved = !fresh && u->participant != participant;
    if (moved)
        u->ntokens = 0;
    u->participant = participant;
    u->roles = roles;
    int rc = users_save(a, err, errlen);
    if (rc != 0) { /* keep memory equal to the file */
        if (fresh)
            a->nusers--;
        else
            *u = saved;
    } else if (moved) {
        free(u->tokens);
        u->tokens = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    sodium_memzero(hash, sizeof hash);
    if (rc == 0)
        log_info("auth", "msg=\"user %s\" user=%s participant=%u", fresh ? "created" : "replaced",
                 log_q(name), participant);
    return rc;
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
    bool found = user_find(a, name) != NULL;
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
    for (int i = 0; i < a->nusers; i++)
        json_array_append_new(arr, user_public_json(&a->users[i]));
    pthread_mutex_unlock(&a->mu);
    return arr;
}

json_t *auth_user_json(auth *a, const char *name)
{
    pthread_mutex_lock(&a->mu);
    user *u = user_find(a, name);
    json_t *j = u ? user_public_json(u) : NULL;
    pthread_mutex_unlock(&a->mu);
    return j;
}

static void principal_of(const user *u, principal *p)
{
    memset(p, 0, sizeof *p);
    p->authenticated = true;
    snprintf(p->user, sizeof p->user, "%s", u->name);
    p->participant = u->participant;
    p->roles = roles_effective(u->roles);
}

/* ---- sessions and tokens ---------------------------------------------- */

static void sessions_purge(auth *a, int64_t now)
{
    for (int i = 0; i < a->nsessions;)
        if (a->sessions[i].expires_ns <= now)
            a->sessions[i] = a->sessions[--a->nsessions];
        else
            i++;
}

static int session_add(auth *a, const char *name, const uint8_t *hash, int64_t expires)
{
    if (a->nsessions == AUTH_MAX_SESSIONS)
        return -1;
    if (a->nsessions == a->capsessions) {
        int cap = a->capsessions ? 2 * a->capsessions : 64;
        session *ns = realloc(a->sessions, (size_t)cap * sizeof *ns);
        if (!ns)
            return -1;
        a->sessions = ns;
        a->capsessions = cap;
    }
    session *s = &a->sessions[a->nsessions++];
    memcpy(s->hash, hash, sizeof s->hash);
    snprintf(s->user, sizeof s->user, "%s", name);
    s->expires_ns = expires;
    return 0;
}

auth_login_status auth_login(auth *a, const char *name, const char *password, const char *addr,
                             char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, principal *p,
                             int *retry_after_s)
{
    char ukey[80], akey[80], hash[crypto_pwhash_STRBYTES];
    snprintf(ukey, sizeof ukey, "u:%.60s", name ? name : "");
    snprintf(akey, sizeof akey, "a:%.60s", addr ? addr : "");
    if (!password)
        password = "";
    int64_t now = now_ns();

    pthread_mutex_lock(&a->mu);
    int wait_u = throttle_blocked(a->limit, ukey, now);
    int wait_a = throttle_blocked(a->limit, akey, now);
    if (wait_u || wait_a) {
        pthread_mutex_unlock(&a->mu);
        *retry_after_s = wait_u > wait_a ? wait_u : wait_a;
        return AUTH_LOGIN_LIMITED;
    }
    /* An unknown user costs one hash like a known one: the answer's timing
     * must not tell which user names exist. */
    user *u = name ? user_find(a, name) : NULL;
    bool known = u != NULL;
    snprintf(hash, sizeof hash, "%s", u ? u->pwhash : a->dummy_hash);
    pthread_mutex_unlock(&a->mu);

    if (!known && !hash[0]) {
        password_hash(a, "not a password of anyone", hash);
        pthread_mutex_lock(&a->mu);
        memcpy(a->dummy_hash, hash, sizeof hash);
        pthread_mutex_unlock(&a->mu);
    }
    bool ok = password_verify(a, hash, password) && known;

    pthread_mutex_lock(&a->mu);
    u = ok ? user_find(a, name) : NULL; /* it may have been replaced meanwhile */
    if (u && strcmp(u->pwhash, hash) == 0) {
        throttle_clear(a->limit, ukey);
        throttle_clear(a->limit, akey);
        sessions_purge(a, now);
        uint8_t th[crypto_generichash_BYTES];
        token_new(token);
        token_hash(token, th);
        *expires_ns = now + (int64_t)a->session_ttl_s * 1000000000;
        int rc = session_add(a, u->name, th, *expires_ns);
        if (rc == 0)
            principal_of(u, p);
        pthread_mutex_unlock(&a->mu);
        if (rc != 0) {
            sodium_memzero(token, AUTH_TOKEN_HEX + 1);
            *retry_after_s = 60;
            return AUTH_LOGIN_LIMITED; /* session table full */
        }
        log_info("auth", "msg=\"login\" user=%s addr=%s", log_q(p->user), log_q(addr ? addr : ""));
        return AUTH_LOGIN_OK;
    }
    int nu = throttle_fail(a->limit, ukey, now), na = throttle_fail(a->limit, akey, now);
    int n = nu > na ? nu : na;
    int64_t delay = throttle_delay(a->limit, n);
    pthread_mutex_unlock(&a->mu);
    log_warn("auth", "msg=\"login failed\" user=%s addr=%s failures=%d delay_ms=%lld",
             log_q(known ? name : "(unknown)"), log_q(addr ? addr : ""), n,
             (long long)(delay / 1000000));
    sleep_ns(delay);
    return AUTH_LOGIN_BAD;
}

bool auth_logout(auth *a, const char *token)
{
    uint8_t th[crypto_generichash_BYTES];
    token_hash(token, th);
    bool found = false;
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->nsessions; i++)
        if (sodium_memcmp(a->sessions[i].hash, th, sizeof th) == 0) {
            a->sessions[i] = a->sessions[--a->nsessions];
            found = true;
            break;
        }
    pthread_mutex_unlock(&a->mu);
    return found;
}

bool auth_token_lookup(auth *a, const char *token, principal *out, auth_token_info *info)
{
    memset(out, 0, sizeof *out);
    if (info)
        memset(info, 0, sizeof *info);
    if (!token || strlen(token) != AUTH_TOKEN_HEX)
        return false;
    uint8_t th[crypto_generichash_BYTES];
    token_hash(token, th);
    int64_t now = now_ns();
    bool found = false;
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->nsessions && !found; i++) {
        const session *s = &a->sessions[i];
        if (s->expires_ns > now && sodium_memcmp(s->hash, th, sizeof th) == 0) {
            user *u = user_find(a, s->user);
            if (u) {
                principal_of(u, out);
                if (info)
                    info->expires_ns = s->expires_ns;
                found = true;
            }
        }
    }
    for (int i = 0; i < a->nusers && !found; i++) {
        const user *u = &a->users[i];
        for (int k = 0; k < u->ntokens; k++) {
            const api_token *t = &u->tokens[k];
            if (t->expires_ns > now && sodium_memcmp(t->hash, th, sizeof th) == 0) {
                principal_of(u, out);
                if (info) {
                    info->api = true;
                    snprintf(info->name, sizeof info->name, "%s", t->name);
                    info->expires_ns = t->expires_ns;
                }
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

int auth_token_create(auth *a, const char *name, const char *tname, int ttl_days,
                      char token[AUTH_TOKEN_HEX + 1], int64_t *expires_ns, char *err,
                      size_t errlen)
{
    if (!name_valid(tname)) {
        snprintf(err, errlen, "token name must be 1-%d of letters, digits, '.', '_', '-'",
                 AUTH_NAME_MAX);
        return -1;
    }
    if (ttl_days < 1 || ttl_days > 3650) {
        snprintf(err, errlen, "ttl_days must be 1 to 3650");
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    user *u = user_find(a, name);
    int rc = -1;
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
    token_new(token);
    token_hash(token, t->hash);
    t->created_ns = now_ns();
    t->expires_ns = t->created_ns + (int64_t)ttl_days * 86400 * 1000000000;
    *expires_ns = t->expires_ns;
    rc = users_save(a, err, errlen);
    if (rc != 0) {
        u->ntokens--;
        sodium_memzero(token, AUTH_TOKEN_HEX + 1);
    }
out:
    pthread_mutex_unlock(&a->mu);
    if (rc == 0)
        log_info("auth", "msg=\"api token created\" user=%s name=%s", log_q(name), log_q(tname));
    return rc;
}

json_t *auth_tokens_json(auth *a, const char *name)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&a->mu);
    user *u = user_find(a, name);
    int64_t now = now_ns();
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
    int rc = -1;
    pthread_mutex_lock(&a->mu);
    user *u = user_find(a, name);
    for (int k = 0; u && k < u->ntokens; k++) {
        if (strcmp(u->tokens[k].name, tname) != 0)
            continue;
        api_token gone = u->tokens[k];
        u->tokens[k] = u->tokens[--u->ntokens];
        rc = users_save(a, err, sizeof err);
        if (rc != 0) { /* put it back: memory stays equal to the file */
            u->tokens[u->ntokens++] = u->tokens[k];
            u->tokens[k] = gone;
            log_error("auth", "msg=\"token delete not saved\" error=%s", log_q(err));
            rc = AUTH_E_STORE;
        }
        break;
    }
    pthread_mutex_unlock(&a->mu);
    if (rc == 0)
        log_info("auth", "msg=\"api token deleted\" user=%s name=%s", log_q(name), log_q(tname));
    return rc;
}

/* ---- requests --------------------------------------------------------- */

bool auth_bearer(struct mg_connection *conn, char *tok, size_t len)
{
    const char *h = mg_get_header(conn, "Authorization");
    if (!h)
        return false;
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        snprintf(tok, len, "%s", ""); /* present but not a bearer token: invalid */
        return true;
    }
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strcspn(h, " \t\r\n");
    if (n >= len)
        n = 0; /* too long to be one of ours */
    memcpy(tok, h, n);
    tok[n] = 0;
    return true;
}

bool auth_identify(auth *a, struct mg_connection *conn, principal *out)
{
    char tok[AUTH_TOKEN_HEX + 2];
    memset(out, 0, sizeof *out);
    if (!auth_bearer(conn, tok, sizeof tok))
        return true; /* anonymous */
    bool ok = auth_token_lookup(a, tok, out, NULL);
    sodium_memzero(tok, sizeof tok);
    return ok;
}

bool auth_require(auth *a, struct mg_connection *conn, const principal *p, uint32_t role,
                  uint32_t participant)
{
    (void)a;
    char why[128];
    int status = 0;
    if (!p || !p->authenticated) {
        status = 401;
        snprintf(why, sizeof why, "%s",
                 mg_get_header(conn, "Authorization")
                     ? "the token is not valid (expired, revoked or malformed): log in again"
                     : "login required: send Authorization: Bearer <token>");
    } else if ((p->roles & role) != role) {
        char need[96];
        auth_roles_format(role & ~p->roles, need, sizeof need);
        status = 403;
        snprintf(why, sizeof why, "role %s required", need);
    } else if (participant && participant != p->participant && !(p->roles & ROLE_ADMIN)) {
        status = 403;
        snprintf(why, sizeof why, "participant %u is not yours", participant);
    }
    if (!status)
        return true;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    req r; /* only to answer: not http_begin(), which may answer 404 itself */
    memset(&r, 0, sizeof r);
    r.conn = conn;
    r.method = ri->request_method ? ri->request_method : "-";
    snprintf(r.path, sizeof r.path, "%s", ri->local_uri ? ri->local_uri : "-");
    log_warn("auth", "msg=\"denied\" status=%d user=%s method=%s path=%s reason=%s",
             status, log_q(p && p->authenticated ? p->user : "-"), log_q(r.method), log_q(r.path),
             log_q(why));
    if (status == 401)
        http_error(&r, 401, "unauthenticated", HTTP_E_UNAUTHENTICATED, "%s", why);
    else
        http_error(&r, 403, "forbidden", HTTP_E_FORBIDDEN, "%s", why);
    return false;
}

/* ---- password check for other gateways (FIX) ---------------------------- */

/* Reuses auth_login() whole -- throttle, dummy hash for unknown users,
 * failure delay -- so the policy lives in one place; the session it opens
 * is closed again at once, since FIX keeps its own session state. */
bool auth_password_check(auth *a, const char *name, const char *password, const char *addr,
                         principal *out)
{
    char token[AUTH_TOKEN_HEX + 1];
    int64_t expires;
    int retry;
    memset(out, 0, sizeof *out);
    if (auth_login(a, name, password, addr, token, &expires, out, &retry) != AUTH_LOGIN_OK)
        return false;
    auth_logout(a, token);
    sodium_memzero(token, sizeof token);
    return true;
}
