"""The credit search: outlet mentions that a cue ties to their sentence, in one document's text.

Candidates first, then a decision on each from its context (``judge_mentions``):

- candidates: gazetteer hits; names the gazetteer lacks next to an outlet-type noun ("the Kuwait daily
  al-Qabas", "Business Day newspaper"), ending in a head word ("Shenzhen Economic Zone Daily") or
  North American call signs ("WMAL radio"), kept with ``outlet_id`` None and the name as written;
  aliases ("the Post", "the paper", "the agency") resolved to the most recent compatible mention
  before them (a government body leaves "the agency" unresolved);
- the decision (``decide``): a cue frame around the mention (dateline, credit line, byline,
  contributed, told / interview with / asked by, according to, poll or survey by, citing, reported,
  "X said", published in / shared with / via, ...) or a signal that vetoes it (the outlet as a
  company, owner or employer, a person's descriptor, a show as a topic). Every credit keeps the
  frame that decided it, its sentence and its surface. Mentions listed with a credited one ("Fox
  News and NBC News", "Register/Bloomberg Politics poll") take its cue.

Each decision reads a bounded window around its mention, so the search is linear in the text.
Ingest runs it once per document and publishes what it finds as the ``credits`` table (and each
document's summary in ``documents``); the attribution stage places those credits in passages.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import pyarrow as pa

from pipeline.core.schema import CREDITS
from pipeline.core.tables import conform
from pipeline.text.cues import (
    CALENDAR_WORDS,
    DESCRIPTOR_TAIL,
    DESCRIPTORS,
    FUNCTION_WORDS,
    OUTLET_ADJECTIVES,
    SPEECH_VERBS,
)
from pipeline.text.gazetteer import Gazetteer
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
UNKNOWN_FACTOR = 0.8  # a name the gazetteer lacks, found by the outlet-type noun next to it
# Characters of context a cue is looked for in, either side of a mention: every cue frame is shorter,
# and a bound keeps the search linear in the text (one endless sentence of mentions was quadratic).
WINDOW = 300
LEFT_WINDOW, RIGHT_WINDOW = 110, 200  # the frames themselves: the longest reads about 90 characters

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
    "newsletter": ("magazine",),
    "newsmagazine": ("magazine",),
    "monthly": ("magazine",),
    "trade paper": ("newspaper", "magazine"),
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
# Scanned patterns open with a letter, not "\b": the regex engine then skips to the letters that may begin a match,
# and the word boundary is checked on each match (``_word_start``).
_TYPE_ALIAS = re.compile(
    rf"[Tt]he\s+(?:(?:{OUTLET_ADJECTIVES}|industry|trade|[\w]+-based)\s+){{0,2}}(?P<word>financial daily|business daily|"
    r"news magazine|trade paper|news agency|wire service|news site|newspaper|newsletter|newsmagazine|monthly|"
    r"paper|daily|tabloid|broadsheet|weekly|magazine|"
    r"agency|broadcaster|network|radio|publication|outlet|website)\b"
)
_WORD_ALIAS = re.compile(r"[Tt]he\s+(?P<word>[A-Z][a-z]+)\b")

# --- negative contexts: the outlet is a company, a place, a person's employer, a host
_NEG_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:Co\b|Cos\b|Corp\b|Corporation|Inc\b|Ltd\b|Plc\b|PLC\b|LLC\b|Holdings|Group\b|"
    r"Company|shares?\b|stock\b|owner|owners|parent|publisher|(?i:chairman|chief executive|president)|CEO\b|"
    r"executives?\b|board\b|unit\b|subsidiary|division|building|headquarters|offices?\b|stake\b|"
    r"takeover|acquisition|sale\b|revenues?\b|profits?\b|earnings|shareholders|index\b|"
    r"Industrial|Square|requests?\b|affiliates?\b|stations?\b)"
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
# "RENO, Nev. (", "PASADENA, Calif., Jan. 1 (", "Nagpur (India) (", "Aug 27 (": a place and/or a date, no sentence.
_DATELINE_PREFIX = re.compile(
    r"^\s*(?:(?:[A-Z][A-Za-z.'’-]*|\d{1,4}|\([A-Z][A-Za-z. ]{0,20}\))(?:[ \t]+|,[ \t]*|(?=\())){0,8}\(\s*$"
)
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
# Verbs of an outlet's finding, besides speech: "Forbes estimates", "The Charlotte Observer found".
_FINDING_VERBS = (
    r"(?:found|finds|estimates|estimated|lists|listed|identified|characterized|characterised|published|"
    r"ran|carried|obtained|learned|puts|put|calculated|tallied|counted|projected|confirmed|released|surveyed|polled|"
    r"interviewed|spoke\s+(?:with|to)|talked\s+(?:with|to)|called|calling|projecting|investigates|investigated|"
    r"examines|examined|urged|urges|"
    r"points out|pointed out|quoted|cited|editorialized)"
)
# "X said it will launch", "said that its editors": the outlet acting as a company about itself.
_COMPANY_AFTER_IT = (
    r"(?:will|would|plans?|planned|intends?|intended|expects?|expected|agreed|has\s+agreed|had\s+agreed|is|was|"
    r"has|had|completed|acquired|bought|sold|launched|reached|signed|filed|owns|shareholders|board|units?|"
    r"subsidiary|net|profits?|revenues?|earnings|shares|stake|products?|editors|staff|employees)\b"
)
# A company's business around the mention: "At its annual meeting, Fortune said shareholders ...".
_COMPANY_CONTEXT = re.compile(
    r"\b(?:shareholders?|annual meeting|dividends?|net income|per share|acquisitions?|merger|takeover|"
    r"subsidiar(?:y|ies)|stock exchange listing|launch(?:ed|es)?\s+(?:a|an|its)|"
    r"advertis\w*|ratings?|viewers|audiences?|subscribers)\b",
    re.I,
)
# '[CNN]', '[AP.]', '[WashPost.]': a link credit closing a paragraph.
_BRACKET_CREDIT = re.compile(r"\[\s*$")
_BRACKET_CREDIT_RIGHT = re.compile(r"^\.?\s*\]")
_CUE_VERBS = re.compile(
    r"\b(?:said|says|told|reported|reports|according|stated|advised|quoted|citing|poll|polls|survey)\b", re.I
)
_ACCORDING = re.compile(
    r"\b(?:[Aa]ccording to|[Ii]n accordance with|[Ii]n line with|[Bb]ased on|per)\s+(?P<gap>[^,;:.!?]*)$"
)
# "a Reuters/Ipsos poll", "the NBC-Wall Street Journal poll", "A Reuters rolling poll", "HuffPost Pollster":
# every sponsor of a compound names the poll.
_RIGHT_ACCORDING = re.compile(
    r"^(?:\s*[/-]\s*[A-Z][\w.&]*(?:[ \t]+[A-Z][\w.&]*){0,3})*(?:['’]s?)?\s+(?:[a-z][\w-]*\s+|[A-Z][a-z]+\s+){0,2}?"
    r"(?:poll|polls|polling|pollster|survey|surveys|tally|analysis|count|estimates?|data|projections?|calculations?|"
    r"average|tracking|database|study)\b",
    re.I,
)
# "exit polls conducted for the Associated Press": the outlet's poll.
# "a Marist College poll for NBC News", "polls from Quinnipiac and Fox News", "an analysis by The Guardian".
_POLL_FOR_LEFT = re.compile(
    r"\b(?:polls?|polling|survey|surveys|study|analysis|tally|count|estimates?|projections?|database)\s+"
    r"(?:(?:conducted|commissioned|carried out|released|published|taken|done)\s+)?"
    r"(?:for|by|from)\s+(?:the\s+)?(?:[A-Z][\w.&'’-]*\s+){0,3}?(?:(?:and|,|&)\s+(?:the\s+)?)?$",
    re.I,
)
_TOLD = re.compile(
    r"\b(?:told|tells|telling|tell|advised|informed|assured|said to|spoke to|spoke with|speaking to|"
    r"speaking with|talking to|talked to|(?:said|says|speaking|spoke|appeared|appearing|comments?|remarks)\s+on|"
    r"(?:complained|explained|admitted|acknowledged|confirmed|conceded|insisted|denied|described|wrote|"
    r"stressed|emphasi[sz]ed|boasted|pledged|vowed|revealed|disclosed|repeated|argued|predicted)\s+to|"
    r"(?:interviews?|appearances?|remarks|comments|answers|responses?|statements?|memo|emails?|e-mails?|letters?|"
    r"messages?|notes?|questions)\s+(?:[\w'’]+\s+){0,3}?(?:to|with|on|by|from)|"
    r"(?:asked|pressed|challenged|reached|contacted|interviewed|questioned|queried|quizzed)\s+(?:[\w]+\s+){0,4}?by|"
    r"(?:speaking|appearing|appeared)\s+(?:[\w]+\s+){0,3}?on)\s+"
    r"(?:(?:[A-Z][\w.]*\s+){0,2}[\w.]+['’]s\s+)?(?:(?:the|a|an)\s+)?[\"“‘]?$",
    re.I,
)
_CITING_LEFT = re.compile(
    r"\b(?:citing|quoting|cited by|quoted by|quoted in|cited in)\s+(?:(?:a|an|the|[\w'’]+)\s+){0,3}?(?:the\s+)?$"
)
_CITING_RIGHT = re.compile(r"^\s*(?:,[^,]{1,60},\s*)?(?:\w+\s+)?(?:quoted|cited|quoting|citing|quotes|cites)\b")
_REPORTED_BY = re.compile(
    r"\b(?:reported|published|revealed|disclosed|broken|first reported|as reported)\s+"
    r"(?:[\w]+\s+){0,4}?(?:by|in)\s+(?:[\w.]+['’]s\s+)?(?:the\s+)?$"
)
_REPORTED_RIGHT = re.compile(
    rf"^(?:\s+(?:{DESCRIPTORS})){{0,2}}\s*(?:,[^,]{{1,80}},\s*)?(?:(?:has|had|have|also|first|earlier|"
    r"previously|originally|exclusively|separately|later|last\s+\w+|on\s+\w+)\s+){0,2}"
    r"(?:reported|reports|reporting|revealed|disclosed|broke the news)\b"
)
_REPORT_NOUN_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:[a-z]+\s+)?"
    r"(?:report|article|story|investigation|exclusive|scoop|reporting|coverage|survey)s?\b"
)
_ARTICLE_IN_LEFT = re.compile(
    r"\b(?:article|story|report|piece|dispatch)\s+(?:in|by|from|for)\s+(?:[\w.]+['’]s\s+)?"
    r"(?:(?:edition|issue)\s+of\s+)?(?:the\s+)?$"
)
_SAID_RIGHT = re.compile(
    rf"^(?:\s+(?:{DESCRIPTORS})){{0,2}}(?:\s+of\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)?\s*(?:,[^,]{{1,80}},\s*)?"
    r"(?:(?:on|late|early|last|this)\s+\w+\s+|\w+day\s+|yesterday\s+|today\s+|also\s+|earlier\s+|"
    r"recently\s+|first\s+|further\s+|however\s+|had\s+|has\s+|have\s+|each\s+|both\s+)?(?:also\s+|first\s+)?"
    rf"(?:{SPEECH_VERBS}|{_FINDING_VERBS})\b(?P<self>\s+(?:that\s+)?(?:its\b|(?:it|it's)\s+{_COMPANY_AFTER_IT}))?"
)
# "The Washington Post's Robert Costa reported", "NBC's Ali Vitali said": the outlet's journalist reports.
_STAFF_RIGHT = re.compile(
    r"^['’]s?\s+(?:[A-Z][\w.'’-]*\s+){1,3}(?:(?:also|recently|first|then)\s+)?"
    r"(?:reported|reports|wrote|writes|noted|notes|said|says|puts it|put it|points out|pointed out|found|"
    r"revealed|disclosed|explained|observed|asked|tweeted)\b"
)
_INVERTED_LEFT = re.compile(
    r"\b(?P<verb>said|says|stated|added|wrote|writes|reported|reports|noted|notes|blared|declared|"
    r"estimated|observed)\s+(?:(?:the\s+)?(?:front page|cover|headline|editorial)\s+of\s+)?(?:the\s+)?$"
)
_INVERTED_RIGHT = re.compile(
    r"^(?:['’]s?(?:\s+[A-Z][\w.'’-]*){1,3})?(?:\s+(?:" + DESCRIPTORS + r"))?\s*"
    r"(?:(?:on|in|late|earlier|last|this)\s+\w+\s*)?(?:[.,;:!?\"”)]|$)"
)
_OTHER_LEFT = re.compile(
    r"(?:\binterview\s+with|\bmonitored\s+by|\b(?:obtained|seen|reviewed|carried|found|estimated|identified|"
    r"introduced|broken|compiled)\s+(?:\w+\s+){0,2}?by|"
    r"\b(?:provided|leaked|given|gave|handed|sent|sending|shared|showed|shown|supplied)\s+(?:[\w'’]+\s+){0,4}?(?:to|with)|"
    r"\b(?:issued|released|distributed|carried|published)\s+(?:through|by|via)|"
    r"\b(?:published|printed|appeared|broadcast|aired|wrote|profiled|featured|quoted|"
    r"writing|op-ed)\s+(?:\w+\s+){0,2}?(?:in|on|by|for)|\b(?:op-ed|editorial|column|commentary|interview|"
    r"edition|issue|headline|broadcast|programme|program|show|articles?|stories|reports?|pieces?|items?|"
    r"coverage|front\s+page|cover|query|queries|enquiry|inquiry|links?|story|contribution)\s+"
    r"(?:in|on|by|from|with|of|at|about|for|to)(?:\s+[\w.]+['’]s)?(?:\s+(?:edition|issue)\s+of)?|"
    r"\bwritten\s+by|\b(?:polled|surveyed)\s+by|\bfull\s+story\s+at|\bh/t/?:?|\bvia)\s+(?:the\s+)?[\"“‘]?$"
)
# "on CBS's "Face the Nation"", "on the CBS television show": an appearance, not a topic.
_SHOW_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:(?:television|TV|radio|news|cable|Sunday|morning|evening|nightly)\s+)*"
    r"(?:show|program|programme|broadcast|newscast|interview|[\"“‘])"
)
_APPOSITIVE_LEFT = re.compile(rf"\b(?:{DESCRIPTORS}|newsletter|monthly|journal)\s*,\s*(?:[Tt]he\s+)?$")
_ADJECTIVE_TAIL = re.compile(
    rf"\s+(?:the|a|an)\s+(?:(?:{OUTLET_ADJECTIVES}|leading|popular|prestigious|respected|major|influential)\s+){{1,3}}$"
)
# "Kathleen Parker, The Washington Post: ..." (a columnist round-up): a person's name opening the sentence.
_BYLINE_NAME = re.compile(r"[A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,3}[ \t]*,[ \t]*$")
_OTHER_RIGHT = re.compile(
    r"^(?:['’]s?)?\s+(?:(?:television|TV|radio|news)\s+)?(?:op-ed|editorial|column|piece|headline|"
    r"interview|sources?|editorial board)\b"
    # "an NBC show", "Fox News broadcast a live shot": the outlet's show is a topic unless its own ("CBS's show")
    r"|^['’]s?\s+(?:(?:television|TV|radio|news)\s+)?(?:show|program|programme|broadcast)\b"
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
@dataclass(frozen=True)
class Decision:
    """What the context of one mention says: a cue that ties it to its sentence (``cue`` set), or why not.

    ``frame`` names the pattern that decided: the cue frame that fired ("told: interview with"), or the
    signal that vetoed it ("company", "person", "employer/topic"), or "no cue frame"."""

    cue: str | None
    confidence: float
    frame: str


def _cue(cue: str, frame: str, confidence: float | None = None) -> Decision:
    return Decision(cue, CONFIDENCE[cue] if confidence is None else confidence, frame)


def decide(text: str, sentence: Sentence, start: int, end: int, body_start: int = 0, known: bool = True) -> Decision:
    """The cue tying the mention text[start:end] to its sentence, or the reason there is none.

    Only a bounded window either side is read (``LEFT_WINDOW``, ``RIGHT_WINDOW``, lines to ``WINDOW``):
    the search stays linear in the text.
    ``body_start``: where the text after the ingest header ('date 2025-03-30 Detroit: ') begins;
    ``known``: the gazetteer knows the name (a name alone in its line credits only a known outlet).
    """
    # "told the Kuwaiti news agency KUNA": the descriptor belongs to the name.
    left = text[max(sentence.start, start - LEFT_WINDOW) : start]
    if _last_word(left) in _DESCRIPTOR_WORDS:  # the full pattern, tried at every position, is the costly one
        left = DESCRIPTOR_TAIL.sub("", left)
    right = text[end : min(sentence.end, end + RIGHT_WINDOW)]
    # 'the news magazine "Der Spiegel" reported': the quotes around a name are no part of the frame.
    if text[start - 1 : start] in ('"', "“") and right.startswith(('"', "”")):
        left, right = left.removesuffix('"').removesuffix("“"), right[1:]
    # "A leading newspaper, Jornal do Brasil, carried": the name in apposition to its descriptor.
    if right.startswith(",") and _APPOSITIVE_LEFT.search(left[-60:]):
        left, right = DESCRIPTOR_TAIL.sub("", re.sub(r"\s*,\s*(?:[Tt]he\s+)?$", " ", left)), right[1:]
    # "told the official PAP news agency", "in the national Asahi newspaper": adjectives of the outlet.
    if " a" in left[-70:] or " the" in left[-70:]:
        left = _ADJECTIVE_TAIL.sub(" the ", left)
    line_start, line_end, _ = _line_bounds(text, start, end)
    head, head_found = _line_start(text, start)  # a dateline or byline needs the line's start only
    # "date 2025-03-30 Detroit: DETROIT (Reuters) -": the ingest header is not part of the line.
    if line_start < body_start <= start:
        line_start = body_start
    if head < body_start <= start:
        head, head_found = body_start, True

    if head_found and _DATELINE_PREFIX.match(text[head:start]) and _DATELINE_SUFFIX.match(text[end:line_end]):
        return _cue("dateline", "dateline")
    if _CONTRIBUTED.search(text[max(sentence.start, start - LEFT_WINDOW) : min(sentence.end, end + RIGHT_WINDOW)]):
        return _cue("contributed", "contributed to this report")
    if head_found and _BYLINE_LEFT.search(text[head:start]):
        return _cue("contributed", "byline")
    if re.match(r"^\s*Sources?\s*:\s*$", left):
        return _cue("according_to", "source line", 0.8)
    if _is_credit(text, line_start, line_end, start, end, known):
        return _cue("photo_credit", "credit line")
    if _BRACKET_CREDIT.search(left) and _BRACKET_CREDIT_RIGHT.match(right):
        return _cue("other", "bracketed link credit", 0.7)
    if _NEG_RIGHT.match(right) or _NEG_LEFT.search(left):
        return Decision(None, 0.0, "company/owner/employer")
    if _BYLINE_NAME.match(text, max(sentence.start, start - 60), start) and re.match(r"^\s*:", right):
        return _cue("other", "Name, Outlet: quote", 0.7)
    person = _PERSON_RIGHT.match(right)
    if _TOLD.search(left):
        return _cue("told", "told/interview/asked by")
    if person:
        return Decision(None, 0.0, "person descriptor")  # "Fox News host X said": the person speaks
    according = _ACCORDING.search(left)
    if according and len(according.group("gap").split()) <= 7:
        return _cue("according_to", "according to")
    if _RIGHT_ACCORDING.match(right) or _POLL_FOR_LEFT.search(left):
        return _cue("according_to", "poll/survey/analysis by", 0.75)
    if _CITING_LEFT.search(left) or _CITING_RIGHT.match(right):
        return _cue("citing", "citing/quoted by")
    if _REPORTED_BY.search(left) or _REPORTED_RIGHT.match(right):
        return _cue("reported", "reported (by)")
    said = _SAID_RIGHT.match(right)
    if said:
        # "X said it would...", "At its annual meeting, Fortune said shareholders ...": a company speaking.
        company = said.group("self") or _COMPANY_CONTEXT.search(
            text, max(sentence.start, start - LEFT_WINDOW), min(sentence.end, end + 120)
        )
        return Decision(None, 0.0, "company") if company else _cue("said", "X said/found")
    staff = _STAFF_RIGHT.match(right)
    if staff:
        if re.match(r"\s+(?:that\s+)?its\b", right[staff.end() :]):
            return Decision(None, 0.0, "company")  # "Capital Cities/ABC's ABC Television Network said its ..."
        return _cue("said", "X's journalist said", 0.7)
    inverted = _INVERTED_LEFT.search(left)
    if inverted and _INVERTED_RIGHT.match(right):
        verb = inverted.group("verb")
        return _cue("reported", "said X", 0.8) if verb.startswith("report") else _cue("said", "said X", 0.75)
    if _REPORT_NOUN_RIGHT.match(right) or _ARTICLE_IN_LEFT.search(left):
        if _COMPANY_CONTEXT.search(text, max(sentence.start, start - LEFT_WINDOW), min(sentence.end, end + 120)):
            return Decision(None, 0.0, "company")  # "CBS' coverage notched the third-highest rating"
        return _cue("reported", "X's report / article in X", 0.7)
    if re.search(r"\binterview\s+with\s+(?:the\s+)?$", left):
        return _cue("told", "interview with", 0.6)
    if re.search(r"\b(?:on|during)\s+(?:the\s+)?$", left) and (
        _SHOW_RIGHT.match(right) or re.match(rf"^\s*,\s*(?:{SPEECH_VERBS})\b", right)
    ):
        return _cue("told", "on X's show", 0.7)
    if _OTHER_LEFT.search(left) or _OTHER_RIGHT.match(right):
        return _cue("other", "published in/shared with/via")
    return Decision(None, 0.0, "no cue frame")


_DESCRIPTOR_WORDS = frozenset(
    [
        "newspaper",
        "daily",
        "weekly",
        "magazine",
        "tabloid",
        "paper",
        "agency",
        "service",
        "broadcaster",
        "network",
        "radio",
        "television",
        "TV",
        "channel",
        "website",
        "newsletter",
        "monthly",
        "journal",
    ]
)


def _last_word(left: str) -> str:
    words = left[-40:].rstrip(' \t"“').rsplit(None, 1)
    return words[-1] if words else ""


def classify(text: str, sentence: Sentence, start: int, end: int, body_start: int = 0) -> tuple[str, float] | None:
    """``decide``'s cue and confidence, or None."""
    d = decide(text, sentence, start, end, body_start)
    return None if d.cue is None else (d.cue, d.confidence)


