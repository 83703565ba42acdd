"""mlp_ref.train: the training loop equals a PyTorch training loop step for step, fit's history
equals the one a torch loop records, predict/accuracy use eval mode, and real training reaches
the published accuracies on scikit-learn's digits and on MNIST-1D."""
import time

import numpy as np
import pytest
import torch

from mlp_ref.activation import ReLU, Tanh
from mlp_ref.data import iterate_minibatches, load_digits, load_mnist1d
from mlp_ref.dropout import Dropout
from mlp_ref.linear import Linear
from mlp_ref.loss import CrossEntropyLoss, MSELoss
from mlp_ref.lr_scheduler import StepLR
from mlp_ref.mlp import MLP
from mlp_ref.module import Sequential
from mlp_ref.optim import SGD
from mlp_ref.train import accuracy, fit, predict, train_step
from torch_compare import copy_parameters, getattr_path

# Both sides evaluate the same float64 expressions, in possibly different summation orders; over
# a few dozen steps the rounding differences stay near 1e-15 relative, far below this.
RTOL = 1e-8


def random_classification(rng, n, n_features, n_classes):
    """Gaussian inputs labelled by a random linear teacher (so there is something to learn)."""
    X = rng.standard_normal((n, n_features))
    return X, (X @ rng.standard_normal((n_features, n_classes))).argmax(axis=1)


def torch_twin(ours):
    """A torch.nn.Sequential of the same layers, in float64, holding our initial parameter values."""
    layers = []
    for layer in ours:
        if isinstance(layer, Linear):
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64))
        elif type(layer).__name__ == "BatchNorm1d":
            layers.append(torch.nn.BatchNorm1d(layer.num_features, dtype=torch.float64))
        else:
            layers.append({ReLU: torch.nn.ReLU, Tanh: torch.nn.Tanh}[type(layer)]())
    theirs = torch.nn.Sequential(*layers)
    copy_parameters(ours, theirs)
    return theirs


def torch_step(model, loss_fn, optimizer, X_batch, y_batch):
    optimizer.zero_grad()
    outputs = model(torch.from_numpy(X_batch))
    loss = loss_fn(outputs, torch.from_numpy(y_batch))
    loss.backward()
    optimizer.step()
    return loss.item(), outputs.detach().numpy()


def assert_same_parameters(ours, theirs):
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.data, getattr_path(theirs, name).detach().numpy(), rtol=RTOL, atol=1e-12,
                                   err_msg=name)


def test_training_steps_follow_torch_loss_curve_and_weights():
    rng = np.random.default_rng(0)
    X, y = random_classification(rng, n=50, n_features=6, n_classes=4)
    ours = Sequential(Linear(6, 16, generator=rng), ReLU(), Linear(16, 16, generator=rng), Tanh(),
                      Linear(16, 4, generator=rng))
    theirs = torch_twin(ours)
    our_optimizer = SGD(ours.parameters(), lr=0.1, momentum=0.9)
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    our_losses, their_losses = [], []
    batches = np.random.default_rng(1)
    for _ in range(5):  # 7 batches per epoch (the last of 2 samples): 35 steps
        for X_batch, y_batch in iterate_minibatches(X, y, 8, generator=batches):
            our_losses.append(train_step(ours, CrossEntropyLoss(), our_optimizer, X_batch, y_batch)[0])
            their_losses.append(torch_step(theirs, torch.nn.CrossEntropyLoss(), their_optimizer, X_batch, y_batch)[0])
    assert len(our_losses) == 35
    np.testing.assert_allclose(our_losses, their_losses, rtol=RTOL)
    # it learned (mean loss of the last epoch well below the first's), so the curves are not flat
    assert np.mean(their_losses[-7:]) < 0.5 * np.mean(their_losses[:7])
    assert_same_parameters(ours, theirs)


def torch_fit(model, optimizer, scheduler, X, y, X_val, y_val, epochs, batch_size, generator):
    """The PyTorch training loop fit() stands for, recording the same history."""
    loss_fn = torch.nn.CrossEntropyLoss()
    history = {key: [] for key in ("train_loss", "train_accuracy", "lr", "val_loss", "val_accuracy")}
    for _ in range(epochs):
        model.train()
        history["lr"].append(scheduler.get_last_lr()[0])
        loss_sum = correct = 0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, generator=generator):
            loss, outputs = torch_step(model, loss_fn, optimizer, X_batch, y_batch)
            loss_sum += loss * len(X_batch)
            correct += np.sum(outputs.argmax(axis=1) == y_batch)
        history["train_loss"].append(loss_sum / len(X))
        history["train_accuracy"].append(correct / len(X))
        model.eval()
        with torch.no_grad():
            scores = model(torch.from_numpy(X_val))
            history["val_loss"].append(loss_fn(scores, torch.from_numpy(y_val)).item())
            history["val_accuracy"].append(np.mean(scores.numpy().argmax(axis=1) == y_val))
        scheduler.step()
    return history


