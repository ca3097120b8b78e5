"""newsprov benchmarks: fingerprint speed, LSH candidate stage, hot bucket, end to end.

    make bench                      # full scale
    make bench BENCH_SCALE=small    # < 3 minutes
    python bench/run.py --scale small --docs ../shared/eval/dev/docs --results bench/results.md

Corpora are generated at run time from the documents under --docs (read in place, never
copied) into a temporary folder that is removed at the end (--keep keeps it). Every
comparison is measured side by side in one run: medians of --repeats interleaved repeats.
Ratios are the result; absolute numbers are for context. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.corpus import BOILERPLATE, load_paragraphs, passage_corpus, write_documents  # noqa: E402

SCALES = {
    # fp: passages timed per fingerprint repeat; lsh: passages for the candidate stage;
    # e2e: documents of the first batch (the text-dedup and two-cores comparisons run on it);
    # inc: documents of the incremental batch; big: documents of the 1M-passage batch (None: the
    # incremental batch joins the first batch instead). 93,000 generated documents are about
    # 1,009,000 passages (a title and 6-14 paragraphs each; 92,000 made 998,424).
    # growth: documents of each of the growth curve's four batches and of its incremental batches
    # (see growth_runs); at full scale its first batch is the 1M-passage batch above.
    "small": {"fp": 3000, "lsh": 20_000, "e2e": 1000, "inc": 1000, "hot": 5000, "big": None, "growth": (1000, 200)},
    "medium": {"fp": 3000, "lsh": 20_000, "e2e": 1000, "inc": 1000, "hot": 5000, "big": None, "growth": (4000, 300)},
    "full": {"fp": 20_000, "lsh": 200_000, "e2e": 20_000, "inc": 1000, "hot": 5000, "big": 93_000, "growth": None},
}
# The growth curve's batches are a month apart (GROWTH_DAYS, over [anchors] window_days = 30): each
# stands for a month of a large feed, so an incremental batch a day after one matches its story
# anchors against that month and its copies against all earlier months.
GROWTH_DAYS = 31
GROWTH_START = dt.date(2025, 1, 1)
BIG_PASSAGES = 1_000_000
BANDS, ROWS = 32, 4


# ---------------------------------------------------------------- small helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def version(pkg: str) -> str:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
        ram = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {p: version(p) for p in ("numpy", "pyarrow", "duckdb", "datasketch", "xxhash", "luigi", "rensa")},
    }


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and (x != x)):
        return "na"
    return f"{x:.{digits}f}"


# ---------------------------------------------------------------- fingerprint


def fingerprint_bench(texts: list[str], repeats: int) -> dict:
    """passages/s of each MinHash implementation on the same passages, interleaved repeats."""
    import xxhash
    from datasketch import MinHash

    from pipeline.lsh.fingerprint import FingerprintParams, shingle_hash, shingles, signatures
    from pipeline.text.tokens import normal_word_ids

    params = FingerprintParams()
    k = params.shingle_size
    try:
        import rensa
    except ImportError:
        rensa = None

    # Correctness first: newsprov == datasketch for the same shingles and hashfunc.
    sample = texts[:50]
    ours = signatures(sample, params)
    proto = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=shingle_hash)
    for text, sig in zip(sample, ours):
        m = proto.copy()
        for s in shingles(text, k):
            m.update(s)
        if sig is not None and not np.array_equal(np.asarray(sig, dtype=np.uint64), m.hashvalues):
            raise SystemExit("bench: newsprov signature differs from datasketch's: fix that before timing")

    def run_newsprov():
        signatures(texts, params)

    def run_tokenize():
        normal_word_ids(texts)

    def run_ds_update():
        for t in texts:
            m = proto.copy()
            for s in shingles(t, k):
                m.update(s)

    def run_ds_bulk():
        MinHash.bulk([shingles(t, k) for t in texts], num_perm=params.num_perm, seed=params.seed, hashfunc=shingle_hash)

    def run_rensa():
        for t in texts:
            m = rensa.RMinHash(num_perm=params.num_perm, seed=params.seed)
            m.update(shingles(t, k))
            m.digest()

    pretokenised = [shingles(t, k) for t in texts]

    def run_rensa_pretokenised():
        # rensa's hashing alone: the shingle strings are built before the clock starts.
        for found in pretokenised:
            m = rensa.RMinHash(num_perm=params.num_perm, seed=params.seed)
            m.update(found)
            m.digest()

    def run_floor():
        # The vectorised tokeniser (as newsprov uses it) + one 64-bit hash per distinct word, folded
        # into one 64-bit hash per shingle over all passages at once; no permutations.
        words = normal_word_ids(texts)
        wh = np.fromiter(
            (xxhash.xxh64_intdigest(w.encode("utf-8")) for w in words.vocabulary),
            dtype=np.uint64,
            count=len(words.vocabulary),
        )
        h = wh[words.ids]
        n = len(h) - k + 1
        acc = np.zeros(max(n, 0), dtype=np.uint64)
        for off in range(k):
            acc = (acc * np.uint64(0x100000001B3)) ^ h[off : off + n]
        # keep windows that lie inside one passage
        starts = np.zeros(len(h) + 1, dtype=bool)
        starts[words.offsets[1:-1]] = True
        straddles = np.zeros(max(n, 0), dtype=bool)
        for off in range(1, k):
            straddles |= starts[off : off + n]
        acc[~straddles].sum()

    methods = {
        "newsprov": run_newsprov,
        "datasketch_update": run_ds_update,
        "datasketch_bulk": run_ds_bulk,
        "floor_tokenise_hash64": run_floor,
        "tokenise_only": run_tokenize,
    }
    if rensa is not None:
        methods["rensa"] = run_rensa
        methods["rensa_pretokenised"] = run_rensa_pretokenised
    times: dict[str, list[float]] = {name: [] for name in methods}
    for r in range(repeats):
        for name, fn in methods.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
        log(f"fingerprint repeat {r + 1}/{repeats}: " + ", ".join(f"{n}={times[n][-1]:.2f}s" for n in methods))
    rate = {name: len(texts) / median(ts) for name, ts in times.items()}
    return {
        "n": len(texts),
        "repeats": repeats,
        "times": times,
        "rate": rate,
        "rensa_note": None if rensa is not None else "rensa not importable: pip install rensa into the bench venv",
    }


# ---------------------------------------------------------------- LSH (run in a child per measurement)


def _load_lsh_input(path: Path):
    data = np.load(path, allow_pickle=False)
    return data["sig"], data["doc"], data["planted"]


def worker_newsprov(path: Path) -> dict:
    import pyarrow as pa

    from pipeline.core.tables import empty
    from pipeline.stages.candidates import CandidateParams, band_rows, find_candidates

    sig, doc, planted = _load_lsh_input(path)
    n, num_perm = sig.shape
    # passage ids as the pipeline writes them: <doc_id>:<ordinal>
    ordinal = np.zeros(n, dtype=np.int64)
    _, first = np.unique(doc, return_index=True)
    starts = np.zeros(n, dtype=np.int64)
    starts[first] = first
    starts = np.maximum.accumulate(starts)
    ordinal = np.arange(n) - starts
    doc_ids = [f"{d:016x}" for d in doc.tolist()]
    passage_ids = [f"{d}:{o:04d}" for d, o in zip(doc_ids, ordinal.tolist())]
    values = pa.array(sig.reshape(-1), type=pa.uint32())
    offsets = pa.array(np.arange(0, n * num_perm + 1, num_perm, dtype=np.int32))
    passages = pa.table(
        {"passage_id": passage_ids, "doc_id": doc_ids, "signature": pa.ListArray.from_arrays(offsets, values)}
    )
    params = CandidateParams(bands=BANDS, rows=ROWS)
    anchors = empty("anchors")
    history_bands = empty("bands")
    del values, offsets
    gc.collect()
    base_kb = _status_kb("VmRSS")
    exact = reset_peak()
    t0 = time.perf_counter()
    bands = band_rows(passages, params)
    t1 = time.perf_counter()
    result = find_candidates(bands, anchors, history_bands, anchors, params)
    t2 = time.perf_counter()
    peak_kb = _status_kb("VmHWM")
    index = {p: i for i, p in enumerate(passage_ids)}
    found = {
        (index[a], index[b])
        for a, b in zip(
            result.candidates.column("passage_a").to_pylist(), result.candidates.column("passage_b").to_pylist()
        )
    }
    hits = sum(1 for a, b in planted.tolist() if (a, b) in found or (b, a) in found)
    return {
        "seconds": t2 - t0,
        "band_rows_s": t1 - t0,
        "find_candidates_s": t2 - t1,
        "peak_mb": peak_kb / 1024,
        "base_mb": base_kb / 1024,
        "delta_mb": (peak_kb - base_kb) / 1024,
        "exact_peak": exact,
        "pairs": result.candidates.num_rows,
        "skipped_buckets": result.skipped_buckets,
        "recall": hits / max(len(planted), 1),
        "planted": len(planted),
    }


def worker_datasketch(path: Path) -> dict:
    from datasketch import LeanMinHash, MinHashLSH

    sig, doc, planted = _load_lsh_input(path)
    n = len(sig)
    minhashes = [LeanMinHash(seed=1, hashvalues=row, scheme="affine32") for row in sig]
    threshold = (1 / BANDS) ** (1 / ROWS)  # the S-curve midpoint of 32 bands x 4 rows, ~0.42
    gc.collect()
    base_kb = _status_kb("VmRSS")
    exact = reset_peak()
    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=sig.shape[1], params=(BANDS, ROWS))
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m, check_duplication=False)
    t1 = time.perf_counter()
    found = set()
    for i, m in enumerate(minhashes):
        for j in lsh.query(m):
            if j > i and doc[i] != doc[j]:
                found.add((i, j))
    t2 = time.perf_counter()
    peak_kb = _status_kb("VmHWM")
    hits = sum(1 for a, b in planted.tolist() if (min(a, b), max(a, b)) in found)
    return {
        "seconds": t2 - t0,
        "insert_s": t1 - t0,
        "query_s": t2 - t1,
        "peak_mb": peak_kb / 1024,
        "base_mb": base_kb / 1024,
        "delta_mb": (peak_kb - base_kb) / 1024,
        "exact_peak": exact,
        "pairs": len(found),
        "recall": hits / max(len(planted), 1),
        "planted": len(planted),
        "n": n,
    }


def run_worker(kind: str, path: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(path)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise SystemExit(f"bench: worker {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def lsh_bench(sig: np.ndarray, doc: np.ndarray, planted: np.ndarray, work: Path, repeats: int) -> dict:
    path = work / "lsh.npz"
    np.savez(path, sig=sig, doc=doc, planted=planted)
    runs: dict[str, list[dict]] = {"newsprov": [], "datasketch": []}
    for r in range(repeats):
        for kind in runs:
            runs[kind].append(run_worker(kind, path))
        log(
            f"lsh repeat {r + 1}/{repeats}: "
            + ", ".join(f"{k}={v[-1]['seconds']:.2f}s/{v[-1]['delta_mb']:.0f}MB" for k, v in runs.items())
        )
    summary = {}
    for kind, rs in runs.items():
        summary[kind] = {
            key: median([x[key] for x in rs])
            for key in rs[0]
            if isinstance(rs[0][key], (int, float)) and not isinstance(rs[0][key], bool)
        }
    summary["n"] = len(sig)
    return summary


def hot_bench(
    sig: np.ndarray,
    doc: np.ndarray,
    planted: np.ndarray,
    hot_sig: np.ndarray,
    copies: int,
    work: Path,
    repeats: int,
    rng: np.random.Generator,
) -> dict:
    in_pairs = np.zeros(len(sig), dtype=bool)
    in_pairs[planted.reshape(-1)] = True
    free = np.flatnonzero(~in_pairs)
    hot = rng.choice(free, size=min(copies, len(free)), replace=False)
    sig = sig.copy()
    sig[hot] = hot_sig
    path = work / "hot.npz"
    np.savez(path, sig=sig, doc=doc, planted=planted)
    runs = [run_worker("newsprov", path) for _ in range(repeats)]
    log(f"hot bucket: {[round(r['seconds'], 2) for r in runs]} s, skipped {runs[0]['skipped_buckets']}")
    return {
        "seconds": median([r["seconds"] for r in runs]),
        "skipped_buckets": runs[0]["skipped_buckets"],
        "delta_mb": median([r["delta_mb"] for r in runs]),
        "recall": runs[0]["recall"],
        "copies": len(hot),
        "pairs": runs[0]["pairs"],
    }


# ---------------------------------------------------------------- end to end


def timed_child(cmd: list[str], env: dict | None = None, cwd: Path | None = None, one_core: bool = False) -> dict:
    """Run ``cmd``; wall time and the child's own peak RSS (os.wait4 rusage). ``one_core``: the
    child and everything it starts may run on one core only (its CPU affinity)."""
    pin = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if one_core else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd, preexec_fn=pin)
    output = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode, "output": output}


def newsprov_run(
    input_dir: Path, out: Path, batch: str, config: Path | None = None, check: bool = True, one_core: bool = False
) -> dict:
    """``newsprov run`` in a child; ``config``: a luigi.cfg read after the repository's (LUIGI_CONFIG_PATH).
    ``check=False``: a failed run is returned (``rc``, its output) rather than ending the bench.
    ``one_core``: pinned to one core (its threads too)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if config is not None:
        env["LUIGI_CONFIG_PATH"] = str(config)
    res = timed_child(
        [
            sys.executable,
            "-m",
            "pipeline.orchestration.cli",
            "run",
            str(input_dir),
            "--out",
            str(out),
            "--batch",
            batch,
        ],
        env=env,
        cwd=REPO,
        one_core=one_core,
    )
    if res["rc"] and check:
        raise SystemExit(f"bench: newsprov run failed (rc {res['rc']}):\n{res['output'][-3000:]}")
    res["stages"] = stage_times(out, batch, time.time() - res["wall_s"])
    counts = {}
    for line in res["output"].splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
        if line.strip().startswith("overlaps by relation"):
            counts["by_relation"] = line.split(":", 1)[1].strip()
    res["counts"] = counts
    return res


