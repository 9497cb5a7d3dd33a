"""chainrule.distributed, run for real: ``mpiexec -n 2`` (and 3) processes against one process.

Each test writes a short script, launches it under MPICH's ``mpiexec`` (the
``mpi`` extra's wheel puts it beside ``python``) with a time limit, and
compares what the ranks saved with a single-process ``Network.fit`` run here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import distributed
from chainrule.cli import main

pytest.importorskip("mpi4py", reason="chainrule.distributed needs the 'mpi' extra: pip install 'chainrule[mpi]'")

SRC = Path(cr.__file__).resolve().parents[1]
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")
if MPIEXEC is None:
    pytest.skip("no mpiexec: the 'mpi' extra brings MPICH's (pip install 'chainrule[mpi]')", allow_module_level=True)

#: A launch never waits longer than this (a hang fails the test instead of the suite).
LIMIT = 120

# The data every script and the tests share (made, not loaded: the scripts rebuild it from this code).
DATA = """
import numpy as np
rng = np.random.default_rng(7)
X = rng.normal(size=(203, 6))
y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] ** 2 > 0.3).astype(int)
Yr = np.c_[np.sin(X[:, 0]) + X[:, 3], X[:, 1] * X[:, 2]]
"""


def _data():
    namespace: dict = {}
    exec(DATA, namespace)
    return namespace["X"], namespace["y"], namespace["Yr"]


def _launch(tmp_path: Path, body: str, n: int | None = 2, check: bool = True) -> subprocess.CompletedProcess:
    """Run the script on n ranks (None: one plain process, no mpiexec), within LIMIT seconds."""
    script = tmp_path / "script.py"
    script.write_text(
        "import json, sys\nimport numpy as np\nimport chainrule as cr\nfrom chainrule import distributed\n"
        + DATA
        + "comm = distributed.world()\nrank = comm.Get_rank()\n"
        + textwrap.dedent(body),
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    result = subprocess.run(
        ([] if n is None else [MPIEXEC, "-n", str(n)]) + [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _per_rank(tmp_path: Path, name: str, n: int) -> list:
    return [json.loads((tmp_path / f"{name}{r}.json").read_text()) for r in range(n)]


# -- two ranks train exactly as one process ----------------------------------------------


CASES = [
    # (sizes, loss, reduction, batch_size, optimizer)
    ([6, 8, 2], "cross_entropy", "sum", None, "sgd"),
    ([6, 8, 2], "cross_entropy", "mean", None, "adam"),
    ([6, 8, 5, 2], "mse", "mean", None, "rmsprop"),
    ([6, 8, 2], "cross_entropy", "mean", 16, "adam"),
    ([6, 8, 2], "cross_entropy", "sum", 10, "sgd"),
    ([6, 8, 5, 2], "mse", "mean", 32, "sgd"),
]


def _serial(case, dtype="float64", epochs=12, **options):
    sizes, loss, reduction, batch_size, optimizer = case
    X, y, Yr = _data()
    net = cr.Network(sizes, activation="tanh", loss=loss, reduction=reduction, seed=5, dtype=dtype)
    Y = y if loss == "cross_entropy" else Yr
    history = net.fit(X, Y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, learning_rate=0.01, **options)
    return net, history


TRAIN_CASES = """
out = []
for sizes, loss, reduction, batch_size, optimizer in CASES:
    net = cr.Network(sizes, activation="tanh", loss=loss, reduction=reduction, seed=5, dtype=DTYPE)
    Xs, Ys = distributed.shard(X, y if loss == "cross_entropy" else Yr)
    history = distributed.fit(net, Xs, Ys, epochs=12, batch_size=batch_size, optimizer=optimizer,
                              learning_rate=0.01)
    out.append({"params": net.params.astype(float).tolist(), "loss": history.loss,
                "accuracy": history.accuracy, "rows": len(Xs)})
