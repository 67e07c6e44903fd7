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


def test_generic_rows_say_the_mask_the_clock_and_the_refit():
    from training.store.eval_section import generic_rows
    fig = {"exclude_history": {"NDCG@10": 0.13, "HR@10": 0.25}, "all": {"NDCG@10": 0.06, "HR@10": 0.15}}
    m = {"prepared": {"recipe": {"max_len": 200, "dim": 64, "dropout": 0.15, "batch_size": 64, "mask_history": True}},
         "train": {"seconds": 125.0, "epochs": 4, "best_epoch": 4, "stop_reason": "the learning-rate decay ended",
                   "refit": {"epoch": 3}},
         "args": {"budget_clock": "cpu", "time_budget_min": 20.0},
         "pytorch": {"valid": {"exclude_history": {"NDCG@10": 0.18}}, "test": dict(fig, users=6040)},
         "onnx": {"valid": fig, "test": fig},
         "baselines": {"popular": fig, "cooccur": fig}}
    row = generic_rows([("ML", m)])[2]
    assert row.startswith("| ML | 200, 64, 0.15, 64, seen items masked | 2m05s wall (20 min of CPU budget: "
                          "`--budget-clock cpu`), 4 epochs (best 4), the learning-rate decay ended | 6,040 | **0.1300** |")
    assert "| 0.1800 (PyTorch, before the refit) |" in row
    m["prepared"]["recipe"]["mask_history"], m["args"]["budget_clock"] = False, "wall"
    assert "| 200, 64, 0.15, 64 | 2m05s wall, 4 epochs" in generic_rows([("ML", m)])[2]
    m["prepared"]["recipe"]["blocks"] = 4  # the depth rule (recipe.py): named only where it is not 2
    assert "| 200, 64, 0.15, 64, 4 blocks | 2m05s wall" in generic_rows([("ML", m)])[2]
    m["prepared"]["recipe"]["blocks"], m["args"]["recipe_set"] = 2, ["blocks=4", "dropout=0.2"]  # what the run trained
    assert "| 200, 64, 0.2, 64, 4 blocks | 2m05s wall" in generic_rows([("ML", m)])[2]
