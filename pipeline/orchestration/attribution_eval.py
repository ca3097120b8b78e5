"""Scoring attribution extraction on labelled sentences (JSONL, like shared/eval/attribution/dev.jsonl).

One item per line: ``text``, ``label`` (attribution / no_attribution), ``outlets``
[{``canonical``, ``surface``, ``cue``, ``alias``}], and optionally ``context_before``
(earlier text of the same article, so that aliases resolve), ``cue_types``,
``uncertain`` and ``id``. Labelled data is research-use: it is read from the path
given at run time and never stored.

Each item becomes one document, ``context_before + text``, run through the real
extractor (``pipeline.stages.attribution.extract_attributions``); only credits inside
``text`` count, and an alias that resolved to no outlet counts as no credit.

- outlet level: (item, outlet) pairs. A predicted outlet matches a gold one when a
  name of the outlet (its name or an alias, ignoring case, a leading "The" and
  parenthesised parts) equals a form of the gold canonical name; each side
  matches at most once.
- sentence level: "this item credits an outlet", against ``label``.
- per cue: a gold outlet counts (found or missed) under its gold cue, a false
  positive under its predicted cue. The eval's cue names become ours where they
  differ (``EVAL_CUE_NAMES``); the labelled sentences do not separate "X said"
  from weaker cues, so our ``said`` is scored as ``other`` (``FOLDED_CUES``).
  ``cue_agreement`` is the share of matched outlets whose cues agree after that.
- error classes: each wrong outlet gets a class naming what failed. A miss: ``no candidate`` (the
  gazetteer lacks the name and no outlet-type noun vouches for it), ``no cue frame`` (named, but no
  frame ties it to its sentence), ``vetoed: <signal>`` (a company / person signal overrode a frame),
  ``alias unresolved`` or ``other outlet`` (the mention resolved to a different outlet). A false
  positive: the frame that credited it. Counted per class under the gold (miss) or predicted cue.
- cross-validated: the extractor's rules fit nothing to these labels; the eval also fits the one
  thing it could learn from them, a gate that drops the credits of a cue frame whose precision is
  below one half, on four fifths of the documents (``source.doc_id``; five folds by a hash of the id)
  and scores the fifth. ``cross_validated`` sums the five held-out folds: when it is no better than
  the outlet score, the rules ship without a gate.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.core.errors import InputError
from pipeline.orchestration import metrics
from pipeline.stages.attribution import extract_attributions
from pipeline.text.credits import Judged, judge_mentions
from pipeline.text.gazetteer import Gazetteer

LABELS = ("attribution", "no_attribution")
REQUIRED_FIELDS = ("text", "label", "outlets")
REQUIRED_OUTLET_FIELDS = ("canonical", "cue")
# The eval's cue names -> ours, where they differ.
EVAL_CUE_NAMES = {"wire_dateline": "dateline", "originally_published": "reported"}
# Our cues the labelled sentences do not tell apart -> the cue they are scored as.
FOLDED_CUES = {"said": "other"}


@dataclass(frozen=True)
class GoldOutlet:
    canonical: str
    surface: str
    cue: str  # in our names (EVAL_CUE_NAMES and FOLDED_CUES applied)
    alias: bool


@dataclass(frozen=True)
class EvalItem:
    line: int
    item_id: str
    text: str
    context_before: str
    label: str
    outlets: tuple[GoldOutlet, ...]
    uncertain: bool
    document: str = ""  # source.doc_id: items of one document share a cross-validation fold


@dataclass(frozen=True)
class PredictedOutlet:
    outlet_id: str | None  # None: a name the gazetteer lacks, found next to an outlet-type noun
    name: str
    surface: str
    cue: str  # ours, as the extractor wrote it
    frame: str = ""  # the cue frame that credited it (pipeline.text.credits.Decision.frame)


@dataclass(frozen=True)
class AttributionError:
    """One wrong outlet: a false positive (predicted, not labelled) or a miss (labelled, not predicted)."""

    kind: str  # false_positive / miss
    item_id: str
    line: int
    outlet: str  # canonical gold name for a miss, gazetteer name for a false positive
    surface: str
    cue: str
    label: str
    uncertain: bool
    predicted: tuple[str, ...]  # everything the extractor credited in the item: "surface -> name (cue)"
    text: str
    error_class: str = ""  # what failed (module doc): "no cue frame", "vetoed: company", a false positive's frame


@dataclass(frozen=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return metrics.precision(self.tp, self.fp)

    @property
    def recall(self) -> float:
        return metrics.recall(self.tp, self.fn)

    @property
    def f1(self) -> float:
        return metrics.f1(self.precision, self.recall)


@dataclass(frozen=True)
class AttributionReport:
    path: str
    n_items: int
    n_positive: int
    outlet: Score
    sentence: Score
    outlet_certain: Score  # items not flagged uncertain
    by_cue: dict[str, Score]
    cue_agreement: float | None
    unresolved_aliases: int  # credits inside text that resolved to no outlet
    errors: tuple[AttributionError, ...]
    cross_validated: Score | None = None  # five folds by document, a frame gate fitted on four (module doc)
    gated_frames: tuple[str, ...] = ()  # frames the gate fitted on all items drops

    def summary_line(self) -> str:
        o = self.outlet
        return f"attribution precision={o.precision:.3f} recall={o.recall:.3f} f1={o.f1:.3f} n={self.n_items}"

    def cross_validated_line(self) -> str:
        c = self.cross_validated or Score()
        return (
            f"cross-validated (5 folds by document, frame gate fitted on 4): precision={c.precision:.3f} "
            f"recall={c.recall:.3f} f1={c.f1:.3f} n={self.n_items}"
        )


# ---------------------------------------------------------------------------- reading
def _cue(name: str) -> str:
    name = EVAL_CUE_NAMES.get(name, name)
    return FOLDED_CUES.get(name, name)


def _field(record: dict, name: str, kind: type, where: str):
    if name not in record:
        raise InputError(f"{where}: missing field {name!r}")
    value = record[name]
    if not isinstance(value, kind):
        raise InputError(f"{where}: field {name!r} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def read_items(path: Path) -> list[EvalItem]:
    """The labelled items of ``path``, validated."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist; pass a JSONL file such as ../shared/eval/attribution/dev.jsonl")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    items = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path} line {n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object with fields {', '.join(REQUIRED_FIELDS)}")
        text = _field(record, "text", str, where)
        label = _field(record, "label", str, where)
        if label not in LABELS:
            raise InputError(f"{where}: label is {label!r}; use one of {', '.join(LABELS)}")
        outlets = []
        for k, o in enumerate(_field(record, "outlets", list, where)):
            at = f"{where} outlets[{k}]"
            if not isinstance(o, dict):
                raise InputError(f"{at}: expected an object with fields {', '.join(REQUIRED_OUTLET_FIELDS)}")
            canonical = _field(o, "canonical", str, at)
            cue = _field(o, "cue", str, at)
            outlets.append(GoldOutlet(canonical, str(o.get("surface") or ""), _cue(cue), bool(o.get("alias"))))
        if label == "no_attribution" and outlets:
            raise InputError(f"{where}: label no_attribution but {len(outlets)} outlets listed")
        items.append(
            EvalItem(
                n,
                str(record.get("id") or f"line-{n}"),
                text,
                str(record.get("context_before") or ""),
                label,
                tuple(outlets),
                bool(record.get("uncertain")),
                str((record.get("source") or {}).get("doc_id") or record.get("id") or f"line-{n}"),
            )
        )
    if not items:
        raise InputError(f"{path} holds no items; each line must be one JSON object")
    return items


# ---------------------------------------------------------------------------- scoring
def _forms(name: str) -> frozenset[str]:
    """'MTI (Hungarian News Agency)' -> {'mti (hungarian news agency)', 'mti', 'hungarian news agency'}."""
    forms = {name, re.sub(r"\s*\([^)]*\)", "", name), *re.findall(r"\(([^)]*)\)", name)}
    return frozenset(f for f in (re.sub(r"^the\s+", "", f.strip().lower()) for f in forms) if f)


def _predict(
    items: list[EvalItem], gazetteer: Gazetteer
) -> tuple[list[list[PredictedOutlet]], int, list[list[Judged]]]:
    """Per item, the distinct outlets credited inside its text (first credit first); unresolved aliases; and
    per item every candidate mention inside its text with the decision on it (for frames and error classes)."""
    ids = [f"i{n:05d}" for n in range(len(items))]
    texts = [it.context_before + it.text for it in items]
    documents = pa.table({"doc_id": ids, "batch": ["eval"] * len(ids), "text": texts})
    passages = pa.table(
        {
            "passage_id": [f"{d}:0000" for d in ids],
            "doc_id": ids,
            "char_start": [0] * len(ids),
            "char_end": [len(t) for t in texts],
        }
    )
    rows = extract_attributions(documents, passages, gazetteer).to_pylist()
    offsets = {d: len(it.context_before) for d, it in zip(ids, items)}
    judged = [
        [j for j in judge_mentions(t, gazetteer) if j.start >= len(it.context_before)] for t, it in zip(texts, items)
    ]
    frames = {
        (d, j.start, j.end): j.decision.frame
        for d, item_judged in zip(ids, judged)
        for j in item_judged
        if j.decision.cue
    }
    per_item: dict[str, dict[str, PredictedOutlet]] = {d: {} for d in ids}
    unresolved = 0
    for r in rows:
        if r["char_start"] < offsets[r["doc_id"]]:
            continue
        if r["outlet_id"] is None and r["is_alias"]:
            unresolved += 1
            continue
        if r["outlet_id"] is None:
            key, name = "?" + r["surface"].lower(), r["surface"]
        else:
            key, name = r["outlet_id"], gazetteer.outlet(r["outlet_id"]).name
        frame = frames.get((r["doc_id"], r["char_start"], r["char_end"]), "")
        per_item[r["doc_id"]].setdefault(key, PredictedOutlet(r["outlet_id"], name, r["surface"], r["cue"], frame))
    return [list(per_item[d].values()) for d in ids], unresolved, judged


_DESCRIPTOR_WORDS = re.compile(
    r"\s+(?:newspaper|daily|weekly|magazine|newsletter|news agency|agency|radio|television|tv|network)$", re.I
)


def _names(p: PredictedOutlet, gazetteer: Gazetteer) -> list[str]:
    """The names a predicted outlet goes by: the gazetteer's, or the surface of a name it lacks."""
    if p.outlet_id is None:
        return [_DESCRIPTOR_WORDS.sub("", p.surface)]
    outlet = gazetteer.outlet(p.outlet_id)
    return [outlet.name, *outlet.aliases]


def _match(
    gold: tuple[GoldOutlet, ...], predicted: list[PredictedOutlet], gazetteer: Gazetteer
) -> list[tuple[GoldOutlet, PredictedOutlet]]:
    """Gold and predicted outlets that name the same outlet. A name the gazetteer lacks matches the gold
    canonical name or the gold surface (without a descriptor such as 'newspaper')."""
    pairs, taken = [], set()
    for g in gold:
        want = _forms(g.canonical)
        for p in predicted:
            if id(p) in taken:
                continue
            forms = want | _forms(_DESCRIPTOR_WORDS.sub("", g.surface)) if p.outlet_id is None and g.surface else want
            if any(forms & _forms(n) for n in _names(p, gazetteer)):
                pairs.append((g, p))
                taken.add(id(p))
                break
    return pairs


def evaluate_attribution(path: Path, gazetteer: Gazetteer) -> AttributionReport:
    """Run the extractor on every item of ``path`` and score it (see the module doc)."""
    items = read_items(path)
    predictions, unresolved, judged = _predict(items, gazetteer)
    outlet = sentence = certain = Score()
    by_cue: dict[str, Score] = {}
    agree = matched_total = 0
    errors: list[AttributionError] = []
    for it, predicted, item_judged in zip(items, predictions, judged):
        pairs = _match(it.outlets, predicted, gazetteer)
        matched_gold = {id(g) for g, _ in pairs}
        matched_pred = {id(p) for _, p in pairs}
        misses = [g for g in it.outlets if id(g) not in matched_gold]
        false = [p for p in predicted if id(p) not in matched_pred]
        score = Score(len(pairs), len(false), len(misses))
        outlet += score
        if not it.uncertain:
            certain += score
        gold_pos, pred_pos = it.label == "attribution", bool(predicted)
        sentence += Score(int(gold_pos and pred_pos), int(pred_pos and not gold_pos), int(gold_pos and not pred_pos))
        for g, p in pairs:
            by_cue[g.cue] = by_cue.get(g.cue, Score()) + Score(tp=1)
            agree += g.cue == _cue(p.cue)
        matched_total += len(pairs)
        for g in misses:
            by_cue[g.cue] = by_cue.get(g.cue, Score()) + Score(fn=1)
        for p in false:
            cue = _cue(p.cue)
            by_cue[cue] = by_cue.get(cue, Score()) + Score(fp=1)
        shown = tuple(f"{p.surface} -> {p.name} ({p.cue})" for p in predicted)
        errors += [
            AttributionError(
                "miss",
                it.item_id,
                it.line,
                g.canonical,
                g.surface,
                g.cue,
                it.label,
                it.uncertain,
                shown,
                it.text,
                _miss_class(it, g, item_judged, gazetteer),
            )
            for g in misses
        ]
        errors += [
            AttributionError(
                "false_positive",
                it.item_id,
                it.line,
                p.name,
                p.surface,
                p.cue,
                it.label,
                it.uncertain,
                shown,
                it.text,
                p.frame or "unknown frame",
            )
            for p in false
        ]
    cross_validated, gated = _cross_validate(items, predictions, gazetteer)
    return AttributionReport(
        path=str(path),
        n_items=len(items),
        n_positive=sum(it.label == "attribution" for it in items),
        outlet=outlet,
        sentence=sentence,
        outlet_certain=certain,
        by_cue=dict(sorted(by_cue.items(), key=lambda kv: -(kv[1].tp + kv[1].fn))),
        cue_agreement=agree / matched_total if matched_total else None,
        unresolved_aliases=unresolved,
        errors=tuple(errors),
        cross_validated=cross_validated,
        gated_frames=gated,
    )


def _miss_class(it: EvalItem, gold: GoldOutlet, judged: list[Judged], gazetteer: Gazetteer) -> str:
    """What failed for a gold outlet the extractor missed (see the module doc)."""
    at = it.text.find(gold.surface) if gold.surface else -1
    if at < 0 and gold.surface:
        at = it.text.lower().find(gold.surface.lower())
    if at < 0:
        return "surface not in text"
    start = len(it.context_before) + at
    end = start + len(gold.surface)
    here = [j for j in judged if j.start < end and start < j.end]
    if not here:
        return "no candidate"
    j = here[0]
    if j.decision.cue is None:
        return "no cue frame" if j.decision.frame == "no cue frame" else f"vetoed: {j.decision.frame}"
    if j.outlet_id is None and j.is_alias:
        return "alias unresolved"
    return "other outlet"


def _fit_gate(items: list[EvalItem], predictions: list[list[PredictedOutlet]], gazetteer: Gazetteer) -> set[str]:
    """Frames whose credits are right less than half of the time (at least three credits seen)."""
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for it, predicted in zip(items, predictions):
        matched = {id(p) for _, p in _match(it.outlets, predicted, gazetteer)}
        for p in predicted:
            (right if id(p) in matched else wrong)[p.frame] += 1
    return {f for f in wrong if right[f] + wrong[f] >= 3 and right[f] < wrong[f]}


def _fold(document: str) -> int:
    return zlib.crc32(document.encode("utf-8")) % 5


def _cross_validate(
    items: list[EvalItem], predictions: list[list[PredictedOutlet]], gazetteer: Gazetteer
) -> tuple[Score, tuple[str, ...]]:
    """The outlet score of a frame gate fitted on four folds of documents and applied to the fifth, summed over the
    five; and the frames a gate fitted on every item drops."""
    total = Score()
    folds = [_fold(it.document) for it in items]
    for k in range(5):
        train = [(it, p) for it, p, f in zip(items, predictions, folds) if f != k]
        gate = _fit_gate([it for it, _ in train], [p for _, p in train], gazetteer)
        for it, predicted, f in zip(items, predictions, folds):
            if f != k:
                continue
            kept = [p for p in predicted if p.frame not in gate]
            pairs = len(_match(it.outlets, kept, gazetteer))
            total += Score(pairs, len(kept) - pairs, len(it.outlets) - pairs)
    return total, tuple(sorted(_fit_gate(items, predictions, gazetteer)))


# ---------------------------------------------------------------------------- output
def format_report(report: AttributionReport) -> str:
    """A table of the scores, the errors by class and the cross-validated score, ending with one line
    ``attribution precision=… recall=… f1=… n=N``."""

    def row(name: str, s: Score) -> str:
        return f"{name:<22}{s.tp + s.fn:>6}{s.tp:>6}{s.fp:>6}{s.fn:>6}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"

    lines = [
        f"dataset {report.path}: {report.n_items} items, {report.n_positive} attribute an outlet",
        f"{'level':<22}{'gold':>6}{'tp':>6}{'fp':>6}{'fn':>6}{'prec':>8}{'recall':>8}{'f1':>8}",
        row("outlet", report.outlet),
        row("outlet (certain only)", report.outlet_certain),
        row("sentence", report.sentence),
    ]
    lines.append("per cue (gold cue for tp/fn, predicted cue for fp; 'said' scored as 'other'):")
    lines += [row(f"  {cue}", s) for cue, s in report.by_cue.items()]
    kinds = Counter(e.kind for e in report.errors)
    agreement = "n/a" if report.cue_agreement is None else f"{report.cue_agreement:.3f}"
    lines.append(
        f"cue agreement on matched outlets: {agreement}; unresolved aliases: {report.unresolved_aliases}; "
        f"errors: {kinds['false_positive']} false positives, {kinds['miss']} misses"
    )
    classes = Counter((e.kind, e.cue, e.error_class) for e in report.errors)
    if classes:
        lines.append("errors by class (kind, gold cue for a miss or predicted cue for a false positive, what failed):")
        lines += [f"  {n:>4}  {kind:<15}{cue:<14}{what}" for (kind, cue, what), n in classes.most_common()]
    gated = ", ".join(report.gated_frames) or "none"
    lines.append(f"frame gate fitted on all items drops: {gated}")
    lines.append(report.cross_validated_line())
    lines.append(report.summary_line())
    return "\n".join(lines)


def write_errors(report: AttributionReport, path: Path) -> None:
    """The report's errors, one JSON object a line (they hold item text: keep the file beside the data)."""
    path = Path(path)
    try:
        with path.open("w", encoding="utf-8") as handle:
            for e in report.errors:
                handle.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write errors to {path}: {exc.strerror or exc}") from exc
