/* audit_int.h -- what audit.c (writing) and audit_verify.c (checking) share:
 * the line format and its hash, in one place so both agree byte for byte.
 *
 *   seq|ts|kind|participant|counterparty|instrument|qty|price|value|year|ref|detail|prev_hash|hash
 *
 * hash = lowercase hex of BLAKE2b-256 (libsodium crypto_generichash) over the
 * line's bytes up to, not including, the '|' before it: every field and the
 * previous line's hash. The first line's prev_hash is 64 zeros.
 */
#ifndef CETS_AUDIT_INT_H
#define CETS_AUDIT_INT_H

#include <stddef.h>

#include "cets/registry.h"

#define AUDIT_FIELDS 14
#define AUDIT_LINE_MAX 1024 /* longest line we ever write is well under this */

/* hex (65 bytes with the NUL) of the hash of s[0..n). */
void audit_hash_hex(const char *s, size_t n, char *hex);
/* The genesis prev_hash: 64 '0'. */
extern const char audit_zero_hash[CETS_AUDIT_HASH_HEX + 1];

#endif
