"""Weight initialisers, each drawing from an explicit ``numpy.random.Generator``.

An initialiser is a function ``(rng, n_in, n_out) -> (weights, bias)`` with
``weights`` of shape (n_out, n_in) and ``bias`` of shape (n_out,), in float64
(the network casts them to its dtype, so a float32 and a float64 network
built from one seed start from the same numbers).

======= ============================================ =====================
name    weights                                      bias
======= ============================================ =====================
normal  N(0, 1)                                      N(0, 1)  (``np.random.randn``, as many tutorials)
uniform U[0, 1)                                      U[0, 1)  (``np.random.uniform``)
xavier  U[−√(6/(n_in+n_out)), +√(6/(n_in+n_out))]    0  (Glorot & Bengio 2010)
he      N(0, 2/n_in)                                 0  (He et al. 2015, for ReLU)
======= ============================================ =====================

``auto`` (the default of :class:`chainrule.Network` and the CLI; the
scikit-learn estimators draw ``xavier``, as scikit-learn does) chooses per
layer from the layer's activation: ``he`` for the ReLU family, ``xavier``
for the others (sigmoid, tanh, identity, softmax), the scales those
activations were derived for. A worked example that
draws N(0, 1) or U[0, 1) weights asks for ``normal`` or ``uniform``.

Weights are drawn before the bias of the same layer, layer by layer: that
order is part of what a seed means, so it never changes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import lookup

__all__ = ["AUTO", "INITIALIZERS", "get_initializer", "he", "initializer_for", "normal", "uniform", "xavier"]

Initializer = Callable[[np.random.Generator, int, int], "tuple[np.ndarray, np.ndarray]"]


def normal(rng: np.random.Generator, n_in: int, n_out: int):
    """Weights and bias from the standard normal N(0, 1)."""
    weights = rng.standard_normal((n_out, n_in))
    bias = rng.standard_normal(n_out)
    return weights, bias


def uniform(rng: np.random.Generator, n_in: int, n_out: int):
    """Weights and bias from U[0, 1)."""
    weights = rng.random((n_out, n_in))
    bias = rng.random(n_out)
    return weights, bias


def xavier(rng: np.random.Generator, n_in: int, n_out: int):
    """Glorot-uniform weights, zero bias."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_out, n_in)), np.zeros(n_out)


def he(rng: np.random.Generator, n_in: int, n_out: int):
    """He-normal weights (std √(2/n_in)), zero bias."""
    return rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in), np.zeros(n_out)


#: The one table of initialiser names ("glorot" is another name for xavier).
INITIALIZERS: dict[str, Initializer] = {
    "normal": normal,
    "uniform": uniform,
    "xavier": xavier,
    "glorot": xavier,
    "he": he,
}


#: The name that picks each layer's initialiser from its activation.
AUTO = "auto"

#: Activations whose layers ``auto`` initialises with ``he``.
_HE_ACTIVATIONS = ("relu", "leaky_relu")


def get_initializer(name: str) -> Initializer | None:
    """An initialiser function from its name; ``None`` for ``"auto"`` (see :func:`initializer_for`)."""
    if isinstance(name, str) and name.strip().lower() == AUTO:
        return None
    return lookup({**INITIALIZERS, AUTO: None}, name, "init")


def initializer_for(init: str, activation: str) -> Initializer:
    """The initialiser of a layer with ``activation`` (a name) under ``init`` (``auto`` or a name)."""
    chosen = get_initializer(init)
    if chosen is not None:
        return chosen
    return he if activation in _HE_ACTIVATIONS else xavier
