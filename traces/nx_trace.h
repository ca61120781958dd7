/*
 * nx_trace.h - the trace engine behind nexus-replay: captured iSCSI
 * traffic (pcap/pcapng) turned into sessions, commands and their answers.
 *
 * Three stages, one file each:
 *   pcap_read.c   libpcap; link layers Ethernet (+802.1Q/802.1ad VLAN),
 *                 Linux cooked SLL/SLL2, BSD loopback/null, raw IP;
 *                 IPv4 and IPv6 (extension headers skipped; fragments
 *                 counted and dropped); TCP segments to their connection.
 *   tcp_stream.c  per-direction reassembly, done once the capture is read:
 *                 segments sorted by (unwrapped) sequence number,
 *                 retransmissions and overlaps trimmed (a retransmission
 *                 whose bytes differ is counted, the first copy wins),
 *                 holes kept as holes: the stream is a list of contiguous
 *                 runs and a hole is reported, never filled.
 *   iscsi_decode.c  PDUs per run (resynchronising on a plausible BHS at a
 *                 run that does not start at the SYN, i.e. a capture begun
 *                 mid-stream or after a hole), digests as the captured
 *                 login negotiated them (or detected by their CRC when
 *                 the login is not in the capture), then commands paired
 *                 with their answers by ITT: Data-In reassembled by
 *                 buffer offset, R2T/Data-Out collected, status, sense,
 *                 residuals; TMFs, logins and logouts.
 *   r2t.c         the data-out rules a login settles (burst keys, the
 *                 unsolicited first burst) and the checks and words for
 *                 R2T sequences, captured or replayed.
 *
 * Everything is bounded (connections, bytes, PDUs, commands); a limit
 * reached is an error message, never a crash.  The engine uses libc (it
 * is tool code, like sim/), never the platform layer, except nx_crc32c
 * from libnexus.a.
 */
#ifndef NX_TRACE_H
#define NX_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NX_TR_CONNS_MAX 1024u
#define NX_TR_BYTES_MAX (512ull << 20)   /* captured TCP payload kept */
#define NX_TR_SEGS_MAX (4u << 20)
#define NX_TR_PDUS_MAX (4u << 20)
#define NX_TR_CDB_MAX 260u
#define NX_TR_SENSE_MAX 252u
#define NX_TR_DATA_MAX (16u << 20)       /* per command and direction */
#define NX_TR_NAME_MAX 224u
#define NX_TR_ERR_MAX 640u
#define NX_TR_ISCSI_PORT 3260u

/* ---- TCP ------------------------------------------------------------- */

/* One TCP segment as decoded from a frame (pcap_read.c). */
struct nx_tr_tcp {
	uint8_t family;            /* 4 or 6 */
	uint8_t src[16], dst[16];  /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags;             /* FIN 01, SYN 02, RST 04, ACK 10 */
	const uint8_t *payload;
	uint32_t len;
};

#define NX_TR_FIN 0x01
#define NX_TR_SYN 0x02
#define NX_TR_RST 0x04

struct nx_tr_seg {
	int64_t seq;               /* unwrapped, relative to the first seen */
	uint32_t len;
	uint32_t frame;            /* 1-based frame number of the capture */
	bool used, partial;        /* reassembly: bytes taken (from inside) */
	uint64_t data;             /* offset into the trace's byte arena */
};

/* A contiguous piece of a reassembled stream. */
struct nx_tr_run {
	int64_t off;               /* stream offset of data[0] */
	uint32_t len;
	uint8_t *data;
	bool at_start;             /* begins right after the SYN */
	/* Delivery frames: byte i was deliverable at frame
	 * frame_of[k].frame for the first k with frame_of[k].end > off+i. */
	struct { int64_t end; uint32_t frame; } *frames;
	uint32_t frames_n;
};

