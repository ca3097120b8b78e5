"""Bytes to text: the one decoder of input files, for every reader.

In this order:

1. a byte order mark says UTF-8, UTF-16 or UTF-32;
2. NUL bytes or many control bytes say binary;
3. escape sequences of a 7-bit stateful encoding (ISO-2022-JP/-KR, HZ) say that encoding;
4. valid UTF-8 is UTF-8;
5. UTF-8 but for a few bad bytes (at most 3, or no more bad sequences than good multi-byte
   characters, and at least one good one) is UTF-8,
   each bad sequence shown as U+FFFD and counted (``Decoded.replaced``): one bad byte must not
   turn a whole article into another encoding's garbage, nor into a reject;
6. else each legacy encoding news comes in is tried, and the decoding that reads most like text
   wins (``plausibility``: letters of the encoding's own scripts, common characters of its own
   character set, no case changes inside words, no symbols between letters); a text that is
   ASCII but for a few bytes no legacy encoding reads as plausible is UTF-8 with bad bytes; a
   decoding as plausible as the best into other text makes the file a reject (too close to call);
7. nothing plausible: ``Undecodable``.

Offsets into the decoded text are what ingest's offset map points at, so a U+FFFD is one
character there, wherever it stands.
"""

from __future__ import annotations

import codecs
import collections
import functools
import re
import unicodedata
from dataclasses import dataclass

# Share of control characters above which a file is binary rather than damaged text.
BINARY_CONTROL_SHARE = 0.10
# Lowest ``plausibility`` of a legacy decoding that is taken (1.0: every non-ASCII character fits).
MIN_PLAUSIBILITY = 0.5
# Characters of a decoding that its plausibility is measured on: enough to tell encodings apart,
# few enough that trying a dozen on a file of 20 MB costs no more than on one of 50 KB.
PLAUSIBILITY_SAMPLE = 20_000
# A legacy decoding within this much plausibility of the best that gives other text makes the
# file a reject: too close to call.
AMBIGUOUS_MARGIN = 0.02
# A text that is ASCII but for at most this many bytes, which no legacy encoding reads plausibly,
# is UTF-8 with bad bytes.
FEW_BAD_BYTES = 3
# Bad UTF-8 sequences that FEW_BAD_BYTES bad bytes may leave: a bad lead byte strands the three
# continuation bytes after it.
BAD_BYTES_OF_FEW = 4 * FEW_BAD_BYTES

_BOMS = (  # UTF-32 first: its little-endian BOM begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Controls that say "binary" when frequent; tab, LF, VT, FF and CR are ordinary in text, and ESC,
# SO and SI are the shifts of the 7-bit stateful encodings.
_BINARY_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x10-\x1a\x1c-\x1f\x7f]")
_BINARY_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

_ASCII_BYTES = bytes(range(0x80))
_NOT_CONTINUATION_BYTES = bytes([*range(0x80), *range(0xC0, 0x100)])

