"""Tests for save/load (io.py): identical predictions, exact continuation, no pickle, atomic writes."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule import io as crio


def _data(rng, n=60):
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.7).astype(int)
    return X, y


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sizes": [4, 5, 3], "activation": "relu", "loss": "cross_entropy"},
        {"sizes": [4, 3, 2, 3], "activation": ["tanh", "leaky_relu"], "loss": "mse", "reduction": "sum", "bias": False},
        {
            "sizes": [4, 3],
            "activation": "sigmoid",
            "loss": "binary_cross_entropy",
            "dtype": "float32",
            "init": "xavier",
        },
    ],
)
def test_save_load_predict_is_identical(tmp_path, rng, kwargs):
    sizes = kwargs.pop("sizes")
    net = cr.Network(sizes, seed=3, **kwargs)
    X = rng.standard_normal((7, 4))
    path = tmp_path / "net.npz"
    net.save(path)
    back = cr.load(path)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert repr(back) == repr(net)
    assert back.init == net.init and back.seed_ == net.seed_
    assert back.predict(X).dtype == net.predict(X).dtype


def test_leaky_relu_slope_survives(tmp_path):
    from chainrule.core.activations import LeakyReLU

    net = cr.Network([2, 3, 1], activation=LeakyReLU(0.2), seed=0)
    net.save(tmp_path / "n.npz")
    assert cr.load(tmp_path / "n.npz").layers[0].activation.negative_slope == 0.2


@pytest.mark.parametrize(
    "dtype,optimizer,batch_size,dropout",
    [
        ("float64", "sgd", None, 0.0),
        ("float64", "adam", 16, 0.0),
        ("float32", "adam", 16, 0.25),
        ("float32", "rmsprop", 8, 0.0),
    ],
)
def test_three_epochs_save_load_three_more_equals_six(tmp_path, rng, dtype, optimizer, batch_size, dropout):
    X, y = _data(rng)
    kw = {
        "batch_size": batch_size,
        "optimizer": optimizer,
        "learning_rate": 0.01,
        "dropout": dropout,
        "schedule": "exponential",
    }

    def make():
        return cr.Network([4, 6, 3], activation="relu", loss="cross_entropy", seed=11, dtype=dtype)

    straight = make()
    h6 = straight.fit(X, y, epochs=6, **kw)
    first = make()
    h3 = first.fit(X, y, epochs=3, **kw)
    first.save(tmp_path / "ckpt.npz")
    resumed = cr.load(tmp_path / "ckpt.npz")
    assert resumed.epochs_trained_ == 3
    h3b = resumed.fit(X, y, epochs=3, **kw)
    assert resumed.optimizer_ is not None and resumed.optimizer_.iterations == straight.optimizer_.iterations
    assert h3.loss + h3b.loss == h6.loss
    for p, q in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p, q)


def test_metadata_is_json_with_format_version_and_states(tmp_path, rng):
    X, y = _data(rng)
    net = cr.Network([4, 6, 3], activation="relu", loss="cross_entropy", seed=1)
    net.fit(X, y, epochs=1, batch_size=10, optimizer="adam", learning_rate=0.01)
    net.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        meta = json.loads(str(data["metadata"]))
        names = set(data.files)
    assert meta["format"] == "chainrule.network" and meta["format_version"] == crio.FORMAT_VERSION
    assert meta["architecture"]["sizes"] == [4, 6, 3]
    assert meta["architecture"]["activations"] == ["relu", "softmax"]
    assert meta["epochs_trained"] == 1
    assert meta["optimizer"]["config"]["name"] == "adam"
    assert meta["optimizer"]["counters"]["iterations"] == 6
    assert meta["random_states"]["shuffle"] == net.shuffle_rng.bit_generator.state
    assert {"layers.0.weights", "layers.1.bias", "optimizer.0.m", "optimizer.0.v"} <= names


def test_a_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, metadata=np.array("{}"), payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="holds pickled objects, which are never loaded"):
        cr.load(path)


def test_a_plain_pickle_file_is_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ValueError, match="holds pickled objects, which are never loaded"):
        cr.load(path)


def test_other_files_are_refused_with_reasons(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(3))
    with pytest.raises(ValueError, match="not a chainrule network file: no metadata entry"):
        cr.load(tmp_path / "plain.npz")
    np.savez(tmp_path / "other.npz", metadata=np.array(json.dumps({"format": "keras"})))
    with pytest.raises(ValueError, match="format is not 'chainrule.network'"):
        cr.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError, match="no such file"):
        cr.load(tmp_path / "missing.npz")


def test_a_newer_format_version_is_refused(tmp_path):
    net = cr.Network([2, 1], seed=0)
    net.save(tmp_path / "n.npz")
    with np.load(tmp_path / "n.npz") as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["metadata"]))
    meta["format_version"] = crio.FORMAT_VERSION + 1
    arrays["metadata"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "n.npz", **arrays)
    with pytest.raises(ValueError, match="has format_version 2; this chainrule reads versions up to 1"):
        cr.load(tmp_path / "n.npz")


def test_save_keeps_the_path_as_given_and_leaves_no_temporary_file(tmp_path):
    net = cr.Network([2, 2, 1], seed=0)
    net.save(tmp_path / "model")
    assert sorted(os.listdir(tmp_path)) == ["model"]
    assert zipfile.is_zipfile(tmp_path / "model")


def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "n.npz"
    old = cr.Network([2, 2, 1], seed=0)
    old.save(path)
    before = path.read_bytes()

    def broken(fh, **arrays):
        fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        cr.Network([2, 2, 1], seed=1).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["n.npz"]


def test_class_names_are_saved_and_loaded(tmp_path):
    net = cr.Network([2, 3], loss="cross_entropy", seed=0)
    net.class_names = ["cat", "dog", "eel"]
    net.save(tmp_path / "m.npz")
    assert cr.load(tmp_path / "m.npz").class_names == ["cat", "dog", "eel"]
    plain = cr.Network([2, 3], loss="cross_entropy", seed=0)
    plain.save(tmp_path / "p.npz")
    assert cr.load(tmp_path / "p.npz").class_names is None


@pytest.mark.parametrize(
    "kwargs, names, error, match",
    [
        ({"loss": "cross_entropy"}, ["a", "b"], ValueError, r"must be 3 distinct names"),
        ({"loss": "cross_entropy"}, ["a", "a", "b"], ValueError, r"must be 3 distinct names"),
        ({"loss": "cross_entropy"}, "abc", TypeError, r"must be a list of strings"),
        ({"loss": "mse"}, ["a", "b", "c"], ValueError, r"class_names are for classifiers; loss 'mse'"),
    ],
)
def test_class_names_are_checked(kwargs, names, error, match):
    net = cr.Network([2, 3], **kwargs)
    with pytest.raises(error, match=match):
        net.class_names = names


def test_a_binary_output_has_two_class_names():
    net = cr.Network([2, 1], loss="binary_cross_entropy")
    net.class_names = ["no", "yes"]
    assert net.class_names == ["no", "yes"]


def _rewrite_metadata(path, change):
    """Write the file at ``path`` again with its metadata changed by ``change(meta)``."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays.pop("metadata")))
    change(meta)
    np.savez(path, metadata=np.array(json.dumps(meta)), **arrays)


