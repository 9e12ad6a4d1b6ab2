"""dct_filters: the fixed first-layer patterns of the reference FastCNN."""
from __future__ import annotations

import math

import pytest
import torch

from data_tools.filters import dct_filters


def test_patterns_are_orthonormal_and_shaped_for_a_conv_weight():
    patterns = dct_filters(5, 25)
    assert patterns.shape == (25, 1, 5, 5) and patterns.dtype == torch.float32
    flat = patterns.flatten(1).double()
    assert torch.allclose(flat @ flat.T, torch.eye(25, dtype=torch.float64), atol=1e-6)


def test_lowest_frequencies_come_first_with_the_textbook_values():
    """DCT-II pattern (u, v) = cos(π(y + ½)u / k) · cos(π(x + ½)v / k), unit norm: the blur (0, 0), the
    left-to-right gradient (0, 1), the top-to-bottom one (1, 0), then (1, 1), (0, 2), (2, 0)."""
    k = 5
    position = torch.arange(k, dtype=torch.float64) + 0.5

    def pattern(u, v):
        product = torch.outer(torch.cos(math.pi * position * u / k), torch.cos(math.pi * position * v / k))
        return product / product.norm()

    expected = torch.stack([pattern(u, v) for u, v in [(0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (2, 0)]])
    assert torch.allclose(dct_filters(k, 6)[:, 0].double(), expected, atol=1e-6)
    assert torch.allclose(dct_filters(k, 1)[0, 0], torch.full((k, k), 0.2))


@pytest.mark.parametrize("count", [0, 26])
def test_a_count_the_size_cannot_give_is_refused(count):
    with pytest.raises(ValueError, match="count must be 1 to 25"):
        dct_filters(5, count)
