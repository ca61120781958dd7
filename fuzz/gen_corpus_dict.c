/*
 * gen_corpus_dict.c - the dictionaries: opcodes, RFC 7143 keys, the
 * per-target tokens
 * (gen_corpus.c writes the files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transports/iscsi/nego_internal.h"
#include "fuzz/gen_corpus.h"

/* ---- dictionaries --------------------------------------------------------- */

static void dict_keys(FILE *fp)
{
	static const char *const values[] = {
		"None", "CRC32C", "CRC32C,None", "Yes", "No", "CHAP", "CHAP,None",
		"Normal", "Discovery", "All", "Reject", "Irrelevant",
		"NotUnderstood", "0x", "0b", "5", "0", "65536", "16777215",
		FZ_TARGET_NAME, FZ_TARGET2_NAME, FZ_INITIATOR_NAME, FZ_CHAP_USER,
		FZ_MCHAP_USER,
	};

	for (int i = 0; i < NX_K_COUNT; i++)
		fprintf(fp, "key_%d=\"%s=\"\n", i, nx_iscsi_key_desc(i)->name);
	for (size_t i = 0; i < NX_ARRAY_SIZE(values); i++)
		fprintf(fp, "val_%zu=\"%s\"\n", i, values[i]);
	fprintf(fp, "nul=\"\\x00\"\n");
}

static void dict_opcodes(FILE *fp, bool iscsi)
{
	static const uint8_t iscsi_ops[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
					     0x06, 0x10, 0x1c, 0x1e };

	if (iscsi) {
		for (size_t i = 0; i < NX_ARRAY_SIZE(iscsi_ops); i++) {
			fprintf(fp, "pdu_%02x=\"\\x%02x\"\n", iscsi_ops[i], iscsi_ops[i]);
			fprintf(fp, "pdu_imm_%02x=\"\\x%02x\"\n", iscsi_ops[i],
				iscsi_ops[i] | 0x40);
		}
		fprintf(fp, "rsvd_tag=\"\\xff\\xff\\xff\\xff\"\n");
		fprintf(fp, "ahs_ext_cdb=\"\\x00\\x11\\x01\\x00\"\n");
		fprintf(fp, "ahs_bidi=\"\\x00\\x05\\x02\\x00\"\n");
		fprintf(fp, "flags_final_rw=\"\\xe1\"\n");
	}
	for (size_t i = 0; nx_opcode_at(i) != NULL; i++) {
		const struct nx_opcode_desc *d = nx_opcode_at(i);

		if (d->flags & NX_OP_SA16)
			fprintf(fp, "op_%02x_%04x=\"\\x%02x\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x%02x\\x%02x\"\n",
				d->opcode, d->service_action, d->opcode,
				d->service_action >> 8, d->service_action & 0xff);
		else if (d->flags & NX_OP_SA)
			fprintf(fp, "op_%02x_%04x=\"\\x%02x\\x%02x\"\n", d->opcode,
				d->service_action, d->opcode, d->service_action);
		else
			fprintf(fp, "op_%02x=\"\\x%02x\"\n", d->opcode, d->opcode);
	}
}

void gen_dicts(void)
{
	FILE *fp;

	fp = gc_dict_open("fuzz_pdu");
	dict_opcodes(fp, true);
	fclose(fp);
	fp = gc_dict_open("fuzz_login_keys");
	dict_keys(fp);
	fclose(fp);
	fp = gc_dict_open("fuzz_conn_stream");
	dict_keys(fp);
	dict_opcodes(fp, true);
	fclose(fp);
	fp = gc_dict_open("fuzz_cdb");
	dict_opcodes(fp, false);
	fclose(fp);
	fp = gc_dict_open("fuzz_mode_select");
	fprintf(fp, "rwer=\"\\x01\\x0a\"\ncaching=\"\\x08\\x12\"\n"
		    "control=\"\\x0a\\x0a\"\ncontrol_ext=\"\\x4a\\x01\\x00\\x1c\"\n"
		    "iec=\"\\x1c\\x0a\"\nsp_page=\"\\x81\"\nblkdesc8=\"\\x00\\x08\"\n"
		    "blkdesc16=\"\\x00\\x10\"\nlongla=\"\\x01\"\n");
	fclose(fp);
	fp = gc_dict_open("fuzz_pr");
	fprintf(fp, "prin=\"\\x5e\"\nprout=\"\\x5f\"\nkey1=\"\\x11\\x11\\x11\\x11\\x11\\x11\\x11\\x11\"\n"
		    "key2=\"\\x22\\x22\\x22\\x22\\x22\\x22\\x22\\x22\"\n"
		    "tid_fmt1=\"\\x45\\x00\\x00\\x28\"\ntid_fmt0=\"\\x05\\x00\\x00\\x20\"\n"
		    "name_a=\"%s\"\nname_b=\"iqn.2024-01.org.nexus:other\"\n"
		    "isid_a=\",i,0x801234567890\"\nisid_b=\",i,0x800000000001\"\n"
		    "spec_i_pt=\"\\x08\"\nall_tg_pt=\"\\x04\"\naptpl=\"\\x01\"\n",
		FZ_INITIATOR_NAME);
	fclose(fp);
	fp = gc_dict_open("fuzz_unmap");
	fprintf(fp, "desc_len=\"\\x00\\x10\"\nmax_lba=\"\\x00\\x00\\x00\\xff\"\n"
		    "big=\"\\xff\\xff\\xff\\xff\"\none=\"\\x00\\x00\\x00\\x01\"\n");
	fclose(fp);
}

