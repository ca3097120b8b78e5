"""Escaped text with highlighted ranges: the one way every page of the report marks a text."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Mark:
    """A highlighted range of a text: ``[start, end)`` becomes ``<tag class=... attrs>``."""

    start: int
    end: int
    css_class: str
    attrs: tuple[tuple[str, str], ...] = ()
    tag: str = "mark"


def highlight(text: str, start: int, end: int, marks: list[Mark]) -> Markup:
    """Escaped ``text[start:end]`` with one element per mark.

    Marks are clamped to the window; where two overlap, the later one starts where the earlier one
    ends (it may become empty), so elements never nest and each mark yields exactly one element.
    """
    start, end = max(0, start), min(len(text), end)
    out, cursor = [], start
    for mark in sorted(marks, key=lambda m: (m.start, m.end)):
        s = min(max(mark.start, cursor), end)
        e = min(max(mark.end, s), end)
        attrs = "".join(f' {name}="{escape(value)}"' for name, value in mark.attrs)
        out.append(escape(text[cursor:s]))
        out.append(f'<{mark.tag} class="{escape(mark.css_class)}"{attrs}>{escape(text[s:e])}</{mark.tag}>')
        cursor = e
    out.append(escape(text[cursor:end]))
    return Markup("".join(out))
