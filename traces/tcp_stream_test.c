/*
 * tcp_stream_test.c - reassembly and decoding edge cases of the trace
 * engine: out-of-order segments, retransmissions, overlaps that agree or
 * conflict, holes reported (never filled), sequence wrap-around, a
 * capture begun mid-stream (resynchronisation on a BHS, header digests
 * detected by their CRC), link-layer framings, and garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "nx_trace.h"
#include "../transports/iscsi/iscsi_internal.h"

#define INI_PORT 40000
#define ISN_I 1000u
#define ISN_T 5000u

static void seg(struct nx_trace *t, bool from_ini, uint32_t seq,
		const uint8_t *p, uint32_t len, uint8_t flags, uint32_t frame)
{
	struct nx_tr_tcp s = { .family = 4, .flags = flags, .seq = seq,
			       .payload = p, .len = len };

	s.src[0] = from_ini ? 10 : 10;
	s.src[3] = from_ini ? 2 : 1;
	s.dst[0] = 10;
	s.dst[3] = from_ini ? 1 : 2;
	s.sport = from_ini ? INI_PORT : 3260;
	s.dport = from_ini ? 3260 : INI_PORT;
	assert_int_equal(nx_tr_add_segment(t, &s, frame), 0);
}

static struct nx_tr_dir *ini_dir(struct nx_trace *t)
{
	assert_int_equal(t->conns_n, 1);
	return &t->conns[0].dir[0];
}

static void test_in_order_and_out_of_order(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t a[100], b[50], c[30];
	struct nx_tr_dir *d;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	memset(c, 'c', sizeof(c));
	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	seg(&t, true, ISN_I + 1 + 100, b, 50, 0x10, 2);   /* before a */
	seg(&t, true, ISN_I + 1, a, 100, 0x10, 3);
	seg(&t, true, ISN_I + 1 + 150, c, 30, 0x10, 4);
	d = ini_dir(&t);
	assert_int_equal(nx_tr_reassemble(&t, d), 0);
	assert_int_equal(d->runs_n, 1);
	assert_true(d->runs[0].at_start);
	assert_int_equal(d->runs[0].off, 0);
	assert_int_equal(d->runs[0].len, 180);
	assert_int_equal(d->out_of_order, 1);
	assert_int_equal(d->holes, 0);
	assert_memory_equal(d->runs[0].data + 100, b, 50);
	/* b arrived at frame 2 but was deliverable only once a (frame 3)
	 * filled the gap: in-order delivery frame is the running maximum. */
	assert_int_equal(nx_tr_run_frame(&d->runs[0], 0), 3);
	assert_int_equal(nx_tr_run_frame(&d->runs[0], 120), 3);
	assert_int_equal(nx_tr_run_frame(&d->runs[0], 170), 4);
	nx_trace_free(&t);
}

static void test_retransmission_and_conflicting_overlap(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t a[64], a2[64], b[64];
	struct nx_tr_dir *d;

	memset(a, 1, sizeof(a));
	memset(a2, 9, sizeof(a2));   /* differs from a */
	memset(b, 2, sizeof(b));
	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	seg(&t, true, ISN_I + 1, a, 64, 0x10, 2);
	seg(&t, true, ISN_I + 1, a, 64, 0x10, 3);            /* identical */
	seg(&t, true, ISN_I + 1 + 32, a2, 64, 0x10, 4);      /* half over a */
	seg(&t, true, ISN_I + 1 + 96, b, 64, 0x10, 5);       /* right after */
	d = ini_dir(&t);
	assert_int_equal(nx_tr_reassemble(&t, d), 0);
	assert_int_equal(d->runs_n, 1);
	assert_int_equal(d->runs[0].len, 160);
	assert_int_equal(d->retransmits, 1);
	assert_int_equal(d->overlaps, 1);  /* a2 half over a */
	assert_int_equal(d->conflicts, 1);
	assert_int_equal(d->out_of_order, 2);  /* the repeat and a2 */
	/* The first copy wins: bytes 32..63 stay a's. */
	assert_int_equal(d->runs[0].data[40], 1);
	assert_int_equal(d->runs[0].data[70], 9);
	assert_int_equal(d->runs[0].data[90], 9);
	assert_int_equal(d->runs[0].data[150], 2);
	nx_trace_free(&t);
}

