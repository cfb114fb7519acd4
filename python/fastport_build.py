# SPDX-License-Identifier: MIT
"""A minimal in-tree PEP 517 build backend for the fastport package.

pip builds in an isolated environment and would download setuptools for
it; this backend needs only the standard library, so `pip install ./python`
works with no network. It writes the wheel with zipfile (METADATA, WHEEL,
RECORD with sha256) and bundles the shared library when one is found:
$FASTPORT_LIBRARY, else ../build/fast/lib/libfastport.so.0. With a bundled
library the wheel is tagged for this platform, otherwise it is pure Python
and the library is looked up at run time.
"""
import base64
import hashlib
import io
import os
import re
import sysconfig
import tarfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "fastport"
SONAME = "libfastport.so.0"
SDIST_FILES = ["pyproject.toml", "fastport_build.py", "README.md"]


def _version():
    with open(os.path.join(HERE, "fastport", "__init__.py")) as f:
        m = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    if not m:
        raise RuntimeError("no __version__ in fastport/__init__.py")
    return m.group(1)


def _metadata():
    with open(os.path.join(HERE, "README.md")) as f:
        readme = f.read()
    return ("Metadata-Version: 2.1\n"
            "Name: %s\n"
            "Version: %s\n"
            "Summary: Python bindings of libfastport, a fast, accurate and safe network port scanner\n"
            "License: MIT\n"
            "Requires-Python: >=3.7\n"
            "Description-Content-Type: text/markdown\n"
            "\n%s" % (NAME, _version(), readme))


def _library():
    env = os.environ.get("FASTPORT_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise RuntimeError("FASTPORT_LIBRARY=%s: no such file" % env)
        return env
    built = os.path.join(HERE, "..", "build", "fast", "lib", SONAME)
    return built if os.path.isfile(built) else None


def _package_files():
    pkg = os.path.join(HERE, NAME)
    out = []
    for name in sorted(os.listdir(pkg)):
        path = os.path.join(pkg, name)
        if os.path.isfile(path) and (name.endswith(".py") or name == "py.typed"):
            out.append((NAME + "/" + name, path))
    return out


def _tag(lib):
    if not lib:
        return "py3-none-any", True
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "py3-none-" + plat, False


def _dist_info():
    return "%s-%s.dist-info" % (NAME, _version())


def _wheel_text(tag, purelib):
    return ("Wheel-Version: 1.0\nGenerator: fastport_build\nRoot-Is-Purelib: %s\nTag: %s\n"
            % ("true" if purelib else "false", tag))


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def _write_wheel(directory, files, tag, purelib):
    """files: list of (arcname, bytes, mode)."""
    dist_info = _dist_info()
    files = list(files)
    files.append((dist_info + "/METADATA", _metadata().encode(), 0o644))
    files.append((dist_info + "/WHEEL", _wheel_text(tag, purelib).encode(), 0o644))
    record = [_record_line(a, d) for a, d, _ in files]
    record.append(dist_info + "/RECORD,,")
    files.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode(), 0o644))
    name = "%s-%s-%s.whl" % (NAME, _version(), tag)
    # A fixed date keeps the wheel reproducible.
    stamp = time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")))[:6]
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data, mode in files:
            info = zipfile.ZipInfo(arcname, date_time=stamp)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return name


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# PEP 517 hooks.

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = os.path.join(metadata_directory, _dist_info())
    os.makedirs(dist_info, exist_ok=True)
    with open(os.path.join(dist_info, "METADATA"), "w") as f:
        f.write(_metadata())
    tag, purelib = _tag(_library())
    with open(os.path.join(dist_info, "WHEEL"), "w") as f:
        f.write(_wheel_text(tag, purelib))
    return _dist_info()


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    lib = _library()
    tag, purelib = _tag(lib)
    files = [(arc, _read(path), 0o644) for arc, path in _package_files()]
    if lib:
        files.append((NAME + "/" + SONAME, _read(lib), 0o755))
    return _write_wheel(wheel_directory, files, tag, purelib)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: a .pth file that puts this source tree on sys.path; the
    library is found through FASTPORT_LIBRARY or the system."""
    pth = (HERE + "\n").encode()
    return _write_wheel(wheel_directory, [("__editable__.fastport.pth", pth, 0o644)],
                        "py3-none-any", True)


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, _version())
    name = base + ".tar.gz"
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))

    def add(tar, arcname, data):
        info = tarfile.TarInfo(base + "/" + arcname)
        info.size = len(data)
        info.mtime = mtime
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        add(t, "PKG-INFO", _metadata().encode())
        for f in SDIST_FILES:
            add(t, f, _read(os.path.join(HERE, f)))
        for arc, path in _package_files():
            add(t, arc, _read(path))
    return name
