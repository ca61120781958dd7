/*
 * nexus-cdb - send one CDB to an iSCSI logical unit and print the answer,
 * as sg_raw does for a local device.  For debugging a target by hand and
 * for shell tests that need a command no libiscsi tool sends (the kernel
 * self-test's APTPL check: PERSISTENT RESERVE OUT/IN across a reload).
 *
 *   nexus-cdb [-i IQN] [-o HEX | -r LEN] URL CDB-BYTE...
 *
 * URL is libiscsi's: iscsi://[user[%secret]@]host[:port]/target-iqn/lun.
 * CDB bytes and -o data are hex, with or without spaces ("5e 00" or
 * "5e00").  Output: one line "status GOOD" or
 * "status CHECK CONDITION sense KEY/ASC/ASCQ" (hex), then the Data-In
 * bytes, 16 per line.  Exit 0 on GOOD, 1 on any other status, 2 when the
 * command could not be sent (usage, connection, login).  Every run uses
 * the same ISID, so runs with the same -i are one I_T nexus to the target.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define MAX_BYTES 65536

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends the hex digits of s to buf; whitespace separates nothing.
 * Returns false on a non-hex character, an odd digit count or overflow. */
static bool parse_hex(const char *s, unsigned char *buf, size_t *len, size_t cap)
{
	int hi = -1;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == ':')
			continue;
		int v = hexval((unsigned char)*s);
		if (v < 0)
			return false;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (*len >= cap)
			return false;
		buf[(*len)++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0;
}

static const char *status_name(int status)
{
	switch (status) {
	case SCSI_STATUS_GOOD: return "GOOD";
	case SCSI_STATUS_CHECK_CONDITION: return "CHECK CONDITION";
	case SCSI_STATUS_CONDITION_MET: return "CONDITION MET";
	case SCSI_STATUS_BUSY: return "BUSY";
	case SCSI_STATUS_RESERVATION_CONFLICT: return "RESERVATION CONFLICT";
	case SCSI_STATUS_TASK_SET_FULL: return "TASK SET FULL";
	case SCSI_STATUS_ACA_ACTIVE: return "ACA ACTIVE";
	case SCSI_STATUS_TASK_ABORTED: return "TASK ABORTED";
	default: return "UNKNOWN";
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nexus-cdb [-i IQN] [-o HEX | -r LEN] URL CDB-BYTE...\n"
		"Send one CDB to an iSCSI LU and print status, sense and data.\n"
		"  -i, --initiator IQN  initiator name (default iqn.2026-11.dev.nexus:cdb)\n"
		"  -o, --out HEX        Data-Out bytes (hex)\n"
		"  -r, --read LEN       expect up to LEN bytes of Data-In\n"
		"Example: nexus-cdb -r 32 iscsi://127.0.0.1/iqn.2026-11.dev.nexus:target0/1 "
		"5e 00 00 00 00 00 00 00 20 00\n");
}

static void print_answer(const struct scsi_task *task)
{
	printf("status %s", status_name(task->status));
	if (task->status == SCSI_STATUS_CHECK_CONDITION)
		printf(" sense %x/%02x/%02x", task->sense.key,
		       task->sense.ascq >> 8, task->sense.ascq & 0xff);
	printf("\n");
	if (task->status == SCSI_STATUS_CHECK_CONDITION)
		return; /* libiscsi keeps the sense bytes in datain */
	for (int i = 0; i < task->datain.size; i++)
		printf("%02x%s", task->datain.data[i],
		       (i % 16 == 15 || i + 1 == task->datain.size) ? "\n" : " ");
}

static struct iscsi_context *connect_lu(const char *iqn, const char *url_s, int *lun)
{
	struct iscsi_context *iscsi = iscsi_create_context(iqn);
	struct iscsi_url *url;

	if (!iscsi) {
		fprintf(stderr, "nexus-cdb: out of memory\n");
		return NULL;
	}
	url = iscsi_parse_full_url(iscsi, url_s);
	if (!url) {
		fprintf(stderr, "nexus-cdb: bad URL '%s': %s (want iscsi://host[:port]/iqn/lun)\n",
			url_s, iscsi_get_error(iscsi));
		iscsi_destroy_context(iscsi);
		return NULL;
	}
	/* One fixed ISID: every run is the same initiator port (with the same
	 * -i), so a registration made by one run holds for the next. */
	iscsi_set_isid_random(iscsi, 0x4e5843, 0);
	iscsi_set_targetname(iscsi, url->target);
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE_CRC32C);
	if (url->user[0])
		iscsi_set_initiator_username_pwd(iscsi, url->user, url->passwd);
	*lun = url->lun;
	if (iscsi_full_connect_sync(iscsi, url->portal, url->lun) != 0) {
		fprintf(stderr, "nexus-cdb: cannot log in to %s: %s\n", url_s,
			iscsi_get_error(iscsi));
		iscsi_destroy_url(url);
		iscsi_destroy_context(iscsi);
		return NULL;
	}
	iscsi_destroy_url(url);
	return iscsi;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "initiator", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "read", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static unsigned char out[MAX_BYTES];
	unsigned char cdb[32];
	size_t out_len = 0, cdb_len = 0;
	long in_len = 0;
	const char *iqn = "iqn.2026-11.dev.nexus:cdb";
	int c, lun, rc;

	while ((c = getopt_long(argc, argv, "i:o:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': iqn = optarg; break;
		case 'o':
			if (!parse_hex(optarg, out, &out_len, sizeof(out))) {
				fprintf(stderr, "nexus-cdb: -o wants hex bytes (at most %d)\n", MAX_BYTES);
				return 2;
			}
			break;
		case 'r':
			in_len = strtol(optarg, NULL, 0);
			if (in_len <= 0 || in_len > MAX_BYTES) {
				fprintf(stderr, "nexus-cdb: -r wants 1..%d\n", MAX_BYTES);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2 || (out_len && in_len)) {
		usage(stderr);
		return 2;
	}
	for (int i = optind + 1; i < argc; i++)
		if (!parse_hex(argv[i], cdb, &cdb_len, sizeof(cdb))) {
			fprintf(stderr, "nexus-cdb: the CDB must be hex bytes (6 to 32)\n");
			return 2;
		}
	if (cdb_len < 6) {
		fprintf(stderr, "nexus-cdb: a CDB has at least 6 bytes, got %zu\n", cdb_len);
		return 2;
	}

	struct iscsi_context *iscsi = connect_lu(iqn, argv[optind], &lun);
	if (!iscsi)
		return 2;
	int dir = out_len ? SCSI_XFER_WRITE : in_len ? SCSI_XFER_READ : SCSI_XFER_NONE;
	struct scsi_task *task = scsi_create_task((int)cdb_len, cdb, dir,
						  out_len ? (int)out_len : (int)in_len);
	struct iscsi_data data = { .size = out_len, .data = out };
	struct scsi_task *done = task ? iscsi_scsi_command_sync(iscsi, lun, task,
								out_len ? &data : NULL) : NULL;
	if (!done) {
		fprintf(stderr, "nexus-cdb: the command was not answered: %s\n",
			iscsi_get_error(iscsi));
		rc = 2;
	} else {
		print_answer(done);
		rc = done->status == SCSI_STATUS_GOOD ? 0 : 1;
	}
	if (task)
		scsi_free_scsi_task(task);
	iscsi_logout_sync(iscsi);
	iscsi_destroy_context(iscsi);
	return rc;
}
