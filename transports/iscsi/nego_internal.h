/*
 * nego_internal.h - what the negotiation side of transports/iscsi shares
 * among its own files (params.c, login.c, chap.c, md5.c, sha256.c,
 * sha3.c, text.c).
 *
 * The connection machinery does not need anything from here: its contract
 * with the negotiation side is in iscsi_internal.h.  Kept apart so the two
 * halves can change independently.
 */
#ifndef NX_NEGO_INTERNAL_H
#define NX_NEGO_INTERNAL_H

#include "iscsi_internal.h"

/* ---- limits -------------------------------------------------------------- */

/* RFC 7143 6.1: key names are at most 63 bytes, values at most 255 bytes
 * unless the key says otherwise; binary values (CHAP_C/CHAP_R) may be
 * longer, their string form is bounded at 8192 here. */
#define NX_ISCSI_KEY_NAME_MAX 63
#define NX_ISCSI_VALUE_MAX 255
#define NX_ISCSI_VALUE_LONG_MAX 8192
/* One key set (one login/text request, continuations included). */
#define NX_ISCSI_KEYS_MAX 128
#define NX_ISCSI_TEXT_SET_MAX 32768
/* A Login Response's data never exceeds the login-phase default
 * MaxRecvDataSegmentLength (RFC 7143 13.12: 8192 until declared). */
#define NX_ISCSI_LOGIN_RSP_MAX 8192

/* Values nexus offers / declares (RFC 7143 §13). */
/* what we declare is what the receive path (conn.c) can hold */
#define NX_ISCSI_OUR_MAX_RECV_DSL NX_ISCSI_MAX_RECV_DSL
#define NX_ISCSI_OUR_MAX_BURST 1048576u
#define NX_ISCSI_OUR_FIRST_BURST 262144u
#define NX_ISCSI_OUR_MAX_CONNECTIONS 4u
#define NX_ISCSI_OUR_MAX_OUTSTANDING_R2T 16u
#define NX_ISCSI_OUR_ERL 0u
/* RFC 7145 6.4, 6.5: what an iSER connection receives in one control
 * PDU's data segment (the iSER layer's buffers are sized for it). */
#define NX_ISCSI_OUR_TARGET_RECV_DSL 8192u
#define NX_ISCSI_OUR_INITIATOR_RECV_DSL 8192u

/* RFC 7143 11.13.5 login status (class << 8 | detail). */
enum nx_iscsi_login_status {
	NX_LOGIN_SUCCESS = 0x0000,
	NX_LOGIN_INITIATOR_ERROR = 0x0200,
	NX_LOGIN_AUTH_FAILED = 0x0201,
	NX_LOGIN_FORBIDDEN = 0x0202,
	NX_LOGIN_NOT_FOUND = 0x0203,
	NX_LOGIN_TARGET_REMOVED = 0x0204,
	NX_LOGIN_UNSUPPORTED_VERSION = 0x0205,
	NX_LOGIN_TOO_MANY_CONNS = 0x0206,
	NX_LOGIN_MISSING_PARAM = 0x0207,
	NX_LOGIN_CANT_INCLUDE = 0x0208,
	NX_LOGIN_SESSION_TYPE = 0x0209,
	NX_LOGIN_NO_SESSION = 0x020a,
	NX_LOGIN_INVALID_DURING_LOGIN = 0x020b,
	NX_LOGIN_TARGET_ERROR = 0x0300,
	NX_LOGIN_SERVICE_UNAVAILABLE = 0x0301,
	NX_LOGIN_OUT_OF_RESOURCES = 0x0302,
};

/* ---- key=value text (params.c) ------------------------------------------ */

struct nx_iscsi_kv {
	const char *key;   /* NUL-terminated, inside the parsed buffer */
	const char *value; /* NUL-terminated, inside the parsed buffer */
	uint32_t value_len;
};

/* Splits a data segment of NUL-terminated "key=value" strings in place
 * ('=' becomes NUL).  RFC 7143 6.1: every pair, the last included, ends
 * with NUL.  NX_EINVAL: malformed; NX_ENOSPC: more than cap pairs. */
int nx_iscsi_kv_parse(char *buf, uint32_t len, struct nx_iscsi_kv *kv,
		      unsigned cap, unsigned *count);

/* Output text: "key=value\0" appended; overflow is sticky.  With buf
 * NULL only len advances (measuring a response before allocating it). */
