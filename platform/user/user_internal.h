/*
 * user_internal.h - what the files of platform/user share and nobody else
 * sees: the loop <-> file I/O engine hooks.
 */
#ifndef NX_USER_INTERNAL_H
#define NX_USER_INTERNAL_H

#include "nx_user.h"

/* The process's loop, NULL when none exists. */
struct nx_loop *nx_user_loop(void);
/* Called by nx_loop_free(): joins the workers, closes the eventfd. */
void nx_user_file_shutdown(void);
/* Maps an errno value to a negative NX_E* code. */
int nx_user_errno(int err);

#endif /* NX_USER_INTERNAL_H */