def stage_times(out: Path, batch: str, started: float) -> list[tuple[str, float]]:
    """(table, seconds since the previous one was published) for the batch's partitions, in the
    order they were published: where a run spent its time (a task publishes its tables at its end)."""
    published = sorted(
        (path.stat().st_mtime, path.parent.parent.name) for path in out.glob(f"*/{batch}/part-0.parquet")
    )
    report = out / "reports" / batch / "report.html"
    if report.exists():
        published.append((report.stat().st_mtime, "report"))
    times, previous = [], started
    for mtime, table in published:
        times.append((table, max(0.0, mtime - previous)))
        previous = max(previous, mtime)
    return times


def big_runs(paragraphs: list[list[str]], scale: dict, work: Path) -> dict:
    """The 1M-passage batch into an empty ``--out``, then the incremental batch against it."""
    big_dir, inc_dir = work / "inbox-1m" / "2025-01-01", work / "inbox-1m" / "2025-01-02"
    out = work / "out-1m"
    made = write_documents(big_dir, paragraphs, scale["big"], seed=3)
    write_documents(inc_dir, paragraphs, scale["inc"], seed=2, history=made)
    log(
        f"e2e: {scale['big']:,} documents ({sum(len(m) + 1 for m in made):,} passages expected) "
        f"+ {scale['inc']} written"
    )
    del made
    big = newsprov_run(big_dir, out, "2025-01-01", check=False)
    if big["rc"]:
        # Reported as measured (how far it got, its time and peak) instead of ending the bench.
        log(
            f"e2e 1M batch failed (rc {big['rc']}) after {big['wall_s']:.0f}s, peak {big['peak_rss_mb']:.0f} MB; "
            f"published: {[t for t, _ in big['stages']]}\n{big['output'][-2000:]}"
        )
        return {"big_failed": big}
    passages = big["counts"].get("passages", 0)
    log(f"e2e 1M batch: {passages:,} passages, {big['wall_s']:.1f}s, {big['peak_rss_mb']:.0f} MB")
    if passages < BIG_PASSAGES:
        log(f"warning: the big batch has {passages:,} passages, fewer than {BIG_PASSAGES:,}: raise SCALES big")
    inc = newsprov_run(inc_dir, out, "2025-01-02")
    log(f"e2e incremental against 1M: {inc['wall_s']:.1f}s, {inc['peak_rss_mb']:.0f} MB")
    return {"big": big, "incremental": inc}