/* A retransmission re-segmented across the original boundary must not
 * delay bytes the original already delivered (the earliest copy wins). */
static void test_resegmented_retransmission_keeps_first_arrival(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t p[300];
	struct nx_tr_dir *d;

	for (unsigned i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)i;
	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	seg(&t, true, ISN_I + 1, p, 100, 0x10, 2);
	seg(&t, true, ISN_I + 1 + 100, p + 100, 100, 0x10, 3);
	seg(&t, true, ISN_I + 1 + 50, p + 50, 100, 0x10, 9);    /* late copy */
	seg(&t, true, ISN_I + 1 + 200, p + 200, 100, 0x10, 4);
	d = ini_dir(&t);
	assert_int_equal(nx_tr_reassemble(&t, d), 0);
	assert_int_equal(d->runs_n, 1);
	assert_memory_equal(d->runs[0].data, p, 300);
	assert_int_equal(d->retransmits, 1);
	assert_int_equal(nx_tr_run_frame(&d->runs[0], 150), 3);
	assert_int_equal(nx_tr_run_frame(&d->runs[0], 250), 4);
	nx_trace_free(&t);
}

static void test_hole_is_reported_not_filled(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t a[40] = { 0 }, c[40] = { 0 };
	struct nx_tr_dir *d;

	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	seg(&t, true, ISN_I + 1, a, 40, 0x10, 2);
	seg(&t, true, ISN_I + 1 + 100, c, 40, 0x10, 3);      /* 60 missing */
	d = ini_dir(&t);
	assert_int_equal(nx_tr_reassemble(&t, d), 0);
	assert_int_equal(d->runs_n, 2);
	assert_int_equal(d->holes, 1);
	assert_int_equal(d->missing, 60);
	assert_int_equal(d->bytes, 80);
	assert_int_equal(d->runs[1].off, 100);
	assert_false(d->runs[1].at_start);
	nx_trace_free(&t);
}

static void test_leading_hole_after_syn(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t c[16] = { 0 };
	struct nx_tr_dir *d;

	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	seg(&t, true, ISN_I + 1 + 48, c, 16, 0x10, 2);
	d = ini_dir(&t);
	assert_int_equal(nx_tr_reassemble(&t, d), 0);
	assert_int_equal(d->holes, 1);
	assert_int_equal(d->missing, 48);
	assert_false(d->runs[0].at_start);
	nx_trace_free(&t);
}

static void test_sequence_wraparound(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t a[32], b[32];
	struct nx_tr_dir *d;

	memset(a, 'x', sizeof(a));
	memset(b, 'y', sizeof(b));
	/* RFC 9293 3.4: 0xfffffff0 + 32 wraps to 0x10. */
	seg(&t, true, 0xfffffff0u, a, 32, 0x10, 1);
	seg(&t, true, 0x00000010u, b, 32, 0x10, 2);
	d = ini_dir(&t);
	assert_int_equal(nx_tr_reassemble(&t, d), 0);
	assert_int_equal(d->runs_n, 1);
	assert_int_equal(d->runs[0].len, 64);
	assert_int_equal(d->runs[0].data[40], 'y');
	nx_trace_free(&t);
}

/* ---- iSCSI on top ------------------------------------------------------- */

static size_t scsi_cmd_pdu(uint8_t *p, uint32_t itt, bool hd)
{
	memset(p, 0, 48);
	p[0] = 0x01;
	p[1] = 0x81;                 /* F, SIMPLE */
	p[9] = 1;                    /* LUN 1 */
	p[16] = (uint8_t)(itt >> 24);
	p[19] = (uint8_t)itt;
	p[27] = 1;                   /* CmdSN */
	p[32] = 0x00;                /* TEST UNIT READY */
	if (!hd)
		return 48;
	nx_iscsi_digest_put(p + 48, nx_crc32c(0, p, 48));
	return 52;
}

