"""Measure attribution extraction on the labelled sentences in ../shared/eval/attribution/dev.jsonl.

The data is research-only and is read at run time; nothing of it is stored in the repo.
Each item becomes one document, ``context_before + text`` (the context lets aliases
resolve); only credits inside ``text`` count. Prints:
  * sentence level: precision / recall / F1 of "this sentence credits an outlet";
  * outlet level: precision / recall / F1 of (sentence, outlet) pairs, an outlet
    matching a gold canonical name when the names agree (ignoring case, a leading
    "The" and parenthesised parts) or the gold name is one of its aliases.
Unresolved aliases (outlet_id null) count as no credit.

Usage: python scripts/eval_attribution.py [PATH] [--errors]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.attribution import extract_attributions  # noqa: E402
from pipeline.gazetteer import Gazetteer  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "eval" / "attribution" / "dev.jsonl"


def _norm(name: str) -> set[str]:
    forms = {name}
    inner = re.findall(r"\(([^)]*)\)", name)
    forms.update(inner)
    forms.add(re.sub(r"\s*\([^)]*\)", "", name))
    out = set()
    for f in forms:
        f = re.sub(r"^the\s+", "", f.strip().lower())
        if f:
            out.add(f)
    return out


def _prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P={p:.3f} R={r:.3f} F1={f:.3f} (tp={tp} fp={fp} fn={fn})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--errors", action="store_true", help="print the items that were wrong")
    args = ap.parse_args(argv)
    if not args.path.is_file():
        print(f"eval_attribution: {args.path} not found", file=sys.stderr)
        return 2
    items = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    gazetteer = Gazetteer.load()

    texts = [(it.get("context_before") or "") + it["text"] for it in items]
    ids = [f"d{i:04d}" for i in range(len(items))]
    documents = pa.table({"doc_id": ids, "batch": ["dev"] * len(ids), "text": texts})
    passages = pa.table({
        "passage_id": [f"{d}:0000" for d in ids],
        "doc_id": ids,
        "char_start": [0] * len(ids),
        "char_end": [len(t) for t in texts],
    })
    rows = extract_attributions(documents, passages, gazetteer).to_pylist()
    predicted: dict[str, list[dict]] = {d: [] for d in ids}
    for r in rows:
        predicted[r["doc_id"]].append(r)

    loose = [0, 0]  # sentences with any row (unresolved aliases included): positives, negatives
    results = {"all": [0, 0, 0, 0, 0, 0], "certain": [0, 0, 0, 0, 0, 0]}
    errors = []
    for doc_id, it in zip(ids, items):
        offset = len(it.get("context_before") or "")
        inside = [r for r in predicted[doc_id] if r["char_start"] >= offset]
        got = [r for r in inside if r["outlet_id"]]
        loose[0 if it["label"] == "attribution" else 1] += bool(inside)
        gold_pos = it["label"] == "attribution"
        pred_pos = bool(got)
        gold = [_norm(o["canonical"]) for o in it["outlets"]]
        pred_names = {}
        for r in got:
            o = gazetteer.outlet(r["outlet_id"])
            forms = set().union(*(_norm(n) for n in (o.name, *o.aliases)))
            pred_names[r["outlet_id"]] = forms
        matched_gold = sum(1 for g in gold if any(g & f for f in pred_names.values()))
        matched_pred = sum(1 for f in pred_names.values() if any(g & f for g in gold))
        counts = [
            int(gold_pos and pred_pos), int(pred_pos and not gold_pos), int(gold_pos and not pred_pos),
            matched_pred, len(pred_names) - matched_pred, len(gold) - matched_gold,
        ]
        for key in ("all",) + (() if it.get("uncertain") else ("certain",)):
            results[key] = [a + b for a, b in zip(results[key], counts)]
        if counts[1] or counts[2] or counts[4] or counts[5]:
            errors.append((it, got))

    for key, (stp, sfp, sfn, otp, ofp, ofn) in results.items():
        print(f"[{key}] sentence credits an outlet: {_prf(stp, sfp, sfn)}")
        print(f"[{key}] outlet (canonical match):   {_prf(otp, ofp, ofn)}")
    n_pos = sum(1 for it in items if it["label"] == "attribution")
    print(f"[all] counting unresolved aliases too: {loose[0]}/{n_pos} attributions flagged, "
          f"{loose[1]}/{len(items) - n_pos} negatives flagged")
    if args.errors:
        for it, got in errors:
            print("-" * 80)
            print(it["label"], [o["canonical"] for o in it["outlets"]], "| uncertain" if it.get("uncertain") else "")
            print("  text:", it["text"][:300])
            print("  got:", [(r["surface"], r["outlet_id"], r["cue"]) for r in got])
    return 0


if __name__ == "__main__":
    sys.exit(main())
