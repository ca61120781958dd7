/*
 * rsoc.c - REPORT SUPPORTED OPERATION CODES (SPC-4 6.35): the
 * all_commands and one_command formats, command timeouts descriptors,
 * REPORTING OPTIONS errors, and the promise the data makes: every command
 * listed is accepted, and a CDB bit its CDB USAGE DATA marks unused is
 * rejected with INVALID FIELD IN CDB and a field pointer at that bit
 * (SPC-4 4.4.1 reserved fields, 4.5.2.4.2 field pointer).
 *
 * RSOC is optional (SPC-4 6.1): a target without it makes these SKIP.
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define RSOC_MAX 8192u
#define CMDS_MAX 256
#define DATA_MAX 8192u

struct cmd_desc {
	uint8_t opcode;
	bool servactv;
	uint16_t sa;
	uint16_t cdb_len;
};

static void rsoc(struct nx_conf_sess *s, uint8_t options, bool rctd,
		 uint8_t opcode, uint16_t sa, uint32_t alloc, uint8_t *d,
		 struct nx_conf_result *r)
{
	uint8_t cdb[12] = { 0xa3, 0x0c };

	cdb[2] = (uint8_t)((rctd ? 0x80 : 0) | options);
	cdb[3] = opcode;
	nx_put_be16(cdb + 4, sa);
	nx_put_be32(cdb + 6, alloc);
	memset(d, 0xee, alloc);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, alloc, r);
}

/* All commands, no timeouts; SKIPs when RSOC is not implemented. */
static unsigned all_commands(struct nx_conf_sess *s, struct cmd_desc *out)
{
	static uint8_t d[RSOC_MAX];
	struct nx_conf_result r;
	uint32_t len;
	unsigned n = 0;

	rsoc(s, 0, false, 0, 0, RSOC_MAX, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REPORT SUPPORTED OPERATION CODES");
	NX_EXPECT_GOOD(&r);
	len = nx_get_be32(d);
	NX_EXPECT_TRUE("COMMAND DATA LENGTH fits", len + 4 <= RSOC_MAX);
	for (uint32_t off = 4; off + 8 <= len + 4 && n < CMDS_MAX; off += 8, n++) {
		out[n].opcode = d[off];
		out[n].servactv = d[off + 5] & 0x01;
		out[n].sa = nx_get_be16(d + off + 2);
		out[n].cdb_len = nx_get_be16(d + off + 6);
	}
	return n;
}

/* CDB length of an operation code group (SPC-4 4.2.5.1); 0: not fixed. */
static unsigned group_len(uint8_t opcode)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[opcode >> 5];
}

/* SPC-4 6.35.2: 8-byte command descriptors (CTDP=0), COMMAND DATA
 * LENGTH = the bytes that follow, reserved bytes zero, CDB LENGTH of the
 * opcode's group, SERVACTV=0 with a zero SERVICE ACTION, and RSOC itself
 * (A3h/0Ch) listed. */
