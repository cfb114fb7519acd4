# SPDX-License-Identifier: MIT
"""The ctypes copies in python/fastport/_native.py against include/fastport.h.

A small C program compiled with the header prints the size, alignment and
every member's offset and size of each structure the module mirrors, and
the value of every constant it copies (the error codes come from the
header's own FP_ERRNO_MAP, so a code added there and not here fails). No
library is loaded and no packet is sent.
"""
import ctypes
import os
import shutil
import subprocess

import pytest

from fastport import _native

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# C type -> (ctypes class, its members as the header names them). A
# Python name differs from the C one only where C's is a Python keyword.
STRUCTS = {
    "fp_target_t": (_native.FpTarget, ["ip", "port", "protocol"]),
    "fp_event_t": (_native.FpEvent, ["kind", "json", "json_len", "ip", "port",
                                     "protocol", "state", "reason", "service", "product",
                                     "version"]),
    "fp_config_t": (_native.FpConfig, [
        "struct_size", "interface", "source_ip", "router_mac", "rate", "retries",
        "wait_ms", "seed", "shard", "shard_count", "states", "allow_reserved",
        "connect", "telemetry_ms", "out_fd", "out_format", "send_threads",
        "on_event", "userdata", "on_ready", "pin_cpus", "send_path",
        "service_scan", "sv_concurrency", "sv_timeout_ms", "sv_db", "scan_id"]),
    "fp_stats_t": (_native.FpStats, [
        "struct_size", "planned", "sent", "received", "valid", "invalid",
        "duplicates", "dropped", "open", "closed", "filtered", "open_filtered",
        "send_errors", "excluded", "pass", "elapsed_us", "progress", "rate"]),
}
PY_NAME = {"pass": "pass_"}

# Constants the module copies: Python value -> the C expression.
CONSTANTS = {
    "ABI_MAJOR": (_native.ABI_MAJOR, "FP_VERSION_MAJOR"),
    "STATES_ALL": (_native.STATES_ALL, "FP_STATES_ALL"),
    "FP_EVENT_SCAN_STARTED": (_native.FP_EVENT_SCAN_STARTED, "FP_EVENT_SCAN_STARTED"),
    "FP_EVENT_PORT_STATE": (_native.FP_EVENT_PORT_STATE, "FP_EVENT_PORT_STATE"),
    "FP_EVENT_TELEMETRY": (_native.FP_EVENT_TELEMETRY, "FP_EVENT_TELEMETRY"),
    "FP_EVENT_SCAN_COMPLETED": (_native.FP_EVENT_SCAN_COMPLETED, "FP_EVENT_SCAN_COMPLETED"),
}
for _name, _v in _native.PROTOCOLS.items():
    CONSTANTS["PROTOCOLS[%s]" % _name] = (_v, "FP_PROTO_" + _name.upper())
for _name, _v in _native.STATES.items():
    CONSTANTS["STATES[%s]" % _name] = (_v, "FP_STATE_" + _name.upper().replace("|", "_"))
for _name, _v in _native.SEND_PATHS.items():
    CONSTANTS["SEND_PATHS[%s]" % _name] = (_v, "FP_SEND_" + _name.upper())


def _program():
    out = ['#include <stddef.h>', '#include <stdio.h>', '#include "fastport.h"',
           'int main(void)', '{']
    for ctype, (_, members) in STRUCTS.items():
        out.append('\tprintf("struct %s %%zu %%zu\\n", sizeof(%s), _Alignof(%s));'
                   % (ctype, ctype, ctype))
        for m in members:
            out.append('\tprintf("member %s %s %%zu %%zu\\n", offsetof(%s, %s), '
                       'sizeof(((%s *)0)->%s));' % (ctype, m, ctype, m, ctype, m))
    for key, (_, expr) in CONSTANTS.items():
        out.append('\tprintf("const %s %%lld\\n", (long long)(%s));' % (key, expr))
    out.append('#define E(name, val, msg) printf("errno FP_E%s %d\\n", #name, (int)FP_E##name);')
    out.append('\tFP_ERRNO_MAP(E)')
    out.append('\tprintf("soname libfastport.so.%d\\n", FP_VERSION_MAJOR);')
    out.append('\treturn 0;')
    out.append('}')
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def header_facts(tmp_path_factory):
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        pytest.skip("no C compiler (%s) to read the header with" % cc)
    d = tmp_path_factory.mktemp("abi")
    src, exe = d / "abi.c", d / "abi"
    src.write_text(_program())
    subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-I", os.path.join(ROOT, "include"),
                    "-o", str(exe), str(src)], check=True)
    lines = subprocess.run([str(exe)], check=True, stdout=subprocess.PIPE,
                           universal_newlines=True).stdout.splitlines()
    facts = {"struct": {}, "member": {}, "const": {}, "errno": {}, "soname": None}
    for line in lines:
        kind, rest = line.split(" ", 1)
        if kind == "struct":
            name, size, align = rest.split()
            facts["struct"][name] = (int(size), int(align))
        elif kind == "member":
            ctype, m, off, size = rest.split()
            facts["member"][(ctype, m)] = (int(off), int(size))
        elif kind == "const":
            key, val = rest.rsplit(" ", 1)
            facts["const"][key] = int(val)
        elif kind == "errno":
            name, val = rest.split()
            facts["errno"][name] = int(val)
        else:
            facts["soname"] = rest
    return facts


@pytest.mark.parametrize("ctype", sorted(STRUCTS))
def test_struct_layout(header_facts, ctype):
    cls, members = STRUCTS[ctype]
    size, align = header_facts["struct"][ctype]
    assert ctypes.sizeof(cls) == size, "sizeof(%s)" % ctype
    assert ctypes.alignment(cls) == align, "_Alignof(%s)" % ctype
    # Every member the header has, in its order and nothing more.
    assert [f[0] for f in cls._fields_] == [PY_NAME.get(m, m) for m in members]
    for m in members:
        field = getattr(cls, PY_NAME.get(m, m))
        assert (field.offset, field.size) == header_facts["member"][(ctype, m)], \
            "%s.%s: (offset, size)" % (ctype, m)


def test_struct_members_complete(header_facts):
    """The member lists above name every member of the header's structs: the
    members' sizes plus padding account for the whole struct."""
    for ctype, (_, members) in STRUCTS.items():
        size, align = header_facts["struct"][ctype]
        end = 0
        for m in members:
            off, msize = header_facts["member"][(ctype, m)]
            assert off >= end, "%s.%s overlaps the member before it" % (ctype, m)
            end = off + msize
        # Whatever follows the last listed member is tail padding only.
        assert size - end < align, "%s has members after %s" % (ctype, members[-1])


def test_constants(header_facts):
    for key, (value, expr) in CONSTANTS.items():
        assert value == header_facts["const"][key], "%s (%s)" % (key, expr)
    assert _native.SONAME == header_facts["soname"]


def test_error_codes(header_facts):
    mine = {name: getattr(_native, name) for name in dir(_native)
            if name.startswith("FP_E") and not name.startswith("FP_EVENT_")}
    assert mine == header_facts["errno"]
