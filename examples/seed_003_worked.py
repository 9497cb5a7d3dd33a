"""Seed 003 reproduced: a 2-2-1 sigmoid network without bias, one step by hand.

Input x = (0.35, 0.9), target 0.5, learning rate 1, loss ½(a − y)². Hidden
weights (rows = neurons, columns = x1, x2): top [0.1, 0.8], bottom
[0.4, 0.6]; output weights [0.3, 0.9].

What the seed got wrong
-----------------------
- Its hidden-layer step uses the *already updated* output weights (0.272392,
  0.87305) instead of the old ones (0.3, 0.9), so its new hidden weights
  (0.09916, 0.7978, 0.3972, 0.5928) are not backpropagation. True backprop
  gives 0.09907, 0.7976, 0.3971, 0.5926. Its own "How to Generalize"
  formulas use the old weights, and agree with chainrule.
- Several printed numbers come from rounded intermediates: 0.80133 from 0.68
  and 0.6637 (exactly 0.801445); 0.272392 and 0.87305 from δ = −0.0406
  (exactly −0.040681). 0.5928 is 0.59287 truncated (rounded: 0.5929), and
  its −7.916e-3 is neither −7.912e-3 (from its rounded values) nor −7.926e-3
  (exact).
- The w4..w6 lines write "0.1 +" where the old weights are 0.8, 0.4, 0.6.
- Its δ = (target − output)·σ' is minus chainrule's δ = ∂L/∂z; its update
  adds η·δ·input where chainrule subtracts η·∂L/∂w: the same step.

chainrule computes every "chainrule" number below; the seed's variant is
recomputed from chainrule's recorded values to show where its numbers come from.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

X = np.array([[0.35, 0.9]])
Y = np.array([[0.5]])
W_HIDDEN = [[0.1, 0.8], [0.4, 0.6]]
W_OUT = [[0.3, 0.9]]


def build() -> cr.Network:
    """The seed's network: 2-2-1, sigmoid, no bias, ½-squared error."""
    net = cr.Network([2, 2, 1], activation="sigmoid", loss="half_squared_error", reduction="sum", bias=False)
    net.layers[0].weights = W_HIDDEN
    net.layers[1].weights = W_OUT
    return net


def worked_step() -> dict[str, np.ndarray]:
    """One step at learning rate 1: what the forward and backward passes
    recorded, the new weights, and the seed's variant of the hidden update."""
    net = build()
    fwd = net.forward(X)  # the passes fit runs, read before the step
    back = net.backward(fwd, Y)
    record = {
        "hidden inputs z1": fwd.zs[0][0].copy(),
        "hidden outputs a1": fwd.activations[1][0].copy(),
        "output input z2": fwd.zs[1][0].copy(),
        "output a2": fwd.activations[2][0].copy(),
        "output delta (dL/dz)": back.deltas[1][0].copy(),
        "hidden deltas (dL/dz)": back.deltas[0][0].copy(),
    }
    net.fit(X, Y, epochs=1, learning_rate=1.0)
    record["new output weights"] = net.layers[1].weights[0].copy()
    record["new hidden weights"] = net.layers[0].weights.copy()
    # The seed's slip: hidden deltas through the updated output weights.
    a1 = record["hidden outputs a1"]
    slip = record["output delta (dL/dz)"][0] * record["new output weights"] * a1 * (1 - a1)
    record["seed's hidden deltas (updated weights)"] = slip
    record["seed's new hidden weights"] = np.array(W_HIDDEN) - np.outer(slip, X[0])
    return record


def main() -> None:
    print("Seed 003: 2-2-1 sigmoid, no bias, x = (0.35, 0.9), target 0.5, lr 1")
    record = worked_step()
    for name, value in record.items():
        print(f"{name:<40} {np.array2string(np.ravel(value), precision=6)}")
    print(
        "seed's delta, (target - output)*...     "
        f"{-record['output delta (dL/dz)'][0]:.6f}  (minus chainrule's; the seed prints -0.0406)"
    )
    print("seed published hidden weights           [0.09916 0.7978 0.3972 0.5928]")

    # The seed's 2-3-2 generalisation, one step with chainrule.
    rng = np.random.default_rng(0)
    net = cr.Network([2, 3, 2], activation="sigmoid", loss="half_squared_error", reduction="sum", bias=False, seed=0)
    x, t = rng.uniform(-1, 1, (1, 2)), rng.uniform(0, 1, (1, 2))
    before = net.loss(x, t)
    net.fit(x, t, epochs=1, learning_rate=1.0)
    print(f"2-3-2 generalisation, one step at lr 1: loss {before:.6f} -> {net.loss(x, t):.6f}")


if __name__ == "__main__":
    main()
