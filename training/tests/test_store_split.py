"""Store sequences and splits: ordering, merging into steps, leave-one-out and temporal splits, history cap, the
derived recipe, the budget schedule and the training windows."""
from pathlib import Path

import numpy as np
import pytest

from training.store import recipe as rec
from training.store.events import EventLog
from training.store.fit import collate, make_windows
from training.store.schedule import BudgetSchedule
from training.store.sequences import Ragged, build_sequences
from training.store.split import make_split, eval_rows
from training.train import make_examples


def log(users, items, types, times=None):
    return EventLog(np.array(users, np.int32), np.array(items, np.int32),
                    None if times is None else np.array(times, np.int64), np.array(types, np.int8),
                    max(users) + 1, len(users), {}, 0)


def test_order_by_time_then_file_order_and_merge_runs():
    # user 0: times out of file order; (item 5: view, click, cart) consecutive -> one add_to_cart step
    s = build_sequences(log([0, 1, 0, 0, 0, 0, 1], [5, 9, 5, 5, 7, 5, 9], [1, 1, 3, 2, 1, 4, 2],
                            [10, 5, 30, 20, 40, 50, 5]))
    assert s.offsets.tolist() == [0, 3, 4]
    assert s.items.tolist() == [5, 7, 5, 9]  # user 0: 5 (t10, 20, 30 merged), 7, 5 again (a re-purchase)
    assert s.types.tolist() == [3, 1, 4, 2]  # strongest type of each run; user 1's tie keeps file order (1 then 2)
    assert s.times.tolist() == [10, 40, 50, 5] and s.merged == 3 and s.events == 7


def test_loo_split_and_history_cap():
    s = build_sequences(log([0] * 6 + [1] * 2 + [2], [1, 2, 3, 4, 5, 6, 7, 8, 9], [1] * 9))
    sp = make_split(s, "loo", history_cap=3)
    train = Ragged(s.items, sp.train_starts, sp.train_ends)
    assert [r.tolist() for r in train] == [[2, 3, 4], [7, 8], [9]]  # user 0 capped to its last 3 training steps
    assert sp.info["steps_beyond_history_cap"] == 1
    assert sp.valid_users.tolist() == sp.test_users.tolist() == [0]  # 2- and 1-step users are not evaluated
    h, _, y, _ = eval_rows(s, sp.test_users, sp.test_ends)
    assert h[0].tolist() == [1, 2, 3, 4, 5] and y.tolist() == [6]
    h, _, y, _ = eval_rows(s, sp.valid_users, sp.valid_ends)
    assert h[0].tolist() == [1, 2, 3, 4] and y.tolist() == [5]
    refit = Ragged(s.items, sp.train_starts, sp.refit_ends)  # the validation target joins user 0's row only
    assert [r.tolist() for r in refit] == [[2, 3, 4, 5], [7, 8], [9]]


def test_time_split_uses_one_global_cut():
    # 10 steps at t = 0..9 over two users: p80 = 7, p90 = 8
    users = [0, 1, 0, 1, 0, 1, 0, 1, 0, 0]
    s = build_sequences(log(users, list(range(1, 11)), [1] * 10, list(range(10))))
    sp = make_split(s, "time")
    assert (sp.info["valid_from_ms"], sp.info["test_from_ms"]) == (7, 8)
    train = Ragged(s.items, sp.train_starts, sp.train_ends)
    assert [r.tolist() for r in train] == [[1, 3, 5, 7], [2, 4, 6]]
    assert sp.valid_users.tolist() == [1]  # user 1's first step in [7, 8) is item 8
    assert [r.tolist() for r in Ragged(s.items, sp.train_starts, sp.refit_ends)] == [[1, 3, 5, 7], [2, 4, 6, 8]]
    h, _, y, _ = eval_rows(s, sp.test_users, sp.test_ends)
    assert sp.test_users.tolist() == [0] and h[0].tolist() == [1, 3, 5, 7] and y.tolist() == [9]
    with pytest.raises(ValueError):
        make_split(build_sequences(log([0, 0, 0], [1, 2, 3], [1, 1, 1])), "time")


