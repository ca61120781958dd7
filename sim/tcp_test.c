/*
 * tcp_test.c - simulated TCP: exact byte streams under loss, duplication,
 * reordering and flow control for many seeds; refused connections,
 * resets, partitions, crashes; determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nx_sim_xfer.h"

#define SEC 1000000000ull
#define IP_A 0x0a000001u
#define IP_B 0x0a000002u

struct world {
	struct nx_sim *sim;
	struct nx_sim_net *net;
	struct nx_sim_host *a, *b;
};

static void world_init(struct world *w, uint64_t seed, const char *link)
{
	struct nx_sim_opts so = { .seed = seed };
	struct nx_sim_net_opts no;
	struct nx_link_opts lo;
	struct nx_rng rng;
	char err[128];

	w->sim = nx_sim_new(&so);
	assert_non_null(w->sim);
	nx_rng_fork(nx_sim_rng(w->sim), "link.opts", 0, &rng);
	assert_int_equal(nx_link_parse(link, &lo, &rng, err, sizeof(err)), 0);
	nx_sim_net_opts_default(&no);
	w->net = nx_sim_net_new(w->sim, &no, &lo);
	assert_non_null(w->net);
	w->a = nx_sim_host_new(w->net, "a", IP_A);
	w->b = nx_sim_host_new(w->net, "b", IP_B);
	assert_non_null(w->a);
	assert_non_null(w->b);
}

static void world_fini(struct world *w)
{
	nx_sim_net_free(w->net);
	nx_sim_free(w->sim);
}

static void check_ok(const struct nx_sim_xfer_result *r, uint64_t ab, uint64_t ba,
		     uint64_t seed)
{
	if (!r->ok)
		fprintf(stderr, "seed %llu: a rcvd %llu err %d, b rcvd %llu err %d\n",
			(unsigned long long)seed, (unsigned long long)r->a.rcvd,
			r->a.err, (unsigned long long)r->b.rcvd, r->b.err);
	assert_true(r->ok);
	assert_int_equal(r->b.rcvd, ab);
	assert_int_equal(r->a.rcvd, ba);
	assert_true(r->a.eof && r->b.eof);
}

static void test_ideal_transfer(void **state)
{
	struct world w;
	struct nx_sim_xfer_opts o;
	struct nx_sim_xfer_result r;
	struct nx_sim_tcp_stats st;

	world_init(&w, 1, "ideal");
	nx_sim_xfer_opts_default(&o);
	o.bytes_ab = 3 << 20;
	o.bytes_ba = 123457;
	assert_int_equal(nx_sim_xfer_run(w.sim, w.net, w.a, w.b, &o, 60 * SEC, &r), 0);
	check_ok(&r, o.bytes_ab, o.bytes_ba, 1);
	nx_sim_net_stats(w.net, &st);
	assert_int_equal(st.retransmits, 0);
	assert_int_equal(st.dup_segs, 0);
	assert_int_equal(st.bytes_rcvd, o.bytes_ab + o.bytes_ba);
	/* both ends linger in TIME_WAIT / are gone; then nothing is left */
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_int_equal(nx_sim_net_conns(w.net), 0);
	assert_int_equal(nx_sim_events_pending(w.sim), 0);
	world_fini(&w);
}

/* A link's mtu sets the MSS: jumbo frames carry the same stream in a
 * quarter of the data segments or less, exact under loss too.  Data
 * segments as sent (ACKs depend on how segments that arrive together
 * merge, see seg_coalesce in tcp.c). */
static uint64_t mtu_transfer(const char *link, uint64_t seed)
{
	struct world w;
	struct nx_sim_xfer_opts o;
	struct nx_sim_xfer_result r;
	struct nx_sim_tcp_stats st;

	world_init(&w, seed, link);
	nx_sim_xfer_opts_default(&o);
	o.bytes_ab = 1 << 20;
	o.bytes_ba = 54321;
	assert_int_equal(nx_sim_xfer_run(w.sim, w.net, w.a, w.b, &o, 600 * SEC, &r), 0);
	check_ok(&r, o.bytes_ab, o.bytes_ba, seed);
	nx_sim_net_stats(w.net, &st);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	world_fini(&w);
	return st.data_segs_sent;
}

