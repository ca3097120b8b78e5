"""Derive the packaged WordNet tables that pipeline.text.synonyms reads.

Input: the Open English WordNet synsets table (``synset_id, pos, lexfile, members``), by default
../shared/lexicon/oewn-synsets.tsv. Output, in pipeline/data/:

- ``wordnet_synonyms.tsv``: ``word<TAB>synset ids`` (space-separated), one row per single-token
  lemma in its normal form (pipeline.text.tokens.normal_form), sorted by word.
- ``wordnet_languages.tsv``: one language name a line ("chinese", "english", ...).

Multi-word lemmas are dropped: the tokenizer never produces them as one token, and the
alignment that calls Lexicon.are_synonyms compares one token with one token.

    python scripts/build_lexicon.py [--source PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.text.tokens import normal_form  # noqa: E402

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "lexicon" / "oewn-synsets.tsv"
# What the tokenizer turns into exactly one token (hyphens and spaces split tokens).
_ONE_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_COLUMNS = ["synset_id", "pos", "lexfile", "members"]


def _one_token_norm(member: str) -> str | None:
    if not _ONE_TOKEN.fullmatch(member.replace(".", "")):
        return None
    return normal_form(member)


def build(source: Path, out: Path) -> tuple[int, int]:
    """Write both tables; return (words, languages)."""
    synsets_of: dict[str, list[str]] = defaultdict(list)
    communication_caps: dict[str, set[str]] = defaultdict(set)  # word -> synset ids
    pertainym_caps: set[str] = set()
    named_as_language: set[str] = set()  # "Korean" in a synset that also has "Korean language"
    lowercase_lemmas: set[str] = set()  # "chin", "crow", "same": also ordinary words
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header != _COLUMNS:
            raise SystemExit(f"{source}: expected columns {_COLUMNS}, got {header}")
        for synset_id, _pos, lexfile, members in reader:
            names = members.split("|")
            for member in names:
                norm = _one_token_norm(member)
                if norm is None:
                    continue
                if synset_id not in synsets_of[norm]:
                    synsets_of[norm].append(synset_id)
                if not member[:1].isupper():
                    lowercase_lemmas.add(norm)
                else:
                    if lexfile == "noun.communication":
                        communication_caps[norm].add(synset_id)
                        if f"{member} language" in names:
                            named_as_language.add(norm)
                    elif lexfile == "adj.pert":
                        pertainym_caps.add(norm)
    # A capitalised noun.communication lemma is also "Bible", "Genesis", "Koran": a language
    # name is listed as "<X> language" in its synset or has a capitalised pertainym adjective
    # ("Chinese" food). One that is also an ordinary lowercase word (Sami "Same", "Chin",
    # "Crow") needs both, so "Polish" stays and "the same language" is not folded.
    languages = sorted(
        w for w in communication_caps if (w in named_as_language) + (w in pertainym_caps) > (w in lowercase_lemmas)
    )
    out.mkdir(parents=True, exist_ok=True)
    with (out / "wordnet_synonyms.tsv").open("w", encoding="utf-8", newline="\n") as handle:
        for word in sorted(synsets_of):
            handle.write(f"{word}\t{' '.join(synsets_of[word])}\n")
    (out / "wordnet_languages.tsv").write_text("".join(f"{w}\n" for w in languages), encoding="utf-8")
    return len(synsets_of), len(languages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="oewn-synsets.tsv")
    parser.add_argument("--out", type=Path, default=REPO / "pipeline" / "data", help="output folder")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"{args.source} not found: pass --source PATH to the OEWN synsets table")
    words, languages = build(args.source, args.out)
    print(f"wrote {words} words and {languages} language names to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
