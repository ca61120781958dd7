/*
 * tcp_test.c - the initiator's real-TCP embedding (nx_ini_tcp.h): URL
 * parsing, and sockets against a listener on 127.0.0.1 port 0 -
 * delivery, queued sends, EOF reported once, shutdown after the queue
 * drained, release from inside a sink, a refused dial and a dial that
 * times out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

/* SPDK style: the units under test are compiled into the test. */
#include "url.c"
#include "tcp.c"

/* ---- URLs -------------------------------------------------------------------- */

static void test_url_forms(void **state)
{
	struct nx_ini_url u;

	assert_int_equal(nx_ini_url_parse("iscsi://127.0.0.1/iqn.x:t/1", &u), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 3260);
	assert_string_equal(u.target, "iqn.x:t");
	assert_int_equal(u.lun, 1);
	assert_string_equal(u.user, "");

	assert_int_equal(nx_ini_url_parse("iscsi://alice%s3cr%t@host:3261/iqn.a/16383", &u), 0);
	assert_string_equal(u.user, "alice");
	assert_string_equal(u.secret, "s3cr%t");
	assert_string_equal(u.host, "host");
	assert_int_equal(u.port, 3261);
	assert_int_equal(u.lun, 16383);

	assert_int_equal(nx_ini_url_parse("iscsi://[::1]:13287/iqn.b:c/0", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 13287);
	assert_int_equal(nx_ini_url_parse("iscsi://[fe80::1]/iqn.b/2", &u), 0);
	assert_string_equal(u.host, "fe80::1");
	assert_int_equal(u.port, 3260);
	assert_int_equal(nx_ini_url_parse("iscsi://[fe80::1%eth0]/iqn.b/2", &u), 0);
	assert_string_equal(u.host, "fe80::1%eth0");
	/* The last '/' separates the LUN: IQNs carry no '/', but EUIs do not
	 * either, so a target name is everything between. */
	assert_int_equal(nx_ini_url_parse("iscsi://h/iqn.x:a.b/7", &u), 0);
	assert_string_equal(u.target, "iqn.x:a.b");
}

static void test_url_rejects(void **state)
{
	static const char *const bad[] = {
		"http://h/iqn/1", "iscsi://h", "iscsi://h/iqn", "iscsi://h/iqn/",
		"iscsi://h//1", "iscsi://h/iqn/16384", "iscsi://h/iqn/-1",
		"iscsi://h/iqn/1x", "iscsi://h:0/iqn/1", "iscsi://h:65536/iqn/1",
		"iscsi://h:/iqn/1", "iscsi://h:12a/iqn/1", "iscsi://[::1/iqn/1",
		"iscsi://[::1]x/iqn/1", "iscsi:///iqn/1", "iscsi://u@/iqn/1",
		/* characters no host has (fuzz/regressions/fuzz_url) */
		"iscsi://127.0].0.1:3260/iqn/1", "iscsi://@a@h/iqn/1",
		"iscsi://h%1/iqn/1", "iscsi://a b/iqn/1", "iscsi://[a[b]/iqn/1",
		"iscsi://h\t/iqn/1", "iscsi://[h%1]/iqn/1", "iscsi://h\xba/iqn/1",
	};
	struct nx_ini_url u;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (nx_ini_url_parse(bad[i], &u) == 0)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(nx_ini_url_parse(NULL, &u), NX_EINVAL);
}

/* ---- sockets ------------------------------------------------------------------ */

struct sink_log {
	uint8_t buf[4096];
	size_t len;
	unsigned eofs;
	struct nx_ini_tcp_sock *release_me;   /* released from rx */
};

static void log_rx(void *arg, const uint8_t *b, size_t n)
{
	struct sink_log *l = arg;

	assert_true(l->len + n <= sizeof(l->buf));
	memcpy(l->buf + l->len, b, n);
	l->len += n;
	if (l->release_me != NULL) {
		nx_ini_tcp_release(l->release_me);
		l->release_me = NULL;
	}
}

static void log_eof(void *arg)
{
	((struct sink_log *)arg)->eofs++;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void poll_until(struct nx_ini_tcp *t, const bool *cond_a,
		       const size_t *len, size_t want)
{
	for (int i = 0; i < 200; i++) {
		if ((cond_a != NULL && *cond_a) || (len != NULL && *len >= want))
			return;
		nx_ini_tcp_poll(t, 10);
	}
	fail_msg("nothing arrived in 2 s");
}

static void test_send_receive_eof(void **state)
{
	struct nx_ini_tcp *t = nx_ini_tcp_new();
	struct sink_log log = { 0 };
	struct nx_ini_tcp_sink sink = { log_rx, log_eof, &log };
	struct nx_ini_tcp_sock *s;
	struct nx_iovec iov[3] = { { "ab", 2 }, { NULL, 0 }, { "cde", 3 } };
	char err[128], got[8] = { 0 };
	uint16_t port;
	int lfd = listener(&port), cfd;
	bool eof;

	assert_int_equal(nx_ini_tcp_dial(t, "127.0.0.1", port, 2000, &sink, &s,
					 err, sizeof(err)), 0);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	nx_ini_tcp_send(s, iov, 3);
	assert_int_equal(recv(cfd, got, 5, MSG_WAITALL), 5);
	assert_string_equal(got, "abcde");
	assert_int_equal(send(cfd, "hello", 5, 0), 5);
	poll_until(t, NULL, &log.len, 5);
	assert_memory_equal(log.buf, "hello", 5);
	assert_int_equal(log.eofs, 0);
	close(cfd);
	eof = false;
	for (int i = 0; i < 200 && !eof; i++) {
		nx_ini_tcp_poll(t, 10);
		eof = log.eofs > 0;
	}
	assert_int_equal(log.eofs, 1);
	assert_false(nx_ini_tcp_open(s));
	assert_int_equal(nx_ini_tcp_poll(t, 0), 0);
	assert_int_equal(log.eofs, 1);           /* once */
	nx_ini_tcp_send(s, iov, 1);              /* dropped, no crash */
	nx_ini_tcp_release(s);
	nx_ini_tcp_free(t);
	close(lfd);
}

/* shutdown: what was queued still goes out, then the stream ends. */
static void test_shutdown_flushes_first(void **state)
{
	struct nx_ini_tcp *t = nx_ini_tcp_new();
	struct sink_log log = { 0 };
	struct nx_ini_tcp_sink sink = { log_rx, log_eof, &log };
	static uint8_t big[1 << 20];
	struct nx_iovec iov = { big, sizeof(big) };
	struct nx_ini_tcp_sock *s;
	char err[128];
	uint8_t rx[65536];
	size_t total = 0;
	uint16_t port;
	int lfd = listener(&port), cfd;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(nx_ini_tcp_dial(t, "localhost", port, 2000, &sink, &s,
					 err, sizeof(err)), 0);
	cfd = accept(lfd, NULL, NULL);
	nx_ini_tcp_send(s, &iov, 1);             /* more than the socket takes */
	nx_ini_tcp_shutdown(s);
	for (int i = 0; i < 2000; i++) {
		ssize_t n = recv(cfd, rx, sizeof(rx), MSG_DONTWAIT);

		if (n > 0) {
			assert_memory_equal(rx, big + total, (size_t)n);
			total += (size_t)n;
		} else if (n == 0) {
			break;
		}
		nx_ini_tcp_poll(t, 1);
	}
	assert_int_equal(total, sizeof(big));
	assert_int_equal(log.eofs, 1);
	nx_ini_tcp_free(t);
	close(cfd);
	close(lfd);
}

/* A sink may release its own socket (a connection torn down by what it
 * just received): no callback afterwards, freed at the end of the round. */
static void test_release_inside_sink(void **state)
{
	struct nx_ini_tcp *t = nx_ini_tcp_new();
	struct sink_log log = { 0 };
	struct nx_ini_tcp_sink sink = { log_rx, log_eof, &log };
	struct nx_ini_tcp_sock *s;
	char err[128];
	uint16_t port;
	int lfd = listener(&port), cfd;

	assert_int_equal(nx_ini_tcp_dial(t, "127.0.0.1", port, 2000, &sink, &s,
					 err, sizeof(err)), 0);
	cfd = accept(lfd, NULL, NULL);
	log.release_me = s;
	assert_int_equal(send(cfd, "x", 1, 0), 1);
	close(cfd);
	poll_until(t, NULL, &log.len, 1);
	assert_int_equal(nx_ini_tcp_poll(t, 10), 0);
	assert_int_equal(log.eofs, 0);
	nx_ini_tcp_free(t);
	close(lfd);
}

static void test_dial_failures(void **state)
{
	struct nx_ini_tcp *t = nx_ini_tcp_new();
	struct sink_log log = { 0 };
	struct nx_ini_tcp_sink sink = { log_rx, log_eof, &log };
	struct nx_ini_tcp_sock *s = NULL;
	char err[128] = "";
	uint16_t port;
	int lfd = listener(&port);

	close(lfd);                              /* nobody listens there now */
	assert_int_equal(nx_ini_tcp_dial(t, "127.0.0.1", port, 2000, &sink, &s,
					 err, sizeof(err)), NX_EIO);
	assert_non_null(strstr(err, "refused"));
	/* TEST-NET-1 (RFC 5737) is never routed: the SYN goes nowhere, or
	 * the network is unreachable at once.  Either way: bounded. */
	err[0] = '\0';
	assert_int_equal(nx_ini_tcp_dial(t, "192.0.2.1", 3260, 200, &sink, &s,
					 err, sizeof(err)), NX_EIO);
	assert_true(err[0] != '\0');
	assert_int_equal(nx_ini_tcp_dial(t, "no-such-host.invalid", 3260, 200,
					 &sink, &s, err, sizeof(err)), NX_EIO);
	assert_non_null(strstr(err, "resolve"));
	nx_ini_tcp_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_url_rejects),
		cmocka_unit_test(test_send_receive_eof),
		cmocka_unit_test(test_shutdown_flushes_first),
		cmocka_unit_test(test_release_inside_sink),
		cmocka_unit_test(test_dial_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
