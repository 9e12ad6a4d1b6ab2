"""Checks for notebook 04 (CIFAR-10 homework): the rules the student's ``CifarNet`` must follow.

The network is free to design; the check instantiates it and inspects what it built and what one
forward pass does: at least two convolutions that actually run, 10 raw scores per image for
(N, 3, 32, 32) inputs, a parameter cap, a deterministic forward in eval mode, and gradients that reach
the first convolution. Batch norm and dropout are reported, not required. The accuracy itself is
graded by :mod:`autograder.measured`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from .common import case_seed, fail, passed
from .mnist_cnn import call, parameter_count, single_threaded

MIN_CONVS = 2
MAX_PARAMETERS = 5_000_000
N_CLASSES = 10
PUBLIC_BATCH = 4


def _conv_calls(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``model(x)`` and how many nn.Conv2d calls it made."""
    calls = []
    handles = [m.register_forward_hook(lambda module, args, output: calls.append(module))
               for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        output = call(model, x, what=f"CifarNet forward on a batch {tuple(x.shape)}")
    finally:
        for handle in handles:
            handle.remove()
    return output, len(calls)


def _scores(output, n: int, mode: str) -> torch.Tensor:
    if type(output) is not torch.Tensor:
        fail(f"CifarNet: forward must return a torch.Tensor of scores, got {type(output).__name__}.")
    if tuple(output.shape) != (n, N_CLASSES):
        fail(f"CifarNet: in {mode} mode forward returned shape {tuple(output.shape)} for a batch of {n} images "
             f"(N, 3, 32, 32); it must return {N_CLASSES} scores per image, shape ({n}, {N_CLASSES}) "
             f"(flatten before the last nn.Linear, whose out_features is {N_CLASSES}).")
    if not torch.isfinite(output).all():
        fail("CifarNet: forward returned NaN or infinite scores; check the layers' sizes and initialisation.")
    return output


@single_threaded
def check_cifar_net(CifarNet, hidden: bool = False) -> None:
    """CifarNet(): ≥ 2 nn.Conv2d that run, (N, 10) scores, ≤ MAX_PARAMETERS, deterministic in eval, trainable."""
    seed = case_seed(hidden)
    rng = np.random.default_rng(seed)
    n = int(rng.choice([k for k in range(2, 9) if k != PUBLIC_BATCH])) if hidden else PUBLIC_BATCH
    torch.manual_seed(seed)
    model = call(CifarNet, what="CifarNet()")
    if not isinstance(model, nn.Module):
        fail(f"CifarNet() must build an nn.Module, got {type(model).__name__}.")
    count = parameter_count(model)
    if count > MAX_PARAMETERS:
        fail(f"CifarNet: {count:,} parameters, over this homework's cap of {MAX_PARAMETERS:,}; use fewer "
             f"channels or a smaller fully connected layer (global average pooling before it helps).")
    if count == 0:
        fail("CifarNet: the model has no parameters to learn; register its layers as attributes in __init__.")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if len(convs) < MIN_CONVS:
        fail(f"CifarNet: found {len(convs)} nn.Conv2d layer(s); the homework asks for at least {MIN_CONVS} "
             f"합성곱 conv layers.")
    x = torch.from_numpy(rng.standard_normal((n, 3, 32, 32)).astype(np.float32))

    model.eval()
    with torch.no_grad():
        output, used = _conv_calls(model, x)
        scores = _scores(output, n, "eval")
        again = _scores(call(model, x, what="CifarNet forward"), n, "eval")
    if used < MIN_CONVS:
        fail(f"CifarNet: forward ran {used} nn.Conv2d layer(s); at least {MIN_CONVS} must be used, not just defined.")
    if not torch.allclose(scores, again, atol=1e-5, rtol=1e-4):
        fail("CifarNet: two forward passes in eval mode gave different scores: dropout stays on at evaluation; "
             "use nn.Dropout modules (or F.dropout(x, p, training=self.training)).")

    model.train()
    for p in model.parameters():
        p.grad = None
    output = _scores(call(model, x, what="CifarNet forward in train mode"), n, "train")
    loss = nn.functional.cross_entropy(output, torch.from_numpy(rng.integers(0, N_CLASSES, n)).long())
    call(loss.backward, what="backward through CifarNet")
    first = convs[0]
    if first.weight.grad is None or not torch.any(first.weight.grad != 0):
        fail("CifarNet: no gradient reaches the first conv layer, so it cannot learn; do not use torch.no_grad(), "
             ".detach() or .numpy() inside forward.")
    model.eval()

    extras = [name for name, kind in (("batch norm", nn.modules.batchnorm._BatchNorm), ("dropout", nn.Dropout))
              if any(isinstance(m, kind) for m in model.modules())]
    passed(f"CifarNet: {len(convs)} conv layers ({used} conv calls per forward), output ({n}, {N_CLASSES}), "
           f"{count:,} parameters (cap {MAX_PARAMETERS:,})" + (f", uses {' and '.join(extras)}" if extras else ""))


CHECKS = {"CifarNet": check_cifar_net}
