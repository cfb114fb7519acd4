# SPDX-License-Identifier: MIT
"""ctypes mirror of include/fastport.h and the loader of libfastport.

Only this module knows the C layout. Every structure here must match the
header member for member (tests/python/test_abi.py compares them, and the
error codes, with a program compiled against include/fastport.h);
fp_config_t's size is also checked against the struct_size that the
library's own fp_config_init() writes.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Optional

SONAME = "libfastport.so.0"
ABI_MAJOR = 0

# Error codes: FP_ERRNO_MAP in fastport.h.
FP_EINVAL = -1
FP_ENOMEM = -2
FP_EPERM = -3
FP_EIO = -4
FP_ERANGE = -5
FP_ENOROUTE = -6
FP_ENOMAC = -7
FP_ENOTSUP = -8
FP_EEMPTY = -9
FP_ESTOPPED = -10
FP_ESTATE = -11
FP_ESYS = -12

PROTOCOLS = {"tcp": 0, "udp": 1, "quic": 2}
STATES = {"open": 0, "closed": 1, "filtered": 2, "open|filtered": 3}
STATES_ALL = 0xF
# fp_config_t.send_path: FP_SEND_AUTO, FP_SEND_RING, FP_SEND_XDP.
SEND_PATHS = {"auto": 0, "ring": 1, "xdp": 2}

FP_EVENT_SCAN_STARTED = 0
FP_EVENT_PORT_STATE = 1
FP_EVENT_TELEMETRY = 2
FP_EVENT_SCAN_COMPLETED = 3
FP_EVENT_SERVICE = 4


class FpTarget(ctypes.Structure):
    _fields_ = [
        ("ip", ctypes.c_char_p),
        ("port", ctypes.c_uint16),
        ("protocol", ctypes.c_uint8),
    ]


class FpEvent(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int),
        ("json", ctypes.c_void_p),
        ("json_len", ctypes.c_size_t),
        ("ip", ctypes.c_char_p),
        ("port", ctypes.c_uint16),
        ("protocol", ctypes.c_uint8),
        ("state", ctypes.c_int),
        ("reason", ctypes.c_char_p),
        ("service", ctypes.c_char_p),
        ("product", ctypes.c_char_p),
        ("version", ctypes.c_char_p),
    ]


EVENT_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(FpEvent), ctypes.c_void_p)
READY_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class FpConfig(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("interface", ctypes.c_char_p),
        ("source_ip", ctypes.c_char_p),
        ("router_mac", ctypes.c_char_p),
        ("rate", ctypes.c_uint64),
        ("retries", ctypes.c_uint32),
        ("wait_ms", ctypes.c_uint32),
        ("seed", ctypes.c_uint64),
        ("shard", ctypes.c_uint32),
        ("shard_count", ctypes.c_uint32),
        ("states", ctypes.c_uint32),
        ("allow_reserved", ctypes.c_int),
        ("connect", ctypes.c_int),
        ("telemetry_ms", ctypes.c_uint32),
        ("out_fd", ctypes.c_int),
        ("out_format", ctypes.c_int),
        ("send_threads", ctypes.c_uint32),
        ("on_event", EVENT_CB),
        ("userdata", ctypes.c_void_p),
        ("on_ready", READY_CB),
        ("pin_cpus", ctypes.c_int),
        ("send_path", ctypes.c_int),
        ("service_scan", ctypes.c_int),
        ("sv_concurrency", ctypes.c_uint32),
        ("sv_timeout_ms", ctypes.c_uint32),
        ("sv_db", ctypes.c_char_p),
        ("scan_id", ctypes.c_char_p),
    ]


class ConfigBuffer(ctypes.Structure):
    """fp_config_t plus room for members a newer library may have appended:
    fp_config_init() writes its own sizeof(fp_config_t), which may be larger
    than the layout mirrored here, and those members keep its defaults."""
    _fields_ = [("cfg", FpConfig), ("_spare", ctypes.c_uint8 * 1024)]


class FpStats(ctypes.Structure):
    """fp_stats_t: set struct_size to ctypes.sizeof(FpStats) before each
    fp_scanner_stats() call; the library writes no more than that and sets
    it to what it filled in (less when the library is older)."""
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("planned", ctypes.c_uint64),
        ("sent", ctypes.c_uint64),
        ("received", ctypes.c_uint64),
        ("valid", ctypes.c_uint64),
        ("invalid", ctypes.c_uint64),
        ("duplicates", ctypes.c_uint64),
        ("dropped", ctypes.c_uint64),
        ("open", ctypes.c_uint64),
        ("closed", ctypes.c_uint64),
        ("filtered", ctypes.c_uint64),
        ("open_filtered", ctypes.c_uint64),
        ("send_errors", ctypes.c_uint64),
        ("excluded", ctypes.c_uint64),
        ("pass_", ctypes.c_uint32),
        ("elapsed_us", ctypes.c_uint64),
        ("progress", ctypes.c_double),
        ("rate", ctypes.c_double),
    ]


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def _candidates():
    env = os.environ.get("FASTPORT_LIBRARY")
    if env:
        # An explicit choice: no fallback, so a wrong path is noticed.
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    names = [os.path.join(here, SONAME)]
    found = ctypes.util.find_library("fastport")
    if found:
        names.append(found)
    names.append(SONAME)
    return names, False


def _declare(lib: ctypes.CDLL) -> None:
    P = ctypes.c_void_p
    sigs = {
        "fp_config_init": (None, [ctypes.c_void_p]),
        "fp_scanner_new": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(P),
                                          ctypes.c_char_p, ctypes.c_size_t]),
        "fp_scanner_add_targets": (ctypes.c_int, [P, ctypes.c_char_p]),
        "fp_scanner_add_target_file": (ctypes.c_int, [P, ctypes.c_char_p]),
        "fp_scanner_add_exclude": (ctypes.c_int, [P, ctypes.c_char_p]),
        "fp_scanner_add_exclude_file": (ctypes.c_int, [P, ctypes.c_char_p]),
        "fp_scanner_set_ports": (ctypes.c_int, [P, ctypes.c_char_p]),
        "fp_scanner_run": (ctypes.c_int, [P]),
        "fp_scan_batch": (ctypes.c_int, [P, ctypes.POINTER(FpTarget), ctypes.c_uint32]),
        "fp_scanner_stop": (None, [P]),
        "fp_scanner_stats": (ctypes.c_int, [P, ctypes.POINTER(FpStats)]),
        "fp_scanner_error": (ctypes.c_char_p, [P]),
        "fp_scanner_free": (None, [P]),
        "fp_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "fp_build_id": (ctypes.c_char_p, []),
        "fp_build_mode": (ctypes.c_char_p, []),
        "fp_version": (ctypes.c_char_p, []),
        "fp_source_rev": (ctypes.c_char_p, []),
        "fp_compiler": (ctypes.c_char_p, []),
        "fp_cpu_target": (ctypes.c_char_p, []),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    # Added after 0.1.0: present only in libraries that have it.
    if hasattr(lib, "fp_scanner_add_udp_payload"):
        fn = lib.fp_scanner_add_udp_payload
        fn.restype = ctypes.c_int
        fn.argtypes = [P, ctypes.c_uint16, ctypes.c_char_p, ctypes.c_size_t]


def load() -> ctypes.CDLL:
    """The loaded library: $FASTPORT_LIBRARY, else the copy bundled in this
    package, else the system's (ctypes.util.find_library, then the soname
    through the dynamic loader's search path). Raises OSError when none
    loads."""
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            return _lib
        names, explicit = _candidates()
        errors = []
        for name in names:
            if os.sep in name and not os.path.exists(name):
                errors.append("%s: not found" % name)
                continue
            try:
                lib = ctypes.CDLL(name)
            except OSError as e:
                errors.append(str(e))
                if explicit:
                    break
                continue
            _declare(lib)
            version = lib.fp_version().decode()
            if int(version.split(".")[0]) != ABI_MAJOR:
                errors.append("%s: version %s, this module needs %d.x" % (name, version, ABI_MAJOR))
                continue
            _lib, _lib_path = lib, _resolve_path(lib, name)
            return lib
        raise OSError("libfastport not found (set FASTPORT_LIBRARY to the path of %s): %s"
                      % (SONAME, "; ".join(errors)))


def _resolve_path(lib: ctypes.CDLL, name: str) -> str:
    """The file the dynamic loader actually mapped for lib."""
    try:
        addr = ctypes.cast(lib.fp_build_id, ctypes.c_void_p).value
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                if lo <= addr < hi and len(parts) >= 6:
                    return parts[5]
    except (OSError, ValueError, TypeError):
        pass
    return os.path.abspath(name) if os.sep in name else name


def library_path() -> str:
    """The path of the loaded library (loads it if needed)."""
    load()
    assert _lib_path is not None
    return _lib_path
