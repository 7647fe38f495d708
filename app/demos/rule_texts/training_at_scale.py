"""Engine rules the training-at-scale deck's demos rest on: "<op>.vjp", "<op>.jvp", a mechanism."""

RULES: dict[str, str] = {
    "to_dtype.vjp": (
        "to_dtype's gradient: g converted back to the input's dtype, its values unchanged"
    ),
    "dtypes.bfloat16_round": (
        "round_to_bfloat16 keeps 8 exponent and 7 mantissa bits, rounding to nearest with ties "
        "to even"
    ),
    "dtypes.scaled_backward": (
        "scaled_backward backpropagates loss·S, then divides each leaf's new gradient by S in "
        "float32 or wider"
    ),
    "gradcheck.central": (
        "gradcheck compares against central differences (f(x + h) − f(x − h))/2h in float64"
    ),
}
