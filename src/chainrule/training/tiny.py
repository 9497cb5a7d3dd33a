"""The compiled path for tiny networks: full-batch training as one loop that numba compiles (the ``fast`` extra).

On a network such as XOR's 2-2-1, a NumPy training step is some fifty array
operations on arrays of four rows: about 25 µs, nearly all of it NumPy's
per-call overhead. Here the whole of full-batch training, for many epochs
at once, is one compiled loop: the forward pass, the loss, the backward
pass, the finite checks and the optimiser's update, in scalar arithmetic.
It is the NumPy engine's mathematics written again as loops: the formulas of
:mod:`chainrule.core.activations`, :mod:`chainrule.core.losses`,
:meth:`chainrule.Network.backward` and :mod:`chainrule.training.kernels`,
with the same stable forms (the capped sigmoid and exponential, log-sum-exp,
the row max taken out of softmax), the same constants rounded to the
network's dtype, and the operations in the same order where the order is
NumPy's own (element-wise passes); a matrix product's sum may be taken in
another order than the BLAS takes it, and e^x in float64 is the loop's own
(:func:`_exp64`, arithmetic that compiles to SIMD code, within 3 ulp of
NumPy's; float32 calls the C library's), so the two paths agree to rounding
(tests/test_tiny.py: 1e-12 in float64 over hundreds of epochs), not bit for
bit. Each path on its own gives the same bits for the same seed, and the
choice between them depends only on the call and the installation.

The fit loop (:func:`chainrule.training.loop.train`) takes this path by
itself when numba is installed and the run qualifies:

- full batch (``batch_size=None`` or at least the number of samples), one process;
- no dropout, no ``sample_weight``, no ``validation_data`` (so no early
  stopping), no callbacks, no progress bar, ``verbose=0``;
- the optimiser is ``sgd`` (with or without momentum, Nesterov, weight
  decay), ``adam``, ``adamw`` or ``rmsprop`` by name or as an instance of
  exactly those classes, without a learning-rate schedule (a schedule's
  rate is Python, called every epoch);
- float32 or float64, any activations and loss of the network's tables;
- small and long: n_samples × n_parameters <= :data:`MAX_WORK` and epochs >=
  :data:`MIN_EPOCHS` (both measured: see their comments).

``CHAINRULE_KERNELS=numpy`` (or :func:`chainrule.training.kernels.set_kernels`)
keeps every run on the NumPy engine; ``numba`` takes this path for every
qualifying run whatever its size. Everything the loop promises holds on
both paths: the History, the optimiser's state after ``fit`` (a second
``fit`` continues it), the epoch count, a divergence's message and the
weights it restores. Ctrl-C is honoured between calls of the loop, which
are cut to some tens of milliseconds each (:data:`CALL_WORK`).

:func:`train_many` is the entry for K networks of one architecture at once:
their parameters stacked as rows of a (K, n_parameters) array, one learning
rate each, all trained in one compiled call on the same data (K = 1 is the
single network the fit loop trains). Below :data:`MIN_WIDE` networks the call
runs the loop above network after network; from there on a second loop with
the model axis innermost (``_train_wide``), each operation across the K
networks in SIMD lanes, doing for each network the first loop's operations in
its order, so that network k gets the bits it gets alone
(tests/test_tiny_wide.py): 4-5x faster for 100 XOR networks. :class:`chainrule.Ensemble`
takes it for a full-batch fit under the rule of :func:`use_compiled`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.losses import LOSSES
from ..core.network import Network
from . import kernels
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSProp

__all__ = [
    "CALL_WORK",
    "MAX_WORK",
    "MIN_EPOCHS",
    "TinyResult",
    "supported",
    "train_many",
    "train_network",
    "use_compiled",
]

#: The largest n_samples × n_parameters (multiply-adds of one forward pass) that ``auto`` compiles.
#: Measured with ``python benchmarks/tiny_sweep.py`` (full-batch SGD, [n_in, h, 1] sigmoid, float64, on a
#: 2-core machine shared with other work): the compiled loop, scalar code, was 74x faster than the NumPy
#: engine at 36 (XOR 2-2-1), 8x at 784, 2x at 5,184 and 0.7x at 10,304, where NumPy's per-call overhead
#: (some 30-70 µs a step) no longer hides the BLAS's vectorised products: the crossover is near 8,000.
MAX_WORK = 6_000
#: The fewest epochs for which ``auto`` compiles: importing numba and loading the cached loop cost
#: 0.5 s in a fresh process (``python benchmarks/tiny_sweep.py --load``; compiling it the first time on a
#: machine, 12 s per dtype), the time of some 20,000 NumPy steps of the smallest networks (about 25 µs
#: each): a shorter run is faster on NumPy. The choice depends only on the call, not on what the process
#: did before, so that the same seed gives the same bits. ``CHAINRULE_KERNELS=numba`` compiles any run.
MIN_EPOCHS = 20_000
#: About how many multiply-adds (n_samples × n_parameters per epoch) one compiled call does before it
#: returns to the fit loop, which looks at Ctrl-C between calls: 27,000 epochs of XOR 2-2-1 or 190 of a
#: 5,184 network, some 10-40 ms on the sweep's machine (a call itself costs tens of µs).
CALL_WORK = 1_000_000
#: The fewest networks for which :func:`train_many` takes the wide loop (the model axis innermost, in SIMD
#: lanes: see _train_wide) instead of the scalar loop, network after network. Measured with ``python
#: benchmarks/tiny_sweep.py --wide`` (plain SGD, float64, a 2-core machine, load 1.7-1.9): the wide loop
#: was 0.23x the scalar loop's speed at K = 1, 0.94x at 4, 1.0x at 6, 1.5x at 8, 2.3x at 16 and 4.9x at 100
#: for XOR 2-2-1 (0.071 µs a network-step at 100), and 0.87x at 6, 1.2x at 8 and 4.2x at 100 for [8, 16, 1]
#: on 64 rows: below 8 lanes its loops hardly reach their SIMD bodies. Either loop gives the same bits.
MIN_WIDE = 8

# Codes the loop branches on (the tables' names: see ACTIVATIONS and LOSSES).
_ACTIVATIONS = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "exp": 5, "softmax": 6}
_LOSSES = {
    "half_squared_error": 0,
    "squared_error": 1,
    "mse": 2,
    "mae": 3,
    "binary_cross_entropy": 4,
    "cross_entropy": 5,
    "poisson": 6,
}
_RULES = {SGD: 0, Adam: 1, AdamW: 1, RMSProp: 2}

#: What the loop says happened to each network (``TinyResult.status``), named as TrainingDiverged's causes.
STATUS = ("ok", "loss", "update", "last_step")


@dataclass
class TinyResult:
    """What :func:`train_many` measured for K networks trained E epochs.

    Attributes
    ----------
    loss : ndarray of shape (K, E), float64
        Each epoch's loss before its update (as the History's ``loss``); valid up to ``epochs_done[k]``.
    correct : ndarray of shape (K, E), int64
        Rows classified right in that forward pass (0 for a regression loss).
    epochs_done : ndarray of shape (K,), int64
        Epochs completed: E, or fewer where a network diverged.
    status : ndarray of shape (K,), int64
        Index into :data:`STATUS`: 0 trained; 1 the loss or gradient of epoch ``epochs_done`` was not
        finite (no update); 2 its update made a parameter or state value non-finite; 3 the loss on the
        weights of the last update was not finite. After 2 and 3 the network's parameters and state are
        those at the start of that epoch, after 1 those of its last update: always those after
        ``epochs_done`` epochs.
    bad_loss : ndarray of shape (K,), float64
        The loss the failing epoch measured (the finite loss before the update, for status 2).
    """

    loss: np.ndarray
    correct: np.ndarray
    epochs_done: np.ndarray
    status: np.ndarray
    bad_loss: np.ndarray


def supported(net: Network, optimizer: Optimizer) -> str | None:
    """Why the compiled loop cannot train ``net`` with ``optimizer`` (None: it can).

    The loop covers every activation and loss, float32 and float64, and the optimisers
    ``SGD``, ``Adam``, ``AdamW`` and ``RMSProp`` (exactly those classes) without a schedule.
    ``net`` may be a stack (:meth:`chainrule.Network.stack`), whose optimiser holds (K, n_parameters) state.
    """
    reason = _unsupported_settings(net, optimizer)
    if reason is not None:
        return reason
    state = optimizer.state
    if state and (
        len(state) != 1
        or any(
            key not in state[0] or state[0][key].shape != net.params.shape or state[0][key].dtype != net.dtype
            for key in optimizer.state_names
        )
    ):
        return "the optimiser holds state of another shape (it stepped other arrays)"
    return None


def _unsupported_settings(net: Network, optimizer: Optimizer) -> str | None:
    """:func:`supported` without looking at the optimiser's state (which :func:`train_many` does not use)."""
    if type(optimizer) not in _RULES:
        return f"optimizer {type(optimizer).__name__} is not one the compiled loop has"
    if optimizer.schedule is not None:
        return "a learning-rate schedule is called every epoch"
    for layer in net.layers:
        act = layer.activation
        if act.name not in _ACTIVATIONS or type(act) is not ACTIVATIONS[act.name]:
            return f"activation {type(act).__name__} is not one the compiled loop has"
    loss = net.loss_function
    if loss.name not in _LOSSES or type(loss) is not LOSSES[loss.name]:
        return f"loss {type(loss).__name__} is not one the compiled loop has"
    if net.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return f"dtype {net.dtype} is not float32 or float64"
    return None


