"""Seed 003: a 2-2-1 sigmoid network without bias, one step worked by hand.

x = (0.35, 0.9), target 0.5, learning rate 1, L = ½(a − y)². Hidden weights
(rows = neurons, columns = inputs x1 = 0.35, x2 = 0.9): top [0.1, 0.8],
bottom [0.4, 0.6]; output weights [0.3, 0.9].

What the tests establish:

- The forward numbers and the output update agree with chainrule to about
  1e-4, but several (0.80133, 0.272392, 0.87305) come from the seed's
  *rounded* intermediates (0.68, 0.6637, δ = −0.0406), not from exact
  arithmetic; δ itself is −0.040681, −0.0407 rounded.
- The seed's δ = (target − output)·… is minus chainrule's δ = ∂L/∂z.
- The published hidden weights (0.09916, 0.7978, 0.3972, 0.5928) are not
  true backprop: the seed computes the hidden deltas with the *updated*
  output weights (0.272392, 0.87305) instead of the old ones (0.3, 0.9).
  Redoing that mistake from chainrule's recorded values reproduces them;
  true backprop gives 0.09907, 0.7976, 0.3971, 0.5926.
- 0.5928 is the slip's 0.59287 truncated (rounded it reads 0.5929); its
  −7.916e-3 is itself off in the 4th digit (−7.912e-3 from its rounded
  values, −7.926e-3 exactly); the w4..w6 lines write "0.1 +" where the old
  weights are 0.8, 0.4, 0.6 (typos: the results use the right ones).
- The seed's 2-3-2 generalisation, written out from its text, is exactly
  chainrule's step.
"""

import math

import numpy as np
import pytest
from _printed import rounds_to, shown_as, truncates_to
from _step import recorded_step

import chainrule as cr

X = np.array([[0.35, 0.9]])
Y = np.array([[0.5]])
W_HIDDEN = [[0.1, 0.8], [0.4, 0.6]]
W_OUT = [[0.3, 0.9]]
PUBLISHED_HIDDEN = [["0.09916", "0.7978"], ["0.3972", "0.5928"]]


def sigma(z):
    return 1.0 / (1.0 + math.exp(-z))


def hand_forward():
    """The seed's forward pass in exact arithmetic, written out from its text."""
    in_top = 0.35 * 0.1 + 0.9 * 0.8
    in_bottom = 0.9 * 0.6 + 0.35 * 0.4
    out_top, out_bottom = sigma(in_top), sigma(in_bottom)
    in_final = 0.3 * out_top + 0.9 * out_bottom
    return in_top, in_bottom, out_top, out_bottom, in_final, sigma(in_final)


def build():
    net = cr.Network([2, 2, 1], activation="sigmoid", loss="half_squared_error", reduction="sum", bias=False)
    net.layers[0].weights = W_HIDDEN
    net.layers[1].weights = W_OUT
    return net


@pytest.fixture
def step():
    """chainrule's training step at learning rate 1: (net after, forward, backward)."""
    net = build()
    fwd, back = recorded_step(net, X, Y, 1.0)
    return net, fwd, back


def test_forward_numbers(step):
    _, fwd, _ = step
    in_top, in_bottom, out_top, out_bottom, in_final, out_final = hand_forward()
    np.testing.assert_allclose(fwd.zs[0][0], [in_top, in_bottom], rtol=1e-15)
    np.testing.assert_allclose(fwd.activations[1][0], [out_top, out_bottom], rtol=1e-15)
    assert fwd.zs[1][0, 0] == pytest.approx(in_final, rel=1e-15)
    assert fwd.activations[2][0, 0] == pytest.approx(out_final, rel=1e-15)
    z, a = fwd.zs, fwd.activations
    assert rounds_to(z[0][0, 0], "0.755")
    assert rounds_to(z[0][0, 1], "0.68")
    assert rounds_to(a[1][0, 0], "0.68")
    assert rounds_to(a[1][0, 1], "0.6637")
    assert rounds_to(a[2][0, 0], "0.69")


