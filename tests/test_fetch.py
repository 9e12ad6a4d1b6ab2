"""Offline-first fetching: cache, mirrors, download with resume, verification, and the error report."""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
from dataclasses import replace

import pytest

from data_tools import config, fetch as fetch_module
from data_tools.fetch import ChecksumError, DataUnavailableError, fetch, fetch_file, find_local, locate
from data_tools.registry import REGISTRY, DatasetSpec, FileSpec
from tests.http_server import FileServer

CONTENT = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(256)) + b"the end"   # 8 kB, incompressible
PACKED = gzip.compress(CONTENT, mtime=0)
SHA = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own cache dir, no configured or system mirrors, online, and no proxy for 127.0.0.1."""
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", "")
    monkeypatch.delenv("CNN_COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(config, "SYSTEM_MIRRORS", ())
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def server():
    with FileServer() as running:
        yield running


def spec_for(*urls, sha256=SHA, **fields) -> FileSpec:
    return FileSpec("data.bin.gz", tuple(urls), sha256, **fields)


def get(spec, tmp_path, mirrors=(), download=True):
    return fetch_file(spec, cache_dir=tmp_path / "cache", mirrors=list(mirrors), download=download, progress=False)


def leftovers(tmp_path):
    return sorted(path.name for path in (tmp_path / "cache").glob("data.bin*") if not path.name.endswith(".verified"))


def test_download_verifies_then_renames_part_into_place(server, tmp_path, monkeypatch, capsys):
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(fetch_module.os, "replace", lambda src, dst: renames.append((str(src), str(dst)))
                        or real_replace(src, dst))
    path = fetch_file(spec_for(server.add("/data.bin.gz", PACKED)), cache_dir=tmp_path / "cache", mirrors=[],
                      download=True, progress=True)
    assert path == tmp_path / "cache" / "data.bin.gz" and path.read_bytes() == PACKED
    assert (str(path) + ".part", str(path)) in renames
    assert leftovers(tmp_path) == ["data.bin.gz"]
    out, err = capsys.readouterr()
    assert "data.bin.gz" in out and err == ""       # the progress bar goes to stdout: stderr fails graded cells


def test_verified_cache_is_reused_without_network_or_rehashing(server, tmp_path, monkeypatch):
    spec = spec_for(server.add("/data.bin.gz", PACKED))
    first = get(spec, tmp_path)
    monkeypatch.setattr(fetch_module, "_digest", lambda *args: pytest.fail("a stamped file was hashed again"))
    assert get(spec, tmp_path) == first
    assert len(server.requests) == 1


def test_changed_cache_file_is_verified_again_and_set_aside(server, tmp_path):
    spec = spec_for(server.add("/data.bin.gz", PACKED))
    path = get(spec, tmp_path)
    path.write_bytes(gzip.compress(CONTENT[:-1], mtime=0))      # changed after its stamp was written
    with pytest.raises(ChecksumError) as error:
        get(spec, tmp_path, download=False)
    assert "checksum mismatch" in str(error.value)
    assert leftovers(tmp_path) == ["data.bin.gz.corrupt"]


def test_corrupt_cache_file_is_skipped_and_not_reused(server, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "data.bin.gz").write_bytes(gzip.compress(b"not the data"))
    spec = spec_for(server.add("/data.bin.gz", PACKED))
    path = get(spec, tmp_path)
    assert path.read_bytes() == PACKED and (tmp_path / "cache" / "data.bin.gz.corrupt").exists()
    assert len(server.requests) == 1


def test_corrupt_cache_file_never_counts_as_found(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "data.bin.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ChecksumError, match="cache .*data.bin.gz: unreadable or corrupt"):
        get(spec_for(), tmp_path, download=False)
    with pytest.raises(DataUnavailableError, match="cache .*data.bin.gz: missing"):
        get(spec_for(), tmp_path, download=False)


def test_truncated_download_is_resumed_with_a_range_request(server, tmp_path):
    spec = spec_for(server.add("/data.bin.gz", PACKED, truncate_after=1000))
    assert get(spec, tmp_path).read_bytes() == PACKED
    assert [asked for _, asked in server.requests] == [None, "bytes=1000-"]
    assert leftovers(tmp_path) == ["data.bin.gz"]


def test_partial_download_is_kept_and_resumed_by_the_next_call(server, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "ATTEMPTS", 1)
    spec = spec_for(server.add("/data.bin.gz", PACKED, truncate_after=700))
    with pytest.raises(DataUnavailableError, match="connection closed after 700 of"):
        get(spec, tmp_path)
    assert leftovers(tmp_path) == ["data.bin.gz.part"]      # never looks complete
    assert get(spec, tmp_path).read_bytes() == PACKED
    assert server.requests[-1][1] == "bytes=700-"


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "data.bin.gz.part").write_bytes(b"stale bytes from something else")
    spec = spec_for(server.add("/data.bin.gz", PACKED, ignore_range=True))
    assert get(spec, tmp_path).read_bytes() == PACKED
    assert server.requests == [("/data.bin.gz", "bytes=31-")]       # one request: the 200 was written from 0


def test_stale_partial_file_is_discarded_once(server, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "data.bin.gz.part").write_bytes(b"x" * 100)     # not a prefix of the file
    spec = spec_for(server.add("/data.bin.gz", PACKED))
    assert get(spec, tmp_path).read_bytes() == PACKED
    assert [asked for _, asked in server.requests] == ["bytes=100-", None]


def test_wrong_download_is_reported_and_removed(server, tmp_path):
    other = b"some other file"
    url = server.add("/data.bin.gz", gzip.compress(other))
    with pytest.raises(ChecksumError) as error:
        get(spec_for(url), tmp_path, mirrors=[tmp_path / "share"])
    message = str(error.value)
    assert "data.bin.gz" in message and f"expected sha256 {SHA}" in message
    assert f"cache {tmp_path / 'cache' / 'data.bin.gz'}: missing" in message
    assert f"mirror {tmp_path / 'share'}: folder does not exist" in message
    assert f"{url}: downloaded, but checksum mismatch" in message
    assert f"got {hashlib.sha256(other).hexdigest()}" in message and "CNN_COURSE_MIRRORS" in message
    assert leftovers(tmp_path) == []


def test_damaged_download_is_removed(server, tmp_path):
    with pytest.raises(ChecksumError, match="downloaded, but"):
        get(spec_for(server.add("/data.bin.gz", PACKED, corrupt=True)), tmp_path)
    assert leftovers(tmp_path) == []


def test_404_on_first_url_then_second_url(server, tmp_path):
    missing = server.url("/gone/data.bin.gz")
    spec = spec_for(missing, server.add("/data.bin.gz", PACKED))
    assert get(spec, tmp_path).read_bytes() == PACKED
    assert [path for path, _ in server.requests] == ["/gone/data.bin.gz", "/data.bin.gz"]


def test_every_failure_is_listed_when_nothing_works(server, tmp_path):
    spec = spec_for(server.url("/gone/data.bin.gz"), "http://127.0.0.1:9/data.bin.gz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataUnavailableError) as error:
        get(spec, tmp_path, mirrors=[tmp_path / "empty"])
    assert not isinstance(error.value, ChecksumError)
    message = str(error.value)
    assert f"mirror {tmp_path / 'empty'}: missing" in message
    assert "gone/data.bin.gz: HTTP error 404" in message
    assert "127.0.0.1:9/data.bin.gz: network error" in message


@pytest.mark.parametrize("name, data", [("data.bin.gz", gzip.compress(CONTENT, compresslevel=1, mtime=12345)),
                                        ("data.bin", CONTENT)])
def test_mirror_copy_is_used_in_place_compressed_or_not(tmp_path, name, data):
    assert data != PACKED
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / name).write_bytes(data)
    assert get(spec_for(), tmp_path, mirrors=[tmp_path / "nowhere", tmp_path / "share"]) == tmp_path / "share" / name
    assert leftovers(tmp_path) == []                # read in place, not copied


def test_bad_mirror_copy_is_reported_and_the_next_source_used(server, tmp_path):
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "data.bin").write_bytes(CONTENT[::-1])
    spec = spec_for(server.add("/data.bin.gz", PACKED))
    assert get(spec, tmp_path, mirrors=[tmp_path / "share"]) == tmp_path / "cache" / "data.bin.gz"
    (tmp_path / "cache" / "data.bin.gz").unlink()
    with pytest.raises(ChecksumError, match=r"share/data.bin: checksum mismatch: expected sha256 \w+ of the "
                                            r"decompressed content, got \w+"):
        get(spec, tmp_path, mirrors=[tmp_path / "share"], download=False)


def test_offline_mode_never_touches_the_network(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used while offline"))
    url = server.add("/data.bin.gz", PACKED)
    with pytest.raises(DataUnavailableError, match="skipped \\(offline") as error:
        get(spec_for(url), tmp_path, download=True)
    assert "unset CNN_COURSE_OFFLINE" in str(error.value)
    assert server.requests == []


def test_size_and_md5_checks(tmp_path):
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "data.bin.gz").write_bytes(PACKED)
    size = FileSpec("data.bin.gz", (), sha256=None, size=len(PACKED))
    md5 = FileSpec("data.bin.gz", (), sha256=None, md5=hashlib.md5(PACKED).hexdigest())
    for good in (size, md5):
        assert get(good, tmp_path, mirrors=[tmp_path / "share"], download=False) == tmp_path / "share" / "data.bin.gz"
    with pytest.raises(ChecksumError, match=f"expected size {len(PACKED) + 1} bytes, got {len(PACKED)} bytes"):
        get(replace(size, size=len(PACKED) + 1), tmp_path, mirrors=[tmp_path / "share"], download=False)
    with pytest.raises(ChecksumError, match="expected md5 0+, got"):
        get(replace(md5, md5="0" * 32), tmp_path, mirrors=[tmp_path / "share"], download=False)
    with pytest.raises(ValueError, match="sha256, md5 or size"):
        FileSpec("x", (), sha256=None)


@pytest.fixture
def toy(monkeypatch):
    """A registered two-file data set 'toy'; both files hold CONTENT."""
    files = {"a": FileSpec("a.bin.gz", ("http://127.0.0.1:9/a.bin.gz",), SHA),
             "b": FileSpec("b.bin.gz", ("http://127.0.0.1:9/b.bin.gz",), SHA)}
    monkeypatch.setitem(REGISTRY, "toy", DatasetSpec("toy", "Toy", files, ("x",), (1, 2, 2), (0.5,), (0.5,),
                                                     1, 1, "", ""))


def test_fetch_uses_config_and_mirror_layouts(toy, tmp_path, monkeypatch):
    for folder in ("flat", "tree/toy", "mnist"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "flat" / "a.bin").write_bytes(CONTENT)
    (tmp_path / "tree" / "toy" / "b.bin.gz").write_bytes(PACKED)
    (tmp_path / "mnist" / "a.bin.gz").write_bytes(PACKED)         # named after another data set: not used
    monkeypatch.setenv("CNN_COURSE_MIRRORS", os.pathsep.join(str(tmp_path / d) for d in ("mnist", "flat", "tree")))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    assert fetch("toy", "a") == tmp_path / "flat" / "a.bin"
    assert fetch("toy", "b") == tmp_path / "tree" / "toy" / "b.bin.gz"
    assert (tmp_path / "cache" / "toy" / "a.bin.gz.verified").exists()
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(tmp_path / "mnist"))
    with pytest.raises(DataUnavailableError) as error:
        fetch("toy", "a")
    assert "mnist" not in str(error.value)
    with pytest.raises(ValueError, match="Unknown data set 'nope'"):
        fetch("nope", "a")
    with pytest.raises(ValueError, match="toy has no file 'c'"):
        fetch("toy", "c")


def test_fetch_downloads_into_the_dataset_cache_folder(toy, server, monkeypatch, tmp_path):
    files = dict(REGISTRY["toy"].files, a=FileSpec("a.bin.gz", (server.add("/a.bin.gz", PACKED),), SHA))
    monkeypatch.setitem(REGISTRY, "toy", replace(REGISTRY["toy"], files=files))
    assert fetch("toy", "a", progress=False) == tmp_path / "cache" / "toy" / "a.bin.gz"
    with pytest.raises(DataUnavailableError, match="downloads turned off"):
        fetch("toy", "b", download=False)


def test_locate_says_where_a_file_would_come_from(toy, tmp_path, monkeypatch):
    assert locate("toy", "a") == "download from http://127.0.0.1:9/"
    assert find_local("toy", "a") is None
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    assert locate("toy", "a").startswith("not available")
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "a.bin.gz").write_bytes(PACKED)
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(tmp_path / "share"))
    assert locate("toy", "a") == f"mirror {tmp_path / 'share'} (checksum checked on first use)"
    fetch("toy", "a")
    assert locate("toy", "a") == f"mirror {tmp_path / 'share'} (verified)"
    (tmp_path / "cache" / "toy" / "a.bin.gz").write_bytes(PACKED)
    assert find_local("toy", "a") == tmp_path / "cache" / "toy" / "a.bin.gz"
    assert locate("toy", "a") == f"cache {tmp_path / 'cache' / 'toy'} (checksum checked on first use)"
