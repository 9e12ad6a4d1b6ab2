"""Typical wrong answers to notebook 02 (conv arithmetic).

They run in the notebook's namespace (its imports cell gives ``math``, ``np``, ``torch``, ``F``; the other
exercises such as ``conv_output_size`` are the notebook's own).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from tests.wrong_answers import mistake


# ---------------------------------------------------------------- 1. conv_output_size, conv_fits

@mistake("conv_output_size", "forgot the +1")
def conv_output_size_no_plus_one(n, f, padding=0, stride=1):
    """Counts the filter's moves but not its first position: no +1."""
    return (n + 2 * padding - f) // stride


@mistake("conv_output_size", "(2P)")
def conv_output_size_padding_once(n, f, padding=0, stride=1):
    """Adds the padding on one side only: N + P − F."""
    return (n + padding - f) // stride + 1


@mistake("conv_output_size", "ceil")
def conv_output_size_ceil(n, f, padding=0, stride=1):
    """Rounds up: counts a last filter position that sticks out of the input."""
    return math.ceil((n + 2 * padding - f) / stride) + 1


@mistake("conv_output_size", "floor division")
def conv_output_size_true_division(n, f, padding=0, stride=1):
    """Uses true division: returns 2.33 for the lecture's n=7, f=3, s=3."""
    return (n + 2 * padding - f) / stride + 1


@mistake("conv_output_size", "+1 by the stride")
def conv_output_size_stride_on_plus_one(n, f, padding=0, stride=1):
    """Puts the +1 inside the division: (N + 2P − F + 1) / S."""
    return (n + 2 * padding - f + 1) // stride


@mistake("conv_output_size", "returned")
def conv_output_size_answer_table(n, f, padding=0, stride=1):
    """Answer table: right on the public settings only."""
    table = {(28, 5, 0, 1): 24, (28, 5, 2, 1): 28, (32, 5, 0, 1): 28, (7, 3, 0, 1): 5, (7, 3, 0, 2): 3,
             (7, 3, 0, 3): 2, (32, 5, 2, 1): 32, (5, 3, 1, 2): 3, (6, 3, 0, 2): 2, (227, 11, 0, 4): 55,
             (10, 3, 1, 3): 4, (13, 3, 0, 2): 6, (8, 3, 1, 3): 3, (32, 5, 0, 2): 14, (28, 5, 1, 3): 9,
             (227, 11, 1, 4): 55}
    return table.get((n, f, padding, stride), n)


@mistake("conv_output_size", "expected an int")
def conv_output_size_always_equal(n, f, padding=0, stride=1):
    """Returns an object that claims to equal anything."""
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False
    return AlwaysEqual()


@mistake("conv_fits", "divisible by the stride")
def conv_fits_from_output_size(n, f, padding=0, stride=1):
    """Tests whether the output size is a whole number — always true, since the formula floors."""
    return float(conv_output_size(n, f, padding, stride)).is_integer()


@mistake("conv_fits", "ignored the padding")
def conv_fits_no_padding(n, f, padding=0, stride=1):
    """Leaves the padding out of the test."""
    return (n - f) % stride == 0


@mistake("conv_fits", "whether N is divisible")
def conv_fits_n_divisible(n, f, padding=0, stride=1):
    """Tests N % S instead of (N + 2P − F) % S."""
    return n % stride == 0


@mistake("conv_fits", "True or False")
def conv_fits_remainder(n, f, padding=0, stride=1):
    """Returns the remainder itself (0 means it fits) instead of a bool."""
    return (n + 2 * padding - f) % stride


@mistake("conv_fits", "returned")
def conv_fits_answer_table(n, f, padding=0, stride=1):
    """Answer table: only the public settings that do not fit are listed."""
    return (n, f, padding, stride) not in {(7, 3, 0, 3), (6, 3, 0, 2), (8, 3, 1, 3), (32, 5, 0, 2), (28, 5, 1, 3),
                                        (227, 11, 1, 4)}


# ---------------------------------------------------------------- 2. padding_amount, zero_pad

