/* demo_traders.h -- simulated traders trading through the HTTP API (demo). */
#ifndef CETS_SERVER_DEMO_TRADERS_H
#define CETS_SERVER_DEMO_TRADERS_H

#include "server.h"

typedef struct demo_traders demo_traders;

/* Seed the trader participants and users (once) and start the threads;
 * rate = actions per second in all. Call once HTTP is listening. */
demo_traders *demo_traders_start(server *s, int ntraders, double rate, uint64_t seed);
void demo_traders_stop(demo_traders *d);

#endif