def test_ragged_behaves_like_a_list_of_rows():
    r = Ragged(np.arange(10), np.array([0, 5, 7]), np.array([3, 7, 10]))
    assert len(r) == 3 and r[1].tolist() == [5, 6] and [x.tolist() for x in r[1:]] == [[5, 6], [7, 8, 9]]
    assert r.concat().tolist() == [0, 1, 2, 5, 6, 7, 8, 9] and r.lengths().tolist() == [3, 2, 3]


def test_windows_match_train_make_examples():
    rng = np.random.default_rng(0)
    rows = [rng.integers(1, 50, size=n) for n in (1, 2, 5, 11, 12, 23, 40)]
    flat = np.concatenate(rows)
    ends = np.cumsum([len(x) for x in rows])
    r = Ragged(flat, ends - [len(x) for x in rows], ends)
    s, e = make_windows(r, 5)
    got = sorted(tuple(flat[a:b]) for a, b in zip(s, e))
    want = sorted(tuple(x) for x in make_examples([x.tolist() for x in rows], 5))
    assert got == want
    s1, e1 = make_windows(r, 5, recent=1)  # the experiment key recent_windows: each row's newest window only
    assert sorted(zip(s1.tolist(), e1.tolist())) == sorted((max(a, b - 6), b) for a, b in zip(r.starts, r.ends) if b - a >= 2)
    inp, tgt, ty, wt = collate(flat, np.full(len(flat), 4, np.int8), s[:2], e[:2], np.array([0, 1, 1, 2, 3], np.float32))
    assert (inp[:, -1] > 0).all() and (ty[inp > 0] == 4).all() and (wt[tgt > 0] == 3).all() and (wt[tgt == 0] == 0).all()


def test_recipe_rules_reproduce_the_benchmark_settings():
    beauty = rec.derive(np.full(22363, 8), 131_413, 12_068, 12_101, train_lengths=np.full(22363, 6))  # short histories, ~11 targets per item
    ml1m = rec.derive(np.full(6040, 250), 975_963, 3_416, 3_416, train_lengths=np.full(6040, 162))  # long ones, ~286 per item
    assert (beauty.max_len, beauty.dim, beauty.dropout, beauty.batch_size) == (50, 64, 0.5, 128)
    assert (ml1m.max_len, ml1m.dim, ml1m.dropout, ml1m.batch_size) == (200, 64, 0.15, 64)
    assert (beauty.blocks, ml1m.blocks) == (2, 4) and "4 from 300,000" in ml1m.why["blocks"]
    tiny = rec.derive(np.full(30, 70), 900, 50)
    assert (tiny.max_len, tiny.dim, tiny.dropout) == (100, 32, 0.5)
    assert rec.choose_dropout(63) == 0.35 and rec.choose_dropout(200) == 0.2 and rec.choose_dropout(5000) == 0.1 and ml1m.history_cap == 4000
    assert rec.derive(np.full(500_000, 9), 8_000_000, 98_000, 100_000).batch_size == 32  # 100k-item softmax
    # seen items leave the negatives where a history covers a sizeable share of the catalog and repeats are rare
    assert ml1m.mask_history and not beauty.mask_history
    assert rec.seen_share(np.full(6040, 162), 200, 3_416) == pytest.approx(81 / 3_416)
    assert rec.seen_share(np.array([301]), 200, 100) == pytest.approx((200 * 201 / 2 + 100 * 200) / 300 / 100)
    assert not rec.derive(np.full(6040, 250), 975_963, 3_416, 3_416, repeats=0.3, train_lengths=np.full(6040, 162)).mask_history


def test_repeat_share_counts_later_occurrences_within_each_user():
    items = np.array([1, 2, 1, 3, 9, 9, 4, 5, 6, 7], np.int32)
    # user 0: 1 2 1 3 (one repeat); user 1: 9 9 4 (one repeat); user 2: 5 6 (none); 7 is outside every row
    starts, ends = np.array([0, 4, 7]), np.array([4, 7, 9])
    assert rec.repeat_share(items, starts, ends) == pytest.approx(2 / (3 + 2 + 1))
    assert rec.repeat_share(items, np.array([0, 3]), np.array([1, 3])) == 0.0  # no targets
    # the same item in two users is not a repeat
    assert rec.repeat_share(np.array([4, 5, 4, 5]), np.array([0, 2]), np.array([2, 4])) == 0.0