struct nx_tr_dir {
	struct nx_tr_seg *segs;
	uint32_t segs_n, segs_cap;
	bool syn, fin, rst;
	uint32_t seq0;             /* first sequence number seen (or SYN+1) */
	int64_t last_rel;          /* for unwrapping */
	bool seq0_set;
	/* after nx_tr_reassemble() */
	struct nx_tr_run *runs;
	uint32_t runs_n;
	uint64_t bytes;            /* stream bytes present */
	uint64_t missing;          /* bytes in holes between runs */
	uint32_t holes;
	uint32_t retransmits;      /* segments wholly seen before */
	uint32_t overlaps;         /* partly seen before */
	uint32_t conflicts;        /* overlapping bytes that differ */
	uint32_t out_of_order;     /* arrived below the highest seq seen */
};

/* ---- iSCSI ------------------------------------------------------------ */

struct nx_tr_login {
	bool seen;                 /* a Login Request was captured */
	bool ffp;                  /* the final response moved to FFP */
	bool discovery;
	uint8_t status_class, status_detail;
	char initiator[NX_TR_NAME_MAX];
	char target[NX_TR_NAME_MAX];
	uint8_t isid[6];
	uint16_t tsih;             /* as answered */
	uint16_t cid;
	/* Operational keys: what the initiator offered ("" if not). */
	char offer_hd[32], offer_dd[32];
	char offer_immediate[8], offer_initial_r2t[8];
	uint32_t offer_first_burst, offer_max_burst, offer_mrdsl;
	char offer_seq_in_order[8];
	uint16_t offer_max_r2t;
	/* The target's values for the same keys (its answers or offers). */
	char tgt_immediate[8], tgt_initial_r2t[8], tgt_seq_in_order[8];
	uint32_t tgt_first_burst, tgt_max_burst, tgt_mrdsl;
	uint16_t tgt_max_r2t;
	/* Settled (the target's answers). */
	bool header_digest, data_digest;
	bool digests_guessed;      /* no login captured: detected by CRC */
	uint32_t frame;            /* of the final Login Response */
};

/* What shapes a write's data-out phase, as a login settled it: RFC 7143
 * 13.10 InitialR2T (OR), 13.11 ImmediateData (AND), 13.12 the target's
 * MaxRecvDataSegmentLength (declared), 13.13 MaxBurstLength and 13.14
 * FirstBurstLength (minimum), 13.17 MaxOutstandingR2T (minimum), 13.19
 * DataSequenceInOrder (OR); a key nobody sent keeps its default. */
struct nx_tr_burst {
	bool known;                /* a login was captured (else defaults) */
	bool immediate_data, initial_r2t, seq_in_order;
	uint32_t first_burst, max_burst;
	uint32_t tgt_mrdsl;
	uint16_t max_outstanding_r2t;
};

/* One R2T (RFC 7143 11.8), in the order the target sent them. */
struct nx_tr_r2t {
	uint32_t r2tsn, offset, len;
};

#define NX_TR_R2T_KEEP 64u         /* R2Ts kept per command (all counted) */

struct nx_tr_cmd {
	uint32_t conn;             /* index into trace conns */
	uint32_t itt, cmdsn;
	uint64_t lun;              /* the 8-byte LUN field */
	uint8_t cdb[NX_TR_CDB_MAX];
	uint16_t cdb_len;
	uint8_t attr;
	bool read, write, immediate;
	uint32_t edtl;             /* Expected Data Transfer Length */
	uint32_t bidi_read_len;
	bool bidi;
	/* Data-Out: immediate + solicited/unsolicited, by buffer offset. */
	uint8_t *out;
	uint32_t out_got;          /* bytes received (may count overlaps) */
	uint32_t imm_len;          /* immediate data in the command PDU */
	uint32_t unsol_len;        /* immediate + unsolicited Data-Out */
	uint32_t r2ts, r2t_bytes;
	struct nx_tr_r2t *r2t;     /* the first NX_TR_R2T_KEEP, or NULL */
	/* Data-In, by buffer offset. */
	uint8_t *in;
	uint32_t in_cap, in_end;   /* highest offset + length seen */
	bool in_hole;              /* some Data-In offsets never seen */
	uint32_t in_pdus;
	/* The answer. */
	bool answered;
	uint8_t response, status, flags;
	uint32_t residual, bidi_residual;
	uint8_t sense[NX_TR_SENSE_MAX];
	uint16_t sense_len;
	bool rejected;             /* answered by a Reject */
	uint8_t reject_reason;
	bool damaged;              /* a PDU of this command fell in a hole */
	uint32_t digest_errors;    /* captured PDUs whose digest failed */
	uint32_t frame_cmd, frame_rsp;
};

