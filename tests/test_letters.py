"""data_tools.letters: font discovery, glyph rendering, the generated notMNIST-style folder, the real
archive's safe extraction and letters_folder's choice between them."""
from __future__ import annotations

import io
import sys
import tarfile
import types
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from data_tools import letters
from data_tools.letters import (LETTERS, extract_notmnist, find_fonts, generate_letters, letters_folder,
                                render_letter)

BUNDLED_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNN_COURSE_DATA", str(cache))
    monkeypatch.delenv("CNN_COURSE_FAST", raising=False)
    return cache


@pytest.fixture
def fake_fetch(monkeypatch):
    """Replace data_tools.fetch: ``fake_fetch.archive = path`` makes the archive available."""
    module = types.ModuleType("data_tools.fetch")

    class DataUnavailableError(RuntimeError):
        pass

    def fetch(dataset, role, *, download=None, progress=True):
        module.calls.append((dataset, role, download))
        if module.archive is None:
            raise DataUnavailableError("notMNIST_small.tar.gz: missing from cache and mirrors")
        return module.archive

    module.DataUnavailableError, module.fetch, module.archive, module.calls = DataUnavailableError, fetch, None, []
    monkeypatch.setitem(sys.modules, "data_tools.fetch", module)
    return module


def read_folder(root: Path):
    """Like a careful loader: (images, labels) of the valid 28×28 PNGs, and the paths it had to skip."""
    images, labels, skipped = [], [], []
    for label, letter in enumerate(LETTERS):
        for path in sorted((root / letter).iterdir()):
            try:
                with Image.open(path) as image:
                    mode, pixels = image.mode, np.asarray(image)
            except OSError:
                skipped.append(path)
                continue
            if pixels.shape != (28, 28) or mode != "L":
                skipped.append(path)
                continue
            images.append(pixels)
            labels.append(label)
    return np.stack(images), np.array(labels), skipped