@mistake("padding_amount", "F − 1 for 'same'")
def padding_amount_same_full(f, mode):
    """Uses F − 1 for 'same' as well as for 'full'."""
    if mode == "valid":
        return 0
    if mode in ("same", "full"):
        return f - 1
    raise ValueError(mode)


@mistake("padding_amount", "(f − 1) // 2")
def padding_amount_same_half(f, mode):
    """'same' = F / 2 with true division (1.5 for a 3×3 filter)."""
    if mode == "valid":
        return 0
    if mode == "same":
        return f / 2
    if mode == "full":
        return f - 1
    raise ValueError(mode)


@mistake("padding_amount", "F for 'full'")
def padding_amount_full_f(f, mode):
    """'full' = F instead of F − 1."""
    if mode == "valid":
        return 0
    if mode == "same":
        if f % 2 == 0:
            raise ValueError(f)
        return (f - 1) // 2
    if mode == "full":
        return f
    raise ValueError(mode)


@mistake("padding_amount", "both sides together")
def padding_amount_total(f, mode):
    """Returns the padding of both sides added up."""
    if mode == "valid":
        return 0
    if mode == "same":
        return f - 1
    if mode == "full":
        return 2 * (f - 1)
    raise ValueError(mode)


@mistake("padding_amount", "raise ValueError")
def padding_amount_even_same(f, mode):
    """Returns f // 2 for an even filter with 'same' instead of refusing."""
    if mode == "valid":
        return 0
    if mode == "same":
        return f // 2
    if mode == "full":
        return f - 1
    raise ValueError(mode)


@mistake("padding_amount", "returned")
def padding_amount_answer_table(f, mode):
    """Answer table: right on the public cases only."""
    if mode not in ("valid", "same", "full") or (mode == "same" and f % 2 == 0):
        raise ValueError(mode)
    return {(3, "valid"): 0, (3, "same"): 1, (5, "same"): 2, (3, "full"): 2, (7, "full"): 6, (1, "same"): 0,
            (11, "valid"): 0, (7, "same"): 3}.get((f, mode), 1)


@mistake("zero_pad", "channel axis")
def zero_pad_all_axes(x, p):
    """np.pad(x, p) pads every axis, the channels too."""
    return np.pad(x, p)


@mistake("zero_pad", "one side")
def zero_pad_one_side(x, p):
    """Adds p rows and columns at the end only."""
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, p), (0, p)])


@mistake("zero_pad", "edge values")
def zero_pad_edge(x, p):
    """Repeats the border pixels instead of adding zeros."""
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)], mode="edge")


@mistake("zero_pad", "only the rows")
def zero_pad_rows_only(x, p):
    """Pads the height but not the width."""
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (0, 0)])


@mistake("zero_pad", "subclass")
def zero_pad_matrix_subclass(x, p):
    """Returns an ndarray subclass whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)]).view(Anything)


# ---------------------------------------------------------------- 3. conv2d_single

@mistake("conv2d_single", "flipped the filter")
def conv2d_single_flipped(x, w, b=0.0):
    """True convolution: flips the filter first."""
    w = w[::-1, ::-1]
    f = w.shape[0]
    out = np.zeros((x.shape[0] - f + 1, x.shape[1] - f + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + f, j:j + f] * w) + b
    return out


@mistake("conv2d_single", "forgot to add the bias")
def conv2d_single_no_bias(x, w, b=0.0):
    """Leaves the bias out."""
    f = w.shape[0]
    out = np.zeros((x.shape[0] - f + 1, x.shape[1] - f + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + f, j:j + f] * w)
    return out


@mistake("conv2d_single", "every product")
def conv2d_single_bias_per_element(x, w, b=0.0):
    """Adds the bias to each product: sum(x * w + b)."""
    f = w.shape[0]
    out = np.zeros((x.shape[0] - f + 1, x.shape[1] - f + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + f, j:j + f] * w + b)
    return out


@mistake("conv2d_single", "H − F + 1")
def conv2d_single_off_by_one(x, w, b=0.0):
    """Loops over range(H − F): one output row and column short."""
    f = w.shape[0]
    out = np.zeros((x.shape[0] - f, x.shape[1] - f))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + f, j:j + f] * w) + b
    return out


@mistake("conv2d_single", "not a Tensor")
def conv2d_single_torch(x, w, b=0.0):
    """Calls PyTorch and returns its tensor instead of writing the loops in NumPy."""
    return F.conv2d(torch.tensor(x)[None, None], torch.tensor(w)[None, None])[0, 0] + b


@mistake("conv2d_single", "subclass")
def conv2d_single_subclass(x, w, b=0.0):
    """Returns an ndarray subclass whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros((x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1)).view(Anything)


