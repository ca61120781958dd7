/*
 * rdma_pcap_test.c - the RoCEv2 capture of the simulated fabric: the
 * ICRC against a frame captured from real hardware, then a CM connect,
 * a SEND, an RDMA WRITE and an RDMA READ at MTU 1024 and a disconnect,
 * read back from the file frame by frame: headers, checksums, ICRCs,
 * opcodes and PSNs as IBA 9 cuts them, the MADs of IBA 12.6 with the IP
 * CM service ID and private data header (Annex A11), time order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "nx_sim_rdma.h"
#include "../core/nx_wire.h"

#define IP_A 0x0a000002u   /* active side (initiator) */
#define IP_B 0x0a000001u   /* passive side (target) */
#define PORT 3260
#define BUF 16384u
#define FRAMES_MAX 64u
#define L2_LEN 14u
#define IP_LEN 20u
#define UDP_LEN 8u
#define BTH_OFF (L2_LEN + IP_LEN + UDP_LEN)

/* ---- the ICRC ------------------------------------------------------------ */

/* A RoCEv2 CNP sent by a Mellanox ConnectX-4 Lx (scapy's roce.uts keeps
 * it): the last 4 bytes are the ICRC the hardware computed. */
static const uint8_t cnp_frame[] = {
	0xe4, 0x1d, 0x2d, 0xab, 0x2b, 0xc2, 0x7c, 0xfe, 0x90, 0x64, 0x3b, 0x32,
	0x08, 0x00, 0x45, 0xc2, 0x00, 0x3c, 0x71, 0x8c, 0x40, 0x00, 0x40, 0x11,
	0x91, 0x61, 0x0a, 0x00, 0x11, 0x01, 0x0a, 0x00, 0x12, 0x01, 0x00, 0x00,
	0x12, 0xb7, 0x00, 0x28, 0x00, 0x00, 0x81, 0x00, 0xff, 0xff, 0x40, 0x00,
	0x01, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x82, 0xfd,
	0x00, 0x2a,
};

static void test_icrc_hardware(void **state)
{
	uint8_t f[sizeof(cnp_frame)];

	(void)state;
	memcpy(f, cnp_frame, sizeof(f));
	assert_int_equal(nx_sim_roce_icrc(f + L2_LEN, sizeof(f) - L2_LEN),
			 0x2a00fd82u);
	memset(f + sizeof(f) - 4, 0, 4);
	nx_sim_roce_put_icrc(f + L2_LEN, sizeof(f) - L2_LEN);
	assert_memory_equal(f, cnp_frame, sizeof(f));
	/* The variant fields do not count (A17.4.1): TTL, TOS, checksums,
	 * BTH resv8a; an invariant one does. */
	f[L2_LEN + 8] = 3;
	f[L2_LEN + 1] = 0;
	f[L2_LEN + 10] = 0x12;
	f[BTH_OFF - 2] = 0x55;
	f[BTH_OFF + 4] = 0x00;  /* BECN */
	assert_int_equal(nx_sim_roce_icrc(f + L2_LEN, sizeof(f) - L2_LEN),
			 0x2a00fd82u);
	f[BTH_OFF + 11] ^= 1; /* PSN */
	assert_int_not_equal(nx_sim_roce_icrc(f + L2_LEN, sizeof(f) - L2_LEN),
			     0x2a00fd82u);
}

/* ---- a captured exchange ----------------------------------------------------- */

struct side {
	struct nx_rdma_dev *dev;
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct nx_rdma_mr *mr;
	struct nx_rdma_cm_id *id;
	uint8_t buf[BUF];
	bool up, down;
};

struct world {
	struct nx_sim *sim;
	struct nx_sim_rdma *f;
	struct nx_sim_pcap *pc;
	struct side a, b;
	struct nx_rdma_cm_id *listener;
};

