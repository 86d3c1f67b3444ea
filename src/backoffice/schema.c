/* schema.c -- the back office's tables and their versioned migrations
 * (docs/backoffice.md "Schema").
 *
 * One list, applied in order: a migration runs once, in its own transaction
 * with the row that records it in bo_migrations, so a database is always at
 * one whole version. A database at a version this build does not know is
 * refused rather than written to. The SQL is the common subset of SQLite and
 * PostgreSQL: BIGINT and TEXT, composite primary keys, plain indexes.
 *
 * Keys are deterministic, never sequences: a row is named by the command that
 * made it (seq, and k, its rank among that command's rows of the table), so a
 * projection rebuilt from the journal has the same keys, and a batch done
 * twice would collide instead of doubling.
 */
#include <stdio.h>
#include <string.h>

#include "schema.h"

typedef struct migration {
    int version;
    const char *name;
    const char *sql;
} migration;

static const migration migrations[] = {
    {1, "the projection of the journal",
     "CREATE TABLE bo_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);"
     "INSERT INTO bo_meta (key, value) VALUES ('position', 0);"
     "CREATE TABLE participants (id BIGINT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,"
     " status TEXT NOT NULL, created_seq BIGINT NOT NULL, updated_seq BIGINT NOT NULL);"
     "CREATE TABLE instruments (id BIGINT PRIMARY KEY, code TEXT NOT NULL, product TEXT NOT NULL,"
     " matching TEXT NOT NULL, status TEXT NOT NULL, prev_close BIGINT NOT NULL,"
     " created_seq BIGINT NOT NULL, updated_seq BIGINT NOT NULL);"
     "CREATE TABLE trades (trade_id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, ts BIGINT NOT NULL,"
     " date BIGINT NOT NULL, instrument BIGINT NOT NULL, method TEXT NOT NULL,"
     " aggressor TEXT NOT NULL, buyer BIGINT NOT NULL, seller BIGINT NOT NULL,"
     " buy_order BIGINT NOT NULL, sell_order BIGINT NOT NULL, price BIGINT NOT NULL,"
     " qty BIGINT NOT NULL, value BIGINT NOT NULL, buyer_fee BIGINT NOT NULL,"
     " seller_fee BIGINT NOT NULL);"
     "CREATE INDEX trades_date ON trades (date, trade_id);"
     "CREATE INDEX trades_buyer ON trades (buyer, date, trade_id);"
     "CREATE INDEX trades_seller ON trades (seller, date, trade_id);"
     "CREATE TABLE orders (order_id BIGINT PRIMARY KEY, participant BIGINT NOT NULL,"
     " instrument BIGINT NOT NULL, side TEXT NOT NULL, tif TEXT NOT NULL, price BIGINT NOT NULL,"
     " filled_qty BIGINT NOT NULL, filled_value BIGINT NOT NULL, left_qty BIGINT NOT NULL,"
     " status TEXT NOT NULL, entered_ts BIGINT NOT NULL, done_seq BIGINT NOT NULL,"
     " done_ts BIGINT NOT NULL, date BIGINT NOT NULL, client_ref TEXT NOT NULL);"
     "CREATE INDEX orders_participant ON orders (participant, date, order_id);"
     "CREATE TABLE funds_movements (seq BIGINT NOT NULL, k BIGINT NOT NULL, ts BIGINT NOT NULL,"
     " date BIGINT NOT NULL, participant BIGINT NOT NULL, kind TEXT NOT NULL,"
     " amount BIGINT NOT NULL, fee BIGINT NOT NULL, ref BIGINT NOT NULL, bank_ref TEXT,"
     " PRIMARY KEY (seq, k));"
     "CREATE INDEX funds_participant ON funds_movements (participant, date, seq, k);"
     "CREATE TABLE holdings_movements (seq BIGINT NOT NULL, k BIGINT NOT NULL,"
     " ts BIGINT NOT NULL, date BIGINT NOT NULL, participant BIGINT NOT NULL, instrument BIGINT,"
     " kind TEXT NOT NULL, qty BIGINT NOT NULL, ref BIGINT NOT NULL, PRIMARY KEY (seq, k));"
     "CREATE INDEX holdings_participant ON holdings_movements (participant, date, seq, k);"
     "CREATE TABLE registry (seq BIGINT NOT NULL, k BIGINT NOT NULL, ts BIGINT NOT NULL,"
     " date BIGINT NOT NULL, kind TEXT NOT NULL, participant BIGINT NOT NULL,"
     " counterparty BIGINT NOT NULL, instrument BIGINT, user_id BIGINT NOT NULL,"
     " year BIGINT NOT NULL, qty BIGINT NOT NULL, deducted BIGINT NOT NULL,"
     " output BIGINT NOT NULL, benchmark BIGINT NOT NULL, obligation BIGINT NOT NULL,"
     " shortfall BIGINT NOT NULL, penalty BIGINT NOT NULL, compulsory BIGINT NOT NULL,"
     " ref BIGINT NOT NULL, beneficiary TEXT, reason TEXT, PRIMARY KEY (seq, k));"
     "CREATE TABLE transfers (id BIGINT PRIMARY KEY, sender BIGINT NOT NULL,"
     " recipient BIGINT NOT NULL, instrument BIGINT NOT NULL, qty BIGINT NOT NULL,"
     " status TEXT NOT NULL, requested_by BIGINT NOT NULL, requested_seq BIGINT NOT NULL,"
     " requested_ts BIGINT NOT NULL, decided_by BIGINT, decided_seq BIGINT, decided_ts BIGINT);"
     "CREATE TABLE compliance (participant BIGINT NOT NULL, year BIGINT NOT NULL,"
     " obligation BIGINT NOT NULL, surrendered_cea BIGINT NOT NULL,"
     " surrendered_ccer BIGINT NOT NULL, shortfall BIGINT NOT NULL, penalty BIGINT NOT NULL,"
     " withheld BIGINT NOT NULL, surrendered_late BIGINT NOT NULL, status TEXT NOT NULL,"
     " settled_on BIGINT, updated_seq BIGINT NOT NULL, PRIMARY KEY (participant, year));"
     "CREATE TABLE blocks (id BIGINT PRIMARY KEY, kind TEXT NOT NULL, answers BIGINT NOT NULL,"
     " instrument BIGINT NOT NULL, owner BIGINT NOT NULL, counterparty BIGINT NOT NULL,"
     " side TEXT NOT NULL, price BIGINT NOT NULL, qty BIGINT NOT NULL, status TEXT NOT NULL,"
     " trade_id BIGINT NOT NULL, ts BIGINT NOT NULL, updated_seq BIGINT NOT NULL);"
     "CREATE TABLE auctions (id BIGINT PRIMARY KEY, instrument BIGINT NOT NULL,"
     " initiator BIGINT NOT NULL, side TEXT NOT NULL, mode TEXT NOT NULL, status TEXT NOT NULL,"
     " lot BIGINT NOT NULL, start_ts BIGINT NOT NULL, end_ts BIGINT NOT NULL,"
     " reserve_price BIGINT NOT NULL, filled BIGINT NOT NULL, clearing_price BIGINT NOT NULL,"
     " value BIGINT NOT NULL, bids BIGINT NOT NULL, winners BIGINT NOT NULL,"
     " updated_seq BIGINT NOT NULL);"
     "CREATE TABLE admin_commands (seq BIGINT PRIMARY KEY, ts BIGINT NOT NULL,"
     " date BIGINT NOT NULL, command TEXT NOT NULL, participant BIGINT NOT NULL,"
     " instrument BIGINT NOT NULL, qty BIGINT NOT NULL, aux BIGINT NOT NULL,"
     " user_id BIGINT NOT NULL, text TEXT);"
     "CREATE TABLE deposit_notices (seq BIGINT PRIMARY KEY, bank_ref TEXT NOT NULL,"
     " participant BIGINT NOT NULL, amount BIGINT NOT NULL, value_date BIGINT NOT NULL,"
     " ts BIGINT NOT NULL);"
     "CREATE INDEX deposit_notices_ref ON deposit_notices (bank_ref);"
     "CREATE TABLE days (date BIGINT PRIMARY KEY, next_date BIGINT NOT NULL,"
     " composite BIGINT NOT NULL, closed_seq BIGINT NOT NULL, closed_ts BIGINT NOT NULL);"
     "CREATE TABLE day_stats (date BIGINT NOT NULL, instrument BIGINT NOT NULL,"
     " code TEXT NOT NULL, prev_close BIGINT NOT NULL, open BIGINT NOT NULL,"
     " high BIGINT NOT NULL, low BIGINT NOT NULL, close BIGINT NOT NULL,"
     " change_bp BIGINT NOT NULL, traded BIGINT NOT NULL, listing_volume BIGINT NOT NULL,"
     " listing_value BIGINT NOT NULL, listing_trades BIGINT NOT NULL,"
     " block_volume BIGINT NOT NULL, block_value BIGINT NOT NULL, block_trades BIGINT NOT NULL,"
     " auction_volume BIGINT NOT NULL, auction_value BIGINT NOT NULL,"
     " auction_trades BIGINT NOT NULL, total_volume BIGINT NOT NULL,"
     " total_value BIGINT NOT NULL, cum_volume BIGINT NOT NULL, cum_value BIGINT NOT NULL,"
     " next_lower BIGINT NOT NULL, next_upper BIGINT NOT NULL, PRIMARY KEY (date, instrument));"
     "CREATE TABLE statements (date BIGINT NOT NULL, participant BIGINT NOT NULL,"
     " funds_open BIGINT NOT NULL, funds_close BIGINT NOT NULL, deposits BIGINT NOT NULL,"
     " withdrawals BIGINT NOT NULL, bought_value BIGINT NOT NULL, sold_value BIGINT NOT NULL,"
     " fees BIGINT NOT NULL, fee_income BIGINT NOT NULL, trades BIGINT NOT NULL,"
     " PRIMARY KEY (date, participant));"
     "CREATE TABLE statement_lines (date BIGINT NOT NULL, participant BIGINT NOT NULL,"
     " instrument BIGINT NOT NULL, open_qty BIGINT NOT NULL, close_qty BIGINT NOT NULL,"
     " bought_qty BIGINT NOT NULL, bought_value BIGINT NOT NULL, sold_qty BIGINT NOT NULL,"
     " sold_value BIGINT NOT NULL, PRIMARY KEY (date, participant, instrument));"
     "CREATE TABLE bars_1m (instrument BIGINT NOT NULL, t BIGINT NOT NULL, date BIGINT NOT NULL,"
     " open BIGINT NOT NULL, high BIGINT NOT NULL, low BIGINT NOT NULL, close BIGINT NOT NULL,"
     " volume BIGINT NOT NULL, value BIGINT NOT NULL, PRIMARY KEY (instrument, date, t));"
     "CREATE INDEX bars_1m_date ON bars_1m (date);"
     /* A trade's settlement is in its row once: the ledgers add its legs to the
      * movements that are not trades. A leg's k, 2^20 + 4 x trade id + leg, is
      * above any other row's k of the same command. */
     "CREATE VIEW funds_ledger AS"
     " SELECT seq, k, ts, date, participant, kind, amount, fee, ref, bank_ref"
     " FROM funds_movements"
     " UNION ALL SELECT seq, 1048576 + 4 * trade_id, ts, date, buyer, 'buy',"
     " -(value + buyer_fee), buyer_fee, trade_id, NULL FROM trades"
     " UNION ALL SELECT seq, 1048576 + 4 * trade_id + 1, ts, date, seller, 'sell',"
     " value - seller_fee, seller_fee, trade_id, NULL FROM trades"
     " UNION ALL SELECT seq, 1048576 + 4 * trade_id + 2, ts, date, 1, 'fee_income',"
     " buyer_fee + seller_fee, 0, trade_id, NULL FROM trades"
     " WHERE buyer_fee + seller_fee <> 0;"
     "CREATE VIEW holdings_ledger AS"
     " SELECT seq, k, ts, date, participant, instrument, kind, qty, ref"
     " FROM holdings_movements"
     " UNION ALL SELECT seq, 1048576 + 4 * trade_id, ts, date, buyer, instrument, 'buy', qty,"
     " trade_id FROM trades"
     " UNION ALL SELECT seq, 1048576 + 4 * trade_id + 1, ts, date, seller, instrument, 'sell',"
     " -qty, trade_id FROM trades;"},
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

const bo_table_def bo_tables[T_NTABLES] = {
    [T_PARTICIPANTS] = {"participants", "id,kind,name,status,created_seq,updated_seq", 6, "id",
                        true, "created_seq"},
    [T_INSTRUMENTS] = {"instruments",
                       "id,code,product,matching,status,prev_close,created_seq,updated_seq", 8,
                       "id", true, "created_seq"},
    [T_TRADES] = {"trades",
                  "trade_id,seq,ts,date,instrument,method,aggressor,buyer,seller,buy_order,"
                  "sell_order,price,qty,value,buyer_fee,seller_fee",
                  16, "trade_id", false, ""},
    [T_ORDERS] = {"orders",
                  "order_id,participant,instrument,side,tif,price,filled_qty,filled_value,"
                  "left_qty,status,entered_ts,done_seq,done_ts,date,client_ref",
                  15, "order_id", false, ""},
    [T_FUNDS] = {"funds_movements", "seq,k,ts,date,participant,kind,amount,fee,ref,bank_ref", 10,
                 "seq,k", false, ""},
    [T_HOLDINGS] = {"holdings_movements", "seq,k,ts,date,participant,instrument,kind,qty,ref", 9,
                    "seq,k", false, ""},
    [T_REGISTRY] = {"registry",
                    "seq,k,ts,date,kind,participant,counterparty,instrument,user_id,year,qty,"
                    "deducted,output,benchmark,obligation,shortfall,penalty,compulsory,ref,"
                    "beneficiary,reason",
                    21, "seq,k", false, ""},
    [T_TRANSFERS] = {"transfers",
                     "id,sender,recipient,instrument,qty,status,requested_by,requested_seq,"
                     "requested_ts,decided_by,decided_seq,decided_ts",
                     12, "id", true, "requested_seq"},
    [T_COMPLIANCE] = {"compliance",
                      "participant,year,obligation,surrendered_cea,surrendered_ccer,shortfall,"
                      "penalty,withheld,surrendered_late,status,settled_on,updated_seq",
                      12, "participant,year", true, ""},
    [T_BLOCKS] = {"blocks",
                  "id,kind,answers,instrument,owner,counterparty,side,price,qty,status,trade_id,"
                  "ts,updated_seq",
                  13, "id", true, ""},
    [T_AUCTIONS] = {"auctions",
                    "id,instrument,initiator,side,mode,status,lot,start_ts,end_ts,reserve_price,"
                    "filled,clearing_price,value,bids,winners,updated_seq",
                    16, "id", true, ""},
    [T_ADMIN] = {"admin_commands",
                 "seq,ts,date,command,participant,instrument,qty,aux,user_id,text", 10, "seq",
                 false, ""},
    [T_DEPOSITS] = {"deposit_notices", "seq,bank_ref,participant,amount,value_date,ts", 6, "seq",
                    false, ""},
    [T_DAYS] = {"days", "date,next_date,composite,closed_seq,closed_ts", 5, "date", false, ""},
    [T_DAY_STATS] = {"day_stats",
                     "date,instrument,code,prev_close,open,high,low,close,change_bp,traded,"
                     "listing_volume,listing_value,listing_trades,block_volume,block_value,"
                     "block_trades,auction_volume,auction_value,auction_trades,total_volume,"
                     "total_value,cum_volume,cum_value,next_lower,next_upper",
                     25, "date,instrument", false, ""},
    [T_STATEMENTS] = {"statements",
                      "date,participant,funds_open,funds_close,deposits,withdrawals,bought_value,"
                      "sold_value,fees,fee_income,trades",
                      11, "date,participant", false, ""},
    [T_STATEMENT_LINES] = {"statement_lines",
                           "date,participant,instrument,open_qty,close_qty,bought_qty,"
                           "bought_value,sold_qty,sold_value",
                           9, "date,participant,instrument", false, ""},
    [T_BARS] = {"bars_1m", "instrument,t,date,open,high,low,close,volume,value", 9,
                "instrument,date,t", true, ""},
};

typedef struct dumper {
    FILE *out;
} dumper;

static int dump_row(void *ctx, int n, const char *const *v)
{
    dumper *d = ctx;
    for (int i = 0; i < n; i++) fprintf(d->out, "%s%s", i ? "|" : "", v[i] ? v[i] : "\\N");
    fputc('\n', d->out);
    return 0;
}

int schema_dump(db *d, FILE *out, char *err, size_t errlen)
{
    dumper du = {out};
    char sql[1024];
    fprintf(out, "== bo_meta\n");
    if (db_run(d, "SELECT key, value FROM bo_meta ORDER BY key", 0, NULL, dump_row, &du) != 0)
        goto fail;
    for (int t = 0; t < T_NTABLES; t++) {
        snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", bo_tables[t].cols,
                 bo_tables[t].name, bo_tables[t].pk);
        fprintf(out, "== %s\n", bo_tables[t].name);
        if (db_run(d, sql, 0, NULL, dump_row, &du) != 0) goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "%s", db_error(d));
    return -1;
}