def test_printed_0_80133_comes_from_rounded_hidden_outputs(step):
    _, fwd, _ = step
    # Exactly 0.3·0.6802… + 0.9·0.6637… = 0.801445 (0.8014); the seed's
    # 0.80133 is 0.3·0.68 + 0.9·0.6637, from its rounded outputs.
    z_out = fwd.zs[1][0, 0]
    assert rounds_to(z_out, "0.8014")
    assert not shown_as(z_out, "0.80133")
    assert rounds_to(0.3 * 0.68 + 0.9 * 0.6637, "0.80133")


def test_chainrules_delta_is_minus_the_seeds(step):
    _, fwd, back = step
    a = fwd.activations[2][0, 0]
    seed_delta = (0.5 - a) * (1 - a) * a  # the seed: (target − output)·…
    delta = back.deltas[1][0, 0]  # chainrule: ∂L/∂z = (a − y)·σ'(z)
    assert delta == pytest.approx(-seed_delta, rel=1e-15)
    assert delta > 0 > seed_delta
    # ∂L/∂z by central differences on z itself: L(z) = ½(σ(z) − 0.5)².
    z, h = fwd.zs[1][0, 0], 1e-6
    numeric = (0.5 * (sigma(z + h) - 0.5) ** 2 - 0.5 * (sigma(z - h) - 0.5) ** 2) / (2 * h)
    assert delta == pytest.approx(numeric, rel=1e-8)


def test_printed_delta_comes_from_the_rounded_output(step):
    _, _, back = step
    seed_delta = -back.deltas[1][0, 0]
    # Exactly −0.040681, which rounds to −0.0407. The printed −0.0406 is
    # either that value truncated or (0.5 − 0.69)·(1 − 0.69)·0.69 = −0.040641
    # from the rounded output 0.69; the text does not tell which.
    assert rounds_to(seed_delta, "-0.0407")
    assert not rounds_to(seed_delta, "-0.0406")
    assert truncates_to(seed_delta, "-0.0406")
    assert rounds_to((0.5 - 0.69) * (1 - 0.69) * 0.69, "-0.0406")
    assert seed_delta == pytest.approx(-0.0406, abs=1e-4)


def test_new_output_weights(step):
    net, fwd, back = step
    a1 = fwd.activations[1][0]
    seed_delta = -back.deltas[1][0, 0]
    expected = [0.3 + seed_delta * a1[0], 0.9 + seed_delta * a1[1]]  # the seed's rule, lr 1
    np.testing.assert_allclose(net.layers[1].weights[0], expected, rtol=1e-15)
    # The printed 0.272392 and 0.87305 come from the rounded δ and outputs:
    assert pytest.approx(0.272392, abs=1e-15) == 0.3 + (-0.0406 * 0.68)
    assert shown_as(0.9 + (-0.0406 * 0.6637), "0.87305")
    # and differ from the exact values only beyond 1e-4:
    new = net.layers[1].weights[0]
    assert new == pytest.approx([0.272392, 0.87305], abs=1e-4)
    assert not shown_as(new[0], "0.272392") and not shown_as(new[1], "0.87305")


def true_hidden_update():
    """True backprop, in exact arithmetic from the formulas, old output weights."""
    _, _, out_top, out_bottom, _, out = hand_forward()
    delta = (out - 0.5) * out * (1 - out)  # ∂L/∂z of the output
    d_top = delta * 0.3 * out_top * (1 - out_top)  # old w1 = 0.3
    d_bottom = delta * 0.9 * out_bottom * (1 - out_bottom)  # old w2 = 0.9
    new = [[0.1 - d_top * 0.35, 0.8 - d_top * 0.9], [0.4 - d_bottom * 0.35, 0.6 - d_bottom * 0.9]]
    return (d_top, d_bottom), new


