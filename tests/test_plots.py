"""Plots: each returns a titled Figure, draws with Agg, and writes nothing to stderr (no glyph warnings)."""
from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib import font_manager
from matplotlib.figure import Figure

from data_tools import plots
from data_tools.filters import dct_filters
from data_tools.imagedata import ImageData
from data_tools.training import History

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


def draw(figure: Figure) -> Figure:
    figure.savefig(io.BytesIO(), format="png")
    return figure


def titles(figure: Figure) -> list[str]:
    """Axes titles, then the captions written over the tiles of an image grid."""
    return [ax.get_title() for ax in figure.axes if ax.get_title()] + [t.get_text() for t in figure.axes[0].texts]


def shown(figure: Figure) -> np.ndarray:
    """The one image an image grid draws (all pictures tiled, NaN or white between them)."""
    [ax] = figure.axes
    [image] = ax.get_images()
    return np.ma.filled(image.get_array(), np.nan)


def small_data(n: int = 12, channels: int = 1) -> ImageData:
    images = torch.randint(0, 256, (n, channels, 8, 8), generator=torch.Generator().manual_seed(0))
    return ImageData(images.to(torch.uint8), torch.arange(n) % len(CLASSES), CLASSES, name="tiny")


def test_show_images_accepts_imagedata_tensors_and_arrays(capfd):
    data = small_data()
    figure = draw(plots.show_images(data, n=6, ncols=3, title="데이터 data"))
    assert isinstance(figure, Figure) and figure._suptitle.get_text() == "데이터 data"
    assert titles(figure) == [CLASSES[i % 4] for i in range(6)]
    normalized = draw(plots.show_images(data.normalized(), data.labels.numpy(), CLASSES, n=4))
    assert titles(normalized) == list(CLASSES)
    tiles = shown(normalized)
    assert np.nanmin(tiles) == pytest.approx(0) and np.nanmax(tiles) == pytest.approx(1)  # floats min-max rescaled
    rgb_images = small_data(5, channels=3).images
    rgb = shown(draw(plots.show_images(rgb_images.numpy())))
    assert rgb.shape == (8, 5 * 8 + 4, 3)  # one row of five 8 × 8 tiles, 1 pixel apart, no captions
    assert np.allclose(rgb[:, :8], rgb_images[0].permute(1, 2, 0).numpy() / 255)
    assert np.allclose(rgb[:, 8], 1.0)  # white between tiles
    gray = draw(plots.show_images(np.zeros((3, 8, 8), np.uint8), [0, 1, 2]))
    assert titles(gray) == ["0", "1", "2"] and gray._suptitle.get_text()
    assert capfd.readouterr().err == ""


def test_show_filters_and_feature_maps(capfd):
    conv = torch.nn.Conv2d(3, 6, 5)
    figure = draw(plots.show_filters(conv.weight))
    assert figure._suptitle.get_text() and titles(figure) == [f"#{k}" for k in range(6)]
    assert shown(figure).shape[1:] == (6 * 5 + 5, 3)
    gray = draw(plots.show_filters(torch.randn(4, 1, 3, 3), title="필터 filters"))
    assert shown(gray).ndim == 2 and titles(gray) == ["#0", "#1", "#2", "#3"]
    maps = draw(plots.show_feature_maps(torch.randn(1, 10, 7, 7)))
    assert maps._suptitle.get_text() == "특성 맵 feature maps" and titles(maps) == [f"#{k}" for k in range(10)]
    tiles = shown(maps)
    assert tiles.shape[1] == 8 * 7 + 7  # rows of eight
    assert np.isnan(tiles).sum() == tiles.size - 10 * 7 * 7  # ten maps, each scaled to [0, 1]; gaps blank
    assert np.nanmin(tiles) == 0 and np.nanmax(tiles) == 1
    with pytest.raises(ValueError, match="feature maps"):
        plots.show_feature_maps(torch.randn(2, 3, 4, 4))
    assert capfd.readouterr().err == ""


def test_show_filters_shades_a_constant_filter_by_its_sign():
    """Min-max scaling has no range to use on a flat filter (FastCNN's DCT blur and its negative): positive is
    drawn light gray, negative dark gray, zero mid-gray, instead of all of them black."""
    blur = dct_filters(5, 1)
    weights = torch.cat([blur, -blur, torch.zeros_like(blur), torch.randn(1, 1, 5, 5)])
    tiles = shown(draw(plots.show_filters(weights)))
    tiles = tiles[~np.isnan(tiles).all(axis=1)]  # without the rows left blank for the captions
    light, dark, gray, varied = (tiles[:, 6 * k:6 * k + 5] for k in range(4))
    assert np.all(light == 0.75) and np.all(dark == 0.25) and np.all(gray == 0.5)
    assert varied.min() == 0 and varied.max() == 1


