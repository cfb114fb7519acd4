# SPDX-License-Identifier: MIT
"""Unit tests of the bindings: no packet is sent by any of them (every scan
here fails before the library opens a socket, or is never started)."""
import collections.abc
import re
import subprocess

import pytest

import fastport
from fastport import _native


def test_build_info_matches_readelf():
    info = fastport.build_info()
    assert set(info) >= {"build_id", "build_mode", "version", "source_rev",
                         "compiler", "cpu_target"}
    notes = subprocess.run(["readelf", "-n", fastport.library_path()], check=True,
                           stdout=subprocess.PIPE, universal_newlines=True).stdout
    ids = re.findall(r"Build ID: ([0-9a-f]+)", notes)
    assert ids == [info["build_id"]]
    assert info["build_mode"] in ("fast", "secure", "debug", "tsan")
    assert info["version"].split(".")[0] == str(_native.ABI_MAJOR)


def test_config_layout_matches_library():
    import ctypes
    buf = _native.ConfigBuffer()
    _native.load().fp_config_init(ctypes.byref(buf))
    assert buf.cfg.struct_size == ctypes.sizeof(_native.FpConfig)
    assert buf.cfg.rate == 10000 and buf.cfg.out_fd == -1 and buf.cfg.shard_count == 1


@pytest.mark.parametrize("spec, token", [
    ("198.19.0.300", "198.19.0.300"),
    ("198.19.0.1, 10.0.0.0/33", "10.0.0.0/33"),
    ("foo.example", "foo.example"),
])
def test_bad_target_names_token(spec, token):
    with pytest.raises(ValueError) as e:
        fastport.scan(spec, 80)
    assert token in str(e.value)
    assert isinstance(e.value, fastport.FastportError)
    assert e.value.code == _native.FP_EINVAL
    assert token in e.value.message


def test_bad_target_in_list():
    with pytest.raises(fastport.SpecError, match="bogus"):
        fastport.scan(["198.19.0.1", "bogus"], 80)


@pytest.mark.parametrize("ports, token", [
    ("22,70000", "70000"),
    ("22,x", "x"),
    ([22, 65536], "65536"),
])
def test_bad_port_spec(ports, token):
    with pytest.raises(ValueError) as e:
        fastport.scan("198.19.0.1", ports)
    assert token in str(e.value)


@pytest.mark.parametrize("options, word", [
    ({"rate": 0}, "rate"),
    ({"rate": "fast"}, "rate"),
    ({"retries": -1}, "retries"),
    ({"states": "opne"}, "opne"),
    ({"shard": "3/2"}, "3/2"),
    ({"shard": "1"}, "shard"),
    ({"wait": "soon"}, "wait"),
    ({"router_mac": "zz:zz"}, "zz:zz"),
    ({"source_ip": "not-an-ip"}, "not-an-ip"),
    ({"exclude": "198.19.0.0/99"}, "198.19.0.0/99"),
    ({"send_path": "dpdk"}, "dpdk"),
])
def test_bad_option_value(options, word):
    with pytest.raises(ValueError) as e:
        fastport.scan("198.19.0.1", 80, **options)
    assert word in str(e.value)


def test_unknown_option():
    with pytest.raises(TypeError, match="frobnicate"):
        fastport.scan("198.19.0.1", 80, frobnicate=True)


@pytest.mark.parametrize("items, word", [
    ([("198.19.0.1", 22), ("198.19.0.999", 80)], "198.19.0.999"),
    ([("198.19.0.1", 70000)], "70000"),
    ([("198.19.0.1", 22, "sctp")], "sctp"),
    ([("198.19.0.1",)], "target 0"),
    ([], "no targets"),
])
def test_bad_batch(items, word):
    with pytest.raises(ValueError) as e:
        fastport.scan_batch(items)
    assert word in str(e.value)


def test_error_from_library_when_iterating():
    # Without allow_reserved every target is excluded: the library refuses
    # before it opens any socket, and next() raises its error.
    s = fastport.scan("198.19.0.1", 80)
    assert isinstance(s, collections.abc.Generator)
    with pytest.raises(fastport.FastportError) as e:
        next(s)
    assert e.value.code == _native.FP_EEMPTY
    assert "allow-reserved" in e.value.message
    assert not s.running
    with pytest.raises(StopIteration):
        next(s)


def test_batch_error_when_iterating():
    s = fastport.scan_batch([("198.19.0.1", 80)])
    with pytest.raises(fastport.FastportError) as e:
        list(s)
    assert e.value.code == _native.FP_EEMPTY


def test_close_before_start():
    s = fastport.scan("198.19.0.1", 80, allow_reserved=True)
    s.close()
    s.close()
    with pytest.raises(StopIteration):
        next(s)
    with fastport.scan_batch([("198.19.0.1", 80)], allow_reserved=True):
        pass


def test_udp_payload_too_long():
    with pytest.raises(fastport.FastportError) as e:
        fastport.scan("198.19.0.1", "U:53", udp_payloads={53: b"\0" * 1401})
    assert e.value.code == _native.FP_ERANGE
    assert "1401" in e.value.message


def test_udp_payload_accepted():
    s = fastport.scan("198.19.0.1", "U:53", udp_payloads={53: b"\0\1", 123: b""},
                      allow_reserved=True)
    s.close()