def test_hidden_update_is_true_backprop(step):
    net, _, back = step
    (d_top, d_bottom), new = true_hidden_update()
    np.testing.assert_allclose(back.deltas[0][0], [d_top, d_bottom], rtol=1e-13)
    np.testing.assert_allclose(net.layers[0].weights, new, rtol=1e-13)
    # At the seed's precision true backprop reads 0.09907, 0.7976, 0.3971, 0.5926.
    for row, printed_row in zip(net.layers[0].weights, [["0.09907", "0.7976"], ["0.3971", "0.5926"]]):
        for value, printed in zip(row, printed_row):
            assert rounds_to(value, printed)


def seeds_variant(net, fwd, back):
    """The seed's mistake, redone from chainrule's recorded values: hidden
    deltas through the *updated* output weights. Returns (deltas, new hidden weights)."""
    a1 = fwd.activations[1][0]
    updated = net.layers[1].weights[0]  # 0.272326…, 0.872998… after the step
    delta = back.deltas[1][0, 0]
    d_hidden = delta * updated * a1 * (1 - a1)
    return d_hidden, np.array(W_HIDDEN) - np.outer(d_hidden, X[0])


def test_published_hidden_weights_come_from_the_updated_output_weights(step):
    net, fwd, back = step
    _, slip = seeds_variant(net, fwd, back)
    for i in range(2):
        for j in range(2):
            printed = PUBLISHED_HIDDEN[i][j]
            assert shown_as(slip[i, j], printed), (i, j, slip[i, j], printed)
            assert not shown_as(net.layers[0].weights[i, j], printed), (i, j)


def test_published_0_5928_is_truncated_and_0_09916_rounded(step):
    net, fwd, back = step
    _, slip = seeds_variant(net, fwd, back)
    # The seed is not consistent: 0.592866… cut to 4 decimals gives 0.5928
    # (rounded: 0.5929), while 0.099157 rounded gives 0.09916 (cut: 0.09915).
    assert truncates_to(slip[1, 1], "0.5928") and rounds_to(slip[1, 1], "0.5929")
    assert rounds_to(slip[0, 0], "0.09916") and truncates_to(slip[0, 0], "0.09915")
    # The same holds from the seed's own printed δ2 = −7.916e-3: 0.6 − 7.916e-3·0.9 = 0.5928756.
    assert truncates_to(0.6 - 7.916e-3 * 0.9, "0.5928") and rounds_to(0.6 - 7.916e-3 * 0.9, "0.5929")


def test_printed_hidden_deltas(step):
    net, fwd, back = step
    d_slip, _ = seeds_variant(net, fwd, back)
    seed_sign = -d_slip * 1e3  # the seed's sign, in units of 1e-3
    # δ1 = −2.406e-3 is the slip computed from the seed's rounded values:
    assert rounds_to(-0.0406 * 0.272392 * (1 - 0.68) * 0.68 * 1e3, "-2.406")
    assert rounds_to(seed_sign[0], "-2.410")  # exactly: −2.4096e-3
    # δ2 = −7.916e-3 is neither the slip from rounded values (−7.912e-3) nor
    # the exact slip (−7.926e-3): an arithmetic slip in the 4th digit, too
    # small to move the published 0.3972 and 0.5928.
    assert rounds_to(-0.0406 * 0.87305 * (1 - 0.6637) * 0.6637 * 1e3, "-7.912")
    assert rounds_to(seed_sign[1], "-7.926")
    assert shown_as(0.4 + (-7.916e-3 * 0.35), "0.3972")
    # True backprop's hidden deltas (seed's sign) are −2.654e-3 and −8.172e-3.
    true = -back.deltas[0][0] * 1e3
    assert rounds_to(true[0], "-2.654") and rounds_to(true[1], "-8.172")


