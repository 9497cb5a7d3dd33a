"""Tests for chainrule.teaching.trace: the recorded step, its renderings, PyTorch as an oracle."""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

ROOT = Path(__file__).resolve().parents[1]
WORKED = ROOT / "examples" / "worked"
GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = [  # (sizes, activation, loss, reduction, bias, n_samples)
    ([3, 4, 2], "sigmoid", "half_squared_error", "sum", True, 1),
    ([3, 5, 4, 2], "tanh", "mse", "mean", True, 5),
    ([2, 6, 3], "relu", "cross_entropy", "mean", True, 4),
    ([4, 3, 1], "sigmoid", "binary_cross_entropy", "sum", False, 3),
    ([2, 3, 2], "leaky_relu", "squared_error", "mean", False, 2),
]


def make(case, seed):
    sizes, act, loss, reduction, bias, n = case
    rng = np.random.default_rng(seed)
    net = cr.Network(sizes, activation=act, loss=loss, reduction=reduction, bias=bias, seed=seed)
    X = rng.standard_normal((n, sizes[0]))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    elif loss == "binary_cross_entropy":
        Y = rng.random((n, sizes[-1]))
    else:
        Y = rng.standard_normal((n, sizes[-1]))
    return net, X, Y


def seed_001():
    net = cr.Network([2, 1], loss="half_squared_error", reduction="sum")
    net.layers[0].weights = [[0.2, 0.4]]
    net.layers[0].bias = [0.1]
    return net, [[0.5, 0.3]], [[1.0]], 0.01


# -- recorded from the step fit runs --------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_new_weights_equal_one_fit_step_bit_for_bit(case):
    net, X, Y = make(case, 7)
    trace = net.explain(X, Y, learning_rate=0.3)
    fitted = copy.deepcopy(net)
    fitted.fit(X, Y, epochs=1, learning_rate=0.3, batch_size=None)
    for layer, recorded in zip(fitted.layers, trace.layers):
        assert np.array_equal(layer.weights, recorded.new_weights)
        if layer.bias is None:
            assert recorded.new_bias is None and recorded.grad_bias is None
        else:
            assert np.array_equal(layer.bias, recorded.new_bias)


def test_explain_leaves_the_network_alone():
    net, X, Y = make(CASES[1], 3)
    before = [layer.weights.copy() for layer in net.layers]
    net.explain(X, Y, learning_rate=0.5)
    assert all(np.array_equal(b, layer.weights) for b, layer in zip(before, net.layers))


def test_update_is_old_minus_rate_times_gradient():
    net, X, Y = make(CASES[0], 1)
    trace = net.explain(X, Y, learning_rate=0.25)
    for layer in trace.layers:
        assert np.allclose(layer.new_weights, layer.weights - 0.25 * layer.grad_weights, rtol=0, atol=1e-15)
        assert np.allclose(layer.new_bias, layer.bias - 0.25 * layer.grad_bias, rtol=0, atol=1e-15)


def test_gradients_are_the_networks_gradients():
    net, X, Y = make(CASES[2], 5)
    trace = net.explain(X, Y, learning_rate=0.1)
    for (gw, gb), layer in zip(net.gradients(X, Y), trace.layers):
        assert np.array_equal(gw, layer.grad_weights)
        assert np.array_equal(gb, layer.grad_bias)


def test_derivative_is_the_activations_on_z_and_a():
    net, X, Y = make(CASES[0], 2)
    trace = net.explain(X, Y, learning_rate=0.1)
    hidden = trace.layers[0]
    assert np.allclose(hidden.a, 1 / (1 + np.exp(-hidden.z)))
    assert np.allclose(hidden.derivative, hidden.a * (1 - hidden.a))
    assert np.allclose(hidden.delta, hidden.grad_a * hidden.derivative, rtol=1e-15)


def test_float32_network_is_explained_in_float64_and_says_so():
    net = cr.Network([2, 3, 1], seed=0, dtype="float32")
    trace = net.explain([[0.1, 0.2]], [[1.0]], learning_rate=0.1)
    assert trace.layers[0].z.dtype == np.float64
    assert any("float32" in note and "float64" in note for note in trace.notes)
    assert "Note: the network is float32" in trace.to_text()
    assert net.dtype == np.float32  # the network itself is unchanged


def test_softmax_cross_entropy_is_fused():
    net, X, Y = make(CASES[2], 0)
    trace = net.explain(X, Y, learning_rate=0.1)
    out = trace.layers[-1]
    assert out.grad_a is None and out.derivative is None
    assert np.allclose(out.delta, (out.a - Y) / X.shape[0], rtol=1e-15)
    assert "δ[0,0] = (a - y)/4" in trace.to_text()