int schema_latest(void)
{
    return migrations[NMIGRATIONS - 1].version;
}

int schema_migrate(db *d, int *version, char *err, size_t errlen)
{
    if (db_exec(d, "CREATE TABLE IF NOT EXISTS bo_migrations (version BIGINT PRIMARY KEY, "
                   "name TEXT NOT NULL)") != 0) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    int64_t have = 0;
    if (db_int_query(d, "SELECT COALESCE(MAX(version), 0) FROM bo_migrations", 0, NULL, &have) <
        0) {
        snprintf(err, errlen, "%s", db_error(d));
        return -1;
    }
    if (have > schema_latest()) {
        snprintf(err, errlen,
                 "the database's schema is version %lld, this build knows versions up to %d: "
                 "refusing to write to it",
                 (long long)have, schema_latest());
        return -1;
    }
    for (size_t i = 0; i < NMIGRATIONS; i++) {
        const migration *m = &migrations[i];
        if (m->version <= have) continue;
        db_val p[2] = {db_int(m->version), db_text(m->name)};
        if (db_begin(d) != 0 || db_exec(d, m->sql) != 0 ||
            db_run(d, "INSERT INTO bo_migrations (version, name) VALUES ($1, $2)", 2, p, NULL,
                   NULL) != 0 ||
            db_commit(d) != 0) {
            snprintf(err, errlen, "migration %d (%s): %s", m->version, m->name, db_error(d));
            db_rollback(d);
            return -1;
        }
        have = m->version;
    }
    if (version) *version = (int)have;
    return 0;
}
