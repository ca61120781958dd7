/* loop_test.c - timers and fd watches of the epoll loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "nx_user.h"

#define MS 1000000ull

static char order[16];
static unsigned order_len;

static void record(void *arg)
{
	order[order_len++] = *(const char *)arg;
}

static int setup(void **state)
{
	struct nx_loop *loop = nx_loop_new();

	order_len = 0;
	memset(order, 0, sizeof(order));
	*state = loop;
	return loop ? 0 : -1;
}

static int teardown(void **state)
{
	nx_loop_free(*state);
	return 0;
}

/* Runs the loop until nothing is armed, at most 2 s. */
static void drain(struct nx_loop *loop)
{
	uint64_t end = nx_clock_ns() + 2000 * MS;

	while (nx_user_timers_armed() && nx_clock_ns() < end)
		assert_true(nx_loop_run_once(loop, -1) >= 0);
	assert_int_equal(nx_user_timers_armed(), 0);
}

static void test_only_one_loop(void **state)
{
	assert_null(nx_loop_new());
}

static void test_timers_fire_in_deadline_then_arming_order(void **state)
{
	static const char a = 'a', b = 'b', c = 'c', d = 'd';
	struct nx_timer *ta = nx_timer_new(record, (void *)&a);
	struct nx_timer *tb = nx_timer_new(record, (void *)&b);
	struct nx_timer *tc = nx_timer_new(record, (void *)&c);
	struct nx_timer *td = nx_timer_new(record, (void *)&d);

	nx_timer_arm(ta, 30 * MS);
	nx_timer_arm(tb, 10 * MS);
	nx_timer_arm(tc, 0);
	nx_timer_arm(td, 0);
	assert_int_equal(nx_user_timers_armed(), 4);
	drain(*state);
	assert_string_equal(order, "cdba");
	nx_timer_free(ta);
	nx_timer_free(tb);
	nx_timer_free(tc);
	nx_timer_free(td);
}

static void test_timer_cancel_and_rearm(void **state)
{
	static const char a = 'a', b = 'b';
	struct nx_timer *ta = nx_timer_new(record, (void *)&a);
	struct nx_timer *tb = nx_timer_new(record, (void *)&b);
	uint64_t start = nx_clock_ns();

	nx_timer_arm(ta, 5 * MS);
	nx_timer_arm(tb, 1 * MS);
	nx_timer_cancel(tb);
	nx_timer_cancel(tb); /* idle: no-op */
	nx_timer_arm(ta, 20 * MS); /* re-arm moves the deadline */
	assert_int_equal(nx_user_timers_armed(), 1);
	drain(*state);
	assert_string_equal(order, "a");
	assert_true(nx_clock_ns() - start >= 20 * MS);
	nx_timer_free(ta);
	nx_timer_free(tb);
}

static struct nx_timer *self_timer;
static int self_count;

static void rearm_self(void *arg)
{
	if (++self_count < 3)
		nx_timer_arm(self_timer, 0);
	else
		nx_timer_free(self_timer); /* freeing from its own callback */
}

static void test_zero_delay_rearm_runs_next_iteration(void **state)
{
	self_count = 0;
	self_timer = nx_timer_new(rearm_self, NULL);
	nx_timer_arm(self_timer, 0);
	/* One iteration runs the timer once, even though it re-arms with a
	 * zero delay: an iteration is bounded. */
	assert_int_equal(nx_loop_run_once(*state, 0), 1);
	assert_int_equal(self_count, 1);
	assert_int_equal(nx_loop_run_once(*state, 0), 1);
	assert_int_equal(nx_loop_run_once(*state, 0), 1);
	assert_int_equal(self_count, 3);
	assert_int_equal(nx_user_timers_armed(), 0);
}

static void test_free_armed_timer(void **state)
{
	static const char a = 'a';
	struct nx_timer *ts[100];

	for (int i = 0; i < 100; i++) {
		ts[i] = nx_timer_new(record, (void *)&a);
		assert_non_null(ts[i]);
		nx_timer_arm(ts[i], (uint64_t)(100 - i) * MS);
	}
	for (int i = 0; i < 100; i += 2)
		nx_timer_free(ts[i]);
	assert_int_equal(nx_user_timers_armed(), 50);
	for (int i = 1; i < 100; i += 2)
		nx_timer_free(ts[i]);
	assert_int_equal(nx_user_timers_armed(), 0);
}

struct pipe_ctx {
	int fds[2];
	struct nx_watch *w;
	int reads;
	unsigned last_events;
	struct pipe_ctx *victim; /* watch deleted by this one's callback */
};

static void on_pipe(void *arg, unsigned events)
{
	struct pipe_ctx *p = arg;
	char buf[16];

	p->reads++;
	p->last_events = events;
	assert_true(read(p->fds[0], buf, sizeof(buf)) > 0);
	if (p->victim && p->victim->w) {
		nx_watch_del(p->victim->w);
		p->victim->w = NULL;
	}
}

