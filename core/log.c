/*
 * log.c - LOG SENSE (SPC-4 6.7) and the log pages (SPC-4 7.3).
 *
 * Pages (SPC-4 7.3): 00h supported log pages, 00h/FFh supported log
 * pages and subpages, 0Dh temperature, 2Fh informational exceptions.
 * nexus has no sensor and never detects an informational exception, so
 * it reports "temperature not available" (FFh) and no
 * exception (ASC 00h); the pages exist for tools that poll them.
 *
 * PPC and SP are unsupported: their CDB bits are outside the usage mask,
 * so dispatch rejects them (SPC-4 6.7: INVALID FIELD IN CDB).  The page
 * control field is accepted for all four values and the same values are
 * returned: none of these parameters has a threshold or resettable
 * cumulative value.  LOG SELECT is not implemented (optional, see spc.c).
 */
#include "scsi_internal.h"

#define LOG_HDR_LEN 4
#define PARAM_HDR_LEN 4
#define LOG_BUF_MAX 64

/* Parameter control byte (SPC-4 7.3.1): FORMAT AND LINKING 11b = binary
 * format list; TSD=1: the device server never saves these parameters. */
#define PC_BYTE_BINARY 0x23

#define TEMP_NOT_AVAILABLE 0xff

enum nx_sense_reason nx_log_sense_parse(struct nx_task *t)
{
	nx_spc_data_in(t, nx_get_be16(t->cdb + 7));
	return NX_SR_OK;
}

static size_t put_param(uint8_t *p, uint16_t code, uint8_t len)
{
	nx_put_be16(p, code);
	p[2] = PC_BYTE_BINARY;
	p[3] = len;
	return PARAM_HDR_LEN;
}

/* Supported log pages (00h/00h) and supported log pages and subpages
 * (00h/FFh), SPC-4 7.3: ascending page codes; DS=0, SPF per subpage. */
static size_t page_supported(uint8_t *d, bool subpages)
{
	static const uint8_t pages[] = { 0x00, 0x0d, 0x2f };
	size_t len = LOG_HDR_LEN;

	d[0] = subpages ? 0x40 : 0x00;
	d[1] = subpages ? 0xff : 0x00;
	for (size_t i = 0; i < sizeof(pages); i++) {
		d[len++] = pages[i];
		if (subpages) {
			d[len++] = 0x00;
			if (pages[i] == 0x00) { /* 00h/FFh follows 00h/00h */
				d[len++] = 0x00;
				d[len++] = 0xff;
			}
		}
	}
	return len;
}

/* Temperature log page (SPC-4 7.3): parameter 0000h temperature, 0001h
 * reference temperature, each [reserved, degrees Celsius]. */
static size_t page_temperature(uint8_t *d, uint16_t first)
{
	size_t len = LOG_HDR_LEN;

	d[0] = 0x80 | 0x0d; /* DS: parameters are not saved */
	for (uint16_t code = first; code <= 1; code++) {
		len += put_param(d + len, code, 2);
		d[len++] = 0;
		d[len++] = TEMP_NOT_AVAILABLE;
	}
	return len;
}

/* Informational exceptions log page (SPC-4 7.3): parameter 0000h: IE ASC,
 * IE ASCQ, most recent temperature reading. */
static size_t page_ie(uint8_t *d)
{
	size_t len = LOG_HDR_LEN;

	d[0] = 0x80 | 0x2f;
	len += put_param(d + len, 0x0000, 3);
	d[len++] = 0x00;
	d[len++] = 0x00;
	d[len++] = TEMP_NOT_AVAILABLE;
	return len;
}

/* SPC-4 6.7: PARAMETER POINTER names the first parameter code returned;
 * beyond the page's last one it is an error. */
enum nx_sense_reason nx_log_sense_exec(struct nx_task *t)
{
	uint8_t page = t->cdb[2] & 0x3f, sub = t->cdb[3];
	uint16_t ptr = nx_get_be16(t->cdb + 5);
	uint8_t d[LOG_BUF_MAX];
	size_t len;

	memset(d, 0, sizeof(d));
	if (page == 0x00 && (sub == 0x00 || sub == 0xff)) {
		len = page_supported(d, sub == 0xff);
	} else if (sub != 0x00) {
		return nx_spc_bad_cdb(t, 3, 7);
	} else if (page == 0x0d) {
		if (ptr > 1)
			return nx_spc_bad_cdb(t, 5, 7);
		len = page_temperature(d, ptr);
	} else if (page == 0x2f) {
		if (ptr > 0)
			return nx_spc_bad_cdb(t, 5, 7);
		len = page_ie(d);
	} else {
		return nx_spc_bad_cdb(t, 2, 5);
	}
	nx_assert(len <= sizeof(d));
	nx_put_be16(d + 2, (uint16_t)(len - LOG_HDR_LEN));
	nx_task_put_data(t, d, (uint32_t)len);
	return NX_SR_OK;
}
