/* client_cmds.h -- the server-client subcommands, for main.c's table.
 *
 * Separate from client.h so main.c need not see jansson (whose json_string
 * clashes with cli.h's).
 */
#ifndef CETS_CLI_CLIENT_CMDS_H
#define CETS_CLI_CLIENT_CMDS_H

int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_market(int argc, char **argv);
int cmd_instruments(int argc, char **argv);
int cmd_depth(int argc, char **argv);
int cmd_trades(int argc, char **argv);
int cmd_bars(int argc, char **argv);
int cmd_daily_report(int argc, char **argv);
int cmd_post(int argc, char **argv);
int cmd_take(int argc, char **argv);
int cmd_modify(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_orders(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_fills(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_statement_last(int argc, char **argv);
int cmd_withdraw(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_history(int argc, char **argv); /* client_history.c */
int cmd_bank(int argc, char **argv);
int cmd_registry_file(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_auction(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_compliance(int argc, char **argv);
int cmd_params(int argc, char **argv); /* client_params.c */
int cmd_large_holders(int argc, char **argv);
int cmd_related(int argc, char **argv);
extern const char login_usage[], logout_usage[], whoami_usage[], token_usage[], market_usage[],
    instruments_usage[], depth_usage[], trades_usage[], bars_usage[], daily_report_usage[],
    post_usage[], take_usage[], modify_usage[], cancel_usage[], orders_usage[], order_usage[],
    fills_usage[], account_usage[], statement_last_usage[], withdraw_usage[], admin_usage[],
    history_usage[], bank_usage[], registry_file_usage[], audit_usage[], block_usage[],
    auction_usage[], registry_usage[], compliance_usage[], params_usage[], large_holders_usage[],
    related_usage[];

#endif
