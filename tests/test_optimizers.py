"""Optimisers against ``torch.optim``, step by step, in float64; their
hyperparameter checks; and a whole ``fit`` against a torch training loop.

Every test runs on both update paths of :mod:`chainrule.training.kernels`:
the NumPy passes and numba's compiled loops (when numba is installed)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.training import kernels
from chainrule.training.optimizers import OPTIMIZERS, get_optimizer

torch = pytest.importorskip("torch")

try:
    import numba  # noqa: F401

    PATHS = ["numpy", "numba"]
except ImportError:
    PATHS = ["numpy", pytest.param("numba", marks=pytest.mark.skip(reason="numba (the fast extra) not installed"))]


@pytest.fixture(autouse=True, params=PATHS)
def kernel_path(request):
    """Run the test with the NumPy kernels, then with numba's."""
    kernels.set_kernels(request.param)
    yield request.param
    kernels.set_kernels(None)


N_STEPS = 8

# (chainrule optimiser, the torch optimiser class and its arguments). Non-default values
# (a large epsilon especially) make formula slips visible, e.g. ε inside vs outside the root.
CASES = [
    pytest.param(lambda: cr.SGD(0.1), torch.optim.SGD, {"lr": 0.1}, id="sgd"),
    pytest.param(lambda: cr.SGD(0.1, momentum=0.9), torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, id="sgd-momentum"),
    pytest.param(
        lambda: cr.SGD(0.1, momentum=0.9, nesterov=True),
        torch.optim.SGD,
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        id="sgd-nesterov",
    ),
    pytest.param(
        lambda: cr.SGD(0.1, weight_decay=0.05),
        torch.optim.SGD,
        {"lr": 0.1, "weight_decay": 0.05},
        id="sgd-weight-decay",
    ),
    pytest.param(
        lambda: cr.SGD(0.05, momentum=0.5, nesterov=True, weight_decay=0.1),
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1},
        id="sgd-nesterov-weight-decay",
    ),
    pytest.param(
        lambda: cr.SGD(0.05, momentum=0.7, weight_decay=0.1),
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.1},
        id="sgd-momentum-weight-decay",
    ),
    pytest.param(lambda: cr.Adam(0.01), torch.optim.Adam, {"lr": 0.01}, id="adam"),
    pytest.param(
        lambda: cr.Adam(0.02, beta1=0.8, beta2=0.9, epsilon=0.1, weight_decay=0.05),
        torch.optim.Adam,
        {"lr": 0.02, "betas": (0.8, 0.9), "eps": 0.1, "weight_decay": 0.05},
        id="adam-custom",
    ),
    pytest.param(lambda: cr.AdamW(0.01), torch.optim.AdamW, {"lr": 0.01}, id="adamw"),
    pytest.param(
        lambda: cr.AdamW(0.02, beta1=0.8, beta2=0.9, epsilon=0.1, weight_decay=0.3),
        torch.optim.AdamW,
        {"lr": 0.02, "betas": (0.8, 0.9), "eps": 0.1, "weight_decay": 0.3},
        id="adamw-custom",
    ),
    pytest.param(
        lambda: cr.Adam(0.02, weight_decay=0.3, decoupled_weight_decay=True),
        torch.optim.Adam,
        {"lr": 0.02, "weight_decay": 0.3, "decoupled_weight_decay": True},
        id="adam-decoupled",
    ),
    pytest.param(lambda: cr.RMSProp(0.01), torch.optim.RMSprop, {"lr": 0.01}, id="rmsprop"),
    pytest.param(
        lambda: cr.RMSProp(0.02, rho=0.9, epsilon=0.1, weight_decay=0.05),
        torch.optim.RMSprop,
        {"lr": 0.02, "alpha": 0.9, "eps": 0.1, "weight_decay": 0.05},
        id="rmsprop-custom",
    ),
]


def _gradient(p):
    """A gradient that depends on where the parameters are, so trajectories can diverge."""
    return np.sin(3.0 * p) + 0.3 * p - 0.1


