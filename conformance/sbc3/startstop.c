/*
 * startstop.c - START STOP UNIT (SBC-3 5.24) and the stopped state
 * (SBC-3 4.20): a stopped LU answers TEST UNIT READY and medium access
 * with NOT READY, LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED
 * (02h/04h/02h) until a START.
 *
 * On a shared (tcp) target the LU is started again before any assertion,
 * so a failure here does not leave it stopped for the following tests.
 */
#include "sbc3_util.h"

static void ssu(struct nx_conf_sess *s, bool immed, bool start,
		struct nx_conf_result *r)
{
	uint8_t cdb[6] = { 0x1b };

	cdb[1] = immed ? 0x01 : 0x00;
	cdb[4] = start ? 0x01 : 0x00;
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, r);
}

static void test_ssu_stop_then_start(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result stop, t1, rd, start, t2;
	uint8_t cdb[16], d[512];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	ssu(s, false, false, &stop);
	NX_SKIP_IF_UNSUPPORTED(&stop, "START STOP UNIT");
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &t1);
	sbc_cdb(cdb, 0x28, 0, 1);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, bs <= sizeof(d) ? bs : sizeof(d),
		     &rd);
	ssu(s, false, true, &start);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &t2);
	NX_EXPECT_GOOD(&stop);
	NX_EXPECT_SENSE(&t1, SK_NOT_READY, 0x04, 0x02);
	if (bs <= sizeof(d))
		NX_EXPECT_SENSE(&rd, SK_NOT_READY, 0x04, 0x02);
	NX_EXPECT_GOOD(&start);
	NX_EXPECT_GOOD(&t2);
	nx_conf_logout(s);
}

/* IMMED=1 START=1 on a started LU: GOOD, and it stays ready. */
static void test_ssu_immed_start(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	ssu(s, true, true, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "START STOP UNIT");
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", ssu_stop_then_start, "SBC-3 4.20",
		     "after STOP, TUR and READ: NOT READY 04h/02h; after START, TUR GOOD"),
	NX_CONF_TEST("sbc3", ssu_immed_start, "SBC-3 5.24",
		     "START STOP UNIT IMMED=1 START=1: GOOD, TUR GOOD"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_startstop, tests);
