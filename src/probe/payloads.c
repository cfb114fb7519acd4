/* SPDX-License-Identifier: MIT */
/*
 * The UDP payload table: for each service the request we send (a template
 * whose cookie fields are zero), where the probe's cookie is written, and a
 * bounded parser that recognises the service's reply and checks that it
 * echoes the cookie. Each entry names the document its bytes come from.
 *
 * Cookie bits: the probe's source port already carries bits 32-45 of the
 * cookie (cookie_sport); request fields take the low bits first, so a
 * 16-bit ID and the source port are independent checks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "payloads.h"
#include "quic.h"
#include "../net/checksum.h"

#define Z16 "0000000000000000"
#define Z8 "00000000"

static const char hexdig[16] = "0123456789abcdef";

/* Writes the low 4 * n bits of v as n lowercase hex digits. */
static void hex_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)hexdig[(v >> (4 * (n - 1 - i))) & 0xf];
}

/* Whether needle (nlen bytes) occurs in the len bytes at p. */
static bool has(const uint8_t *p, size_t len, const void *needle, size_t nlen)
{
	return memmem(p, len, needle, nlen) != NULL;
}

#define TEXT(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

/* ------------------------------------------------------------------ */
/* DNS-shaped headers: DNS, mDNS and NetBIOS-NS share RFC 1035 4.1.1. */

static void id16_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be16_store(p, (uint16_t)ck);
}

/* Moves *off past a domain name (RFC 1035 4.1.4: labels, ending in a root
 * label or a compression pointer); false when it runs past len. */
static bool dns_skip_name(const uint8_t *p, size_t len, size_t *off)
{
	size_t o = *off;

	for (int i = 0; i < 128; i++) {
		if (o >= len)
			return false;
		if (p[o] == 0) {
			*off = o + 1;
			return true;
		}
		if ((p[o] & 0xc0) == 0xc0) {
			if (len - o < 2)
				return false;
			*off = o + 2;
			return true;
		}
		if (p[o] & 0xc0)
			return false;
		o += 1 + (size_t)p[o];
	}
	return false;
}

/*
 * A response (QR set) with opcode QUERY and our ID whose every question and
 * resource record (RFC 1035 4.1.2-4.1.3) lies within the datagram.
 */
static bool dns_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	size_t off = 12;
	unsigned qd, rr;

	if (len < 12 || be16_load(p) != (uint16_t)ck || !(p[2] & 0x80) || ((p[2] >> 3) & 0xf) != 0)
		return false;
	qd = be16_load(p + 4);
	rr = (unsigned)be16_load(p + 6) + be16_load(p + 8) + be16_load(p + 10);
	for (unsigned i = 0; i < qd; i++) {
		if (!dns_skip_name(p, len, &off) || len - off < 4)
			return false;
		off += 4;
	}
	for (unsigned i = 0; i < rr; i++) {
		size_t rdlen;

		if (!dns_skip_name(p, len, &off) || len - off < 10)
			return false;
		rdlen = be16_load(p + off + 8);
		off += 10;
		if (rdlen > len - off)
			return false;
		off += rdlen;
	}
	return true;
}

/*
 * RFC 1035 4.1, 3.2.4 (class CH) and 3.3.14 (TXT): the server's own
 * version.bind, non-recursive. Every DNS server answers it: with the TXT
 * record (BIND, dnsmasq, unbound, Knot, PowerDNS unless configured to hide
 * it), or with REFUSED/NOTIMP, which still shows a DNS server.
 */
static const uint8_t dns_tmpl[] = {
	0x00, 0x00,             /* ID: cookie bits 0-15 */
	0x00, 0x00,             /* QUERY, no RD */
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* QD=1 */
	7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 4, 'b', 'i', 'n', 'd', 0,
	0x00, 0x10,             /* QTYPE TXT */
	0x00, 0x03,             /* QCLASS CH */
};

/*
 * dns_parse, then the first TXT record of class CH in the answer section:
 * its first character-string (RFC 1035 3.3.14: a length octet, then that
 * many octets within RDLENGTH) is the product ("dnsmasq-2.90", "9.18.28").
 */
static int dns_classify(const uint8_t *p, size_t len, uint64_t ck, struct finding *f)
{
	size_t off = 12;
	unsigned qd, an;

	if (!dns_parse(p, len, ck))
		return -1;
	if (!f)
		return 1;
	/* Walked again: dns_parse showed every record lies within len. */
	qd = be16_load(p + 4);
	an = be16_load(p + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (!dns_skip_name(p, len, &off) || len - off < 4)
			return 1;
		off += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		size_t rdlen;

		if (!dns_skip_name(p, len, &off) || len - off < 10)
			return 1;
		rdlen = be16_load(p + off + 8);
		if (be16_load(p + off) == 16 && be16_load(p + off + 2) == 3 && rdlen >= 2 &&
		    rdlen <= len - off - 10 && p[off + 10] >= 1 && p[off + 10] <= rdlen - 1) {
			f->product = (const char *)p + off + 11;
			f->product_len = p[off + 10];
			return 1;
		}
		off += 10;
		if (rdlen > len - off)
			return 1;
		off += rdlen;
	}
	return 1;
}

/*
 * RFC 6762 6.7 (legacy unicast: a query from a port other than 5353 is
 * answered to that port with its ID) and RFC 6763 9 (service enumeration).
 */