def use_compiled(net: Network, optimizer: Optimizer, n_samples: int, epochs: int) -> bool:
    """Whether a qualifying full-batch run takes the compiled loop: the choice of ``CHAINRULE_KERNELS``.

    ``numpy``: never. ``numba``: whenever :func:`supported` allows (ImportError without numba).
    ``auto``: also numba importable, n_samples × n_parameters <= :data:`MAX_WORK` and
    epochs >= :data:`MIN_EPOCHS`. For a stack (an Ensemble's), n_parameters is one model's: the
    choice each of its models' own fit would make.
    """
    choice = kernels.requested()
    if choice == "numpy" or epochs == 0 or supported(net, optimizer) is not None:
        return False
    if choice == "numba":
        _compiled()
        return True
    if n_samples * net.params.shape[-1] > MAX_WORK or epochs < MIN_EPOCHS:
        return False
    try:
        _compiled()
    except ImportError:
        return False
    return True


# -- the loop, compiled by numba -----------------------------------------------------------
#
# Layer l has sizes[l] inputs and sizes[l + 1] units. The buffers are flat: A holds X and every layer's
# activations (A[aoff[l]:] is layer l's input, n rows of sizes[l]), Z, D (δ) and G (∂L/∂a) every layer's
# z, δ and gradient of its output, from zoff[l]. The constants c are in the network's dtype (as NumPy
# rounds a Python float operand): see _constants for their order.

_C_ZERO, _C_ONE, _C_NEG_LIMIT, _C_POS_LIMIT, _C_SCALE, _C_FACTOR, _C_OUTPUTS, _C_TINY = range(8)


