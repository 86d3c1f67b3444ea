/* demo.h -- the demo market behind `cetsd --demo`: instruments, a few
 * participants with money and allowances, and users to log in with, so the
 * dashboard can be tried on an empty data directory. */
#ifndef CETS_SERVER_DEMO_H
#define CETS_SERVER_DEMO_H

#include "server.h"

/* Seed the market (only when it has no instruments yet) and start whatever
 * runs in the background. Called after HTTP is up. 0, or -1 (logged). */
int demo_start(server *s);
/* Stop what demo_start() started; called before HTTP and the core stop. */
void demo_stop(server *s);

#endif