def test_budget_schedule():
    s = BudgetSchedule(100.0)
    assert s.rate(69.0, 0) == 1.0 and not s.decaying
    assert s.rate(85.0, 0) == pytest.approx(0.51, abs=0.01) and s.decaying
    assert s.rate(100.0, 0) == pytest.approx(0.02) and s.done
    early = BudgetSchedule(100.0, patience=2)
    early.evaluated(True, 10, 0)
    early.evaluated(False, 20, 0)
    assert not early.evaluated(False, 35, 0)  # two misses, no best clock given: decay from 35 s over 15 s
    assert early.decaying and early.rate(42.5, 0) == pytest.approx(0.51, abs=0.01) and not early.done
    assert early.rate(50.0, 0) == pytest.approx(0.02) and early.done
    restart = BudgetSchedule(100.0, patience=2)  # an early peak: restart with a cosine over twice its time
    assert restart.evaluated(True, 12, 0) is None and restart.evaluated(False, 24, 0) is None
    assert restart.evaluated(False, 36, 0, best_at=12) == "restart" and restart.decay_len == 24
    for t in (40, 44, 48, 52):  # trailing the probe's best does not end the restarted run
        assert restart.evaluated(False, t, 0, best_at=12) is None and not restart.done
    assert restart.rate(48, 0) == pytest.approx(0.51, abs=0.01) and restart.rate(60, 0) == pytest.approx(0.02)
    assert restart.done
    back = BudgetSchedule(100.0, patience=1)  # a peak too late to restart: back to the best, decay over the rest
    back.evaluated(True, 30, 0)
    assert back.evaluated(False, 50, 0, best_at=30) == "rollback" and (back.decay_from, back.decay_len) == (50, 50)
    squeezed = BudgetSchedule(100.0, patience=1, restart_fit=1.5)  # 2x does not fit, 1.5x does: restart over the rest
    squeezed.evaluated(True, 25, 0)
    assert squeezed.evaluated(False, 65, 0, best_at=25) == "rollback"  # 35 s left < 1.5 x 25 s
    squeezed = BudgetSchedule(100.0, patience=1, restart_fit=1.5)
    squeezed.evaluated(True, 25, 0)
    assert squeezed.evaluated(False, 55, 0, best_at=25) == "restart"  # 45 s left >= 37.5 s
    assert (squeezed.decay_from, squeezed.decay_len) == (55, 45) and "what is left" in squeezed.reason
    roomy = BudgetSchedule(100.0, patience=1, restart_fit=1.5)  # where 2x fits, the cosine is 2x as before
    roomy.evaluated(True, 10, 0)
    assert roomy.evaluated(False, 20, 0, best_at=10) == "restart" and roomy.decay_len == 20
    long = BudgetSchedule(100.0, patience=1, restart_len=1e9)  # the restart's cosine over all that is left
    long.evaluated(True, 10, 0)
    assert long.evaluated(False, 20, 0, best_at=10) == "restart" and (long.decay_from, long.decay_len) == (20, 80)
    late = BudgetSchedule(100.0, patience=1)  # past 70 %: the planned decay, nothing to reset
    late.evaluated(True, 50, 0)
    assert late.rate(75, 0) < 1 and late.evaluated(False, 76, 0, best_at=50) is None and late.decay_from == 70
    steps = BudgetSchedule(None, total_steps=100)
    assert steps.rate(0, 69) == 1.0 and steps.rate(0, 100) == pytest.approx(0.02) and steps.done


