"""Tests for schedules.py and scheduled optimisers: step by step against torch.optim (float64, 1e-6)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.training.schedules import CosineDecay, ExponentialDecay, InverseScaling, StepDecay, get_schedule

torch = pytest.importorskip("torch")


def _torch_rates(make_scheduler, base, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make_scheduler(opt)
    rates = []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (StepDecay(step_size=3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (ExponentialDecay(gamma=0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
        (
            CosineDecay(epochs=7, min_learning_rate=0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.01),
        ),
    ],
)
def test_schedules_match_torch(ours, theirs):
    expected = _torch_rates(theirs, 0.3, 12)
    np.testing.assert_allclose([ours.rate(0.3, t) for t in range(12)], expected, rtol=1e-12)


def test_invscaling_is_scikit_learns_sgd_rate():
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    # scikit-learn sets the rate at the end of each epoch from t_, the samples seen so far.
    sk = SGDOptimizer([np.zeros(2)], learning_rate_init=0.3, lr_schedule="invscaling", power_t=0.4)
    for t in [0, 50, 100, 150, 1000]:
        if t:
            sk.iteration_ends(t)
        assert InverseScaling(power_t=0.4).rate(0.3, t) == pytest.approx(sk.learning_rate, rel=1e-15)
    assert get_schedule({"name": "invscaling", "power_t": 0.25}) == InverseScaling(0.25)


def test_step_decay_by_hand():
    assert [StepDecay(2, 0.1).rate(1.0, t) for t in range(5)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])


def test_cosine_reaches_the_minimum_at_its_end():
    assert CosineDecay(epochs=4, min_learning_rate=0.1).rate(1.0, 4) == pytest.approx(0.1)
    assert CosineDecay(epochs=4).rate(1.0, 2) == pytest.approx(0.5)


def _run(ours, make_torch, make_sched=None, epochs=3, steps=4):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    tp = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    topt = make_torch(tp)
    tsched = make_sched(topt) if make_sched else None
    mine = [p.copy() for p in params]
    worst = 0.0
    for _ in range(epochs):
        ours.begin_epoch()
        for _ in range(steps):
            grads = [rng.standard_normal(p.shape) for p in params]
            for t, g in zip(tp, grads):
                t.grad = torch.tensor(g)
            topt.step()
            ours.step(mine, [g.copy() for g in grads])
            worst = max(worst, *(np.max(np.abs(m - t.detach().numpy())) for m, t in zip(mine, tp)))
        ours.end_epoch()
        if tsched:
            tsched.step()
    return worst


@pytest.mark.parametrize(
    "case", ["sgd-nesterov-wd", "sgd-momentum-wd", "adam-wd-cosine", "rmsprop-wd-step", "sgd-exponential"]
)
def test_scheduled_and_decayed_optimisers_follow_torch_step_by_step(case):
    O, L = torch.optim, torch.optim.lr_scheduler
    cases = {
        "sgd-nesterov-wd": (
            cr.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            None,
        ),
        "sgd-momentum-wd": (
            cr.SGD(0.1, momentum=0.8, weight_decay=0.05),
            lambda p: O.SGD(p, lr=0.1, momentum=0.8, weight_decay=0.05),
            None,
        ),
        "adam-wd-cosine": (
            cr.Adam(0.01, weight_decay=0.1, schedule=CosineDecay(2, 0.001)),
            lambda p: O.Adam(p, lr=0.01, weight_decay=0.1),
            lambda o: L.CosineAnnealingLR(o, 2, 0.001),
        ),
        "rmsprop-wd-step": (
            cr.RMSProp(0.01, weight_decay=0.02, schedule=StepDecay(1, 0.5)),
            lambda p: O.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.02),
            lambda o: L.StepLR(o, 1, 0.5),
        ),
        "sgd-exponential": (
            cr.SGD(0.05, schedule="exponential"),
            lambda p: O.SGD(p, lr=0.05),
            lambda o: L.ExponentialLR(o, 0.95),
        ),
    }
    assert _run(*cases[case]) < 1e-6


def test_get_schedule_forms():
    assert get_schedule(None) is None
    assert get_schedule("cosine") == CosineDecay()
    assert get_schedule({"name": "step", "step_size": 4, "gamma": 0.2}) == StepDecay(4, 0.2)
    with pytest.raises(
        ValueError, match="unknown schedule 'warmup'; valid names are: cosine, exponential, invscaling, step"
    ):
        get_schedule("warmup")
    with pytest.raises(ValueError, match="gamma must be a finite number > 0; got -1.0"):
        ExponentialDecay(-1.0)
    with pytest.raises(TypeError, match="step_size must be an integer >= 1; got float 2.5"):
        StepDecay(2.5)


def test_optimizer_state_round_trips():
    opt = cr.Adam(0.01, schedule="cosine")
    p = [np.ones(3)]
    opt.begin_epoch()
    opt.step(p, [np.array([0.1, -0.2, 0.3])])
    counters, arrays = opt.get_state()
    assert counters["iterations"] == 1 and set(arrays) == {"0.m", "0.v"}  # scratch is not state
    other = cr.optimizers.optimizer_from_config(opt.get_config())
    other.set_state(counters, arrays)
    q = [p[0].copy()]
    g = [np.array([0.3, 0.2, 0.1])]
    opt.step(p, [g[0].copy()])
    other.step(q, [g[0].copy()])
    np.testing.assert_array_equal(p[0], q[0])