static void side_init(struct world *w, struct side *s, const char *name,
		      uint32_t ip)
{
	struct nx_rdma_qp_attr qa = { 0 };

	s->dev = nx_sim_rdma_dev_new(w->f, name, ip);
	assert_non_null(s->dev);
	s->pd = nx_rdma_pd_new(s->dev);
	s->cq = nx_rdma_cq_new(s->dev, 64, NULL, NULL);
	qa.send_cq = qa.recv_cq = s->cq;
	qa.max_send_wr = qa.max_recv_wr = 16;
	qa.max_rd_atomic = qa.max_dest_rd_atomic = 4;
	qa.rnr_retry = 7;
	s->qp = nx_rdma_qp_new(s->pd, &qa);
	s->mr = nx_rdma_reg_mr(s->pd, s->buf, BUF, NX_RDMA_ACCESS_LOCAL_WRITE |
			       NX_RDMA_ACCESS_REMOTE_WRITE |
			       NX_RDMA_ACCESS_REMOTE_READ);
	assert_non_null(s->qp);
	assert_non_null(s->mr);
	for (unsigned i = 0; i < BUF; i++)
		s->buf[i] = (uint8_t)(i * 7 + ip);
}

static void side_fini(struct side *s)
{
	if (s->id != NULL)
		nx_rdma_cm_id_free(s->id);
	nx_rdma_qp_free(s->qp);
	nx_rdma_dereg_mr(s->mr);
	nx_rdma_cq_free(s->cq);
	nx_rdma_pd_free(s->pd);
}

static void cm_a(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct world *w = ctx;

	w->a.up |= ev->type == NX_RDMA_CM_ESTABLISHED;
	w->a.down |= ev->type == NX_RDMA_CM_DISCONNECTED;
}

static void cm_b(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct world *w = ctx;

	w->b.up |= ev->type == NX_RDMA_CM_ESTABLISHED;
	w->b.down |= ev->type == NX_RDMA_CM_DISCONNECTED;
	if (ev->type != NX_RDMA_CM_CONNECT_REQUEST)
		return;
	w->b.id = ev->id;
	nx_rdma_cm_set_handler(ev->id, cm_b, w);
	assert_int_equal(nx_rdma_cm_accept(ev->id, w->b.qp, "\x40\0\0\0", 4), 0);
}

static void post(struct side *s, uint8_t op, uint32_t off, uint32_t len,
		 uint64_t raddr, uint32_t rkey)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(s->mr) + off, len,
				   nx_rdma_mr_lkey(s->mr) };
	struct nx_rdma_send_wr wr = { .wr_id = off, .opcode = op, .sg_list = &sge,
				      .num_sge = 1, .remote_addr = raddr,
				      .rkey = rkey };

	assert_int_equal(nx_rdma_post_send(s->qp, &wr), 0);
}

/* a connects to b, SENDs 2500 bytes, WRITEs 2048, READs 3000, and
 * disconnects, at MTU 1024 on a 10 Gb/s fabric. */