def test_w4_to_w6_lines_say_0_1_but_use_the_right_old_weights():
    # The seed writes "w4_new = 0.1 + (−2.406e-3·0.9) = 0.7978" and the same
    # "0.1 +" for w5, w6. With 0.1 the results would be 0.0978, 0.0972, 0.0929;
    # the printed results use the true old weights 0.8, 0.4, 0.6.
    for old, step_, printed in [
        (0.8, -2.406e-3 * 0.9, "0.7978"),
        (0.4, -7.916e-3 * 0.35, "0.3972"),
        (0.6, -7.916e-3 * 0.9, "0.5928"),
    ]:
        assert shown_as(old + step_, printed)
        assert not shown_as(0.1 + step_, printed)


# -- the 2-3-2 generalisation -------------------------------------------------


def seed_generalisation_step(W_in, W_out, omega, lam, targets, eta):
    """The seed's "How to Generalize" formulas, neuron by neuron, as written.

    W_in[n] = (W_Ωn, W_λn) for hidden n in A, B, C; W_out[k] = (W_Ak, W_Bk, W_Ck)
    for output k in α, β. Returns the new (W_in, W_out) as nested lists.
    """

    def f(z):
        return 1 / (1 + math.exp(-1 * z))

    hidden = range(3)
    outputs = range(2)
    in_h = [W_in[n][0] * omega + W_in[n][1] * lam for n in hidden]
    out_h = [f(v) for v in in_h]
    in_o = [sum(out_h[n] * W_out[k][n] for n in hidden) for k in outputs]
    out_o = [f(v) for v in in_o]
    # Reverse pass, the seed's sign: δ = out·(1 − out)·(Target − out)
    d_o = [out_o[k] * (1 - out_o[k]) * (targets[k] - out_o[k]) for k in outputs]
    new_out = [[W_out[k][n] + eta * d_o[k] * out_h[n] for n in hidden] for k in outputs]
    # hidden errors with the OLD output weights W (as the text says)
    d_h = [out_h[n] * (1 - out_h[n]) * sum(d_o[k] * W_out[k][n] for k in outputs) for n in hidden]
    new_in = [[W_in[n][0] + eta * d_h[n] * omega, W_in[n][1] + eta * d_h[n] * lam] for n in hidden]
    return new_in, new_out


@pytest.mark.parametrize("draw", range(5))
def test_generalisation_formulas_are_chainrules_step(draw):
    rng = np.random.default_rng(draw)
    W_in, W_out = rng.normal(size=(3, 2)), rng.normal(size=(2, 3))
    omega, lam = rng.uniform(-1, 1, size=2)
    targets = rng.uniform(0, 1, size=2)
    eta = float(rng.uniform(0.1, 2.0))

    net = cr.Network([2, 3, 2], activation="sigmoid", loss="half_squared_error", reduction="sum", bias=False)
    net.layers[0].weights = W_in
    net.layers[1].weights = W_out
    net.fit([[omega, lam]], [targets], epochs=1, learning_rate=eta)

    new_in, new_out = seed_generalisation_step(W_in.tolist(), W_out.tolist(), omega, lam, targets, eta)
    np.testing.assert_allclose(net.layers[0].weights, new_in, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(net.layers[1].weights, new_out, rtol=1e-12, atol=1e-15)
    # and the step did something: the weights moved.
    assert not np.allclose(net.layers[0].weights, W_in, atol=1e-6)


def test_the_worked_example_contradicts_its_own_generalisation():
    # The general formulas (old weights) applied to the worked example give
    # true backprop, not the published hidden weights. The 2-2-1 example sits
    # inside the 2-3-2 network: hidden C with zero outgoing weights, output β
    # with zero weights and target σ(0) = 0.5, so that its δ_β is 0.
    new_in, _ = seed_generalisation_step(
        [[0.1, 0.8], [0.4, 0.6], [0.0, 0.0]], [[0.3, 0.9, 0.0], [0.0, 0.0, 0.0]], 0.35, 0.9, [0.5, 0.5], 1.0
    )
    _, true_new = true_hidden_update()
    np.testing.assert_allclose(new_in[:2], true_new, rtol=1e-13)
    assert not shown_as(new_in[1][1], "0.5928")