def _train_loop(
    params, lrs, iterations, state1, state2, X, Y, sizes, acts, slopes, has_bias, loss, c, value_scale,
    value_coef, rule, rc, mask, first, epochs, check_last, losses, correct, done, status, bad,
):  # fmt: skip
    K, P = params.shape
    n = X.shape[0]
    L = acts.shape[0]
    n_out = sizes[L]
    zero, one, neg_limit, pos_limit = c[_C_ZERO], c[_C_ONE], c[_C_NEG_LIMIT], c[_C_POS_LIMIT]
    scale, factor, n_outputs = c[_C_SCALE], c[_C_FACTOR], c[_C_OUTPUTS]
    woff = np.empty(L, np.int64)
    boff = np.empty(L, np.int64)
    aoff = np.empty(L + 1, np.int64)
    zoff = np.empty(L, np.int64)
    offset = 0
    a_total = n * sizes[0]
    z_total = 0
    aoff[0] = 0
    for l in range(L):
        woff[l] = offset
        offset += sizes[l] * sizes[l + 1]
        boff[l] = offset
        if has_bias:
            offset += sizes[l + 1]
        aoff[l + 1] = a_total
        a_total += n * sizes[l + 1]
        zoff[l] = z_total
        z_total += n * sizes[l + 1]
    A = np.empty(a_total, X.dtype)
    Z = np.empty(z_total, X.dtype)
    D = np.empty(z_total, X.dtype)
    G = np.empty(n_out, X.dtype)  # one row of ∂L/∂a for a softmax output under a loss not fused with it
    A[: n * sizes[0]] = X.ravel()
    Yf = Y.ravel()
    g = np.empty(P, X.dtype)
    backup = np.empty(P, X.dtype)
    backup1 = np.empty(P, X.dtype)
    backup2 = np.empty(P, X.dtype)
    cast = np.empty(8, X.dtype)
    use_mask = mask.shape[0] > 0
    n_state = 0 if rule == 0 and rc[0] == 0.0 else (2 if rule == 1 else 1)
    # the optimiser's constants, rc (float64) = [momentum, nesterov, weight decay, β1 or ρ, β2, ε, decoupled,
    # Adam's flush period (kernels.FLUSH_EVERY)]
    cast[0] = rc[0]
    momentum = cast[0]
    nesterov = rc[1] != 0.0
    cast[1] = rc[2]
    wd = cast[1]
    cast[2] = rc[3]
    beta1 = cast[2]
    cast[3] = rc[4]
    beta2 = cast[3]
    cast[4] = rc[5]
    rms_eps = cast[4]
    cast[5] = 1.0 - rc[3]
    one_minus_rho = cast[5]
    decoupled = rc[6] != 0.0
    flush_every = int(rc[7])
    tiny = c[_C_TINY]
    out_act = acts[L - 1]
    fused = loss >= 4  # δ = (a − y)·scale: bce with sigmoid, cross-entropy with softmax, poisson with exp
    for k in range(K):
        p = params[k]
        s1 = state1[k]
        s2 = state2[k]
        lr_value = lrs[k]
        cast[6] = lr_value
        lr = cast[6]
        t = iterations[k]
        fresh = first
        done[k] = epochs
        status[k] = 0
        for e in range(epochs + 1):
            if e == epochs and not check_last:
                break
            # -- forward: z = a_prev·Wᵀ + b, a = f(z), layer by layer
            for l in range(L):
                n_in = sizes[l]
                width = sizes[l + 1]
                ai = aoff[l]
                ao = aoff[l + 1]
                zo = zoff[l]
                wo = woff[l]
                bo = boff[l]
                act = acts[l]
                slope = slopes[l]
                for i in range(n):
                    for j in range(width):
                        s = A[ai + i * n_in] * p[wo + j * n_in]
                        for m in range(1, n_in):
                            s += A[ai + i * n_in + m] * p[wo + j * n_in + m]
                        if has_bias:
                            s += p[bo + j]
                        Z[zo + i * width + j] = s
                count = n * width
                if act == 1:  # σ(z) = 1 / (1 + e^(−max(z, −limit)))
                    for q in range(count):
                        s = Z[zo + q]
                        A[ao + q] = one / (_exp(-(neg_limit if s < neg_limit else s)) + one)
                elif act == 0 or act == 6:
                    for q in range(count):
                        A[ao + q] = Z[zo + q]
                elif act == 2:
                    for q in range(count):
                        A[ao + q] = math.tanh(Z[zo + q])
                elif act == 3:
                    for q in range(count):
                        s = Z[zo + q]
                        A[ao + q] = zero if s < zero else s
                elif act == 4:
                    for q in range(count):
                        s = Z[zo + q]
                        A[ao + q] = s if s > zero else s * slope
                else:  # e^min(z, limit)
                    for q in range(count):
                        s = Z[zo + q]
                        A[ao + q] = _exp(pos_limit if s > pos_limit else s)
                for i in range(n):
                    if act == 6:  # softmax: e^(z − max z) / Σ e^(z − max z), row by row
                        r = ao + i * width
                        top = A[r]
                        for j in range(1, width):
                            zj = A[r + j]
                            if zj > top or zj != zj:
                                top = zj
                        total = zero
                        for j in range(width):
                            ej = _exp(A[r + j] - top)
                            A[r + j] = ej
                            total += ej
                        for j in range(width):
                            A[r + j] = A[r + j] / total
            # -- the loss (unreduced, summed in the dtype as the NumPy losses sum it) and δ of the output layer
            zo = zoff[L - 1]
            ao = aoff[L]
            acc = zero
            hits = 0
            if loss == 4:  # binary cross-entropy from z: max(z, 0) − z·y + log(1 + e^(−|z|))
                for i in range(n):
                    per = zero
                    hit = True
                    for j in range(n_out):
                        q = i * n_out + j
                        zq = Z[zo + q]
                        y = Yf[q]
                        per += ((zq if zq > zero else zero) - zq * y) + math.log1p(_exp(-abs(zq)))
                        hit = hit and ((A[ao + q] > 0.5) == (y > 0.5))
                    acc += per
                    hits += hit
            elif loss == 5:  # cross-entropy from z by log-sum-exp: −Σ y·(z − log Σ e^z)
                for i in range(n):
                    r = zo + i * n_out
                    top = Z[r]
                    for j in range(1, n_out):
                        zj = Z[r + j]
                        if zj > top or zj != zj:
                            top = zj
                    total = zero
                    for j in range(n_out):
                        total += _exp(Z[r + j] - top)
                    lse = math.log(total) + top
                    best_a = 0
                    best_y = 0
                    for j in range(n_out):
                        q = i * n_out + j
                        acc += Yf[q] * (Z[r + j] - lse)
                        if A[ao + q] > A[ao + i * n_out + best_a]:
                            best_a = j
                        if Yf[q] > Yf[i * n_out + best_y]:
                            best_y = j
                    hits += n_out == 1 or best_a == best_y
                acc = -acc
            elif loss == 6:  # poisson from z: a − y·z + y·log y − y (0·log 0 = 0)
                for i in range(n):
                    per = zero
                    for j in range(n_out):
                        q = i * n_out + j
                        y = Yf[q]
                        per += ((A[ao + q] - y * Z[zo + q]) + y * math.log(y if y > 0 else one)) - y
                    acc += per
            else:  # the squared errors (dL/da = 2c·(a − y)) and mae (sign(a − y)/K), then f'(z)
                slope = slopes[L - 1]
                for i in range(n):
                    for j in range(n_out):
                        q = i * n_out + j
                        aq = A[ao + q]
                        d = aq - Yf[q]
                        if loss == 3:
                            acc += abs(d)
                            gq = (one if d > zero else (-one if d < zero else d * zero)) / n_outputs * scale
                        else:
                            acc += d * d
                            gq = d * factor * scale
                        if out_act == 6:
                            G[j] = gq
                        else:
                            D[zo + q] = _backward(out_act, gq, Z[zo + q], aq, one, zero, slope)
                    if out_act == 6:  # softmax's Jacobian product a ⊙ (g − Σ_k g_k·a_k)
                        r = i * n_out
                        total = zero
                        for j in range(n_out):
                            total += G[j] * A[ao + r + j]
                        for j in range(n_out):
                            D[zo + r + j] = A[ao + r + j] * (G[j] - total)
            if loss == 3:
                value = float(acc) / value_coef * value_scale
            else:
                value = value_coef * float(acc) * value_scale
            if e == epochs:  # the weights of the last update, checked once more
                if not math.isfinite(value):
                    status[k] = 3
                    bad[k] = value
                    done[k] = epochs - 1
                    p[:] = backup
                    if n_state:
                        s1[:] = backup1
                        s2[:] = backup2
                break
            if fused:
                for q in range(n * n_out):
                    D[zo + q] = (A[ao + q] - Yf[q]) * scale
            # -- backward: ∂L/∂W_l = δ_lᵀ·a_{l-1}, ∂L/∂b_l = Σ_rows δ_l, δ_{l-1} = (δ_l·W_l) ⊙ f'(z_{l-1})
            norm = zero
            for l in range(L - 1, -1, -1):
                n_in = sizes[l]
                width = sizes[l + 1]
                zo = zoff[l]
                ai = aoff[l]
                wo = woff[l]
                bo = boff[l]
                for j in range(width):
                    for m in range(n_in):
                        s = D[zo + j] * A[ai + m]
                        for i in range(1, n):
                            s += D[zo + i * width + j] * A[ai + i * n_in + m]
                        g[wo + j * n_in + m] = s
                        norm += s * s
                    if has_bias:
                        s = D[zo + j]
                        for i in range(1, n):
                            s += D[zo + i * width + j]
                        g[bo + j] = s
                        norm += s * s
                if l:
                    below = zoff[l - 1]
                    act = acts[l - 1]
                    slope = slopes[l - 1]
                    for i in range(n):
                        for m in range(n_in):
                            s = D[zo + i * width] * p[wo + m]
                            for j in range(1, width):
                                s += D[zo + i * width + j] * p[wo + j * n_in + m]
                            q = i * n_in + m
                            D[below + q] = _backward(act, s, Z[below + q], A[ai + q], one, zero, slope)
            if not (math.isfinite(value) and math.isfinite(norm)):
                status[k] = 1
                bad[k] = value
                done[k] = e
                break
            losses[k, e] = value
            correct[k, e] = hits
            # -- the update, as training/kernels.py's loops (the same operations in the same order)
            t += 1
            bad_value = False  # x − x is 0 for a finite x, NaN for ±inf and NaN: no branch
            if n_state:
                for q in range(P):
                    backup1[q] = s1[q]
                    backup2[q] = s2[q]
            if rule == 0:  # SGD: d = g + λ·p; momentum b = μ·b + d (b = d at first); d = b, or μ·b + d
                for q in range(P):
                    pq = p[q]
                    backup[q] = pq
                    d = g[q]
                    if wd != zero:
                        d = d + (pq * wd if not use_mask else pq * wd * mask[q])
                    if momentum != zero:
                        b = d if fresh else s1[q] * momentum + d
                        s1[q] = b
                        d = b * momentum + d if nesterov else b
                    pq = pq - d * lr
                    p[q] = pq
                    bad_value |= (pq - pq) != (pq - pq)
            elif rule == 1:  # Adam / AdamW, the bias corrections in eps and step as in Adam._update
                root_c2 = math.sqrt(1.0 - math.pow(rc[4], float(t)))
                cast[6] = rc[5] * root_c2
                eps = cast[6]
                cast[7] = -lr_value * root_c2 / (1.0 - math.pow(rc[3], float(t)))
                step = cast[7]
                flush = tiny if t % flush_every == 0 else zero  # subnormal m to ±0 (kernels.adam's flush)
                for q in range(P):
                    pq = p[q]
                    backup[q] = pq
                    gq = g[q]
                    if wd != zero:
                        decay = pq * wd if not use_mask else pq * wd * mask[q]
                        if decoupled:
                            pq = pq - decay * lr
                        else:
                            gq = gq + decay
                    mq = (s1[q] - gq) * beta1 + gq
                    if abs(mq) < flush:
                        mq = mq * zero
                    g2 = gq * gq
                    vq = (s2[q] - g2) * beta2 + g2
                    pq = pq + mq / (math.sqrt(vq) + eps) * step
                    s1[q] = mq
                    s2[q] = vq
                    p[q] = pq
                    bad_value |= ((pq - pq) + (mq - mq) + (vq - vq)) != zero
            else:  # RMSProp: v = ρ·v + (1 − ρ)·g², p = p − η·g/(√v + ε)
                for q in range(P):
                    pq = p[q]
                    backup[q] = pq
                    gq = g[q]
                    if wd != zero:
                        gq = gq + (pq * wd if not use_mask else pq * wd * mask[q])
                    vq = s1[q] * beta1 + gq * gq * one_minus_rho
                    pq = pq - gq / (math.sqrt(vq) + rms_eps) * lr
                    s1[q] = vq
                    p[q] = pq
                    bad_value |= ((pq - pq) + (vq - vq)) != zero
            fresh = False
            if bad_value:
                status[k] = 2
                bad[k] = value
                done[k] = e
                p[:] = backup
                if n_state:
                    s1[:] = backup1
                    s2[:] = backup2
                break
        iterations[k] = t if status[k] < 2 else t - 1


