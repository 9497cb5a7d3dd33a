"""Interruption: Ctrl-C stops fit after the current batch, consistent, with its history and a checkpoint.

In-process tests send a real SIGINT to this process from inside a batch
callback; the CLI test sends one to a ``chainrule train`` subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main as cli_main
from chainrule.training.callbacks import Callback, Checkpoint

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture(autouse=True)
def python_handles_sigint():
    """Python's own Ctrl-C handler, whatever this process inherited.

    A process started in the background by a non-interactive shell (as a CI
    job may be) inherits SIGINT *ignored*, and then Python installs no
    handler and chainrule rightly leaves the signal alone; these tests are
    about the usual, interactive case.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # what a fresh process has
    yield
    signal.signal(signal.SIGINT, previous)
    signal.signal(signal.SIGTERM, previous_term)


def _sigint_by_default():
    """In the child, before Python starts: SIGINT back to the system default (see above)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class AtBatch(Callback):
    """Records the parameters after every batch; sends SIGINT or SIGTERM (or raises) at (epoch, batch)."""

    def __init__(self, net, at=None, action="sigint"):
        self.net, self.at, self.action = net, at, action
        self.after = {}

    def on_epoch_begin(self, net, epoch, n_batches):
        self.epoch = epoch

    def on_batch_end(self, batch, loss, accuracy):
        self.after[(self.epoch, batch)] = (self.net.params.copy(), self.net.optimizer_.iterations)
        if (self.epoch, batch) == self.at:
            if self.action == "sigint":
                os.kill(os.getpid(), signal.SIGINT)
            elif self.action == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                raise KeyboardInterrupt


def _data(rng):
    X = rng.standard_normal((20, 3))
    return X, rng.integers(0, 3, 20)


def _net():
    return cr.Network([3, 5, 3], activation="tanh", loss="cross_entropy", seed=4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_sigint_stops_after_the_batch_with_history_and_checkpoint(rng, tmp_path, optimizer):
    X, y = _data(rng)
    reference = _net()
    full = AtBatch(reference)
    reference.fit(X, y, epochs=4, batch_size=4, optimizer=optimizer, learning_rate=0.05, callbacks=[full])

    net = _net()
    stopper = AtBatch(net, at=(1, 2))
    checkpoint = Checkpoint(tmp_path / "ck-{epoch}.npz")
    history = net.fit(
        X, y, epochs=4, batch_size=4, optimizer=optimizer, learning_rate=0.05, callbacks=[stopper, checkpoint]
    )
    # Stopped after batch 2 of epoch 1: that batch applied, nothing after it.
    assert history.interrupted and not history.stopped_early
    assert history.epochs == [0] and len(history.loss) == 1
    weights, iterations = full.after[(1, 2)]
    np.testing.assert_array_equal(net.params, weights)
    assert net.optimizer_.iterations == iterations == 5 + 3
    assert net.epochs_trained_ == 1  # the unfinished epoch is not counted
    # The epoch checkpoint is untouched; the interrupt's own checkpoint holds the state at the stop.
    assert [os.path.basename(p) for p in checkpoint.saved] == ["ck-1.npz", "ck-1-interrupted.npz"]
    np.testing.assert_array_equal(cr.load(tmp_path / "ck-1-interrupted.npz").params, weights)
    np.testing.assert_array_equal(cr.load(tmp_path / "ck-1.npz").params, full.after[(0, 4)][0])
    # Python's own handler is back: Ctrl-C outside fit raises as usual.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigint_in_full_batch_training_ends_the_epoch_in_progress(rng):
    X, y = _data(rng)

    class Stop(Callback):
        def on_epoch_end(self, net, epoch, logs):
            if epoch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    net = _net()
    history = net.fit(X, y, epochs=10, callbacks=[Stop()])
    assert history.interrupted and history.epochs == [0, 1, 2] and net.epochs_trained_ == 3


def test_keyboard_interrupt_raised_inside_a_step_rolls_back_to_the_epoch_start(rng):
    """A KeyboardInterrupt that is not Ctrl-C (raised by code inside the step, where an update may be
    half done) cannot wait for the batch: the network goes back to the start of that epoch."""
    X, y = _data(rng)

    class HalfStep(cr.SGD):
        calls = 0

        def step(self, params, grads):
            HalfStep.calls += 1
            if HalfStep.calls == 8:  # epoch 1, batch 2: corrupt half the update, then interrupt
                params[0][: params[0].size // 2] += 1.0
                raise KeyboardInterrupt
            super().step(params, grads)

    reference = _net()
    full = AtBatch(reference)
    reference.fit(X, y, epochs=2, batch_size=4, optimizer=cr.SGD(0.05), callbacks=[full])
    net = _net()
    history = net.fit(X, y, epochs=4, batch_size=4, optimizer=HalfStep(0.05))
    assert history.interrupted and history.epochs == [0]
    np.testing.assert_array_equal(net.params, full.after[(0, 4)][0])
    assert net.optimizer_.iterations == 5 and net.epochs_trained_ == 1


def test_keyboard_interrupt_from_a_callback_after_a_batch_keeps_that_batch(rng):
    X, y = _data(rng)
    net = _net()
    stopper = AtBatch(net, at=(0, 1), action="raise")
    history = net.fit(X, y, epochs=3, batch_size=4, callbacks=[stopper])
    # Raised outside a step but inside the epoch: back to the epoch's start (the initial weights here).
    assert history.interrupted and history.epochs == []
    np.testing.assert_array_equal(net.params, _net().params)
    assert net.optimizer_.iterations == 0


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_train_stops_on_sigint_and_sigterm_saves_and_resumes_bit_identically(tmp_path, signum, status):
    """Issue 15, finding 7: SIGTERM (what kill, Docker, systemd and Slurm send) is handled as Ctrl-C is:
    the checkpoint is saved, the message says where, the exit status is 128 + the signal; and
    ``train --resume`` continues the interrupted epoch to the weights an uninterrupted run ends with."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    data = tmp_path / "data.csv"
    np.savetxt(data, np.column_stack([X, y]), delimiter=",", fmt="%.5f")
    checkpoint = tmp_path / "ck.npz"
    options = ["--layers", "64,64", "--batch-size", "16", "--dtype", "float64", "--dropout", "0.1", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "train", str(data), "--epochs", "100000", "--checkpoint", str(checkpoint)]
        + options,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_sigint_by_default,
    )
    try:
        deadline = time.monotonic() + 60
        while not checkpoint.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # the first epoch's checkpoint: training is under way
        assert checkpoint.exists(), proc.stderr.read() if proc.poll() is not None else "no checkpoint in 60 s"
        time.sleep(0.05)  # into the next epoch
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()  # reap it and close its pipes
    assert proc.returncode == status, err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    name = signal.Signals(signum).name
    assert line.startswith(f"chainrule: interrupted ({name}) after ")
    assert line.endswith(f"checkpoint saved to {checkpoint} (continue with --resume {checkpoint})")
    interrupted = cr.load(checkpoint)
    assert interrupted.sizes == [8, 64, 64, 2] and interrupted.epochs_trained_ >= 1
    assert np.isfinite(interrupted.predict(X[:5])).all()
    # Resume to the end of the interrupted epoch; an uninterrupted run of as many epochs is the oracle.
    epochs = str(interrupted.epochs_trained_ + 1)
    resumed, reference = tmp_path / "resumed.npz", tmp_path / "reference.npz"
    assert (
        cli_main(
            ["train", str(data), "--epochs", epochs, "--resume", str(checkpoint), "--save", str(resumed)] + options
        )
        == 0
    )
    assert cli_main(["train", str(data), "--epochs", epochs, "--save", str(reference)] + options) == 0
    a, b = cr.load(resumed), cr.load(reference)
    assert a.epochs_trained_ == b.epochs_trained_ == int(epochs) and a.epoch_progress_ is None
    np.testing.assert_array_equal(a.params, b.params)
    for key, value in b.optimizer_.get_state()[1].items():
        np.testing.assert_array_equal(a.optimizer_.get_state()[1][key], value)
    assert a.shuffle_rng.bit_generator.state == b.shuffle_rng.bit_generator.state
    assert a.dropout_rng.bit_generator.state == b.dropout_rng.bit_generator.state


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_a_mid_epoch_checkpoint_resumes_bit_identically(rng, tmp_path, dtype, optimizer):
    """Issue 15, finding 7: an epoch interrupted after batch 2 is saved with its position (batch index,
    the shuffling generator's state at the epoch's start, the running sums); loading that checkpoint
    and fitting again continues the epoch, and the end is bit for bit the uninterrupted run's."""
    X, y = _data(rng)
    X = np.vstack([X, X[:1]])  # 21 rows: a short last batch
    y = np.append(y, y[0])

    def make():
        return cr.Network([3, 5, 3], activation="tanh", loss="cross_entropy", seed=4, dtype=dtype)

    options = dict(batch_size=4, optimizer=optimizer, learning_rate=0.05, dropout=0.2)
    reference = make()
    full = reference.fit(X, y, epochs=4, **options)
    net = make()
    checkpoint = Checkpoint(tmp_path / "ck-{epoch}.npz")
    stopped = net.fit(X, y, epochs=4, callbacks=[AtBatch(net, at=(1, 2), action="sigterm"), checkpoint], **options)
    assert stopped.interrupted and stopped.interrupt_signal == signal.SIGTERM
    assert net.epoch_progress_["epoch"] == 1 and net.epoch_progress_["batch"] == 3
    back = cr.load(checkpoint.saved[-1])
    assert back.epoch_progress_ == net.epoch_progress_
    rest = back.fit(X, y, epochs=3, **options)
    np.testing.assert_array_equal(back.params, reference.params)
    assert rest.loss == full.loss[1:] and rest.accuracy == full.accuracy[1:]
    assert back.epoch_progress_ is None and back.optimizer_.iterations == reference.optimizer_.iterations


def test_other_data_restart_the_interrupted_epoch(rng):
    """The position is only used by a fit over as many rows with the same batch size; another fit
    starts the unfinished epoch again (the documented behaviour), and forgets the position."""
    X, y = _data(rng)
    net = _net()
    net.fit(X, y, epochs=3, batch_size=4, callbacks=[AtBatch(net, at=(0, 2))])
    assert net.epoch_progress_ is not None and net.epoch_progress_["batch"] == 3
    history = net.fit(X[:12], y[:12], epochs=1, batch_size=4)
    assert history.epochs == [0] and net.epoch_progress_ is None