struct nx_iscsi_textbuf {
	char *buf;
	uint32_t len;
	uint32_t cap;
	bool overflow;
};

void nx_iscsi_text_put(struct nx_iscsi_textbuf *t, const char *key,
		       const char *value);
void nx_iscsi_text_put_u32(struct nx_iscsi_textbuf *t, const char *key,
			   uint32_t value);

/* Numbers: decimal or 0x hex (RFC 7143 6.1 numerical-value). */
bool nx_iscsi_parse_u64(const char *s, uint64_t *out);
/* Binary values: 0x hex or 0b base64 (RFC 7143 6.1).  Returns false on a
 * malformed encoding or more than cap bytes. */
bool nx_iscsi_decode_binary(const char *s, uint8_t *out, size_t cap,
			    size_t *len);

/* ---- the RFC 7143 §13 key table and negotiation engine (params.c) -------- */

enum nx_iscsi_key_id {
	NX_K_HEADER_DIGEST,
	NX_K_DATA_DIGEST,
	NX_K_MAX_CONNECTIONS,
	NX_K_SEND_TARGETS,
	NX_K_TARGET_NAME,
	NX_K_INITIATOR_NAME,
	NX_K_TARGET_ALIAS,
	NX_K_INITIATOR_ALIAS,
	NX_K_TARGET_ADDRESS,
	NX_K_TARGET_PORTAL_GROUP_TAG,
	NX_K_INITIAL_R2T,
	NX_K_IMMEDIATE_DATA,
	NX_K_MAX_RECV_DSL,
	NX_K_MAX_BURST_LENGTH,
	NX_K_FIRST_BURST_LENGTH,
	NX_K_DEFAULT_TIME2WAIT,
	NX_K_DEFAULT_TIME2RETAIN,
	NX_K_MAX_OUTSTANDING_R2T,
	NX_K_DATA_PDU_IN_ORDER,
	NX_K_DATA_SEQUENCE_IN_ORDER,
	NX_K_ERROR_RECOVERY_LEVEL,
	NX_K_SESSION_TYPE,
	NX_K_IFMARKER,
	NX_K_OFMARKER,
	NX_K_OFMARKINT,
	NX_K_IFMARKINT,
	NX_K_AUTH_METHOD,
	NX_K_CHAP_A,
	NX_K_CHAP_I,
	NX_K_CHAP_C,
	NX_K_CHAP_N,
	NX_K_CHAP_R,
	NX_K_PROTOCOL_LEVEL,
	NX_K_TASK_REPORTING,
	NX_K_RDMA_EXTENSIONS,
	NX_K_TARGET_RECV_DSL,
	NX_K_INITIATOR_RECV_DSL,
	NX_K_COUNT,
};

enum nx_iscsi_key_type {
	NX_KT_BOOL_AND,    /* RFC 7143 6.2.2: result is Yes iff both Yes */
	NX_KT_BOOL_OR,     /* result is No iff both No */
	NX_KT_NUM_MIN,     /* result is the smaller value */
	NX_KT_NUM_MAX,     /* result is the larger value */
	NX_KT_LIST,        /* responder picks the first value it supports */
	NX_KT_DECLARATIVE, /* declared, no answer */
	NX_KT_SIMPLE,      /* one of a fixed set of declared values */
	NX_KT_SECURITY,    /* AuthMethod, CHAP_*: handled by login.c/chap.c */
	NX_KT_SPECIAL,     /* SendTargets: handled by text.c */
	NX_KT_OBSOLETE,    /* RFC 7143 13.26: obsolete marker keys */
	NX_KT_ISER,        /* RFC 7145 keys, irrelevant on plain TCP */
};

enum nx_iscsi_key_scope {
	NX_KS_CONNECTION,
	NX_KS_SESSION,
};

enum nx_iscsi_key_flags {
	NX_KF_LEADING_ONLY = 1 << 0, /* leading login only ("LO" + session) */
	NX_KF_LOGIN = 1 << 1,        /* may appear in the login phase */
	NX_KF_FFP = 1 << 2,          /* may appear in full feature phase */
	NX_KF_SECNEG = 1 << 3,       /* SecurityNegotiation stage only */
	NX_KF_INITIATOR = 1 << 4,    /* the initiator may send it */
	NX_KF_DISC_IRRELEVANT = 1 << 5, /* Irrelevant in discovery sessions */
	NX_KF_LONG_VALUE = 1 << 6,   /* value may exceed 255 bytes */
};

