"""Seed 001 reproduced: one sigmoid neuron, one worked gradient-descent step.

The seed takes x = (0.5, 0.3), weights (0.2, 0.4), bias 0.1, target y = 1,
learning rate η = 0.01 and the loss L = ½(ŷ − y)², and works one step by
hand.

What the seed got wrong
-----------------------
- It prints z = 0.2·0.5 + 0.4·0.3 + 0.1 = 0.35; the sum is 0.32. Every later
  number it prints (ŷ ≈ 0.5866, ∂L/∂ŷ = −0.4134, ...) follows from the wrong
  0.35. The updated weights and bias happen to agree at the 4 decimals shown,
  because η·∂L/∂w is so small.
- It prints ∂L/∂w2 ≈ −0.0300; from its own z = 0.35 the value is −0.030073,
  which rounds to −0.0301 (the seed truncated it).
- It calls ½(ŷ − y)² "Mean Squared Error"; chainrule names it
  ``half_squared_error``.

Every number below is computed by chainrule (its forward pass, backward pass
and one epoch of ``fit``), not typed in.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

X = np.array([[0.5, 0.3]])
Y = np.array([[1.0]])
WEIGHTS = [[0.2, 0.4]]
BIAS = [0.1]
LEARNING_RATE = 0.01


def build() -> cr.Network:
    """The seed's neuron: 2 inputs, 1 sigmoid output, ½-squared error summed."""
    net = cr.Network([2, 1], loss="half_squared_error", reduction="sum")
    net.layers[0].weights = WEIGHTS
    net.layers[0].bias = BIAS
    return net


def worked_step() -> dict[str, float]:
    """One step by chainrule; every quantity the seed prints, by name."""
    net = build()
    [(grad_w, grad_b)] = net.gradients(X, Y)
    fwd = net.forward(X)  # the passes fit runs, read before the step
    back = net.backward(fwd, Y)
    layer = net.layers[0]
    values = {
        "z": fwd.zs[0][0, 0],
        "y_hat": fwd.activations[-1][0, 0],
        "dL/dy_hat": back.grad_a[-1][0, 0],
        "dy_hat/dz": layer.activation.derivative(fwd.zs[0], fwd.activations[-1])[0, 0],
        "delta = dL/dz": back.deltas[-1][0, 0],
        "dL/dw1": grad_w[0, 0],
        "dL/dw2": grad_w[0, 1],
        "dL/db": grad_b[0],
        "loss": back.loss,
    }
    net.fit(X, Y, epochs=1, learning_rate=LEARNING_RATE)
    values.update({"w1 new": layer.weights[0, 0], "w2 new": layer.weights[0, 1], "b new": layer.bias[0]})
    return {name: float(value) for name, value in values.items()}


def main() -> None:
    print("Seed 001: one sigmoid neuron, x = (0.5, 0.3), w = (0.2, 0.4), b = 0.1, y = 1, eta = 0.01")
    values = worked_step()
    seed_printed = {
        "z": "0.35",
        "y_hat": "0.5866",
        "dL/dy_hat": "-0.4134",
        "dy_hat/dz": "0.2425",
        "dL/dw1": "-0.0501",
        "dL/dw2": "-0.0300",
        "dL/db": "-0.1002",
        "w1 new": "0.2005",
        "w2 new": "0.4003",
        "b new": "0.1010",
    }
    print(f"{'quantity':<14} {'chainrule':>12}  seed printed")
    for name, value in values.items():
        print(f"{name:<14} {value:>12.6f}  {seed_printed.get(name, '')}")
    print(
        "Seed slip: z = 0.2*0.5 + 0.4*0.3 + 0.1 = "
        f"{values['z']:.2f}, not 0.35; the seed's later numbers follow from 0.35."
    )


if __name__ == "__main__":
    main()
