"""Engine rules the sequence-models deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {
    "rnn_cell.forward": "an RNN step is h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)",
    "lstm_cell.forward": (
        "an LSTM step reads its 4H gate rows as i, f, g, o: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')"
    ),
    "gru_cell.forward": (
        "a GRU step reads its 3H gate rows as r, z, n: n = tanh(W_in x + b_in + r ⊙ (W_hn h + "
        "b_hn)), h' = (1 − z) ⊙ n + z ⊙ h"
    ),
    "recurrent.parameters": (
        "a recurrent layer with G gate blocks has weight_ih (G·H, I), weight_hh (G·H, H) and two "
        "separate biases b_ih, b_hh of G·H each"
    ),
    "unroll.tbptt": (
        "with tbptt_steps=k the carried state is detached after every k steps: no gradient "
        "crosses a window boundary"
    ),
    "embedding.vjp": (
        "an embedding row's gradient is the sum of g over every position that looked it up, "
        "and zero for rows nobody looked up"
    ),
    "embedding.padding_idx": "the padding_idx row is returned as it is and gets no gradient",
}
