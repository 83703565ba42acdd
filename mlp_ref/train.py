"""The training loop: mini-batch gradient descent, written out as one writes it with PyTorch.

    for each epoch:                       model.train()
        for each shuffled mini-batch:     forward → loss → zero_grad → backward → optimizer step
        score the validation set          model.eval()
        scheduler.step()

Classifiers output class scores of shape (N, C) (logits, or log-probabilities); the predicted class
is the index of the largest score.
"""
import contextlib

import numpy as np

from .data import iterate_minibatches


@contextlib.contextmanager
def evaluating(model):
    """Put `model` in eval mode for the `with` block, then back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def predict(model, X):
    """Predicted classes, (N,) int64: argmax of the model's scores (N, C), computed in eval mode."""
    with evaluating(model):
        return model(X).argmax(axis=1)


def accuracy(model, X, y):
    """Fraction of the N samples whose predicted class (eval mode) equals the label y (N,)."""
    return float(np.mean(predict(model, X) == y))


def is_class_labels(y):
    """True when the targets are integer class labels (so that accuracy means something)."""
    return np.issubdtype(np.asarray(y).dtype, np.integer)


def evaluate(model, loss_fn, X, y):
    """Score the model in eval mode on the whole set X (N, D): {"loss": mean loss, and when y (N,)
    holds integer class labels, "accuracy": fraction predicted right}."""
    with evaluating(model):
        scores = model(X)
        metrics = {"loss": float(loss_fn(scores, y))}
    if is_class_labels(y):
        metrics["accuracy"] = float(np.mean(scores.argmax(axis=1) == y))
    return metrics


def train_step(model, loss_fn, optimizer, X_batch, y_batch):
    """One gradient-descent step on one mini-batch; returns (loss value, the model's outputs).

    The gradients are zeroed after the forward pass and before backward, as the parameters'
    gradients accumulate across backward calls; backward starts from ∂L/∂L = 1 at the loss and
    stops at the parameters: the gradient with respect to the data is never needed, so it is skipped.
    """
    outputs = model(X_batch)
    loss = float(loss_fn(outputs, y_batch))
    optimizer.zero_grad()
    model.parameter_backward(loss_fn.backward())
    optimizer.step()
    return loss, outputs


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size, X_val=None, y_val=None, scheduler=None,
        generator=None):
    """Train `model` for `epochs` passes over (X, y) in shuffled mini-batches of `batch_size`.

    X: (N, D) with the model's dtype; y: (N,) integer class labels (then accuracies are recorded)
    or any targets the loss takes (e.g. (N, K) floats for MSELoss; then only losses are recorded).
    loss_fn must average over the batch (reduction="mean"). The shuffling draws from `generator`.
    The scheduler, if any, is stepped once at the end of every epoch.

    Returns a history: a dict of lists with one entry per epoch,
        "train_loss", "train_accuracy": averaged over the epoch's samples as they were trained on
            (training mode, so with dropout active, and the weights changing during the epoch),
        "val_loss", "val_accuracy": of the model in eval mode at the end of the epoch (only when
            X_val and y_val are given),
        "lr": the learning rate the epoch's steps used.
    """
    if getattr(loss_fn, "reduction", "mean") != "mean":
        raise ValueError(f"fit: expected a loss with reduction='mean', got reduction={loss_fn.reduction!r}")
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: give both X_val and y_val, or neither")
    classify = is_class_labels(y)
    keys = ["train_loss"] + ["train_accuracy"] * classify + ["lr"]
    if X_val is not None:
        keys += ["val_loss"] + ["val_accuracy"] * classify
    history = {key: [] for key in keys}

    for _ in range(epochs):
        model.train()
        history["lr"].append(optimizer.lr)
        loss_sum = correct = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, generator=generator):
            loss, outputs = train_step(model, loss_fn, optimizer, X_batch, y_batch)
            loss_sum += loss * len(X_batch)
            if classify:
                correct += np.count_nonzero(outputs.argmax(axis=1) == y_batch)
        history["train_loss"].append(loss_sum / len(X))
        if classify:
            history["train_accuracy"].append(correct / len(X))
        if X_val is not None:
            for name, value in evaluate(model, loss_fn, X_val, y_val).items():
                history["val_" + name].append(value)
        if scheduler is not None:
            scheduler.step()
    return history