def test_converted_beauty_is_the_s3rec_split(tmp_path):
    """The Beauty preset through the store format = training/data.py's loader (same items, split and text)."""
    from training import data
    from training.store.convert import convert_beauty
    from training.store.dataset import PrepareOptions, prepare
    res = convert_beauty(str(tmp_path / "beauty"))
    prepare(PrepareOptions(events=res["events"], catalog=res["catalog"], out=str(tmp_path / "data"), name="beauty"))
    new, old = data.load("store:" + str(tmp_path / "data")), data.load("beauty")
    assert new.item_ids == old.item_ids and new.titles == [t.strip() for t in old.titles]
    assert len(new.train) == len(old.train) and all(np.array_equal(a, b) for a, b in zip(new.train, old.train))
    for a, b in ((new.valid, old.valid), (new.tests["test"], old.tests["test"])):
        assert np.array_equal(a.targets, b.targets)
        assert all(np.array_equal(x, y) for x, y in zip(a.histories, b.histories))
    assert new.extra["recipe"].max_len == 50 and new.extra["recipe"].dropout == 0.5


def test_drop_last_is_the_log_one_step_earlier(tmp_path):
    """--drop-last 1: its split's test step is the full log's validation step, for every user, and the same history."""
    from training.store.convert import _drop_last, convert_beauty
    from training.store.dataset import PrepareOptions, prepare
    from training import data
    assert _drop_last([["a", "b"], ["c"], []], 1) == [["a"]] and _drop_last([["a"]], 0) == [["a"]]
    res = convert_beauty(str(tmp_path / "m1"), drop_last=1)
    prepare(PrepareOptions(events=res["events"], catalog=res["catalog"], out=str(tmp_path / "data"), name="beauty"))
    early, full = data.load("store:" + str(tmp_path / "data")), data.load("beauty")
    assert res["users"] == len(full.tests["test"].targets)  # 5-core: every user keeps 4+ events
    assert np.array_equal(early.tests["test"].targets, full.valid.targets)
    assert all(np.array_equal(x, y) for x, y in zip(early.tests["test"].histories, full.valid.histories))


def test_ml1m_steps_finds_the_exact_protocol_users(tmp_path):
    """training/tools/ml1m_steps.py: the users it calls exact on the converted log are data.py's 512 test_exact users
    (same histories and targets), and their validation step is the gSASRec validation step."""
    from training import data
    from training.store.convert import convert_ml1m
    from training.store.dataset import PrepareOptions, prepare
    from training.tools.ml1m_steps import exact_users
    res = convert_ml1m(str(tmp_path / "ml1m"))
    prepare(PrepareOptions(events=res["events"], catalog=res["catalog"], out=str(tmp_path / "data"), name="ml1m",
                           shippable=False))
    new, old = data.load("store:" + str(tmp_path / "data")), data.load("ml1m")
    masks = exact_users(new, str(Path(data.DATASETS) / "movielens-1m"))
    assert masks["test"].sum() == masks["valid"].sum() == 512
    got = sorted((tuple(map(int, h)), int(t)) for h, t, m in zip(new.tests["test"].histories, new.tests["test"].targets,
                                                                 masks["test"]) if m)
    want = sorted((tuple(h), int(t)) for h, t in zip(old.tests["test_exact"].histories, old.tests["test_exact"].targets))
    assert got == want
    got_v = sorted((tuple(map(int, h)), int(t)) for h, t, m in zip(new.valid.histories, new.valid.targets, masks["valid"]) if m)
    assert got_v == sorted((tuple(h), int(t)) for h, t in zip(old.valid.histories, old.valid.targets))


def test_recipe_overrides_cast_name_and_refuse_unknown_settings():
    """``--recipe-set`` (recipe.with_overrides): the command, the report and EVAL's table apply it the same way."""
    base = rec.derive(np.full(30, 70), 900, 50).to_dict()
    out = rec.with_overrides(base, ["blocks=4", "dropout=0.25", "mask_history=1"])
    assert (out["blocks"], out["dropout"], out["mask_history"]) == (4, 0.25, True) and type(out["blocks"]) is int
    assert out["why"]["blocks"] == "set by --recipe-set (experiment)" and base["blocks"] == 2  # the input is not changed
    assert rec.Recipe.from_dict(out).blocks == 4
    for bad in ("nope=1", "why=1", "type_weights=1"):
        with pytest.raises(ValueError, match="unknown recipe setting"):
            rec.with_overrides(base, [bad])
