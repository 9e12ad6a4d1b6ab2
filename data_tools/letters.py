"""notMNIST-style letters A–J: the real notMNIST_small archive when available, else rendered from fonts.

The layout is notMNIST's: one folder per letter holding 28×28 8-bit grayscale PNGs (white glyph on
black), one glyph in some font per file, plus a few unreadable files that a loader must skip.
"""
from __future__ import annotations

import base64
import io
import os
import shutil
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from data_tools import config

LETTERS = tuple("ABCDEFGHIJ")
SIZE = 28
SUPERSAMPLE = 4                   # render at 4× resolution, then average down to 28×28
FONT_PX = 96                      # font size used for rendering, before scaling to the box
# Font files (name prefixes, lower case) that draw distinct symbols, not letters, at A–J: the rendering
# check below cannot tell those apart from letters.
SYMBOL_FONTS = ("cmex10", "cmsy10", "stixsiz", "symbol", "opensymbol", "wingding", "webding", "dingbat")
# Files broken on purpose, as in the real archive: (letter, kind).
BROKEN_FILES = (("A", "empty"), ("C", "wrong_size"), ("E", "not_image"), ("G", "truncated"), ("J", "empty"))


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _plain_glyph(letter: str, font: ImageFont.FreeTypeFont) -> np.ndarray:
    """The letter drawn without jitter on a fixed canvas (for checking that a font really has it)."""
    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((32, 32), letter, fill=255, font=font, anchor="mm")
    return np.asarray(image)


@lru_cache(maxsize=1024)
def _renders_letters(path: str) -> bool:
    """True when the font draws A–J as ten non-empty, pairwise different glyphs."""
    try:
        font = _font(path, 40)
        glyphs = [_plain_glyph(letter, font) for letter in LETTERS]
    except (OSError, ValueError):
        return False
    if any(glyph.max() < 128 or (glyph > 127).sum() < 20 for glyph in glyphs):
        return False
    return len({glyph.tobytes() for glyph in glyphs}) == len(LETTERS)


def find_fonts() -> list[Path]:
    """Fonts that really render A–J: matplotlib's bundled TTFs plus the system's, sorted by path.

    Symbol and math-extension fonts are dropped, and so is any font whose glyphs for two letters are
    identical or empty; a font file name seen twice (e.g. DejaVuSans.ttf in matplotlib and in the
    system) is kept once.
    """
    import matplotlib
    from matplotlib import font_manager

    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    candidates = {Path(p) for p in bundled.glob("*.ttf")}
    candidates.update(Path(p) for p in font_manager.findSystemFonts())
    fonts, seen = [], set()
    for path in sorted(candidates):
        name = path.name.lower()
        if name in seen or name.startswith(SYMBOL_FONTS) or not _renders_letters(str(path)):
            continue
        seen.add(name)
        fonts.append(path)
    return fonts


def _glyph_crop(letter: str, font: ImageFont.FreeTypeFont, stroke: int) -> Image.Image:
    """The letter drawn large, cropped to its ink."""
    left, top, right, bottom = font.getbbox(letter, stroke_width=stroke)
    pad = 4 + stroke
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad))
    ImageDraw.Draw(image).text((pad - left, pad - top), letter, fill=255, font=font,
                               stroke_width=stroke, stroke_fill=255)
    return image.crop(image.getbbox())