def _runs_row(out: Path, batch: str, stage: str) -> dict:
    path = out / "runs" / batch / stage / "part-0.parquet"
    if not path.exists():
        return {}
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()[0]


def _relation_count(run: dict, relation: str) -> int:
    for item in run["counts"].get("by_relation", "").split(","):
        name, _, n = item.strip().partition("=")
        if name == relation and n.isdigit():
            return int(n)
    return 0


def growth_runs(paragraphs: list[list[str]], big_docs: int, inc_docs: int, work: Path, first: dict | None) -> dict:
    """The growth curve: four batches of ``big_docs`` documents, a month apart, into one ``--out``;
    an incremental batch of ``inc_docs`` (a day after, copies drawn from the batch before it) after
    the first, second and fourth, so the incremental runs against one, two and four batches of
    history, and the fourth big batch against three. ``first``: the first batch and its incremental
    already run (the full scale's 1M-passage batch, dated GROWTH_START, into ``work / "out-1m"``)."""
    inbox, out = work / "inbox-growth", work / ("out-1m" if first else "out-growth")
    big, inc, history = [], {}, 0
    for k in range(4):
        date = GROWTH_START + dt.timedelta(days=GROWTH_DAYS * k)
        if k == 0 and first:
            day = (date + dt.timedelta(days=1)).isoformat()
            big.append({**first["big"], "history": 0, "join": _runs_row(out, date.isoformat(), "CandidateJoin")})
            inc[0] = {
                **first["incremental"],
                "history": first["big"]["counts"].get("passages", 0),
                "join": _runs_row(out, day, "CandidateJoin"),
            }
            history = inc[0]["history"] + first["incremental"]["counts"].get("passages", 0)
            continue
        made = write_documents(inbox / date.isoformat(), paragraphs, big_docs, seed=30 + k)
        run = newsprov_run(inbox / date.isoformat(), out, date.isoformat(), check=False)
        if run["rc"]:
            log(f"growth batch {k + 1} failed (rc {run['rc']}), peak {run['peak_rss_mb']:.0f} MB")
            return {"big": big, "incremental": inc, "failed": run}
        run.update(history=history, join=_runs_row(out, date.isoformat(), "CandidateJoin"))
        big.append(run)
        history += run["counts"].get("passages", 0)
        log(
            f"growth batch {k + 1} against {run['history']:,} passages: {run['wall_s']:.1f}s, "
            f"{run['peak_rss_mb']:.0f} MB, same_story {_relation_count(run, 'same_story'):,}"
        )
        if k in (0, 1, 3):
            day = (date + dt.timedelta(days=1)).isoformat()
            write_documents(inbox / day, paragraphs, inc_docs, seed=40 + k, history=made)
            small = newsprov_run(inbox / day, out, day)
            small.update(history=history, join=_runs_row(out, day, "CandidateJoin"))
            inc[k] = small
            history += small["counts"].get("passages", 0)
            log(
                f"growth incremental against {small['history']:,} passages: {small['wall_s']:.1f}s, "
                f"{small['peak_rss_mb']:.0f} MB, same_story {_relation_count(small, 'same_story'):,}"
            )
        del made
    return {"big": big, "incremental": inc}


