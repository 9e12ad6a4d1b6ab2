"""Typical wrong answers to notebook 03 (MNIST CNN): the lecture's network, the training loop, evaluation.

They run in the notebook's namespace (its imports cell gives ``np``, ``torch``, ``nn`` and ``F``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from tests.wrong_answers import mistake

# ---------------------------------------------------------------- 1. LectureCNN


@mistake("LectureCNN", "'valid' 패딩 padding")
class LectureCNN_valid_padding(nn.Module):
    """Convolutions without padding ('valid'): 28→24→12→8→4, so FC 1 is sized 4·4·64 to make it run."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 64, 1024), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


@mistake("LectureCNN", "max-pool")
class LectureCNN_missing_pool(nn.Module):
    """Forgets the second max-pool, so the flatten has 14·14·64 features."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU())
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(14 * 14 * 64, 1024), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


@mistake("LectureCNN", "nn.Dropout(0.5)")
class LectureCNN_no_dropout(nn.Module):
    """Leaves out the dropout layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


@mistake("LectureCNN", "dropout has p=0.25")
class LectureCNN_dropout_quarter(nn.Module):
    """Dropout with p=0.25 (the Keras example's first dropout) instead of the lecture's 0.5."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.25),
                                        nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


@mistake("LectureCNN", "no ReLU after FC 1024")
class LectureCNN_no_relu_after_fc(nn.Module):
    """FC 1024 goes straight into dropout and FC 10: two linear layers in a row collapse into one."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.Dropout(0.5),
                                        nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


@mistake("LectureCNN", "no ReLU after conv 2")
class LectureCNN_functional_missing_relu(nn.Module):
    """Written with functions (F.relu, F.max_pool2d, x.flatten) and forgets the ReLU after conv 2."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(7 * 7 * 64, 1024)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(1024, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(self.conv2(x), 2)
        return self.fc2(self.dropout(F.relu(self.fc1(x.flatten(1)))))


@mistake("LectureCNN", "flatten")
class LectureCNN_flatten_wrong_size(nn.Module):
    """Sizes FC 1 for 4·4·64 inputs and flattens with x.view(-1, 1024), which mixes images of the batch."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.fc1 = nn.Linear(4 * 4 * 64, 1024)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(1024, 10)

    def forward(self, x):
        x = self.features(x).view(-1, 4 * 4 * 64)
        return self.fc2(self.dropout(F.relu(self.fc1(x))))


@mistake("LectureCNN", "softmax")
class LectureCNN_softmax_output(nn.Module):
    """Ends with a softmax, although nn.CrossEntropyLoss expects raw scores (logits)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(1024, 10))

    def forward(self, x):
        return F.softmax(self.classifier(self.features(x)), dim=1)


@mistake("LectureCNN", "batch")
class LectureCNN_hard_coded_batch(nn.Module):
    """Flattens with x.view(4, -1): right for the public batch of 4 images only (an answer fitted to it)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 10))

    def forward(self, x):
        return self.classifier(self.features(x).view(4, -1))


@mistake("LectureCNN", "torch.Tensor")
class LectureCNN_always_equal_output(nn.Module):
    """Cheat: forward returns an object that claims the right shape and equals anything."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, 5, padding=2)

    def forward(self, x):
        class Anything:
            shape = (x.shape[0], 10)

            def __eq__(self, other):
                return True

            def __getattr__(self, name):
                return lambda *args, **kwargs: self

        return Anything()


# ---------------------------------------------------------------- 2. train_one_epoch


@mistake("train_one_epoch", "model.train()")
def train_one_epoch_left_in_eval(model, loader, optimizer, loss_fn, device):
    """Never calls model.train(): after an evaluation the model trains with dropout switched off."""
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("train_one_epoch", "per batch instead of per item")
def train_one_epoch_loss_per_batch(model, loader, optimizer, loss_fn, device):
    """Averages the batch losses (each batch counts the same, although the last one is smaller)."""
    model.train()
    losses, correct, n = [], 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return sum(losses) / len(losses), correct / n


@mistake("train_one_epoch", "last batch only")
def train_one_epoch_accuracy_last_batch(model, loader, optimizer, loss_fn, device):
    """Computes the accuracy inside the loop and returns the last batch's."""
    model.train()
    total_loss, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        n += len(y)
        accuracy = (scores.argmax(dim=1) == y).float().mean().item()
    return total_loss / n, accuracy


@mistake("train_one_epoch", "zero_grad")
def train_one_epoch_no_zero_grad(model, loader, optimizer, loss_fn, device):
    """Forgets optimizer.zero_grad(): each step uses the sum of all gradients so far."""
    model.train()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("train_one_epoch", "zero_grad() before loss.backward()")
def train_one_epoch_zero_grad_after_backward(model, loader, optimizer, loss_fn, device):
    """Calls optimizer.zero_grad() between backward and step, so every step sees zero gradients."""
    model.train()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("train_one_epoch", "optimizer.step()")
