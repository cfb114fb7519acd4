# SPDX-License-Identifier: MIT
"""fastport: Python bindings of libfastport, the fastport scan core.

    import fastport

    for ev in fastport.scan("198.19.0.0/24", "22,80,443", rate=5000,
                            allow_reserved=True):
        if ev["kind"] == "port_state":
            print(ev["target"]["ip"], ev["target"]["port"], ev["result"]["state"])

Both scan() and scan_batch() return a generator of threat_event_v1 events
(dicts) that yields each event as the library reports it: the scan runs in
a worker thread while you iterate. Closing the generator early (close(),
break out of a with-block, or dropping it) stops the scan and waits for it.

Errors: FastportError (with .code, a negative FP_E* value, and .message,
the library's description); SpecError, also a ValueError, for malformed
targets, ports and option values (the message names the bad token);
TypeError for unknown options.
"""
from __future__ import annotations

import atexit
import collections.abc
import ctypes
import ipaddress
import json
import os
import queue
import threading
import weakref
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _native
from ._native import library_path

__all__ = [
    "scan", "scan_batch", "build_info", "library_path", "Scan",
    "FastportError", "SpecError", "PROTOCOLS", "STATES", "__version__",
]
__version__ = "0.1.0"

PROTOCOLS = tuple(_native.PROTOCOLS)
STATES = tuple(_native.STATES)

Event = Dict[str, Any]
Targets = Union[str, "ipaddress._BaseAddress", "ipaddress._BaseNetwork", Iterable[Any]]
Ports = Union[None, int, str, Iterable[Union[int, str]]]
BatchTarget = Union[Tuple[Any, int], Tuple[Any, int, Union[str, int]]]


class FastportError(Exception):
    """A failure reported by libfastport. code is the (negative) FP_E* code,
    or None for failures found before calling the library; message is the
    library's description (fp_scanner_error or the fp_scanner_new error
    buffer)."""

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        if self.code is None:
            return self.message
        return "%s [%s]" % (self.message, _strerror(self.code))


class SpecError(FastportError, ValueError):
    """A malformed target, port, exclusion or option value."""


def _strerror(code: int) -> str:
    try:
        return _native.load().fp_strerror(code).decode()
    except OSError:
        return "error %d" % code


def _lib() -> ctypes.CDLL:
    try:
        return _native.load()
    except OSError as e:
        raise FastportError(str(e)) from None


def build_info() -> Dict[str, str]:
    """The identity of the loaded library: build_id (as readelf -n shows
    it), build_mode, version, source_rev, compiler, cpu_target, and
    library (its path)."""
    lib = _lib()
    return {
        "build_id": lib.fp_build_id().decode(),
        "build_mode": lib.fp_build_mode().decode(),
        "version": lib.fp_version().decode(),
        "source_rev": lib.fp_source_rev().decode(),
        "compiler": lib.fp_compiler().decode(),
        "cpu_target": lib.fp_cpu_target().decode(),
        "library": library_path(),
    }


# ---------------------------------------------------------------- options

def _number(name: str, value: Any, lo: int, hi: int, suffixes: bool = False) -> int:
    if isinstance(value, bool):
        raise SpecError("%s: expected a number, got %r" % (name, value))
    v = value
    if isinstance(value, str):
        s = value.strip()
        mul = 1
        if suffixes and s[-1:].lower() in ("k", "m", "g"):
            mul = {"k": 1000, "m": 1000000, "g": 1000000000}[s[-1].lower()]
            s = s[:-1]
        try:
            v = int(s, 10) * mul
        except ValueError:
            raise SpecError("%s: invalid number %r" % (name, value)) from None
    elif isinstance(value, float) and value.is_integer():
        v = int(value)
    if not isinstance(v, int):
        raise SpecError("%s: expected a whole number, got %r" % (name, value))
    if not lo <= v <= hi:
        raise SpecError("%s: %r is out of range (%d-%d)" % (name, value, lo, hi))
    return v