def growth_line(growth: dict) -> str:
    """The growth curve in one line: incremental time and peak RSS at the largest history over the
    smallest, and each run's same-story overlaps and skipped anchors."""
    big, inc = growth["big"], growth["incremental"]
    ratios = "growth_time_ratio=na growth_rss_ratio=na"
    if 0 in inc and 3 in inc:
        ratios = (
            f"growth_time_ratio={inc[3]['wall_s'] / inc[0]['wall_s']:.2f} "
            f"growth_rss_ratio={inc[3]['peak_rss_mb'] / inc[0]['peak_rss_mb']:.2f}"
        )
    runs = [("b", run) for run in big] + [("i", inc[k]) for k in sorted(inc)]
    return " ".join(
        [
            "growth",
            ratios,
            "history=" + "/".join(str(run["history"]) for _, run in runs),
            "wall_s=" + "/".join(fmt(run["wall_s"], 1) for _, run in runs),
            "peak_rss_mb=" + "/".join(fmt(run["peak_rss_mb"], 0) for _, run in runs),
            "same_story=" + "/".join(str(_relation_count(run, "same_story")) for _, run in runs),
            "skipped_anchors=" + "/".join(str(run.get("join", {}).get("skipped_anchors", "na")) for _, run in runs),
            "(runs: batches b1..b4, then incrementals after b1, b2, b4)",
        ]
    )


