/*
 * gen_corpus.h - what the parts of the seed corpus generator share
 * (gen_corpus.c and gen_corpus_*.c; see gen_corpus.c).
 */
#ifndef NX_FUZZ_GEN_CORPUS_H
#define NX_FUZZ_GEN_CORPUS_H

#include <stdio.h>

#include "fuzz/fuzz_common.h"

/* A growable byte buffer. */
struct bb {
	uint8_t *d;
	size_t n, cap;
};

/* The fuzz/ directory written to (argv[1]). */
extern const char *gc_root;

__attribute__((noreturn)) void gc_die(const char *what);
/* <root>/corpus/<target>/<name> */
void gc_put_file(const char *target, const char *name, const void *d,
		 size_t n);
void gc_bb_put(struct bb *b, const void *p, size_t n);
void gc_bb_byte(struct bb *b, uint8_t v);
/* Records of the multi-record targets: FZ_SEP before every one but the
 * first after the config byte. */
void gc_rec_begin(struct bb *b);
void gc_rec_bytes(struct bb *b, const uint8_t *p, size_t n);
#define REC(b, ...)                                                          \
	gc_rec_bytes(b, (const uint8_t[]){ __VA_ARGS__ },                     \
		     sizeof((const uint8_t[]){ __VA_ARGS__ }))
/* Writes the seed built in b with its config byte, then starts the next. */
void gc_seed_put(const char *target, const char *name, struct bb *b,
		 uint8_t config);
/* "k=v\0" for each string. */
void gc_keys_put(struct bb *b, const char *const *kv, size_t n);
/* <root>/dict/<target>.dict, its header written. */
FILE *gc_dict_open(const char *target);

/* The generators, in the order main() runs them. */
void gen_iscsi(void);        /* gen_corpus_iscsi.c */
void gen_cdb(void);          /* gen_corpus_core.c */
void gen_cdb_sequences(void);
void gen_mode_select(void);
void gen_unmap(void);
void gen_pr(void);
void gen_cdb_new(void);
void gen_xcopy(void);
void gen_alua(void);
void gen_chap(void);         /* gen_corpus_wire.c */
void gen_iser(void);
void gen_srp(void);          /* gen_corpus_srp.c */
void gen_dicts(void);        /* gen_corpus_dict.c */
void gen_dicts_new(void);

#endif /* NX_FUZZ_GEN_CORPUS_H */