struct nx_iscsi_key_desc {
	const char *name;
	uint8_t type;   /* enum nx_iscsi_key_type */
	uint8_t scope;  /* enum nx_iscsi_key_scope */
	uint8_t flags;  /* enum nx_iscsi_key_flags */
	uint32_t min;   /* numerical range (numbers only) */
	uint32_t max;
	uint32_t ours;  /* our offer for negotiated numbers/booleans */
};

const struct nx_iscsi_key_desc *nx_iscsi_key_desc(enum nx_iscsi_key_id id);
/* -1 when the key is not in the table (answer NotUnderstood). */
int nx_iscsi_key_lookup(const char *name);

/* One negotiation (a login phase, or one Text exchange in FFP). */
struct nx_iscsi_nego {
	struct nx_iscsi_params *p;
	struct nx_iscsi_textbuf *out;
	uint64_t seen;   /* bit per enum nx_iscsi_key_id: duplicates */
	bool leading;    /* leading connection of a new session (TSIH 0) */
	bool ffp;        /* Text negotiation in full feature phase */
	bool rdma;       /* an iSER connection (RFC 7145 keys apply) */
};

enum nx_iscsi_nego_rc {
	NX_NEGO_OK = 0,         /* answered (or declared) */
	NX_NEGO_SECURITY = 1,   /* security key: the caller handles it */
	NX_NEGO_SPECIAL = 2,    /* SendTargets: the caller handles it */
	NX_NEGO_PROTOCOL = -1,  /* protocol error (duplicate, wrong sender) */
};

/* Handles one received key=value: appends the answer to n->out and
 * stores results in n->p.  *id gets the key id (or -1 if unknown). */
int nx_iscsi_nego_key(struct nx_iscsi_nego *n, const struct nx_iscsi_kv *kv,
		      int *id);

/* ---- login helpers shared with text.c (login.c) ------------------------- */

const struct nx_iscsi_target_config *
nx_iscsi_find_target(const struct nx_iscsi_server_config *cfg,
		     const char *name);
bool nx_iscsi_acl_allows(const struct nx_iscsi_target_config *t,
			 const char *initiator);

/* ---- MD5, RFC 1321 (md5.c) ---------------------------------------------- */

#define NX_MD5_DIGEST_LEN 16

struct nx_md5 {
	uint32_t state[4];
	uint64_t bytes;
	uint8_t block[64];
};

void nx_md5_init(struct nx_md5 *m);
void nx_md5_update(struct nx_md5 *m, const void *data, size_t len);
void nx_md5_final(struct nx_md5 *m, uint8_t digest[NX_MD5_DIGEST_LEN]);

/* ---- SHA-256, FIPS 180-4 (sha256.c) -------------------------------------- */

#define NX_SHA256_DIGEST_LEN 32

struct nx_sha256 {
	uint32_t state[8];
	uint64_t bytes;
	uint8_t block[64];
};

void nx_sha256_init(struct nx_sha256 *s);
void nx_sha256_update(struct nx_sha256 *s, const void *data, size_t len);
void nx_sha256_final(struct nx_sha256 *s, uint8_t digest[NX_SHA256_DIGEST_LEN]);

/* ---- SHA3-256, FIPS 202 (sha3.c) ----------------------------------------- */

#define NX_SHA3_256_DIGEST_LEN 32
#define NX_SHA3_256_RATE 136 /* bytes: 1600 - 2 * 256 bits of capacity */

struct nx_sha3_256 {
	uint64_t state[25];
	unsigned pos;        /* bytes absorbed into the current block */
};

void nx_sha3_256_init(struct nx_sha3_256 *s);
void nx_sha3_256_update(struct nx_sha3_256 *s, const void *data, size_t len);
void nx_sha3_256_final(struct nx_sha3_256 *s,
		       uint8_t digest[NX_SHA3_256_DIGEST_LEN]);

/* ---- CHAP, RFC 1994 + RFC 7143 12.1.3 (chap.c) -------------------------- */

#define NX_CHAP_ALG_MD5 NX_ISCSI_CHAP_MD5
#define NX_CHAP_DIGEST_MAX 32          /* SHA-256 and SHA3-256 */
/* Our challenge is as long as the digest (16 bytes for MD5, 32 for the
 * SHA algorithms), as LIO does. */