static const uint8_t mdns_tmpl[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	9, '_', 's', 'e', 'r', 'v', 'i', 'c', 'e', 's',
	7, '_', 'd', 'n', 's', '-', 's', 'd',
	4, '_', 'u', 'd', 'p',
	5, 'l', 'o', 'c', 'a', 'l', 0,
	0x00, 0x0c,             /* PTR */
	0x00, 0x01,             /* IN */
};

/* RFC 1002 4.2.17: NODE STATUS REQUEST for the wildcard name "*". */
static const uint8_t nbns_tmpl[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x20, 'C', 'K', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
	'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 0x00,
	0x00, 0x21,             /* NBSTAT */
	0x00, 0x01,             /* IN */
};

/* ------------------------------------------------------------------ */
/* NTP, RFC 5905 7.3: a version 4 client packet; the server copies our
 * transmit timestamp into its origin timestamp (RFC 5905 8). */

static const uint8_t ntp_tmpl[48] = {
	[0] = 0x23,             /* LI 0, VN 4, mode 3 (client) */
	/* [40..47] transmit timestamp: the cookie */
};

static void ntp_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be64_store(p + 40, ck);
}

static bool ntp_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	unsigned vn;

	if (len < 48)
		return false;
	vn = (p[0] >> 3) & 7;
	return (p[0] & 7) == 4 && vn >= 1 && vn <= 4 && be64_load(p + 24) == ck;
}

/*
 * A server answers with its version number (VN). ntpd and chrony copy
 * the request's, so against our version 4 request this mostly says that
 * the server speaks version 4. The packet names no product.
 */
static int ntp_classify(const uint8_t *p, size_t len, uint64_t ck, struct finding *f)
{
	static const char vn_text[][3] = { "v1", "v2", "v3", "v4" };

	if (!ntp_parse(p, len, ck))
		return -1;
	if (f) {
		f->version = vn_text[((p[0] >> 3) & 7) - 1];
		f->version_len = 2;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/*
 * BER (ITU-T X.690 8.1): SNMP and CLDAP. The request IDs are INTEGERs, and
 * minimal BER cannot hold leading zero octets, so the ID is 0x40000000 |
 * cookie bits 0-29: always four octets, never negative.
 */

static uint32_t ber_id(uint64_t ck)
{
	return 0x40000000u | ((uint32_t)ck & 0x3fffffffu);
}

/* Reads the identifier and length octets of an element with tag at *off;
 * its content must lie within len. Moves *off to the content. */
static bool ber_elem(const uint8_t *p, size_t len, size_t *off, uint8_t tag, size_t *clen)
{
	size_t o = *off, n;

	if (o > len || len - o < 2 || p[o] != tag)
		return false;
	n = p[o + 1];
	o += 2;
	if (n & 0x80) {
		size_t k = n & 0x7f;

		if (k == 0 || k > 3 || len - o < k)
			return false;
		n = 0;
		while (k--)
			n = n << 8 | p[o++];
	}
	if (n > len - o)
		return false;
	*off = o;
	*clen = n;
	return true;
}

/* A non-negative INTEGER of at most 4 value octets (plus a leading zero). */
static bool ber_uint(const uint8_t *p, size_t len, size_t *off, uint32_t *v)
{
	size_t n, o = *off;
	uint64_t x = 0;

	if (!ber_elem(p, len, &o, 0x02, &n) || n < 1 || n > 5 || (p[o] & 0x80))
		return false;
	if (n == 5 && p[o] != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		x = x << 8 | p[o + i];
	*v = (uint32_t)x;
	*off = o + n;
	return true;
}

static void ber_id_write_at(uint8_t *p, size_t off, uint64_t ck)
{
	be32_store(p + off, ber_id(ck));
}

/* RFC 3416 (v2c PDUs), RFC 1901 (community message), RFC 1213 (sysDescr):
 * GetRequest sysDescr.0 with community "public". */
#define SNMP_TMPL(ver) {                                                      \
	0x30, 0x29,                                     /* Message */       \
	0x02, 0x01, (ver),                              /* version */       \
	0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c',       /* community */     \
	0xa0, 0x1c,                                     /* GetRequest */    \
	0x02, 0x04, 0x00, 0x00, 0x00, 0x00,             /* request-id @17 */ \
	0x02, 0x01, 0x00,                               /* error-status */  \
	0x02, 0x01, 0x00,                               /* error-index */   \
	0x30, 0x0e, 0x30, 0x0c,                         /* varbinds */      \
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, /* 1.3.6.1.2.1.1.1.0 */ \
	0x05, 0x00,                                     /* NULL */          \
}
static const uint8_t snmp2_tmpl[] = SNMP_TMPL(1);
/* RFC 1157 4.1: the same request as SNMPv1 (version 0). */
static const uint8_t snmp1_tmpl[] = SNMP_TMPL(0);

static void snmp_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	ber_id_write_at(p, 17, ck);
}

/* A v1 or v2c GetResponse/Response-PDU (tag 0xa2) with our request-id. */
static bool snmp_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	size_t off = 0, n;
	uint32_t v;

	if (!ber_elem(p, len, &off, 0x30, &n))
		return false;
	len = off + n;
	if (!ber_uint(p, len, &off, &v) || v > 1)
		return false;
	if (!ber_elem(p, len, &off, 0x04, &n))
		return false;
	off += n;
	if (!ber_elem(p, len, &off, 0xa2, &n))
		return false;
	return ber_uint(p, off + n, &off, &v) && v == ber_id(ck);
}

/*
 * A reply snmp_parse takes; when it has no error and its first variable
 * binding is sysDescr.0 with an OCTET STRING value (RFC 3416 3, RFC 1213
 * 6), that string is f's product.
 */
static int snmp_classify(const uint8_t *p, size_t len, uint64_t ck, struct finding *f)
{
	static const uint8_t sysdescr0[] = { 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00 };
	size_t off = 0, n, end;
	uint32_t v;

	if (!snmp_parse(p, len, ck))
		return -1;
	if (!f)
		return 1;
	/* Parsed again, the checks above being known to pass. */
	if (!ber_elem(p, len, &off, 0x30, &n))
		return 1;
	len = off + n;
	if (!ber_uint(p, len, &off, &v) || !ber_elem(p, len, &off, 0x04, &n))
		return 1;
	off += n;
	if (!ber_elem(p, len, &off, 0xa2, &n))
		return 1;
	end = off + n;
	/* request-id, error-status 0, error-index */
	if (!ber_uint(p, end, &off, &v) || !ber_uint(p, end, &off, &v) || v != 0 ||
	    !ber_uint(p, end, &off, &v))
		return 1;
	/* VarBindList, its first VarBind, name, value */
	if (!ber_elem(p, end, &off, 0x30, &n) || !ber_elem(p, off + n, &off, 0x30, &n))
		return 1;
	end = off + n;
	if (end - off < sizeof(sysdescr0) || memcmp(p + off, sysdescr0, sizeof(sysdescr0)) != 0)
		return 1;
	off += sizeof(sysdescr0);
	if (!ber_elem(p, end, &off, 0x04, &n) || n == 0 || n > UINT16_MAX)
		return 1;
	f->product = (const char *)p + off;
	f->product_len = (uint16_t)n;
	return 1;
}

/* RFC 4511 4.1.1, 4.5.1 over UDP (RFC 1798, CLDAP): a base-object search of
 * the root DSE for namingContexts. */
static const uint8_t cldap_tmpl[] = {
	0x30, 0x38,                                     /* LDAPMessage */
	0x02, 0x04, 0x00, 0x00, 0x00, 0x00,             /* messageID @4 */
	0x63, 0x30,                                     /* searchRequest */
	0x04, 0x00,                                     /* baseObject "" */
	0x0a, 0x01, 0x00,                               /* scope baseObject */
	0x0a, 0x01, 0x00,                               /* derefAliases never */
	0x02, 0x01, 0x00,                               /* sizeLimit */
	0x02, 0x01, 0x00,                               /* timeLimit */
	0x01, 0x01, 0x00,                               /* typesOnly false */
	0x87, 0x0b, 'o', 'b', 'j', 'e', 'c', 't', 'C', 'l', 'a', 's', 's', /* present */
	0x30, 0x10, 0x04, 0x0e,
	'n', 'a', 'm', 'i', 'n', 'g', 'C', 'o', 'n', 't', 'e', 'x', 't', 's',
};

static void cldap_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	ber_id_write_at(p, 4, ck);
}

