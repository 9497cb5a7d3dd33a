"""The network: an ordered list of Dense layers and a loss, and backprop through them.

Forward, layer l = 1..L (a_0 = X, or s·X for a network with input_scale s)::

    z_l = a_{l-1}·W_lᵀ + b_l          a_l = f_l(z_l)

Backward (the chain rule, layer by layer)::

    δ_L = ∂L/∂a_L ⊙ f_L'(z_L)         (= a_L − y, scaled, for softmax + cross-entropy
                                          and sigmoid + binary cross-entropy)
    δ_l = (δ_{l+1}·W_{l+1}) ⊙ f_l'(z_l)
    ∂L/∂W_l = δ_lᵀ·a_{l-1}             ∂L/∂b_l = Σ_rows δ_l

``fit``, ``gradients``, ``explain`` and ``gradcheck`` all go through the
public engine, :meth:`Network.forward` and :meth:`Network.backward`: there
is one implementation of backprop, and a learner can call it::

    fwd = net.forward(X)          # z and a of every layer
    bwd = net.backward(fwd, Y)    # the loss, every δ and every gradient

The same engine runs K networks of one architecture at once:
:meth:`Network.stack` makes them one network with a leading model axis on
every parameter and every pass (what :class:`chainrule.Ensemble` trains),
and the same ``forward`` and ``backward`` then give each model's numbers.
"""

from __future__ import annotations

import copy
import html
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_float_array, check_positive_int, lookup
from .activations import get_activation
from .initializers import get_initializer, initializer_for
from .layers import Dense
from .losses import REDUCTIONS, get_loss

__all__ = ["BackwardPass", "ForwardPass", "Network", "Workspace"]

_DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(slots=True)
class ForwardPass:
    """What a forward pass leaves for the backward pass.

    ``zs[l]`` and ``activations[l + 1]`` belong to layer l;
    ``activations[0]`` is the first layer's input a₀: X, or s·X for a
    network with ``input_scale`` s (:meth:`Network.scale_inputs`). With
    dropout, ``activations[l + 1]`` is what the next layer was fed,
    f(z_l) ⊙ m_l, while ``outputs[l]`` keeps f(z_l) for the derivative and
    ``masks[l]`` the mask m_l (``None`` for the output layer). Without
    dropout both are ``None``.
    """

    zs: list[np.ndarray]
    activations: list[np.ndarray]
    outputs: list[np.ndarray] | None = None
    masks: list[np.ndarray | None] | None = None


class Workspace:
    """Arrays that training reuses from batch to batch, so a step allocates nothing big.

    ``forward`` and ``backward`` write z, a, δ and ∂L/∂a of every layer
    into the first n rows of these buffers (n <= ``rows``); with dropout
    they also draw the masks into them. The mathematics is the same code
    as without a workspace: only where the numbers are written changes.

    Parameters
    ----------
    net : Network
    rows : int
        The largest batch the buffers hold.
    dropout : float in [0, 1)
        Probability of zeroing each hidden unit's output during training
        (inverted dropout: kept outputs are scaled by 1/(1 − p)).
    gather : bool
        Also allocate ``x`` and ``y``, where mini-batches are gathered.
    labels : bool
        ``y`` holds integer class labels, shape (rows,) intp, instead of
        target rows (rows, n_outputs) (see :meth:`Network.check_Y`).
    x_dtype : numpy dtype, optional
        The dtype of ``x``, X's own: the network's (the default) or, for a
        network with ``input_scale``, the integers :meth:`Network.check_X`
        kept (uint8 pixels are gathered as uint8).

    With ``input_scale``, ``a0`` (rows, n_inputs) of the network's dtype
    holds the first layer's input a₀ = s·x, which ``forward`` writes.
    """

    def __init__(
        self,
        net: Network,
        rows: int,
        dropout: float = 0.0,
        gather: bool = True,
        labels: bool = False,
        x_dtype: Any = None,
    ):
        dt = net.dtype
        widths = [layer.n_out for layer in net.layers]
        self.dropout = float(dropout)
        self.rng = net.dropout_rng
        self.x = np.empty((rows, net.n_inputs), dt if x_dtype is None else x_dtype) if gather else None
        self.a0 = None if net.input_scale is None else np.empty((rows, net.n_inputs), dt)
        self.y = (np.empty(rows, np.intp) if labels else np.empty((rows, net.n_outputs), dt)) if gather else None
        self.z = [np.empty((rows, k), dt) for k in widths]
        self.a = [np.empty((rows, k), dt) for k in widths]
        self.delta = [np.empty((rows, k), dt) for k in widths]
        self.grad_a = [np.empty((rows, k), dt) for k in widths[:-1]]
        hidden = widths[:-1] if self.dropout else []
        self.mask = [np.empty((rows, k), dt) for k in hidden]
        self.dropped = [np.empty((rows, k), dt) for k in hidden]
        #: Compiled forms of the engine's element-wise passes, or None for NumPy's (the same bits): training
        #: sets them from :func:`chainrule.training.kernels.engine_passes` (``"bias_relu"``, ``"relu_backward"``,
        #: ``"column_sum"``).
        self.passes: dict[str, Any] | None = None


@dataclass(slots=True)
class BackwardPass:
    """What a backward pass computes, layer by layer (index l = layer l).

    ``grad_a[l]`` is ∂L/∂a_l for layer l's output (``None`` for the output
    layer where δ was fused with the loss); ``deltas[l]`` is δ_l = ∂L/∂z_l;
    ``grads`` is the list [∂L/∂W_0, ∂L/∂b_0, ∂L/∂W_1, ...] matching
    :meth:`Network.parameters`: views of the network's gradient buffers,
    which the next backward pass overwrites (copy them to keep them).
    """

    loss: float
    deltas: list[np.ndarray]
    grad_a: list[np.ndarray | None]
    grads: list[np.ndarray]
    #: The rows whose output's argmax is their class label, when a workspace's compiled cross-entropy pass
    #: counted them with the loss (training's accuracy count); None otherwise.
    correct: int | None = None


