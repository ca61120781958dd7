/*
 * nx_kernel.h - kernel-only API of the Linux kernel platform
 * (platform/kernel), the counterpart of platform/user/nx_user.h.
 *
 * nx_platform.h is what portable code sees; this header is what the
 * module glue (kernel/) uses to drive it.
 *
 * Threading: "the loop" is one ordered workqueue.  An ordered workqueue
 * runs at most one work item at a time, in queueing order, so every
 * callback into core/ and transports/ (socket events, timers, the
 * module's own set-up and tear-down steps) runs on one execution context
 * and never concurrently, which is the contract nx_platform.h states.
 * Softirq-context socket callbacks only queue work; they never call into
 * portable code.
 *
 * Files: platform.c (memory, log, snprintf, clock, rng, persistence, file
 * stubs), loop.c (the workqueue and timers as delayed work).
 */
#ifndef NX_KERNEL_H
#define NX_KERNEL_H

#include <linux/workqueue.h>

#include "../nx_platform.h"

/* ---- the loop ------------------------------------------------------------ */

/* Creates / destroys the ordered workqueue.  Destroying it requires every
 * timer to be idle or freed (checked: returns the number still armed). */
int nx_kloop_start(void);
unsigned int nx_kloop_stop(void);
/* Queues w on the loop; false if it was already pending. */
bool nx_kloop_queue(struct work_struct *w);
/* Runs fn(arg) on the loop and waits for it (process context only, never
 * from the loop itself).  Returns fn's result. */
int nx_kloop_call(int (*fn)(void *arg), void *arg);
/* Number of armed timers (drain check at unload). */
unsigned int nx_kernel_timers_armed(void);

/* ---- platform knobs ------------------------------------------------------ */

/* Messages above this level are dropped (default NX_LOG_INFO). */
void nx_kernel_set_log_level(int level);
/* nx_alloc() blocks not yet given back to nx_free() (leak check at
 * unload). */
long nx_kernel_allocs_outstanding(void);
/* Persistence in files under dir (absolute, existing, writable); NULL,
 * "" or an unusable directory keeps it in memory (logged once).  Called
 * before the loop starts; dir must outlive the module's use of it. */
void nx_kernel_set_state_dir(const char *dir);
/* Drops the in-memory persistence store and forgets the state directory
 * (module unload). */
void nx_kernel_persist_reset(void);

#endif /* NX_KERNEL_H */
