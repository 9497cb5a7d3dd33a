"""Atomic saves: a process killed (SIGKILL) while saving never leaves a broken file in place of a good one.

A child process saves two different networks over the same path, again
and again, as fast as it can; the parent kills it at a random moment,
then loads the path: it must be one of the two networks, whole, every
time. SIGKILL gives the child no chance to clean up, as a power cut or
the out-of-memory killer would not.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule import io as crio

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SIZES = [300, 400, 10]  # ~1 MB of float64 weights: a save takes long enough to be killed inside

_CHILD = r"""
import sys
import chainrule as cr
path = sys.argv[1]
nets = [cr.Network([300, 400, 10], seed=s) for s in (1, 2)]
nets[0].save(path)
print("ready", flush=True)
i = 0
while True:
    i += 1
    nets[i % 2].save(path)
"""


def test_killing_a_saving_process_never_breaks_the_file(tmp_path):
    path = tmp_path / "model.npz"
    expected = [cr.Network(SIZES, seed=s).params for s in (1, 2)]
    rnd = random.Random(20240611)
    seen = set()
    for attempt in range(8):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rnd.uniform(0.0, 0.15))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        net = cr.load(path)  # whole, never half written
        matches = [i for i, vector in enumerate(expected) if np.array_equal(net.params, vector)]
        assert len(matches) == 1, f"attempt {attempt}: the file holds neither network"
        seen.add(matches[0])
    # Both networks were found in place at some kill: the saves were under way when killed.
    assert seen == {0, 1}
    # What a kill can leave behind is a hidden temporary file, never the model's name broken.
    assert all(name == "model.npz" or name.startswith(".chainrule-") for name in os.listdir(tmp_path))


# -- issue 15: failed saves name the user's path, modes, symbolic links, orphans ---------------


@pytest.mark.parametrize(
    "name, error, pattern",
    [
        ("nodir/m.npz", FileNotFoundError, r"no such directory '.*nodir'; create it first"),
        ("adir", IsADirectoryError, r"is a directory; name a file in it"),
        ("afile/m.npz", NotADirectoryError, r"afile' is not a directory"),
    ],
)
def test_a_failed_save_names_the_path_never_the_temporary_file(tmp_path, name, error, pattern):
    """Issue 15, finding 4: the error is about the path the user gave (its ``filename``), and the
    temporary file's name appears nowhere; nothing is left behind."""
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("not a directory")
    net = cr.Network([2, 2, 1], seed=0)
    with pytest.raises(error, match=pattern) as info:
        net.save(tmp_path / name)
    assert info.value.filename == str(tmp_path / name)
    assert ".chainrule-" not in str(info.value) and ".tmp" not in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["adir", "afile"] and os.listdir(tmp_path / "adir") == []
    with pytest.raises(error, match=pattern):
        crio.check_writable(tmp_path / name)  # the same answer before any training


def test_save_refuses_bytes_and_empty_paths(tmp_path):
    """Issue 15, finding 9: ``net.save(b"x.npz")`` and ``net.save("")`` are refused with a message, as load does."""
    net = cr.Network([2, 2, 1], seed=0)
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike naming the file to write; got bytes"):
        net.save(b"x.npz")
    with pytest.raises(ValueError, match=r"path must name the file to write, such as 'model.npz'; got an empty string"):
        net.save("")


_FULL_DISK = r"""
import os, resource, signal, sys
import chainrule as cr
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as a full disk fails
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
try:
    cr.Network([100, 100, 10], seed=1).save(sys.argv[1])
except OSError as exc:
    print(exc.errno, exc.filename, exc.strerror, sep="\n")
"""


def test_a_save_that_runs_out_of_space_names_the_path_and_keeps_the_old_file(tmp_path):
    """Issue 15, finding 4: a write that fails (here EFBIG from a real file-size limit, the way a full
    disk gives ENOSPC) names the user's path; the old model is whole and no temporary file is left."""
    path = tmp_path / "m.npz"
    cr.Network([2, 2, 1], seed=0).save(path)
    before = path.read_bytes()
    result = subprocess.run([sys.executable, "-c", _FULL_DISK, str(path)], capture_output=True, text=True, timeout=60)
    number, filename, strerror = result.stdout.splitlines()
    assert int(number) == errno.EFBIG and filename == str(path), result.stderr
    assert strerror.startswith("could not save the network (File too large; free some space or save elsewhere)")
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]