@pytest.mark.parametrize("make, torch_class, torch_kwargs", CASES)
def test_step_by_step_parity_with_torch(make, torch_class, torch_kwargs):
    rng = np.random.default_rng(0)
    ours = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in ours]
    opt, topt = make(), torch_class(theirs, **torch_kwargs)
    for step in range(1, N_STEPS + 1):
        opt.step(ours, [_gradient(p) for p in ours])
        for t in theirs:
            t.grad = torch.tensor(_gradient(t.detach().numpy()))
        topt.step()
        assert opt.iterations == step
        for p, t in zip(ours, theirs):
            t = t.detach().numpy()
            # same float64 formulas: agreement to rounding (far inside the 1e-6 asked for)
            assert np.abs(p - t).max() <= 1e-12 * np.abs(t).max(), (step, np.abs(p - t).max())


@pytest.mark.parametrize("make, torch_class, torch_kwargs", CASES)
def test_a_vector_split_over_threads_is_torch(make, torch_class, torch_kwargs, kernel_path, monkeypatch):
    # Long enough that the update runs in chunks on three threads (the last chunk's bound not aligned).
    monkeypatch.setattr(kernels, "MIN_CHUNK", 4096)  # small chunks: a short vector is split as a long one is
    monkeypatch.setattr(kernels, "MIN_CHUNK_COMPILED", 8192)
    compiled = kernel_path == "numba"
    n = 3 * (kernels.MIN_CHUNK_COMPILED if compiled else kernels.MIN_CHUNK) + 5
    rng = np.random.default_rng(1)
    ours = rng.normal(size=n)
    theirs = torch.tensor(ours.copy(), requires_grad=True)
    opt, topt = make(), torch_class([theirs], **torch_kwargs)
    kernels.set_threads(3)
    try:
        assert len(kernels.chunks(n, compiled)) == 3
        for _ in range(3):
            assert opt.step([ours], [_gradient(ours)]) is True
            theirs.grad = torch.tensor(_gradient(theirs.detach().numpy()))
            topt.step()
    finally:
        kernels.set_threads(None)
    t = theirs.detach().numpy()
    assert np.abs(ours - t).max() <= 1e-12 * np.abs(t).max()


@pytest.mark.parametrize("make, torch_class, torch_kwargs", CASES)
def test_step_reports_a_non_finite_gradient(make, torch_class, torch_kwargs):
    p = np.ones(5)
    opt = make()
    assert opt.step([p], [np.full(5, 0.5)]) is True
    g = np.full(5, 0.5)
    g[3] = np.nan
    with np.errstate(invalid="ignore"):
        assert opt.step([p], [g]) is False


@pytest.mark.parametrize("make, torch_class, torch_kwargs", CASES)
def test_parameters_move(make, torch_class, torch_kwargs):
    p = np.ones(3)
    make().step([p], [np.full(3, 0.5)])
    assert (p < 1).all()


@pytest.mark.parametrize(
    "make", [lambda: cr.SGD(0.1), lambda: cr.SGD(0.1, momentum=0.9), lambda: cr.Adam(0.01), lambda: cr.RMSProp(0.01)]
)
def test_float32_parameters_stay_float32(make):
    p = np.linspace(-1, 1, 6, dtype=np.float32)
    opt = make()
    for _ in range(3):
        opt.step([p], [np.sin(p)])
    assert p.dtype == np.float32 and np.isfinite(p).all()


def test_state_is_kept_between_steps():
    # Momentum carries over: a zero gradient still moves the parameter after a first step.
    p = np.zeros(2)
    opt = cr.SGD(0.1, momentum=0.9)
    opt.step([p], [np.ones(2)])
    np.testing.assert_allclose(p, -0.1)
    opt.step([p], [np.zeros(2)])
    np.testing.assert_allclose(p, -0.1 - 0.1 * 0.9)


def test_adam_first_step_is_learning_rate_times_sign():
    # With bias correction, Adam's first step is lr·g/(|g| + ε) ≈ lr·sign(g).
    p = np.zeros(3)
    cr.Adam(0.01).step([p], [np.array([2.0, -0.5, 1e-3])])
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01], rtol=1e-4)


