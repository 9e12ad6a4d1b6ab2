"""BatchLoader, ImageDataset, loaders() and the batch augmentations."""
from __future__ import annotations

import itertools

import pytest
import torch
from torch.utils.data import DataLoader

from data_tools.augment import crop_flip, random_crop, random_hflip
from data_tools.imagedata import ImageData
from data_tools.loader import BatchLoader, ImageDataset, loaders

CPU = torch.device("cpu")


def tagged_data(n: int = 103, n_classes: int = 7, seed: int = 0) -> ImageData:
    """Images that carry their own index (pixels 0, 1) and label (pixel 2); mean 0 and std 1/255 make the
    normalized value equal the pixel value, so each item can be read back from a batch."""
    labels = torch.randint(n_classes, (n,), generator=torch.Generator().manual_seed(seed))
    images = torch.randint(0, 256, (n, 1, 4, 5), generator=torch.Generator().manual_seed(seed + 1)).to(torch.uint8)
    index = torch.arange(n)
    images[:, 0, 0, 0], images[:, 0, 0, 1], images[:, 0, 0, 2] = index // 256, index % 256, labels
    return ImageData(images, labels, classes=tuple("abcdefg"[:n_classes]), name="tagged",
                     mean=(0.0,), std=(1 / 255,))


def decode(x: torch.Tensor) -> tuple[list[int], list[int]]:
    """(item indices, labels) written into the images of a batch."""
    pixels = x[:, 0, 0, :3].round().long()
    return (pixels[:, 0] * 256 + pixels[:, 1]).tolist(), pixels[:, 2].tolist()


def epoch_order(loader) -> list[int]:
    return [i for x, _ in loader for i in decode(x)[0]]


def test_each_item_once_per_epoch_and_a_new_permutation_each_epoch():
    loader = BatchLoader(tagged_data(103), batch_size=10, device=CPU)
    assert len(loader) == 11 and loader.n_items == 103
    assert [len(y) for _, y in loader] == [10] * 10 + [3]
    orders = [epoch_order(loader) for _ in range(3)]
    for order in orders:
        assert sorted(order) == list(range(103))
    assert orders[0] != orders[1] != orders[2] != orders[0]
    assert orders[0] != list(range(103))


def test_same_seed_same_batches_across_runs_other_seed_differs():
    data = tagged_data()
    first, again = (BatchLoader(data, 16, device=CPU, seed=5) for _ in range(2))
    other = BatchLoader(data, 16, device=CPU, seed=6)
    runs = [[epoch_order(loader) for _ in range(2)] for loader in (first, again, other)]
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]


def test_unshuffled_loader_keeps_dataset_order():
    loader = BatchLoader(tagged_data(), 16, shuffle=False, device=CPU)
    assert epoch_order(loader) == list(range(103)) == epoch_order(loader)


def test_labels_stay_with_their_images_under_shuffling():
    data = tagged_data(200, n_classes=7)
    for x, y in BatchLoader(data, 32, device=CPU, seed=1):
        indices, written_labels = decode(x)
        assert y.tolist() == written_labels == data.labels[indices].tolist()


