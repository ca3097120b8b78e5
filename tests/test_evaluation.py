"""The scorer on a small labelled folder of written articles, through the real pipeline and CLI."""

from __future__ import annotations

import json

from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD

from pipeline.orchestration.cli import main
from pipeline.orchestration.evaluation import GoldPair, PredictedLink, RelationScore, _span_iou


def write_labelled_folder(root):
    docs = root / "docs"
    docs.mkdir(parents=True)
    files = {"h1": ("2025-03-02", HARBOUR), "h2": ("2025-03-04", HARBOUR_REPRINT), "o1": ("2025-03-03", ORCHARD)}
    with (root / "documents.jsonl").open("w") as handle:
        for doc_id, (date, text) in files.items():
            (docs / f"{doc_id}.txt").write_text(text)
            handle.write(json.dumps({"doc_id": doc_id, "file": f"docs/{doc_id}.txt", "date": date}) + "\n")
    start = HARBOUR_REPRINT.index("The city council")
    end = HARBOUR_REPRINT.index("Sign up") - 1
    src_start = HARBOUR.index("The city council")
    pairs = [
        {
            "doc_a": "h1",
            "doc_b": "h2",
            "relation": "reprint",
            "spans": [{"a": [src_start, len(HARBOUR) - 1], "b": [start, end]}],
        },
        {"doc_a": "h1", "doc_b": "o1", "relation": "same_topic_negative", "spans": None},
    ]
    (root / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    origins = {
        "cluster_id": "c1",
        "origin_doc_id": "h1",
        "members": ["h1", "h2"],
        "same_day_copies": [],
        "edges": [["h1", "h2", "reprint"]],
    }
    (root / "origins.jsonl").write_text(json.dumps(origins) + "\n")


def test_eval_pairs_runs_dated_batches_and_scores_them(tmp_path, capsys):
    write_labelled_folder(tmp_path / "labelled")
    report = tmp_path / "eval.json"
    code = main(
        ["eval", "pairs", str(tmp_path / "labelled"), "--work", str(tmp_path / "work"), "--report", str(report)]
    )
    out = capsys.readouterr().out
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("pairs reprint_f1=1.000 reprint_recall=1.000 negative_false_link_rate=0.000 span_iou=")
    assert last.endswith("origin_acc=1.000 cluster_ari=1.000")
    assert float(last.split("span_iou=")[1].split()[0]) > 0.95
    data = json.loads(report.read_text())
    assert data["batches"] == 3 and data["false_links"] == 0
    assert (tmp_path / "work" / "output" / "provenance" / "2025-03-04").is_dir()


def test_span_iou_counts_characters_of_both_documents_in_either_orientation():
    gold = GoldPair("a", "b", "reprint", ((0, 10, 100, 110),))
    exact = PredictedLink("b", "a", "reprint", "date", ((100, 110, 0, 10),))
    assert _span_iou(gold, exact) == 1.0
    half = PredictedLink("a", "b", "reprint", "date", ((0, 5, 100, 105),))
    assert _span_iou(gold, half) == 0.5


def test_relation_score_arithmetic():
    score = RelationScore("spun", gold=10, found=8, false_links=2)
    assert (score.recall, score.precision) == (0.8, 0.8)
    assert abs(score.f1 - 0.8) < 1e-9
    assert RelationScore("x").f1 == 0.0


def test_adjusted_rand_index():
    from pipeline.orchestration.evaluation import adjusted_rand_index

    truth = {"a": "1", "b": "1", "c": "2", "d": "3"}
    assert adjusted_rand_index(truth, {"a": "x", "b": "x", "c": "y", "d": "z"}) == 1.0
    assert adjusted_rand_index(truth, {"a": "x", "b": "y", "c": "x", "d": "z"}) < 0.0
    assert 0.0 < adjusted_rand_index(truth, {"a": "x", "b": "x", "c": "x", "d": "z"}) < 1.0


def test_a_link_between_two_copies_of_one_source_is_counted_apart_not_as_false():
    from pathlib import Path

    from pipeline.orchestration.evaluation import GoldDocument, GoldSet, RunTiming, score

    gold = GoldSet(
        Path("."),
        tuple(GoldDocument(d, f"{d}.txt", "2025-01-01") for d in ("src", "x", "y", "z", "w")),
        (GoldPair("src", "x", "cut", None), GoldPair("src", "y", "heavy", None), GoldPair("src", "w", "non", None)),
        (),
    )
    links = [
        PredictedLink("x", "src", "excerpt", "date", ()),
        PredictedLink("y", "x", "paraphrase", "date", ()),
        PredictedLink("z", "x", "light_edit", "date", ()),
        PredictedLink("w", "y", "paraphrase", "date", ()),
    ]
    report = score(gold, links, {}, RunTiming(0.0, {}), 1)
    assert (report.indirect_links, report.false_links) == (1, 2)  # y-x shares x's source; z-x and w-y do not
    assert report.confusion["indirect"] == {"paraphrase": 1}
    assert {(e["doc"], e["source"]) for e in report.errors if e["error"] == "false_link"} == {("z", "x"), ("w", "y")}
    cut, heavy = report.relations
    assert (cut.found, cut.false_links, heavy.found, heavy.false_links) == (1, 2, 0, 2)


def test_recall_by_reused_length_counts_the_copying_documents_characters():
    from pathlib import Path

    from pipeline.orchestration.evaluation import GoldDocument, GoldSet, RunTiming, format_report, score

    gold = GoldSet(
        Path("."),
        tuple(GoldDocument(d, f"{d}.txt", "2025-01-01") for d in ("s", "a", "b", "c")),
        (
            # 300 characters in doc_b, though 2,000 in the source: a short excerpt.
            GoldPair("s", "a", "excerpt", ((0, 2000, 0, 200), (3000, 3100, 500, 600))),
            GoldPair("s", "b", "excerpt", ((0, 700, 0, 700),)),
            GoldPair("s", "c", "summary", ((0, 5000, 100, 1200),)),
        ),
        (),
    )
    links = [PredictedLink("b", "s", "excerpt", "date", ()), PredictedLink("c", "s", "paraphrase", "date", ())]
    report = score(gold, links, {}, RunTiming(0.0, {}), 1)
    assert [(b.bucket, b.found, b.gold) for b in report.by_length] == [
        ("<500", 0, 1),
        ("500-1000", 1, 1),
        (">1000", 1, 1),
    ]
    assert report.by_length[0].by_relation == {"excerpt": [0, 1]}
    text = format_report(report)
    assert "length <500=0.000(0/1) 500-1000=1.000(1/1) >1000=1.000(1/1)" in text
    assert text.splitlines()[-1].startswith("pairs ")
    assert [e["reused_chars"] for e in report.errors if e["error"] == "missed"] == [300]