def test_plot_history_one_run_and_a_learning_rate_experiment(capfd):
    history = History(train_loss=[1.0, 0.5, 0.3], train_acc=[0.6, 0.8, 0.9], val_loss=[0.9, 0.6, 0.5],
                      val_acc=[0.65, 0.78, 0.85], lr=[1e-3] * 3, seconds=[1.0] * 3)
    figure = draw(plots.plot_history(history))
    loss_ax, acc_ax = figure.axes[:2]
    assert loss_ax.get_xlabel() == "epoch" and loss_ax.get_ylabel() == "loss" and loss_ax.get_title()
    assert acc_ax.get_ylabel() == "accuracy (%)" and figure._suptitle.get_text()
    assert list(acc_ax.lines[0].get_ydata()) == pytest.approx([60, 80, 90])
    no_val = History(train_loss=[1.0], train_acc=[0.5], lr=[1e-3], seconds=[1.0])
    runs = {"lr=0.1": history, "lr=0.001": no_val.as_dict()}
    compared = draw(plots.plot_history(runs, title="학습률 learning rate"))
    legend = [text.get_text() for text in compared.axes[0].get_legend().get_texts()]
    assert legend == ["lr=0.1 train", "lr=0.1 val", "lr=0.001 train"]
    assert capfd.readouterr().err == ""


def test_confusion_matrix_counts_and_annotated_plot(capfd):
    y_true = torch.tensor([0, 0, 1, 1, 1, 2, 3, 3])
    y_pred = torch.tensor([0, 1, 1, 1, 2, 2, 3, 0])
    expected = np.array([[1, 1, 0, 0], [0, 2, 1, 0], [0, 0, 1, 0], [1, 0, 0, 1]])
    assert np.array_equal(plots.confusion_matrix(y_true, y_pred, 4), expected)
    figure = draw(plots.plot_confusion_matrix(y_true, y_pred, CLASSES))
    ax = figure.axes[0]
    assert ax.get_title() and "predicted" in ax.get_xlabel() and "true" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASSES)
    assert [t.get_text() for t in ax.texts] == [str(v) for v in expected.ravel()]
    normalized = draw(plots.plot_confusion_matrix(y_true, y_pred, CLASSES, normalize=True))
    fractions = np.array([float(t.get_text()) for t in normalized.axes[0].texts]).reshape(4, 4)
    assert np.allclose(fractions.sum(axis=1), 1) and fractions[1, 1] == pytest.approx(0.67)
    assert capfd.readouterr().err == ""


def test_show_most_confused_lists_confident_mistakes_first(capfd):
    data = small_data(6)
    y_true = torch.tensor([0, 1, 2, 3, 0, 1])
    y_pred = torch.tensor([0, 2, 2, 0, 3, 1])  # mistakes at 1, 3, 4
    probs = torch.full((6, 4), 0.1)
    probs[1, 2], probs[3, 0], probs[4, 3] = 0.5, 0.9, 0.7
    figure = draw(plots.show_most_confused(data, y_true, y_pred, CLASSES, probs=probs))
    assert titles(figure) == ["Dress → T-shirt/top (0.90)", "T-shirt/top → Dress (0.70)",
                              "Trouser → Pullover (0.50)"]
    assert figure._suptitle.get_text()
    plain = draw(plots.show_most_confused(data.images, y_true.numpy(), y_pred.numpy(), CLASSES, n=2))
    assert titles(plain) == ["Trouser → Pullover", "Dress → T-shirt/top"]
    perfect = draw(plots.show_most_confused(data, y_true, y_true, CLASSES))
    assert perfect._suptitle.get_text()
    assert capfd.readouterr().err == ""


def korean_font_installed() -> bool:
    names = {font.name for font in font_manager.fontManager.ttflist}
    return any(name in names for name in plots.KOREAN_FONTS)


@pytest.mark.skipif(not korean_font_installed(), reason="no Korean font installed (e.g. apt install fonts-nanum)")
def test_use_korean_font_adds_a_fallback_once(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    name = plots.use_korean_font()
    assert name in plots.KOREAN_FONTS
    assert plots.use_korean_font() == name
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif", name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # the fallback font must make any glyph warning unnecessary
        figure = matplotlib.pyplot.figure()
        figure.suptitle("특성 맵 feature maps")
        draw(figure)
    assert not [w for w in caught if "Glyph" in str(w.message)]


@pytest.mark.slow
def test_missing_korean_glyphs_never_reach_stderr():
    """A font without Hangul, warnings forced on, and a redraw at another size (as Jupyter's inline
    backend does): the glyph warnings must still be silenced."""
    script = "\n".join([
        "import io, matplotlib, torch",
        "matplotlib.use('Agg')",
        "from data_tools import plots",
        "matplotlib.rcParams['font.family'] = ['DejaVu Sans']",
        "figure = plots.show_feature_maps(torch.randn(2, 4, 4), title='특성 맵 feature maps')",
        "figure.savefig(io.BytesIO(), dpi=37, bbox_inches='tight')",
    ])
    result = subprocess.run([sys.executable, "-W", "always::UserWarning", "-c", script], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Glyph" not in result.stderr and "missing from" not in result.stderr
