"""The classic mistakes the sequence-models deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {
    "rnn_param_count": {"one_bias", "no_recurrent", "gru_four_gates"},
    "bptt_scalar": {"last_step_only", "no_carry"},
    "lstm_cell_gradient": {"forget_as_input", "no_forget_factor", "df_is_f"},
    "tbptt_reach": {"sliding_window", "full_bptt"},
    "embedding_grad_rows": {"overwrite_repeats", "padding_gets_grad", "mean_repeats"},
}