def render_letter(letter: str, font_path: Path, rng: np.random.Generator) -> np.ndarray:
    """One 28×28 uint8 image of ``letter`` (white on black) in the given font, with random jitter.

    Stroke weight, rotation, shear, aspect, size and position vary; the glyph is rendered at 4×
    resolution, centred and scaled to (nearly) fill the box like notMNIST, slightly blurred, then
    averaged down.
    """
    stroke = int(rng.integers(0, 4))
    glyph = _glyph_crop(letter, _font(str(font_path), FONT_PX), stroke)
    width, height = glyph.size
    angle, shear = np.deg2rad(rng.uniform(-12, 12)), rng.uniform(-0.25, 0.25)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    forward = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([np.exp(rng.normal(0, 0.12)), 1.0])
    corners = np.array([[-1, -1, 1, 1], [-1, 1, -1, 1]]) * np.array([[width / 2], [height / 2]])
    extent = np.ptp(forward @ corners, axis=1)
    box = SIZE * SUPERSAMPLE
    scale = rng.uniform(0.8, 1.0) * box / extent.max()
    forward *= scale
    jitter = rng.uniform(-1, 1, size=2) * (box - extent * scale) / 2
    centre = box / 2 + jitter
    inverse = np.linalg.inv(forward)
    offset = np.array([width / 2, height / 2]) - inverse @ centre
    coefficients = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    image = glyph.transform((box, box), Image.AFFINE, coefficients, resample=Image.BILINEAR)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    return np.asarray(image.reduce(SUPERSAMPLE))


def _png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")        # uint8 (H, W): mode "L"
    return buffer.getvalue()


def _file_name(text: str) -> str:
    """notMNIST-style name: the base64 of a font-derived string (URL-safe alphabet, so no '/')."""
    return base64.urlsafe_b64encode(text.encode()).decode() + ".png"


def _broken_bytes(kind: str, font: Path, rng: np.random.Generator) -> bytes:
    if kind == "empty":
        return b""
    if kind == "not_image":
        return b"This file is not an image, although its name ends in .png.\n"
    good = _png_bytes(render_letter(LETTERS[int(rng.integers(len(LETTERS)))], font, rng))
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "wrong_size":
        big = Image.open(io.BytesIO(good)).resize((32, 32), Image.BILINEAR)
        return _png_bytes(np.asarray(big))
    raise ValueError(f"unknown broken-file kind {kind!r}")


def generate_letters(root, per_class: int = 300, seed: int = 0, broken: bool = True) -> Path:
    """Write a notMNIST-style folder: ``root/A/*.png`` … ``root/J/*.png`` and ``root/README.txt``.

    Each class gets ``per_class`` valid 28×28 grayscale PNGs, each in a randomly chosen font from
    :func:`find_fonts`. With ``broken``, a few files that a loader must skip are added (see
    ``BROKEN_FILES``). Every image has its own random stream derived from (seed, class, index), so the
    same seed gives byte-identical files on the same machine.
    """
    root = Path(root)
    fonts = find_fonts()
    if not fonts:
        raise RuntimeError("No font that renders the letters A–J was found; install matplotlib "
                           "(it bundles the DejaVu fonts) or a TrueType font package and retry.")
    for class_index, letter in enumerate(LETTERS):
        folder = root / letter
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            rng = np.random.default_rng([seed, class_index, i])
            font = fonts[int(rng.integers(len(fonts)))]
            pixels = render_letter(letter, font, rng)
            (folder / _file_name(f"{i:05d}-{font.name}")).write_bytes(_png_bytes(pixels))
    broken_names = []
    if broken:
        for j, (letter, kind) in enumerate(BROKEN_FILES):
            rng = np.random.default_rng([seed, len(LETTERS), j])
            name = f"{letter}/{_file_name(f'broken-{j}-{kind}')}"
            (root / name).write_bytes(_broken_bytes(kind, fonts[int(rng.integers(len(fonts)))], rng))
            broken_names.append(f"  {name}  ({kind.replace('_', ' ')})")
    _write_readme(root, per_class, seed, fonts, broken_names)
    return root


