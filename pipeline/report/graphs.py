"""Graph geometry for the report's SVG drawings: who copied whom on a time axis, and publisher to
publisher. Drawn on the server (no script): positions, curves and label boxes are worked out here
so that edge labels never overlap each other or a node (``place_label``), and the templates only
print them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

NODE_R = 11
LABEL_H = 15
CHAR_W = 6.6  # an average character of the 12 px label font

# Where along an edge (its curve parameter) and how far above or below it a label may go, in order
# of preference: the middle first.
_ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88)
_ACROSS = tuple(sign * step * LABEL_H for step in range(8) for sign in ((1,) if step == 0 else (-1, 1)))


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True)
class Node:
    key: str  # a doc_id or a publisher
    number: int  # shown in the circle and in the legend
    x: float
    y: float
    title: str  # the full name, shown on hover (<title>)
    css_class: str
    href: str | None
    caption: str = ""  # beside the node (publishers), or "ORIGIN"
    caption_anchor: str = "middle"
    caption_x: float = 0.0
    caption_y: float = 0.0


@dataclass(frozen=True)
class Edge:
    css_class: str
    path: str  # SVG path data
    directed: bool
    width: float
    label: str
    label_box: Box
    title: str  # the edge spelled out, shown on hover

    @property
    def label_x(self) -> float:
        return self.label_box.x + self.label_box.w / 2

    @property
    def label_y(self) -> float:
        return self.label_box.y + LABEL_H - 4


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    sub_label: str = ""  # a time of day


@dataclass(frozen=True)
class Drawing:
    marker: str  # the arrowhead's element id, unique on the page
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    ticks: list[Tick]
    axis_y: float | None  # None: no time axis


def _curve(x1: float, y1: float, x2: float, y2: float, bow: float) -> tuple[tuple[float, float], ...]:
    """A quadratic curve from one node's rim to the other's, bowed by ``bow`` of its length to its
    left: a link forward in time arcs above the nodes, clear of the time axis below them."""
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    start = (x1 + ux * NODE_R, y1 + uy * NODE_R)
    end = (x2 - ux * (NODE_R + 2), y2 - uy * (NODE_R + 2))
    control = ((x1 + x2) / 2 + uy * bow * length, (y1 + y2) / 2 - ux * bow * length)
    return start, control, end


def _at(curve: tuple[tuple[float, float], ...], t: float) -> tuple[float, float]:
    (x0, y0), (cx, cy), (x1, y1) = curve
    return (
        (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
        (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1,
    )


def _path(curve: tuple[tuple[float, float], ...]) -> str:
    (x0, y0), (cx, cy), (x1, y1) = curve
    return f"M{x0:.1f},{y0:.1f} Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}"


def label_width(label: str) -> float:
    return CHAR_W * len(label) + 8


def place_label(label: str, curve: tuple[tuple[float, float], ...], taken: list[Box]) -> Box:
    """The first box along the curve (middle first, then nearer the ends, then above and below it)
    that overlaps nothing ``taken``; the least crowded one when every box does. It is added to
    ``taken``."""
    w = label_width(label)
    best, best_hits = None, math.inf
    for across in _ACROSS:
        for t in _ALONG:
            x, y = _at(curve, t)
            box = Box(x - w / 2, y - LABEL_H / 2 + across, w, LABEL_H)
            hits = sum(box.overlaps(b) for b in taken)
            if hits < best_hits:
                best, best_hits = box, hits
            if not hits:
                taken.append(box)
                return box
    taken.append(best)
    return best


def node_box(x: float, y: float) -> Box:
    return Box(x - NODE_R - 1, y - NODE_R - 1, 2 * NODE_R + 2, 2 * NODE_R + 2)


@dataclass(frozen=True)
class TimedNode:
    """A document to draw: when it was published (a day's start where no time is known)."""

    key: str
    when: dt.datetime
    timed: bool  # its time of day is known
    title: str
    css_class: str
    href: str | None
    caption: str = ""


@dataclass(frozen=True)
class EdgeSpec:
    source: str
    target: str
    css_class: str
    label: str
    directed: bool
    title: str
    width: float = 1.6


def _column_gap(hours: float) -> float:
    """Space between two successive times on the axis: more for a longer wait, on a log scale, so a
    day later reads as later than an hour later without a week pushing everything off the page."""
    return 0 if hours <= 0 else 120 + 40 * min(math.log2(1 + hours / 6), 5)


def timeline(marker: str, nodes: Sequence[TimedNode], edges: Sequence[EdgeSpec]) -> Drawing:
    """Documents left to right by when they were published (the same time: one above the other),
    copy links as curved arrows labelled by relation, dates along the axis below."""
    times = sorted({n.when for n in nodes})
    column_x, x = {}, 60.0
    for i, t in enumerate(times):
        if i:
            x += _column_gap((t - times[i - 1]).total_seconds() / 3600)
        column_x[t] = x
    row_h, top = 64, 50
    rows: dict[dt.datetime, int] = {}
    placed: dict[str, tuple[float, float]] = {}
    drawn: list[Node] = []
    for number, n in enumerate(nodes, 1):
        row = rows.get(n.when, 0)
        rows[n.when] = row + 1
        nx, ny = column_x[n.when], top + row * row_h
        placed[n.key] = (nx, ny)
        drawn.append(Node(n.key, number, nx, ny, n.title, n.css_class, n.href, n.caption, "middle", nx, ny - 16))
    height_rows = max(rows.values(), default=1)
    axis_y = top + (height_rows - 1) * row_h + 40
    taken = [node_box(n.x, n.y) for n in drawn]
    taken += [
        Box(n.caption_x - label_width(n.caption) / 2, n.caption_y - 11, label_width(n.caption), 13)
        for n in drawn
        if n.caption
    ]
    drawn_edges, apexes = [], []
    for e in edges:
        if e.source not in placed or e.target not in placed:
            continue
        (x1, y1), (x2, y2) = placed[e.source], placed[e.target]
        same_column = x1 == x2
        curve = _curve(x1, y1, x2, y2, 0.45 if same_column else 0.18)
        box = place_label(e.label, curve, taken)
        drawn_edges.append(Edge(e.css_class, _path(curve), e.directed, e.width, e.label, box, e.title))
        apexes.append(_at(curve, 0.5)[1])
    ticks, seen_days = [], set()
    timed = any(n.timed for n in nodes)
    for t in times:
        day = t.date()
        label = "" if day in seen_days else f"{day.day} {day:%b %Y}"
        seen_days.add(day)
        ticks.append(Tick(column_x[t], label, f"{t:%H:%M}" if timed else ""))
    right = max([x + 60, *(b.label_box.x + b.label_box.w + 10 for b in drawn_edges)])
    bottom = max([axis_y + 44, *(b.label_box.y + LABEL_H + 50 for b in drawn_edges)])
    low = min([0.0, *(b.label_box.y - 5 for b in drawn_edges), *(y - 10 for y in apexes)])
    shift = -low
    if shift:
        drawn = [_moved(n, shift) for n in drawn]
        drawn_edges = [_moved_edge(e, shift) for e in drawn_edges]
        axis_y += shift
        bottom += shift
    return Drawing(marker, int(right), int(bottom), drawn, drawn_edges, ticks, axis_y)


def _moved(n: Node, dy: float) -> Node:
    return Node(
        n.key,
        n.number,
        n.x,
        n.y + dy,
        n.title,
        n.css_class,
        n.href,
        n.caption,
        n.caption_anchor,
        n.caption_x,
        n.caption_y + dy,
    )


def _moved_edge(e: Edge, dy: float) -> Edge:
    parts = []
    for token in e.path.replace("M", "M ").replace("Q", "Q ").split():
        if "," in token:
            px, py = token.split(",")
            token = f"{px},{float(py) + dy:.1f}"
        parts.append(token)
    path = " ".join(parts).replace("M ", "M").replace("Q ", "Q")
    b = e.label_box
    return Edge(e.css_class, path, e.directed, e.width, e.label, Box(b.x, b.y + dy, b.w, b.h), e.title)


def circle(marker: str, names: Sequence[tuple[str, str]], edges: Sequence[EdgeSpec]) -> Drawing:
    """Nodes (key, name) around a circle, each named beside it; edges as gently curved arrows."""
    n = len(names)
    radius = max(110.0, 34 * n / math.pi)
    widest = max((label_width(name) for _, name in names), default=0)
    cx = cy = radius + widest + 20
    placed, drawn = {}, []
    for i, (key, name) in enumerate(names):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        placed[key] = (x, y)
        right = math.cos(angle) >= -1e-9
        anchor = "start" if right else "end"
        caption_x = x + (NODE_R + 6) * (1 if right else -1)
        drawn.append(Node(key, i + 1, x, y, name, "node", None, name, anchor, caption_x, y + 4))
    taken = [node_box(d.x, d.y) for d in drawn]
    for d in drawn:
        w = label_width(d.caption)
        taken.append(Box(d.caption_x - (w if d.caption_anchor == "end" else 0), d.caption_y - 11, w, 13))
    drawn_edges = []
    for e in edges:
        if e.source not in placed or e.target not in placed or e.source == e.target:
            continue
        curve = _curve(*placed[e.source], *placed[e.target], 0.12)
        box = place_label(e.label, curve, taken)
        drawn_edges.append(Edge(e.css_class, _path(curve), e.directed, e.width, e.label, box, e.title))
    size = int(2 * cx)
    return Drawing(marker, size, size, drawn, drawn_edges, [], None)
