/*
 * vpd.c - vital product data pages in depth (SPC-4 7.8, SBC-3 6.5):
 * the Supported VPD Pages list against what the device server answers,
 * allocation length truncation of every page, the Device Identification
 * designators (types, code sets, associations, PIV, iSCSI names), Unit
 * Serial Number, Extended INQUIRY Data, and the SBC-3 pages B0h-B2h.
 *
 * inquiry.c keeps the basic header checks; these go field by field.
 */
#include <strings.h>

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define VPD_MAX 1024
#define DESIG_MAX 32

/* Supported VPD Pages (00h): the list of page codes, n returned. */
static unsigned supported(struct nx_conf_sess *s, uint8_t *list)
{
	uint8_t d[255];
	struct nx_conf_result r;
	unsigned n;

	nx_conf_inquiry(s, true, 0x00, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	n = nx_get_be16(d + 2);
	NX_EXPECT_TRUE("page list fits 255 bytes", n + 4u <= sizeof(d));
	memcpy(list, d + 4, n);
	return n;
}

static bool listed(const uint8_t *list, unsigned n, uint8_t page)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == page)
			return true;
	return false;
}

/* Fetches a page that must be listed (SKIP otherwise); returns its
 * PAGE LENGTH after checking it against the bytes returned. */
static unsigned vpd_page(struct nx_conf_sess *s, uint8_t page, uint8_t *d,
			 const char *name)
{
	uint8_t list[255];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	if (!listed(list, n, page))
		NX_SKIP("%s VPD page (%02xh) not supported", name, page);
	nx_conf_inquiry(s, true, page, VPD_MAX, d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PAGE CODE", d[1], page);
	NX_EXPECT_EQ("bytes returned = PAGE LENGTH + 4", r.data_in_got,
		     nx_get_be16(d + 2) + 4u);
	return nx_get_be16(d + 2);
}

/* SPC-4 7.8 (00h) + 6.6.1: a page code is listed if and only if the
 * device server answers it; every other code 01h-FFh is 5/24h/00h. */
static void test_vpd_supported_matches_answers(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	uint8_t list[255];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	for (unsigned p = 0x01; p <= 0xff; p++) {
		nx_conf_env_reset_notes();
		nx_conf_note("page %02xh (%s)", p,
			     listed(list, n, (uint8_t)p) ? "listed" : "not listed");
		nx_conf_inquiry(s, true, (uint8_t)p, VPD_MAX, d, &r);
		if (listed(list, n, (uint8_t)p)) {
			NX_EXPECT_GOOD(&r);
			NX_EXPECT_EQ("PAGE CODE", d[1], p);
			continue;
		}
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		NX_EXPECT_FIELD_POINTER_OPT(&r, true, 2, 7);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: every listed page cut at 4 bytes and at its length - 1
 * is the same prefix; PAGE LENGTH still tells the full length. */
static void test_vpd_alloc_truncation_every_page(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t full[VPD_MAX], d[VPD_MAX];
	uint8_t list[255];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	for (unsigned i = 0; i < n; i++) {
		uint16_t len;

		nx_conf_env_reset_notes();
		nx_conf_note("page %02xh", list[i]);
		nx_conf_inquiry(s, true, list[i], VPD_MAX, full, &r);
		NX_EXPECT_GOOD(&r);
		len = (uint16_t)(nx_get_be16(full + 2) + 4u);
		uint16_t cuts[2] = { 4, (uint16_t)(len - 1) };
		for (unsigned k = 0; k < 2; k++) {
			if (cuts[k] < 4 || cuts[k] >= len)
				continue;
			nx_conf_inquiry(s, true, list[i], cuts[k], d, &r);
			NX_EXPECT_GOOD(&r);
			NX_EXPECT_EQ("bytes returned", r.data_in_got, cuts[k]);
			NX_EXPECT_BYTES(d, full, cuts[k]);
		}
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* ---- Device Identification (83h) ---------------------------------------- */

struct desig {
	uint8_t proto, code_set, piv, assoc, type, len;
	const uint8_t *id;
};

/* Splits page 83h into designation descriptors (SPC-4 7.8 (83h)). */
static unsigned parse_83(const uint8_t *d, unsigned page_len, struct desig *out)
{
	unsigned off = 4, end = 4 + page_len, n = 0;

	while (off + 4 <= end && n < DESIG_MAX) {
		const uint8_t *p = d + off;

		out[n].proto = p[0] >> 4;
		out[n].code_set = p[0] & 0x0f;
		out[n].piv = p[1] >> 7;
		out[n].assoc = (p[1] >> 4) & 3;
		out[n].type = p[1] & 0x0f;
		out[n].len = p[3];
		out[n].id = p + 4;
		off += 4u + p[3];
		n++;
	}
	NX_EXPECT_EQ("designators end at PAGE LENGTH", off, end);
	return n;
}

static unsigned get_83(struct nx_conf_sess *s, uint8_t *d, struct desig *ds)
{
	unsigned len = vpd_page(s, 0x83, d, "Device Identification");

	NX_EXPECT_TRUE("page fits the buffer", len + 4u <= VPD_MAX);
	return parse_83(d, len, ds);
}

static void check_naa(const struct desig *x)
{
	uint8_t naa = x->len ? x->id[0] >> 4 : 0;

	NX_EXPECT_EQ("NAA: CODE SET binary", x->code_set, 1);
	if (naa == 2 || naa == 3 || naa == 5)
		NX_EXPECT_EQ("NAA 2/3/5 designator length", x->len, 8);
	else if (naa == 6)
		NX_EXPECT_EQ("NAA 6 designator length", x->len, 16);
	else
		NX_EXPECT_TRUE("NAA field 2h, 3h, 5h or 6h", false);
}

/* SCSI name string: UTF-8, null-terminated, padded to a multiple of 4. */
static void check_name_string(const struct desig *x)
{
	NX_EXPECT_EQ("SCSI name string: CODE SET UTF-8", x->code_set, 3);
	NX_EXPECT_EQ("SCSI name string: length multiple of 4", x->len % 4, 0);
	NX_EXPECT_TRUE("SCSI name string: null-terminated",
		       x->len > 0 && memchr(x->id, 0, x->len) != NULL);
}

/* SPC-4 7.8 (83h): each designator's CODE SET and length fit its
 * DESIGNATOR TYPE, and ASSOCIATION 11b (reserved) is never used. */
static void test_vpd_83_designator_formats(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	struct desig ds[DESIG_MAX];
	unsigned n = get_83(s, d, ds);

	for (unsigned i = 0; i < n; i++) {
		const struct desig *x = &ds[i];

		nx_conf_env_reset_notes();
		nx_conf_note("descriptor %u: type %xh assoc %u", i, x->type, x->assoc);
		NX_EXPECT_TRUE("ASSOCIATION not 11b", x->assoc != 3);
		NX_EXPECT_TRUE("CODE SET 1h-3h", x->code_set >= 1 && x->code_set <= 3);
		switch (x->type) {
		case 0x1: /* T10 vendor ID based */
			NX_EXPECT_EQ("T10 vendor ID: CODE SET ASCII", x->code_set, 2);
			NX_EXPECT_TRUE("T10 vendor ID: >= 8 bytes", x->len >= 8);
			break;
		case 0x2: /* EUI-64 based */
			NX_EXPECT_EQ("EUI-64: CODE SET binary", x->code_set, 1);
			NX_EXPECT_TRUE("EUI-64: length 8, 12 or 16",
				       x->len == 8 || x->len == 12 || x->len == 16);
			break;
		case 0x3:
			check_naa(x);
			break;
		case 0x4: /* relative target port */
		case 0x5: /* target port group */
			NX_EXPECT_EQ("port designator: CODE SET binary", x->code_set, 1);
			NX_EXPECT_EQ("port designator: ASSOCIATION 01b", x->assoc, 1);
			NX_EXPECT_EQ("port designator: length 4", x->len, 4);
			NX_EXPECT_TRUE("port designator: value not 0",
				       nx_get_be16(x->id + 2) != 0);
			break;
		case 0x8:
			check_name_string(x);
			break;
		default:
			break;
		}
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.8 (83h): PIV=1 is only meaningful with a port or target
 * device association, and then PROTOCOL IDENTIFIER names the transport
 * the command came through: 5h, iSCSI, or 4h, SRP (SPC-4 7.6.1). */
static void test_vpd_83_piv_protocol(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	struct desig ds[DESIG_MAX];
	unsigned n = get_83(s, d, ds), with_piv = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!ds[i].piv || ds[i].assoc == 0)
			continue;
		with_piv++;
		nx_conf_env_reset_notes();
		nx_conf_note("descriptor %u: type %xh assoc %u", i, ds[i].type,
			     ds[i].assoc);
		if (nx_conf_is_srp())
			NX_EXPECT_EQ("PROTOCOL IDENTIFIER (SRP)", ds[i].proto, 4);
		else
			NX_EXPECT_EQ("PROTOCOL IDENTIFIER (iSCSI)", ds[i].proto, 5);
	}
	nx_conf_env_reset_notes();
	if (with_piv == 0)
		NX_SKIP("no port or target device designator with PIV=1");
	nx_conf_logout(s);
}

static const struct desig *find_name(const struct desig *ds, unsigned n,
				      uint8_t assoc)
{
	for (unsigned i = 0; i < n; i++)
		if (ds[i].type == 0x8 && ds[i].assoc == assoc)
			return &ds[i];
	return NULL;
}

/* SPC-4 7.8 (83h) with RFC 7143 13.3 (iSCSI names): the SCSI name
 * string of the target device (ASSOCIATION 10b) is the iSCSI target
 * name the session logged in to. */
static void test_vpd_83_target_device_name(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	struct desig ds[DESIG_MAX];
	unsigned n = get_83(s, d, ds);
	const struct desig *x = find_name(ds, n, 2);
	const char *want = nx_conf_target()->name;

	if (x == NULL)
		NX_SKIP("no SCSI name string designator for the target device");
	check_name_string(x);
	nx_conf_note("designator \"%.*s\"", (int)x->len, (const char *)x->id);
	NX_EXPECT_TRUE("name = TargetName (iSCSI names compare case-insensitively)",
		       strlen(want) < x->len &&
			       strncasecmp((const char *)x->id, want, x->len) == 0);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.8 (83h) for iSCSI: the target port's SCSI name string is
 * "<target name>,t,0x<TPGT in hex>" (RFC 7143 13.3, SPC-4 annex for
 * iSCSI port names). */
static void test_vpd_83_target_port_name(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	struct desig ds[DESIG_MAX];
	unsigned n = get_83(s, d, ds);
	const struct desig *x = find_name(ds, n, 1);
	const char *want = nx_conf_target()->name;
	size_t wl = strlen(want);
	const char *id;

	NX_SKIP_IF_SRP("iSCSI port names (RFC 7143 13.3); vpd_83_srp_target_port");
	if (x == NULL)
		NX_SKIP("no SCSI name string designator for the target port");
	check_name_string(x);
	id = (const char *)x->id;
	nx_conf_note("designator \"%.*s\"", (int)x->len, id);
	NX_EXPECT_TRUE("starts with the target name",
		       wl + 5 < x->len && strncasecmp(id, want, wl) == 0);
	NX_EXPECT_TRUE("then \",t,0x\"", strncasecmp(id + wl, ",t,0x", 5) == 0);
	NX_EXPECT_TRUE("then at least one hex digit",
		       strchr("0123456789abcdefABCDEF", id[wl + 5]) != NULL &&
			       id[wl + 5] != 0);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.8 (83h) over SRP: the target port is named by its SRP TARGET
 * PORT IDENTIFIER, an EUI-64 based 16-byte designator (IDENTIFIER
 * EXTENSION + EUI-64, 7.8.6.5) with PIV=1 and PROTOCOL IDENTIFIER 4h
 * (SRP, 7.6.1); a SCSI name string cannot carry it (7.8.6.11). */
static void test_vpd_83_srp_target_port(void **state)
{
	struct nx_conf_sess *s;
	static uint8_t d[VPD_MAX];
	struct desig ds[DESIG_MAX];
	const struct desig *x = NULL;
	unsigned n;

	if (!nx_conf_is_srp())
		NX_SKIP("an SRP target port only (--transport srp)");
	s = nx_conf_login_clear(0);
	n = get_83(s, d, ds);
	for (unsigned i = 0; i < n; i++)
		if (ds[i].type == 0x2 && ds[i].assoc == 1)
			x = &ds[i];
	NX_EXPECT_TRUE("an EUI-64 designator for the target port", x != NULL);
	NX_EXPECT_EQ("designator length", x->len, 16);
	NX_EXPECT_EQ("CODE SET binary", x->code_set, 1);
	NX_EXPECT_EQ("PIV", x->piv, 1);
	NX_EXPECT_EQ("PROTOCOL IDENTIFIER (SRP)", x->proto, 4);
	NX_EXPECT_BYTES(x->id, nx_conf_target()->srp_port_id, 16);
	NX_EXPECT_TRUE("no SCSI name string for the port",
		       find_name(ds, n, 1) == NULL);
	nx_conf_logout(s);
}

/* The LU-associated designators, concatenated (for comparisons). */
static unsigned lu_ids(struct nx_conf_sess *s, uint64_t lun, uint8_t *out,
		       unsigned cap)
{
	static uint8_t d[VPD_MAX];
	uint8_t cdb[6] = { 0x12, 0x01, 0x83, 0x04, 0x00, 0 };
	struct desig ds[DESIG_MAX];
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(lun), .cdb = cdb,
		.attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_READ,
		.buf = d, .len = VPD_MAX,
	};
	struct nx_conf_result r;
	unsigned n, len = 0;

	nx_conf_scsi_ex(s, &c, &r);
	NX_EXPECT_GOOD(&r);
	n = parse_83(d, nx_get_be16(d + 2), ds);
	for (unsigned i = 0; i < n; i++) {
		if (ds[i].assoc != 0 || len + 4u + ds[i].len > cap)
			continue;
		memcpy(out + len, ds[i].id - 4, 4u + ds[i].len);
		len += 4u + ds[i].len;
	}
	return len;
}

/* SPC-4 7.8 (83h): designators associated with the logical unit name
 * the LU, whichever I_T nexus asks. */
static void test_vpd_83_lu_designators_stable(void **state)
{
	struct nx_conf_sess *a = nx_conf_login_clear(0);
	struct nx_conf_sess *b = nx_conf_login_clear(1);
	static uint8_t ia[VPD_MAX], ib[VPD_MAX];
	unsigned na = lu_ids(a, nx_conf_lun(), ia, VPD_MAX);
	unsigned nb = lu_ids(b, nx_conf_lun(), ib, VPD_MAX);

	NX_EXPECT_TRUE("at least one LU designator", na > 0);
	NX_EXPECT_EQ("LU designators length, second I_T nexus", nb, na);
	NX_EXPECT_BYTES(ib, ia, na);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* Another LU of the target (REPORT LUNS), or false. */
static bool other_lun(struct nx_conf_sess *s, uint64_t *lun)
{
	uint8_t cdb[12] = { 0xa0 }, d[512];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	for (unsigned off = 8; off + 8 <= NX_MIN(r.data_in_got, sizeof(d)); off += 8) {
		uint64_t v = nx_get_be64(d + off);
		uint64_t l = (v >> 48) & 0x3fff; /* peripheral / flat (SAM-5 4.7) */

		if ((v >> 62) > 1 || l == nx_conf_lun())
			continue;
		*lun = l;
		return true;
	}
	return false;
}

/* SPC-4 7.8 (83h): an LU designator names one LU: two LUs of the same
 * target never share one. */
static void test_vpd_83_lu_designators_unique(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t ia[VPD_MAX], ib[VPD_MAX];
	uint64_t lun = 0;
	unsigned na, nb;

	if (!other_lun(s, &lun))
		NX_SKIP("the target has a single LU");
	nx_conf_note("comparing LUN %u with LUN %u", (unsigned)nx_conf_lun(),
		     (unsigned)lun);
	na = lu_ids(s, nx_conf_lun(), ia, VPD_MAX);
	nb = lu_ids(s, lun, ib, VPD_MAX);
	for (unsigned i = 0; i < na; i += 4u + ia[i + 3])
		for (unsigned k = 0; k < nb; k += 4u + ib[k + 3])
			NX_EXPECT_TRUE("no designator shared by two LUs",
				       !(ia[i + 3] == ib[k + 3] &&
					 (ia[i + 1] & 0x0f) == (ib[k + 1] & 0x0f) &&
					 !memcmp(ia + i + 4, ib + k + 4, ia[i + 3])));
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.8 (80h): PRODUCT SERIAL NUMBER is not empty and is the same
 * through every I_T nexus. */
static void test_vpd_80_serial_stable(void **state)
{
	struct nx_conf_sess *a = nx_conf_login_clear(0);
	struct nx_conf_sess *b = nx_conf_login_clear(1);
	static uint8_t da[VPD_MAX], db[VPD_MAX];
	unsigned la = vpd_page(a, 0x80, da, "Unit Serial Number");
	unsigned lb = vpd_page(b, 0x80, db, "Unit Serial Number");

	NX_EXPECT_TRUE("serial number not empty", la > 0);
	NX_EXPECT_EQ("PAGE LENGTH, second I_T nexus", lb, la);
	NX_EXPECT_BYTES(db, da, la + 4u);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SPC-4 7.8 (86h): PAGE LENGTH 003Ch, LUICLR=1 (UAs are kept per I_T
 * nexus, SAM-5 5.14), and SIMPSUP=1 since standard INQUIRY sets CMDQUE. */
static void test_vpd_86_extended_inquiry(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	uint8_t std[36];
	struct nx_conf_result r;
	unsigned len = vpd_page(s, 0x86, d, "Extended INQUIRY Data");

	NX_EXPECT_EQ("PAGE LENGTH", len, 0x3c);
	NX_EXPECT_EQ("LUICLR", d[7] & 0x01, 0x01);
	nx_conf_inquiry(s, false, 0, sizeof(std), std, &r);
	NX_EXPECT_GOOD(&r);
	if (std[7] & 0x02)
		NX_EXPECT_EQ("SIMPSUP (CMDQUE=1)", d[5] & 0x01, 0x01);
	nx_conf_logout(s);
}

/* SPC-4 7.8 (86h) with SAM-5 8.6: every task attribute the page claims
 * (HEADSUP, ORDSUP, SIMPSUP) is accepted on a command. */
static void test_vpd_86_task_attributes_honoured(void **state)
{
	static const struct { uint8_t bit, attr; const char *name; } attrs[] = {
		{ 0x04, NX_INI_ATTR_HEAD_OF_QUEUE, "HEAD OF QUEUE" },
		{ 0x02, NX_INI_ATTR_ORDERED, "ORDERED" },
		{ 0x01, NX_INI_ATTR_SIMPLE, "SIMPLE" },
	};
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	uint8_t tur[6] = { 0 };
	struct nx_conf_result r;
	unsigned claimed = 0;

	vpd_page(s, 0x86, d, "Extended INQUIRY Data");
	for (unsigned i = 0; i < NX_ARRAY_SIZE(attrs); i++) {
		struct nx_conf_cmd c = {
			.lun_field = nx_ini_lun(nx_conf_lun()), .cdb = tur,
			.attr = attrs[i].attr, .dir = NX_INI_DIR_NONE,
		};

		if (!(d[5] & attrs[i].bit))
			continue;
		claimed++;
		nx_conf_env_reset_notes();
		nx_conf_note("%s", attrs[i].name);
		nx_conf_scsi_ex(s, &c, &r);
		NX_EXPECT_GOOD(&r);
	}
	nx_conf_env_reset_notes();
	if (claimed == 0)
		NX_SKIP("no task attribute claimed in the Extended INQUIRY Data page");
	nx_conf_logout(s);
}

/* SBC-3 6.5.3: the transfer length fields of Block Limits agree: the
 * optimal and the COMPARE AND WRITE lengths fit the maximum, and an
 * unmap limit exists only with the UNMAP command (LBPU, SBC-3 6.5.4). */
static void test_vpd_b0_limits_consistent(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX], lbp[VPD_MAX];
	uint8_t list[255];
	unsigned n = supported(s, list);
	uint32_t max_xfer, opt_xfer;
	struct nx_conf_result r;

	if (!listed(list, n, 0xb0))
		NX_SKIP("Block Limits VPD page not supported");
	vpd_page(s, 0xb0, d, "Block Limits");
	max_xfer = nx_get_be32(d + 8);
	opt_xfer = nx_get_be32(d + 12);
	if (max_xfer != 0) {
		NX_EXPECT_TRUE("OPTIMAL TRANSFER LENGTH <= MAXIMUM",
			       opt_xfer <= max_xfer);
		NX_EXPECT_TRUE("MAXIMUM COMPARE AND WRITE LENGTH <= MAXIMUM",
			       d[5] <= max_xfer);
	}
	if (listed(list, n, 0xb2)) {
		nx_conf_inquiry(s, true, 0xb2, VPD_MAX, lbp, &r);
		NX_EXPECT_GOOD(&r);
		if (lbp[5] & 0x80) /* LBPU */
			NX_EXPECT_TRUE("LBPU=1: MAXIMUM UNMAP LBA COUNT > 0",
				       nx_get_be32(d + 20) > 0);
		else
			NX_EXPECT_EQ("LBPU=0: MAXIMUM UNMAP LBA COUNT",
				     nx_get_be32(d + 20), 0);
	}
	nx_conf_logout(s);
}

/* SBC-3 6.5.2: PAGE LENGTH 003Ch; MEDIUM ROTATION RATE not in the
 * reserved 0002h-0400h or FFFFh; NOMINAL FORM FACTOR 0h-5h. */
static void test_vpd_b1_block_characteristics(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	unsigned len = vpd_page(s, 0xb1, d, "Block Device Characteristics");
	uint16_t rate = nx_get_be16(d + 4);

	NX_EXPECT_EQ("PAGE LENGTH", len, 0x3c);
	NX_EXPECT_TRUE("MEDIUM ROTATION RATE not reserved",
		       rate <= 1 || (rate >= 0x0401 && rate != 0xffff));
	NX_EXPECT_TRUE("NOMINAL FORM FACTOR 0h-5h", (d[7] & 0x0f) <= 5);
	nx_conf_logout(s);
}

/* SBC-3 6.5.4 with 5.16.2: the Logical Block Provisioning page agrees
 * with READ CAPACITY(16): LBPME=0 means fully provisioned (type 000b,
 * no unmap commands); LBPRZ is the same bit in both. */
static void test_vpd_b2_matches_read_capacity(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[VPD_MAX];
	uint8_t cdb[16] = { 0x9e, 0x10 }, rc[32];
	struct nx_conf_result r;
	unsigned len = vpd_page(s, 0xb2, d, "Logical Block Provisioning");
	bool lbpme, lbprz;

	NX_EXPECT_TRUE("PAGE LENGTH >= 0004h", len >= 4);
	NX_EXPECT_TRUE("PROVISIONING TYPE 000b-010b", (d[6] & 0x07) <= 2);
	nx_put_be32(cdb + 10, sizeof(rc));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, rc, sizeof(rc), &r);
	NX_EXPECT_GOOD(&r);
	lbpme = rc[14] & 0x80;
	lbprz = rc[14] & 0x40;
	NX_EXPECT_EQ("LBPRZ (B2h) = LBPRZ (READ CAPACITY(16))",
		     (d[5] & 0x04) != 0, lbprz);
	if (!lbpme) {
		NX_EXPECT_EQ("LBPME=0: LBPU/LBPWS/LBPWS10", d[5] & 0xe0, 0);
		NX_EXPECT_EQ("LBPME=0: PROVISIONING TYPE", d[6] & 0x07, 0);
	} else {
		NX_EXPECT_TRUE("LBPME=1: resource or thin provisioned",
			       (d[6] & 0x07) == 1 || (d[6] & 0x07) == 2);
	}
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", vpd_supported_matches_answers, "SPC-4 7.8 (00h)",
		     "every listed VPD page answers GOOD; every unlisted code 01h-FFh is 5/24h/00h"),
	NX_CONF_TEST("spc4", vpd_alloc_truncation_every_page, "SPC-4 4.2.5.6",
		     "every VPD page cut at 4 bytes and at length-1 returns that exact prefix"),
	NX_CONF_TEST("spc4", vpd_83_designator_formats, "SPC-4 7.8 (83h)",
		     "each designator's code set, length and association fit its type; no association 11b"),
	NX_CONF_TEST("spc4", vpd_83_piv_protocol, "SPC-4 7.8 (83h)",
		     "port/target designators with PIV=1 carry PROTOCOL IDENTIFIER 5h (iSCSI)"),
	NX_CONF_TEST("spc4", vpd_83_target_device_name, "SPC-4 7.8 (83h)",
		     "the target device's SCSI name string is the iSCSI TargetName"),
	NX_CONF_TEST("spc4", vpd_83_target_port_name, "SPC-4 7.8 (83h)",
		     "the target port's SCSI name string is \"<TargetName>,t,0x<TPGT>\""),
	NX_CONF_TEST("spc4", vpd_83_srp_target_port, "SPC-4 7.8 (83h)",
		     "over SRP: the target port is its SRP port identifier (EUI-64 based, 16 bytes, PIV=1, protocol 4h)"),
	NX_CONF_TEST("spc4", vpd_83_lu_designators_stable, "SPC-4 7.8 (83h)",
		     "LU designators are identical through a second I_T nexus"),
	NX_CONF_TEST("spc4", vpd_83_lu_designators_unique, "SPC-4 7.8 (83h)",
		     "two LUs of the target share no LU designator"),
	NX_CONF_TEST("spc4", vpd_80_serial_stable, "SPC-4 7.8 (80h)",
		     "the unit serial number is non-empty and identical through a second I_T nexus"),
	NX_CONF_TEST("spc4", vpd_86_extended_inquiry, "SPC-4 7.8 (86h)",
		     "Extended INQUIRY Data: PAGE LENGTH 003Ch, LUICLR=1, SIMPSUP=1 with CMDQUE"),
	NX_CONF_TEST("spc4", vpd_86_task_attributes_honoured, "SPC-4 7.8 (86h)",
		     "each task attribute claimed by HEADSUP/ORDSUP/SIMPSUP is accepted"),
	NX_CONF_TEST("spc4", vpd_b0_limits_consistent, "SBC-3 6.5.3",
		     "Block Limits: optimal and CAW lengths <= maximum; unmap limits iff LBPU"),
	NX_CONF_TEST("spc4", vpd_b1_block_characteristics, "SBC-3 6.5.2",
		     "Block Device Characteristics: PAGE LENGTH 003Ch, no reserved rotation rate or form factor"),
	NX_CONF_TEST("spc4", vpd_b2_matches_read_capacity, "SBC-3 6.5.4",
		     "Logical Block Provisioning agrees with READ CAPACITY(16) LBPME/LBPRZ"),
};

NX_CONF_TABLE(nx_conf_table_spc4_vpd, tests);
