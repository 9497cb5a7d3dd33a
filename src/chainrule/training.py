"""The fit loop: epochs, batches, shuffling and the History it returns.

One training step is :func:`train_step`: forward, backward, optimiser
update. ``Network.fit`` and ``Network.explain`` both run it, so a recorded
step and a training step can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import check_positive_float, check_positive_int
from .optimizers import Optimizer, get_optimizer

__all__ = ["History", "train", "train_step"]


@dataclass
class History:
    """What one call of ``fit`` measured, one entry per epoch.

    Attributes
    ----------
    epochs : list of int
        The network's epoch index (0-based, counting earlier ``fit`` calls).
    loss : list of float
        The training loss of each epoch: for full batch, the loss of the
        forward pass before that epoch's update (what seed 000 prints); for
        mini-batches, the mean (or, with ``reduction="sum"``, the sum) of
        the batch losses, each measured before its own update.
    """

    epochs: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        last = f", last loss={self.loss[-1]:.6g}" if self.loss else ""
        return f"History({len(self)} epochs{last})"


def train_step(net, optimizer: Optimizer, X: np.ndarray, Y: np.ndarray):
    """One step of gradient descent on a batch; returns (forward pass, backward pass).

    X (n_samples, n_inputs) and Y (n_samples, n_outputs) are already
    checked arrays of the network's dtype. The optimiser updates the
    network's flat parameter vector from its flat gradient vector, of which
    ``layers[i].weights``/``.bias`` and ``back.grads`` are views.
    """
    fwd = net._forward(X)
    back = net._backward(fwd, Y)
    optimizer.step([net._vector], [net._grad_vector])
    return fwd, back


def resolve_optimizer(net, optimizer: Any, learning_rate: float) -> Optimizer:
    """The optimiser a ``fit`` call uses: the network's own one continued when
    the same name and learning rate are asked for again, else a new one."""
    if isinstance(optimizer, Optimizer):
        chosen = optimizer
    else:
        fresh = get_optimizer(optimizer, learning_rate)
        kept = net.optimizer_
        chosen = kept if kept is not None and kept.get_config() == fresh.get_config() else fresh
    net.optimizer_ = chosen
    return chosen


def train(net, X: Any, Y: Any, *, epochs: int = 1, learning_rate: float = 0.1,
          batch_size: int | None = None, shuffle: bool = True, optimizer: Any = "sgd",
          verbose: int = 0) -> History:
    """Train ``net`` in place; see :meth:`chainrule.Network.fit` for the arguments."""
    X, Y = net._check_XY(X, Y)
    epochs = check_positive_int(epochs, "epochs", minimum=0)
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False; got {type(shuffle).__name__} {shuffle!r}")
    verbose = check_positive_int(verbose, "verbose", minimum=0)
    opt = resolve_optimizer(net, optimizer, learning_rate)

    n = X.shape[0]
    full_batch = batch_size is None or batch_size >= n
    mean = net.reduction == "mean"
    history = History()
    for _ in range(epochs):
        epoch = net.epochs_trained_
        if full_batch:
            _, back = train_step(net, opt, X, Y)
            loss = back.loss
        else:
            order = net._shuffle_rng.permutation(n) if shuffle else np.arange(n)
            loss = 0.0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                _, back = train_step(net, opt, X[idx], Y[idx])
                loss += back.loss * len(idx) if mean else back.loss
            if mean:
                loss /= n
        net.epochs_trained_ += 1
        history.epochs.append(epoch)
        history.loss.append(loss)
        if verbose and epoch % verbose == 0:
            print(f"Epoch {epoch}, Loss: {loss}")
    return history
