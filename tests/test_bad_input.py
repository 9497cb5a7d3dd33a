"""Bad input at every public entry point: one table, one message each.

Every row is a call that must be refused with a ``ValueError`` or
``TypeError`` (``FileNotFoundError`` for a missing file) whose message
names the argument, what was expected and what came; the message is
pinned with ``match``. The CLI rows must exit with status 2, write exactly
one line to standard error and no traceback.

The library rows cover ``Network``, ``fit``, ``predict``, ``explain``,
``check_example``, the loaders (IDX, CSV, Fashion-MNIST), ``load`` and the
scikit-learn estimators; the CLI rows cover every command. ``test_table_size``
counts them (the issue asks for at least 40).

The rows whose id starts with ``fN-`` pin finding N of issue 15 (hard edges):
numerical failures (``TrainingDiverged``), sizes beyond memory (``MemoryError``
naming the sizes), saves that cannot happen (``OSError`` naming the user's
path, never the temporary file), inputs nested too deeply or holding numbers
beyond float range; at the CLI each is exit 2, one line, no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main
from chainrule.datasets import load_csv, load_fashion_mnist, read_idx
from chainrule.errors import ModelFileError
from chainrule.teaching.examples import load_example

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [[0.0], [1.0], [1.0], [0.0]]
NAN_X = [[0.0, float("nan")], [0.0, 1.0]]


def net(**kwargs):
    return cr.Network([2, 3, 1], seed=0, **kwargs)


def classifier():
    return cr.Network([2, 3, 2], activation="relu", loss="cross_entropy", seed=0)


def fit(X=XOR_X, Y=XOR_Y, **kwargs):
    return lambda files: net().fit(X, Y, **kwargs)


def fit_classifier(Y, **kwargs):
    return lambda files: classifier().fit(XOR_X, Y, **kwargs)


def _sklearn_fitted_classifier():
    from sklearn.exceptions import ConvergenceWarning

    from chainrule.sklearn import MLPClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # two iterations are enough to be fitted
        return MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(
            np.array(XOR_X), np.array([0, 1, 1, 0])
        )


def _sklearn(cls_name, **params):
    def make():
        from chainrule import sklearn as crsk

        return getattr(crsk, cls_name)(**params)

    return make


# (id, call(files) -> anything, exception type, message pattern)
LIBRARY_CASES = [
    # -- Network ---------------------------------------------------------------
    ("sizes-string", lambda f: cr.Network("2,2,1"), TypeError, r"sizes must be a list of layer sizes .* got '2,2,1'"),
    ("sizes-one-layer", lambda f: cr.Network([2]), ValueError, r"sizes must name at least an input and an output"),
    ("sizes-zero", lambda f: cr.Network([2, 0, 1]), ValueError, r"sizes\[1\] must be an integer >= 1; got 0"),
    ("sizes-float", lambda f: cr.Network([2, 2.5, 1]), TypeError, r"sizes\[1\] must be an integer >= 1; got float 2.5"),
    (
        "unknown-activation",
        lambda f: net(activation="sigmod"),
        ValueError,
        r"unknown activation 'sigmod'; valid names are: exp, identity, leaky_relu, relu, sigmoid",
    ),
    ("unknown-loss", lambda f: net(loss="hinge"), ValueError, r"unknown loss 'hinge'; valid names are: "),
    (
        "unknown-reduction",
        lambda f: net(reduction="avg"),
        ValueError,
        r"unknown reduction 'avg'; valid names are: mean, sum",
    ),
    ("unknown-init", lambda f: net(init="zeros"), ValueError, r"unknown init.* 'zeros'; valid names are: "),
    (
        "dtype-float16",
        lambda f: net(dtype="float16"),
        ValueError,
        r"dtype must be 'float64' or 'float32'; got 'float16'",
    ),
    (
        "negative-seed",
        lambda f: cr.Network([2, 1], seed=-1),
        ValueError,
        r"seed must be a non-negative int or None; got -1",
    ),
    ("bias-string", lambda f: net(bias="yes"), TypeError, r"bias must be True or False; got str 'yes'"),
    (
        "softmax-hidden",
        lambda f: net(activation="softmax"),
        ValueError,
        r"activation 'softmax' is for the output layer only",
    ),
    (
        "output-activation-vs-loss",
        lambda f: cr.Network([2, 2], loss="cross_entropy", output_activation="relu"),
        ValueError,
        r"loss 'cross_entropy' needs output_activation in \['softmax'\]; got 'relu'",
    ),
    (
        "activations-count",
        lambda f: cr.Network([2, 3, 3, 1], activation=["relu"]),
        ValueError,
        r"activation must be one name or one per hidden layer \(2\); got 1",
    ),
    # -- fit: data ---------------------------------------------------------------
    ("X-1d", fit(X=[0.0, 1.0, 1.0, 0.0]), ValueError, r"X must be a 2-D array; got shape \(4,\)"),
    ("X-3d", fit(X=np.zeros((4, 2, 1))), ValueError, r"X must be a 2-D array; got shape \(4, 2, 1\)"),
    ("X-columns", fit(X=np.zeros((4, 3))), ValueError, r"X must have 2 columns .* got shape \(4, 3\)"),
    ("X-nan", fit(X=NAN_X, Y=[[0.0], [1.0]]), ValueError, r"X must be finite; found nan at index \(0, 1\)"),
    (
        "X-inf",
        fit(X=[[0.0, 1.0], [-np.inf, 1.0]], Y=[[0.0], [1.0]]),
        ValueError,
        r"X must be finite; found -inf at index \(1, 0\)",
    ),
    (
        "X-strings",
        fit(X=[["a", "b"], ["c", "d"]], Y=[[0.0], [1.0]]),
        TypeError,
        r"X must hold numbers; got an array of dtype <U1",
    ),
    (
        "X-ragged",
        fit(X=[[0.0, 1.0], [1.0]], Y=[[0.0], [1.0]]),
        TypeError,
        r"X must be a numeric array; could not convert it",
    ),
    ("X-empty", fit(X=np.empty((0, 2)), Y=np.empty((0, 1))), ValueError, r"X must not be empty; got shape \(0, 2\)"),
    ("X-complex", fit(X=np.ones((4, 2), dtype=complex)), TypeError, r"X must hold real numbers; got complex dtype"),
    (
        "X-object",
        fit(X=np.array([[0, 1], [1, None]], dtype=object), Y=[[0.0], [1.0]]),
        TypeError,
        r"X must hold numbers; got an array of dtype object",
    ),
    ("Y-rows", fit(Y=[[0.0], [1.0]]), ValueError, r"Y must have as many rows as X \(4\); got shape \(2, 1\)"),
    (
        "Y-1d-squared-error",
        fit(Y=[0.0, 1.0, 1.0, 0.0]),
        ValueError,
        r"Y must be a 2-D array; got shape \(4,\); a single sample needs shape \(1, n_columns\): use Y.reshape",
    ),
    ("Y-nan", fit(Y=[[0.0], [np.nan], [1.0], [0.0]]), ValueError, r"Y must be finite; found nan at index \(1, 0\)"),
    (
        "one-hot-width",
        fit_classifier(np.eye(3)[[0, 1, 2, 0]]),
        ValueError,
        r"Y must have 2 columns \(the network's output size, sizes\[-1\]\); got shape \(4, 3\)",
    ),
    (
        "label-unseen",
        fit_classifier([0, 1, 2, 1]),
        ValueError,
        r"Y class labels must be in \[0, 2\) for 2 outputs; got 2",
    ),
    (
        "label-negative",
        fit_classifier([0, -1, 1, 1]),
        ValueError,
        r"Y class labels must be in \[0, 2\) for 2 outputs; got -1",
    ),
    (
        "labels-float",
        fit_classifier([0.0, 1.0, 1.0, 0.0]),
        TypeError,
        r"Y as 1-D class labels must hold integers in \[0, 2\); got dtype float64",
    ),
    ("labels-count", fit_classifier([0, 1, 1]), ValueError, r"Y must have one label per row of X \(4\); got 3"),
    (
        "one-hot-not-summing",
        fit_classifier([[1.0, 1.0]] * 4),
        ValueError,
        r"Y for cross_entropy must be one-hot \(or probability\) rows summing to 1; row 0 sums to 2",
    ),
    (
        "bce-out-of-range",
        lambda f: net(loss="binary_cross_entropy").fit(XOR_X, [[0.0], [2.0], [1.0], [0.0]]),
        ValueError,
        r"Y for binary_cross_entropy must be probabilities in \[0, 1\]; got values in \[0.0, 2.0\]",
    ),
    # -- fit: hyperparameters ----------------------------------------------------
    ("epochs-negative", fit(epochs=-1), ValueError, r"epochs must be an integer >= 0; got -1"),
    ("epochs-float", fit(epochs=2.5), TypeError, r"epochs must be an integer >= 0; got float 2.5"),
    ("learning-rate-zero", fit(learning_rate=0), ValueError, r"learning_rate must be a finite number > 0; got 0.0"),
    (
        "learning-rate-nan",
        fit(learning_rate=float("nan")),
        ValueError,
        r"learning_rate must be a finite number > 0; got nan",
    ),
    (
        "learning-rate-string",
        fit(learning_rate="0.1"),
        TypeError,
        r"learning_rate must be a real number; got str '0.1'",
    ),
    ("batch-size-zero", fit(batch_size=0), ValueError, r"batch_size must be an integer >= 1; got 0"),
    ("batch-size-true", fit(batch_size=True), TypeError, r"batch_size must be an integer >= 1; got bool True"),
    (
        "unknown-optimizer",
        fit(optimizer="adagrad"),
        ValueError,
        r"unknown optimizer 'adagrad'; valid names are: adam, adamw, lbfgs, rmsprop, sgd",
    ),
    ("dropout-one", fit(dropout=1.0), ValueError, r"dropout must be in \[0.0, 1.0\); got 1.0"),
    (
        "weight-decay-negative",
        fit(weight_decay=-1.0),
        ValueError,
        r"weight_decay must be a finite number >= 0; got -1.0",
    ),
    (
        "unknown-schedule",
        fit(schedule="linear"),
        ValueError,
        r"unknown schedule 'linear'; valid names are: cosine, exponential, invscaling, step",
    ),
    (
        "validation-not-a-pair",
        fit(validation_data=(XOR_X,)),
        TypeError,
        r"validation_data must be a pair \(X_val, Y_val\)",
    ),
    (
        "validation-columns",
        fit(validation_data=(np.zeros((2, 3)), np.zeros((2, 1)))),
        ValueError,
        r"validation_data\[0\] must have 2 columns",
    ),
    ("early-stopping-alone", fit(early_stopping=3), ValueError, r"early_stopping needs validation_data"),
    ("shuffle-string", fit(shuffle="no"), TypeError, r"shuffle must be True or False; got str 'no'"),
    # -- predict -----------------------------------------------------------------
    (
        "predict-columns",
        lambda f: net().predict([[1.0, 2.0, 3.0]]),
        ValueError,
        r"X must have 2 columns \(the network's input size, sizes\[0\]\); got shape \(1, 3\)",
    ),
    (
        "predict-1d",
        lambda f: net().predict([1.0, 2.0]),
        ValueError,
        r"X must be a 2-D array; got shape \(2,\); a single sample",
    ),
    ("predict-nan", lambda f: net().predict(NAN_X), ValueError, r"X must be finite; found nan"),
    ("predict-strings", lambda f: net().predict("0,1"), TypeError, r"X must hold numbers; got an array of dtype <U3"),
    # -- explain -------------------------------------------------------------------
    (
        "explain-learning-rate",
        lambda f: net().explain(XOR_X, XOR_Y, learning_rate=-1),
        ValueError,
        r"learning_rate must be a finite number > 0; got -1.0",
    ),
    ("explain-Y-width", lambda f: net().explain(XOR_X, np.zeros((4, 2))), ValueError, r"Y must have 1 columns"),
    ("explain-inf", lambda f: net().explain([[np.inf, 0.0]], [[1.0]]), ValueError, r"X must be finite; found inf"),
    # -- check_example ---------------------------------------------------------------
    (
        "check-published-not-mapping",
        lambda f: cr.check_example(net(), XOR_X, XOR_Y, 0.5, ["loss"]),
        TypeError,
        r"published must be a mapping of trace paths to printed numbers \(str\); got list",
    ),
    (
        "check-published-float",
        lambda f: cr.check_example(net(), XOR_X, XOR_Y, 0.5, {"loss": 0.25}),
        TypeError,
        r"published\['loss'\] must be the number as printed, a str such as '0.5866'",
    ),
    (
        "check-published-text",
        lambda f: cr.check_example(net(), XOR_X, XOR_Y, 0.5, {"loss": "abc"}),
        ValueError,
        r"published\['loss'\] must be a decimal number such as '0.5866'; got 'abc'",
    ),
    (
        "check-path-layer",
        lambda f: cr.check_example(net(), XOR_X, XOR_Y, 0.5, {"layers[5].z[0][0]": "0.1"}),
        ValueError,
        r"trace path 'layers\[5\].z\[0\]\[0\]': the network has 2 layers",
    ),
    (
        "check-path-field",
        lambda f: cr.check_example(net(), XOR_X, XOR_Y, 0.5, {"layers[0].zz[0][0]": "0.1"}),
        ValueError,
        r"unknown field 'zz'",
    ),
    (
        "check-learning-rate",
        lambda f: cr.check_example(net(), XOR_X, XOR_Y, 0, {"loss": "0.1"}),
        ValueError,
        r"learning_rate must be a finite number > 0; got 0.0",
    ),
    # -- loaders ---------------------------------------------------------------------
    ("idx-missing", lambda f: read_idx(f["missing"]), FileNotFoundError, r"missing"),
    ("idx-not-idx", lambda f: read_idx(f["text"]), ValueError, r"is not an IDX file: expected a magic number"),
    ("idx-empty", lambda f: read_idx(f["empty"]), ValueError, r"is not an IDX file: .* got an empty file"),
    (
        "idx-truncated",
        lambda f: read_idx(f["idx_truncated"]),
        ValueError,
        r"IDX header announces shape \(3, 4\) \(12 bytes of data\); got 5 bytes",
    ),
    ("csv-missing", lambda f: load_csv(f["missing"]), FileNotFoundError, r"missing"),
    ("csv-not-numeric", lambda f: load_csv(f["csv_words"]), ValueError, r"not a numeric CSV file"),
    ("csv-empty", lambda f: load_csv(f["empty"]), ValueError, r"no data rows"),
    (
        "csv-target-name",
        lambda f: load_csv(f["csv"], target="price"),
        ValueError,
        r"target column 'price' not found; the columns are \['a', 'b', 'label'\]",
    ),
    (
        "csv-target-index",
        lambda f: load_csv(f["csv"], target=7),
        ValueError,
        r"target column 7 out of range for 3 columns",
    ),
    (
        "fashion-missing",
        lambda f: load_fashion_mnist(f["dir"]),
        FileNotFoundError,
        r"Fashion-MNIST files missing in .*train-images-idx3-ubyte.*apt-get install dataset-fashion-mnist",
    ),
    (
        "fashion-dtype",
        lambda f: load_fashion_mnist(f["dir"], dtype="int8"),
        ValueError,
        r"dtype must be 'float32', 'float64' or 'uint8'; got 'int8'",
    ),
    # -- load -----------------------------------------------------------------------
    ("load-missing", lambda f: cr.load(f["missing"]), FileNotFoundError, r"missing.npz'?: no such file"),
    (
        "load-empty",
        lambda f: cr.load(f["empty"]),
        ModelFileError,
        r"empty.*: not a chainrule network file: the file is empty",
    ),
    (
        "load-text",
        lambda f: cr.load(f["text"]),
        ModelFileError,
        r"text.*: not a chainrule network file: not an .npz \(zip\) file",
    ),
    ("load-directory", lambda f: cr.load(f["dir"]), ModelFileError, r"is a directory, not a saved network file"),
    (
        "load-plain-npz",
        lambda f: cr.load(f["plain_npz"]),
        ModelFileError,
        r"plain.npz'?: not a chainrule network file: no metadata entry",
    ),
    (
        "load-truncated",
        lambda f: cr.load(f["model_truncated"]),
        ModelFileError,
        r"truncated.npz'?: truncated or corrupted",
    ),
    (
        "load-path-int",
        lambda f: cr.load(42),
        TypeError,
        r"path must be a str or os.PathLike naming a saved network; got int 42",
    ),
    # -- scikit-learn estimators -------------------------------------------------------
    (
        "sk-hidden-zero",
        lambda f: _sklearn("MLPClassifier", hidden_layer_sizes=(0,))().fit(XOR_X, [0, 1, 1, 0]),
        ValueError,
        r"hidden_layer_sizes must hold ints >= 1; got 0 at position 0",
    ),
    (
        "sk-activation",
        lambda f: _sklearn("MLPRegressor", activation="swish")().fit(XOR_X, [0, 1, 1, 0]),
        ValueError,
        r"activation must be one of .*; got 'swish'",
    ),
    (
        "sk-solver",
        lambda f: _sklearn("MLPRegressor", solver="newton")().fit(XOR_X, [0, 1, 1, 0]),
        ValueError,
        r"solver must be one of .*; got 'newton'",
    ),
    ("sk-nan", lambda f: _sklearn("MLPClassifier", max_iter=1)().fit(NAN_X, [0, 1]), ValueError, r"NaN"),
    (
        "sk-one-class",
        lambda f: _sklearn("MLPClassifier", max_iter=1)().fit(XOR_X, [1, 1, 1, 1]),
        ValueError,
        r"needs samples of at least 2 classes",
    ),
    (
        "sk-unseen-label",
        lambda f: _sklearn_fitted_classifier().partial_fit(XOR_X, [0, 1, 2, 0]),
        ValueError,
        r"y has labels not seen in the first fit: \[2\]",
    ),
    (
        "sk-predict-features",
        lambda f: _sklearn_fitted_classifier().predict([[0.0, 1.0, 2.0]]),
        ValueError,
        r"X has 3 features, but MLPClassifier is expecting 2 features",
    ),
    (
        "sk-learning-rate",
        lambda f: _sklearn("MLPRegressor", learning_rate_init=-1.0)().fit(XOR_X, [0, 1, 1, 0]),
        ValueError,
        r"learning_rate_init must be a number > 0.0; got -1.0",
    ),
    (
        "sk-batch-size",
        lambda f: _sklearn("MLPRegressor", batch_size="big")().fit(XOR_X, [0, 1, 1, 0]),
        ValueError,
        r"batch_size must be 'auto' or an int >= 1; got 'big'",
    ),
    # -- issue 15: hard edges (each row names its finding) -------------------------------
    (
        "f9-sizes-beyond-any-array",
        lambda f: cr.Network([2, 2**63, 1]),
        ValueError,
        r"sizes \[2, 9223372036854775808, 1\] make 3.69e\+19 parameters .* more than an array can hold",
    ),
    (
        "f8-sizes-out-of-memory",
        lambda f: cr.Network([2, 10**12, 1]),
        MemoryError,
        r"sizes \[2, 1000000000000, 1\]: 4,000,000,000,001 parameters need 29.1 TiB of float64 .* use smaller layers",
    ),
    (
        "f9-X-sparse",
        lambda f: net().fit(__import__("scipy.sparse").sparse.csr_matrix(np.array(XOR_X)), XOR_Y),
        TypeError,
        r"X is a SciPy sparse csr_matrix; chainrule trains on dense arrays: pass X.toarray\(\)",
    ),
    (
        "f9-X-masked",
        fit(X=np.ma.masked_array(XOR_X, mask=[[0, 1], [0, 0], [0, 0], [1, 0]])),
        TypeError,
        r"X is a masked array with 2 masked values, and a mask would be ignored: fill them",
    ),
    (
        "f9-X-timedelta",
        fit(X=np.array(XOR_X).astype("m8[s]")),
        TypeError,
        r"X must hold numbers; got timedelta64\[s\] \(dates or durations\)",
    ),
    (
        "f9-weights-true-false",
        lambda f: setattr(net().layers[1], "weights", [[True, False, True]]),
        TypeError,
        r"weights must hold numbers, not true/false; got an array of dtype bool",
    ),
    (
        "f9-targets-too-large",
        fit(Y=np.full((4, 1), 1e300), epochs=2),
        cr.TrainingDiverged,
        r"the loss became inf before any update .* the largest \|Y\| 1e\+300 .* a lower learning rate cannot help",
    ),
    (
        "f1-update-overflows",
        lambda f: cr.Network([2, 3, 1], seed=0, dtype="float32").fit(
            XOR_X, XOR_Y, epochs=1, learning_rate=1e300, optimizer="rmsprop"
        ),
        cr.TrainingDiverged,
        r"the update made the parameters or the optimiser's state overflow .* at epoch 0, batch 0",
    ),
    (
        "f2-state-overflows",
        lambda f: cr.Network([2, 3, 1], seed=0, dtype="float32").fit(
            XOR_X, XOR_Y, epochs=1, learning_rate=1e-3, optimizer="adam", weight_decay=1e35
        ),
        cr.TrainingDiverged,
        r"the update made the parameters or the optimiser's state overflow",
    ),
    (
        "f4-save-no-directory",
        lambda f: net().save(os.path.join(f["dir"], "nodir", "m.npz")),
        FileNotFoundError,
        r"no such directory .*nodir'; create it first \(mkdir -p\) or save elsewhere",
    ),
    ("f4-save-a-directory", lambda f: net().save(f["dir"]), IsADirectoryError, r"is a directory; name a file in it"),
    (
        "f9-save-bytes",
        lambda f: net().save(b"x.npz"),
        TypeError,
        r"path must be a str or os.PathLike naming the file to write; got bytes b'x.npz'",
    ),
    (
        "f9-save-empty",
        lambda f: net().save(""),
        ValueError,
        r"path must name the file to write, .* got an empty string",
    ),
    (
        "f8-spec-nested",
        lambda f: load_example(f["spec_deep"]),
        ValueError,
        r"deep.json: not a worked example: its tables or lists are nested too deeply",
    ),
    (
        "f8-spec-nested-toml",
        lambda f: load_example(f["spec_deep_toml"]),
        ValueError,
        r"deep.toml: not a worked example: its tables or lists are nested too deeply",
    ),
    (
        "f8-spec-integer-overflow",
        lambda f: load_example(f["spec_lr_huge"]),
        ValueError,
        r"lr_huge.json: step.learning_rate must be a finite number > 0",
    ),
    (
        "f8-spec-published-1e999",
        lambda f: load_example(f["spec_1e999"]),
        ValueError,
        r"p_1e999.json: published\['loss'\] must be a number within float range; got '1e999'",
    ),
    (
        "f9-spec-published-newline",
        lambda f: load_example(f["spec_newline"]),
        ValueError,
        r"published\['loss'\] must be the number alone, without spaces or line breaks around it; got '0.35\\n'",
    ),
    (
        "f9-spec-published-underscore",
        lambda f: load_example(f["spec_underscore"]),
        ValueError,
        r"published\['loss'\] must be a decimal number as printed, in ASCII digits without separators.*got '1_0'",
    ),
    (
        "f9-spec-published-full-width",
        lambda f: load_example(f["spec_full_width"]),
        ValueError,
        r"published\['loss'\] must be a decimal number as printed, in ASCII digits.*got '\uff11'",
    ),
    (
        "f9-spec-weights-true-false",
        lambda f: load_example(f["spec_bool_weights"]),
        TypeError,
        r"bool_weights.json: layers\[0\].weights must hold numbers; got True \(true/false\) among them",
    ),
    (
        "f9-spec-not-utf8",
        lambda f: load_example(f["spec_latin1"]),
        ValueError,
        r"latin1.json: not UTF-8 text \(byte \d+ is b'\\xef'\); save it as UTF-8",
    ),
    (
        "f9-spec-huge-layer-names-the-file",
        lambda f: load_example(f["spec_huge_layer"]),
        MemoryError,
        r"huge_layer.json: sizes \[2, 1000000000000, 1\]: .* parameters need",
    ),
]


@pytest.fixture
def files(tmp_path):
    """Bad (and a few good) files for the loader and CLI rows."""
    paths = {"missing": str(tmp_path / "missing.npz"), "dir": str(tmp_path / "emptydir")}
    os.mkdir(paths["dir"])

    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(path)

    paths["empty"] = write("empty.csv", b"")
    paths["text"] = write("text.txt", "hello, this is not a model\n")
    paths["csv"] = write("data.csv", "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    paths["csv_words"] = write("words.csv", "a,b,label\n0,zero,0\n1,one,1\n")
    paths["csv_float_target"] = write("float_target.csv", "a,b,y\n0,0,0.5\n0,1,1.5\n1,0,1.25\n1,1,0.5\n")
    paths["csv_unseen"] = write("unseen.csv", "a,b,label\n0,0,0\n0,1,5\n1,1,1\n")
    paths["csv_3cols"] = write("three.csv", "0,0,0,0\n0,1,0,1\n1,0,1,1\n")
    paths["spec_not_json"] = write("spec.json", "{ not json")
    paths["idx_truncated"] = write("t.idx", bytes([0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 4]) + bytes(5))
    np.savez(tmp_path / "plain.npz", x=np.ones(3))
    paths["plain_npz"] = str(tmp_path / "plain.npz")
    model = cr.Network([2, 3, 2], activation="relu", loss="cross_entropy", seed=0)
    model.save(tmp_path / "model.npz")
    paths["model"] = str(tmp_path / "model.npz")
    paths["model_truncated"] = write("truncated.npz", (tmp_path / "model.npz").read_bytes()[:300])
    spec = {
        "network": {"sizes": [2, 1], "activation": "sigmoid", "bias": False},
        "layers": [{"weights": [[0.1, 0.2]]}],
        "step": {"inputs": [[1, 0]], "targets": [[1]], "learning_rate": 0.5},
    }
    paths["spec_unpublished"] = write("unpublished.json", json.dumps(spec))
    published = {**spec, "published": {"loss": "0.1"}}
    paths["spec_deep"] = write("deep.json", "[" * 100_000 + "]" * 100_000)
    paths["spec_deep_toml"] = write("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000)
    paths["spec_lr_huge"] = write(
        "lr_huge.json", json.dumps(published).replace('"learning_rate": 0.5', '"learning_rate": 1' + "0" * 400)
    )
    for name, text in (("1e999", "1e999"), ("newline", "0.35\n"), ("underscore", "1_0"), ("full_width", "\uff11")):
        paths[f"spec_{name}"] = write(f"p_{name}.json", json.dumps({**spec, "published": {"loss": text}}))
    paths["spec_bool_weights"] = write(
        "bool_weights.json", json.dumps({**published, "layers": [{"weights": [[True, 0.2]]}]})
    )
    paths["spec_latin1"] = write(
        "latin1.json", json.dumps(published).replace("sigmoid", "sigmo\u00efd").encode("latin-1")
    )
    huge = {**published, "network": {"sizes": [2, 10**12, 1], "activation": "sigmoid", "bias": False}}
    del huge["layers"]
    paths["spec_huge_layer"] = write("huge_layer.json", json.dumps(huge))
    paths["reg_csv"] = write(
        "reg.csv", "".join(f"{i % 7 - 3},{i % 5 - 2},{(i % 7) * 0.5 - (i % 5)}\n" for i in range(60))
    )
    paths["nodir_model"] = os.path.join(paths["dir"], "nodir", "m.npz")
    model.fit(XOR_X, [0, 1, 1, 0], epochs=2, batch_size=2)
    model.save(tmp_path / "trained.npz")
    paths["model_trained"] = str(tmp_path / "trained.npz")
    return paths


@pytest.mark.parametrize("name, call, error, pattern", [pytest.param(i, c, e, p, id=i) for i, c, e, p in LIBRARY_CASES])
def test_library_refuses_bad_input(files, name, call, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        call(files)
    assert isinstance(info.value, (ValueError, TypeError, OSError, MemoryError, cr.TrainingDiverged))
    assert ".chainrule-" not in str(info.value), "a message never names a temporary file"
    if not name.startswith("sk-"):  # the estimators keep scikit-learn's own (multi-line) messages
        assert "\n" not in str(info.value).strip(), "a message is one line"


# (id, argv with {file} placeholders, stderr pattern)
CLI_CASES = [
    ("no-command", [], r"a command is required"),
    ("unknown-command", ["fly"], r"invalid choice: 'fly'"),
    ("train-missing-data", ["train", "{missing}"], r"missing.npz: No such file or directory"),
    ("train-empty-csv", ["train", "{empty}"], r"no data rows"),
    ("train-text-data", ["train", "{csv_words}"], r"not a numeric CSV file"),
    (
        "train-layers-words",
        ["train", "{csv}", "--layers", "a,b"],
        r"--layers must be comma-separated integers such as 256,128; got 'a,b'",
    ),
    ("train-layers-zero", ["train", "{csv}", "--layers", "4,0"], r"--layers sizes must be >= 1; got '4,0'"),
    ("train-epochs-zero", ["train", "{csv}", "--epochs", "0"], r"argument --epochs: expected an integer >= 1; got 0"),
    (
        "train-learning-rate",
        ["train", "{csv}", "--learning-rate", "-1"],
        r"argument --learning-rate: expected a number > 0; got -1.0",
    ),
    ("train-dropout", ["train", "{csv}", "--dropout", "1.5"], r"dropout must be in \[0.0, 1.0\); got 1.5"),
    (
        "train-unknown-optimizer",
        ["train", "{csv}", "--optimizer", "adagrad"],
        r"argument --optimizer: invalid choice: 'adagrad'",
    ),
    ("train-unknown-loss", ["train", "{csv}", "--loss", "hinge"], r"unknown loss 'hinge'; valid names are"),
    ("train-early-stopping", ["train", "{csv}", "--early-stopping", "2"], r"--early-stopping needs --validation-split"),
    ("train-validation-split", ["train", "{csv}", "--validation-split", "2"], r"validation_fraction must be"),
    ("train-target", ["train", "{csv}", "--target", "price"], r"target column 'price' not found"),
    (
        "train-cross-entropy-float",
        ["train", "{csv_float_target}", "--loss", "cross_entropy"],
        r"--loss cross_entropy needs integer class labels >= 0",
    ),
    ("train-fashion-missing", ["train", "fashion-mnist", "--data-dir", "{dir}"], r"Fashion-MNIST files missing in"),
    ("evaluate-missing-model", ["evaluate", "{missing}", "{csv}"], r"missing.npz'?: no such file"),
    ("evaluate-text-model", ["evaluate", "{text}", "{csv}"], r"not a chainrule network file: not an .npz \(zip\) file"),
    ("evaluate-empty-model", ["evaluate", "{empty}", "{csv}"], r"not a chainrule network file: the file is empty"),
    ("evaluate-columns", ["evaluate", "{model}", "{csv_3cols}"], r"data must have 2 columns"),
    (
        "evaluate-unseen-label",
        ["evaluate", "{model}", "{csv_unseen}"],
        r"target class labels must be in \[0, 2\) for 2 outputs; got 5",
    ),
    (
        "evaluate-float-target",
        ["evaluate", "{model}", "{csv_float_target}"],
        r"this network is a classifier: the target column must hold integer class labels",
    ),
    ("predict-truncated-model", ["predict", "{model_truncated}", "{csv}"], r"truncated or corrupted"),
    ("predict-directory-model", ["predict", "{dir}", "{csv}"], r"is a directory, not a saved network file"),
    (
        "predict-target-range",
        ["predict", "{model}", "{csv}", "--target", "9"],
        r"target column 9 out of range for 3 columns",
    ),
    ("explain-missing", ["explain", "{missing}"], r"missing.npz"),
    ("explain-not-json", ["explain", "{spec_not_json}"], r"spec.json"),
    (
        "explain-digits",
        ["explain", "{spec_unpublished}", "--digits", "0"],
        r"argument --digits: expected a positive integer; got '0'",
    ),
    ("check-no-published", ["check", "{spec_unpublished}"], r"has no \[published\] values to check"),
    (
        "gradcheck-epsilon",
        ["gradcheck", "{spec_unpublished}", "--epsilon", "abc"],
        r"argument --epsilon: invalid float value: 'abc'",
    ),
    # -- issue 15: hard edges (each row names its finding) -------------------------------
    (
        "f8-train-diverged",
        ["train", "{reg_csv}", "--layers", "8", "--optimizer", "sgd", "--learning-rate", "100", "--epochs", "50"],
        r"chainrule: error: training diverged: .* Try a lower learning rate \(e.g. 10\)",
    ),
    (
        "f1-train-update-overflows",
        ["train", "{reg_csv}", "--layers", "8", "--optimizer", "sgd", "--learning-rate", "3e38", "--epochs", "1"],
        r"training diverged: the update made the parameters or the optimiser's state overflow",
    ),
    (
        "f2-train-last-step-overflows",
        ["train", "{reg_csv}", "--layers", "8", "--optimizer", "sgd", "--learning-rate", "1e37", "--epochs", "1"],
        r"training diverged: the loss on the weights after the last update became nan",
    ),
    (
        "f8-train-layer-too-large",
        ["train", "{csv}", "--layers", "1000000000000"],
        r"chainrule: error: out of memory: sizes \[2, 1000000000000, 2\]: .* use smaller layers",
    ),
    ("f9-train-layer-beyond-any-array", ["train", "{csv}", "--layers", str(2**63)], r"more than an array can hold"),
    (
        "f4-train-save-no-directory",
        ["train", "{csv}", "--epochs", "1000000", "--save", "{nodir_model}"],
        r"nodir/m.npz: no such directory .*nodir'; create it first",
    ),
    (
        "f4-train-save-a-directory",
        ["train", "{csv}", "--epochs", "1000000", "--save", "{dir}"],
        r"emptydir: is a directory; name a file in it",
    ),
    (
        "f4-train-checkpoint-no-directory",
        ["train", "{csv}", "--epochs", "1000000", "--checkpoint", "{nodir_model}"],
        r"nodir/m.npz: no such directory",
    ),
    (
        "f4-train-plot-a-file",
        ["train", "{csv}", "--epochs", "1000000", "--plot", "{csv}"],
        r"data.csv: --plot needs a directory; this is a file",
    ),
    ("f7-train-resume-missing", ["train", "{csv}", "--resume", "{missing}"], r"missing.npz'?: no such file"),
    ("f7-train-resume-not-a-model", ["train", "{csv}", "--resume", "{text}"], r"not a chainrule network file"),
    (
        "f7-train-resume-done",
        ["train", "{csv}", "--resume", "{model_trained}", "--epochs", "2"],
        r"trained.npz has already trained 2 epochs, --epochs 2: ask for more epochs to continue",
    ),
    ("f8-explain-nested", ["explain", "{spec_deep}"], r"deep.json: not a worked example: .* nested too deeply"),
    ("f8-explain-nested-toml", ["explain", "{spec_deep_toml}"], r"deep.toml: .* nested too deeply"),
    ("f8-check-integer-overflow", ["check", "{spec_lr_huge}"], r"lr_huge.json: step.learning_rate must be a finite"),
    ("f8-check-published-1e999", ["check", "{spec_1e999}"], r"published\['loss'\] must be a number within float range"),
    ("f9-check-published-newline", ["check", "{spec_newline}"], r"must be the number alone, without spaces or line"),
    ("f9-check-published-underscore", ["check", "{spec_underscore}"], r"in ASCII digits without separators.*'1_0'"),
    ("f9-check-published-full-width", ["check", "{spec_full_width}"], r"in ASCII digits without separators"),
    ("f9-explain-weights-true-false", ["explain", "{spec_bool_weights}"], r"layers\[0\].weights must hold numbers"),
    ("f9-explain-not-utf8", ["explain", "{spec_latin1}"], r"latin1.json: not UTF-8 text"),
    ("f8-explain-huge-layer", ["explain", "{spec_huge_layer}"], r"out of memory: .*huge_layer.json: sizes \[2, 10"),
]


@pytest.mark.parametrize("argv, pattern", [pytest.param(a, p, id=i) for i, a, p in CLI_CASES])
def test_cli_refuses_bad_input(files, capsys, argv, pattern):
    argv = [arg.format(**files) for arg in argv]
    status = main(argv + (["--quiet"] if argv[:1] == ["train"] else []))
    err = capsys.readouterr().err
    assert status == 2, err
    # A TrainingWarning may come first (a loss that grew before it diverged): one line each.
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("chainrule: warning: ")]
    message = lines[-1]
    assert "Traceback" not in err
    # argparse prints its usage line first when no command is given; every error is one line.
    assert len(lines) == 1 or (argv == [] and len(lines) == 2), err
    assert message.startswith(("chainrule: error: ", "chainrule ")), message
    assert __import__("re").search(pattern, message), message


def test_cli_subprocess_bad_model_exits_2_with_one_line(files):
    """The installed command, in a real process: exit 2, one line on stderr, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "evaluate", files["text"], files["csv"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "not a chainrule network file" in result.stderr


def test_table_size():
    """The issue asks for at least 40 bad inputs over all entry points."""
    assert len(LIBRARY_CASES) + len(CLI_CASES) >= 40
    assert len({case[0] for case in LIBRARY_CASES + CLI_CASES}) == len(LIBRARY_CASES) + len(CLI_CASES)