static size_t scsi_rsp_pdu(uint8_t *p, uint32_t itt, uint8_t status, bool hd)
{
	memset(p, 0, 48);
	p[0] = 0x21;
	p[1] = 0x80;
	p[3] = status;
	p[16] = (uint8_t)(itt >> 24);
	p[19] = (uint8_t)itt;
	if (!hd)
		return 48;
	nx_iscsi_digest_put(p + 48, nx_crc32c(0, p, 48));
	return 52;
}

static void test_midstream_resync_with_header_digest(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t ini[256], tgt[256];
	size_t ni = 0, nt = 0;

	/* The capture starts inside an earlier PDU: 37 bytes of its tail. */
	memset(ini, 0xee, 37);
	ni = 37;
	ni += scsi_cmd_pdu(ini + ni, 0x11, true);
	ni += scsi_cmd_pdu(ini + ni, 0x12, true);
	memset(tgt, 0x5a, 21);
	nt = 21;
	nt += scsi_rsp_pdu(tgt + nt, 0x11, 0x00, true);
	nt += scsi_rsp_pdu(tgt + nt, 0x12, 0x02, true);
	seg(&t, true, 777777, ini, (uint32_t)ni, 0x10, 1);
	seg(&t, false, 888888, tgt, (uint32_t)nt, 0x10, 2);
	assert_int_equal(nx_trace_decode(&t), 0);
	assert_int_equal(t.cmds_n, 2);
	assert_true(t.conns[0].login.digests_guessed);
	assert_true(t.conns[0].login.header_digest);
	assert_int_equal(t.conns[0].resyncs[0], 1);
	assert_int_equal(t.conns[0].skipped[0], 37);
	assert_true(t.cmds[0].answered);
	assert_int_equal(t.cmds[0].status, 0);
	assert_true(t.cmds[1].answered);
	assert_int_equal(t.cmds[1].status, 2);
	assert_int_equal(nx_tr_lun_number(t.cmds[0].lun), 1);
	nx_trace_free(&t);
}

static void test_hole_cuts_a_pdu_and_resyncs(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t p[64];
	size_t n;

	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	n = scsi_cmd_pdu(p, 0x21, false);
	seg(&t, true, ISN_I + 1, p, 20, 0x10, 2);        /* first 20 bytes */
	/* bytes 20..47 never captured; the next PDU follows */
	n = scsi_cmd_pdu(p, 0x22, false);
	seg(&t, true, ISN_I + 1 + 48, p, (uint32_t)n, 0x10, 3);
	assert_int_equal(nx_trace_decode(&t), 0);
	assert_int_equal(t.conns[0].dir[0].holes, 1);
	assert_int_equal(t.conns[0].dir[0].missing, 28);
	assert_int_equal(t.conns[0].cut_pdus[0], 1);
	assert_int_equal(t.cmds_n, 1);            /* only the whole one */
	assert_int_equal(t.cmds[0].itt, 0x22);
	assert_false(t.cmds[0].answered);
	nx_trace_free(&t);
}

static void test_garbage_stream_never_crashes(void **state)
{
	struct nx_trace t = { 0 };
	uint8_t junk[4096];
	uint64_t x = 88172645463325252ull;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		junk[i] = (uint8_t)x;
	}
	seg(&t, true, ISN_I, NULL, 0, NX_TR_SYN, 1);
	seg(&t, true, ISN_I + 1, junk, sizeof(junk), 0x10, 2);
	seg(&t, false, ISN_T, NULL, 0, NX_TR_SYN | 0x10, 3);
	seg(&t, false, ISN_T + 1, junk + 7, 1000, 0x10, 4);
	assert_int_equal(nx_trace_decode(&t), 0);
	nx_trace_free(&t);
}

/* ---- link layers ------------------------------------------------------------ */

