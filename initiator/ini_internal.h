/*
 * ini_internal.h - what the files of initiator/ share.
 *
 * A session owns a fixed table of request slots; a slot's index is the low
 * byte of the ITT it hands out (the upper 24 bits are a generation count),
 * so a response finds its request in O(1) and a stale ITT never matches a
 * reused slot.  Opcodes, the PDU view and CRC32C come from the target
 * transport's iscsi_internal.h: one definition of the wire.
 */
#ifndef NX_INI_INTERNAL_H
#define NX_INI_INTERNAL_H

#include "nx_initiator.h"
#include "../transports/iscsi/iscsi_internal.h"

#define INI_SLOTS (NX_INI_MAX_CMDS + NX_INI_MAX_MGMT)
#define INI_RSV_TAG 0xffffffffu  /* RFC 7143 11.2.1.8 reserved tag */
#define INI_LOGIN_DSL 8192       /* RFC 7143 13.12: login PDUs */
#define INI_AHS_MAX 1020         /* TotalAHSLength is 8 bits of words */
#define INI_TEXT_MAX 65536       /* Text Response bytes accumulated */
#define INI_TX_AHS_MAX 272       /* extended CDB (<= 248) + bidi read AHS */

NX_STATIC_ASSERT(INI_SLOTS < 255, "slot index must fit the ITT low byte");
#define INI_SLOT_WORDS ((INI_SLOTS + 63) / 64)

enum ini_op_kind {
	INI_OP_FREE = 0,
	INI_OP_SCSI,
	INI_OP_TMF,
	INI_OP_NOP,
	INI_OP_TEXT,
	INI_OP_LOGOUT,
	INI_OP_LOGIN,
};

enum ini_slot_state {
	INI_SLOT_QUEUED = 1,  /* waiting for the CmdSN window */
	INI_SLOT_SENT,
};

struct ini_slot {
	uint8_t kind;          /* enum ini_op_kind */
	uint8_t state;         /* enum ini_slot_state */
	uint32_t itt;
	uint32_t cmdsn;
	uint64_t seq;          /* submit (queue) / send order */
	struct nx_ini_conn *conn;
	void *req;
	/* SCSI */
	uint32_t datasn_next;  /* next Data-In DataSN expected */
	uint32_t r2tsn_next;   /* next R2TSN expected */
	/* Text: Target Transfer Tag of the continuation */
	uint32_t ttt;
};

enum ini_conn_state {
	INI_CONN_FREE = 0,     /* connected, no login yet */
	INI_CONN_LOGIN,
	INI_CONN_FFP,
	INI_CONN_DEAD,
};

struct ini_login;          /* login.c */

struct nx_ini_session {
	/* cfg's last bytes (max_cmds) and the fields below up to the stats
	 * are what every command uses: kept on two cache lines. */
	struct nx_ini_config cfg;
	uint16_t tsih;
	bool logged_in;        /* the leading login completed */
	bool text_busy;
	bool discovery;        /* cfg.discovery, beside what every command reads */
	uint32_t cmdsn;        /* next CmdSN to assign */
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint32_t itt_gen;
	uint64_t seq;
	unsigned scsi_count;
	/* Slots waiting for the CmdSN window, and the latest one queued:
	 * when it is the only one, flushing needs no scan of the table. */
	unsigned queued;
	struct ini_slot *queued_last;
	/* Bit i set: slots[i] is taken (kind != INI_OP_FREE), so the lowest
	 * free slot is found a word at a time, not by a scan of the table. */
	uint64_t slot_busy[INI_SLOT_WORDS];
	struct nx_ini_stats stats;
	struct nx_ini_params params;    /* session-wide results (leading login) */
	struct ini_slot slots[INI_SLOTS];
	struct nx_ini_conn *conns[NX_INI_MAX_CONNS];
	uint8_t *text_buf;              /* INI_TEXT_MAX + 1 */
	uint32_t text_len;
};

struct nx_ini_conn {
	struct nx_ini_session *s;
	const struct nx_ini_conn_ops *ops;
	void *ctx;
	uint16_t cid;
	uint8_t state;                  /* enum ini_conn_state */
	bool logged_out;                /* DEAD after a clean logout */
	uint32_t exp_statsn;
	struct nx_ini_params params;
	bool hdr_digest;                /* active (full feature phase) */
	bool data_digest;
	struct ini_login *login;
	nx_ini_rx_hook rx_hook;
	void *rx_hook_arg;
	const struct nx_ini_dm_ops *dm; /* iSER datamover, or NULL */
	void *dm_ctx;
	/* receive state machine */
	uint8_t *rx;
	uint32_t rx_cap;
	uint32_t rx_have;
	uint32_t rx_need;               /* 0 until the BHS is complete */
	/* send scratch */
	uint8_t tx_bhs[NX_ISCSI_BHS_LEN];
	uint8_t tx_ahs[INI_TX_AHS_MAX];
};

/* ---- serial number arithmetic (RFC 1982, RFC 7143 4.2.2.1) ------------- */
static inline bool ini_sn_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool ini_sn_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* ---- session.c ---------------------------------------------------------- */
struct ini_slot *nx_ini_slot_alloc(struct nx_ini_session *s, uint8_t kind,
				struct nx_ini_conn *c, void *req);
