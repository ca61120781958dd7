/*
 * task.c - task attributes (SAM-5 8.6) and the CONTROL byte (SAM-5 5.2).
 */
#include <stdlib.h>

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static void cmd_with_attr(struct nx_conf_sess *s, const uint8_t *cdb,
			  uint8_t attr, enum nx_ini_dir dir, void *buf,
			  uint32_t len, struct nx_conf_result *r)
{
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(nx_conf_lun()), .cdb = cdb,
		.attr = attr, .dir = dir, .buf = buf, .len = len,
	};

	nx_conf_scsi_ex(s, &c, r);
}

/* An ORDERED write then a SIMPLE read of the same blocks: the read sees
 * the write (SAM-5 8.6.3: ordered tasks complete in order). */
static void test_task_attr_ordered(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t cdb[10] = { 0x2a }, w[4096], rd[4096];
	struct nx_conf_result r;
	uint32_t bs;

	nx_conf_clear_ua(s);
	nx_conf_capacity(s, NULL, &bs);
	nx_conf_pattern(w, sizeof(w), 16, 1);
	nx_put_be32(cdb + 2, 16);
	nx_put_be16(cdb + 7, (uint16_t)(sizeof(w) / bs));
	cmd_with_attr(s, cdb, NX_INI_ATTR_ORDERED, NX_INI_DIR_WRITE, w,
		      sizeof(w), &r);
	NX_EXPECT_GOOD(&r);
	cdb[0] = 0x28;
	cmd_with_attr(s, cdb, NX_INI_ATTR_SIMPLE, NX_INI_DIR_READ, rd,
		      sizeof(rd), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_BYTES(rd, w, sizeof(w));
	nx_conf_logout(s);
}

static void test_task_attr_head_of_queue(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t tur[6] = { 0 }, inq[6] = { 0x12, 0, 0, 0, 36, 0 }, d[36];
	struct nx_conf_result r;

	nx_conf_clear_ua(s);
	cmd_with_attr(s, tur, NX_INI_ATTR_HEAD_OF_QUEUE, NX_INI_DIR_NONE, NULL,
		      0, &r);
	NX_EXPECT_GOOD(&r);
	cmd_with_attr(s, inq, NX_INI_ATTR_HEAD_OF_QUEUE, NX_INI_DIR_READ, d,
		      sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 36);
	nx_conf_logout(s);
}

/* Several SIMPLE writes to distinct blocks in flight at once, then each
 * block read back: every task of the set completes with its own data. */
static void test_task_set_concurrent_simple(void **state)
{
	enum { N = 16 };
	struct nx_conf_sess *s = nx_conf_login(0);
	static struct nx_conf_async a[N];
	uint8_t cdb[N][10], *w = malloc(N * 4096), *rd = malloc(4096);
	struct nx_conf_result r;
	uint32_t bs;

	assert_non_null(w);
	assert_non_null(rd);
	nx_conf_clear_ua(s);
	nx_conf_capacity(s, NULL, &bs);
	nx_conf_pattern(w, N * 4096, 64, 2);
	for (unsigned i = 0; i < N; i++) {
		struct nx_conf_cmd c = {
			.lun_field = nx_ini_lun(nx_conf_lun()), .cdb = cdb[i],
			.attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_WRITE,
			.buf = w + i * 4096, .len = 4096,
		};

		memset(cdb[i], 0, 10);
		cdb[i][0] = 0x2a;
		nx_put_be32(cdb[i] + 2, 64 + i * (4096 / bs));
		nx_put_be16(cdb[i] + 7, (uint16_t)(4096 / bs));
		assert_int_equal(nx_conf_submit(s, &c, &a[i]), 0);
	}
	for (unsigned i = 0; i < N; i++) {
		nx_conf_wait(s, &a[i], &r);
		NX_EXPECT_GOOD(&r);
	}
	for (unsigned i = 0; i < N; i++) {
		nx_conf_read(s, 64 + i * (4096 / bs), 4096 / bs, rd);
		NX_EXPECT_BYTES(rd, w + i * 4096, 4096);
	}
	free(w);
	free(rd);
	nx_conf_logout(s);
}

static bool normaca(struct nx_conf_sess *s)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 36, 0 }, d[36];
	struct nx_conf_result r;

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	return (d[3] & 0x20) != 0;
}

/* NACA=1 in the CONTROL byte of a device server without ACA support
 * (NORMACA=0): CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN CDB.
 * nexus reports NORMACA=1 since the ACA work, so this SKIPs there; the
 * NORMACA=1 side is sam5.aca_naca_accepted (aca.c). */
static void test_control_naca_unsupported(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t tur[6] = { 0, 0, 0, 0, 0, 0x04 };
	struct nx_conf_result r;

	nx_conf_clear_ua(s);
	if (normaca(s))
		NX_SKIP("target supports NACA (NORMACA=1)");
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	if (r.sksv)
		NX_EXPECT_FIELD_POINTER(&r, true, 5, 2);
	nx_conf_logout(s);
}

/* The ACA attribute with no ACA condition established (SAM-5 5.9,
 * 8.6.5): the device server answers CHECK CONDITION, ILLEGAL REQUEST,
 * INVALID MESSAGE ERROR, with or without ACA support (this test used to
 * SKIP for NORMACA=1; nexus now reports NORMACA=1 and must still pass). */
static void test_task_attr_aca_without_aca(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	nx_conf_clear_ua(s);
	cmd_with_attr(s, tur, NX_INI_ATTR_ACA, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x49, 0x00);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sam5", task_attr_ordered, "SAM-5 8.6.3",
		     "an ORDERED write completes before a later SIMPLE read of the same blocks"),
	NX_CONF_TEST("sam5", task_attr_head_of_queue, "SAM-5 8.6.4",
		     "HEAD OF QUEUE commands are accepted and complete GOOD"),
	NX_CONF_TEST("sam5", task_set_concurrent_simple, "SAM-5 8.6.2",
		     "16 SIMPLE writes in flight at once all complete GOOD with their own data"),
	NX_CONF_TEST("sam5", control_naca_unsupported, "SAM-5 5.2",
		     "NACA=1 without NORMACA: CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("sam5", task_attr_aca_without_aca, "SAM-5 8.6.5",
		     "ACA attribute with no ACA condition: CHECK CONDITION ILLEGAL REQUEST 49h/00h"),
};

NX_CONF_TABLE(nx_conf_table_sam5_task, tests);