/* An LDAPMessage with our messageID carrying searchResEntry or searchResDone. */
static bool cldap_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	size_t off = 0, n;
	uint32_t v;

	if (!ber_elem(p, len, &off, 0x30, &n))
		return false;
	len = off + n;
	if (!ber_uint(p, len, &off, &v) || v != ber_id(ck))
		return false;
	return off < len && (p[off] == 0x64 || p[off] == 0x65);
}

/* ------------------------------------------------------------------ */
/* UPnP Device Architecture 1.1, 1.3.2: an SSDP search; no ID to echo. */

static const char ssdp_text[] =
	"M-SEARCH * HTTP/1.1\r\n"
	"HOST: 239.255.255.250:1900\r\n"
	"MAN: \"ssdp:discover\"\r\n"
	"MX: 1\r\n"
	"ST: ssdp:all\r\n"
	"\r\n";

static bool ssdp_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	(void)ck;
	return len >= 12 && !strncasecmp((const char *)p, "HTTP/1.", 7) && p[8] == ' ' &&
	       p[9] >= '1' && p[9] <= '5' && has(p, len, "\r\n\r\n", 4);
}

/* ------------------------------------------------------------------ */
/* memcached doc/protocol.txt, "UDP protocol": an 8-byte frame header whose
 * request ID the server echoes, then "stats". */

static const uint8_t memcached_tmpl[] = {
	0x00, 0x00,             /* request ID: cookie bits 0-15 */
	0x00, 0x00,             /* sequence number */
	0x00, 0x01,             /* datagrams in this message */
	0x00, 0x00,             /* reserved */
	's', 't', 'a', 't', 's', '\r', '\n',
};

static bool memcached_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	return len >= 8 && be16_load(p) == (uint16_t)ck && be16_load(p + 4) >= 1 &&
	       be16_load(p + 2) < be16_load(p + 4) && be16_load(p + 6) == 0;
}

/* ------------------------------------------------------------------ */
/* CoAP, RFC 7252 3 and RFC 6690 4: a confirmable GET /.well-known/core
 * with message ID = cookie bits 0-15 and an 8-byte token = the cookie. */

