/* replay.c -- `cets replay DIR`: rebuild a market's state from its files.
 *
 * By default the state is rebuilt as the exchange would after a restart:
 * cets_recover() (newest valid snapshot, then the journal after it), on a
 * private copy so the directory is never changed, and what recovery says is
 * printed. --from-scratch ignores snapshots and applies every journal record
 * to a fresh engine, read straight from the files (cets_journal_scan): the
 * proof that the journal alone determines the state. --verify does both and
 * fails unless they agree and the state passes the engine's invariant check
 * (cets_check: money and allowances conserved, reservations, the books).
 *
 * Output is key=value lines, one fact per line, for people and for scripts
 * (state_hash=<16 hex digits> is what tests compare with simulate's).
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

const char replay_usage[] =
    "usage: cets replay DIR [--from-scratch | --verify]\n"
    "Rebuild the state of data directory DIR from its snapshot and journal, without\n"
    "changing any file, and print its state hash.\n\n"
    "  --from-scratch   ignore snapshots: replay the whole journal into a fresh engine\n"
    "  --verify         both ways; fail unless they agree and the invariants hold\n";

typedef struct replay_out {
    const char *mode;
    uint64_t records, last_seq, hash;
    double secs;
} replay_out;

static void replay_print(const replay_out *r, const cets_engine *e)
{
    printf("mode=%s\n", r->mode);
    printf("records_replayed=%" PRIu64 "\n", r->records);
    printf("last_seq=%" PRIu64 "\n", r->last_seq);
    printf("trading_date=%d\n", cets_trading_date(e));
    printf("seconds=%.3f\n", r->secs);
    printf("commands_per_second=%.0f\n", r->secs > 0 ? (double)r->records / r->secs : 0.0);
    printf("state_hash=%016" PRIx64 "\n", r->hash);
}

static cets_engine *replay_recover(const char *dir, const cets_config *cfg, replay_out *out)
{
    char err[1024];
    cets_recovery rep;
    memset(&rep, 0, sizeof rep);
    cets_engine *e = dd_recover_readonly(dir, cfg, &rep, &out->secs, err, sizeof err);
    if (!e) {
        fprintf(stderr, "cets: replay of %s failed: %s\n", dir, err);
        return NULL;
    }
    printf("recovery: %s\n", rep.message[0] ? rep.message : "(no message)");
    if (rep.truncated_bytes)
        printf("note: recovery would cut %" PRIu64 " bytes of a torn tail; %s was left as it is\n",
               rep.truncated_bytes, dir);
    printf("snapshot_seq=%" PRIu64 "\n", rep.snapshot_seq);
    out->mode = rep.snapshot_seq ? "snapshot+journal" : "journal";
    out->records = rep.replayed;
    out->last_seq = cets_last_seq(e);
    out->hash = cets_state_hash(e);
    replay_print(out, e);
    return e;
}

static cets_engine *replay_scratch(const char *dir, const cets_config *cfg, replay_out *out)
{
    char err[1024];
    double t0 = dd_now();
    cets_engine *e = dd_replay_scan(dir, cfg, 0, &out->records, err, sizeof err);
    out->secs = dd_now() - t0;
    if (!e) {
        fprintf(stderr, "cets: replay of %s failed: %s\n", dir, err);
        return NULL;
    }
    if (err[0]) printf("note: the journal ends in a bad tail, not replayed: %s\n", err);
    out->mode = "from-scratch";
    out->last_seq = cets_last_seq(e);
    out->hash = cets_state_hash(e);
    replay_print(out, e);
    return e;
}

/* The engine's invariants (cets_check: conservation counting surrenders and
 * retirements, reservations, the books), over the whole state. */
static const char *invariants(const cets_engine *e)
{
    static cets_check_report rep;
    return cets_check(e, &rep) == 0 ? NULL : rep.message;
}

static int replay_verify(const char *dir, const cets_config *guess)
{
    replay_out a = {0}, b = {0};
    cets_engine *ea = replay_recover(dir, guess, &a);
    if (!ea) return CLI_FAIL;
    /* The recovered engine knows the configuration the market ran with. */
    cets_config cfg = *cets_engine_config(ea);
    cets_engine *eb = replay_scratch(dir, &cfg, &b);
    if (!eb) {
        cets_engine_free(ea);
        return CLI_FAIL;
    }
    const char *why = a.hash != b.hash           ? "the snapshot and the journal disagree"
                      : a.last_seq != b.last_seq ? "the two replays end at different commands"
                                                 : invariants(ea);
    printf("verify=%s%s\n", why ? "FAILED: " : "ok", why ? why : "");
    cets_engine_free(ea);
    cets_engine_free(eb);
    return why ? CLI_FAIL : CLI_OK;
}

int cmd_replay(int argc, char **argv)
{
    bool scratch = false, verify = false;
    const cli_flag flags[] = {
        {"--from-scratch", ARG_BOOL, &scratch, 0, 0},
        {"--verify", ARG_BOOL, &verify, 0, 0},
    };
    const char *dir = NULL;
    int n = cli_parse(replay_usage, argc, argv, flags, 2, &dir, 1);
    if (n == -2) return CLI_OK;
    if (n < 0) return CLI_USAGE;
    if (n == 0) return cli_usage_error(replay_usage, "replay needs a data directory");
    if (scratch && verify)
        return cli_usage_error(replay_usage, "--verify already replays from scratch");
    char err[1024];
    cets_config cfg;
    if (dd_guess_config(dir, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "cets: %s\n", err);
        return CLI_FAIL;
    }
    printf("dir=%s\n", dir);
    if (verify) return replay_verify(dir, &cfg);
    replay_out out = {0};
    cets_engine *e = scratch ? replay_scratch(dir, &cfg, &out) : replay_recover(dir, &cfg, &out);
    if (!e) return CLI_FAIL;
    cets_engine_free(e);
    return CLI_OK;
}
