"""chainrule demo (``make demo``): the four seed documents reproduced, seed 003's
step explained and checked (also as an interactive page), XOR, and a small
2-D classifier with its plots and training report.

Pages and plots are written under ``$CHAINRULE_OUT`` (default ``out/``).

Runs each seed example briefly (``CHAINRULE_QUICK=1``: the XOR success rates
are measured over a few seeds instead of 100; every number is still a real
run), then trains the recipe shipped in ``seed_000_xor.py`` on XOR and
prints its predictions. Each seed example's docstring says what that seed
got wrong.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.cli.main import main as chainrule_cli
from chainrule.datasets import moons, train_validation_split, xor
from chainrule.plotting import save_training_plots
from chainrule.web.explainer import report_html

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed_000_xor
import seed_001_neuron
import seed_002_xor_nobias
import seed_003_worked


def main() -> None:
    os.environ.setdefault("CHAINRULE_QUICK", "1")
    start = time.perf_counter()
    for module in (seed_001_neuron, seed_003_worked, seed_000_xor, seed_002_xor_nobias):
        print(f"==== {Path(module.__file__).name}")
        module.main()
        print()

    out = Path(os.environ.get("CHAINRULE_OUT", "out"))
    worked = Path(__file__).resolve().parent / "worked" / "seed_003.toml"
    print(f"==== chainrule explain {worked.relative_to(Path.cwd()) if worked.is_relative_to(Path.cwd()) else worked}")
    chainrule_cli(["explain", str(worked)])
    print()
    print("==== chainrule check (seed 003's published numbers against true backprop)")
    chainrule_cli(["check", str(worked)])
    print()
    out.mkdir(parents=True, exist_ok=True)
    page = out / "seed_003.html"
    chainrule_cli(["explain", str(worked), "--format", "html", "-o", str(page)])
    print(f"seed 003's step as an interactive page (arrow keys walk it): {page.resolve()}")
    print()

    print("==== XOR with the shipped recipe (2-8-1 sigmoid, lr 1.0, 2000 epochs, seed=0)")
    X, Y = xor()
    net, history = seed_000_xor.train(seed_000_xor.SHIPPED_RECIPE, seed=0)
    print(net)
    print(f"loss (half squared error, summed): first epoch {history.loss[0]:.4f}, last {history.loss[-1]:.6f}")
    for x, y, p in zip(X, Y.ravel(), net.predict(X).ravel()):
        print(f"XOR({int(x[0])}, {int(x[1])}) = {int(y)}: predicted {p:.4f} -> {int(p > 0.5)}")
    print(f"solved: {seed_000_xor.solves_xor(net)}")
    print()

    print("==== Two moons: a 2-16-2 tanh network, softmax cross-entropy, Adam; plots and report")
    X, y = moons(200, seed=0)
    X_train, X_val, y_train, y_val = train_validation_split(X, y, validation_fraction=0.25, seed=0)
    net = cr.Network([2, 16, 2], activation="tanh", loss="cross_entropy", seed=0)
    history = net.fit(
        X_train, y_train, epochs=40, learning_rate=0.05, batch_size=32, optimizer="adam", validation_data=(X_val, y_val)
    )
    print(f"validation accuracy after {len(history)} epochs: {history.val_accuracy[-1]:.3f}")
    plots = out / "moons"
    for path in save_training_plots(net, history, plots, X, y):
        print(f"wrote {path.resolve()}")
    report = plots / "report.html"
    report.write_text(report_html(net, history, title="Two moons"), encoding="utf-8")
    print(f"wrote {report.resolve()}")
    print(f"demo took {time.perf_counter() - start:.1f} s (chainrule {cr.__version__}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
