"""Baselines and the rank rule they share with the model: co-occurrence counts, the popularity backoff, and a
repeated item (target already in the history) keeping its score under history exclusion."""
import numpy as np
import torch

from training.evaluate import rank_targets
from training.store.baselines import CoOccurrence, evaluate_baselines
from training.store.sequences import Ragged


def rows(*seqs):
    flat = np.concatenate([np.asarray(s, np.int32) for s in seqs])
    ends = np.cumsum([len(s) for s in seqs])
    return Ragged(flat, ends - [len(s) for s in seqs], ends)


def test_repeated_target_is_ranked_not_dropped():
    s = torch.tensor([[0.1, 0.9, 0.5, 0.3]])
    assert rank_targets(s, torch.tensor([2]), [[2, 3]]).item() == 0  # item 2 seen before, still the best score
    assert rank_targets(s, torch.tensor([4]), [[2, 3]]).item() == 0  # items 2, 3 removed: item 4 is first
    assert rank_targets(s, torch.tensor([4]), None).item() == 2


def test_cooccurrence_counts_within_the_window_both_ways():
    co = CoOccurrence(rows([1, 2, 3, 4, 5], [2, 1]), num_items=6)
    out = np.zeros(6, np.float32)
    co.add_row(out, 1, 1.0)
    # item 1 with 2 (distance 1, twice: both rows), 3 (distance 2), 4 (distance 3); 5 is 4 steps away
    assert out.tolist() == [0, 2, 1, 1, 0, 0]


def test_baselines_rank_the_obvious_next_item():
    train = rows([1, 2], [1, 2], [1, 2], [3, 4], [5, 6], [5, 6])
    pop = np.bincount(train.concat(), minlength=7)[1:]
    res = evaluate_baselines(train, pop, [np.array([1]), np.array([3])], np.array([2, 4]), np.array([4, 1], np.int8))
    assert res["cooccur"]["exclude_history"]["HR@10"] == 1.0 and res["cooccur"]["exclude_history"]["NDCG@10"] == 1.0
    assert res["popular"]["users"] == 2 and res["cooccur"]["pairs"] == 6
    assert set(res["cooccur"]["by_target_type"]) == {"view", "purchase"}
    # item 4 co-occurs with 3 only once, item 2 is the most popular: co-occurrence beats popularity for user 2
    assert res["popular"]["exclude_history"]["NDCG@10"] < 1.0
