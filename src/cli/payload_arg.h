/* SPDX-License-Identifier: MIT */
/*
 * The user's UDP payloads: `--udp-payload PORT:HEX` and the lines of
 * `--udp-payload-file` ("PORT HEX" or "PORT:HEX", '#' comments). Bounded
 * parsers with no side effects, shared by the CLI and the fuzz harness.
 */
#ifndef FP_CLI_PAYLOAD_ARG_H
#define FP_CLI_PAYLOAD_ARG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses exactly len bytes of item: a decimal PORT from 0 to 65535, then
 * ':' or blanks, then an even number of hex digits (none: an empty
 * payload). Never reads outside item[0, len). out must
 * hold len / 2 bytes. Returns true with *port, out[0..*n). Else false, with
 * the reason in err (errlen bytes), naming the item, e.g. "expected
 * PORT:HEX with PORT from 0 to 65535, got 'x'".
 */
bool payload_item_parse(const char *item, size_t len, uint16_t *port, uint8_t *out,
			size_t *n, char *err, size_t errlen);

/*
 * A line of a payload file, len bytes: drops everything from '#', CR or LF
 * on and the blanks around the rest. Returns false for a line with nothing
 * left, else true with the item at line[*a, *b).
 */
bool payload_line_trim(const char *line, size_t len, size_t *a, size_t *b);

#endif