def is_credit_line(text: str, sentence: Sentence, start: int, end: int, cue: str) -> bool:
    """The mention text[start:end] stands in a credit line, not in running text.

    Credit lines: a dateline ("LONDON (Reuters) -"), "Source: AFP", "Reporting by
    Jane Doe for AP", "This article was originally published by X." A line
    ending in ':' introduces an excerpt ("The following account was first
    published by X:") and is never one; nor is "X contributed to this report".
    """
    if cue == "dateline":
        return True
    line_start, line_end, whole = _line_bounds(text, start, end)
    line = text[line_start:line_end].strip()
    if not whole:
        return False  # a line longer than the window is running text
    if line.endswith(":") or len(line) > 200 or re.match(r"^\W*additional\b", line, re.I):
        return False
    left, right = text[line_start:start], text[end:line_end]
    if _BYLINE_LEFT.search(left):
        return True
    return bool(_CREDIT_LINE_LEFT.search(left) and _CREDIT_LINE_RIGHT.match(right))


def _line_start(text: str, start: int) -> tuple[int, bool]:
    """Where the line holding ``start`` begins, looked for up to WINDOW characters back, and whether it was found."""
    lo = max(0, start - WINDOW)
    before = text.rfind("\n", lo, start)
    return (before + 1, True) if before >= 0 else (lo, lo == 0 or text[lo - 1] == "\n")


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """The line around text[start:end], cut to WINDOW characters either side, and whether it is whole.

    Searching for the line's ends without a bound made a line-less text quadratic in its mentions.
    """
    lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
    before = text.rfind("\n", lo, start)
    after = text.find("\n", end, hi)
    line_start = before + 1 if before >= 0 else lo
    line_end = after if after >= 0 else hi
    whole = (before >= 0 or lo == 0 or text[lo - 1] == "\n") and (after >= 0 or hi == len(text))
    return line_start, line_end, whole


