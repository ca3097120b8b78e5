"""Scoring attribution on labelled JSONL: the counts, per-cue rows, the error records and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.orchestration.attribution_eval import (
    AttributionError,
    Score,
    evaluate_attribution,
    format_report,
    read_items,
    write_errors,
)
from pipeline.text.gazetteer import Gazetteer


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def item(text: str, outlets: list[tuple[str, str, str]] = (), context: str = "", **extra) -> dict:
    return {
        "id": extra.pop("id", text[:12]),
        "text": text,
        "context_before": context,
        "label": "attribution" if outlets else "no_attribution",
        "outlets": [{"canonical": c, "surface": s, "cue": cue, "alias": False} for c, s, cue in outlets],
        "cue_types": sorted({cue for *_, cue in outlets}),
        "uncertain": False,
        **extra,
    }


def write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture
def labelled(tmp_path) -> Path:
    return write(
        tmp_path / "small.jsonl",
        [
            item("Prices rose, the Financial Times reported.", [("Financial Times", "Financial Times", "reported")]),
            item("Tass said the test was carried out at dawn.", [("TASS", "Tass", "other")]),
            # the credit sits in the context, the alias in the text
            item(
                "An aide told the Times it was over.",
                [("The New York Times", "the Times", "told")],
                context="The New York Times reported the plan.\n\n",
            ),
            # a miss: a credit our cues do not know
            item("The figures came courtesy of Kyodo News.", [("Kyodo News", "Kyodo News", "other")]),
            # a false positive: the label says no credit
            item("Sales rose, Reuters reported.", id="fp"),
            item("News Corp shares rose 2 pct."),
            item("LONDON (Reuters) - Markets fell.", [("Reuters", "(Reuters)", "wire_dateline")]),
        ],
    )


def test_outlet_and_sentence_counts(labelled, gaz):
    report = evaluate_attribution(labelled, gaz)
    assert report.n_items == 7 and report.n_positive == 5
    assert report.outlet == Score(tp=4, fp=1, fn=1)
    assert report.sentence == Score(tp=4, fp=1, fn=1)
    assert report.outlet.precision == pytest.approx(0.8) and report.outlet.recall == pytest.approx(0.8)


def test_per_cue_rows_use_our_cue_names(labelled, gaz):
    by_cue = evaluate_attribution(labelled, gaz).by_cue
    # wire_dateline is our dateline; "Tass said" (our 'said') scores under the eval's 'other'
    assert by_cue["dateline"] == Score(tp=1)
    assert by_cue["other"] == Score(tp=1, fn=1)
    assert by_cue["reported"] == Score(tp=1, fp=1)
    assert by_cue["told"] == Score(tp=1)
    assert "wire_dateline" not in by_cue and "said" not in by_cue


def test_errors_are_typed_records_with_the_item_text(labelled, gaz, tmp_path):
    report = evaluate_attribution(labelled, gaz)
    assert {(e.kind, e.outlet) for e in report.errors} == {("miss", "Kyodo News"), ("false_positive", "Reuters")}
    fp = next(e for e in report.errors if e.kind == "false_positive")
    assert isinstance(fp, AttributionError)
    assert (fp.item_id, fp.line, fp.cue, fp.text) == ("fp", 5, "reported", "Sales rose, Reuters reported.")
    assert fp.predicted == ("Reuters -> Reuters (reported)",)
    out = tmp_path / "errors.jsonl"
    write_errors(report, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and {r["kind"] for r in rows} == {"miss", "false_positive"}
    assert all(r["text"] for r in rows)


def test_errors_name_the_frame_that_failed(labelled, gaz):
    report = evaluate_attribution(labelled, gaz)
    classes = {(e.kind, e.cue, e.error_class) for e in report.errors}
    assert classes == {("miss", "other", "no cue frame"), ("false_positive", "reported", "reported (by)")}
    text = format_report(report)
    assert "     1  miss           other         no cue frame" in text.splitlines()


def test_a_frame_wrong_in_the_training_folds_is_gated_in_the_held_out_one(tmp_path, gaz):
    # "X said" is wrong in every document here: a gate fitted on four folds drops it in the fifth.
    items = [item(f"Shares of unit {k} rose, Reuters said.", id=f"n{k}", source={"doc_id": f"d{k}"}) for k in range(12)]
    items += [
        item(f"Exports fell {k} pct, Reuters reported.", [("Reuters", "Reuters", "reported")], id=f"p{k}")
        for k in range(6)
    ]
    report = evaluate_attribution(write(tmp_path / "g.jsonl", items), gaz)
    assert report.outlet == Score(tp=6, fp=12, fn=0)
    assert report.gated_frames == ("X said/found",)
    assert report.cross_validated == Score(tp=6, fp=0, fn=0)
    assert "cross-validated (5 folds by document, frame gate fitted on 4): precision=1.000" in format_report(report)


def test_report_ends_with_one_summary_line(labelled, gaz):
    text = format_report(evaluate_attribution(labelled, gaz))
    lines = text.splitlines()
    assert lines[-1] == "attribution precision=0.800 recall=0.800 f1=0.800 n=7"
    assert sum(line.startswith("attribution ") for line in lines) == 1
    assert any(line.split()[:1] == ["dateline"] for line in lines)


def test_uncertain_items_are_scored_apart_too(tmp_path, gaz):
    path = write(
        tmp_path / "u.jsonl",
        [
            item("Prices rose, the Financial Times reported.", [("Financial Times", "Financial Times", "reported")]),
            item("The figures came courtesy of Kyodo News.", [("Kyodo News", "Kyodo News", "other")], uncertain=True),
        ],
    )
    report = evaluate_attribution(path, gaz)
    assert report.outlet == Score(tp=1, fn=1)
    assert report.outlet_certain == Score(tp=1)


def test_credits_in_the_context_do_not_count(tmp_path, gaz):
    path = write(tmp_path / "c.jsonl", [item("Markets were calm.", context="Reuters reported the deal.\n\n")])
    report = evaluate_attribution(path, gaz)
    assert report.outlet == Score() and report.sentence == Score() and report.errors == ()


def test_names_match_ignoring_case_the_and_parenthesised_parts(tmp_path, gaz):
    path = write(
        tmp_path / "n.jsonl",
        [
            item(
                "Earlier, the official Hungarian news agency MTI said prices would rise.",
                [("MTI (Hungarian News Agency)", "MTI", "other")],
            ),
            item(
                "Clinton won, according to The Associated Press.",
                [("associated press", "The Associated Press", "according_to")],
            ),
        ],
    )
    assert evaluate_attribution(path, gaz).outlet == Score(tp=2)


# ---------------------------------------------------------------------------- bad input
def test_missing_file(tmp_path, gaz):
    with pytest.raises(InputError, match="does not exist"):
        evaluate_attribution(tmp_path / "nope.jsonl", gaz)


def test_bad_json_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(item("Fine.")) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl line 3: not valid JSON"):
        read_items(path)


@pytest.mark.parametrize(
    "record, message",
    [
        ({"label": "no_attribution", "outlets": []}, "line 1: missing field 'text'"),
        ({"text": "x", "outlets": []}, "line 1: missing field 'label'"),
        ({"text": "x", "label": "attribution"}, "line 1: missing field 'outlets'"),
        (
            {"text": "x", "label": "attribution", "outlets": [{"canonical": "Reuters"}]},
            r"outlets\[0\]: missing field 'cue'",
        ),
        ({"text": "x", "label": "maybe", "outlets": []}, "label is 'maybe'; use one of attribution, no_attribution"),
        ({"text": 3, "label": "attribution", "outlets": []}, "field 'text' must be a str"),
        (["text"], "expected a JSON object"),
    ],
)
def test_bad_records_say_what_is_wrong(tmp_path, record, message):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_items(path)


def test_an_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no items"):
        read_items(path)
