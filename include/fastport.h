/* SPDX-License-Identifier: MIT */
/*
 * fastport.h - the public interface of libfastport, the fastport scan core.
 *
 * This is the only public header. Every public name starts with fp_ or FP_.
 *
 * ABI rule: the soname is libfastport.so.FP_VERSION_MAJOR. Within one major
 * version functions are only added, never removed or changed; structures
 * passed in by the caller carry their own size (fp_config_t.struct_size) so
 * members can be appended without breaking old callers. Anything that breaks
 * this rule bumps FP_VERSION_MAJOR and with it the soname.
 *
 * Thread safety: a scanner belongs to one thread at a time, except
 * fp_scanner_stop(), which any thread or a signal handler may call, and
 * fp_scanner_stats(), which may be called from the event callback.
 * Different scanners are independent and may run on different threads at
 * once. The functions that take no scanner (fp_config_init, fp_strerror,
 * fp_build_*, fp_version ...) are safe from any thread.
 *
 * Errors: functions that can fail return 0 or a negative FP_E* code
 * (fp_errno_t); fp_strerror() names the code and, when a scanner exists,
 * fp_scanner_error() describes the last failure in words (naming the bad
 * token of a spec). The library never prints, never exits and never aborts,
 * also not on bad input or when memory runs out.
 *
 * Ownership: strings passed in are only read during the call (or copied,
 * as fp_scanner_new() copies the configuration's strings); strings the
 * library returns stay owned by it and must not be freed.
 */
#ifndef FASTPORT_H
#define FASTPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header. fp_version() gives the version of the library
 * actually loaded, which may be newer within the same major version.
 * FP_VERSION_HEX is 0xMMmmpp, for #if comparisons.
 */
#define FP_VERSION_MAJOR 0
#define FP_VERSION_MINOR 1
#define FP_VERSION_PATCH 0
#define FP_VERSION_HEX \
	((FP_VERSION_MAJOR << 16) | (FP_VERSION_MINOR << 8) | FP_VERSION_PATCH)

#if defined(__GNUC__)
#define FP_EXTERN __attribute__((visibility("default")))
#else
#define FP_EXTERN
#endif

/*
 * Error codes. Library functions return 0 on success or one of these
 * (negative) values; fp_strerror() describes any of them.
 */
#define FP_ERRNO_MAP(X)                                                  \
	X(INVAL, -1, "invalid argument")                                 \
	X(NOMEM, -2, "out of memory")                                    \
	X(PERM, -3, "operation not permitted (raw sockets need CAP_NET_RAW)") \
	X(IO, -4, "input/output error")                                  \
	X(RANGE, -5, "value out of range")                               \
	X(NOROUTE, -6, "no route to target")                             \
	X(NOMAC, -7, "gateway MAC address could not be resolved")        \
	X(NOTSUP, -8, "not supported")                                   \
	X(EMPTY, -9, "nothing to scan")                                  \
	X(STOPPED, -10, "scan was stopped")                              \
	X(STATE, -11, "call not valid in this state")                    \
	X(SYS, -12, "system call failed")

typedef enum {
	FP_OK = 0,
#define FP__ERR_ENUM(name, val, msg) FP_E##name = (val),
	FP_ERRNO_MAP(FP__ERR_ENUM)
#undef FP__ERR_ENUM
} fp_errno_t;

/* Protocols of fp_target_t.protocol. */
enum {
	FP_PROTO_TCP = 0,
	FP_PROTO_UDP = 1,
	FP_PROTO_QUIC = 2,
};

/* Port states; also used as bit flags (1U << state) in fp_config_t.states. */
typedef enum {
	FP_STATE_OPEN = 0,
	FP_STATE_CLOSED = 1,
	FP_STATE_FILTERED = 2,
	FP_STATE_OPEN_FILTERED = 3,
} fp_state_t;

#define FP_STATES_DEFAULT (1U << FP_STATE_OPEN)
#define FP_STATES_ALL 0xfU

