"""The dense layer: z = a_prev·Wᵀ + b, a = f(z), and the chain rule back through it.

Shapes, with samples as rows (as scikit-learn and PyTorch):

- ``a_prev`` (n_samples, n_in): the previous layer's activations (or X)
- ``weights`` W (n_out, n_in): row j holds the weights *into* neuron j, the
  W of the textbook z = W·x + b and of ``torch.nn.Linear``
- ``bias`` b (n_out,), or ``None`` for a layer without bias
- ``z``, ``a``, ``delta`` (n_samples, n_out)

A layer of a stack of K networks (:meth:`chainrule.Network.stack`, what
:class:`chainrule.Ensemble` trains) is the same layer with a leading model
axis: ``weights`` (K, n_out, n_in), ``bias`` (K, n_out), ``z``, ``a``,
``delta`` (K, n_samples, n_out), and ``a_prev`` either (n_samples, n_in),
the same inputs for every model, or (K, n_samples, n_in). Each product is
then one batched matrix product (``np.matmul`` over the model axis) where a
single layer takes ``np.dot``: model k's numbers are the ones its own layer
computes, bit for bit (the same BLAS product per matrix).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array, check_positive_int
from .activations import Activation, get_activation

__all__ = ["Dense"]


#: A stack of at least this many models whose layers have 2 to :data:`_ROWS_FIRST_UNITS` units sums each
#: model's δ over its rows from a copy with the rows first (see Dense.backward). Measured (np.add.reduce of
#: (K, n, k) against the copy and its reduce, n = 4 and 128): 0.36-0.6x the time at K = 100 for k = 2..16,
#: 0.6-0.8x at k = 32, 1.0-1.1x at k = 64; about 1.0x at K = 10, 1.0-1.5x at K = 2. With k = 1 the reduced
#: axis is the innermost one and NumPy sums it pairwise: that order is kept too (the copy's would not be).
_ROWS_FIRST_MODELS = 8
_ROWS_FIRST_UNITS = 32


class Dense:
    """A fully connected layer of ``n_out`` neurons fed by ``n_in`` inputs.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and of neurons.
    activation : str or Activation
        Name from :data:`chainrule.core.activations.ACTIVATIONS` or an instance.
    bias : bool
        Whether the layer has a bias vector.
    dtype : numpy dtype
        float64 or float32; parameters and computations use it.

    ``weights`` and ``bias`` may be assigned (lists or arrays of the right
    shape, finite numbers); the values are copied into the layer's own
    arrays, so optimisers holding them keep working.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | Activation = "sigmoid",
        bias: bool = True,
        dtype: Any = np.float64,
    ):
        self.n_in = check_positive_int(n_in, "n_in")
        self.n_out = check_positive_int(n_out, "n_out")
        self.activation = get_activation(activation)
        dtype = np.dtype(dtype)
        self._weights = np.zeros((self.n_out, self.n_in), dtype=dtype)
        self._bias = np.zeros(self.n_out, dtype=dtype) if bias else None
        # Gradient buffers, written in place by every backward pass.
        self._grad_weights = np.zeros_like(self._weights)
        self._grad_bias = None if self._bias is None else np.zeros_like(self._bias)
        #: None for one layer; K when :meth:`bind` gave it the parameters of a stack of K models.
        self.models: int | None = None

    def bind(
        self, weights: np.ndarray, bias: np.ndarray | None, grad_weights: np.ndarray, grad_bias: np.ndarray | None
    ) -> None:
        """Move the parameters (values kept) and gradient buffers into given arrays.

        The network calls this so that all layers' parameters are views of
        one flat vector, which an optimiser updates in one operation. The
        arrays' dtype becomes the layer's (the network owns it).

        Arrays with a leading model axis, ``weights`` (K, n_out, n_in) and
        ``bias`` (K, n_out), make the layer a stack of K models (every model
        starts with the layer's current values).
        """
        if weights.shape[-2:] != (self.n_out, self.n_in) or weights.ndim not in (2, 3):
            raise ValueError(
                f"bind needs weights of shape (n_out, n_in) = {(self.n_out, self.n_in)} or (K, n_out, n_in); "
                f"got {weights.shape}"
            )
        weights[...] = self._weights
        self.models = weights.shape[0] if weights.ndim == 3 else None
        self._weights, self._grad_weights = weights, grad_weights
        if self._bias is not None:
            if bias is None or grad_bias is None:
                raise ValueError("this layer has a bias: bind needs bias and grad_bias arrays")
            bias[...] = self._bias
            self._bias, self._grad_bias = bias, grad_bias

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters, and so of every computation (float64 or float32)."""
        return self._weights.dtype

    # -- parameters -------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """W, shape (n_out, n_in): ``weights[j, i]`` connects input i to neuron j."""
        return self._weights

    @weights.setter
    def weights(self, value: Any) -> None:
        array = as_float_array(value, "weights", self.dtype, ndim=None, allow_bool=False)
        if array.shape != self._weights.shape:
            raise ValueError(
                f"weights must have shape (n_out, n_in) = {self._weights.shape} for this layer; got shape {array.shape}"
            )
        self._weights[...] = array

    @property
    def bias(self) -> np.ndarray | None:
        """b, shape (n_out,), or ``None`` for a layer built with ``bias=False``."""
        return self._bias

    @bias.setter
    def bias(self, value: Any) -> None:
        if self._bias is None:
            raise ValueError("this layer has no bias (built with bias=False); cannot assign bias")
        if value is None:
            raise ValueError("bias cannot be removed by assigning None; build the network with bias=False")
        array = as_float_array(value, "bias", self.dtype, ndim=None, allow_bool=False)
        if array.shape != self._bias.shape:
            raise ValueError(f"bias must have shape (n_out,) = {self._bias.shape}; got shape {array.shape}")
        self._bias[...] = array

    def parameters(self) -> list[np.ndarray]:
        """The parameter arrays themselves (not copies): [weights] or [weights, bias]."""
        return [self._weights] if self._bias is None else [self._weights, self._bias]

    @property
    def grad_weights(self) -> np.ndarray:
        """∂L/∂W of the last backward pass, shape (n_out, n_in); overwritten by the next one."""
        return self._grad_weights

    @property
    def grad_bias(self) -> np.ndarray | None:
        """∂L/∂b of the last backward pass, shape (n_out,), or ``None`` without bias."""
        return self._grad_bias

    def gradients(self) -> list[np.ndarray]:
        """The gradient buffers matching :meth:`parameters`: [grad_weights] or [grad_weights, grad_bias]."""
        return [self._grad_weights] if self._grad_bias is None else [self._grad_weights, self._grad_bias]

    # -- the mathematics --------------------------------------------------
    def forward(
        self,
        a_prev: np.ndarray,
        out_z: np.ndarray | None = None,
        out_a: np.ndarray | None = None,
        passes: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """z = a_prev·Wᵀ + b and a = f(z), both (n_samples, n_out).

        ``out_z``/``out_a``: C-contiguous arrays of that shape and the layer's
        dtype to write z and a into (training reuses them across batches).
        ``passes``: a workspace's compiled element-wise passes
        (:attr:`chainrule.core.network.Workspace.passes`), which give the same bits.
        A stack of K models gives (K, n_samples, n_out).
        """
        if self.models is None:
            z = np.dot(a_prev, self._weights.T, out=out_z)  # np.dot: less call overhead than @ on tiny arrays
            if passes is not None and out_a is not None and self._bias is not None:
                name = self.activation.name
                if name == "relu":
                    passes["bias_relu"](z, self._bias, out_a)  # z += b and a = max(z, 0) in one pass
                    return z, out_a
                if name == "softmax":
                    passes["bias_softmax"](z, self._bias, out_a)  # z += b and a = softmax(z): 4 calls, not 6
                    return z, out_a
            if self._bias is not None:
                z += self._bias
        else:  # one matrix product per model: a_prev (n, n_in) or (K, n, n_in) times each Wᵀ (K, n_in, n_out)
            z = np.matmul(a_prev, self._weights.mT, out=out_z)
            if self._bias is not None:
                z += self._bias[:, None, :]
        return z, self.activation.forward(z, out=out_a)

    def backward(self, delta: np.ndarray, a_prev: np.ndarray, passes: dict[str, Any] | None = None) -> list[np.ndarray]:
        """Gradients of the loss for this layer's parameters, given δ = dL/dz.

        ∂L/∂W = δᵀ·a_prev (n_out, n_in) and ∂L/∂b = Σ_rows δ (n_out,), summed
        over the samples (δ already carries the reduction's 1/N).

        They are written into the layer's gradient buffers, which the next
        backward pass overwrites: copy them to keep them. A stack of K models
        gives each model's: (K, n_out, n_in) and (K, n_out). ``passes``: as for :meth:`forward`.
        """
        if self.models is None:
            np.dot(delta.T, a_prev, out=self._grad_weights)
        else:
            np.matmul(delta.mT, a_prev, out=self._grad_weights)
        grad_bias = self._grad_bias
        if grad_bias is None:
            return [self._grad_weights]
        if passes is not None and self.models is None:
            passes["column_sum"](delta, grad_bias)  # the same sum, compiled
        elif self.models is not None and self.models >= _ROWS_FIRST_MODELS and 2 <= self.n_out <= _ROWS_FIRST_UNITS:
            # Σ_rows δ of a stack of narrow layers, from a copy laid out (n, K, n_out): np.add.reduce over the
            # middle axis of (K, n, n_out) runs its inner loop over the n_out units, K·n times, and over the
            # first axis of the copy over all K·n_out at once. Both add the rows one after the other to +0
            # (the reduced axis is not the innermost), so the bits are the same: 7.1 -> 2.9 µs for 100 XOR
            # networks' hidden layers, whose step takes 50.
            np.add.reduce(np.ascontiguousarray(delta.transpose(1, 0, 2)), 0, None, out=grad_bias)
        else:
            np.add.reduce(delta, -2, None, out=grad_bias)  # Σ_rows δ; np.sum(out=) costs 2x here
        return [self._grad_weights, grad_bias]

    def __repr__(self) -> str:
        models = "" if self.models is None else f", models={self.models}"
        return (
            f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}, "
            f"bias={self._bias is not None}, dtype={self.dtype.name!r}{models})"
        )
