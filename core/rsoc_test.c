/*
 * rsoc_test.c - REPORT SUPPORTED OPERATION CODES (rsoc.c), SPC-4 6.35.
 * Written against nx_opcode_at(), so it holds whether only the SPC table
 * or every table (dispatch.c linked) is behind it.
 */
#include "tests/unit/spc_fixture.h"

static int setup(void **state)
{
	*state = t_fix_new();
	return 0;
}

static int teardown(void **state)
{
	t_fix_free(*state);
	return 0;
}

static struct nx_task *rsoc(struct t_fix *f, uint8_t b2, uint8_t op,
			    uint16_t sa, uint32_t alloc)
{
	uint8_t cdb[12] = { 0xa3, 0x0c, b2, op };

	nx_put_be16(cdb + 4, sa);
	nx_put_be32(cdb + 6, alloc);
	return t_run(f, cdb, sizeof(cdb));
}

static size_t table_size(void)
{
	size_t n = 0;

	while (nx_opcode_at(n) != NULL)
		n++;
	return n;
}

static const uint8_t *find_desc(const struct nx_task *t, uint8_t op,
				size_t step)
{
	for (size_t off = 4; off + 8 <= t->xfer_len; off += step)
		if (t->data[off] == op)
			return t->data + off;
	return NULL;
}

/* 000b: one 8-byte descriptor per table entry, in table order. */
static void test_all(void **state)
{
	struct t_fix *f = *state;
	size_t n = table_size();
	struct nx_task *t = rsoc(f, 0x00, 0, 0, 65535);
	const uint8_t *d;

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4 + 8 * n);
	assert_int_equal(nx_get_be32(t->data), 8 * n);
	d = find_desc(t, 0x12, 8);
	assert_non_null(d);
	assert_memory_equal(d, "\x12\x00\x00\x00\x00\x00\x00\x06", 8);
	d = find_desc(t, 0xa3, 8); /* A3h/0Ah REPORT TARGET PORT GROUPS */
	assert_non_null(d);
	assert_memory_equal(d, "\xa3\x00\x00\x0a\x00\x01\x00\x0c", 8);
	d = find_desc(t, 0xa3, 8) + 8; /* then A3h/0Ch, this command */
	assert_memory_equal(d, "\xa3\x00\x00\x0c\x00\x01\x00\x0c", 8);
	for (size_t i = 0; i < n; i++) {
		d = t->data + 4 + 8 * i;
		assert_int_equal(d[0], nx_opcode_at(i)->opcode);
		if (!(d[5] & 0x01)) /* SERVACTV clear: SA zero */
			assert_int_equal(nx_get_be16(d + 2), 0);
	}
	/* truncated to the allocation length */
	t = rsoc(f, 0x00, 0, 0, 10);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 10);
	assert_int_equal(nx_get_be32(t->data), 8 * n);
}

/* RCTD: CTDP in every descriptor, followed by a 12-byte timeouts
 * descriptor of length 0Ah (SPC-4 6.35.4): 30 s recommended, none for
 * SANITIZE (it lasts as long as the medium takes). */
static void test_all_rctd(void **state)
{
	struct t_fix *f = *state;
	size_t n = table_size();
	struct nx_task *t = rsoc(f, 0x80, 0, 0, 65535);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4 + 20 * n);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = t->data + 4 + 20 * i;
		assert_true(d[5] & 0x02);
		assert_memory_equal(d + 8,
				    "\x00\x0a\x00\x00\x00\x00\x00\x00"
				    "\x00\x00\x00", 11);
		assert_int_equal(d[19], (d[0] == 0x48 || d[0] == 0x04) ? 0x00 : 0x1e);
	}
}

static void test_one_command(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = rsoc(f, 0x01, 0x12, 0, 65535);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 10);
	/* the CONTROL byte's NACA bit is usable (NORMACA=1, SAM-5 5.2) */
	assert_memory_equal(t->data, "\x00\x03\x00\x06\x12\x01\xff\xff\xff\x04",
			    10);
	t = rsoc(f, 0x81, 0x12, 0, 65535);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 22);
	assert_memory_equal(t->data, "\x00\x83\x00\x06", 4);
	assert_memory_equal(t->data + 10, "\x00\x0a", 2);
	/* an opcode nobody implements: SUPPORT 001b */
	t = rsoc(f, 0x01, 0xff, 0, 65535);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4);
	assert_memory_equal(t->data, "\x00\x01\x00\x00", 4);
	/* 001b on an opcode with service actions is an error */
	t_expect_invalid_cdb(rsoc(f, 0x01, 0xa3, 0x0c, 65535), 7, 3);
}

static void test_one_service_action(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = rsoc(f, 0x02, 0xa3, 0x0c, 65535);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 16);
	assert_memory_equal(t->data,
			    "\x00\x03\x00\x0c\xa3\x1f\x87\xff\xff\xff\xff\xff"
			    "\xff\xff\x00\x04", 16);
	t = rsoc(f, 0x02, 0xa3, 0x1e, 65535); /* unknown service action */
	t_expect_good(t);
	assert_memory_equal(t->data, "\x00\x01\x00\x00", 4);
	/* 010b on an opcode without service actions is an error */
	t_expect_invalid_cdb(rsoc(f, 0x02, 0x12, 0, 65535), 7, 3);
	/* 011b: without service actions only SA 0 names the command */
	t = rsoc(f, 0x03, 0x12, 0, 65535);
	t_expect_good(t);
	assert_int_equal(t->data[1], 0x03);
	t = rsoc(f, 0x03, 0x12, 1, 65535);
	t_expect_good(t);
	assert_int_equal(t->data[1], 0x01);
	t = rsoc(f, 0x03, 0xa3, 0x0c, 65535);
	t_expect_good(t);
	assert_int_equal(t->data[1], 0x03);
}

static void test_reserved_options(void **state)
{
	struct t_fix *f = *state;

	t_expect_invalid_cdb(rsoc(f, 0x04, 0, 0, 65535), 2, 2);
	t_expect_sense(rsoc(f, 0x40, 0, 0, 65535), 0x05, 0x24, 0x00);
}

/* SPC-4 6.36 REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS: basic and
 * extended (REPD) data; an allocation length below 4 is an error. */
static void test_rstmf(void **state)
{
	struct t_fix *f = *state;
	uint8_t cdb[12] = { 0xa3, 0x0d };
	struct nx_task *t;

	nx_put_be32(cdb + 6, 255);
	t = t_run(f, cdb, sizeof(cdb));
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4);
	assert_memory_equal(t->data, "\xfc\x07\x00\x00", 4);
	cdb[2] = 0x80;
	t = t_run(f, cdb, sizeof(cdb));
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 16);
	assert_memory_equal(t->data,
			    "\xfc\x07\x00\x0c\x01\x00\x00\x00"
			    "\x00\x00\x01\x2c\x00\x00\x00\x00", 16);
	nx_put_be32(cdb + 6, 3);
	t_expect_invalid_cdb(t_run(f, cdb, sizeof(cdb)), 7, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_rctd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_service_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rstmf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