struct nx_tr_tmf {
	uint32_t conn;
	uint32_t itt, ref_itt, ref_cmdsn;
	uint8_t function;
	uint64_t lun;
	bool answered;
	uint8_t response;
	uint32_t frame_req, frame_rsp;
};

enum nx_tr_ev_kind {
	NX_TR_EV_LOGIN,      /* a connection reached FFP (arg = conn) */
	NX_TR_EV_CMD,        /* SCSI Command sent (arg = cmd) */
	NX_TR_EV_CMD_DONE,   /* its answer (or the end of its connection) */
	NX_TR_EV_TMF,        /* TMF request (arg = tmf) */
	NX_TR_EV_TMF_DONE,
	NX_TR_EV_LOGOUT,     /* Logout Request (arg = conn, aux = reason) */
	NX_TR_EV_CLOSE,      /* the connection ended (arg = conn) */
};

struct nx_tr_event {
	uint32_t frame;
	uint32_t order;            /* tie-break: decode order */
	uint8_t kind;
	uint8_t aux;
	uint32_t arg;
};

struct nx_tr_conn {
	uint32_t id;               /* index */
	uint8_t family;
	uint8_t ini_addr[16], tgt_addr[16];
	uint16_t ini_port, tgt_port;
	bool roles_known;          /* SYN or the iSCSI port fixed the roles */
	struct nx_tr_dir dir[2];   /* 0: initiator -> target, 1: back */
	struct nx_tr_login login;
	uint32_t first_frame, last_frame;
	uint32_t pdus[2];
	uint32_t resyncs[2];       /* times a BHS had to be searched for */
	uint64_t skipped[2];       /* bytes skipped while resynchronising */
	uint32_t cut_pdus[2];      /* PDUs cut by a hole or the capture end */
	uint32_t digest_errors[2];
	uint32_t unknown_itt;      /* answers for no captured command */
	bool logged_out;
	bool iscsi;                /* at least one PDU decoded */
};

struct nx_trace {
	int linktype;
	uint32_t frames;
	uint32_t frames_tcp;       /* frames that carried a TCP segment */
	uint32_t frames_skipped;   /* not IP/TCP, fragments, truncated */
	uint16_t iscsi_port;       /* 0: 3260 */
	struct nx_tr_conn *conns;
	uint32_t conns_n;
	uint8_t *arena;            /* every captured payload byte */
	uint64_t arena_len, arena_cap;
	struct nx_tr_cmd *cmds;
	uint32_t cmds_n, cmds_cap;
	struct nx_tr_tmf *tmfs;
	uint32_t tmfs_n, tmfs_cap;
	struct nx_tr_event *events;
	uint32_t events_n, events_cap;
	uint32_t order;
	char err[NX_TR_ERR_MAX];
};

/* Returns 0, or -1 with t->err set: unreadable file, unsupported link
 * type, a limit reached.  t must be zeroed (iscsi_port may be set). */
int nx_trace_read_file(struct nx_trace *t, const char *path);
/* The same from an open stream (e.g. fmemopen: the fuzzer); fp is
 * closed in every case.  name is for messages. */
