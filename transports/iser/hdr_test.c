/*
 * hdr_test.c - the iSER header and Hello messages (RFC 7145 9.2-9.4):
 * exact bytes both ways, truncation and unknown opcodes refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iser/nx_iser.h"

static void test_control_encode(void **state)
{
	struct nx_iser_hdr h = { .opcode = NX_ISER_OP_CONTROL, .wsv = true,
				 .rsv = true, .write_stag = 0x01020304,
				 .write_va = 0x1112131415161718ull,
				 .read_stag = 0x21222324,
				 .read_va = 0x3132333435363738ull };
	static const uint8_t want[NX_ISER_HDR_LEN] = {
		0x1c, 0, 0, 0, 0x01, 0x02, 0x03, 0x04,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x21, 0x22, 0x23, 0x24,
		0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
	};
	uint8_t out[NX_ISER_HDR_LEN];

	assert_int_equal(nx_iser_hdr_encode(&h, out), NX_ISER_HDR_LEN);
	assert_memory_equal(out, want, sizeof(want));
	h.wsv = false;
	(void)nx_iser_hdr_encode(&h, out);
	assert_int_equal(out[0], 0x14);
	h.rsv = false;
	(void)nx_iser_hdr_encode(&h, out);
	assert_int_equal(out[0], 0x10);
}

static void test_control_decode(void **state)
{
	uint8_t in[NX_ISER_HDR_LEN + 4] = { 0x18, 0xff, 0xff, 0xff,
					    0xde, 0xad, 0xbe, 0xef };
	struct nx_iser_hdr h;
	size_t hl = 0;

	in[27] = 0x99;
	assert_int_equal(nx_iser_hdr_decode(in, sizeof(in), &h, &hl), NX_OK);
	assert_int_equal(hl, NX_ISER_HDR_LEN);
	assert_int_equal(h.opcode, NX_ISER_OP_CONTROL);
	assert_true(h.wsv);
	assert_false(h.rsv);  /* reserved bits of byte 1..3 ignored */
	assert_int_equal(h.write_stag, 0xdeadbeef);
	assert_int_equal(h.read_va, 0x99);
	assert_int_equal(nx_iser_hdr_decode(in, NX_ISER_HDR_LEN - 1, &h, &hl),
			 NX_EINVAL);
	in[0] = 0x40; /* opcode 4: not defined */
	assert_int_equal(nx_iser_hdr_decode(in, sizeof(in), &h, &hl), NX_EINVAL);
	assert_int_equal(nx_iser_hdr_decode(in, 0, &h, &hl), NX_EINVAL);
}

static void test_hello(void **state)
{
	struct nx_iser_hdr h = { .opcode = NX_ISER_OP_HELLO, .max_ver = 1,
				 .min_ver = 1, .ird_ord = 16 };
	struct nx_iser_hdr r = { .opcode = NX_ISER_OP_HELLO_REPLY, .max_ver = 2,
				 .min_ver = 1, .rej = true, .ird_ord = 0x0102 };
	static const uint8_t hello[NX_ISER_HELLO_LEN] = { 0x20, 0x11, 0, 16 };
	static const uint8_t reply[NX_ISER_HELLO_LEN] = { 0x31, 0x21, 1, 2 };
	uint8_t out[NX_ISER_HDR_LEN];
	struct nx_iser_hdr d;
	size_t hl;

	assert_int_equal(nx_iser_hdr_encode(&h, out), NX_ISER_HELLO_LEN);
	assert_memory_equal(out, hello, sizeof(hello));
	assert_int_equal(nx_iser_hdr_encode(&r, out), NX_ISER_HELLO_LEN);
	assert_memory_equal(out, reply, sizeof(reply));
	assert_int_equal(nx_iser_hdr_decode(reply, sizeof(reply), &d, &hl), NX_OK);
	assert_int_equal(hl, NX_ISER_HELLO_LEN);
	assert_true(d.rej);
	assert_int_equal(d.max_ver, 2);
	assert_int_equal(d.min_ver, 1);
	assert_int_equal(d.ird_ord, 0x0102);
	assert_int_equal(nx_iser_hdr_decode(hello, 11, &d, &hl), NX_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_encode),
		cmocka_unit_test(test_control_decode),
		cmocka_unit_test(test_hello),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
