"""The sequence-models deck's demos: each module registers one on import."""

from app.demos.sequence_models import (  # noqa: F401  (they register)
    bptt_by_hand,
    lstm_cell_path,
    recurrent_params,
    rnn_gradient_norm,
    truncated_bptt,
)
