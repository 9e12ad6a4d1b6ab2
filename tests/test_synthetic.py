"""data_tools.synthetic: the CIFAR-10 stand-in is shaped like CIFAR-10, deterministic, learnable by a
small CNN and not solvable from colour alone."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from data_tools.synthetic import CIFAR10_CLASSES, make_synthetic_cifar


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def data():
    return make_synthetic_cifar(n_train=2000, n_test=1000, seed=0)


def test_shapes_types_classes_and_labelling(data):
    train, test = data
    assert train.images.shape == (2000, 3, 32, 32) and test.images.shape == (1000, 3, 32, 32)
    assert train.images.dtype == test.images.dtype == torch.uint8
    assert train.labels.dtype == torch.int64
    assert CIFAR10_CLASSES == ("airplane", "automobile", "bird", "cat", "deer",
                               "dog", "frog", "horse", "ship", "truck")
    for split in (train, test):
        assert split.classes == CIFAR10_CLASSES
        assert split.synthetic is True
        assert split.source == "synthetic CIFAR-10 stand-in (generated, seed 0)"
        assert split.mean == (0.4914, 0.4822, 0.4465) and split.std == (0.2470, 0.2435, 0.2616)
        assert torch.bincount(split.labels, minlength=10).tolist() == [len(split) // 10] * 10
    assert len(set(train.labels[:20].tolist())) > 5, "labels come shuffled, not in blocks"
    assert train.images.float().std() > 40, "uses the whole intensity range"
    normalized = train.normalized()
    assert abs(normalized.mean().item()) < 0.3 and 0.8 < normalized.std().item() < 1.5


def test_deterministic_by_seed_with_separate_streams(data):
    train, test = data
    again_train, again_test = make_synthetic_cifar(n_train=2000, n_test=1000, seed=0)
    assert torch.equal(train.images, again_train.images) and torch.equal(train.labels, again_train.labels)
    assert torch.equal(test.images, again_test.images)
    other, _ = make_synthetic_cifar(n_train=2000, n_test=10, seed=1)
    assert not torch.equal(train.images, other.images)
    assert other.source.endswith("seed 1)")
    # train and test come from separate streams: no image in both, even for equal sizes
    equal_train, equal_test = make_synthetic_cifar(n_train=300, n_test=300, seed=0)
    for first, second in ((train, test), (equal_train, equal_test)):
        seen = {bytes(image.numpy()) for image in first.images}
        assert not any(bytes(image.numpy()) in seen for image in second.images)


def mean_colour(split):
    return split.images.float().mean(dim=(2, 3))


def colour_histogram(split, bins: int = 4):
    """Share of pixels in each of bins³ RGB cells: the colours of an image, wherever they are."""
    cells = split.images.long() * bins // 256
    index = ((cells[:, 0] * bins + cells[:, 1]) * bins + cells[:, 2]).flatten(1)
    counts = torch.zeros(len(split), bins ** 3).scatter_add_(1, index, torch.ones(index.shape))
    return counts / counts.sum(1, keepdim=True)


@pytest.mark.parametrize("features", [mean_colour, colour_histogram])
def test_colour_alone_says_almost_nothing_about_the_class(data, features):
    train, test = data
    train_features, test_features = features(train), features(test)
    centres = torch.stack([train_features[train.labels == k].mean(0) for k in range(10)])
    predicted = torch.cdist(test_features, centres).argmin(1)
    accuracy = (predicted == test.labels).float().mean().item()
    assert accuracy < 0.25, f"nearest-centroid classifier on {features.__name__} reaches {accuracy:.2f}"


@pytest.mark.slow
def test_a_small_cnn_learns_it(data):
    train, test = data
    x, y, x_test = train.normalized(), train.labels, test.normalized()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(16 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for epoch in range(5):
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch))
            for batch in order.split(64):
                loss = nn.functional.cross_entropy(net(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        net.eval()
        with torch.no_grad():
            accuracy = (net(x_test).argmax(1) == test.labels).float().mean().item()
    finally:
        torch.set_num_threads(threads)
    assert accuracy >= 0.6, f"test accuracy {accuracy:.2f} after a short training"
