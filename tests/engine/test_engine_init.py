"""torch.nn.init's initialisers: gains, fans, the spread of the draws, orthogonality, seeds."""

import math

import numpy as np
import pytest

from app.engine import Tensor, init
from app.engine.init import _calculate_fan_in_and_fan_out


def weight(*shape: int, dtype: type = np.float64) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize(
    ("nonlinearity", "param", "gain"),
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose1d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, 1.4142135623730951),
        ("leaky_relu", None, math.sqrt(2 / 1.0001)),  # default negative slope 0.01
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", 1, 1.0),  # slope 1 is the identity
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain_table(nonlinearity: str, param: float | None, gain: float) -> None:
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_refuses_unknown_names_and_bad_slopes() -> None:
    with pytest.raises(ValueError, match="swish"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="param"):
        init.calculate_gain("leaky_relu", True)


def test_fans_of_linear_and_conv_weights() -> None:
    assert _calculate_fan_in_and_fan_out(weight(30, 20)) == (20, 30)  # (out, in)
    # conv2d weight (C_out, C_in, kH, kW): receptive field 5·5 = 25.
    assert _calculate_fan_in_and_fan_out(weight(16, 3, 5, 5)) == (75, 400)
    assert _calculate_fan_in_and_fan_out(weight(8, 4, 3)) == (12, 24)  # conv1d
    with pytest.raises(ValueError, match="2 dimensions"):
        _calculate_fan_in_and_fan_out(weight(7))


def test_constant_fills_in_place_and_record_no_graph() -> None:
    t = weight(2, 3)
    data = t.data
    assert init.constant_(t, 0.5) is t
    assert t.data is data and t.is_leaf and t.requires_grad and t.grad is None
    np.testing.assert_array_equal(t.data, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(init.ones_(t).data, np.ones((2, 3)))
    np.testing.assert_array_equal(init.zeros_(t).data, np.zeros((2, 3)))
    array = np.ones(4)
    assert init.zeros_(array) is array and not array.any()  # plain ndarrays work too


def test_uniform_and_normal_ranges_and_moments() -> None:
    u = init.uniform_(weight(200, 500), -2.0, 3.0, generator=0).data
    assert u.min() >= -2.0 and u.max() < 3.0 and u.min() < -1.99 and u.max() > 2.99
    n = init.normal_(weight(200, 500), mean=1.0, std=0.5, generator=0).data
    assert abs(n.mean() - 1.0) < 0.005 and abs(n.std() - 0.5) < 0.005
    with pytest.raises(ValueError, match="std"):
        init.normal_(weight(2, 2), std=-1.0)
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(weight(2, 2), 1.0, 0.0)


def test_xavier_spread_matches_glorot() -> None:
    # fan_in + fan_out = 600 + 400 = 1000: std √(2/1000) ≈ 0.0447, uniform bound √(6/1000).
    w = init.xavier_uniform_(weight(400, 600), generator=1).data
    assert abs(w.std() / math.sqrt(2 / 1000) - 1) < 0.01
    assert np.abs(w).max() <= math.sqrt(6 / 1000) and np.abs(w).max() > 0.99 * math.sqrt(6 / 1000)
    # gain 2 on fans 500 + 300 = 800: std 2·√(2/800) = 0.1.
    n = init.xavier_normal_(weight(300, 500), gain=2.0, generator=1).data
    assert abs(n.std() / 0.1 - 1) < 0.01 and abs(n.mean()) < 0.001


def test_kaiming_spread_matches_he() -> None:
    # Default leaky_relu with a = 0 is relu's gain √2: std √(2/fan_in) = √(2/512) = 0.0625.
    w = init.kaiming_normal_(weight(256, 512), generator=2).data
    assert abs(w.std() / 0.0625 - 1) < 0.01
    out = init.kaiming_normal_(weight(256, 512), mode="fan_out", generator=2).data
    assert abs(out.std() / math.sqrt(2 / 256) - 1) < 0.01
    # A conv weight: fan_in = 32·3·3 = 288, bound √(6/288), std √(2/288) = 1/12.
    conv = init.kaiming_uniform_(weight(64, 32, 3, 3), nonlinearity="relu", generator=2).data
    assert abs(conv.std() * 12 - 1) < 0.01
    assert (
        np.abs(conv).max() <= math.sqrt(6 / 288) and np.abs(conv).max() > 0.99 * (1 / 12) * 3**0.5
    )
    # tanh's gain 5/3 and leaky_relu's slope enter the std.
    tanh = init.kaiming_normal_(weight(256, 512), nonlinearity="tanh", generator=2).data
    assert abs(tanh.std() / ((5 / 3) / math.sqrt(512)) - 1) < 0.01
    leaky = init.kaiming_uniform_(weight(256, 512), a=1.0, generator=2).data
    assert abs(leaky.std() / (1 / math.sqrt(512)) - 1) < 0.01
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(weight(3, 3), mode="fan_avg")


def test_kaiming_on_an_empty_tensor_warns_and_does_nothing() -> None:
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_normal_(weight(0, 3)).data.shape == (0, 3)


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 6), (4, 2, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape: tuple[int, ...]) -> None:
    w = init.orthogonal_(weight(*shape), gain=2.0, generator=3).data
    flat = w.reshape(shape[0], -1)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.orthogonal_(weight(4))


def test_orthogonal_signs_are_fixed_so_q_is_haar_distributed() -> None:
    # LAPACK's QR returns R with a sign convention that, uncorrected, makes Q[0, 0] always
    # negative; multiplying by sign(diag R) makes each sign equally likely.
    firsts = [init.orthogonal_(weight(3, 3), generator=s).data[0, 0] for s in range(200)]
    assert 0.35 < np.mean(np.array(firsts) > 0) < 0.65


def test_seeds_reproduce_and_generators_advance() -> None:
    a = init.kaiming_uniform_(weight(4, 5), generator=7).data
    b = init.kaiming_uniform_(weight(4, 5), generator=7).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init.kaiming_uniform_(weight(4, 5), generator=8).data)
    rng = np.random.default_rng(7)
    first = init.normal_(weight(4, 5), generator=rng).data
    second = init.normal_(weight(4, 5), generator=rng).data
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, init.normal_(weight(4, 5), generator=7).data)
    # float32 stays float32 and holds the float64 draw, rounded.
    single = init.xavier_normal_(weight(4, 5, dtype=np.float32), generator=9).data
    double = init.xavier_normal_(weight(4, 5), generator=9).data
    assert single.dtype == np.float32
    np.testing.assert_array_equal(single, double.astype(np.float32))
    with pytest.raises(ValueError, match="generator"):
        init.normal_(weight(2, 2), generator="seed")  # type: ignore[arg-type]