def _is_credit(text: str, line_start: int, line_end: int, start: int, end: int, known: bool = True) -> bool:
    """A photo credit: 'A | Pool, AFP | Getty Images', 'John Moore/Getty Images', '(X/AFP via Getty)'."""
    seg_start, seg_end = line_start, line_end
    open_paren = text.rfind("(", line_start, start)
    if open_paren >= 0 and text.find(")", open_paren, start) < 0:
        close = text.find(")", end, line_end)
        seg_start, seg_end = open_paren + 1, close if close >= 0 else line_end
    segment = text[seg_start:seg_end]
    if len(segment) > 200 or _CUE_VERBS.search(segment):
        return False
    if _CREDIT_START.match(segment):
        return True
    if _RUNNING_TEXT.search(segment):
        return False  # "The Financial Times/Stock Exchange index of Britain's 100 leading shares fell"
    before, after = text[seg_start:start], text[end:seg_end]
    if re.search(r"[|/]\s*$", before) or re.match(r"^\s*[|/]", after):
        return True
    if re.search(r"\bvia\s+$", before) or re.match(r"^\s+via\s+[A-Z]", after):
        return True  # "AP via Getty Images": both parties
    # A line that is the name alone: "Getty.", "Reuters" (not a bracket in running text: "acid (EPA) and")
    alone = seg_start == line_start and seg_end == line_end
    return known and alone and not before.strip(' \t"“') and not after.strip(' \t."”')