def _exp_py(x):
    """e^x, the loops' exponential: math.exp in Python; compiled, :func:`_exp64` for a float64 (see _compiled)."""
    return math.exp(x)


# e^x = 2^(n/64)·e^r, n = round(64·x/ln 2), r = x − n·ln 2/64 in two parts (Cody and Waite: n·_LN2_HI is exact),
# |r| <= ln 2/128; 2^(n/64) = 2^(n >> 6)·2^(j/64), j = n & 63, from a table of the 64 values' bits.
_SHIFT = 6755399441055744.0  # 1.5·2^52: x + _SHIFT rounds x to an integer, which its low bits hold
_SHIFT_BITS = int(np.float64(_SHIFT).view(np.int64))
_N_LN2 = 64 / math.log(2)
_LN2_HI = 6.93147180369123816490e-01 / 64  # ln 2 rounded to 32 bits (fdlibm's ln2HI), over 64
_LN2_LO = 1.90821492927058770002e-10 / 64  # (ln 2 − ln2HI) / 64
_EXP2_TABLE = np.array([np.float64(np.exp2(np.longdouble(j) / 64)) for j in range(64)]).view(np.int64)
_E2, _E3, _E4, _E5 = 1 / 2, 1 / 6, 1 / 24, 1 / 120


def _exp64(x):
    """e^x of a float64 in arithmetic alone (no call), so that a loop of them compiles to SIMD code.

    Within 3 ulp of NumPy's exp for normal results (4.4e-16 relative; tests/test_tiny_wide.py): the
    polynomial of degree 5 (Estrin's scheme, for a short chain of dependent operations) leaves 3e-17
    on |r| <= ln 2/128. inf above 709.78, 0 below -745.13, subnormals between, NaN for NaN. 2^(n >> 6)
    is applied in two factors, so that only the last product rounds into the subnormals or to inf.
    """
    v = 709.79 if x > 709.79 else x  # exp(709.79) is inf, exp(-745.2) 0: n stays in range
    v = -745.2 if v < -745.2 else v
    t = v * _N_LN2 + _SHIFT
    n = t - _SHIFT
    r = (v - n * _LN2_HI) - n * _LN2_LO
    r2 = r * r
    p = (1.0 + r) + r2 * ((_E2 + _E3 * r) + r2 * (_E4 + _E5 * r))
    whole = np.float64(t).view(np.int64) - _SHIFT_BITS
    whole = whole if v == v else np.int64(0)  # NaN: p is NaN already
    m = whole >> 6
    half = m >> 1
    high = np.int64(_EXP2_TABLE[whole & 63] + (half << 52)).view(np.float64)
    return p * high * np.int64((m - half + 1023) << 52).view(np.float64)


def _backward_py(act, g, z, a, one, zero, slope):
    """∂L/∂z from g = ∂L/∂a for an element-wise activation, as its ``backward`` orders the operations."""
    if act == 1:
        return (one - a) * a * g
    if act == 2:
        return g * (one - a * a)
    if act == 3:
        return g * (one if z > zero else zero)
    if act == 4:
        return g * (one if z > zero else slope)
    if act == 5:
        return g * a
    return g


# -- the same loop with the model axis innermost ----------------------------------------------------
#
# Network k's numbers are lane k of (rows, K) arrays: W[q] is parameter q of every network, A[r], Z[r],
# D[r] row r of the buffers above for every network. Every statement of _train_loop becomes a loop over
# the lanes (which the compiler turns into SIMD code where there is no call: exp, log and tanh stay scalar
# calls, lane by lane), doing for each network the operations _train_loop does, in the same order, with
# the same constants: each network's numbers are the bits _train_loop gives it. A network that stops
# (statuses 1 to 3) leaves the active lanes 0..live-1: its lane is swapped with the last active one, so
# that the loops run over the live networks only; idx[lane] is the network a lane holds.