static size_t ipv4_tcp(uint8_t *p, const char *payload)
{
	size_t len = strlen(payload);

	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)((40 + len) >> 8);
	p[3] = (uint8_t)(40 + len);
	p[9] = 6;
	p[12] = 10; p[15] = 2;
	p[16] = 10; p[19] = 1;
	p[20] = 0x9c; p[21] = 0x40;  /* 40000 */
	p[22] = 0x0c; p[23] = 0xbc;  /* 3260 */
	p[27] = 7;                   /* seq */
	p[32] = 0x50;
	p[33] = 0x18;
	memcpy(p + 40, payload, len);
	return 40 + len;
}

static void test_link_layers(void **state)
{
	uint8_t f[256];
	struct nx_tr_tcp s;
	size_t n;

	/* Ethernet with an 802.1Q tag, then 2 bytes of trailer padding. */
	memset(f, 0, sizeof(f));
	f[12] = 0x81; f[13] = 0x00; f[16] = 0x08; f[17] = 0x00;
	n = 18 + ipv4_tcp(f + 18, "hello");
	assert_int_equal(nx_tr_decode_frame(DLT_EN10MB, f, (uint32_t)n + 2, &s), 0);
	assert_int_equal(s.len, 5);
	assert_int_equal(s.dport, 3260);
	assert_int_equal(s.seq, 7);
	/* Linux SLL (v1): protocol at bytes 14-15. */
	memset(f, 0, sizeof(f));
	f[14] = 0x08;
	n = 16 + ipv4_tcp(f + 16, "abc");
	assert_int_equal(nx_tr_decode_frame(DLT_LINUX_SLL, f, (uint32_t)n, &s), 0);
	assert_int_equal(s.len, 3);
	/* BSD loopback, host-order AF_INET. */
	memset(f, 0, sizeof(f));
	f[0] = 2;
	n = 4 + ipv4_tcp(f + 4, "xy");
	assert_int_equal(nx_tr_decode_frame(DLT_NULL, f, (uint32_t)n, &s), 0);
	assert_int_equal(s.len, 2);
	/* IPv6 in SLL2 with a destination-options header before TCP. */
	memset(f, 0, sizeof(f));
	f[0] = 0x86; f[1] = 0xdd;
	uint8_t *ip = f + 20;
	ip[0] = 0x60;
	ip[5] = 8 + 20 + 4;          /* payload length */
	ip[6] = 60;                  /* next: destination options */
	ip[40] = 6;                  /* then TCP */
	ip[41] = 0;                  /* 8 bytes */
	uint8_t *tcp = ip + 48;
	tcp[2] = 0x0c; tcp[3] = 0xbc;
	tcp[12] = 0x50;
	memcpy(tcp + 20, "v6!!", 4);
#ifdef DLT_LINUX_SLL2
	assert_int_equal(nx_tr_decode_frame(DLT_LINUX_SLL2, f, 20 + 40 + 8 + 24, &s), 0);
	assert_int_equal(s.family, 6);
	assert_int_equal(s.len, 4);
#endif
	/* Truncated and non-TCP frames. */
	assert_int_equal(nx_tr_decode_frame(DLT_EN10MB, f, 10, &s), -1);
	memset(f, 0, sizeof(f));
	f[12] = 0x08; f[13] = 0x06;  /* ARP */
	assert_int_equal(nx_tr_decode_frame(DLT_EN10MB, f, 60, &s), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_out_of_order),
		cmocka_unit_test(test_retransmission_and_conflicting_overlap),
		cmocka_unit_test(test_resegmented_retransmission_keeps_first_arrival),
		cmocka_unit_test(test_hole_is_reported_not_filled),
		cmocka_unit_test(test_leading_hole_after_syn),
		cmocka_unit_test(test_sequence_wraparound),
		cmocka_unit_test(test_midstream_resync_with_header_digest),
		cmocka_unit_test(test_hole_cuts_a_pdu_and_resyncs),
		cmocka_unit_test(test_garbage_stream_never_crashes),
		cmocka_unit_test(test_link_layers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
