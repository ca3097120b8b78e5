"""The outlet gazetteer: outlets shipped with the package, and finding them in text.

Matching is token based, leftmost-longest and case-aware:
  * "Zambia Daily Mail" is never "Daily Mail": a name glued to a capitalised word
    before or after it ("Canada Post", "Post Office", "Times Square",
    "Reuters Holdings") is a different proper noun;
  * single-word names ("Time", "Post", "Mint", "Iran") only match next to a
    reporting cue or an outlet descriptor (rules in data/name_rules.tsv);
  * multi-word names also match their synonym-spun forms ("New York Instances",
    "Getty Photographs"), reported with ``is_fuzzy=True``. The spin table is small
    and explicit so that ordinary words never match.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyarrow as pa

from pipeline.core.errors import ConfigError, InputError
from pipeline.core.schema import OUTLET_TYPES, OUTLETS
from pipeline.text.cues import (
    CALENDAR_WORDS,
    NAME_LEFT_CUE,
    NAME_LEFT_DESCRIPTOR,
    NAME_RIGHT_CUE,
    NAME_RIGHT_DESCRIPTOR,
)
from pipeline.text.sentences import BEFORE_SENTENCE_START
from pipeline.text.tokens import NAME_TOKEN, LazyNameTokens, NameToken, name_tokens

RULES = ("cue", "descriptor", "never")

# Word-level substitutions synonym spinners make in outlet names (lowercase).
# Multi-word replacements are space-separated.
SPIN_VARIANTS: dict[str, tuple[str, ...]] = {
    "times": ("instances", "occasions", "occasions", "events"),
    "images": ("photographs", "pictures", "photos", "pictures"),
    "image": ("photograph", "picture"),
    "post": ("publish", "submit", "put up", "put up"),
    "news": ("information", "data", "info"),
    "journal": ("diary", "log"),
    "daily": ("day by day", "every day", "each day", "day-to-day"),
    "press": ("media", "push"),
    "associated": ("related", "affiliated", "linked"),
    "financial": ("monetary", "fiscal", "economic"),
    "street": ("road", "avenue"),
    "world": ("globe",),
    "international": ("worldwide", "global"),
    "national": ("nationwide",),
    "global": ("world", "international", "worldwide"),
    "herald": ("harbinger",),
    "agency": ("company", "company"),
    "corporation": ("company", "firm"),
    "broadcasting": ("broadcast", "broadcasting"),
    "review": ("overview", "evaluation", "assessment"),
    "today": ("at present", "nowadays", "right now", "these days"),
    "morning": ("morning",),
    "evening": ("night",),
    "standard": ("customary", "normal"),
    "new": ("recent",),
    "star": ("celebrity",),
    "sun": ("solar",),
    "economic": ("financial", "economical"),
    "business": ("enterprise", "enterprise"),
    "service": ("service",),
}
_MAX_VARIANTS_PER_NAME = 256

# Capitalised words that may precede a name without making it part of another
# proper noun ("In Reuters' report", "According to CNN").
_FUNCTION_WORDS = frozenset(
    [
        "A",
        "An",
        "And",
        "As",
        "At",
        "But",
        "By",
        "For",
        "From",
        "If",
        "In",
        "Of",
        "On",
        "Or",
        "Per",
        "Since",
        "So",
        "Than",
        "That",
        "Then",
        "Though",
        "To",
        "Via",
        "When",
        "While",
        "With",
        "According",
        "Told",
        "Tells",
        "Citing",
        "Quoting",
        "Reported",
        "Said",
        "Says",
        "Also",
        "Yet",
        "Unlike",
    ]
)
# Capitalised words that may follow a name ("told CNN Thursday").
_NEXT_OK = CALENDAR_WORDS | frozenset(
    [
        "I",
        "Poll",
        "Polls",
        "Survey",
        "Pollster",
        "Editorial",
        "Op-Ed",
        "Interview",
    ]
)


@dataclass(frozen=True)
class Outlet:
    """One row of the OUTLETS table."""

    outlet_id: str
    name: str
    aliases: tuple[str, ...]
    type: str
    domain: str | None
    country: str | None


@dataclass(frozen=True)
class OutletMention:
    """An outlet named in a text: ``text[start:end] == surface``."""

    start: int
    end: int
    outlet_id: str
    surface: str
    is_fuzzy: bool


@dataclass(frozen=True)
class _Entry:
    tokens: tuple[str, ...]
    outlet_index: int
    is_fuzzy: bool
    rule: str | None


_ID = re.compile(r"^(?:Q[1-9]\d*|np:[a-z0-9][a-z0-9-]*)$")


def _strip_the(surface: str) -> str:
    return re.sub(r"^The\s+", "", surface.strip())


def _spin_forms(word: str) -> list[tuple[str, ...]]:
    """Spun replacements of one name token, keeping its capitalisation."""
    forms = []
    for variant in SPIN_VARIANTS.get(word.lower(), ()):
        parts = [t.group() for t in NAME_TOKEN.finditer(variant)]
        if word[:1].isupper():
            forms.append(tuple([parts[0].capitalize(), *parts[1:]]))
            forms.append(tuple(p.capitalize() if p[0].isalpha() else p for p in parts))
        else:
            forms.append(tuple(parts))
    return list(dict.fromkeys(forms))


class Gazetteer:
    """Outlets and their names, with a matcher over text.

    ``outlets`` is in priority order: when two outlets share a surface form, the
    earlier one is reported. ``rules`` maps a surface (without a leading "The")
    to cue / descriptor / never; surfaces not listed match anywhere.
    """

    def __init__(self, outlets: Sequence[Outlet], rules: dict[str, str] | None = None):
        if not outlets:
            raise ConfigError(
                "gazetteer has no outlets; rebuild pipeline/data/outlets.tsv with scripts/build_gazetteer.py"
            )
        seen: set[str] = set()
        for o in outlets:
            if not _ID.match(o.outlet_id):
                raise ConfigError(f"outlet id {o.outlet_id!r} must be a Wikidata QID (Q123) or 'np:<slug>'")
            if o.outlet_id in seen:
                raise ConfigError(f"outlet id {o.outlet_id!r} appears twice; merge the two rows")
            seen.add(o.outlet_id)
            if not o.name.strip():
                raise ConfigError(f"outlet {o.outlet_id} has an empty name")
            if o.type not in OUTLET_TYPES:
                raise ConfigError(f"outlet {o.outlet_id} has type {o.type!r}; use one of {', '.join(OUTLET_TYPES)}")
        rules = dict(rules or {})
        for surface, rule in rules.items():
            if rule not in RULES:
                raise ConfigError(f"name rule for {surface!r} is {rule!r}; use one of {', '.join(RULES)}")
        self._outlets = tuple(outlets)
        self._index = {o.outlet_id: i for i, o in enumerate(self._outlets)}
        self._rules = rules
        self._trie: dict = {}
        self._first_words: set[str] = set()  # each name's first token as written
        self._caseless_first: set[str] = set()  # lowercased first tokens that do not start with a letter
        self._one_word_names: set[str] = set()  # lowercased one-word names
        self._two_word_starts: set[tuple[str, str]] = set()  # lowercased first two words of longer names
        self._build()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None, rules_path: str | Path | None = None) -> Gazetteer:
        """Read the packaged gazetteer, or the TSV files given."""
        data = resources.files("pipeline.data")
        outlets_text = _read(path, data.joinpath("outlets.tsv"))
        if rules_path is None and path is not None:
            sibling = Path(path).with_name("name_rules.tsv")
            rules_text = sibling.read_text(encoding="utf-8") if sibling.is_file() else ""
        else:
            rules_text = _read(rules_path, data.joinpath("name_rules.tsv"))
        return cls(_parse_outlets(outlets_text, str(path or "pipeline/data/outlets.tsv")), _parse_rules(rules_text))

    @classmethod
    @functools.lru_cache(maxsize=1)
    def packaged(cls) -> Gazetteer:
        """The packaged gazetteer, loaded once per process (building it takes about half a second)."""
        return cls.load()

    # ------------------------------------------------------------------ access
    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return self._outlets

    def __len__(self) -> int:
        return len(self._outlets)

    def outlet(self, outlet_id: str) -> Outlet:
        try:
            return self._outlets[self._index[outlet_id]]
        except KeyError:
            raise InputError(f"outlet id {outlet_id!r} is not in the gazetteer") from None

    def outlets_table(self) -> pa.Table:
        """The gazetteer as a table conforming to ``pipeline.core.schema.OUTLETS``."""
        cols = {
            "outlet_id": [o.outlet_id for o in self._outlets],
            "name": [o.name for o in self._outlets],
            "aliases": [list(o.aliases) for o in self._outlets],
            "type": [o.type for o in self._outlets],
            "domain": [o.domain for o in self._outlets],
            "country": [o.country for o in self._outlets],
        }
        return pa.Table.from_pydict(cols, schema=OUTLETS)

    # ------------------------------------------------------------------ matching
    def _build(self) -> None:
        exact: set[tuple[str, ...]] = set()
        pending_fuzzy: list[_Entry] = []
        for i, o in enumerate(self._outlets):
            for surface in dict.fromkeys([o.name, *o.aliases]):
                key = _strip_the(surface)
                rule = self._rules.get(key)
                if rule == "never":
                    continue
                toks = tuple(t.text for t in name_tokens(key))
                if not toks:
                    continue
                self._insert(_Entry(toks, i, False, rule))
                exact.add(tuple(t.lower() for t in toks))
                if len(key.split()) >= 2:
                    pending_fuzzy.extend(self._variants(toks, i))
        for entry in pending_fuzzy:
            if tuple(t.lower() for t in entry.tokens) not in exact:
                self._insert(entry)
        self._one_word_names = {first for first, node in self._trie.items() if None in node}
        self._two_word_starts = {
            (first, second) for first, node in self._trie.items() for second in node if second is not None
        }

    def _variants(self, toks: tuple[str, ...], index: int) -> Iterable[_Entry]:
        options = [[(t,)] + _spin_forms(t) for t in toks]
        if all(len(o) == 1 for o in options):
            return []
        out = []
        for combo in itertools.islice(itertools.product(*options), 1, _MAX_VARIANTS_PER_NAME + 1):
            out.append(_Entry(tuple(itertools.chain.from_iterable(combo)), index, True, None))
        return out

    def _insert(self, entry: _Entry) -> None:
        first = entry.tokens[0]
        self._first_words.add(first)
        if not first[:1].isalpha():
            self._caseless_first.add(first.lower())
        node = self._trie
        for t in entry.tokens:
            node = node.setdefault(t.lower(), {})
        node.setdefault(None, []).append(entry)

    @staticmethod
    def _case_ok(entry: _Entry, toks: Sequence[NameToken]) -> bool:
        for want, got in zip(entry.tokens, toks):
            if got.text == want or not want[:1].isalpha():
                continue
            # Shouting text ("REUTERS", "GETTY IMAGES") matches; other case changes do not.
            if got.text.isupper() and len(got.text) > 1:
                continue
            return False
        return True

    def _may_begin(self, word: str) -> bool:
        """Whether ``_case_ok`` can pass some name at its first token ``word``: as written, shouted,
        or a first token without letters to case. Most tokens that begin a name in lower case
        ("the", "to", "a": "The Times", "To Vima", "A Bola") begin none as written: checking this
        first skips their walk down the trie, most of find's time on news text."""
        return word in self._first_words or (len(word) > 1 and word.isupper()) or word.lower() in self._caseless_first

    def _starts(self, lowered: list[str]) -> list[int]:
        """Indices of the (lower-cased) words that begin a path of the trie to a name: a one-word
        name, or the first two words of a longer one. Picked out in C: most words begin none,
        and a word alone ("the", "to", "a": "The Times", "To Vima", "A Bola") left a Python call
        per word to walk the trie and fail."""
        one_word = itertools.compress(itertools.count(), map(self._one_word_names.__contains__, lowered))
        two_words = itertools.compress(
            itertools.count(), map(self._two_word_starts.__contains__, zip(lowered, lowered[1:]))
        )
        return sorted(set(one_word).union(two_words))

    def _candidates(self, text: str, toks: list[NameToken], i: int) -> list[tuple[int, _Entry]]:
        """(index of last token, entry) for every name starting at token i, longest first."""
        if not self._may_begin(toks[i].text):
            return []
        node, found, j = self._trie, [], i
        while j < len(toks):
            if j > i:
                gap = text[toks[j - 1].end : toks[j].start]
                if gap.strip(" \t\u00a0"):
                    break
            node = node.get(toks[j].text.lower())
            if node is None:
                break
            for entry in node.get(None, ()):
                if self._case_ok(entry, toks[i : j + 1]):
                    found.append((j, entry))
                    break  # first entry in priority order wins for this span
            j += 1
        return found[::-1]

    def find(self, text: str) -> list[OutletMention]:
        """Outlet mentions in ``text``, left to right, never overlapping."""
        toks = LazyNameTokens(text)
        out: list[OutletMention] = []
        last_match_end = -1  # token index of the previous match's last token
        after_match = 0  # the first token after the previous match
        for i in self._starts(list(map(str.lower, toks.words()))):
            if i < after_match:
                continue
            accepted = None
            for j, entry in self._candidates(text, toks, i):
                if self._accept(text, toks, i, j, entry, last_match_end):
                    accepted = (j, entry)
                    break
            if accepted is None:
                continue
            j, entry = accepted
            start = toks[i].start
            if i > 0 and toks[i - 1].text == "The" and not text[toks[i - 1].end : start].strip():
                start = toks[i - 1].start
            end = toks[j].end
            outlet = self._outlets[entry.outlet_index]
            out.append(OutletMention(start, end, outlet.outlet_id, text[start:end], entry.is_fuzzy))
            last_match_end = j
            after_match = j + 1
        return out

    def lookup(self, surface: str) -> Outlet | None:
        """The outlet a whole surface names ("The Hill", "Telegraph"), ignoring context rules."""
        toks = name_tokens(_strip_the(surface))
        node = self._trie
        for t in toks:
            node = node.get(t.text.lower())
            if node is None:
                return None
        for entry in node.get(None, ()):
            if not entry.is_fuzzy and self._case_ok(entry, toks):
                return self._outlets[entry.outlet_index]
        return None

    def _accept(self, text: str, toks: list[NameToken], i: int, j: int, entry: _Entry, last_end: int) -> bool:
        s, e = toks[i].start, toks[j].end
        # Part of a hyphenated word ("Miller-Day", "Post-Gazette" when only "Post" is known); but a
        # name of several words or an acronym may join another name ("ABC News-Washington Post poll").
        joins = j > i or (len(toks[i].text) > 1 and toks[i].text.isupper())
        if (
            s >= 2 and text[s - 1] == "-" and text[s - 2].isalnum() and not (joins and _capitalised_before(text, s))
        ) or (e + 1 < len(text) and text[e] == "-" and text[e + 1].isalnum() and not (joins and text[e + 1].isupper())):
            return False
        # "University of New Hampshire Survey Center": inside a longer proper noun "X of Y Z".
        if (
            i >= 2
            and toks[i - 1].text == "of"
            and toks[i - 2].text[:1].isupper()
            and j + 1 < len(toks)
            and self._glued(text, toks[j], toks[j + 1])
            and toks[j + 1].text[:1].isupper()
        ):
            return False
        p = i - 1
        if p >= 0 and toks[p].text in ("The", "the"):
            p -= 1
        if p >= 0 and p != last_end and self._glued(text, toks[p], toks[p + 1]):
            prev = toks[p].text
            sentence_initial = (
                p == 0 or toks[p - 1].text in BEFORE_SENTENCE_START or "\n" in text[toks[p - 1].end : toks[p].start]
            )
            # Sentence-initial words are capitalised anyway ("Earlier Reuters said"), but a
            # single-word name gets no such benefit of the doubt ("Canada Post said").
            lenient = sentence_initial and entry.rule is None
            if prev[:1].isupper() and prev not in _FUNCTION_WORDS and prev not in _NEXT_OK and not lenient:
                return False
        q = j + 1
        if q < len(toks) and self._glued(text, toks[j], toks[q]):
            nxt = toks[q].text
            if nxt[:1].isupper() and nxt not in _NEXT_OK and not self._candidates(text, toks, q):
                return False
        if entry.rule is None:
            return True
        left = text[max(0, toks[i].start - 80) : toks[i].start]
        if left.endswith(("The ", "the ")):
            left = left[:-4]
        right = text[toks[j].end : toks[j].end + 80]
        if NAME_LEFT_DESCRIPTOR.search(left) or NAME_RIGHT_DESCRIPTOR.search(right):
            return True
        if entry.rule == "cue":
            return bool(NAME_LEFT_CUE.search(left) or NAME_RIGHT_CUE.search(right))
        return False

    @staticmethod
    def _glued(text: str, a: NameToken, b: NameToken) -> bool:
        """a and b are words separated by spaces on one line (one proper noun run)."""
        gap = text[a.end : b.start]
        return bool(gap) and not gap.strip(" \t\u00a0") and a.text[:1].isalnum() and b.text[:1].isalnum()


