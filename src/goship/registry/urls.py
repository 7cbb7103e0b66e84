"""URLs a registry hands back: upload ``Location`` headers and ``Link`` pagination."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from goship.errors import RegistryError


def resolve_location(request_url: str, location: str | None, what: str) -> str:
    """The absolute URL of a ``Location`` header, which may be relative to the request."""
    if not location:
        raise RegistryError(
            f"{what}: the registry answered without a Location header",
            "the registry does not follow the OCI distribution spec; report it to its operator",
        )
    return urljoin(request_url, location.strip())


def add_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to whatever query string it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value) for key, value in query if key not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query, safe=":")))


def next_link(request_url: str, link_headers: list[str]) -> str | None:
    """The absolute URL of the ``rel="next"`` link among ``Link`` header values, if any."""
    for header in link_headers:
        for link in _split_links(header):
            target, _, params = link.partition(">")
            target = target.strip().removeprefix("<").strip()
            rels = [
                value.strip().strip('"').lower()
                for name, _, value in (p.strip().partition("=") for p in params.split(";"))
                if name.strip().lower() == "rel"
            ]
            if target and any("next" in rel.split() for rel in rels):
                return urljoin(request_url, target)
    return None


def _split_links(header: str) -> list[str]:
    """Split a Link header on the commas between links, not those inside <...> or quotes."""
    links: list[str] = []
    current: list[str] = []
    in_target = in_quote = False
    for char in header:
        if char == "<" and not in_quote:
            in_target = True
        elif char == ">" and not in_quote:
            in_target = False
        elif char == '"' and not in_target:
            in_quote = not in_quote
        if char == "," and not in_target and not in_quote:
            links.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        links.append("".join(current).strip())
    return links


def display_url(url: str) -> str:
    """A URL without its query string or user info, safe for messages (storage redirects
    and upload URLs carry signatures and state in their queries)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
