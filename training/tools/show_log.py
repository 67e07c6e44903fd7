"""Print a compact view of a train_log.jsonl: epoch, loss, seconds, validation NDCG@10 (all / exclude_history)."""
import json
import sys

for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") != "epoch":
        continue
    v = r.get("valid")
    extra = ""
    if v:
        extra = f"  val N@10 all {v['all']['NDCG@10']:.4f} excl {v['exclude_history']['NDCG@10']:.4f}  HR@10 excl {v['exclude_history']['HR@10']:.4f}"
    print(f"ep {r['epoch']:3d} loss {r['loss']:.3f} t {r['elapsed_s']:7.1f}s{extra}")
