"""Union-find over string ids: which ids links have joined, and which id each joined set keeps."""

from __future__ import annotations

from collections.abc import Iterable


class UnionFind:
    """Disjoint sets of ids, joined by ``union``; ``find`` names a set by its surviving id."""

    def __init__(self, links: Iterable[tuple[str, str]] = ()) -> None:
        self.parent: dict[str, str] = {}
        for x, y in links:
            self.union(x, y)

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: str, y: str, size: dict[str, int] | None = None) -> None:
        """Join x's set and y's: the larger by ``size`` keeps its id; on equal sizes (or without
        sizes) y's id survives (y is the source of a copy link)."""
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return
        size = {} if size is None else size
        keep, drop = (rx, ry) if size.get(rx, 0) > size.get(ry, 0) else (ry, rx)
        self.parent[drop] = keep
        size[keep] = size.get(keep, 0) + size.get(drop, 0)