static void test_mtu_sets_mss(void **state)
{
	uint64_t std = mtu_transfer("ideal", 1);
	uint64_t jumbo = mtu_transfer("ideal:mtu=9000", 1);

	/* (1 MiB + 53 KiB) / 8960 = 124 full segments, 756 at 1460; the
	 * sender's random write sizes add short tails to both */
	assert_true(std >= 756 && jumbo >= 124 && jumbo < std / 4);
	for (uint64_t seed = 1; seed <= 10; seed++)
		(void)mtu_transfer("parametric:latency=20us,jitter=10us,loss=0.05,"
				   "dup=0.02,reorder=0.05,mtu=9000", seed);
}

/* The core property: whatever the link does, the stream is exact. */
static void test_faulty_links_many_seeds(void **state)
{
	static const char *const links[] = {
		"parametric:latency=50us,jitter=40us,loss=0.03,dup=0.02,reorder=0.03,bw=1G",
		"parametric:latency=5us,jitter=100us,loss=0.1,dup=0.05,reorder=0.1",
		"random",
	};
	struct nx_sim_tcp_stats st;
	uint64_t rexmits = 0, ooo = 0, dups = 0;

	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct world w;
		struct nx_sim_xfer_opts o;
		struct nx_sim_xfer_result r;

		world_init(&w, seed, links[seed % NX_ARRAY_SIZE(links)]);
		nx_sim_xfer_opts_default(&o);
		o.bytes_ab = 200000 + seed * 1000;
		o.bytes_ba = 100000;
		o.pause_b = seed % 2 == 0;
		nx_sim_xfer_run(w.sim, w.net, w.a, w.b, &o, 600 * SEC, &r);
		check_ok(&r, o.bytes_ab, o.bytes_ba, seed);
		nx_sim_net_stats(w.net, &st);
		rexmits += st.retransmits;
		ooo += st.ooo_segs;
		dups += st.dup_segs;
		nx_sim_run_idle(w.sim, UINT64_MAX);
		assert_int_equal(nx_sim_net_conns(w.net), 0);
		world_fini(&w);
	}
	assert_true(rexmits > 0 && ooo > 0 && dups > 0); /* faults happened */
}

static uint64_t fingerprint(uint64_t seed)
{
	struct world w;
	struct nx_sim_xfer_opts o;
	struct nx_sim_xfer_result r;
	struct nx_sim_tcp_stats st;
	uint64_t h;

	world_init(&w, seed, "random");
	nx_sim_xfer_opts_default(&o);
	o.bytes_ab = o.bytes_ba = 100000;
	o.pause_b = true;
	nx_sim_xfer_run(w.sim, w.net, w.a, w.b, &o, 600 * SEC, &r);
	nx_sim_net_stats(w.net, &st);
	h = r.end_ns * 31 + nx_sim_events_run(w.sim) * 7 + st.segs_sent * 3 +
	    st.retransmits;
	world_fini(&w);
	return h;
}

static void test_deterministic(void **state)
{
	assert_int_equal(fingerprint(3), fingerprint(3));
	assert_int_equal(fingerprint(4), fingerprint(4));
	assert_int_not_equal(fingerprint(3), fingerprint(4));
}

/* ---- single-connection scenarios ----------------------------------------- */

struct app {
	struct nx_sim_tcp_conn *conn;
	bool connected, eof, closed;
	int err;
	uint64_t rcvd;
};

static void app_connected(void *ctx) { ((struct app *)ctx)->connected = true; }
static void app_eof(void *ctx) { ((struct app *)ctx)->eof = true; }

