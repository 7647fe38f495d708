"""Module, Linear, MLP, SGD and train."""

import numpy as np

from app.engine import MLP, SGD, Linear, Tensor, mse_loss, train


def test_parameters_and_zero_grad() -> None:
    model = MLP([3, 5, 2])
    params = model.parameters()
    assert [p.shape for p in params] == [(5, 3), (5,), (2, 5), (2,)]  # (out, in), as PyTorch
    mse_loss(model(np.ones((4, 3))), np.zeros((4, 2))).backward()
    assert all(p.grad is not None for p in params)
    model.zero_grad()
    assert all(p.grad is None for p in params)


def test_init_is_seeded_and_scaled() -> None:
    a, b = Linear(400, 300, seed=1), Linear(400, 300, seed=1)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert abs(a.weight.data.std() - np.sqrt(2 / 400)) < 0.002
    xavier = Linear(400, 300, init="xavier", seed=1)
    assert abs(xavier.weight.data.std() - np.sqrt(2 / 700)) < 0.002


def test_float32_model_stays_float32() -> None:
    model = MLP([3, 4, 1], dtype=np.float32)
    loss = mse_loss(model(np.ones((2, 3), dtype=np.float32)), np.zeros((2, 1)))
    loss.backward()
    SGD(model.parameters(), lr=0.1).step()
    assert loss.dtype == np.float32
    assert all(
        p.data.dtype == np.float32 and p.grad is not None and p.grad.dtype == np.float32
        for p in model.parameters()
    )


def test_sgd_updates_in_place_with_and_without_momentum() -> None:
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    data = p.data
    p.grad = np.array([1.0, 1.0])
    SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.data, [0.5, 1.5])
    assert p.data is data
    opt = SGD([p], lr=1.0, momentum=0.9)
    opt.step()
    opt.step()
    np.testing.assert_allclose(p.data, [0.5 - 1 - 1.9, 1.5 - 1 - 1.9])


def test_train_records_a_falling_loss_curve() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    y = np.sin(x[:, :1]) + x[:, 1:] ** 2
    curve = train(MLP([2, 16, 1], activation="tanh"), (x, y), steps=200, lr=0.05)
    assert len(curve) == 200 and curve[-1] < 0.5 * curve[0]


def test_residual_mlp_and_classification() -> None:
    x = np.random.default_rng(0).standard_normal((30, 4))
    labels = (x[:, 0] > 0).astype(int)
    curve = train(MLP([4, 4, 4, 2], residual=True), (x, labels), steps=50, loss="cross_entropy")
    assert curve[-1] < curve[0]


def test_train_and_eval_set_the_mode_on_every_child() -> None:
    model = MLP([2, 3, 1])
    assert model.training and all(layer.training for layer in model.layers)
    assert model.eval() is model
    assert not model.training and not any(layer.training for layer in model.layers)
    model.train()
    assert model.training and all(layer.training for layer in model.layers)


def test_requires_grad_false_freezes_every_parameter_and_true_restores_them() -> None:
    model = MLP([2, 3, 1])
    count = len(model.parameters())
    model.requires_grad_(False)
    assert model.parameters() == []
    out = model(np.ones((4, 2)))
    assert not out.requires_grad
    model.requires_grad_(True)
    assert len(model.parameters()) == count