/* The seed's target shape: one explicit probe. */
typedef struct {
	const char *ip;   /* IPv4 or IPv6 literal */
	uint16_t port;
	uint8_t protocol; /* FP_PROTO_* */
} fp_target_t;

typedef struct fp_scanner fp_scanner_t;

/* Kinds of event, as in threat_event_v1's "kind". */
typedef enum {
	FP_EVENT_SCAN_STARTED = 0,
	FP_EVENT_PORT_STATE = 1,
	FP_EVENT_TELEMETRY = 2,
	FP_EVENT_SCAN_COMPLETED = 3,
	FP_EVENT_SERVICE = 4,     /* what answers on an open TCP port (service_scan) */
} fp_event_kind_t;

/*
 * One event as handed to the callback. Every pointer is owned by the library
 * and valid only during the callback. json is the complete threat_event_v1
 * object (no trailing newline). For port_state events ip/port/protocol/state
 * describe the finding; for service events ip/port/protocol name the port
 * (state open, reason NULL) and service/product/version what answers there
 * (product and version "" when not announced); for other kinds they are
 * NULL/0. Members are only ever appended (service, product, version were).
 */
typedef struct {
	fp_event_kind_t kind;
	const char *json;
	size_t json_len;
	const char *ip;
	uint16_t port;
	uint8_t protocol;
	fp_state_t state;
	const char *reason;
	const char *service;      /* service events: "ssh", "http", ..., "unknown" */
	const char *product;
	const char *version;
} fp_event_t;

/*
 * Event callback. Runs on one of the scanner's threads (port_state: the
 * receive thread, or a connect() worker) or on the thread that called the
 * scan function (others), never on two threads at once. It must not call fp_scanner_free() or start another scan on the same
 * scanner. A non-zero return asks the scan to stop, as fp_scanner_stop().
 */
typedef int (*fp_event_cb)(const fp_event_t *ev, void *userdata);

/* Output formats for fp_config_t.out_fd. */
enum {
	FP_FORMAT_NDJSON = 0,
	FP_FORMAT_LIST = 1,
};

/*
 * Send paths of fp_config_t.send_path (raw scans; connect scans have none).
 * FP_SEND_RING: an AF_PACKET TX ring per sending thread. FP_SEND_XDP: an
 * AF_XDP socket per sending thread, each on its own TX queue of the
 * interface. FP_SEND_AUTO: the path that measured faster on the machines
 * fastport is benchmarked on (docs/DESIGN.md, "Send paths"), falling back
 * to the other when it cannot be set up. The scan_started event names the
 * path used ("scan":{"send_path":"ring"|"xdp",...}).
 */
enum {
	FP_SEND_AUTO = 0,
	FP_SEND_RING = 1,
	FP_SEND_XDP = 2,
};

/*
 * Scanner configuration. Always start from fp_config_init(), then change
 * members; strings are copied by fp_scanner_new().
 *
 * Members are only ever appended. A caller built against an older header
 * passes its smaller struct_size; the members it does not know keep their
 * defaults. Appended after 0.1.0: pin_cpus, send_path, service_scan,
 * sv_concurrency, sv_timeout_ms, sv_db, scan_id.
 */