# -- PyTorch as the oracle -------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_intermediates_equal_pytorch(case, seed):
    torch = pytest.importorskip("torch")
    net, X, Y = make(case, seed)
    sizes, act, loss_name, reduction, bias, n = case
    trace = net.explain(X, Y, learning_rate=0.2)
    f = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": torch.nn.functional.leaky_relu,
    }[act]
    params, zs, acts = [], [], []
    a = torch.tensor(X, dtype=torch.float64)
    for l, layer in enumerate(net.layers):
        W = torch.tensor(layer.weights, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(layer.bias, dtype=torch.float64, requires_grad=True) if bias else None
        params.append((W, b))
        z = a @ W.T + (b if b is not None else 0.0)
        z.retain_grad()
        last = l == len(net.layers) - 1
        if not last:
            a = f(z)
        else:
            a = {
                "softmax": lambda z: torch.softmax(z, dim=1),
                "sigmoid": torch.sigmoid,
                "identity": lambda z: z * 1.0,
            }[net.layers[-1].activation.name](z)
        a.retain_grad()
        zs.append(z)
        acts.append(a)
    y = torch.tensor(Y, dtype=torch.float64)
    out = zs[-1]
    per = {
        "half_squared_error": lambda: 0.5 * ((acts[-1] - y) ** 2).sum(),
        "squared_error": lambda: ((acts[-1] - y) ** 2).sum(),
        "mse": lambda: ((acts[-1] - y) ** 2).sum() / Y.shape[1],
        "cross_entropy": lambda: torch.nn.functional.cross_entropy(out, y, reduction="sum"),
        "binary_cross_entropy": lambda: torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="sum"),
    }[loss_name]()
    loss = per / n if reduction == "mean" else per
    loss.backward()
    assert math.isclose(trace.loss, loss.item(), rel_tol=1e-12)
    for l, layer in enumerate(trace.layers):
        np.testing.assert_allclose(layer.z, zs[l].detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.a, acts[l].detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.delta, zs[l].grad.numpy(), rtol=1e-10, atol=1e-14)
        if layer.grad_a is not None:
            np.testing.assert_allclose(layer.grad_a, acts[l].grad.numpy(), rtol=1e-10, atol=1e-14)
        W, b = params[l]
        np.testing.assert_allclose(layer.grad_weights, W.grad.numpy(), rtol=1e-10, atol=1e-14)
        with torch.no_grad():
            W -= 0.2 * W.grad
        np.testing.assert_allclose(layer.new_weights, W.detach().numpy(), rtol=1e-12, atol=1e-15)
        if b is not None:
            np.testing.assert_allclose(layer.grad_bias, b.grad.numpy(), rtol=1e-10, atol=1e-14)


# -- seed 001 and the text rendering --------------------------------------------
def test_seed_001_true_values_and_formula_line():
    net, X, Y, lr = seed_001()
    trace = net.explain(X, Y, learning_rate=lr)
    z = 0.2 * 0.5 + 0.4 * 0.3 + 0.1  # 0.32, where the seed printed 0.35
    assert trace.get("layers[0].z[0][0]") == pytest.approx(z, abs=1e-15)
    a = 1 / (1 + math.exp(-z))
    assert trace.get("layers[0].a[0][0]") == pytest.approx(a, rel=1e-15)
    delta = (a - 1) * a * (1 - a)
    assert trace.get("layers[0].delta[0][0]") == pytest.approx(delta, rel=1e-14)
    assert trace.get("layers[0].new_weights[0][1]") == pytest.approx(0.4 - 0.01 * delta * 0.3, rel=1e-15)
    text = trace.to_text()
    assert "    z[0] = 0.2·0.5 + 0.4·0.3 + 0.1 = 0.32\n" in text
    assert "    a[0] = σ(0.32) = 0.5793\n" in text
    assert "    w[0,0] ← 0.2 - 0.01·(-0.05126) = 0.2005\n" in text
    # the seeds' order: forward, loss, output error, updates
    order = [text.index(h) for h in ("Forward pass", "Loss", "Output error", "Updates")]
    assert order == sorted(order)


def test_digits_controls_the_rounding():
    net, X, Y, lr = seed_001()
    text = net.explain(X, Y, learning_rate=lr).to_text(digits=2)
    assert "a[0] = σ(0.32) = 0.58\n" in text
    with pytest.raises(TypeError, match="digits must be an integer >= 1; got float 2.5"):
        net.explain(X, Y, learning_rate=lr).to_text(digits=2.5)


def test_hidden_errors_come_between_output_error_and_updates():
    net = cr.Network([2, 2, 1], reduction="sum", bias=False)
    net.layers[0].weights = [[0.1, 0.8], [0.4, 0.6]]
    net.layers[1].weights = [[0.3, 0.9]]
    text = net.explain([[0.35, 0.9]], [[0.5]], learning_rate=1.0).to_text()
    order = [text.index(h) for h in ("Output error: layers[1]", "Hidden error: layers[0]", "Updates")]
    assert order == sorted(order)
    assert "∂L/∂a[1] = Σ_k δ'[k]·w'[k,1] = 0.04068·0.9 = 0.03661" in text  # δ_out·0.9, the OLD weight


