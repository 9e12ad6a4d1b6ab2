"""data_tools: the helper library every course notebook imports.

One short module per concern; the names below are importable from the package itself and are loaded
on first use, so ``import data_tools`` stays cheap::

    from data_tools import check_environment, load_dataset, BatchLoader, fit, evaluate, show_images
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "config": ("fast_mode", "pick", "data_dir", "mirror_dirs", "offline"),
    "imagedata": ("ImageData",),
    "registry": ("REGISTRY",),
    "fetch": ("fetch", "DataUnavailableError", "ChecksumError"),
    "datasets": ("load_dataset", "dataset_spec", "class_names"),
    "letters": ("LETTERS", "generate_letters", "letters_folder", "extract_notmnist"),
    "synthetic": ("make_synthetic_cifar",),
    "augment": ("random_crop", "random_hflip", "crop_flip"),
    "filters": ("dct_filters",),
    "loader": ("BatchLoader", "ImageDataset", "loaders"),
    "cpus": ("cpu_cores",),
    "device": ("pick_device", "set_seed", "configure_cpu", "keep_freed_memory"),
    "training": ("fit", "evaluate", "predict", "History"),
    "checkpoints": ("save_checkpoint", "load_checkpoint", "CheckpointError"),
    "plots": ("show_images", "show_filters", "show_feature_maps", "plot_history", "plot_confusion_matrix",
              "show_most_confused", "use_korean_font"),
    "envcheck": ("check_environment",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'data_tools' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"data_tools.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
