"""Tests for chainrule.teaching.checker: agreement at printed precision, slips injected and named.

Each slip is injected by computing, by hand with NumPy (not with the checker's
what-if step), the numbers a tutorial with that slip would print, and checking
that the diagnosis names it and that the numbers downstream follow from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.teaching.checker import _replay, _Setup

WORKED = Path(__file__).resolve().parents[1] / "examples" / "worked"

W0 = np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]])
B0 = np.array([0.1, -0.1, 0.2])
W1 = np.array([[0.7, -0.3, 0.2], [0.4, 0.9, -0.5]])
B1 = np.array([0.05, -0.05])
X = np.array([[0.5, 0.9], [0.2, -0.3], [0.8, 0.4]])
Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
LR = 0.5


def sig(z):
    return 1 / (1 + np.exp(-z))


def network(reduction="sum"):
    net = cr.Network([2, 3, 2], loss="half_squared_error", reduction=reduction)
    net.layers[0].weights, net.layers[0].bias = W0, B0
    net.layers[1].weights, net.layers[1].bias = W1, B1
    return net


def by_hand(scale=1.0, factor=1.0, updated=False, wrong_variable=False):
    """The 2-3-2 step written out, with a slip switched on."""
    a0 = sig(X @ W0.T + B0)
    a1 = sig(a0 @ W1.T + B1)
    d1 = lambda a: sig(a) * (1 - sig(a)) if wrong_variable else a * (1 - a)  # noqa: E731
    delta1 = (a1 - Y) * scale * factor * d1(a1)
    gw1 = delta1.T @ a0
    new_w1 = W1 - LR * gw1
    delta0 = (delta1 @ (new_w1 if updated else W1)) * d1(a0)
    gw0 = delta0.T @ X
    return {
        "a0": a0,
        "a1": a1,
        "delta1": delta1,
        "gw1": gw1,
        "new_w1": new_w1,
        "delta0": delta0,
        "gw0": gw0,
        "new_w0": W0 - LR * gw0,
    }


def printed(value):
    return f"{value:.6g}"


def check(published, reduction="sum"):
    return cr.check_example(network(reduction), X, Y, LR, published)


def by_path(report):
    return {d.path: d for d in report.disagreements}


def test_true_values_printed_to_six_digits_all_agree():
    true = by_hand()
    published = {f"layers[1].delta[{s}][{j}]": printed(true["delta1"][s, j]) for s in range(3) for j in range(2)}
    published["layers[0].new_weights[2][1]"] = printed(true["new_w0"][2, 1])
    report = check(published)
    assert report.disagreements == [] and report.ok and report.first_slip is None
    assert len(report.agreements) == 7


def test_replay_without_a_slip_is_the_recorded_trace():
    for reduction in ("sum", "mean"):
        net = network(reduction)
        trace = net.explain(X, Y, LR)
        vals = _replay(_Setup(net, trace), None, {})
        for l, layer in enumerate(trace.layers):
            for name in ("z", "a", "grad_a", "derivative", "delta", "grad_weights", "grad_bias", "new_weights"):
                np.testing.assert_allclose(vals[(l, name)], getattr(layer, name), rtol=1e-13, atol=1e-16)


def test_hidden_deltas_with_updated_weights_are_named():
    slipped = by_hand(updated=True)
    # ∂L/∂w sums over the 3 samples: all three deltas it uses are printed
    report = check(
        {"layers[1].new_weights[0][0]": printed(slipped["new_w1"][0, 0])}
        | {f"layers[0].delta[{s}][1]": printed(slipped["delta0"][s, 1]) for s in range(3)}
        | {"layers[0].new_weights[1][0]": printed(slipped["new_w0"][1, 0])}
    )
    d = by_path(report)
    assert "layers[1].new_weights[0][0]" not in d  # the output update itself is right
    assert d["layers[0].delta[0][1]"].kind == "slip"
    assert d["layers[0].delta[0][1]"].slips == ("updated_weights",)
    assert "hidden deltas computed with already-updated weights" in d["layers[0].delta[0][1]"].diagnosis
    assert d["layers[0].new_weights[1][0]"].kind == "follows"
    assert d["layers[0].new_weights[1][0]"].follows_from == "layers[0].delta[0][1]"  # the first of them
    assert report.ok and report.first_slip == "layers[0].delta[0][1]"


def test_half_factor_gradients_times_two_is_named():
    slipped = by_hand(factor=2.0)
    report = check(
        {f"layers[1].delta[{s}][0]": printed(slipped["delta1"][s, 0]) for s in range(3)}
        | {"layers[1].grad_weights[0][2]": printed(slipped["gw1"][0, 2])}
    )
    d = by_path(report)["layers[1].delta[1][0]"]
    assert d.kind == "slip" and d.slips == ("half_factor",)
    assert "gradients ×2" in d.diagnosis
    assert by_path(report)["layers[1].grad_weights[0][2]"].follows_from == "layers[1].delta[0][0]"


def test_a_slip_in_unprinted_values_is_named_where_it_shows():
    slipped = by_hand(factor=2.0)  # only the gradient printed: no δ to follow from
    d = check({"layers[1].grad_weights[0][2]": printed(slipped["gw1"][0, 2])}).disagreements[0]
    assert d.kind == "slip" and d.slips == ("half_factor",) and d.follows_from is None


def test_sum_where_the_loss_averages_is_named():
    slipped = by_hand(scale=1.0)  # what a tutorial that sums prints
    report = check({"layers[0].grad_weights[1][1]": printed(slipped["gw0"][1, 1])}, reduction="mean")
    d = report.disagreements[0]
    assert d.kind == "slip" and d.slips == ("sum_vs_mean",)
    assert "summed over the 3 samples where the loss averages" in d.diagnosis


def test_mean_where_the_loss_sums_is_named():
    slipped = by_hand(scale=1 / 3)
    report = check({"layers[1].grad_weights[1][1]": printed(slipped["gw1"][1, 1])}, reduction="sum")
    d = report.disagreements[0]
    assert d.slips == ("sum_vs_mean",) and "averaged over the 3 samples" in d.diagnosis


def test_derivative_on_the_wrong_variable_is_named():
    slipped = by_hand(wrong_variable=True)
    report = check({"layers[1].delta[2][1]": printed(slipped["delta1"][2, 1])})
    d = report.disagreements[0]
    assert d.kind == "slip" and d.slips == ("wrong_variable",)
    assert "σ'(a) where a = σ(z)" in d.diagnosis


def test_flipped_sign_convention_is_named_and_not_a_slip():
    true = by_hand()
    report = check(
        {
            "layers[1].delta[0][0]": printed(-true["delta1"][0, 0]),
            "layers[0].delta[0][2]": printed(-true["delta0"][0, 2]),
            "layers[0].new_weights[2][1]": printed(true["new_w0"][2, 1]),
        }
    )
    d = by_path(report)
    assert d["layers[1].delta[0][0]"].kind == "convention"
    assert "δ = (target − output)·f'(z) = −∂L/∂z" in d["layers[1].delta[0][0]"].diagnosis
    assert d["layers[0].delta[0][2]"].kind == "convention"
    assert "layers[0].new_weights[2][1]" not in d  # w + η·δ·x with their δ: the right update
    assert report.ok and report.slips == []


def test_update_that_climbs_the_gradient_is_named():
    true = by_hand()
    report = check({"layers[1].new_weights[1][1]": printed(W1[1, 1] + LR * true["gw1"][1, 1])})
    d = report.disagreements[0]
    assert d.kind == "slip" and d.slips == ("sign",) and "climbs the gradient" in d.diagnosis


def test_rounded_intermediates_reused_are_rounding():
    true = by_hand()
    a0 = np.round(true["a0"], 2)  # printed with 2 decimals and reused
    z1 = a0 @ W1.T + B1
    report = check(
        {f"layers[0].a[0][{j}]": f"{a0[0, j]:.2f}" for j in range(3)} | {"layers[1].z[0][0]": f"{z1[0, 0]:.6f}"}
    )
    d = report.disagreements[0]
    assert d.path == "layers[1].z[0][0]" and d.kind == "rounding"
    assert "the example rounded layers[0].a[0][0]" in d.diagnosis
    assert report.ok


def test_plain_arithmetic_error_is_unexplained_and_echoes_follow_it():
    true = by_hand()
    wrong_z = float((X @ W0.T + B0)[1, 2]) + 0.05
    report = check(
        {
            "layers[0].z[1][2]": f"{wrong_z:.4f}",
            "layers[0].a[1][2]": f"{sig(wrong_z):.4f}",
            "layers[0].a[1][0]": f"{true['a0'][1, 0]:.4f}",
        }
    )
    d = by_path(report)
    assert d["layers[0].z[1][2]"].kind == "error"
    assert d["layers[0].z[1][2]"].diagnosis.startswith(
        "arithmetic error: -0.4·0.2 + 0.6·(-0.3) + 0.2 = -0.06, not -0.0100"
    )
    assert d["layers[0].a[1][2]"].follows_from == "layers[0].z[1][2]"
    assert "layers[0].a[1][0]" not in d
    assert not report.ok and [u.path for u in report.unexplained] == ["layers[0].z[1][2]"]


# -- the seeds -------------------------------------------------------------------
def test_seed_001_first_slip_is_z_and_later_numbers_follow_it():
    report = cr.load_example(WORKED / "seed_001.json").check()
    d = by_path(report)
    z = d["layers[0].z[0][0]"]
    assert z.kind == "error" and z.true == pytest.approx(0.32, abs=1e-15)
    assert "0.2·0.5 + 0.4·0.3 + 0.1 = 0.32, not 0.35" in z.diagnosis
    assert report.first_slip == "layers[0].z[0][0]"
    for path in (
        "layers[0].a[0][0]",
        "layers[0].grad_a[0][0]",
        "layers[0].derivative[0][0]",
        "layers[0].grad_weights[0][0]",
        "layers[0].grad_weights[0][1]",
        "layers[0].grad_bias[0]",
    ):
        assert d[path].kind == "follows" and d[path].follows_from == "layers[0].z[0][0]", path
    # -0.4134·0.2425·0.3 = -0.030075: the seed cut it to -0.0300
    assert "(truncated, not rounded)" in d["layers[0].grad_weights[0][1]"].diagnosis
    # at 4 decimals the new parameters agree with true backprop
    assert {a.path for a in report.agreements} == {
        "layers[0].new_weights[0][0]",
        "layers[0].new_weights[0][1]",
        "layers[0].new_bias[0]",
    }
    assert not report.ok


def test_seed_003_rounding_convention_and_updated_weights():
    report = cr.load_example(WORKED / "seed_003.toml").check()
    d = by_path(report)
    assert {a.path for a in report.agreements} == {
        "layers[0].z[0][0]",
        "layers[0].z[0][1]",
        "layers[0].a[0][0]",
        "layers[0].a[0][1]",
        "layers[1].a[0][0]",
    }
    # 0.3·0.68 + 0.9·0.6637 = 0.80133 from its rounded a's; exact 0.801445
    assert d["layers[1].z[0][0]"].kind == "rounding"
    # δ = (0.5 − 0.69)·0.31·0.69 = −0.040641: sign convention, and rounding of 0.69 (exact 0.04068)
    delta = d["layers[1].delta[0][0]"]
    assert delta.kind == "convention" and delta.slips == ("sign",) and "rounding" in delta.diagnosis
    for path in ("layers[1].new_weights[0][0]", "layers[1].new_weights[0][1]"):
        assert d[path].kind == "rounding" and "layers[1].delta[0][0] = -0.0406" in d[path].diagnosis
    for path in ("layers[0].delta[0][0]", "layers[0].delta[0][1]"):
        assert d[path].kind == "slip" and set(d[path].slips) == {"updated_weights", "sign"}
        assert "hidden deltas computed with already-updated weights" in d[path].diagnosis
    # −7.916e-3 is −7.9116e-3 from its own values; with −0.0406 standing for [−0.04065, −0.04055] (and the
    # other printed inputs within their last digits) the same slip spans −7.922e-3 to −7.901e-3: within rounding
    bottom = d["layers[0].delta[0][1]"].diagnosis
    assert "it gives -0.007911591; " in bottom and "ranges over -0.007921961 to -0.007901223" in bottom
    assert "which reads" not in bottom  # −0.0079116 does not read −7.916e-3: no sentence says it does
    assert d["layers[0].delta[0][0]"].recomputed == pytest.approx(-0.0406 * 0.272392 * 0.68 * 0.32, rel=1e-12)
    for path, root in (
        ("layers[0].new_weights[0][0]", "layers[0].delta[0][0]"),
        ("layers[0].new_weights[0][1]", "layers[0].delta[0][0]"),
        ("layers[0].new_weights[1][0]", "layers[0].delta[0][1]"),
        ("layers[0].new_weights[1][1]", "layers[0].delta[0][1]"),
    ):
        assert d[path].kind == "follows" and d[path].follows_from == root
    assert "truncated" in d["layers[0].new_weights[1][1]"].diagnosis  # 0.59288 printed 0.5928
    assert report.ok and report.first_slip == "layers[0].delta[0][0]"
    assert any("typo" in note and "w4_new = 0.1 +" in note for note in report.notes)


# -- bad input -----------------------------------------------------------------
def test_published_numbers_must_be_strings():
    with pytest.raises(
        TypeError,
        match=r"published\['layers\[0\].z\[0\]\[0\]'\] must be the number as printed, "
        r"a str such as '0.5866'.*got float 0.3",
    ):
        check({"layers[0].z[0][0]": 0.3})


def test_published_numbers_must_be_decimals():
    with pytest.raises(ValueError, match=r"must be a decimal number such as '0.5866'; got 'abc'"):
        check({"layers[0].z[0][0]": "abc"})


def test_published_paths_must_exist():
    with pytest.raises(ValueError, match=r"layers\[0\] has no grad_a|unknown field"):
        check({"layers[0].gradient[0][0]": "0.1"})
    with pytest.raises(ValueError, match=r"the network has 2 layers"):
        check({"layers[2].z[0][0]": "0.1"})


def test_published_must_be_a_mapping():
    with pytest.raises(TypeError, match="published must be a mapping of trace paths to printed numbers"):
        cr.check_example(network(), X, Y, LR, ["0.1"])


# -- the tolerance model (issue: "rounding" only where the example's own numbers can give it) -------------
def test_an_exact_printed_value_stands_for_itself_not_an_interval():
    # z = 0.5·0.2 + 0.3·0.4 + 0.1 = 0.32 exactly as printed: a slip downstream can't hide in its "rounding"
    net = cr.Network([2, 1], loss="half_squared_error", reduction="sum")
    net.layers[0].weights, net.layers[0].bias = [[0.2, 0.4]], [0.1]
    a = 1 / (1 + np.exp(-0.32))
    wrong_a = f"{a + 0.0004:.4f}"  # within what "0.3" printed at one decimal could give, not what 0.32 gives
    published = {"layers[0].z[0][0]": "0.32", "layers[0].a[0][0]": wrong_a}
    report = cr.check_example(net, [[0.5, 0.3]], [[1.0]], 0.01, published)
    (d,) = report.disagreements
    assert d.kind == "error", d.diagnosis
    assert "rounded layers[0].z" not in d.diagnosis


def test_float_noise_is_not_called_rounding():
    # 0.1·11 = 1.1000000000000001 in float64: printed "1.1" is the truth, and is not listed as rounded
    net = cr.Network([1, 1], activation="identity", output_activation="identity", loss="half_squared_error")
    net.layers[0].weights, net.layers[0].bias = [[0.1]], [0.0]
    a_trunc = "1.1"
    report = cr.check_example(net, [[11.0]], [[0.0]], 0.1, {"layers[0].z[0][0]": "1.1", "layers[0].a[0][0]": a_trunc})
    assert report.disagreements == []
    new_w = 0.1 - 0.1 * 1.1 * 11.0
    (d,) = cr.check_example(
        net, [[11.0]], [[0.0]], 0.1, {"layers[0].z[0][0]": "1.1", "layers[0].new_weights[0][0]": f"{new_w + 0.3:.2f}"}
    ).disagreements
    assert d.kind == "error" and "rounded layers[0].z[0][0]" not in d.diagnosis


def test_a_cross_entropy_gradient_off_by_a_few_percent_is_no_half_factor():
    net = cr.Network([2, 3], activation="identity", output_activation="softmax", loss="cross_entropy", reduction="sum")
    net.layers[0].weights, net.layers[0].bias = [[0.2, -0.1], [0.4, 0.3], [-0.5, 0.1]], [0.0, 0.1, -0.1]
    x, y = [[0.7, -0.2]], [[0.0, 1.0, 0.0]]
    g = net.explain(x, y, 0.1).layers[0].grad_weights
    published = {f"layers[0].grad_weights[{j}][0]": f"{g[j, 0] * 1.04:.5f}" for j in range(3)}
    report = cr.check_example(net, x, y, 0.1, published)
    assert report.disagreements and all(d.kind in ("error", "follows") and not d.slips for d in report.disagreements)
    assert all("½" not in d.diagnosis for d in report.disagreements)
