"""Determinism: the same seed gives the same bits, in one process or another, run through or resumed.

Resuming from a checkpoint written at epoch k and training on must give
exactly (bit for bit) the weights, the optimiser's state, the random
generators' states and the history of an uninterrupted run: for SGD with
momentum and Adam, float32 and float64, with dropout and shuffled
mini-batches.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.training.callbacks import Checkpoint

EPOCHS, K = 5, 2


def _data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 4))
    return X, rng.integers(0, 3, 40)


def _net(dtype):
    return cr.Network([4, 6, 5, 3], activation="relu", loss="cross_entropy", init="he", seed=11, dtype=dtype)


def _optimizer(name):
    return cr.SGD(0.05, momentum=0.9, nesterov=True) if name == "momentum" else cr.Adam(0.01)


FIT = {"batch_size": 7, "dropout": 0.2, "shuffle": True}


def _state(net):
    """Everything that decides the future of a network, as bytes and plain values."""
    counters, arrays = net.optimizer_.get_state()
    return {
        "vector": net.params.tobytes(),
        "dtype": net.dtype.name,
        "optimizer": (counters, {k: v.tobytes() for k, v in sorted(arrays.items())}),
        "shuffle": net.shuffle_rng.bit_generator.state,
        "dropout": net.dropout_rng.bit_generator.state,
        "epochs": net.epochs_trained_,
    }


def _history(h):
    return (h.epochs, [float(x).hex() for x in h.loss], [float(x).hex() for x in h.accuracy])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_same_seed_same_bits_in_one_process(dtype, optimizer):
    X, y = _data()
    runs = []
    for _ in range(2):
        net = _net(dtype)
        history = net.fit(X, y, epochs=3, optimizer=_optimizer(optimizer), **FIT)
        runs.append((_state(net), _history(history)))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_resuming_from_a_checkpoint_at_epoch_k_is_bit_identical(tmp_path, dtype, optimizer):
    X, y = _data()
    straight = _net(dtype)
    history = straight.fit(X, y, epochs=EPOCHS, optimizer=_optimizer(optimizer), **FIT)

    first = _net(dtype)
    checkpoint = Checkpoint(tmp_path / "ck-{epoch}.npz")
    head = first.fit(X, y, epochs=EPOCHS, optimizer=_optimizer(optimizer), callbacks=[checkpoint], **FIT)
    assert _history(head) == _history(history)  # a checkpoint changes nothing in the run
    resumed = cr.load(tmp_path / f"ck-{K}.npz")  # as if the run had stopped after epoch k
    assert resumed.epochs_trained_ == K
    tail = resumed.fit(X, y, epochs=EPOCHS - K, optimizer=resumed.optimizer_, **FIT)
    assert _state(resumed) == _state(straight)
    assert tail.epochs == history.epochs[K:]
    assert [x.hex() for x in tail.loss] == [float(x).hex() for x in history.loss[K:]]


_SCRIPT = r"""
import hashlib, json, sys
import numpy as np, chainrule as cr
rng = np.random.default_rng(7)
X = rng.standard_normal((40, 4)); y = rng.integers(0, 3, 40)
net = cr.Network([4, 6, 5, 3], activation="relu", loss="cross_entropy", init="he", seed=11, dtype=sys.argv[1])
if len(sys.argv) > 2:
    net = cr.load(sys.argv[2])
    h = net.fit(X, y, epochs=2, batch_size=7, dropout=0.2, optimizer=net.optimizer_)
else:
    h = net.fit(X, y, epochs=2, batch_size=7, dropout=0.2, optimizer=cr.Adam(0.01))
print(json.dumps({"weights": hashlib.sha256(net.params.tobytes()).hexdigest(),
                  "loss": [float(x).hex() for x in h.loss]}))
"""


def _in_a_process(*args):
    out = subprocess.run([sys.executable, "-c", _SCRIPT, *args], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_same_bits_across_processes(tmp_path, dtype):
    import hashlib

    X, y = _data()
    net = _net(dtype)
    history = net.fit(X, y, epochs=2, batch_size=7, dropout=0.2, optimizer=cr.Adam(0.01))
    here = {"weights": hashlib.sha256(net.params.tobytes()).hexdigest(), "loss": [float(x).hex() for x in history.loss]}
    assert _in_a_process(dtype) == here
    # And a checkpoint written here resumes there, bit for bit, as it would here.
    net.save(tmp_path / "ck.npz")
    there = _in_a_process(dtype, str(tmp_path / "ck.npz"))
    h2 = net.fit(X, y, epochs=2, batch_size=7, dropout=0.2, optimizer=net.optimizer_)
    assert there == {
        "weights": hashlib.sha256(net.params.tobytes()).hexdigest(),
        "loss": [float(x).hex() for x in h2.loss],
    }


def test_different_seeds_differ():
    """The control: the comparisons above can fail."""
    X, y = _data()
    a, b = _net("float64"), cr.Network([4, 6, 5, 3], activation="relu", loss="cross_entropy", init="he", seed=12)
    a.fit(X, y, epochs=1, **FIT)
    b.fit(X, y, epochs=1, **FIT)
    assert _state(a) != _state(b)