def _train_wide(
    params, lrs, iterations, state1, state2, X, Y, sizes, acts, slopes, has_bias, loss, c, value_scale,
    value_coef, rule, rc, mask, first, epochs, check_last, losses, correct, done, status, bad,
):  # fmt: skip
    K, P = params.shape
    n = X.shape[0]
    L = acts.shape[0]
    n_out = sizes[L]
    dt = X.dtype
    zero, one, neg_limit, pos_limit = c[_C_ZERO], c[_C_ONE], c[_C_NEG_LIMIT], c[_C_POS_LIMIT]
    scale, factor, n_outputs = c[_C_SCALE], c[_C_FACTOR], c[_C_OUTPUTS]
    woff = np.empty(L, np.int64)
    boff = np.empty(L, np.int64)
    aoff = np.empty(L + 1, np.int64)
    zoff = np.empty(L, np.int64)
    offset = 0
    a_total = n * sizes[0]
    z_total = 0
    aoff[0] = 0
    for l in range(L):
        woff[l] = offset
        offset += sizes[l] * sizes[l + 1]
        boff[l] = offset
        if has_bias:
            offset += sizes[l + 1]
        aoff[l + 1] = a_total
        a_total += n * sizes[l + 1]
        zoff[l] = z_total
        z_total += n * sizes[l + 1]
    A = np.empty((a_total, K), dt)
    Z = np.empty((z_total, K), dt)
    D = np.empty((z_total, K), dt)
    G = np.empty((n_out, K), dt)
    Xf = X.ravel()
    for r in range(n * sizes[0]):
        for k in range(K):
            A[r, k] = Xf[r]  # every network's input rows
    Yf = Y.ravel()
    W = np.empty((P, K), dt)
    S1 = np.empty((P, K), dt)
    S2 = np.empty((P, K), dt)
    g = np.empty((P, K), dt)
    backup = np.empty((P, K), dt)
    backup1 = np.empty((P, K), dt)
    backup2 = np.empty((P, K), dt)
    use_mask = mask.shape[0] > 0
    n_state = 0 if rule == 0 and rc[0] == 0.0 else (2 if rule == 1 else 1)
    for k in range(K):
        for q in range(P):
            W[q, k] = params[k, q]
    if n_state:
        for k in range(K):
            for q in range(P):
                S1[q, k] = state1[k, q]
                S2[q, k] = state2[k, q]
    cast = np.empty(8, dt)
    cast[0] = rc[0]
    momentum = cast[0]
    nesterov = rc[1] != 0.0
    cast[1] = rc[2]
    wd = cast[1]
    cast[2] = rc[3]
    beta1 = cast[2]
    cast[3] = rc[4]
    beta2 = cast[3]
    cast[4] = rc[5]
    rms_eps = cast[4]
    cast[5] = 1.0 - rc[3]
    one_minus_rho = cast[5]
    decoupled = rc[6] != 0.0
    flush_every = int(rc[7])
    tiny = c[_C_TINY]
    out_act = acts[L - 1]
    fused = loss >= 4
    # per lane: the network it holds, its rate, step count, and the epoch's scratch values
    idx = np.arange(K)
    lr_value = lrs.copy()
    lr = np.empty(K, dt)
    t = np.empty(K, np.int64)
    for k in range(K):
        lr[k] = lr_value[k]
        t[k] = iterations[k]
        done[k] = epochs
        status[k] = 0
    eps = np.empty(K, dt)
    step = np.empty(K, dt)
    flush = np.empty(K, dt)  # per lane: the dtype's smallest normal number at a flush step, else 0
    T = np.empty(K, dt)
    top = np.empty(K, dt)
    total = np.empty(K, dt)
    acc = np.empty(K, dt)
    per = np.empty(K, dt)
    norm = np.empty(K, dt)
    value = np.empty(K, np.float64)
    hits = np.empty(K, np.int64)
    hit = np.empty(K, np.bool_)
    best_a = np.empty(K, np.int64)
    bad_value = np.empty(K, np.bool_)
    stop = np.empty(K, np.bool_)
    fresh = first
    live = K
    for e in range(epochs + 1):
        if live == 0 or (e == epochs and not check_last):
            break
        # -- forward
        for l in range(L):
            n_in = sizes[l]
            width = sizes[l + 1]
            ai = aoff[l]
            ao = aoff[l + 1]
            zo = zoff[l]
            wo = woff[l]
            bo = boff[l]
            act = acts[l]
            slope = slopes[l]
            for i in range(n):
                for j in range(width):
                    q = i * width + j
                    zr = zo + q
                    ar = ao + q
                    for m in range(0, n_in, 4):  # a·w summed left to right, four terms a pass
                        _products(Z, zr, m > 0, A, ai + i * n_in + m, 1, W, wo + j * n_in + m, 1, n_in - m, live)
                    # the bias and the activation, in one loop (e^x is arithmetic for a float64: SIMD code)
                    bias_row = bo + j if has_bias else 0
                    if act == 1:  # σ(z) = 1 / (1 + e^(−max(z, −limit)))
                        for k in range(live):
                            s = Z[zr, k] + W[bias_row, k] if has_bias else Z[zr, k]
                            Z[zr, k] = s
                            A[ar, k] = one / (_exp(-(neg_limit if s < neg_limit else s)) + one)
                    elif act == 0 or act == 6:
                        for k in range(live):
                            s = Z[zr, k] + W[bias_row, k] if has_bias else Z[zr, k]
                            Z[zr, k] = s
                            A[ar, k] = s
                    elif act == 2:
                        for k in range(live):
                            s = Z[zr, k] + W[bias_row, k] if has_bias else Z[zr, k]
                            Z[zr, k] = s
                            A[ar, k] = math.tanh(s)
                    elif act == 3:
                        for k in range(live):
                            s = Z[zr, k] + W[bias_row, k] if has_bias else Z[zr, k]
                            Z[zr, k] = s
                            A[ar, k] = zero if s < zero else s
                    elif act == 4:
                        for k in range(live):
                            s = Z[zr, k] + W[bias_row, k] if has_bias else Z[zr, k]
                            Z[zr, k] = s
                            A[ar, k] = s if s > zero else s * slope
                    else:  # e^min(z, limit)
                        for k in range(live):
                            s = Z[zr, k] + W[bias_row, k] if has_bias else Z[zr, k]
                            Z[zr, k] = s
                            A[ar, k] = _exp(pos_limit if s > pos_limit else s)
                if act == 6:
                    r = ao + i * width
                    for k in range(live):
                        top[k] = A[r, k]
                    for j in range(1, width):
                        for k in range(live):
                            zj = A[r + j, k]
                            if zj > top[k] or zj != zj:
                                top[k] = zj
                    for k in range(live):
                        total[k] = zero
                    for j in range(width):
                        for k in range(live):
                            ej = _exp(A[r + j, k] - top[k])
                            A[r + j, k] = ej
                            total[k] += ej
                    for j in range(width):
                        for k in range(live):
                            A[r + j, k] = A[r + j, k] / total[k]
        # -- the loss and δ of the output layer
        zo = zoff[L - 1]
        ao = aoff[L]
        for k in range(live):
            acc[k] = zero
            hits[k] = 0
        if loss == 4:
            for i in range(n):
                for k in range(live):
                    per[k] = zero
                    hit[k] = True
                for j in range(n_out):
                    q = i * n_out + j
                    y = Yf[q]
                    for k in range(live):
                        zq = Z[zo + q, k]
                        per[k] += ((zq if zq > zero else zero) - zq * y) + math.log1p(_exp(-abs(zq)))
                        hit[k] = hit[k] and ((A[ao + q, k] > 0.5) == (y > 0.5))
                for k in range(live):
                    acc[k] += per[k]
                    hits[k] += hit[k]
        elif loss == 5:
            for i in range(n):
                r = zo + i * n_out
                for k in range(live):
                    top[k] = Z[r, k]
                for j in range(1, n_out):
                    for k in range(live):
                        zj = Z[r + j, k]
                        if zj > top[k] or zj != zj:
                            top[k] = zj
                for k in range(live):
                    total[k] = zero
                for j in range(n_out):
                    for k in range(live):
                        total[k] += _exp(Z[r + j, k] - top[k])
                for k in range(live):
                    T[k] = math.log(total[k]) + top[k]  # log-sum-exp
                    best_a[k] = 0
                best_y = 0
                for j in range(n_out):
                    q = i * n_out + j
                    for k in range(live):
                        acc[k] += Yf[q] * (Z[r + j, k] - T[k])
                        if A[ao + q, k] > A[ao + i * n_out + best_a[k], k]:
                            best_a[k] = j
                    if Yf[q] > Yf[i * n_out + best_y]:
                        best_y = j
                for k in range(live):
                    hits[k] += n_out == 1 or best_a[k] == best_y
            for k in range(live):
                acc[k] = -acc[k]
        elif loss == 6:
            for i in range(n):
                for k in range(live):
                    per[k] = zero
                for j in range(n_out):
                    q = i * n_out + j
                    y = Yf[q]
                    ylogy = y * math.log(y if y > 0 else one)
                    for k in range(live):
                        per[k] += ((A[ao + q, k] - y * Z[zo + q, k]) + ylogy) - y
                for k in range(live):
                    acc[k] += per[k]
        else:
            slope = slopes[L - 1]
            for i in range(n):
                for j in range(n_out):
                    q = i * n_out + j
                    y = Yf[q]
                    for k in range(live):
                        d = A[ao + q, k] - y
                        if loss == 3:
                            acc[k] += abs(d)
                            T[k] = (one if d > zero else (-one if d < zero else d * zero)) / n_outputs * scale
                        else:
                            acc[k] += d * d
                            T[k] = d * factor * scale
                    if out_act == 6:
                        for k in range(live):
                            G[j, k] = T[k]
                    else:
                        _backward_lanes(out_act, T, Z, A, zo + q, ao + q, D, one, zero, slope, live)
                if out_act == 6:
                    r = i * n_out
                    for k in range(live):
                        total[k] = zero
                    for j in range(n_out):
                        for k in range(live):
                            total[k] += G[j, k] * A[ao + r + j, k]
                    for j in range(n_out):
                        for k in range(live):
                            D[zo + r + j, k] = A[ao + r + j, k] * (G[j, k] - total[k])
        for k in range(live):
            if loss == 3:
                value[k] = float(acc[k]) / value_coef * value_scale
            else:
                value[k] = value_coef * float(acc[k]) * value_scale
        if e == epochs:  # the weights of the last update, checked once more
            for k in range(live):
                if not math.isfinite(value[k]):
                    net = idx[k]
                    status[net] = 3
                    bad[net] = value[k]
                    done[net] = epochs - 1
                    for q in range(P):
                        W[q, k] = backup[q, k]
                    if n_state:
                        for q in range(P):
                            S1[q, k] = backup1[q, k]
                            S2[q, k] = backup2[q, k]
            break
        if fused:
            for q in range(n * n_out):
                y = Yf[q]
                for k in range(live):
                    D[zo + q, k] = (A[ao + q, k] - y) * scale
        # -- backward
        for k in range(live):
            norm[k] = zero
        for l in range(L - 1, -1, -1):
            n_in = sizes[l]
            width = sizes[l + 1]
            zo = zoff[l]
            ai = aoff[l]
            wo = woff[l]
            bo = boff[l]
            for j in range(width):
                for m in range(n_in):
                    gr = wo + j * n_in + m
                    for i in range(0, n, 4):  # δ·a over the samples, left to right, four a pass
                        _products(g, gr, i > 0, D, zo + i * width + j, width, A, ai + i * n_in + m, n_in, n - i, live)
                    for k in range(live):
                        norm[k] += g[gr, k] * g[gr, k]
                if has_bias:
                    gr = bo + j
                    for k in range(live):
                        g[gr, k] = D[zo + j, k]
                    for i in range(1, n - 1):
                        for k in range(live):
                            g[gr, k] += D[zo + i * width + j, k]
                    if n > 1:
                        last = n - 1
                        for k in range(live):
                            s = g[gr, k] + D[zo + last * width + j, k]
                            g[gr, k] = s
                            norm[k] += s * s
                    else:
                        for k in range(live):
                            norm[k] += g[gr, k] * g[gr, k]
            if l:
                below = zoff[l - 1]
                act = acts[l - 1]
                slope = slopes[l - 1]
                for i in range(n):
                    for m in range(n_in):
                        for k in range(live):
                            T[k] = D[zo + i * width, k] * W[wo + m, k]
                        for j in range(1, width):
                            for k in range(live):
                                T[k] += D[zo + i * width + j, k] * W[wo + j * n_in + m, k]
                        q = i * n_in + m
                        _backward_lanes(act, T, Z, A, below + q, ai + q, D, one, zero, slope, live)
        any_stop = False
        for k in range(live):
            stop[k] = not (math.isfinite(value[k]) and math.isfinite(norm[k]))
            net = idx[k]
            if stop[k]:
                status[net] = 1
                bad[net] = value[k]
                done[net] = e
                any_stop = True
            else:
                losses[net, e] = value[k]
                correct[net, e] = hits[k]
        if any_stop:
            live = _leave(stop, live, idx, value, lr, lr_value, t, W, S1, S2, g, backup, backup1, backup2)
        # -- the update
        for k in range(live):
            t[k] += 1
            bad_value[k] = False
        if n_state:
            for q in range(P):
                for k in range(live):
                    backup1[q, k] = S1[q, k]
                    backup2[q, k] = S2[q, k]
        if rule == 0 and wd == zero and momentum == zero:  # plain SGD, its own loop (no branches)
            for q in range(P):
                for k in range(live):
                    pq = W[q, k]
                    backup[q, k] = pq
                    pq = pq - g[q, k] * lr[k]
                    W[q, k] = pq
                    bad_value[k] |= (pq - pq) != (pq - pq)
        elif rule == 0:
            for q in range(P):
                mq = mask[q] if use_mask else one
                for k in range(live):
                    pq = W[q, k]
                    backup[q, k] = pq
                    d = g[q, k]
                    if wd != zero:
                        d = d + (pq * wd if not use_mask else pq * wd * mq)
                    if momentum != zero:
                        b = d if fresh else S1[q, k] * momentum + d
                        S1[q, k] = b
                        d = b * momentum + d if nesterov else b
                    pq = pq - d * lr[k]
                    W[q, k] = pq
                    bad_value[k] |= (pq - pq) != (pq - pq)
        elif rule == 1:
            for k in range(live):
                if k and t[k] == t[k - 1] and lr_value[k] == lr_value[k - 1]:
                    eps[k] = eps[k - 1]
                    step[k] = step[k - 1]
                    flush[k] = flush[k - 1]
                    continue
                root_c2 = math.sqrt(1.0 - math.pow(rc[4], float(t[k])))
                cast[6] = rc[5] * root_c2
                eps[k] = cast[6]
                cast[7] = -lr_value[k] * root_c2 / (1.0 - math.pow(rc[3], float(t[k])))
                step[k] = cast[7]
                flush[k] = tiny if t[k] % flush_every == 0 else zero  # subnormal m to ±0 (kernels.adam's flush)
            for q in range(P):
                mq = mask[q] if use_mask else one
                for k in range(live):
                    pq = W[q, k]
                    backup[q, k] = pq
                    gq = g[q, k]
                    if wd != zero:
                        decay = pq * wd if not use_mask else pq * wd * mq
                        if decoupled:
                            pq = pq - decay * lr[k]
                        else:
                            gq = gq + decay
                    m1 = (S1[q, k] - gq) * beta1 + gq
                    m1 = m1 * zero if abs(m1) < flush[k] else m1
                    g2 = gq * gq
                    v2 = (S2[q, k] - g2) * beta2 + g2
                    pq = pq + m1 / (math.sqrt(v2) + eps[k]) * step[k]
                    S1[q, k] = m1
                    S2[q, k] = v2
                    W[q, k] = pq
                    bad_value[k] |= ((pq - pq) + (m1 - m1) + (v2 - v2)) != zero
        else:
            for q in range(P):
                mq = mask[q] if use_mask else one
                for k in range(live):
                    pq = W[q, k]
                    backup[q, k] = pq
                    gq = g[q, k]
                    if wd != zero:
                        gq = gq + (pq * wd if not use_mask else pq * wd * mq)
                    v2 = S1[q, k] * beta1 + gq * gq * one_minus_rho
                    pq = pq - gq / (math.sqrt(v2) + rms_eps) * lr[k]
                    S1[q, k] = v2
                    W[q, k] = pq
                    bad_value[k] |= ((pq - pq) + (v2 - v2)) != zero
        fresh = False
        any_stop = False
        for k in range(live):
            stop[k] = bad_value[k]
            if stop[k]:
                net = idx[k]
                status[net] = 2
                bad[net] = value[k]
                done[net] = e
                any_stop = True
                for q in range(P):
                    W[q, k] = backup[q, k]
                if n_state:
                    for q in range(P):
                        S1[q, k] = backup1[q, k]
                        S2[q, k] = backup2[q, k]
        if any_stop:
            live = _leave(stop, live, idx, value, lr, lr_value, t, W, S1, S2, g, backup, backup1, backup2)
    for k in range(K):
        net = idx[k]
        for q in range(P):
            params[net, q] = W[q, k]
        if n_state:
            for q in range(P):
                state1[net, q] = S1[q, k]
                state2[net, q] = S2[q, k]
        iterations[net] = t[k] if status[net] < 2 else t[k] - 1