typedef struct {
	uint32_t struct_size;     /* set by fp_config_init() */
	const char *interface;    /* NULL: from the route to the first target */
	const char *source_ip;    /* NULL: the interface's preferred source */
	const char *router_mac;   /* NULL: resolved by ARP/neighbour table */
	uint64_t rate;            /* packets per second, > 0 (default 10000) */
	uint32_t retries;         /* extra probes when no answer came (default 1) */
	uint32_t wait_ms;         /* longest cooldown after the last probe (default 5000) */
	uint64_t seed;            /* order and cookie key; 0 = random */
	uint32_t shard;           /* 1..shard_count (default 1) */
	uint32_t shard_count;     /* default 1 */
	uint32_t states;          /* (1U << FP_STATE_*) to report (default open) */
	int allow_reserved;       /* permit benchmark/documentation ranges */
	int connect;              /* use connect() instead of raw SYN */
	uint32_t telemetry_ms;    /* period of telemetry events, 0 = none (default 1000) */
	int out_fd;               /* -1: no built-in sink; else write events here */
	int out_format;           /* FP_FORMAT_* for out_fd */
	uint32_t send_threads;    /* sending threads, 0 = one per online CPU (at most 8) */
	fp_event_cb on_event;     /* may be NULL */
	void *userdata;
	/*
	 * Called once per scan, on the calling thread, after every socket the
	 * scan needs is open and before the first probe: the moment to drop
	 * privileges. A non-zero return ends the scan with FP_EPERM. May be
	 * NULL.
	 */
	int (*on_ready)(void *userdata);
	/* Appended after 0.1.0. */
	int pin_cpus;             /* pin each scan thread to its own CPU (default 0) */
	/*
	 * FP_SEND_* (default FP_SEND_AUTO). FP_SEND_XDP runs at most one
	 * sending thread per TX queue of the interface that no other XDP
	 * socket holds (fewer when RLIMIT_MEMLOCK allows fewer 2 MiB UMEMs),
	 * and fails the scan before any event with FP_ENOTSUP, FP_EPERM or
	 * FP_ENOMEM and a message when not even one XDP socket can be set up
	 * (a kernel without AF_XDP, a driver that refuses, every queue taken,
	 * too little lockable memory).
	 */
	int send_path;
	/*
	 * Service identification (the CLI's -sV): every TCP port found open is
	 * identified over a kernel TCP connection while the sweep goes on, and
	 * reported as a "service" event before scan_completed. The probe
	 * database is the built-in one, or the file sv_db (read when the scan
	 * starts). sv_concurrency: connections at once (0: from RLIMIT_NOFILE);
	 * sv_timeout_ms: the longest time spent on one port (0: 6000).
	 */
	int service_scan;
	uint32_t sv_concurrency;
	uint32_t sv_timeout_ms;
	const char *sv_db;
	/*
	 * NULL (default): every scan gets a new random scan_id. Else exactly
	 * 32 lowercase hex digits (the form fastport generates), used as the
	 * scan_id of every event of every scan on this scanner: a resumed or
	 * retried run continues the scan it names (the CLI's --store does
	 * this). Event ids stay unique: their prefix is then random.
	 */
	const char *scan_id;
} fp_config_t;

/*
 * Counters of a scan, readable at any time with fp_scanner_stats().
 *
 * The caller sets struct_size to sizeof(fp_stats_t) before each call; the
 * library writes no more than that many bytes and sets struct_size to the
 * number it filled in: the smaller of the caller's size and its own. So
 * members are only ever appended, as to fp_config_t: a caller built
 * against an older header gets the members it knows, and one built
 * against a newer header than the library's finds the members the library
 * lacks untouched (beyond struct_size). The first layout with a
 * struct_size ends with rate; smaller sizes are refused. struct_size was
 * put in front after 0.1.0, while the ABI is still 0.x: a program built
 * against 0.1.0's header that calls fp_scanner_stats() must be rebuilt.
 */
typedef struct {
	uint32_t struct_size;     /* in: sizeof(fp_stats_t); out: bytes filled in */
	uint64_t planned;         /* probes in one pass of this shard */
	uint64_t sent;            /* packets sent, retries included */
	uint64_t received;        /* packets read from the wire */
	uint64_t valid;           /* replies that validated against a probe */
	uint64_t invalid;         /* replies rejected (bad cookie, unknown target, malformed) */
	uint64_t duplicates;      /* valid replies for a target already reported */
	uint64_t dropped;         /* packets the kernel dropped before we read them */
	uint64_t open, closed, filtered, open_filtered;
	uint64_t send_errors;
	uint64_t excluded;        /* batch targets dropped by an exclusion */
	uint32_t pass;            /* current pass, 0 = first */
	uint64_t elapsed_us;
	double progress;          /* 0..1 over all passes */
	double rate;              /* packets per second over the last second */
} fp_stats_t;

/*
 * Fills *cfg with the defaults (see each member) and sets struct_size to
 * this library's sizeof(fp_config_t). Always call it before changing
 * members: a configuration filled by hand is refused by fp_scanner_new().
 * Cannot fail; cfg must not be NULL. Any thread.
 */
