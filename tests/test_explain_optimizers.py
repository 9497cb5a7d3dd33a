"""Explained steps of every optimiser (chainrule.teaching.trace with an optimiser, dropout and steps=k).

Three oracles: ``fit`` itself (the explained steps must leave the very bits
``fit`` leaves, weights and optimiser state), ``torch.optim`` with autograd
(to 1e-12 in float64), and the textbook formulas worked out here by hand, in
NumPy, which the rendered text must show with the numbers substituted.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli

torch = pytest.importorskip("torch")

X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
K = 3  # consecutive steps

#: (id, how explain and fit are called: optimizer and keyword arguments, the torch optimiser and its arguments).
#: ``make`` returns a fresh (optimizer, options) each time, so explain and fit never share an instance.
OPTIMIZERS = [
    ("sgd", lambda: ("sgd", {"learning_rate": 0.5}), torch.optim.SGD, {"lr": 0.5}),
    (
        "sgd-l2",
        lambda: ("sgd", {"learning_rate": 0.5, "weight_decay": 0.1}),
        torch.optim.SGD,
        {"lr": 0.5, "weight_decay": 0.1},
    ),
    ("momentum", lambda: (cr.SGD(0.5, momentum=0.9), {}), torch.optim.SGD, {"lr": 0.5, "momentum": 0.9}),
    (
        "nesterov",
        lambda: (cr.SGD(0.5, momentum=0.8, nesterov=True, weight_decay=0.05), {}),
        torch.optim.SGD,
        {"lr": 0.5, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
    ),
    ("adam", lambda: ("adam", {"learning_rate": 0.05}), torch.optim.Adam, {"lr": 0.05}),
    (
        "adam-l2",
        lambda: (cr.Adam(0.05, beta1=0.8, beta2=0.95, epsilon=1e-6, weight_decay=0.1), {}),
        torch.optim.Adam,
        {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1},
    ),
    ("adamw", lambda: ("adamw", {"learning_rate": 0.05}), torch.optim.AdamW, {"lr": 0.05}),
    (
        "adamw-weights-only",
        lambda: ("adamw", {"learning_rate": 0.05, "weight_decay": 0.3, "weight_decay_on": "weights"}),
        torch.optim.AdamW,
        {"lr": 0.05, "weight_decay": 0.3, "weights_only": True},
    ),
    (
        "adam-decoupled",
        lambda: (cr.Adam(0.05, weight_decay=0.2, decoupled_weight_decay=True), {}),
        torch.optim.Adam,
        {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True},
    ),
    ("rmsprop", lambda: ("rmsprop", {"learning_rate": 0.01}), torch.optim.RMSprop, {"lr": 0.01}),
    (
        "rmsprop-l2",
        lambda: (cr.RMSProp(0.02, rho=0.9, epsilon=0.1, weight_decay=0.05), {}),
        torch.optim.RMSprop,
        {"lr": 0.02, "alpha": 0.9, "eps": 0.1, "weight_decay": 0.05},
    ),
]
IDS = [case[0] for case in OPTIMIZERS]

#: The names of the optimisers' state in torch.optim, by chainrule's.
TORCH_STATE = {"momentum_buffer": "momentum_buffer", "m": "exp_avg", "v": "exp_avg_sq", "square_avg": "square_avg"}


def xor_net(seed=0, **kwargs):
    """The 2-2-1 XOR network of seed 000 (sigmoid, ½-squared error summed), with fixed starting weights."""
    net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum", seed=seed, **kwargs)
    net.layers[0].weights = [[0.5, -0.4], [0.3, 0.8]]
    net.layers[0].bias = [0.1, -0.2]
    net.layers[1].weights = [[0.7, -0.6]]
    net.layers[1].bias = [0.05]
    return net


def state_arrays(trace_layers, key):
    """The recorded state arrays of every layer, flattened in the network's parameter order."""
    parts = []
    for layer in trace_layers:
        for kind in ("weights", "bias"):
            if f"{key}_{kind}" in layer:
                parts.append(np.ravel(layer[f"{key}_{kind}"]))
    return np.concatenate(parts)


