// SPDX-License-Identifier: GPL-2.0-or-later
/* Compressed qcow2 clusters: raw deflate (zlib type) and zstd frames. */
#include <errno.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

/* Compress @in into @out; returns the compressed length or -ENOSPC. */
int qc_compress(enum blk_compression type, const void *in, size_t inlen,
		void *out, size_t outlen)
{
	z_stream z = { 0 };
	size_t r;
	int ret;

	if (type == BLK_COMPRESS_ZSTD) {
		r = ZSTD_compress(out, outlen, in, inlen, 3);
		return ZSTD_isError(r) ? -ENOSPC : (int)r;
	}
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = inlen;
	z.next_out = out;
	z.avail_out = outlen;
	ret = deflate(&z, Z_FINISH);
	r = outlen - z.avail_out;
	deflateEnd(&z);
	return ret == Z_STREAM_END ? (int)r : -ENOSPC;
}

/*
 * Decompress into exactly @outlen bytes.  @in may carry trailing bytes
 * (the sector rounding of the descriptor).  Returns 0 or -EIO.
 */
int qc_decompress(enum blk_compression type, const void *in, size_t inlen,
		  void *out, size_t outlen)
{
	z_stream z = { 0 };
	int ret;

	if (type == BLK_COMPRESS_ZSTD) {
		ZSTD_DCtx *d = ZSTD_createDCtx();
		ZSTD_inBuffer ib = { in, inlen, 0 };
		ZSTD_outBuffer ob = { out, outlen, 0 };
		size_t r;

		if (!d)
			return -ENOMEM;
		do {
			r = ZSTD_decompressStream(d, &ob, &ib);
		} while (!ZSTD_isError(r) && ob.pos < outlen &&
			 ib.pos < inlen && r != 0);
		ZSTD_freeDCtx(d);
		return (!ZSTD_isError(r) && ob.pos == outlen) ? 0 : -EIO;
	}
	if (inflateInit2(&z, -12) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = inlen;
	z.next_out = out;
	z.avail_out = outlen;
	ret = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) &&
	    z.avail_out == 0)
		return 0;
	return -EIO;
}
