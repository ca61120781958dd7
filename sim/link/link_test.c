/*
 * link_test.c - --link parsing/formatting and the models' behaviour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nx_link.h"

static void test_parse_parametric(void **state)
{
	struct nx_link_opts o;
	char err[128];

	assert_int_equal(nx_link_parse("parametric:latency=50us,jitter=20us,loss=0.01,"
				       "dup=0.001,reorder=1%,bw=10G,reorder_delay=1.5ms,"
				       "partition=10ms+5ms,partition=1s+2s",
				       &o, NULL, err, sizeof(err)), 0);
	assert_int_equal(o.kind, NX_LINK_PARAMETRIC);
	assert_int_equal(o.latency_ns, 50000);
	assert_int_equal(o.jitter_ns, 20000);
	assert_int_equal(o.loss_ppb, 10000000);
	assert_int_equal(o.dup_ppb, 1000000);
	assert_int_equal(o.reorder_ppb, 10000000);
	assert_int_equal(o.bandwidth_bps, 10000000000ull);
	assert_int_equal(o.reorder_delay_ns, 1500000);
	assert_int_equal(o.partition_count, 2);
	assert_int_equal(o.partitions[0].at_ns, 10000000);
	assert_int_equal(o.partitions[0].duration_ns, 5000000);
	assert_int_equal(o.partitions[1].at_ns, 1000000000);
	assert_int_equal(o.partitions[1].duration_ns, 2000000000);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"wormhole", "ideal:jitter=1us", "parametric:loss=1.5",
		"parametric:loss=", "parametric:latency=5parsecs",
		"parametric:bw=10Q", "parametric:partition=5ms", "parametric:nope=1",
		"random",  /* needs an rng */
		"ideal:mtu=575", "ideal:mtu=9001", "ideal:mtu=1500.5", "ideal:mtu=1k",
	};
	struct nx_link_opts o;
	char err[128];

	for (unsigned i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(nx_link_parse(bad[i], &o, NULL, err, sizeof(err)), NX_EINVAL);
		assert_true(err[0] != '\0');
	}
}

static void test_format_round_trip(void **state)
{
	struct nx_rng rng;
	char buf[NX_LINK_STR_MAX], buf2[NX_LINK_STR_MAX], err[128];

	nx_rng_init(&rng, 5);
	for (unsigned i = 0; i < 50; i++) {
		struct nx_link_opts a, b;

		nx_link_opts_from_seed(&a, &rng);
		assert_true(nx_link_format(&a, buf, sizeof(buf)) > 0);
		assert_int_equal(nx_link_parse(buf, &b, NULL, err, sizeof(err)), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		nx_link_format(&b, buf2, sizeof(buf2));
		assert_string_equal(buf, buf2);
	}
	{
		struct nx_link_opts a;

		nx_link_opts_ideal(&a);
		nx_link_format(&a, buf, sizeof(buf));
		assert_string_equal(buf, "ideal:latency=10us");
		/* mtu: either model, printed only when set */
		assert_int_equal(nx_link_parse("ideal:mtu=9000,latency=5us", &a, NULL,
					       err, sizeof(err)), 0);
		assert_int_equal(a.mtu, 9000);
		nx_link_format(&a, buf, sizeof(buf));
		assert_string_equal(buf, "ideal:latency=5us,mtu=9000");
		assert_int_equal(nx_link_parse("parametric:latency=1us,mtu=576", &a,
					       NULL, err, sizeof(err)), 0);
		assert_int_equal(a.mtu, 576);
	}
}

static struct nx_sim *sim_make(void)
{
	struct nx_sim_opts so = { .seed = 3 };

	return nx_sim_new(&so);
}

static void test_ideal_and_bandwidth(void **state)
{
	struct nx_sim *sim = sim_make();
	struct nx_link_opts o;
	struct nx_link *l;
	uint64_t at[2];
	char err[64];

	nx_link_opts_ideal(&o);
	l = nx_link_new(sim, &o, 2);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(nx_link_send(l, 0, 1, 1500, at), 1);
		assert_int_equal(at[0], 10000);
	}
	nx_link_free(l);
	/* 1 Gb/s: a 1250-byte frame takes 10 us on the wire, queued back
	 * to back per direction. */
	assert_int_equal(nx_link_parse("parametric:latency=1us,bw=1G", &o, NULL, err, 64), 0);
	l = nx_link_new(sim, &o, 2);
	assert_int_equal(nx_link_send(l, 0, 1, 1250, at), 1);
	assert_int_equal(at[0], 11000);
	assert_int_equal(nx_link_send(l, 0, 1, 1250, at), 1);
	assert_int_equal(at[0], 21000);
	assert_int_equal(nx_link_send(l, 1, 0, 1250, at), 1); /* other direction */
	assert_int_equal(at[0], 11000);
	nx_link_cut(l, 0, 1, true);
	assert_int_equal(nx_link_send(l, 1, 0, 100, at), 0);
	nx_link_cut(l, NX_LINK_ALL, NX_LINK_ALL, false);
	assert_int_equal(nx_link_send(l, 1, 0, 100, at), 1);
	nx_link_free(l);
	nx_sim_free(sim);
}