def _write_readme(root: Path, per_class: int, seed: int, fonts: list[Path], broken_names: list[str]) -> None:
    lines = [
        "notMNIST-style letters generated as a stand-in for notMNIST_small: this is NOT the real data set.",
        f"Made by data_tools.letters.generate_letters with seed {seed}; the same seed and fonts give "
        "byte-identical files.",
        "",
        f"Letters {LETTERS[0]}–{LETTERS[-1]}, one folder each, {per_class} valid images per letter: "
        "28x28 8-bit grayscale PNGs, white glyph on black.",
        "",
        f"Fonts used ({len(fonts)}):",
        *(f"  {font.name}" for font in fonts),
        "",
        "Files broken on purpose (a loader must skip them, as in the real archive):",
        *(broken_names or ["  none"]),
    ]
    (root / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _publish(tmp: Path, dest: Path) -> None:
    """Move a finished folder into place in one rename; if another process got there first, keep theirs."""
    os.chmod(tmp, 0o755)
    try:
        os.rename(tmp, dest)
    except OSError:
        if not dest.is_dir():
            raise


def _checked_parts(member: tarfile.TarInfo) -> tuple:
    """The member's path parts, or ValueError when it is a link, a device, absolute or escapes with '..'."""
    path = PurePosixPath(member.name.replace("\\", "/"))
    if path.is_absolute() or PureWindowsPath(member.name).anchor:
        raise ValueError(f"unsafe archive member {member.name!r}: absolute path")
    if ".." in path.parts:
        raise ValueError(f"unsafe archive member {member.name!r}: '..' in path")
    if not (member.isfile() or member.isdir()):
        raise ValueError(f"unsafe archive member {member.name!r}: links and special files are not allowed")
    return path.parts


def _letters_root(folder: Path) -> Path:
    """The folder holding A/ … J/: ``folder`` itself or one directory below it."""
    for candidate in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if all((candidate / letter).is_dir() for letter in LETTERS):
            return candidate
    raise ValueError(f"the archive has no folders {LETTERS[0]}/ … {LETTERS[-1]}/; "
                     "is it notMNIST_small.tar.gz?")


def extract_notmnist(archive, dest) -> Path:
    """Safely extract a notMNIST archive so that ``dest/A`` … ``dest/J`` hold the images; return ``dest``.

    Absolute paths, '..' and links are rejected (ValueError). Extraction goes to a temporary folder
    beside ``dest`` that is renamed at the end, so ``dest`` never exists half-written.
    """
    archive, dest = Path(archive), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:          # one pass in archive order: no seeking back in the gzip stream
                target = tmp.joinpath(*_checked_parts(member))
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
        _publish(_letters_root(tmp), dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _real_archive() -> Path | None:
    """notMNIST_small.tar.gz from the cache or a local mirror, or None (never downloads)."""
    try:
        from data_tools.fetch import DataUnavailableError, fetch
    except ImportError:
        return None
    try:
        return Path(fetch("notmnist_small", "archive", download=False))
    except DataUnavailableError:
        return None


def letters_folder(per_class: int | None = None, seed: int = 0) -> Path:
    """The letters folder for notebook 01: the real notMNIST_small (all its images, ``per_class`` does
    not apply) if its archive is in the cache or a local mirror, else a generated stand-in with
    ``per_class`` images per letter (default 500, 100 in fast mode).

    Either is made once under ``config.data_dir()/letters`` and reused; prints which one is used.
    """
    letters_dir = config.data_dir() / "letters"
    archive = _real_archive()
    if archive is not None:
        # Not data_dir()/notMNIST_small: on case-insensitive file systems (macOS, Windows) that is the
        # fetch cache's own folder data_dir()/notmnist_small, which holds the archive.
        dest = letters_dir / "notMNIST_small"
        if not dest.is_dir():
            try:
                extract_notmnist(archive, dest)
            except (tarfile.TarError, OSError, EOFError, ValueError) as error:
                raise RuntimeError(f"{archive} is not a readable notMNIST archive ({error}); replace it with a "
                                   "good copy, or delete it to use generated letters, and run again.") from error
        print(f"Using the real notMNIST_small letters from {archive}, extracted in {dest}.")
        return dest
    per_class = config.pick(500, 100) if per_class is None else per_class
    dest = letters_dir / f"seed{seed}-n{per_class}"
    if not dest.is_dir():
        letters_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=letters_dir))
        try:
            generate_letters(tmp, per_class, seed)
            _publish(tmp, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"notMNIST_small.tar.gz is not available here, so using generated notMNIST-style letters "
          f"({per_class} per class, seed {seed}) in {dest}; to use the real ones, put the archive in a "
          "folder named by CNN_COURSE_MIRRORS.")
    return dest
