"""Scoring the pipeline against a labelled folder (``newsprov eval pairs DIR``).

A labelled folder holds ``documents.jsonl`` (``doc_id``, ``file``, optional
``date``), the files it names, ``pairs.jsonl`` (``doc_a``, ``doc_b``,
``relation``, optional ``spans``) and optionally ``origins.jsonl``. Only
``file`` and ``date`` are input; everything else is a label. The documents
are fed to the real pipeline as daily batches by date (one batch when there
are no dates), then the output tables are scored:

- a predicted link is a provenance row (a copy relation, never same_story);
- per gold relation R: recall = R pairs linked / R pairs; precision counts as
  false the links to unrelated or negative documents that the pipeline labelled
  R (or any false link, when the pipeline's labels do not include R);
- a link between two documents that both derive from one labelled document (two answers
  copied from the same source, when ``pairs.jsonl`` lists only each copy against its source)
  is shared text, not a false link: it is counted apart (``indirect_links``), never scored;
- ``negative_false_link_rate`` = linked negative pairs / negative pairs
  (``same_topic_negative`` and ``non``);
- ``span_iou``: character intersection over union of predicted and gold spans,
  both documents together, in offsets of the original files, over true pairs found;
- recall by reused length: the gold pairs with spans, by the characters their spans cover in
  ``doc_b`` (the copying document), under 500, 500-1,000 and over 1,000 (``LENGTH_BUCKETS``):
  short reuse is what the evidence rules miss first;
- ``origin_acc``: clusters whose origin is right; a cluster with same-day copies
  also counts as right when the pipeline flags the tie and the origin is among the tied;
- ``cluster_ari``: adjusted Rand index of the clusters table's copy clusters against
  the labelled clusters, every unclustered document a singleton.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import luigi

from pipeline.core.errors import InputError
from pipeline.core.schema import DOCUMENT_RELATIONS, UNDIRECTED_BASES
from pipeline.core.tables import batches_of, read_batches
from pipeline.core.union_find import UnionFind
from pipeline.orchestration import metrics
from pipeline.stages.ingest import OffsetBreak, to_source_offset

NEGATIVE_RELATIONS = ("same_topic_negative", "non")
IGNORED_RELATIONS = ("cluster_disjoint",)
UNDATED_BATCH = "2000-01-01"
# (name, smallest, largest) characters of a pair's gold spans in its copying document (doc_b).
LENGTH_BUCKETS = (("<500", 0, 499), ("500-1000", 500, 1000), (">1000", 1001, None))


@dataclass(frozen=True)
class GoldDocument:
    doc_id: str
    file: str
    date: str


@dataclass(frozen=True)
class GoldPair:
    doc_a: str
    doc_b: str
    relation: str
    spans: tuple[tuple[int, int, int, int], ...] | None


@dataclass(frozen=True)
class GoldCluster:
    cluster_id: str
    origin: str
    members: frozenset[str]
    same_day_copies: frozenset[str]


@dataclass(frozen=True)
class GoldSet:
    root: Path
    documents: tuple[GoldDocument, ...]
    pairs: tuple[GoldPair, ...]
    clusters: tuple[GoldCluster, ...]


@dataclass(frozen=True)
class PredictedLink:
    doc_id: str  # gold ids (file stems)
    source_doc_id: str
    relation: str
    origin_basis: str
    spans: tuple[tuple[int, int, int, int], ...]  # offsets into the original files: doc, then source


@dataclass
class RelationScore:
    relation: str
    gold: int = 0
    found: int = 0
    false_links: int = 0

    @property
    def recall(self) -> float:
        return metrics.recall(self.found, self.gold - self.found)

    @property
    def precision(self) -> float:
        return metrics.precision(self.found, self.false_links)

    @property
    def f1(self) -> float:
        return metrics.f1(self.precision, self.recall)


@dataclass
class LengthScore:
    """Recall of the gold pairs whose reused text (doc_b's side of the spans) is ``bucket`` long."""

    bucket: str
    gold: int = 0
    found: int = 0
    by_relation: dict[str, list[int]] = field(default_factory=dict)  # relation -> [found, gold]

    @property
    def recall(self) -> float:
        return metrics.recall(self.found, self.gold - self.found)


def reused_length(pair: GoldPair) -> int:
    """Characters of the copying document (doc_b) that the pair's gold spans cover."""
    return len(_covered([(s[2], s[3]) for s in pair.spans or ()]))


def length_bucket(length: int) -> str:
    return next(name for name, low, high in LENGTH_BUCKETS if length >= low and (high is None or length <= high))


@dataclass
class EvalReport:
    dataset: str
    relations: list[RelationScore]
    negatives: int
    negatives_linked: int
    false_links: int
    indirect_links: int  # links between two copies of one labelled source (not listed as a pair)
    span_iou: float | None
    origin_acc: float | None
    cluster_ari: float | None
    confusion: dict[str, dict[str, int]]
    batches: int
    pipeline_seconds: float
    slowest_stage: str
    slowest_stage_seconds: float
    stage_seconds: dict[str, float]
    errors: list[dict] = field(default_factory=list)
    by_length: list[LengthScore] = field(default_factory=list)  # empty when no gold pair has spans

    @property
    def negative_false_link_rate(self) -> float | None:
        return self.negatives_linked / self.negatives if self.negatives else None

    def summary_line(self) -> str:
        parts = [f"{r.relation}_f1={r.f1:.3f}" for r in self.relations]
        parts += [f"{r.relation}_recall={r.recall:.3f}" for r in self.relations]
        if self.negative_false_link_rate is not None:
            parts.append(f"negative_false_link_rate={self.negative_false_link_rate:.3f}")
        if self.span_iou is not None:
            parts.append(f"span_iou={self.span_iou:.3f}")
        if self.origin_acc is not None:
            parts.append(f"origin_acc={self.origin_acc:.3f}")
        if self.cluster_ari is not None:
            parts.append(f"cluster_ari={self.cluster_ari:.3f}")
        return "pairs " + " ".join(parts)

    def length_line(self) -> str:
        """Recall by reused length, e.g. ``length <500=0.800(8/10) 500-1000=... >1000=...``."""
        return "length " + " ".join(f"{b.bucket}={b.recall:.3f}({b.found}/{b.gold})" for b in self.by_length)

    def to_json(self) -> dict:
        data = asdict(self)
        for bucket, score in zip(data["by_length"], self.by_length):
            bucket["recall"] = score.recall
        data["relations"] = [
            {**asdict(r), "precision": r.precision, "recall": r.recall, "f1": r.f1} for r in self.relations
        ]
        data["negative_false_link_rate"] = self.negative_false_link_rate
        data["summary"] = self.summary_line()
        return data


def _read_jsonl(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


def load_gold(root: Path) -> GoldSet:
    """Read a labelled folder; only ``file`` and ``date`` of each document are pipeline input."""
    root = Path(root)
    for name in ("documents.jsonl", "pairs.jsonl"):
        if not (root / name).is_file():
            raise InputError(f"{root} has no {name}: pass a labelled folder (see shared/eval/README.md)")
    documents = tuple(
        GoldDocument(d["doc_id"], d["file"], d.get("date") or UNDATED_BATCH)
        for d in _read_jsonl(root / "documents.jsonl")
    )
    pairs = tuple(
        GoldPair(
            p["doc_a"],
            p["doc_b"],
            p["relation"],
            None if p.get("spans") is None else tuple((s["a"][0], s["a"][1], s["b"][0], s["b"][1]) for s in p["spans"]),
        )
        for p in _read_jsonl(root / "pairs.jsonl")
    )
    clusters: tuple[GoldCluster, ...] = ()
    if (root / "origins.jsonl").is_file():
        clusters = tuple(
            GoldCluster(
                c["cluster_id"], c["origin_doc_id"], frozenset(c["members"]), frozenset(c.get("same_day_copies") or ())
            )
            for c in _read_jsonl(root / "origins.jsonl")
        )
    return GoldSet(root, documents, pairs, clusters)


def stage_inbox(gold: GoldSet, inbox: Path) -> list[tuple[str, Path]]:
    """Copy each document into ``inbox/<date>/``; return (date, folder) oldest first."""
    folders: dict[str, Path] = {}
    for document in gold.documents:
        source = gold.root / document.file
        if not source.is_file():
            raise InputError(f"{source} is listed in documents.jsonl but missing")
        folder = folders.setdefault(document.date, inbox / document.date)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / Path(document.file).name)
    return sorted(folders.items())


@dataclass(frozen=True)
class RunTiming:
    seconds: float
    by_stage: dict[str, float]


def run_inbox(inbox: Path, out: Path, workers: int = 1) -> RunTiming:
    """Run every dated batch folder of ``inbox`` through the pipeline, oldest first, as ``newsprov
    run`` runs one (pipeline.orchestration.runner): each batch joins against all earlier ones."""
    from pipeline.orchestration.runner import run_batches
    from pipeline.orchestration.tasks import Batch, dated_folders

    by_stage: Counter[str] = Counter()

    @luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
    def _record(task, seconds):
        by_stage[type(task).__name__] += seconds

    started = time.perf_counter()
    try:
        # The scoring reads the tables; the HTML report would only cost time.
        outcome = run_batches(
            [Batch(date=date, input_dir=str(folder), out_dir=str(out)) for date, folder in dated_folders(inbox)],
            out,
            workers,
        )
    finally:
        luigi.Task.remove_event_handler(luigi.Event.PROCESSING_TIME, _record)
    if outcome is not None and outcome.exit_code:
        raise InputError(f"the pipeline failed on {outcome.task.input_dir}:\n{outcome.result.summary_text}")
    return RunTiming(time.perf_counter() - started, dict(by_stage))


def _to_source_spans(spans, breaks_doc, breaks_source) -> tuple[tuple[int, int, int, int], ...]:
    return tuple(
        (
            to_source_offset(breaks_doc, s["a_start"]),
            to_source_offset(breaks_doc, s["a_end"]),
            to_source_offset(breaks_source, s["b_start"]),
            to_source_offset(breaks_source, s["b_end"]),
        )
        for s in spans
    )


def predicted_links(out: Path) -> list[PredictedLink]:
    """Provenance rows of every batch under ``out``, with gold ids and source-file offsets."""
    documents = read_batches(
        out, "documents", batches_of(out, "documents"), columns=["doc_id", "source_path", "offset_breaks"]
    )
    gold_id = {}
    breaks = {}
    for doc_id, path, offset_breaks in zip(
        documents.column("doc_id").to_pylist(),
        documents.column("source_path").to_pylist(),
        documents.column("offset_breaks").to_pylist(),
    ):
        gold_id[doc_id] = Path(path).stem
        breaks[doc_id] = tuple(OffsetBreak(b["text_offset"], b["source_offset"]) for b in offset_breaks)
    provenance = read_batches(out, "provenance", batches_of(out, "provenance"))
    links = [
        PredictedLink(
            gold_id[row["doc_id"]],
            gold_id[row["source_doc_id"]],
            row["relation"],
            row["origin_basis"],
            _to_source_spans(row["spans"], breaks[row["doc_id"]], breaks[row["source_doc_id"]]),
        )
        for row in provenance.to_pylist()
    ]
    return links + _sighting_links(out, gold_id, links)


def _sighting_links(out: Path, gold_id: dict[str, str], links: list[PredictedLink]) -> list[PredictedLink]:
    """A file recorded as a sighting is a reprint of the document's first file, and shares its links."""
    sightings = read_batches(out, "sightings", batches_of(out, "sightings"))
    extra: list[PredictedLink] = []
    for row in sightings.to_pylist():
        copy, first = Path(row["source_path"]).stem, gold_id[row["doc_id"]]
        basis = "date" if row["batch"] != row["first_batch"] else "tie"
        extra.append(PredictedLink(copy, first, "reprint", basis, ()))
        for link in links:
            if link.doc_id == first:
                extra.append(PredictedLink(copy, link.source_doc_id, link.relation, link.origin_basis, link.spans))
            elif link.source_doc_id == first:
                extra.append(PredictedLink(link.doc_id, copy, link.relation, link.origin_basis, link.spans))
    return extra


def _covered(intervals: list[tuple[int, int]]) -> set[int]:
    return {i for start, end in intervals for i in range(start, end)}


def _span_iou(gold: GoldPair, link: PredictedLink) -> float:
    """IoU over the characters of both documents; link spans re-oriented to gold's (a, b)."""
    same_order = (link.doc_id, link.source_doc_id) == (gold.doc_a, gold.doc_b)
    predicted_a = [(s[0], s[1]) if same_order else (s[2], s[3]) for s in link.spans]
    predicted_b = [(s[2], s[3]) if same_order else (s[0], s[1]) for s in link.spans]
    gold_a = [(s[0], s[1]) for s in gold.spans or ()]
    gold_b = [(s[2], s[3]) for s in gold.spans or ()]
    inter = union = 0
    for predicted, expected in ((predicted_a, gold_a), (predicted_b, gold_b)):
        p, g = _covered(predicted), _covered(expected)
        inter += len(p & g)
        union += len(p | g)
    return inter / union if union else 0.0


def _origin_right(cluster: GoldCluster, links: list[PredictedLink]) -> bool:
    inside = [l for l in links if l.doc_id in cluster.members and l.source_doc_id in cluster.members]
    linked = {l.doc_id for l in inside} | {l.source_doc_id for l in inside}
    copies = {l.doc_id for l in inside if l.origin_basis not in UNDIRECTED_BASES}
    candidates = (linked - copies) if inside else set(cluster.members)
    tied = any(l.origin_basis in UNDIRECTED_BASES and {l.doc_id, l.source_doc_id} & candidates for l in inside)
    if candidates == {cluster.origin}:
        return True
    return bool(cluster.same_day_copies) and tied and cluster.origin in candidates


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def adjusted_rand_index(truth: dict[str, str], predicted: dict[str, str]) -> float:
    """Adjusted Rand index of two labellings of the same items (1.0: identical partitions)."""
    joint = Counter((truth[item], predicted[item]) for item in truth)
    index = sum(_pairs(n) for n in joint.values())
    rows = sum(_pairs(n) for n in Counter(truth.values()).values())
    cols = sum(_pairs(n) for n in Counter(predicted[item] for item in truth).values())
    total = _pairs(len(truth))
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def predicted_clusters(out: Path) -> dict[str, str]:
    """Each document's current copy cluster (its latest clusters row), by gold id."""
    documents = read_batches(out, "documents", batches_of(out, "documents"), columns=["doc_id", "source_path"])
    gold_id = dict(
        zip(documents.column("doc_id").to_pylist(), (Path(p).stem for p in documents.column("source_path").to_pylist()))
    )
    current: dict[str, tuple[str, str]] = {}
    for row in read_batches(out, "clusters", batches_of(out, "clusters")).to_pylist():
        if row["doc_id"] not in current or current[row["doc_id"]][0] < row["batch"]:
            current[row["doc_id"]] = (row["batch"], row["copy_cluster_id"])
    clusters = {gold_id[doc]: cluster for doc, (_, cluster) in current.items()}
    for row in read_batches(out, "sightings", batches_of(out, "sightings")).to_pylist():
        clusters[Path(row["source_path"]).stem] = current[row["doc_id"]][1]
    return clusters


def score(
    gold: GoldSet, links: list[PredictedLink], clusters: dict[str, str], timing: RunTiming, batches: int
) -> EvalReport:
    by_pair = {frozenset((p.doc_a, p.doc_b)): p for p in gold.pairs}
    predicted = {frozenset((l.doc_id, l.source_doc_id)): l for l in links}
    positives = [p for p in gold.pairs if p.relation not in NEGATIVE_RELATIONS + IGNORED_RELATIONS]
    relations = sorted({p.relation for p in positives}, key=lambda r: (r not in DOCUMENT_RELATIONS, r))
    scores = {r: RelationScore(r) for r in relations}
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ious, errors = [], []
    lengths = {name: LengthScore(name) for name, _, _ in LENGTH_BUCKETS}
    for pair in positives:
        scores[pair.relation].gold += 1
        link = predicted.get(frozenset((pair.doc_a, pair.doc_b)))
        confusion[pair.relation][link.relation if link else "none"] += 1
        if pair.spans:
            bucket = lengths[length_bucket(reused_length(pair))]
            counts = bucket.by_relation.setdefault(pair.relation, [0, 0])
            bucket.gold, bucket.found = bucket.gold + 1, bucket.found + bool(link)
            counts[0], counts[1] = counts[0] + bool(link), counts[1] + 1
        if link:
            scores[pair.relation].found += 1
            if pair.spans:
                ious.append(_span_iou(pair, link))
        else:
            errors.append(
                {
                    "error": "missed",
                    "doc_a": pair.doc_a,
                    "doc_b": pair.doc_b,
                    "relation": pair.relation,
                    "reused_chars": reused_length(pair) if pair.spans else None,
                }
            )
    false_links = indirect_links = 0
    # Documents joined by labelled copy relations share text through them, listed pair or not.
    derived = UnionFind((p.doc_a, p.doc_b) for p in positives)
    for key, link in predicted.items():
        pair = by_pair.get(key)
        if pair is not None and pair.relation not in NEGATIVE_RELATIONS:
            continue
        if pair is None and derived.find(link.doc_id) == derived.find(link.source_doc_id):
            indirect_links += 1
            confusion["indirect"][link.relation] += 1
            continue
        false_links += 1
        gold_relation = pair.relation if pair else "unrelated"
        confusion[gold_relation][link.relation] += 1
        errors.append(
            {
                "error": "false_link",
                "doc": link.doc_id,
                "source": link.source_doc_id,
                "predicted": link.relation,
                "gold": gold_relation,
            }
        )
        targets = [link.relation] if link.relation in scores else list(scores)
        for relation in targets:
            scores[relation].false_links += 1
    negatives = [p for p in gold.pairs if p.relation in NEGATIVE_RELATIONS]
    negatives_linked = sum(frozenset((p.doc_a, p.doc_b)) in predicted for p in negatives)
    origin_acc = cluster_ari = None
    if gold.clusters:
        origin_acc = sum(_origin_right(c, links) for c in gold.clusters) / len(gold.clusters)
        gold_cluster = {d.doc_id: d.doc_id for d in gold.documents}
        for cluster in gold.clusters:
            for member in cluster.members:
                gold_cluster[member] = cluster.cluster_id
        predicted_cluster = {doc: clusters.get(doc, doc) for doc in gold_cluster}
        cluster_ari = adjusted_rand_index(gold_cluster, predicted_cluster)
    slowest = max(timing.by_stage.items(), key=lambda kv: kv[1], default=("none", 0.0))
    return EvalReport(
        dataset=str(gold.root),
        relations=[scores[r] for r in relations],
        negatives=len(negatives),
        negatives_linked=negatives_linked,
        false_links=false_links,
        indirect_links=indirect_links,
        span_iou=sum(ious) / len(ious) if ious else None,
        origin_acc=origin_acc,
        cluster_ari=cluster_ari,
        confusion={g: dict(p) for g, p in confusion.items()},
        batches=batches,
        pipeline_seconds=timing.seconds,
        slowest_stage=slowest[0],
        slowest_stage_seconds=slowest[1],
        stage_seconds=dict(sorted(timing.by_stage.items(), key=lambda kv: -kv[1])),
        errors=errors,
        by_length=[b for b in lengths.values() if b.gold],
    )


def format_report(report: EvalReport) -> str:
    lines = [
        f"dataset {report.dataset}: {report.batches} batches, pipeline {report.pipeline_seconds:.1f}s, "
        f"slowest stage {report.slowest_stage} {report.slowest_stage_seconds:.1f}s",
        "stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.stage_seconds.items()),
        f"{'relation':<22}{'gold':>6}{'found':>7}{'false':>7}{'prec':>7}{'recall':>8}{'f1':>7}",
    ]
    for r in report.relations:
        lines.append(
            f"{r.relation:<22}{r.gold:>6}{r.found:>7}{r.false_links:>7}{r.precision:>7.3f}{r.recall:>8.3f}{r.f1:>7.3f}"
        )
    lines.append(
        f"negatives linked: {report.negatives_linked}/{report.negatives}; false links in all: "
        f"{report.false_links}; links between two copies of one source (not scored): "
        f"{report.indirect_links}"
    )
    predicted_labels = sorted({p for row in report.confusion.values() for p in row})
    lines.append("confusion (gold rows x predicted columns):")
    lines.append(f"  {'':<22}" + "".join(f"{p:>12}" for p in predicted_labels))
    for gold_relation, row in sorted(report.confusion.items()):
        lines.append(f"  {gold_relation:<22}" + "".join(f"{row.get(p, 0):>12}" for p in predicted_labels))
    if report.by_length:
        lines.append("recall by reused length (characters of gold span in the copying document, doc_b):")
        lines.append(f"  {'':<22}" + "".join(f"{b.bucket:>14}" for b in report.by_length))
        for relation in [r.relation for r in report.relations]:
            cells = [b.by_relation.get(relation) for b in report.by_length]
            if any(cells):
                lines.append(f"  {relation:<22}" + "".join(f"{f'{c[0]}/{c[1]}' if c else '-':>14}" for c in cells))
        lines.append(report.length_line())
    lines.append(report.summary_line())
    return "\n".join(lines)


def evaluate_pairs(root: Path, work: Path, workers: int = 1) -> EvalReport:
    """Stage ``root``'s documents as daily batches under ``work``, run the pipeline, score it."""
    gold = load_gold(root)
    if work.exists():
        shutil.rmtree(work)
    batches = stage_inbox(gold, work / "inbox")
    timing = run_inbox(work / "inbox", work / "output", workers)
    out = work / "output"
    return score(gold, predicted_links(out), predicted_clusters(out), timing, len(batches))