static void app_data(void *ctx, const uint8_t *buf, size_t len)
{
	((struct app *)ctx)->rcvd += len;
}

static void app_closed(void *ctx, int err)
{
	struct app *a = ctx;

	a->closed = true;
	a->err = err;
	a->conn = NULL;
}

static const struct nx_sim_tcp_ops app_ops = {
	.connected = app_connected, .data = app_data,
	.eof = app_eof, .closed = app_closed,
};

static struct app server;

static void app_accept(void *ctx, struct nx_sim_tcp_conn *c)
{
	server.conn = c;
	server.connected = true;
	nx_sim_tcp_set_ops(c, &app_ops, &server);
}

static void connect_pair(struct world *w, struct app *client,
			 struct nx_sim_tcp_listener **l)
{
	memset(&server, 0, sizeof(server));
	memset(client, 0, sizeof(*client));
	assert_int_equal(nx_sim_tcp_listen(w->b, 3260, app_accept, NULL, l), 0);
	assert_int_equal(nx_sim_tcp_connect(w->a, IP_B, 3260, &app_ops, client,
					    &client->conn), 0);
	nx_sim_run_for(w->sim, SEC / 100);
	assert_true(client->connected);
	assert_true(server.connected);
}

static void test_refused(void **state)
{
	struct world w;
	struct app c = { 0 };

	world_init(&w, 1, "ideal");
	assert_int_equal(nx_sim_tcp_connect(w.a, IP_B, 9999, &app_ops, &c, &c.conn), 0);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_true(c.closed);
	assert_int_equal(c.err, NX_SIM_ECONNREFUSED);
	assert_false(c.connected);
	assert_int_equal(nx_sim_tcp_connect(w.a, 0x0a0000ff, 1, &app_ops, &c, &c.conn),
			 NX_EINVAL); /* no such host */
	world_fini(&w);
}

static void test_injected_reset(void **state)
{
	struct world w;
	struct app c;
	struct nx_sim_tcp_listener *l;

	world_init(&w, 2, "parametric:latency=30us");
	connect_pair(&w, &c, &l);
	nx_sim_tcp_inject_reset(c.conn);
	assert_true(c.closed);                         /* local: at once */
	assert_int_equal(c.err, NX_SIM_ECONNRESET);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_true(server.closed);                    /* peer: by the RST */
	assert_int_equal(server.err, NX_SIM_ECONNRESET);
	assert_int_equal(nx_sim_net_conns(w.net), 0);
	nx_sim_tcp_unlisten(l);
	world_fini(&w);
}

static void test_partition_heals(void **state)
{
	struct world w;
	struct nx_sim_xfer_opts o;
	struct nx_sim_xfer_result r;

	/* 300 ms outage in the middle of the transfer: RTO backoff rides
	 * it out and the stream completes intact. */
	world_init(&w, 5, "parametric:latency=50us,bw=1G,partition=2ms+300ms");
	nx_sim_xfer_opts_default(&o);
	o.bytes_ab = o.bytes_ba = 2 << 20;
	nx_sim_xfer_run(w.sim, w.net, w.a, w.b, &o, 600 * SEC, &r);
	check_ok(&r, o.bytes_ab, o.bytes_ba, 5);
	assert_true(r.end_ns > 300 * 1000000ull);
	world_fini(&w);
}

static void test_partition_times_out(void **state)
{
	struct world w;
	struct app c;
	struct nx_sim_tcp_listener *l;
	uint8_t buf[1000] = { 0 };
	struct nx_iovec iov = { buf, sizeof(buf) };

	world_init(&w, 6, "parametric:latency=50us");
	connect_pair(&w, &c, &l);
	nx_link_cut(nx_sim_net_link(w.net), NX_LINK_ALL, NX_LINK_ALL, true);
	assert_int_equal(nx_sim_tcp_send(c.conn, &iov, 1), 0);
	nx_sim_run_for(w.sim, 60 * SEC);
	assert_true(c.closed);
	assert_int_equal(c.err, NX_SIM_ETIMEDOUT);
	assert_false(server.closed); /* it never heard anything */
	nx_sim_tcp_abort(server.conn);
	nx_sim_tcp_unlisten(l);
	world_fini(&w);
}

