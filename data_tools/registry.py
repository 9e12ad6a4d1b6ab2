"""The data sets the course uses: where to get each file and how to recognise a good copy."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileSpec:
    """One file of a data set.

    ``sha256`` is the SHA-256 of the *decoded* content: a single-file ``.gz`` is hashed after
    decompression (mirrors re-compress, so only the content can be compared), an archive
    (``.tar.gz``) as it is. ``md5`` is the MD5 of the official file's bytes; ``size`` its length.
    Verification uses the first of sha256, md5, size that is known.
    """

    filename: str
    urls: tuple[str, ...]
    sha256: str | None
    md5: str | None = None
    size: int | None = None

    def __post_init__(self):
        if not (self.sha256 or self.md5 or self.size):
            raise ValueError(f"{self.filename}: give a sha256, md5 or size to verify it against")

    @property
    def gzipped(self) -> bool:
        """True for a single gzip-compressed file, whose sha256 is that of its decompressed content."""
        return self.filename.endswith(".gz") and not self.filename.endswith(".tar.gz")

    @property
    def decompressed_name(self) -> str | None:
        """The name of the decompressed file (``x.gz`` → ``x``) for a gzipped file, else None."""
        return self.filename[:-3] if self.gzipped else None

    def describe_checksum(self) -> str:
        """The check a copy must pass, e.g. 'sha256 ab12… of the decompressed content'."""
        if self.sha256:
            return f"sha256 {self.sha256}" + (" of the decompressed content" if self.gzipped else "")
        if self.md5:
            return f"md5 {self.md5}"
        return f"size {self.size} bytes"


@dataclass(frozen=True)
class DatasetSpec:
    """A data set: its files by role (e.g. ``"train_images"``), classes, image shape (C, H, W),
    per-channel mean/std on the [0, 1] scale, split sizes and provenance."""

    name: str
    title: str
    files: dict
    classes: tuple
    shape: tuple
    mean: tuple
    std: tuple
    n_train: int
    n_test: int
    homepage: str
    license: str


def _idx_files(base_urls: tuple[str, ...], sha256: dict[str, str], md5: dict[str, str]) -> dict[str, FileSpec]:
    """The four MNIST-format files, by role."""
    names = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
             "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}
    return {role: FileSpec(name, tuple(base + name for base in base_urls), sha256[role], md5.get(role))
            for role, name in names.items()}


MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    # torchvision's mirrors, in its order; md5 of the official .gz files (as torchvision lists them).
    files=_idx_files(
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        sha256={"train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
        md5={"train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873", "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
             "test_images": "9fb629c4189551a2d022fa330f9573f3", "test_labels": "ec29112dd5afa0611ce80d1b7f02629c"}),
    classes=tuple(str(digit) for digit in range(10)),
    shape=(1, 28, 28),
    mean=(0.1307,),
    std=(0.3081,),
    n_train=60000,
    n_test=10000,
    homepage="http://yann.lecun.com/exdb/mnist/",
    license="CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. J. C. Burges)",
)

FASHION_MNIST = DatasetSpec(
    name="fashion_mnist",
    title="Fashion-MNIST",
    # sha256 of the content decoded from Debian's dataset-fashion-mnist package. Debian re-compressed
    # the files (their .gz md5s differ from the official ones), so no md5 is recorded.
    files=_idx_files(
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        sha256={"train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
        md5={}),
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    shape=(1, 28, 28),
    mean=(0.2860,),
    std=(0.3530,),
    n_train=60000,
    n_test=10000,
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    license="MIT (Zalando SE)",
)

CIFAR10 = DatasetSpec(
    name="cifar10",
    title="CIFAR-10",
    files={"archive": FileSpec(
        "cifar-10-python.tar.gz", ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
        sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        md5="c58f30108f718f92721af3b95e74349a")},
    classes=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    shape=(3, 32, 32),
    mean=(0.4914, 0.4822, 0.4465),
    std=(0.2470, 0.2435, 0.2616),
    n_train=50000,
    n_test=10000,
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    license="no license stated; cite Krizhevsky (2009), Learning Multiple Layers of Features from Tiny Images",
)

NOTMNIST_SMALL = DatasetSpec(
    name="notmnist_small",
    title="notMNIST (small)",
    # No checksum was ever published for this archive; the only published check is its size
    # (Udacity's deep-learning assignment 1 verifies exactly this number of bytes).
    files={"archive": FileSpec("notMNIST_small.tar.gz", ("http://yaroslavvb.com/upload/notMNIST/notMNIST_small.tar.gz",),
                               sha256=None, size=8458043)},
    classes=tuple("ABCDEFGHIJ"),
    shape=(1, 28, 28),
    # Not measured statistics: the lecture's normalization (x - 127.5) / 255, i.e. mean 0.5, std 1.
    mean=(0.5,),
    std=(1.0,),
    # Readable images (2 of the archive's 18,726 files are broken); there is no official test split.
    n_train=18724,
    n_test=0,
    homepage="http://yaroslavvb.blogspot.com/2011/09/notmnist-dataset.html",
    license="no license stated (Yaroslav Bulatov, 2011)",
)

REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST, CIFAR10, NOTMNIST_SMALL)}