static void test_rsoc_all_commands_format(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[RSOC_MAX];
	struct nx_conf_result r;
	bool self = false;
	uint32_t len;

	rsoc(s, 0, false, 0, 0, RSOC_MAX, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REPORT SUPPORTED OPERATION CODES");
	NX_EXPECT_GOOD(&r);
	len = nx_get_be32(d);
	NX_EXPECT_EQ("bytes returned = COMMAND DATA LENGTH + 4", r.data_in_got,
		     len + 4);
	NX_EXPECT_EQ("COMMAND DATA LENGTH multiple of 8", len % 8, 0);
	for (uint32_t off = 4; off + 8 <= len + 4 && off + 8 <= RSOC_MAX; off += 8) {
		const uint8_t *p = d + off;

		nx_conf_env_reset_notes();
		nx_conf_note("descriptor for %02xh/%04xh", p[0], nx_get_be16(p + 2));
		NX_EXPECT_EQ("reserved byte 1", p[1], 0);
		NX_EXPECT_EQ("reserved byte 4", p[4], 0);
		NX_EXPECT_EQ("CTDP (RCTD=0)", p[5] & 0x02, 0);
		if (!(p[5] & 0x01))
			NX_EXPECT_EQ("SERVICE ACTION with SERVACTV=0",
				     nx_get_be16(p + 2), 0);
		if (group_len(p[0]) != 0)
			NX_EXPECT_EQ("CDB LENGTH", nx_get_be16(p + 6), group_len(p[0]));
		self |= p[0] == 0xa3 && (p[5] & 0x01) && nx_get_be16(p + 2) == 0x0c;
	}
	nx_conf_env_reset_notes();
	NX_EXPECT_TRUE("REPORT SUPPORTED OPERATION CODES lists itself", self);
	nx_conf_logout(s);
}

/* SPC-4 6.35.2, 6.35.4: RCTD=1 gives 20-byte descriptors, CTDP=1, each
 * followed by a command timeouts descriptor of DESCRIPTOR LENGTH 000Ah. */
static void test_rsoc_all_commands_rctd(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[RSOC_MAX];
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds);
	struct nx_conf_result r;
	uint32_t len;

	rsoc(s, 0, true, 0, 0, RSOC_MAX, d, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("RCTD (command timeouts) not supported");
	NX_EXPECT_GOOD(&r);
	len = nx_get_be32(d);
	NX_EXPECT_EQ("COMMAND DATA LENGTH = 20 x commands", len, 20u * n);
	for (uint32_t off = 4; off + 20 <= len + 4 && off + 20 <= RSOC_MAX; off += 20) {
		nx_conf_env_reset_notes();
		nx_conf_note("descriptor for %02xh", d[off]);
		NX_EXPECT_EQ("CTDP", d[off + 5] & 0x02, 0x02);
		NX_EXPECT_EQ("timeouts DESCRIPTOR LENGTH", nx_get_be16(d + off + 8),
			     0x0a);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* One command's data: REPORTING OPTIONS 001b, or 010b with a service
 * action. */
static void one_command(struct nx_conf_sess *s, const struct cmd_desc *c,
			bool rctd, uint8_t *d, struct nx_conf_result *r)
{
	rsoc(s, c->servactv ? 0x02 : 0x01, rctd, c->opcode, c->sa, 512, d, r);
}

/* SPC-4 6.35.3: every command the all_commands list names reads back in
 * one_command form as SUPPORT 011b with the same CDB SIZE, CDB USAGE
 * DATA byte 0 = the opcode, and its service action bits used. */
static void test_rsoc_one_command_matches_all(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds);
	struct nx_conf_result r;
	uint8_t d[512];

	for (unsigned i = 0; i < n; i++) {
		nx_conf_env_reset_notes();
		nx_conf_note("%02xh/%04xh", cmds[i].opcode, cmds[i].sa);
		one_command(s, &cmds[i], false, d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("SUPPORT", d[1] & 0x07, 0x03);
		NX_EXPECT_EQ("CTDP (RCTD=0)", d[1] & 0x80, 0);
		NX_EXPECT_EQ("CDB SIZE", nx_get_be16(d + 2), cmds[i].cdb_len);
		NX_EXPECT_EQ("bytes returned", r.data_in_got, 4u + cmds[i].cdb_len);
		NX_EXPECT_EQ("CDB USAGE DATA byte 0", d[4], cmds[i].opcode);
		if (cmds[i].servactv && cmds[i].opcode != 0x7f)
			NX_EXPECT_EQ("SERVICE ACTION bits in usage byte 1",
				     d[5] & 0x1f, 0x1f);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 6.35.3, 6.35.4: one_command with RCTD=1: CTDP=1 and a command
 * timeouts descriptor right after the CDB usage data. */
static void test_rsoc_one_command_rctd(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds);
	struct nx_conf_result r;
	uint8_t d[512];
	uint16_t size;

	NX_EXPECT_TRUE("at least one command", n > 0);
	one_command(s, &cmds[0], true, d, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("RCTD (command timeouts) not supported");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("CTDP", d[1] & 0x80, 0x80);
	size = nx_get_be16(d + 2);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 4u + size + 12u);
	NX_EXPECT_EQ("timeouts DESCRIPTOR LENGTH", nx_get_be16(d + 4 + size), 0x0a);
	nx_conf_logout(s);
}

static bool listed(const struct cmd_desc *c, unsigned n, uint8_t opcode)
{
	for (unsigned i = 0; i < n; i++)
		if (c[i].opcode == opcode)
			return true;
	return false;
}

/* SPC-4 6.35.3: an operation code the device server does not support
 * reads back as SUPPORT 001b (not supported), status GOOD. */
static void test_rsoc_one_command_unsupported(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds);
	struct nx_conf_result r;
	uint8_t d[512], op = 0;

	/* codes no SBC device defines first: 02h, 1Fh, then any free one */
	static const uint8_t prefer[] = { 0x02, 0x1f, 0x0c, 0x0e };
	for (unsigned i = 0; i < NX_ARRAY_SIZE(prefer) && op == 0; i++)
		if (!listed(cmds, n, prefer[i]))
			op = prefer[i];
	NX_EXPECT_TRUE("an unlisted operation code", op != 0);
	nx_conf_note("opcode %02xh", op);
	rsoc(s, 0x01, false, op, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("SUPPORT", d[1] & 0x07, 0x01);
	NX_EXPECT_EQ("bytes returned = CDB SIZE + 4", r.data_in_got,
		     4u + nx_get_be16(d + 2));
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 6.35.1 (REPORTING OPTIONS): 001b naming an opcode that has
 * service actions, and 010b naming one that has none, are INVALID FIELD
 * IN CDB. */
static void test_rsoc_reporting_options_mismatch(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds);
	struct nx_conf_result r;
	uint8_t d[512];
	int with_sa = -1, without = -1;

	for (unsigned i = 0; i < n; i++) {
		if (cmds[i].servactv && with_sa < 0)
			with_sa = (int)i;
		if (!cmds[i].servactv && without < 0)
			without = (int)i;
	}
	NX_EXPECT_TRUE("RSOC itself has service actions", with_sa >= 0);
	rsoc(s, 0x01, false, cmds[with_sa].opcode, 0, sizeof(d), d, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	if (r.sksv)
		NX_EXPECT_EQ("C/D", r.sks[0] & 0x40, 0x40);
	if (without >= 0) {
		rsoc(s, 0x02, false, cmds[without].opcode, 0, sizeof(d), d, &r);
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		if (r.sksv)
			NX_EXPECT_EQ("C/D", r.sks[0] & 0x40, 0x40);
	}
	nx_conf_logout(s);
}

/* SPC-4 6.35.1: REPORTING OPTIONS 100b-111b are reserved code values:
 * INVALID FIELD IN CDB pointing at byte 2. */
static void test_rsoc_reporting_options_reserved(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct cmd_desc cmds[CMDS_MAX];
	struct nx_conf_result r;
	uint8_t d[512];

	all_commands(s, cmds);
	for (uint8_t opt = 0x04; opt <= 0x07; opt++) {
		nx_conf_env_reset_notes();
		nx_conf_note("REPORTING OPTIONS %u", opt);
		rsoc(s, opt, false, 0x12, 0, sizeof(d), d, &r);
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		NX_EXPECT_FIELD_POINTER_OPT(&r, true, 2, 2);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: all_commands data cut at 4 and at 12 bytes is a prefix
 * of the full data; COMMAND DATA LENGTH is not reduced. */
static void test_rsoc_alloc_truncation(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t full[RSOC_MAX], d[RSOC_MAX];
	static const uint32_t cuts[] = { 4, 12 };
	struct cmd_desc cmds[CMDS_MAX];
	struct nx_conf_result r;

	all_commands(s, cmds);
	rsoc(s, 0, false, 0, 0, RSOC_MAX, full, &r);
	NX_EXPECT_GOOD(&r);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(cuts); i++) {
		rsoc(s, 0, false, 0, 0, cuts[i], d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("bytes returned", r.data_in_got, cuts[i]);
		NX_EXPECT_BYTES(d, full, cuts[i]);
	}
	nx_conf_logout(s);
}

/* ---- the promise of the list: what it names works, what it marks
 * unused is refused ---------------------------------------------------- */

/* Commands whose harmless form is not "everything zero" and that a test
 * must not send to a real target: formatting, sanitizing, reservations,
 * firmware, diagnostics, copy engines. */
static bool not_sent(uint8_t op)
{
	static const uint8_t ops[] = { 0x04, 0x07, 0x16, 0x17, 0x1d, 0x3b,
				       0x3f, 0x48, 0x4c, 0x56, 0x57, 0x5f,
				       0x7f, 0x83, 0x84, 0x9f, 0xa4, 0xb5 };

	for (unsigned i = 0; i < NX_ARRAY_SIZE(ops); i++)
		if (ops[i] == op)
			return true;
	return false;
}

/* A harmless CDB: the opcode and service action, zero elsewhere, with
 * the few fields where zero means "a lot" set to one block. */
static void baseline(const struct cmd_desc *c, uint32_t bs, uint8_t *cdb,
		     struct nx_conf_cmd *cmd, uint8_t *buf)
{
	memset(cdb, 0, 16);
	cdb[0] = c->opcode;
	if (c->servactv)
		cdb[1] = (uint8_t)(c->sa & 0x1f);
	memset(cmd, 0, sizeof(*cmd));
	cmd->lun_field = nx_ini_lun(nx_conf_lun());
	cmd->cdb = cdb;
	cmd->cdb_len = c->cdb_len;
	cmd->attr = NX_INI_ATTR_SIMPLE;
	cmd->dir = NX_INI_DIR_READ; /* data-in commands: up to DATA_MAX */
	cmd->buf = buf;
	cmd->len = DATA_MAX;
	switch (c->opcode) {
	case 0x1b: /* START STOP UNIT: START=1, not a stop */
		cdb[4] = 0x01;
		break;
	case 0x08: /* READ(6): length 0 means 256 blocks */
		cdb[4] = 1;
		cmd->len = bs;
		break;
	case 0x0a: /* WRITE(6) */
		cdb[4] = 1;
		cmd->dir = NX_INI_DIR_WRITE;
		cmd->len = bs;
		break;
	case 0x41: /* WRITE SAME(10/16): 0 blocks may mean "to the end" */
		nx_put_be16(cdb + 7, 1);
		cmd->dir = NX_INI_DIR_WRITE;
		cmd->len = bs;
		break;
	case 0x93:
		nx_put_be32(cdb + 10, 1);
		cmd->dir = NX_INI_DIR_WRITE;
		cmd->len = bs;
		break;
	default:
		break;
	}
}

static bool sa_rejected(const struct nx_conf_result *r, const struct cmd_desc *c)
{
	return c->servactv && r->status == 0x02 && r->key == SK_ILLEGAL_REQUEST &&
	       r->asc == 0x24 && r->sksv && nx_get_be16(r->sks + 1) == 1;
}

/* SPC-4 6.35.1: "the operation codes the device server supports": each
 * listed command (in a harmless form) is neither INVALID COMMAND
 * OPERATION CODE nor an unsupported service action. */
static void test_rsoc_listed_commands_accepted(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t buf[DATA_MAX];
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds);
	struct nx_conf_result r;
	struct nx_conf_cmd cmd;
	uint8_t cdb[16];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	for (unsigned i = 0; i < n; i++) {
		if (not_sent(cmds[i].opcode) || cmds[i].cdb_len > 16)
			continue;
		nx_conf_env_reset_notes();
		nx_conf_note("%02xh/%04xh", cmds[i].opcode, cmds[i].sa);
		baseline(&cmds[i], bs, cdb, &cmd, buf);
		nx_conf_scsi_ex(s, &cmd, &r);
		NX_EXPECT_OK(&r);
		NX_EXPECT_TRUE("not INVALID COMMAND OPERATION CODE",
			       !nx_conf_unsupported(&r));
		NX_EXPECT_TRUE("service action not rejected", !sa_rejected(&r, &cmds[i]));
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

static int top_bit(uint8_t v)
{
	int b = 7;

	while (b > 0 && !(v & (1u << b)))
		b--;
	return b;
}

/* One reserved bit of one command; returns false if the device server
 * ignored it (GOOD). */
static bool probe_bit(struct nx_conf_sess *s, struct nx_conf_cmd *cmd,
		      uint8_t *cdb, unsigned byte, uint8_t unused)
{
	struct nx_conf_result r;
	int bit = top_bit(unused);

	cdb[byte] |= (uint8_t)(1u << bit);
	nx_conf_note("byte %u bit %d", byte, bit);
	nx_conf_scsi_ex(s, cmd, &r);
	cdb[byte] &= (uint8_t)~(1u << bit);
	if (r.status == 0x00)
		return false;
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	/* SPC-4 4.5.2.4.2: C/D=1, the byte and, with BPV, the bit */
	NX_EXPECT_FIELD_POINTER_OPT(&r, true, byte, bit);
	return true;
}

/* SPC-4 6.35.3 (CDB USAGE DATA), 4.4.1: a bit the usage data marks
 * unused is reserved or unsupported; a device server that checks it
 * answers INVALID FIELD IN CDB with the field pointer at that byte and
 * bit.  Each byte's highest unused bit is tried on a harmless CDB; a
 * target that checks none SKIPs (checking is optional). */
static void test_rsoc_usage_data_unused_bits(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t buf[DATA_MAX];
	struct cmd_desc cmds[CMDS_MAX];
	unsigned n = all_commands(s, cmds), tried = 0, checked = 0;
	struct nx_conf_result r;
	struct nx_conf_cmd cmd;
	uint8_t cdb[16], usage[512];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	for (unsigned i = 0; i < n; i++) {
		if (not_sent(cmds[i].opcode) || cmds[i].cdb_len > 16)
			continue;
		one_command(s, &cmds[i], false, usage, &r);
		NX_EXPECT_GOOD(&r);
		baseline(&cmds[i], bs, cdb, &cmd, buf);
		nx_conf_env_reset_notes();
		nx_conf_note("%02xh/%04xh baseline", cmds[i].opcode, cmds[i].sa);
		nx_conf_scsi_ex(s, &cmd, &r);
		if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST)
			continue; /* which field is judged first is not ordered */
		for (unsigned b = 1; b < cmds[i].cdb_len; b++) {
			uint8_t unused = (uint8_t)~usage[4 + b];

			if (unused == 0)
				continue;
			nx_conf_env_reset_notes();
			nx_conf_note("%02xh/%04xh", cmds[i].opcode, cmds[i].sa);
			tried++;
			checked += probe_bit(s, &cmd, cdb, b, unused);
		}
	}
	nx_conf_env_reset_notes();
	nx_conf_note("%u of %u unused bits rejected", checked, tried);
	if (checked == 0)
		NX_SKIP("unused CDB bits are not checked (allowed, SPC-4 4.4.1)");
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", rsoc_all_commands_format, "SPC-4 6.35.2",
		     "all_commands: 8-byte descriptors, exact COMMAND DATA LENGTH, group CDB lengths, RSOC listed"),
	NX_CONF_TEST("spc4", rsoc_all_commands_rctd, "SPC-4 6.35.4",
		     "all_commands RCTD=1: 20-byte descriptors with CTDP=1 and timeouts length 000Ah"),
	NX_CONF_TEST("spc4", rsoc_one_command_matches_all, "SPC-4 6.35.3",
		     "every listed command reads back in one_command form: SUPPORT 011b, same CDB SIZE"),
	NX_CONF_TEST("spc4", rsoc_one_command_rctd, "SPC-4 6.35.4",
		     "one_command RCTD=1: CTDP=1 and a timeouts descriptor after the usage data"),
	NX_CONF_TEST("spc4", rsoc_one_command_unsupported, "SPC-4 6.35.3",
		     "one_command for an unsupported operation code: GOOD, SUPPORT 001b"),
	NX_CONF_TEST("spc4", rsoc_reporting_options_mismatch, "SPC-4 6.35.1",
		     "REPORTING OPTIONS 001b with a service-action opcode, 010b without: 5/24h/00h"),
	NX_CONF_TEST("spc4", rsoc_reporting_options_reserved, "SPC-4 6.35.1",
		     "REPORTING OPTIONS 100b-111b: 5/24h/00h, field pointer byte 2"),
	NX_CONF_TEST("spc4", rsoc_alloc_truncation, "SPC-4 4.2.5.6",
		     "all_commands data cut at 4 and 12 bytes is the exact prefix"),
	NX_CONF_TEST("spc4", rsoc_listed_commands_accepted, "SPC-4 6.35.1",
		     "every listed command is accepted: no 5/20h/00h, no unsupported service action"),
	NX_CONF_TEST("spc4", rsoc_usage_data_unused_bits, "SPC-4 6.35.3",
		     "a CDB bit the usage data marks unused: 5/24h/00h, field pointer C/D=1 at that byte/bit"),
};

NX_CONF_TABLE(nx_conf_table_spc4_rsoc, tests);
