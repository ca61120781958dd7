/*
 * rdma_pcap.c - the simulated fabric as a RoCEv2 capture (nx_sim_rdma.h).
 *
 * Every wire packet becomes what a port mirror would record on a RoCEv2
 * network (InfiniBand Architecture Specification vol. 1 Annex A17):
 *   Ethernet II / IPv4 (DF, TTL 64) / UDP dst 4791 (checksum 0, A17.4.2) /
 *   BTH / RETH | AETH | DETH / payload / pad to 4 / ICRC
 * RC messages are cut at the path MTU the way an HCA cuts them (IBA 9.4):
 * SEND, RDMA WRITE and RDMA READ response FIRST / MIDDLE / LAST or ONLY,
 * RETH on the first WRITE packet and on the READ request, AETH on the
 * first and last READ response packets and on ACK / NAK, consecutive PSNs
 * per QP, AckReq on a request's last packet.  CM messages are GMPs to
 * QP1 (UD SEND_ONLY + DETH, Q_Key 0x80010000): a 24-byte MAD header
 * (class 07h CM, version 2, method Send) and the REQ / REP / RTU / REJ /
 * DREQ / DREP layouts of IBA 12.6; a REQ to an rdma_cm port carries the
 * IP-based service ID 0x0000000001060000 | port and the IP CM private
 * data header (Annex A11: version, IPv4, source port, both addresses)
 * in front of the consumer's private data, which is how Wireshark ties
 * the later QPNs to the service (iSER on 3260).
 *
 * ICRC (A17.4.1): CRC-32 over the packet from the IP header on with the
 * variant fields masked to ones (8 bytes for the absent LRH, IPv4 TOS,
 * TTL and header checksum, UDP checksum, BTH resv8a), sent least
 * significant byte first like the Ethernet FCS.  Wireshark does not
 * check it; a receiving HCA would.
 *
 * Timestamps: a message's packets leave one after the other at the
 * egress port's rate, starting when the fabric began serializing it.
 * They are written in time order: frames dated after the current
 * virtual time wait in a per-device FIFO (each device's frames are in
 * order already) and are merged into the file as time passes, when the
 * capture stops or the fabric is freed.
 */
#include <stdlib.h>
#include <string.h>

#include "rdma_internal.h"
#include "../core/nx_wire.h"

#define ROCE_UDP_PORT 4791
#define ROCE_SPORT_BASE 0xc000u   /* flow entropy range, like rxe */
#define ETH_LEN 14u
#define IP_LEN 20u
#define UDP_LEN 8u
#define BTH_LEN 12u
#define ICRC_LEN 4u
#define EXT_MAX 16u               /* RETH; AETH 4, DETH 8 */
#define MAD_LEN 256u
#define GSI_QKEY 0x80010000u      /* IBA 10.2.4: the well-known QP1 Q_Key */
#define PKEY_DEFAULT 0xffffu
#define HOP_LIMIT 64u
#define FRAME_MAX (ETH_LEN + IP_LEN + UDP_LEN + BTH_LEN + EXT_MAX + 4096u + \
		   3u + ICRC_LEN)
#define PENDING_MAX (1u << 16)    /* frames waiting for their time (~256 MiB) */

/* BTH opcodes (IBA 9.2, table 38): RC and UD. */
enum {
	OP_SEND_FIRST = 0x00, OP_SEND_MIDDLE = 0x01, OP_SEND_LAST = 0x02,
	OP_SEND_ONLY = 0x04,
	OP_WRITE_FIRST = 0x06, OP_WRITE_MIDDLE = 0x07, OP_WRITE_LAST = 0x08,
	OP_WRITE_ONLY = 0x0a,
	OP_READ_REQ = 0x0c,
	OP_READ_RSP_FIRST = 0x0d, OP_READ_RSP_MIDDLE = 0x0e,
	OP_READ_RSP_LAST = 0x0f, OP_READ_RSP_ONLY = 0x10,
	OP_ACK = 0x11,
	OP_UD_SEND_ONLY = 0x64,
};