def test_input_scale_is_saved_and_loaded_and_training_continues_on_uint8(tmp_path, rng):
    U = rng.integers(0, 256, (60, 4), dtype=np.uint8)
    y = (U[:, 0] > 128).astype(int) + (U[:, 1] > 200).astype(int)
    options = {"batch_size": 16, "optimizer": "adam", "learning_rate": 0.01, "dropout": 0.2}
    net = cr.Network([4, 5, 3], activation="relu", loss="cross_entropy", seed=1, dtype="float32", input_scale=1 / 255)
    net.fit(U, y, epochs=2, **options)
    net.save(tmp_path / "m.npz")
    loaded = cr.load(tmp_path / "m.npz")
    assert loaded.input_scale == 1 / 255  # exactly: JSON keeps the float's every digit
    np.testing.assert_array_equal(loaded.predict(U), net.predict(U))
    net.fit(U, y, epochs=2, **options)
    loaded.fit(U, y, epochs=2, **options)
    np.testing.assert_array_equal(loaded.params, net.params)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert json.loads(str(data["metadata"]))["architecture"]["input_scale"] == 1 / 255
    cr.Network([4, 3], seed=0).save(tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz", allow_pickle=False) as data:
        assert json.loads(str(data["metadata"]))["architecture"]["input_scale"] is None


def test_a_file_saved_before_input_scale_loads_without_one(tmp_path):
    net = cr.Network([4, 3], seed=0)
    net.save(tmp_path / "old.npz")
    _rewrite_metadata(tmp_path / "old.npz", lambda meta: meta["architecture"].pop("input_scale"))
    loaded = cr.load(tmp_path / "old.npz")
    assert loaded.input_scale is None
    np.testing.assert_array_equal(loaded.params, net.params)


@pytest.mark.parametrize(
    "value, match",
    [
        ("1/255", r"architecture.input_scale must be null or a number > 0; got '1/255'"),
        (True, r"architecture.input_scale must be null or a number > 0; got True"),
        (0, r"architecture.input_scale must be null or a number > 0; got 0"),
        (-0.5, r"architecture.input_scale must be null or a number > 0; got -0.5"),
        (1e-50, r"not a valid chainrule network: input_scale must be a finite number > 0 in float32"),
    ],
)
def test_a_bad_input_scale_in_a_file_is_refused(tmp_path, value, match):
    cr.Network([4, 3], seed=0, dtype="float32", input_scale=0.5).save(tmp_path / "m.npz")
    _rewrite_metadata(tmp_path / "m.npz", lambda meta: meta["architecture"].update(input_scale=value))
    with pytest.raises(cr.errors.ModelFileError, match=match):
        cr.load(tmp_path / "m.npz")
