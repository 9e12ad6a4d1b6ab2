"""Registry, IDX and CIFAR-10 readers, load_dataset (real data, fast subsets, caching) and its fallbacks."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from data_tools import cifar, config, datasets
from data_tools.cifar import read_cifar10
from data_tools.datasets import FAST_TRAIN, class_names, dataset_spec, load_dataset
from data_tools.fetch import ChecksumError, DataUnavailableError
from data_tools.idx import read_idx
from data_tools.registry import REGISTRY

MNIST_MIRROR = Path("/work/shared/datasets/mnist")
FASHION_MIRROR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own cache dir, no mirrors, offline (nothing may reach the network), fresh in-memory caches."""
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", "")
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    monkeypatch.delenv("CNN_COURSE_FAST", raising=False)
    monkeypatch.setattr(config, "SYSTEM_MIRRORS", ())
    yield
    datasets._real_arrays.cache_clear()


def needs(mirror: Path):
    return pytest.mark.skipif(not mirror.is_dir(), reason=f"real-data mirror {mirror} is not on this machine")


# ---------------------------------------------------------------- registry

def test_registry_entries_are_consistent():
    assert set(REGISTRY) == {"mnist", "fashion_mnist", "cifar10", "notmnist_small"}
    for name, spec in REGISTRY.items():
        assert spec.name == name and len(spec.classes) == 10
        assert len(spec.mean) == len(spec.std) == spec.shape[0]
        for file in spec.files.values():
            assert file.urls and all(url.endswith("/" + file.filename) for url in file.urls)
            assert file.sha256 is None or len(file.sha256) == 64
    assert REGISTRY["mnist"].files["train_images"].urls[0].startswith("https://ossci-datasets.s3.amazonaws.com/")
    assert REGISTRY["mnist"].files["test_labels"].md5 == "ec29112dd5afa0611ce80d1b7f02629c"
    assert REGISTRY["notmnist_small"].files["archive"].size == 8458043
    assert class_names("fashion_mnist")[9] == "Ankle boot" and class_names("cifar10")[0] == "airplane"
    assert dataset_spec("cifar10").shape == (3, 32, 32)
    with pytest.raises(ValueError, match="Unknown data set 'svhn'"):
        dataset_spec("svhn")


def test_gzip_names_and_checks():
    idx = REGISTRY["mnist"].files["train_images"]
    archive = REGISTRY["cifar10"].files["archive"]
    assert idx.gzipped and idx.decompressed_name == "train-images-idx3-ubyte"
    assert not archive.gzipped and archive.decompressed_name is None
    assert idx.describe_checksum().endswith("of the decompressed content")
    assert archive.describe_checksum() == f"sha256 {archive.sha256}"


# ---------------------------------------------------------------- IDX

def idx_bytes(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("array", [np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
                                   np.array([1, -2, 70000], dtype=np.int32),
                                   np.array([[0.5, -1.25]], dtype=np.float32)])
@pytest.mark.parametrize("packed", [False, True])
def test_read_idx_round_trip(tmp_path, array, packed):
    data = idx_bytes(array)
    path = tmp_path / "x-idx"                       # compression is detected from the content, not the name
    path.write_bytes(gzip.compress(data) if packed else data)
    result = read_idx(path)
    assert result.dtype == array.dtype.newbyteorder("=") and result.flags.writeable
    np.testing.assert_array_equal(result, array)


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[:-5], "truncated: 19 of 24 data bytes"),
    (lambda data: data[:10], "header ends early"),
    (lambda data: data + b"\0", "more data than its shape"),
    (lambda data: b"\1" + data[1:], "not an IDX file"),
    (lambda data: data[:3] + b"\x02" + data[4:], r"more data than its shape \(2, 3\)"),   # dims byte wrong
])
def test_read_idx_rejects_damaged_files(tmp_path, damage, message):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(damage(idx_bytes(np.zeros((2, 3, 4), np.uint8))))
    with pytest.raises(ValueError, match=message) as error:
        read_idx(path)
    assert "train-images-idx3-ubyte" in str(error.value) and "fetch it again" in str(error.value)


def test_read_idx_rejects_truncated_gzip(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.int32)))
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz is a truncated or corrupt gzip file"):
        read_idx(path)


# ---------------------------------------------------------------- CIFAR-10 archive

