/*
 * params.c - RFC 7143 §13 login/text keys: the key table, key=value text
 * parsing, value encodings (§6.1) and the responder side of negotiation
 * (§6.2).  nexus is always the responder: it proposes no negotiated key,
 * it only declares MaxRecvDataSegmentLength and TargetPortalGroupTag
 * (login.c does that).
 */
#include "nego_internal.h"

#define U24_MAX 16777215u

/* Login: may appear in login; FFP: in Text during full feature phase. */
#define LO (NX_KF_LOGIN)
#define ALL (NX_KF_LOGIN | NX_KF_FFP)
#define INI NX_KF_INITIATOR
#define LEAD NX_KF_LEADING_ONLY
#define DISC NX_KF_DISC_IRRELEVANT

/* One row per key of RFC 7143 §13 (plus RFC 7144 and RFC 7145 keys),
 * in the order of the enum. */
static const struct nx_iscsi_key_desc key_table[NX_K_COUNT] = {
	[NX_K_HEADER_DIGEST] = { "HeaderDigest", NX_KT_LIST, NX_KS_CONNECTION,
				 LO | INI, 0, 0, 0 },
	[NX_K_DATA_DIGEST] = { "DataDigest", NX_KT_LIST, NX_KS_CONNECTION,
			       LO | INI, 0, 0, 0 },
	[NX_K_MAX_CONNECTIONS] = { "MaxConnections", NX_KT_NUM_MIN, NX_KS_SESSION,
				   LO | INI | LEAD | DISC, 1, 65535,
				   NX_ISCSI_OUR_MAX_CONNECTIONS },
	[NX_K_SEND_TARGETS] = { "SendTargets", NX_KT_SPECIAL, NX_KS_SESSION,
				NX_KF_FFP | INI, 0, 0, 0 },
	/* initiators send it in login only; targets also in SendTargets */
	[NX_K_TARGET_NAME] = { "TargetName", NX_KT_DECLARATIVE, NX_KS_SESSION,
			       LO | INI, 0, 0, 0 },
	[NX_K_INITIATOR_NAME] = { "InitiatorName", NX_KT_DECLARATIVE,
				  NX_KS_SESSION, LO | INI, 0, 0, 0 },
	[NX_K_TARGET_ALIAS] = { "TargetAlias", NX_KT_DECLARATIVE, NX_KS_SESSION,
				ALL, 0, 0, 0 },
	[NX_K_INITIATOR_ALIAS] = { "InitiatorAlias", NX_KT_DECLARATIVE,
				   NX_KS_SESSION, ALL | INI, 0, 0, 0 },
	[NX_K_TARGET_ADDRESS] = { "TargetAddress", NX_KT_DECLARATIVE,
				  NX_KS_SESSION, ALL, 0, 0, 0 },
	[NX_K_TARGET_PORTAL_GROUP_TAG] = { "TargetPortalGroupTag",
					   NX_KT_DECLARATIVE, NX_KS_SESSION,
					   LO, 0, 65535, 0 },
	[NX_K_INITIAL_R2T] = { "InitialR2T", NX_KT_BOOL_OR, NX_KS_SESSION,
			       LO | INI | LEAD | DISC, 0, 1, 0 },
	[NX_K_IMMEDIATE_DATA] = { "ImmediateData", NX_KT_BOOL_AND, NX_KS_SESSION,
				  LO | INI | LEAD | DISC, 0, 1, 1 },
	[NX_K_MAX_RECV_DSL] = { "MaxRecvDataSegmentLength", NX_KT_DECLARATIVE,
				NX_KS_CONNECTION, ALL | INI, 512, U24_MAX, 0 },
	[NX_K_MAX_BURST_LENGTH] = { "MaxBurstLength", NX_KT_NUM_MIN,
				    NX_KS_SESSION, LO | INI | LEAD | DISC, 512,
				    U24_MAX, NX_ISCSI_OUR_MAX_BURST },
	[NX_K_FIRST_BURST_LENGTH] = { "FirstBurstLength", NX_KT_NUM_MIN,
				      NX_KS_SESSION, LO | INI | LEAD | DISC,
				      512, U24_MAX, NX_ISCSI_OUR_FIRST_BURST },
	[NX_K_DEFAULT_TIME2WAIT] = { "DefaultTime2Wait", NX_KT_NUM_MAX,
				     NX_KS_SESSION, LO | INI | LEAD, 0, 3600,
				     2 },
	[NX_K_DEFAULT_TIME2RETAIN] = { "DefaultTime2Retain", NX_KT_NUM_MIN,
				       NX_KS_SESSION, LO | INI | LEAD, 0, 3600,
				       20 },
	[NX_K_MAX_OUTSTANDING_R2T] = { "MaxOutstandingR2T", NX_KT_NUM_MIN,
				       NX_KS_SESSION, LO | INI | LEAD | DISC,
				       1, 65535,
				       NX_ISCSI_OUR_MAX_OUTSTANDING_R2T },
	[NX_K_DATA_PDU_IN_ORDER] = { "DataPDUInOrder", NX_KT_BOOL_OR,
				     NX_KS_SESSION, LO | INI | LEAD | DISC, 0,
				     1, 1 },
	[NX_K_DATA_SEQUENCE_IN_ORDER] = { "DataSequenceInOrder", NX_KT_BOOL_OR,
					  NX_KS_SESSION,
					  LO | INI | LEAD | DISC, 0, 1, 1 },
	[NX_K_ERROR_RECOVERY_LEVEL] = { "ErrorRecoveryLevel", NX_KT_NUM_MIN,
					NX_KS_SESSION, LO | INI | LEAD, 0, 2,
					NX_ISCSI_OUR_ERL },
	[NX_K_SESSION_TYPE] = { "SessionType", NX_KT_SIMPLE, NX_KS_SESSION,
				LO | INI | LEAD, 0, 0, 0 },
	[NX_K_IFMARKER] = { "IFMarker", NX_KT_OBSOLETE, NX_KS_CONNECTION,
			    LO | INI, 0, 0, 0 },
	[NX_K_OFMARKER] = { "OFMarker", NX_KT_OBSOLETE, NX_KS_CONNECTION,
			    LO | INI, 0, 0, 0 },
	[NX_K_OFMARKINT] = { "OFMarkInt", NX_KT_OBSOLETE, NX_KS_CONNECTION,
			     LO | INI, 0, 0, 0 },
	[NX_K_IFMARKINT] = { "IFMarkInt", NX_KT_OBSOLETE, NX_KS_CONNECTION,
			     LO | INI, 0, 0, 0 },
	[NX_K_AUTH_METHOD] = { "AuthMethod", NX_KT_SECURITY, NX_KS_CONNECTION,
			       LO | INI | NX_KF_SECNEG, 0, 0, 0 },
	[NX_K_CHAP_A] = { "CHAP_A", NX_KT_SECURITY, NX_KS_CONNECTION,
			  LO | INI | NX_KF_SECNEG, 0, 0, 0 },
	[NX_K_CHAP_I] = { "CHAP_I", NX_KT_SECURITY, NX_KS_CONNECTION,
			  LO | INI | NX_KF_SECNEG, 0, 255, 0 },
	[NX_K_CHAP_C] = { "CHAP_C", NX_KT_SECURITY, NX_KS_CONNECTION,
			  LO | INI | NX_KF_SECNEG | NX_KF_LONG_VALUE, 0, 0, 0 },
	[NX_K_CHAP_N] = { "CHAP_N", NX_KT_SECURITY, NX_KS_CONNECTION,
			  LO | INI | NX_KF_SECNEG, 0, 0, 0 },
	[NX_K_CHAP_R] = { "CHAP_R", NX_KT_SECURITY, NX_KS_CONNECTION,
			  LO | INI | NX_KF_SECNEG | NX_KF_LONG_VALUE, 0, 0, 0 },
	/* RFC 7144 §13.1: iSCSIProtocolLevel, numerical-min; we implement
	 * RFC 7143, which is level 1. */
	[NX_K_PROTOCOL_LEVEL] = { "iSCSIProtocolLevel", NX_KT_NUM_MIN,
				  NX_KS_SESSION, LO | INI | LEAD, 0, 31, 1 },
	/* RFC 7143 13.23: TaskReporting=RFC3720 is all we do */
	[NX_K_TASK_REPORTING] = { "TaskReporting", NX_KT_LIST, NX_KS_SESSION,
				  LO | INI | LEAD, 0, 0, 0 },
	/* RFC 7145 6.3-6.5: iSER keys; plain TCP says No / Irrelevant.
	 * RDMAExtensions is offered (ours = 1) on RDMA connections only
	 * (nego_bool); the two DSL keys are numerical-min there. */
	[NX_K_RDMA_EXTENSIONS] = { "RDMAExtensions", NX_KT_BOOL_AND,
				   NX_KS_SESSION, LO | INI | LEAD, 0, 1, 0 },
	[NX_K_TARGET_RECV_DSL] = { "TargetRecvDataSegmentLength", NX_KT_ISER,
				   NX_KS_CONNECTION, ALL | INI, 512, U24_MAX,
				   NX_ISCSI_OUR_TARGET_RECV_DSL },
	[NX_K_INITIATOR_RECV_DSL] = { "InitiatorRecvDataSegmentLength",
				      NX_KT_ISER, NX_KS_CONNECTION, ALL | INI,
				      512, U24_MAX,
				      NX_ISCSI_OUR_INITIATOR_RECV_DSL },
};