def growth_section(growth: dict) -> list[str]:
    """The growth curve's table for the results file."""
    L = ["## Growth curve (four batches a month apart into one `--out`, incremental batches a day after)\n"]
    L.append(
        "| run | history passages before it | passages | wall, s | peak RSS, MB | same_story overlaps | "
        "skipped anchors | skipped buckets |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    runs = [(f"batch {k + 1}", run) for k, run in enumerate(growth["big"])]
    runs += [(f"incremental after batch {k + 1}", growth["incremental"][k]) for k in sorted(growth["incremental"])]
    for name, run in runs:
        join = run.get("join", {})
        L.append(
            f"| {name} | {run['history']:,} | {run['counts'].get('passages', 0):,} | {run['wall_s']:.1f} | "
            f"{run['peak_rss_mb']:.0f} | {_relation_count(run, 'same_story'):,} | "
            f"{join.get('skipped_anchors', 'na')} | {join.get('skipped_buckets', 'na')} |"
        )
    L.append("")
    L.append(
        f"`growth_time_ratio` and `growth_rss_ratio`: the incremental batch after batch 4 over the one after "
        f"batch 1. Batches are {GROWTH_DAYS} days apart, over `[anchors] window_days` (30): story anchors "
        "of a batch are matched against its own month, copies (LSH bands) against all history.\n"
    )
    L.append("```\n" + growth_line(growth) + "\n```\n")
    return L


def comparison_rounds(
    documents_dir: Path, work: Path, repeats: int, first: dict, cores: bool, textdedup_python: str | None
) -> list[dict]:
    """``repeats`` rounds of the comparisons on one batch, interleaved: newsprov with its pool,
    newsprov in one process (``cores``), text-dedup (when its venv is given), each into fresh
    folders. Round one's pool run is ``first`` (already made, into the bench's ``--out``)."""
    one_cfg = work / "one-process.cfg"
    one_cfg.write_text("[parallel]\nprocesses = 1\n")
    rounds = []
    for r in range(repeats):
        scratch = work / f"round-{r}"
        scratch.mkdir()
        done = {"pool": first if r == 0 else newsprov_run(documents_dir, scratch / "out-pool", "2025-01-01")}
        if cores:
            # Pinned to one core: the serial stages use threads where numpy and Arrow let go of the GIL.
            done["one_process"] = newsprov_run(
                documents_dir, scratch / "out-one-process", "2025-01-01", one_cfg, one_core=True
            )
        if textdedup_python:
            done["textdedup"] = textdedup_run(textdedup_python, documents_dir, scratch)
        log(
            f"comparison round {r + 1}/{repeats}: "
            + ", ".join(f"{name} {run['wall_s']:.1f}s" for name, run in done.items() if "wall_s" in run)
        )
        rounds.append({name: {k: v for k, v in run.items() if k != "output"} for name, run in done.items()})
        shutil.rmtree(scratch, ignore_errors=True)  # a 20,000-document --out is hundreds of MB
    return rounds


def _round_ratios(rounds: list[dict], other: str) -> str:
    """'a s / b s = r; ...; median m' over the rounds, ``other`` over the pool run."""
    parts = [
        f"{r[other]['wall_s']:.1f} s / {r['pool']['wall_s']:.1f} s = {r[other]['wall_s'] / r['pool']['wall_s']:.2f}"
        for r in rounds
        if "wall_s" in r.get(other, {})
    ]
    ratio = median_ratio(rounds, other)
    return "; ".join(parts) + (f"; median {ratio:.2f}" if ratio is not None else "")


def median_ratio(rounds: list[dict], other: str) -> float | None:
    """The median over rounds of ``other``'s wall time over the pool run's, in the same round."""
    ratios = [r[other]["wall_s"] / r["pool"]["wall_s"] for r in rounds if "wall_s" in r.get(other, {})]
    return median(ratios) if ratios and len(ratios) == len(rounds) else None


def textdedup_run(python: str, documents_dir: Path, work: Path) -> dict:
    """text-dedup's MinHash near-dedup (its own venv) on the same documents, one row per document, with
    the settings a news team would pick: word 2-grams, 256 permutations, threshold 0.45, 2 workers."""
    data = work / "textdedup.jsonl"
    with data.open("w", encoding="utf-8") as f:
        for path in sorted(documents_dir.iterdir()):
            f.write(json.dumps({"text": path.read_text(encoding="utf-8")}) + "\n")
    cmd = [
        os.path.abspath(python),
        "-m",
        "text_dedup.minhash",
        "--path",
        "json",
        "--data_files",
        str(data),
        "--split",
        "train",
        "--cache_dir",
        str(work / "td-cache"),
        "--output",
        str(work / "td-out"),
        "--column",
        "text",
        "--ngram",
        "2",
        "--num_perm",
        "256",
        "--threshold",
        "0.45",
        "--hash_func",
        "xxh3",
        "--hash_bits",
        "32",
        "--num_proc",
        "2",
    ]
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TQDM_DISABLE="1")
    res = timed_child(cmd, env=env, cwd=work)
    if res["rc"]:
        log(f"text-dedup failed (rc {res['rc']}): {res['output'][-800:]}")
        return {"error": f"rc {res['rc']}"}
    return res


# ---------------------------------------------------------------- report