static const uint8_t coap_tmpl[] = {
	0x48,                   /* version 1, CON, token length 8 */
	0x01,                   /* GET */
	0x00, 0x00,             /* message ID */
	0, 0, 0, 0, 0, 0, 0, 0, /* token */
	0xbb, '.', 'w', 'e', 'l', 'l', '-', 'k', 'n', 'o', 'w', 'n', /* Uri-Path (11) */
	0x04, 'c', 'o', 'r', 'e',                                     /* Uri-Path */
};

static void coap_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be16_store(p + 2, (uint16_t)ck);
	be64_store(p + 4, ck);
}

/*
 * An ACK or RST to our message ID (RFC 7252 4.2), whose token, if any, is
 * ours; or a separate response (CON/NON) carrying our token (5.2.2).
 */
static bool coap_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	unsigned type, tkl;
	bool tok;

	if (len < 4 || p[0] >> 6 != 1)
		return false;
	type = (p[0] >> 4) & 3;
	tkl = p[0] & 0xf;
	if (tkl > 8 || len < 4 + tkl)
		return false;
	tok = tkl == 8 && be64_load(p + 4) == ck;
	if (type >= 2)
		return be16_load(p + 2) == (uint16_t)ck && (tkl == 0 || tok) &&
		       (type == 2 || p[1] == 0);
	return tok && p[1] >> 5 >= 2;
}

/* ------------------------------------------------------------------ */
/*
 * SIP, RFC 3261 11 (OPTIONS) and 8.1.1.7 (the branch, which a response's
 * Via echoes), with rport (RFC 3581) so the answer comes to our port. The
 * branch and the Call-ID carry the cookie in hex.
 */

#define SIP_A "OPTIONS sip:fastport@fastport.invalid SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP fastport.invalid;rport;branch=z9hG4bK"
#define SIP_B "\r\nMax-Forwards: 70\r\n" \
	"To: <sip:fastport@fastport.invalid>\r\n" \
	"From: <sip:fastport@fastport.invalid>;tag=fp\r\n" \
	"Call-ID: "
#define SIP_C "@fastport.invalid\r\n" \
	"CSeq: 1 OPTIONS\r\n" \
	"Contact: <sip:fastport@fastport.invalid>\r\n" \
	"Accept: application/sdp\r\n" \
	"Content-Length: 0\r\n\r\n"
#define SIP_BRANCH_OFF (sizeof(SIP_A) - 1)
#define SIP_CALLID_OFF (SIP_BRANCH_OFF + 16 + sizeof(SIP_B) - 1)

static const char sip_text[] = SIP_A Z16 SIP_B Z16 SIP_C;

static void sip_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	hex_put(p + SIP_BRANCH_OFF, ck, 16);
	hex_put(p + SIP_CALLID_OFF, ck, 16);
}

static bool sip_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	uint8_t branch[7 + 16];

	if (len < 12 || memcmp(p, "SIP/2.0 ", 8) != 0)
		return false;
	for (int i = 8; i < 11; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	memcpy(branch, "z9hG4bK", 7);
	hex_put(branch + 7, ck, 16);
	return has(p, len, branch, sizeof(branch)) && has(p, len, "\r\n\r\n", 4);
}

/* ------------------------------------------------------------------ */
/*
 * IKEv2, RFC 7296 3.1-3.4, 3.9: IKE_SA_INIT with one proposal
 * (AES-CBC-128, HMAC-SHA1-96, PRF-HMAC-SHA1, 2048-bit MODP group 14), a
 * KE payload and a nonce. The initiator SPI is the cookie; every answer,
 * a notification of failure included, echoes it (RFC 7296 2.6).
 */

#define IKE_LEN 376
#define IKE_KE 76               /* KE payload */
#define IKE_NONCE (IKE_KE + 264) /* Nonce payload */

static const uint8_t ike_tmpl[IKE_LEN] = {
	/* header: SPIi [0..7] cookie, SPIr [8..15] zero */
	[16] = 33,              /* next payload: SA */
	[17] = 0x20,            /* version 2.0 */
	[18] = 34,              /* IKE_SA_INIT */
	[19] = 0x08,            /* Initiator */
	[24] = 0x00, 0x00, 0x01, 0x78, /* length 376 */
	/* SA payload */
	[28] = 34, 0x00, 0x00, 48,
	/* proposal 1: IKE, no SPI, 4 transforms */
	[32] = 0, 0, 0x00, 44, 1, 1, 0, 4,
	[40] = 3, 0, 0x00, 12, 1, 0, 0x00, 12, 0x80, 0x0e, 0x00, 0x80, /* ENCR_AES_CBC 128 */
	[52] = 3, 0, 0x00, 8, 2, 0, 0x00, 2,    /* PRF_HMAC_SHA1 */
	[60] = 3, 0, 0x00, 8, 3, 0, 0x00, 2,    /* AUTH_HMAC_SHA1_96 */
	[68] = 0, 0, 0x00, 8, 4, 0, 0x00, 14,   /* DH group 14 */
	/* KE payload: group 14, 256 bytes of key data (a fixed value) */
	[IKE_KE] = 40, 0, 0x01, 0x08, 0x00, 14, 0, 0,
	[IKE_KE + 8 ... IKE_KE + 263] = 0x5a,
	/* Nonce payload: 32 bytes */
	[IKE_NONCE] = 0, 0, 0x00, 36,
	[IKE_NONCE + 4 ... IKE_NONCE + 35] = 0xa5,
};

