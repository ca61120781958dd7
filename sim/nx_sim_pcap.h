/*
 * nx_sim_pcap.h - writes simulated TCP segments as Ethernet/IPv4/TCP
 * frames into a pcap file (libpcap, LINKTYPE_ETHERNET, nanosecond
 * timestamps from the virtual clock) so Wireshark/tshark dissect the
 * iSCSI inside.  Headers are synthesized with correct IPv4 (RFC 791) and
 * TCP (RFC 793, pseudo-header) checksums.  The file is a pure function
 * of the frames written: same seed, byte-identical capture.  The RDMA
 * fabric writes RoCEv2 frames into the same file (nx_sim_rdma.h).
 */
#ifndef NX_SIM_PCAP_H
#define NX_SIM_PCAP_H

#include "nx_sim.h"

#define NX_TCP_FIN 0x01
#define NX_TCP_SYN 0x02
#define NX_TCP_RST 0x04
#define NX_TCP_PSH 0x08
#define NX_TCP_ACK 0x10

#define NX_SIM_PCAP_SNAPLEN 65535
#define NX_SIM_PCAP_FRAME_MAX (14 + 20 + 60 + 9000)

struct nx_sim_pcap;

struct nx_sim_pcap_tcp {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip; /* host order */
	uint16_t ip_id;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;         /* the 16-bit header field (scaled) */
	const uint8_t *options;  /* TCP options, padded to 4n, <= 40 bytes */
	uint8_t options_len;
	const uint8_t *payload;
	uint32_t payload_len;
};

/* NULL on error (message on stderr). */
struct nx_sim_pcap *nx_sim_pcap_open(const char *path);
void nx_sim_pcap_close(struct nx_sim_pcap *pc);
int nx_sim_pcap_write_tcp(struct nx_sim_pcap *pc, uint64_t ts_ns,
			  const struct nx_sim_pcap_tcp *seg);
/* One finished Ethernet frame of at most NX_SIM_PCAP_FRAME_MAX bytes
 * (other encapsulations: the RoCEv2 capture of sim/rdma_pcap.c). */
int nx_sim_pcap_write_frame(struct nx_sim_pcap *pc, uint64_t ts_ns,
			    const uint8_t *frame, size_t len);
uint64_t nx_sim_pcap_frames(const struct nx_sim_pcap *pc);

/* Builds the frame only (for tests): returns its length or NX_EINVAL. */
int nx_sim_pcap_build_tcp(uint8_t *frame, size_t cap,
			  const struct nx_sim_pcap_tcp *seg);
/* RFC 1071 Internet checksum helper, exposed for tests. */
uint16_t nx_sim_inet_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif /* NX_SIM_PCAP_H */