# -- a whole fit against a torch training loop ---------------------------------------
@pytest.mark.parametrize("make, torch_class, torch_kwargs", [CASES[2], CASES[6], CASES[9]])
@pytest.mark.parametrize("batch_size", [None, 2])
def test_fit_matches_a_torch_training_loop(make, torch_class, torch_kwargs, batch_size):
    net = cr.Network([2, 3, 1], activation="tanh", loss="mse", reduction="mean", seed=3)
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    params = [torch.tensor(p.copy(), requires_grad=True) for p in net.parameters()]
    W1, b1, W2, b2 = params
    topt = torch_class(params, **torch_kwargs)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    epochs, torch_losses = 6, []
    for _ in range(epochs):
        batches = [slice(0, 5)] if batch_size is None else [slice(s, s + batch_size) for s in range(0, 5, batch_size)]
        total = 0.0
        for b in batches:
            topt.zero_grad()
            out = torch.tanh(Xt[b] @ W1.T + b1) @ W2.T + b2
            loss = torch.nn.MSELoss()(out, Yt[b])
            loss.backward()
            topt.step()
            total += loss.item() * out.shape[0]
        torch_losses.append(total / 5)
    optimizer = make()
    assert optimizer.learning_rate == torch_kwargs["lr"]
    history = net.fit(X, Y, epochs=epochs, batch_size=batch_size, shuffle=False, optimizer=optimizer)
    np.testing.assert_allclose(history.loss, torch_losses, rtol=1e-12)
    for p, t in zip(net.parameters(), params):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-10, atol=1e-12)


# -- hyperparameter checks --------------------------------------------------------------
@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: cr.SGD(0.0), ValueError, r"learning_rate must be a finite number > 0; got 0.0"),
        (lambda: cr.SGD(-0.1), ValueError, r"learning_rate must be a finite number > 0; got -0.1"),
        (lambda: cr.Adam(float("nan")), ValueError, r"learning_rate must be a finite number > 0; got nan"),
        (lambda: cr.RMSProp(float("inf")), ValueError, r"learning_rate must be a finite number > 0; got inf"),
        (lambda: cr.SGD("0.1"), TypeError, r"learning_rate must be a real number; got str '0.1'"),
        (lambda: cr.SGD(0.1, momentum=1.0), ValueError, r"momentum must be in \[0.0, 1.0\); got 1.0"),
        (lambda: cr.SGD(0.1, momentum=-0.5), ValueError, r"momentum must be in \[0.0, 1.0\); got -0.5"),
        (lambda: cr.SGD(0.1, nesterov=True), ValueError, r"nesterov=True needs momentum > 0; got momentum=0.0"),
        (lambda: cr.SGD(0.1, weight_decay=-1), ValueError, r"weight_decay must be a finite number >= 0; got -1.0"),
        (lambda: cr.Adam(0.1, beta1=1.0), ValueError, r"beta1 must be in \[0.0, 1.0\); got 1.0"),
        (lambda: cr.Adam(0.1, beta2=1.5), ValueError, r"beta2 must be in \[0.0, 1.0\); got 1.5"),
        (lambda: cr.Adam(0.1, epsilon=0), ValueError, r"epsilon must be a finite number > 0; got 0.0"),
        (lambda: cr.RMSProp(0.1, rho=1.0), ValueError, r"rho must be in \[0.0, 1.0\); got 1.0"),
        (lambda: cr.RMSProp(0.1, epsilon=-1e-8), ValueError, r"epsilon must be a finite number > 0; got -1e-08"),
        (
            lambda: cr.AdamW(0.1, weight_decay_on="biases"),
            ValueError,
            r"unknown weight_decay_on 'biases'; valid names are: all, weights",
        ),
    ],
)
def test_bad_hyperparameters(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_get_optimizer_by_name_and_instance():
    assert set(OPTIMIZERS) == {"sgd", "adam", "adamw", "rmsprop"}
    opt = get_optimizer("Adam", 0.5)
    assert isinstance(opt, cr.Adam) and opt.learning_rate == 0.5
    inst = cr.RMSProp(0.1)
    assert get_optimizer(inst, 0.9) is inst


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown optimizer 'lbfgs'; valid names are: adam, adamw, rmsprop, sgd"):
        get_optimizer("lbfgs", 0.1)


def test_get_config_round_trip():
    opt = cr.Adam(0.02, beta1=0.8, beta2=0.95, epsilon=1e-6, weight_decay=0.01)
    config = opt.get_config()
    assert config["name"] == "adam" and config["learning_rate"] == 0.02 and config["beta1"] == 0.8
    rebuilt = cr.Adam(**{k: v for k, v in config.items() if k != "name"})
    assert rebuilt.get_config() == config


@pytest.mark.parametrize(
    "optimizer, names",
    [
        (cr.SGD(0.1), ()),
        (cr.SGD(0.1, momentum=0.9), ("momentum_buffer",)),
        (cr.SGD(0.1, momentum=0.9, nesterov=True), ("momentum_buffer",)),
        (cr.Adam(0.01), ("m", "v")),
        (cr.AdamW(0.01), ("m", "v")),
        (cr.RMSProp(0.01), ("square_avg",)),
    ],
)
def test_state_names_are_the_arrays_kept_after_a_step(optimizer, names):
    assert optimizer.state_names == names
    p, g = np.ones(4), np.full(4, 0.5)
    optimizer.step([p], [g])
    _, arrays = optimizer.get_state()
    assert {key.split(".", 1)[1] for key in arrays} == set(names)


# -- which parameters decay: one mechanism for every optimiser --------------------------
WEIGHTS_ONLY = [
    pytest.param(lambda on: cr.SGD(0.1, momentum=0.9, weight_decay=0.2, weight_decay_on=on), torch.optim.SGD,
                 {"lr": 0.1, "momentum": 0.9}, id="sgd"),
    pytest.param(lambda on: cr.Adam(0.02, weight_decay=0.2, weight_decay_on=on), torch.optim.Adam,
                 {"lr": 0.02}, id="adam"),
    pytest.param(lambda on: cr.AdamW(0.02, weight_decay=0.2, weight_decay_on=on), torch.optim.AdamW,
                 {"lr": 0.02}, id="adamw"),
    pytest.param(lambda on: cr.RMSProp(0.02, weight_decay=0.2, weight_decay_on=on), torch.optim.RMSprop,
                 {"lr": 0.02}, id="rmsprop"),
]  # fmt: skip


@pytest.mark.parametrize("make, torch_class, torch_kwargs", WEIGHTS_ONLY)
@pytest.mark.parametrize("flat", [False, True], ids=["arrays", "flat-with-mask"])
def test_weights_only_decay_is_torch_with_two_parameter_groups(make, torch_class, torch_kwargs, flat):
    # torch's way of not decaying biases: a group of weights with weight_decay, one of biases without.
    net = cr.Network([3, 4, 2], seed=0, init="normal")
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in net.parameters()]
    topt = torch_class(
        [{"params": theirs[0::2], "weight_decay": 0.2}, {"params": theirs[1::2], "weight_decay": 0.0}], **torch_kwargs
    )
    opt = make("weights")
    for _ in range(N_STEPS):
        if flat:  # as the fit loop hands it: the flat vector and the network's mask
            opt.step([net.params], [_gradient(net.params)], [net.weight_mask])
        else:  # arrays by hand: 2-D ones are weights, 1-D ones biases
            opt.step(net.parameters(), [_gradient(p) for p in net.parameters()])
        for t in theirs:
            t.grad = torch.tensor(_gradient(t.detach().numpy()))
        topt.step()
    for p, t in zip(net.parameters(), theirs):
        t = t.detach().numpy()
        assert np.abs(p - t).max() <= 1e-12 * np.abs(t).max()