static void exchange(const char *path)
{
	struct nx_sim_opts so = { .seed = 3 };
	struct nx_sim_rdma_opts o;
	struct nx_rdma_sge rsge;
	struct nx_rdma_recv_wr rwr = { .wr_id = 1, .sg_list = &rsge, .num_sge = 1 };
	struct world w;

	memset(&w, 0, sizeof(w));
	w.sim = nx_sim_new(&so);
	nx_sim_rdma_opts_default(&o);
	o.mtu = 1024;
	o.bandwidth_bps = 10000000000ull;
	w.f = nx_sim_rdma_new(w.sim, &o);
	w.pc = nx_sim_pcap_open(path);
	assert_non_null(w.pc);
	nx_sim_rdma_set_pcap(w.f, w.pc);
	side_init(&w, &w.b, "target", IP_B);
	side_init(&w, &w.a, "ini", IP_A);
	assert_int_equal(nx_rdma_cm_listen(w.b.dev, PORT, cm_b, &w, &w.listener), 0);
	assert_int_equal(nx_rdma_cm_connect(w.a.dev, IP_B, PORT, w.a.qp,
					    "\xc0\0\0\0", 4, cm_a, &w, &w.a.id), 0);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_true(w.a.up && w.b.up);
	rsge = (struct nx_rdma_sge){ nx_rdma_mr_iova(w.b.mr), 4096,
				     nx_rdma_mr_lkey(w.b.mr) };
	assert_int_equal(nx_rdma_post_recv(w.b.qp, &rwr), 0);
	post(&w.a, NX_RDMA_WR_SEND, 0, 2500, 0, 0);
	post(&w.a, NX_RDMA_WR_RDMA_WRITE, 4096, 2048,
	     nx_rdma_mr_iova(w.b.mr) + 8192, nx_rdma_mr_rkey(w.b.mr));
	post(&w.a, NX_RDMA_WR_RDMA_READ, 8192, 3000,
	     nx_rdma_mr_iova(w.b.mr) + 12288, nx_rdma_mr_rkey(w.b.mr));
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_memory_equal(w.b.buf + 8192, w.a.buf + 4096, 2048);
	assert_memory_equal(w.a.buf + 8192, w.b.buf + 12288, 3000);
	nx_rdma_cm_disconnect(w.a.id);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_true(w.a.down && w.b.down);
	nx_rdma_cm_id_free(w.listener);
	side_fini(&w.a);
	side_fini(&w.b);
	nx_sim_rdma_free(w.f); /* writes what the capture still holds */
	nx_sim_pcap_close(w.pc);
	nx_sim_free(w.sim);
}

struct frame {
	uint8_t d[4200];
	uint32_t len;
	uint64_t ts;
};

static unsigned read_frames(const char *path, struct frame *fr, unsigned max)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned n = 0;

	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while (pcap_next_ex(p, &h, &data) == 1) {
		assert_true(n < max);
		assert_true(h->caplen == h->len && h->len <= sizeof(fr[n].d));
		memcpy(fr[n].d, data, h->len);
		fr[n].len = h->len;
		fr[n].ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		n++;
	}
	pcap_close(p);
	return n;
}

