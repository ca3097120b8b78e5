"""Where sentences end: the one sentence splitter, and the other break rules named for what they decide.

``split_sentences`` cuts a text into sentences with exact offsets (attribution places its credits
in them); ``typed_sentences`` corrects it for hand-typed text (paraphrase matches sentences). The
character sets below decide narrower questions about a single gap or paragraph, each for its caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import STOPWORDS

# A sentence break lies in the gap between two tokens when the gap holds one of these: the next word
# starts a sentence (anchors' proper-name rule). Colons, semicolons and quotes count, unlike in
# ``split_sentences``: a capitalised word after them is no evidence of a name.
BREAK_BETWEEN_TOKENS = frozenset('.!?:;"“”\n')

# A gazetteer token (tokens.NAME_TOKEN) after which a capitalised word stands first in its sentence
# or clause: openers (brackets, quotes, dashes) count too, since a name glued to the word after
# them is as likely as one at a sentence start.
BEFORE_SENTENCE_START = frozenset(".!?\"“”:;(—–-'‘’[")

# A paragraph ends like a sentence (passages: headings and wrapped lines). A question mark does not
# count: a subheading may be a question ("De-escalation in sight?").
ENDS_LIKE_SENTENCE = re.compile(r"[.…][\"'”’)\]]*$")


# Longest sentence in characters: a longer run without a sentence end (a scraped page with no
# punctuation, an endless list) is cut, so that work per sentence (the credit search) stays bounded.
SENTENCE_MAX_CHARS = 1000


@dataclass(frozen=True)
class Sentence:
    """``text[start:end]``: one sentence, stripped of the space around it. ``cut``: it ends where
    ``SENTENCE_MAX_CHARS`` cut a longer one, not at its own end."""

    start: int
    end: int
    cut: bool = False


_ABBREV = frozenset(
    [
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "St",
        "Sen",
        "Rep",
        "Gov",
        "Gen",
        "Col",
        "Lt",
        "Sgt",
        "Capt",
        "Prof",
        "Jr",
        "Sr",
        "Inc",
        "Corp",
        "Co",
        "Ltd",
        "No",
        "Nos",
        "vs",
        "etc",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Aug",
        "Sept",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
        "Ave",
        "Mt",
        "Ft",
        "Rev",
        "Hon",
        "Adm",
        "Cmdr",
        "Maj",
        "Pres",
        "Dept",
        "Univ",
    ]
)
# An ellipsis character ends a sentence as three full stops do (a teaser list cuts each item with one).
_BOUNDARY = re.compile(r"[.!?…]+[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
# Sentence ends that need no space or capital after them: CJK full stops and marks (fullwidth
# too), the Devanagari danda, the Arabic question mark, with the closing quotes after them.
_WIDE_BOUNDARY = re.compile(r"[。！？．｡।॥؟]+[」』”’）)\]]*\s*")
# Thai, Lao, Khmer and Burmese put no space between words: a space there ends a sentence or clause.
_SPACE_IN_SPACELESS = re.compile(
    r"(?<=[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff])[ \t]+(?=[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff])"
)
# Where an over-long sentence is cut, best first, in the last half of the allowed length: after
# a semicolon (a list), a comma, else any space.
_CUT_AFTER = (re.compile(r";\s"), re.compile(r",\s"), re.compile(r"\s"))

_ENDED_WORD = re.compile(r"(\S+?)[.!?]+[\"”’')\]]*$")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Z]")


def _word_ended(line: str, end: int) -> str:
    """The word the final punctuation of ``line[:end]`` ends ("Mr. " -> "Mr"), "" if none: group 1
    of ``_ENDED_WORD.search(line[:end].rstrip())``. Such a match holds no space, so only the last
    run of non-space is searched: it starts after the previous boundary's space, so the runs
    searched for a line's boundaries do not overlap and the split stays linear."""
    stop = end
    while stop > 0 and line[stop - 1].isspace():
        stop -= 1
    begin = stop
    while begin > 0 and not line[begin - 1].isspace():
        begin -= 1
    word = _ENDED_WORD.search(line, begin, stop)
    return word.group(1) if word else ""


def _line_cuts(line: str) -> list[int]:
    """Offsets in ``line`` where a sentence ends (the next one starts), in order."""
    cuts = []
    for m in _BOUNDARY.finditer(line):
        w = _word_ended(line, m.end())
        if w.strip('("“') in _ABBREV or _INITIALS.fullmatch(w):
            continue
        cuts.append(m.end())
    if not line.isascii():
        cuts.extend(m.end() for m in _WIDE_BOUNDARY.finditer(line))
        cuts.extend(m.end() for m in _SPACE_IN_SPACELESS.finditer(line))
        cuts.sort()
    return cuts


