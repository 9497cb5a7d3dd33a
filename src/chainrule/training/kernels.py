"""Fused parameter updates: each optimiser's rule over the flat vector, in NumPy and in numba, side by side.

An optimiser's step is one element-wise rule applied to every parameter
(see :mod:`chainrule.training.optimizers` for the rules and their
``torch.optim`` namesakes). This module holds each rule twice, written in
the same order of operations:

- ``_adam_numpy`` and friends: the **reference**, a handful of in-place
  NumPy passes over the array (always available, and the fallback);
- ``_adam_loop`` and friends: the same rule as one loop over the elements,
  compiled by numba (the ``fast`` extra, ``pip install 'chainrule[fast]'``)
  into one pass over memory that the CPU's vector units run. It is used
  automatically when numba is installed (for vectors of :data:`SMALL`
  elements or more: below that, importing numba costs more than it saves).

Both return whether every updated parameter and state value is finite
(the finite check folded into the update): the loop checks each value it
writes, the NumPy path the few arrays that imply the others (each function
says which and why). The public functions :func:`sgd`, :func:`adam` and
:func:`rmsprop` run the chosen kernel over per-core chunks of the vector on
a thread pool when the vector is large enough to pay for it (NumPy and the
compiled loops both release the GIL), and return the flag of all chunks.

Equality of the two paths: every step is an IEEE operation (+, −, ×, ÷, √)
on values of the array's dtype, in the same order, with the constants
rounded to that dtype as NumPy rounds a Python float (numba compiles with
``fastmath=False``, so nothing is reassociated or contracted into an FMA).
The two paths therefore give **the same bits**, in float32 and float64, and
so does any number of threads (an element's update does not depend on the
chunk it falls in). ``tests/test_kernels.py`` checks all three.

Choosing: the environment variable ``CHAINRULE_KERNELS`` (``auto``, the
default; ``numpy``; ``numba``) or :func:`set_kernels`; the threads:
``CHAINRULE_THREADS`` or :func:`set_threads` (default: the cores this
process may run on).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = [
    "FLUSH_EVERY",
    "KERNELS",
    "MIN_CHUNK",
    "MIN_CHUNK_COMPILED",
    "SMALL",
    "adam",
    "all_finite",
    "chunks",
    "cross_entropy",
    "engine_passes",
    "kernels_in_use",
    "requested",
    "rmsprop",
    "set_kernels",
    "set_threads",
    "sgd",
    "threads",
]

#: The values of ``CHAINRULE_KERNELS`` and :func:`set_kernels`.
KERNELS = ("auto", "numpy", "numba")

#: The fewest elements a thread is given on the NumPy path: below 2·MIN_CHUNK an update runs on the calling
#: thread alone. Measured with ``benchmarks/optimizers.py --sweep`` on a 2-core machine shared with other work:
#: a second thread paid only from about 512k float32 elements (handing a chunk over costs tens of µs, far
#: more when the other core is busy). On a machine with idle cores, lower it (or raise CHAINRULE_THREADS).
MIN_CHUNK = 1 << 18
#: The same for the compiled loops, about 5x faster per element than NumPy: in the same sweep a second
#: thread did not pay below about 1M elements, so they split from 2M.
MIN_CHUNK_COMPILED = 1 << 20
#: With ``auto``, vectors shorter than this take the NumPy path (the same bits): for a tiny network the
#: compiled call saves a few µs a step, less than importing numba (about a second) costs a short run.
#: An explicit ``numba`` choice compiles every size.
SMALL = 4096

#: ``Adam`` flushes subnormal first moments to ±0 every this many steps (see :func:`adam`): on the NumPy
#: path each flush costs three passes over m (every step would make an epoch of Fashion-MNIST 0.1 s slower),
#: and an m decaying by β1 = 0.9 a step spends at most this many steps subnormal instead of about 150.
FLUSH_EVERY = 16

_ALIGN = 64  # chunk bounds fall on multiples of 64 elements (whole cache lines, whole vectors)


# -- the rules, twice: NumPy passes (the reference) and one compiled loop ------------------------
#
# Arguments, the same for both: p the parameters, g the gradient (the NumPy path may overwrite it),
# the optimiser's state arrays, tmp a scratch array (NumPy path only), mask (None: weight decay applies to
# every element; else 1 for a weight, 0 for a bias), then the constants, wd = λ first (0: no decay): as
# scalars for the NumPy passes, as one array c of the parameters' dtype for a loop (its flags 0 or 1), which
# the compiled call takes in one argument (converting the scalars one by one cost 1.8 µs of a 47 µs update).


#: Up to this many elements :func:`all_finite` asks one sum first (one call, against max and min: 1 µs of 2
#: for 100 XOR networks' 900 parameters); a long float32 vector's pairwise sum costs more than its max and min.
_SUM_CHECK = 4096


def all_finite(x: np.ndarray, nonnegative: bool = False) -> bool:
    """Whether every element of x is finite: its max and min are (NaN propagates through both).

    ``nonnegative``: x holds no negative number or −inf (a second moment), so its max alone tells.
    """
    if not x.size:
        return True
    if x.size <= _SUM_CHECK and math.isfinite(float(np.add.reduce(x, axis=None))):
        return True  # a short vector (a tiny network, a stack of them): one sum, finite only if every element is
    if not math.isfinite(float(np.maximum.reduce(x, axis=None))):
        return False
    return nonnegative or math.isfinite(float(np.minimum.reduce(x, axis=None)))


def _l2_numpy(p, wd, mask, out):
    """λ·p where the decay applies (0 elsewhere), into out."""
    np.multiply(p, wd, out=out)
    if mask is not None:
        out *= mask
    return out


def _sgd_numpy(p, g, buf, tmp, mask, wd, lr, momentum, nesterov, first):
    """p ← p − η·d, d = g + λ·p, or with momentum b ← μ·b + d (b = d at first), d = b or d + μ·b (Nesterov).

    Checks p only: a non-finite b or g makes p non-finite (η > 0).
    """
    if wd:
        g += _l2_numpy(p, wd, mask, tmp)
    if momentum:
        if first:
            np.copyto(buf, g)
        else:
            buf *= momentum
            buf += g
        if nesterov:
            np.multiply(buf, momentum, out=tmp)
            tmp += g
            g = tmp
        else:
            g = buf
    np.multiply(g, lr, out=tmp)
    p -= tmp
    return all_finite(p)


def _sgd_loop(p, g, buf, tmp, mask, c):
    wd, lr, momentum, nesterov, first = c[0], c[1], c[2], c[3] != 0, c[4] != 0
    bad = False
    for i in range(p.size):
        pi = p[i]
        d = g[i]
        if wd:
            d = d + (pi * wd if mask is None else pi * wd * mask[i])
        if momentum:
            b = d if first else buf[i] * momentum + d
            buf[i] = b
            d = b * momentum + d if nesterov else b
        pi = pi - d * lr
        p[i] = pi
        bad |= (pi - pi) != (pi - pi)  # x − x is 0 for a finite x, NaN for ±inf and NaN
    return not bad


def _adam_numpy(p, g, m, v, tmp, mask, wd, decoupled, lr, beta1, beta2, eps, scale, tiny):
    """Adam (decoupled: AdamW's p ← p − η·λ·p first; else L2 g ← g + λ·p), then
    m ← β1·(m − g) + g, v ← β2·(v − g²) + g², p ← p + scale·m/(√v + eps), and, when ``tiny``
    is not 0, an m of size below ``tiny`` (the dtype's smallest normal number) flushed to ±0.

    ``eps`` and ``scale`` carry the bias corrections (see ``Adam._update``). Checks p and v:
    v is never negative, and a non-finite m with a finite v makes p non-finite.

    The flush: where a gradient element stays 0 (an input pixel that is 0 in every image of the
    batch, a unit that ReLU keeps off), m only decays, m ← β1·m, and within a few hundred steps falls
    below the smallest normal float (1.2e-38 in float32) into the subnormals, where every operation
    on it costs the CPU a microcode assist (~100 cycles): after an epoch of Fashion-MNIST 2% of m
    were subnormal, which made the whole update 2.5x slower, on both paths. ``Adam`` flushes every
    :data:`FLUSH_EVERY` steps (three more passes here, nothing in the loop), which cuts the time
    an m spends subnormal from about 150 steps (down to 0 on its own) to at most that. What it
    changes: an m of size < 1.2e-38 (2.2e-308 in float64) becomes 0 a little sooner, which moves p
    by under 1e-30 of a step (XLA's flush-to-zero, JAX on CPU, flushes every operation). v decays
    a thousand times slower (β2) and is not flushed.
    """
    if wd and decoupled:
        step = _l2_numpy(p, wd, mask, tmp)
        step *= lr
        p -= step
    elif wd:
        g += _l2_numpy(p, wd, mask, tmp)
    # m ← β1·m + (1−β1)·g written as β1·(m − g) + g: three passes, no scratch.
    m -= g
    m *= beta1
    m += g
    if tiny:  # the flush: m ← m·[|m| >= tiny] (NaN·0 is NaN: a non-finite m stays)
        np.absolute(m, out=tmp)
        np.greater_equal(tmp, tiny, out=tmp)
        m *= tmp
    np.multiply(g, g, out=tmp)
    v -= tmp
    v *= beta2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= scale
    p += tmp
    return all_finite(p) and all_finite(v, nonnegative=True)


def _adam_loop(p, g, m, v, tmp, mask, c):
    wd, decoupled, lr, beta1, beta2, eps, scale, tiny = c[0], c[1] != 0, c[2], c[3], c[4], c[5], c[6], c[7]
    bad = False
    zero = tiny - tiny  # 0 of the dtype
    for i in range(p.size):
        pi = p[i]
        gi = g[i]
        if wd:
            decay = pi * wd if mask is None else pi * wd * mask[i]
            if decoupled:
                pi = pi - decay * lr
            else:
                gi = gi + decay
        mi = (m[i] - gi) * beta1 + gi
        if abs(mi) < tiny:  # never when tiny is 0 (no flush)
            mi = mi * zero  # ±0, as the NumPy path's m·0
        g2 = gi * gi
        vi = (v[i] - g2) * beta2 + g2
        pi = pi + mi / (math.sqrt(vi) + eps) * scale
        m[i] = mi
        v[i] = vi
        p[i] = pi
        bad |= ((pi - pi) + (mi - mi) + (vi - vi)) != 0  # NaN != 0: some value is not finite
    return not bad


def _rmsprop_numpy(p, g, v, tmp, mask, wd, lr, rho, one_minus_rho, eps):
    """v ← ρ·v + (1−ρ)·g², p ← p − η·g/(√v + ε), with L2 g ← g + λ·p. Checks p and v (v >= 0)."""
    if wd:
        g += _l2_numpy(p, wd, mask, tmp)
    v *= rho
    np.multiply(g, g, out=tmp)
    tmp *= one_minus_rho
    v += tmp
    np.sqrt(v, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)
    tmp *= lr
    p -= tmp
    return all_finite(p) and all_finite(v, nonnegative=True)


def _rmsprop_loop(p, g, v, tmp, mask, c):
    wd, lr, rho, one_minus_rho, eps = c[0], c[1], c[2], c[3], c[4]
    bad = False
    for i in range(p.size):
        pi = p[i]
        gi = g[i]
        if wd:
            gi = gi + (pi * wd if mask is None else pi * wd * mask[i])
        vi = v[i] * rho + gi * gi * one_minus_rho
        pi = pi - gi / (math.sqrt(vi) + eps) * lr
        v[i] = vi
        p[i] = pi
        bad |= ((pi - pi) + (vi - vi)) != 0
    return not bad


# -- the engine's element-wise passes around the matrix products, for a Workspace ----------------
#
# What Dense.forward and ReLU's forward and backward do on a batch, z (n, k) C-contiguous: z ← z + b,
# a ← max(z, 0) (NumPy's maximum: NaN stays NaN, −0 gives +0), δ ← g·[z > 0]; and Dense.backward's
# ∂L/∂b = Σ_rows δ. The NumPy passes are
# the engine's own code (core/layers.py, core/activations.py), written here again beside the loops
# that mirror them operation by operation, so that a test holds them equal, bit for bit.


def _bias_relu_numpy(z, b, a, zero):
    z += b
    np.maximum(z, zero, out=a)


def _bias_relu_loop(z, b, a, zero):
    n, k = z.shape
    for i in range(n):  # two loops over each row (in L1): they vectorise where one loop writing z and a does not
        for j in range(k):
            z[i, j] += b[j]
        for j in range(k):
            zij = z[i, j]
            a[i, j] = zero if zij <= zero else zij  # NaN <= 0 is false: NaN stays; −0 <= 0: +0


def _relu_backward_numpy(g, z, out, zero, one):
    np.multiply(g, z > zero, out=out)


def _relu_backward_loop(g, z, out, zero, one):
    n, k = z.shape
    for i in range(n):
        for j in range(k):
            out[i, j] = g[i, j] * (one if z[i, j] > zero else zero)


def _column_sum_numpy(d, out):
    np.add.reduce(d, -2, None, out=out)


def _column_sum_loop(d, out):
    n, k = d.shape
    for j in range(k):  # +0, then the rows added one after the other: NumPy's order (−0 + +0 is +0 too)
        out[j] = 0
    for i in range(n):
        for j in range(k):
            out[j] += d[i, j]


def _scale_numpy(x, s, out):
    np.multiply(x, s, out=out, dtype=out.dtype)


def _scale_loop(x, s, out):
    n, k = x.shape
    for i in range(n):  # small integers are exact in the dtype, and so is their product in a wider one: one rounding
        for j in range(k):
            out[i, j] = x[i, j] * s


def _softmax_shift_numpy(z, b, a):
    z += b
    np.subtract(z, np.maximum.reduce(z, -1, keepdims=True), out=a)


def _softmax_shift_loop(z, b, a):
    n, k = z.shape
    for i in range(n):  # z ← z + b, then a ← z − max z, row by row (a NaN max, as np.max's, makes the row NaN)
        for j in range(k):
            z[i, j] += b[j]
        t = z[i, 0]
        for j in range(1, k):
            zj = z[i, j]
            if zj > t or zj != zj:
                t = zj
        for j in range(k):
            a[i, j] = z[i, j] - t


def _softmax_divide_numpy(a, sums):
    a /= sums[:, None]


def _softmax_divide_loop(a, sums):
    n, k = a.shape
    for i in range(n):
        s = sums[i]
        for j in range(k):
            a[i, j] = a[i, j] / s


def _softmax_tops_numpy(z, a, top, amax):
    np.maximum.reduce(z, -1, out=top)
    np.maximum.reduce(a, -1, out=amax)


def _softmax_tops_loop(z, a, top, amax):
    n, k = z.shape
    for i in range(n):  # the largest z and a of each row; a NaN wins, as in np.max
        t = z[i, 0]
        m = a[i, 0]
        for j in range(1, k):
            zj = z[i, j]
            aj = a[i, j]
            if zj > t or zj != zj:
                t = zj
            if aj > m or aj != aj:
                m = aj
        top[i] = t
        amax[i] = m


def _cross_entropy_labels_numpy(z, a, y, top, log_amax, scale, delta, per, one):
    rows = np.arange(y.shape[0])
    np.subtract(top, log_amax, out=per)  # log Σ e^z = max z − log max a (losses._log_sum_exp)
    np.negative(np.subtract(z[rows, y], per, out=per), out=per)  # −(z_y − lse)
    np.copyto(delta, a)
    delta[rows, y] -= one
    delta *= scale
    return int(np.count_nonzero(a.argmax(axis=-1) == y))


def _cross_entropy_labels_loop(z, a, y, top, log_amax, scale, delta, per, one):
    n, k = z.shape
    correct = 0
    for i in range(n):
        label = y[i]
        per[i] = -(z[i, label] - (top[i] - log_amax[i]))
        for j in range(k):
            aj = a[i, j]
            delta[i, j] = ((aj - one) if j == label else aj) * scale
        best = 0  # np.argmax: the first largest, or the first NaN
        value = a[i, 0]
        for j in range(1, k):
            if value != value:
                break
            aj = a[i, j]
            if aj > value or aj != aj:
                value = aj
                best = j
        correct += best == label
    return correct


_NUMPY: dict[str, Callable[..., Any]] = {
    "sgd": _sgd_numpy,
    "adam": _adam_numpy,
    "rmsprop": _rmsprop_numpy,
    "bias_relu": _bias_relu_numpy,
    "relu_backward": _relu_backward_numpy,
    "column_sum": _column_sum_numpy,
    "scale": _scale_numpy,
    "softmax_shift": _softmax_shift_numpy,
    "softmax_divide": _softmax_divide_numpy,
    "softmax_tops": _softmax_tops_numpy,
    "cross_entropy_labels": _cross_entropy_labels_numpy,
}
_LOOPS: dict[str, Callable[..., Any]] = {
    "sgd": _sgd_loop,
    "adam": _adam_loop,
    "rmsprop": _rmsprop_loop,
    "bias_relu": _bias_relu_loop,
    "relu_backward": _relu_backward_loop,
    "column_sum": _column_sum_loop,
    "scale": _scale_loop,
    "softmax_shift": _softmax_shift_loop,
    "softmax_divide": _softmax_divide_loop,
    "softmax_tops": _softmax_tops_loop,
    "cross_entropy_labels": _cross_entropy_labels_loop,
}

# -- choosing the path and the threads --------------------------------------------------------

_choice: str | None = None  # what set_kernels or CHAINRULE_KERNELS asked for (read on first use)
_compiled: dict[str, Callable[..., Any]] | None = None  # the numba kernels, once compiled
_numba_missing: str | None = None  # why numba could not be used (None: not tried or fine)
_threads: int | None = None
_pool: ThreadPoolExecutor | None = None


def set_kernels(name: str | None) -> None:
    """Choose the update kernels: ``"auto"`` (numba when installed, else NumPy), ``"numpy"`` or ``"numba"``.

    ``None`` goes back to the environment variable ``CHAINRULE_KERNELS`` (``auto`` when unset).
    ``"numba"`` without numba installed raises ImportError naming the ``fast`` extra.
    """
    global _choice
    _choice = None if name is None else _check_choice(name, "set_kernels")
    if _choice == "numba":
        _numba_kernels()


def kernels_in_use(n: int = SMALL) -> str:
    """``"numba"`` or ``"numpy"``: the path the next update of ``n`` elements takes."""
    return "numba" if _kernels(n) is not None else "numpy"


def requested() -> str:
    """What :func:`set_kernels` or else ``CHAINRULE_KERNELS`` asks for: ``"auto"``, ``"numpy"`` or ``"numba"``."""
    if _choice is not None:
        return _choice
    return _check_choice(os.environ.get("CHAINRULE_KERNELS", "auto") or "auto", "CHAINRULE_KERNELS")


def set_threads(n: int | None) -> None:
    """Split large updates over at most ``n`` threads (1: never); ``None``: ``CHAINRULE_THREADS`` or every core."""
    global _threads, _pool
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"threads must be an int >= 1 or None; got {n!r}")
    _threads = None if n is None else int(n)
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def threads() -> int:
    """The most threads an update is split over."""
    if _threads is not None:
        return _threads
    value = os.environ.get("CHAINRULE_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"CHAINRULE_THREADS must be an int >= 1; got {value!r}")
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_choice(name: Any, where: str) -> str:
    choice = str(name).strip().lower() if isinstance(name, str) else None
    if choice not in KERNELS:
        raise ValueError(f"{where} must be one of {list(KERNELS)}; got {name!r}")
    return choice


def _kernels(n: int) -> dict[str, Callable[..., bool]] | None:
    """The compiled kernels for an update of n elements, or None for the NumPy path."""
    choice = requested()
    if choice == "numpy":
        return None
    if choice == "numba":
        return _numba_kernels()
    if n < SMALL or (_numba_missing is not None and _compiled is None):
        return None
    return _try_numba()


def _try_numba() -> dict[str, Callable[..., bool]] | None:
    try:
        return _numba_kernels()
    except ImportError:
        return None


def _numba_kernels() -> dict[str, Callable[..., bool]]:
    """The loops compiled by numba (each once per machine: cache=True), imported on first use."""
    global _compiled, _numba_missing
    if _compiled is None:
        try:
            import numba
        except ImportError as exc:
            _numba_missing = str(exc)
            raise ImportError(
                f"the numba kernels need numba ({exc}): install the fast extra, pip install 'chainrule[fast]', "
                "or choose CHAINRULE_KERNELS=numpy"
            ) from None
        # error_model="numpy": a division by zero gives inf as in NumPy (not a Python exception), which
        # also lets the loops vectorise; nogil: the chunks run in parallel on the pool's threads.
        jit = numba.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")
        _compiled = {name: jit(loop) for name, loop in _LOOPS.items()}
    return _compiled


def engine_passes(n_parameters: int, dtype: Any) -> dict[str, Callable[..., Any]] | None:
    """The compiled element-wise passes of the engine, for :attr:`chainrule.core.network.Workspace.passes`.

    None (the engine's NumPy passes) unless the update of ``n_parameters`` elements takes the compiled
    kernels and ``dtype`` is float32 or float64. The passes give the NumPy passes' bits:

    - ``"bias_relu"``: ``(z, b, a)``, z ← z + b, a ← max(z, 0), z and a (n, k), b (k,);
    - ``"relu_backward"``: ``(g, z, out)``, out ← g·[z > 0], all (n, k);
    - ``"bias_softmax"``: ``(z, b, a)``, z ← z + b, a ← softmax(z) row by row, z and a (n, k), b (k,):
      Dense.forward and Softmax.forward, NumPy's exp and row sums between two loops (:func:`bias_softmax`);
    - ``"column_sum"``: ``(d, out)``, out ← Σ_rows d, d (n, k), out (k,): ∂L/∂b, the rows added one
      after the other to 0, the order of NumPy's ``np.add.reduce(d, 0)``;
    - ``"scale"``: ``(x, s, out)``, out ← s·x for integer inputs x (n, k) of at most 16 bits (uint8 pixels),
      s of the dtype, out (n, k) of the dtype: :meth:`chainrule.core.network.Network.scale_inputs`;
    - ``"cross_entropy"``: ``(z, a, y, scale, delta) -> (loss, correct)`` for a softmax output a = softmax(z)
      (n, k) and class labels y (n,): :meth:`chainrule.core.losses.CrossEntropy.evaluate`'s loss (a float)
      and δ = (a − onehot(y))·scale written into ``delta`` (n, k), and the rows whose argmax of a is their
      label (the accuracy count). Its log and its sum are NumPy's own calls; the rest is two loops
      (:func:`cross_entropy`).
    """
    compiled = _kernels(n_parameters)
    dtype = np.dtype(dtype)
    if compiled is None or dtype not in _COMPILED_DTYPES:
        return None
    zero, one = dtype.type(0), dtype.type(1)
    bias_relu, relu_backward = compiled["bias_relu"], compiled["relu_backward"]

    def forward(z: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
        bias_relu(z, b, a, zero)

    def backward(g: np.ndarray, z: np.ndarray, out: np.ndarray) -> None:
        relu_backward(g, z, out, zero, one)

    scratch: list[np.ndarray] = []  # the rows' max z, max a (then its log) and losses, grown to the largest batch
    sums: list[np.ndarray] = []  # the rows' Σ e^(z − max z), grown to the largest batch

    def output(z: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
        n = z.shape[0]
        if not sums or sums[0].shape[0] < n:
            sums[:] = [np.empty(n, dtype)]
        bias_softmax(z, b, a, sums[0][:n], compiled)

    def loss(z: np.ndarray, a: np.ndarray, y: np.ndarray, scale: float, delta: np.ndarray) -> tuple[float, int]:
        n = z.shape[0]
        if not scratch or scratch[0].shape[0] < n:
            scratch[:] = [np.empty(n, dtype) for _ in range(3)]
        top, amax, per = (array[:n] for array in scratch)
        return cross_entropy(z, a, y, scale, delta, top, amax, per, compiled)

    return {
        "bias_relu": forward,
        "relu_backward": backward,
        "bias_softmax": output,
        "column_sum": compiled["column_sum"],
        "scale": compiled["scale"],
        "cross_entropy": loss,
    }


def bias_softmax(
    z: np.ndarray,
    b: np.ndarray,
    a: np.ndarray,
    sums: np.ndarray,
    rules: dict[str, Callable[..., Any]] | None = None,
) -> None:
    """z ← z + b and a ← softmax(z), row by row, in four calls: an output layer's forward pass.

    z and a (n, k) C-contiguous, b (k,), ``sums`` (n,) scratch, all of one dtype. The operations of
    Dense.forward and :meth:`chainrule.core.activations.Softmax.forward` in their order:
    e = z − max z, e^e by ``np.exp`` and the row sums by ``np.add.reduce`` (NumPy's own: its exp
    and its pairwise sum), then e / Σ e; so ``rules`` (the compiled loops; None: the NumPy passes)
    give the engine's bits.
    """
    rules = _NUMPY if rules is None else rules
    rules["softmax_shift"](z, b, a)
    np.exp(a, out=a)
    np.add.reduce(a, -1, out=sums)
    rules["softmax_divide"](a, sums)


def cross_entropy(
    z: np.ndarray,
    a: np.ndarray,
    y: np.ndarray,
    scale: float,
    delta: np.ndarray,
    top: np.ndarray,
    amax: np.ndarray,
    per: np.ndarray,
    rules: dict[str, Callable[..., Any]] | None = None,
) -> tuple[float, int]:
    """Softmax cross-entropy against class labels: the loss, δ and the rows classified right, in four calls.

    z and a = softmax(z) of shape (n, k), labels y (n,) intp in [0, k); δ = (a − onehot(y))·scale is
    written into ``delta`` (n, k); ``top``, ``amax``, ``per`` (n,) are scratch of z's dtype. Returns
    (Σ per-sample loss · scale as a float, the count of rows whose first largest a is their label).
    The operations of :meth:`chainrule.core.losses.CrossEntropy.evaluate` and ``hits`` with labels,
    in their order: per-sample −(z_y − (max z − log max a)), the one log (``np.log``) and the sum
    (``np.add.reduce``) NumPy's own, so that ``rules`` (the compiled loops; None: the NumPy passes)
    give the engine's bits.
    """
    rules = _NUMPY if rules is None else rules
    dtype = z.dtype.type
    rules["softmax_tops"](z, a, top, amax)
    np.log(amax, out=amax)
    correct = rules["cross_entropy_labels"](z, a, y, top, amax, dtype(scale), delta, per, dtype(1))
    return float(np.add.reduce(per)) * scale, int(correct)


def _reset_after_fork() -> None:
    global _pool
    _pool = None  # the pool's threads did not survive the fork: a new one is made when needed


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def chunks(n: int, compiled: bool = False) -> list[tuple[int, int]]:
    """The (start, stop) chunks of range(n) an update is split into, one per thread.

    At most :func:`threads` chunks of at least :data:`MIN_CHUNK` elements (:data:`MIN_CHUNK_COMPILED` for
    the compiled loops), their bounds on multiples of 64.
    """
    least = MIN_CHUNK_COMPILED if compiled else MIN_CHUNK
    if n < 2 * least:
        return [(0, n)]  # one chunk whatever the threads (not asked: a step's few µs)
    k = min(threads(), n // least)
    if k <= 1:
        return [(0, n)]
    cuts = [0] + [(n * i // k) // _ALIGN * _ALIGN for i in range(1, k)] + [n]
    return list(zip(cuts[:-1], cuts[1:]))


def _run(rule: str, arrays: list[np.ndarray | None], constants: list[Any]) -> bool:
    """Apply one rule over the arrays (all of one length, or None), chunked over the threads; the finite flag."""
    global _pool
    p = arrays[0]
    assert p is not None
    if p.ndim != 1:  # a stack's rows (K, n) with a constant per row (K, 1): the reference broadcasts it
        return bool(_NUMPY[rule](*arrays, *constants))
    compiled = _kernels(p.size)
    if compiled is not None and not _compilable(p.dtype, arrays):
        compiled = None  # float16, mixed dtypes: NumPy's rules of promotion, the reference
    kernel: Callable[..., bool]
    if compiled is None:
        kernel = _NUMPY[rule]
    else:
        kernel = compiled[rule]
        # one array of the constants rounded to the array's dtype, as NumPy rounds a Python float operand
        constants = [np.array(constants, p.dtype)]
    bounds = chunks(p.size, compiled is not None)
    if len(bounds) == 1:
        return bool(kernel(*arrays, *constants))
    parts = [[None if a is None else a[lo:hi] for a in arrays] for lo, hi in bounds]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=threads() - 1, thread_name_prefix="chainrule-update")
    if compiled is None:
        errors = np.geterr()  # NumPy's error state is per thread: the caller's applies in the pool
        futures: list[Future] = [_pool.submit(_with_errstate, errors, kernel, *c, *constants) for c in parts[1:]]
    else:
        futures = [_pool.submit(kernel, *c, *constants) for c in parts[1:]]
    finite = bool(kernel(*parts[0], *constants))
    for future in futures:
        finite = bool(future.result()) and finite
    return finite


def _compilable(dtype: np.dtype, arrays: list[np.ndarray | None]) -> bool:
    return dtype in _COMPILED_DTYPES and all(a is None or a.dtype == dtype for a in arrays)


_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _with_errstate(errors: Any, kernel: Callable[..., bool], *args: Any) -> bool:
    with np.errstate(**errors):
        return kernel(*args)


# -- the public entry points, one per rule ------------------------------------------------------


def sgd(
    p: np.ndarray,
    g: np.ndarray,
    buf: np.ndarray | None,
    tmp: np.ndarray,
    *,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
    first: bool = False,
    weight_decay: float = 0.0,
    mask: np.ndarray | None = None,
) -> bool:
    """SGD in place on p (n,) from g (n,); ``buf`` (n,) the momentum buffer (``first``: fill it with g).

    Every function also takes a stack's rows, arrays of shape (K, n), with any constant as one
    per row, (K, 1) of the arrays' dtype (one learning rate per model): the NumPy passes run them.

    g may be overwritten; tmp (n,) is scratch. Returns whether p (and the buffer) are all finite.
    """
    return _run("sgd", [p, g, p if buf is None else buf, tmp, mask], [weight_decay, lr, momentum, nesterov, first])


def adam(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    tmp: np.ndarray,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    scale: float,
    weight_decay: float = 0.0,
    mask: np.ndarray | None = None,
    decoupled: bool = False,
    flush: bool = False,
) -> bool:
    """Adam in place on p, m, v (n,) from g (n,); ``eps`` and ``scale`` with the bias corrections in them.

    ``flush``: then set every m of size below the dtype's smallest normal number to ±0 (see
    ``_adam_numpy``: a subnormal m slows every pass over it; :class:`~chainrule.Adam` asks every
    :data:`FLUSH_EVERY` steps).

    g may be overwritten; tmp (n,) is scratch. Returns whether p, m and v are all finite.
    """
    tiny = 0.0
    if flush:
        tiny = _TINY.get(p.dtype, 0.0) or _TINY.setdefault(p.dtype, float(np.finfo(p.dtype).tiny))
    return _run("adam", [p, g, m, v, tmp, mask], [weight_decay, decoupled, lr, beta1, beta2, eps, scale, tiny])


_TINY: dict[np.dtype, float] = {}  # the smallest normal number of each dtype (exact in it)


def rmsprop(
    p: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    tmp: np.ndarray,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float = 0.0,
    mask: np.ndarray | None = None,
) -> bool:
    """RMSProp in place on p and v (n,) from g (n,). g may be overwritten; tmp (n,) is scratch.

    Returns whether p and v are all finite.
    """
    return _run("rmsprop", [p, g, v, tmp, mask], [weight_decay, lr, rho, 1.0 - rho, eps])
