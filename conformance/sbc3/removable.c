/*
 * removable.c - a logical unit with removable medium (standard INQUIRY
 * RMB=1): START STOP UNIT with LOEJ ejects and loads (SBC-3 5.25), no
 * medium is NOT READY, MEDIUM NOT PRESENT (SPC-4 6.37, SBC-3 4.x), PREVENT
 * ALLOW MEDIUM REMOVAL (SBC-3 5.13) per I_T nexus, ended by ALLOW, I_T
 * nexus loss and resets; and a write-protected LU (SBC-3 4.12).
 *
 * The LU is looked for among REPORT LUNS (INQUIRY RMB=1 / MODE SENSE
 * WP=1); a target without one skips.  Every test leaves the medium
 * loaded and unprevented, so a shared target stays usable.
 */
#include "media_util.h"

static void ssu(struct nx_conf_sess *s, uint32_t lun, uint8_t byte4,
		struct nx_conf_result *r)
{
	uint8_t cdb[6] = { 0x1b, 0, 0, 0, byte4, 0 };

	media_cmd(s, lun, cdb, NX_INI_DIR_NONE, NULL, 0, r);
}

#define EJECT 0x02
#define LOAD 0x03

static void prevent(struct nx_conf_sess *s, uint32_t lun, uint8_t v,
		    struct nx_conf_result *r)
{
	uint8_t cdb[6] = { 0x1e, 0, 0, 0, v, 0 };

	media_cmd(s, lun, cdb, NX_INI_DIR_NONE, NULL, 0, r);
}

static struct nx_conf_sess *rm_login(uint32_t *lun)
{
	struct nx_conf_sess *s = sbc_login();

	if (!media_find_lun(s, MEDIA_REMOVABLE, lun))
		NX_SKIP("no LU with removable medium (RMB=1) on this target");
	return s;
}

/* Puts the medium back for the next test (ALLOW, then LOAD). */
static void rm_restore(struct nx_conf_sess *s, uint32_t lun)
{
	struct nx_conf_result r;

	prevent(s, lun, 0, &r);
	ssu(s, lun, LOAD, &r);
	media_clear_ua(s, lun, &r);
}

/* SBC-3 5.25, SPC-4 6.37: LOEJ=1 START=0 ejects: TEST UNIT READY, READ
 * and READ CAPACITY answer NOT READY, MEDIUM NOT PRESENT; LOEJ=1 START=1
 * loads and the LU is ready again. */
static void test_removable_eject_load(void **state)
{
	uint32_t lun = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	struct nx_conf_sess *s = rm_login(&lun);
	uint8_t rd[16], rc[10] = { 0x25 }, d[512];
	struct nx_conf_result e, t1, r1, c1, l, t2;

	sbc_cdb(rd, 0x28, 0, 1);
	ssu(s, lun, EJECT, &e);
	media_tur(s, lun, &t1);
	media_cmd(s, lun, rd, NX_INI_DIR_READ, d, sizeof(d), &r1);
	media_cmd(s, lun, rc, NX_INI_DIR_READ, d, 8, &c1);
	ssu(s, lun, LOAD, &l);
	media_tur(s, lun, &t2);
	rm_restore(s, lun);
	NX_EXPECT_GOOD(&e);
	NX_EXPECT_SENSE(&t1, SK_NOT_READY, 0x3a, 0x00);
	NX_EXPECT_SENSE(&r1, SK_NOT_READY, 0x3a, 0x00);
	NX_EXPECT_SENSE(&c1, SK_NOT_READY, 0x3a, 0x00);
	NX_EXPECT_GOOD(&l);
	NX_EXPECT_GOOD(&t2);
	nx_conf_logout(s);
}

/* SBC-3 5.13: while removal is prevented, an eject is refused with
 * ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED - from any I_T nexus; ALLOW
 * from the preventing nexus lifts it. */
static void test_removable_prevent_refuses_eject(void **state)
{
	uint32_t lun = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	struct nx_conf_sess *s = rm_login(&lun), *b = nx_conf_login(1);
	struct nx_conf_result p, e1, e2, t, a, e3;

	media_clear_ua(b, lun, &t);
	prevent(s, lun, 1, &p);
	ssu(s, lun, EJECT, &e1);
	ssu(b, lun, EJECT, &e2);
	media_tur(s, lun, &t);
	prevent(s, lun, 0, &a);
	ssu(s, lun, EJECT, &e3);
	rm_restore(s, lun);
	NX_EXPECT_GOOD(&p);
	NX_EXPECT_SENSE(&e1, SK_ILLEGAL_REQUEST, 0x53, 0x02);
	NX_EXPECT_SENSE(&e2, SK_ILLEGAL_REQUEST, 0x53, 0x02);
	NX_EXPECT_GOOD(&t);
	NX_EXPECT_GOOD(&a);
	NX_EXPECT_GOOD(&e3);
	nx_conf_logout(b);
	nx_conf_logout(s);
}

/* SBC-3 5.13: prevention belongs to the I_T nexus that asked for it:
 * when that nexus is lost, another nexus may eject. */
static void test_removable_prevent_ends_with_nexus_loss(void **state)
{
	uint32_t lun = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	struct nx_conf_sess *s = rm_login(&lun), *b = nx_conf_login(1);
	struct nx_conf_result p, e1, e2;

	media_clear_ua(b, lun, &p);
	prevent(b, lun, 1, &p);
	ssu(s, lun, EJECT, &e1);
	nx_conf_drop(b);
	nx_conf_poll(100);
	ssu(s, lun, EJECT, &e2);
	rm_restore(s, lun);
	NX_EXPECT_GOOD(&p);
	NX_EXPECT_SENSE(&e1, SK_ILLEGAL_REQUEST, 0x53, 0x02);
	NX_EXPECT_GOOD(&e2);
	nx_conf_logout(s);
}

