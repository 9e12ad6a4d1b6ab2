"""Fixed filter banks: a first conv layer that is set, not learned."""
from __future__ import annotations

import math

import torch


def dct_filters(size: int, count: int) -> torch.Tensor:
    """The ``count`` lowest-frequency ``size`` × ``size`` patterns of the 2-D discrete cosine transform (DCT-II),
    each of unit norm, shaped (count, 1, size, size) for the weight of a ``Conv2d(1, count, size)``.

    Lowest frequencies first: the flat pattern (a blur), then the horizontal and vertical gradients, then the
    patterns with two changes of sign. They are orthonormal, and much like the smooth blob and edge detectors
    a first layer learns on small gray images."""
    if not 1 <= count <= size * size:
        raise ValueError(f"A {size}×{size} DCT has {size * size} patterns: count must be 1 to {size * size}, "
                         f"got {count}.")
    position = torch.arange(size, dtype=torch.float64) + 0.5
    cosines = torch.stack([torch.cos(math.pi * position * frequency / size) for frequency in range(size)])
    frequencies = sorted(((u, v) for u in range(size) for v in range(size)), key=lambda f: (sum(f), max(f), f))
    patterns = torch.stack([torch.outer(cosines[u], cosines[v]) for u, v in frequencies[:count]])
    patterns /= patterns.flatten(1).norm(dim=1)[:, None, None]
    return patterns.float().unsqueeze(1)