def _cut_long(line: str, a: int, b: int) -> list[int]:
    return cuts_within(line, a, b, SENTENCE_MAX_CHARS, _CUT_AFTER)


# Where an over-long passage is cut, best first: after a sentence end, then as a sentence is.
PASSAGE_CUT_AFTER = (re.compile(r"[.!?。！？][\"”’')\]]*\s"), *_CUT_AFTER)


def cuts_within(text: str, a: int, b: int, max_chars: int, cut_after: tuple[re.Pattern, ...]) -> list[int]:
    """Cuts that keep each piece of ``text[a:b]`` within ``max_chars``: after the first pattern of
    ``cut_after`` found in the last half of each piece (the last place it is found), else hard.
    Linear: each piece's window is searched once per pattern."""
    cuts = []
    while b - a > max_chars:
        limit = a + max_chars
        cut = limit
        for pattern in cut_after:
            ends = [m.end() for m in pattern.finditer(text, limit - max_chars // 2, limit)]
            if ends:
                cut = ends[-1]
                break
        cuts.append(cut)
        a = cut
    return cuts


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with exact offsets; a line break always ends a sentence, and a sentence is at most
    ``SENTENCE_MAX_CHARS`` long (a longer one is cut, at a space where it can be: ``Sentence.cut``).
    Linear in the text on any input."""
    out: list[Sentence] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        ends = _line_cuts(line)
        ends.append(len(line))
        a = 0
        for end in ends:
            if end <= a:
                continue
            forced = _cut_long(line, a, end) if end - a > SENTENCE_MAX_CHARS else []
            for b, cut in [(c, True) for c in forced] + [(end, False)]:
                seg = line[a:b]
                stripped = seg.strip()
                if stripped:
                    s = line_start + a + (len(seg) - len(seg.lstrip()))
                    out.append(Sentence(s, s + len(stripped), cut))
                a = b
    return out


# "is a useful tool.categorization define as a powerful feature.it has been used": full stops
# typed without the space after them, common in hand-typed answers and comments. A word, the
# stop, a word, and nothing else between spaces: not "www.bbc.co.uk", "a@b.com", "U.S." or "0.5".
_RUN_ON = re.compile(r"(?<!\S)[\"“‘'(\[]?[A-Za-z]*[a-z]{2}(\.+)([A-Za-z]{2,})(?=[,;:.!?\"”’')\]]*(?:\s|$))")
_GLUED_STOP = re.compile(r"\.[A-Za-z]{2}")  # led by a literal: a fast scan
# A line ends without a stop: a wrapped line, not a sentence end. Unlike ENDS_LIKE_SENTENCE, "?", "!",
# ":" and ";" end a line typed as a sentence too.
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"”’')\]]*$")
_STARTS_LOWERCASE = re.compile(r"[\"“‘'(\[]?[a-z]")


def typed_sentences(text: str, lexicon: Lexicon) -> list[Sentence]:
    """``split_sentences``, corrected for two habits of hand-typed text:

    - a line wrapped at a fixed width inside a sentence ("a basic concept of Object-Oriented
      Programming where" / "the basic idea is to") does not end it: the sentence goes on when
      the line ends without a stop and the next one starts in lowercase;
    - a full stop with no space after it ("tool.categorization", "feature.it") ends one when
      the word after it is one the lexicon knows or a stopword, so "Ask.com" stays whole.

    Line fragments are short enough to match any sentence on their topic, and sentences run
    together match none.
    """
    return _split_run_ons(text, _rejoin_wrapped_lines(text, split_sentences(text)), lexicon)


def _rejoin_wrapped_lines(text: str, sentences: list[Sentence]) -> list[Sentence]:
    if "\n" not in text:
        return sentences
    out: list[Sentence] = []
    for sentence in sentences:
        if out:
            previous = out[-1]
            gap = text[previous.end : sentence.start]
            if (
                gap.count("\n") == 1
                and not gap.strip()
                and not _ENDS_SENTENCE.search(text, previous.start, previous.end)
                and _STARTS_LOWERCASE.match(text, sentence.start)
            ):
                out[-1] = Sentence(previous.start, sentence.end)
                continue
        out.append(sentence)
    return out


def _split_run_ons(text: str, sentences: list[Sentence], lexicon: Lexicon) -> list[Sentence]:
    if not _GLUED_STOP.search(text):  # most texts; the full pattern would cost a third of the sentence split
        return sentences
    out = []
    for sentence in sentences:
        start = sentence.start
        for m in _RUN_ON.finditer(text, sentence.start, sentence.end):
            word = m.group(2).lower()
            if word in STOPWORDS or lexicon.is_known(word):
                out.append(Sentence(start, m.end(1)))
                start = m.start(2)
        out.append(Sentence(start, sentence.end))
    return out