void gen_dicts_new(void)
{
	FILE *fp;

	fp = gc_dict_open("fuzz_url");
	fprintf(fp, "scheme=\"iscsi://\"\nat=\"@\"\npct=\"%%\"\nv6=\"[::1]\"\n"
		    "port=\":3260\"\niqn=\"iqn.2024-01.org.nexus:fuzz\"\n"
		    "lunmax=\"/16383\"\n");
	fclose(fp);

	fp = gc_dict_open("fuzz_xcopy");
	fprintf(fp, "xcopy=\"\\x83\"\nrcr=\"\\x84\"\nwatomic=\"\\x9c\"\n"
		    "cscd_e4=\"\\xe4\\x00\\x00\\x00\\x01\\x03\\x00\\x10\"\n"
		    "cscd_t10=\"\\xe4\\x00\\x00\\x00\\x02\\x01\\x00\\x0b\"\n"
		    "t10_id=\"NEXUS   XC0\"\nseg02=\"\\x02\\x00\\x00\\x18\"\n"
		    "seg0a=\"\\x0a\\x00\\x00\\x1c\"\nlocal=\"\\xff\\xff\"\n"
		    "bs512=\"\\x00\\x02\\x00\"\nbs4096=\"\\x00\\x10\\x00\"\n"
		    "usage_nolist=\"\\x18\"\nusage_discard=\"\\x10\"\n"
		    "naca=\"\\x04\"\n");
	fclose(fp);
	fp = gc_dict_open("fuzz_alua");
	fprintf(fp, "rtpg=\"\\xa3\\x0a\"\nrtpg_ext=\"\\xa3\\x2a\"\n"
		    "stpg=\"\\xa4\\x0a\"\nstandby=\"\\x02\"\nunavail=\"\\x03\"\n"
		    "offline=\"\\x0e\"\ntrans=\"\\x0f\"\nlbd=\"\\x04\"\n"
		    "group1=\"\\x00\\x01\"\ngroup4=\"\\x00\\x04\"\n");
	dict_opcodes(fp, false);
	fclose(fp);
	fp = gc_dict_open("fuzz_chap");
	dict_keys(fp);
	fprintf(fp, "chap_a=\"CHAP_A=\"\nchap_i=\"CHAP_I=\"\nchap_c=\"CHAP_C=\"\n"
		    "chap_n=\"CHAP_N=\"\nchap_r=\"CHAP_R=\"\nalgs=\"8,7,5\"\n"
		    "md5=\"5\"\nsha256=\"7\"\nsha3=\"8\"\n"
		    "ro_ini=\"iqn.2024-01.org.nexus:ro-ini\"\n"
		    "disc=\"SessionType=Discovery\"\n");
	fclose(fp);
	fp = gc_dict_open("fuzz_iser");
	dict_keys(fp);
	dict_opcodes(fp, true);
	fprintf(fp, "iser_ctl=\"\\x10\"\niser_w=\"\\x18\"\niser_r=\"\\x14\"\n"
		    "iser_wr=\"\\x1c\"\nhello=\"\\x20\\x11\"\n"
		    "rdma=\"RDMAExtensions=Yes\"\n");
	fclose(fp);
}
