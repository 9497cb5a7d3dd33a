"""Seed 002 reproduced: a bias-free 2-4-1 sigmoid network on XOR.

The seed's code: weights w1 (2, 4) and w2 (4, 1) drawn from U[0, 1) with
``np.random.uniform``, no biases, sigmoid hidden and output layers,
full-batch updates ``w += learning_rate · (…)·error`` with error = y − output
(the gradient of ½·Σ(a − y)²), learning rate 0.1, 10,000 epochs, then it
prints the outputs for the four XOR inputs. In chainrule::

    cr.Network([2, 4, 1], bias=False, init="uniform", loss="half_squared_error",
               reduction="sum", seed=s).fit(X, Y, epochs=10_000, learning_rate=0.1)

(chainrule stores weights as (outputs, inputs), the transposes of the seed's.)

What the seed got wrong
-----------------------
- Its prose says the output slope is "2 * (actual − predicted)", the
  gradient of Σ(a − y)² (chainrule's ``squared_error``); its code has no 2.
  A squared_error step is a half_squared_error step at twice the learning
  rate; both are run below.
- The code's indentation is lost in the text: as printed, it is an
  IndentationError.
- The prose says the activation slope "is 1 for relu"; the code uses the
  sigmoid, whose slope is at most 1/4.
- ``np.random.uniform`` without a seed: chainrule takes ``seed=``.

Set ``CHAINRULE_QUICK=1`` to count solved starts over 5 seeds instead of 20.
"""

from __future__ import annotations

import os

import numpy as np

import chainrule as cr
from chainrule.datasets import xor

EPOCHS = 10_000
LEARNING_RATE = 0.1


def train(seed: int, loss: str = "half_squared_error") -> cr.Network:
    """The seed's network and loop; ``loss="squared_error"`` is its prose's version."""
    X, Y = xor()
    net = cr.Network([2, 4, 1], activation="sigmoid", loss=loss, reduction="sum", bias=False, init="uniform", seed=seed)
    net.fit(X, Y, epochs=EPOCHS, learning_rate=LEARNING_RATE)
    return net


def main() -> None:
    X, Y = xor()
    print("Seed 002: bias-free 2-4-1 sigmoid network on XOR, U[0,1) init, lr 0.1, 10000 epochs (seed=0)")
    code = train(0, "half_squared_error")
    print("Predictions, the code's loss (half_squared_error):", np.array2string(code.predict(X).ravel(), precision=4))
    prose = train(0, "squared_error")
    print("Predictions, the prose's loss (squared_error):   ", np.array2string(prose.predict(X).ravel(), precision=4))
    seeds = range(5) if os.environ.get("CHAINRULE_QUICK") == "1" else range(20)
    solved = sum(bool(np.all((train(s).predict(X) > 0.5) == (Y > 0.5))) for s in seeds)
    print(
        f"Bias-free 2-4-1 solved XOR from {solved} of {len(seeds)} seeds "
        f"({seeds.start}..{seeds.stop - 1}) with the code's loss"
    )


if __name__ == "__main__":
    main()