static void ike_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be64_store(p, ck);
}

/* Our initiator SPI in an IKEv2 response, or in an IKEv1 message (an IKEv1
 * responder's INVALID-MAJOR-VERSION notification also echoes it). */
static bool ike_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	unsigned major;

	if (len < 28 || be64_load(p) != ck || be32_load(p + 24) < 28 || be32_load(p + 24) > len)
		return false;
	major = p[17] >> 4;
	return (major == 2 && (p[19] & 0x20)) || major == 1;
}

/* ------------------------------------------------------------------ */
/*
 * DTLS 1.2, RFC 6347 4.1-4.2 and RFC 5246 7.4.1.2: a ClientHello whose
 * record sequence number is cookie bits 0-47. RFC 6347 4.2.1 has the
 * HelloVerifyRequest repeat it, but OpenSSL 3 (DTLSv1_listen) answers with
 * sequence number 0, and a ServerHello or an alert need not repeat it: so
 * replies are recognised by their framing alone (a handshake or alert
 * record of a DTLS version whose length fits the datagram).
 */

static const uint8_t dtls_tmpl[] = {
	0x16, 0xfe, 0xfd,                               /* handshake, DTLS 1.2 */
	0x00, 0x00,                                     /* epoch */
	0, 0, 0, 0, 0, 0,                               /* sequence number @5 */
	0x00, 99,                                       /* length */
	0x01, 0x00, 0x00, 87,                           /* ClientHello */
	0x00, 0x00,                                     /* message_seq */
	0x00, 0x00, 0x00,                               /* fragment_offset */
	0x00, 0x00, 87,                                 /* fragment_length */
	0xfe, 0xfd,                                     /* client_version */
	0x66, 0x61, 0x73, 0x74, 0x70, 0x6f, 0x72, 0x74, /* random @27 ("fastport"...) */
	0x66, 0x61, 0x73, 0x74, 0x70, 0x6f, 0x72, 0x74,
	0x66, 0x61, 0x73, 0x74, 0x70, 0x6f, 0x72, 0x74,
	0x66, 0x61, 0x73, 0x74, 0x70, 0x6f, 0x72, 0x74,
	0x00,                                           /* session_id */
	0x00,                                           /* cookie */
	0x00, 12,                                       /* cipher suites */
	0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0xae, 0xc0, 0xa8, 0x00, 0x9c, 0x00, 0x2f,
	0x01, 0x00,                                     /* compression: null */
	0x00, 33,                                       /* extensions */
	0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, /* groups: secp256r1 */
	0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,             /* point formats */
	0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x04, 0x01, /* sig algs */
	0x00, 0x17, 0x00, 0x00,                         /* extended master secret */
	0xff, 0x01, 0x00, 0x01, 0x00,                   /* renegotiation info */
};

static void dtls_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be16_store(p + 5, (uint16_t)(ck >> 32));
	be32_store(p + 7, (uint32_t)ck);
	be64_store(p + 27, ck);
}

static bool dtls_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	(void)ck;
	return len >= 13 && (p[0] == 21 || p[0] == 22) && p[1] == 0xfe &&
	       be16_load(p + 11) <= len - 13;
}

/* ------------------------------------------------------------------ */
/*
 * OpenVPN, "OpenVPN wire protocol" (doc/doxygen/doc_protocol_overview.h and
 * ssl_pkt.h): P_CONTROL_HARD_RESET_CLIENT_V2 with session ID = the cookie.
 * The server's P_CONTROL_HARD_RESET_SERVER_V2 (or P_ACK_V1) acknowledges it
 * and names our session as the remote session ID. Servers with tls-auth or
 * tls-crypt drop an unauthenticated reset: no answer.
 */

static const uint8_t openvpn_tmpl[] = {
	0x38,                   /* opcode 7 (hard reset client v2), key id 0 */
	0, 0, 0, 0, 0, 0, 0, 0, /* session ID */
	0x00,                   /* ack array length */
	0x00, 0x00, 0x00, 0x00, /* packet ID */
};

static void openvpn_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be64_store(p + 1, ck);
}

static bool openvpn_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	unsigned op, n;
	size_t off;

	if (len < 10)
		return false;
	op = p[0] >> 3;
	if (op != 8 && op != 5)
		return false;
	n = p[9];
	if (n == 0 || n > 8)
		return false;
	off = 10 + 4 * (size_t)n;
	/* A reset from the server also carries its own packet ID. */
	return len >= off + 8 + (op == 8 ? 4 : 0) && be64_load(p + off) == ck;
}

/* ------------------------------------------------------------------ */
/*
 * TFTP, RFC 1350: a read request. The server answers from a new port (its
 * transfer ID, RFC 1350 4) with DATA block 1 or an ERROR; neither carries
 * anything of ours, so only the shape is checked.
 */

static const uint8_t tftp_tmpl[] = {
	0x00, 0x01, 'f', 'a', 's', 't', 'p', 'o', 'r', 't', '.', 't', 'x', 't', 0x00,
	'o', 'c', 't', 'e', 't', 0x00,
};

static bool tftp_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	(void)ck;
	if (len < 4)
		return false;
	if (be16_load(p) == 3)
		return be16_load(p + 2) == 1;
	/* An ERROR's message is NUL-terminated. */
	return be16_load(p) == 5 && be16_load(p + 2) <= 8 && len > 4 && p[len - 1] == 0;
}