def py2_pickle(data: np.ndarray, labels) -> bytes:
    """A batch pickled the way CIFAR-10's Python 2 files are: protocol 2, str keys and the array's
    bytes as BINSTRING, NumPy under its old module name numpy.core.multiarray."""
    def text(raw: bytes) -> bytes:
        return (b"U" + bytes([len(raw)]) if len(raw) < 256 else b"T" + struct.pack("<i", len(raw))) + raw

    def number(value: int) -> bytes:
        return b"J" + struct.pack("<i", value)

    def name(module: bytes, attribute: bytes) -> bytes:
        return b"c" + module + b"\n" + attribute + b"\n"

    dtype = (name(b"numpy", b"dtype") + text(b"u1") + b"\x89\x88\x87R"
             + b"(" + number(3) + text(b"|") + b"NNN" + number(-1) + number(-1) + number(0) + b"tb")
    array = (name(b"numpy.core.multiarray", b"_reconstruct") + name(b"numpy", b"ndarray")
             + number(0) + b"\x85" + text(b"b") + b"\x87R"
             + b"(" + number(1) + number(data.shape[0]) + number(data.shape[1]) + b"\x86" + dtype
             + b"\x89" + text(data.tobytes()) + b"tb")
    items = (text(b"data") + array + text(b"labels") + b"](" + b"".join(number(int(v)) for v in labels) + b"e"
             + text(b"batch_label") + text(b"training batch 1 of 5"))
    return b"\x80\x02}(" + items + b"u."


def add_member(tar: tarfile.TarFile, name: str, blob: bytes) -> None:
    info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
    info.size = len(blob)
    tar.addfile(info, io.BytesIO(blob))


def make_cifar_archive(path: Path, per_batch: int = 4, skip: str = "", evil: bool = False) -> dict:
    """A small archive laid out like cifar-10-python.tar.gz; returns the (data, labels) of each batch."""
    rng = np.random.default_rng(0)
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        add_member(tar, "readme.html", b"<html></html>")
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            labels = rng.integers(0, 10, per_batch)
            batches[name] = data, labels
            if name != skip:
                blob = pickle.dumps({"data": Evil(), "labels": []}) if evil and name == "test_batch" \
                    else py2_pickle(data, labels)
                add_member(tar, name, blob)
    return batches


class Evil:
    def __reduce__(self):
        return os.system, ("echo pwned",)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(cifar, "BATCH_SIZE", 4)


def test_read_cifar10_splits_channel_first(tmp_path, small_batches):
    batches = make_cifar_archive(tmp_path / "cifar-10-python.tar.gz")
    images, labels = read_cifar10(tmp_path / "cifar-10-python.tar.gz", "train")
    assert images.shape == (20, 3, 32, 32) and images.dtype == np.uint8 and labels.dtype == np.int64
    data = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    assert images[0, 1, 0, 0] == data[0, 1024] and images[0, 0, 0, 1] == data[0, 1]    # R plane, then G, B
    np.testing.assert_array_equal(images, data.reshape(-1, 3, 32, 32))
    np.testing.assert_array_equal(labels, np.concatenate([batches[f"data_batch_{i}"][1] for i in range(1, 6)]))
    test_images, test_labels = read_cifar10(tmp_path / "cifar-10-python.tar.gz", "test")
    np.testing.assert_array_equal(test_images, batches["test_batch"][0].reshape(-1, 3, 32, 32))
    assert list(tmp_path.iterdir()) == [tmp_path / "cifar-10-python.tar.gz"]     # nothing extracted


def test_read_cifar10_refuses_code_in_pickles(tmp_path, small_batches, capfd):
    make_cifar_archive(tmp_path / "c.tar.gz", evil=True)
    with pytest.raises(ValueError, match="refused to load posix.system|refused to load nt.system"):
        read_cifar10(tmp_path / "c.tar.gz", "test")
    assert "pwned" not in capfd.readouterr().out


