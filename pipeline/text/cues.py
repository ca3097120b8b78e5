"""The words around an outlet's name that say it is credited: descriptors ("the newspaper") and
reporting cues ("told", "according to", "reported").

Two callers read them. The gazetteer (pipeline.text.gazetteer) only asks whether a single-word name
("Time", "Post", "Mint") stands next to any cue or descriptor at all (the ``NAME_*`` patterns);
attribution (pipeline.stages.attribution) classifies which cue credits a mention, with patterns of
its own built on ``DESCRIPTORS``, ``OUTLET_ADJECTIVES`` and ``SPEECH_VERBS``.
"""

from __future__ import annotations

import re

# What an outlet is called in running text ("the newspaper", "the Kuwaiti news agency KUNA").
DESCRIPTORS = (
    r"newspaper|daily|weekly|magazine|tabloid|paper|news agency|agency|news service|wire service|"
    r"broadcaster|network|radio|television|TV|channel|website"
)
# The gazetteer's descriptors: also "news site" and "journal". A separate list because attribution's
# never had them, and adding them there would change which cue it finds (its eval errors).
NAME_DESCRIPTORS = f"{DESCRIPTORS}|news site|journal"

# Words that may stand between "the" and a descriptor ("the state-run news agency").
OUTLET_ADJECTIVES = (
    r"(?:official|state|state-run|state-owned|semi-official|government|communist party|party|"
    r"ruling party|financial|business|economic|local|national|leading|influential|mass-circulation|"
    r"independent|conservative|liberal|[\w]+-language|[\w]+-based|[A-Z][a-z]+(?:ese|an|ian|ish|i))"
)
SPEECH_VERBS = (
    r"(?:said|says|stated|states|added|adds|wrote|writes|noted|claimed|mentioned|commented|"
    r"observed|explained)"
)

# A descriptor ending the text before a name: "told the Kuwaiti news agency " KUNA.
# Also "the West German weekly magazine ", "Kuwait's daily ", "the Hamburg-based newsletter ".
DESCRIPTOR_TAIL = re.compile(
    rf"(?:\b[Tt]he\s+|\b[A-Z][\w.-]*['’]s\s+)?(?:(?:{OUTLET_ADJECTIVES}|[A-Z][\w.'’-]*|trade|industry|news|"
    rf"television|TV|radio|economic|monthly)\s+){{0,4}}(?:(?:{DESCRIPTORS}|newsletter|monthly|journal)\s+){{1,2}}[\"“]?$"
)

# The gazetteer's context rules for single-word names: a cue or a descriptor in the 80 characters
# before (LEFT, searched at the end) or after (RIGHT, matched at the start) the name.
NAME_LEFT_CUE = re.compile(
    r"(?:\b(?:told|tells|telling|tell|advised|informed|according to|in accordance with|citing|"
    r"quoting|cited by|quoted by|reported by|reported in|published in|published by|printed in|"
    r"wrote in|writing in|interview with|interviewed by|article in|story in|report in|op-ed in|"
    r"column in|editorial in|spoke to|speaking to|said on|appeared on|appearance on|via)\s+(?:the\s+)?|[(/|\[]\s*"
    # a byline credit line: "Reporting by Jane Doe for AP"
    r"|(?:^|(?<=\n))\W*(?i:reporting|writing|written|compiled|editing|edited)\s+by\s+[^.!?:\n]{1,120}?\s+"
    r"(?:for|of|from)\s+(?:the\s+)?)$"
)
NAME_LEFT_DESCRIPTOR = re.compile(rf"\b(?:{NAME_DESCRIPTORS})\s+(?:the\s+)?$")
NAME_RIGHT_DESCRIPTOR = re.compile(rf"^(?:['’]s)?\s+(?:{NAME_DESCRIPTORS})\b")
NAME_RIGHT_CUE = re.compile(
    r"^[\"”]?\s*(?:,[^,]{1,60},\s*)?(?:[a-z]+\s+)?"
    r"(?:reported|reports|reporting|quoted|quoting|said|says|stated|wrote|writes|cited|citing|"
    r"added|noted|estimates|estimated|lists|listed|found|published|identified|obtained|put|puts|released)\b|"
    r"^\s+(?:report|article|story|poll|survey|analysis|editorial|op-ed|interview|"
    r"investigation|tally|headline)s?\b|^\s*\)"
    # credit lines: "Bloomberg via Getty Images", "Reuters/Getty", "[CNN]", a name closing its line ("Getty.")
    r"|^\s+via\s+[A-Z]|^\s*/\s*[A-Z]|^\.?\s*\]|^\.?[ \t]*(?:\n|$)"
)

# Weekday and month names and their abbreviations: capitalised, never a name.
CALENDAR_WORDS = frozenset(
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
    ]
)
# Capitalised articles, determiners, pronouns, titles, prepositions and conjunctions: they open no name.
FUNCTION_WORDS = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "Its",
        "Their",
        "His",
        "Her",
        "Our",
        "Mr",
        "Mrs",
        "Ms",
        "He",
        "She",
        "It",
        "They",
        "We",
        "In",
        "On",
        "At",
        "By",
        "For",
        "From",
        "With",
        "And",
        "But",
        "Or",
        "As",
        "If",
        "When",
        "While",
        "After",
        "Before",
        "Since",
    ]
)
