/*
 * alua.c - asymmetric logical unit access (SPC-4 5.16.2): REPORT TARGET
 * PORT GROUPS (6.37) in both formats, SET TARGET PORT GROUPS (6.45), the
 * commands each access state allows (5.16.2.4.4, 5.16.2.4.5, 5.16.2.5),
 * the unit attentions of explicit and implicit transitions, and the
 * per-path port designators of the Device Identification page (7.8.6).
 *
 * The in-process fixture has two target ports (relative port 1 = TPGT 1
 * in group 1, relative port 2 = TPGT 2 in group 2, both active/optimized,
 * IMPLICIT TRANSITION TIME 10 s); nx_conf_login_port() picks the port.
 * Exact bytes are asserted where the fixture is known (local != NULL);
 * over tcp, tests needing a second port or the implicit-transition hook
 * skip, and the others read the target's own groups.  A target with TPGS
 * 00b does not do ALUA (optional): those tests skip.
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_scsi.h"
#include "../../core/nx_wire.h"

#define RTPG_MAX 1024
#define VPD_MAX 1024
#define AO NX_ALUA_ACTIVE_OPTIMIZED
#define AN NX_ALUA_ACTIVE_NON_OPTIMIZED
#define SB NX_ALUA_STANDBY
#define UN NX_ALUA_UNAVAILABLE
#define TRANS_NS (2ull * 1000 * 1000) /* implicit transition in the tests */
#define POLLS_MAX 200000u

static const uint8_t tur[6] = { 0 };

/* ---- helpers ---------------------------------------------------------------- */

static struct nx_conf_sess *login_clear(unsigned ini, unsigned port)
{
	struct nx_conf_sess *s = nx_conf_login_port(ini, port);

	nx_conf_clear_ua(s);
	return s;
}

/* TPGS of the LU under test; skips when the target does not do ALUA. */
static uint8_t tpgs(struct nx_conf_sess *s)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 }, d[96];
	struct nx_conf_result r;

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	if (((d[5] >> 4) & 3) == 0)
		NX_SKIP("TPGS 00b: asymmetric logical unit access not supported");
	return (d[5] >> 4) & 3;
}

static struct nx_target *local(void)
{
	struct nx_target *t = nx_conf_target()->local;

	if (t == NULL)
		NX_SKIP("needs the in-process target (implicit transitions have "
			"no command)");
	return t;
}

static void rtpg_on(struct nx_conf_sess *s, uint64_t lun_field, uint8_t fmt,
		    uint32_t alloc, uint8_t *d, struct nx_conf_result *r)
{
	uint8_t cdb[12] = { 0xa3, (uint8_t)(fmt << 5 | 0x0a) };
	struct nx_conf_cmd c = { .lun_field = lun_field, .cdb = cdb,
				 .dir = alloc ? NX_INI_DIR_READ : NX_INI_DIR_NONE,
				 .buf = d, .len = alloc };

	nx_put_be32(cdb + 6, alloc);
	if (alloc)
		memset(d, 0xee, alloc);
	nx_conf_scsi_ex(s, &c, r);
}

static void rtpg(struct nx_conf_sess *s, uint8_t fmt, uint32_t alloc,
		 uint8_t *d, struct nx_conf_result *r)
{
	rtpg_on(s, nx_ini_lun(nx_conf_lun()), fmt, alloc, d, r);
}

/* SET TARGET PORT GROUPS with n (state, group) descriptors. */
static void stpg(struct nx_conf_sess *s, const uint8_t (*desc)[2],
		 const uint16_t *groups, unsigned n, struct nx_conf_result *r)
{
	uint8_t cdb[12] = { 0xa4, 0x0a }, d[4 + 4 * 8] = { 0 };
	uint32_t len = 4 + 4 * n;

	nx_put_be32(cdb + 6, len);
	for (unsigned k = 0; k < n; k++) {
		d[4 + 4 * k] = desc[k][0];
		nx_put_be16(d + 6 + 4 * k, groups[k]);
	}
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, len, r);
}

static void stpg1(struct nx_conf_sess *s, uint8_t state, uint16_t group,
		  struct nx_conf_result *r)
{
	const uint8_t desc[1][2] = { { state, 0 } };

	stpg(s, desc, &group, 1, r);
}

/* SET TARGET PORT GROUPS of one group that must succeed (GOOD). */
static void set_group(struct nx_conf_sess *s, uint8_t state, uint16_t group)
{
	struct nx_conf_result r;

	stpg1(s, state, group, &r);
	NX_EXPECT_GOOD(&r);
}