def test_large_layers_are_written_as_matrices_with_shapes():
    net = cr.Network([12, 3, 2], seed=0)
    rng = np.random.default_rng(0)
    trace = net.explain(rng.random((2, 12)), rng.random((2, 2)), learning_rate=0.1)
    text = trace.to_text(max_neurons=8)
    assert "z = x·Wᵀ + b    shape (2, 3) = (2, 12)·(12, 3) + (3,)" in text
    forward = text.split("Loss")[0]
    assert "z[0,0] =" not in forward.split("layers[1]")[0]  # 12 inputs: matrix form
    assert "z[0,0] = " in forward.split("layers[1] (output")[1]  # 3 → 2: neuron by neuron
    assert "z[0,0] = " in trace.to_text(max_neurons=12).split("layers[1]")[0]
    md = trace.to_markdown(max_neurons=8)
    assert r"\begin{bmatrix}" in md


def test_batch_gradients_sum_over_samples_in_text():
    net = cr.Network([1, 1], activation="identity", loss="half_squared_error", reduction="sum")
    net.layers[0].weights = [[2.0]]
    net.layers[0].bias = [0.0]
    trace = net.explain([[1.0], [3.0]], [[1.0], [5.0]], learning_rate=0.1)
    # z = 2, 6; δ = a − y = 1, 1; ∂L/∂w = 1·1 + 1·3 = 4
    assert trace.get("layers[0].grad_weights[0][0]") == 4.0
    assert "∂L/∂w[0,0] = Σ_s δ[s,0]·x[s,0] = 1·1 + 1·3 = 4" in trace.to_text()


def test_markdown_has_latex_math():
    net, X, Y, lr = seed_001()
    md = net.explain(X, Y, learning_rate=lr).to_markdown()
    assert md.startswith("# One training step, explained")
    assert r"- $z_{0} = 0.2 \cdot 0.5 + 0.4 \cdot 0.3 + 0.1 = 0.32$" in md
    assert md.count("$") % 2 == 0


def test_small_numbers_in_latex_use_powers_of_ten():
    net = cr.Network([1, 1], activation="identity", loss="half_squared_error", reduction="sum")
    net.layers[0].weights = [[1.0]]
    net.layers[0].bias = [0.0]
    md = net.explain([[1.0]], [[1.00001]], learning_rate=0.1).to_markdown()
    assert r"-1 \times 10^{-5}" in md


# -- dict / JSON ---------------------------------------------------------------
def test_json_round_trip_is_lossless():
    net, X, Y = make(CASES[1], 4)
    trace = net.explain(X, Y, learning_rate=0.1)
    data = json.loads(trace.to_json())
    assert set(data["layers"][0]) >= {"z", "a", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias"}
    back = cr.Trace.from_dict(data)
    for old, new in zip(trace.layers, back.layers):
        for name in ("z", "a", "delta", "grad_weights", "new_weights", "new_bias"):
            assert np.array_equal(getattr(old, name), getattr(new, name))
    assert back.loss == trace.loss
    assert list(back.paths()) == list(trace.paths())


def test_paths_in_computation_order_and_get():
    net, X, Y, lr = seed_001()
    trace = net.explain(X, Y, learning_rate=lr)
    paths = list(trace.paths())
    assert paths[:2] == ["layers[0].z[0][0]", "layers[0].a[0][0]"]
    assert paths.index("loss") < paths.index("layers[0].delta[0][0]") < paths.index("layers[0].new_bias[0]")
    assert trace.get("loss") == pytest.approx(0.5 * (trace.get("layers[0].a[0][0]") - 1) ** 2)


@pytest.mark.parametrize(
    "path, message",
    [
        ("layers[3].z[0][0]", r"the network has 1 layers"),
        ("layers[0].q[0][0]", r"unknown field 'q'; fields are: weights, bias, z"),
        ("layers[0].z[0]", r"layers\[0\]\.z has shape \(1, 1\); got index \[0\]"),
        ("z[0][0]", r"not of the form 'layers\[l\]\.field\[i\]\[j\]' or 'loss'"),
    ],
)
def test_bad_paths_are_refused(path, message):
    net, X, Y, lr = seed_001()
    with pytest.raises(ValueError, match=message):
        net.explain(X, Y, learning_rate=lr).get(path)


def test_bad_learning_rate_is_refused():
    net, X, Y, _ = seed_001()
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0; got -1.0"):
        net.explain(X, Y, learning_rate=-1)


# -- golden renderings ---------------------------------------------------------
@pytest.mark.parametrize("name", ["seed_001.json", "seed_003.toml"])
@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_golden_renderings(name, fmt):
    trace = cr.load_example(WORKED / name).explain()
    text = trace.to_text() if fmt == "txt" else trace.to_markdown()
    golden = GOLDEN / f"{Path(name).stem}.{fmt}"
    if os.environ.get("CHAINRULE_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_a_network_with_input_scale_is_refused_naming_the_copy_that_explains_it():
    net = cr.Network([2, 2, 1], seed=0, input_scale=0.5)
    X, Y = np.array([[2, 4]], dtype=np.uint8), [[1.0]]
    with pytest.raises(
        ValueError, match=r"explain shows the inputs as given.*\(input_scale=0.5\): pass X \* 0.5 to a copy without"
    ):
        net.explain(X, Y)
    work = net.astype(net.dtype.name)  # the fix the message names
    work.input_scale = None
    trace = work.explain(X * 0.5, Y)
    np.testing.assert_array_equal(trace.inputs, [[1.0, 2.0]])