FP_EXTERN void fp_config_init(fp_config_t *cfg);

/*
 * Creates a scanner. Validates the configuration but opens no socket yet.
 * Returns 0 and sets *out, or a negative FP_E* code; on error the text of
 * fp_scanner_error() is not available, so callers should check errbuf when
 * given: up to errlen bytes describing the problem are written there.
 *
 * Errors: FP_EINVAL (out NULL, cfg NULL or not from fp_config_init(),
 * rate 0, shard not within 1..shard_count, no valid state, malformed
 * router_mac or source_ip), FP_ENOMEM. errbuf may be NULL (errlen 0).
 * Ownership: the caller owns the new scanner and releases it with
 * fp_scanner_free(); cfg is copied (its strings too) and may be freed or
 * reused as soon as the call returns; userdata is passed through untouched.
 * Thread safety: any thread.
 */
FP_EXTERN int fp_scanner_new(const fp_config_t *cfg, fp_scanner_t **out,
                             char *errbuf, size_t errlen);

/*
 * Adds targets (addresses, CIDR blocks, A-B ranges; comma or white space
 * separated) or exclusions to the scanner's range plan, and sets its ports
 * (nmap-style, with T:/U:/Q: prefixes). On a malformed spec returns
 * FP_EINVAL and fp_scanner_error() names the token and the reason.
 *
 * Each call adds to what earlier calls added; a failed call adds nothing.
 * The spec and path strings are only read during the call. Not while a scan
 * runs on the scanner (the scanner's thread only).
 */

/* Errors: FP_EINVAL (NULL argument, malformed token, empty spec), FP_ENOMEM. */
FP_EXTERN int fp_scanner_add_targets(fp_scanner_t *s, const char *spec);

/*
 * As fp_scanner_add_targets(), reading the specs from a file: any number per
 * line, '#' starts a comment. Errors: also FP_EIO when the file cannot be
 * opened or read (fp_scanner_error() names the file, and the line of a
 * malformed token).
 */
FP_EXTERN int fp_scanner_add_target_file(fp_scanner_t *s, const char *path);

/*
 * Addresses never to probe, in both range and batch scans, on top of the
 * built-in exclusions (0.0.0.0/8, multicast, 240.0.0.0/4, ff00::/8 always;
 * benchmark, documentation and reserved ranges unless allow_reserved).
 * Errors as fp_scanner_add_targets() and fp_scanner_add_target_file().
 */
FP_EXTERN int fp_scanner_add_exclude(fp_scanner_t *s, const char *spec);
FP_EXTERN int fp_scanner_add_exclude_file(fp_scanner_t *s, const char *path);

/*
 * Adds ports to the range plan: "22,80-90", "-" for 1-65535, "T:", "U:"
 * and "Q:" switch the protocol for the items that follow (TCP by default).
 * Calls add up. Without any call fp_scanner_run() scans a built-in list of
 * twenty common TCP ports. Errors: FP_EINVAL (NULL argument, malformed or
 * out-of-range item), FP_ENOMEM.
 */
FP_EXTERN int fp_scanner_set_ports(fp_scanner_t *s, const char *spec);

/*
 * Sets the payload of the UDP probes to port (len bytes at data, copied;
 * len 0 sends an empty datagram), replacing the built-in payload for that
 * port and any payload given for it before. Replies to such probes are
 * validated by their ports alone (the cookie in the source port), and carry
 * no service name. Applies to raw UDP scans of both families, range and
 * batch. Not while a scan runs on the scanner. Errors: FP_EINVAL (s NULL,
 * or data NULL with len > 0), FP_ERANGE (len > 1400), FP_ESTATE (a scan
 * runs), FP_ENOMEM.
 */
FP_EXTERN int fp_scanner_add_udp_payload(fp_scanner_t *s, uint16_t port,
                                         const uint8_t *data, size_t len);