# Three lower-case words in a row: running text, not a credit line.
_RUNNING_TEXT = re.compile(r"\b[a-z]+\s+[a-z]+\s+[a-z]+\b")


# ---------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class Candidate:
    """A span that may name an outlet: a gazetteer hit, or a capitalised name next to an outlet-type noun
    that the gazetteer lacks (``outlet_id`` None, ``types`` from its noun)."""

    start: int
    end: int
    outlet_id: str | None
    surface: str
    is_fuzzy: bool
    types: tuple[str, ...] = ()


# Outlet-type nouns next to a capitalised name make it an outlet's name even when the gazetteer lacks it.
_NOUN_TYPES = {
    "newspaper": ("newspaper",),
    "daily": ("newspaper",),
    "weekly": ("newspaper", "magazine"),
    "monthly": ("magazine",),
    "magazine": ("magazine",),
    "newsmagazine": ("magazine",),
    "newsletter": ("magazine",),
    "tabloid": ("newspaper",),
    "news agency": ("agency",),
    "press agency": ("agency",),
    "agency": ("agency",),
    "news service": ("agency",),
    "radio": ("broadcaster",),
    "television": ("broadcaster",),
    "TV": ("broadcaster",),
    "broadcaster": ("broadcaster",),
    "network": ("broadcaster",),
    "paper": ("newspaper",),
    "trade paper": ("newspaper", "magazine"),
    "website": ("digital",),
}
_NOUN = "|".join(sorted(map(re.escape, _NOUN_TYPES), key=len, reverse=True))
_FINITE_VERB = (
    r"(?:was|were|is|are|had|has|have|would|will|could|should|might|may|can|did|does|do|said|says|told|"
    r"wanted|needed|must|thought|knew|believed|planned|hoped|expected)"
)
# A name word: capitalised, an Arabic article ("al-Qabas"), or an acronym with digits ("WFTV9").
_NAME_WORD = r"(?<![\w'’-])(?:(?:[Aa]l|[Ee]l|[Aa]n|[Aa]s|[Aa]d)-[A-Z][\w'’-]*|[A-Z][\w'’&.-]*)"
# Lower-case words inside a name ("Voice of the Homeland", "Jornal do Brasil", "Bild am Sonntag").
_CONNECTOR = r"(?:of|the|de|do|da|di|del|der|des|du|la|le|am|im|und|y|e|i|van|von)"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_CONNECTOR}[ \t]+)*{_NAME_WORD}){{0,5}}"
# "the Kuwait daily al-Qabas", "the state news agency Tanjug", "the Lisbon daily, Diario de Noticias,"
# Every pattern is tried at the rare outlet-type nouns and head words only, never at every capital letter:
# most texts name no outlet, and a scan at each word was a third of the credit search.
_NOUN_AT = re.compile(rf"(?:{_NOUN})\b")
_NAME_AFTER = re.compile(
    rf"(?:[ \t]+[\"“]?(?P<name>{_NAME})(?P<clause>[ \t]+{_FINITE_VERB}\b)?|,[ \t]*(?P<apposed>{_NAME}),)"
)
# "told the newspaper Trump was ...": after a verb that takes the outlet as its object, a name and a verb
# start a clause; the name is a person's, not the paper's ("the Kuwait daily al-Qabas said" is the paper).
_OBJECT_LEFT = re.compile(r"\b(?:told|tell|tells|telling|informed|assured|to|with|by)\s+(?:[\w'’-]+\s+){0,4}$", re.I)
# "Business Day newspaper", "WMAL radio", "the Gazeta Mercantil newspaper"
# Not the bare "agency": "the Energy Department agency" is a government body.
# Not before a bare "agency", "network", "paper" or "website": "the Energy Department agency", "the Hezbollah
# network", "the Treasury paper", "the White House website" are no outlets.
_NAME_BEFORE = re.compile(rf"(?P<name>{_NAME})[\"”]?[ \t]+$")
_NOT_AFTER_NAME = frozenset(["agency", "network", "paper", "website"])
# A capitalised head word that ends an outlet's name: "Shenzhen Economic Zone Daily", "Gulf News Agency".
_HEADS = {
    "Daily": ("newspaper",),
    "Weekly": ("newspaper", "magazine"),
    "Newsletter": ("magazine",),
    "Shimbun": ("newspaper",),
    "Shinbun": ("newspaper",),
    "Zeitung": ("newspaper",),
    "Ilbo": ("newspaper",),
    "Gazeta": ("newspaper",),
    "Gazette": ("newspaper",),
    "Herald": ("newspaper",),
    "Tribune": ("newspaper",),
    "Times": ("newspaper",),
    "Post": ("newspaper",),
    "Journal": ("newspaper", "magazine"),
    "Chronicle": ("newspaper",),
    "Courier": ("newspaper",),
    "Observer": ("newspaper",),
    "News Agency": ("agency",),
    "Press Agency": ("agency",),
    "Telegraph Agency": ("agency",),
    "Radio": ("broadcaster",),
    "Television": ("broadcaster",),
}
_HEAD_AT = re.compile(
    r"(?P<head>"
    + "|".join(sorted(map(re.escape, _HEADS), key=len, reverse=True))
    + r")\b(?![ \t]+(?:[A-Z]|of\b)|[-'’]\w)"
)
_NAME_BEFORE_HEAD = re.compile(rf"(?P<name>(?:{_NAME_WORD}[ \t]+(?:{_CONNECTOR}[ \t]+)*){{1,5}})$")
# "Radio Pakistan", "Radio Free Europe", "Voice of the Homeland": a head word that opens the name.
# "Radio Shack", "Radio City" are a retailer and a music hall.
_LEADING_HEAD = re.compile(
    rf"(?P<name>(?:Radio(?![ \t]+(?:Shack|City)\b)|Voice[ \t]+of(?:[ \t]+the)?)(?:[ \t]+{_NAME_WORD}){{1,3}})\b(?![-'’]\w)"
)
# North American call signs ("WMAL", "KING-TV", "WFTV9"): a station, when a cue ties it to its sentence.
_CALL_SIGN = re.compile(r"[KW][A-Z]{2,3}(?P<suffix>-(?:TV|FM|AM|DT)|\d{1,2})?\b(?![-'’]\w)")
# A bare call sign is a station only with broadcasting or an interview near it ("WMAL radio", "told WEEI").
_BROADCAST_NEAR = re.compile(
    r"\b(?:radio|TV|television|station|affiliate|channel|show|host|broadcast|anchor|interview|told|on-air|"
    r"talk|program|programme|poll|survey)\b",
    re.I,
)
_NOT_CALL_SIGNS = frozenset(
    [
        "KDP",
        "KFC",
        "KFOR",
        "KGB",
        "KKK",
        "KKR",
        "KLM",
        "KMT",
        "KPMG",
        "KRG",
        "WADA",
        "WAPO",
        "WBA",
        "WBC",
        "WEF",
        "WFP",
        "WFTU",
        "WHO",
        "WIPO",
        "WMD",
        "WMO",
        "WNBA",
        "WPA",
        "WPP",
        "WRC",
        "WSJ",
        "WTA",
        "WTO",
        "WWE",
        "WWF",
        "WWI",
        "WWII",
        "WWL",
    ]
)
# Words that describe an outlet rather than name it: places, nationalities, function words.
_DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ese|an|ian|ish|i|ic)$")
_NOT_NAME_WORDS = (
    FUNCTION_WORDS
    | CALENDAR_WORDS
    | {"Today", "Yesterday"}
    | frozenset(
        [
            "Soviet",
            "Dutch",
            "French",
            "Swiss",
            "Greek",
            "Thai",
            "Czech",
            "Welsh",
            "Scots",
            "Basque",
            "Arab",
            "Moslem",
            "Muslim",
            "Sunni",
            "Shiite",
            "Catholic",
            "Communist",
            "Western",
            "Eastern",
            "Northern",
            "Southern",
            "West",
            "East",
            "North",
            "South",
            "Central",
            "State",
            "National",
            "Official",
            "Leading",
            "Local",
            "Pro",
            "Anti",
            "Old",
            "Other",
            "Another",
            "One",
            "Two",
            "Three",
            "First",
            "Second",
            "Some",
            "Many",
            "Mideast",
            "US",
            "U.S.",
            "UK",
            "U.K.",
            "Sunday's",
            "Saturday's",
            "Government",
            "Party",
            "Army",
            "Islamic",
            "Kremlin",
            "Vatican",
            "Beijing",
            "Peking",
            "Moscow",
            "Tokyo",
            "London",
            "Paris",
            "Bonn",
            "Berlin",
            "Rome",
            "Madrid",
            "Lisbon",
            "Cairo",
            "Tehran",
            "Baghdad",
            "Kuwait",
            "Riyadh",
            "Beirut",
            "Ankara",
            "Athens",
            "Vienna",
            "Brussels",
            "Geneva",
            "Zurich",
            "Hamburg",
            "Frankfurt",
            "Munich",
            "Milan",
            "Seoul",
            "Manila",
            "Jakarta",
            "Delhi",
            "Bombay",
            "Karachi",
            "Lagos",
            "Nairobi",
            "Harare",
            "Lusaka",
            "Johannesburg",
            "Sydney",
            "Melbourne",
            "Toronto",
            "Montreal",
            "Ottawa",
            "Mexico",
            "Havana",
            "Caracas",
            "Lima",
            "Bogota",
            "Rio",
            "Sao",
            "Brasilia",
            "Buenos",
            "Aires",
            "Santiago",
            "Washington",
            "York",
            "Chicago",
            "Boston",
            "Texas",
            "California",
            "Florida",
            "Ohio",
            "Iowa",
            "Virginia",
            "Carolina",
            "Hampshire",
            "Jersey",
            "Pennsylvania",
            "Michigan",
            "Wisconsin",
            "Nevada",
            "Arizona",
            "Colorado",
            "Georgia",
            "Alabama",
            "Kentucky",
            "Tennessee",
            "Orlando",
            "Dallas",
            "Houston",
            "Atlanta",
            "Miami",
            "Denver",
            "Seattle",
            "Detroit",
            "Philadelphia",
            "Los",
            "Angeles",
            "Francisco",
            "Diego",
        ]
    )
)
_PLACE_CACHE: dict[int, frozenset[str]] = {}