def _seconds_ms(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise SpecError("%s: expected seconds, got %r" % (name, value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecError("%s: invalid number of seconds %r" % (name, value)) from None
    if not 0 <= v <= 4294967:
        raise SpecError("%s: %r seconds is out of range (0-4294967)" % (name, value))
    return int(v * 1000 + 0.5)


def _states(value: Any) -> int:
    items = value.split(",") if isinstance(value, str) else list(value)
    bits = 0
    for item in items:
        name = str(item).strip()
        if name == "all":
            bits |= _native.STATES_ALL
        elif name in _native.STATES:
            bits |= 1 << _native.STATES[name]
        else:
            raise SpecError("states: unknown state %r (open, closed, filtered, "
                            "open|filtered, all)" % name)
    if not bits:
        raise SpecError("states: no state given")
    return bits


def _shard(value: Any) -> Tuple[int, int]:
    if isinstance(value, str):
        k, sep, n = value.partition("/")
        if not sep:
            raise SpecError("shard: expected K/N, got %r" % value)
    else:
        try:
            k, n = value
        except (TypeError, ValueError):
            raise SpecError("shard: expected 'K/N' or (K, N), got %r" % (value,)) from None
    kk = _number("shard", k, 1, 2**32 - 1)
    nn = _number("shard", n, 1, 2**32 - 1)
    if kk > nn:
        raise SpecError("shard %s/%s: K must be from 1 to N" % (k, n))
    return kk, nn


def _strs(value: Any) -> List[str]:
    if isinstance(value, (str, bytes, os.PathLike)) or not isinstance(value, Iterable):
        value = [value]
    return [os.fsdecode(v) if isinstance(v, (bytes, os.PathLike)) else str(v) for v in value]


def _ports(value: Ports) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        raise SpecError("ports: expected a spec, got %r" % value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return ",".join(str(p) for p in value)


_OPTIONS = ("rate", "retries", "wait", "states", "seed", "shard", "interface", "source_ip",
            "router_mac", "allow_reserved", "exclude", "exclude_file", "connect",
            "send_threads", "pin_cpus", "send_path", "telemetry", "udp_payloads",
            "service_scan", "sv_concurrency", "sv_timeout", "sv_db")


class _Plan:
    """What the options ask for, checked and converted before any C call."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise TypeError("unknown fastport option%s: %s (valid: %s)" % (
                "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(_OPTIONS)))
        o = {k: v for k, v in options.items() if v is not None}
        self.fields: Dict[str, Any] = {}
        f = self.fields
        if "rate" in o:
            f["rate"] = _number("rate", o["rate"], 1, 2**64 - 1, suffixes=True)
        if "retries" in o:
            f["retries"] = _number("retries", o["retries"], 0, 2**32 - 1)
        if "wait" in o:
            f["wait_ms"] = _seconds_ms("wait", o["wait"])
        if "telemetry" in o:
            f["telemetry_ms"] = _seconds_ms("telemetry", o["telemetry"])
        if "states" in o:
            f["states"] = _states(o["states"])
        if "seed" in o:
            f["seed"] = _number("seed", o["seed"], 0, 2**64 - 1)
        if "shard" in o:
            f["shard"], f["shard_count"] = _shard(o["shard"])
        if "send_threads" in o:
            f["send_threads"] = _number("send_threads", o["send_threads"], 0, 2**32 - 1)
        if "send_path" in o:
            if o["send_path"] not in _native.SEND_PATHS:
                raise SpecError("send_path: expected one of %s, got %r"
                                % (", ".join(_native.SEND_PATHS), o["send_path"]))
            f["send_path"] = _native.SEND_PATHS[o["send_path"]]
        if "sv_concurrency" in o:
            f["sv_concurrency"] = _number("sv_concurrency", o["sv_concurrency"], 1, 16384)
        if "sv_timeout" in o:
            f["sv_timeout_ms"] = _seconds_ms("sv_timeout", o["sv_timeout"])
            if not f["sv_timeout_ms"]:
                raise SpecError("sv_timeout: at least 0.001 seconds")
        for name in ("interface", "source_ip", "router_mac", "sv_db"):
            if name in o:
                f[name] = str(o[name]).encode()
        for name in ("allow_reserved", "connect", "pin_cpus", "service_scan"):
            if name in o:
                f[name] = 1 if o[name] else 0
        self.exclude = _strs(o["exclude"]) if "exclude" in o else []
        self.exclude_files = _strs(o["exclude_file"]) if "exclude_file" in o else []
        self.udp_payloads: List[Tuple[int, bytes]] = []
        for port, data in dict(o.get("udp_payloads", {})).items():
            self.udp_payloads.append((_number("udp_payloads port", port, 0, 65535), bytes(data)))


# ---------------------------------------------------------------- scans

class _Done:
    __slots__ = ("rc", "exc")

    def __init__(self, rc: int, exc: Optional[BaseException] = None) -> None:
        self.rc = rc
        self.exc = exc


_live: "weakref.WeakSet[Scan]" = weakref.WeakSet()


class _Flag:
    __slots__ = ("closing",)

    def __init__(self) -> None:
        self.closing = False


def _event_callback(q: "queue.SimpleQueue[Any]", flag: _Flag):
    def on_event(ev, _userdata) -> int:
        # Runs on a library thread: copy the JSON out (the memory is only
        # valid during the call) and hand it over; parse on the consumer.
        try:
            e = ev.contents
            q.put(ctypes.string_at(e.json, e.json_len))
        except BaseException:  # never let an exception unwind into C
            pass
        return 1 if flag.closing else 0
    return on_event


def _work(runner, lib: ctypes.CDLL, handle: ctypes.c_void_p, q: "queue.SimpleQueue[Any]") -> None:
    try:
        q.put(_Done(runner(lib, handle)))
    except BaseException as e:  # pragma: no cover - ctypes errors
        q.put(_Done(_native.FP_ESYS, e))


def _run_range(lib: ctypes.CDLL, handle: ctypes.c_void_p) -> int:
    return lib.fp_scanner_run(handle)


@atexit.register
def _close_live() -> None:
    # No scan thread may call back into an interpreter that is going away.
    for s in list(_live):
        s.close()


def _error(code: int, message: str) -> FastportError:
    cls = SpecError if code == _native.FP_EINVAL else FastportError
    return cls(message, code)


class Scan(collections.abc.Generator):
    """A running (or finished) scan: a generator of threat_event_v1 dicts.

    The scan starts with the first next(); events are yielded as the
    library reports them. close() (also on leaving a with-block, and when
    the object is collected) stops the scan and waits for its thread. After
    the end, a library failure is raised from next() as FastportError.
    """

    def __init__(self, plan: _Plan, setup, runner) -> None:
        self._lib = _lib()
        self._q: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._handle = ctypes.c_void_p()
        self._thread: Optional[threading.Thread] = None
        self._finished = False
        self._final_stats: Optional[Dict[str, Any]] = None
        self._result: Optional[int] = None
        self._runner = runner
        # The callback must live as long as the scanner can call it. It and
        # the worker thread hold only the queue and the flag, never self, so
        # dropping an unfinished scan collects it and __del__ stops it.
        self._flag = _Flag()
        self._cb = _native.EVENT_CB(_event_callback(self._q, self._flag))

        buf = _native.ConfigBuffer()
        self._lib.fp_config_init(ctypes.byref(buf))
        # A newer library may have appended members (they keep its
        # defaults, in the spare room); an older one may lack the last
        # ones, which is fine as long as none of them is set here.
        size = buf.cfg.struct_size
        used = list(plan.fields) + ["on_event", "out_fd"]
        need = max(getattr(_native.FpConfig, k).offset + getattr(_native.FpConfig, k).size
                   for k in used)
        if size < need or size > ctypes.sizeof(buf):
            raise FastportError("libfastport's fp_config_t is %d bytes, this module needs %d "
                                "to %d: mismatched library" % (size, need, ctypes.sizeof(buf)))
        cfg = buf.cfg
        for k, v in plan.fields.items():
            setattr(cfg, k, v)
        cfg.on_event = self._cb
        cfg.out_fd = -1
        err = ctypes.create_string_buffer(512)
        rc = self._lib.fp_scanner_new(ctypes.byref(buf), ctypes.byref(self._handle), err,
                                      ctypes.sizeof(err))
        if rc < 0:
            self._handle = ctypes.c_void_p()
            self._finished = True
            raise _error(rc, err.value.decode(errors="replace"))
        try:
            for spec in plan.exclude:
                self._check(self._lib.fp_scanner_add_exclude(self._handle, spec.encode()))
            for path in plan.exclude_files:
                self._check(self._lib.fp_scanner_add_exclude_file(self._handle, path.encode()))
            if plan.udp_payloads:
                if not hasattr(self._lib, "fp_scanner_add_udp_payload"):
                    raise FastportError("udp_payloads: this libfastport has no "
                                        "fp_scanner_add_udp_payload", _native.FP_ENOTSUP)
                for port, data in plan.udp_payloads:
                    self._check(self._lib.fp_scanner_add_udp_payload(
                        self._handle, port, data, len(data)))
            setup(self)
        except BaseException:
            self._release()
            raise
        _live.add(self)

    # The library side.

    def _check(self, rc: int) -> None:
        if rc < 0:
            raise _error(rc, self._lib.fp_scanner_error(self._handle).decode(errors="replace"))

    def _stats_now(self) -> Dict[str, Any]:
        st = _native.FpStats(struct_size=ctypes.sizeof(_native.FpStats))
        self._lib.fp_scanner_stats(self._handle, ctypes.byref(st))
        d = {name: getattr(st, name) for name, _ in _native.FpStats._fields_
             if name != "struct_size"}
        d["pass"] = d.pop("pass_")
        return d

    def _release(self) -> None:
        if self._handle:
            self._final_stats = self._stats_now()
            self._lib.fp_scanner_free(self._handle)
            self._handle = ctypes.c_void_p()
        self._finished = True
        _live.discard(self)

    # The generator side.

    @property
    def running(self) -> bool:
        """True while the scan's worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> Dict[str, Any]:
        """The counters (fp_stats_t) now, or the final ones after the end."""
        if self._handle:
            return self._stats_now()
        return dict(self._final_stats or {})

    def send(self, value: Any) -> Event:
        if self._finished:
            raise StopIteration
        if self._thread is None:
            self._thread = threading.Thread(
                target=_work, args=(self._runner, self._lib, self._handle, self._q),
                name="fastport-scan", daemon=True)
            self._thread.start()
        try:
            while True:
                try:
                    item = self._q.get(timeout=0.2)
                except queue.Empty:
                    continue
                if not isinstance(item, _Done):
                    return json.loads(item)
                self._thread.join()
                self._result = item.rc
                message = ""
                if item.rc < 0:
                    message = self._lib.fp_scanner_error(self._handle).decode(errors="replace")
                self._release()
                if item.exc is not None:
                    raise item.exc
                if item.rc < 0:
                    raise _error(item.rc, message)
                raise StopIteration
        except StopIteration:
            raise
        except BaseException:
            self.close()
            raise

    def throw(self, typ, val=None, tb=None):  # type: ignore[override]
        self.close()
        if val is None:
            val = typ() if isinstance(typ, type) else typ
        if tb is not None:
            val = val.with_traceback(tb)
        raise val

    def close(self) -> None:
        """Stops the scan (fp_scanner_stop), waits for its thread and frees
        the scanner. Events not yet consumed are dropped. Idempotent."""
        if self._finished:
            return
        self._flag.closing = True
        if self._thread is not None:
            # A stop asked for before the scan has begun is forgotten when
            # it begins, so keep asking until the run has returned.
            while self._thread.is_alive():
                self._lib.fp_scanner_stop(self._handle)
                self._thread.join(0.05)
        self._release()

    def __enter__(self) -> "Scan":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _add_targets(scan: Scan, targets: Targets) -> None:
    items = [targets] if isinstance(targets, (str, bytes)) or not isinstance(
        targets, Iterable) else list(targets)
    if not items:
        raise SpecError("no targets given", _native.FP_EINVAL)
    for t in items:
        spec = os.fsdecode(t) if isinstance(t, bytes) else str(t)
        scan._check(scan._lib.fp_scanner_add_targets(scan._handle, spec.encode()))


def scan(targets: Targets, ports: Ports = None, *, target_file: Any = None,
         **options: Any) -> Scan:
    """Scans targets x ports (fp_scanner_run) and returns a generator of the
    events as dicts, each yielded as it arrives.

    targets: a spec string ("198.19.0.0/24,198.19.1.1-198.19.1.9"), an
    ipaddress address or network, or an iterable of them. ports: a spec
    string ("22,80-90,U:53"), an int, or an iterable of ints/specs; None
    for the library's default list. target_file: more targets from a file.

    Options (fp_config_t): rate (pps, int or "300k"), retries, wait and
    telemetry (seconds), states ("open,closed", an iterable, or "all"), seed,
    shard ("K/N" or (K, N)), interface, source_ip, router_mac,
    allow_reserved, connect, send_threads, pin_cpus, send_path ("auto",
    "ring" or "xdp"), exclude (spec or iterable),
    exclude_file, udp_payloads ({port: bytes}); service_scan (identify
    every open TCP port: "service" events), sv_concurrency, sv_timeout
    (seconds per port), sv_db (a probe database file).

    Raises SpecError (a ValueError) at once for a malformed target, port
    or option value, TypeError for an unknown option, FastportError for
    other failures (some only when iterating, e.g. missing privileges).
    """
    plan = _Plan(options)
    port_spec = _ports(ports)

    def setup(s: Scan) -> None:
        if targets is not None:
            _add_targets(s, targets)
        if target_file is not None:
            for path in _strs(target_file):
                s._check(s._lib.fp_scanner_add_target_file(s._handle, path.encode()))
        if port_spec is not None:
            s._check(s._lib.fp_scanner_set_ports(s._handle, port_spec.encode()))

    return Scan(plan, setup, _run_range)


def _batch_item(i: int, item: Any) -> Tuple[str, int, int]:
    try:
        if len(item) == 2:
            ip, port = item
            proto: Union[str, int] = "tcp"
        else:
            ip, port, proto = item
    except (TypeError, ValueError):
        raise SpecError("target %d: expected (ip, port[, protocol]), got %r" % (i, item)) from None
    try:
        addr = str(ipaddress.ip_address(str(ip)))
    except ValueError:
        raise SpecError("target %d: invalid address %r" % (i, str(ip)), _native.FP_EINVAL) from None
    p = _number("target %d (%s): port" % (i, addr), port, 0, 65535)
    if isinstance(proto, str) and proto.lower() in _native.PROTOCOLS:
        pr = _native.PROTOCOLS[proto.lower()]
    elif isinstance(proto, int) and not isinstance(proto, bool) and proto in _native.PROTOCOLS.values():
        pr = proto
    else:
        raise SpecError("target %d (%s): unknown protocol %r (tcp, udp, quic)" % (i, addr, proto),
                        _native.FP_EINVAL)
    return addr, p, pr


def scan_batch(targets: Iterable[BatchTarget], **options: Any) -> Scan:
    """Probes exactly the given (ip, port[, protocol]) tuples (fp_scan_batch)
    and returns a generator of the events, as scan() does. protocol is
    "tcp" (the default), "udp", "quic" or 0/1/2. Options as for scan()."""
    plan = _Plan(options)
    items = [_batch_item(i, t) for i, t in enumerate(targets)]
    if not items:
        raise SpecError("no targets given", _native.FP_EINVAL)
    if len(items) > 2**32 - 1:
        raise SpecError("too many targets")
    arr = (_native.FpTarget * len(items))()
    for slot, (ip, port, proto) in zip(arr, items):
        slot.ip = ip.encode()  # the array keeps the bytes alive
        slot.port = port
        slot.protocol = proto

    def run(lib: ctypes.CDLL, handle: ctypes.c_void_p) -> int:
        return lib.fp_scan_batch(handle, arr, len(items))

    return Scan(plan, lambda s: None, run)