# -- bit for bit what fit does ---------------------------------------------------------
@pytest.mark.parametrize("case", OPTIMIZERS, ids=IDS)
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_k_steps_are_fits_steps_bit_for_bit(case, dropout):
    _, make, _, _ = case
    net = xor_net(seed=5)
    before = copy.deepcopy(net.params)
    optimizer, options = make()
    traces = net.explain(X_XOR, Y_XOR, optimizer=optimizer, steps=K, dropout=dropout, **options)
    assert isinstance(traces, cr.Traces) and len(traces) == K
    assert np.array_equal(net.params, before) and net.optimizer_ is None  # net untouched
    if isinstance(optimizer, cr.Optimizer):
        assert optimizer.iterations == 0 and not optimizer.state  # the caller's instance is not stepped
    for k in range(1, K + 1):
        fitted = copy.deepcopy(net)
        optimizer, options = make()
        history = fitted.fit(X_XOR, Y_XOR, epochs=k, batch_size=None, optimizer=optimizer, dropout=dropout, **options)
        trace = traces[k - 1]
        assert trace.loss == history.loss[-1]
        assert trace.optimizer.t == fitted.optimizer_.iterations == k
        for layer, recorded in zip(fitted.layers, trace.layers):
            assert np.array_equal(layer.weights, recorded.new_weights)
            assert np.array_equal(layer.bias, recorded.new_bias)
        _, arrays = fitted.optimizer_.get_state()
        assert sorted(arrays) == sorted(f"0.{name}" for name in fitted.optimizer_.state_names)
        for key, flat in arrays.items():
            name = key.split(".", 1)[1]
            ours = state_arrays([layer.new_state for layer in trace.layers], name)
            assert np.array_equal(ours, flat), (k, name)
        if k > 1:  # each step starts where the one before stopped
            for layer, previous in zip(trace.layers, traces[k - 2].layers):
                assert np.array_equal(layer.weights, previous.new_weights)
                assert layer.state.keys() == previous.new_state.keys()
                for name, value in layer.state.items():
                    assert np.array_equal(value, previous.new_state[name])


def test_a_step_continues_the_networks_own_optimizer_as_fit_does():
    net = xor_net()
    net.fit(X_XOR, Y_XOR, epochs=4, optimizer="adam", learning_rate=0.05)
    trace = net.explain(X_XOR, Y_XOR, learning_rate=0.05, optimizer="adam")
    fitted = copy.deepcopy(net)
    fitted.fit(X_XOR, Y_XOR, epochs=1, optimizer="adam", learning_rate=0.05)
    assert trace.optimizer.t == 5
    assert np.array_equal(fitted.layers[0].weights, trace.layers[0].new_weights)
    assert net.optimizer_.iterations == 4  # the network's optimiser was not stepped


def test_a_schedule_sets_each_steps_rate_as_in_fit():
    net = xor_net()
    traces = net.explain(X_XOR, Y_XOR, 1.0, "sgd", steps=3, schedule=cr.schedules.ExponentialDecay(0.5))
    assert [t.learning_rate for t in traces] == [1.0, 0.5, 0.25]
    fitted = copy.deepcopy(net)
    fitted.fit(X_XOR, Y_XOR, epochs=3, learning_rate=1.0, schedule=cr.schedules.ExponentialDecay(0.5))
    assert np.array_equal(fitted.layers[1].weights, traces[-1].layers[1].new_weights)


def test_a_float32_network_is_explained_in_float64_with_its_optimizer_state():
    net = xor_net(dtype="float32")
    net.fit(X_XOR, Y_XOR, epochs=2, optimizer="rmsprop", learning_rate=0.01)
    trace = net.explain(X_XOR, Y_XOR, learning_rate=0.01, optimizer="rmsprop")
    assert trace.optimizer.t == 3 and "float32" in trace.notes[0]
    assert all(v.dtype == np.float64 for layer in trace.layers for v in layer.new_state.values())
    assert net.optimizer_.state[0]["square_avg"].dtype == np.float32


