/*
 * ns3_test.c - the ns3 link: --link parsing, and (with ns-3 built in)
 * ns-3's verdicts on packets: serialization + delay to the nanosecond,
 * queueing, drop-tail overflow, MTU, the error model, partitions,
 * determinism from the seed, one world per process.  Without ns-3 the
 * ns3 link must refuse to parse, saying how to get it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nx_link.h"

#define PKTS_MAX 4096

/* What the sink saw: per cookie (an index), arrival time or a drop. */
static struct {
	uint64_t at[PKTS_MAX];
	bool arrived[PKTS_MAX], dropped[PKTS_MAX];
	unsigned arrivals, drops;
} seen;

static void sink_arrive(void *arg, void *cookie, uint64_t at_ns)
{
	uintptr_t i = (uintptr_t)cookie;

	assert_true(i < PKTS_MAX && !seen.arrived[i] && !seen.dropped[i]);
	assert_true(at_ns >= nx_sim_now(arg));
	seen.at[i] = at_ns;
	seen.arrived[i] = true;
	seen.arrivals++;
}

static void sink_drop(void *arg, void *cookie)
{
	uintptr_t i = (uintptr_t)cookie;

	assert_true(i < PKTS_MAX && !seen.arrived[i] && !seen.dropped[i]);
	seen.dropped[i] = true;
	seen.drops++;
}

static struct nx_sim *sim_make(uint64_t seed)
{
	struct nx_sim_opts so = { .seed = seed };

	return nx_sim_new(&so);
}

static struct nx_link *link_make(struct nx_sim *sim, const char *spec)
{
	struct nx_link_opts o;
	struct nx_link *l;
	char err[256];

	assert_int_equal(nx_link_parse(spec, &o, NULL, err, sizeof(err)), 0);
	l = nx_link_new(sim, &o, 4);
	assert_non_null(l);
	assert_true(nx_link_async(l));
	nx_link_set_sink(l, &(struct nx_link_sink){
		.arrive = sink_arrive, .drop = sink_drop, .arg = sim });
	memset(&seen, 0, sizeof(seen));
	return l;
}

static bool submit(struct nx_link *l, unsigned src, unsigned dst,
		   uint32_t wire_bytes, uintptr_t cookie)
{
	return nx_link_submit(l, src, dst, wire_bytes, (void *)cookie);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"ns3:jitter=1us", "ns3:dup=0.1", "ns3:topo=ring", "ns3:queue=0",
		"ns3:queue=10x", "ns3:mtu=100", "ns3:mtu=9001", "ns3:rate=0",
		"ns3:queue=1.5p",
	};
	struct nx_link_opts o, o2;
	char buf[NX_LINK_STR_MAX], err[256];

	if (!nx_link_ns3_available()) {
		/* This build has no ns-3: a clear refusal, naming the fix. */
		assert_int_equal(nx_link_parse("ns3", &o, NULL, err, sizeof(err)), NX_EINVAL);
		assert_non_null(strstr(err, "no ns-3"));
		assert_non_null(strstr(err, "libns3-dev"));
		return;
	}
	assert_int_equal(nx_link_parse("ns3", &o, NULL, err, sizeof(err)), 0);
	nx_link_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "ns3:topo=p2p,rate=1G,delay=50us,queue=1000p,loss=0,mtu=1500");
	assert_int_equal(nx_link_parse("ns3:topo=csma,rate=1Gbps,delay=2us,queue=64000B,"
				       "loss=0.001,mtu=9000,partition=1ms+2ms",
				       &o, NULL, err, sizeof(err)), 0);
	assert_int_equal(o.kind, NX_LINK_NS3);
	assert_int_equal(o.topo, NX_LINK_TOPO_CSMA);
	assert_int_equal(o.bandwidth_bps, 1000000000ull);
	assert_int_equal(o.latency_ns, 2000);
	assert_int_equal(o.queue_len, 64000);
	assert_true(o.queue_bytes);
	assert_int_equal(o.loss_ppb, 1000000);
	assert_int_equal(o.mtu, 9000);
	assert_int_equal(o.partition_count, 1);
	nx_link_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "ns3:topo=csma,rate=1G,delay=2us,queue=64000B,loss=0.001,"
			    "mtu=9000,partition=1ms+2ms");
	assert_int_equal(nx_link_parse(buf, &o2, NULL, err, sizeof(err)), 0);
	assert_memory_equal(&o, &o2, sizeof(o));
	for (unsigned i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(nx_link_parse(bad[i], &o, NULL, err, sizeof(err)), NX_EINVAL);
		assert_true(err[0] != '\0');
	}
}

/* Point-to-point, 1 Gb/s, 50 us: a 1268-byte frame (tcp.c's count: a
 * 1250-byte datagram + Ethernet header and FCS) is 1250 + PPP's 2
 * bytes = 10016 ns on the wire, then 50 us of flight.  A second one
 * waits for the first; the other direction has its own wire. */
