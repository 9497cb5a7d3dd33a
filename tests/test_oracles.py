"""Independent oracles for backpropagation: finite differences (``cr.gradcheck``)
and PyTorch autograd on the same network rebuilt in torch from chainrule's weights.

Every hidden activation × every loss (with its output activation) × depths 1 to 4
(weight layers) × both reductions, in float64:

- ``cr.gradcheck``: worst relative error < 1e-6 for every parameter array;
- torch autograd: relative error < 1e-10 for every gradient array, and the
  loss value to 1e-12.

The torch side uses torch's own loss classes (``MSELoss``, ``L1Loss``, ``BCEWithLogitsLoss``,
``CrossEntropyLoss``, ``PoissonNLLLoss``) with the documented conversion factors, so the
conventions of ``losses.py`` are checked too, not just the chain rule.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
F = torch.nn.functional

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
LOSSES = ["half_squared_error", "squared_error", "mse", "mae", "binary_cross_entropy", "cross_entropy", "poisson"]
REDUCTIONS = ["sum", "mean"]
N_SAMPLES, N_IN, N_OUT = 5, 3, 3
HIDDEN_WIDTHS = [5, 4, 3]  # depth d uses the first d − 1

# Depth 1 has no hidden layer, so its hidden activation is irrelevant: one case per loss.
GRID = [
    pytest.param(None, loss, 1, red, id=f"depth1-{loss}-{red}") for loss, red in itertools.product(LOSSES, REDUCTIONS)
]
GRID += [
    pytest.param(act, loss, depth, red, id=f"depth{depth}-{act}-{loss}-{red}")
    for depth, act, loss, red in itertools.product([2, 3, 4], HIDDEN, LOSSES, REDUCTIONS)
]


# -- the torch mirror ----------------------------------------------------------------
_TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "identity": lambda z: z,
    "exp": torch.exp,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_loss(name: str, reduction: str, z, a, y, n_outputs: int):
    """chainrule's loss written with torch's loss classes and the conversion factors
    documented in chainrule.core.losses (torch averages over elements, chainrule over samples)."""
    n = z.shape[0]
    if name == "half_squared_error":
        total = torch.nn.MSELoss(reduction="sum")(a, y) / 2
    elif name == "squared_error":
        total = torch.nn.MSELoss(reduction="sum")(a, y)
    elif name == "mse":
        total = torch.nn.MSELoss(reduction="sum")(a, y) / n_outputs
    elif name == "mae":
        total = torch.nn.L1Loss(reduction="sum")(a, y) / n_outputs
    elif name == "binary_cross_entropy":
        total = torch.nn.BCEWithLogitsLoss(reduction="sum")(z, y)
    elif name == "cross_entropy":
        total = torch.nn.CrossEntropyLoss(reduction="sum")(z, y)  # y: long labels or probability rows
    elif name == "poisson":
        # exp(z) − y·z (log_input=True, no Stirling term), plus the constant y·log y − y of half the deviance
        nll = torch.nn.PoissonNLLLoss(log_input=True, full=False, reduction="sum")(z, y)
        total = nll + torch.sum(torch.xlogy(y, y) - y)
    else:
        raise AssertionError(name)
    return total / n if reduction == "mean" else total


def torch_mirror(net: cr.Network, X: np.ndarray, Y: np.ndarray):
    """(loss, [grad of every parameter array]) from torch autograd, float64."""
    params = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in net.parameters()]
    it = iter(params)
    a = torch.tensor(X, dtype=torch.float64)
    z = None
    for layer in net.layers:
        W = next(it)
        z = a @ W.T
        if layer.bias is not None:
            z = z + next(it)
        a = _TORCH_ACTIVATIONS[layer.activation.name](z)
    if Y.ndim == 1:
        y = torch.tensor(Y, dtype=torch.long)
    else:
        y = torch.tensor(Y, dtype=torch.float64)
    loss = torch_loss(net.loss_function.name, net.reduction, z, a, y, net.n_outputs)
    loss.backward()
    return loss.item(), [p.grad.numpy() for p in params]


def _data(loss: str, seed: int, n_out: int = N_OUT):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_IN))
    if loss == "cross_entropy":
        Y = rng.integers(0, n_out, N_SAMPLES)  # integer labels: the one-hot path is checked below
    elif loss == "binary_cross_entropy":
        Y = rng.random((N_SAMPLES, n_out))
    elif loss == "poisson":
        Y = rng.poisson(1.5, (N_SAMPLES, n_out)).astype(float)  # counts, zeros among them
    else:
        Y = rng.normal(size=(N_SAMPLES, n_out))
    return X, Y


def _relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    scale = np.abs(theirs).max()
    return float(np.abs(ours - theirs).max() / scale) if scale > 0 else float(np.abs(ours).max())


# The networks here draw N(0, 1) weights and biases (init="normal"): with zero biases (the "auto" default),
# a sample whose ReLUs are all off puts the next layers' z at exactly 0, a kink where finite differences
# are not a derivative.
def _check_against_oracles(net, X, Y):
    # finite differences
    errors = cr.gradcheck(net, X, Y)
    assert set(errors) == set(net.parameter_names())
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-6, (worst, errors[worst])
    # autograd
    torch_value, torch_grads = torch_mirror(net, X, Y)
    assert net.loss(X, Y) == pytest.approx(torch_value, rel=1e-12)
    ours = [g for pair in net.gradients(X, Y) for g in pair if g is not None]
    assert len(ours) == len(torch_grads)
    for name, g, t in zip(net.parameter_names(), ours, torch_grads):
        assert g.shape == t.shape
        assert _relative_error(g, t) < 1e-10, name


@pytest.mark.parametrize("activation, loss, depth, reduction", GRID)
def test_gradients_match_finite_differences_and_autograd(activation, loss, depth, reduction):
    sizes = [N_IN] + HIDDEN_WIDTHS[: depth - 1] + [N_OUT]
    seed = depth * 100 + LOSSES.index(loss) * 10 + (HIDDEN.index(activation) if activation else 0)
    net = cr.Network(
        sizes, activation=activation or "sigmoid", loss=loss, reduction=reduction, seed=seed, init="normal"
    )
    assert len(net.layers) == depth
    X, Y = _data(loss, seed)
    _check_against_oracles(net, X, Y)


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "exp", "softmax"])
@pytest.mark.parametrize("loss", ["half_squared_error", "squared_error", "mse", "mae"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_every_output_activation_with_squared_losses(output, loss, reduction):
    # The unfused path: ∂L/∂a through each output activation's own backward (softmax's Jacobian too).
    net = cr.Network(
        [N_IN, 4, N_OUT],
        activation="tanh",
        output_activation=output,
        loss=loss,
        reduction=reduction,
        seed=7,
        init="normal",
    )
    assert net.layers[-1].activation.name == output
    X, Y = _data(loss, 3)
    _check_against_oracles(net, X, Y)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_bias_free_networks(activation):
    # Seeds 002 and 003 have no biases.
    net = cr.Network([2, 4, 3, 1], activation=activation, bias=False, init="uniform", seed=2, reduction="sum")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4, 2)), rng.random((4, 1))
    _check_against_oracles(net, X, Y)


def test_per_layer_activations():
    net = cr.Network(
        [3, 4, 4, 4, 2], activation=["relu", "tanh", "leaky_relu"], loss="cross_entropy", seed=4, init="normal"
    )
    assert [layer.activation.name for layer in net.layers] == ["relu", "tanh", "leaky_relu", "softmax"]
    X, Y = _data("cross_entropy", 5, n_out=2)
    _check_against_oracles(net, X, Y)


def test_one_hot_and_probability_targets_for_cross_entropy():
    net = cr.Network([3, 4, 3], activation="tanh", loss="cross_entropy", seed=8, init="normal")
    X, labels = _data("cross_entropy", 9)
    _check_against_oracles(net, X, np.eye(3)[labels])
    probabilities = np.random.default_rng(1).dirichlet(np.ones(3), N_SAMPLES)
    _check_against_oracles(net, X, probabilities)


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "cross_entropy", "half_squared_error"])
def test_saturated_outputs_match_autograd(loss):
    # Output pre-activations of ±1e4: torch's stable losses and chainrule must agree
    # (no inf or NaN; filterwarnings=error would turn any overflow warning into a failure).
    net = cr.Network([2, 3], activation="sigmoid", loss=loss, seed=0, init="normal")
    net.layers[0].weights = [[1e4, 0.0], [-1e4, 0.0], [0.0, 1.0]]
    net.layers[0].bias = [0.0, 0.0, 0.0]
    X = np.array([[1.0, 0.5], [-1.0, 0.2]])
    Y = np.array([1, 0]) if loss == "cross_entropy" else np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]])
    torch_value, torch_grads = torch_mirror(net, X, Y)
    assert np.isfinite(torch_value)
    assert net.loss(X, Y) == pytest.approx(torch_value, rel=1e-12)
    ours = [g for pair in net.gradients(X, Y) for g in pair]
    for g, t in zip(ours, torch_grads):
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


# -- loss parity with torch -----------------------------------------------------------
def _net_and_logits(loss, n_out, reduction, seed=0):
    net = cr.Network(
        [3, n_out],
        loss=loss,
        reduction=reduction,
        seed=seed,
        output_activation="identity" if loss in ("half_squared_error", "mse", "mae") else None,
        init="normal",
    )
    X = np.random.default_rng(seed).normal(size=(6, 3))
    fwd = net.forward(net.check_X(X))
    return net, X, torch.tensor(fwd.zs[-1]), torch.tensor(fwd.activations[-1])


@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_half_squared_error_times_two_is_mse_loss_sum(n_out, reduction):
    net, X, z, a = _net_and_logits("half_squared_error", n_out, reduction)
    Y = np.random.default_rng(1).normal(size=(6, n_out))
    ours = 2 * net.loss(X, Y)
    if reduction == "sum":
        assert ours == pytest.approx(torch.nn.MSELoss(reduction="sum")(a, torch.tensor(Y)).item(), rel=1e-13)
    else:  # chainrule divides by N samples, torch's mean by N·K elements
        assert ours == pytest.approx(n_out * torch.nn.MSELoss()(a, torch.tensor(Y)).item(), rel=1e-13)


@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_is_mse_loss(n_out, reduction):
    net, X, z, a = _net_and_logits("mse", n_out, reduction)
    Y = np.random.default_rng(1).normal(size=(6, n_out))
    if reduction == "mean":  # the mean over all N·K elements, exactly torch's default
        assert net.loss(X, Y) == pytest.approx(torch.nn.MSELoss()(a, torch.tensor(Y)).item(), rel=1e-13)
    else:
        assert net.loss(X, Y) == pytest.approx(
            torch.nn.MSELoss(reduction="sum")(a, torch.tensor(Y)).item() / n_out, rel=1e-13
        )


@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_is_bce_with_logits(n_out, reduction):
    net, X, z, a = _net_and_logits("binary_cross_entropy", n_out, reduction)
    Y = np.random.default_rng(1).random((6, n_out))
    theirs = torch.nn.BCEWithLogitsLoss(reduction=reduction)(z, torch.tensor(Y)).item()
    # per sample chainrule sums over the K outputs; torch's mean also divides by K
    factor = n_out if reduction == "mean" else 1
    assert net.loss(X, Y) == pytest.approx(factor * theirs, rel=1e-13)
    # and BCE on the probabilities agrees too (away from saturation)
    assert net.loss(X, Y) == pytest.approx(
        factor * F.binary_cross_entropy(a, torch.tensor(Y), reduction=reduction).item(), rel=1e-12
    )


@pytest.mark.parametrize("targets", ["labels", "one_hot"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_is_cross_entropy_loss(targets, reduction):
    net, X, z, a = _net_and_logits("cross_entropy", 4, reduction)
    labels = np.array([0, 3, 1, 1, 2, 3])
    Y = labels if targets == "labels" else np.eye(4)[labels]
    theirs_labels = torch.nn.CrossEntropyLoss(reduction=reduction)(z, torch.tensor(labels)).item()
    theirs_probs = torch.nn.CrossEntropyLoss(reduction=reduction)(z, torch.tensor(np.eye(4)[labels])).item()
    assert net.loss(X, Y) == pytest.approx(theirs_labels, rel=1e-13)
    assert net.loss(X, Y) == pytest.approx(theirs_probs, rel=1e-13)


@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mae_is_l1_loss(n_out, reduction):
    net, X, z, a = _net_and_logits("mae", n_out, reduction)
    Y = np.random.default_rng(1).normal(size=(6, n_out))
    if reduction == "mean":  # the mean over all N·K elements, exactly torch's default
        assert net.loss(X, Y) == pytest.approx(torch.nn.L1Loss()(a, torch.tensor(Y)).item(), rel=1e-13)
    else:
        assert net.loss(X, Y) == pytest.approx(
            torch.nn.L1Loss(reduction="sum")(a, torch.tensor(Y)).item() / n_out, rel=1e-13
        )


@pytest.mark.parametrize("n_out", [1, 3])
def test_poisson_is_half_the_deviance_of_scikit_learn(n_out):
    from sklearn.metrics import mean_poisson_deviance

    net, X, z, a = _net_and_logits("poisson", n_out, "mean")
    assert net.layers[-1].activation.name == "exp"
    Y = np.random.default_rng(1).poisson(2.0, (6, n_out)).astype(float)
    # scikit-learn's mean Poisson deviance per output is twice chainrule's per element
    theirs = sum(mean_poisson_deviance(Y[:, k], a.numpy()[:, k]) for k in range(n_out)) / 2
    assert net.loss(X, Y) == pytest.approx(theirs, rel=1e-12)