def test_normalization_matches_imagedata_normalized_on_three_channels():
    images = torch.randint(0, 256, (50, 3, 6, 6), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    data = ImageData(images, torch.arange(50) % 10, classes=tuple("0123456789"), name="rgb")
    batches = list(BatchLoader(data, 16, shuffle=False, device=CPU))
    x = torch.cat([x for x, _ in batches])
    assert x.dtype == torch.float32 and batches[0][1].dtype == torch.int64
    torch.testing.assert_close(x, data.normalized(), rtol=0, atol=1e-6)
    assert abs(x.mean().item()) < 0.05 and abs(x.std().item() - 1) < 0.05


def test_drop_last_gives_only_full_batches():
    loader = BatchLoader(tagged_data(103), 10, device=CPU, drop_last=True)
    assert len(loader) == 10 and loader.n_items == 100
    sizes, order = [], []
    for x, y in loader:
        sizes.append(len(y))
        order += decode(x)[0]
    assert sizes == [10] * 10 and len(set(order)) == 100


def test_augment_runs_on_each_pixel_batch_before_normalizing_and_channels_last():
    data = tagged_data(40)
    seen = []

    def invert(pixels):
        seen.append(pixels.clone())
        return 255 - pixels

    loader = BatchLoader(data, 16, shuffle=False, augment=invert, device=CPU, channels_last=True)
    x = torch.cat([x for x, _ in loader])
    assert len(seen) == 3 and all(batch.dtype == torch.uint8 for batch in seen)
    assert torch.equal(torch.cat(seen), data.images)
    inverted = ImageData(255 - data.images, data.labels, data.classes, "inverted", mean=data.mean, std=data.std)
    torch.testing.assert_close(x, inverted.normalized())
    assert torch.equal(data.images, tagged_data(40).images), "augmenting must not change the stored images"
    rgb = ImageData(torch.zeros(4, 3, 5, 5, dtype=torch.uint8), torch.zeros(4), ("a",), name="rgb")
    x, _ = next(iter(BatchLoader(rgb, 4, device=CPU, channels_last=True)))
    assert x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def test_loaders_pair_shuffled_train_and_ordered_test_with_bigger_batches():
    data = tagged_data(300)
    train, test = loaders(data, data, batch_size=32, augment=crop_flip(), device="cpu", seed=3)
    assert train.shuffle and not test.shuffle
    assert train.augment == crop_flip() and test.augment is None
    assert test.batch_size > train.batch_size
    assert train.device == test.device == CPU
    assert epoch_order(test) == list(range(300))


def shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Reference: out[y, x] = image[y + dy, x + dx], zero where that falls outside."""
    out = torch.zeros_like(image)
    _, h, w = image.shape
    for y, x in itertools.product(range(h), range(w)):
        if 0 <= y + dy < h and 0 <= x + dx < w:
            out[:, y, x] = image[:, y + dy, x + dx]
    return out


def test_random_crop_shifts_each_image_by_its_own_offset_with_zero_fill():
    padding = 2
    batch = torch.randint(1, 256, (200, 2, 5, 6), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    out = random_crop(batch, padding, generator=torch.Generator().manual_seed(1))
    assert out.shape == batch.shape and out.dtype == torch.uint8
    offsets = range(-padding, padding + 1)
    found = []
    for image, result in zip(batch, out):
        matches = [(dy, dx) for dy in offsets for dx in offsets if torch.equal(result, shifted(image, dy, dx))]
        assert len(matches) == 1, "each output must be its input shifted by one offset in [-p, p]"
        found.append(matches[0])
    assert set(found) == {(dy, dx) for dy in offsets for dx in offsets}


def test_random_crop_on_floats_is_reproducible_and_padding_zero_is_identity():
    batch = torch.randn(8, 3, 6, 6)
    first = random_crop(batch, 3, generator=torch.Generator().manual_seed(4))
    again = random_crop(batch, 3, generator=torch.Generator().manual_seed(4))
    assert first.dtype == torch.float32 and torch.equal(first, again) and not torch.equal(first, batch)
    assert torch.equal(random_crop(batch, 0), batch)


def test_random_hflip_mirrors_exactly_some_images():
    batch = torch.randint(0, 256, (64, 3, 4, 5), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    out = random_hflip(batch, generator=torch.Generator().manual_seed(2))
    flipped = [torch.equal(o, b.flip(-1)) for o, b in zip(out, batch)]
    kept = [torch.equal(o, b) for o, b in zip(out, batch)]
    assert all(f != k for f, k in zip(flipped, kept))
    assert 16 < sum(flipped) < 48
    assert torch.equal(random_hflip(batch, p=1.0), batch.flip(-1))
    assert torch.equal(random_hflip(batch, p=0.0), batch)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_crop_flip_shifts_then_maybe_mirrors_each_image(dtype):
    batch = torch.randint(1, 256, (40, 3, 5, 5), generator=torch.Generator().manual_seed(0)).to(dtype)
    augment = crop_flip(padding=1)
    torch.manual_seed(0)
    out = augment(batch)
    assert out.shape == batch.shape and out.dtype == dtype and "padding=1" in repr(augment)
    found = set()
    for image, result in zip(batch, out):
        for flipped, dy, dx in itertools.product((False, True), (-1, 0, 1), (-1, 0, 1)):
            if torch.equal(result, shifted(image, dy, dx).flip(-1) if flipped else shifted(image, dy, dx)):
                found.add((flipped, (dy, dx) != (0, 0)))
    assert found == {(False, False), (False, True), (True, False), (True, True)}


def test_image_dataset_works_with_torch_dataloader():
    data = tagged_data(50)
    dataset = ImageDataset(data)
    x, label = dataset[7]
    assert x.shape == (1, 4, 5) and x.dtype == torch.float32 and isinstance(label, int)
    assert label == int(data.labels[7])
    batches = list(DataLoader(dataset, batch_size=16, shuffle=False))
    torch.testing.assert_close(torch.cat([x for x, _ in batches]), data.normalized())
    assert torch.equal(torch.cat([y for _, y in batches]), data.labels)
    flipped = ImageDataset(data, transform=lambda image: image.flip(-1))
    torch.testing.assert_close(flipped[3][0], data.normalized(slice(3, 4))[0].flip(-1))


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        BatchLoader(tagged_data(), 0, device=CPU)