def test_read_cifar10_damaged_archives(tmp_path, small_batches):
    path = tmp_path / "cifar-10-python.tar.gz"
    make_cifar_archive(path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz is truncated or corrupt"):
        read_cifar10(path, "test")
    path.write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz is truncated or corrupt"):
        read_cifar10(path, "train")
    make_cifar_archive(path, skip="data_batch_3")
    with pytest.raises(ValueError, match="lacks cifar-10-batches-py/data_batch_3"):
        read_cifar10(path, "train")
    with pytest.raises(ValueError, match="Unknown split"):
        read_cifar10(path, "validation")


def test_load_cifar10_from_a_verified_archive(tmp_path, small_batches, monkeypatch):
    (tmp_path / "share").mkdir()
    archive = tmp_path / "share" / "cifar-10-python.tar.gz"
    batches = make_cifar_archive(archive)
    file = replace(REGISTRY["cifar10"].files["archive"], sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    monkeypatch.setitem(REGISTRY, "cifar10", replace(REGISTRY["cifar10"], files={"archive": file},
                                                     n_train=20, n_test=4))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(tmp_path / "share"))
    data = load_dataset("cifar10", "test", fallback=False)
    assert not data.synthetic and data.source == f"mirror {tmp_path / 'share'}"
    assert data.mean == (0.4914, 0.4822, 0.4465) and data.classes[9] == "truck"
    assert data.labels.tolist() == batches["test_batch"][1].tolist()


# ---------------------------------------------------------------- load_dataset on small fake MNIST files

@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A registered 'mnist' of 5,000 train / 100 test images in a mirror; each image's first pixel is its label."""
    share = tmp_path / "share"
    share.mkdir()
    rng = np.random.default_rng(1)
    files = {}
    for split, n in (("train", 5000), ("test", 100)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        images[:, 0, 0] = labels
        for role, array in ((f"{split}_images", images), (f"{split}_labels", labels)):
            raw = idx_bytes(array)
            name = REGISTRY["mnist"].files[role].filename
            (share / name).write_bytes(gzip.compress(raw))
            files[role] = replace(REGISTRY["mnist"].files[role], sha256=hashlib.sha256(raw).hexdigest())
    monkeypatch.setitem(REGISTRY, "mnist", replace(REGISTRY["mnist"], files=files, n_train=5000, n_test=100))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(share))
    return share


def test_fast_mode_is_a_fixed_subset_with_matching_labels(fake_mnist, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_FAST", "1")
    first, again = load_dataset("mnist"), load_dataset("mnist", fast=True)
    assert len(first) == FAST_TRAIN == 4000 and first.images.shape == (4000, 1, 28, 28)
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    assert torch.equal(first.images[:, 0, 0, 0].long(), first.labels)          # pairs kept together
    full = load_dataset("mnist", fast=False)
    assert len(full) == 5000 and not torch.equal(full.images[:4000], first.images)     # random, not the head
    assert "fast mode: 4,000 of 5,000" in first.source and first.mean == (0.1307,)
    assert len(load_dataset("mnist", "test")) == 100            # smaller than FAST_TEST: all of it


def test_decoded_data_is_cached_and_each_call_gets_a_copy(fake_mnist, monkeypatch):
    first = load_dataset("mnist", "test", fallback=False)
    first.images.zero_()
    monkeypatch.setattr(datasets, "fetch", lambda *a, **k: pytest.fail("fetched again"))
    again = load_dataset("mnist", "test", fallback=False)
    assert again.images.sum() > 0 and torch.equal(again.images[:, 0, 0, 0].long(), again.labels)
    assert again.source == f"mirror {fake_mnist}"


def test_changed_settings_load_again_and_list_the_sources_tried(fake_mnist, tmp_path, monkeypatch, capsys):
    load_dataset("mnist", "test", fallback=False)
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(tmp_path / "elsewhere"))
    with pytest.raises(DataUnavailableError) as error:
        load_dataset("mnist", "test", fallback=False)
    message = str(error.value)
    assert "t10k-images-idx3-ubyte.gz" in message and f"cache {tmp_path / 'cache' / 'mnist'}" in message
    assert f"mirror {tmp_path / 'elsewhere'}: folder does not exist" in message
    assert "ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz: skipped (offline" in message
    assert capsys.readouterr().out == ""                # no banner when not falling back


def test_bad_arguments():
    with pytest.raises(ValueError, match="letters_folder"):
        load_dataset("notmnist_small")
    with pytest.raises(ValueError, match="Unknown split 'val'"):
        load_dataset("mnist", "val")


# ---------------------------------------------------------------- fallbacks

@pytest.mark.parametrize("name, title", [("mnist", "MNIST"), ("fashion_mnist", "Fashion-MNIST")])
def test_embedded_sample_fallback_is_announced_on_stdout(name, title, capsys):
    train = load_dataset(name, "train", fast=False)
    out, err = capsys.readouterr()
    assert err == "" and f"{title} train: USING THE EMBEDDED SAMPLE" in out
    assert "Sources tried" in out and "skipped (offline" in out and "set CNN_COURSE_MIRRORS" in out
    assert len(train) == 2000 and train.images.shape[1:] == (1, 28, 28) and not train.synthetic
    assert train.labels.bincount().tolist() == [200] * 10 and "embedded sample" in train.source
    assert train.mean == dataset_spec(name).mean and train.classes == class_names(name)
    test = load_dataset(name, "test", fast=True)
    assert len(test) == 1000 and "USING THE EMBEDDED SAMPLE" in capsys.readouterr().out


def test_cifar10_fallback_is_the_synthetic_stand_in(capsys):
    data = load_dataset("cifar10", "test", fast=True)
    out, err = capsys.readouterr()
    assert err == "" and "CIFAR-10 test: USING A SYNTHETIC STAND-IN" in out and "cifar-10-python.tar.gz" in out
    assert data.synthetic and len(data) == 2000 and data.images.shape[1:] == (3, 32, 32)
    assert data.classes == class_names("cifar10")


def test_no_fallback_raises(capsys):
    with pytest.raises(DataUnavailableError, match="Sources tried"):
        load_dataset("mnist", "test", fallback=False)
    with pytest.raises(DataUnavailableError):
        load_dataset("cifar10", "train", fallback=False)
    assert capsys.readouterr().out == ""


def test_missing_embedded_sample_raises_the_original_error(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "EMBEDDED_DIR", tmp_path)
    with pytest.raises(DataUnavailableError, match="t10k-images-idx3-ubyte.gz"):
        load_dataset("mnist", "test")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_embedded_samples_are_small_stratified_uint8(name):
    path = datasets.EMBEDDED_DIR / datasets.EMBEDDED[name]
    assert path.stat().st_size < 1.5e6
    with np.load(path) as sample:
        for split, n in (("train", 2000), ("test", 1000)):
            assert sample[f"{split}_images"].shape == (n, 28, 28) and sample[f"{split}_images"].dtype == np.uint8
            assert np.bincount(sample[f"{split}_labels"]).tolist() == [n // 10] * 10
            index = sample[f"{split}_index"]
            assert len(np.unique(index)) == n and index.max() < dataset_spec(name).n_train


# ---------------------------------------------------------------- real data (local mirrors)

@pytest.mark.realdata
@needs(MNIST_MIRROR)
def test_real_mnist_from_the_mirror_is_verified(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(MNIST_MIRROR))
    train = load_dataset("mnist", "train", fast=False, fallback=False)
    test = load_dataset("mnist", "test", fast=False, fallback=False)
    assert (len(train), len(test)) == (60000, 10000) and train.images.shape[1:] == (1, 28, 28)
    assert train.labels.unique().tolist() == list(range(10)) and train.source == f"mirror {MNIST_MIRROR}"
    stamp = json.loads((tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz.verified").read_text())
    assert REGISTRY["mnist"].files["train_images"].sha256 in stamp["check"]
    with np.load(datasets.EMBEDDED_DIR / "mnist_sample.npz") as sample:     # the sample is real MNIST
        index = torch.from_numpy(sample["test_index"]).long()
        assert torch.equal(test.images[index, 0], torch.from_numpy(sample["test_images"]))


@pytest.mark.realdata
@needs(MNIST_MIRROR)
def test_tampered_mirror_copy_is_rejected(monkeypatch, tmp_path):
    (tmp_path / "share").mkdir()
    for role in ("test_images", "test_labels"):
        name = REGISTRY["mnist"].files[role].filename
        (tmp_path / "share" / name).write_bytes((MNIST_MIRROR / name).read_bytes())
    labels = tmp_path / "share" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10                                    # one relabelled image
    labels.write_bytes(gzip.compress(bytes(raw)))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(tmp_path / "share"))
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        load_dataset("mnist", "test", fallback=False)


@pytest.mark.realdata
@needs(FASHION_MIRROR)
def test_real_fashion_mnist_from_debians_folder(monkeypatch):
    monkeypatch.setattr(config, "SYSTEM_MIRRORS", (FASHION_MIRROR,))
    test = load_dataset("fashion_mnist", "test", fast=False, fallback=False)
    train = load_dataset("fashion_mnist", "train", fast=False, fallback=False)
    assert (len(train), len(test)) == (60000, 10000) and test.source == f"mirror {FASHION_MIRROR}"
    assert train.labels.bincount().tolist() == [6000] * 10
    with np.load(datasets.EMBEDDED_DIR / "fashion_mnist_sample.npz") as sample:
        index = torch.from_numpy(sample["train_index"]).long()
        assert torch.equal(train.images[index, 0], torch.from_numpy(sample["train_images"]))