def train_one_epoch_no_step(model, loader, optimizer, loss_fn, device):
    """Computes the gradients but never calls optimizer.step(): nothing is learned."""
    model.train()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("train_one_epoch", "percent")
def train_one_epoch_accuracy_percent(model, loader, optimizer, loss_fn, device):
    """Returns the accuracy in percent (0–100) instead of a fraction."""
    model.train()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, 100 * correct / n


@mistake("train_one_epoch", ".item()")
def train_one_epoch_loss_tensor(model, loader, optimizer, loss_fn, device):
    """Adds up the loss tensors (not loss.item()), returning a tensor and keeping every batch's graph alive."""
    model.train()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        total_loss = total_loss + loss * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("train_one_epoch", "Python float")
def train_one_epoch_always_equal(model, loader, optimizer, loss_fn, device):
    """Cheat: trains, then returns objects that compare equal to anything."""
    class Anything(float):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x.to(device)), y.to(device)).backward()
        optimizer.step()
    return Anything(0.5), Anything(0.5)


@mistake("train_one_epoch", "mean loss")
def train_one_epoch_answer_table(model, loader, optimizer, loss_fn, device):
    """Trains correctly but returns numbers copied from the public check (10 items) instead of measuring them."""
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x.to(device)), y.to(device)).backward()
        optimizer.step()
    return 3.2503719329833984, 0.3


# ---------------------------------------------------------------- 3. evaluate


@mistake("evaluate", "model.eval()")
def evaluate_dropout_on(model, loader, loss_fn, device):
    """Never calls model.eval(): dropout keeps dropping units while measuring."""
    total_loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = model(x)
            total_loss += loss_fn(scores, y).item() * len(y)
            correct += (scores.argmax(dim=1) == y).sum().item()
            n += len(y)
    return total_loss / n, correct / n


@mistake("evaluate", "torch.no_grad()")
def evaluate_without_no_grad(model, loader, loss_fn, device):
    """Evaluates with autograd on: every batch builds a graph nobody uses."""
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        scores = model(x)
        total_loss += loss_fn(scores, y).item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("evaluate", "loss.backward()")
def evaluate_calls_backward(model, loader, loss_fn, device):
    """Copied from the training loop: calls loss.backward() while evaluating."""
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("evaluate", "changed the weights")
def evaluate_trains(model, loader, loss_fn, device):
    """Copied the whole training step into evaluate: it learns from the test set while measuring on it."""
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    total_loss, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        scores = model(x)
        loss = loss_fn(scores, y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += (scores.argmax(dim=1) == y).sum().item()
        n += len(y)
    return total_loss / n, correct / n


@mistake("evaluate", "per batch instead of per item")
def evaluate_loss_per_batch(model, loader, loss_fn, device):
    """Averages the batch losses, so the smaller last batch counts as much as a full one."""
    model.eval()
    losses, correct, n = [], 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = model(x)
            losses.append(loss_fn(scores, y).item())
            correct += (scores.argmax(dim=1) == y).sum().item()
            n += len(y)
    return float(np.mean(losses)), correct / n


@mistake("evaluate", "per batch instead of per item")
def evaluate_accuracy_per_batch(model, loader, loss_fn, device):
    """Averages the batch accuracies instead of counting correct items over the whole set."""
    model.eval()
    total_loss, accuracies, n = 0.0, [], 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = model(x)
            total_loss += loss_fn(scores, y).item() * len(y)
            accuracies.append((scores.argmax(dim=1) == y).float().mean().item())
            n += len(y)
    return total_loss / n, sum(accuracies) / len(accuracies)


@mistake("evaluate", "last batch only")
def evaluate_accuracy_last_batch(model, loader, loss_fn, device):
    """Returns the accuracy of the last batch."""
    model.eval()
    total_loss, n = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = model(x)
            total_loss += loss_fn(scores, y).item() * len(y)
            n += len(y)
            accuracy = (scores.argmax(dim=1) == y).float().mean().item()
    return total_loss / n, accuracy


@mistake("evaluate", "percent")
def evaluate_accuracy_percent(model, loader, loss_fn, device):
    """Returns the accuracy in percent (0–100) instead of a fraction."""
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = model(x)
            total_loss += loss_fn(scores, y).item() * len(y)
            correct += (scores.argmax(dim=1) == y).sum().item()
            n += len(y)
    return total_loss / n, 100 * correct / n


@mistake("evaluate", "Python float")
def evaluate_always_equal(model, loader, loss_fn, device):
    """Cheat: runs the model, then returns NumPy-array look-alikes that compare equal to anything."""
    class Anything(np.ndarray):
        def __eq__(self, other):
            return True

    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x.to(device))
    return np.zeros(1).view(Anything), np.zeros(1).view(Anything)


@mistake("evaluate", "mean loss")
def evaluate_answer_table(model, loader, loss_fn, device):
    """Returns numbers copied from the public check (10 items) instead of measuring them."""
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x.to(device))
    return 1.9790435791015626, 0.3
