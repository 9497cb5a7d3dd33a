"""Activation functions: the value a = f(z) and the way back, dL/dz from dL/da.

Every activation works on arrays of shape (n_samples, n_units) and keeps
their dtype (and on a stack's (K, n_samples, n_units): softmax runs along
the last axis). Element-wise activations also give their derivative f'(z), which
the explain mode shows; softmax is not element-wise and gives only the
vector-Jacobian product in :meth:`Activation.backward`.

All of them are numerically stable: no overflow, warning, inf or NaN for
any finite z (|z| up to the largest float of the dtype; for softmax, as long
as each row's spread max z − min z is itself finite, e.g. |z| ≤ half of it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import lookup

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Exp",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "get_activation",
]


class Activation:
    """Base class. Subclasses set ``name`` and implement ``forward``.

    Element-wise subclasses implement ``derivative(z, a)``, which may use
    whichever of z or a = f(z) is cheaper: both are always passed.

    ``forward`` and ``backward`` take an optional ``out`` array (same shape
    and dtype as z) to write into, so that training can reuse buffers; the
    numbers are the same with or without it.
    """

    name = "activation"
    elementwise = True
    formula = "f(z)"
    derivative_formula = "f'(z)"

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """a = f(z), same shape and dtype as z (written into ``out`` if given)."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f'(z), element-wise, computed from z and/or a = f(z)."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """dL/dz = dL/da ⊙ f'(z) (chain rule through this activation); grad_a is not modified."""
        return np.multiply(grad_a, self.derivative(z, a), out=out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))


_FLOATS: list[np.dtype[np.floating[Any]]] = [np.dtype(t) for t in (np.float16, np.float32, np.float64)]
# exp(x) is finite for x below log(max of the dtype); stay a little under it.
_EXP_LIMIT = {t: float(np.log(np.finfo(t).max)) - 1.0 for t in _FLOATS}
# The sigmoid's constants as 0-d arrays of each dtype: on the tiny networks'
# hot path NumPy takes an array operand in about half the time of a Python
# float (which it must first convert), and a dtype-matched one never promotes.
_NEG_LIMIT = {t: np.array(-_EXP_LIMIT[t], dtype=t) for t in _FLOATS}
_POS_LIMIT = {t: np.array(_EXP_LIMIT[t], dtype=t) for t in _FLOATS}
_ONE = {t: np.array(1.0, dtype=t) for t in _FLOATS}


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^(−z)); σ'(z) = σ(z)·(1 − σ(z)).

    e^(−z) is taken of max(z, −limit) so it never overflows; below that
    limit σ(z) is smaller than the dtype can tell from e^(−limit).
    """

    name = "sigmoid"
    formula = "σ(z) = 1/(1+e^(−z))"
    derivative_formula = "σ'(z) = a·(1−a)"

    def forward(self, z, out=None):
        t = np.maximum(z, _NEG_LIMIT[z.dtype], out=out)
        np.negative(t, out=t)
        np.exp(t, out=t)
        np.add(t, _ONE[t.dtype], out=t)
        return np.reciprocal(t, out=t)

    def derivative(self, z, a):
        # σ'(z) written on a = σ(z): the tutorials' x·(1 − x) with x the *output*.
        return a * (1.0 - a)

    def backward(self, z, a, grad_a, out=None):
        # grad_a ⊙ a ⊙ (1 − a), in place on one array (a hot path of the tiny networks).
        t = np.subtract(_ONE[a.dtype], a, out=out)
        t *= a
        t *= grad_a
        return t


class Tanh(Activation):
    """tanh(z); tanh'(z) = 1 − tanh(z)²."""

    name = "tanh"
    formula = "tanh(z)"
    derivative_formula = "tanh'(z) = 1−a²"

    def forward(self, z, out=None):
        return np.tanh(z, out=out)

    def derivative(self, z, a):
        return 1.0 - a * a


class ReLU(Activation):
    """max(z, 0); derivative 1 for z > 0, else 0 (0 at z = 0, as PyTorch)."""

    name = "relu"
    formula = "max(z, 0)"
    derivative_formula = "relu'(z) = [z>0]"

    def forward(self, z, out=None):
        return np.maximum(z, 0.0, out=out)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, z, a, grad_a, out=None):
        return np.multiply(grad_a, z > 0, out=out)


class LeakyReLU(Activation):
    """z for z > 0, else slope·z (slope 0.01 by default, as PyTorch)."""

    name = "leaky_relu"
    formula = "z if z>0 else 0.01·z"
    derivative_formula = "1 if z>0 else 0.01"

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = float(negative_slope)
        self.formula = f"z if z>0 else {self.negative_slope:g}·z"
        self.derivative_formula = f"1 if z>0 else {self.negative_slope:g}"

    def forward(self, z, out=None):
        a = np.where(z > 0, z, z * self.negative_slope).astype(z.dtype, copy=False)
        if out is None:
            return a
        np.copyto(out, a)
        return out

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.negative_slope).astype(z.dtype, copy=False)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope!r})"


class Identity(Activation):
    """f(z) = z; f'(z) = 1."""

    name = "identity"
    formula = "z"
    derivative_formula = "1"

    def forward(self, z, out=None):
        if out is None:
            return z.copy()
        np.copyto(out, z)
        return out

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, z, a, grad_a, out=None):
        if out is None:
            return grad_a.copy()
        np.copyto(out, grad_a)
        return out


class Exp(Activation):
    """e^z; derivative e^z = a (the log link: a = e^z is the mean of a Poisson target).

    The output activation of the ``poisson`` loss (scikit-learn's ``"exp"``
    output). z is capped at log(largest float) − 1 before the exponential,
    so a and its derivative stay finite (at most about 6.6e307 in float64,
    3.1e37 in float32) instead of overflowing: beyond that cap the network
    has diverged anyway, and the Poisson loss of such an output is huge.
    """

    name = "exp"
    formula = "e^z"
    derivative_formula = "exp'(z) = a"

    def forward(self, z, out=None):
        t = np.minimum(z, _POS_LIMIT[z.dtype], out=out)
        return np.exp(t, out=t)

    def derivative(self, z, a):
        return a.copy()

    def backward(self, z, a, grad_a, out=None):
        return np.multiply(grad_a, a, out=out)


class Softmax(Activation):
    """softmax(z)_k = e^(z_k − max z) / Σ_j e^(z_j − max z), row by row.

    Not element-wise: ``backward`` gives the vector-Jacobian product
    a ⊙ (g − Σ_k g_k a_k). With cross-entropy the network fuses both into
    δ = a − y and never calls it.
    """

    name = "softmax"
    elementwise = False
    formula = "e^(z_k) / Σ_j e^(z_j)"
    derivative_formula = "∂a_k/∂z_j = a_k(1[k=j] − a_j)"

    def forward(self, z, out=None):
        e = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
        np.exp(e, out=e)
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def derivative(self, z, a):
        raise TypeError("softmax is not element-wise: use backward(z, a, grad_a) for its Jacobian product")

    def backward(self, z, a, grad_a, out=None):
        return np.multiply(a, grad_a - (grad_a * a).sum(axis=-1, keepdims=True), out=out)


#: The one table of activation names, shared by Network, the estimators and the CLI.
ACTIVATIONS: dict[str, type[Activation]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
    "exp": Exp,
    "softmax": Softmax,
}


def get_activation(name: str | Activation, argument: str = "activation") -> Activation:
    """An :class:`Activation` from its name (or the instance itself)."""
    if isinstance(name, Activation):
        return name
    return lookup(ACTIVATIONS, name, argument)()