#define NX_CHAP_CHALLENGE_LEN NX_CHAP_DIGEST_MAX
/* RFC 7143 12.1.3: the binary challenge is at most 1024 bytes.  The
 * initiator's challenge (mutual CHAP) must carry at least 128 bits: a
 * short one would let anyone collect our responses to a small set of
 * challenges (RFC 1994 2.3 asks for unpredictable, long challenges). */
#define NX_CHAP_CHALLENGE_MAX 1024
#define NX_CHAP_CHALLENGE_MIN 16

enum nx_chap_state {
	NX_CHAP_WAIT_A,     /* AuthMethod=CHAP agreed; CHAP_A expected */
	NX_CHAP_WAIT_R,     /* challenge sent; CHAP_N/CHAP_R expected */
	NX_CHAP_DONE,       /* initiator authenticated (and we, if asked) */
	NX_CHAP_FAILED,
};

/* Why CHAP failed, for the log (never with key values: no secret, no
 * response ever reaches a log line). */
enum nx_chap_error {
	NX_CHAP_OK,
	NX_CHAP_E_SEQUENCE,     /* keys out of order or missing */
	NX_CHAP_E_ALGORITHM,    /* no CHAP_A value we allow */
	NX_CHAP_E_USER,         /* unknown CHAP_N */
	NX_CHAP_E_ENCODING,     /* CHAP_R/CHAP_C/CHAP_I malformed or bad length */
	NX_CHAP_E_RESPONSE,     /* wrong CHAP_R */
	NX_CHAP_E_NO_MUTUAL,    /* mutual CHAP asked, none configured */
	NX_CHAP_E_SHORT_CHALLENGE,
	NX_CHAP_E_REFLECTION,   /* our own challenge sent back */
};

struct nx_chap {
	uint8_t state;      /* enum nx_chap_state */
	uint8_t error;      /* enum nx_chap_error of the failure */
	uint8_t alg;        /* CHAP_A agreed */
	uint8_t id;         /* CHAP_I we sent */
	uint8_t challenge_len;
	uint8_t challenge[NX_CHAP_CHALLENGE_LEN];
	uint8_t *scratch;   /* NX_CHAP_CHALLENGE_MAX bytes, heap */
};

/* The CHAP keys of one key set (NULL when absent). */
struct nx_chap_keys {
	const char *a, *i, *c, *n, *r;
};

/* Who authenticates with what: a target's or the discovery credentials,
 * and the algorithms the server allows (ours first). */
struct nx_chap_creds {
	const struct nx_iscsi_chap *chap;    /* the initiator's (set) */
	const struct nx_iscsi_chap *mutual;  /* ours, for mutual CHAP */
	const uint8_t *algs;
	unsigned alg_count;
};

int nx_chap_init(struct nx_chap *s);
void nx_chap_fini(struct nx_chap *s);
/* One CHAP step.  Appends answer keys to out; returns a login status
 * (NX_LOGIN_SUCCESS to go on).  s->state says whether auth is done,
 * s->error why it failed. */
uint16_t nx_chap_step(struct nx_chap *s, const struct nx_chap_creds *cr,
		      const struct nx_chap_keys *k, struct nx_iscsi_textbuf *out);
/* The algorithms a server allows, ours first (its chap_algs or the
 * default SHA3-256, SHA-256, MD5); returns how many. */
unsigned nx_chap_server_algs(const struct nx_iscsi_server_config *cfg,
			     const uint8_t **algs);
/* Digest length of a CHAP_A value we implement, 0 for any other. */
unsigned nx_chap_digest_len(unsigned alg);
/* CHAP_R = H(id || secret || challenge) (RFC 1994 4.1) with the hash of
 * alg; returns the digest length (0: alg not implemented). */
unsigned nx_chap_response(unsigned alg, uint8_t id, const char *secret,
			  const uint8_t *chal, size_t chal_len,
			  uint8_t out[NX_CHAP_DIGEST_MAX]);
void nx_chap_md5_response(uint8_t id, const char *secret, const uint8_t *chal,
			  size_t chal_len, uint8_t out[NX_MD5_DIGEST_LEN]);
/* The name of an error, for logs. */
const char *nx_chap_error_str(unsigned error);

#endif /* NX_NEGO_INTERNAL_H */
