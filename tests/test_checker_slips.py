"""Every slip the checker names, injected into synthetic examples of several shapes.

The slipped numbers are computed by :func:`step`, a second backprop written
out here with NumPy (not the checker's what-if replay), with one slip switched
on. Each slip is named where it shows and must NOT fire on the true numbers
or on a plain arithmetic error.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.teaching.checker import SLIPS

RNG = np.random.default_rng(7)


def _f(name, z):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "identity":
        return z
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _df(name, z, a):
    return {"sigmoid": a * (1 - a), "tanh": 1 - a * a, "relu": (z > 0) * 1.0, "identity": np.ones_like(z)}[name]


class Shape:
    """A network to inject slips into: weights, activations, loss, data."""

    def __init__(self, sizes, acts, loss, reduction, n, bias=True, lr=0.5):
        self.sizes, self.acts, self.loss, self.reduction, self.lr = sizes, acts, loss, reduction, lr
        self.W = [RNG.uniform(-1, 1, (sizes[l + 1], sizes[l])).round(2) for l in range(len(sizes) - 1)]
        self.b = [RNG.uniform(-0.5, 0.5, sizes[l + 1]).round(2) if bias else None for l in range(len(sizes) - 1)]
        self.X = RNG.uniform(-1, 1, (n, sizes[0])).round(2)
        k = sizes[-1]
        if loss == "cross_entropy":
            self.Y = np.eye(k)[RNG.integers(0, k, n)]
        elif loss == "binary_cross_entropy":
            self.Y = RNG.integers(0, 2, (n, k)).astype(float)
        else:
            self.Y = RNG.uniform(0, 1, (n, k)).round(2)

    def network(self):
        net = cr.Network(
            self.sizes,
            activation=self.acts[:-1],
            output_activation=self.acts[-1],
            loss=self.loss,
            reduction=self.reduction,
            bias=self.b[0] is not None,
        )
        for layer, W, b in zip(net.layers, self.W, self.b):
            layer.weights = W
            if b is not None:
                layer.bias = b
        return net

    def check(self, published):
        return cr.check_example(self.network(), self.X, self.Y, self.lr, published)


def step(shape: Shape, slip=None, at=None, param=None) -> dict:
    """The step written out by hand, with one slip; returns path -> value."""
    L, n = len(shape.W), shape.X.shape[0]
    scale = 1 / n if shape.reduction == "mean" else 1.0
    if slip == "sum_vs_mean":
        scale = 1.0 if shape.reduction == "mean" else 1 / n

    def here(l):
        return at is None or l == at

    out, zs, acts = {}, [], [shape.X]
    for l in range(L):
        W = shape.W[l].T if slip == "transposed_weights" and param == "forward" and here(l) else shape.W[l]
        z = acts[-1] @ W.T
        if shape.b[l] is not None and not (slip == "no_bias" and here(l)):
            z = z + shape.b[l]
        a = _f(shape.acts[l], z)
        zs.append(z)
        acts.append(a)
    y, a, z = shape.Y, acts[-1], zs[-1]
    fused = (shape.loss, shape.acts[-1]) in (("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid"))
    factor = param if slip == "half_factor" else 1.0
    grad = {
        "half_squared_error": a - y,
        "squared_error": 2 * (a - y),
        "mse": 2 * (a - y) / y.shape[1],
        "binary_cross_entropy": (a - y) / (a * (1 - a)),
        "cross_entropy": -y / a,
    }[shape.loss] * (scale * factor)
    rate = {"learning_rate_twice": shape.lr**2, "learning_rate_missing": 1.0}.get(slip, shape.lr)
    delta_next = W_next = None
    for l in range(L - 1, -1, -1):
        name, z, a = shape.acts[l], zs[l], acts[l + 1]
        if l < L - 1:
            grad = delta_next @ W_next
        if l == L - 1 and fused:
            if slip == "logits":
                delta = (z - y) * scale
            elif slip == "double_derivative":
                delta = (a - y) * scale * a * (1 - a)
            else:
                delta = (a - y) * scale
        elif slip == "no_derivative" and here(l):
            delta = grad
        elif slip == "wrong_variable" and here(l):
            delta = grad * _df(name, a, _f(name, a))
        elif slip == "wrong_derivative" and here(l):
            delta = grad * (1 - a * a if name == "sigmoid" else a * (1 - a))
        else:
            delta = grad * _df(name, z, a)
        gw = delta.T @ acts[l]
        new_w = shape.W[l] - rate * gw
        for s, j in np.ndindex(*delta.shape):
            out[f"layers[{l}].delta[{s}][{j}]"] = delta[s, j]
        for j, i in np.ndindex(*gw.shape):
            out[f"layers[{l}].grad_weights[{j}][{i}]"] = gw[j, i]
            out[f"layers[{l}].new_weights[{j}][{i}]"] = new_w[j, i]
        if shape.b[l] is not None:
            for j, g in enumerate(delta.sum(axis=0)):
                out[f"layers[{l}].new_bias[{j}]"] = shape.b[l][j] - rate * g
        for s, j in np.ndindex(*zs[l].shape):
            out[f"layers[{l}].z[{s}][{j}]"] = zs[l][s, j]
            out[f"layers[{l}].a[{s}][{j}]"] = a[s, j]
        delta_next = delta
        W_next = new_w if slip == "updated_weights" and here(l - 1) else shape.W[l]
        if slip == "transposed_weights" and param == "backward" and here(l - 1):
            W_next = W_next.T
    return out


SIGMOID = dict(sizes=[2, 2, 1], acts=["sigmoid", "sigmoid"], loss="half_squared_error", reduction="sum", n=1)
TANH_BATCH = dict(sizes=[2, 3, 2], acts=["tanh", "sigmoid"], loss="half_squared_error", reduction="mean", n=3)
SOFTMAX = dict(sizes=[3, 3, 3], acts=["sigmoid", "softmax"], loss="cross_entropy", reduction="sum", n=2)
BCE = dict(sizes=[2, 2, 1], acts=["tanh", "sigmoid"], loss="binary_cross_entropy", reduction="mean", n=2)
DEEP = dict(sizes=[2, 2, 2, 2], acts=["sigmoid", "tanh", "identity"], loss="squared_error", reduction="sum", n=1)

# (slip, shape, at, param): each slip on at least two shapes where it can happen
CASES = [
    ("updated_weights", SIGMOID, None, None),
    ("updated_weights", DEEP, 0, None),
    ("half_factor", SIGMOID, None, 2.0),
    ("half_factor", TANH_BATCH, None, 0.5),
    ("sum_vs_mean", TANH_BATCH, None, None),
    ("sum_vs_mean", BCE, None, None),
    ("no_derivative", SIGMOID, 1, None),
    ("no_derivative", TANH_BATCH, 0, None),
    ("no_derivative", SOFTMAX, 0, None),
    ("double_derivative", SOFTMAX, None, None),
    ("double_derivative", BCE, None, None),
    ("logits", SOFTMAX, None, None),
    ("logits", BCE, None, None),
    ("wrong_variable", SIGMOID, None, None),
    ("wrong_variable", TANH_BATCH, 0, None),
    ("wrong_derivative", TANH_BATCH, 0, None),
    ("wrong_derivative", DEEP, 0, None),
    ("transposed_weights", SOFTMAX, 0, "forward"),
    ("transposed_weights", DEEP, 0, "backward"),
    ("transposed_weights", DEEP, 1, "forward"),
    ("no_bias", SIGMOID, 0, None),
    ("no_bias", SOFTMAX, 1, None),
    ("learning_rate_twice", SIGMOID | {"lr": 0.3}, None, None),  # at η = 0.5, η² = η·½: the ½ factor's numbers
    ("learning_rate_missing", TANH_BATCH | {"lr": 0.3}, None, None),
]


def _printed(values: dict, paths) -> dict:
    return {p: f"{values[p]:.6g}" for p in paths}


def _first_affected(shape: Shape, true: dict, slipped: dict) -> list[str]:
    """The paths whose printed value the slip changes, in the order the step computes them."""
    order = [p for p in shape.network().explain(shape.X, shape.Y, shape.lr).paths() if p in slipped]
    return [p for p in order if f"{slipped[p]:.6g}" != f"{true[p]:.6g}"]


@pytest.mark.parametrize(("slip", "config", "at", "param"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_slip_is_named_where_it_first_shows(slip, config, at, param):
    shape = Shape(**config)
    true, slipped = step(shape), step(shape, slip, at, param)
    assert all(np.isclose(true[p], v) for p, v in step(shape).items())
    affected = _first_affected(shape, true, slipped)
    assert affected, "the slip changes nothing here: not a useful case"
    # a learner prints the first changed number and the last layer-0 update (downstream of everything)
    last = "layers[0].new_weights[0][0]"
    report = shape.check(_printed(slipped, dict.fromkeys([affected[0], last])))
    by = {d.path: d for d in report.disagreements}
    first = by[affected[0]]
    assert first.kind == "slip", first.diagnosis
    assert first.slips[0] == slip, (first.slips, first.diagnosis)
    if last in by and last != affected[0]:
        # downstream, the update follows from the first slipped number, or shows the same slip again
        assert by[last].follows_from == affected[0] or slip in by[last].slips, by[last].diagnosis
    assert not report.passed


@pytest.mark.parametrize(
    "config", [SIGMOID, TANH_BATCH, SOFTMAX, BCE, DEEP], ids=["sig", "tanh", "softmax", "bce", "deep"]
)
def test_no_slip_fires_on_true_numbers(config):
    shape = Shape(**config)
    true = step(shape)
    report = shape.check(_printed(true, true))
    assert report.disagreements == [] and report.passed


@pytest.mark.parametrize(
    "config", [SIGMOID, TANH_BATCH, SOFTMAX, BCE, DEEP], ids=["sig", "tanh", "softmax", "bce", "deep"]
)
def test_no_slip_fires_on_a_plain_arithmetic_error(config):
    shape = Shape(**config)
    true = step(shape)
    wrong = {p: f"{v:.6g}" for p, v in true.items() if ".delta[" in p}
    path = next(p for p in wrong if p.startswith(f"layers[{len(shape.W) - 1}]"))
    wrong[path] = f"{true[path] * 1.037 + 0.0013:.6g}"  # a digit slip no known mistake makes
    report = shape.check(wrong)
    (d,) = [d for d in report.disagreements if d.path == path]
    assert d.kind == "error" and d.slips == (), d.diagnosis
    assert "no known slip reproduces" in d.diagnosis


def test_slips_that_give_the_same_numbers_are_all_named():
    shape = Shape(**SIGMOID)  # η = 0.5: w − η²·g = w − η·(½·g)
    slipped = step(shape, "learning_rate_twice")
    (d,) = shape.check(_printed(slipped, ["layers[1].new_weights[0][1]"])).disagreements
    assert d.kind == "slip" and set(d.slips) == {"half_factor", "learning_rate_twice"}
    assert "the same numbers come from: the learning rate applied twice" in d.diagnosis


def test_every_slip_has_a_case():
    assert {c[0] for c in CASES} | {"sign", "decimal_point"} == set(SLIPS)


@pytest.mark.parametrize("config", [SIGMOID, SOFTMAX], ids=["sig", "softmax"])
def test_a_moved_decimal_point_is_named_and_the_update_moves_its_change(config):
    shape = Shape(**config)
    true = step(shape)
    d = shape.check({"layers[1].delta[0][0]": f"{true['layers[1].delta[0][0]'] * 10:.6g}"}).disagreements[0]
    assert d.kind == "slip" and d.slips[0] == "decimal_point" and "×10" in d.diagnosis
    path = "layers[0].new_weights[0][1]"
    old = shape.W[0][0, 1]
    moved = old + (true[path] - old) / 10  # w − η·g/10: the change's decimal point moved
    d = shape.check({path: f"{moved:.6g}"}).disagreements[0]
    assert d.kind == "slip" and "decimal_point" in d.slips, d.diagnosis


def test_the_softmax_exponentials_and_their_sum_are_checked():
    shape = Shape(**SOFTMAX)
    z = shape.X @ shape.W[0].T + shape.b[0]
    a0 = _f("sigmoid", z)
    z1 = a0 @ shape.W[1].T + shape.b[1]
    e = np.exp(z1)
    published = {"layers[1].exp[0][1]": f"{e[0, 1]:.5g}", "layers[1].sum_exp[0]": f"{e[0].sum():.5g}"}
    published["layers[1].a[0][1]"] = f"{e[0, 1] / e[0].sum() * 1.05:.5g}"  # the division slipped
    report = shape.check(published)
    assert [a.path for a in report.agreements] == ["layers[1].exp[0][1]", "layers[1].sum_exp[0]"]
    assert report.disagreements[0].kind == "error"


def test_residual_delta_weights_loss_after_and_grad_a_terms_are_checked():
    shape = Shape(**SIGMOID)
    trace = shape.network().explain(shape.X, shape.Y, shape.lr)
    residual = trace.layers[1].a - shape.Y
    dw = -shape.lr * trace.layers[1].grad_weights
    terms = trace.layers[1].delta[0][0] * shape.W[1][0]  # δ_k·w_ki of hidden gradient i
    updated = shape.network()
    for layer, recorded in zip(updated.layers, trace.layers):
        layer.weights, layer.bias = recorded.new_weights, recorded.new_bias
    loss_after = updated.explain(shape.X, shape.Y, shape.lr).loss
    published = {
        "layers[1].residual[0][0]": f"{residual[0, 0]:.6g}",
        "layers[1].delta_weights[0][1]": f"{dw[0, 1]:.6g}",
        "layers[0].grad_a_terms[0][1][0]": f"{terms[1]:.6g}",
        "loss_after": f"{loss_after:.6g}",
    }
    report = shape.check(published)
    assert report.disagreements == [] and len(report.agreements) == 4
    flipped = shape.check({"layers[1].residual[0][0]": f"{-residual[0, 0]:.6g}"}).disagreements[0]
    assert flipped.kind == "convention" and "y − a" in flipped.diagnosis
    climbing = shape.check({"layers[1].delta_weights[0][1]": f"{-dw[0, 1]:.6g}"}).disagreements[0]
    assert climbing.kind == "slip" and climbing.slips[0] == "sign"


def test_a_fused_outputs_grad_a_is_defined():
    shape = Shape(**BCE)
    trace = shape.network().explain(shape.X, shape.Y, shape.lr)
    a, y = trace.layers[1].a, shape.Y
    grad_a = (a - y) / (a * (1 - a)) / 2  # mean over the 2 samples
    report = shape.check(
        {
            "layers[1].grad_a[0][0]": f"{grad_a[0, 0]:.6g}",
            "layers[1].derivative[1][0]": f"{a[1, 0] * (1 - a[1, 0]):.6g}",
        }
    )
    assert report.disagreements == [] and len(report.agreements) == 2


def test_minus_zero_does_not_read_a_positive_number():
    shape = Shape(**SIGMOID)
    true = step(shape)
    path = "layers[0].z[0][0]"
    value = true[path]
    assert 0 < value < 0.5 or -0.5 < value < 0, "the seed's data give a z that rounds to 0"
    text = "-0" if value > 0 else "0"
    report = shape.check({path: text})
    if value > 0:
        assert report.disagreements and not report.passed
    else:
        assert report.agreements


def test_unpublished_rounding_is_found_and_its_precision_named():
    shape = Shape(**SIGMOID)

    # a tutorial that rounds every intermediate to 3 significant digits and prints only the final weights
    def sig3(x):
        return float(f"{x:.3g}")

    a = [sig3(v) for v in _f("sigmoid", shape.X[0] @ shape.W[0].T + shape.b[0])]
    z1 = sig3(float(np.dot(shape.W[1][0], a) + shape.b[1][0]))
    a1 = sig3(float(_f("sigmoid", np.array(z1))))
    delta1 = sig3((a1 - shape.Y[0, 0]) * sig3(a1 * (1 - a1)))
    gw = sig3(delta1 * a[1])
    new_w = shape.W[1][0, 1] - shape.lr * gw
    true = step(shape)["layers[1].new_weights[0][1]"]
    printed = f"{new_w:.6f}"
    assert f"{true:.6f}" != printed, "rounding at 3 digits changes nothing here: not a useful case"
    d = shape.check({"layers[1].new_weights[0][1]": printed}).disagreements[0]
    assert d.kind == "rounding", d.diagnosis
    assert "significant digits" in d.diagnosis or "decimals" in d.diagnosis