def _products_py(out, r, add, X1, r1, s1, X2, r2, s2, count, live):
    """Row r of out = (out[r] if add) + X1[r1]·X2[r2] + X1[r1 + s1]·X2[r2 + s2] + ... (min(count, 4) terms).

    Summed left to right, as the scalar loop's ``s += a·b`` sums them, lane by lane, in one pass.
    """
    if count >= 4:
        if add:
            for k in range(live):
                out[r, k] = (
                    ((out[r, k] + X1[r1, k] * X2[r2, k]) + X1[r1 + s1, k] * X2[r2 + s2, k])
                    + X1[r1 + 2 * s1, k] * X2[r2 + 2 * s2, k]
                ) + X1[r1 + 3 * s1, k] * X2[r2 + 3 * s2, k]
        else:
            for k in range(live):
                out[r, k] = (
                    (X1[r1, k] * X2[r2, k] + X1[r1 + s1, k] * X2[r2 + s2, k]) + X1[r1 + 2 * s1, k] * X2[r2 + 2 * s2, k]
                ) + X1[r1 + 3 * s1, k] * X2[r2 + 3 * s2, k]
    elif count == 3:
        if add:
            for k in range(live):
                out[r, k] = ((out[r, k] + X1[r1, k] * X2[r2, k]) + X1[r1 + s1, k] * X2[r2 + s2, k]) + X1[
                    r1 + 2 * s1, k
                ] * X2[r2 + 2 * s2, k]
        else:
            for k in range(live):
                out[r, k] = (X1[r1, k] * X2[r2, k] + X1[r1 + s1, k] * X2[r2 + s2, k]) + X1[r1 + 2 * s1, k] * X2[
                    r2 + 2 * s2, k
                ]
    elif count == 2:
        if add:
            for k in range(live):
                out[r, k] = (out[r, k] + X1[r1, k] * X2[r2, k]) + X1[r1 + s1, k] * X2[r2 + s2, k]
        else:
            for k in range(live):
                out[r, k] = X1[r1, k] * X2[r2, k] + X1[r1 + s1, k] * X2[r2 + s2, k]
    elif add:
        for k in range(live):
            out[r, k] = out[r, k] + X1[r1, k] * X2[r2, k]
    else:
        for k in range(live):
            out[r, k] = X1[r1, k] * X2[r2, k]


