"""Engine rules the losses deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism name.

softplus.vjp, which BCE with logits rests on, is described (and broken) by the activations deck."""

RULES: dict[str, str] = {
    "logsumexp.vjp": "logsumexp's gradient: g·softmax(x) = g·exp(x − logsumexp(x))",
    "getitem.vjp": "indexing's gradient: g scattered back into the picked entries, 0 elsewhere",
    "abs.vjp": "abs′(x) = sign(x), 0 at exactly 0",
    "where.vjp": "where's gradient: g to the branch the condition chose, 0 to the other",
    "exp.vjp": "exp′(x) = exp(x)",
    "losses.bce_logits_stable": (
        "binary_cross_entropy_with_logits is (1 − y)·x + softplus(−x), never log σ(x)"
    ),
    "losses.label_smoothing": (
        "label_smoothing ε targets (1 − ε)·onehot + ε/C, the uniform part over all C classes"
    ),
    "losses.weighted_mean": (
        "cross_entropy's 'mean' with class weights divides by Σ w[y_i], not by N"
    ),
    "losses.ignore_index": (
        "rows whose target is ignore_index count for nothing, in the sum and in the mean's count"
    ),
    "losses.kl_batchmean": (
        "kl_div(log q, p) is Σ p (log p − log q); 'batchmean' divides by N, 'mean' by every element"
    ),
}