def test_fit_history_equals_a_torch_loop_with_batch_norm_and_step_decay():
    """Batch norm makes train and eval mode differ, so the validation figures only agree if fit
    scores the validation set in eval mode and trains in training mode."""
    rng = np.random.default_rng(2)
    X, y = random_classification(rng, n=60, n_features=5, n_classes=3)
    X_val, y_val = random_classification(rng, n=40, n_features=5, n_classes=3)
    ours = MLP([5, 12, 12, 3], batch_norm=True, generator=rng)
    theirs = torch_twin(ours)
    our_optimizer = SGD(ours.parameters(), lr=0.2, momentum=0.5)
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.2, momentum=0.5)
    ours.eval()  # fit must switch to training mode itself
    epochs, batch_size = 4, 8  # 8 batches per epoch (the last of 4): 32 steps
    history = fit(ours, CrossEntropyLoss(), our_optimizer, X, y, epochs, batch_size, X_val=X_val, y_val=y_val,
                  scheduler=StepLR(our_optimizer, step_size=2, gamma=0.5), generator=np.random.default_rng(3))
    expected = torch_fit(theirs, their_optimizer, torch.optim.lr_scheduler.StepLR(their_optimizer, 2, gamma=0.5),
                         X, y, X_val, y_val, epochs, batch_size, generator=np.random.default_rng(3))
    assert set(history) == set(expected)
    for key in ("train_loss", "val_loss", "lr"):
        np.testing.assert_allclose(history[key], expected[key], rtol=RTOL, err_msg=key)
    for key in ("train_accuracy", "val_accuracy"):
        np.testing.assert_array_equal(history[key], expected[key], err_msg=key)
    assert history["lr"] == [0.2, 0.2, 0.1, 0.1]
    assert_same_parameters(ours, theirs)
    np.testing.assert_allclose(ours[1].running_var, theirs[1].running_var.numpy(), rtol=RTOL)


def test_fit_on_regression_targets_records_losses_only():
    rng = np.random.default_rng(4)
    X, X_val = rng.standard_normal((30, 3)), rng.standard_normal((10, 3))
    targets, val_targets = X @ [[1.0], [-2.0], [0.5]], X_val @ [[1.0], [-2.0], [0.5]]
    model = Linear(3, 1, generator=rng)
    history = fit(model, MSELoss(), SGD(model.parameters(), lr=0.05), X, targets, 3, 10,
                  X_val=X_val, y_val=val_targets, generator=rng)
    assert set(history) == {"train_loss", "lr", "val_loss"} and len(history["val_loss"]) == 3
    final_val_mse = np.mean((X_val @ model.weight.data.T + model.bias.data - val_targets) ** 2)
    assert history["val_loss"][-1] == pytest.approx(final_val_mse, rel=1e-12)


def test_fit_rejects_a_summed_loss_and_half_a_validation_set():
    model = Linear(2, 2)
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=np.int64)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="reduction='mean'"):
        fit(model, CrossEntropyLoss(reduction="sum"), optimizer, X, y, 1, 2)
    with pytest.raises(ValueError, match="both X_val and y_val"):
        fit(model, CrossEntropyLoss(), optimizer, X, y, 1, 2, X_val=X)


def argmax_network():
    """Heavy dropout, then the identity: in eval mode the prediction is the input's argmax."""
    identity = Linear(3, 3)
    identity.weight.data[...] = np.eye(3)
    identity.bias.data[...] = 0
    return Sequential(Dropout(p=0.9, generator=np.random.default_rng(5)), identity)


@pytest.mark.parametrize("start_in_training_mode", [True, False])
def test_predict_and_accuracy_use_eval_mode_and_restore_the_mode(start_in_training_mode):
    X = np.random.default_rng(6).uniform(0.1, 1.0, (200, 3))
    labels = X.argmax(axis=1)
    wrong = labels.copy()
    wrong[:50] = (wrong[:50] + 1) % 3
    model = argmax_network().train(start_in_training_mode)
    np.testing.assert_array_equal(predict(model, X), labels)
    assert accuracy(model, X, wrong) == 150 / 200
    assert model.training == start_in_training_mode


def train_classifier(split, sizes, epochs, batch_size, lr, dropout=0.0, weight_decay=0.0, dtype=np.float64):
    """Train an MLP with SGD (momentum 0.9); return (test accuracy, seconds)."""
    X_train, y_train, X_test, y_test = split
    generator = np.random.default_rng(0)
    model = MLP(sizes, dropout=dropout, dtype=dtype, generator=generator)
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    start = time.perf_counter()
    fit(model, CrossEntropyLoss(), optimizer, X_train.astype(dtype), y_train, epochs, batch_size, generator=generator)
    seconds = time.perf_counter() - start
    return accuracy(model, X_test.astype(dtype), y_test), seconds


def test_mlp_reaches_95_percent_on_sklearn_digits():
    test_accuracy, seconds = train_classifier(load_digits(), [64, 128, 10], epochs=30, batch_size=32, lr=0.1)
    print(f"digits: test accuracy {test_accuracy:.4f} after {seconds:.1f} s of training")
    assert test_accuracy >= 0.95


def test_mlp_reaches_the_papers_68_percent_on_mnist1d():
    """Greydanus & Kobak (2024) report 68 ± 2% for an MLP on MNIST-1D. With dropout and weight decay
    this one stays above that: 70.5% to 75.0% (mean 72.3%) over seeds 0-7 when it was set up."""
    test_accuracy, seconds = train_classifier(load_mnist1d(), [40, 256, 256, 10], epochs=40, batch_size=50, lr=0.05,
                                              dropout=0.2, weight_decay=5e-4, dtype=np.float32)
    print(f"MNIST-1D: test accuracy {test_accuracy:.4f} after {seconds:.1f} s of training")
    assert test_accuracy >= 0.68