def _leave_py(stop, live, idx, value, lr, lr_value, t, W, S1, S2, g, backup, backup1, backup2):
    """Move the lanes marked in ``stop`` past the live ones (each swapped with the last live lane); the new count."""
    k = 0
    while k < live:
        if not stop[k]:
            k += 1
            continue
        live -= 1
        stop[k], stop[live] = stop[live], stop[k]
        idx[k], idx[live] = idx[live], idx[k]
        value[k], value[live] = value[live], value[k]
        lr[k], lr[live] = lr[live], lr[k]
        lr_value[k], lr_value[live] = lr_value[live], lr_value[k]
        t[k], t[live] = t[live], t[k]
        for M in (W, S1, S2, g, backup, backup1, backup2):
            for q in range(M.shape[0]):
                M[q, k], M[q, live] = M[q, live], M[q, k]
    return live


def _backward_lanes_py(act, g, Z, A, zr, ar, D, one, zero, slope, live):
    """Row zr of D from the lanes of g = ∂L/∂a, as _backward_py orders the operations, one loop per activation."""
    if act == 1:
        for k in range(live):
            a = A[ar, k]
            D[zr, k] = (one - a) * a * g[k]
    elif act == 2:
        for k in range(live):
            a = A[ar, k]
            D[zr, k] = g[k] * (one - a * a)
    elif act == 3:
        for k in range(live):
            D[zr, k] = g[k] * (one if Z[zr, k] > zero else zero)
    elif act == 4:
        for k in range(live):
            D[zr, k] = g[k] * (one if Z[zr, k] > zero else slope)
    elif act == 5:
        for k in range(live):
            D[zr, k] = g[k] * A[ar, k]
    else:
        for k in range(live):
            D[zr, k] = g[k]


#: The activations' way back, called by the loop: replaced by its compiled self before the loop compiles.
_backward: Callable[..., Any] = _backward_py
_exp: Callable[[Any], Any] = _exp_py  # the loops' e^x, compiled as its overload (_compiled)
#: The wide loop's helpers, likewise replaced by their compiled selves before it compiles.
_backward_lanes: Callable[..., Any] = _backward_lanes_py
_leave: Callable[..., Any] = _leave_py
_products: Callable[..., Any] = _products_py
_loop: Callable[..., None] | None = None
_wide: Callable[..., None] | None = None


def _compiled() -> Callable[..., None]:
    """The loop compiled by numba (once per machine and dtype: cache=True), imported on first use."""
    global _loop, _backward
    if _loop is None:
        try:
            import numba  # the fast extra, imported when first needed
        except ImportError as exc:
            raise ImportError(  # the words of kernels.py's: one extra, one message
                f"the numba kernels need numba ({exc}): install the fast extra, pip install 'chainrule[fast]', "
                "or choose CHAINRULE_KERNELS=numpy"
            ) from None
        # fastmath=False and error_model="numpy": IEEE arithmetic as NumPy's (inf, not an exception).
        jit = numba.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")
        # _exp: _exp64 (SIMD-able, inlined) for a float64, the C library's expf for a float32
        from numba.extending import overload

        overload(_exp_py)(lambda x: _exp64 if x == numba.types.float64 else (lambda x: math.exp(x)))
        _backward = jit(_backward_py)  # compiled into the loop, which finds it by this name
        _loop = jit(_train_loop)
    return _loop


def _compiled_wide() -> Callable[..., None]:
    """The wide loop compiled by numba (as :func:`_compiled`: once per machine and dtype)."""
    global _wide, _backward_lanes, _leave, _products
    if _wide is None:
        _compiled()  # imports numba (or raises its ImportError)
        import numba

        jit = numba.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")
        _backward_lanes = jit(_backward_lanes_py)
        _leave = jit(_leave_py)
        _products = jit(_products_py)
        _wide = jit(_train_wide)
    return _wide


# -- the entry points -------------------------------------------------------------------------


def _constants(net: Network, n_samples: int) -> tuple[np.ndarray, float, float]:
    """The dtype constants of the loop (order: the _C_ indices), the value's reduction scale and coefficient."""
    dt = net.dtype
    limit = float(np.log(np.finfo(dt).max)) - 1.0  # activations.py's _EXP_LIMIT
    name = net.loss_function.name
    k = net.n_outputs
    coefficient = {"half_squared_error": 0.5, "squared_error": 1.0, "mse": 1.0 / k}.get(name, 1.0)
    factor = 2.0 * coefficient if name in ("squared_error", "mse") else 1.0
    scale = net.batch_scale(n_samples)
    c = np.array([0.0, 1.0, -limit, limit, scale, factor, k, np.finfo(dt).tiny], dtype=dt)
    if name == "mae":
        coefficient = float(k)  # the value is divided by K (losses.py), not multiplied by 1/K
    return c, scale, coefficient


