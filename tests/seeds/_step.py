"""One recorded training step, through chainrule's public ``fit``.

``recorded_step`` keeps what the forward and backward passes computed (z, a,
δ, ∂L/∂a, the gradients, the loss) as copies, then lets ``fit`` take the
step. The copies matter: the backward pass may write its gradients into
arrays that the update and later passes reuse.
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = ["recorded_step"]


def recorded_step(net, X, Y, learning_rate):
    """(forward pass, backward pass) of ``net`` on (X, Y), then one full-batch SGD step.

    X : ndarray of shape (n_samples, n_inputs); Y : ndarray of shape (n_samples, n_outputs).
    """
    X = np.asarray(X, dtype=net.dtype)
    Y = np.asarray(Y, dtype=net.dtype)
    fwd = net.forward(X)
    back = net.backward(fwd, Y)
    fwd, back = copy.deepcopy(fwd), copy.deepcopy(back)
    net.fit(X, Y, epochs=1, learning_rate=learning_rate)
    return fwd, back
