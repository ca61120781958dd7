/*
 * daemon_test.c - nexus-target's socket layer against hostile and slow
 * peers, in process: the daemon's loop is pumped by the test
 * (nx_loop_run_once), the peer is a raw non-blocking TCP socket speaking
 * hand-built PDUs (RFC 7143 11.12 Login, 11.3 SCSI Command, 11.18
 * NOP-Out).
 *
 * The contract under test (daemon.c): output the peer does not take is
 * queued by reference (Data-In stays in the task buffer); above
 * NX_DAEMON_OUT_SOFT_MAX queued the daemon stops reading that socket, so
 * a peer that never reads pins at most its CmdSN window of commands and
 * cannot make the daemon grow; other connections are served meanwhile,
 * and closing the stuck one gives every buffer back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "../../core/nx_wire.h"
#include "../../platform/user/user_internal.h"

#define IQN "iqn.2026-11.dev.nexus:daemon-test"
#define READ_BLOCKS 512u            /* 256 KiB per READ(16), 512-byte blocks */
#define PUMP_MS 5

struct fx {
	struct nx_daemon_config cfg;
	struct nx_daemon *d;
	uint16_t port;
};

static void pump(unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++)
		assert_true(nx_loop_run_once(nx_user_loop(), PUMP_MS * 1000000ll) >= 0);
}

static int setup(void **state)
{
	static char *argv[] = { "nexus-target", "--portal", "127.0.0.1:0",
				"--target", IQN, "--lun", "0=ram:64M",
				"--log-level", "err" };
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];
	bool usage;

	assert_non_null(f);
	nx_config_init(&f->cfg);
	assert_int_equal(nx_config_parse_args(&f->cfg, 9, argv, err, sizeof(err)), 0);
	assert_int_equal(nx_config_finish(&f->cfg, err, sizeof(err)), 0);
	assert_int_equal(nx_daemon_start(&f->cfg, &f->d, &usage, err, sizeof(err)), 0);
	f->port = nx_daemon_port(f->d, 0);
	assert_true(f->port != 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* SIGTERM is blocked and read through the daemon's signalfd. */
	raise(SIGTERM);
	assert_int_equal(nx_daemon_run(f->d), 0);
	nx_daemon_free(f->d);
	nx_config_free(&f->cfg);
	assert_int_equal(nx_user_buf_live(), 0);
	free(f);
	return 0;
}

/* ---- the peer ---------------------------------------------------------------- */

static int peer_connect(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rcvbuf = 64 << 10;

	assert_true(fd >= 0);
	/* A small receive buffer: what the kernel holds for a peer that
	 * never reads stays far below NX_DAEMON_OUT_SOFT_MAX. */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				    sizeof(rcvbuf)), 0);
	/* Loopback connects complete in the kernel's backlog. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		assert_int_equal(errno, EINPROGRESS);
	pump(2);
	return fd;
}

/* Sends all of buf, pumping the daemon while the socket is full.  False
 * when the socket stayed full for `patience` pumps. */
