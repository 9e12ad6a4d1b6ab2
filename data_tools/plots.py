"""Course figures: image grids, filters, feature maps, training curves, confusion matrices.

Every function returns its matplotlib Figure. Titles may mix Korean and English (e.g. "특성 맵 feature
maps"): a Korean font is added as a fallback when one is installed, and missing-glyph warnings are silenced.
In a notebook, end the call with ``;`` (or assign the figure) so it is not drawn twice.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from .imagedata import ImageData

KOREAN_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR",
                "UnDotum", "Malgun Gothic", "Apple SD Gothic Neo", "AppleGothic", "Baekmuk Gulim", "NanumSquare")

warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)


def use_korean_font() -> str | None:
    """Add an installed Korean font as a fallback after the default font; returns its name, or None."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    name = next((font for font in KOREAN_FONTS if font in installed), None)
    if name is not None:
        families = list(matplotlib.rcParams["font.family"])
        if name not in families:
            matplotlib.rcParams["font.family"] = families + [name]
    return name


use_korean_font()


def _numpy(values) -> np.ndarray:
    """A NumPy copy of a tensor (any device), array or list."""
    if hasattr(values, "detach"):
        values = values.detach().float().cpu() if values.is_floating_point() else values.detach().cpu()
        return values.numpy()
    return np.asarray(values)


def _displayable(images) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) floats in [0, 1]: uint8 divided by 255, floats min-max per image."""
    array = _numpy(images)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 4 and array.shape[1] not in (1, 3) and array.shape[-1] in (1, 3):
        array = array.transpose(0, 3, 1, 2)  # channels last -> channels first
    if array.ndim == 4:
        array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
    if array.ndim not in (3, 4):
        raise ValueError(f"Expected images (N, C, H, W) or (N, H, W), got shape {array.shape}.")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255
    array = array.astype(np.float32)
    axes = tuple(range(1, array.ndim))
    low, high = array.min(axis=axes, keepdims=True), array.max(axis=axes, keepdims=True)
    return (array - low) / np.where(high > low, high - low, 1)


def _mosaic(pictures: np.ndarray, captions, ncols: int, *, cell: float, title: str, cmap: str = "gray",
            fontsize: float = 8, color: str = "black") -> plt.Figure:
    """``pictures`` (N, h, w) or (N, h, w, 3) in [0, 1] tiled row by row into one image on one axes, each
    with its caption above it (white between tiles). One axes instead of one per picture: a grid draws
    5–10× faster."""
    count, h, w = pictures.shape[:3]
    ncols = max(1, min(ncols, count))
    nrows = max(1, math.ceil(count / ncols))
    gap = max(1, round(0.08 * w))
    pixels_per_inch = (w + gap) / cell
    caption = math.ceil(2.0 * fontsize / 72 * pixels_per_inch) if captions is not None else 0
    pitch_y, pitch_x = caption + h + gap, w + gap
    canvas = np.full((nrows * pitch_y - gap, ncols * pitch_x - gap) + pictures.shape[3:], np.nan, np.float32)
    for i, picture in enumerate(pictures):
        top, left = (i // ncols) * pitch_y + caption, (i % ncols) * pitch_x
        canvas[top:top + h, left:left + w] = picture
    height_in = canvas.shape[0] / pixels_per_inch
    figure = plt.figure(figsize=(canvas.shape[1] / pixels_per_inch, height_in + 0.6))
    ax = figure.add_axes((0, 0, 1, height_in / (height_in + 0.6)))
    ax.axis("off")
    if canvas.ndim == 3:
        ax.imshow(np.nan_to_num(canvas, nan=1.0), vmin=0, vmax=1, interpolation="nearest")
    else:
        palette = plt.get_cmap(cmap).with_extremes(bad="white")
        ax.imshow(np.ma.masked_invalid(canvas), cmap=palette, vmin=0, vmax=1, interpolation="nearest")
    for i, text in enumerate(captions or ()):
        ax.text((i % ncols) * pitch_x + (w - 1) / 2, (i // ncols) * pitch_y + caption - 1.5, text, ha="center",
                va="bottom", fontsize=fontsize, color=color)
    figure.suptitle(title, y=1 - 0.15 / (height_in + 0.6), va="top")
    return figure


def _tidy(figure) -> None:
    """tight_layout, without its warning when a figure is too crowded to tidy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figure.tight_layout()


def _class_name(label, classes) -> str:
    label = int(label)
    return str(classes[label]) if classes is not None and 0 <= label < len(classes) else str(label)


def show_images(images, labels=None, classes=None, *, n: int = 32, ncols: int = 8,
                title: str = "이미지 images") -> plt.Figure:
    """A grid of the first ``n`` images with their labels (class names when ``classes`` is given).

    ``images``: an ImageData (its labels and classes are used), or uint8 / float (e.g. normalized)
    tensors or arrays (N, C, H, W) or (N, H, W), 1 or 3 channels.
    """
    if isinstance(images, ImageData):
        labels = images.labels if labels is None else labels
        classes = images.classes if classes is None else classes
        images = images.images
    pictures = _displayable(images[:n])
    captions = None if labels is None else [_class_name(labels[i], classes) for i in range(len(pictures))]
    return _mosaic(pictures, captions, ncols, cell=1.3, title=title)


