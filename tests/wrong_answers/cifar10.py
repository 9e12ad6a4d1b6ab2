"""Networks that break notebook 04's architecture rules (CifarNet).

They run in the notebook's namespace (its imports cell gives ``np``, ``torch``, ``nn`` and ``F``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from tests.wrong_answers import mistake


@mistake("CifarNet", "at least 2")
class CifarNet_one_conv(nn.Module):
    """A single convolution followed by a classifier."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 16 * 16, 10)

    def forward(self, x):
        return self.fc(F.max_pool2d(F.relu(self.conv(x)), 2).flatten(1))


@mistake("CifarNet", "must be used")
class CifarNet_unused_conv(nn.Module):
    """Defines two convolutions but forward only uses the first."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(32 * 16 * 16, 10)

    def forward(self, x):
        return self.fc(F.max_pool2d(F.relu(self.conv1(x)), 2).flatten(1))


@mistake("CifarNet", "10 scores per image")
class CifarNet_no_flatten(nn.Module):
    """Ends with a 1×1 conv giving (N, 10, 1, 1) instead of flattening to (N, 10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Conv2d(64, 10, 1)

    def forward(self, x):
        return self.head(self.features(x))


@mistake("CifarNet", "10 scores per image")
class CifarNet_mnist_head(nn.Module):
    """Copied from an ImageNet-style example: 100 outputs instead of CIFAR-10's 10 classes."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(64, 100)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


@mistake("CifarNet", "cap")
class CifarNet_huge(nn.Module):
    """A wide fully connected layer on the unpooled feature maps: 8.4 million parameters."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 16 * 16, 512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


@mistake("CifarNet", "dropout stays on")
class CifarNet_dropout_always_on(nn.Module):
    """Calls F.dropout(x, 0.5) whose training argument defaults to True: dropout also at evaluation."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.adaptive_avg_pool2d(F.relu(self.conv2(x)), 1).flatten(1)
        return self.fc(F.dropout(x, 0.5))


@mistake("CifarNet", "no gradient reaches the first conv")
class CifarNet_frozen_features(nn.Module):
    """Runs the conv layers under torch.no_grad() in forward: only the last layer can learn."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        with torch.no_grad():
            x = self.features(x)
        return self.fc(x.flatten(1))


@mistake("CifarNet", "torch.Tensor")
class CifarNet_always_equal_output(nn.Module):
    """Cheat: forward returns an object that claims the right shape and equals anything."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.conv2 = nn.Conv2d(8, 8, 3)

    def forward(self, x):
        self.conv2(self.conv1(x))

        class Anything:
            shape = (x.shape[0], 10)

            def __eq__(self, other):
                return True

        return Anything()


@mistake("CifarNet", "batch")
class CifarNet_hard_coded_batch(nn.Module):
    """Flattens with x.view(4, -1): right for the public batch of 4 images only (an answer fitted to it)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(self.features(x).view(4, -1))