class Network:
    """A feedforward network trained by backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first: ``[2, 2, 1]`` is the classic 2-2-1 network of the XOR tutorials.
    activation : str or list of str
        Hidden-layer activation, one name for all or one per hidden layer:
        ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``identity``.
    output_activation : str, optional
        The output layer's activation. By default what suits the loss:
        ``softmax`` for ``cross_entropy``, ``sigmoid`` for
        ``binary_cross_entropy``, ``exp`` for ``poisson``; for the squared-error losses ``sigmoid``
        when the hidden layers are sigmoid (the textbook network),
        otherwise ``identity`` (regression).
    loss : str
        ``half_squared_error`` (½·Σ(a−y)², the textbook loss), ``squared_error``,
        ``mse``, ``mae``, ``binary_cross_entropy``, ``cross_entropy`` or
        ``poisson`` (see :mod:`chainrule.core.losses`).
    reduction : {"mean", "sum"}
        How per-sample losses are combined over a batch. Hand-worked
        tutorials sum; frameworks average.
    bias : bool
        Whether the layers have biases (some tutorials' networks have none).
    init : str
        ``auto`` (default: ``he`` for ReLU-family layers, ``xavier`` for
        the others), ``normal`` (N(0, 1), as many tutorials draw),
        ``uniform`` (U[0, 1)), ``xavier`` (``glorot``) or ``he``; see
        :mod:`chainrule.core.initializers`.
    seed : int, optional
        Seeds every random choice (initial weights, shuffling, dropout);
        the same seed gives the same results, bit for bit. ``None`` draws
        fresh entropy, kept in ``seed_`` so the run can be repeated.
    dtype : {"float64", "float32"}
        float64 for exact worked examples; float32 for fast training.
    input_scale : float > 0, optional
        A factor s applied to the inputs as the engine's first step,
        a₀ = s·x (in the network's dtype), as Keras's ``Rescaling`` layer:
        ``input_scale=1/255`` for pixels 0..255. It lets an integer data
        set (uint8 images) train and predict as it is, without a float copy
        of the whole set: :meth:`check_X` keeps integer X in its own dtype,
        ``fit`` gathers each mini-batch as integers and ``forward`` scales
        it. The results are those of a network without input_scale given
        ``X.astype(dtype) * dtype(s)``, bit for bit. Saved with the network
        and exported to ONNX (a ``Mul`` node). ``None`` (default): the
        inputs are used as given.

    Examples
    --------
    >>> import chainrule as cr
    >>> net = cr.Network([2, 2, 1], seed=0)
    >>> net.predict([[0.0, 1.0]]).shape
    (1, 1)
    >>> import numpy as np
    >>> pixels = np.array([[0, 255]], dtype=np.uint8)  # (1, 2) uint8
    >>> scaled = cr.Network([2, 2, 1], seed=0, input_scale=1 / 255)
    >>> bool((scaled.predict(pixels) == net.predict([[0.0, 1.0]])).all())
    True
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str | None = None,
        loss: str = "half_squared_error",
        reduction: str = "mean",
        bias: bool = True,
        init: str = "auto",
        seed: int | None = None,
        dtype: str = "float64",
        input_scale: float | None = None,
    ):
        self.sizes = _check_sizes(sizes)
        n_hidden = len(self.sizes) - 2
        self.loss_function = get_loss(loss)
        self.reduction = lookup({r: r for r in REDUCTIONS}, reduction, "reduction")
        self.dtype = _check_dtype(dtype)
        self.input_scale = input_scale  # checked by the property's setter
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False; got {type(bias).__name__} {bias!r}")
        self.bias = bool(bias)
        get_initializer(init)  # checked before anything is built
        self.init = init.strip().lower()

        hidden = _hidden_activations(activation, n_hidden)
        output = self._output_activation(output_activation, activation, hidden)

        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative int or None; got {seed!r}")
        sequence = np.random.SeedSequence(None if seed is None else int(seed))
        self.seed_ = sequence.entropy
        init_seq, shuffle_seq, dropout_seq = sequence.spawn(3)
        #: The generators of mini-batch order and dropout masks, both from ``seed`` (saved with the model).
        self.shuffle_rng = np.random.default_rng(shuffle_seq)
        self.dropout_rng = np.random.default_rng(dropout_seq)

        init_rng = np.random.default_rng(init_seq)
        n_parameters = _n_parameters(self.sizes, self.bias, self.dtype)
        #: None for one network; K for a stack of K (see :meth:`stack`).
        self.models: int | None = None
        self.layers: list[Dense] = []
        try:
            for n_in, n_out, act in zip(self.sizes[:-1], self.sizes[1:], hidden + [output]):
                layer = Dense(n_in, n_out, act, bias=self.bias, dtype=self.dtype)
                weights, b = initializer_for(self.init, layer.activation.name)(init_rng, n_in, n_out)
                layer.weights = weights
                if self.bias:
                    layer.bias = b
                self.layers.append(layer)
            self._pack()
        except MemoryError:
            raise MemoryError(
                f"sizes {self.sizes}: {n_parameters:,} parameters need {_bytes(n_parameters * self.dtype.itemsize)} "
                f"of {self.dtype.name} (and as much again for their gradients), more than this machine has; "
                f"use smaller layers"
            ) from None
        self.optimizer_: Any = None
        self.epochs_trained_ = 0
        self._class_names: list[str] | None = None
        #: Where an interrupted epoch stopped (None between epochs): the fit loop continues it (saved with the model).
        self.epoch_progress_: dict[str, Any] | None = None

    def _pack(self) -> None:
        """Make all parameters views of one flat vector, and all gradients of another.

        ``layers[i].weights`` and ``.bias`` stay ordinary arrays to the user;
        the optimiser updates the whole vector in one operation, and the
        backward pass writes gradients into preallocated buffers. A stack
        of K models has one such vector per model: rows of (K, n_parameters).
        """
        models = self.models
        lead = () if models is None else (models,)
        total = sum(layer.n_out * layer.n_in + (layer.n_out if self.bias else 0) for layer in self.layers)
        self._params = np.empty(lead + (total,), dtype=self.dtype)
        self._grads = np.zeros(lead + (total,), dtype=self.dtype)
        offset = 0

        def take(shape):
            nonlocal offset
            part = slice(offset, offset + int(np.prod(shape)))
            offset = part.stop
            # copy=False: the views of the vector, never a copy (splitting the last axis always is a view)
            return (
                np.reshape(self._params[..., part], lead + shape, copy=False),
                np.reshape(self._grads[..., part], lead + shape, copy=False),
            )

        for layer in self.layers:
            weights, grad_weights = take((layer.n_out, layer.n_in))
            bias = grad_bias = None
            if layer.bias is not None:
                bias, grad_bias = take((layer.n_out,))
            layer.bind(weights, bias, grad_weights, grad_bias)
        self._grad_arrays = [g for layer in self.layers for g in layer.gradients()]
        self._weight_mask: np.ndarray | None = None

    def __setstate__(self, state: dict) -> None:
        # A copy (copy.deepcopy, pickle) gets independent arrays: tie them into vectors again.
        self.__dict__.setdefault("epoch_progress_", None)
        self.__dict__.setdefault("models", None)
        self.__dict__.setdefault("_input_scale", None)
        self.__dict__.update(state)
        self._pack()

    @property
    def params(self) -> np.ndarray:
        """Every weight and bias as one flat vector, shape (n_parameters,), in :meth:`parameters` order.

        The layers' ``weights`` and ``bias`` are views of it: writing into
        ``net.params[...]`` changes them, which is how optimisers update
        the whole network in one operation.
        """
        return self._params

    @property
    def grads(self) -> np.ndarray:
        """The gradient of the last :meth:`backward`, shape (n_parameters,), laid out as :attr:`params`.

        The layers' ``grad_weights`` and ``grad_bias`` are views of it; the
        next backward pass overwrites it (copy it to keep it).
        """
        return self._grads

    @property
    def weight_mask(self) -> np.ndarray:
        """1 where :attr:`params` holds a weight, 0 where it holds a bias: shape (n_parameters,), the network's dtype.

        What an optimiser with ``weight_decay_on="weights"`` is handed with the
        flat vector, so that it decays the weights and not the biases (made
        once, on first use).
        """
        if self._weight_mask is None:
            mask = np.zeros_like(self._params)
            offset = 0
            for layer in self.layers:
                mask[..., offset : offset + layer.n_out * layer.n_in] = 1.0
                offset += layer.n_out * layer.n_in + (0 if layer.bias is None else layer.n_out)
            self._weight_mask = mask
        return self._weight_mask

    @property
    def input_scale(self) -> float | None:
        """The factor s of the engine's first step a₀ = s·x, or None (inputs used as given); see :class:`Network`.

        May be set (a finite number > 0, or None); it is part of the
        architecture: saved, shown in ``repr`` and required equal by :meth:`stack`.
        """
        return self._input_scale

    @input_scale.setter
    def input_scale(self, value: float | None) -> None:
        self._input_scale = _check_input_scale(value, self.dtype)

    def scale_inputs(
        self, X: np.ndarray, out: np.ndarray | None = None, passes: dict[str, Any] | None = None
    ) -> np.ndarray:
        """The first layer's input a₀: s·X in the network's dtype with ``input_scale`` s, X itself without.

        The one place the input scale is applied (:meth:`forward` calls it,
        as does the compiled loop of :mod:`chainrule.training.tiny`).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_inputs) (a stack's also (K, n_samples, n_inputs))
            The network's dtype or, with ``input_scale``, integers (as
            :meth:`check_X` keeps them).
        out : ndarray of X's shape and the network's dtype, optional
            Where to write s·X (a workspace's ``a0``).
        passes : dict, optional
            A workspace's compiled passes (:attr:`Workspace.passes`): with ``out``, integers of at most
            16 bits (uint8 pixels) are scaled by its ``"scale"`` loop, which gives the same bits.

        Returns
        -------
        ndarray of X's shape: ``np.multiply(X, s, dtype=net.dtype)``, the
        bits of ``X.astype(net.dtype) * net.dtype.type(s)``.
        """
        if self._input_scale is None:
            return X
        s = np.array(self._input_scale, self.dtype)
        if passes is not None and out is not None and X.dtype in _SMALL_INTEGERS:
            passes["scale"](X, s[()], out)  # compiled, the same bits
            return out
        return np.multiply(X, s, out=out, dtype=self.dtype)

    def astype(self, dtype: str) -> Network:
        """An independent copy that computes in ``dtype`` (``"float64"`` or ``"float32"``).

        float32 values convert to float64 exactly, which is why explain and
        gradcheck work on ``net.astype("float64")``: the network itself is
        never touched. Random generators and training state are copied too.
        """
        target = _check_dtype(dtype)
        work = copy.deepcopy(self)
        if work.dtype != target:
            work.dtype = target
            work.input_scale = work.input_scale  # checked again: s must be a number > 0 in the new dtype too
            work._pack()  # new vectors of the target dtype, the values copied in
        return work

    @classmethod
    def stack(cls, networks: Sequence[Network]) -> Network:
        """K networks of one architecture as one stacked network, with a leading model axis.

        The stack is the same engine: its ``forward`` and ``backward`` run
        all K models at once, each layer one batched matrix product, and
        give model k the numbers its own network gives (bit for bit). Shapes
        gain the model axis: ``params`` and ``grads`` (K, n_parameters),
        ``layers[l].weights`` (K, n_out, n_in), ``.bias`` (K, n_out); ``forward``
        takes X (n_samples, n_inputs), the same inputs for every model, or
        (K, n_samples, n_inputs), and its z and a are (K, n_samples, width);
        ``backward`` takes Y (n_samples, n_outputs) or (K, n_samples, n_outputs)
        and its ``loss`` is one value per model, shape (K,). ``predict`` gives
        (K, n_samples, n_outputs).

        The parameters are copied in (the networks are not changed, nor
        tied to the stack). Training, saving and explaining are for one
        network: train a stack with :class:`chainrule.Ensemble`, which
        also keeps each model's own generators and learning rate.

        Parameters
        ----------
        networks : sequence of Network
            At least one, all of one architecture (sizes, activations, loss,
            reduction, bias, dtype, input_scale), none of them a stack.
        """
        nets = list(networks) if isinstance(networks, Sequence) else None
        if not nets:
            raise ValueError(f"stack needs a non-empty list of Networks; got {networks!r:.80}")
        for k, net in enumerate(nets):
            if not isinstance(net, Network):
                raise TypeError(f"stack needs Networks; networks[{k}] is a {type(net).__name__}")
            if net.models is not None:
                raise ValueError(f"networks[{k}] is already a stack of {net.models} models; stack single networks")
        first = _architecture(nets[0])
        for k, net in enumerate(nets[1:], 1):
            other = _architecture(net)
            if other != first:
                what = next(key for key in first if first[key] != other[key])
                raise ValueError(
                    f"networks of one architecture are needed: networks[{k}] has {what} {other[what]!r}, "
                    f"networks[0] {first[what]!r} (build them with the same sizes, activation, loss, reduction, "
                    f"bias, dtype and input_scale)"
                )
        stacked = copy.deepcopy(nets[0])
        stacked.models = len(nets)
        stacked._pack()
        for k, net in enumerate(nets):
            stacked._params[k] = net.params
        stacked.optimizer_ = None
        stacked.epoch_progress_ = None
        stacked._weight_mask = None
        return stacked

    def _require_single(self, what: str) -> None:
        if self.models is not None:
            raise TypeError(
                f"{what} is for one network; this is a stack of {self.models} (Network.stack): "
                f"train it with chainrule.Ensemble, and take one model with ensemble[k]"
            )

    # -- construction helpers --------------------------------------------
    def _output_activation(self, output_activation, activation, hidden):
        loss = self.loss_function
        if output_activation is None:
            if loss.default_output is not None:
                name = loss.default_output
            else:
                last = (
                    hidden[-1].name
                    if hidden
                    else get_activation(activation if isinstance(activation, str) else "identity").name
                )
                name = "sigmoid" if last == "sigmoid" else "identity"
            return get_activation(name, "output_activation")
        out = get_activation(output_activation, "output_activation")
        if loss.output_activations is not None and out.name not in loss.output_activations:
            raise ValueError(
                f"loss {loss.name!r} needs output_activation in {list(loss.output_activations)}; "
                f"got {out.name!r} (leave output_activation=None to get the right one)"
            )
        return out

    # -- structure --------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Number of inputs, ``sizes[0]``: the columns X must have."""
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        """Number of outputs, ``sizes[-1]``: the columns of ``predict``'s result and of Y."""
        return self.sizes[-1]

    def batch_scale(self, n_samples: int) -> float:
        """The reduction's factor for a batch of ``n_samples``: 1/N for ``"mean"``, 1 for ``"sum"``."""
        return 1.0 / n_samples if self.reduction == "mean" else 1.0

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array, in order [W_0, b_0, W_1, b_1, ...] (the arrays themselves)."""
        return [p for layer in self.layers for p in layer.parameters()]

    def parameter_names(self) -> list[str]:
        """Names matching :meth:`parameters`: ``layers[0].weights``, ``layers[0].bias``, ..."""
        names = []
        for i, layer in enumerate(self.layers):
            names.append(f"layers[{i}].weights")
            if layer.bias is not None:
                names.append(f"layers[{i}].bias")
        return names

    @property
    def class_names(self) -> list[str] | None:
        """The names of a classifier's classes, class k's name at index k (saved with the network), or None.

        One per output for ``cross_entropy``; two (for 0 and 1) for a single
        ``binary_cross_entropy`` output. ``chainrule train`` sets them from a
        CSV file's text labels and for Fashion-MNIST; ``chainrule predict``
        writes them beside the class numbers.
        """
        return None if self._class_names is None else list(self._class_names)

    @class_names.setter
    def class_names(self, names: Sequence[str] | None) -> None:
        if names is None:
            self._class_names = None
            return
        if not self.loss_function.is_classification:
            raise ValueError(f"class_names are for classifiers; loss {self.loss_function.name!r} is a regression loss")
        if isinstance(names, str) or not all(isinstance(name, str) for name in names):
            raise TypeError(f"class_names must be a list of strings; got {names!r:.80}")
        expected = self.n_outputs if self.n_outputs > 1 else 2
        if len(names) != expected or len(set(names)) != len(names):
            raise ValueError(
                f"class_names must be {expected} distinct names (one per class of this network); "
                f"got {list(names)!r:.80}"
            )
        self._class_names = list(names)

    @property
    def n_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(p.size for p in self.parameters())

    def __repr__(self) -> str:
        acts = [layer.activation.name for layer in self.layers]
        models = "" if self.models is None else f", models={self.models}"
        scale = "" if self._input_scale is None else f", input_scale={self._input_scale!r}"
        return (
            f"Network(sizes={self.sizes}, activations={acts}, loss={self.loss_function.name!r}, "
            f"reduction={self.reduction!r}, bias={self.bias}, dtype={self.dtype.name!r}{scale}{models})"
        )

    def _repr_html_(self) -> str:
        """Jupyter's rendering: one row per layer (inputs → neurons, activation, parameters), then the loss."""
        rows = []
        total = 0
        for l, layer in enumerate(self.layers):
            n_params = layer.weights.size + (0 if layer.bias is None else layer.bias.size)
            total += n_params
            kind = "output" if l == len(self.layers) - 1 else "hidden"
            rows.append(
                f"<tr><td>layers[{l}]</td><td>{kind}</td><td>{layer.weights.shape[1]} → {layer.weights.shape[0]}</td>"
                f'<td>{html.escape(layer.activation.name)}</td><td style="text-align: right">{n_params:,}</td></tr>'
            )
        trained = "trained" if self.optimizer_ is not None else "not trained yet"
        scale = "" if self._input_scale is None else f"inputs scaled by {self._input_scale:.6g}, "
        return (
            f'<div class="chainrule-network"><p><b>Network</b> {"-".join(map(str, self.sizes))}: loss '
            f"{html.escape(self.loss_function.name)} ({html.escape(self.reduction)}), bias {self.bias}, "
            f"{html.escape(self.dtype.name)}, {scale}{trained}</p><table><thead><tr><th>layer</th><th>kind</th>"
            f"<th>inputs → neurons</th><th>activation</th><th>parameters</th></tr></thead><tbody>{''.join(rows)}"
            f'<tr><td colspan="4">total</td><td style="text-align: right">{total:,}</td></tr></tbody></table></div>'
        )

    # -- input checks -----------------------------------------------------
    def check_X(self, X: Any, argument: str = "X", *, finite: bool = True) -> np.ndarray:
        """Inputs as a checked ndarray of shape (n_samples, n_inputs) in the network's dtype.

        Raises where the bad value enters: not 2-D, not finite numbers, or
        the wrong number of columns. ``argument`` names X in the message.
        ``finite=False`` leaves out the pass that looks for NaN and inf, for
        a caller that learns it otherwise (``fit``'s input-scale advice sums
        every column's squares, which are finite only if X is).

        With ``input_scale``, integer X (uint8, uint16, int64..., not bool)
        is returned in its own dtype, not converted (integers are finite):
        the engine scales it as it reads it (:meth:`scale_inputs`).
        """
        X = as_float_array(X, argument, self.dtype, finite=finite, keep_integers=self._input_scale is not None)
        if X.shape[1] != self.n_inputs:
            raise ValueError(
                f"{argument} must have {self.n_inputs} columns (the network's input size, sizes[0]); "
                f"got shape {X.shape}"
            )
        return X

    def check_Y(self, Y: Any, n_samples: int, argument: str = "Y", labels: bool = False) -> np.ndarray:
        """Targets as (n_samples, n_outputs) of the network's dtype, checked by the loss.

        See :meth:`chainrule.core.losses.Loss.check_targets`: for
        ``cross_entropy`` a 1-D array of integer class labels in
        [0, n_outputs) is also accepted and turned into one-hot rows, or,
        with ``labels=True``, kept as labels: an intp array of shape
        (n_samples,), which :meth:`backward` takes as it takes the rows
        (training does this: no one-hot matrix of the whole data set).
        """
        check = self.loss_function.check_labels if labels else self.loss_function.check_targets
        return check(Y, n_samples, self.n_outputs, self.dtype, argument)

    def check_XY(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`check_X` and :meth:`check_Y` together: (n_samples, n_inputs) and (n_samples, n_outputs)."""
        X = self.check_X(X)
        return X, self.check_Y(Y, X.shape[0])

    # -- the mathematics --------------------------------------------------
    def forward(self, X: np.ndarray, workspace: Workspace | None = None) -> ForwardPass:
        """The forward pass: z_l and a_l of every layer, for inputs X.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_inputs), the network's dtype
            Already checked: pass array-likes through :meth:`check_X` first
            (the engine is the inner loop of training and checks only the
            type, dtype and width, cheaply). With ``input_scale`` also
            integers, as :meth:`check_X` keeps them.
        workspace : Workspace, optional
            Write z and a into its buffers and apply its dropout (if any) to
            the hidden layers' outputs, as training does.

        Returns
        -------
        ForwardPass
            ``zs[l]`` of shape (n_samples, sizes[l + 1]) and ``activations``
            with ``activations[0]`` = a₀ (X, or s·X with ``input_scale`` s:
            :meth:`scale_inputs`); the prediction is ``activations[-1]``.

        Examples
        --------
        >>> import chainrule as cr
        >>> net = cr.Network([2, 2, 1], seed=0)
        >>> fwd = net.forward(net.check_X([[0.0, 1.0]]))
        >>> [z.shape for z in fwd.zs]
        [(1, 2), (1, 1)]
        """
        self._require_engine_array(X, self.n_inputs, "X", "check_X(X)", integers=self._input_scale is not None)
        work = workspace
        zs = []
        a = X  # a₀ = X, or s·X with input_scale s:
        if self._input_scale is not None:
            if work is None or work.a0 is None:
                a = self.scale_inputs(X)
            else:
                a = self.scale_inputs(X, work.a0[: X.shape[0]], work.passes)
        activations = [a]
        if work is None:
            for layer in self.layers:
                z, a = layer.forward(a)
                zs.append(z)
                activations.append(a)
            return ForwardPass(zs, activations)
        n = X.shape[0]
        last = len(self.layers) - 1
        outputs: list[np.ndarray] = []
        masks: list[np.ndarray | None] = []
        passes = work.passes
        for l, layer in enumerate(self.layers):
            z, a = layer.forward(a, work.z[l][:n], work.a[l][:n], passes)
            zs.append(z)
            outputs.append(a)
            if work.dropout and l < last:
                m = work.mask[l][:n]  # m = [u >= p] / (1 - p), u ~ U[0, 1) from the network's seed
                work.rng.random(out=m, dtype=m.dtype)
                np.greater_equal(m, work.dropout, out=m)
                m *= 1.0 / (1.0 - work.dropout)
                a = np.multiply(a, m, out=work.dropped[l][:n])
                masks.append(m)
            else:
                masks.append(None)
            activations.append(a)
        if not work.dropout:
            return ForwardPass(zs, activations)
        return ForwardPass(zs, activations, outputs, masks)

    def backward(
        self,
        forward: ForwardPass,
        Y: np.ndarray,
        workspace: Workspace | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> BackwardPass:
        """The backward pass: the loss, every δ and every gradient, from a forward pass and targets.

        Parameters
        ----------
        forward : ForwardPass
            What :meth:`forward` returned for the same batch.
        Y : ndarray of shape (n_samples, n_outputs), the network's dtype
            Already checked: pass array-likes through :meth:`check_Y` first.
            For a loss that takes labels (``cross_entropy``) also integer
            class labels of shape (n_samples,) in [0, n_outputs), from
            ``check_Y(Y, n_samples, labels=True)``: the same bits as their
            one-hot rows.
        workspace : Workspace, optional
            Write δ and ∂L/∂a into its buffers (the one ``forward`` used).
        sample_weight : ndarray of shape (n_samples,), optional
            Multiplies each sample's loss (checked by :meth:`check_sample_weight`).

        Returns
        -------
        BackwardPass
            The gradients are also left in :attr:`grads` (and the layers'
            ``grad_weights``/``grad_bias``), overwritten by the next call.

        Examples
        --------
        >>> import chainrule as cr
        >>> net = cr.Network([2, 2, 1], seed=0)
        >>> X, Y = net.check_XY([[0.0, 1.0]], [[1.0]])
        >>> bwd = net.backward(net.forward(X), Y)
        >>> [g.shape for g in bwd.grads]
        [(2, 2), (2,), (1, 2), (1,)]
        """
        if not isinstance(forward, ForwardPass):
            raise TypeError(
                f"forward must be the ForwardPass that net.forward(X) returned; got {type(forward).__name__}"
            )
        if not (self.loss_function.takes_labels and _is_labels(Y)):
            self._require_engine_array(Y, self.n_outputs, "Y", "check_Y(Y, n_samples)")
        n = Y.shape[-2] if Y.ndim > 1 else Y.shape[0]  # rows (samples), also for labels (n_samples,)
        if n != forward.zs[-1].shape[-2]:
            raise ValueError(
                f"Y must have as many rows as the forward pass's X ({forward.zs[-1].shape[-2]}); got shape {Y.shape}"
            )
        fwd, work, weights = forward, workspace, sample_weight
        layers = self.layers
        zs, acts = fwd.zs, fwd.activations
        outputs, masks = fwd.outputs, fwd.masks  # with dropout: f(z) before the mask, and the mask
        n_layers = len(layers)
        out = layers[-1]
        product = np.dot if self.models is None else np.matmul  # a stack: one product per model
        correct = None
        passes = None if work is None else work.passes
        if (
            work is not None
            and passes is not None
            and weights is None
            and Y.ndim == 1
            and Y.dtype == np.intp
            and self.models is None
            and self.loss_function.name == "cross_entropy"
            and out.activation.name == "softmax"
        ):  # class labels: the loss, δ and the accuracy count in one compiled pass (the same bits)
            delta, grad_out = work.delta[-1][:n], None
            loss, correct = passes["cross_entropy"](zs[-1], acts[-1], Y, self.batch_scale(n), delta)
        elif work is None and weights is None:
            loss, delta, grad_out = self.loss_function.evaluate(
                zs[-1], acts[-1], Y, out.activation, self.batch_scale(n)
            )
        else:
            loss, delta, grad_out = self.loss_function.evaluate(
                zs[-1],
                acts[-1],
                Y,
                out.activation,
                self.batch_scale(n),
                None if work is None else work.delta[-1][:n],
                weights=weights,
            )
        deltas: list = [None] * n_layers
        grad_a: list = [None] * n_layers
        grad_a[-1] = grad_out
        for l in range(n_layers - 1, -1, -1):
            layer = layers[l]
            deltas[l] = delta
            layer.backward(delta, acts[l], None if work is None else work.passes)  # into the buffers self._grads
            if l:
                # ∂L/∂a_{l-1}: the error sent back through W_l (through the dropout mask, if any)
                if work is None:
                    g = product(delta, layer.weights)
                    delta = layers[l - 1].activation.backward(zs[l - 1], acts[l], g)
                else:
                    g = np.dot(delta, layer.weights, out=work.grad_a[l - 1][:n])
                    if masks is not None:
                        g *= masks[l - 1]  # the hidden layers' masks are never None
                    activation = layers[l - 1].activation
                    if work.passes is not None and activation.name == "relu" and self.models is None:
                        delta = work.delta[l - 1][:n]
                        work.passes["relu_backward"](g, zs[l - 1], delta)  # δ = g·[z > 0], no bool temporary
                    else:
                        delta = activation.backward(
                            zs[l - 1], acts[l] if outputs is None else outputs[l - 1], g, out=work.delta[l - 1][:n]
                        )
                grad_a[l - 1] = g
        return BackwardPass(loss, deltas, grad_a, self._grad_arrays, correct)

    def _require_engine_array(self, array: Any, width: int, name: str, fix: str, integers: bool = False) -> None:
        """The engine's cheap contract: a 2-D ndarray of the network's dtype and the right width.

        A stack also takes one array per model: (K, n_samples, width).
        ``integers``: integer arrays are taken too (X of a network with ``input_scale``).
        """
        ok = isinstance(array, np.ndarray) and (array.dtype == self.dtype or (integers and array.dtype.kind in "iu"))
        if ok and array.ndim == 2 and array.shape[1] == width:
            return
        if ok and self.models is not None and array.ndim == 3 and array.shape[::2] == (self.models, width):
            return
        if not isinstance(array, np.ndarray):
            got = f"a {type(array).__name__}"
        elif array.ndim != 2 or array.shape[1] != width:
            got = f"shape {array.shape}"
        else:
            got = f"dtype {array.dtype}"
        kinds = f"{self.dtype.name} (or integer)" if integers else self.dtype.name
        raise TypeError(
            f"{name} for the engine must be a 2-D {kinds} ndarray with {width} columns; "
            f"got {got} (pass it through net.{fix} first)"
        )

    # -- public API -------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """The network's output a_L for each row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)

        Returns
        -------
        ndarray of shape (n_samples, n_outputs), the network's dtype.
        """
        return self.forward(self.check_X(X)).activations[-1]

    def loss(self, X: Any, Y: Any, sample_weight: Any = None) -> float:
        """The loss on (X, Y), reduced as the network's ``reduction`` says.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
        Y : array-like of shape (n_samples, n_outputs); for ``cross_entropy``
            also integer labels of shape (n_samples,).
        sample_weight : array-like of shape (n_samples,), optional
            Multiplies each sample's loss (see :meth:`fit`).
        """
        X, Y = self.check_XY(X, Y)
        fwd = self.forward(X)
        z, a = fwd.zs[-1], fwd.activations[-1]
        if sample_weight is None:
            return self.loss_function.value(z, a, Y) * self.batch_scale(X.shape[0])
        weights = self.check_sample_weight(sample_weight, X.shape[0])
        return float(self.loss_function.per_sample(z, a, Y) @ weights) * self.batch_scale(X.shape[0])

    def check_sample_weight(self, sample_weight: Any, n_samples: int, argument: str = "sample_weight") -> np.ndarray:
        """Weights of shape (n_samples,), finite, >= 0, not all zero, in the network's dtype."""
        weights = as_float_array(sample_weight, argument, self.dtype, ndim=1)
        if weights.shape[0] != n_samples:
            raise ValueError(f"{argument} must have one weight per row of X ({n_samples}); got shape {weights.shape}")
        if (weights < 0).any():
            raise ValueError(f"{argument} must be >= 0; got {weights[weights < 0][0]}")
        if not weights.any():
            raise ValueError(f"{argument} must not be all zero: there would be nothing to learn from")
        return weights

    def gradients(self, X: Any, Y: Any) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """∂L/∂W and ∂L/∂b of every layer on (X, Y), by backpropagation.

        Returns
        -------
        list with one ``(grad_weights, grad_bias)`` per layer: shapes
        (n_out, n_in) and (n_out,), ``grad_bias`` ``None`` without bias.
        """
        X, Y = self.check_XY(X, Y)
        grads = iter([g.copy() for g in self.backward(self.forward(X), Y).grads])
        return [(next(grads), next(grads) if layer.bias is not None else None) for layer in self.layers]

    def fit(
        self,
        X: Any,
        Y: Any,
        epochs: int = 1,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        optimizer: Any = "sgd",
        verbose: int = 0,
        *,
        validation_data: Any = None,
        dropout: float = 0.0,
        weight_decay: float | None = None,
        weight_decay_on: str | None = None,
        schedule: Any = None,
        early_stopping: int | None = None,
        callbacks: Sequence[Any] = (),
        progress: bool | int = False,
        sample_weight: Any = None,
        max_iter: int | None = None,
        max_fun: int | None = None,
        tol: float | None = None,
        warn: bool = True,
    ):
        """Train by backpropagation and gradient descent; returns a :class:`~chainrule.training.loop.History`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
        Y : array-like of shape (n_samples, n_outputs) (or integer labels
            of shape (n_samples,) for ``cross_entropy``)
        epochs : int >= 0
            Passes over the data.
        learning_rate : float > 0, optional
            For an optimiser given by name; 0.1 when not given. An optimiser
            instance carries its own: passing both is an error.
        batch_size : int >= 1 or None
            ``None``: full batch, one step per epoch (as hand-worked tutorials); ``1``:
            stochastic gradient descent; any other int: mini-batches (the
            last one may be smaller).
        shuffle : bool
            Shuffle the samples every epoch (from the network's seed) before
            cutting mini-batches. Full batch ignores it.
        optimizer : str or Optimizer
            ``sgd``, ``adam``, ``adamw``, ``rmsprop``, ``lbfgs`` or an instance
            (see :mod:`chainrule.training.optimizers`). ``lbfgs`` is SciPy's
            L-BFGS-B on the flat parameter vector (:mod:`chainrule.training.lbfgs`,
            the extra ``scipy``): full batch, no learning rate, one History entry
            per iteration, stopped by ``max_iter``, ``max_fun`` or ``tol``. The optimiser and
            its state are kept (``net.optimizer_``): calling ``fit`` again
            with the same name and settings continues where it stopped, with
            its momentum or moments, even with a new ``learning_rate`` (which
            is then set on it, as changing ``lr`` in PyTorch does). A
            different name or setting starts a new optimiser.
        verbose : int >= 0
            Print the loss every ``verbose`` epochs (0: silent).
        validation_data : (X_val, Y_val) or (X_val, Y_val, sample_weight_val), optional
            Measured after every epoch: ``history.val_loss``, ``val_accuracy``
            (weighted as ``sample_weight`` is, when weights are given).
        dropout : float in [0, 1)
            Inverted dropout on the hidden layers' outputs during training,
            from the network's seed (``predict`` never drops).
        weight_decay : float >= 0, optional
            Weight decay λ of the optimiser made from a name: the L2 penalty's
            gradient added to the gradient (g + λ·p) by ``sgd``, ``adam`` and
            ``rmsprop``, applied to the parameters (p ← p − η·λ·p) by ``adamw``
            (default 0.01), and the penalty ½·λ·‖p‖² of the ``lbfgs`` objective.
        weight_decay_on : {"all", "weights"}, optional
            The parameters ``weight_decay`` applies to: ``"all"`` (the default,
            as ``torch.optim``) or ``"weights"`` (not the biases, as
            scikit-learn's ``alpha``).
        schedule : str or Schedule, optional
            Learning-rate schedule (``step``, ``exponential``, ``cosine`` or a
            :mod:`chainrule.training.schedules` instance) for an optimiser made from a name.
        early_stopping : int, optional
            Patience: stop when the validation loss has not improved for this
            many epochs and restore the best weights (needs ``validation_data``).
        callbacks : sequence of Callback
            See :mod:`chainrule.training.callbacks` (e.g. ``Checkpoint``).
        progress : bool or int >= 1
            Show a progress bar with loss and accuracy on standard error, and
            a summary line after each epoch (an int N: after every N-th epoch
            and the last).
        sample_weight : array-like of shape (n_samples,), optional
            Finite weights >= 0 that multiply each sample's loss (and so its
            gradient): a batch's loss is Σ_i w_i·L_i, divided by the batch
            size for ``reduction="mean"``. Weights of 1 are the unweighted loss.
            The accuracy in the history is then the weighted share Σ w·hit / Σ w.
        max_iter, max_fun, tol : int, int, float, optional
            For ``optimizer="lbfgs"`` only, with scikit-learn's names and
            defaults: at most ``max_iter`` iterations (200) and ``max_fun``
            evaluations of the objective (15000); stop when the largest
            component of the gradient is <= ``tol`` (1e-4; SciPy's ``gtol``)
            or the objective's relative decrease falls below SciPy's ``ftol``.
        warn : bool
            Issue a :class:`chainrule.TrainingWarning`, saying what to
            change, for inputs far from unit scale (a column's root-mean-square
            above 10), for the default full batch on more than 10,000 samples,
            and for a training loss that grows more than tenfold within the
            first 5 epochs (the limits are in :mod:`chainrule.training.loop`).

        The defaults (full batch, plain SGD at 0.1) are the textbook's, so
        that a hand-worked tutorial's numbers come out exactly; for a real
        data set pass mini-batches and Adam (``batch_size=128,
        optimizer="adam", learning_rate=0.001``), as ``chainrule train`` does.

        float32 networks and dropout train through the same step with a
        :class:`Workspace` (arrays reused across batches, in-place updates).

        Ctrl-C (SIGINT) or SIGTERM stops the training after the batch in
        progress: the network stays consistent, callbacks' ``on_interrupt``
        run (a ``Checkpoint`` saves) and the History of the epochs completed
        is returned with ``interrupted=True``. Where the unfinished epoch
        stopped is kept in ``epoch_progress_`` (and saved with the network):
        the next ``fit`` with as many rows, the same ``batch_size`` and
        ``shuffle`` continues that epoch where it stopped, so an interrupted
        and resumed run ends with the weights of an uninterrupted one, bit for
        bit (give it the same data; other data restart the epoch).

        Raises
        ------
        chainrule.TrainingDiverged
            When a batch's loss or gradient is NaN or infinite (that batch's
            update is not applied), when an update makes the parameters or
            the optimiser's state non-finite, or when the loss on the last
            update's weights is not finite (the network then goes back to
            the start of that epoch): the parameters are left at their last
            finite values, and the message names the epoch and batch and what
            to change. ``exc.history`` holds the epochs completed.
        """
        self._require_single("fit")
        from ..training.loop import train

        return train(
            self,
            X,
            Y,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            shuffle=shuffle,
            optimizer=optimizer,
            verbose=verbose,
            validation_data=validation_data,
            dropout=dropout,
            weight_decay=weight_decay,
            weight_decay_on=weight_decay_on,
            schedule=schedule,
            early_stopping=early_stopping,
            callbacks=callbacks,
            progress=progress,
            sample_weight=sample_weight,
            max_iter=max_iter,
            max_fun=max_fun,
            tol=tol,
            warn=warn,
        )

    def explain(
        self,
        X: Any,
        Y: Any,
        learning_rate: float | None = None,
        optimizer: Any = "sgd",
        *,
        steps: int = 1,
        weight_decay: float | None = None,
        weight_decay_on: str | None = None,
        schedule: Any = None,
        dropout: float = 0.0,
    ):
        """Full-batch training steps on (X, Y), recorded as a :class:`~chainrule.teaching.trace.Trace`.

        The steps are the ones ``fit`` takes (:func:`chainrule.training.train_step`,
        with the same optimiser, schedule, weight decay and dropout masks),
        on a float64 copy: the network itself is not modified. Each records
        the optimiser's state before and after (momentum buffer; Adam's
        moments; RMSProp's average of g²). Only a gradient-descent step can
        be explained: an L-BFGS step's direction (from its curvature pairs)
        and line search are not recorded.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
        Y : array-like of shape (n_samples, n_outputs)
        learning_rate : float > 0, optional
            For an optimiser given by name (0.1 when not given).
        optimizer : str or Optimizer
            ``sgd``, ``adam``, ``adamw``, ``rmsprop`` or an instance, as for :meth:`fit`.
        steps : int >= 1
            Consecutive steps; more than one returns a
            :class:`~chainrule.teaching.trace.Traces`, one Trace per step.
        weight_decay, weight_decay_on, schedule, dropout
            As for :meth:`fit`.
        """
        self._require_single("explain")
        from ..teaching.trace import explain

        return explain(
            self,
            X,
            Y,
            learning_rate,
            optimizer,
            steps=steps,
            weight_decay=weight_decay,
            weight_decay_on=weight_decay_on,
            schedule=schedule,
            dropout=dropout,
        )

    def save(self, path: Any) -> None:
        """Save the network to ``path`` (.npz arrays + JSON metadata, never pickle); see :func:`chainrule.load`."""
        self._require_single("save")
        from ..io import save

        save(self, path)


#: Integer dtypes exact in float32 (and their products with a float32 exact in float64): compiled scaling.
_SMALL_INTEGERS = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16))


