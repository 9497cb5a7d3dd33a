"""Tiny-network speed: µs per training step on seed 000's 2-2-1 XOR network.

Three peers train the same network (2-2-1 sigmoid with biases, ½-squared
error summed over the batch, full batch of 4, plain gradient descent at
lr 0.1, float64) from the same initial weights, in one run:

- chainrule: ``Network.fit(X, Y, epochs=N)``, which also records the loss
  of every epoch, checks it for divergence and honours Ctrl-C, twice: on the
  NumPy engine (``CHAINRULE_KERNELS=numpy``) and on the compiled loop of
  :mod:`chainrule.training.tiny` (``numba``, the ``fast`` extra; skipped
  without numba). The first compiled fit of the process, which imports numba
  and loads the loop from its cache (or compiles it), is timed apart;
- seed 000's code: its class (``forward``, ``backward``, ``train`` with the
  loss printed every 1000 epochs, here computed and kept instead of printed)
  re-implemented operation for operation: the reference of the ratio;
- a lean hand-written loop: the same mathematics with no class, no function
  calls and no loss at all, the fastest plain NumPy we could write (shown
  for honesty: it is a stricter bar than the seed's code);
- PyTorch: autograd and ``torch.optim.SGD`` on float64 tensors.

Each peer runs ``--repeats`` times, interleaved; the best time is reported
(the least disturbed by the rest of the machine), with the ratio to seed
000's code. All of them end at the same weights, which the script checks.

The load average (``/proc/loadavg``) is printed before and after: on a shared machine, compare runs
only at similar loads.

Usage: ``python benchmarks/xor.py [--steps 20000] [--repeats 5] [--no-torch]``
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import chainrule as cr
from chainrule.training import kernels

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y = np.array([[0], [1], [1], [0]], dtype=np.float64)
LR = 0.1


def initial_weights(seed: int = 1):
    net = cr.Network([2, 2, 1], reduction="sum", seed=seed)
    return [p.copy() for p in net.parameters()]


def run_chainrule(init, steps, path="numpy"):
    kernels.set_kernels(path)
    net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum")
    for p, v in zip(net.parameters(), init):
        p[...] = v
    t0 = time.perf_counter()
    net.fit(X, Y, epochs=steps, learning_rate=LR)
    seconds = time.perf_counter() - t0
    kernels.set_kernels(None)
    return seconds, [p.copy() for p in net.parameters()]


def run_compiled(init, steps):
    return run_chainrule(init, steps, "numba")


def _has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"


class SeedNetwork:
    """Seed 000's SimpleNeuralNetwork, re-implemented: columns are samples, biases are columns."""

    def __init__(self, init):
        W1, b1, W2, b2 = (v.copy() for v in init)
        self.W1, self.b1 = W1, b1.reshape(-1, 1)
        self.W2, self.b2 = W2, b2.reshape(-1, 1)

    @staticmethod
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def sigmoid_derivative(x):  # x is the sigmoid's output, as in the seed
        return x * (1 - x)

    def forward(self, X):
        self.z1 = np.dot(self.W1, X) + self.b1
        self.a1 = self.sigmoid(self.z1)
        self.z2 = np.dot(self.W2, self.a1) + self.b2
        self.a2 = self.sigmoid(self.z2)
        return self.a2

    def backward(self, X, y, learning_rate):
        delta2 = (self.a2 - y) * self.sigmoid_derivative(self.a2)
        delta1 = np.dot(self.W2.T, delta2) * self.sigmoid_derivative(self.a1)
        self.W2 -= learning_rate * np.dot(delta2, self.a1.T)
        self.b2 -= learning_rate * np.sum(delta2, axis=1, keepdims=True)
        self.W1 -= learning_rate * np.dot(delta1, X.T)
        self.b1 -= learning_rate * np.sum(delta1, axis=1, keepdims=True)

    def train(self, X, y, epochs, learning_rate):
        losses = []
        for epoch in range(epochs):
            output = self.forward(X)
            self.backward(X, y, learning_rate)
            if epoch % 1000 == 0:
                losses.append(np.mean((y - output) ** 2))  # the seed prints this
        return losses


def run_seed(init, steps):
    net = SeedNetwork(init)
    Xc, yc = X.T.copy(), Y.T.copy()
    t0 = time.perf_counter()
    net.train(Xc, yc, steps, LR)
    return time.perf_counter() - t0, [net.W1, net.b1.ravel(), net.W2, net.b2.ravel()]


def run_numpy(init, steps):
    """The same step as a lean loop: no class, no calls, no loss."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    W1, b1, W2, b2 = (v.copy() for v in init)
    b1 = b1.reshape(-1, 1)
    b2 = b2.reshape(-1, 1)
    Xc, yc = X.T.copy(), Y.T.copy()
    t0 = time.perf_counter()
    for _ in range(steps):
        a1 = sigmoid(W1 @ Xc + b1)
        a2 = sigmoid(W2 @ a1 + b2)
        delta2 = (a2 - yc) * a2 * (1 - a2)
        delta1 = (W2.T @ delta2) * a1 * (1 - a1)
        W2 -= LR * (delta2 @ a1.T)
        b2 -= LR * delta2.sum(axis=1, keepdims=True)
        W1 -= LR * (delta1 @ Xc.T)
        b1 -= LR * delta1.sum(axis=1, keepdims=True)
    return time.perf_counter() - t0, [W1, b1.ravel(), W2, b2.ravel()]


def run_torch(init, steps):
    import torch

    torch.set_num_threads(1)  # four samples: threads only cost time
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in init]
    W1, b1, W2, b2 = params
    x, y = torch.tensor(X), torch.tensor(Y)
    opt = torch.optim.SGD(params, lr=LR)
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        a2 = torch.sigmoid(torch.sigmoid(x @ W1.T + b1) @ W2.T + b2)
        loss = 0.5 * ((a2 - y) ** 2).sum()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, [p.detach().numpy().copy() for p in params]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    args = parser.parse_args(argv)

    init = initial_weights()
    print(f"load average before: {_loadavg()}")
    peers = {"seed 000's code": run_seed, "lean NumPy loop": run_numpy, "chainrule": run_chainrule}
    first_call = None
    if _has_numba():
        t0 = time.perf_counter()
        run_compiled(init, 1)  # imports numba and loads (or compiles) the loop
        first_call = time.perf_counter() - t0
        peers["chainrule compiled"] = run_compiled
    if not args.no_torch:
        peers["PyTorch"] = run_torch
    best, finals = {}, {}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit every peer
        for name, fn in peers.items():
            seconds, finals[name] = fn(init, args.steps)
            best[name] = min(best.get(name, np.inf), seconds)

    reference = finals["seed 000's code"]
    for name, final in finals.items():
        worst = max(float(np.max(np.abs(a - b))) for a, b in zip(final, reference))
        if worst > 1e-6:
            raise SystemExit(f"{name} ended {worst:.2e} away from the seed code's weights")

    print(
        f"XOR 2-2-1, {args.steps} full-batch steps, best of {args.repeats}; "
        f"numpy {np.__version__}, Python {platform.python_version()}"
    )
    base = best["seed 000's code"]
    print(f"{'peer':<20} {'µs/step':>10} {'ratio to seed 000':>18}")
    for name, seconds in best.items():
        us = seconds / args.steps * 1e6
        print(f"{name:<20} {us:>10.3f} {seconds / base:>17.4f}x")
    if first_call is not None:
        print(f"first compiled fit of the process (numba imported, the loop loaded or compiled): {first_call:.2f} s")
    print(f"load average after: {_loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