NX_STATIC_ASSERT(NX_K_COUNT <= 64, "nx_iscsi_nego.seen is a 64-bit map");

const struct nx_iscsi_key_desc *nx_iscsi_key_desc(enum nx_iscsi_key_id id)
{
	nx_assert((unsigned)id < NX_K_COUNT);
	return &key_table[id];
}

int nx_iscsi_key_lookup(const char *name)
{
	/* Key names are case-sensitive (RFC 7143 6.1). */
	for (unsigned i = 0; i < NX_K_COUNT; i++) {
		nx_assert(key_table[i].name != NULL);
		if (strcmp(key_table[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

void nx_iscsi_params_default(struct nx_iscsi_params *p)
{
	/* The defaults of RFC 7143 §13. */
	memset(p, 0, sizeof(*p));
	p->header_digest = false;
	p->data_digest = false;
	p->max_recv_dsl_initiator = 8192;
	p->max_recv_dsl_target = 8192;
	p->max_connections = 1;
	p->initial_r2t = true;
	p->immediate_data = true;
	p->max_burst_length = 262144;
	p->first_burst_length = 65536;
	p->default_time2wait = 2;
	p->default_time2retain = 20;
	p->max_outstanding_r2t = 1;
	p->data_pdu_in_order = true;
	p->data_sequence_in_order = true;
	p->error_recovery_level = 0;
	p->discovery = false;
	p->rdma_extensions = false;
	p->target_recv_dsl = 8192;    /* RFC 7145 6.4, 6.5 defaults */
	p->initiator_recv_dsl = 8192;
}

/* ---- text encoding ------------------------------------------------------- */

/* RFC 7143 6.1: key names use a-z, A-Z, 0-9, '.', '-', '+', '@', '_'. */
static bool key_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
	       ch == '+' || ch == '@' || ch == '_' || ch == '#';
}

static int kv_split(char *s, size_t slen, struct nx_iscsi_kv *kv)
{
	char *eq = memchr(s, '=', slen);
	size_t klen;

	if (eq == NULL)
		return NX_EINVAL;
	klen = (size_t)(eq - s);
	if (klen == 0 || klen > NX_ISCSI_KEY_NAME_MAX)
		return NX_EINVAL;
	for (size_t i = 0; i < klen; i++)
		if (!key_char_ok(s[i]))
			return NX_EINVAL;
	if (slen - klen - 1 > NX_ISCSI_VALUE_LONG_MAX)
		return NX_EINVAL;
	*eq = '\0';
	kv->key = s;
	kv->value = eq + 1;
	kv->value_len = (uint32_t)(slen - klen - 1);
	return NX_OK;
}

int nx_iscsi_kv_parse(char *buf, uint32_t len, struct nx_iscsi_kv *kv,
		      unsigned cap, unsigned *count)
{
	uint32_t pos = 0;

	*count = 0;
	/* RFC 7143 6.1: every pair, the last one included, ends in NUL. */
	if (len > 0 && buf[len - 1] != '\0')
		return NX_EINVAL;
	while (pos < len) {
		char *s = buf + pos;
		size_t slen = strlen(s); /* bounded: buf[len - 1] is NUL */
		int rc;

		pos += (uint32_t)slen + 1;
		if (slen == 0)
			continue; /* stray NUL padding: tolerated */
		if (*count == cap)
			return NX_ENOSPC;
		rc = kv_split(s, slen, &kv[*count]);
		if (rc != NX_OK)
			return rc;
		(*count)++;
	}
	nx_assert(pos == len);
	return NX_OK;
}

void nx_iscsi_text_put(struct nx_iscsi_textbuf *t, const char *key,
		       const char *value)
{
	size_t klen = strlen(key);
	size_t vlen = strlen(value);
	size_t need = klen + 1 + vlen + 1;

	if (t->buf == NULL) {
		t->len += (uint32_t)need; /* measuring only */
		return;
	}
	nx_assert(t->len <= t->cap);
	if (t->overflow || need > t->cap - t->len) {
		t->overflow = true;
		return;
	}
	memcpy(t->buf + t->len, key, klen);
	t->buf[t->len + klen] = '=';
	memcpy(t->buf + t->len + klen + 1, value, vlen);
	t->buf[t->len + need - 1] = '\0';
	t->len += (uint32_t)need;
}

void nx_iscsi_text_put_u32(struct nx_iscsi_textbuf *t, const char *key,
			   uint32_t value)
{
	char num[12];

	nx_snprintf(num, sizeof(num), "%u", value);
	nx_iscsi_text_put(t, key, num);
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

bool nx_iscsi_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		int d = hex_digit(*s);

		if (d < 0 || (unsigned)d >= base)
			return false;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return true;
}

static bool decode_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	size_t bytes = (n + 1) / 2;
	bool odd = (n % 2) != 0; /* an odd digit count implies a leading 0 */

	if (n == 0 || bytes > cap)
		return false;
	for (size_t i = 0; i < bytes; i++) {
		int hi = 0, lo;

		if (i > 0 || !odd)
			hi = hex_digit(*s++);
		lo = hex_digit(*s++);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = bytes;
	return true;
}

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* RFC 4648 base64, '=' padding optional but only at the end. */
static bool decode_b64(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0, pad = 0, chars = 0;

	for (; *s != '\0'; s++) {
		int v;

		if (*s == '=') {
			pad++;
			continue;
		}
		v = b64_value(*s);
		if (v < 0 || pad > 0)
			return false;
		chars++;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return false;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chars == 0 || chars % 4 == 1 || pad > 2 ||
	    (pad > 0 && (chars + pad) % 4 != 0) || acc != 0)
		return false;
	*len = n;
	return true;
}

bool nx_iscsi_decode_binary(const char *s, uint8_t *out, size_t cap,
			    size_t *len)
{
	if (s[0] != '0')
		return false;
	if (s[1] == 'x' || s[1] == 'X')
		return decode_hex(s + 2, out, cap, len);
	if (s[1] == 'b' || s[1] == 'B')
		return decode_b64(s + 2, out, cap, len);
	return false;
}

bool nx_iscsi_name_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = *a, cb = *b;

		if (ca >= 'A' && ca <= 'Z')
			ca = (char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (char)(cb - 'A' + 'a');
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

/* ---- negotiation (responder) --------------------------------------------- */

static void store_bool(struct nx_iscsi_params *p, int id, bool v)
{
	switch (id) {
	case NX_K_INITIAL_R2T: p->initial_r2t = v; break;
	case NX_K_IMMEDIATE_DATA: p->immediate_data = v; break;
	case NX_K_DATA_PDU_IN_ORDER: p->data_pdu_in_order = v; break;
	case NX_K_DATA_SEQUENCE_IN_ORDER: p->data_sequence_in_order = v; break;
	case NX_K_RDMA_EXTENSIONS: p->rdma_extensions = v; break;
	default: break;
	}
}

static void store_num(struct nx_iscsi_params *p, int id, uint32_t v)
{
	switch (id) {
	case NX_K_MAX_CONNECTIONS: p->max_connections = (uint16_t)v; break;
	case NX_K_MAX_BURST_LENGTH: p->max_burst_length = v; break;
	case NX_K_FIRST_BURST_LENGTH: p->first_burst_length = v; break;
	case NX_K_DEFAULT_TIME2WAIT: p->default_time2wait = (uint16_t)v; break;
	case NX_K_DEFAULT_TIME2RETAIN: p->default_time2retain = (uint16_t)v; break;
	case NX_K_MAX_OUTSTANDING_R2T: p->max_outstanding_r2t = (uint16_t)v; break;
	case NX_K_ERROR_RECOVERY_LEVEL: p->error_recovery_level = (uint8_t)v; break;
	case NX_K_TARGET_RECV_DSL: p->target_recv_dsl = v; break;
	case NX_K_INITIATOR_RECV_DSL: p->initiator_recv_dsl = v; break;
	default: break; /* iSCSIProtocolLevel: nothing depends on it yet */
	}
}

static bool parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "Yes") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "No") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static void nego_bool(struct nx_iscsi_nego *n, int id, const char *name,
		      const char *value)
{
	const struct nx_iscsi_key_desc *d = &key_table[id];
	/* RFC 7145 6.3: RDMAExtensions=Yes only where RDMA is there. */
	bool ours = id == NX_K_RDMA_EXTENSIONS ? n->rdma : d->ours != 0;
	bool offered, result;

	if (!parse_bool(value, &offered)) {
		nx_iscsi_text_put(n->out, name, "Reject");
		return;
	}
	if (d->type == NX_KT_BOOL_AND)
		result = offered && ours;
	else
		result = offered || ours;
	store_bool(n->p, id, result);
	nx_iscsi_text_put(n->out, name, result ? "Yes" : "No");
}

static void nego_num(struct nx_iscsi_nego *n, int id, const char *name,
		     const char *value)
{
	const struct nx_iscsi_key_desc *d = &key_table[id];
	uint64_t offered;
	uint32_t result;

	if (!nx_iscsi_parse_u64(value, &offered) || offered < d->min ||
	    offered > d->max) {
		nx_iscsi_text_put(n->out, name, "Reject");
		return;
	}
	if (d->type == NX_KT_NUM_MIN || d->type == NX_KT_ISER)
		result = NX_MIN((uint32_t)offered, d->ours);
	else
		result = NX_MAX((uint32_t)offered, d->ours);
	/* RFC 7143 13.14: FirstBurstLength MUST NOT exceed MaxBurstLength */
	if (id == NX_K_FIRST_BURST_LENGTH)
		result = NX_MIN(result, n->p->max_burst_length);
	store_num(n->p, id, result);
	nx_iscsi_text_put_u32(n->out, name, result);
}

/* List keys: answer the first offered value we support (RFC 7143 6.2.1). */
static void nego_list(struct nx_iscsi_nego *n, int id, const char *name,
		      const char *value)
{
	char item[NX_ISCSI_VALUE_MAX + 1];
	const char *s = value;

	while (*s != '\0') {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len > NX_ISCSI_VALUE_MAX)
			break;
		memcpy(item, s, len);
		item[len] = '\0';
		if (id == NX_K_TASK_REPORTING && strcmp(item, "RFC3720") == 0) {
			nx_iscsi_text_put(n->out, name, item);
			return;
		}
		/* RFC 7145 6.1: over iSER the RDMA transport checks the
		 * data; digests are None. */
		if (id != NX_K_TASK_REPORTING &&
		    ((strcmp(item, "CRC32C") == 0 && !n->rdma) ||
		     strcmp(item, "None") == 0)) {
			bool crc = item[0] == 'C';

			if (id == NX_K_HEADER_DIGEST)
				n->p->header_digest = crc;
			else
				n->p->data_digest = crc;
			nx_iscsi_text_put(n->out, name, item);
			return;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	nx_iscsi_text_put(n->out, name, "Reject");
}

static bool copy_name(char *dst, const char *value, uint32_t len)
{
	/* RFC 7143 4.2.7.1: iSCSI names (and our aliases) fit NX_NAME_MAX */
	if (len == 0 || len >= NX_NAME_MAX)
		return false;
	memcpy(dst, value, len + 1);
	return true;
}

/* A re-declaration with the same value is harmless; libiscsi re-sends the
 * identity keys when the target answers AuthMethod=None to CHAP,None. */
static bool redeclare_same(const struct nx_iscsi_nego *n, int id,
			   const char *value)
{
	const struct nx_iscsi_params *p = n->p;

	switch (id) {
	case NX_K_INITIATOR_NAME: return nx_iscsi_name_eq(p->initiator_name, value);
	case NX_K_TARGET_NAME: return nx_iscsi_name_eq(p->target_name, value);
	case NX_K_INITIATOR_ALIAS: return strcmp(p->initiator_alias, value) == 0;
	case NX_K_SESSION_TYPE:
		return strcmp(value, p->discovery ? "Discovery" : "Normal") == 0;
	default: return false;
	}
}

static int nego_declared(struct nx_iscsi_nego *n, int id,
			 const struct nx_iscsi_kv *kv)
{
	struct nx_iscsi_params *p = n->p;
	uint64_t v;

	switch (id) {
	case NX_K_INITIATOR_NAME:
		return copy_name(p->initiator_name, kv->value, kv->value_len) ?
		       NX_NEGO_OK : NX_NEGO_PROTOCOL;
	case NX_K_TARGET_NAME:
		return copy_name(p->target_name, kv->value, kv->value_len) ?
		       NX_NEGO_OK : NX_NEGO_PROTOCOL;
	case NX_K_INITIATOR_ALIAS:
		if (kv->value_len >= NX_NAME_MAX)
			return NX_NEGO_PROTOCOL;
		memcpy(p->initiator_alias, kv->value, kv->value_len + 1);
		return NX_NEGO_OK;
	case NX_K_MAX_RECV_DSL:
		/* RFC 7143 13.12: 512 to 2^24-1 */
		if (!nx_iscsi_parse_u64(kv->value, &v) || v < 512 || v > U24_MAX)
			return NX_NEGO_PROTOCOL;
		p->max_recv_dsl_initiator = (uint32_t)v;
		return NX_NEGO_OK;
	case NX_K_SESSION_TYPE:
		/* login.c checks the value (02/09) before negotiating */
		p->discovery = strcmp(kv->value, "Discovery") == 0;
		return NX_NEGO_OK;
	default:
		return NX_NEGO_OK;
	}
}

/* Transport and session-type rules.  Returns true when answered. */
static bool nego_gate(struct nx_iscsi_nego *n, int id, const char *name)
{
	const struct nx_iscsi_key_desc *d = &key_table[id];
	bool negotiated = d->type == NX_KT_BOOL_AND || d->type == NX_KT_BOOL_OR ||
			  d->type == NX_KT_NUM_MIN || d->type == NX_KT_NUM_MAX ||
			  d->type == NX_KT_LIST;

	if (d->type == NX_KT_ISER && !n->rdma) {
		/* RFC 7145 6.4/6.5: only with RDMAExtensions=Yes */
		nx_iscsi_text_put(n->out, name, "Irrelevant");
		return true;
	}
	if (!negotiated)
		return false;
	if ((d->flags & NX_KF_LEADING_ONLY) && !n->leading) {
		/* session-wide values were settled by the leading login */
		nx_iscsi_text_put(n->out, name, "Irrelevant");
		return true;
	}
	if ((d->flags & NX_KF_DISC_IRRELEVANT) && n->p->discovery) {
		nx_iscsi_text_put(n->out, name, "Irrelevant");
		return true;
	}
	return false;
}

int nx_iscsi_nego_key(struct nx_iscsi_nego *n, const struct nx_iscsi_kv *kv,
		      int *id_out)
{
	int id = nx_iscsi_key_lookup(kv->key);
	const struct nx_iscsi_key_desc *d;

	*id_out = id;
	if (id < 0) {
		/* RFC 7143 6.2: unknown keys (X-, X#, typos) */
		nx_iscsi_text_put(n->out, kv->key, "NotUnderstood");
		return NX_NEGO_OK;
	}
	d = &key_table[id];
	if (!(d->flags & NX_KF_INITIATOR))
		return NX_NEGO_PROTOCOL; /* a target-only key from the initiator */
	if (n->seen & (1ull << id)) {
		/* RFC 7143 6.2: a key is negotiated at most once */
		if (!redeclare_same(n, id, kv->value))
			return NX_NEGO_PROTOCOL;
		return NX_NEGO_OK;
	}
	n->seen |= 1ull << id;
	if (!(d->flags & (n->ffp ? NX_KF_FFP : NX_KF_LOGIN))) {
		/* not allowed in this phase (RFC 7143 §13 "Use") */
		nx_iscsi_text_put(n->out, kv->key, "Reject");
		return NX_NEGO_OK;
	}
	if (d->type == NX_KT_SECURITY)
		return NX_NEGO_SECURITY;
	if (d->type == NX_KT_SPECIAL)
		return NX_NEGO_SPECIAL;
	if (nego_gate(n, id, kv->key))
		return NX_NEGO_OK;
	if (!(d->flags & NX_KF_LONG_VALUE) && kv->value_len > NX_ISCSI_VALUE_MAX) {
		nx_iscsi_text_put(n->out, kv->key, "Reject");
		return NX_NEGO_OK;
	}
	switch (d->type) {
	case NX_KT_BOOL_AND:
	case NX_KT_BOOL_OR:
		nego_bool(n, id, kv->key, kv->value);
		return NX_NEGO_OK;
	case NX_KT_NUM_MIN:
	case NX_KT_NUM_MAX:
	case NX_KT_ISER:
		nego_num(n, id, kv->key, kv->value);
		return NX_NEGO_OK;
	case NX_KT_LIST:
		nego_list(n, id, kv->key, kv->value);
		return NX_NEGO_OK;
	case NX_KT_OBSOLETE:
		/* RFC 7143 13.26: IFMarker/OFMarker SHOULD get Reject, MAY
		 * get No, never NotUnderstood.  "No" is what every initiator
		 * we know parses; the MarkInt keys MUST get Reject. */
		nx_iscsi_text_put(n->out, kv->key,
				  (id == NX_K_IFMARKER || id == NX_K_OFMARKER) ?
				  "No" : "Reject");
		return NX_NEGO_OK;
	default:
		return nego_declared(n, id, kv);
	}
}
