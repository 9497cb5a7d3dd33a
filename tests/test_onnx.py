"""Tests for cr.export_onnx: onnx.checker passes and onnxruntime equals predict/predict_proba to 1e-5."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import chainrule as cr

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(path, X):
    """Load the written file, check it, and run it on X (as float32)."""
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": np.asarray(X, dtype=np.float32)})


HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
OUTPUTS = [  # (loss, output activation)
    ("binary_cross_entropy", "sigmoid"),
    ("cross_entropy", "softmax"),
    ("mse", "identity"),
    ("half_squared_error", "tanh"),
    ("half_squared_error", "relu"),
    ("half_squared_error", "leaky_relu"),
    ("poisson", "exp"),
]


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss,output", OUTPUTS)
def test_network_every_activation_and_output(tmp_path, rng, hidden, loss, output):
    net = cr.Network([5, 7, 6, 3], activation=hidden, output_activation=output, loss=loss, init="xavier", seed=3)
    X = rng.standard_normal((40, 5)) * 2
    path = tmp_path / "net.onnx"
    model = cr.export_onnx(net, path)
    (out,) = _run(path, X)
    assert [o.name for o in model.graph.output] == ["output"]
    assert out.dtype == np.float32 and out.shape == (40, 3)
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-5, atol=1e-5)
    if output == "leaky_relu":  # the slope travels: negative outputs exist and match
        assert (net.predict(X) < 0).any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_network_without_bias_and_both_dtypes(tmp_path, rng, dtype):
    net = cr.Network([3, 4, 2], bias=False, dtype=dtype, seed=1)
    X = rng.standard_normal((10, 3))
    cr.export_onnx(net, tmp_path / "m.onnx")
    (out,) = _run(tmp_path / "m.onnx", X)
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-5, atol=1e-5)
    assert not [i for i in onnx.load(str(tmp_path / "m.onnx")).graph.initializer if i.name.startswith("b")]


@pytest.fixture
def fitted():
    """Fit quietly: few iterations on purpose."""

    def fit(estimator, X, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return estimator.fit(X, y)

    return fit


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity", ("tanh", "leaky_relu")])
@pytest.mark.parametrize("target", ["binary_int", "multiclass_str", "multiclass_float", "multilabel"])
def test_classifier_label_and_probabilities(tmp_path, rng, fitted, activation, target):
    from chainrule.sklearn import MLPClassifier

    X = rng.standard_normal((60, 4))
    y = {
        "binary_int": lambda: np.where(X[:, 0] > 0, 7, -2),
        "multiclass_str": lambda: np.array(["cat", "dog", "emu"])[np.argmax(X[:, :3], axis=1)],
        "multiclass_float": lambda: np.array([1.0, 2.0, 4.0])[np.argmax(X[:, :3], axis=1)],
        "multilabel": lambda: (X[:, :3] > 0).astype(int),
    }[target]()
    sizes = (6,) if isinstance(activation, str) else (6, 5)
    clf = fitted(
        MLPClassifier(sizes, activation=activation, max_iter=20, learning_rate_init=0.05, random_state=0), X, y
    )
    path = tmp_path / "clf.onnx"
    cr.export_onnx(clf, path)
    label, proba = _run(path, X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-5)
    expected = clf.predict(X)
    assert label.shape == expected.shape
    assert (label == expected).all()
    assert len(np.unique(expected)) > 1  # the test would be weak on a constant predictor


@pytest.mark.parametrize("two_d", [False, True])
def test_regressor(tmp_path, rng, fitted, two_d):
    from chainrule.sklearn import MLPRegressor

    X = rng.standard_normal((50, 3)).astype(np.float32)
    y = np.c_[X[:, 0] * 3 + 1, X[:, 1] ** 2] if two_d else X[:, 0] * 3 + 1
    reg = fitted(MLPRegressor((8,), activation="tanh", max_iter=30, random_state=0), X, y)
    assert reg.network_.dtype == np.float32  # float32 input trains a float32 network
    path = tmp_path / "reg.onnx"
    cr.export_onnx(reg, path)
    (out,) = _run(path, X)
    pred = reg.predict(X)
    np.testing.assert_allclose(out if two_d else out.ravel(), pred, rtol=1e-5, atol=1e-5)


def test_returns_model_without_path(rng):
    net = cr.Network([2, 3, 1], seed=0)
    model = cr.export_onnx(net)
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Sigmoid", "Gemm", "Sigmoid", "Identity"]
    assert model.opset_import[0].version == 17


def test_missing_onnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "chainrule\[onnx\]".*Limits of the export: .*float32'):
        cr.export_onnx(cr.Network([2, 1], seed=0))


def test_bad_model():
    with pytest.raises(TypeError, match=r"export_onnx takes a chainrule.Network .*; got list"):
        cr.export_onnx([1, 2])
    from chainrule.sklearn import MLPClassifier

    with pytest.raises(ValueError, match=r"MLPClassifier is not fitted yet; call fit before export_onnx"):
        cr.export_onnx(MLPClassifier())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_input_scale_is_a_mul_before_the_first_gemm(tmp_path, rng, dtype):
    net = cr.Network([6, 5, 3], activation="relu", loss="cross_entropy", dtype=dtype, seed=2, input_scale=1 / 255)
    U = rng.integers(0, 256, (30, 6), dtype=np.uint8)
    model = cr.export_onnx(net, tmp_path / "m.onnx")
    assert [node.op_type for node in model.graph.node][:2] == ["Mul", "Gemm"]
    (out,) = _run(tmp_path / "m.onnx", U.astype(np.float32))  # the pixel values 0..255, as floats
    if dtype == "float32":  # the same float32 operations: s·x, then the products
        np.testing.assert_allclose(out, net.predict(U), rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_allclose(out, net.predict(U), rtol=1e-5, atol=1e-5)
    plain = cr.Network([6, 5, 3], activation="relu", loss="cross_entropy", dtype=dtype, seed=2)
    cr.export_onnx(plain, tmp_path / "plain.onnx")
    (unscaled,) = _run(tmp_path / "plain.onnx", U.astype(np.float32))
    assert not np.allclose(unscaled, out, rtol=1e-3)  # without the Mul the outputs would differ