/* The descriptor of group id in RTPG length-only data; NULL if absent. */
static const uint8_t *group_desc(const uint8_t *d, uint32_t got, uint16_t id)
{
	uint32_t end = NX_MIN(got, 4 + nx_get_be32(d));

	for (uint32_t off = 4; off + 8 <= end; off += 8 + 4u * d[off + 7])
		if (nx_get_be16(d + off + 2) == id)
			return d + off;
	return NULL;
}

/* State of group id on the LU under test, through session s. */
static int group_state(struct nx_conf_sess *s, uint16_t id)
{
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	rtpg(s, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	const uint8_t *g = group_desc(d, r.data_in_got, id);
	NX_EXPECT_TRUE("target port group reported", g != NULL);
	return g[0] & 0x0f;
}

struct port_ids {
	bool have_rtpi, have_group;
	uint16_t rtpi, group;
	char name[256];           /* SCSI name string, association 01b
				   * (SRP: the EUI-64 designator in hex) */
	uint8_t lu_naa[16];
};

/* Device Identification page through s: port designators (association
 * 01b) and the LU's NAA designator. */
static void port_ids(struct nx_conf_sess *s, struct port_ids *p)
{
	uint8_t cdb[6] = { 0x12, 0x01, 0x83, VPD_MAX >> 8, VPD_MAX & 0xff, 0 };
	uint8_t d[VPD_MAX];
	struct nx_conf_result r;

	memset(p, 0, sizeof(*p));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	uint32_t end = NX_MIN(r.data_in_got, 4u + nx_get_be16(d + 2));
	for (uint32_t off = 4; off + 4 <= end; off += 4u + d[off + 3]) {
		const uint8_t *x = d + off;
		uint8_t assoc = (x[1] >> 4) & 3, type = x[1] & 0x0f;
		if (off + 4u + x[3] > end)
			break;
		if (assoc == 0 && type == 3 && x[3] == 16)
			memcpy(p->lu_naa, x + 4, 16);
		if (assoc == 1 && type == 4 && x[3] == 4) {
			p->have_rtpi = true;
			p->rtpi = nx_get_be16(x + 6);
		}
		if (assoc == 1 && type == 5 && x[3] == 4) {
			p->have_group = true;
			p->group = nx_get_be16(x + 6);
		}
		if (assoc == 1 && type == 8)
			snprintf(p->name, sizeof(p->name), "%.*s", x[3],
				 (const char *)x + 4);
		if (assoc == 1 && type == 2 && x[3] == 16) {
			/* an SRP target port: its EUI-64 based identifier */
			for (unsigned i = 0; i < 16; i++)
				snprintf(p->name + 2 * i, 3, "%02x", x[4 + i]);
		}
	}
}

/* Polls until group g of LUN 0 of the local target leaves transitioning. */
static void wait_transition(struct nx_target *t, uint16_t g)
{
	for (unsigned i = 0; i < POLLS_MAX; i++) {
		if (nx_alua_get_state(t, nx_conf_lun(), g) != NX_ALUA_TRANSITIONING)
			return;
		nx_conf_poll(1);
	}
	NX_EXPECT_TRUE("implicit transition ended", false);
}

/* TUR: one CHECK CONDITION UNIT ATTENTION 2Ah/ascq, then `then`. */
static void expect_ua_once(struct nx_conf_sess *s, uint8_t ascq,
			   uint8_t then_key, uint8_t then_ascq)
{
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_UA(&r, 0x2a, ascq);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	if (then_key == 0)
		NX_EXPECT_GOOD(&r);
	else
		NX_EXPECT_SENSE(&r, then_key, 0x04, then_ascq);
}

/* 05/26/00; the field pointer (optional) names the parameter byte. */
static void expect_param_list_error(const struct nx_conf_result *r,
				    uint16_t byte, int bit)
{
	NX_EXPECT_SENSE(r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	NX_EXPECT_FIELD_POINTER_OPT(r, false, byte, bit);
}

/* ---- discovery ------------------------------------------------------------- */

/* SPC-4 6.6.2, 5.16.2.3: standard INQUIRY TPGS 11b (implicit and explicit). */
static void test_alua_inquiry_tpgs(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);

	local();
	NX_EXPECT_EQ("TPGS", tpgs(s), 3);
	nx_conf_logout(s);
}

static const uint8_t fixture_groups[24] = {
	0x00, 0x8f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x8f, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
};

/* SPC-4 6.37 tables 304, 306, 309: length only header, one descriptor
 * per group: PREF 0, state 0h, T/U/S/AN/AO_SUP, STATUS CODE 00h, one
 * relative target port each. */
static void test_alua_rtpg_length_only(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	local();
	tpgs(s);
	rtpg(s, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 28);
	NX_EXPECT_EQ("RETURN DATA LENGTH", nx_get_be32(d), 24);
	NX_EXPECT_BYTES(d + 4, fixture_groups, sizeof(fixture_groups));
	nx_conf_logout(s);
}

/* SPC-4 6.37 table 305: FORMAT TYPE 001b, IMPLICIT TRANSITION TIME, and
 * a RETURN DATA LENGTH that counts bytes 4..7 of the header. */
static void test_alua_rtpg_extended_header(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	local();
	tpgs(s);
	rtpg(s, 1, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 32);
	NX_EXPECT_EQ("RETURN DATA LENGTH", nx_get_be32(d), 28);
	NX_EXPECT_EQ("FORMAT TYPE", (d[4] >> 4) & 7, 1);
	NX_EXPECT_EQ("IMPLICIT TRANSITION TIME", d[5], 10);
	NX_EXPECT_BYTES(d + 8, fixture_groups, sizeof(fixture_groups));
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: the allocation length truncates the data and leaves
 * RETURN DATA LENGTH alone; the bytes are a prefix of the full answer. */
static void test_alua_rtpg_alloc_truncation(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t full[RTPG_MAX], d[RTPG_MAX];
	struct nx_conf_result r;

	tpgs(s);
	rtpg(s, 0, sizeof(full), full, &r);
	NX_EXPECT_GOOD(&r);
	uint32_t total = 4 + nx_get_be32(full);
	NX_EXPECT_TRUE("RTPG data fits", total <= sizeof(full) && total >= 12);
	const uint32_t allocs[] = { 4, 6, total - 1 };
	for (unsigned i = 0; i < NX_ARRAY_SIZE(allocs); i++) {
		rtpg(s, 0, allocs[i], d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("bytes returned", r.data_in_got, allocs[i]);
		NX_EXPECT_BYTES(d, full, allocs[i]);
	}
	nx_conf_logout(s);
}

/* SPC-4 6.37 table 303: PARAMETER DATA FORMAT 010b is reserved; a device
 * server that does not ignore the field answers INVALID FIELD IN CDB. */
static void test_alua_rtpg_reserved_format(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	local();
	tpgs(s);
	rtpg(s, 2, sizeof(d), d, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	if (r.sksv)
		NX_EXPECT_FIELD_POINTER(&r, true, 1, 7);
	nx_conf_logout(s);
}

/* SPC-4 7.8.6.7, 7.8.6.8, 5.16.2.8: each path reports its own relative
 * target port, target port group and port name, the same LU designator,
 * and the group RTPG lists holds that port. */
static void test_alua_vpd83_port_per_path(void **state)
{
	struct nx_conf_sess *a = login_clear(0, 0);
	struct nx_conf_sess *b = login_clear(1, 1);
	struct port_ids pa, pb;
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	tpgs(a);
	port_ids(a, &pa);
	port_ids(b, &pb);
	NX_EXPECT_TRUE("relative target port designator", pa.have_rtpi && pb.have_rtpi);
	NX_EXPECT_TRUE("target port group designator", pa.have_group && pb.have_group);
	NX_EXPECT_TRUE("different relative ports", pa.rtpi != pb.rtpi);
	NX_EXPECT_TRUE("different port names", strcmp(pa.name, pb.name) != 0);
	NX_EXPECT_BYTES(pa.lu_naa, pb.lu_naa, 16);
	if (nx_conf_target()->local != NULL) {
		NX_EXPECT_EQ("RTPI via port 0", pa.rtpi, 1);
		NX_EXPECT_EQ("group via port 0", pa.group, 1);
		NX_EXPECT_EQ("RTPI via port 1", pb.rtpi, 2);
		NX_EXPECT_EQ("group via port 1", pb.group, 2);
		if (!nx_conf_is_srp())
			NX_EXPECT_TRUE("port name ,t,0x0002",
				       strstr(pb.name, ",t,0x0002") != NULL);
	}
	rtpg(b, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	const uint8_t *g = group_desc(d, r.data_in_got, pb.group);
	NX_EXPECT_TRUE("port 1's group in RTPG", g != NULL);
	bool listed = false;
	for (unsigned k = 0; k < g[7]; k++)
		listed |= nx_get_be16(g + 8 + 4 * k + 2) == pb.rtpi;
	NX_EXPECT_TRUE("port 1 listed in its group", listed);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SPC-4 6.35.3: RSOC knows both commands (SUPPORT 011b). */
static void test_alua_rsoc_lists_commands(void **state)
{
	static const uint8_t sa[2][2] = { { 0xa3, 0x0a }, { 0xa4, 0x0a } };
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t cdb[12] = { 0xa3, 0x0c, 0x02 }, d[64];
	struct nx_conf_result r;

	local();
	for (unsigned i = 0; i < 2; i++) {
		cdb[3] = sa[i][0];
		nx_put_be16(cdb + 4, sa[i][1]);
		nx_put_be32(cdb + 6, sizeof(d));
		nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("SUPPORT", d[1] & 7, 3);
		NX_EXPECT_EQ("CDB SIZE", nx_get_be16(d + 2), 12);
	}
	nx_conf_logout(s);
}

/* ---- SET TARGET PORT GROUPS (explicit) ----------------------------------- */

/* SPC-4 6.45, 6.37 table 308: the group goes to standby with STATUS CODE
 * 01h; the other group keeps STATUS CODE 00h. */
static void test_alua_stpg_standby(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	local();
	set_group(s, SB, 2);
	rtpg(s, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	const uint8_t *g1 = group_desc(d, r.data_in_got, 1);
	const uint8_t *g2 = group_desc(d, r.data_in_got, 2);
	NX_EXPECT_TRUE("both groups", g1 != NULL && g2 != NULL);
	NX_EXPECT_EQ("group 2 state", g2[0], SB);
	NX_EXPECT_EQ("group 2 STATUS CODE", g2[5], 0x01);
	NX_EXPECT_EQ("group 1 state", g1[0], AO);
	NX_EXPECT_EQ("group 1 STATUS CODE", g1[5], 0x00);
	nx_conf_logout(s);
}

/* SPC-4 5.16.2.5: after an explicit change every other I_T nexus gets
 * 2Ah/06h exactly once; the nexus that sent SET TARGET PORT GROUPS none. */
static void test_alua_stpg_ua_others_once(void **state)
{
	struct nx_conf_sess *setter = login_clear(0, 0);
	struct nx_conf_sess *same_port = login_clear(1, 0);
	struct nx_conf_sess *other_port = login_clear(2, 1);
	struct nx_conf_result r;

	tpgs(setter);
	set_group(setter, AN, 2);
	nx_conf_scsi(setter, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	expect_ua_once(same_port, 0x06, 0, 0);
	expect_ua_once(other_port, 0x06, 0, 0);
	set_group(setter, AO, 2); /* put back (tcp targets are shared) */
	nx_conf_logout(setter);
	nx_conf_logout(same_port);
	nx_conf_logout(other_port);
}

/* SPC-4 6.45 table 330: offline (Eh, a secondary state not supported
 * here), transitioning (Fh), logical block dependent (4h) and reserved
 * codes are INVALID FIELD IN PARAMETER LIST; nothing changes. */
static void test_alua_stpg_unsupported_states(void **state)
{
	static const uint8_t bad[] = { 0x0f, 0x0e, 0x04, 0x07 };
	struct nx_conf_sess *s = login_clear(0, 0);
	struct nx_conf_result r;

	local();
	for (unsigned i = 0; i < sizeof(bad); i++) {
		stpg1(s, bad[i], 2, &r);
		expect_param_list_error(&r, 4, 3);
	}
	NX_EXPECT_EQ("group 2 unchanged", group_state(s, 2), AO);
	nx_conf_logout(s);
}

/* SPC-4 6.45: an unknown group, or one group twice, is an invalid
 * combination: INVALID FIELD IN PARAMETER LIST, no descriptor applied. */
static void test_alua_stpg_unknown_group(void **state)
{
	static const uint8_t desc[2][2] = { { SB, 0 }, { UN, 0 } };
	static const uint16_t twice[2] = { 2, 2 };
	struct nx_conf_sess *s = login_clear(0, 0);
	struct nx_conf_result r;

	local();
	stpg1(s, SB, 0x7777, &r);
	expect_param_list_error(&r, 6, 7);
	stpg(s, desc, twice, 2, &r);
	expect_param_list_error(&r, 10, 7);
	NX_EXPECT_EQ("group 2 unchanged", group_state(s, 2), AO);
	nx_conf_logout(s);
}

/* SPC-4 6.45: PARAMETER LIST LENGTH 0 changes nothing; a length that is
 * not whole descriptors violates the length rules: INVALID FIELD IN CDB. */
static void test_alua_stpg_parameter_list_length(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t cdb[12] = { 0xa4, 0x0a }, d[8] = { 0 };
	struct nx_conf_result r;

	local();
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_put_be32(cdb + 6, 6);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, 6, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	if (r.sksv)
		NX_EXPECT_FIELD_POINTER(&r, true, 6, 7);
	NX_EXPECT_EQ("group 2 unchanged", group_state(s, 2), AO);
	nx_conf_logout(s);
}

/* SPC-4 5.16.2.1: the access state is the LU's: SET TARGET PORT GROUPS
 * addressed to LU 0 leaves LU 1's state of the same group. */
static void test_alua_state_per_lu(void **state)
{
	struct nx_conf_sess *s = login_clear(0, 0);
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	local();
	set_group(s, SB, 2);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r); /* 29h on LU 1 */
	rtpg_on(s, nx_ini_lun(1), 0, sizeof(d), d, &r);
	if (r.status == 0x02 && r.key == SK_UNIT_ATTENTION)
		rtpg_on(s, nx_ini_lun(1), 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	const uint8_t *g = group_desc(d, r.data_in_got, 2);
	NX_EXPECT_TRUE("group 2 on LU 1", g != NULL);
	NX_EXPECT_EQ("LU 1 group 2 state", g[0] & 0x0f, AO);
	NX_EXPECT_EQ("LU 0 group 2 state", group_state(s, 2), SB);
	nx_conf_logout(s);
}

/* ---- what each state allows ------------------------------------------------ */

/* SPC-4 5.16.2.4.4: through a standby port READ, WRITE and TEST UNIT
 * READY are NOT READY 04h/0Bh; the same READ through the active port runs. */
static void test_alua_standby_refuses_io(void **state)
{
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, buf[512];
	uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct nx_conf_sess *act = login_clear(0, 0);
	struct nx_conf_sess *sby = login_clear(1, 1);
	struct nx_conf_result r;

	tpgs(act);
	set_group(act, SB, 2);
	expect_ua_once(sby, 0x06, SK_NOT_READY, 0x0b); /* UA first (SAM-5 5.14) */
	nx_conf_scsi(sby, rd, NX_INI_DIR_READ, buf, sizeof(buf), &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0b);
	memset(buf, 0x5a, sizeof(buf));
	nx_conf_scsi(sby, wr, NX_INI_DIR_WRITE, buf, sizeof(buf), &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0b);
	nx_conf_scsi(act, rd, NX_INI_DIR_READ, buf, sizeof(buf), &r);
	NX_EXPECT_GOOD(&r);
	set_group(act, AO, 2);
	nx_conf_logout(act);
	nx_conf_logout(sby);
}

/* SPC-4 5.16.2.4.4: standby still serves INQUIRY, REPORT LUNS, MODE
 * SENSE, LOG SENSE, RTPG, REQUEST SENSE, PERSISTENT RESERVE IN and SET
 * TARGET PORT GROUPS (which brings the group back). */
static void test_alua_standby_allows_listed(void **state)
{
	static const uint8_t cdbs[][12] = {
		{ 0x12, 0, 0, 0, 96, 0 },
		{ 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },
		{ 0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0x01, 0x00, 0 },
		{ 0x4d, 0, 0x40, 0, 0, 0, 0, 0x01, 0x00, 0 },
		{ 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0 },
		{ 0x03, 0, 0, 0, 18, 0 },
		{ 0x5e, 0x00, 0, 0, 0, 0, 0, 0x01, 0x00, 0 },
	};
	struct nx_conf_sess *act = login_clear(0, 0);
	struct nx_conf_sess *sby = login_clear(1, 1);
	uint8_t d[256];
	struct nx_conf_result r;

	tpgs(act);
	set_group(act, SB, 2);
	expect_ua_once(sby, 0x06, SK_NOT_READY, 0x0b);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(cdbs); i++) {
		nx_conf_note("command %02xh", cdbs[i][0]);
		nx_conf_scsi(sby, cdbs[i], NX_INI_DIR_READ, d, sizeof(d), &r);
		NX_EXPECT_GOOD(&r);
	}
	set_group(sby, AO, 2);
	nx_conf_scsi(sby, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(act);
	nx_conf_logout(sby);
}

/* SPC-4 5.16.2.4.5: unavailable: INQUIRY with peripheral qualifier 001b,
 * REPORT LUNS and RTPG run, MODE SENSE and READ are NOT READY 04h/0Ch,
 * and SET TARGET PORT GROUPS through that port is allowed. */
static void test_alua_unavailable_gate(void **state)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 }, d[512];
	uint8_t ms[10] = { 0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0x01, 0x00, 0 };
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct nx_conf_sess *act = login_clear(0, 0);
	struct nx_conf_sess *un = login_clear(1, 1);
	struct nx_conf_result r;

	tpgs(act);
	set_group(act, UN, 2);
	expect_ua_once(un, 0x06, SK_NOT_READY, 0x0c);
	nx_conf_scsi(un, inq, NX_INI_DIR_READ, d, 96, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PERIPHERAL QUALIFIER", d[0] >> 5, 1);
	NX_EXPECT_EQ("PERIPHERAL DEVICE TYPE", d[0] & 0x1f, 0);
	nx_conf_scsi(un, rl, NX_INI_DIR_READ, d, 256, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("group 2 unavailable", group_state(un, 2), UN);
	nx_conf_scsi(un, ms, NX_INI_DIR_READ, d, 256, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0c);
	nx_conf_scsi(un, rd, NX_INI_DIR_READ, d, 512, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0c);
	set_group(un, AO, 2);
	nx_conf_scsi(un, inq, NX_INI_DIR_READ, d, 96, &r);
	NX_EXPECT_EQ("qualifier back to 000b", d[0] >> 5, 0);
	nx_conf_logout(act);
	nx_conf_logout(un);
}

/* UA_INTLCK_CTRL (control mode page byte 4 bits 5-4) through s: MODE
 * SENSE the current page, MODE SELECT it back with the new code. */
static void set_ua_intlck(struct nx_conf_sess *s, uint8_t code)
{
	uint8_t ms[10] = { 0x5a, 0x08, 0x0a, 0, 0, 0, 0, 0, 64, 0 };
	uint8_t sel[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, 20, 0 };
	uint8_t d[64], p[20] = { 0 };
	struct nx_conf_result r;

	nx_conf_scsi(s, ms, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	memcpy(p + 8, d + 8, 12);
	p[8] &= 0x7f; /* PS is reserved in MODE SELECT */
	p[12] = (uint8_t)((p[12] & ~0x30) | (code << 4));
	nx_conf_scsi(s, sel, NX_INI_DIR_WRITE, p, sizeof(p), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	NX_EXPECT_GOOD(&r);
}

static void expect_request_sense(struct nx_conf_sess *s, uint8_t key,
				 uint8_t asc, uint8_t ascq)
{
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 }, d[18];
	struct nx_conf_result r;

	nx_conf_scsi(s, rs, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("REQUEST SENSE key", d[2] & 0x0f, key);
	NX_EXPECT_EQ("REQUEST SENSE ASC", d[12], asc);
	NX_EXPECT_EQ("REQUEST SENSE ASCQ", d[13], ascq);
}

/* SAM-5 5.14, SPC-4 7.5.8 table 461 (UA_INTLCK_CTRL 10b: only REQUEST
 * SENSE clears a UA), 5.16.2.4.5 (REQUEST SENSE runs through an
 * unavailable port): REQUEST SENSE reports and clears the pending UAs
 * first, and only then answers for the unavailable LU (SPC-4 6.39,
 * 05/25/00).  Otherwise the nexus could never get past the UA, not even
 * with REPORT TARGET PORT GROUPS. */
static void test_alua_unavailable_request_sense_ua(void **state)
{
	uint8_t rt[12] = { 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, d[256];
	struct nx_conf_sess *act = login_clear(0, 0);
	struct nx_conf_sess *un = login_clear(1, 1);
	struct nx_conf_result r;

	tpgs(act);
	set_ua_intlck(act, 0x02);
	set_group(act, UN, 2);
	/* un: 2A/01 (mode) then 2A/06 (ALUA), kept by CHECK CONDITION */
	for (unsigned i = 0; i < 2; i++) {
		nx_conf_scsi(un, rt, NX_INI_DIR_READ, d, sizeof(d), &r);
		NX_EXPECT_UA(&r, 0x2a, 0x01);
	}
	expect_request_sense(un, SK_UNIT_ATTENTION, 0x2a, 0x01);
	expect_request_sense(un, SK_UNIT_ATTENTION, 0x2a, 0x06);
	expect_request_sense(un, 0x05, 0x25, 0x00);
	nx_conf_scsi(un, rt, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(un, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0c);
	set_group(act, AO, 2);
	set_ua_intlck(act, 0x00);
	expect_request_sense(un, SK_UNIT_ATTENTION, 0x2a, 0x06);
	nx_conf_clear_ua(un);
	nx_conf_logout(act);
	nx_conf_logout(un);
}

/* SPC-4 5.16.2.5: while the group transitions only INQUIRY, REPORT LUNS,
 * RTPG and REQUEST SENSE run through it (state Fh, STATUS CODE 02h);
 * TEST UNIT READY and SET TARGET PORT GROUPS are NOT READY 04h/0Ah. */
static void test_alua_transitioning_gate(void **state)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 }, d[RTPG_MAX];
	struct nx_target *t = local();
	struct nx_conf_sess *s = login_clear(0, 1);
	struct nx_conf_result r;

	NX_EXPECT_EQ("hook", nx_alua_set_state(t, 2, SB, TRANS_NS, false), 0);
	rtpg(s, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	const uint8_t *g = group_desc(d, r.data_in_got, 2);
	NX_EXPECT_TRUE("group 2", g != NULL);
	NX_EXPECT_EQ("state transitioning", g[0] & 0x0f, 0x0f);
	NX_EXPECT_EQ("STATUS CODE implicit", g[5], 0x02);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0a);
	stpg1(s, AO, 2, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0a);
	nx_conf_scsi(s, inq, NX_INI_DIR_READ, d, 96, &r);
	NX_EXPECT_GOOD(&r);
	wait_transition(t, 2);
	expect_ua_once(s, 0x06, SK_NOT_READY, 0x0b);
	NX_EXPECT_EQ("group 2 standby", group_state(s, 2), SB);
	nx_conf_logout(s);
}

/* SPC-4 5.16.2.5: an implicit change gives 2Ah/06h to every I_T nexus,
 * on both ports, exactly once. */
static void test_alua_implicit_ua_every_nexus(void **state)
{
	struct nx_target *t = local();
	struct nx_conf_sess *a = login_clear(0, 0);
	struct nx_conf_sess *b = login_clear(1, 1);

	NX_EXPECT_EQ("hook", nx_alua_set_state(t, 2, AN, 0, false), 0);
	expect_ua_once(a, 0x06, 0, 0);
	expect_ua_once(b, 0x06, 0, 0);
	NX_EXPECT_EQ("group 2 non-optimized", group_state(a, 2), AN);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SPC-4 5.16.2.5: a failed implicit transition gives 2Ah/07h IMPLICIT
 * ASYMMETRIC ACCESS STATE TRANSITION FAILED to every I_T nexus; the group
 * ends unavailable (STATUS CODE 02h). */
static void test_alua_implicit_failure(void **state)
{
	struct nx_target *t = local();
	struct nx_conf_sess *a = login_clear(0, 0);
	struct nx_conf_sess *b = login_clear(1, 1);
	uint8_t d[RTPG_MAX];
	struct nx_conf_result r;

	NX_EXPECT_EQ("hook", nx_alua_set_state(t, 2, SB, TRANS_NS, true), 0);
	wait_transition(t, 2);
	expect_ua_once(a, 0x07, 0, 0);
	expect_ua_once(b, 0x07, SK_NOT_READY, 0x0c);
	rtpg(a, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	const uint8_t *g = group_desc(d, r.data_in_got, 2);
	NX_EXPECT_TRUE("group 2", g != NULL);
	NX_EXPECT_EQ("state", g[0] & 0x0f, UN);
	NX_EXPECT_EQ("STATUS CODE", g[5], 0x02);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* Fail-over: the active group goes unavailable, the standby one becomes
 * active; I/O moves to the other path and the medium is the same. */
static void test_alua_failover_io(void **state)
{
	struct nx_target *t = local();
	struct nx_conf_sess *p0 = login_clear(0, 0);
	struct nx_conf_sess *p1 = login_clear(1, 1);
	uint8_t w[512], rbuf[512], rd[10] = { 0x28, 0, 0, 0, 0, 7, 0, 0, 1, 0 };
	struct nx_conf_result r;

	NX_EXPECT_EQ("hook", nx_alua_set_state(t, 2, SB, 0, false), 0);
	nx_conf_clear_ua(p0);
	nx_conf_pattern(w, sizeof(w), 7, 0xa1a);
	nx_conf_write(p0, 7, 1, w);
	NX_EXPECT_EQ("hook", nx_alua_set_state(t, 1, UN, 0, false), 0);
	NX_EXPECT_EQ("hook", nx_alua_set_state(t, 2, AO, 0, false), 0);
	nx_conf_clear_ua(p1);
	nx_conf_scsi(p0, rd, NX_INI_DIR_READ, rbuf, sizeof(rbuf), &r);
	NX_EXPECT_UA(&r, 0x2a, 0x06);
	nx_conf_scsi(p0, rd, NX_INI_DIR_READ, rbuf, sizeof(rbuf), &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x0c);
	nx_conf_read(p1, 7, 1, rbuf);
	NX_EXPECT_BYTES(rbuf, w, sizeof(w));
	nx_conf_logout(p0);
	nx_conf_logout(p1);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", alua_inquiry_tpgs, "SPC-4 6.6.2",
		     "standard INQUIRY TPGS 11b: implicit and explicit ALUA"),
	NX_CONF_TEST("spc4", alua_rtpg_length_only, "SPC-4 6.37",
		     "RTPG length only format: header, descriptors, SUPPORTED bits, ports"),
	NX_CONF_TEST("spc4", alua_rtpg_extended_header, "SPC-4 6.37",
		     "RTPG format 001b: FORMAT TYPE, IMPLICIT TRANSITION TIME, length"),
	NX_CONF_TEST("spc4", alua_rtpg_alloc_truncation, "SPC-4 4.2.5.6",
		     "RTPG allocation length truncates, RETURN DATA LENGTH unchanged"),
	NX_CONF_TEST("spc4", alua_rtpg_reserved_format, "SPC-4 6.37",
		     "RTPG PARAMETER DATA FORMAT 010b: 05/24/00"),
	NX_CONF_TEST("spc4", alua_vpd83_port_per_path, "SPC-4 7.8.6.8",
		     "page 83h: relative port, port group and port name of the path"),
	NX_CONF_TEST("spc4", alua_rsoc_lists_commands, "SPC-4 6.35.3",
		     "RSOC reports RTPG and STPG as supported 12-byte commands"),
	NX_CONF_TEST("spc4", alua_stpg_standby, "SPC-4 6.45",
		     "STPG to standby: state 2h, STATUS CODE 01h, other group 00h"),
	NX_CONF_TEST("spc4", alua_stpg_ua_others_once, "SPC-4 5.16.2.5",
		     "explicit change: 6/2A/06 once to every other nexus, none to the setter"),
	NX_CONF_TEST("spc4", alua_stpg_unsupported_states, "SPC-4 6.45",
		     "STPG offline/transitioning/LBD/reserved state: 05/26/00, no change"),
	NX_CONF_TEST("spc4", alua_stpg_unknown_group, "SPC-4 6.45",
		     "STPG unknown or repeated group: 05/26/00, nothing applied"),
	NX_CONF_TEST("spc4", alua_stpg_parameter_list_length, "SPC-4 6.45",
		     "STPG length 0: no change; length 6: 05/24/00"),
	NX_CONF_TEST("spc4", alua_state_per_lu, "SPC-4 5.16.2.1",
		     "STPG addressed to LU 0 leaves LU 1's state of the group"),
	NX_CONF_TEST("spc4", alua_standby_refuses_io, "SPC-4 5.16.2.4.4",
		     "standby port: READ/WRITE/TUR 02/04/0B (after the UA)"),
	NX_CONF_TEST("spc4", alua_standby_allows_listed, "SPC-4 5.16.2.4.4",
		     "standby port: INQUIRY, REPORT LUNS, MODE/LOG SENSE, RTPG, REQUEST SENSE, PRIN, STPG"),
	NX_CONF_TEST("spc4", alua_unavailable_gate, "SPC-4 5.16.2.4.5",
		     "unavailable port: PQ 001b, MODE SENSE/READ 02/04/0C, STPG allowed"),
	NX_CONF_TEST("spc4", alua_unavailable_request_sense_ua, "SPC-4 7.5.8",
		     "unavailable port, UA_INTLCK_CTRL 10b: REQUEST SENSE clears the UAs, then 05/25/00"),
	NX_CONF_TEST("spc4", alua_transitioning_gate, "SPC-4 5.16.2.5",
		     "transitioning port: state Fh, TUR/STPG 02/04/0A, INQUIRY runs"),
	NX_CONF_TEST("spc4", alua_implicit_ua_every_nexus, "SPC-4 5.16.2.5",
		     "implicit change: 6/2A/06 once to every nexus on every port"),
	NX_CONF_TEST("spc4", alua_implicit_failure, "SPC-4 5.16.2.5",
		     "failed implicit transition: 6/2A/07 to every nexus, group unavailable"),
	NX_CONF_TEST("spc4", alua_failover_io, "SPC-4 5.16.2.4",
		     "fail-over: I/O refused on the old path, same data on the new one"),
};

NX_CONF_TABLE(nx_conf_table_spc4_alua, tests);
