/* ids: GUIDs (RFC 4122 version 4, lower case), random tokens and hashes. */
#ifndef DP_IDS_H
#define DP_IDS_H
#include <stdbool.h>
#include <stddef.h>

#define GUID_LEN 36
#define APIKEY_PREFIX "dp_"
#define HASH_HEX_LEN 64
#define IDS_SHA256_LEN 32

/* Fills buf (GUID_LEN + 1 bytes) with a fresh v4 GUID. 0 ok, -1 no entropy. */
int ids_guid_new(char *buf);
/* True when s is exactly a lower-case v4-shaped GUID as SPEC §2 defines. */
bool ids_guid_valid(const char *s);
/* Random bytes from the kernel; 0 ok, -1 failure. */
int ids_random(void *buf, size_t n);
/* A new API key: "dp_" + 43 base64url chars (256 random bits). */
int ids_apikey_new(char *buf, size_t cap);
/* SHA-256 of s: IDS_SHA256_LEN raw bytes. */
void ids_sha256(unsigned char *out, const char *s, size_t n);
/* SHA-256 of s as 64 lower-case hex digits (out: HASH_HEX_LEN + 1 bytes). */
void ids_sha256_hex(char *out, const char *s, size_t n);
/* n bytes as 2n lower-case hex digits and a NUL (a table, no snprintf). */
void ids_hex(char *out, const void *bytes, size_t n);
/* a == b over n bytes, in time that does not depend on where they differ. */
bool ids_equal_ct(const void *a, const void *b, size_t n);
/* 32 hex chars of randomness for trace ids. */
void ids_trace_new(char *out33);

#endif
