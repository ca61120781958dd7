/*
 * nx_wire.h - explicit big-endian encode/decode of wire formats.
 *
 * Every SCSI and iSCSI structure is read and written through these
 * helpers, never by casting a packed struct over a buffer: alignment,
 * endianness and bounds stay visible at every use.  The *_at variants
 * check bounds against a buffer length and are what parsers of untrusted
 * input use; the plain ones are for fixed-size headers whose length was
 * checked once up front.
 */
#ifndef NX_WIRE_H
#define NX_WIRE_H

#include "../platform/nx_platform.h"

static inline uint16_t nx_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t nx_get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t nx_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t nx_get_be64(const uint8_t *p)
{
	return (uint64_t)nx_get_be32(p) << 32 | nx_get_be32(p + 4);
}

/* The masks look redundant next to the casts; they keep sparse (make C=1
 * in the kernel build) from flagging every constant argument as a
 * truncating cast.
 *
 * Stores: with gcc or clang on a little-endian machine the value is
 * byte-swapped and stored whole.  Fed the byte stores, gcc 12's store
 * merging joins neighbouring fields into one 64-bit store but assembles
 * its value a byte at a time (a shift, a zero-extend and an or per byte:
 * ~30 instructions for a pair of be32 fields of a PDU header, ~60 for
 * the workload's 16-byte block header, and a store-forwarding stall when
 * the bytes are read back wider).  Loads need no such help: gcc and clang
 * already compile nx_get_be* to one load and a bswap.  Any other compiler
 * or byte order keeps the byte stores, which are the definition. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NX_WIRE_BSWAP_STORES 1
#else
#define NX_WIRE_BSWAP_STORES 0
#endif

static inline void nx_put_be16(uint8_t *p, uint16_t v)
{
#if NX_WIRE_BSWAP_STORES
	uint16_t be = __builtin_bswap16(v);

	__builtin_memcpy(p, &be, sizeof(be));
#else
	p[0] = (uint8_t)((v >> 8) & 0xff);
	p[1] = (uint8_t)(v & 0xff);
#endif
}

static inline void nx_put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)((v >> 16) & 0xff);
	p[1] = (uint8_t)((v >> 8) & 0xff);
	p[2] = (uint8_t)(v & 0xff);
}

static inline void nx_put_be32(uint8_t *p, uint32_t v)
{
#if NX_WIRE_BSWAP_STORES
	uint32_t be = __builtin_bswap32(v);

	__builtin_memcpy(p, &be, sizeof(be));
#else
	p[0] = (uint8_t)((v >> 24) & 0xff);
	p[1] = (uint8_t)((v >> 16) & 0xff);
	p[2] = (uint8_t)((v >> 8) & 0xff);
	p[3] = (uint8_t)(v & 0xff);
#endif
}

static inline void nx_put_be64(uint8_t *p, uint64_t v)
{
#if NX_WIRE_BSWAP_STORES
	uint64_t be = __builtin_bswap64(v);

	__builtin_memcpy(p, &be, sizeof(be));
#else
	nx_put_be32(p, (uint32_t)(v >> 32));
	nx_put_be32(p + 4, (uint32_t)(v & 0xffffffffu));
#endif
}

/* Bounds-checked readers: return false (and leave *v alone) if
 * [off, off + width) is not inside [0, len). */
static inline bool nx_get_be16_at(const uint8_t *p, size_t len, size_t off,
				  uint16_t *v)
{
	if (off > len || len - off < 2)
		return false;
	*v = nx_get_be16(p + off);
	return true;
}

static inline bool nx_get_be32_at(const uint8_t *p, size_t len, size_t off,
				  uint32_t *v)
{
	if (off > len || len - off < 4)
		return false;
	*v = nx_get_be32(p + off);
	return true;
}

static inline bool nx_get_be64_at(const uint8_t *p, size_t len, size_t off,
				  uint64_t *v)
{
	if (off > len || len - off < 8)
		return false;
	*v = nx_get_be64(p + off);
	return true;
}

#endif /* NX_WIRE_H */