static void test_flow_control_zero_window(void **state)
{
	struct world w;
	struct app c;
	struct nx_sim_tcp_listener *l;
	static uint8_t buf[1 << 20];
	struct nx_iovec iov = { buf, sizeof(buf) };
	struct nx_sim_tcp_stats st;

	world_init(&w, 7, "parametric:latency=20us,bw=10G");
	connect_pair(&w, &c, &l);
	nx_sim_tcp_pause(server.conn, true);
	assert_int_equal(nx_sim_tcp_send(c.conn, &iov, 1), 0);
	nx_sim_run_for(w.sim, SEC);
	assert_int_equal(server.rcvd, 0);
	/* exactly the receive buffer crossed; the rest waits at the sender */
	assert_int_equal(nx_sim_tcp_send_queued(c.conn), sizeof(buf) - 256 * 1024);
	nx_sim_tcp_conn_stats(c.conn, &st);
	assert_true(st.window_probes > 0);
	assert_int_equal(st.retransmits, 0);
	nx_sim_tcp_pause(server.conn, false);
	nx_sim_run_for(w.sim, SEC);
	assert_int_equal(server.rcvd, sizeof(buf));
	assert_int_equal(nx_sim_tcp_send_queued(c.conn), 0);
	nx_sim_tcp_close(c.conn);
	nx_sim_run_for(w.sim, SEC);
	assert_true(server.eof);
	nx_sim_tcp_close(server.conn);
	nx_sim_tcp_unlisten(l);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_int_equal(nx_sim_net_conns(w.net), 0);
	world_fini(&w);
}

/* ---- TSO: trains on the ideal link -------------------------------------- */

struct trace {
	uint64_t calls, bytes, hash;
};

static struct trace trace_b;

static void trace_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct trace *t = ctx;

	t->calls++;
	t->bytes += len;
	t->hash = (t->hash ^ len ^ (uint64_t)buf[0] << 32) * 0x100000001b3ull;
}

static const struct nx_sim_tcp_ops trace_ops = { .data = trace_data };

static void trace_accept(void *ctx, struct nx_sim_tcp_conn *c)
{
	nx_sim_tcp_set_ops(c, &trace_ops, &trace_b);
}

/* nx_sim_tcp_send, or the same bytes written in place between
 * nx_sim_tcp_send_reserve and _commit. */
static void send_one(struct nx_sim_tcp_conn *c, const struct nx_iovec *iov,
		     bool reserve)
{
	uint8_t *p = NULL;

	if (!reserve) {
		assert_int_equal(nx_sim_tcp_send(c, iov, 1), 0);
		return;
	}
	assert_int_equal(nx_sim_tcp_send_reserve(c, iov->len, &p), 0);
	assert_non_null(p);
	memcpy(p, iov->base, iov->len);
	nx_sim_tcp_send_commit(c, iov->len);
}

/* Bursts of sends in one instant (so every output joins the train of
 * the one before, and merged segments pass UINT16_MAX), sizes that cut
 * a train anywhere, one send larger than UINT16_MAX. */
static void trains_run(bool trains, bool reserve, const char *pcap,
		       struct trace *out, struct nx_sim_tcp_stats *st)
{
	static uint8_t data[70000];
	struct world w;
	struct nx_sim_tcp_listener *l;
	struct nx_sim_tcp_conn *c;
	struct nx_sim_pcap *pc = nx_sim_pcap_open(pcap);
	struct nx_iovec iov;
	struct nx_sim_host *h;

