"""L-BFGS: the network's flat parameter vector minimised by SciPy's L-BFGS-B, full batch.

Gradient descent takes a step of a fixed rate along −g. L-BFGS (Liu &
Nocedal, 1989) takes its direction from the last few pairs of steps and
gradient changes (an estimate of the inverse Hessian applied to −g, by the
two-loop recursion) and finds the step's length by a line search (the
Moré–Thuente search of L-BFGS-B). Each function evaluation is one forward
and one backward pass over the whole data set, so it suits small data sets,
as scikit-learn's ``solver="lbfgs"`` says.

The objective is the network's loss (its reduction, its sample weights)
plus ½·λ·‖p‖² for ``weight_decay`` λ, on every parameter or, with
``weight_decay_on="weights"``, on the weights only (scikit-learn's
½·α·‖W‖²/n is λ = α/n). The stopping rules are SciPy's, with
scikit-learn's names: ``max_iter`` iterations, ``max_fun`` evaluations,
``tol`` on the largest component of the gradient (SciPy's ``gtol``), and
SciPy's default relative reduction of the objective (``ftol`` ≈ 2.2e-9),
which scikit-learn leaves as it is too.

SciPy is an optional extra (``pip install 'chainrule[scipy]'``), imported
when L-BFGS runs: the library itself needs NumPy only.

What :meth:`chainrule.Network.explain` records is one gradient-descent step;
an L-BFGS step (its curvature pairs, its direction and the line search's
trial points) is not recorded: explain says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LBFGSResult", "minimize", "objective"]


@dataclass
class LBFGSResult:
    """How one L-BFGS run ended.

    Attributes
    ----------
    n_iter : int
        Iterations taken (each one direction and one line search).
    n_fun : int
        Evaluations of the objective (forward and backward passes).
    loss : float
        The objective at the parameters kept.
    converged : bool
        Whether a tolerance stopped it (SciPy's status 0), rather than
        ``max_iter``, ``max_fun``, a failed line search or a callback.
    message : str
        SciPy's reason for stopping.
    """

    n_iter: int
    n_fun: int
    loss: float
    converged: bool
    message: str


def objective(
    net,
    X: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray | None = None,
    weight_decay: float = 0.0,
    weight_mask: np.ndarray | None = None,
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """The function L-BFGS minimises: float64 parameters x (n_parameters,) -> (f(x), ∇f(x)).

    f is the network's loss on checked arrays (X, Y), weighted by
    ``weights``, plus ½·λ·‖m ⊙ x‖² with λ = ``weight_decay`` and m =
    ``weight_mask`` (every parameter when None). Each call writes x into
    the network's parameters and runs one forward and one backward pass.
    """
    lam = float(weight_decay)

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        net.params[...] = x
        back = net.backward(net.forward(X), Y, None, weights)
        value = back.loss
        grad = net.grads.astype(np.float64)
        if lam:
            decayed = x if weight_mask is None else x * weight_mask
            value += 0.5 * lam * float(decayed @ decayed)
            grad += lam * decayed
        return value, grad

    return f


def minimize(
    net,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    weight_decay: float = 0.0,
    weight_decay_on: str = "all",
    on_iteration: Callable[[int, float], bool] | None = None,
) -> LBFGSResult:
    """Minimise :func:`objective` from the network's parameters with SciPy's L-BFGS-B; ``net`` is updated.

    ``on_iteration(k, loss)`` is called after iteration k (1-based) with the
    objective there, the network holding that iterate; returning True stops.
    The arguments are checked by the caller (:func:`chainrule.training.train`).
    """
    optimize = _scipy_optimize()
    mask = net.weight_mask if weight_decay_on == "weights" else None
    f = objective(net, X, Y, weights, weight_decay, mask)
    iterate = net.params.astype(np.float64)
    done = 0

    def callback(intermediate_result: Any) -> None:
        nonlocal done
        done += 1
        iterate[...] = intermediate_result.x
        if on_iteration is not None:
            net.params[...] = intermediate_result.x
            if on_iteration(done, float(intermediate_result.fun)):
                raise StopIteration  # SciPy's way for a callback to end the run

    try:
        result = optimize.minimize(
            f,
            iterate.copy(),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxiter": int(max_iter), "maxfun": int(max_fun), "gtol": float(tol)},
        )
    except KeyboardInterrupt:
        net.params[...] = iterate  # the last whole iterate, not a line search's trial point
        raise
    net.params[...] = result.x
    return LBFGSResult(
        n_iter=min(int(result.nit), int(max_iter)),
        n_fun=int(result.nfev),
        loss=float(result.fun),
        converged=result.status == 0,
        message=str(result.message),
    )


def _scipy_optimize():
    try:
        import scipy.optimize
    except ImportError:  # pragma: no cover - SciPy is installed wherever the tests run
        raise ImportError(
            "optimizer='lbfgs' needs SciPy's L-BFGS-B: pip install 'chainrule[scipy]' (or pip install scipy)"
        ) from None
    return scipy.optimize
