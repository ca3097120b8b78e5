"""Build pipeline/data/outlets.tsv and pipeline/data/name_rules.tsv.

Sources:
  * ../shared/outlets/wikidata_newspapers.csv (Wikidata, CC0) -- newspapers;
  * pipeline/data/outlets_curated.tsv (curated by the project) -- agencies,
    broadcasters, magazines, digital outlets, photo agencies and the major papers.

Row order in outlets.tsv is match priority: curated rows first, then Wikidata
rows by ascending QID number (older items tend to be the better known ones), so
"The Times" resolves to the London paper, not one of five local Times.

name_rules.tsv lists surfaces that must not match anywhere: single words
("Post", "Mint", "Iran") need a cue or an outlet descriptor next to them.

Usage: python scripts/build_gazetteer.py [--wikidata PATH]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "pipeline" / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared"  # ../shared beside the checkout
DEFAULT_WIKIDATA = SHARED / "outlets" / "wikidata_newspapers.csv"
DEFAULT_LEXICON = SHARED / "lexicon" / "oewn-synsets.tsv"

# Archive and library hosts Wikidata lists next to an outlet's own domain.
_ARCHIVE_HOSTS = re.compile(
    r"newsbank|loc\.gov|proquest|pressdisplay|lexis|rdsinc|gallica|oclc|auburn\.edu|crl\.edu|"
    r"bnf\.fr|retronews|archive\.org|trove|delpher|europeana"
)
_DOMAIN_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}$")


@dataclass
class Row:
    outlet_id: str
    name: str
    aliases: list[str]
    type: str
    domain: str
    country: str
    domains: set[str] = field(default_factory=set)


def _wikidata_type(description: str) -> str:
    d = description.lower()
    if "news agency" in d:
        return "agency"
    if "magazine" in d:
        return "magazine"
    if "website" in d or "online newspaper" in d or "news site" in d:
        return "digital"
    return "newspaper"


def _clean_aliases(values: list[str], name: str) -> list[str]:
    out: list[str] = []
    for value in values:
        value = value.strip()
        # Domains live in the domain column; comma lists are Wikidata glitches.
        if not value or value == name or "," in value or _DOMAIN_LIKE.match(value):
            continue
        if len(value.replace(".", "")) < 2 or value in out:
            continue
        out.append(value)
    return out


def read_wikidata(path: Path) -> list[Row]:
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            domains = [d for d in rec["domains"].split("|") if d]
            own = [d for d in domains if not _ARCHIVE_HOSTS.search(d)]
            aliases = rec["aliases"].split("|") + rec["short_name"].split("|")
            rows.append(
                Row(
                    outlet_id=rec["qid"],
                    name=rec["label"].strip(),
                    aliases=_clean_aliases(aliases, rec["label"].strip()),
                    type=_wikidata_type(rec["description"]),
                    domain=(own or domains or [""])[0],
                    country=rec["country"].split("|")[0],
                    domains=set(domains),
                )
            )
    return rows


def read_curated(path: Path) -> tuple[list[Row], set[str]]:
    rows, free = [], set()
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            rows.append(
                Row(
                    outlet_id=rec["outlet_id"],
                    name=rec["name"],
                    aliases=_clean_aliases(rec["aliases"].split("|"), rec["name"]),
                    type=rec["type"],
                    domain=rec["domain"],
                    country=rec["country"],
                    domains={rec["domain"]} if rec["domain"] else set(),
                )
            )
            free.update(s for s in rec["free"].split("|") if s)
    return rows, free


def merge(curated: list[Row], wikidata: list[Row]) -> list[Row]:
    """Curated rows first; a Wikidata row merges into the curated row of the same
    QID, or of the same name when the two share a domain (then the curated row
    takes the QID: the shared domain makes the identity certain)."""
    by_qid = {r.outlet_id: r for r in wikidata}
    by_name: dict[str, list[Row]] = {}
    for r in wikidata:
        for n in {r.name, *r.aliases}:
            by_name.setdefault(n.lower(), []).append(r)
    merged_ids: set[str] = set()
    out = []
    for c in curated:
        match = by_qid.get(c.outlet_id)
        if match is None and c.outlet_id.startswith("np:"):
            same = [w for w in by_name.get(c.name.lower(), []) if w.domains & c.domains]
            if len(same) == 1:
                match = same[0]
                c.outlet_id = match.outlet_id
        if match is not None:
            merged_ids.add(match.outlet_id)
            for a in [match.name, *match.aliases]:
                if a != c.name and a not in c.aliases:
                    c.aliases.append(a)
            c.country = c.country or match.country
            c.domain = c.domain or match.domain
        out.append(c)
    rest = [w for w in wikidata if w.outlet_id not in merged_ids]
    rest.sort(key=lambda r: int(r.outlet_id[1:]))
    return out + rest


def _key(surface: str) -> str:
    return re.sub(r"^The\s+", "", surface.strip())


def english_words(path: Path) -> set[str]:
    """Single-word lemmas of Open English WordNet, lowercased (only used to flag names)."""
    words: set[str] = set()
    if not path.is_file():
        return words
    with path.open(encoding="utf-8") as fh:
        next(fh, None)
        for line in fh:
            members = line.rstrip("\n").split("\t")[-1]
            words.update(m.lower() for m in members.split("|") if " " not in m)
    return words


def name_rules(
    rows: list[Row], curated_ids: set[str], free: set[str], countries: set[str], words: set[str] = frozenset()
) -> dict[str, str]:
    """cue: needs a reporting cue or descriptor; descriptor: needs 'newspaper' & co.;
    never: too short to be told apart from ordinary text."""
    rules: dict[str, str] = {}
    for r in rows:
        for surface in [r.name, *r.aliases]:
            key = _key(surface)
            if len(key.split()) != 1 or key in free:
                continue
            bare = key.replace(".", "")
            if key[:1].islower() and r.outlet_id not in curated_ids:
                rule = "never"  # "The financial", "aktiv": lowercase words are ordinary text
            elif key in countries or (key.lower() in words and r.outlet_id not in curated_ids):
                # "Iran", "Press", "The Fed", "The American": ordinary words unless named as a paper
                rule = "descriptor"
            elif len(bare) < 2 or (len(bare) < 3 and r.outlet_id not in curated_ids):
                rule = "never"
            elif key.isupper() and len(bare) >= 3 and r.outlet_id in curated_ids:
                continue  # curated acronyms (CNN, AFP) are distinctive
            else:
                rule = "cue"
            previous = rules.get(key)
            # The loosest rule of any owner of the surface wins, never the strictest.
            order = {"cue": 0, "descriptor": 1, "never": 2}
            if previous is None or order[rule] < order[previous]:
                rules[key] = rule
    return rules


def write(rows: list[Row], rules: dict[str, str]) -> None:
    with (DATA / "outlets.tsv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["outlet_id", "name", "aliases", "type", "domain", "country"])
        for r in rows:
            w.writerow([r.outlet_id, r.name, "|".join(r.aliases), r.type, r.domain, r.country])
    with (DATA / "name_rules.tsv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["surface", "rule"])
        for surface in sorted(rules):
            w.writerow([surface, rules[surface]])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wikidata", type=Path, default=DEFAULT_WIKIDATA)
    ap.add_argument(
        "--lexicon",
        type=Path,
        default=DEFAULT_LEXICON,
        help="Open English WordNet synsets TSV; single-word names that are English words need a descriptor",
    )
    args = ap.parse_args(argv)
    if not args.wikidata.is_file():
        print(f"build_gazetteer: {args.wikidata} not found; pass --wikidata PATH", file=sys.stderr)
        return 2
    wikidata = read_wikidata(args.wikidata)
    curated, free = read_curated(DATA / "outlets_curated.tsv")
    curated_ids = {r.outlet_id for r in curated}
    rows = merge(curated, wikidata)
    curated_ids |= {r.outlet_id for r in rows[: len(curated)]}
    countries = {c for r in wikidata for c in r.country.split("|") if c} | {"Iran", "Bolivia"}
    rules = name_rules(rows, curated_ids, free, countries, english_words(args.lexicon))
    write(rows, rules)
    print(f"{len(rows)} outlets ({len(curated)} curated), {len(rules)} name rules -> {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