/* MAD (IBA 13.4.2) and CM (IBA 12.6) constants. */
#define MAD_BASE_VERSION 1
#define MAD_CLASS_CM 0x07
#define MAD_CM_VERSION 2
#define MAD_METHOD_SEND 0x03
#define IPCM_SID_PREFIX 0x0000000001000000ull /* Annex A11.2 */
#define IPCM_PROTO_TCP 0x06
#define IPCM_HDR_LEN 36u
#define CM_REQ_PRIV_LEN 92u
#define CM_REP_PRIV_LEN 196u
#define CM_RESPONSE_TIMEOUT 20u   /* rdma_cm's CMA_CM_RESPONSE_TIMEOUT */
#define CM_MAX_RETRIES 15u
#define CM_RETRY_COUNT 7u
#define CM_LOCAL_ACK_TIMEOUT 14u

struct cap_frame {
	struct cap_frame *next;
	uint64_t ts_ns;
	uint64_t seq;
	uint32_t len;
	uint8_t data[];
};

struct rdma_cap {
	struct cap_frame *head[NX_SIM_RDMA_DEVS_MAX];
	struct cap_frame *tail[NX_SIM_RDMA_DEVS_MAX];
	unsigned pending;
	uint64_t seq;
	uint32_t gsi_psn[NX_SIM_RDMA_DEVS_MAX];  /* QP1 is a UD QP: own PSNs */
	uint8_t frame[FRAME_MAX];
};

/* One packet to put on the wire. */
struct roce_pkt {
	uint8_t src_dev, dst_dev;
	uint16_t sport;
	uint8_t opcode;
	bool ackreq;
	uint32_t dqpn;
	uint32_t psn;
	uint8_t ext[EXT_MAX];
	uint8_t ext_len;
	const uint8_t *payload;
	uint32_t len;
};

/* ---- ICRC ------------------------------------------------------------------ */

static uint32_t crc_table[256];