/* ------------------------------------------------------------------ */
/* ONC RPC, RFC 5531 9 and portmapper RFC 1833 3: a NULL call to program
 * 100000 version 2, XID = cookie bits 0-31. */

static const uint8_t rpc_tmpl[] = {
	0x00, 0x00, 0x00, 0x00, /* XID */
	0x00, 0x00, 0x00, 0x00, /* CALL */
	0x00, 0x00, 0x00, 0x02, /* RPC version 2 */
	0x00, 0x01, 0x86, 0xa0, /* program 100000 */
	0x00, 0x00, 0x00, 0x02, /* version 2 */
	0x00, 0x00, 0x00, 0x00, /* procedure NULL */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* credential AUTH_NONE */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* verifier AUTH_NONE */
};

static void xid32_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	be32_store(p, (uint32_t)ck);
}

/* A REPLY with our XID, accepted (verifier and accept_stat present) or
 * denied (reject_stat present), RFC 5531 9. */
static bool rpc_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	uint32_t vlen;

	if (len < 16 || be32_load(p) != (uint32_t)ck || be32_load(p + 4) != 1 ||
	    be32_load(p + 8) > 1)
		return false;
	if (be32_load(p + 8) == 1)
		return true;
	if (len < 20)
		return false;
	vlen = be32_load(p + 16);
	if (vlen > 400) /* RFC 5531 8.2: opaque_auth body <= 400 bytes */
		return false;
	return len - 20 >= ((size_t)vlen + 3) / 4 * 4 + 4;
}

/* ------------------------------------------------------------------ */
/*
 * WS-Discovery 1.1 (OASIS, 2009) 5.2: a Probe whose WS-Addressing
 * MessageID is a UUID made from the cookie; a ProbeMatches names it in
 * RelatesTo.
 */

#define WSD_A "<?xml version=\"1.0\" encoding=\"utf-8\"?>" \
	"<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" " \
	"xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" " \
	"xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\">" \
	"<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>" \
	"<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>" \
	"<wsa:MessageID>urn:uuid:"
#define WSD_UUID Z8 "-0000-4000-8000-0000" Z8
#define WSD_B "</wsa:MessageID></soap:Header><soap:Body><wsd:Probe/></soap:Body></soap:Envelope>"
#define WSD_UUID_OFF (sizeof(WSD_A) - 1)
#define WSD_UUID_LEN (sizeof(WSD_UUID) - 1)

static const char wsd_text[] = WSD_A WSD_UUID WSD_B;

static void wsd_uuid(uint8_t *u, uint64_t ck)
{
	memcpy(u, WSD_UUID, WSD_UUID_LEN);
	hex_put(u, ck >> 32, 8);
	hex_put(u + 28, ck, 8);
}

static void wsd_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	wsd_uuid(p + WSD_UUID_OFF, ck);
}

static bool wsd_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	uint8_t uuid[WSD_UUID_LEN];

	/* The whole document: it ends with the Envelope's end tag. */
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == '\t'))
		len--;
	if (len < 9 || memcmp(p + len - 9, "Envelope>", 9) != 0)
		return false;
	wsd_uuid(uuid, ck);
	return has(p, len, uuid, sizeof(uuid));
}

/* ------------------------------------------------------------------ */
/* Echo, RFC 862: the datagram comes back as sent. */

#define ECHO_A "fastport echo "
static const char echo_text[] = ECHO_A Z16 "\n";

static void echo_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	hex_put(p + sizeof(ECHO_A) - 1, ck, 16);
}

static bool echo_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	uint8_t want[sizeof(echo_text) - 1];

	if (len != sizeof(want))
		return false;
	memcpy(want, echo_text, sizeof(want));
	echo_write(want, sizeof(want), ck);
	return memcmp(p, want, sizeof(want)) == 0;
}

/* Character Generator, RFC 864: any datagram gets 0-512 printable
 * characters back; there is nothing to echo. */
static const char chargen_text[] = "fastport\n";

static bool chargen_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	(void)ck;
	/* RFC 864 says up to 512; xinetd sends 1024. */
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/*
 * RADIUS, RFC 2865 3 and 5.1: an Access-Request for User-Name "fastport"
 * with identifier = cookie bits 0-7 and the cookie in the Request
 * Authenticator. Only the identifier can be checked: the Response
 * Authenticator needs the shared secret. Unknown clients get no answer.
 */

static const uint8_t radius_tmpl[] = {
	0x01,                   /* Access-Request */
	0x00,                   /* identifier */
	0x00, 30,               /* length */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* authenticator */
	0x01, 10, 'f', 'a', 's', 't', 'p', 'o', 'r', 't', /* User-Name */
};

static void radius_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	p[1] = (uint8_t)ck;
	be64_store(p + 4, ck);
	be64_store(p + 12, ~ck);
}

/* Access-Accept, -Reject or -Challenge with our identifier. */
static bool radius_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	return len >= 20 && (p[0] == 2 || p[0] == 3 || p[0] == 11) && p[1] == (uint8_t)ck &&
	       be16_load(p + 2) >= 20 && be16_load(p + 2) <= len;
}