int nx_trace_read_fp(struct nx_trace *t, FILE *fp, const char *name);
/* Decodes one frame of the given LINKTYPE_* into a TCP segment.
 * 0 = TCP, 1 = not TCP (or a fragment), -1 = truncated/malformed. */
int nx_tr_decode_frame(int linktype, const uint8_t *p, uint32_t caplen,
		       struct nx_tr_tcp *out);
/* Files a decoded segment under its connection (frame is 1-based). */
int nx_tr_add_segment(struct nx_trace *t, const struct nx_tr_tcp *seg,
		      uint32_t frame);

/* tcp_stream.c: builds dir->runs from dir->segs. */
int nx_tr_reassemble(struct nx_trace *t, struct nx_tr_dir *d);
/* The delivery frame of stream offset off inside run r. */
uint32_t nx_tr_run_frame(const struct nx_tr_run *r, int64_t off);

/* iscsi_decode.c: reassembles every connection, decodes PDUs, builds
 * cmds/tmfs and the event list sorted by capture order.  0 or -1 (err). */
int nx_trace_decode(struct nx_trace *t);

/* Whole pipeline: read + decode. */
int nx_trace_load(struct nx_trace *t, const char *path);
void nx_trace_free(struct nx_trace *t);

/* ---- R2T rules (r2t.c) ------------------------------------------------- */

/* The burst parameters a captured login settled (defaults if none). */
void nx_tr_burst_of(const struct nx_tr_login *l, struct nx_tr_burst *b);
/* Bytes of a write of edtl an initiator sends unsolicited under b (13.10,
 * 13.11, 13.14); *immediate gets the immediate part. */
uint32_t nx_tr_unsolicited(const struct nx_tr_burst *b, uint32_t edtl,
			   uint32_t *immediate);
/* The R2Ts a target that solicits [unsol, want) in order, each burst as
 * long as MaxBurstLength allows, sends (11.8.3, 13.13): count, and the
 * first cap of them in out. */
uint32_t nx_tr_r2t_expected(const struct nx_tr_burst *b, uint32_t unsol,
			    uint32_t want, struct nx_tr_r2t *out, uint32_t cap);
/* The first rule of RFC 7143 an R2T sequence breaks (11.8.3 length and
 * range, 11.8.4 R2TSN order, 13.19 in-order sequences without overlap;
 * with complete, also that [unsol, want) is covered), written to why:
 * 1; or 0 when it keeps them all.  n counts every R2T, r holds the first
 * min(n, NX_TR_R2T_KEEP). */
int nx_tr_r2t_check(const struct nx_tr_burst *b, uint32_t edtl,
		    uint32_t unsol, uint32_t want, bool complete,
		    const struct nx_tr_r2t *r, uint32_t n, char *why,
		    size_t cap);
/* Equal offsets and lengths, R2T by R2T (tags and R2TSN aside). */
bool nx_tr_r2t_same(const struct nx_tr_r2t *a, uint32_t na,
		    const struct nx_tr_r2t *b, uint32_t nb);
/* "2 R2Ts: 65536+262144 327680+196608" ("no R2T"); "..." past cap. */
void nx_tr_r2t_format(const struct nx_tr_r2t *r, uint32_t n, char *buf,
		      size_t cap);
/* "FirstBurstLength 65536, MaxBurstLength 262144, ImmediateData Yes,
 * InitialR2T No" (+ MaxOutstandingR2T, DataSequenceInOrder if not 1/Yes). */
void nx_tr_burst_format(const struct nx_tr_burst *b, char *buf, size_t cap);

/* Helpers shared with the tool. */
const char *nx_tr_addr_str(const struct nx_tr_conn *c, bool initiator,
			   char *buf, size_t len);
/* LUN number from the 8-byte LUN field (SAM-5 4.7: peripheral / flat). */
uint32_t nx_tr_lun_number(uint64_t lun_field);

#endif /* NX_TRACE_H */
