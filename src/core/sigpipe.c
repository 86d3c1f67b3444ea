/* sigpipe.c -- see sigpipe.h. */
#include "sigpipe.h"

#include <signal.h>
#include <stddef.h>

void sigpipe_ignore(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
}
