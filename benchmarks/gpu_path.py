"""The GPU path of notebook 04: epochs of its ``CifarNet`` (its own recipe and settings) on the CIFAR-10-sized
stand-in, fed the naive way and the course's way, on one CUDA GPU.

Cases (same network, seed and batch size; seconds per epoch, the median of ``--epochs`` after a warm-up epoch):

1. torchvision's per-image ``RandomCrop`` + ``RandomHorizontalFlip`` on PIL images, ``DataLoader`` (2 workers,
   pinned memory), each batch copied to the GPU, fp32: the naive baseline;
2. ``BatchLoader`` on the host (augmentation on whole batches), each batch copied to the GPU, fp32;
3. ``BatchLoader`` on the GPU: the images and the augmentation stay there, fp32;
4. the same with ``fit``'s default precision: bf16 autocast on GPUs that compute it natively.

Checks, from the same runs: host-to-device copies per batch (torch's profiler over a few batches; the data should
not move in cases 3 and 4, and case 2 proves the counter sees copies) and the dtype the first convolution computes
in during ``fit``. The stand-in's accuracies say nothing about CIFAR-10, so the result is time: the reference
recipe's epochs times case 4's epoch. With real CIFAR-10, notebook 04 prints its time to each rung.

    python -m benchmarks.gpu_path [--device cuda] [--epochs N] [--tiny]

Without a CUDA device it says so and measures nothing (``--tiny`` runs small sizes on the CPU to keep the script
working in CI). Results: a table on stdout and benchmarks/results/gpu_path.json.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from benchmarks.bench_loader import per_image_cifar
from benchmarks.report import Report
from benchmarks.train_reference import notebook_namespace

NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "04_cifar10" / "04_cifar10.ipynb"
PROFILED_BATCHES = 4


class ToDevice:
    """A host loader's batches, as ``fit`` would get them from a loader that does not know the device."""

    def __init__(self, loader, device: torch.device):
        self.loader, self.device = loader, device

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


def loaders(train, batch_size: int, device: torch.device) -> dict:
    """The four cases' training loaders and whether ``fit`` uses autocast (None: its default)."""
    from data_tools.augment import crop_flip
    from data_tools.loader import BatchLoader

    per_image = DataLoader(per_image_cifar(train), batch_size=batch_size, shuffle=True, num_workers=2,
                           pin_memory=device.type == "cuda", persistent_workers=True)
    host = BatchLoader(train, batch_size, augment=crop_flip(), device="cpu", seed=0)
    on_device = BatchLoader(train, batch_size, augment=crop_flip(), device=device, seed=0)
    return {"torchvision per-image transforms, workers=2, fp32": (ToDevice(per_image, device), False),
            "BatchLoader on the host, fp32": (ToDevice(host, device), False),
            "BatchLoader on the device, fp32": (on_device, False),
            "BatchLoader on the device, fit's default precision": (on_device, None)}


def copies_per_batch(loader, device: torch.device) -> float | None:
    """Host-to-device copies per batch while iterating ``loader`` (None off CUDA: nothing to copy)."""
    if device.type != "cuda":
        return None
    from torch.profiler import ProfilerActivity, profile

    batches = iter(loader)
    next(batches)  # the epoch's start (its shuffled order moves once per epoch)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(PROFILED_BATCHES):
            next(batches)
        torch.cuda.synchronize()
    return sum(event.count for event in prof.key_averages() if "HtoD" in event.key) / PROFILED_BATCHES


def epoch_seconds(namespace: dict, loader, amp, *, epochs: int, device: torch.device) -> tuple[float, str]:
    """(median seconds per epoch after a warm-up epoch, dtype of the first convolution's output in training)."""
    from data_tools.device import set_seed
    from data_tools.training import fit

    set_seed(0)
    model = namespace["CifarNet"]()
    conv = next(module for module in model.modules() if isinstance(module, torch.nn.Conv2d))
    dtypes = set()
    conv.register_forward_hook(lambda module, inputs, output: dtypes.add(str(output.dtype).removeprefix("torch.")))
    history = fit(model, loader, epochs=1 + epochs, lr=namespace["LR"], optimizer="sgd",
                  weight_decay=namespace["WEIGHT_DECAY"], label_smoothing=namespace["LABEL_SMOOTHING"],
                  device=device, progress=False, amp=amp)
    return statistics.median(history.seconds[1:]), "+".join(sorted(dtypes))


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="a CUDA device (default cuda)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per case, after one warm-up (default 3)")
    parser.add_argument("--tiny", action="store_true", help="small sizes on the CPU, to keep the script working (CI)")
    args = parser.parse_args(argv)
    if args.tiny:
        device = torch.device("cpu")
    elif not torch.cuda.is_available():
        print("gpu_path: skipped: no CUDA device here (it measures the GPU path; run it where a GPU is)")
        return None
    else:
        device = torch.device(args.device)

    from data_tools.synthetic import make_synthetic_cifar

    namespace = notebook_namespace(NOTEBOOK)
    train, _ = make_synthetic_cifar(n_train=128 if args.tiny else 50_000, n_test=10)
    batch_size = 64 if args.tiny else namespace["BATCH_SIZE"]
    epochs = 1 if args.tiny else args.epochs
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device {device} ({name}), {len(train):,} stand-in images, batches of {batch_size}", flush=True)
    report = Report("gpu_path", tiny=args.tiny)
    cases = loaders(train, batch_size, device)
    for number, (case, (loader, amp)) in enumerate(cases.items()):
        seconds, dtype = epoch_seconds(namespace, loader, amp, epochs=epochs, device=device)
        copies = copies_per_batch(loader, device)
        print(f"{case}: {seconds:.2f} s per epoch, first conv in {dtype}, host-to-device copies per batch: "
              f"{'n/a' if copies is None else f'{copies:g}'}", flush=True)
        report.add("cifar10-epoch", case, seconds, baseline=number == 0, conv_dtype=dtype,
                   copies_per_batch=copies, images=len(train), batch_size=batch_size, device=name)
    if report.rows[1]["copies_per_batch"] == 0:  # the host loader's batches are copied: the counter must see them
        print("warning: the profiler counted no host-to-device copies even where every batch is copied, so its "
              "zeros prove nothing on this machine")
    per_epoch = report.rows[-1]["seconds"]
    print(f"the reference recipe, {namespace['EPOCHS']} epochs: about {namespace['EPOCHS'] * per_epoch / 60:.1f} min "
          "of training (plus the test set's evaluation after each epoch)")
    return report.finish()


if __name__ == "__main__":
    main()
    sys.exit(0)