def _places(gazetteer: Gazetteer) -> frozenset[str]:
    """Countries the gazetteer's outlets come from: 'Canada Post' or 'a Texas paper' names a place, not an outlet."""
    key = id(gazetteer)
    if key not in _PLACE_CACHE:
        words = {w for o in gazetteer.outlets if o.country for w in o.country.split()}
        _PLACE_CACHE[key] = frozenset(w for w in words if w[:1].isupper() and w not in {"Republic", "Kingdom"})
    return _PLACE_CACHE[key]


def _descriptive(word: str, places: frozenset[str]) -> bool:
    bare = word.rstrip(".,").removesuffix("'s").removesuffix("’s")
    return (
        bare in _NOT_NAME_WORDS
        or bare in places
        or bool(_DEMONYM.match(bare))
        or word.endswith(("'s", "’s"))
        or bare.endswith(_DESCRIBING_SUFFIXES)
    )


# "the New York-based License magazine": a name never runs through "-based", "-run", "-owned", "-language".
_DESCRIBING_SUFFIXES = ("-based", "-run", "-owned", "-language", "-controlled", "-backed")


_FUNCTION_WORDS = FUNCTION_WORDS
_DATE_WORDS = CALENDAR_WORDS | {"Today", "Yesterday"}


def _function_word(word: str, trailing: bool = False) -> bool:
    bare = word.rstrip(".,")
    return word.islower() or bare in _FUNCTION_WORDS or trailing and bare in _DATE_WORDS