def test_weight_mask_marks_the_weights_of_the_flat_vector():
    net = cr.Network([3, 4, 2], seed=0)
    mask = net.weight_mask
    assert mask.shape == net.params.shape and mask.dtype == net.params.dtype
    net.params[...] = mask
    for layer in net.layers:
        assert (layer.weights == 1).all() and (layer.bias == 0).all()
    assert cr.Network([3, 2], seed=0, dtype="float32").weight_mask.dtype == np.float32


def test_fit_weight_decay_on_weights_leaves_the_biases_undecayed():
    # One full-batch step against the rule written out: W ← W − η·(g + λ·W), b ← b − η·g.
    net = cr.Network([2, 3, 1], activation="tanh", loss="mse", seed=1)
    X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[0.3], [-0.2]])
    grads = [g for pair in net.gradients(X, Y) for g in pair]
    before = [p.copy() for p in net.parameters()]
    net.fit(X, Y, epochs=1, learning_rate=0.1, optimizer="sgd", weight_decay=0.5, weight_decay_on="weights")
    for p, p0, g in zip(net.parameters(), before, grads):
        expected = p0 - 0.1 * (g + 0.5 * p0) if p.ndim == 2 else p0 - 0.1 * g
        np.testing.assert_allclose(p, expected, rtol=1e-14, atol=1e-15)
    assert net.optimizer_.get_config()["weight_decay_on"] == "weights"