static void test_p2p_timing_and_queue(void **state)
{
	struct nx_sim *sim;
	struct nx_link *l;
	uint64_t t;

	if (!nx_link_ns3_available())
		skip(); /* test_parse checks the refusal */
	sim = sim_make(3);
	l = link_make(sim, "ns3:rate=1G,delay=50us,queue=2p");
	nx_sim_run_to(sim, 1000);
	assert_true(submit(l, 0, 1, 1268, 0));
	assert_true(submit(l, 0, 1, 1268, 1));
	assert_true(submit(l, 1, 0, 1268, 2));
	assert_true(submit(l, 0, 1, 1268, 3));  /* queue: 1 and 3 */
	assert_false(submit(l, 0, 1, 1268, 4)); /* drop tail */
	assert_false(submit(l, 2, 3, 1500 + 18 + 1, 5)); /* > MTU */
	assert_true(submit(l, 2, 3, 1500 + 18, 6));
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(seen.arrivals, 5);
	assert_int_equal(seen.drops, 0);
	assert_int_equal(seen.at[0], 1000 + 10016 + 50000);
	assert_int_equal(seen.at[1], 1000 + 2 * 10016 + 50000);
	assert_int_equal(seen.at[2], 1000 + 10016 + 50000);
	assert_int_equal(seen.at[3], 1000 + 3 * 10016 + 50000);
	assert_int_equal(seen.at[6], 1000 + 12016 + 50000); /* 1502 bytes */
	/* Later, on an idle wire: no queueing left over. */
	nx_sim_run_for(sim, 7);
	t = nx_sim_now(sim);
	assert_true(submit(l, 0, 1, 1268, 7));
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(seen.at[7], t + 10016 + 50000);
	nx_link_free(l);
	nx_sim_free(sim);
}

/* CSMA, 100 Mb/s, 1 us: the datagram gets Ethernet's 14 + 4 bytes
 * (1268 bytes = 101440 ns), and the two hosts share one medium. */
static void test_csma(void **state)
{
	struct nx_sim *sim;
	struct nx_link *l;

	if (!nx_link_ns3_available())
		skip(); /* test_parse checks the refusal */
	sim = sim_make(3);
	l = link_make(sim, "ns3:topo=csma,rate=100M,delay=1us");
	assert_true(submit(l, 0, 1, 1268, 0));
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(seen.arrivals, 1);
	assert_int_equal(seen.at[0], 101440 + 1000);
	/* Both directions at once: one waits for the medium. */
	assert_true(submit(l, 0, 1, 1268, 1));
	assert_true(submit(l, 1, 0, 1268, 2));
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(seen.arrivals, 3);
	assert_true(seen.at[1] != seen.at[2]);
	assert_true(NX_MAX(seen.at[1], seen.at[2]) - NX_MIN(seen.at[1], seen.at[2]) >= 101440);
	nx_link_free(l);
	nx_sim_free(sim);
}

/* Sends n packets 20 us apart (never queued) and returns the drops;
 * pattern[i] says which. */
static unsigned lossy_run(uint64_t seed, const char *spec, unsigned n, bool *pattern)
{
	struct nx_sim *sim = sim_make(seed);
	struct nx_link *l = link_make(sim, spec);
	struct nx_link_stats st;
	unsigned drops;

	for (unsigned i = 0; i < n; i++) {
		assert_true(submit(l, 0, 1, 1000, i));
		nx_sim_run_for(sim, 20000);
	}
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(seen.arrivals + seen.drops, n);
	nx_link_stats(l, &st);
	assert_int_equal(st.sent, n);
	assert_int_equal(st.lost, seen.drops);
	assert_int_equal(st.delivered, seen.arrivals);
	memcpy(pattern, seen.dropped, n * sizeof(*pattern));
	drops = seen.drops;
	nx_link_free(l);
	nx_sim_free(sim);
	return drops;
}

static void test_loss_is_seeded(void **state)
{
	static bool a[1000], b[1000], c[1000];
	unsigned na, nb, nc;

	if (!nx_link_ns3_available())
		skip(); /* test_parse checks the refusal */
	na = lossy_run(7, "ns3:loss=0.3", 1000, a);
	nb = lossy_run(7, "ns3:loss=0.3", 1000, b);
	nc = lossy_run(8, "ns3:loss=0.3", 1000, c);
	assert_true(na > 240 && na < 360);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, sizeof(a));          /* same seed, same fate */
	assert_true(nc > 240 && nc < 360);
	assert_true(memcmp(a, c, sizeof(a)) != 0);     /* another seed differs */
	assert_int_equal(lossy_run(7, "ns3:loss=1", 50, a), 50);
	assert_int_equal(lossy_run(7, "ns3:topo=csma,loss=1", 50, a), 50);
}

static void test_partition_and_one_world(void **state)
{
	struct nx_sim *sim;
	struct nx_link *l;
	struct nx_link_opts o;
	struct nx_link_stats st;
	char err[128];

	if (!nx_link_ns3_available())
		skip(); /* test_parse checks the refusal */
	sim = sim_make(3);
	l = link_make(sim, "ns3:partition=1ms+1ms");
	/* ns-3 has one simulator per process: a second world is refused. */
	assert_int_equal(nx_link_parse("ns3", &o, NULL, err, sizeof(err)), 0);
	assert_null(nx_link_new(sim, &o, 2));
	nx_sim_run_to(sim, 1500000);
	assert_false(submit(l, 0, 1, 500, 0));
	nx_sim_run_to(sim, 2000000);
	assert_true(submit(l, 0, 1, 500, 1));
	/* Freed with a packet in flight: forgotten, never reported. */
	nx_link_stats(l, &st);
	assert_int_equal(st.partitioned, 1);
	nx_link_free(l);
	assert_int_equal(seen.arrivals + seen.drops, 0);
	nx_sim_run_idle(sim, UINT64_MAX);
	/* The world is gone: a new one may be made. */
	l = link_make(sim, "ns3");
	nx_link_free(l);
	nx_sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_p2p_timing_and_queue),
		cmocka_unit_test(test_csma),
		cmocka_unit_test(test_loss_is_seeded),
		cmocka_unit_test(test_partition_and_one_world),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
