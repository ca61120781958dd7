/*
 * loop.c - the user-space execution context: an epoll loop with fd
 * watches and the platform's one-shot timers.
 *
 * Timers live in one process-wide binary min-heap ordered by (deadline,
 * arming sequence number): equal deadlines fire in arming order, so
 * ordering never depends on pointer values.  The heap array is grown when
 * a timer is created, never when one is armed, so nx_timer_arm() cannot
 * fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "user_internal.h"

#define NX_TIMERS_MAX (1u << 16)  /* timer objects alive at once */
#define NX_EPOLL_BATCH 64         /* events taken per epoll_wait */
#define NX_WAIT_MAX_MS 3600000    /* longest single sleep */

#define TIMER_IDLE UINT32_MAX

struct nx_timer {
	nx_timer_fn fn;
	void *arg;
	uint64_t deadline_ns;
	uint64_t seq;
	uint32_t heap_index; /* TIMER_IDLE when not armed */
};

static struct {
	struct nx_timer **heap;
	uint32_t len;      /* armed timers */
	uint32_t cap;      /* heap slots */
	uint32_t alive;    /* timer objects */
	uint64_t next_seq;
} timers;

struct nx_watch {
	struct nx_loop *loop;
	int fd;
	unsigned events;
	nx_watch_fn fn;
	void *arg;
	bool dead;
	struct nx_watch *prev, *next; /* live list, or zombie list when dead */
};

struct nx_loop {
	int epfd;
	bool stop;
	struct nx_watch *live;
	struct nx_watch *zombies; /* deleted during dispatch, freed after it */
	unsigned watch_count;
	uint64_t poll_ns;
};

static struct nx_loop *the_loop;

struct nx_loop *nx_user_loop(void)
{
	return the_loop;
}

/* ---- timer heap ----------------------------------------------------------- */

static bool timer_before(const struct nx_timer *a, const struct nx_timer *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->seq < b->seq;
}

static void heap_set(uint32_t i, struct nx_timer *t)
{
	timers.heap[i] = t;
	t->heap_index = i;
}

static void heap_up(uint32_t i)
{
	struct nx_timer *t = timers.heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!timer_before(t, timers.heap[parent]))
			break;
		heap_set(i, timers.heap[parent]);
		i = parent;
	}
	heap_set(i, t);
}

static void heap_down(uint32_t i)
{
	struct nx_timer *t = timers.heap[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= timers.len)
			break;
		if (child + 1 < timers.len &&
		    timer_before(timers.heap[child + 1], timers.heap[child]))
			child++;
		if (!timer_before(timers.heap[child], t))
			break;
		heap_set(i, timers.heap[child]);
		i = child;
	}
	heap_set(i, t);
}

static void heap_remove(struct nx_timer *t)
{
	uint32_t i = t->heap_index;
	struct nx_timer *last;

	nx_assert(i < timers.len && timers.heap[i] == t);
	last = timers.heap[--timers.len];
	t->heap_index = TIMER_IDLE;
	if (last == t)
		return;
	heap_set(i, last);
	heap_up(i);
	heap_down(last->heap_index);
}

struct nx_timer *nx_timer_new(nx_timer_fn fn, void *arg)
{
	struct nx_timer *t;

	nx_assert(fn != NULL);
	if (timers.alive >= NX_TIMERS_MAX)
		return NULL;
	if (timers.alive == timers.cap) {
		uint32_t cap = timers.cap ? timers.cap * 2 : 64;
		struct nx_timer **heap = realloc(timers.heap, cap * sizeof(*heap));

		if (!heap)
			return NULL;
		timers.heap = heap;
		timers.cap = cap;
	}
	t = nx_alloc(sizeof(*t));
	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->heap_index = TIMER_IDLE;
	timers.alive++;
	return t;
}

void nx_timer_arm(struct nx_timer *t, uint64_t delay_ns)
{
	uint64_t now = nx_clock_ns();

	if (t->heap_index != TIMER_IDLE)
		heap_remove(t);
	t->deadline_ns = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
	t->seq = timers.next_seq++;
	nx_assert(timers.len < timers.cap);
	timers.heap[timers.len] = t;
	t->heap_index = timers.len++;
	heap_up(t->heap_index);
}

void nx_timer_cancel(struct nx_timer *t)
{
	if (t->heap_index != TIMER_IDLE)
		heap_remove(t);
}

void nx_timer_free(struct nx_timer *t)
{
	if (!t)
		return;
	nx_timer_cancel(t);
	nx_assert(timers.alive > 0);
	timers.alive--;
	nx_free(t);
	if (timers.alive == 0) {
		/* Last timer gone: give the heap back so leak checkers see a
		 * clean process after an orderly shutdown. */
		free(timers.heap);
		timers.heap = NULL;
		timers.cap = 0;
	}
}

unsigned nx_user_timers_armed(void)
{
	return timers.len;
}

/* Fires the timers due now.  Timers armed by the callbacks (even with a
 * zero delay) wait for the next iteration: the seq limit keeps one
 * iteration bounded. */
static int timers_dispatch(void)
{
	uint64_t now = nx_clock_ns();
	uint64_t seq_limit = timers.next_seq;
	int fired = 0;

	while (timers.len > 0) {
		struct nx_timer *t = timers.heap[0];

		if (t->deadline_ns > now || t->seq >= seq_limit)
			break;
		heap_remove(t);
		fired++;
		/* The callback may re-arm or free t: touch nothing after. */
		t->fn(t->arg);
	}
	return fired;
}

