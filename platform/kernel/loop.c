// SPDX-License-Identifier: GPL-2.0
/*
 * loop.c - the module's single execution context and nx_timer on it.
 *
 * One ordered workqueue is "the loop" (nx_kernel.h).  A timer is a
 * delayed_work on it: when the delay expires the work is queued behind
 * whatever is already there and its callback runs on the loop like every
 * other event.  Arm, cancel and free are called on the loop only, so a
 * timer's callback is never running while they run (except its own
 * callback freeing or re-arming it, which the workqueue allows).
 */
#define pr_fmt(fmt) "nexus: " fmt

#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/printk.h>
#include <linux/workqueue.h>

#include "nx_kernel.h"

static struct workqueue_struct *loop_wq;
/* Every live timer, so unload can cancel what a leak left armed. */
static LIST_HEAD(timers);
static unsigned int timers_armed;

struct nx_timer {
	struct delayed_work dw;
	struct list_head node;
	nx_timer_fn fn;
	void *arg;
	bool armed;
};

/* ---- the loop ------------------------------------------------------------ */

int nx_kloop_start(void)
{
	nx_assert(!loop_wq);
	/* WQ_MEM_RECLAIM: a storage target must make progress under memory
	 * pressure (a rescuer thread backs the queue). */
	loop_wq = alloc_ordered_workqueue("nexus", WQ_MEM_RECLAIM);
	return loop_wq ? NX_OK : NX_ENOMEM;
}

unsigned int nx_kloop_stop(void)
{
	struct nx_timer *t;
	unsigned int armed = timers_armed;

	if (!loop_wq)
		return 0;
	/* Leaked timers must not fire into freed code after unload. */
	list_for_each_entry(t, &timers, node)
		cancel_delayed_work_sync(&t->dw);
	destroy_workqueue(loop_wq);
	loop_wq = NULL;
	return armed;
}

bool nx_kloop_queue(struct work_struct *w)
{
	return queue_work(loop_wq, w);
}

struct kloop_call {
	struct work_struct w;
	int (*fn)(void *arg);
	void *arg;
	int rc;
};

static void kloop_call_work(struct work_struct *w)
{
	struct kloop_call *c = container_of(w, struct kloop_call, w);

	c->rc = c->fn(c->arg);
}

int nx_kloop_call(int (*fn)(void *arg), void *arg)
{
	struct kloop_call c = { .fn = fn, .arg = arg };

	INIT_WORK_ONSTACK(&c.w, kloop_call_work);
	queue_work(loop_wq, &c.w);
	flush_work(&c.w);
	destroy_work_on_stack(&c.w);
	return c.rc;
}

/* ---- timers ---------------------------------------------------------------- */

static void timer_work(struct work_struct *w)
{
	struct nx_timer *t = container_of(to_delayed_work(w), struct nx_timer, dw);

	nx_assert(t->armed);
	t->armed = false;
	timers_armed--;
	t->fn(t->arg); /* may re-arm or free t */
}

struct nx_timer *nx_timer_new(nx_timer_fn fn, void *arg)
{
	struct nx_timer *t = nx_alloc(sizeof(*t));

	if (!t)
		return NULL;
	INIT_DELAYED_WORK(&t->dw, timer_work);
	t->fn = fn;
	t->arg = arg;
	list_add(&t->node, &timers);
	return t;
}

/* Rounded up: a timer never fires before its delay. */
static unsigned long delay_jiffies(uint64_t delay_ns)
{
	u64 j = div64_u64(delay_ns + TICK_NSEC - 1, TICK_NSEC);

	return j >= MAX_JIFFY_OFFSET ? MAX_JIFFY_OFFSET : (unsigned long)j;
}

void nx_timer_arm(struct nx_timer *t, uint64_t delay_ns)
{
	nx_assert(loop_wq);
	if (!t->armed) {
		t->armed = true;
		timers_armed++;
	}
	/* An armed timer is re-armed: pending work moves to the new time. */
	mod_delayed_work(loop_wq, &t->dw, delay_jiffies(delay_ns));
}

void nx_timer_cancel(struct nx_timer *t)
{
	if (!t->armed)
		return;
	/* Not _sync: on the loop the callback cannot be running (unless it
	 * is the caller, and then it is no longer pending). */
	cancel_delayed_work(&t->dw);
	t->armed = false;
	timers_armed--;
}

void nx_timer_free(struct nx_timer *t)
{
	if (!t)
		return;
	nx_timer_cancel(t);
	list_del(&t->node);
	nx_free(t);
}

unsigned int nx_kernel_timers_armed(void)
{
	return timers_armed;
}
