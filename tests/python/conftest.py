# SPDX-License-Identifier: MIT
"""pytest set-up for the fastport Python bindings.

Uses python/ from this tree (unless FASTPORT_TEST_INSTALLED=1, to test an
installed package) and build/fast's library unless FASTPORT_LIBRARY says
otherwise. Tests marked `lab` send packets: they run only inside the lab
namespaces of tests/lab/t_python.sh (FASTPORT_LAB=1 and a network namespace
that is the one the lab named); everywhere else they are skipped.
"""
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

if os.environ.get("FASTPORT_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(ROOT, "python"))
_built = os.path.join(ROOT, "build", "fast", "lib", "libfastport.so.0")
if "FASTPORT_LIBRARY" not in os.environ and os.path.exists(_built):
    os.environ["FASTPORT_LIBRARY"] = _built


def in_lab_namespace():
    """True only inside the named network namespace the lab created
    (FASTPORT_LAB=1, FASTPORT_LAB_NETNS=name, and /run/netns/name is the
    namespace this process is in)."""
    name = os.environ.get("FASTPORT_LAB_NETNS", "")
    if os.environ.get("FASTPORT_LAB") != "1" or not name or "/" in name:
        return False
    try:
        return os.stat("/run/netns/" + name).st_ino == os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return False


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: sends packets; only inside the lab "
                            "namespaces of tests/lab/t_python.sh")


def pytest_collection_modifyitems(config, items):
    if in_lab_namespace():
        return
    skip = pytest.mark.skip(reason="lab test: run by tests/lab/t_python.sh in its namespaces")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)