/* Milliseconds until the next timer, rounded up; -1 when none. */
static int timers_wait_ms(void)
{
	uint64_t now, delta;

	if (timers.len == 0)
		return -1;
	now = nx_clock_ns();
	if (timers.heap[0]->deadline_ns <= now)
		return 0;
	delta = timers.heap[0]->deadline_ns - now;
	if (delta / 1000000u >= NX_WAIT_MAX_MS)
		return NX_WAIT_MAX_MS;
	return (int)((delta + 999999u) / 1000000u);
}

/* ---- the loop --------------------------------------------------------------- */

struct nx_loop *nx_loop_new(void)
{
	struct nx_loop *loop;

	if (the_loop) {
		nx_log(NX_LOG_ERR, "nx_loop_new: a loop already exists");
		return NULL;
	}
	loop = nx_alloc(sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		nx_log(NX_LOG_ERR, "epoll_create1: errno %d", errno);
		nx_free(loop);
		return NULL;
	}
	the_loop = loop;
	return loop;
}

static void zombies_free(struct nx_loop *loop)
{
	while (loop->zombies) {
		struct nx_watch *w = loop->zombies;

		loop->zombies = w->next;
		nx_free(w);
	}
}

void nx_loop_free(struct nx_loop *loop)
{
	if (!loop)
		return;
	nx_assert(loop == the_loop);
	nx_user_file_shutdown();
	if (loop->watch_count)
		nx_log(NX_LOG_WARN, "nx_loop_free: %u watches still registered",
		       loop->watch_count);
	while (loop->live)
		nx_watch_del(loop->live);
	zombies_free(loop);
	nx_user_buf_trim();
	close(loop->epfd);
	the_loop = NULL;
	nx_free(loop);
}

void nx_loop_stop(struct nx_loop *loop)
{
	loop->stop = true;
}

static uint32_t to_epoll(unsigned events)
{
	return (events & NX_EV_READ ? EPOLLIN : 0) |
	       (events & NX_EV_WRITE ? EPOLLOUT : 0);
}

static unsigned from_epoll(uint32_t ev)
{
	return (ev & (EPOLLIN | EPOLLRDHUP) ? NX_EV_READ : 0) |
	       (ev & EPOLLOUT ? NX_EV_WRITE : 0) |
	       (ev & (EPOLLERR | EPOLLHUP) ? NX_EV_ERROR : 0);
}

static int wait_ms(int64_t timeout_ns)
{
	int timer_ms = timers_wait_ms();
	int ms;

	if (timeout_ns < 0)
		return timer_ms;
	ms = timeout_ns / 1000000 >= NX_WAIT_MAX_MS ? NX_WAIT_MAX_MS :
		(int)((timeout_ns + 999999) / 1000000);
	return timer_ms >= 0 && timer_ms < ms ? timer_ms : ms;
}

int nx_loop_run_once(struct nx_loop *loop, int64_t timeout_ns)
{
	struct epoll_event evs[NX_EPOLL_BATCH];
	int n, ran = 0;

	n = epoll_wait(loop->epfd, evs, NX_EPOLL_BATCH, wait_ms(timeout_ns));
	if (n < 0) {
		if (errno != EINTR)
			return nx_user_errno(errno);
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		struct nx_watch *w = evs[i].data.ptr;

		/* Deleted by an earlier callback of this batch: skip. */
		if (w->dead)
			continue;
		w->fn(w->arg, from_epoll(evs[i].events));
		ran++;
	}
	zombies_free(loop);
	ran += timers_dispatch();
	return ran;
}

int nx_loop_run(struct nx_loop *loop)
{
	uint64_t busy_at = 0;

	loop->stop = false;
	while (!loop->stop) {
		bool poll = loop->poll_ns &&
			    nx_clock_ns() - busy_at < loop->poll_ns;
		int rc = nx_loop_run_once(loop, poll ? 0 : -1);

		if (rc < 0)
			return rc;
		if (rc > 0 && loop->poll_ns)
			busy_at = nx_clock_ns();
	}
	return 0;
}

void nx_loop_set_poll(struct nx_loop *loop, uint64_t ns)
{
	loop->poll_ns = ns;
}

/* ---- fd watches -------------------------------------------------------------- */

struct nx_watch *nx_watch_add(struct nx_loop *loop, int fd, unsigned events,
			      nx_watch_fn fn, void *arg)
{
	struct epoll_event ev = { .events = to_epoll(events) };
	struct nx_watch *w;

	nx_assert(fn != NULL);
	nx_assert(fd >= 0);
	w = nx_alloc(sizeof(*w));
	if (!w)
		return NULL;
	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		nx_log(NX_LOG_ERR, "epoll_ctl(ADD, fd %d): errno %d", fd, errno);
		nx_free(w);
		return NULL;
	}
	w->next = loop->live;
	if (loop->live)
		loop->live->prev = w;
	loop->live = w;
	loop->watch_count++;
	return w;
}

int nx_watch_mod(struct nx_watch *w, unsigned events)
{
	struct epoll_event ev = { .events = to_epoll(events) };

	nx_assert(!w->dead);
	if (events == w->events)
		return 0;
	ev.data.ptr = w;
	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return nx_user_errno(errno);
	w->events = events;
	return 0;
}

void nx_watch_del(struct nx_watch *w)
{
	struct nx_loop *loop;

	if (!w)
		return;
	nx_assert(!w->dead);
	loop = w->loop;
	/* Callers delete the watch before closing the fd: a closed fd number
	 * may already belong to a new watch. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	if (w->prev)
		w->prev->next = w->next;
	else
		loop->live = w->next;
	if (w->next)
		w->next->prev = w->prev;
	loop->watch_count--;
	w->dead = true;
	w->prev = NULL;
	w->next = loop->zombies;
	loop->zombies = w;
}