def train_many(
    net: Network,
    params: np.ndarray,
    learning_rates: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    epochs: int,
    optimizer: Optimizer,
    state: dict[str, np.ndarray] | None = None,
    iterations: np.ndarray | None = None,
    check_last: bool = True,
) -> TinyResult:
    """Train K networks of ``net``'s architecture, full batch, ``epochs`` epochs each, in one compiled call.

    Parameters
    ----------
    net : Network
        The architecture (sizes, activations, loss, reduction, bias, dtype); its own parameters are not used.
    params : ndarray of shape (K, n_parameters), the network's dtype, C-contiguous
        Row k is network k's flat parameter vector, laid out as ``net.params``; updated in place.
    learning_rates : ndarray of shape (K,)
        Each network's learning rate (replaces ``optimizer.learning_rate``).
    X : ndarray of shape (n_samples, n_inputs); Y : ndarray of shape (n_samples, n_outputs)
        Checked arrays of the network's dtype (``net.check_XY``), the same for every network; X
        also integers for a network with ``input_scale``, which scales X here (once per call,
        :meth:`~chainrule.core.network.Network.scale_inputs`), as its forward pass does.
    epochs : int >= 0
    optimizer : Optimizer
        ``SGD``, ``Adam``, ``AdamW`` or ``RMSProp`` without a schedule (see :func:`supported`): its
        settings; its state is not used.
    state : dict of ndarray of shape (K, n_parameters), optional
        The optimiser's state per network, by ``optimizer.state_names`` (``momentum_buffer``; ``m``, ``v``;
        ``square_avg``), updated in place; missing names are added (zeros; a new momentum buffer takes
        the first gradient, as ``torch.optim.SGD``).
    iterations : ndarray of shape (K,), int64, optional
        Each network's step count before this call (Adam's bias correction), updated in place (the
        steps kept: a diverged network's last update is not counted); zeros if None.
    check_last : bool
        Also compute the loss on the weights of the last update and stop with status 3 if it is not
        finite (what ``fit`` does at its end).

    Returns
    -------
    TinyResult
        Per network and epoch the loss and the rows classified right, and per network the epochs
        completed and why it stopped. A network that diverges stops; the others go on.

    Examples
    --------
    >>> import numpy as np
    >>> import chainrule as cr
    >>> from chainrule.training import tiny
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    >>> Y = np.array([[0], [1], [1], [0]], float)
    >>> nets = [cr.Network([2, 2, 1], reduction="sum", seed=s) for s in range(3)]
    >>> params = np.stack([n.params for n in nets])
    >>> result = tiny.train_many(nets[0], params, np.full(3, 0.5), X, Y, 1000, cr.SGD())  # doctest: +SKIP
    >>> result.loss.shape, list(result.epochs_done)  # doctest: +SKIP
    ((3, 1000), [1000, 1000, 1000])
    """
    reason = _unsupported_settings(net, optimizer)
    if reason is not None:
        raise ValueError(f"the compiled loop cannot train this: {reason}; use Network.fit (the NumPy engine)")
    dt = net.dtype
    if params.ndim != 2 or params.shape[1] != net.n_parameters or params.dtype != dt:
        raise ValueError(
            f"params must be a (K, {net.n_parameters}) {dt.name} array (one flat parameter vector per row); "
            f"got shape {params.shape}, dtype {params.dtype}"
        )
    if not params.flags.c_contiguous:
        raise ValueError("params must be C-contiguous (it is updated in place): pass np.ascontiguousarray(params)")
    n_models = params.shape[0]
    lrs = np.ascontiguousarray(learning_rates, dtype=np.float64)
    if lrs.shape != (n_models,):
        raise ValueError(f"learning_rates must have shape ({n_models},), one per row of params; got {lrs.shape}")
    for name, array in (("X", X), ("Y", Y)):
        width = net.n_inputs if name == "X" else net.n_outputs
        kept = name == "X" and net.input_scale is not None and array.dtype.kind in "iu"  # integers check_X keeps
        if array.ndim != 2 or array.shape[1] != width or not (array.dtype == dt or kept) or array.shape[0] != len(X):
            raise ValueError(
                f"{name} must be a checked (n_samples, {width}) {dt.name} array (net.check_XY); got shape "
                f"{array.shape}, dtype {array.dtype}"
            )
    X = net.scale_inputs(X)  # a₀ = s·X with the network's input_scale: the loop's first layer reads a₀
    rule = _RULES[type(optimizer)]
    state = {} if state is None else state
    first = "momentum_buffer" not in state  # a new buffer takes the first gradient (SGD with momentum)
    for name in optimizer.state_names:
        if name not in state:
            state[name] = np.zeros_like(params)
        elif state[name].shape != params.shape or state[name].dtype != dt or not state[name].flags.c_contiguous:
            raise ValueError(f"state[{name!r}] must be a C-contiguous {params.shape} {dt.name} array")
    arrays = [state[name] for name in optimizer.state_names]
    while len(arrays) < 2:
        arrays.append(np.empty_like(params))  # scratch the loop reads and never uses
    state1, state2 = arrays
    if iterations is None:
        iterations = np.zeros(n_models, np.int64)
    result = TinyResult(
        np.empty((n_models, epochs)),
        np.zeros((n_models, epochs), np.int64),
        np.empty(n_models, np.int64),
        np.empty(n_models, np.int64),
        np.full(n_models, np.nan),
    )
    _run(net, params, lrs, iterations, state1, state2, X, Y, epochs, optimizer, rule, first, check_last, result)
    return result


def _run(net, params, lrs, iterations, state1, state2, X, Y, epochs, optimizer, rule, first, check_last, result):
    """Call the compiled loop with the constants of ``net`` and ``optimizer``."""
    c, value_scale, value_coef = _constants(net, X.shape[0])
    dt = net.dtype
    sizes = np.array(net.sizes, np.int64)
    acts = np.array([_ACTIVATIONS[layer.activation.name] for layer in net.layers], np.int64)
    slopes = np.array([getattr(layer.activation, "negative_slope", 0.0) for layer in net.layers], dt)
    wd = float(optimizer.weight_decay)
    mask = net.weight_mask if wd and optimizer.weight_decay_on == "weights" else np.empty(0, dt)
    rc = np.zeros(8)
    rc[7] = kernels.FLUSH_EVERY
    if rule == 0:
        sgd: Any = optimizer
        rc[0], rc[1], rc[2] = sgd.momentum, float(sgd.nesterov), wd
    elif rule == 1:
        adam: Any = optimizer
        rc[2], rc[3], rc[4], rc[5], rc[6] = wd, adam.beta1, adam.beta2, adam.epsilon, float(adam.decoupled_weight_decay)
    else:
        rms: Any = optimizer
        rc[2], rc[3], rc[5] = wd, rms.rho, rms.epsilon
    loop = _compiled_wide() if params.shape[0] >= MIN_WIDE else _compiled()
    loop(
        params, lrs, iterations, state1, state2, np.ascontiguousarray(X), np.ascontiguousarray(Y), sizes, acts,
        slopes, net.bias, _LOSSES[net.loss_function.name], c, value_scale, value_coef, rule, rc,
        np.ascontiguousarray(mask), first, int(epochs), bool(check_last), result.loss, result.correct,
        result.epochs_done, result.status, result.bad_loss,
    )  # fmt: skip


def train_network(
    net: Network, optimizer: Optimizer, X: np.ndarray, Y: np.ndarray, epochs: int, check_last: bool = True
) -> TinyResult:
    """:func:`train_many` for ``net`` itself (K = 1): its parameters and ``optimizer``'s state, in place.

    What the fit loop calls. The optimiser's step and epoch counts advance by the epochs completed and
    its state is kept as its own ``step`` keeps it, so that a later ``fit`` on either path continues it.
    """
    if optimizer.state:
        state = {name: optimizer.state[0][name].reshape(1, -1) for name in optimizer.state_names}  # views
    else:
        state = {}
    had_state = bool(optimizer.state)
    iterations = np.array([optimizer.iterations], np.int64)
    result = train_many(
        net,
        net.params.reshape(1, -1),
        np.array([optimizer.lr_]),
        X,
        Y,
        epochs,
        optimizer,
        state,
        iterations,
        check_last,
    )
    done = int(result.epochs_done[0])
    optimizer.iterations = int(iterations[0])
    optimizer.epochs_ += done
    plain = type(optimizer) is SGD and not (optimizer.momentum or optimizer.weight_decay)
    if not had_state and done and not plain:  # the state Optimizer.step makes on its first step
        optimizer.state = [{**{name: state[name].reshape(-1) for name in state}, "_scratch": np.empty_like(net.params)}]
    return result
