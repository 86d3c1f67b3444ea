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
    {"audit", cets_audit_verify_main, cets_audit_usage,
     "check an audit log's hash chain (cets audit verify FILE)"},
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
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
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
        fprintf(stderr, "cets: unknown %s '%s'\n\n", name[0] == '-' ? "flag" : "command",
                argv[1]);
        commands_list(stderr);
        return CLI_USAGE;
    }
    int rc = c->run(argc - 1, argv + 1);
    if (fflush(stdout) != 0 && rc == CLI_OK) rc = CLI_FAIL; /* e.g. disk full */
    return rc;
}