def folder_bytes(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def make_archive(path: Path, members: dict, top: str = "notMNIST_small") -> Path:
    """A tar.gz with ``top/<name>`` for each member name -> bytes (a top of '' puts them at the root)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def tiny_notmnist(path: Path) -> Path:
    png = io.BytesIO()
    Image.fromarray(np.full((28, 28), 200, dtype=np.uint8)).save(png, format="PNG")
    return make_archive(path, {f"{letter}/Zm9udC50dGY=.png": png.getvalue() for letter in LETTERS})


# --- fonts and rendering -----------------------------------------------------------------------

def test_find_fonts_keeps_real_letter_fonts_and_drops_symbol_fonts():
    fonts = find_fonts()
    names = [font.name for font in fonts]
    assert {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"} <= set(names)
    assert fonts == sorted(fonts) and len(names) == len(set(names))
    dropped = {"cmex10.ttf", "cmsy10.ttf", "STIXSizOneSymReg.ttf",   # symbols at A–J (by name)
               "DejaVuSansDisplay.ttf", "STIXNonUni.ttf",            # no glyphs for A–J (empty)
               "LastResortHE-Regular.ttf"}                          # the same glyph for every letter
    assert not dropped & set(names)
    assert {name for name in dropped if (BUNDLED_FONTS / name).exists()} >= {"cmex10.ttf", "DejaVuSansDisplay.ttf"}


def test_find_fonts_drops_a_font_missing_one_letter(monkeypatch):
    real_glyph = letters._plain_glyph

    def j_missing_in_dejavu_sans(letter, font):
        glyph = real_glyph(letter, font)
        return glyph * 0 if letter == "J" and Path(font.path).name == "DejaVuSans.ttf" else glyph

    monkeypatch.setattr(letters, "_plain_glyph", j_missing_in_dejavu_sans)
    letters._renders_letters.cache_clear()
    try:
        names = [font.name for font in find_fonts()]
    finally:
        letters._renders_letters.cache_clear()
    assert "DejaVuSans.ttf" not in names and "DejaVuSans-Bold.ttf" in names


def test_render_letter_is_a_notmnist_like_glyph():
    font = next(f for f in find_fonts() if f.name == "DejaVuSans.ttf")
    for seed in range(20):
        image = render_letter("E", font, np.random.default_rng(seed))
        assert image.shape == (28, 28) and image.dtype == np.uint8
        assert image.max() >= 200, "white glyph"
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        assert np.median(border) < 30, "on black"
        rows, cols = np.nonzero(image > 100)
        extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
        assert extent >= 19, f"glyph must nearly fill the box like notMNIST (spans {extent} px)"
        assert 0 < ((image > 20) & (image < 235)).mean(), "anti-aliased edges"
    same = [render_letter("E", font, np.random.default_rng(3)) for _ in range(2)]
    assert np.array_equal(*same)
    assert not np.array_equal(same[0], render_letter("E", font, np.random.default_rng(4))), "random jitter"


# --- the generated folder ----------------------------------------------------------------------

def test_generated_folder_has_notmnist_layout_with_broken_files(tmp_path):
    root = generate_letters(tmp_path / "letters", per_class=6, seed=1)
    assert root == tmp_path / "letters"
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == list(LETTERS)
    images, labels, skipped = read_folder(root)
    assert np.bincount(labels, minlength=10).tolist() == [6] * 10
    assert images.shape == (60, 28, 28)
    assert all(len(p.stem) > 8 and p.suffix == ".png" for p in root.rglob("*.png"))
    # every broken file is skipped, and each kind is there
    assert len(skipped) == len(letters.BROKEN_FILES)
    assert len({p.parent.name for p in skipped}) >= 4, "spread over several classes"
    sizes = [p.stat().st_size for p in skipped]
    assert 0 in sizes, "a zero-byte file"
    heads = [p.read_bytes()[:8] for p in skipped if p.stat().st_size]
    assert any(not head.startswith(b"\x89PNG") for head in heads), "a file that is not an image"
    wrong_size = [p for p in skipped if p.read_bytes().startswith(b"\x89PNG") and _opens(p)]
    assert [Image.open(p).size for p in wrong_size] == [(32, 32)], "a valid PNG of the wrong size"
    truncated = [p for p in skipped if p.read_bytes().startswith(b"\x89PNG") and not _opens(p)]
    assert len(truncated) == 1, "a truncated PNG"
    readme = (root / "README.txt").read_text()
    assert "seed 1" in readme and "DejaVuSans.ttf" in readme and "NOT the real data" in readme
    assert all(str(p.relative_to(root)) in readme for p in skipped)


def _opens(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except OSError:
        return False


def test_generation_is_deterministic(tmp_path):
    first = folder_bytes(generate_letters(tmp_path / "a", per_class=3, seed=5))
    again = folder_bytes(generate_letters(tmp_path / "b", per_class=3, seed=5))
    other = folder_bytes(generate_letters(tmp_path / "c", per_class=3, seed=6))
    assert first == again
    pngs = [name for name in first if name.endswith(".png")]
    assert len(pngs) == 30 + len(letters.BROKEN_FILES)
    changed = [name for name in pngs if first[name] != other.get(name)]
    assert len(changed) >= 25, "another seed gives other images"
    no_broken = folder_bytes(generate_letters(tmp_path / "d", per_class=3, seed=5, broken=False))
    assert len([name for name in no_broken if name.endswith(".png")]) == 30


@pytest.mark.slow
def test_small_cnn_learns_the_generated_letters(tmp_path):
    images, labels, _ = read_folder(generate_letters(tmp_path / "letters", per_class=100, seed=0))
    x = torch.from_numpy((images.astype(np.float32) - 127.5) / 255).unsqueeze(1)
    y = torch.from_numpy(labels)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, test = order[:800], order[800:]
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for epoch in range(8):
            shuffled = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(epoch))]
            for batch in shuffled.split(32):
                loss = nn.functional.cross_entropy(net(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            accuracy = (net(x[test]).argmax(1) == y[test]).float().mean().item()
    finally:
        torch.set_num_threads(threads)
    assert accuracy >= 0.8, f"held-out accuracy {accuracy:.2f}"


# --- safe extraction of the real archive -------------------------------------------------------

def test_extract_notmnist_gives_letter_folders(tmp_path):
    dest = extract_notmnist(tiny_notmnist(tmp_path / "notMNIST_small.tar.gz"), tmp_path / "out" / "notMNIST_small")
    assert dest == tmp_path / "out" / "notMNIST_small"
    assert sorted(p.name for p in dest.iterdir()) == list(LETTERS)
    images, labels, skipped = read_folder(dest)
    assert images.shape == (10, 28, 28) and not skipped
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notMNIST_small"], "no temporary folder left"


def test_extract_notmnist_accepts_letters_at_the_archive_root(tmp_path):
    archive = make_archive(tmp_path / "flat.tar.gz", {f"{letter}/x.png": b"png" for letter in LETTERS}, top="")
    dest = extract_notmnist(archive, tmp_path / "flat")
    assert sorted(p.name for p in dest.iterdir()) == list(LETTERS)


@pytest.mark.parametrize("evil", ["../escaped.png", "notMNIST_small/../../escaped.png", "{tmp}/escaped.png",
                                  "symlink", "hardlink"])
def test_extract_notmnist_rejects_unsafe_members(tmp_path, evil):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for letter in LETTERS:
            info = tarfile.TarInfo(f"notMNIST_small/{letter}/ok.png")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"ok"))
        name = evil.format(tmp=tmp_path) if "/" in evil else f"notMNIST_small/A/{evil}.png"
        info = tarfile.TarInfo(name)
        if evil == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif evil == "hardlink":
            info.type, info.linkname = tarfile.LNKTYPE, "notMNIST_small/A/ok.png"
        else:
            info.size = 4
        tar.addfile(info, io.BytesIO(b"evil") if info.isfile() else None)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="unsafe archive member"):
        extract_notmnist(archive, out / "notMNIST_small")
    assert list(out.iterdir()) == [], "nothing left behind, not even a temporary folder"
    assert not (tmp_path / "escaped.png").exists()


def test_extract_notmnist_rejects_an_archive_without_letter_folders(tmp_path):
    archive = make_archive(tmp_path / "other.tar.gz", {"A/x.png": b"png", "B/y.png": b"png"})
    with pytest.raises(ValueError, match="notMNIST_small"):
        extract_notmnist(archive, tmp_path / "out" / "notMNIST_small")
    assert not (tmp_path / "out" / "notMNIST_small").exists()


# --- letters_folder: real archive first, else a generated set made once -----------------------

def test_letters_folder_generates_once_and_reuses(fake_fetch, data_dir, monkeypatch, capsys):
    first = letters_folder(per_class=4, seed=2)
    assert first == data_dir / "letters" / "seed2-n4"
    assert fake_fetch.calls == [("notmnist_small", "archive", False)], "asks for the archive, never downloads"
    assert "generated" in capsys.readouterr().out
    assert read_folder(first)[0].shape == (40, 28, 28)
    assert folder_bytes(first) == folder_bytes(generate_letters(data_dir / "direct", per_class=4, seed=2))
    monkeypatch.setattr(letters, "generate_letters", _must_not_run)
    assert letters_folder(per_class=4, seed=2) == first
    assert sorted(p.name for p in first.parent.iterdir()) == ["seed2-n4"], "no temporary folders left"


def _must_not_run(*args, **kwargs):
    raise AssertionError("must reuse the existing folder")


def test_letters_folder_default_size_follows_fast_mode(fake_fetch, data_dir, monkeypatch):
    calls = []
    monkeypatch.setattr(letters, "generate_letters", lambda root, per_class, seed: calls.append(per_class))
    monkeypatch.setenv("CNN_COURSE_FAST", "1")
    assert letters_folder().name == "seed0-n100"
    monkeypatch.delenv("CNN_COURSE_FAST")
    assert letters_folder().name == "seed0-n500"
    assert calls == [100, 500]


def test_letters_folder_works_without_the_fetch_module(data_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "data_tools.fetch", None)      # import fails: treated as unavailable
    assert letters_folder(per_class=1).parent == data_dir / "letters"


def test_interrupted_generation_leaves_nothing_that_looks_complete(fake_fetch, data_dir, monkeypatch):
    real_render = letters.render_letter
    count = []

    def render_then_crash(*args):
        count.append(1)
        if len(count) == 7:
            raise KeyboardInterrupt
        return real_render(*args)

    monkeypatch.setattr(letters, "render_letter", render_then_crash)
    with pytest.raises(KeyboardInterrupt):
        letters_folder(per_class=2)
    assert list((data_dir / "letters").iterdir()) == []
    monkeypatch.setattr(letters, "render_letter", real_render)
    images, _, _ = read_folder(letters_folder(per_class=2))
    assert len(images) == 20


def test_letters_folder_prefers_the_real_archive(fake_fetch, data_dir, tmp_path, monkeypatch, capsys):
    fake_fetch.archive = tiny_notmnist(tmp_path / "notMNIST_small.tar.gz")
    monkeypatch.setattr(letters, "generate_letters", _must_not_run)
    folder = letters_folder()
    assert folder == data_dir / "letters" / "notMNIST_small"
    assert read_folder(folder)[0].shape == (10, 28, 28)
    assert "real notMNIST_small" in capsys.readouterr().out
    monkeypatch.setattr(letters, "extract_notmnist", _must_not_run)
    assert letters_folder(per_class=7) == folder, "extracted once, then reused"


def test_letters_folder_explains_a_broken_real_archive(fake_fetch, tmp_path):
    fake_fetch.archive = tmp_path / "notMNIST_small.tar.gz"
    fake_fetch.archive.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(RuntimeError, match="delete it"):
        letters_folder()


def test_letters_folder_with_the_real_fetch_ignores_an_unverified_archive(data_dir, tmp_path, monkeypatch, capsys):
    pytest.importorskip("data_tools.fetch")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    tiny_notmnist(mirror / "notMNIST_small.tar.gz")        # right name, wrong size: fails verification
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(mirror))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    assert letters_folder(per_class=1) == data_dir / "letters" / "seed0-n1"
    assert "generated" in capsys.readouterr().out