/*
 * Runs the range plan (targets x ports, minus exclusions and the built-in
 * exclusions) to completion, to fp_scanner_stop() or to an error. Events
 * reach the callback and the sink as they happen. May be called again.
 *
 * Blocks until the scan ends: at most wait_ms after the last probe of the
 * last pass. Returns 0 when the scan ran, also when it was stopped (its
 * scan_completed event then says "interrupted":true). Errors: FP_EINVAL
 * (s NULL), FP_ESTATE (a scan already runs on s), FP_EEMPTY (no targets, or
 * every one excluded), FP_ERANGE (scan too large), FP_ENOTSUP (a protocol or
 * method this build lacks), FP_EPERM (no CAP_NET_RAW, or on_ready refused),
 * FP_ENOROUTE, FP_ENOMAC, FP_EIO (writing to out_fd failed), FP_ESYS,
 * FP_ENOMEM; fp_scanner_error() says more. Errors found before the first
 * probe produce no events; later ones end with a scan_completed event.
 * Raw scans need CAP_NET_RAW (connect scans do not).
 */
FP_EXTERN int fp_scanner_run(fp_scanner_t *s);

/*
 * Scans exactly the given targets (each ip/port/protocol once per pass, in a
 * keyed random order). Exclusions added to the scanner still apply. Returns
 * as fp_scanner_run().
 *
 * targets[] and its strings are read before the first probe and may be
 * freed when the call returns; the range plan (fp_scanner_add_targets()) is
 * neither used nor changed. Errors as fp_scanner_run(), plus FP_EINVAL for
 * an invalid address or protocol (fp_scanner_error() gives the index) and
 * FP_EEMPTY when len is 0 or every target is excluded (counted in
 * fp_stats_t.excluded).
 */
FP_EXTERN int fp_scan_batch(fp_scanner_t *s, const fp_target_t *targets,
                            uint32_t len);

/*
 * Asks a running scan to stop sending, flush and return. Async-signal-safe.
 * Callable from any thread, a signal handler or the event callback; the
 * scan function then returns promptly (within about a second) with 0. A
 * stop asked for before a scan has begun is forgotten when it begins, so a
 * thread that races the start of a scan repeats the call until the scan
 * function has returned. s NULL is ignored.
 */
FP_EXTERN void fp_scanner_stop(fp_scanner_t *s);

/*
 * Resume: saving the progress of a stopped scan and continuing it later,
 * in this process or another one.
 *
 * fp_scanner_save_state() writes, after fp_scanner_run() or fp_scan_batch()
 * returned 0 for a scan that was stopped (fp_scanner_stop(), a signal, the
 * callback), a small versioned state to fd: a fingerprint of the plan (the
 * finished target set, minus the exclusions, the ports, the shard and the
 * seed actually used, which a random seed is too), the pass reached and one
 * bit per probe that got an answer (about n / 8 bytes for n probes). It
 * only calls write(), so it works after a sandbox forbids opening files:
 * open fd before the scan. The state stays available until the next scan
 * on s or fp_scanner_free(). Errors: FP_EINVAL (s NULL, fd < 0),
 * FP_ESTATE (a scan runs, or the last scan was not stopped: it completed,
 * failed or never ran), FP_EIO (a write failed; fp_scanner_error() says
 * why). A partial write leaves a file the loader refuses.
 *
 * fp_scanner_load_state() reads such a state from fd (to end of file,
 * bounded by the length its header states) and keeps it for the next scan
 * on s, which must be the same plan: same targets, exclusions, ports,
 * shard and a seed of 0 or the one saved. That scan then uses the saved
 * seed, starts at the saved pass and skips the probes already answered:
 * their findings are never reported again, so the findings of the stopped
 * and the resumed scan together equal an uninterrupted scan's, each once.
 * Probes sent but not answered before the stop are sent again. The state
 * is used by the next scan only (also when it fails). Errors: FP_EINVAL
 * (s NULL, fd < 0, or not a valid state: bad magic, version, lengths or
 * checksum; fp_scanner_error() names the problem), FP_EEMPTY (the file is
 * empty: nothing to resume), FP_ESTATE (a scan runs), FP_EIO, FP_ENOMEM.
 * A state that does not match the plan is found by the scan function,
 * which then fails with FP_EINVAL before any probe or event and
 * fp_scanner_error() says "resume file is for a different scan".
 *
 * Both: the scanner's thread only, not while a scan runs.
 */