static void test_watch_read_and_stop(void **state)
{
	struct pipe_ctx p = { 0 };

	assert_int_equal(pipe(p.fds), 0);
	p.w = nx_watch_add(*state, p.fds[0], NX_EV_READ, on_pipe, &p);
	assert_non_null(p.w);
	assert_int_equal(nx_loop_run_once(*state, 0), 0);
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	assert_int_equal(nx_loop_run_once(*state, 100 * MS), 1);
	assert_int_equal(p.reads, 1);
	assert_int_equal(p.last_events, NX_EV_READ);
	/* mod to write-only interest on the read end: nothing fires */
	assert_int_equal(nx_watch_mod(p.w, 0), 0);
	assert_int_equal(write(p.fds[1], "y", 1), 1);
	assert_int_equal(nx_loop_run_once(*state, 0), 0);
	nx_watch_del(p.w);
	close(p.fds[0]);
	close(p.fds[1]);
}

static void test_watch_deleted_mid_batch_gets_no_callback(void **state)
{
	struct pipe_ctx a = { 0 }, b = { 0 };

	assert_int_equal(pipe(a.fds), 0);
	assert_int_equal(pipe(b.fds), 0);
	a.victim = &b;
	b.victim = &a;
	a.w = nx_watch_add(*state, a.fds[0], NX_EV_READ, on_pipe, &a);
	b.w = nx_watch_add(*state, b.fds[0], NX_EV_READ, on_pipe, &b);
	assert_int_equal(write(a.fds[1], "x", 1), 1);
	assert_int_equal(write(b.fds[1], "x", 1), 1);
	/* Both are ready in one batch; whichever runs first deletes the
	 * other, which must then not be called. */
	assert_int_equal(nx_loop_run_once(*state, 100 * MS), 1);
	assert_int_equal(a.reads + b.reads, 1);
	nx_watch_del(a.w ? a.w : b.w);
	for (int i = 0; i < 2; i++) {
		close(a.fds[i]);
		close(b.fds[i]);
	}
}

static void stop_loop(void *arg)
{
	nx_loop_stop(arg);
}

static void test_run_until_stop(void **state)
{
	struct nx_timer *t = nx_timer_new(stop_loop, *state);

	nx_timer_arm(t, 5 * MS);
	assert_int_equal(nx_loop_run(*state), 0);
	nx_timer_free(t);
}

/* The poll window ends: after the pipe's event the loop polls for 1 ms,
 * then must sleep until the 20 ms stop timer, which still fires. */
struct poll_ctx {
	struct pipe_ctx p;
	struct nx_timer *stop;
};

static void poll_write(void *arg)
{
	struct poll_ctx *c = arg;

	assert_int_equal(write(c->p.fds[1], "x", 1), 1);
}

static void poll_on_pipe(void *arg, unsigned events)
{
	struct poll_ctx *c = arg;

	on_pipe(&c->p, events);
	nx_timer_arm(c->stop, 20 * MS);
}

static void test_poll_window_then_sleep(void **state)
{
	struct poll_ctx c = { 0 };
	struct nx_timer *w = nx_timer_new(poll_write, &c);
	uint64_t t0 = nx_clock_ns();

	c.stop = nx_timer_new(stop_loop, *state);
	assert_int_equal(pipe(c.p.fds), 0);
	c.p.w = nx_watch_add(*state, c.p.fds[0], NX_EV_READ, poll_on_pipe, &c);
	nx_loop_set_poll(*state, 1 * MS);
	nx_timer_arm(w, 2 * MS);
	assert_int_equal(nx_loop_run(*state), 0);
	assert_int_equal(c.p.reads, 1);
	assert_true(nx_clock_ns() - t0 >= 22 * MS);
	nx_loop_set_poll(*state, 0);
	nx_watch_del(c.p.w);
	close(c.p.fds[0]);
	close(c.p.fds[1]);
	nx_timer_free(w);
	nx_timer_free(c.stop);
}

static void test_hangup_reported_as_error(void **state)
{
	struct pipe_ctx p = { 0 };

	assert_int_equal(pipe(p.fds), 0);
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	close(p.fds[1]);
	p.w = nx_watch_add(*state, p.fds[0], NX_EV_READ, on_pipe, &p);
	assert_int_equal(nx_loop_run_once(*state, 100 * MS), 1);
	assert_int_equal(p.last_events, NX_EV_READ | NX_EV_ERROR);
	nx_watch_del(p.w);
	close(p.fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_only_one_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timers_fire_in_deadline_then_arming_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_cancel_and_rearm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_delay_rearm_runs_next_iteration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_armed_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_read_and_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_deleted_mid_batch_gets_no_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_until_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_window_then_sleep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup_reported_as_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