	assert_non_null(pc);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	memset(&trace_b, 0, sizeof(trace_b));
	world_init(&w, 1, "ideal");
	nx_sim_net_set_pcap(w.net, pc);
	/* A cut between two idle hosts: the same ideal link, but every
	 * packet goes through nx_link_send one by one. */
	h = nx_sim_host_new(w.net, "c", 0x0a000003u);
	assert_non_null(h);
	if (!trains)
		nx_link_cut(nx_sim_net_link(w.net), 0, 2, true);
	assert_true(nx_link_trains(nx_sim_net_link(w.net)) == trains);
	assert_int_equal(nx_sim_tcp_listen(w.b, 3260, trace_accept, NULL, &l), 0);
	assert_int_equal(nx_sim_tcp_connect(w.a, IP_B, 3260, &trace_ops, NULL, &c), 0);
	nx_sim_run_for(w.sim, SEC / 100);
	for (unsigned burst = 0; burst < 6; burst++) {
		/* burst 4 goes into a cut: retransmitted (go-back-N) once
		 * it heals, on a link that takes trains again */
		if (burst == 4)
			nx_link_cut(nx_sim_net_link(w.net), 0, 1, true);
		for (unsigned i = 0; i < 40; i++) {
			iov.base = data;
			iov.len = 48 + (i * 977 + burst * 131) % 6000;
			if (i == 17 && burst == 2)
				iov.len = sizeof(data);
			send_one(c, &iov, reserve);
			if (burst == 4 && i == 20)
				nx_sim_run_for(w.sim, SEC / 1000);
		}
		if (burst == 4) {
			nx_sim_run_for(w.sim, SEC / 1000);
			nx_link_cut(nx_sim_net_link(w.net), 0, 1, false);
		}
		nx_sim_run_for(w.sim, SEC / 10);
	}
	nx_sim_net_stats(w.net, st);
	*out = trace_b;
	nx_sim_tcp_abort(c);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	nx_sim_pcap_close(pc);
	world_fini(&w);
}

