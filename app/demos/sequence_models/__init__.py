"""The sequence-models deck's demos: each module registers one on import."""

from app.demos.sequence_models import (  # noqa: F401  (they register)
    bidirectional_rnn,
    bptt_by_hand,
    embedding_gradient,
    initial_state,
    lstm_cell_path,
    lstm_forget_bias,
    padding_mask,
    recurrent_params,
    rnn_clipping,
    rnn_gradient_norm,
    rnn_vs_attention,
    seq2seq_attention,
    teacher_forcing,
    truncated_bptt,
    weight_tying,
)