json.dump(out, open(f"train{rank}.json", "w"))
"""


@pytest.mark.parametrize("n_ranks", [2, 3])
def test_ranks_train_float64_exactly_as_one_process(tmp_path, n_ranks):
    _launch(tmp_path, f"CASES = {CASES!r}\nDTYPE = 'float64'\n" + TRAIN_CASES, n=n_ranks)
    ranks = _per_rank(tmp_path, "train", n_ranks)
    assert sum(r[0]["rows"] for r in ranks) == 203  # the shards are the data set
    for i, case in enumerate(CASES):
        net, history = _serial(case)
        for r in ranks:
            # every rank holds the same network, bit for bit
            np.testing.assert_array_equal(r[i]["params"], ranks[0][i]["params"])
        np.testing.assert_allclose(ranks[0][i]["params"], net.params, rtol=0, atol=1e-12, err_msg=str(case))
        np.testing.assert_allclose(ranks[0][i]["loss"], history.loss, rtol=1e-12, atol=0, err_msg=str(case))
        np.testing.assert_array_equal(ranks[0][i]["accuracy"], history.accuracy)
        assert not np.allclose(net.params, cr.Network(case[0], activation="tanh", seed=5).params)  # it trained


def test_float32_minibatches_are_the_serial_batches(tmp_path):
    cases = [c for c in CASES if c[3] is not None]
    _launch(tmp_path, f"CASES = {cases!r}\nDTYPE = 'float32'\n" + TRAIN_CASES)
    rank0 = _per_rank(tmp_path, "train", 2)[0]
    for i, case in enumerate(cases):
        net, history = _serial(case, dtype="float32")
        # The same batches in the same order; only the float32 sums' order differs.
        np.testing.assert_allclose(rank0[i]["params"], net.params, rtol=1e-4, atol=1e-5, err_msg=str(case))
        np.testing.assert_allclose(rank0[i]["loss"], history.loss, rtol=1e-5, err_msg=str(case))
        # Another batch order would move the weights far more than float32 rounding does.
        other, _ = _serial(case, dtype="float32", shuffle=False)
        assert np.abs(other.params - net.params).max() > 100 * np.abs(np.asarray(rank0[i]["params"]) - net.params).max()


def test_validation_early_stopping_sample_weights_and_dropout_agree_on_every_rank(tmp_path):
    body = """
    w = np.where(y == 1, 2.0, 0.5)
    Xs, ys, ws = distributed.shard(X, y, w)
    net = cr.Network([6, 16, 2], activation="relu", loss="cross_entropy", seed=2)
    h = distributed.fit(net, Xs, ys, epochs=40, batch_size=8, optimizer="adam", learning_rate=0.05,
                        sample_weight=ws, validation_data=(X[:60], y[:60]), early_stopping=3)
    d = cr.Network([6, 16, 2], activation="relu", loss="cross_entropy", seed=2)
    hd = distributed.fit(d, Xs, ys, epochs=3, batch_size=8, dropout=0.3, learning_rate=0.05)
    json.dump({"params": net.params.tolist(), "val_loss": h.val_loss, "best": h.best_epoch,
               "stopped": h.stopped_early, "accuracy": h.accuracy, "dropout_params": d.params.tolist(),
               "dropout_state": repr(d.dropout_rng.bit_generator.state)}, open(f"v{rank}.json", "w"))
    """
    _launch(tmp_path, body)
    r0, r1 = _per_rank(tmp_path, "v", 2)
    assert r0 == r1  # the same decisions, measurements and weights on both ranks
    X, y, _ = _data()
    net = cr.Network([6, 16, 2], activation="relu", loss="cross_entropy", seed=2)
    h = net.fit(
        X,
        y,
        epochs=40,
        batch_size=8,
        optimizer="adam",
        learning_rate=0.05,
        sample_weight=np.where(y == 1, 2.0, 0.5),
        validation_data=(X[:60], y[:60]),
        early_stopping=3,
    )
    assert h.stopped_early and r0["stopped"] and r0["best"] == h.best_epoch
    np.testing.assert_allclose(r0["val_loss"], h.val_loss, rtol=1e-10)
    np.testing.assert_allclose(r0["accuracy"], h.accuracy, rtol=1e-12)  # Σ w·hit / Σ w over all ranks
    np.testing.assert_allclose(r0["params"], net.params, atol=1e-12)


# -- checkpoints: rank 0 writes, any number of ranks resumes ------------------------------


def test_checkpoints_are_written_by_rank_0_and_resume_on_any_number_of_ranks(tmp_path):
    case = ([6, 8, 2], "cross_entropy", "mean", 16, "adam")
    body = """
    net = cr.Network([6, 8, 2], activation="tanh", loss="cross_entropy", seed=5)
    Xs, ys = distributed.shard(X, y)
    saver = cr.callbacks.Checkpoint("ckpt-{epoch}.npz", every=2)
    distributed.fit(net, Xs, ys, epochs=5, batch_size=16, optimizer="adam", learning_rate=0.01,
                    callbacks=[saver])
    json.dump(saver.saved, open(f"saved{rank}.json", "w"))
    """
    _launch(tmp_path, body, n=2)
    saved = _per_rank(tmp_path, "saved", 2)
    assert saved == [["ckpt-2.npz", "ckpt-4.npz", "ckpt-5.npz"], []]
    assert sorted(p.name for p in tmp_path.glob("ckpt-*.npz")) == ["ckpt-2.npz", "ckpt-4.npz", "ckpt-5.npz"]

    serial, _ = _serial(case, epochs=12)
    X, y, _ = _data()
    # Resumed in one process (Network.fit) ...
    one = cr.load(tmp_path / "ckpt-4.npz")
    one.fit(X, y, epochs=8, batch_size=16, optimizer="adam", learning_rate=0.01)
    np.testing.assert_allclose(one.params, serial.params, atol=1e-12)
    # ... and on three ranks.
    body = """
    net = cr.load("ckpt-4.npz")
    Xs, ys = distributed.shard(X, y)
    distributed.fit(net, Xs, ys, epochs=8, batch_size=16, optimizer="adam", learning_rate=0.01)
    json.dump(net.params.tolist(), open(f"resumed{rank}.json", "w"))
    """
    _launch(tmp_path, body, n=3)
    for params in _per_rank(tmp_path, "resumed", 3):
        np.testing.assert_allclose(params, serial.params, atol=1e-12)


# -- a rank that fails stops every rank, with a clear error -------------------------------


def test_bad_input_or_divergence_on_one_rank_raises_on_every_rank(tmp_path):
    body = """
    messages = []
    def attempt(make_shard, error, loss="cross_entropy", scale=None, **options):
        net = cr.Network([6, 8, 2], activation="tanh", loss=loss, seed=5, input_scale=scale)
        Xs, ys = make_shard()
        try:
            distributed.fit(net, Xs, ys, epochs=3, batch_size=16, **options)
        except error as exc:
            messages.append(f"{type(exc).__name__}: {exc}")
        else:
            messages.append("no error")
    def narrow():
        Xs, ys = distributed.shard(X, y)
        return (Xs[:, :5] if rank == 1 else Xs), ys
    def nan():
        Xs, ys = distributed.shard(X, y)
        Xs = Xs.copy()
        if rank == 1:
            Xs[3, 2] = np.nan
        return Xs, ys
    def huge():  # finite data, but rank 1's targets make its loss overflow at once
        Xs, Ys = distributed.shard(X, Yr)
        return Xs, (Ys * 1e200 if rank == 1 else Ys)
    attempt(narrow, ValueError)
    attempt(nan, ValueError)
    attempt(huge, cr.TrainingDiverged, loss="mse", learning_rate=0.1)
    attempt(lambda: distributed.shard(X, y), ValueError, learning_rate=0.1 if rank == 0 else 0.2)
    attempt(lambda: distributed.shard(X, y), ValueError, scale=None if rank == 0 else 0.5)  # inputs scaled apart
    json.dump(messages, open(f"errors{rank}.json", "w"))
    """
    _launch(tmp_path, body)
    r0, r1 = _per_rank(tmp_path, "errors", 2)
    assert r0 == r1  # every rank raised, the same error
    narrow, nan, huge, settings, scales = r0
    assert narrow.startswith("ValueError: rank 1 of 2: X must have 6 columns")
    assert nan.startswith("ValueError: rank 1 of 2: X") and "finite" in nan
    assert huge.startswith("TrainingDiverged:") and "epoch 0" in huge
    assert settings.startswith("ValueError: rank 1 of 2 has another network, validation data or settings")
    assert scales.startswith("ValueError: rank 1 of 2 has another network, validation data or settings")


def test_an_error_on_one_rank_ends_every_rank_instead_of_hanging(tmp_path):
    body = """
    class Fails(cr.callbacks.Callback):
        def on_epoch_end(self, net, epoch, logs):
            if rank == 1 and epoch == 2:
                raise OSError("disk full (a test)")
    net = cr.Network([6, 8, 2], activation="tanh", loss="cross_entropy", seed=5)
    Xs, ys = distributed.shard(X, y)
    distributed.fit(net, Xs, ys, epochs=50, batch_size=16, callbacks=[Fails()])
    print("rank", rank, "finished")
    """
    result = _launch(tmp_path, body, check=False)  # subprocess.run's timeout fails the test on a hang
    assert result.returncode != 0
    assert "rank 1 of 2 failed and aborts every rank" in result.stderr
    assert "OSError: disk full (a test)" in result.stderr
    assert "finished" not in result.stdout


def test_an_uncaught_bad_shard_exits_every_rank_with_the_message(tmp_path):
    body = """
    net = cr.Network([6, 8, 2], loss="cross_entropy", seed=5)
    Xs, ys = distributed.shard(X, y)
    distributed.fit(net, Xs, ys[:-1] if rank == 0 else ys, epochs=2)
    """
    result = _launch(tmp_path, body, check=False)
    assert result.returncode != 0
    assert result.stderr.count("ValueError: rank 0 of 2: ") == 2  # both ranks raised it, naming rank 0


# -- in one process (no mpiexec): the same API, a world of one -----------------------------


def test_a_single_process_is_a_world_of_one(tmp_path):
    body = """
    (Xs,) = distributed.shard(X)
    net = cr.Network([6, 8, 2], loss="cross_entropy", seed=0)
    h = distributed.fit(net, Xs, y, epochs=5, batch_size=20)
    json.dump({"size": comm.Get_size(), "rows": len(Xs), "params": net.params.tolist(), "loss": h.loss},
              open("one.json", "w"))
    """
    _launch(tmp_path, body, n=None)  # a plain `python script.py`: MPI starts as a world of one
    got = json.loads((tmp_path / "one.json").read_text())
    X, y, _ = _data()
    ref = cr.Network([6, 8, 2], loss="cross_entropy", seed=0)
    hr = ref.fit(X, y, epochs=5, batch_size=20)
    assert (got["size"], got["rows"]) == (1, 203)
    np.testing.assert_array_equal(got["params"], ref.params)  # the same code path, bit for bit
    assert got["loss"] == hr.loss


def test_shard_cuts_contiguous_rows_in_rank_order():
    class Comm:  # only the two queries shard asks; the cutting is what is tested
        def __init__(self, rank, size):
            self.rank, self.size = rank, size

        def Get_rank(self):
            return self.rank

        def Get_size(self):
            return self.size

    X = np.arange(11 * 2).reshape(11, 2)
    parts = [distributed.shard(X, np.arange(11), comm=Comm(r, 3)) for r in range(3)]
    assert [len(p[0]) for p in parts] == [4, 4, 3]
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), X)
    np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), np.arange(11))
    with pytest.raises(ValueError, match=r"arrays\[1\] must have 11 rows"):
        distributed.shard(X, np.arange(10), comm=Comm(0, 3))


# -- the command line ----------------------------------------------------------------------


def test_chainrule_train_mpi(tmp_path):
    X, y, _ = _data()
    data = tmp_path / "data.csv"
    np.savetxt(data, np.c_[X, y], delimiter=",", fmt="%.17g")
    args = ["--layers", "8", "--epochs", "4", "--batch-size", "32", "--seed", "3", "--dtype", "float64", "--quiet"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "chainrule", "train", str(data), *args]
    two = subprocess.run(
        [MPIEXEC, "-n", "2", *cmd, "--mpi", "--save", "two.npz"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=LIMIT,
    )  # fmt: skip
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("trained 4 epochs") == 1  # rank 0 reports (and saves)
    assert main(["train", str(data), *args, "--save", str(tmp_path / "one.npz")]) == 0
    np.testing.assert_allclose(cr.load(tmp_path / "two.npz").params, cr.load(tmp_path / "one.npz").params, atol=1e-12)


# -- the README's example ------------------------------------------------------------------


def _readme_block(marker: str) -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```py\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_the_readme_mpi_example_runs_on_two_ranks(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_readme_block("mpiexec -n 2 python train.py"), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [MPIEXEC, "-n", "2", sys.executable, str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=LIMIT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()  # rank 0 alone prints
    loss, accuracy = (float(part.rsplit(" ", 1)[1]) for part in line.split(", "))
    assert accuracy > 0.85  # the spirals are learnt
    X, y = cr.datasets.spirals(2000, seed=0)
    net = cr.Network([2, 64, 64, 2], activation="relu", loss="cross_entropy", seed=0, dtype="float32")
    history = net.fit(X, y, epochs=30, batch_size=100, optimizer="adam", learning_rate=0.01)
    # One process's run, to float32 rounding (which Adam's per-weight scaling amplifies over 600 steps).
    assert loss == pytest.approx(history.loss[-1], rel=1e-2)
    assert accuracy == pytest.approx(history.accuracy[-1], abs=0.01)
    saved = cr.load(tmp_path / "spirals.npz")  # by rank 0, after the last epoch
    assert saved.epochs_trained_ == 30
    assert (saved.predict(X).argmax(axis=1) == y).mean() > 0.85


def test_ctrl_c_on_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    body = """
    import os, signal
    class CtrlC(cr.callbacks.Callback):  # Ctrl-C reaches rank 1 alone, between two epochs
        def on_epoch_end(self, net, epoch, logs):
            if rank == 1 and epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)
    net = cr.Network([6, 8, 2], activation="tanh", loss="cross_entropy", seed=5)
    Xs, ys = distributed.shard(X, y)
    h = distributed.fit(net, Xs, ys, epochs=10, batch_size=16, optimizer="adam", learning_rate=0.01,
                        callbacks=[CtrlC()])
    json.dump({"interrupted": h.interrupted, "epochs": len(h), "trained": net.epochs_trained_,
               "params": net.params.tolist()}, open(f"int{rank}.json", "w"))
    """
    _launch(tmp_path, body)
    r0, r1 = _per_rank(tmp_path, "int", 2)
    assert r0 == r1  # both stopped, at the same step, with the same network
    assert r0["interrupted"] and r0["epochs"] == r0["trained"] == 2  # the unfinished third epoch is rolled back
    serial, _ = _serial(([6, 8, 2], "cross_entropy", "mean", 16, "adam"), epochs=2)
    np.testing.assert_allclose(r0["params"], serial.params, atol=1e-12)
