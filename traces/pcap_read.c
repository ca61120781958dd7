/*
 * pcap_read.c - frames to TCP segments (nx_trace.h).
 *
 * libpcap reads both pcap and pcapng (pcap_open_offline).  Link layers:
 * Ethernet II with any number of 802.1Q / 802.1ad tags, Linux cooked
 * capture v1 (SLL, 16-byte header) and v2 (SLL2, 20 bytes), BSD
 * loopback (DLT_NULL: host-order family; DLT_LOOP: network order) and
 * raw IP.  IPv4 (RFC 791: IHL, total length trims Ethernet padding,
 * fragments are not reassembled - counted as skipped) and IPv6 (RFC 8200:
 * hop-by-hop, routing, destination options and AH headers skipped; a
 * Fragment header is skipped like an IPv4 fragment).  A frame cut by the
 * snap length keeps the bytes it has: the rest becomes a hole in the
 * stream, reported by reassembly.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_trace.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define VLAN_TAGS_MAX 4
#define IPPROTO_TCP_ 6

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int decode_tcp(const uint8_t *p, uint32_t len, struct nx_tr_tcp *out)
{
	uint32_t hl;

	if (len < 20)
		return -1;
	hl = (uint32_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > len)
		return -1;
	out->sport = be16(p);
	out->dport = be16(p + 2);
	out->seq = be32(p + 4);
	out->flags = p[13];
	out->payload = p + hl;
	out->len = len - hl;
	return 0;
}

static int decode_ipv4(const uint8_t *p, uint32_t caplen, struct nx_tr_tcp *out)
{
	uint32_t ihl, total;

	if (caplen < 20 || (p[0] >> 4) != 4)
		return -1;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	total = be16(p + 2);
	if (ihl < 20 || total < ihl || caplen < ihl)
		return -1;
	/* MF set or a fragment offset: not reassembled. */
	if ((be16(p + 6) & 0x3fff) != 0 || p[9] != IPPROTO_TCP_)
		return 1;
	out->family = 4;
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	memcpy(out->src, p + 12, 4);
	memcpy(out->dst, p + 16, 4);
	if (total > caplen)
		total = caplen;      /* snap length: keep what we have */
	return decode_tcp(p + ihl, total - ihl, out);
}

static int decode_ipv6(const uint8_t *p, uint32_t caplen, struct nx_tr_tcp *out)
{
	uint32_t off = 40, plen;
	uint8_t nh;

	if (caplen < 40 || (p[0] >> 4) != 6)
		return -1;
	plen = be16(p + 4);
	nh = p[6];
	memcpy(out->src, p + 8, 16);
	memcpy(out->dst, p + 24, 16);
	out->family = 6;
	/* Bounded: at most 8 extension headers. */
	for (unsigned i = 0; i < 8 && nh != IPPROTO_TCP_; i++) {
		uint8_t next;

		if (off + 8 > caplen)
			return -1;
		next = p[off];
		if (nh == 0 || nh == 43 || nh == 60)
			off += ((uint32_t)p[off + 1] + 1) * 8;
		else if (nh == 51)
			off += ((uint32_t)p[off + 1] + 2) * 4;
		else
			return 1;    /* fragment (44), ESP, no next header... */
		nh = next;
	}
	if (nh != IPPROTO_TCP_)
		return 1;
	if (plen == 0 || 40 + plen > caplen)
		plen = caplen - 40;  /* jumbogram or snap length */
	if (off > 40 + plen)
		return -1;
	return decode_tcp(p + off, 40 + plen - off, out);
}

static int decode_ip(const uint8_t *p, uint32_t caplen, struct nx_tr_tcp *out)
{
	if (caplen < 1)
		return -1;
	if ((p[0] >> 4) == 4)
		return decode_ipv4(p, caplen, out);
	if ((p[0] >> 4) == 6)
		return decode_ipv6(p, caplen, out);
	return 1;
}

static int decode_ethertype(uint16_t type, const uint8_t *p, uint32_t len,
			    struct nx_tr_tcp *out)
{
	if (type == ETH_P_IPV4)
		return decode_ipv4(p, len, out);
	if (type == ETH_P_IPV6)
		return decode_ipv6(p, len, out);
	return 1;
}

static int decode_ethernet(const uint8_t *p, uint32_t caplen,
			   struct nx_tr_tcp *out)
{
	uint32_t off = 12;
	uint16_t type;