struct ini_slot *nx_ini_slot_find(struct nx_ini_session *s, uint32_t itt);
/* Gives the slot back without completing it (nothing was sent). */
void nx_ini_slot_free(struct nx_ini_session *s, struct ini_slot *sl);
/* Frees the slot and calls the request's done() with err. */
void nx_ini_slot_complete(struct nx_ini_session *s, struct ini_slot *sl, int err);
/* Non-immediate commands: send now if the window allows and nothing is
 * queued before it, else queue. */
void nx_ini_slot_dispatch(struct nx_ini_session *s, struct ini_slot *sl);
/* Sends queued commands the window now allows. */
void nx_ini_session_flush(struct nx_ini_session *s);
/* ExpCmdSN/MaxCmdSN from a target PDU (RFC 7143 4.2.2.1). */
void nx_ini_session_window(struct nx_ini_session *s, uint32_t exp, uint32_t max);
/* Drops the connection: ops->close(), fails its requests with err. */
void nx_ini_conn_fail(struct nx_ini_conn *c, int err, const char *why);
/* Fails the requests of c without closing (stream already gone). */
void nx_ini_conn_fail_ops(struct nx_ini_conn *c, int err);

/* ---- pdu.c -------------------------------------------------------------- */
/* bhs[4] and DataSegmentLength are set from ahs_len/data_len; padding and
 * active digests are added. */
void nx_ini_send_pdu(struct nx_ini_conn *c, uint8_t *bhs, const uint8_t *ahs,
		  uint32_t ahs_len, const void *data, uint32_t data_len);
bool nx_ini_send_pdu_fill(struct nx_ini_conn *c, uint8_t *bhs,
			  const uint8_t *ahs, uint32_t ahs_len,
			  const struct nx_ini_scsi *cmd, uint32_t offset,
			  uint32_t len);
/* Zeroed BHS in c->tx_bhs with opcode (+ immediate bit) and ITT. */
uint8_t *nx_ini_bhs(struct nx_ini_conn *c, uint8_t opcode, bool immediate,
		 uint32_t itt);

/* ---- per-opcode handlers (scsi.c, tmf.c, nop.c, text.c, logout.c) ------- */
void nx_ini_scsi_send(struct nx_ini_session *s, struct ini_slot *sl);
void nx_ini_text_send(struct nx_ini_session *s, struct ini_slot *sl);
int nx_ini_rx_scsi_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_data_in(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_r2t(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_tmf_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_nop_in(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_text_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_logout_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
int nx_ini_rx_reject(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
/* Completes one SCSI command (response and status already stored). */
void nx_ini_scsi_finish(struct nx_ini_session *s, struct ini_slot *sl);
/* Text: parses SendTargets output into the caller's target list. */
unsigned nx_ini_sendtargets_parse(const char *text, uint32_t len,
			       struct nx_ini_target *t, unsigned cap);

/* ---- login.c ------------------------------------------------------------ */
int nx_ini_rx_login_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p);
void nx_ini_login_free(struct nx_ini_conn *c);

/* ---- keys.c: "key=value\0" text (RFC 7143 6.1) --------------------------- */
struct ini_kv {
	const char *key;
	const char *value;
};

/* Iterates the pairs of a NUL-separated text; *off is the cursor.
 * Returns 1 with a pair, 0 at the end, < 0 on malformed text. */
int nx_ini_kv_next(const char *text, uint32_t len, uint32_t *off,
		struct ini_kv *kv);
/* Does the pair's key (which ends at '=') equal name? */
bool nx_ini_kv_is(const struct ini_kv *kv, const char *name);
/* Appends "key=value\0"; false if it does not fit. */
bool nx_ini_kv_add(char *buf, uint32_t cap, uint32_t *len, const char *key,
		const char *value);
bool nx_ini_kv_add_u32(char *buf, uint32_t cap, uint32_t *len, const char *key,
		    uint32_t value);
/* Decimal or 0x-hex number (RFC 7143 5.1 numerical values). */
bool nx_ini_parse_u32(const char *v, uint32_t *out);
/* Appends '\n'-separated entries as "k=v\0" pairs. */
bool nx_ini_kv_add_lines(char *buf, uint32_t cap, uint32_t *len, const char *lines);

/* ---- chap.c ------------------------------------------------------------- */
/* RFC 1994 4.1: MD5(id || secret || challenge). */
void nx_ini_chap_response(uint8_t id, const char *secret, const uint8_t *chal,
		       uint32_t chal_len, uint8_t out[16]);
/* "0x..." hex or "0b..." base64 (RFC 7143 6.1 binary values). */
int nx_ini_decode_binary(const char *v, uint8_t *out, uint32_t cap);
/* "0x" + lowercase hex, NUL terminated; false if out is too small. */
bool nx_ini_encode_hex(const uint8_t *in, uint32_t len, char *out, uint32_t cap);

#endif /* NX_INI_INTERNAL_H */
