"""Weight initialisers, each drawing from an explicit ``numpy.random.Generator``.

An initialiser is a function ``(rng, n_in, n_out) -> (weights, bias)`` with
``weights`` of shape (n_out, n_in) and ``bias`` of shape (n_out,), in float64
(the network casts them to its dtype, so a float32 and a float64 network
built from one seed start from the same numbers).

======= ============================================ =====================
name    weights                                      bias
======= ============================================ =====================
normal  N(0, 1)                                      N(0, 1)  (seed 000's ``np.random.randn``)
uniform U[0, 1)                                      U[0, 1)  (seed 002's ``np.random.uniform``)
xavier  U[−√(6/(n_in+n_out)), +√(6/(n_in+n_out))]    0  (Glorot & Bengio 2010)
he      N(0, 2/n_in)                                 0  (He et al. 2015, for ReLU)
======= ============================================ =====================

Weights are drawn before the bias of the same layer, layer by layer, as
seed 000's constructor does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import lookup

__all__ = ["INITIALIZERS", "get_initializer", "he", "normal", "uniform", "xavier"]

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


def get_initializer(name: str) -> Initializer:
    """An initialiser function from its name."""
    return lookup(INITIALIZERS, name, "init")
