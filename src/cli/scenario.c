/* scenario.c -- what a simulated trading day is calibrated to.
 *
 * One table of scenarios, each a set of numbers taken from the national
 * market's published figures, so that `cets simulate` trades at the real
 * market's scale and with its method mix instead of a stress test's:
 *
 *  - "normal": a trading day of the market as it has been since 2023 --
 *    about 2,200 compliance entities (the power sector) and a few others,
 *    allocations of a few hundred thousand to millions of tonnes per
 *    vintage, listing orders of hundreds to tens of thousands of tonnes, a
 *    day's volume of about a million tonnes, four fifths of it by block
 *    agreement (2023: 212 Mt in the year, 177 Mt of it by block), and one
 *    one-way bidding auction.
 *  - "opening-day": 2021-07-16, the first day: the 2019-2020 allowances
 *    only (CEA1920), reference price 48.00, compliance entities only, and a
 *    buying day that closed up (real: 4.104 Mt for 210 M CNY, close 51.23).
 *  - "deadline-rush": a day in the last weeks before a compliance deadline
 *    (2023-12-27, the 2021-2022 cycle's ended on 2023-12-31): the vintages
 *    listed then, buyers short of allowances, prices pulled up, several
 *    million tonnes, almost all of it by block agreement.
 *
 * Which instruments exist is a matter of the date: a vintage is listed from
 * the day it was first issued (dates approximate, the year of issue is what
 * matters), CCER from its relaunch, 2024-01-22. A day before 2021-07-16 has
 * no market.
 */
#include <string.h>

#include "sim.h"

/* Every instrument the simulation knows, with the date it was first listed
 * and the previous close a day of the "normal" scenario starts from. */
static const sim_instrument all_instruments[] = {
    {"CEA1920", CETS_PRODUCT_CEA, 5860, 5, 20210716},
    {"CEA21", CETS_PRODUCT_CEA, 6235, 6, 20230101},
    {"CEA22", CETS_PRODUCT_CEA, 6680, 8, 20230101},
    {"CEA23", CETS_PRODUCT_CEA, 7120, 14, 20241001},
    {"CEA24", CETS_PRODUCT_CEA, 7345, 25, 20251001},
    {"CEA25", CETS_PRODUCT_CEA, 6990, 30, 20260101},
    {"CCER", CETS_PRODUCT_CCER, 8015, 12, 20240122},
};
#define NALL ((int)(sizeof all_instruments / sizeof all_instruments[0]))

static const sim_scenario scenarios[] = {
    {
        .name = "normal",
        .title = "a normal trading day (the market since 2023)",
        .date = 20261130,
        .participants = 2200,
        .orders = 300,
        .pct_institution = 3,
        .pct_individual = 1,
        .funds = {{5000000, 300000000}, {10000000, 200000000}, {50000, 2000000}},
        .holdings = {{50000, 5000000}, {5000, 500000}, {100, 20000}},
        .sizes = {{70, 100, 1000}, {22, 1000, 5000}, {6, 5000, 20000}, {2, 20000, 99999}},
        .drift_bp = 0,
        .buy_per_mille = 500,
        .blocks = 8,
        .block_qty = {100000, 300000},
        .auctions = 1,
        .auction_bids = 4,
    },
    {
        .name = "opening-day",
        .title = "the national market's opening day, 2021-07-16",
        .date = 20210716,
        .participants = 2162,
        .orders = 1000,
        .reference = 4800,
        .pct_institution = 0,
        .pct_individual = 0,
        .funds = {{10000000, 500000000}, {0, 0}, {0, 0}},
        .holdings = {{100000, 20000000}, {0, 0}, {0, 0}},
        .sizes = {{40, 1000, 5000}, {35, 5000, 20000}, {20, 20000, 60000}, {5, 60000, 99999}},
        .drift_bp = 800,
        .buy_per_mille = 560,
        .blocks = 0,
        .block_qty = {0, 0},
        .auctions = 0,
        .auction_bids = 0,
    },
    {
        .name = "deadline-rush",
        .title = "the rush before a compliance deadline, 2023-12-27",
        .date = 20231227,
        .participants = 2257,
        .orders = 600,
        .pct_institution = 0,
        .pct_individual = 0,
        .funds = {{20000000, 800000000}, {0, 0}, {0, 0}},
        .holdings = {{50000, 8000000}, {0, 0}, {0, 0}},
        .sizes = {{70, 100, 1000}, {22, 1000, 5000}, {6, 5000, 20000}, {2, 20000, 99999}},
        .drift_bp = 250,
        .buy_per_mille = 620,
        .blocks = 24,
        .block_qty = {100000, 500000},
        .auctions = 0,
        .auction_bids = 0,
    },
};
#define NSCENARIOS ((int)(sizeof scenarios / sizeof scenarios[0]))

/* Previous closes of the rush: the market in December 2023. */
static const struct {
    const char *code;
    int64_t prev_close;
} rush_prices[] = {{"CEA1920", 7050}, {"CEA21", 7180}, {"CEA22", 7260}};

const sim_scenario *scenario_find(const char *name)
{
    for (int i = 0; i < NSCENARIOS; i++)
        if (strcmp(scenarios[i].name, name) == 0) return &scenarios[i];
    return NULL;
}

const char *scenario_names(void)
{
    return "normal, opening-day, deadline-rush";
}

int scenario_instruments(const sim_scenario *s, int32_t date, sim_instrument *out)
{
    int n = 0;
    for (int i = 0; i < NALL && n < SIM_INSTRUMENTS; i++) {
        if (all_instruments[i].listed > date) continue;
        out[n] = all_instruments[i];
        if (s->reference) out[n].prev_close = s->reference;
        for (size_t k = 0; strcmp(s->name, "deadline-rush") == 0 &&
                           k < sizeof rush_prices / sizeof rush_prices[0];
             k++)
            if (strcmp(rush_prices[k].code, out[n].code) == 0)
                out[n].prev_close = rush_prices[k].prev_close;
        n++;
    }
    return n;
}
