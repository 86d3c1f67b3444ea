/* main.c -- the cets tool: one table of subcommands.
 *
 * `cets <command> [flags]`. Each command is a function taking its own argv
 * (argv[0] = the command's name) and returning the exit code: 0 done, 1 it
 * failed, 2 the command line was wrong. The table is the one place a new
 * command (the server client commands of later issues) is added; `cets help`
 * is generated from it.
 */
#include <stdio.h>
#include <string.h>

#include "cets/registry.h"
#include "cli.h"
#include "client_cmds.h"

#define CETS_VERSION "0.1.0"

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *summary;
} cli_command;

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const char help_usage[] = "usage: cets help [COMMAND]\n";
static const char version_usage[] = "usage: cets --version\n";

static const cli_command commands[] = {
    {"simulate", cmd_simulate, simulate_usage,
     "run one trading day of a simulated market through the journal and the engine"},
    {"replay", cmd_replay, replay_usage,
     "rebuild the state of a data directory from its journal and print its hash"},
    {"report", cmd_report, report_usage, "print the daily market report of a data directory"},
    {"statement", cmd_statement, statement_usage,
     "print a participant's settlement statement from a data directory"},
    {"journal", cmd_journal, journal_usage,
     "check a data directory's journal as recovery would, or repair it (cut at damage)"},
    {"audit", cmd_audit, audit_usage,
     "check an audit log's hash chain (verify FILE), or the server's chain head (head)"},
    {"login", cmd_login, login_usage, "log in to a cetsd server and save the token in the profile"},
    {"logout", cmd_logout, logout_usage, "end the session and forget the token"},
    {"whoami", cmd_whoami, whoami_usage, "show the user, participant and roles of the token"},
    {"token", cmd_token, token_usage, "API tokens for programs: create, list, delete"},
    {"market", cmd_market, market_usage, "server: the trading date, session and instruments"},
    {"instruments", cmd_instruments, instruments_usage, "server: every instrument with prices"},
    {"depth", cmd_depth, depth_usage, "server: the best five levels of a book, with listing ids"},
    {"trades", cmd_trades, trades_usage, "server: today's trades of an instrument"},
    {"bars", cmd_bars, bars_usage, "server: 1-minute or daily price bars"},
    {"daily-report", cmd_daily_report, daily_report_usage,
     "server: the daily market report of the last closed day"},
    {"post", cmd_post, post_usage, "server: post a listing or a limit order"},
    {"take", cmd_take, take_usage, "server: take listings by id, or by quantity and limit"},
    {"modify", cmd_modify, modify_usage, "server: change an order's price and quantity"},
    {"cancel", cmd_cancel, cancel_usage, "server: cancel an order"},
    {"orders", cmd_orders, orders_usage, "server: own live orders"},
    {"order", cmd_order, order_usage, "server: one own live order"},
    {"fills", cmd_fills, fills_usage, "server: own trades today, with fees"},
    {"account", cmd_account, account_usage, "server: funds and holdings"},
    {"statement-last", cmd_statement_last, statement_last_usage,
     "server: the statement of the last closed day"},
    {"withdraw", cmd_withdraw, withdraw_usage, "server: withdraw funds"},
    {"block", cmd_block, block_usage,
     "server: block agreements: quotes, proposals, counter-proposals, accept, decline"},
    {"auction", cmd_auction, auction_usage, "server: one-way bidding: auctions, bids, results"},
    {"registry", cmd_registry, registry_usage,
     "server: holdings, surrender, retirement, transfers and their approval, allocations"},
    {"compliance", cmd_compliance, compliance_usage,
     "server: obligation, surrendered, shortfall and status per year"},
    {"admin", cmd_admin, admin_usage, "server: operator commands (cets admin --help)"},
    {"params", cmd_params, params_usage,
     "server: market parameters in force, their history; the operator's changes"},
    {"large-holders", cmd_large_holders, large_holders_usage,
     "server: holders above the large-holder threshold, now or at the last end of day"},
    {"related", cmd_related, related_usage,
     "server: participants declared related (one actual controller), for surveillance"},
    {"history", cmd_history, history_usage,
     "server: trades, fills, orders, funds and holdings of past days; past reports"},
    {"bank", cmd_bank, bank_usage,
     "server: the settlement bank's files: deposit notices, withdrawals, reconciliation"},
    {"registry-file", cmd_registry_file, registry_file_usage,
     "server: the day's file for the registry of record, and its confirmation"},
    {"help", cmd_help, help_usage, "show this list, or the usage of one command"},
    {"version", cmd_version, version_usage, "print the version"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *command_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void commands_list(FILE *f)
{
    fprintf(f, "usage: cets <command> [flags]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`cets help <command>` or `cets <command> --help` shows a command's flags.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        commands_list(stdout);
        return CLI_OK;
    }
    const cli_command *c = command_find(argv[1]);
    if (!c) {
        fprintf(stderr, "cets: unknown command '%s'\n\n", argv[1]);
        commands_list(stderr);
        return CLI_USAGE;
    }
    fputs(c->usage, stdout);
    return CLI_OK;
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) return cli_usage_error(version_usage, "version takes no arguments");
    printf("cets %s\n", CETS_VERSION);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        commands_list(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) name = "version";
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) name = "help";
    const cli_command *c = command_find(name);
    if (!c) {
        fprintf(stderr, "cets: unknown %s '%s'\n\n", name[0] == '-' ? "flag" : "command", argv[1]);
        commands_list(stderr);
        return CLI_USAGE;
    }
    int rc = c->run(argc - 1, argv + 1);
    if (fflush(stdout) != 0 && rc == CLI_OK) rc = CLI_FAIL; /* e.g. disk full */
    return rc;
}