_AS_NOBODY = r"""
import os, sys
from chainrule.cli.main import main  # imported first: the interpreter's own files may be root's alone
import chainrule.io, chainrule.datasets, locale, gettext
main(["train", "--help"])  # argparse's lazy imports, done while the interpreter's files are readable
os.setgid(65534)
os.setuid(65534)
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="drops privileges to user nobody")
def test_a_read_only_directory_is_refused_before_training():
    """Issue 15, finding 4: ``--save`` into a directory the user cannot write is refused before the data
    is read or any epoch trained (it used to train, then lose the network). Run as user nobody, since
    root writes anywhere (in a directory of its own under /tmp: pytest's are root's alone)."""
    top = tempfile.mkdtemp(prefix="chainrule-readonly-")
    try:
        os.chmod(top, 0o755)
        locked = os.path.join(top, "locked")
        os.mkdir(locked, 0o555)
        data = os.path.join(top, "data.csv")
        with open(data, "w") as fh:
            fh.write("".join(f"{i % 3},{i % 5},{i % 2}\n" for i in range(50)))
        os.chmod(data, 0o644)
        argv = ["train", data, "--epochs", "1000000", "--quiet", "--save", os.path.join(locked, "m.npz")]
        result = subprocess.run([sys.executable, "-c", _AS_NOBODY, *argv], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"chainrule: error: {os.path.join(locked, 'm.npz')}: could not save the network (Permission denied; "
            f"save in a directory you can write to); the file there, if any, is unchanged\n"
        )
        assert os.listdir(locked) == []
    finally:
        shutil.rmtree(top)


def test_a_new_file_follows_the_umask_and_a_replaced_file_keeps_its_mode(tmp_path):
    """Issue 15, finding 5: a new model is 0644 under umask 022 (as ``open`` would make it; mkstemp
    made it 0600), and replacing a 0640 model keeps 0640."""
    net = cr.Network([2, 2, 1], seed=0)
    old = os.umask(0o022)
    try:
        net.save(tmp_path / "new.npz")
        os.umask(0o077)
        net.save(tmp_path / "strict.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "strict.npz").st_mode) == 0o600
    os.chmod(tmp_path / "new.npz", 0o640)
    net.save(tmp_path / "new.npz")
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o640


def test_saving_through_a_symbolic_link_replaces_the_target_and_keeps_the_link(tmp_path):
    """Issue 15, finding 5: the link stays a link; the file it points to (in another directory) is the
    one replaced, atomically, beside itself."""
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "model-v2.npz"
    cr.Network([2, 2, 1], seed=0).save(target)
    link = tmp_path / "current.npz"
    link.symlink_to(target)
    cr.Network([2, 2, 1], seed=1).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(cr.load(target).params, cr.Network([2, 2, 1], seed=1).params)
    assert os.listdir(tmp_path / "store") == ["model-v2.npz"]


def test_the_next_save_removes_the_orphans_of_killed_saves_and_spares_live_ones(tmp_path):
    """Issue 15, finding 6: kill -9 inside a save leaves a temporary file nobody removes; the next save
    into that directory deletes it. A temporary file of a live save (its process alive, or its lock
    held) is left alone."""
    path = tmp_path / "model.npz"
    orphans = []
    for _ in range(40):  # kill until a kill lands inside a write (most do)
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(random.uniform(0.0, 0.05))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            child.stdout.close()
        orphans = [name for name in os.listdir(tmp_path) if name != "model.npz"]
        if orphans:
            break
    assert orphans and all(name.startswith(f".chainrule-{child.pid}-") for name in orphans)
    cr.load(path)  # the last good save is in place
    alive = tmp_path / f".chainrule-{os.getpid()}-000000000000.npz.tmp"  # this process: alive
    alive.write_bytes(b"partial")
    locked = tmp_path / f".chainrule-{child.pid}-111111111111.npz.tmp"  # a dead process, but locked
    locked.write_bytes(b"partial")
    with open(locked, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        cr.Network([2, 2, 1], seed=0).save(tmp_path / "other.npz")
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", "other.npz", alive.name, locked.name])
    cr.Network([2, 2, 1], seed=0).save(tmp_path / "other.npz")  # the lock is gone: now an orphan
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", "other.npz", alive.name])
