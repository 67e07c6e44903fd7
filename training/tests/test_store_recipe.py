"""The recipe's data rules (training/store/recipe.py ``derive``) for the attribute term and the future targets."""
import numpy as np

from training.store.recipe import derive


def test_the_rule_turns_the_term_on_where_values_exist():
    steps = np.full(100, 8)
    assert derive(steps, 50_000, 900, 1000, attribute_values=12).attributes == 1
    off = derive(steps, 50_000, 900, 1000)
    assert off.attributes == 0 and off.why["attributes"].endswith("-> off")


def test_the_rule_adds_future_targets_on_sparse_logs():
    steps = np.full(100, 8)
    assert derive(steps, 10_000, 900, 1000).future_targets == 1  # 11 targets an item (Beauty: 10.9)
    assert derive(steps, 250_000, 900, 1000).future_targets == 0  # 278 (ML-1M: 286)