static bool peer_send(int fd, const uint8_t *buf, size_t len, unsigned patience)
{
	unsigned stuck = 0;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			if (++stuck > patience)
				return false;
			pump(1);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads one PDU (BHS + padded data segment) into bhs; false on timeout. */
static bool peer_recv_pdu(int fd, uint8_t bhs[48])
{
	static uint8_t data[1 << 18];
	size_t have = 0, need = 48;
	uint8_t *dst = bhs;

	for (unsigned tries = 0; tries < 2000; tries++) {
		ssize_t n = recv(fd, dst + have, need - have, 0);

		if (n > 0)
			have += (size_t)n;
		else if (n == 0)
			return false;
		else
			pump(1);
		if (have < need)
			continue;
		if (dst == data)
			return true;
		need = (nx_get_be24(bhs + 5) + 3u) & ~3u;
		if (need == 0)
			return true;
		assert_true(need <= sizeof(data));
		dst = data;
		have = 0;
	}
	return false;
}

/* RFC 7143 11.12: one Login Request from the operational stage straight
 * to full feature phase (no authentication configured).  Returns the
 * MaxCmdSN the final Login Response grants. */
static uint32_t peer_login(int fd, uint8_t isid_last)
{
	static const char keys[] = "InitiatorName=iqn.2026-11.dev.nexus:peer\0"
				   "TargetName=" IQN "\0SessionType=Normal\0"
				   "MaxRecvDataSegmentLength=262144\0";
	uint8_t pdu[48 + ((sizeof(keys) + 3) & ~3u)];
	uint8_t rsp[48];

	memset(pdu, 0, sizeof(pdu));
	pdu[0] = 0x43;                 /* immediate, Login Request */
	pdu[1] = 0x80 | 1u << 2 | 3u;  /* T, CSG operational, NSG FFP */
	nx_put_be24(pdu + 5, sizeof(keys));
	pdu[8] = 0x80;                 /* ISID: random format */
	pdu[13] = isid_last;
	nx_put_be32(pdu + 16, 0x1000);  /* ITT */
	nx_put_be16(pdu + 20, 1);       /* CID */
	nx_put_be32(pdu + 24, 1);       /* CmdSN */
	memcpy(pdu + 48, keys, sizeof(keys));
	assert_true(peer_send(fd, pdu, sizeof(pdu), 100));
	assert_true(peer_recv_pdu(fd, rsp));
	assert_int_equal(rsp[0] & 0x3f, 0x23);
	assert_int_equal(nx_get_be16(rsp + 36), 0); /* status: success */
	assert_int_equal(rsp[1] & 0x83, 0x83);       /* T, NSG FFP */
	return nx_get_be32(rsp + 32);
}

static void read16(uint8_t pdu[48], uint32_t itt, uint32_t cmdsn, uint64_t lba)
{
	memset(pdu, 0, 48);
	pdu[0] = 0x01;
	pdu[1] = 0x80 | 0x40 | 1;      /* F, R, SIMPLE */
	nx_put_be32(pdu + 16, itt);
	nx_put_be32(pdu + 20, READ_BLOCKS * 512u);  /* EDTL */
	nx_put_be32(pdu + 24, cmdsn);
	pdu[32] = 0x88;
	nx_put_be64(pdu + 34, lba);
	nx_put_be32(pdu + 42, READ_BLOCKS);
}

/* ---- tests --------------------------------------------------------------------- */

/* A peer that sends a full window of 256 KiB READs and never reads: the
 * daemon queues their Data-In (>= NX_DAEMON_OUT_SOFT_MAX), stops reading
 * the socket, and holds no more than one window of buffers while another
 * connection is served normally.  Closing the peer frees it all. */
static void test_peer_that_never_reads(void **state)
{
	struct fx *f = *state;
	int fd = peer_connect(f->port), fd2;
	uint32_t max_cmdsn = peer_login(fd, 1), n = 0;
	uint8_t pdu[48];
	size_t flood = 0;
	bool stopped = false;

	/* The whole window: CmdSN 1 .. MaxCmdSN (RFC 7143 3.2.2.1). */
	for (uint32_t sn = 1; (int32_t)(max_cmdsn - sn) >= 0; sn++, n++) {
		read16(pdu, 0x100 + sn, sn, (uint64_t)(sn % 64) * READ_BLOCKS);
		assert_true(peer_send(fd, pdu, sizeof(pdu), 100));
	}
	assert_true((size_t)n * READ_BLOCKS * 512 > NX_DAEMON_OUT_SOFT_MAX);
	pump(20);
	assert_true(nx_user_buf_live() <= n);
	/* Keep talking without reading (NOP-Out, ITT reserved: no answer,
	 * RFC 7143 11.18): once the queue is over the soft limit nobody
	 * reads our bytes, our send buffer fills, send() stalls. */
	memset(pdu, 0, sizeof(pdu));
	pdu[0] = 0x40;                       /* immediate NOP-Out */
	pdu[1] = 0x80;
	nx_put_be32(pdu + 16, 0xffffffffu);  /* ITT reserved */
	nx_put_be32(pdu + 20, 0xffffffffu);  /* TTT reserved */
	nx_put_be32(pdu + 24, max_cmdsn + 1);
	while (flood < (64u << 20)) {
		if (!peer_send(fd, pdu, sizeof(pdu), 50)) {
			stopped = true;
			break;
		}
		flood += sizeof(pdu);
	}
	assert_true(stopped);                /* bounded: the daemon stopped */
	assert_true(nx_user_buf_live() <= n);
	/* Meanwhile another initiator is served. */
	fd2 = peer_connect(f->port);
	(void)peer_login(fd2, 2);
	/* CmdSN 1: a new I_T nexus first sees CHECK CONDITION, UNIT
	 * ATTENTION (SAM-5 5.14); CmdSN 2 then reads. */
	for (uint32_t sn = 1; sn <= 2; sn++) {
		uint8_t rsp[48];

		read16(pdu, 0x76 + sn, sn, 0);
		assert_true(peer_send(fd2, pdu, sizeof(pdu), 100));
		assert_true(peer_recv_pdu(fd2, rsp));
		assert_int_equal(nx_get_be32(rsp + 16), 0x76 + sn);
		if (sn == 1) {
			assert_int_equal(rsp[0] & 0x3f, 0x21); /* SCSI Response */
			assert_int_equal(rsp[3], 0x02);        /* CHECK CONDITION */
		} else {
			assert_int_equal(rsp[0] & 0x3f, 0x25); /* Data-In */
			assert_int_equal(rsp[1] & 0x81, 0x81); /* F, S: status in it */
			assert_int_equal(nx_get_be24(rsp + 5), READ_BLOCKS * 512u);
		}
	}
	close(fd2);
	/* Dropping the stuck peer returns its queued task buffers. */
	close(fd);
	for (unsigned i = 0; i < 200 && nx_user_buf_live() > 0; i++)
		pump(1);
	assert_int_equal(nx_user_buf_live(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peer_that_never_reads,
						setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