# -- scikit-learn's SGD: the velocity carries the rate ----------------------------------
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_correction_is_scikit_learns_sgd_when_the_rate_changes(nesterov):
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    rng = np.random.default_rng(0)
    ours = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    theirs = [p.copy() for p in ours]
    opt = cr.SGD(0.1, momentum=0.9, nesterov=nesterov, momentum_correction=True)
    plain = cr.SGD(0.1, momentum=0.9, nesterov=nesterov)  # torch's rule, for contrast
    other = [p.copy() for p in ours]
    sk = SGDOptimizer(theirs, learning_rate_init=0.1, lr_schedule="constant", momentum=0.9, nesterov=nesterov)
    rates = [0.1, 0.1, 0.02, 0.02, 0.5, 0.004, 0.004, 0.1]
    for rate in rates:
        opt.set_learning_rate(rate)
        plain.set_learning_rate(rate)
        sk.learning_rate = rate
        opt.step(ours, [_gradient(p) for p in ours])
        plain.step(other, [_gradient(p) for p in other])
        sk.update_params(theirs, [_gradient(p) for p in theirs])
    for p, t, o in zip(ours, theirs, other):
        assert np.abs(p - t).max() <= 1e-12 * np.abs(t).max()
        assert np.abs(o - t).max() > 1e-3  # without the correction the paths part


@pytest.mark.parametrize(
    "make",
    [
        lambda lr: cr.SGD(lr, momentum=0.9, momentum_correction=True, schedule="exponential"),
        lambda lr: cr.SGD(lr, weight_decay=0.1),
        lambda lr: cr.Adam(lr, schedule="step"),
        lambda lr: cr.RMSProp(lr, weight_decay=0.01),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_rate_per_row_updates_each_row_as_its_own_optimizer(make, dtype):
    # A stack's rows (K, n) with K rates: row k gets exactly the update of an optimiser with rate k alone.
    rng = np.random.default_rng(3)
    rates = [0.3, 0.01, 0.07]
    stacked = make(rates)
    alone = [make(lr) for lr in rates]
    p = rng.normal(size=(3, 10)).astype(dtype)
    rows = [p[k].copy() for k in range(3)]
    for _ in range(4):
        stacked.begin_epoch()
        for opt in alone:
            opt.begin_epoch()
        g = rng.normal(size=(3, 10)).astype(dtype)
        assert stacked.step([p], [g.copy()]) is True
        for k, opt in enumerate(alone):
            opt.step([rows[k]], [g[k].copy()])
            np.testing.assert_array_equal(p[k], rows[k])
        stacked.end_epoch()
        for opt in alone:
            opt.end_epoch()
    assert stacked.get_config()["learning_rate"] == rates


def test_rates_per_row_need_a_stacks_rows():
    with pytest.raises(ValueError, match=r"3 learning rates \(one per model\) need the stack's parameters as"):
        cr.SGD([0.1, 0.2, 0.3]).step([np.zeros(6)], [np.zeros(6)])
    with pytest.raises(ValueError, match="non-empty 1-D sequence"):
        cr.SGD([[0.1]])
    with pytest.raises(TypeError, match="one number per model"):
        cr.SGD(["a", object()])


@pytest.mark.parametrize("make", [cr.Adam, cr.AdamW])
def test_adam_flushes_subnormal_moments_every_few_steps(make):
    # A gradient that stays 0 lets m decay into the subnormals: every kernels.FLUSH_EVERY-th step sets them
    # to 0, and the other steps are the plain rule (torch's, checked above).
    tiny = np.finfo(np.float32).tiny
    p, g = np.ones(5000, np.float32), np.zeros(5000, np.float32)
    opt = make(0.01)
    opt.step([p], [g.copy()])
    m = opt.state[0]["m"]
    m[:] = 4 * tiny  # normal, and subnormal within a few steps of ×0.9
    seen_subnormal = False
    while opt.iterations % kernels.FLUSH_EVERY != kernels.FLUSH_EVERY - 1:
        opt.step([p], [g.copy()])
        seen_subnormal = seen_subnormal or bool((m < tiny).all() and (m > 0).all())
    assert seen_subnormal
    opt.step([p], [g.copy()])  # the FLUSH_EVERY-th
    assert opt.iterations % kernels.FLUSH_EVERY == 0
    np.testing.assert_array_equal(m, np.zeros_like(m))