# ---------------------------------------------------------------- 4. conv2d

@mistake("conv2d", "channels last")
def conv2d_channels_last_output(x, w, b, stride=1, padding=0):
    """Writes the output as (H', W', K), NumPy/Keras style."""
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, _, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((h_out, w_out, k))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, i * stride:i * stride + f, j * stride:j * stride + f]
            out[i, j, :] = (w * window).sum(axis=(1, 2, 3)) + b
    return out


@mistake("conv2d", "channels first")
def conv2d_reads_channels_last(x, w, b, stride=1, padding=0):
    """Reads x as (H, W, C) and w as (K, F, F, C)."""
    x = np.pad(x, [(padding, padding), (padding, padding), (0, 0)])
    k, f = w.shape[0], w.shape[1]
    h_out, w_out = (x.shape[0] - f) // stride + 1, (x.shape[1] - f) // stride + 1
    out = np.zeros((k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[i * stride:i * stride + f, j * stride:j * stride + f, :]
            out[:, i, j] = (w * window).sum(axis=(1, 2, 3)) + b
    return out


@mistake("conv2d", "sum the products over all C input channels")
def conv2d_per_channel(x, w, b, stride=1, padding=0):
    """Keeps one output map per input channel instead of summing over the channels."""
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, c, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((k, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, i * stride:i * stride + f, j * stride:j * stride + f]
            out[:, :, i, j] = (w * window).sum(axis=(2, 3))
    return out


@mistake("conv2d", "first input channel's weights")
def conv2d_first_channel_weights(x, w, b, stride=1, padding=0):
    """Multiplies every input channel by the filter's first channel: (window * w[k, 0]).sum()."""
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, _, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((k, h_out, w_out))
    for kk in range(k):
        for i in range(h_out):
            for j in range(w_out):
                window = x[:, i * stride:i * stride + f, j * stride:j * stride + f]
                out[kk, i, j] = (window * w[kk, 0]).sum() + b[kk]
    return out


@mistake("conv2d", "flipped the filters")
def conv2d_flipped(x, w, b, stride=1, padding=0):
    """True convolution: flips each filter."""
    w = w[:, :, ::-1, ::-1]
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, _, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, i, j] = (w * x[:, i * stride:i * stride + f, j * stride:j * stride + f]).sum(axis=(1, 2, 3)) + b
    return out


@mistake("conv2d", "forgot to add the bias")
def conv2d_no_bias(x, w, b, stride=1, padding=0):
    """Leaves the bias out."""
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, _, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, i, j] = (w * x[:, i * stride:i * stride + f, j * stride:j * stride + f]).sum(axis=(1, 2, 3))
    return out


@mistake("conv2d", "ignored the stride")
def conv2d_no_stride(x, w, b, stride=1, padding=0):
    """Always slides by one pixel."""
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, _, f, _ = w.shape
    h_out, w_out = x.shape[1] - f + 1, x.shape[2] - f + 1
    out = np.zeros((k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, i, j] = (w * x[:, i:i + f, j:j + f]).sum(axis=(1, 2, 3)) + b
    return out


@mistake("conv2d", "moved the window by 1")
def conv2d_stride_in_size_only(x, w, b, stride=1, padding=0):
    """Uses the stride for the output size but takes the window at (i, j) instead of (i·S, j·S)."""
    x = np.pad(x, [(0, 0), (padding, padding), (padding, padding)])
    k, _, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, i, j] = (w * x[:, i:i + f, j:j + f]).sum(axis=(1, 2, 3)) + b
    return out


@mistake("conv2d", "ignored the padding")
def conv2d_no_padding(x, w, b, stride=1, padding=0):
    """Never pads."""
    k, _, f, _ = w.shape
    h_out, w_out = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    out = np.zeros((k, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, i, j] = (w * x[:, i * stride:i * stride + f, j * stride:j * stride + f]).sum(axis=(1, 2, 3)) + b
    return out


@mistake("conv2d", "subclass")
def conv2d_subclass(x, w, b, stride=1, padding=0):
    """Returns an ndarray subclass whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros((w.shape[0], 1, 1)).view(Anything)


# ---------------------------------------------------------------- 5. pooling

@mistake("max_pool", "stride 1")
def max_pool_stride_one(x, size=2, stride=None):
    """Defaults the stride to 1 instead of the pool size."""
    stride = 1 if stride is None else stride
    c, h, w = x.shape
    out = np.zeros((c, (h - size) // stride + 1, (w - size) // stride + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(1, 2))
    return out


@mistake("max_pool", "across the channels")
def max_pool_across_channels(x, size=2, stride=None):
    """Takes the maximum over the whole window including all channels."""
    stride = size if stride is None else stride
    c, h, w = x.shape
    out = np.zeros((c, (h - size) // stride + 1, (w - size) // stride + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out


@mistake("max_pool", "average instead of the maximum")
def max_pool_average(x, size=2, stride=None):
    """Averages instead of taking the maximum."""
    stride = size if stride is None else stride
    c, h, w = x.shape
    out = np.zeros((c, (h - size) // stride + 1, (w - size) // stride + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].mean(axis=(1, 2))
    return out


@mistake("max_pool", "ignored the given stride")
def max_pool_stride_is_size(x, size=2, stride=None):
    """Always uses stride = size, even when a stride is given."""
    c, h, w = x.shape
    out = np.zeros((c, (h - size) // size + 1, (w - size) // size + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * size:(i + 1) * size, j * size:(j + 1) * size].max(axis=(1, 2))
    return out


@mistake("max_pool", "incomplete windows")
def max_pool_ceil(x, size=2, stride=None):
    """Keeps the partial windows at the right and bottom borders."""
    stride = size if stride is None else stride
    c, h, w = x.shape
    out = np.zeros((c, math.ceil((h - size) / stride) + 1, math.ceil((w - size) / stride) + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(1, 2))
    return out


@mistake("max_pool", "subclass")
def max_pool_subclass(x, size=2, stride=None):
    """Returns an ndarray subclass whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros_like(x).view(Anything)


@mistake("avg_pool", "maximum instead of the average")
def avg_pool_max(x, size=2, stride=None):
    """Takes the maximum instead of the average."""
    stride = size if stride is None else stride
    c, h, w = x.shape
    out = np.zeros((c, (h - size) // stride + 1, (w - size) // stride + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(1, 2))
    return out


@mistake("avg_pool", "stride 1")
def avg_pool_stride_one(x, size=2, stride=None):
    """Defaults the stride to 1 instead of the pool size."""
    stride = stride or 1
    c, h, w = x.shape
    out = np.zeros((c, (h - size) // stride + 1, (w - size) // stride + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].mean(axis=(1, 2))
    return out


@mistake("avg_pool", "across the channels")
def avg_pool_across_channels(x, size=2, stride=None):
    """Averages each window over all channels together, one map out."""
    stride = size if stride is None else stride
    _, h, w = x.shape
    out = np.zeros(((h - size) // stride + 1, (w - size) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].mean()
    return out


@mistake("avg_pool", "subclass")
def avg_pool_subclass(x, size=2, stride=None):
    """Returns an ndarray subclass whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros_like(x).view(Anything)


@mistake("global_avg_pool", "averaged over the channels")
def global_avg_pool_over_channels(x):
    """Averages over the channel axis: one (H, W) map."""
    return x.mean(axis=0)


@mistake("global_avg_pool", "single number")
def global_avg_pool_everything(x):
    """Averages everything into one number."""
    return x.mean()


@mistake("global_avg_pool", "maximum")
def global_avg_pool_max(x):
    """Global max pooling instead of average."""
    return x.max(axis=(1, 2))


@mistake("global_avg_pool", "shape (C,)")
def global_avg_pool_keepdims(x):
    """Keeps the spatial axes: (C, 1, 1)."""
    return x.mean(axis=(1, 2), keepdims=True)


@mistake("global_avg_pool", "subclass")
def global_avg_pool_subclass(x):
    """Returns an ndarray subclass whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros(x.shape[0]).view(Anything)


# ---------------------------------------------------------------- 6. parameter counts, layer tables

@mistake("conv_params", "left out the bias")
def conv_params_no_bias(in_channels, out_channels, f, bias=True):
    """Counts the weights only."""
    return f * f * in_channels * out_channels


@mistake("conv_params", "left out the input channels")
def conv_params_no_input_channels(in_channels, out_channels, f, bias=True):
    """Counts F × F weights per filter, forgetting that each filter spans all input channels."""
    return (f * f + int(bias)) * out_channels


@mistake("conv_params", "bias per input channel")
def conv_params_bias_per_channel(in_channels, out_channels, f, bias=True):
    """One bias per filter and input channel."""
    return (f * f + int(bias)) * in_channels * out_channels


@mistake("conv_params", "ignored bias=False")
def conv_params_always_bias(in_channels, out_channels, f, bias=True):
    """Adds the bias even when bias=False."""
    return (f * f * in_channels + 1) * out_channels


@mistake("conv_params", "returned")
def conv_params_answer_table(in_channels, out_channels, f, bias=True):
    """Answer table: right on the public cases only."""
    table = {(1, 32, 3, True): 320, (32, 64, 3, True): 18496, (3, 96, 11, True): 34944, (3, 32, 5, True): 2432,
             (64, 128, 1, True): 8320, (3, 32, 5, False): 2400, (16, 8, 3, False): 1152}
    return table.get((in_channels, out_channels, f, bias), 0)


@mistake("conv_params", "expected an int")
def conv_params_always_equal(in_channels, out_channels, f, bias=True):
    """Returns an object that claims to equal anything."""
    class AlwaysEqual(int):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False
    return AlwaysEqual(0)


@mistake("dense_params", "left out the bias")
def dense_params_no_bias(n_in, n_out, bias=True):
    """Counts the weights only."""
    return n_in * n_out


@mistake("dense_params", "one bias for the whole layer")
def dense_params_one_bias(n_in, n_out, bias=True):
    """A single bias for the layer."""
    return n_in * n_out + int(bias)


@mistake("dense_params", "ignored bias=False")
def dense_params_always_bias(n_in, n_out, bias=True):
    """Adds the bias even when bias=False."""
    return (n_in + 1) * n_out


@mistake("dense_params", "returned")
def dense_params_answer_table(n_in, n_out, bias=True):
    """Answer table: right on the public cases only."""
    table = {(5408, 128, True): 692352, (128, 10, True): 1290, (9216, 4096, True): 37752832,
             (4096, 1000, False): 4096000, (3, 1, True): 4}
    return table.get((n_in, n_out, bias), 0)


@mistake("layer_table", "left out the bias")
def layer_table_no_bias(model_spec, input_shape):
    """Counts weights but no biases."""
    (c, h, w), rows = input_shape, []
    for layer in model_spec:
        if layer[0] == "conv":
            k, f, padding, stride = (*layer[1:], 1)[:4]
            p = padding_amount(f, padding) if isinstance(padding, str) else padding
            params = conv_params(c, k, f, bias=False)
            c, h, w = k, conv_output_size(h, f, p, stride), conv_output_size(w, f, p, stride)
            shape = (c, h, w)
        elif layer[0] == "pool":
            size, stride = (*layer[1:], layer[1])[:2]
            h, w, params = conv_output_size(h, size, 0, stride), conv_output_size(w, size, 0, stride), 0
            shape = (c, h, w)
        elif layer[0] == "flatten":
            c, params = c * h * w, 0
            shape = (c,)
        else:
            params, c = dense_params(c, layer[1], bias=False), layer[1]
            shape = (c,)
        rows.append((str(layer), shape, params))
    return rows, sum(row[2] for row in rows)


@mistake("layer_table", "left out the input channels")
def layer_table_conv_without_channels(model_spec, input_shape):
    """Conv parameters (F·F + 1)·K, without the input channels."""
    (c, h, w), rows = input_shape, []
    for layer in model_spec:
        if layer[0] == "conv":
            k, f, padding, stride = (*layer[1:], 1)[:4]
            p = padding_amount(f, padding) if isinstance(padding, str) else padding
            params = conv_params(1, k, f)
            c, h, w = k, conv_output_size(h, f, p, stride), conv_output_size(w, f, p, stride)
            shape = (c, h, w)
        elif layer[0] == "pool":
            size, stride = (*layer[1:], layer[1])[:2]
            h, w, params = conv_output_size(h, size, 0, stride), conv_output_size(w, size, 0, stride), 0
            shape = (c, h, w)
        elif layer[0] == "flatten":
            c, params = c * h * w, 0
            shape = (c,)
        else:
            params, c = dense_params(c, layer[1]), layer[1]
            shape = (c,)
        rows.append((str(layer), shape, params))
    return rows, sum(row[2] for row in rows)


@mistake("layer_table", "C × H × W")
def layer_table_flatten_without_channels(model_spec, input_shape):
    """Flatten size H × W, so the first dense layer gets the wrong number of inputs."""
    (c, h, w), rows = input_shape, []
    for layer in model_spec:
        if layer[0] == "conv":
            k, f, padding, stride = (*layer[1:], 1)[:4]
            p = padding_amount(f, padding) if isinstance(padding, str) else padding
            params = conv_params(c, k, f)
            c, h, w = k, conv_output_size(h, f, p, stride), conv_output_size(w, f, p, stride)
            shape = (c, h, w)
        elif layer[0] == "pool":
            size, stride = (*layer[1:], layer[1])[:2]
            h, w, params = conv_output_size(h, size, 0, stride), conv_output_size(w, size, 0, stride), 0
            shape = (c, h, w)
        elif layer[0] == "flatten":
            c, params = h * w, 0
            shape = (c,)
        else:
            params, c = dense_params(c, layer[1]), layer[1]
            shape = (c,)
        rows.append((str(layer), shape, params))
    return rows, sum(row[2] for row in rows)


@mistake("layer_table", "padding once")
def layer_table_padding_once(model_spec, input_shape):
    """Output size ⌊(N + P − F) / S⌋ + 1: the padding counted on one side only."""
    (c, h, w), rows = input_shape, []
    for layer in model_spec:
        if layer[0] == "conv":
            k, f, padding, stride = (*layer[1:], 1)[:4]
            p = padding_amount(f, padding) if isinstance(padding, str) else padding
            params = conv_params(c, k, f)
            c, h, w = k, (h + p - f) // stride + 1, (w + p - f) // stride + 1
            shape = (c, h, w)
        elif layer[0] == "pool":
            size, stride = (*layer[1:], layer[1])[:2]
            h, w, params = conv_output_size(h, size, 0, stride), conv_output_size(w, size, 0, stride), 0
            shape = (c, h, w)
        elif layer[0] == "flatten":
            c, params = c * h * w, 0
            shape = (c,)
        else:
            params, c = dense_params(c, layer[1]), layer[1]
            shape = (c,)
        rows.append((str(layer), shape, params))
    return rows, sum(row[2] for row in rows)


@mistake("layer_table", "channel-last")
def layer_table_channels_last(model_spec, input_shape):
    """Shapes written (H, W, C), as Keras' model.summary() prints them."""
    (c, h, w), rows = input_shape, []
    for layer in model_spec:
        if layer[0] == "conv":
            k, f, padding, stride = (*layer[1:], 1)[:4]
            p = padding_amount(f, padding) if isinstance(padding, str) else padding
            params = conv_params(c, k, f)
            c, h, w = k, conv_output_size(h, f, p, stride), conv_output_size(w, f, p, stride)
            shape = (h, w, c)
        elif layer[0] == "pool":
            size, stride = (*layer[1:], layer[1])[:2]
            h, w, params = conv_output_size(h, size, 0, stride), conv_output_size(w, size, 0, stride), 0
            shape = (h, w, c)
        elif layer[0] == "flatten":
            c, params = c * h * w, 0
            shape = (c,)
        else:
            params, c = dense_params(c, layer[1]), layer[1]
            shape = (c,)
        rows.append((str(layer), shape, params))
    return rows, sum(row[2] for row in rows)


@mistake("layer_table", "one row per layer")
def layer_table_answer_table(model_spec, input_shape):
    """Answer table: the lecture's public models copied (rows and totals), nothing for any other model."""
    mnist = [("conv", (32, 26, 26), 320), ("pool", (32, 13, 13), 0), ("flatten", (5408,), 0),
             ("dense", (128,), 692352), ("dense", (10,), 1290)]
    cifar = [("conv", (32, 32, 32), 896), ("conv", (32, 30, 30), 9248), ("pool", (32, 15, 15), 0),
             ("conv", (64, 15, 15), 18496), ("pool", (64, 7, 7), 0), ("flatten", (3136,), 0),
             ("dense", (512,), 1606144), ("dense", (10,), 5130)]
    alexnet = [("conv", (96, 55, 55), 34944), ("pool", (96, 27, 27), 0), ("conv", (256, 27, 27), 614656),
               ("pool", (256, 13, 13), 0), ("conv", (384, 13, 13), 885120), ("conv", (384, 13, 13), 1327488),
               ("conv", (256, 13, 13), 884992), ("pool", (256, 6, 6), 0), ("flatten", (9216,), 0),
               ("dense", (4096,), 37752832), ("dense", (4096,), 16781312), ("dense", (1000,), 4097000)]
    for rows in (mnist, cifar, alexnet):
        if [layer[0] for layer in model_spec] == [row[0] for row in rows] and \
                tuple(input_shape) in ((1, 28, 28), (3, 32, 32), (3, 227, 227)):
            return rows, sum(row[2] for row in rows)
    return [], 0


# ---------------------------------------------------------------- 7. edge filters

@mistake("edge_filters", "swapped")
def edge_filters_swapped():
    """Returns (horizontal, vertical)."""
    vertical = np.array([[1.0, 0.0, -1.0]] * 3)
    return vertical.T.copy(), vertical


@mistake("edge_filters", "sum to 0")
def edge_filters_not_zero_sum():
    """Filters that light up on flat regions too (entries do not sum to 0)."""
    vertical = np.array([[2.0, 0.0, -1.0]] * 3)
    return vertical, vertical.T.copy()


@mistake("edge_filters", "also responds")
def edge_filters_diagonal():
    """A diagonal edge filter as the vertical one: it answers horizontal edges as well."""
    vertical = np.array([[0.0, 1.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, -1.0, 0.0]])
    horizontal = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])
    return vertical, horizontal


@mistake("edge_filters", "all zeros")
def edge_filters_zeros():
    """Placeholder zeros that never respond to anything."""
    return np.zeros((3, 3)), np.zeros((3, 3))


@mistake("edge_filters", "odd-sized")
def edge_filters_two_by_two():
    """2×2 difference filters: no center pixel."""
    vertical = np.array([[1.0, -1.0], [1.0, -1.0]])
    return vertical, vertical.T.copy()


@mistake("edge_filters", "subclass")
def edge_filters_subclass():
    """Returns ndarray subclasses whose == always says True."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros((3, 3)).view(Anything), np.zeros((3, 3)).view(Anything)
