/* test_cluster_agree.c -- a node's start agreeing on the cluster's engine
 * configuration, against a real three-node nats-server cluster.
 *
 * The first node stores its configuration in the meta bucket (a KV create)
 * and every node reads what is there. On a loaded machine the create of a
 * bucket made a moment before can time out and store nothing; a node then
 * read no key and refused to start ("read the cluster's engine
 * configuration: Not Found", seen in cluster_nats). kvStore_Create is
 * wrapped (-Wl,--wrap=kvStore_Create) to fail on demand without storing
 * anything: a create that fails once is tried again and the node starts;
 * one that fails for longer than publish_timeout_ms is an error that says
 * what failed, after that long and not much more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cets/journal.h"
#include "cluster/cluster.h"
#include "natsproc.h"

/* creates of the key "config" still to fail, and creates of it made */
static int fail_creates;
static int creates;

natsStatus __real_kvStore_Create(uint64_t *rev, kvStore *kv, const char *key, const void *data,
                                 int len);
natsStatus __wrap_kvStore_Create(uint64_t *rev, kvStore *kv, const char *key, const void *data,
                                 int len)
{
    if (strcmp(key, "config") == 0) {
        creates++;
        if (fail_creates > 0) {
            fail_creates--;
            return NATS_TIMEOUT; /* nothing stored */
        }
    }
    return __real_kvStore_Create(rev, kv, key, data, len);
}

static np_cluster nc;
static char tmp[512];

/* natsproc's failures: the servers stopped, then out */
void np_die(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("FAILED: %s\n", msg);
    fflush(stdout);
    np_stop(&nc);
    _exit(1);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("CETS_TEST_TMP");
    if (!base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmp, sizeof tmp, "%s/cluster-agree-XXXXXX", base);
    if (!mkdtemp(tmp)) return -1;
    np_start(&nc, tmp);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    np_stop(&nc);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* A node's recovery on stream `stream` with cfg: the engine, or NULL with err. */
static cets_engine *node_recover(const char *stream, const char *node, int publish_timeout_ms,
                                 const cets_config *cfg, char *err, size_t errlen)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/%s-%s", tmp, stream, node);
    cluster_options o;
    cluster_options_default(&o);
    o.nats_url = nc.urls;
    o.node_id = node;
    o.stream = stream;
    o.data_dir = dir;
    o.publish_timeout_ms = publish_timeout_ms;
    core_backend *b = cluster_backend_new(&o, err, errlen);
    if (!b) return NULL;
    cets_recovery rep;
    cets_engine *e = b->recover(b, cfg, NULL, NULL, &rep, err, errlen);
    b->free(b);
    return e;
}

/* The create times out once, storing nothing: it is tried again and the
 * node starts with its configuration; a second node, with another one,
 * gets the first node's. */
static void create_timeout_retried(void **state)
{
    (void)state;
    cets_config mine, other;
    cets_config_default(&mine);
    mine.keep_trades = !mine.keep_trades;
    cets_config_default(&other);
    char err[512] = "";
    fail_creates = 1;
    creates = 0;
    cets_engine *e = node_recover("AGREE1", "n1", 10000, &mine, err, sizeof err);
    if (!e) fail_msg("the node did not start: %s", err);
    assert_int_equal(creates, 2);
    assert_int_equal(fail_creates, 0);
    assert_memory_equal(cets_engine_config(e), &mine, sizeof mine);
    cets_engine_free(e);
    creates = 0;
    cets_engine *f = node_recover("AGREE1", "n2", 10000, &other, err, sizeof err);
    if (!f) fail_msg("the second node did not start: %s", err);
    assert_true(creates >= 1);
    assert_memory_equal(cets_engine_config(f), &mine, sizeof mine);
    cets_engine_free(f);
}

/* Creates that keep failing: the node gives up after publish_timeout_ms
 * (500: at it, and not a multiple of it), saying the store failed and why. */
static void create_failing_gives_up(void **state)
{
    (void)state;
    cets_config mine;
    cets_config_default(&mine);
    char err[512] = "";
    fail_creates = 1000000;
    creates = 0;
    int64_t t0 = now_ms();
    cets_engine *e = node_recover("AGREE2", "n1", 500, &mine, err, sizeof err);
    int64_t took = now_ms() - t0;
    fail_creates = 0;
    assert_null(e);
    assert_non_null(strstr(err, "store the cluster's engine configuration: Timeout"));
    assert_non_null(strstr(err, "none there after 500 ms"));
    assert_true(creates >= 2);
    assert_true(took >= 500);
    assert_true(took < 500 + 8000); /* the bucket's creation and the last round trip */
    /* and once the store works again, the same node starts */
    cets_engine *ok = node_recover("AGREE2", "n1", 500, &mine, err, sizeof err);
    if (!ok) fail_msg("the node did not start once creates work: %s", err);
    cets_engine_free(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_timeout_retried),
        cmocka_unit_test(create_failing_gives_up),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