static bool same_file(const char *x, const char *y)
{
	FILE *a = fopen(x, "rb"), *b = fopen(y, "rb");
	bool same = a != NULL && b != NULL;
	int ca, cb;

	while (same) {
		ca = fgetc(a);
		cb = fgetc(b);
		same = ca == cb;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (a != NULL)
		fclose(a);
	if (b != NULL)
		fclose(b);
	return same;
}

/* Runs the trains scenario twice - first with trains and plain sends,
 * then as told - and checks that the receiver, the capture and the
 * counters saw the same: the same bytes in the same callbacks, the same
 * segments, retransmissions (there must be some) and pcap. */
static void runs_match(bool trains, bool reserve, struct nx_sim_tcp_stats *sa,
		       struct nx_sim_tcp_stats *sb)
{
	char dir[] = "/tmp/nx-tcp-test.XXXXXX", pa[64], pb[64], cmd[96];
	struct trace ta, tb;

	assert_non_null(mkdtemp(dir));
	snprintf(pa, sizeof(pa), "%s/a.pcap", dir);
	snprintf(pb, sizeof(pb), "%s/b.pcap", dir);
	trains_run(true, false, pa, &ta, sa);
	trains_run(trains, reserve, pb, &tb, sb);
	assert_true(ta.bytes > 6 * 65536);
	assert_int_equal(ta.calls, tb.calls);
	assert_int_equal(ta.bytes, tb.bytes);
	assert_int_equal(ta.hash, tb.hash);
	assert_int_equal(sa->segs_sent, sb->segs_sent);
	assert_int_equal(sa->bytes_sent, sb->bytes_sent);
	assert_int_equal(sa->retransmits, sb->retransmits);
	assert_true(sa->retransmits > 0);
	assert_true(same_file(pa, pb));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The trains path (output_data, train_send) gives the receiver, the
 * capture and the counters exactly what one segment at a time gives. */
static void test_trains_match_segments(void **state)
{
	struct nx_sim_tcp_stats sa, sb;

	(void)state;
	runs_match(false, false, &sa, &sb);
	assert_int_equal(sa.data_segs_sent, sb.data_segs_sent);
	assert_int_equal(sa.segs_rcvd, sb.segs_rcvd);
	assert_true(sa.segs_rcvd < sa.segs_sent / 4); /* trains did merge */
}

/* Reserve + commit gives the receiver, the capture and the counters
 * exactly what nx_sim_tcp_send gives: the same buffer offsets and
 * moves (sizes that fill and move the buffer while segments are in
 * flight, a retransmission from a moved buffer). */
static void test_send_reserve_matches_send(void **state)
{
	struct nx_sim_tcp_stats sa, sb;

	(void)state;
	runs_match(true, true, &sa, &sb);
}

/* Errors as nx_sim_tcp_send's, and nothing queued by a refused reserve. */
static void test_send_reserve_errors(void **state)
{
	struct world w;
	struct app c;
	struct nx_sim_tcp_listener *l;
	struct nx_sim_net_opts no;
	uint8_t *p = NULL;
	size_t max;

	nx_sim_net_opts_default(&no); /* world_init's */
	max = no.sndbuf_max;
	world_init(&w, 9, "ideal");
	connect_pair(&w, &c, &l);
	nx_sim_tcp_pause(server.conn, true);
	assert_int_equal(nx_sim_tcp_send_reserve(c.conn, max + 1, &p), NX_ENOSPC);
	assert_null(p);
	assert_int_equal(nx_sim_tcp_send_queued(c.conn), 0);
	assert_int_equal(nx_sim_tcp_send_reserve(c.conn, 1000, &p), 0);
	memset(p, 0x5a, 1000);
	nx_sim_tcp_send_commit(c.conn, 1000);
	assert_int_equal(nx_sim_tcp_send_queued(c.conn), 1000);
	p = NULL;
	assert_int_equal(nx_sim_tcp_send_reserve(c.conn, max - 999, &p), NX_ENOSPC);
	assert_null(p);
	assert_int_equal(nx_sim_tcp_send_queued(c.conn), 1000);
	nx_sim_tcp_shutdown(c.conn);
	assert_int_equal(nx_sim_tcp_send_reserve(c.conn, 1, &p), NX_EINVAL);
	assert_null(p);
	nx_sim_tcp_pause(server.conn, false);
	nx_sim_run_for(w.sim, SEC);
	assert_int_equal(server.rcvd, 1000);
	assert_true(server.eof);
	nx_sim_tcp_close(server.conn);
	nx_sim_tcp_unlisten(l);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	world_fini(&w);
}

static void test_host_crash_resets_peer(void **state)
{
	struct world w;
	struct app c;
	struct nx_sim_tcp_listener *l;
	uint8_t buf[100] = { 0 };
	struct nx_iovec iov = { buf, sizeof(buf) };

	world_init(&w, 8, "ideal");
	connect_pair(&w, &c, &l);
	nx_sim_host_crash(w.b); /* listener and connection vanish silently */
	assert_false(server.closed);
	assert_int_equal(nx_sim_tcp_send(c.conn, &iov, 1), 0);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_true(c.closed);
	assert_int_equal(c.err, NX_SIM_ECONNRESET);
	world_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ideal_transfer),
		cmocka_unit_test(test_mtu_sets_mss),
		cmocka_unit_test(test_faulty_links_many_seeds),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_injected_reset),
		cmocka_unit_test(test_partition_heals),
		cmocka_unit_test(test_partition_times_out),
		cmocka_unit_test(test_flow_control_zero_window),
		cmocka_unit_test(test_host_crash_resets_peer),
		cmocka_unit_test(test_trains_match_segments),
		cmocka_unit_test(test_send_reserve_matches_send),
		cmocka_unit_test(test_send_reserve_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