/* SBC-3 5.13: a logical unit reset ends every prevention. */
static void test_removable_prevent_ends_with_lu_reset(void **state)
{
	uint32_t lun = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	struct nx_conf_sess *s = rm_login(&lun);
	struct nx_conf_result p, e1, e2, t;
	uint8_t rsp = 0xff;

	prevent(s, lun, 1, &p);
	ssu(s, lun, EJECT, &e1);
	nx_conf_tmf(s, NX_INI_TMF_LOGICAL_UNIT_RESET, nx_ini_lun(lun), NULL, &rsp);
	media_clear_ua(s, lun, &t);
	ssu(s, lun, EJECT, &e2);
	rm_restore(s, lun);
	NX_EXPECT_GOOD(&p);
	NX_EXPECT_SENSE(&e1, SK_ILLEGAL_REQUEST, 0x53, 0x02);
	NX_EXPECT_EQ("LOGICAL UNIT RESET", rsp, NX_INI_TMF_RSP_COMPLETE);
	NX_EXPECT_GOOD(&e2);
	nx_conf_logout(s);
}

/* SPC-4 6.37 / SAM-5 5.14: a loaded medium may be another one: the other
 * I_T nexuses get UNIT ATTENTION 28h/00h NOT READY TO READY CHANGE,
 * MEDIUM MAY HAVE CHANGED; the nexus that loaded it knows and does not. */
static void test_removable_load_unit_attention(void **state)
{
	uint32_t lun = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	struct nx_conf_sess *s = rm_login(&lun), *b = nx_conf_login(1);
	struct nx_conf_result e, l, ta, tb;

	media_clear_ua(b, lun, &tb);
	ssu(s, lun, EJECT, &e);
	ssu(s, lun, LOAD, &l);
	media_tur(s, lun, &ta);
	media_tur(b, lun, &tb);
	rm_restore(s, lun);
	NX_EXPECT_GOOD(&e);
	NX_EXPECT_GOOD(&l);
	NX_EXPECT_GOOD(&ta);
	NX_EXPECT_UA(&tb, 0x28, 0x00);
	nx_conf_logout(b);
	nx_conf_logout(s);
}

/* SBC-3 5.25: POWER CONDITION other than 0h ignores START and LOEJ: the
 * medium stays; nexus: START=0 without LOEJ keeps a removable LU ready
 * (libiscsi StartStopUnit.NoLoej). */
static void test_removable_ssu_without_loej(void **state)
{
	uint32_t lun = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	struct nx_conf_sess *s = rm_login(&lun);
	struct nx_conf_result p, t1, n, t2;

	ssu(s, lun, 0x30 | EJECT, &p); /* POWER CONDITION 3h (STANDBY) */
	media_tur(s, lun, &t1);
	ssu(s, lun, 0x00, &n);
	media_tur(s, lun, &t2);
	rm_restore(s, lun);
	NX_EXPECT_GOOD(&p);
	NX_EXPECT_GOOD(&t1);
	NX_EXPECT_GOOD(&n);
	NX_EXPECT_GOOD(&t2);
	nx_conf_logout(s);
}

/* SBC-3 4.12, SPC-4 7.5.4: a write-protected LU reports WP=1 in the mode
 * parameter header and ends writes in DATA PROTECT, WRITE PROTECTED;
 * reads work. */
static void test_read_only_lu_refuses_writes(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	uint8_t wr[16], rd[16], ws[16], d[512];
	struct nx_conf_result w, r, x;
	uint32_t lun = media_read_only_lun(s);

	memset(d, 0x77, sizeof(d));
	sbc_cdb(wr, 0x2a, 0, 1);
	sbc_cdb(rd, 0x28, 0, 1);
	sbc_cdb(ws, 0x93, 0, 1);
	media_cmd(s, lun, wr, NX_INI_DIR_WRITE, d, 512, &w);
	media_cmd(s, lun, ws, NX_INI_DIR_WRITE, d, 512, &x);
	media_cmd(s, lun, rd, NX_INI_DIR_READ, d, 512, &r);
	NX_EXPECT_SENSE(&w, SK_DATA_PROTECT, 0x27, 0x00);
	NX_EXPECT_SENSE(&x, SK_DATA_PROTECT, 0x27, 0x00);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", removable_eject_load, "SBC-3 5.25",
		     "LOEJ eject: TUR/READ/READ CAPACITY 02h/3Ah/00h; LOEJ load: TUR GOOD"),
	NX_CONF_TEST("sbc3", removable_prevent_refuses_eject, "SBC-3 5.13",
		     "PREVENT 01b: eject from any nexus 05h/53h/02h; ALLOW lifts it"),
	NX_CONF_TEST("sbc3", removable_prevent_ends_with_nexus_loss, "SBC-3 5.13",
		     "the preventing nexus is lost: another nexus may eject"),
	NX_CONF_TEST("sbc3", removable_prevent_ends_with_lu_reset, "SBC-3 5.13",
		     "LOGICAL UNIT RESET ends the prevention: eject GOOD"),
	NX_CONF_TEST("sbc3", removable_load_unit_attention, "SPC-4 6.37",
		     "after a load, the other nexus gets UA 28h/00h, the loading one none"),
	NX_CONF_TEST("sbc3", removable_ssu_without_loej, "SBC-3 5.25",
		     "POWER CONDITION 3h ignores LOEJ; START=0 without LOEJ keeps a removable LU ready"),
	NX_CONF_TEST("sbc3", read_only_lu_refuses_writes, "SBC-3 4.12",
		     "write-protected LU: WRITE(10)/WRITE SAME(16) 07h/27h/00h, READ GOOD"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_removable, tests);
