/*
 * pcap_test.c - synthesized frames: checksums, byte-identical captures
 * for one seed, and (when tshark is installed) clean dissection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "nx_sim_xfer.h"

#define SEC 1000000000ull

static void test_frame_checksums(void **state)
{
	static const uint8_t payload[5] = { 1, 2, 3, 4, 5 };
	static const uint8_t opts[4] = { 2, 4, 0x05, 0xb4 };
	struct nx_sim_pcap_tcp seg = {
		.src_mac = { 2, 0, 10, 0, 0, 1 }, .dst_mac = { 2, 0, 10, 0, 0, 2 },
		.src_ip = 0x0a000001, .dst_ip = 0x0a000002, .ip_id = 7,
		.sport = 49152, .dport = 3260, .seq = 0x01020304, .ack = 0xa0b0c0d0,
		.flags = NX_TCP_ACK | NX_TCP_PSH, .window = 512,
		.options = opts, .options_len = 4,
		.payload = payload, .payload_len = 5,
	};
	uint8_t f[128], pseudo[12];
	int len = nx_sim_pcap_build_tcp(f, sizeof(f), &seg);
	uint32_t sum = 0;

	assert_int_equal(len, 14 + 20 + 24 + 5);
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x00);
	assert_int_equal(f[14], 0x45);
	assert_int_equal(f[16] << 8 | f[17], 20 + 24 + 5); /* IPv4 total length */
	assert_int_equal(f[23], 6);
	/* a correct checksum makes the one's-complement sum verify to 0 */
	assert_int_equal(nx_sim_inet_csum(f + 14, 20, 0), 0);
	memcpy(pseudo, f + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	pseudo[10] = 0;
	pseudo[11] = 24 + 5;
	for (unsigned i = 0; i < 12; i += 2)
		sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
	assert_int_equal(nx_sim_inet_csum(f + 34, 24 + 5, sum), 0);
	assert_int_equal(f[34 + 12] >> 4, 6);                /* data offset */
	assert_int_equal(f[34 + 13], NX_TCP_ACK | NX_TCP_PSH);
	assert_memory_equal(f + 34 + 24, payload, 5);
	seg.options_len = 3;                                  /* not 4n */
	assert_int_equal(nx_sim_pcap_build_tcp(f, sizeof(f), &seg), NX_EINVAL);
}

static void capture(const char *path, uint64_t seed, const char *link)
{
	struct nx_sim_opts so = { .seed = seed };
	struct nx_sim *sim = nx_sim_new(&so);
	struct nx_sim_net_opts no;
	struct nx_link_opts lo;
	struct nx_sim_xfer_opts xo;
	struct nx_sim_xfer_result r;
	struct nx_sim_pcap *pc = nx_sim_pcap_open(path);
	struct nx_sim_net *net;
	struct nx_rng rng;
	char err[64];

	assert_non_null(pc);
	nx_rng_fork(nx_sim_rng(sim), "link.opts", 0, &rng);
	assert_int_equal(nx_link_parse(link, &lo, &rng, err, sizeof(err)), 0);
	nx_sim_net_opts_default(&no);
	net = nx_sim_net_new(sim, &no, &lo);
	nx_sim_net_set_pcap(net, pc);
	nx_sim_xfer_opts_default(&xo);
	xo.bytes_ab = 300000;
	xo.bytes_ba = 100000;
	nx_sim_xfer_run(sim, net, nx_sim_host_new(net, "a", 0x0a000001),
			nx_sim_host_new(net, "b", 0x0a000002), &xo, 600 * SEC, &r);
	assert_true(r.ok);
	nx_sim_run_idle(sim, UINT64_MAX); /* TIME_WAIT and all */
	assert_true(nx_sim_pcap_frames(pc) > 200);
	nx_sim_pcap_close(pc);
	nx_sim_net_free(net);
	nx_sim_free(sim);
}

static long slurp(const char *path, uint8_t **out)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*out = malloc((size_t)n);
	assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return n;
}

static bool same_file(const char *p, const char *q)
{
	uint8_t *a, *b;
	long na = slurp(p, &a), nb = slurp(q, &b);
	bool same = na == nb && memcmp(a, b, (size_t)na) == 0;

	free(a);
	free(b);
	return same;
}

static char dir[64];

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static const char *const faulty =
	"parametric:latency=40us,jitter=30us,loss=0.02,dup=0.01,reorder=0.02,bw=10G";

static void test_same_seed_byte_identical(void **state)
{
	char p1[128], p2[128], p3[128];

	path_of(p1, sizeof(p1), "a.pcap");
	path_of(p2, sizeof(p2), "b.pcap");
	path_of(p3, sizeof(p3), "c.pcap");
	for (uint64_t seed = 1; seed <= 4; seed++) {
		capture(p1, seed, faulty);
		capture(p2, seed, faulty);
		assert_true(same_file(p1, p2));
		capture(p3, seed + 100, faulty);
		assert_false(same_file(p1, p3));
	}
}

/* Runs tshark's expert info and returns its text (caller frees). */
static char *expert(const char *pcap)
{
	char cmd[256], *out = malloc(1 << 16);
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -q -z expert 2>/dev/null", pcap);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, (1 << 16) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	return out;
}

static void test_tshark_dissects_cleanly(void **state)
{
	char p[128];
	char *e;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	path_of(p, sizeof(p), "ideal.pcap");
	capture(p, 9, "ideal");
	e = expert(p);
	/* An ideal link: handshake, data and FINs, nothing to complain about. */
	assert_null(strstr(e, "Malformed"));
	assert_null(strstr(e, "Errors"));
	assert_null(strstr(e, "Warns"));
	assert_non_null(strstr(e, "Connection establish request (SYN)"));
	free(e);
	for (uint64_t seed = 1; seed <= 6; seed++) {
		capture(p, seed, faulty);
		e = expert(p);
		/* Faults show up only as what they are: retransmissions,
		 * duplicate ACKs, out-of-order segments. */
		assert_null(strstr(e, "Malformed"));
		assert_null(strstr(e, "Errors"));
		assert_null(strstr(e, "Bad checksum"));
		assert_null(strstr(e, "Previous segment(s) not captured"));
		assert_non_null(strstr(e, "retransmission"));
		free(e);
	}
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/nx-pcap-test.XXXXXX");
	return mkdtemp(dir) == NULL;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_checksums),
		cmocka_unit_test(test_same_seed_byte_identical),
		cmocka_unit_test(test_tshark_dissects_cleanly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