def show_filters(weight, title: str = "첫 층의 필터 first-layer filters", ncols: int = 8) -> plt.Figure:
    """First-layer convolution weights (K, C, F, F): colour for 3 input channels, else gray (channel mean);
    each filter min-max scaled; a constant one (no range to scale) is flat light gray if positive, dark gray if
    negative, mid-gray if zero: white would vanish into the background."""
    array = _numpy(weight)
    if array.ndim != 4:
        raise ValueError(f"Expected conv weights (K, C, F, F), got shape {array.shape}.")
    if array.shape[1] != 3:
        array = array.mean(axis=1)
    pictures = _displayable(array)
    flat = array.reshape(len(array), -1).astype(np.float64)
    constant = np.ptp(flat, axis=1) <= 1e-6 * np.abs(flat).max(axis=1)
    pictures[constant] = (0.5 + 0.25 * np.sign(flat[constant, 0])).reshape((-1,) + (1,) * (pictures.ndim - 1))
    return _mosaic(pictures, [f"#{k}" for k in range(len(pictures))], ncols, cell=1.0, title=title, fontsize=7)


def show_feature_maps(maps, title: str = "특성 맵 feature maps", ncols: int = 8) -> plt.Figure:
    """Feature maps (K, H, W) or (1, K, H, W), one panel per channel, each with its own colour scale."""
    array = _numpy(maps)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3:
        raise ValueError(f"Expected feature maps (K, H, W) or (1, K, H, W), got shape {array.shape}.")
    return _mosaic(_displayable(array), [f"#{k}" for k in range(len(array))], ncols, cell=1.2, title=title,
                   cmap="viridis", fontsize=7)


def _as_runs(history) -> dict:
    """{run name: dict of per-epoch lists} from a History, its as_dict(), or a mapping of those."""
    def lists(run):
        return run.as_dict() if hasattr(run, "as_dict") else dict(run)
    if hasattr(history, "as_dict") or (isinstance(history, Mapping) and "train_loss" in history):
        return {"": lists(history)}
    return {str(name): lists(run) for name, run in history.items()}


def plot_history(history, title: str = "학습 곡선 training curves") -> plt.Figure:
    """Loss and accuracy per epoch side by side, train solid and validation dashed.

    ``history``: a History (or its ``as_dict()``), or ``{name: History}`` to compare several runs,
    e.g. ``{f"lr={lr}": fit(...) for lr in rates}``.
    """
    figure, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, run) in enumerate(_as_runs(history).items()):
        colour = colours[i % len(colours)]
        prefix = f"{name} " if name else ""
        for kind, style in (("train", "-"), ("val", "--")):
            loss, acc = run.get(f"{kind}_loss") or [], run.get(f"{kind}_acc") or []
            if loss:
                loss_ax.plot(range(1, len(loss) + 1), loss, style, color=colour, marker=".", label=prefix + kind)
            if acc:
                acc_ax.plot(range(1, len(acc) + 1), [100 * a for a in acc], style, color=colour, marker=".",
                            label=prefix + kind)
    loss_ax.set(title="손실 loss", xlabel="epoch", ylabel="loss")
    acc_ax.set(title="정확도 accuracy", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.lines:
            ax.legend(fontsize=8)
    figure.suptitle(title)
    _tidy(figure)
    return figure


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    true, pred = _numpy(y_true).astype(np.int64).ravel(), _numpy(y_pred).astype(np.int64).ravel()
    return np.bincount(true * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def plot_confusion_matrix(y_true, y_pred, classes, title: str = "혼동 행렬 confusion matrix", *,
                          normalize: bool = False) -> plt.Figure:
    """Annotated confusion matrix: counts, or with ``normalize=True`` the fraction of each true class.
    Every cell carries its number, so there is no colour bar (it would add a third to the drawing time)."""
    counts = confusion_matrix(y_true, y_pred, len(classes))
    values = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    size = max(4.0, 0.55 * len(classes) + 2)
    figure, ax = plt.subplots(figsize=(size, size))
    ax.imshow(values, cmap="Blues", vmin=0)
    names = [str(name) for name in classes]
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(title=title, xlabel="predicted 예측", ylabel="true 정답")
    threshold = values.max() / 2
    for (row, col), value in np.ndenumerate(values):
        text = f"{value:.2f}" if normalize else str(value)
        ax.text(col, row, text, ha="center", va="center", fontsize=7,
                color="white" if value > threshold else "black")
    _tidy(figure)
    return figure


def show_most_confused(images, y_true, y_pred, classes, probs=None, n: int = 16, ncols: int = 8,
                       title: str = "가장 헷갈린 예 most confused examples") -> plt.Figure:
    """The misclassified images titled "true → predicted (p)", most confident mistakes first when
    ``probs`` is given ((N, classes) probabilities, or (N,) probability of each prediction)."""
    if isinstance(images, ImageData):
        images = images.images
    true, pred = _numpy(y_true).astype(np.int64), _numpy(y_pred).astype(np.int64)
    wrong = np.flatnonzero(true != pred)
    confidence = None
    if probs is not None:
        probs = _numpy(probs)
        confidence = probs[np.arange(len(pred)), pred] if probs.ndim == 2 else probs
        wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
    wrong = wrong[:n]
    if len(wrong) == 0:
        figure, ax = plt.subplots(figsize=(4, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no mistakes 오답 없음", ha="center", va="center")
        figure.suptitle(title)
        return figure
    pictures = _displayable(images[wrong.tolist()] if hasattr(images, "detach") else np.asarray(images)[wrong])
    captions = [f"{_class_name(true[i], classes)} → {_class_name(pred[i], classes)}"
                + (f" ({confidence[i]:.2f})" if confidence is not None else "") for i in wrong]
    return _mosaic(pictures, captions, ncols, cell=1.5, title=title, fontsize=7, color="firebrick")