/* A train counts as its packets sent one by one would, at the time
 * nx_link_send gives each; only the ideal link with nothing cut (and
 * no partition scheduled) takes trains. */
static void test_trains(void **state)
{
	struct nx_sim *sim = sim_make();
	struct nx_link_opts o;
	struct nx_link_stats st;
	struct nx_link *l;
	uint64_t at[2];
	char err[64];

	nx_link_opts_ideal(&o);
	l = nx_link_new(sim, &o, 3);
	assert_true(nx_link_trains(l));
	assert_int_equal(nx_link_send(l, 0, 1, 1500, at), 1);
	assert_int_equal(nx_link_send_train(l, 0, 1, 3), at[0]);
	nx_link_stats(l, &st);
	assert_int_equal(st.sent, 4);
	assert_int_equal(st.delivered, 4);
	nx_link_cut(l, 1, 2, true);
	assert_false(nx_link_trains(l));
	nx_link_cut(l, 1, 2, false);
	assert_true(nx_link_trains(l));
	nx_link_free(l);
	assert_int_equal(nx_link_parse("ideal:latency=10us", &o, NULL, err, 64), 0);
	o.partitions[0].at_ns = 1000;
	o.partitions[0].duration_ns = 1000;
	o.partition_count = 1;
	l = nx_link_new(sim, &o, 2);
	assert_false(nx_link_trains(l));
	nx_link_free(l);
	assert_int_equal(nx_link_parse("parametric:latency=1us", &o, NULL, err, 64), 0);
	l = nx_link_new(sim, &o, 2);
	assert_false(nx_link_trains(l));
	nx_link_free(l);
	nx_sim_free(sim);
}

static void test_fault_rates_and_partition(void **state)
{
	struct nx_sim *sim = sim_make();
	struct nx_link_opts o;
	struct nx_link *l;
	struct nx_link_stats st;
	uint64_t at[2];
	char err[64];

	assert_int_equal(nx_link_parse("parametric:latency=10us,jitter=5us,loss=0.1,"
				       "dup=0.05,reorder=0.1,partition=1ms+1ms",
				       &o, NULL, err, 64), 0);
	l = nx_link_new(sim, &o, 2);
	for (unsigned i = 0; i < 10000; i++) {
		unsigned n = nx_link_send(l, 0, 1, 100, at);

		for (unsigned k = 0; k < n; k++)
			assert_true(at[k] >= 10000);
	}
	nx_link_stats(l, &st);
	assert_true(st.lost > 800 && st.lost < 1200);
	assert_true(st.duplicated > 300 && st.duplicated < 600);
	assert_true(st.reordered > 700 && st.reordered < 1100);
	nx_sim_run_to(sim, 1500000);                 /* inside the partition */
	assert_int_equal(nx_link_send(l, 0, 1, 100, at), 0);
	nx_sim_run_to(sim, 2000000);                 /* healed */
	assert_true(nx_link_is_cut(l, 0, 1) == false);
	nx_link_free(l);
	nx_sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_parametric),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_ideal_and_bandwidth),
		cmocka_unit_test(test_trains),
		cmocka_unit_test(test_fault_rates_and_partition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
