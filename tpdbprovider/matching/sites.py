"""Resolve site tokens from file names to TPDB sites over plain data (no ORM, no I/O besides the packaged alias file)."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources

from tpdbprovider.matching.parser import fold, normalize_key, words_of

MIN_PREFIX_CHARS = 4
HOW_STRENGTH = {"name": 1.0, "short_name": 1.0, "alias": 0.9, "prefix": 0.5}


@dataclass(frozen=True)
class SiteEntry:
    """One TPDB site; aliases are abbreviations or old names kept as editable data."""

    id: int
    name: str
    short_name: str
    parent_id: int | None
    network_id: int | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteHit:
    """A site a token resolved to: how (name, short_name, alias, prefix), strength 0..1, token priority."""

    entry: SiteEntry
    how: str
    strength: float
    token: str
    priority: int
    consumed_words: int


def load_default_aliases() -> dict[str, str]:
    """Abbreviation → site name, as published by PhoenixAdult/namer-style tools (data/site_aliases.json)."""
    text = resources.files("tpdbprovider.matching").joinpath("data/site_aliases.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {normalize_key(k): str(v) for k, v in data.items() if normalize_key(k)}


def _name_keys(entry: SiteEntry) -> set[str]:
    keys = {normalize_key(entry.name)}
    stripped = re.sub(r"\s*\([^)]*\)\s*$", "", entry.name)  # movie studios: "Label (DVD)"
    keys.add(normalize_key(stripped))
    keys.add(normalize_key(re.sub(r"\.(com|net|org|xxx)$", "", stripped, flags=re.IGNORECASE)))
    return {k for k in keys if k}


def attach_aliases(entries: Iterable[SiteEntry], aliases: Mapping[str, str]) -> list[SiteEntry]:
    """Copy entries with each alias code added to the site its target names (by name or short_name)."""
    items = list(entries)
    by_key: dict[str, list[int]] = {}
    for i, entry in enumerate(items):
        for key in _name_keys(entry) | {normalize_key(entry.short_name)}:
            by_key.setdefault(key, []).append(i)
    extra: dict[int, list[str]] = {}
    for code, target in aliases.items():
        for i in by_key.get(normalize_key(target), [])[:1]:
            extra.setdefault(i, []).append(code)
    return [replace(e, aliases=(*e.aliases, *extra.get(i, []))) if i in extra else e for i, e in enumerate(items)]


class SiteIndex:
    """Exact-key site lookup: the longest run of leading words wins; twins are never guessed between."""

    def __init__(self, entries: Iterable[SiteEntry]) -> None:
        self.entries: dict[int, SiteEntry] = {e.id: e for e in entries}
        self._keys: dict[str, list[tuple[SiteEntry, str]]] = {}
        self._children: dict[int, set[int]] = {}
        for entry in self.entries.values():
            for key in _name_keys(entry):
                self._add(key, entry, "name")
            self._add(normalize_key(entry.short_name), entry, "short_name")
            for alias in entry.aliases:
                self._add(normalize_key(alias), entry, "alias")
            for up in {entry.parent_id, entry.network_id} - {None, entry.id}:
                if up is not None:
                    self._children.setdefault(up, set()).add(entry.id)
        self._sorted_keys = sorted(k for k, v in self._keys.items() if any(h != "alias" for _, h in v))

    def _add(self, key: str, entry: SiteEntry, how: str) -> None:
        if not key:
            return
        bucket = self._keys.setdefault(key, [])
        if all(e.id != entry.id for e, _ in bucket):
            bucket.append((entry, how))

    def resolve(self, tokens: Sequence[str], *, allow_prefix: bool = True) -> list[SiteHit]:
        """Resolve tokens (each in site position: a name start, bracket, folder) into hits, best first.

        ``allow_prefix`` lets the first token resolve by a unique prefix (`evil` → Evil Angel): only for a token that
        can only be a site, never for a dateless name's first words, which may be a title (`Wild Boss Part 4`)."""
        hits: dict[int, SiteHit] = {}
        for priority, token in enumerate(tokens):
            for hit in self._resolve_token(token, priority, allow_prefix=allow_prefix):
                best = hits.get(hit.entry.id)
                if best is None or (hit.strength, -hit.priority) > (best.strength, -best.priority):
                    hits[hit.entry.id] = hit
        return sorted(hits.values(), key=lambda h: (-h.strength, h.priority))

    def _resolve_token(self, token: str, priority: int, *, allow_prefix: bool = True) -> list[SiteHit]:
        ws = words_of(re.sub(r"\.(com|net|org|xxx)\b", "", fold(token)))[:8]
        for n in range(len(ws), 0, -1):
            found = self._keys.get("".join(ws[:n]))
            if found:
                return [SiteHit(e, how, HOW_STRENGTH[how], token, priority, n) for e, how in found]
        if allow_prefix and priority == 0 and ws and len(ws[0]) >= MIN_PREFIX_CHARS and not ws[0].isdigit():
            return self._prefix_hit(ws[0], token, priority)
        return []

    def _prefix_hit(self, word: str, token: str, priority: int) -> list[SiteHit]:
        """A lone word that starts exactly one site's key (`evil` → Evil Angel): a weak hit."""
        i = bisect.bisect_left(self._sorted_keys, word)
        matches: set[int] = set()
        while i < len(self._sorted_keys) and self._sorted_keys[i].startswith(word):
            matches.update(e.id for e, _ in self._keys[self._sorted_keys[i]])
            i += 1
            if len(matches) > 1:
                return []
        if len(matches) != 1:
            return []
        entry = self.entries[matches.pop()]
        return [SiteHit(entry, "prefix", HOW_STRENGTH["prefix"], token, priority, 1)]

    def relation(self, a: int, b: int) -> str | None:
        """How site b relates to site a: exact, parent, child, sibling, network or None."""
        if a == b:
            return "exact"
        ea, eb = self.entries.get(a), self.entries.get(b)
        if ea is None or eb is None:
            return None
        if ea.parent_id == b or ea.network_id == b:
            return "parent"
        if eb.parent_id == a or eb.network_id == a:
            return "child"
        if ea.parent_id not in (None, a) and ea.parent_id == eb.parent_id:
            return "sibling"
        if ea.network_id not in (None, a) and ea.network_id == eb.network_id:
            return "network"
        return None

    def has_children(self, site_id: int) -> bool:
        """True for a network or parent site (other sites name it as their parent or network)."""
        return bool(self._children.get(site_id))

    def family_of(self, site_id: int) -> set[int]:
        """Ids of the site, its parent and network, and its children (for sibling/network scoring)."""
        entry = self.entries.get(site_id)
        if entry is None:
            return {site_id}
        family = {site_id} | self._children.get(site_id, set())
        for up in (entry.parent_id, entry.network_id):
            if up is not None:
                family.add(up)
        return family