/* ------------------------------------------------------------------ */
/*
 * Quake III Arena, ioquake3 code/server/sv_main.c SVC_Status: "getstatus"
 * with a challenge, which ioquake3 repeats in the infostring as
 * \challenge\<value>; older servers leave it out.
 */

#define Q3_A "\xff\xff\xff\xff" "getstatus "
static const char q3_text[] = Q3_A Z16 "\n";

static void q3_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	hex_put(p + sizeof(Q3_A) - 1, ck, 16);
}

static bool q3_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	static const char head[] = "\xff\xff\xff\xff" "statusResponse";
	static const char key[] = "\\challenge\\";
	const uint8_t *c;
	uint8_t want[16];

	/* The infostring and each player line end with a newline. */
	if (len < sizeof(head) - 1 || memcmp(p, head, sizeof(head) - 1) != 0 || p[len - 1] != '\n')
		return false;
	c = memmem(p, len, key, sizeof(key) - 1);
	if (!c)
		return true;
	c += sizeof(key) - 1;
	hex_put(want, ck, 16);
	return (size_t)(p + len - c) >= sizeof(want) && memcmp(c, want, sizeof(want)) == 0;
}

/*
 * Source engine, A2S_INFO (Valve Developer Community, "Server queries"):
 * answered by S2A_INFO ('I'), a challenge ('A'), the old GoldSource 'm',
 * or a split packet (-2 header). No field of ours comes back.
 */
static const char a2s_text[] = "\xff\xff\xff\xff" "TSource Engine Query";

static bool a2s_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	(void)ck;
	if (len < 5)
		return false;
	if (be32_load(p) == 0xfffffffeu)
		return true;
	return be32_load(p) == 0xffffffffu && (p[4] == 'I' || p[4] == 'A' || p[4] == 'm');
}

/* ------------------------------------------------------------------ */
/* STUN, RFC 8489 5-6: a Binding request; the 96-bit transaction ID is the
 * cookie followed by its two halves XORed. */

static const uint8_t stun_tmpl[] = {
	0x00, 0x01, 0x00, 0x00, /* Binding request, no attributes */
	0x21, 0x12, 0xa4, 0x42, /* magic cookie */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* transaction ID */
};

static void stun_txid(uint8_t *t, uint64_t ck)
{
	be64_store(t, ck);
	be32_store(t + 8, (uint32_t)ck ^ (uint32_t)(ck >> 32));
}

static void stun_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	stun_txid(p + 8, ck);
}

/* A Binding success or error response with our transaction ID. */
static bool stun_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	uint8_t t[12];

	if (len < 20 || (be16_load(p) != 0x0101 && be16_load(p) != 0x0111) ||
	    be32_load(p + 4) != 0x2112a442u || (be16_load(p + 2) & 3) ||
	    be16_load(p + 2) > len - 20)
		return false;
	stun_txid(t, ck);
	return memcmp(p + 8, t, sizeof(t)) == 0;
}

/* ------------------------------------------------------------------ */
/*
 * QUIC, RFC 9000 6 and 17.2.1: the QUIC probe's packet (src/probe/quic.h),
 * a long header in a reserved version padded to 1200 bytes, which every
 * QUIC server answers with Version Negotiation echoing our connection IDs
 * (the cookie) and listing its versions. Other services on these ports
 * may answer otherwise: such a reply shows the port open, unnamed.
 */

static void quic_write(uint8_t *p, size_t len, uint64_t ck)
{
	(void)len;
	quic_probe_fill(p, ck, 0);
}

static int quic_classify(const uint8_t *p, size_t len, uint64_t ck, struct finding *f)
{
	struct quic_vn vn;
	int r = quic_vn_answer(p, len, ck, &vn);

	if (r > 0 && f) {
		f->quic_versions = vn.versions;
		f->n_quic_versions = vn.n_versions;
	}
	return r;
}

static bool quic_parse(const uint8_t *p, size_t len, uint64_t ck)
{
	return quic_classify(p, len, ck, NULL) > 0;
}

/* ------------------------------------------------------------------ */

#define PORTS(...) ((const uint16_t[]){ __VA_ARGS__, 0 })