def _architecture(net: Network) -> dict[str, Any]:
    """What networks must share to be stacked: the same shapes and the same mathematics."""
    return {
        "sizes": net.sizes,
        "activations": [layer.activation for layer in net.layers],
        "loss": net.loss_function.name,
        "reduction": net.reduction,
        "bias": net.bias,
        "dtype": net.dtype.name,
        "input_scale": net.input_scale,
    }


def _is_labels(Y: Any) -> bool:
    """Whether Y is a 1-D ndarray of integers (class labels, checked by check_Y)."""
    return isinstance(Y, np.ndarray) and Y.ndim == 1 and Y.dtype.kind in "iu"


def _check_dtype(dtype: Any) -> np.dtype:
    try:  # np.dtype(None) is float64: refuse None rather than guess
        name = None if dtype is None else np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}")
    return np.dtype(name)


def _check_input_scale(value: Any, dtype: np.dtype) -> float | None:
    """None, or a finite real number > 0 that stays finite and > 0 in ``dtype``."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"input_scale must be a real number > 0 (1/255 for pixels 0..255) or None; got {type(value).__name__} "
            f"{value!r:.80}"
        )
    scale = float(value)
    with np.errstate(over="ignore"):  # past float32's range: inf, refused below
        rounded = float(np.array(scale, dtype))
    if not (math.isfinite(scale) and scale > 0 and math.isfinite(rounded) and rounded > 0):
        raise ValueError(
            f"input_scale must be a finite number > 0 in {dtype.name} (1/255 for pixels 0..255), or None for inputs "
            f"used as given; got {value!r}"
        )
    return scale


def _check_sizes(sizes: Any) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer sizes such as [2, 2, 1]; got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must name at least an input and an output layer, such as [2, 1]; got {list(sizes)!r}")
    return [check_positive_int(n, f"sizes[{i}]") for i, n in enumerate(sizes)]


def _n_parameters(sizes: list[int], bias: bool, dtype: np.dtype) -> int:
    """The number of weights and biases of ``sizes``; refused when no array could hold them."""
    total = sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if total * dtype.itemsize > np.iinfo(np.intp).max or max(sizes) > np.iinfo(np.intp).max:
        raise ValueError(
            f"sizes {sizes} make {total:.3g} parameters ({_bytes(total * dtype.itemsize)}), more than an array can "
            f"hold; layer sizes are neuron counts, such as [784, 128, 10]"
        )
    return total


def _bytes(n: int) -> str:
    """A byte count in words: ``14.6 TiB``."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if size < 1024 or unit == "EiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} EiB"  # pragma: no cover


def _hidden_activations(activation: Any, n_hidden: int) -> list:
    if isinstance(activation, str) or not hasattr(activation, "__len__"):
        get_activation(activation)  # checked even when there is no hidden layer
        names = [activation] * n_hidden
    else:
        names = list(activation)
        if len(names) != n_hidden:
            raise ValueError(
                f"activation must be one name or one per hidden layer ({n_hidden}); got {len(names)}: {names!r}"
            )
    hidden = [get_activation(name) for name in names]
    for act in hidden:
        if act.name == "softmax":
            raise ValueError("activation 'softmax' is for the output layer only; use output_activation='softmax'")
    return hidden