/* Ethernet / IPv4 / UDP 4791 / ... / ICRC, all consistent. */
static void check_envelope(const struct frame *f)
{
	const uint8_t *ip = f->d + L2_LEN, *udp = ip + IP_LEN;
	uint8_t pad = (f->d[BTH_OFF + 1] >> 4) & 3;

	assert_int_equal(nx_get_be16(f->d + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[9], 17);
	assert_int_equal(nx_get_be16(ip + 2), f->len - L2_LEN);
	assert_int_equal(nx_sim_inet_csum(ip, IP_LEN, 0), 0);
	assert_int_equal(nx_get_be16(udp + 2), 4791);
	assert_true(nx_get_be16(udp) >= 0xc000);
	assert_int_equal(nx_get_be16(udp + 4), f->len - L2_LEN - IP_LEN);
	assert_int_equal(nx_get_be16(f->d + BTH_OFF + 2), 0xffff); /* P_Key */
	assert_int_equal((f->len - L2_LEN - IP_LEN - UDP_LEN - 4) % 4, 0);
	assert_true(pad < 4);
	assert_int_equal(nx_sim_roce_icrc(f->d + L2_LEN, f->len - L2_LEN),
			 (uint32_t)f->d[f->len - 4] | (uint32_t)f->d[f->len - 3] << 8 |
			 (uint32_t)f->d[f->len - 2] << 16 |
			 (uint32_t)f->d[f->len - 1] << 24);
}

static uint8_t opcode(const struct frame *f) { return f->d[BTH_OFF]; }
static uint32_t dqpn(const struct frame *f) { return nx_get_be32(f->d + BTH_OFF + 4) & 0xffffff; }
static uint32_t psn(const struct frame *f) { return nx_get_be32(f->d + BTH_OFF + 8) & 0xffffff; }
static bool ackreq(const struct frame *f) { return f->d[BTH_OFF + 8] & 0x80; }
static uint32_t src_ip(const struct frame *f) { return nx_get_be32(f->d + L2_LEN + 12); }
static uint32_t payload_len(const struct frame *f, uint32_t ext)
{
	return f->len - BTH_OFF - 12 - ext - 4 - ((f->d[BTH_OFF + 1] >> 4) & 3);
}

/* A GMP to QP1 (UD SEND_ONLY + DETH) with a CM MAD; returns the MAD. */
static const uint8_t *cm_mad(const struct frame *f, uint16_t attr)
{
	const uint8_t *deth = f->d + BTH_OFF + 12, *mad = deth + 8;

	assert_int_equal(opcode(f), 0x64);
	assert_int_equal(dqpn(f), 1);
	assert_int_equal(nx_get_be32(deth), 0x80010000u);
	assert_int_equal(nx_get_be32(deth + 4) & 0xffffff, 1);
	assert_int_equal(payload_len(f, 8), 256);
	assert_int_equal(mad[0], 1);
	assert_int_equal(mad[1], 0x07);   /* CM */
	assert_int_equal(mad[2], 2);
	assert_int_equal(mad[3], 0x03);   /* Send */
	assert_int_equal(nx_get_be16(mad + 16), attr);
	return mad;
}

static void check_cm_setup(const struct frame *fr, uint32_t *qa, uint32_t *qb)
{
	const uint8_t *req = cm_mad(&fr[0], 0x0010) + 24;
	const uint8_t *rep = cm_mad(&fr[1], 0x0013) + 24;
	const uint8_t *rtu = cm_mad(&fr[2], 0x0014) + 24;
	const uint8_t *ipcm = req + 140;

	assert_int_equal(src_ip(&fr[0]), IP_A);
	assert_int_equal(src_ip(&fr[1]), IP_B);
	/* the TID ties REP and RTU to the REQ */
	assert_memory_equal(fr[0].d + BTH_OFF + 20 + 8, fr[1].d + BTH_OFF + 20 + 8, 8);
	assert_memory_equal(fr[0].d + BTH_OFF + 20 + 8, fr[2].d + BTH_OFF + 20 + 8, 8);
	assert_true(nx_get_be64(req + 8) == 0x0000000001060cbcull);
	*qa = nx_get_be32(req + 32) >> 8;
	*qb = nx_get_be32(rep + 12) >> 8;
	assert_int_equal(req[50] >> 4, 3);           /* path MTU 1024 */
	assert_int_equal(nx_get_be32(req + 56 + 12), IP_A); /* ::ffff:a */
	assert_int_equal(nx_get_be16(req + 56 + 10), 0xffff);
	assert_int_equal(nx_get_be32(req + 72 + 12), IP_B);
	assert_int_equal(ipcm[1], 0x40);             /* IP CM, IPv4 */
	assert_int_equal(nx_get_be32(ipcm + 16), IP_A);
	assert_int_equal(nx_get_be32(ipcm + 32), IP_B);
	assert_int_equal(ipcm[36], 0xc0);            /* the consumer's bytes */
	assert_int_equal(rep[36], 0x40);
	assert_int_equal(nx_get_be32(rep + 4), nx_get_be32(req));   /* comm ids */
	assert_int_equal(nx_get_be32(rtu), nx_get_be32(req));
	assert_int_equal(nx_get_be32(rtu + 4), nx_get_be32(rep));
	assert_int_equal(psn(&fr[0]), 0);            /* a's QP1 */
	assert_int_equal(psn(&fr[2]), 1);
}

/* Frames 3..: a's SEND (3 packets), ACK, WRITE (2), ACK, READ request,
 * the response (3), then DREQ and DREP. */
static void check_rc(const struct frame *fr, unsigned n, uint32_t qa, uint32_t qb)
{
	static const uint8_t a_ops[] = { 0x00, 0x01, 0x02, 0x06, 0x08, 0x0c };
	static const uint8_t b_ops[] = { 0x11, 0x11, 0x0d, 0x0e, 0x0f };
	uint32_t p0 = psn(&fr[3]);
	unsigned ia = 0, ib = 0;

	for (unsigned i = 3; i < n - 2; i++) {
		const struct frame *f = &fr[i];

		if (src_ip(f) == IP_A) {
			assert_true(ia < sizeof(a_ops));
			assert_int_equal(opcode(f), a_ops[ia]);
			assert_int_equal(dqpn(f), qb);
			/* PSNs run on across messages: SEND 0-2, WRITE 3-4,
			 * the READ takes 3 (its response packets) */
			assert_int_equal(psn(f), (p0 + ia) & 0xffffff);
			assert_int_equal(ackreq(f), ia == 2 || ia == 4 || ia == 5);
			ia++;
			continue;
		}
		assert_true(ib < sizeof(b_ops));
		assert_int_equal(opcode(f), b_ops[ib]);
		assert_int_equal(dqpn(f), qa);
		ib++;
	}
	assert_int_equal(ia, sizeof(a_ops));
	assert_int_equal(ib, sizeof(b_ops));
}

static void check_segments(const struct frame *fr, unsigned n)
{
	for (unsigned i = 3; i < n - 2; i++) {
		const struct frame *f = &fr[i];
		const uint8_t *ext = f->d + BTH_OFF + 12;

		switch (opcode(f)) {
		case 0x00: case 0x01:
			assert_int_equal(payload_len(f, 0), 1024);
			break;
		case 0x02:
			assert_int_equal(payload_len(f, 0), 2500 - 2048);
			break;
		case 0x06: /* RETH: va, rkey, the whole length */
			assert_int_equal(nx_get_be32(ext + 12), 2048);
			assert_int_equal(payload_len(f, 16), 1024);
			break;
		case 0x0c:
			assert_int_equal(nx_get_be32(ext + 12), 3000);
			assert_int_equal(payload_len(f, 16), 0);
			break;
		case 0x0d: /* AETH on FIRST and LAST, none on MIDDLE */
			assert_int_equal(payload_len(f, 4), 1024);
			assert_int_equal(ext[0], 0x1f);
			break;
		case 0x0e:
			assert_int_equal(payload_len(f, 0), 1024);
			break;
		case 0x0f:
			assert_int_equal(payload_len(f, 4), 3000 - 2048);
			break;
		case 0x11:
			assert_int_equal(ext[0] >> 5, 0);     /* ACK */
			break;
		}
	}
}

static void test_capture(void **state)
{
	char path[] = "/tmp/nexus-rdma-pcap.XXXXXX";
	struct frame *fr = calloc(FRAMES_MAX, sizeof(*fr));
	uint32_t qa, qb;
	unsigned n;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0 && fr != NULL);
	close(fd);
	exchange(path);
	n = read_frames(path, fr, FRAMES_MAX);
	unlink(path);
	assert_int_equal(n, 3 + 6 + 5 + 2);
	for (unsigned i = 0; i < n; i++) {
		check_envelope(&fr[i]);
		if (i > 0)
			assert_true(fr[i].ts >= fr[i - 1].ts);
	}
	check_cm_setup(fr, &qa, &qb);
	check_rc(fr, n, qa, qb);
	check_segments(fr, n);
	/* DREQ names the peer's QPN; DREP answers it */
	assert_int_equal(nx_get_be32(cm_mad(&fr[n - 2], 0x0015) + 24 + 8) >> 8, qb);
	(void)cm_mad(&fr[n - 1], 0x0016);
	/* at 10 Gb/s the 3 SEND packets leave ~870 ns apart */
	assert_true(fr[4].ts > fr[3].ts && fr[5].ts > fr[4].ts);
	free(fr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icrc_hardware),
		cmocka_unit_test(test_capture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