# (marker bytes, encodings to try) of the 7-bit stateful encodings
_STATEFUL = (
    (re.compile(rb"\x1b\$[@B]|\x1b\(J|\x1b\(I"), ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004")),
    (re.compile(rb"\x1b\$\)C"), ("iso2022_kr",)),
    (re.compile(rb"\x1b\$A|\x1b\$\)A"), ("iso2022_jp_2",)),
    (re.compile(rb"~\{[\x21-\x7e]{2}"), ("hz",)),
)


@dataclass(frozen=True)
class _Legacy:
    encoding: str
    scripts: frozenset[str]  # scripts of the letters it is written for
    common: object  # character -> whether it is among its character set's common ones (None: any)


def _lead_in(encoding: str, low: int, high: int):
    """Whether a character's first byte in ``encoding`` is in ``low..high``: the rows of a CJK
    character set that hold its frequent characters (GB2312 level 1, Big5's frequent characters,
    JIS X 0208 level 1, KS X 1001's Hangul)."""

    def common(char: str) -> bool:
        try:
            encoded = char.encode(encoding)
        except UnicodeEncodeError:
            return False
        return len(encoded) == 2 and low <= encoded[0] <= high

    return common


def _japanese_common(char: str) -> bool:
    return "\u3040" <= char <= "\u30ff" or _lead_in("euc_jp", 0xB0, 0xCF)(char)


def _korean_common(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" and _lead_in("euc_kr", 0xB0, 0xC8)(char)


_LATIN, _CYRILLIC = frozenset({"LATIN"}), frozenset({"CYRILLIC"})
# In order of preference when two read equally well.
LEGACY = (
    _Legacy("cp1252", _LATIN, None),
    _Legacy("cp1250", _LATIN, None),
    _Legacy("iso8859_2", _LATIN, None),
    _Legacy("cp1251", _CYRILLIC, None),
    _Legacy("koi8_r", _CYRILLIC, None),
    _Legacy("koi8_u", _CYRILLIC, None),
    _Legacy("gb18030", frozenset({"CJK"}), _lead_in("gb2312", 0xB0, 0xD7)),
    _Legacy("big5", frozenset({"CJK"}), _lead_in("big5", 0xA4, 0xC6)),
    _Legacy("shift_jis", frozenset({"CJK", "HIRAGANA", "KATAKANA"}), _japanese_common),
    _Legacy("euc_jp", frozenset({"CJK", "HIRAGANA", "KATAKANA"}), _japanese_common),
    _Legacy("euc_kr", frozenset({"HANGUL", "CJK"}), _korean_common),
)

# Non-letters that news text is full of: quotes, dashes, currency, degrees, CJK punctuation.
_COMMON_MARKS = frozenset("“”‘’„«»‹›–—…•·€£¥°§¿¡\u00a0\u3000、。「」『』【】〈〉《》・〜ー")
# Letters that single-byte code pages hold but that are rare in any language's news (Serbian and
# Macedonian Cyrillic among them: none of the languages measured).
_RARE_LETTERS = frozenset("ÿþÞðÐªºƒŸЂЃѓЉЊЌЋЏђљњќћџЎўЈЅѕј")
# The accented letters of the languages of the Western and Central European code pages. A text's
# accented letters that its likeliest language has score full, the others less: Czech read as
# cp1252 ("mìsta", "støedu", "ètvrti") mixes alphabets that cp1250 ("města", "středu") does not.
ALPHABETS = {
    "fr": "éèêëàâçîïôûùüÿœæ",
    "de": "äöüß",
    "es": "áéíóúñü",
    "pt": "áâãàçéêíóôõú",
    "it": "àèéìíòóù",
    "nl": "ëïéèáóú",
    "nordic": "åäöøæéü",
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű",
    "ro": "ăâîșțşţ",
    "tr": "çğıöşüâî",
}
# Frequent short words of those languages: the words of a text, the same in most decodings, say its language when its few accented letters fit two alphabets ("très" or "trčs").
STOPWORDS = {
    "fr": "le la les de des du et est une un en que pour dans sur au aux par",
    "de": "der die das und ist nicht ein eine den dem mit von auf zu im sich",
    "es": "el la los las de del y en que un una por con para se al es",
    "pt": "o os as de do da dos das e em que um uma para com se por",
    "it": "il lo la gli le di del della e in che un una per con non sono",
    "nl": "de het een en van in is dat op te met voor niet zijn",
    "nordic": "og i det at en til er som for med av den har",
    "pl": "i w na z do to jest nie jak po co od przez",
    "cs": "a se na je v to ve jsou z do od po by jako",
    "sk": "a sa na je v to vo su z do od po by ako",
    "hu": "a az és egy hogy nem is meg de van volt csak",
    "ro": "si in de la cu pe un o a din care este",
    "tr": "ve bir bu da de ile icin olarak",
}
_STOPWORDS = {language: frozenset(words.split()) for language, words in STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+")
# Accented letters that stand alone as a word ("à Paris"); any other alone is a misreading ("Ť Nous").
_ONE_LETTER_WORDS = frozenset("àÀéÉóÓáÁ")
# Polish nasal vowels never start a word.
_NEVER_FIRST = frozenset("ąęĄĘ")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    replaced: int  # bad byte sequences shown as U+FFFD


class Undecodable(Exception):
    """Bytes that are not text: ``reason`` is a ``rejects.reason`` (empty, binary, undecodable)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode(data: bytes) -> Decoded:
    """The text of a file's bytes (see the module doc), or raise ``Undecodable``."""
    if not data:
        raise Undecodable("empty", "the file has 0 bytes")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise Undecodable(
                    "undecodable", f"starts with a {encoding} byte order mark but {exc.reason} at byte {exc.start}"
                ) from None
            return _checked(Decoded(text, encoding, 0))
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Undecodable("binary", f"NUL byte at offset {nul} and no UTF-16/32 byte order mark")
    share = len(_BINARY_CONTROL_BYTES.findall(data)) / len(data)
    if share > BINARY_CONTROL_SHARE:
        raise Undecodable("binary", f"{share:.0%} of the bytes are control characters")
    if data.isascii():
        stateful = _stateful(data)
        if stateful is not None:
            return _checked(stateful)
    try:
        return _checked(Decoded(data.decode("utf-8"), "utf-8", 0))
    except UnicodeDecodeError:
        pass
    text, bad, good = _utf8_with_replacements(data)
    if good >= 1 and (bad <= good or bad <= FEW_BAD_BYTES):
        return _checked(Decoded(text, "utf-8", bad))
    # A few high bytes in ASCII text are no CJK text, whose double-byte codes would swallow the
    # ASCII character after each: only the single-byte code pages may explain them.
    high = len(data.translate(None, _ASCII_BYTES))  # in C: files of 20 MB
    few = high <= FEW_BAD_BYTES
    try:
        legacy = _best_legacy(data, single_byte_only=few)
    except Undecodable:
        # Too close to call, but a byte or three, or bytes stranded from their UTF-8 characters
        # (mostly continuation bytes, 0x80-0xBF), are bad bytes in UTF-8 text.
        stranded = bad <= BAD_BYTES_OF_FEW and 2 * len(data.translate(None, _NOT_CONTINUATION_BYTES)) >= high
        if not (few or stranded):
            raise
        legacy = None
    if legacy is not None:
        return _checked(legacy)
    if bad <= BAD_BYTES_OF_FEW:
        return _checked(Decoded(text, "utf-8", bad))
    raise Undecodable("undecodable", "not UTF-8, and no known encoding decodes it into plausible text")


def _checked(decoded: Decoded) -> Decoded:
    text = decoded.text
    if text:
        share = len(_BINARY_CONTROL_CHARS.findall(text)) / len(text)
        if share > BINARY_CONTROL_SHARE:
            raise Undecodable("binary", f"{share:.0%} of the decoded characters are control characters")
    return decoded


def _stateful(data: bytes) -> Decoded | None:
    """A 7-bit stateful encoding its escape sequences name, when it decodes the bytes plausibly."""
    for marker, encodings in _STATEFUL:
        if marker.search(data):
            for encoding in encodings:
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    continue
                if text != data.decode("ascii") and plausibility(text, None) >= MIN_PLAUSIBILITY:
                    return Decoded(text, codecs.lookup(encoding).name, 0)
    return None


def _utf8_with_replacements(data: bytes) -> tuple[str, int, int]:
    """(text, bad sequences, good multi-byte characters) of ``data`` read as UTF-8, each bad
    sequence (Python's maximal subparts) a U+FFFD."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")  # in C: files of 20 MB
    return text, bad, good


def _best_legacy(data: bytes, single_byte_only: bool = False) -> Decoded | None:
    """The legacy decoding that reads most like text, if one reads plausibly; ``Undecodable`` when
    another reads almost as well into other text (a wrong text is worse than a reject)."""
    scored: list[tuple[float, str, str]] = []  # (plausibility, encoding, the sample it was measured on)
    for legacy in LEGACY:
        if single_byte_only and legacy.common is not None:
            continue
        try:
            sample = data.decode(legacy.encoding)[:PLAUSIBILITY_SAMPLE]  # one whole decoding at a time
        except UnicodeDecodeError:
            continue
        scored.append((plausibility(sample, legacy), legacy.encoding, sample))
    if not scored:
        return None
    best = max(scored, key=lambda s: s[0])  # the first of equals: LEGACY is in order of preference
    if best[0] < MIN_PLAUSIBILITY:
        return None
    rivals = [s for s in scored if s[2] != best[2] and s[0] > best[0] - AMBIGUOUS_MARGIN]
    if rivals:
        raise Undecodable(
            "undecodable",
            f"reads as {codecs.lookup(best[1]).name} or as {codecs.lookup(rivals[0][1]).name} "
            "into different text, neither clearly; convert the file to UTF-8",
        )
    return Decoded(data.decode(best[1]), codecs.lookup(best[1]).name, 0)


@functools.lru_cache(maxsize=65536)
def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    if name.startswith("CJK UNIFIED") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
        return "CJK"
    return name.split(" ", 1)[0]


def plausibility(text: str, legacy: _Legacy | None) -> float:
    """How much ``text``'s non-ASCII characters read like text of ``legacy``'s scripts (None:
    any script), from 1.0 (all fit) down: the mean of a score per non-ASCII character."""
    total = 0.0
    count = 0
    word_letters = word_non_ascii = 0
    n = len(text)
    alphabet = _likeliest_alphabet(text)
    for k, char in enumerate(text):
        previous = text[k - 1] if k else ""
        following = text[k + 1] if k + 1 < n else ""
        if char.isalpha():
            word_letters += 1
        else:
            word_letters = word_non_ascii = 0
        if char <= "\x7f":
            if char == " " and _is_han(previous) and _is_han(following):
                total -= 2  # Chinese and Japanese put no space between words: Korean read as Chinese
            continue
        count += 1
        category = unicodedata.category(char)
        if char == "\ufffd" or category in ("Cc", "Co", "Cn", "Cs"):
            total -= 5
        elif category.startswith("L"):
            word_non_ascii += 1
            total += _letter_score(char, previous, following, legacy, word_letters, word_non_ascii, alphabet)
        elif category == "Mn":
            total -= 1
        elif char in _COMMON_MARKS or category.startswith("Z") or category in ("Pd", "Pi", "Pf"):
            total += 1 if category == "Pd" or not (previous.isalpha() and following.isalpha()) else -3
        elif unicodedata.east_asian_width(char) in ("F", "W") and category.startswith("P"):
            total += 0.5  # fullwidth punctuation of CJK text
        else:
            total -= 3 if previous.isalpha() and following.isalpha() else 2  # "³ódź", "±"
    return total / count if count else 1.0


def _letter_score(
    char: str,
    previous: str,
    following: str,
    legacy: _Legacy | None,
    word_letters: int,
    word_non_ascii: int,
    alphabet: frozenset[str],
) -> float:
    script = _script(char)
    if char in _RARE_LETTERS or "HALFWIDTH" in unicodedata.name(char, ""):
        return -2
    if legacy is not None and script not in legacy.scripts:
        return -2
    if any(c.isalpha() and _family(c) != _family(char) for c in (previous, following)):
        return -3  # scripts mixed inside a word: "Шeditel", "Engineerя"
    if legacy is not None and legacy.common is not None and not legacy.common(char):
        return -1
    if char.isupper() and previous.isalpha():
        # a capital inside a word ("cafÚÆs"); a word of capitals is a headline's or an acronym's,
        # and most of Russian in KOI8-R read as cp1251 (and the reverse)
        return -3 if previous.islower() else 0.3
    if script == "LATIN":
        if not previous.isalpha() and not following.isalpha() and char not in _ONE_LETTER_WORDS:
            return -2
        if char in _NEVER_FIRST and not previous.isalpha():
            return -2
        if word_non_ascii >= 3 and 2 * word_non_ascii > word_letters:
            return -1  # a Latin word of mostly accented letters: Cyrillic read as Latin-1
        return 1 if char.lower() in alphabet else 0.3
    return 1


def _likeliest_alphabet(text: str) -> frozenset[str]:
    """The alphabet of the language of ``ALPHABETS`` that ``text`` most reads like: its frequent
    short words (``STOPWORDS``) count twice, then its accented Latin letters that the alphabet holds."""
    lower = text.lower()
    letters = [c for c in lower if "\u00c0" <= c <= "\u024f"]
    if not letters:
        return frozenset()
    words = collections.Counter(_WORD.findall(lower))

    def fit(language: str) -> int:
        alphabet = ALPHABETS[language]
        return 2 * sum(n for word, n in words.items() if word in _STOPWORDS[language]) + sum(
            c in alphabet for c in letters
        )

    return frozenset(ALPHABETS[max(ALPHABETS, key=fit)])


def _is_han(char: str) -> bool:
    return bool(char) and char > "\u2e7f" and _script(char) == "CJK"


@functools.lru_cache(maxsize=65536)
def _family(char: str) -> str:
    """A letter's script, the scripts written together (Japanese kanji and kana) as one."""
    script = _script(char)
    return "CJK" if script in ("CJK", "HIRAGANA", "KATAKANA") else script