_WORD_BEFORE_HYPHEN = re.compile(r"(?:^|\W)(\w+)-$")


def _capitalised_before(text: str, s: int) -> bool:
    """The word joined by a hyphen to the name starting at ``s`` is capitalised ("News-Washington Post")."""
    word = _WORD_BEFORE_HYPHEN.search(text, max(0, s - 40), s)
    return bool(word) and word.group(1)[:1].isupper()


def _read(path: str | Path | None, packaged) -> str:
    if path is None:
        try:
            return packaged.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"packaged gazetteer file missing ({exc}); run scripts/build_gazetteer.py") from exc
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"gazetteer file {p} does not exist; pass the path of an outlets.tsv")
    return p.read_text(encoding="utf-8")


def _parse_outlets(text: str, where: str) -> list[Outlet]:
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    want = list(OUTLETS.names)
    if reader.fieldnames != want:
        raise ConfigError(f"{where}: header is {reader.fieldnames}, expected {want}")
    out = []
    for n, rec in enumerate(reader, start=2):
        if None in rec or any(v is None for v in rec.values()):
            raise ConfigError(f"{where} line {n}: expected {len(want)} tab-separated columns")
        out.append(
            Outlet(
                outlet_id=rec["outlet_id"],
                name=rec["name"],
                aliases=tuple(a for a in rec["aliases"].split("|") if a),
                type=rec["type"],
                domain=rec["domain"] or None,
                country=rec["country"] or None,
            )
        )
    return out


def _parse_rules(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    if reader.fieldnames != ["surface", "rule"]:
        raise ConfigError(f"name_rules.tsv header is {reader.fieldnames}, expected ['surface', 'rule']")
    return {rec["surface"]: rec["rule"] for rec in reader}
