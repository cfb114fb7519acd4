/* SPDX-License-Identifier: MIT */
/*
 * nmap's XML output (-oX) from threat_event_v1 events: `fastport scan
 * --format nmap-xml` / `-oX FILE` and `fastport export --format nmap-xml`.
 * The document validates against nmap's DTD (nmap.dtd, whose nmaprun
 * element admits scanner="nmap" only: the producer is named by
 * profile_name="fastport" and the args), so nmap's own tools (ndiff) and
 * libraries (python-libnmap) read it.
 *
 * Mapping: one <host> per address with findings (status up, reason
 * user-set: fastport does not discover hosts), one <port> per finding
 * (QUIC is nmap's udp; a udp and a quic finding of one port merge), the
 * reason in nmap's words (syn-ack, reset, conn-refused, port-unreach,
 * admin-prohibited, udp-response, no-response), a service event's name,
 * product, version, extrainfo, tunnel and CPEs as <service>, and one
 * script as nmap would print it: the certificate (ssl-cert: subject,
 * issuer, public key, validity, SHA-256, SAN), else the HTTP title
 * (http-title), else the banner (banner). One: nmap 7.93's ndiff fails on
 * a port with two scripts.
 *
 * Events are queued as they come (a copy; the scanner's callback may call
 * nmap_xml_event, never from two threads at once) and read when the
 * document is written: the hosts must be grouped.
 */
#ifndef FP_STORE_NMAP_XML_H
#define FP_STORE_NMAP_XML_H

#include <stddef.h>
#include <stdio.h>

struct nmap_xml;

/*
 * args: the command line for <nmaprun args> (may be NULL); ports: the
 * ports scanned, as a port spec ("22,80,U:53") or a scope's port list
 * ("T:22,80 U:53"), for <scaninfo services> (NULL: taken from the
 * findings). Returns NULL when memory runs out.
 */
struct nmap_xml *nmap_xml_new(const char *args, const char *ports);

/* Queues one event line (n bytes). 0, or -1 when memory ran out. */
int nmap_xml_event(struct nmap_xml *x, const char *json, size_t n);

/*
 * Adds one exposure_change event line (n bytes) to the document: written
 * as an XML comment after the hosts ("<!-- fastport exposure_change: EVENT
 * -->", a '-' that another follows escaped as \u002d), so that a scan
 * writing nmap XML still tells of its changes and the document stays valid
 * under nmap's DTD. 0, or -1 when memory ran out.
 */
int nmap_xml_change(struct nmap_xml *x, const char *json, size_t n);

/* Writes the whole document to f. 0, or -1 (errno: a write error, or
 * ENOMEM). Lines that are not threat_event_v1 events are skipped. */
int nmap_xml_write(struct nmap_xml *x, FILE *f);

void nmap_xml_free(struct nmap_xml *x);

#endif
