/* SPDX-License-Identifier: MIT */
/* Internal definitions shared by every module of the scan core. */
#ifndef FP_COMMON_H
#define FP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "fastport.h"

/*
 * Every address is held as a 128-bit number: IPv6 addresses as themselves,
 * IPv4 addresses as IPv4-mapped (::ffff:a.b.c.d), so one interval type and
 * one comparison serve both families.
 */
typedef unsigned __int128 u128;

#define ADDR_V4_PREFIX ((u128)0xffff << 32)
#define U128_MAX (~(u128)0)

static inline bool addr_is_v4(u128 a) { return (a >> 32) == 0xffff; }
static inline u128 addr_from_v4(uint32_t v4) { return ADDR_V4_PREFIX | v4; }
static inline uint32_t addr_v4(u128 a) { return (uint32_t)a; }

static inline bool is_dec_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of hex digit c (either case), or -1 when c is none. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