FP_EXTERN int fp_scanner_save_state(fp_scanner_t *s, int fd);
FP_EXTERN int fp_scanner_load_state(fp_scanner_t *s, int fd);

/*
 * Live checkpoint: writes the progress of the scan running on s to fd, in
 * the form fp_scanner_save_state() writes and fp_scanner_load_state()
 * reads, so a process that dies mid-scan can resume from its last
 * checkpoint. After the scan stopped (as for fp_scanner_save_state()) it
 * writes that scan's state.
 *
 * Contract: every probe the checkpoint marks answered has had all its
 * events (its port_state event when its state is reported, and with
 * service_scan the service event of an open TCP port) handed to the sink
 * and returned from the event callback before fp_scanner_checkpoint()
 * returns. So a caller that makes durable what its callback received up
 * to the return (a database commit), then keeps the checkpoint, loses
 * nothing on a resume: probes not marked are sent again and their events
 * come again, and events delivered after the checkpoint may come twice
 * (deduplicate by target and kind). Probes answered but not yet delivered
 * (an open port still being identified) are not marked.
 *
 * Cost: one copy of the bitmap (n / 8 bytes for n probes) under a lock
 * that the send and receive paths never take, then write()s to fd
 * outside it; cheap enough to call every second. It only calls write(),
 * as fp_scanner_save_state(), and never fsync(): the caller decides.
 *
 * Any thread, also the event callback, while a scan runs on s or after
 * it stopped; not concurrently with fp_scanner_free(). Errors: FP_EINVAL
 * (s NULL, fd < 0), FP_ESTATE (no scan runs and the last one was not
 * stopped: it completed, failed or never ran), FP_EIO (a write failed),
 * FP_ENOMEM. A partial write leaves a file the loader refuses.
 */
FP_EXTERN int fp_scanner_checkpoint(fp_scanner_t *s, int fd);

/*
 * Copies the counters of the current or last scan into *out, whose
 * struct_size the caller has set (see fp_stats_t). Callable from the event
 * callback and from any thread while a scan runs; each counter is read
 * atomically, but not all of them at one instant. Errors: FP_EINVAL (s or
 * out NULL, or out->struct_size smaller than the first fp_stats_t that had
 * one; nothing is written then).
 */
FP_EXTERN int fp_scanner_stats(const fp_scanner_t *s, fp_stats_t *out);

/*
 * The last error's description; never NULL ("no scanner" for s NULL). The
 * string is owned by the scanner and valid until its next call that fails
 * or its release; it is not cleared by calls that succeed.
 */
FP_EXTERN const char *fp_scanner_error(const fp_scanner_t *s);

/*
 * Releases the scanner and everything it owns. Not while a scan runs on it
 * (stop it and let the scan function return first), not from the event
 * callback. s NULL is ignored.
 */
FP_EXTERN void fp_scanner_free(fp_scanner_t *s);

/*
 * A static description of an FP_E* code (negative), "success" for 0 and a
 * generic text for unknown codes; never NULL, never to be freed. Any thread.
 */
FP_EXTERN const char *fp_strerror(int err);

/* Build identity: the GNU build ID (hex, as readelf -n shows it) of the
 * object that holds the library code, the build mode, version, source
 * revision, compiler and CPU target. Never NULL. The strings are static:
 * never to be freed, valid for the life of the process, safe from any
 * thread. Linked statically, fp_build_id() is the ID of the program that
 * contains the library. */
FP_EXTERN const char *fp_build_id(void);
FP_EXTERN const char *fp_build_mode(void);
FP_EXTERN const char *fp_version(void);
FP_EXTERN const char *fp_source_rev(void);
FP_EXTERN const char *fp_compiler(void);
FP_EXTERN const char *fp_cpu_target(void);

#ifdef __cplusplus
}
#endif
#endif /* FASTPORT_H */