def _trim_name(text: str, start: int, end: int, places: frozenset[str], lead: bool = True) -> tuple[int, int] | None:
    """The span of text[start:end] without describing words at its ends ("the Japanese", "Sunday's"), or None.

    ``lead``: places and nationalities before the name describe it ("the Japanese Nihon Keizai newspaper");
    without it only function words go ("Kuwait Times" is a name)."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    if words and all(_descriptive(text[s:e], places) for s, e in words):
        return None  # "Canada Post", "a Texas paper": a place, not an outlet's name
    test = (lambda w: _descriptive(w, places) or w.islower()) if lead else _function_word
    cut = [k for k, (a, b) in enumerate(words) if text[a:b].rstrip(".,").endswith(_DESCRIBING_SUFFIXES)]
    if cut:
        words = words[cut[-1] + 1 :]
    while words and test(text[words[0][0] : words[0][1]]):
        words.pop(0)
    while words and _function_word(text[words[-1][0] : words[-1][1]], trailing=True):
        words.pop()
    if not words:
        return None
    s, e = words[0][0], words[-1][1]
    while e > s and text[e - 1] in ".,'’\"”":
        e -= 1
    return (s, e) if e - s >= 2 else None


def _word_start(text: str, m: re.Match) -> bool:
    return m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_'’-")


_OWN_BEFORE = re.compile(r"\b(?:its|his|her|their|our|your|my)\s+$", re.I)


def _name_after(text: str, noun_m: re.Match, places: frozenset[str]) -> tuple[int, int] | None:
    """The span of a name right after an outlet-type noun ("the daily al-Qabas", "the weekly, El Faro,"), or None."""
    m = _NAME_AFTER.match(text, noun_m.end())
    if m is None or _OWN_BEFORE.search(text, max(0, noun_m.start() - 8), noun_m.start()):
        return None  # "says on its website More ...": its own site, no outlet's name
    group = "name" if m.group("name") else "apposed"
    if m.group("clause") and _OBJECT_LEFT.search(text, max(0, noun_m.start() - 60), noun_m.start()):
        return None
    span = _trim_name(text, m.start(group), m.end(group), places, lead=False)
    lead = re.match(r"(?:The|the)[ \t]+", text[m.start(group) : m.end(group)])
    # "the daily Sunday Times": nothing but "The" dropped before the name
    if not span or span[0] != m.start(group) + (lead.end() if lead else 0):
        return None
    # "radio Tanzania said": with no article before it, the noun is part of the name
    bare = noun_m.group() in ("radio", "television", "TV") and not re.search(
        r"\b(?:the|a|an|[\w-]+-run|state|official|[A-Z][\w.'’-]*)\s+$",
        text[max(0, noun_m.start() - 30) : noun_m.start()],
    )
    return (noun_m.start() if bare and group == "name" else span[0], span[1])


def _typed_names(text: str, gazetteer: Gazetteer, taken: list[tuple[int, int]]) -> list[Candidate]:
    """Names next to an outlet-type noun that no gazetteer hit covers (linear: each pattern is one scan)."""
    places = _places(gazetteer)
    spans: dict[tuple[int, int], tuple[str, ...]] = {}
    for noun_m in _NOUN_AT.finditer(text):
        if not _word_start(text, noun_m):
            continue
        noun = noun_m.group()
        after = _name_after(text, noun_m, places)
        if after:
            spans.setdefault(after, _NOUN_TYPES[noun])
            continue  # "the Quito weekly, El Faro, said" names El Faro, not Quito
        if noun in _NOT_AFTER_NAME:
            continue
        before_m = _NAME_BEFORE.search(text, max(0, noun_m.start() - 100), noun_m.start())
        if before_m and not re.search(r"\b[Aa]n?\s+$", text[max(0, before_m.start() - 4) : before_m.start()]):
            # "Business Day newspaper", "WMAL radio"; not "a Texas paper": a kind of outlet, not one named
            span = _trim_name(text, before_m.start("name"), before_m.end("name"), places)
            if span:
                spans.setdefault(span, _NOUN_TYPES[noun])
    for h in _HEAD_AT.finditer(text):
        if _word_start(text, h):
            m = _NAME_BEFORE_HEAD.search(text, max(0, h.start() - 100), h.start())
            if m is None:
                continue
            head = h.start()
            span = _trim_name(text, m.start("name"), h.end(), places, lead=False)
            before = text[span[0] : head].split() if span else ()
            if not before or all(_descriptive(w, places) or w in _HEADS for w in before):
                continue  # "Canada Post", "Kuwait Times": a place before the head word may be a postal service
            if span[1] == h.end() and span[0] < head:
                spans.setdefault(span, _HEADS[h.group("head")])
    for m in _LEADING_HEAD.finditer(text) if "Radio" in text or "Voice of" in text else ():
        span = _trim_name(text, m.start("name"), m.end("name"), places, lead=False)
        if _word_start(text, m) and span and span[0] == m.start("name") and " " in text[span[0] : span[1]]:
            spans.setdefault(span, ("broadcaster",))
    for m in _CALL_SIGN.finditer(text):
        if not _word_start(text, m) or m.group().split("-")[0].rstrip("0123456789") in _NOT_CALL_SIGNS:
            continue
        if m.group("suffix") or _BROADCAST_NEAR.search(text, max(0, m.start() - 80), m.end() + 80):
            spans.setdefault((m.start(), m.end()), ("broadcaster",))
    starts = [s for s, _ in taken]
    out = []
    for (s, e), types in sorted(spans.items()):
        k = bisect.bisect_right(starts, e) - 1
        if k >= 0 and taken[k][1] > s:
            continue  # a gazetteer hit overlaps: it names the outlet
        surface = text[s:e]
        known = gazetteer.lookup(surface)
        out.append(Candidate(s, e, known.outlet_id if known else None, surface, False, types))
    return out


# ---------------------------------------------------------------------------- aliases
def _aliases(text: str, mentions: list[Candidate]) -> list[_Alias]:
    taken = sorted((m.start, m.end) for m in mentions)
    starts = [s for s, _ in taken]
    out = []
    for m in _TYPE_ALIAS.finditer(text):
        if not _word_start(text, m):
            continue
        s, e = m.start(), m.end()
        # "The newspaper Welt am Sonntag": a descriptor of the name that follows (or overlaps it).
        k = bisect.bisect_right(starts, e + 2) - 1
        if k >= 0 and taken[k][1] > s:
            continue
        out.append(_Alias(s, e, m.group("word"), _TYPE_WORDS[m.group("word")]))
    for m in _WORD_ALIAS.finditer(text):
        word = m.group("word")
        if word not in ALIAS_WORDS and word not in SELF_STANDING_WORDS or not _word_start(text, m):
            continue
        s, e = m.start(), m.end()
        if _NEXT_CAPITAL.match(text, e):  # "the Post Office", "the Times Square crowd", "the Journal of Medicine"
            continue
        out.append(_Alias(s, e, word, None))
    return sorted(out, key=lambda a: a.start)


_NEXT_CAPITAL = re.compile(r"[ \t]+(?:[A-Z]|of[ \t]+[A-Z])")


# "told Fox 35 in Orlando", "NBC 4": a local station numbered after its network, not the network.
_STATION_NUMBER = re.compile(r"[ \t]?\d{1,2}(?=[ \t]*(?:[,.;:!?)\"”’]|in\b|on\b|$))")


def _station(text: str, gazetteer: Gazetteer, m: Candidate) -> Candidate:
    number = _STATION_NUMBER.match(text, m.end) if m.outlet_id is not None else None
    if number is None or gazetteer.outlet(m.outlet_id).type != "broadcaster":
        return m
    return Candidate(m.start, number.end(), None, text[m.start : number.end()], False, ("broadcaster",))


# Bodies that "the agency" may mean instead of a news agency: "the SEC said ..., the agency said".
_BODIES = re.compile(
    r"\b(?:Agency|Commission|Administration|Department|Bureau|Authority|Office|Ministry|Board|Institute|"
    r"Organi[sz]ation|Fund|SEC|EPA|FDA|IEA|IAEA|CIA|FBI|NASA|FTC|FCC|USDA|EEC|IMF|OPEC)\b"
)


def _compatible(gazetteer: Gazetteer, mention: Candidate, alias: _Alias) -> bool:
    if mention.types == ("body",):
        return alias.types is not None and "agency" in alias.types
    if mention.outlet_id is None:
        if alias.types is not None:
            return bool(set(mention.types) & set(alias.types))
        return alias.word in re.findall(r"\w+", mention.surface)
    outlet = gazetteer.outlet(mention.outlet_id)
    if alias.types is not None:
        return outlet.type in alias.types
    names = [outlet.name, *outlet.aliases]
    return any(alias.word in re.findall(r"\w+", n) for n in names)


_DESCRIBED = re.compile(r"[ \t]+(?:daily[ \t]+)?(?:newspaper|daily|weekly|tabloid)\b")
# "Tehran radio, monitored by the BBC, said": the monitor is no antecedent of "the radio".
_MONITOR_LEFT = re.compile(r"\bmonitored\s+(?:\w+\s+){0,2}?by\s+(?:the\s+)?$")


def _bodies(text: str, named: list[Candidate]) -> list[Candidate]:
    """Government bodies and other agencies, as antecedents that leave "the agency" unresolved."""
    ends = {m.end for m in named}
    return [
        Candidate(m.start(), m.end(), None, m.group(), False, ("body",))
        for m in _BODIES.finditer(text)
        if m.end() not in ends
    ]


def _antecedents(gazetteer: Gazetteer, named: list[Candidate], aliases: list[_Alias]) -> dict[int, Candidate]:
    """alias index -> the most recent compatible mention before it, in one pass over the text.

    Each mention updates the alias kinds it fits; a later alias reads its kind (comparing every alias with
    every earlier mention was quadratic on a text of many)."""
    kinds = {(a.types, a.word if a.types is None else None): a for a in aliases}
    fits: dict[tuple, list[tuple]] = {}
    recent: dict[tuple, Candidate] = {}
    out: dict[int, Candidate] = {}
    events = sorted([(m.end, 0, i) for i, m in enumerate(named)] + [(a.start, 1, i) for i, a in enumerate(aliases)])
    for _, what, i in events:
        if what == 0:
            m = named[i]
            key = (m.outlet_id, m.surface if m.outlet_id is None else None, m.types if m.outlet_id is None else ())
            if key not in fits:
                fits[key] = [kind for kind, alias in kinds.items() if _compatible(gazetteer, m, alias)]
            for kind in fits[key]:
                recent[kind] = m
        else:
            a = aliases[i]
            target = recent.get((a.types, a.word if a.types is None else None))
            if target is not None:
                out[i] = target
    return out


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


@dataclass(frozen=True)
class Judged:
    """One candidate mention (a name, or an alias with the mention it resolved to) and the decision on it."""

    start: int
    end: int
    sentence: Sentence | None
    outlet_id: str | None
    surface: str
    is_alias: bool
    is_fuzzy: bool
    decision: Decision
    resolved: bool = True  # an alias found its antecedent


# Two mentions in one list: "Fox News and NBC News", "Business Insider, BuzzFeed News and Yahoo News",
# "the Des Moines Register/Bloomberg Politics poll". An unmarked one takes its neighbour's cue.
_COORDINATED_DESCRIPTOR = re.compile(
    rf"^(?:['’]s?)?[ \t]*(?:,[ \t]*)?(?:and|or|&)[ \t]+(?:the[ \t]+)?(?:(?:{OUTLET_ADJECTIVES}|television|TV|radio|news)[ \t]+){{0,3}}"
    rf"(?:{DESCRIPTORS})[ \t]+$"
)
_COORDINATED = re.compile(
    r"^(?:['’]s?)?[ \t]*(?:,[ \t]*(?:and[ \t]+|or[ \t]+)?|and[ \t]+|or[ \t]+|&[ \t]*|/[ \t]*|-)(?:the[ \t]+)?$"
)


def judge_mentions(text: str, gazetteer: Gazetteer, body_start: int = 0) -> list[Judged]:
    """Every candidate mention of ``text`` and the decision on it, in text order (see ``decide``).

    Linear in the text: every search reads a bounded window around its mention."""
    sentences = split_sentences(text)
    starts = [s.start for s in sentences]
    clashes = _acronym_clashes(text, gazetteer)
    hits = [
        Candidate(m.start, m.end, m.outlet_id, m.surface, m.is_fuzzy)
        for m in gazetteer.find(text)
        if m.surface not in clashes
    ]
    word_mentions = {(m.start, m.end) for m in hits if _bare_word(m.surface) in ALIAS_WORDS}
    named = [m for m in hits if (m.start, m.end) not in word_mentions]
    named = sorted(named + _typed_names(text, gazetteer, [(m.start, m.end) for m in hits]), key=lambda m: m.start)
    aliases = _aliases(text, named)
    sources = [m for m in named if not _MONITOR_LEFT.search(text, max(0, m.start - 40), m.start)]
    bodies = _bodies(text, named) if any(a.types and "agency" in a.types for a in aliases) else []
    antecedents = _antecedents(gazetteer, sources + bodies, aliases)

    def sentence_of(pos: int) -> Sentence | None:
        k = bisect.bisect_right(starts, pos) - 1
        if k >= 0 and sentences[k].start <= pos < sentences[k].end:
            return sentences[k]
        return None

    def judged(start: int, end: int, known: bool = True) -> tuple[Sentence | None, Decision]:
        sent = sentence_of(start)
        if sent is None:
            return None, Decision(None, 0.0, "outside every sentence")
        return sent, decide(text, sent, start, end, body_start, known)

    out: list[Judged] = []
    alias_starts = [a.start for a in aliases]
    for m in map(lambda m: _station(text, gazetteer, m), named):
        k = bisect.bisect_right(alias_starts, m.start) - 1
        if k >= 0 and aliases[k].start <= m.start and m.end <= aliases[k].end:
            continue  # the alias pass decides ("the Guardian" after The Guardian named)
        sent, d = judged(m.start, m.end, m.outlet_id is not None)
        if d.cue is not None and m.outlet_id is None:
            d = replace(d, confidence=d.confidence * UNKNOWN_FACTOR)
        elif d.cue is not None and m.is_fuzzy:
            d = replace(d, confidence=d.confidence * FUZZY_FACTOR)
        out.append(Judged(m.start, m.end, sent, m.outlet_id, m.surface, False, m.is_fuzzy, d))
    for i, a in enumerate(aliases):
        sent, d = judged(a.start, a.end)
        surface = text[a.start : a.end]
        target = antecedents.get(i)
        if target is not None:
            d = replace(d, confidence=d.confidence * ALIAS_FACTOR)
            out.append(Judged(a.start, a.end, sent, target.outlet_id, surface, True, False, d))
            continue
        own = gazetteer.lookup(a.word) if a.word in SELF_STANDING_WORDS else None
        if own is not None:
            # "The Hill", "The Economist": a name in its own right when nothing earlier fits.
            d = replace(d, confidence=d.confidence * 0.8)
            out.append(Judged(a.start, a.end, sent, own.outlet_id, surface, False, False, d))
            continue
        if a.types is None and _DESCRIBED.match(text, a.end):
            # "told The Herald daily newspaper": a paper's own name, though the gazetteer lacks this one
            d = replace(d, confidence=d.confidence * UNKNOWN_FACTOR)
            out.append(Judged(a.start, a.end, sent, None, surface, False, False, d))
            continue
        d = replace(d, confidence=UNRESOLVED_CONFIDENCE)
        out.append(Judged(a.start, a.end, sent, None, surface, True, False, d, resolved=False))
    out.sort(key=lambda j: (j.start, j.end))
    return _coordinate(text, out)


def _coordinate(text: str, judged: list[Judged]) -> list[Judged]:
    """Give an undecided mention the cue of a credited one it is listed with (both ways along the list)."""
    for order in (range(1, len(judged)), range(len(judged) - 2, -1, -1)):
        for k in order:
            j = judged[k]
            other = judged[k - 1] if order.step == 1 else judged[k + 1]
            if j.decision.cue is not None or j.decision.frame != "no cue frame" or other.decision.cue is None:
                continue
            if j.sentence is None or j.sentence != other.sentence:
                continue
            a, b = (other, j) if order.step == 1 else (j, other)
            gap = text[a.end : b.start]
            if len(gap) > 60 or not (_COORDINATED.match(gap) or _COORDINATED_DESCRIPTOR.match(gap)):
                continue
            d = other.decision
            judged[k] = replace(j, decision=Decision(d.cue, d.confidence * 0.95, f"listed with: {d.frame}"))
    return judged


def find_credits(text: str, gazetteer: Gazetteer, body_start: int = 0) -> list[Credit]:
    """Every credit in one document's text, in text order (``body_start`` as in ``decide``)."""
    credits = []
    for j in judge_mentions(text, gazetteer, body_start):
        if j.decision.cue is None or j.sentence is None:
            continue
        credit_line = is_credit_line(text, j.sentence, j.start, j.end, j.decision.cue)
        credits.append(
            Credit(
                j.start,
                j.end,
                j.sentence,
                j.outlet_id,
                j.surface,
                j.decision.cue,
                j.is_alias,
                j.is_fuzzy,
                j.decision.confidence,
                credit_line,
            )
        )
    return credits


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
