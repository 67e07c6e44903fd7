"""EVAL.md's store sections from study.json files: the main study's table, the chosen arm, the replications."""
from training.store.eval_section import section


def _study(seed, types_valid, ignore_valid, diff):
    fig = lambda x: {"exclude_history": {"NDCG@10": x, "HR@10": 2 * x}}  # noqa: E731
    arm = lambda v: {"valid": v, "test_int8": fig(v + 0.01), "train": {"epochs": 3, "cpu_seconds": 60.0},  # noqa: E731
                     "baselines": {"popular": {"NDCG@10": 0.05, "HR@10": 0.1}, "cooccur": {"NDCG@10": 0.1, "HR@10": 0.2}}}
    cmp = {"diff": diff, "ci95": [diff - 0.001, diff + 0.001], "users": 100, "a": 0.2, "b": 0.2 - diff}
    return {"log": {"users": 10, "items": 5, "event_rows": 1234 + seed}, "seed": seed, "budget_min": 4.0,
            "arms": {"types": arm(types_valid), "ignore": arm(ignore_valid)},
            "chosen_on_validation": "types" if types_valid > ignore_valid else "ignore",
            "types_vs_ignore": {"all": cmp, "after purchase": dict(cmp, users=7)}}


def test_study_section_names_the_choice_and_every_replication():
    text = section(None, None, [_study(0, 0.16, 0.15, 0.002), _study(1, 0.14, 0.145, -0.001)], [])
    assert "Chosen on validation: **types**" in text
    assert "| types vs ignore | after purchase | 7 | 0.2000 vs 0.1980 | +0.0020 [+0.0010, +0.0030] |" in text
    assert "| 1 | 1,235 | 0.1400 / 0.1500 | 0.1450 / 0.1550 | -0.0010 [-0.0020, +0.0000] |" in text
    assert "seed 0:" in text and "| log seed |" in text


def test_one_study_has_no_replication_table():
    text = section(None, None, [_study(0, 0.16, 0.15, 0.002)], [])
    assert "other logs and initialisations" not in text and "| log seed |" not in text
