"""Slow, plain definitions of the text rules, match by match: the tests hold the fast paths of
pipeline.text to them."""

from __future__ import annotations

from pipeline.text.tokens import NAME_TOKEN, TOKEN, NameToken, Token, normal_form


def tokenize_one_by_one(text: str) -> list[Token]:
    """``tokens.tokenize``'s definition: TOKEN's matches, "per" and a "cent" at most one character
    after it merged into "percent"."""
    tokens: list[Token] = []
    for match in TOKEN.finditer(text):
        surface = match.group()
        norm = normal_form(surface)
        if norm == "cent" and tokens and tokens[-1].norm == "per" and tokens[-1].end + 1 >= match.start():
            previous = tokens.pop()
            tokens.append(Token(previous.start, match.end(), text[previous.start : match.end()], "percent"))
            continue
        tokens.append(Token(match.start(), match.end(), surface, norm))
    return tokens


def token_matches(text: str) -> list[tuple[int, int, str]]:
    """(start, end, surface) of every TOKEN match: ``tokens.token_rows``' tokens, no "per cent" merged."""
    return [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]


def after_break(text: str, breaks: frozenset[str]) -> list[bool]:
    """Per TOKEN match: a character of ``breaks`` lies between the previous match (or the text's
    start) and this one."""
    found, previous_end = [], 0
    for start, end, _ in token_matches(text):
        found.append(any(ch in breaks for ch in text[previous_end:start]))
        previous_end = end
    return found


def name_tokens_by_match(text: str) -> list[NameToken]:
    """``tokens.name_tokens``' definition."""
    return [NameToken(m.start(), m.end(), m.group()) for m in NAME_TOKEN.finditer(text)]