def write_results(
    path: Path, facts: dict, args, fp: dict, lsh: dict, hot: dict, e2e: dict, line: str, growth: dict | None = None
) -> str:
    r = fp["rate"]
    L = []
    L.append(f"# newsprov benchmark results ({args.scale} scale)\n")
    L.append(
        f"Generated by `bench/run.py --scale {args.scale}` on {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}. "
        f"Medians of {args.repeats} interleaved repeats unless noted. Ratios are the result; absolute numbers "
        "are for context and depend on the machine. Every `_vs_`/speedup ratio is newsprov's speed over the "
        "other's (> 1: newsprov is faster); `lsh_mem_ratio` is newsprov's peak memory over datasketch's "
        "(< 1: newsprov uses less).\n"
    )
    L.append("## Machine\n")
    L.append(f"- CPU: {facts['cpu']}, {facts['cores']} cores; RAM {facts['ram']}; {facts['os']}")
    L.append(f"- Python {facts['python']}; " + ", ".join(f"{k} {v}" for k, v in facts["packages"].items()))
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "pipeline"], capture_output=True, text=True
        ).stdout.splitlines()
        L.append(
            f"- Code: commit {head or '?'}"
            + (f", with {len(dirty)} uncommitted change(s) under pipeline/" if dirty else ", clean pipeline/")
        )
    except OSError:
        pass
    if facts.get("bench_s"):
        L.append(f"- This bench run, corpus generation included: {facts['bench_s'] / 60:.0f} minutes")
    if e2e.get("textdedup_version"):
        L.append(f"- text-dedup {e2e['textdedup_version']} (separate venv: {args.textdedup_python})")
    L.append("")
    L.append(f"## Fingerprint ({fp['n']} passages per repeat, text -> 128-value signature)\n")
    L.append("| method | passages/s | newsprov / method |")
    L.append("|---|---:|---:|")
    for name in (
        "newsprov",
        "datasketch_update",
        "datasketch_bulk",
        "rensa",
        "rensa_pretokenised",
        "floor_tokenise_hash64",
        "tokenise_only",
    ):
        if name in r:
            L.append(f"| {name} | {r[name]:,.0f} | {r['newsprov'] / r[name]:.2f}x |")
        else:
            L.append(f"| {name} | na | na |")
    L.append("")
    L.append(
        "All methods get the same passages; datasketch and rensa are fed `pipeline.lsh.fingerprint.shingles()` "
        "(same tokeniser, 3-word shingles), datasketch with `hashfunc=shingle_hash` and a prototype MinHash "
        "copied per passage (as `MinHash.bulk` does), so its signatures equal newsprov's (checked). rensa "
        "hashes the shingle strings with its own hash, so its values differ; `rensa_pretokenised` gets the "
        "shingle strings built before the clock starts (rensa's hashing alone; the summary line uses `rensa`, "
        "which, like datasketch and newsprov, starts from the text). `floor_tokenise_hash64` is newsprov's "
        "vectorised tokeniser (`pipeline.text.tokens.normal_word_ids`) plus one 64-bit hash per shingle and no "
        "permutations; `tokenise_only` is that tokeniser alone." + (f" {fp['rensa_note']}." if fp["rensa_note"] else "")
    )
    L.append("")
    ns, ds_ = lsh["newsprov"], lsh["datasketch"]
    L.append(f"## LSH candidate stage ({lsh['n']:,} passages, 32 bands x 4 rows, each run in a fresh process)\n")
    L.append("| | newsprov (band_rows + find_candidates) | datasketch MinHashLSH (insert + query all) |")
    L.append("|---|---:|---:|")
    L.append(
        f"| time, s | {ns['seconds']:.2f} (band_rows {ns['band_rows_s']:.2f}, find_candidates "
        f"{ns['find_candidates_s']:.2f}) | {ds_['seconds']:.2f} (insert {ds_['insert_s']:.2f}, query "
        f"{ds_['query_s']:.2f}) |"
    )
    L.append(f"| peak RSS over inputs, MB | {ns['delta_mb']:.0f} | {ds_['delta_mb']:.0f} |")
    L.append(f"| process peak RSS, MB | {ns['peak_mb']:.0f} | {ds_['peak_mb']:.0f} |")
    L.append(f"| candidate pairs (other document) | {ns['pairs']:,.0f} | {ds_['pairs']:,.0f} |")
    L.append(f"| planted-pair recall ({int(ns['planted']):,} pairs) | {ns['recall']:.4f} | {ds_['recall']:.4f} |")
    L.append("")
    L.append(
        "Inputs (signatures as a passages table for newsprov, LeanMinHash objects for datasketch) are built "
        'before the clock starts; "peak RSS over inputs" is the stage\'s high-water mark (VmHWM reset via '
        "/proc/self/clear_refs) minus RSS after the inputs were built. newsprov is given empty anchors and "
        "empty history, so only the LSH channel runs. datasketch's threshold is (1/32)^(1/4) = 0.42 with "
        "params=(32, 4). Planted pairs: light edits (2-15% of words) of another passage in another document."
    )
    L.append("")
    L.append(f"## Hot bucket ({hot['copies']:,} copies of one boilerplate paragraph among {lsh['n']:,} passages)\n")
    L.append(
        f"- newsprov candidate stage: {hot['seconds']:.2f} s (vs {ns['seconds']:.2f} s without), "
        f"{hot['delta_mb']:.0f} MB over inputs; skipped buckets (size > max_bucket_size=200): "
        f"{hot['skipped_buckets']}; candidate pairs {hot['pairs']:,}; planted recall {hot['recall']:.4f}."
    )
    L.append(
        f"- Without the cap the boilerplate alone would be {hot['copies'] * (hot['copies'] - 1) // 2:,} pairs "
        "(what an uncapped MinHashLSH query-all returns); datasketch was not timed on this case."
    )
    L.append("")
    L.append("## End to end (`newsprov run`, 1 Luigi worker, `[parallel] processes = 0`: every core)\n")
    first, inc, big, one = e2e["first"], e2e.get("incremental"), e2e.get("big"), e2e.get("one_process")
    full = bool(big or e2e.get("big_failed"))  # a 1M-passage run was made: the first batch is the comparison one

    def row(label: str, run: dict) -> str:
        c = run["counts"]
        return (
            f"| {label} | {c.get('documents', 0):,} | {c.get('passages', 0):,} | {c.get('overlaps', 0):,} | "
            f"{run['wall_s']:.1f} | {run['peak_rss_mb']:.0f} |"
        )

    L.append("| run | documents | passages | overlaps | wall, s | peak RSS, MB |")
    L.append("|---|---:|---:|---:|---:|---:|")
    if full:
        if big:
            L.append(row("1M-passage batch (empty history): `e2e_1m_s`, `e2e_peak_rss_mb`", big))
            L.append(row("incremental batch against the 1M-passage history: `incremental_s`", inc))
        L.append(row("20,000-document batch (empty history): text-dedup and two-cores comparisons", first))
    else:
        L.append(row("first batch (empty history): `e2e_1m_s`, `e2e_peak_rss_mb`", first))
        L.append(row("incremental batch against it: `incremental_s`", inc))
    if one:
        L.append(
            row(
                ("the 20,000-document batch" if full else "first batch")
                + " again on one core, `[parallel] processes = 1`",
                one,
            )
        )
    L.append("")
    rounds = e2e.get("rounds", [])
    if one:
        L.append(
            f"`two_cores_speedup`: the {first['counts'].get('documents', 0):,}-document batch in one process "
            "pinned to one core (its CPU affinity: threads too) "
            f"over the same batch with worker processes on the {facts['cores']} cores (ingest, passages, "
            "anchors, align and paraphrase run in a pool; the tables are the same), the median over "
            f"{len(rounds)} interleaved rounds of the two runs (the rows above are round one's): "
            + _round_ratios(rounds, "one_process")
            + ". Peak RSS is the main process's; the pool's workers are not counted."
        )
        L.append("")
    failed = e2e.get("big_failed")
    if failed:
        L.append(
            f"**The 1M-passage batch failed** (rc {failed['rc']}) after {failed['wall_s']:.0f} s at a peak RSS "
            f"of {failed['peak_rss_mb']:.0f} MB, having published: "
            + (", ".join(f"{t} (+{sec:.0f} s)" for t, sec in failed["stages"]) or "nothing")
            + f". Its last output lines:\n\n```\n{failed['output'][-1500:].strip()}\n```\n"
        )
        L.append("`e2e_1m_s`, `e2e_peak_rss_mb` and `incremental_s` are therefore `na`.")
        L.append("")
    for name, run in (
        ("1M-passage batch", big),
        ("incremental batch", inc if big else None),
        ("20,000-document batch" if full else "first batch", first),
    ):
        if run and run.get("stages"):
            L.append(
                f"Where the {name} spent its time (each table or report, seconds since the one before was "
                "published; a task publishes at its end): "
                + ", ".join(f"{t} {sec:.0f}" for t, sec in run["stages"])
                + "."
            )
            L.append("")
    runs = (
        [("1M-passage batch", big), ("incremental", inc), ("20,000-document batch", first)]
        if big
        else [("20,000-document batch", first)]
        if e2e.get("big_failed")
        else [("first batch", first), ("incremental", inc)]
    )
    L.append(
        "Overlaps by relation: "
        + "; ".join(f"{name}: {run['counts'].get('by_relation', '?')}" for name, run in runs)
        + "."
    )
    L.append("")
    if big:
        passages = big["counts"].get("passages", 0)
        short = "" if passages >= BIG_PASSAGES else f" (**fewer than {BIG_PASSAGES:,}**: raise SCALES big)"
        L.append(
            f"The summary line's `e2e_1m_s` and `e2e_peak_rss_mb` are the first row: "
            f"{big['counts'].get('documents', 0):,} documents / {passages:,} passages{short}, into an empty "
            "`--out`; `incremental_s` is the second row, a batch dated a day later into the same `--out`, its "
            "copies drawn from the 1M-passage batch too. Documents: 6-14 generated paragraphs each under a "
            "title; 10% copy an earlier document (half whole with light edits, half an excerpt plus new "
            "paragraphs)."
        )
    elif not e2e.get("big_failed"):
        L.append(
            f"At this scale the summary line's `e2e_1m_s` and `e2e_peak_rss_mb` are the first batch: "
            f"{first['counts'].get('documents', 0):,} documents / {first['counts'].get('passages', 0):,} "
            "passages, **not 1M passages** (the full scale runs 1M); `incremental_s` is the second row, "
            "its copies drawn from the first batch too. Documents: 6-14 generated paragraphs each; 10% copy "
            "an earlier document (half whole with light edits, half an excerpt plus new paragraphs)."
        )
    L.append("")
    td = e2e.get("textdedup")
    if td and "wall_s" in td:
        L.append(
            f"text-dedup {e2e.get('textdedup_version')} `text_dedup.minhash` on the same "
            f"{first['counts'].get('documents', 0):,} documents (one row each; its news settings: word 2-grams, "
            f"256 permutations, threshold 0.45, xxh3, num_proc=2; a fresh cache each round): "
            f"{td['peak_rss_mb']:.0f} MB peak RSS of its main process in round one (it forks workers). "
            "`e2e_vs_textdedup` is text-dedup's wall time over newsprov's (with its pool) in the same round, "
            f"the median over {len(rounds)} rounds: "
            + _round_ratios(rounds, "textdedup")
            + ". text-dedup only fingerprints, buckets and drops whole-document duplicates; newsprov also "
            "ingests, splits passages, aligns, attributes and links, so the ratio (above 1: newsprov is "
            "faster) compares whole tools, not equal work."
        )
    else:
        L.append(f"text-dedup: not measured ({e2e.get('textdedup_note', 'no text-dedup venv given')}).")
    L.append("")
    if growth:
        L += growth_section(growth)
    L.append("## Summary line\n")
    L.append("```")
    L.append(line)
    L.append("```")
    text = "\n".join(L) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument(
        "--docs",
        type=Path,
        default=REPO.parent / "shared" / "eval" / "dev" / "docs",
        help="source articles (*.txt), read in place",
    )
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results.md")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--textdedup-python",
        default=None,
        help="python of a venv with text-dedup installed (bench only); skipped when absent",
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--skip", default="", help="comma list of stages to skip: fp,lsh,hot,e2e,textdedup,cores,growth"
    )
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "INPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        kind, path = args.worker
        result = {"newsprov": worker_newsprov, "datasketch": worker_datasketch}[kind](Path(path))
        print(json.dumps(result))
        return 0

    if args.repeats < 3:
        log("note: fewer than 3 repeats; medians are less robust")
    scale = SCALES[args.scale]
    skip = set(filter(None, args.skip.split(",")))
    work = args.work or Path(tempfile.mkdtemp(prefix="newsprov-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    log(f"scale {args.scale}, scratch {work}")
    try:
        facts = machine_facts()
        paragraphs = load_paragraphs(args.docs)
        log(f"{len(paragraphs)} source paragraphs from {args.docs}")

        from pipeline.lsh.fingerprint import FingerprintParams, signatures

        # One passage corpus for fingerprint, LSH and hot bucket.
        corpus = passage_corpus(paragraphs, scale["lsh"], seed=11)
        fp = {"n": 0, "rate": {}, "rensa_note": "skipped", "times": {}}
        if "fp" not in skip:
            fp = fingerprint_bench(corpus.texts[: scale["fp"]], args.repeats)
        lsh = hot = None
        if not {"lsh", "hot"} <= skip:
            t0 = time.perf_counter()
            sigs = signatures(corpus.texts, FingerprintParams())
            log(f"signatures of {len(sigs):,} passages: {time.perf_counter() - t0:.1f}s")
            sig = np.stack(sigs).astype(np.uint32)  # every generated passage has words
            doc = np.asarray(corpus.doc_of, dtype=np.int64)
            planted = np.asarray(corpus.planted, dtype=np.int64).reshape(-1, 2)
            del sigs
        if "lsh" not in skip:
            lsh = lsh_bench(sig, doc, planted, work, args.repeats)
        if "hot" not in skip:
            hot_sig = np.asarray(signatures([BOILERPLATE], FingerprintParams())[0], dtype=np.uint32)
            hot = hot_bench(sig, doc, planted, hot_sig, scale["hot"], work, args.repeats, np.random.default_rng(5))

        e2e: dict = {}
        if "e2e" not in skip:
            del corpus
            first_dir, inc_dir, out = work / "inbox" / "2025-01-01", work / "inbox" / "2025-01-02", work / "out"
            made = write_documents(first_dir, paragraphs, scale["e2e"], seed=1)
            if not scale["big"]:
                write_documents(inc_dir, paragraphs, scale["inc"], seed=2, history=made)
            del made
            log(f"e2e: {scale['e2e']} documents written")
            e2e["first"] = newsprov_run(first_dir, out, "2025-01-01")
            log(f"e2e first batch: {e2e['first']['wall_s']:.1f}s, {e2e['first']['peak_rss_mb']:.0f} MB")
            if not scale["big"]:
                e2e["incremental"] = newsprov_run(inc_dir, out, "2025-01-02")
                log(f"e2e incremental: {e2e['incremental']['wall_s']:.1f}s")
            td_python = None
            if "textdedup" in skip:
                e2e["textdedup_note"] = "skipped with --skip textdedup"
            elif not args.textdedup_python or not Path(args.textdedup_python).exists():
                e2e["textdedup_note"] = (
                    "no text-dedup venv: `make bench` builds one in bench/.venv-textdedup; pass --textdedup-python"
                )
            else:
                ver = subprocess.run(
                    [args.textdedup_python, "-c", "import importlib.metadata as m; print(m.version('text-dedup'))"],
                    capture_output=True,
                    text=True,
                )
                if ver.returncode:
                    e2e["textdedup_note"] = "text-dedup not importable in the given venv"
                else:
                    e2e["textdedup_version"] = ver.stdout.strip()
                    td_python = args.textdedup_python
            e2e["rounds"] = comparison_rounds(
                first_dir, work, args.repeats, e2e["first"], "cores" not in skip, td_python
            )
            failed = [r["textdedup"] for r in e2e["rounds"] if r.get("textdedup") and "wall_s" not in r["textdedup"]]
            if failed:
                e2e["textdedup_note"] = f"text-dedup run failed ({failed[0]['error']})"
            elif td_python:
                e2e["textdedup"] = e2e["rounds"][0]["textdedup"]
            if "cores" not in skip:
                e2e["one_process"] = e2e["rounds"][0]["one_process"]
            if scale["big"]:
                e2e.update(big_runs(paragraphs, scale, work))
        growth = None
        if "growth" not in skip:
            big_docs, inc_docs = scale["growth"] or (scale["big"], scale["inc"])
            done = e2e if "big" in e2e and "incremental" in e2e and scale["big"] else None
            if scale["big"] and not done:
                log("growth: no 1M-passage batch to start from; the curve is left out")
            else:
                growth = growth_runs(paragraphs, big_docs, inc_docs, work, done)
                print(growth_line(growth))

        r = fp["rate"]
        vs = lambda other: fmt(r["newsprov"] / r[other]) if other in r and "newsprov" in r else "na"  # noqa: E731
        td_ratio = median_ratio(e2e.get("rounds", []), "textdedup")
        cores_ratio = median_ratio(e2e.get("rounds", []), "one_process")
        # e2e_1m_s is the 1M-passage batch at full scale; small scale has none and reports its first batch.
        headline = None if "big_failed" in e2e else e2e.get("big") or e2e.get("first")

        def times(value: str) -> str:
            return value if value == "na" else value + "x"

        line = " ".join(
            [
                "bench",
                f"fingerprint_vs_datasketch={times(vs('datasketch_bulk'))}",
                f"fingerprint_vs_rensa={times(vs('rensa'))}",
                f"lsh_speedup={times(fmt(lsh['datasketch']['seconds'] / lsh['newsprov']['seconds']) if lsh else 'na')}",
                f"lsh_mem_ratio={fmt(lsh['newsprov']['delta_mb'] / lsh['datasketch']['delta_mb']) if lsh else 'na'}",
                f"hot_bucket_s={fmt(hot['seconds']) if hot else 'na'}",
                f"e2e_1m_s={fmt(headline['wall_s'], 1) if headline else 'na'}",
                f"e2e_peak_rss_mb={fmt(headline['peak_rss_mb'], 0) if headline else 'na'}",
                f"incremental_s={fmt(e2e['incremental']['wall_s'], 1) if 'incremental' in e2e else 'na'}",
                f"e2e_vs_textdedup={times(fmt(td_ratio) if td_ratio is not None else 'na')}",
                f"two_cores_speedup={times(fmt(cores_ratio) if cores_ratio is not None else 'na')}",
                *(growth_line(growth).split()[1:3] if growth else ["growth_time_ratio=na", "growth_rss_ratio=na"]),
            ]
        )
        if fp["rate"] and lsh and hot and e2e.get("first"):
            facts["bench_s"] = time.perf_counter() - started
            text = write_results(args.results, facts, args, fp, lsh, hot, e2e, line, growth)
            print(text)
        else:
            print(
                json.dumps(
                    {
                        "fp": fp,
                        "lsh": lsh,
                        "hot": hot,
                        "e2e": {
                            k: {kk: vv for kk, vv in v.items() if kk != "output"} if isinstance(v, dict) else v
                            for k, v in e2e.items()
                        },
                    },
                    indent=1,
                    default=str,
                )
            )
            log(f"some stages skipped: {args.results} not written")
        log(f"total {time.perf_counter() - started:.0f}s")
        print(line)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