const struct udp_payload udp_payloads[] = {
	{ "dns", PORTS(53), dns_tmpl, sizeof(dns_tmpl), id16_write, dns_parse, true, dns_classify },
	{ "ntp", PORTS(123), ntp_tmpl, sizeof(ntp_tmpl), ntp_write, ntp_parse, true,
	  ntp_classify },
	{ "snmp", PORTS(161), snmp2_tmpl, sizeof(snmp2_tmpl), snmp_write, snmp_parse, true,
	  snmp_classify },
	/* Not sent by default (v2c is); kept for --udp-payload and the tests. */
	{ "snmp-v1", PORTS(0), snmp1_tmpl, sizeof(snmp1_tmpl), snmp_write, snmp_parse, true,
	  snmp_classify },
	{ "netbios-ns", PORTS(137), nbns_tmpl, sizeof(nbns_tmpl), id16_write, dns_parse, true, NULL },
	{ "ssdp", PORTS(1900), TEXT(ssdp_text), NULL, ssdp_parse, false, NULL },
	{ "mdns", PORTS(5353), mdns_tmpl, sizeof(mdns_tmpl), id16_write, dns_parse, true, NULL },
	{ "memcached", PORTS(11211), memcached_tmpl, sizeof(memcached_tmpl), id16_write,
	  memcached_parse, true, NULL },
	{ "coap", PORTS(5683), coap_tmpl, sizeof(coap_tmpl), coap_write, coap_parse, true, NULL },
	{ "sip", PORTS(5060), TEXT(sip_text), sip_write, sip_parse, true, NULL },
	{ "ike", PORTS(500), ike_tmpl, sizeof(ike_tmpl), ike_write, ike_parse, true, NULL },
	{ "dtls", PORTS(4433, 5684), dtls_tmpl, sizeof(dtls_tmpl), dtls_write, dtls_parse, false, NULL },
	{ "openvpn", PORTS(1194), openvpn_tmpl, sizeof(openvpn_tmpl), openvpn_write,
	  openvpn_parse, true, NULL },
	{ "tftp", PORTS(69), tftp_tmpl, sizeof(tftp_tmpl), NULL, tftp_parse, false, NULL },
	{ "rpcbind", PORTS(111), rpc_tmpl, sizeof(rpc_tmpl), xid32_write, rpc_parse, true, NULL },
	{ "cldap", PORTS(389), cldap_tmpl, sizeof(cldap_tmpl), cldap_write, cldap_parse, true, NULL },
	{ "ws-discovery", PORTS(3702), TEXT(wsd_text), wsd_write, wsd_parse, true, NULL },
	{ "echo", PORTS(7), TEXT(echo_text), echo_write, echo_parse, true, NULL },
	{ "chargen", PORTS(19), TEXT(chargen_text), NULL, chargen_parse, false, NULL },
	{ "radius", PORTS(1812, 1645), radius_tmpl, sizeof(radius_tmpl), radius_write,
	  radius_parse, true, NULL },
	{ "quake3", PORTS(27960), TEXT(q3_text), q3_write, q3_parse, false, NULL },
	{ "a2s", PORTS(27015), (const uint8_t *)a2s_text, sizeof(a2s_text), NULL, a2s_parse,
	  false, NULL }, /* the request ends with its string's NUL */
	{ "stun", PORTS(3478), stun_tmpl, sizeof(stun_tmpl), stun_write, stun_parse, true, NULL },
	/* HTTP/3 (RFC 9114 3.1: https's port), DNS over QUIC (RFC 9250
	 * 4.1.1), and the alternative HTTPS port of nginx's QUIC example. */
	{ "quic", PORTS(443, 853, 8443), quic_probe_tmpl, sizeof(quic_probe_tmpl), quic_write,
	  quic_parse, false, quic_classify },
};

const size_t udp_payload_count = ARRAY_SIZE(udp_payloads);

const struct udp_payload *udp_payload_for(uint16_t port)
{
	if (port == 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(udp_payloads); i++)
		for (const uint16_t *p = udp_payloads[i].ports; *p; p++)
			if (*p == port)
				return &udp_payloads[i];
	return NULL;
}

int udp_payload_reply(const struct udp_payload *e, const uint8_t *reply, size_t len,
		      uint64_t cookie, struct finding *f)
{
	int r;

	if (e->classify)
		r = e->classify(reply, len, cookie, f);
	else
		r = e->parse(reply, len, cookie) ? 1 : e->echoes ? -1 : 0;
	if (r > 0)
		f->service = e->name;
	return r;
}

const struct udp_payload *udp_payload_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(udp_payloads); i++)
		if (!strcmp(udp_payloads[i].name, name))
			return &udp_payloads[i];
	return NULL;
}

size_t udp_payload_build(const struct udp_payload *e, uint64_t cookie, uint8_t *out, size_t cap)
{
	if (!e || e->len > cap)
		return 0;
	memcpy(out, e->tmpl, e->len);
	if (e->cookie_write)
		e->cookie_write(out, e->len, cookie);
	return e->len;
}

/* ------------------------------------------------------------------ */

/* The index of port's entry, or of where it would go. */
static size_t user_pos(const struct udp_user_payloads *u, uint16_t port)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int udp_user_add(struct udp_user_payloads *u, uint16_t port, const uint8_t *data, size_t len)
{
	uint8_t *copy = NULL;
	size_t i;

	if (len > UDP_PAYLOAD_MAX)
		return FP_ERANGE;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return FP_ENOMEM;
		memcpy(copy, data, len);
	}
	i = user_pos(u, port);
	if (i < u->n && u->v[i].port == port) {
		free(u->v[i].data);
		u->v[i].data = copy;
		u->v[i].len = (uint16_t)len;
		return 0;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 8;
		struct udp_user_payload *v = realloc(u->v, cap * sizeof(*v));

		if (!v) {
			free(copy);
			return FP_ENOMEM;
		}
		u->v = v;
		u->cap = cap;
	}
	memmove(&u->v[i + 1], &u->v[i], (u->n - i) * sizeof(*u->v));
	u->v[i] = (struct udp_user_payload){ .port = port, .len = (uint16_t)len, .data = copy };
	u->n++;
	return 0;
}

const struct udp_user_payload *udp_user_find(const struct udp_user_payloads *u, uint16_t port)
{
	size_t i;

	if (!u || !u->n)
		return NULL;
	i = user_pos(u, port);
	return i < u->n && u->v[i].port == port ? &u->v[i] : NULL;
}

void udp_user_free(struct udp_user_payloads *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i].data);
	free(u->v);
	u->v = NULL;
	u->n = u->cap = 0;
}