	if (caplen < 14)
		return -1;
	type = be16(p + off);
	off += 2;
	for (unsigned i = 0; i < VLAN_TAGS_MAX &&
	     (type == ETH_P_VLAN || type == ETH_P_QINQ); i++) {
		if (off + 4 > caplen)
			return -1;
		type = be16(p + off + 2);
		off += 4;
	}
	return decode_ethertype(type, p + off, caplen - off, out);
}

/* BSD loopback: 4-byte address family; IPv6 is 24, 28 or 30 by OS. */
static int decode_null(const uint8_t *p, uint32_t caplen, bool net_order,
		       struct nx_tr_tcp *out)
{
	uint32_t af;

	if (caplen < 4)
		return -1;
	af = net_order ? be32(p) : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if (!net_order && af > 0xffff)  /* written on a big-endian host */
		af = be32(p);
	if (af == 2)
		return decode_ipv4(p + 4, caplen - 4, out);
	if (af == 24 || af == 28 || af == 30 || af == 10)
		return decode_ipv6(p + 4, caplen - 4, out);
	return 1;
}

int nx_tr_decode_frame(int linktype, const uint8_t *p, uint32_t caplen,
		       struct nx_tr_tcp *out)
{
	memset(out, 0, sizeof(*out));
	switch (linktype) {
	case DLT_EN10MB:
		return decode_ethernet(p, caplen, out);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		return decode_ethertype(be16(p + 14), p + 16, caplen - 16, out);
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		return decode_ethertype(be16(p), p + 20, caplen - 20, out);
#endif
	case DLT_NULL:
		return decode_null(p, caplen, false, out);
	case DLT_LOOP:
		return decode_null(p, caplen, true, out);
	case DLT_RAW:
	case 101: /* LINKTYPE_RAW as some writers store it */
		return decode_ip(p, caplen, out);
#ifdef DLT_IPV4
	case DLT_IPV4:
		return decode_ipv4(p, caplen, out);
	case DLT_IPV6:
		return decode_ipv6(p, caplen, out);
#endif
	default:
		return 1;
	}
}

static bool link_supported(int lt)
{
	switch (lt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case 101:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		return true;
	default:
		return false;
	}
}

/* Frames of an opened capture into TCP segments; closes pc. */
static int read_frames(struct nx_trace *t, pcap_t *pc, const char *name)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	t->linktype = pcap_datalink(pc);
	if (!link_supported(t->linktype)) {
		snprintf(t->err, sizeof(t->err), "%s: link type %s (%d) is not "
			 "supported (Ethernet, Linux SLL/SLL2, loopback, raw IP)",
			 name, pcap_datalink_val_to_name(t->linktype) ?
			 pcap_datalink_val_to_name(t->linktype) : "?",
			 t->linktype);
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct nx_tr_tcp seg;

		t->frames++;
		if (nx_tr_decode_frame(t->linktype, data, h->caplen, &seg) != 0) {
			t->frames_skipped++;
			continue;
		}
		t->frames_tcp++;
		if (nx_tr_add_segment(t, &seg, t->frames) != 0) {
			pcap_close(pc);
			return -1;
		}
	}
	if (rc == -1) {
		/* A truncated last record: keep what was read, say so. */
		snprintf(t->err, sizeof(t->err), "%s: capture damaged after "
			 "frame %u (%s)", name, t->frames, pcap_geterr(pc));
		if (t->frames_tcp == 0) {
			pcap_close(pc);
			return -1;
		}
	}
	pcap_close(pc);
	return 0;
}

int nx_trace_read_file(struct nx_trace *t, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	errbuf[0] = '\0';
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL) {
		snprintf(t->err, sizeof(t->err), "%.300s: not a readable pcap/pcapng "
			 "capture (%.256s)", path, errbuf);
		return -1;
	}
	return read_frames(t, pc, path);
}

int nx_trace_read_fp(struct nx_trace *t, FILE *fp, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	errbuf[0] = '\0';
	pc = pcap_fopen_offline(fp, errbuf);
	if (pc == NULL) {
		fclose(fp);
		snprintf(t->err, sizeof(t->err), "%.300s: not a readable pcap/pcapng "
			 "capture (%.256s)", name, errbuf);
		return -1;
	}
	return read_frames(t, pc, name);
}
