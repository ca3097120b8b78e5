"""The credit search: outlet mentions that a cue ties to their sentence, in one document's text.

A mention only becomes a credit when a cue ties it to the information around it
(reported / according to / told / citing / said / contributed / photo credit /
dateline / weaker 'other' cues). An outlet merely named ("News Corp shares
rose", "a debate hosted by ABC News", "Fox News host X said") is not a credit.
Aliases ("the Post", "the paper") resolve to the most recent compatible outlet
named earlier in the same document.

Ingest runs the search once per document and publishes what it finds as the ``credits``
table (and each document's summary in ``documents``); the attribution stage places those
credits in passages.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import pyarrow as pa

from pipeline.core.schema import CREDITS
from pipeline.core.tables import conform
from pipeline.text.cues import DESCRIPTOR_TAIL, DESCRIPTORS, OUTLET_ADJECTIVES, SPEECH_VERBS
from pipeline.text.gazetteer import Gazetteer, OutletMention
from pipeline.text.sentences import Sentence, split_sentences

CONFIDENCE = {
    "dateline": 0.95,
    "contributed": 0.95,
    "photo_credit": 0.9,
    "reported": 0.9,
    "according_to": 0.9,
    "told": 0.85,
    "citing": 0.85,
    "said": 0.8,
    "other": 0.55,
}
# Multipliers: a spun name, an alias and a weak form of a cue are less certain.
FUZZY_FACTOR = 0.85
ALIAS_FACTOR = 0.85
UNRESOLVED_CONFIDENCE = 0.2

# "the Post": resolves to an outlet named earlier whose name holds the word;
# unresolved it stays an alias with no outlet.
ALIAS_WORDS = frozenset(
    [
        "Post",
        "Times",
        "Journal",
        "Globe",
        "Herald",
        "Tribune",
        "Chronicle",
        "Register",
        "Star",
        "Mail",
        "Examiner",
        "Inquirer",
        "Standard",
        "Mirror",
        "Express",
        "Gazette",
        "Record",
        "Nation",
        "Daily",
    ]
)
# Names that are also outlets in their own right when nothing earlier matches.
SELF_STANDING_WORDS = frozenset(
    ["Guardian", "Independent", "Telegraph", "Observer", "Economist", "Hill", "Sun", "Times"]
) - {"Times"}

_TYPE_WORDS = {
    "newspaper": ("newspaper",),
    "paper": ("newspaper",),
    "daily": ("newspaper",),
    "financial daily": ("newspaper",),
    "business daily": ("newspaper",),
    "tabloid": ("newspaper",),
    "broadsheet": ("newspaper",),
    "weekly": ("newspaper", "magazine"),
    "magazine": ("magazine",),
    "news magazine": ("magazine",),
    "news agency": ("agency",),
    "agency": ("agency",),
    "wire service": ("agency",),
    "broadcaster": ("broadcaster",),
    "network": ("broadcaster",),
    "radio": ("broadcaster",),
    "publication": ("newspaper", "magazine", "digital", "agency"),
    "outlet": ("newspaper", "magazine", "digital", "agency", "broadcaster"),
    "website": ("digital", "newspaper", "magazine"),
    "news site": ("digital", "newspaper", "magazine"),
}
_TYPE_ALIAS = re.compile(
    rf"\b[Tt]he\s+(?:{OUTLET_ADJECTIVES}\s+){{0,2}}(?P<word>financial daily|business daily|news magazine|"
    r"news agency|wire service|news site|newspaper|paper|daily|tabloid|broadsheet|weekly|magazine|"
    r"agency|broadcaster|network|radio|publication|outlet|website)\b"
)
_WORD_ALIAS = re.compile(r"\b[Tt]he\s+(?P<word>[A-Z][a-z]+)\b")

# --- negative contexts: the outlet is a company, a place, a person's employer, a host
_NEG_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:Co\b|Cos\b|Corp\b|Corporation|Inc\b|Ltd\b|Plc\b|PLC\b|LLC\b|Holdings|Group\b|"
    r"Company|shares?\b|stock\b|owner|owners|parent|publisher|chairman|chief executive|CEO\b|"
    r"executives?\b|board\b|unit\b|subsidiary|division|building|headquarters|offices?\b|stake\b|"
    r"takeover|acquisition|sale\b|revenues?\b|profits?\b|earnings|shareholders|index\b|average\b|"
    r"Industrial|Square|requests?\b)"
)
_PERSON_RIGHT = re.compile(
    r"^(?:['’]s)?\s+(?:(?:chief|senior|political|White House|former|longtime|veteran|star|"
    r"national|foreign|legal)\s+)?(?:host|anchor|contributor|correspondent|reporter|columnist|"
    r"commentator|moderator|journalist|editor|producer|analyst|pundit|personality|presenter|"
    r"interviewer|staffer|employee)s?\b"
)
_NEG_LEFT = re.compile(
    r"(?:\b(?:hosted|held|sponsored|organi[sz]ed|moderated|owned|bought|acquired|sued|run|founded|"
    r"launched)\s+by|\brequests?\s+(?:by|from)|\b(?:respond|responded|reply|replied|responding)\s+to|"
    r"\bjoined|\bworks?\s+(?:at|for)|\bworked\s+(?:at|for)|\bstake\s+in|\b(?:sell|sold|buy|bought|"
    r"acquire|acquired|owns|own|purchase|purchased)|\b(?:journalist|reporter|correspondent|editor|"
    r"columnist|host|anchor|contributor|staff)\s+(?:at|for|with)|\babout|\bagainst|\bcriticized|"
    r"\bcriticised|\battacked|\bboycott(?:ed)?)\s+(?:the\s+)?(?:[\w.]+['’]s\s+)?$"
)

# --- cues (L = sentence text before the mention, R = after it)
_DATELINE_PREFIX = re.compile(r"^\s*(?:[A-Z][A-Za-z.'’ -]{0,40}(?:,\s*[A-Z][a-z]{2,8}\.?\s*\d{1,2})?\s*)?\(\s*$")
_DATELINE_SUFFIX = re.compile(r"^\s*\)\s*[-—–]")
_CONTRIBUTED = re.compile(
    r"\bcontribut\w*\s+(?:to\s+)?(?:this|the)?\s*(?:report|reporting|story|article|text|piece)|"
    r"\badditional reporting\b|\breporting contributed\b",
    re.I,
)
# "— Reporting by Jane Doe for AP", "Writing by X (Reuters)": a byline credit line.
_BYLINE_LEFT = re.compile(
    r"^\W*(?:reporting|writing|written|compiled|edited|editing|reported)\s+by\b[^.!?:]{0,120}?"
    r"(?:\b(?:for|of|from)\s+(?:the\s+)?|\(\s*)$",
    re.I,
)
# Standalone credit lines: the document (or its body) comes from the outlet named.
_CREDIT_LINE_LEFT = re.compile(
    r"^\W*(?:(?:sources?|credit|copyright)\s*:?|©|(?:this|the)\s+(?:article|story|report|piece)\s+"
    r"(?:was\s+|is\s+)?(?:originally\s+|first\s+)?(?:published|appeared)\s+(?:by|in|on))\s*(?:the\s+)?$",
    re.I,
)
_CREDIT_LINE_RIGHT = re.compile(r"^[\s.)\]—–-]*(?:\d{4}[\s.]*)?(?:[;|,].*)?$")
_CREDIT_START = re.compile(
    r"^\s*[(\[]?\s*(?:photo(?:graph)?s?|pictures?|images?|credits?|foto|video)\s*(?::|by\b)", re.I
)
_CUE_VERBS = re.compile(r"\b(?:said|says|told|reported|reports|according|stated|advised|quoted|citing)\b")
_ACCORDING = re.compile(
    r"\b(?:[Aa]ccording to|[Ii]n accordance with|[Ii]n line with|[Bb]ased on|per)\s+(?P<gap>[^,;:.!?]*)$"
)
_RIGHT_ACCORDING = re.compile(
    r"^(?:['’]s)?\s+(?:(?:own|new|latest|recent|exit)\s+)?(?:poll|survey|tally|analysis|count|estimate|data|projection|calculation)s?\b",
    re.I,
)
# "exit polls conducted for the Associated Press": the outlet's poll.
_POLL_FOR_LEFT = re.compile(
    r"\b(?:polls?|survey|surveys|study|analysis)\s+(?:conducted|commissioned|carried out)\s+"
    r"(?:for|by)\s+(?:the\s+)?$",
    re.I,
)
_TOLD = re.compile(
    r"\b(?:told|tells|telling|tell|advised|informed|said to|spoke to|spoke with|speaking to|"
    r"speaking with|talking to|talked to|(?:said|says|speaking|spoke|appeared|appearing|comments?)\s+on|"
    r"(?:email|e-mail|statement|letter|message|note)s?\s+(?:[\w]+\s+){0,2}to)\s+"
    r"(?:[\w.]+['’]s\s+)?(?:the\s+)?[\"“‘]?$"
)
_CITING_LEFT = re.compile(
    r"\b(?:citing|quoting|cited by|quoted by|quoted in|cited in)\s+(?:(?:a|an|the|\w+)\s+){0,3}?(?:the\s+)?$"
)
_CITING_RIGHT = re.compile(r"^\s*(?:,[^,]{1,60},\s*)?(?:\w+\s+)?(?:quoted|cited|quoting|citing|quotes|cites)\b")
_REPORTED_BY = re.compile(
    r"\b(?:reported|published|revealed|disclosed|broken|first reported|as reported)\s+"
    r"(?:[\w]+\s+){0,4}?(?:by|in)\s+(?:[\w.]+['’]s\s+)?(?:the\s+)?$"
)
_REPORTED_RIGHT = re.compile(
    rf"^(?:\s+(?:{DESCRIPTORS}))?\s*(?:,[^,]{{1,80}},\s*)?(?:(?:has|had|have|also|first|earlier|"
    r"previously|originally|exclusively|separately|later|last\s+\w+|on\s+\w+)\s+){0,2}"
    r"(?:reported|reports|reporting|revealed|disclosed|broke the news)\b"
)
_REPORT_NOUN_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:(?:own|earlier|recent|exclusive|new|latest|investigative)\s+)?"
    r"(?:report|article|story|investigation|exclusive|scoop|reporting|coverage|survey)s?\b"
)
_ARTICLE_IN_LEFT = re.compile(
    r"\b(?:article|story|report|piece|dispatch)\s+(?:in|by|from)\s+(?:[\w.]+['’]s\s+)?"
    r"(?:(?:edition|issue)\s+of\s+)?(?:the\s+)?$"
)
_SAID_RIGHT = re.compile(
    rf"^(?:\s+(?:{DESCRIPTORS}))?(?:\s+of\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)?\s*(?:,[^,]{{1,80}},\s*)?"
    r"(?:(?:on|late|early|last)\s+\w+\s+|\w+day\s+|yesterday\s+|today\s+|also\s+|earlier\s+|"
    rf"further\s+|however\s+|had\s+|has\s+)?{SPEECH_VERBS}\b(?P<self>\s+(?:it|its|it's|that it)\b)?"
)
_INVERTED_LEFT = re.compile(r"\b(?P<verb>said|says|stated|added|wrote|writes|reported|reports)\s+(?:the\s+)?$")
_INVERTED_RIGHT = re.compile(
    r"^(?:\s+(?:" + DESCRIPTORS + r"))?\s*(?:(?:on|in|late|earlier|last)\s+\w+\s*)?(?:[.,;:!?\"”)]|$)"
)
_OTHER_LEFT = re.compile(
    r"(?:\binterview\s+with|\bmonitored\s+by|\b(?:obtained|seen|reviewed)\s+by|\b(?:provided|leaked)\s+to|"
    r"\bshared\s+with|\b(?:published|printed|appeared|broadcast|aired|wrote|"
    r"writing|op-ed)\s+(?:\w+\s+){0,2}?(?:in|on|by)|\b(?:op-ed|editorial|column|commentary|interview|"
    r"edition|issue|headline|broadcast|programme|program|show)\s+(?:in|on|by|from|with|of)\s+"
    r"(?:[\w.]+['’]s\s+)?(?:(?:edition|issue)\s+of\s+)?)\s+(?:the\s+)?[\"“‘]?$"
)
_OTHER_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:(?:television|TV|radio|news)\s+)?(?:op-ed|editorial|column|piece|headline|show|program|"
    r"programme|broadcast|"
    r"interview|sources?|editorial board)\b"
)


@dataclass(frozen=True)
class Credit:
    """One attribution row before it is placed in a passage."""

    char_start: int
    char_end: int
    sentence: Sentence
    outlet_id: str | None
    surface: str
    cue: str
    is_alias: bool
    is_fuzzy: bool
    confidence: float
    credit_line: bool = False


@dataclass(frozen=True)
class DocumentCredits:
    """What one document credits, summed up from its attribution rows."""

    credited_outlets: tuple[str, ...]  # outlet ids in order of first credit, distinct
    wire_copy: bool  # a dateline or credit line of a news agency


NO_CREDITS = DocumentCredits((), False)  # a document without a credit


@dataclass(frozen=True)
class _Alias:
    start: int
    end: int
    word: str
    types: tuple[str, ...] | None  # None: a name word such as "Post"


# ---------------------------------------------------------------------------- cues
def classify(text: str, sentence: Sentence, start: int, end: int, body_start: int = 0) -> tuple[str, float] | None:
    """The cue tying the mention text[start:end] to its sentence, or None.

    ``body_start``: where the text after the ingest header ('date 2025-03-30 Detroit: ') begins.
    """
    # "told the Kuwaiti news agency KUNA": the descriptor belongs to the name.
    left = DESCRIPTOR_TAIL.sub("", text[sentence.start : start])
    right = text[end : sentence.end]
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    # "date 2025-03-30 Detroit: DETROIT (Reuters) -": the ingest header is not part of the line.
    if line_start < body_start <= start:
        line_start = body_start

    if _DATELINE_PREFIX.match(text[line_start:start]) and _DATELINE_SUFFIX.match(text[end:line_end]):
        return "dateline", CONFIDENCE["dateline"]
    if _CONTRIBUTED.search(text[sentence.start : sentence.end]):
        return "contributed", CONFIDENCE["contributed"]
    if _BYLINE_LEFT.search(text[line_start:start]):
        return "contributed", CONFIDENCE["contributed"]
    if re.match(r"^\s*Sources?\s*:\s*$", left):
        return "according_to", 0.8
    if _is_credit(text, line_start, line_end, start, end):
        return "photo_credit", CONFIDENCE["photo_credit"]
    if _NEG_RIGHT.match(right) or _NEG_LEFT.search(left):
        return None
    person = _PERSON_RIGHT.match(right)
    if _TOLD.search(left):
        return "told", CONFIDENCE["told"]
    if person:
        return None  # "Fox News host X said": the person speaks, not the outlet
    according = _ACCORDING.search(left)
    if according and len(according.group("gap").split()) <= 7:
        return "according_to", CONFIDENCE["according_to"]
    if _RIGHT_ACCORDING.match(right) or _POLL_FOR_LEFT.search(left):
        return "according_to", 0.75
    if _CITING_LEFT.search(left) or _CITING_RIGHT.match(right):
        return "citing", CONFIDENCE["citing"]
    if _REPORTED_BY.search(left) or _REPORTED_RIGHT.match(right):
        return "reported", CONFIDENCE["reported"]
    said = _SAID_RIGHT.match(right)
    if said:
        # "X said it would..." is the outlet speaking about itself as a company.
        return None if said.group("self") else ("said", CONFIDENCE["said"])
    inverted = _INVERTED_LEFT.search(left)
    if inverted and _INVERTED_RIGHT.match(right):
        verb = inverted.group("verb")
        return ("reported", 0.8) if verb.startswith("report") else ("said", 0.75)
    if _REPORT_NOUN_RIGHT.match(right) or _ARTICLE_IN_LEFT.search(left):
        return "reported", 0.7
    if re.search(r"\binterview\s+with\s+(?:the\s+)?$", left):
        return "other", 0.6
    if _OTHER_LEFT.search(left) or _OTHER_RIGHT.match(right):
        return "other", CONFIDENCE["other"]
    return None


def is_credit_line(text: str, sentence: Sentence, start: int, end: int, cue: str) -> bool:
    """The mention text[start:end] stands in a credit line, not in running text.

    Credit lines: a dateline ("LONDON (Reuters) -"), "Source: AFP", "Reporting by
    Jane Doe for AP", "This article was originally published by X." A line
    ending in ':' introduces an excerpt ("The following account was first
    published by X:") and is never one; nor is "X contributed to this report".
    """
    if cue == "dateline":
        return True
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end].strip()
    if line.endswith(":") or len(line) > 200 or re.match(r"^\W*additional\b", line, re.I):
        return False
    left, right = text[line_start:start], text[end:line_end]
    if _BYLINE_LEFT.search(left):
        return True
    return bool(_CREDIT_LINE_LEFT.search(left) and _CREDIT_LINE_RIGHT.match(right))


def _is_credit(text: str, line_start: int, line_end: int, start: int, end: int) -> bool:
    """A photo credit: 'A | Pool, AFP | Getty Images', 'John Moore/Getty Images', '(X/AFP via Getty)'."""
    seg_start, seg_end = line_start, line_end
    open_paren = text.rfind("(", line_start, start)
    if open_paren >= 0 and text.find(")", open_paren, start) < 0:
        close = text.find(")", end, line_end)
        seg_start, seg_end = open_paren + 1, close if close >= 0 else line_end
    segment = text[seg_start:seg_end]
    if len(segment) > 200 or _CUE_VERBS.search(segment):
        return False
    before, after = text[seg_start:start], text[end:seg_end]
    if re.search(r"[|/]\s*$", before) or re.match(r"^\s*[|/]", after):
        return True
    return bool(re.search(r"\bvia\s+$", before) or _CREDIT_START.match(segment))


# ---------------------------------------------------------------------------- aliases
def _aliases(text: str, mentions: list[OutletMention]) -> list[_Alias]:
    taken = [(m.start, m.end) for m in mentions]
    out = []
    for m in _TYPE_ALIAS.finditer(text):
        s, e = m.start(), m.end()
        # "The newspaper Welt am Sonntag": a descriptor of the name that follows.
        if any(ms <= e + 2 and me > e for ms, me in taken) or any(ms < e and me > s for ms, me in taken):
            continue
        # "the paper" must start lowercase mid-sentence; "The paper" only opens a sentence.
        out.append(_Alias(s, e, m.group("word"), _TYPE_WORDS[m.group("word")]))
    for m in _WORD_ALIAS.finditer(text):
        word = m.group("word")
        if word not in ALIAS_WORDS and word not in SELF_STANDING_WORDS:
            continue
        s, e = m.start(), m.end()
        nxt = re.match(r"[ \t]+([A-Z]\w*)", text[e:])
        if nxt:  # "the Post Office", "the Times Square crowd"
            continue
        out.append(_Alias(s, e, word, None))
    return sorted(out, key=lambda a: a.start)


def _compatible(gazetteer: Gazetteer, outlet_id: str, alias: _Alias) -> bool:
    outlet = gazetteer.outlet(outlet_id)
    if alias.types is not None:
        return outlet.type in alias.types
    names = [outlet.name, *outlet.aliases]
    return any(alias.word in re.findall(r"\w+", n) for n in names)


_ACRONYM = re.compile(r"\([A-Z]{2,6}\)")


def _acronym_clashes(text: str, gazetteer: Gazetteer) -> set[str]:
    """Acronyms this document defines as something that is not an outlet ("Arab Banking Corp (ABC)")."""
    clashes: set[str] = set()
    if not _ACRONYM.search(text):
        return clashes  # most documents define none; the full pattern is tried at every capital letter
    for m in re.finditer(r"((?:[A-Z][\w&-]*[>\]\"”]?\s+){1,6})\(([A-Z]{2,6})\)", text):
        words = [w.strip('>]"”') for w in m.group(1).split()]
        acronym = m.group(2)
        initials = "".join(w[0] for w in words[-len(acronym) :])
        if initials != acronym:
            continue
        phrase = " ".join(words[-len(acronym) :])
        if not gazetteer.find(phrase + " reported"):
            clashes.add(acronym)
    return clashes


def find_credits(text: str, gazetteer: Gazetteer, body_start: int = 0) -> list[Credit]:
    """Every credit in one document's text, in text order (``body_start`` as in ``classify``)."""
    sentences = split_sentences(text)
    starts = [s.start for s in sentences]
    clashes = _acronym_clashes(text, gazetteer)
    found = [m for m in gazetteer.find(text) if m.surface not in clashes]
    word_mentions = {(m.start, m.end) for m in found if _bare_word(m.surface) in ALIAS_WORDS}
    named = [m for m in found if (m.start, m.end) not in word_mentions]
    aliases = _aliases(text, named)
    credits: list[Credit] = []

    def sentence_of(pos: int) -> Sentence | None:
        k = bisect.bisect_right(starts, pos) - 1
        if k >= 0 and sentences[k].start <= pos < sentences[k].end:
            return sentences[k]
        return None

    alias_spans = [(a.start, a.end) for a in aliases]
    for m in named:
        if any(s <= m.start and m.end <= e for s, e in alias_spans):
            continue  # the alias pass decides ("the Guardian" after The Guardian named)
        sent = sentence_of(m.start)
        cue = sent and classify(text, sent, m.start, m.end, body_start)
        if not cue:
            continue
        conf = cue[1] * (FUZZY_FACTOR if m.is_fuzzy else 1.0)
        credits.append(Credit(m.start, m.end, sent, m.outlet_id, m.surface, cue[0], False, m.is_fuzzy, conf))

    for a in aliases:
        sent = sentence_of(a.start)
        start = a.start
        cue = sent and classify(text, sent, start, a.end, body_start)
        if not cue:
            continue
        earlier = [m for m in named if m.end <= a.start and _compatible(gazetteer, m.outlet_id, a)]
        surface = text[start : a.end]
        if earlier:
            target = earlier[-1]
            conf = cue[1] * ALIAS_FACTOR
            credits.append(Credit(start, a.end, sent, target.outlet_id, surface, cue[0], True, False, conf))
            continue
        own = gazetteer.lookup(a.word) if a.word in SELF_STANDING_WORDS else None
        if own is not None:
            # "The Hill", "The Economist": a name in its own right when nothing earlier fits.
            credits.append(Credit(start, a.end, sent, own.outlet_id, surface, cue[0], False, False, cue[1] * 0.8))
            continue
        credits.append(Credit(start, a.end, sent, None, surface, cue[0], True, False, UNRESOLVED_CONFIDENCE))
    credits = [
        replace(c, credit_line=is_credit_line(text, c.sentence, c.char_start, c.char_end, c.cue)) for c in credits
    ]
    return sorted(credits, key=lambda c: (c.char_start, c.char_end))


def _bare_word(surface: str) -> str:
    return re.sub(r"^[Tt]he\s+", "", surface)


# ---------------------------------------------------------------------------- per document summary
def summarise(credits: Iterable[tuple[int, str | None, bool]], gazetteer: Gazetteer) -> DocumentCredits:
    """(char_start, outlet_id, credit_line) of one document's credits -> its summary."""
    outlets: dict[str, None] = {}
    wire = False
    for _, outlet_id, credit_line in sorted(credits, key=lambda c: c[0]):
        if outlet_id is None:
            continue  # an alias that resolved to nothing credits no outlet
        outlets.setdefault(outlet_id)
        wire = wire or bool(credit_line) and gazetteer.outlet(outlet_id).type == "agency"
    return DocumentCredits(tuple(outlets), wire)


def credits_summary(credits: Iterable[Credit], gazetteer: Gazetteer) -> DocumentCredits:
    """The summary of a document's credits found already (``find_credits``)."""
    return summarise(((c.char_start, c.outlet_id, c.credit_line) for c in credits), gazetteer)


# ---------------------------------------------------------------------------- the credits table
_COLUMNS = (
    "char_start",
    "char_end",
    "sentence_start",
    "sentence_end",
    "outlet_id",
    "surface",
    "cue",
    "is_alias",
    "is_fuzzy",
    "confidence",
    "credit_line",
)


def credits_table(found: Iterable[tuple[str, Iterable[Credit]]], batch: str) -> pa.Table:
    """CREDITS rows of (doc_id, its credits) pairs, in the order given."""
    rows: dict[str, list] = {name: [] for name in CREDITS.names}
    for doc_id, credits in found:
        for c in credits:
            values = (
                c.char_start,
                c.char_end,
                c.sentence.start,
                c.sentence.end,
                c.outlet_id,
                c.surface,
                c.cue,
                c.is_alias,
                c.is_fuzzy,
                c.confidence,
                c.credit_line,
            )
            rows["doc_id"].append(doc_id)
            rows["batch"].append(batch)
            for name, value in zip(_COLUMNS, values):
                rows[name].append(value)
    return conform(
        pa.table({name: pa.array(values, type=CREDITS.field(name).type) for name, values in rows.items()}), CREDITS
    )


def credits_by_document(table: pa.Table) -> dict[str, list[Credit]]:
    """The credits of each doc_id of a CREDITS table, in its row order (a document without credits is absent)."""
    found: dict[str, list[Credit]] = {}
    columns = [table.column(name).to_pylist() for name in _COLUMNS]
    for doc_id, (start, end, s_start, s_end, outlet_id, surface, cue, alias, fuzzy, confidence, credit_line) in zip(
        table.column("doc_id").to_pylist(), zip(*columns)
    ):
        found.setdefault(doc_id, []).append(
            Credit(start, end, Sentence(s_start, s_end), outlet_id, surface, cue, alias, fuzzy, confidence, credit_line)
        )
    return found