/* CRC-32 of IEEE 802.3 (reflected 0x04C11DB7): the ICRC's polynomial. */
static void crc_init(void)
{
	if (crc_table[1] != 0)
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (unsigned k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t nx_sim_roce_icrc(const uint8_t *ip, size_t len)
{
	static const uint8_t lrh[8] = { 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff };
	uint8_t masked[IP_LEN + UDP_LEN + BTH_LEN];
	uint32_t crc;

	nx_assert(len >= sizeof(masked) + ICRC_LEN && (ip[0] & 0x0f) == 5);
	crc_init();
	memcpy(masked, ip, sizeof(masked));
	masked[1] = 0xff;                 /* TOS */
	masked[8] = 0xff;                 /* TTL */
	masked[10] = masked[11] = 0xff;   /* header checksum */
	masked[IP_LEN + 6] = masked[IP_LEN + 7] = 0xff; /* UDP checksum */
	masked[IP_LEN + UDP_LEN + 4] = 0xff;             /* BTH resv8a */
	crc = crc_update(0xffffffffu, lrh, sizeof(lrh));
	crc = crc_update(crc, masked, sizeof(masked));
	crc = crc_update(crc, ip + sizeof(masked), len - sizeof(masked) - ICRC_LEN);
	return ~crc;
}

void nx_sim_roce_put_icrc(uint8_t *ip, size_t len)
{
	uint32_t icrc = nx_sim_roce_icrc(ip, len);
	uint8_t *c = ip + len - ICRC_LEN;

	/* The CRC's low byte goes first on the wire (A17.4.1). */
	c[0] = (uint8_t)icrc;
	c[1] = (uint8_t)(icrc >> 8);
	c[2] = (uint8_t)(icrc >> 16);
	c[3] = (uint8_t)(icrc >> 24);
}

/* ---- frames ------------------------------------------------------------------ */

static void dev_mac(const struct nx_rdma_dev *d, uint8_t *mac)
{
	/* Locally administered, from the address (as sim/tcp.c does). */
	mac[0] = 0x02;
	mac[1] = 0x00;
	nx_put_be32(mac + 2, d->ipv4);
}

/* UDP source port: flow entropy from the QP (A17.3.3), like rxe. */
static uint16_t roce_sport(uint32_t qpn)
{
	return (uint16_t)(ROCE_SPORT_BASE | ((qpn * 2654435761u) >> 18 & 0x3fffu));
}

static size_t build_frame(struct nx_sim_rdma *f, uint8_t *fr,
			  const struct roce_pkt *rp)
{
	struct nx_rdma_dev *src = f->devs[rp->src_dev];
	const struct nx_rdma_dev *dst = f->devs[rp->dst_dev];
	uint32_t pad = (4u - (rp->len & 3u)) & 3u;
	uint32_t l4 = UDP_LEN + BTH_LEN + rp->ext_len + rp->len + pad + ICRC_LEN;
	uint8_t *ip = fr + ETH_LEN, *udp = ip + IP_LEN, *bth = udp + UDP_LEN;
	uint8_t *pl = bth + BTH_LEN + rp->ext_len;

	nx_assert(ETH_LEN + IP_LEN + l4 <= FRAME_MAX);
	dev_mac(dst, fr);
	dev_mac(src, fr + 6);
	nx_put_be16(fr + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	nx_put_be16(ip + 2, (uint16_t)(IP_LEN + l4));
	nx_put_be16(ip + 4, src->ip_id++);
	nx_put_be16(ip + 6, 0x4000);            /* DF */
	ip[8] = HOP_LIMIT;
	ip[9] = 17;                             /* UDP */
	nx_put_be16(ip + 10, 0);
	nx_put_be32(ip + 12, src->ipv4);
	nx_put_be32(ip + 16, dst->ipv4);
	nx_put_be16(ip + 10, nx_sim_inet_csum(ip, IP_LEN, 0));
	nx_put_be16(udp, rp->sport);
	nx_put_be16(udp + 2, ROCE_UDP_PORT);
	nx_put_be16(udp + 4, (uint16_t)l4);
	nx_put_be16(udp + 6, 0);                /* A17.4.2: not computed */
	bth[0] = rp->opcode;
	bth[1] = (uint8_t)(pad << 4);           /* SE 0, M 0, TVer 0 */
	nx_put_be16(bth + 2, PKEY_DEFAULT);
	nx_put_be32(bth + 4, rp->dqpn & 0xffffffu); /* resv8a 0 */
	nx_put_be32(bth + 8, (rp->ackreq ? 0x80000000u : 0) | (rp->psn & 0xffffffu));
	memcpy(bth + BTH_LEN, rp->ext, rp->ext_len);
	if (rp->len > 0)
		memcpy(pl, rp->payload, rp->len);
	memset(pl + rp->len, 0, pad);
	nx_sim_roce_put_icrc(ip, IP_LEN + l4);
	return ETH_LEN + IP_LEN + l4;
}

/* ---- time order ------------------------------------------------------------------ */

static void cap_write_oldest(struct nx_sim_rdma *f, uint64_t upto_ns, bool all)
{
	struct rdma_cap *cap = f->cap;

	for (;;) {
		struct cap_frame *best = NULL;
		unsigned bd = 0;

		for (unsigned d = 0; d < f->ndevs; d++) {
			struct cap_frame *x = cap->head[d];

			if (x == NULL || (!all && x->ts_ns > upto_ns))
				continue;
			if (best == NULL || x->ts_ns < best->ts_ns ||
			    (x->ts_ns == best->ts_ns && x->seq < best->seq)) {
				best = x;
				bd = d;
			}
		}
		if (best == NULL)
			return;
		cap->head[bd] = best->next;
		if (cap->head[bd] == NULL)
			cap->tail[bd] = NULL;
		cap->pending--;
		(void)nx_sim_pcap_write_frame(f->pcap, best->ts_ns, best->data,
					      best->len);
		free(best);
	}
}

static void cap_emit(struct nx_sim_rdma *f, uint64_t ts_ns,
		     const struct roce_pkt *rp)
{
	struct rdma_cap *cap = f->cap;
	size_t len = build_frame(f, cap->frame, rp);
	struct cap_frame *x;

	if (ts_ns <= nx_sim_now(f->sim) && cap->head[rp->src_dev] == NULL) {
		/* Due now, and what waits is later (the caller wrote the
		 * rest): straight to the file. */
		(void)nx_sim_pcap_write_frame(f->pcap, ts_ns, cap->frame, len);
		return;
	}
	if (cap->pending >= PENDING_MAX)
		cap_write_oldest(f, 0, true); /* bounded: order may suffer */
	x = malloc(sizeof(*x) + len);
	nx_assert(x != NULL);
	x->next = NULL;
	x->ts_ns = ts_ns;
	x->seq = cap->seq++;
	x->len = (uint32_t)len;
	memcpy(x->data, cap->frame, len);
	if (cap->tail[rp->src_dev] != NULL)
		cap->tail[rp->src_dev]->next = x;
	else
		cap->head[rp->src_dev] = x;
	cap->tail[rp->src_dev] = x;
	cap->pending++;
}

void nx_sim_rdma_set_pcap(struct nx_sim_rdma *f, struct nx_sim_pcap *pc)
{
	if (f->cap != NULL) {
		if (f->pcap != NULL)
			cap_write_oldest(f, 0, true);
		free(f->cap);
		f->cap = NULL;
	}
	f->pcap = pc;
	if (pc != NULL) {
		f->cap = calloc(1, sizeof(*f->cap));
		nx_assert(f->cap != NULL);
	}
}

/* ---- RC messages ------------------------------------------------------------------ */

static uint64_t ser_ns(uint64_t bps, uint64_t bytes)
{
	if (bps == 0)
		return 0;
	return (uint64_t)(((unsigned __int128)bytes * 8u * 1000000000u) / bps);
}

static void put_reth(struct roce_pkt *rp, const struct rdma_pkt *p)
{
	nx_put_be64(rp->ext, p->va);
	nx_put_be32(rp->ext + 8, p->rkey);
	nx_put_be32(rp->ext + 12, p->dma_len);
	rp->ext_len = 16;
}

/* AETH (IBA 9.3.5): syndrome, MSN. */
static void put_aeth(struct roce_pkt *rp, uint8_t syndrome, uint64_t msn)
{
	rp->ext[0] = syndrome;
	rp->ext[1] = (uint8_t)(msn >> 16);
	rp->ext[2] = (uint8_t)(msn >> 8);
	rp->ext[3] = (uint8_t)msn;
	rp->ext_len = 4;
}

/* The opcode of packet i of n for a multi-packet kind (IBA 9.4.1). */
static uint8_t seg_opcode(uint8_t first, uint8_t only, unsigned i, unsigned n)
{
	if (n == 1)
		return only;
	if (i == 0)
		return first;
	return (uint8_t)(first + (i + 1 == n ? 2 : 1)); /* MIDDLE, LAST */
}

static void emit_segments(struct nx_sim_rdma *f, const struct rdma_pkt *p,
			  uint64_t start_ns, struct roce_pkt *rp)
{
	uint32_t mtu = f->o.mtu;
	unsigned n = p->len == 0 ? 1 : (p->len + mtu - 1) / mtu;
	uint64_t wire = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t off = i * mtu;

		rp->len = NX_MIN(mtu, p->len - off);
		rp->payload = p->data != NULL ? p->data + off : NULL;
		rp->psn = (p->psn + i) & 0xffffffu;
		rp->ext_len = 0;
		switch (p->kind) {
		case PKT_SEND:
			rp->opcode = seg_opcode(OP_SEND_FIRST, OP_SEND_ONLY, i, n);
			break;
		case PKT_WRITE:
			rp->opcode = seg_opcode(OP_WRITE_FIRST, OP_WRITE_ONLY, i, n);
			if (i == 0)
				put_reth(rp, p);
			break;
		default: /* PKT_READ_RSP: AETH on FIRST, LAST and ONLY */
			rp->opcode = seg_opcode(OP_READ_RSP_FIRST, OP_READ_RSP_ONLY,
						i, n);
			if (i == 0 || i + 1 == n)
				put_aeth(rp, p->syndrome ? p->syndrome : 0x1f, p->msn);
			break;
		}
		rp->ackreq = p->kind != PKT_READ_RSP && i + 1 == n;
		cap_emit(f, start_ns + ser_ns(f->o.bandwidth_bps, wire), rp);
		wire += 62u + rp->len; /* rdma.c's per-packet wire overhead */
	}
}

static void emit_rc(struct nx_sim_rdma *f, const struct rdma_pkt *p,
		    uint64_t start_ns)
{
	struct roce_pkt rp;

	memset(&rp, 0, sizeof(rp));
	rp.src_dev = p->src_dev;
	rp.dst_dev = p->dst_dev;
	/* The connection's flow: the requester's QPN either way. */
	rp.sport = roce_sport(p->kind == PKT_SEND || p->kind == PKT_WRITE ||
			      p->kind == PKT_READ_REQ ? p->src_qpn : p->dst_qpn);
	rp.dqpn = p->dst_qpn;
	switch (p->kind) {
	case PKT_READ_REQ:
		rp.opcode = OP_READ_REQ;
		rp.psn = p->psn;
		rp.ackreq = true;
		put_reth(&rp, p);
		cap_emit(f, start_ns, &rp);
		return;
	case PKT_ACK:
	case PKT_NAK:
		/* A NAK names the last message that did complete. */
		rp.opcode = OP_ACK;
		rp.psn = p->psn;
		put_aeth(&rp, p->syndrome,
			 p->kind == PKT_NAK && p->msn > 0 ? p->msn - 1 : p->msn);
		cap_emit(f, start_ns, &rp);
		return;
	default:
		emit_segments(f, p, start_ns, &rp);
		return;
	}
}

/* ---- CM MADs ---------------------------------------------------------------------- */

static void put_gid_v4(uint8_t *g, uint32_t ipv4)
{
	/* A RoCEv2 GID for IPv4 is the IPv4-mapped IPv6 address. */
	memset(g, 0, 16);
	g[10] = g[11] = 0xff;
	nx_put_be32(g + 12, ipv4);
}

static uint64_t dev_guid(const struct nx_rdma_dev *d)
{
	uint8_t mac[6];

	/* EUI-64 from the MAC, universal/local bit inverted. */
	dev_mac(d, mac);
	return (uint64_t)(mac[0] ^ 0x02) << 56 | (uint64_t)mac[1] << 48 |
	       (uint64_t)mac[2] << 40 | 0xfffeull << 24 |
	       (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

static uint8_t mtu_enum(uint32_t mtu)
{
	uint8_t e = 1; /* IBA 9.4: 1 = 256 ... 5 = 4096 */

	while (e < 5 && (256u << (e - 1)) < mtu)
		e++;
	return e;
}

static const struct nx_rdma_qp *cm_qp(const struct nx_sim_rdma *f,
				      const struct rdma_pkt *p)
{
	const struct nx_rdma_qp *qp = f->qps[nx_sim_rdma_slot(p->cm_qpn)];

	return qp != NULL && qp->qpn == p->cm_qpn ? qp : NULL;
}

/* IP CM private data header (Annex A11.6.1) + the consumer's bytes. */
static void cm_req_priv(const struct nx_sim_rdma *f, const struct rdma_pkt *p,
			uint8_t *out)
{
	out[0] = 0x00;                       /* MajV 0, MinV 0 */
	out[1] = 4 << 4;                     /* IPV 4 */
	nx_put_be16(out + 2, p->cm_sport);
	memset(out + 4, 0, 32);              /* IPv4 in the low 32 bits */
	nx_put_be32(out + 16, f->devs[p->src_dev]->ipv4);
	nx_put_be32(out + 32, f->devs[p->dst_dev]->ipv4);
	memcpy(out + IPCM_HDR_LEN, p->priv,
	       NX_MIN((uint32_t)p->priv_len, CM_REQ_PRIV_LEN - IPCM_HDR_LEN));
}

/* IBA 12.6.5 REQ: what rdma_cm sends for an RC connection over RoCE. */
static void cm_req(const struct nx_sim_rdma *f, const struct rdma_pkt *p,
		   uint8_t *d)
{
	const struct nx_rdma_qp *qp = cm_qp(f, p);
	uint8_t rd = qp != NULL ? qp->attr.max_dest_rd_atomic : 0;
	uint8_t ra = qp != NULL ? qp->attr.max_rd_atomic : 0;
	uint8_t rnr = qp != NULL ? qp->attr.rnr_retry : 7;

	nx_put_be32(d + 0, p->cm_src_id);
	nx_put_be64(d + 8, IPCM_SID_PREFIX | (uint64_t)IPCM_PROTO_TCP << 16 |
			   p->cm_port);
	nx_put_be64(d + 16, dev_guid(f->devs[p->src_dev]));
	nx_put_be32(d + 32, (p->cm_qpn & 0xffffffu) << 8 | rd);
	d[39] = ra;                          /* initiator depth */
	/* remote CM response timeout, transport RC (0), E2E flow control */
	d[43] = (uint8_t)(CM_RESPONSE_TIMEOUT << 3 | 0 << 1 | 1);
	nx_put_be32(d + 44, (p->cm_psn & 0xffffffu) << 8 |
			    CM_RESPONSE_TIMEOUT << 3 | CM_RETRY_COUNT);
	nx_put_be16(d + 48, PKEY_DEFAULT);
	d[50] = (uint8_t)(mtu_enum(f->o.mtu) << 4 | (rnr & 7));
	d[51] = CM_MAX_RETRIES << 4;
	nx_put_be16(d + 52, 0xffff);         /* RoCE: permissive LIDs */
	nx_put_be16(d + 54, 0xffff);
	put_gid_v4(d + 56, f->devs[p->src_dev]->ipv4);
	put_gid_v4(d + 72, f->devs[p->dst_dev]->ipv4);
	d[93] = HOP_LIMIT;
	d[95] = CM_LOCAL_ACK_TIMEOUT << 3;
	cm_req_priv(f, p, d + 140);
}

/* IBA 12.6.8 REP. */
static void cm_rep(const struct nx_sim_rdma *f, const struct rdma_pkt *p,
		   uint8_t *d)
{
	const struct nx_rdma_qp *qp = cm_qp(f, p);

	nx_put_be32(d + 0, p->cm_src_id);
	nx_put_be32(d + 4, p->cm_dst_id);
	nx_put_be32(d + 12, (p->cm_qpn & 0xffffffu) << 8);
	nx_put_be32(d + 20, (p->cm_psn & 0xffffffu) << 8);
	d[24] = qp != NULL ? qp->attr.max_dest_rd_atomic : 0;
	d[25] = qp != NULL ? qp->attr.max_rd_atomic : 0;
	d[26] = 1;                           /* E2E flow control */
	d[27] = (uint8_t)((qp != NULL ? qp->attr.rnr_retry : 7) << 5);
	nx_put_be64(d + 28, dev_guid(f->devs[p->src_dev]));
	memcpy(d + 36, p->priv, NX_MIN((uint32_t)p->priv_len, CM_REP_PRIV_LEN));
}

static void cm_body(const struct nx_sim_rdma *f, const struct rdma_pkt *p,
		    uint8_t *d)
{
	switch (p->cm_type) {
	case CM_REQ:
		cm_req(f, p, d);
		break;
	case CM_REP:
		cm_rep(f, p, d);
		break;
	case CM_REJ: /* 12.6.7: MsgRej 0 (the REQ), reason, private data */
		nx_put_be32(d + 0, p->cm_src_id);
		nx_put_be32(d + 4, p->cm_dst_id);
		nx_put_be16(d + 10, p->cm_reason);
		memcpy(d + 84, p->priv, NX_MIN((uint32_t)p->priv_len, 148u));
		break;
	case CM_DREQ: /* 12.6.10: the remote QPN */
		nx_put_be32(d + 0, p->cm_src_id);
		nx_put_be32(d + 4, p->cm_dst_id);
		nx_put_be32(d + 8, (p->cm_qpn & 0xffffffu) << 8);
		break;
	default:      /* RTU 12.6.9, DREP 12.6.11: the two comm ids */
		nx_put_be32(d + 0, p->cm_src_id);
		nx_put_be32(d + 4, p->cm_dst_id);
		break;
	}
}

static void emit_cm(struct nx_sim_rdma *f, const struct rdma_pkt *p,
		    uint64_t start_ns)
{
	uint8_t mad[MAD_LEN];
	struct roce_pkt rp;

	memset(mad, 0, sizeof(mad));
	mad[0] = MAD_BASE_VERSION;
	mad[1] = MAD_CLASS_CM;
	mad[2] = MAD_CM_VERSION;
	mad[3] = MAD_METHOD_SEND;
	nx_put_be64(mad + 8, p->cm_tid);
	nx_put_be16(mad + 16, p->cm_type);   /* attribute ID = message */
	cm_body(f, p, mad + 24);
	memset(&rp, 0, sizeof(rp));
	rp.src_dev = p->src_dev;
	rp.dst_dev = p->dst_dev;
	rp.sport = roce_sport(1);
	rp.opcode = OP_UD_SEND_ONLY;
	rp.dqpn = 1;
	rp.psn = f->cap->gsi_psn[p->src_dev]++ & 0xffffffu;
	nx_put_be32(rp.ext, GSI_QKEY);       /* DETH: Q_Key, source QP 1 */
	nx_put_be32(rp.ext + 4, 1);
	rp.ext_len = 8;
	rp.payload = mad;
	rp.len = MAD_LEN;
	cap_emit(f, start_ns, &rp);
}

void nx_sim_rdma_pcap_write(struct nx_sim_rdma *f, const struct rdma_pkt *p,
			    uint64_t start_ns)
{
	nx_assert(f->cap != NULL && p->src_dev < f->ndevs && p->dst_dev < f->ndevs);
	nx_assert(start_ns >= nx_sim_now(f->sim));
	/* Frames due by now go first: every frame from here on is later. */
	cap_write_oldest(f, nx_sim_now(f->sim), false);
	if (p->kind == PKT_CM)
		emit_cm(f, p, start_ns);
	else
		emit_rc(f, p, start_ns);
}
