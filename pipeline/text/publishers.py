"""Which outlet of the gazetteer published a document: by its URL's domain, else by the name given."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from pipeline.text.gazetteer import Gazetteer


@functools.cache
def _domains(gazetteer: Gazetteer) -> dict[str, str]:
    """domain -> outlet_id; the first outlet of a domain wins (the gazetteer is in priority order)."""
    found: dict[str, str] = {}
    for outlet in gazetteer.outlets:
        if outlet.domain:
            found.setdefault(outlet.domain.lower().removeprefix("www."), outlet.outlet_id)
    return found


def host_of(url: str | None) -> str | None:
    """The host of a URL, lower case, without ``www.``; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def outlet_of_url(gazetteer: Gazetteer, url: str | None) -> str | None:
    """The outlet whose domain is the URL's host or the nearest domain above it (edition.cnn.com: cnn.com)."""
    host = host_of(url)
    domains = _domains(gazetteer)
    while host and "." in host:
        if host in domains:
            return domains[host]
        host = host.split(".", 1)[1]
    return None


def resolve_publisher(gazetteer: Gazetteer, publisher: str | None, url: str | None) -> str | None:
    """outlets.outlet_id of a document's publisher: its URL's domain first (a name is ambiguous where a
    domain is not), else the publisher's name or alias; None when neither is known."""
    by_url = outlet_of_url(gazetteer, url)
    if by_url is not None:
        return by_url
    if publisher:
        outlet = gazetteer.lookup(publisher)
        if outlet is not None:
            return outlet.outlet_id
    return None