# -- against torch.optim ---------------------------------------------------------------
@pytest.mark.parametrize("case", OPTIMIZERS, ids=IDS)
def test_k_steps_match_torch_optim_to_1e_12(case):
    _, make, torch_class, torch_kwargs = case
    net = xor_net()
    optimizer, options = make()
    traces = net.explain(X_XOR, Y_XOR, optimizer=optimizer, steps=K, **options)
    W1, b1, W2, b2 = (torch.tensor(np.array(p), requires_grad=True) for p in net.parameters())
    kwargs = dict(torch_kwargs)
    if kwargs.pop("weights_only", False):
        groups = [{"params": [W1, W2]}, {"params": [b1, b2], "weight_decay": 0.0}]
    else:
        groups = [{"params": [W1, b1, W2, b2]}]
    topt = torch_class(groups, **kwargs)
    X, Y = torch.tensor(X_XOR), torch.tensor(Y_XOR)
    for trace in traces:
        topt.zero_grad()
        a2 = torch.sigmoid(torch.sigmoid(X @ W1.T + b1) @ W2.T + b2)
        loss = 0.5 * ((a2 - Y) ** 2).sum()
        loss.backward()
        assert abs(trace.loss - loss.item()) <= 1e-12
        grads = [W1.grad.numpy().copy(), b1.grad.numpy().copy(), W2.grad.numpy().copy(), b2.grad.numpy().copy()]
        topt.step()
        ours = [trace.layers[0], trace.layers[1]]
        recorded = [ours[0].grad_weights, ours[0].grad_bias, ours[1].grad_weights, ours[1].grad_bias]
        for mine, theirs in zip(recorded, grads):
            assert np.abs(mine - theirs).max() <= 1e-12
        new = [ours[0].new_weights, ours[0].new_bias, ours[1].new_weights, ours[1].new_bias]
        for mine, p in zip(new, (W1, b1, W2, b2)):
            assert np.abs(mine - p.detach().numpy()).max() <= 1e-12
        for name in trace.optimizer.state_names:
            mine = state_arrays([layer.new_state for layer in ours], name)
            theirs = np.concatenate([topt.state[p][TORCH_STATE[name]].numpy().ravel() for p in (W1, b1, W2, b2)])
            assert np.abs(mine - theirs).max() <= 1e-12, name


def test_dropout_step_matches_torch_autograd_through_the_recorded_mask():
    net = xor_net(seed=3)
    trace = net.explain(X_XOR, Y_XOR, learning_rate=0.5, dropout=0.5)
    mask = trace.layers[0].mask
    assert mask is not None and set(np.unique(mask)) <= {0.0, 2.0} and 0.0 in mask and 2.0 in mask
    assert trace.layers[1].mask is None  # the output layer is never dropped
    W1, b1, W2, b2 = (torch.tensor(np.array(p), requires_grad=True) for p in net.parameters())
    hidden = torch.sigmoid(torch.tensor(X_XOR) @ W1.T + b1)
    assert np.abs(trace.layers[0].a - hidden.detach().numpy()).max() <= 1e-15  # a is f(z), before the mask
    a2 = torch.sigmoid((hidden * torch.tensor(mask)) @ W2.T + b2)
    loss = 0.5 * ((a2 - torch.tensor(Y_XOR)) ** 2).sum()
    loss.backward()
    assert abs(trace.loss - loss.item()) <= 1e-12
    assert np.abs(trace.layers[0].grad_weights - W1.grad.numpy()).max() <= 1e-12
    assert np.abs(trace.layers[1].grad_weights - W2.grad.numpy()).max() <= 1e-12
    np.testing.assert_array_equal(trace.layers[0].a_masked, trace.layers[0].a * mask)


