"""The defaults' results, before and after issue 16, against PyTorch's defaults, in one run.

What a first-hour user gets without choosing a setting, measured on the toy
sets (200 points of seed 0 for training, 200 fresh points of seed 1 for the
score; xor: its 4 rows) and on Fashion-MNIST after 3 epochs (the 60,000
training images, scored on the 10,000 test images):

- **CLI before**: the old ``chainrule train`` defaults: no hidden layer, 10
  epochs (3 on Fashion-MNIST), Adam at 0.001, batches of 128, N(0, 1) weights;
- **CLI after**: ``chainrule train DATA`` (``--epochs 3`` on Fashion-MNIST)
  with today's defaults, run through ``chainrule.cli.main``;
- **PyTorch defaults**: the same architecture as *CLI after*, with
  ``torch.nn.Linear``'s own initialisation, ``torch.optim.Adam()`` (lr 0.001),
  ``CrossEntropyLoss``, batches of 128 shuffled by a ``DataLoader``, the same epochs;
- **fit before / fit after** (Fashion-MNIST only, the issue's second case):
  ``Network([784, 256, 128, 10], activation="relu", loss="cross_entropy")
  .fit(X, y, epochs=3)``, the library's textbook defaults (full batch, SGD at
  0.1), with the N(0, 1) weights of before and the scaled ``init="auto"`` of now;
  *after* also warns (TrainingWarning) that one step per epoch is too few.

Run: ``python benchmarks/first_hour.py`` (about three minutes on two cores).
Prints one Markdown table of accuracies.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings

import numpy as np
import torch

import chainrule as cr
from chainrule.cli import main as chainrule_main
from chainrule.cli.train import auto_epochs, auto_hidden

TOYS = ("moons", "circles", "spirals", "xor")


def toy(name: str, seed: int):
    if name == "xor":
        X, Y = cr.datasets.xor()
        return X, Y[:, 0].astype(np.int64)
    return getattr(cr.datasets, name)(200, seed=seed)


def accuracy(net, X, y) -> float:
    return float((net.predict(X).argmax(axis=1) == y).mean())


def cli_before(X, y, X_test, y_test, epochs: int) -> float:
    k = int(y.max()) + 1
    net = cr.Network([X.shape[1], k], activation="relu", loss="cross_entropy", init="normal", seed=0, dtype="float32")
    net.fit(X, y, epochs=epochs, batch_size=128, optimizer="adam", learning_rate=0.001, warn=False)
    return accuracy(net, X_test, y_test)


def cli_after(data: str, extra: list[str], test_args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as directory:
        model = os.path.join(directory, "m.npz")
        stdout = sys.stdout
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (closed below)
            assert chainrule_main(["train", data, "--quiet", "--save", model, *extra]) == 0
        finally:
            sys.stdout.close()
            sys.stdout = stdout
        result_file = os.path.join(directory, "r.json")
        with open(result_file, "w") as fh:
            sys.stdout = fh
            try:
                assert chainrule_main(["evaluate", model, data, "--json", *test_args]) == 0
            finally:
                sys.stdout = stdout
        with open(result_file) as fh:
            return json.load(fh)["accuracy"]


def torch_defaults(X, y, X_test, y_test, epochs: int) -> float:
    torch.manual_seed(0)
    k = int(y.max()) + 1
    hidden = auto_hidden(X.shape[1], k)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, k))
    optimizer = torch.optim.Adam(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    dataset = torch.utils.data.TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    with torch.no_grad():
        predicted = model(torch.tensor(X_test, dtype=torch.float32)).argmax(dim=1).numpy()
    return float((predicted == y_test).mean())


def fit_defaults(X, y, X_test, y_test, init: str) -> tuple[float, list[str]]:
    net = cr.Network([784, 256, 128, 10], activation="relu", loss="cross_entropy", init=init, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", cr.TrainingWarning)
        net.fit(X, y, epochs=3)
    return accuracy(net, X_test, y_test), [str(w.message).split(":")[0] for w in caught]


def main() -> None:
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rows = []
    for name in TOYS:
        X, y = toy(name, 0)
        X_test, y_test = toy(name, 1)
        epochs = auto_epochs(len(X), 128)
        test_args = ["--data-seed", "1"]
        rows.append(
            (
                name,
                cli_before(X, y, X_test, y_test, 10),
                cli_after(name, [], test_args),
                torch_defaults(X, y, X_test, y_test, epochs),
                None,
                None,
            )
        )
    (X, y), (X_test, y_test) = cr.datasets.load_fashion_mnist()
    before, _ = fit_defaults(X, y, X_test, y_test, "normal")
    after, warned = fit_defaults(X, y, X_test, y_test, "auto")
    rows.append(
        (
            "Fashion-MNIST, 3 epochs",
            cli_before(X, y, X_test, y_test, 3),
            cli_after("fashion-mnist", ["--epochs", "3"], []),
            torch_defaults(X, y, X_test, y_test, 3),
            before,
            after,
        )
    )
    print("| data | CLI before | CLI after | PyTorch defaults | fit before | fit after |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, *values in rows:
        cells = ["" if v is None else f"{v:.4f}" for v in values]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nfit after warned: {'; '.join(warned) or 'nothing'}")
    print(f"torch {torch.__version__}, numpy {np.__version__}, chainrule {cr.__version__}")


if __name__ == "__main__":
    main()
