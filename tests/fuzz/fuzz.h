/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every harness in tests/fuzz/ shares: libFuzzer's entry point, and a byte reader
 * that takes a harness's choices (mode bits, lengths) off the front of the input, so one
 * input picks the path and then feeds it.
 */
#ifndef ZCVPN_TESTS_FUZZ_H
#define ZCVPN_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_input {
	const uint8_t *data;
	size_t size;
};

/* The next byte, or 0 once the input is used up. */
static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
	uint8_t b = 0;

	if (in->size) {
		b = in->data[0];
		in->data++;
		in->size--;
	}
	return b;
}

/* A 16-bit big-endian number off the front (0 once used up). */
static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t hi = fuzz_byte(in);

	return (uint16_t)(hi << 8 | fuzz_byte(in));
}

#endif /* ZCVPN_TESTS_FUZZ_H */