# -- the formulas with the numbers, against a hand computation ------------------------------
def fmt(value):
    """Four significant digits, as the text writes numbers."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


def paren(value):
    return f"({fmt(value)})" if value < 0 else fmt(value)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hand_gradients(W1, b1, W2, b2):
    """∂L/∂W2[0,0] and ∂L/∂b1[1] of the XOR network, by hand: L = ½·Σ(a − y)², summed over the 4 samples."""
    a1 = sigmoid(X_XOR @ W1.T + b1)
    a2 = sigmoid(a1 @ W2.T + b2)
    d2 = (a2 - Y_XOR) * a2 * (1 - a2)
    d1 = (d2 @ W2) * a1 * (1 - a1)
    return float((d2[:, 0] * a1[:, 0]).sum()), float(d1[:, 1].sum())


def start():
    return (np.array([[0.5, -0.4], [0.3, 0.8]]), np.array([0.1, -0.2]), np.array([[0.7, -0.6]]), np.array([0.05]))


def test_adam_lines_show_the_moments_bias_correction_and_update_with_their_numbers():
    lr, b1_, b2_, eps = 0.05, 0.9, 0.999, 1e-8
    traces = xor_net().explain(X_XOR, Y_XOR, learning_rate=lr, optimizer="adam", steps=2)
    # the textbook Adam, by hand, on w = layers[1].weights[0][0] for two steps
    W1, b1, W2, b2 = start()
    m = v = 0.0
    for t, trace in enumerate(traces, start=1):
        g, _ = hand_gradients(W1, b1, W2, b2)
        m_new, v_new = b1_ * m + (1 - b1_) * g, b2_ * v + (1 - b2_) * g * g
        m_hat, v_hat = m_new / (1 - b1_**t), v_new / (1 - b2_**t)
        w_new = W2[0, 0] - lr * m_hat / (np.sqrt(v_hat) + eps)
        sup = "¹²"[t - 1]
        text = trace.to_text()
        assert f"m_w[0,0] ← β₁·m + (1 - β₁)·g = 0.9·{paren(m)} + 0.1·{paren(g)} = {fmt(m_new)}" in text
        assert f"v_w[0,0] ← β₂·v + (1 - β₂)·g² = 0.999·{fmt(v)} + 0.001·{paren(g)}² = {fmt(v_new)}" in text
        assert f"m̂_w[0,0] = m/(1 - β₁ᵗ) = {fmt(m_new)}/(1 - 0.9{sup}) = {fmt(m_hat)}" in text
        assert f"v̂_w[0,0] = v/(1 - β₂ᵗ) = {fmt(v_new)}/(1 - 0.999{sup}) = {fmt(v_hat)}" in text
        step = f"{fmt(W2[0, 0])} - 0.05·{paren(m_hat)}/(√{fmt(v_hat)} + 1e-08) = {fmt(w_new)}"
        assert f"w[0,0] ← w - η·m̂/(√v̂ + ε) = {step}" in text
        assert abs(trace.layers[1].new_weights[0, 0] - w_new) <= 1e-15
        # on to the next step: the whole network by hand is more than this test needs; take the recorded weights
        W1, b1 = trace.layers[0].new_weights, trace.layers[0].new_bias
        W2, b2 = trace.layers[1].new_weights, trace.layers[1].new_bias
        m, v = m_new, v_new
    assert "Step 2 of 2" in traces.to_text()


def test_momentum_and_nesterov_lines_show_the_buffer_with_their_numbers():
    lr, mu = 0.5, 0.9
    for nesterov in (False, True):
        traces = xor_net().explain(X_XOR, Y_XOR, optimizer=cr.SGD(lr, momentum=mu, nesterov=nesterov), steps=2)
        W1, b1, W2, b2 = start()
        g1, gb1 = hand_gradients(W1, b1, W2, b2)
        first = traces[0].to_text()
        assert f"v_w[0,0] = g = {fmt(g1)}  (first step: the buffer starts at g)" in first
        assert f"v_b[1] = g = {fmt(gb1)}  (first step: the buffer starts at g)" in first
        t1 = traces[0].layers
        g2, _ = hand_gradients(t1[0].new_weights, t1[0].new_bias, t1[1].new_weights, t1[1].new_bias)
        buf = mu * g1 + g2
        w = t1[1].new_weights[0, 0]
        second = traces[1].to_text()
        assert f"v_w[0,0] ← μ·v + g = 0.9·{paren(g1)} + {paren(g2)} = {fmt(buf)}" in second
        if nesterov:
            w_new = w - lr * (g2 + mu * buf)
            line = f"w[0,0] ← w - η·(g + μ·v) = {fmt(w)} - 0.5·({fmt(g2)} + 0.9·{paren(buf)}) = {fmt(w_new)}"
        else:
            w_new = w - lr * buf
            line = f"w[0,0] ← w - η·v = {fmt(w)} - 0.5·{paren(buf)} = {fmt(w_new)}"
        assert line in second
        assert abs(traces[1].layers[1].new_weights[0, 0] - w_new) <= 1e-15


def test_rmsprop_weight_decay_and_adamw_lines_with_their_numbers():
    W1, b1, W2, b2 = start()
    g, _ = hand_gradients(W1, b1, W2, b2)
    w = W2[0, 0]
    text = xor_net().explain(X_XOR, Y_XOR, optimizer=cr.RMSProp(0.01, weight_decay=0.1)).to_text()
    g_l2 = g + 0.1 * w
    s = 0.01 * g_l2 * g_l2
    assert f"g_w[0,0] = ∂L/∂w + λ·w = {fmt(g)} + 0.1·{paren(w)} = {fmt(g_l2)}" in text
    assert f"s_w[0,0] ← ρ·s + (1 - ρ)·g² = 0.99·0 + 0.01·{paren(g_l2)}² = {fmt(s)}" in text
    w_new = w - 0.01 * g_l2 / (np.sqrt(s) + 1e-8)
    assert f"w[0,0] ← w - η·g/(√s + ε) = {fmt(w)} - 0.01·{paren(g_l2)}/(√{fmt(s)} + 1e-08) = {fmt(w_new)}" in text

    trace = xor_net().explain(X_XOR, Y_XOR, 0.05, "adamw", weight_decay=0.5, weight_decay_on="weights")
    text = trace.to_text()
    shrunk = w - 0.05 * 0.5 * w
    assert f"w[0,0] ← w - η·λ·w = {fmt(w)} - 0.05·0.5·{paren(w)} = {fmt(shrunk)}" in text
    assert "b[0] ← b - η·λ·b" not in text  # weights only: the biases are not decayed
    assert f"m_w[0,0] ← β₁·m + (1 - β₁)·g = 0.9·0 + 0.1·{paren(g)} = {fmt(0.1 * g)}" in text  # the raw gradient
    assert "AdamW (β₁ = 0.9, β₂ = 0.999, ε = 1e-08, decoupled weight decay λ = 0.5 on the weights only)" in text


def test_dropout_lines_show_the_mask_and_what_the_next_layer_is_fed():
    trace = xor_net(seed=3).explain(X_XOR, Y_XOR, learning_rate=0.5, dropout=0.5)
    text = trace.to_text()
    layer = trace.layers[0]
    for s in range(4):
        for j in range(2):
            a, m = layer.a[s, j], layer.mask[s, j]
            kept = "kept" if m else "dropped"
            assert f"a·m[{s},{j}] = {fmt(a)}·{fmt(m)} = {fmt(a * m)}  ({kept})" in text
    assert "Dropout p = 0.5 on the hidden layers' outputs" in text
    assert "layers[1] (output, sigmoid, 2 → 1; in = layers[0].a·m)" in text
    assert "∂L/∂a[0,0] = m[0,0]·Σ_k δ'[0,k]·w'[k,0]" in text
    assert trace.get("layers[0].mask[0][0]") == layer.mask[0, 0]


# -- renderings, paths, round trips -----------------------------------------------------
def test_markdown_and_html_typeset_the_optimizer_formulas():
    trace = xor_net().explain(X_XOR, Y_XOR, 0.05, "adam")
    md = trace.to_markdown()
    assert r"\hat{m}^{w}_{0,0} = m / (1 - \beta_1^t)" in md and r"\sqrt{" in md
    page = trace._repr_html_()
    assert "<msqrt>" in page and '<mover accent="true"><mi>m</mi><mo>^</mo></mover>' in page
    assert "\\" not in page.replace("\\n", "")  # every command typeset, none left as text
    traces = xor_net().explain(X_XOR, Y_XOR, 0.05, "adam", steps=2)
    html = traces.to_html()
    assert html.startswith("<!DOCTYPE html>") and "Step 2 of 2" in html and "<msqrt>" in html
    assert "<script" not in html and 'src="' not in html and "://" not in html  # self-contained, no script
    assert "Step 2 of 2" in traces._repr_html_() and "## Step 2 of 2" not in traces.to_markdown()
    assert "# Step 2 of 2" in traces._repr_markdown_()
    explainer = trace.to_html()
    assert "Update: Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-08), step t = 1 (η = 0.05)" in explainer


def test_large_layers_show_the_optimizer_state_as_matrices():
    net = cr.Network([3, 10, 2], activation="tanh", loss="mse", seed=1)
    rng = np.random.default_rng(2)
    trace = net.explain(rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), 0.01, "adam")
    text = trace.to_text()
    assert "m ← β₁·m + (1 - β₁)·g" in text and "m_W =" in text and "v_b =" in text
    assert "W ← W - η·m̂/(√v̂ + ε),  m̂ = m/(1 - β₁ᵗ), v̂ = v/(1 - β₂ᵗ), t = 1" in text


def test_state_paths_and_json_round_trip():
    traces = xor_net(seed=4).explain(X_XOR, Y_XOR, optimizer=cr.SGD(0.5, momentum=0.9), steps=2, dropout=0.25)
    second = traces[1]
    assert second.get("layers[1].momentum_buffer_weights[0][1]") == traces[0].get(
        "layers[1].new_momentum_buffer_weights[0][1]"
    )
    paths = dict(second.scalars())
    assert "layers[0].new_momentum_buffer_bias[1]" in paths and "layers[0].mask[3][1]" in paths
    with pytest.raises(ValueError, match="layers\\[0\\] has no mask|unknown field 'mask'"):
        xor_net().explain(X_XOR, Y_XOR).get("layers[0].mask[0][0]")
    back = cr.Traces.from_dict(json.loads(traces.to_json()))
    assert back.to_text() == traces.to_text()
    assert back[1].optimizer == second.optimizer and back[1].dropout == 0.25
    for mine, theirs in zip(back[1].layers, second.layers):
        assert mine.state.keys() == theirs.state.keys()
        assert all(np.array_equal(mine.new_state[k], theirs.new_state[k]) for k in theirs.new_state)


def test_one_step_is_a_trace_and_plain_sgd_renders_as_before():
    trace = xor_net().explain(X_XOR, Y_XOR, learning_rate=0.5)
    assert isinstance(trace, cr.Trace) and trace.optimizer.plain
    assert "w[0,0] ← 0.7 - 0.5·" in trace.to_text() and "Optimizer:" not in trace.to_text()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"steps": 0}, ValueError, "steps must be"),
        ({"optimizer": "lbfgs"}, ValueError, "optimizer='lbfgs' cannot be explained"),
        ({"optimizer": "nadam"}, ValueError, "unknown optimizer 'nadam'"),
        ({"optimizer": cr.Adam(0.1), "learning_rate": 0.1}, ValueError, "learning_rate is for an optimizer given by"),
        ({"optimizer": cr.Adam(0.1), "weight_decay": 0.1}, ValueError, "weight_decay is for an optimizer given by"),
        ({"dropout": 1.0}, ValueError, "dropout must be"),
    ],
)
def test_bad_options_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        xor_net().explain(X_XOR, Y_XOR, **kwargs)


def test_the_practice_page_refuses_a_step_it_cannot_check():
    with pytest.raises(ValueError, match="the practice page checks a plain SGD step"):
        xor_net().explain(X_XOR, Y_XOR, 0.1, "adam").to_html(practice=True)


# -- the command line ------------------------------------------------------------------
SEED_003 = "examples/worked/seed_003.toml"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_explains_an_optimizer_over_several_steps(capsys):
    code, out, _ = run(
        capsys, "explain", SEED_003, "--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--steps", "2"
    )
    assert code == 0
    example = cr.load_example(SEED_003)
    traces = example.explain(optimizer=cr.SGD(1.0, momentum=0.9, nesterov=True), steps=2)
    assert out.endswith(traces.to_text())
    assert "Step 2 of 2" in out and "w[0,0] ← w - η·(g + μ·v)" in out


def test_cli_optimizer_options_json_and_html(capsys, tmp_path):
    code, out, _ = run(capsys, "explain", SEED_003, "--optimizer", "adam", "--learning-rate", "0.1", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["optimizer"]["name"] == "adam" and data["learning_rate"] == 0.1
    assert data["layers"][0]["new_state"]["m_weights"]
    page = tmp_path / "steps.html"
    code, out, _ = run(
        capsys, "explain", SEED_003, "--optimizer", "rmsprop", "--steps", "3", "--format", "html", "-o", str(page)
    )
    assert code == 0 and "Step 3 of 3" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--optimizer", "adam", "--momentum", "0.9"], "optimizer 'adam' does not take \\['momentum'\\]"),
        (["--nesterov"], "nesterov=True needs momentum > 0"),
        (["--steps", "2", "--format", "html", "--practice", "-o", "x.html"], "--practice is a page of one step"),
        (["--dropout", "1.5"], "dropout must be"),
    ],
)
def test_cli_refuses_bad_optimizer_options(capsys, argv, message):
    code, _, err = run(capsys, "explain", SEED_003, *argv)
    assert code == 2 and re.search(message, err), err


# -- golden renderings -------------------------------------------------------------------
GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_STEPS = {  # one step of the 2-2-1 XOR network
    "xor_adam": lambda net: net.explain(X_XOR, Y_XOR, 0.05, "adam"),
    "xor_momentum": lambda net: net.explain(X_XOR, Y_XOR, optimizer=cr.SGD(0.5, momentum=0.9)),
    # two steps, the second with the buffer's update v ← μ·v + g
    "xor_momentum_2steps": lambda net: net.explain(X_XOR, Y_XOR, optimizer=cr.SGD(0.5, momentum=0.9), steps=2),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_STEPS))
@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_golden_renderings(name, fmt):
    trace = GOLDEN_STEPS[name](xor_net())
    text = trace.to_text() if fmt == "txt" else trace.to_markdown()
    golden = GOLDEN / f"{name}.{fmt}"
    if os.environ.get("CHAINRULE_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_a_later_step_of_a_multi_step_file_is_its_own_plain_sgd():
    example = cr.exercise(seed=7, sizes=[2, 2, 1], learning_rate=0.5, steps=2).example
    assert example.n_steps == 2
    with pytest.raises(ValueError, match="step 2 is the example's own plain gradient descent"):
        example.explain(2, optimizer=cr.SGD(1.0, momentum=0.9))
    with pytest.raises(ValueError, match="step 2 is the example's own plain gradient descent"):
        example.explain(2, steps=2)
    assert example.explain(2).optimizer.plain
