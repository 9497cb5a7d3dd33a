"""chainrule.sklearn against scikit-learn's MLPClassifier/MLPRegressor: fit time and test score.

Both estimators get the same hyperparameters (hidden layers, activation,
Adam, learning rate, batch size, alpha, random_state) and the same float32
data, and both run exactly ``--epochs`` epochs (``tol=0`` and
``n_iter_no_change=epochs`` switch off the convergence test, so the times
compare the same amount of work). Data sets:

- digits: scikit-learn's bundled 8×8 digits (1,797 images, 10 classes), 25% held out;
- Fashion-MNIST: the first ``--fashion-train`` training images and the 10,000
  test images (from ``/usr/share/datasets/fashion-mnist``, see
  :func:`chainrule.datasets.load_fashion_mnist`); skipped if absent;
- diabetes: scikit-learn's bundled regression set (442 patients, 10
  features), standardised, 25% held out; the score is R².

The lbfgs rows (digits and diabetes, the small sets scikit-learn recommends
lbfgs for) run ``solver="lbfgs"`` in both with ``max_iter=--lbfgs-iter`` and
the default ``tol``: each stops by its own rules (n_iter says how many
iterations it took), from its own initial weights.

Run: ``python benchmarks/sklearn_mlp.py`` (``--quick`` for small settings). BLAS runs
on one thread for both libraries unless ``--blas-threads`` says otherwise:
on a machine shared with other work, multi-threaded BLAS timings swing by 5x.
Prints one Markdown table; ratio = scikit-learn's fit time / chainrule's.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import chainrule as cr
from chainrule.sklearn import MLPClassifier, MLPRegressor


def datasets(fashion_train: int):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    yield "digits", "classifier", train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    try:
        (Xtr, ytr), (Xte, yte) = cr.datasets.load_fashion_mnist(dtype="float32")
    except FileNotFoundError as exc:
        print(f"(Fashion-MNIST skipped: {exc})")
    else:
        yield "Fashion-MNIST", "classifier", (Xtr[:fashion_train], Xte, ytr[:fashion_train], yte)
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    mean, std = ytr.mean(), ytr.std()
    yield (
        "diabetes",
        "regressor",
        (
            scaler.transform(Xtr).astype(np.float32),
            scaler.transform(Xte).astype(np.float32),
            ((ytr - mean) / std).astype(np.float32),
            ((yte - mean) / std).astype(np.float32),
        ),
    )


def timed_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, nargs="+", default=[100])
    parser.add_argument("--fashion-train", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--lbfgs-iter", type=int, default=200, help="max_iter of the lbfgs rows")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads for both libraries (default 1: stable timings on a shared machine)",
    )
    parser.add_argument("--quick", action="store_true", help="10 epochs, 10,000 Fashion-MNIST training images")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.fashion_train = 10, 10000
    params = dict(
        hidden_layer_sizes=tuple(args.hidden),
        activation="relu",
        solver="adam",
        alpha=1e-4,
        learning_rate_init=1e-3,
        batch_size=args.batch_size,
        max_iter=args.epochs,
        tol=0.0,
        n_iter_no_change=args.epochs,
        random_state=0,
    )
    print(
        f"# chainrule.sklearn vs scikit-learn {sklearn.__version__} MLP: hidden {tuple(args.hidden)}, relu, "
        f"adam lr 1e-3, batch {args.batch_size}, alpha 1e-4, {args.epochs} epochs, float32 data"
    )
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"{args.blas_threads} BLAS thread(s), numpy {np.__version__}\n"
    )
    print(
        "| data | solver | n_train | n_iter (chainrule / sklearn) | chainrule fit s | sklearn fit s "
        "| ratio (sklearn/chainrule) | chainrule score | sklearn score |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        run(args, params)
    return 0


def run(args, params) -> None:
    lbfgs = {
        **{k: params[k] for k in ("hidden_layer_sizes", "activation", "alpha", "random_state")},
        "solver": "lbfgs",
        "max_iter": args.lbfgs_iter,
    }
    for name, kind, (Xtr, Xte, ytr, yte) in datasets(args.fashion_train):
        settings = [("adam", params)] + ([("lbfgs", lbfgs)] if name != "Fashion-MNIST" else [])
        for solver, chosen in settings:
            ours = (MLPClassifier if kind == "classifier" else MLPRegressor)(**chosen)
            theirs = (SkClassifier if kind == "classifier" else SkRegressor)(**chosen)
            t_ours = timed_fit(ours, Xtr, ytr)
            t_theirs = timed_fit(theirs, Xtr, ytr)
            if solver == "adam":
                assert ours.n_iter_ == theirs.n_iter_ == args.epochs
            metric = "acc" if kind == "classifier" else "R²"
            print(
                f"| {name} | {solver} | {len(Xtr)} | {ours.n_iter_} / {theirs.n_iter_} | {t_ours:.2f} | "
                f"{t_theirs:.2f} | {t_theirs / t_ours:.2f} | "
                f"{metric} {ours.score(Xte, yte):.4f} | {metric} {theirs.score(Xte, yte):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    raise SystemExit(main())
