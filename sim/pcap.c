/*
 * pcap.c - synthesized Ethernet II / IPv4 / TCP frames into a pcap file.
 *
 * Frames are built with explicit big-endian stores (no struct overlays),
 * IPv4 with DF set and TTL 64, checksums per RFC 1071 over the IPv4
 * header and over the TCP pseudo-header + segment (RFC 793 3.1).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "nx_sim_pcap.h"
#include "../core/nx_wire.h"

struct nx_sim_pcap {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	uint64_t frames;
	uint8_t frame[NX_SIM_PCAP_FRAME_MAX];
};

uint16_t nx_sim_inet_csum(const uint8_t *buf, size_t len, uint32_t sum)
{
	uint64_t s = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		s += (uint32_t)buf[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void build_ipv4(uint8_t *ip, const struct nx_sim_pcap_tcp *seg,
		       uint16_t total_len)
{
	ip[0] = 0x45;            /* version 4, IHL 5 */
	ip[1] = 0;               /* DSCP/ECN */
	nx_put_be16(ip + 2, total_len);
	nx_put_be16(ip + 4, seg->ip_id);
	nx_put_be16(ip + 6, 0x4000);   /* DF, fragment offset 0 */
	ip[8] = 64;              /* TTL */
	ip[9] = 6;               /* protocol TCP */
	nx_put_be16(ip + 10, 0);
	nx_put_be32(ip + 12, seg->src_ip);
	nx_put_be32(ip + 16, seg->dst_ip);
	nx_put_be16(ip + 10, nx_sim_inet_csum(ip, 20, 0));
}

static void build_tcp(uint8_t *tcp, const struct nx_sim_pcap_tcp *seg,
		      uint16_t tcp_len)
{
	uint8_t hlen = (uint8_t)(20 + seg->options_len);
	uint32_t pseudo;

	nx_put_be16(tcp + 0, seg->sport);
	nx_put_be16(tcp + 2, seg->dport);
	nx_put_be32(tcp + 4, seg->seq);
	nx_put_be32(tcp + 8, (seg->flags & NX_TCP_ACK) ? seg->ack : 0);
	tcp[12] = (uint8_t)((hlen / 4) << 4);
	tcp[13] = seg->flags;
	nx_put_be16(tcp + 14, seg->window);
	nx_put_be16(tcp + 16, 0);
	nx_put_be16(tcp + 18, 0);      /* urgent pointer */
	if (seg->options_len)
		memcpy(tcp + 20, seg->options, seg->options_len);
	if (seg->payload_len)
		memcpy(tcp + hlen, seg->payload, seg->payload_len);
	/* RFC 793 3.1: pseudo-header src, dst, zero+protocol, TCP length. */
	pseudo = (seg->src_ip >> 16) + (seg->src_ip & 0xffff) +
		 (seg->dst_ip >> 16) + (seg->dst_ip & 0xffff) + 6 + tcp_len;
	nx_put_be16(tcp + 16, nx_sim_inet_csum(tcp, tcp_len, pseudo));
}

int nx_sim_pcap_build_tcp(uint8_t *frame, size_t cap,
			  const struct nx_sim_pcap_tcp *seg)
{
	size_t tcp_len = 20 + (size_t)seg->options_len + seg->payload_len;
	size_t len = 14 + 20 + tcp_len;

	if (seg->options_len % 4 != 0 || seg->options_len > 40 || len > cap ||
	    20 + tcp_len > 0xffff)
		return NX_EINVAL;
	memcpy(frame, seg->dst_mac, 6);
	memcpy(frame + 6, seg->src_mac, 6);
	nx_put_be16(frame + 12, 0x0800); /* EtherType IPv4 */
	build_ipv4(frame + 14, seg, (uint16_t)(20 + tcp_len));
	build_tcp(frame + 34, seg, (uint16_t)tcp_len);
	return (int)len;
}

struct nx_sim_pcap *nx_sim_pcap_open(const char *path)
{
	struct nx_sim_pcap *pc = calloc(1, sizeof(*pc));

	if (pc == NULL)
		return NULL;
	pc->dead = pcap_open_dead_with_tstamp_precision(
		DLT_EN10MB, NX_SIM_PCAP_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (pc->dead == NULL)
		goto fail;
	pc->dumper = pcap_dump_open(pc->dead, path);
	if (pc->dumper == NULL) {
		fprintf(stderr, "pcap %s: %s\n", path, pcap_geterr(pc->dead));
		goto fail;
	}
	return pc;
fail:
	if (pc->dead != NULL)
		pcap_close(pc->dead);
	free(pc);
	return NULL;
}

void nx_sim_pcap_close(struct nx_sim_pcap *pc)
{
	if (pc == NULL)
		return;
	pcap_dump_close(pc->dumper);
	pcap_close(pc->dead);
	free(pc);
}

int nx_sim_pcap_write_frame(struct nx_sim_pcap *pc, uint64_t ts_ns,
			    const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;

	if (len > NX_SIM_PCAP_FRAME_MAX)
		return NX_EINVAL;
	memset(&h, 0, sizeof(h));
	/* Nanosecond-precision file: tv_usec carries nanoseconds. */
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);
	h.caplen = (bpf_u_int32)NX_MIN(len, (size_t)NX_SIM_PCAP_SNAPLEN);
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)pc->dumper, &h, frame);
	pc->frames++;
	return NX_OK;
}

int nx_sim_pcap_write_tcp(struct nx_sim_pcap *pc, uint64_t ts_ns,
			  const struct nx_sim_pcap_tcp *seg)
{
	int len = nx_sim_pcap_build_tcp(pc->frame, sizeof(pc->frame), seg);

	if (len < 0)
		return len;
	return nx_sim_pcap_write_frame(pc, ts_ns, pc->frame, (size_t)len);
}

uint64_t nx_sim_pcap_frames(const struct nx_sim_pcap *pc) { return pc->frames; }
