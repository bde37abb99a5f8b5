"""A fake ThePornDB (TPDB) HTTP server for tests, benchmarks and a stand-alone CLI.

Stdlib only (no Django). Follows ``tpdb-api.md`` §9 and ranks ``parse`` the way the match-corpus README
describes the evaluation's fake. Typical use::

    with FakeTPDB(Catalog.from_fixtures()) as fake:
        requests.get(f"{fake.base_url}/scenes/900001", headers={"Authorization": f"Bearer {fake.token}"})

CLI: ``python -m tests.fake_tpdb --catalog PATH|--fixtures DIR --port N --token T --rate R --burst B``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gzip
import itertools
import json
import math
import re
import signal
import socket
import struct
import threading
import time
import unicodedata
import uuid as uuidlib
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "tpdb"
DEFAULT_TOKEN = "test-token"
DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 100
DETAIL_ONLY_KEYS = ("tags", "markers", "directors", "director", "scenes", "movies", "links")
PERFORMER_DETAIL_ONLY_KEYS = ("site_performers",)

MSG_401 = {"message": "Unauthenticated."}
MSG_404 = {"message": "Not Found"}
MSG_429 = {"message": "Too Many Attempts."}
MSG_500 = {"message": "Server Error"}
HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
HTML_PARKING = (
    "<!DOCTYPE html><html><head><title>api.theporndb.net</title></head><body><h1>This domain is parked</h1>"
    "<p>The site you are looking for is temporarily unavailable.</p></body></html>"
)

# ---------------------------------------------------------------------------------------------------------------------
# Text normalisation (shared by the index and the queries)
# ---------------------------------------------------------------------------------------------------------------------

# Cyrillic/Greek letters that look Latin, and Latin letters NFKD does not decompose (escaped to keep lint quiet)
_LOOKALIKE_FROM = (
    "\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0456\u0458\u0455\u0501"
    "\u04cf\u0475\u051b\u051d\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425"
    "\u0406\u0408\u0405\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5"
    "\u03a7\u03bf\u03b9\u03ba\u03bd\u03c1\u03c4\u00f8\u00d8\u0142\u0141\u0111\u0110\u00f0\u00d0\u0131"
)
_LOOKALIKE_TO = "abekmhopctyxijsdlvqwABEKMHOPCTYXIJSABEZHIKMNOPTYXoikvptoOlLdDdDi"
_LOOKALIKES = str.maketrans(_LOOKALIKE_FROM, _LOOKALIKE_TO)
_LOOKALIKES.update(str.maketrans({"\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE"}))
_LOOKALIKES.update(str.maketrans({"\u00fe": "th", "\u00de": "TH"}))
_APOSTROPHES = re.compile("['`\u00b4\u2018\u2019\u02bc]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Strip accents and map Cyrillic/Greek look-alikes to Latin (case kept)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_LOOKALIKES)


def tokenize(text: str | None) -> list[str]:
    """Fold, drop apostrophes, split CamelCase, lower-case and split on non-alphanumerics."""
    if not text:
        return []
    text = _CAMEL.sub(" ", _APOSTROPHES.sub("", fold(text))).lower()
    return [t for t in _NON_ALNUM.split(text) if t]


def squash(text: str | None) -> str:
    """Folded, lower-case, alphanumerics only (``"Brazzers Exxtra"`` -> ``"brazzersexxtra"``)."""
    return _NON_ALNUM.sub("", _APOSTROPHES.sub("", fold(text or "")).lower())


def _mk_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2099:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def extract_date(tokens: list[str]) -> tuple[date | None, list[str]]:
    """Take out the first year-first date (YYYY-MM-DD, YYYY.MM.DD, YY.MM.DD, YYYYMMDD) from a token list."""
    for i, tok in enumerate(tokens):
        if not tok.isdigit():
            continue
        found: date | None = None
        width = 1
        if len(tok) == 8:
            found = _mk_date(int(tok[:4]), int(tok[4:6]), int(tok[6:]))
        elif len(tok) in (2, 4) and i + 2 < len(tokens):
            mon, day = tokens[i + 1], tokens[i + 2]
            if mon.isdigit() and day.isdigit() and len(mon) <= 2 and len(day) <= 2:
                if len(tok) == 2 and not (len(mon) == 2 and len(day) == 2):
                    continue
                year = int(tok)
                if len(tok) == 2:
                    year += 2000 if year <= (date.today().year % 100) + 1 else 1900
                found = _mk_date(year, int(mon), int(day))
                width = 3
        if found is not None:
            return found, tokens[:i] + tokens[i + width :]
    return None, tokens


def _year_hint(tokens: Iterable[str]) -> int | None:
    for tok in tokens:
        if len(tok) == 4 and tok.isdigit() and 1950 <= int(tok) <= date.today().year + 1:
            return int(tok)
    return None


def _to_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _dumps(obj: Any, php: bool = True) -> bytes:
    """Compact JSON; like PHP's json_encode it escapes non-ASCII and ``/``."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return (text.replace("/", "\\/") if php else text).encode("ascii")


def _load_json(path: Path) -> Any:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def list_form(obj: Mapping[str, Any], *, keep_tags: bool = False) -> dict[str, Any]:
    """A scene/movie/JAV object as search results show it (no tags, markers, directors, scenes, movies, links).
    ``keep_tags``: with its ``tags``, as the real 2023 list captures show (tpdb-fixtures/real/scenes-list-2023.json)."""
    dropped = DETAIL_ONLY_KEYS[1:] if keep_tags else DETAIL_ONLY_KEYS
    return {k: v for k, v in obj.items() if k not in dropped}


_fresh_ids = itertools.count(10_000_001)


def fixture_object(name: str, fixtures_dir: Path | str = FIXTURES_DIR, **overrides: Any) -> dict[str, Any]:
    """A deep copy of a detail fixture's ``data`` with ``overrides`` applied (for building test catalogs).

    When ``id``/``_id``/``slug`` are not overridden, fresh ones are made so the copy does not clash.
    """
    data = copy.deepcopy(_load_json(Path(fixtures_dir) / name)["data"])
    if "title" in data:  # scene / movie / JAV: make the identity unique unless given
        data["id"] = str(uuidlib.uuid4())
        data["_id"] = next(_fresh_ids)
        data["slug"] = f"{data['slug']}-{data['_id']}"
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------------------------------------------------
# Catalog and indexes
# ---------------------------------------------------------------------------------------------------------------------

_SITE_EXACT, _SITE_FAMILY, _SITE_NETWORK = 10.0, 6.0, 3.0
_DATE_EXACT, _DATE_1, _DATE_7, _DATE_YEAR = 8.0, 6.0, 3.0, 1.0
_WORDS, _TITLE_COVER, _HASH = 10.0, 3.0, 20.0
_ORDER_BY = {
    "recently_released": ("date", True),
    "former_released": ("date", False),
    "recently_created": ("created", True),
    "former_created": ("created", False),
    "recently_updated": ("last_updated", True),
    "former_updated": ("last_updated", False),
    "duration_asc": ("duration", False),
    "duration_desc": ("duration", True),
}
_DATE_OPS = {
    "=": "=",
    "eq": "=",
    ">": ">",
    "gt": ">",
    ">=": ">=",
    "gte": ">=",
    "<": "<",
    "lt": "<",
    "<=": "<=",
    "lte": "<=",
}


class _SiteIndex:
    """Sites by id/uuid/short name, and their parent/network relations."""

    def __init__(self, sites: Mapping[int, dict[str, Any]]) -> None:
        self.sites = dict(sites)
        self.order = list(self.sites)
        self.by_key: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.children: dict[int, set[int]] = {}
        self.network_members: dict[int, set[int]] = {}
        names: dict[str, list[int]] = {}
        for sid, site in self.sites.items():
            self.by_key[str(sid)] = sid
            if site.get("uuid"):
                self.by_key[str(site["uuid"]).lower()] = sid
            short = squash(site.get("short_name"))
            if short:
                self.by_name.setdefault(short, []).append(sid)
            for alt in (squash(site.get("name")), squash(re.sub(r"\(.*\)\s*$", "", site.get("name") or ""))):
                if alt:
                    names.setdefault(alt, []).append(sid)
            parent, network = site.get("parent_id"), site.get("network_id")
            if parent is not None and parent != sid:
                self.children.setdefault(parent, set()).add(sid)
            if network is not None:
                self.network_members.setdefault(network, set()).add(sid)
        for key, ids in names.items():  # names only where no short_name claims the key
            self.by_name.setdefault(key, ids)
        self.max_key = max((len(k) for k in self.by_name), default=0)
        self._subtree: dict[int, frozenset[int]] = {}
        self._relations: dict[tuple[int, ...], dict[int, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        sid = self.by_key.get(key.lower())
        return None if sid is None else self.sites[sid]

    def leading_site(self, tokens: list[str]) -> tuple[tuple[int, ...], list[str]]:
        """The longest run of leading tokens whose concatenation is a site short name."""
        best: tuple[tuple[int, ...], int] = ((), 0)
        acc = ""
        for i, tok in enumerate(tokens):
            acc += tok
            if len(acc) > self.max_key:
                break
            ids = self.by_name.get(acc)
            if ids:
                best = (tuple(ids), i + 1)
        return best[0], tokens[best[1] :]

    def named(self, name: str) -> set[int]:
        """Sites whose short name or name folds to ``name``."""
        return set(self.by_name.get(squash(name), ()))

    def subtree(self, sid: int) -> frozenset[int]:
        """The site, its sub-sites (recursively by parent_id) and, for a network, its members."""
        cached = self._subtree.get(sid)
        if cached is not None:
            return cached
        seen = {sid}
        todo = [sid]
        while todo:
            cur = todo.pop()
            for nxt in self.children.get(cur, set()) | self.network_members.get(cur, set()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        result = frozenset(seen)
        self._subtree[sid] = result
        return result

    def widen(self, ids: Iterable[int], operation: str) -> set[int]:
        """Apply ``site_operation`` (Site, Parent, Network and their ``/`` combinations)."""
        op = operation.lower()
        out: set[int] = set()
        for sid in ids:
            if not op or "site" in op:
                out.add(sid)
            if "parent" in op:
                out |= self.descendants(sid)
            if "network" in op:
                out |= self.subtree(sid)
        return out

    def descendants(self, sid: int) -> set[int]:
        """The site and every site below it by parent_id."""
        seen = {sid}
        todo = [sid]
        while todo:
            for child in self.children.get(todo.pop(), set()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    def relations(self, ids: tuple[int, ...]) -> dict[int, float]:
        """Site score per site id: exact > parent/child > same network."""
        cached = self._relations.get(ids)
        if cached is not None:
            return cached
        rel: dict[int, float] = {}

        def put(sid: int | None, score: float) -> None:
            if sid is not None and rel.get(sid, 0.0) < score:
                rel[sid] = score

        for sid in ids:
            site = self.sites.get(sid, {})
            network = site.get("network_id")
            for member in self.network_members.get(network if network is not None else sid, set()):
                put(member, _SITE_NETWORK)
            for member in self.subtree(sid):
                put(member, _SITE_NETWORK)
            put(network, _SITE_NETWORK)
            put(site.get("parent_id"), _SITE_FAMILY)
            for child in self.children.get(sid, set()):
                put(child, _SITE_FAMILY)
        for sid in ids:
            rel[sid] = _SITE_EXACT
        with self._lock:
            self._relations[ids] = rel
        return rel


class _Collection:
    """One searchable collection (scenes, movies or JAV) with precomputed indexes."""

    def __init__(
        self, kind: str, items: list[dict[str, Any]], sites: _SiteIndex, php_json: bool, list_tags: bool = False
    ) -> None:
        self.kind = kind
        self.items = items
        self.sites = sites
        self.php_json = php_json
        self.list_tags = list_tags
        n = len(items)
        self.keys: dict[str, int] = {}
        self.by_site: dict[int, list[int]] = {}
        self.by_date: dict[int, list[int]] = {}
        self.by_hash: dict[str, list[int]] = {}
        self.by_performer: dict[str, list[int]] = {}
        self.postings: dict[str, list[int]] = {}
        self.q_postings: dict[str, list[int]] = {}
        self.tokens: list[frozenset[str]] = []
        self.q_tokens: list[frozenset[str]] = []
        self.title_tokens: list[frozenset[str]] = []
        self.ordinals: list[int | None] = []
        self.years: list[int | None] = []
        self.site_of: list[int | None] = []
        self.hash_types: list[dict[str, str]] = []
        name_cache: dict[str, list[str]] = {}

        def name_tokens(name: str | None) -> list[str]:
            if not name:
                return []
            got = name_cache.get(name)
            if got is None:
                got = name_cache[name] = tokenize(name)
            return got

        for i, item in enumerate(items):
            for key in (item.get("id"), item.get("_id"), item.get("slug")):
                if key is not None and key != "":
                    self.keys.setdefault(str(key).lower(), i)
            sid = item.get("site_id")
            if sid is None and isinstance(item.get("site"), dict):
                sid = item["site"].get("id")
            self.site_of.append(sid)
            if sid is not None:
                self.by_site.setdefault(sid, []).append(i)
            d = _to_date(item.get("date"))
            self.ordinals.append(d.toordinal() if d else None)
            self.years.append(d.year if d else None)
            if d:
                self.by_date.setdefault(d.toordinal(), []).append(i)
            hashes: dict[str, str] = {}
            for h in item.get("hashes") or ():
                if isinstance(h, dict) and h.get("hash"):
                    value = str(h["hash"]).lower()
                    hashes[value] = str(h.get("type") or "").upper()
                    self.by_hash.setdefault(value, []).append(i)
            self.hash_types.append(hashes)
            title = set(tokenize(item.get("title")))
            words = set(title)
            for credit in item.get("performers") or ():
                if not isinstance(credit, dict):
                    continue
                words.update(name_tokens(credit.get("name")))
                parent = credit.get("parent")
                ids = {credit.get("id")}
                if isinstance(parent, dict):
                    words.update(name_tokens(parent.get("name")))
                    ids.add(parent.get("id"))
                for pid in ids - {None}:
                    self.by_performer.setdefault(str(pid).lower(), []).append(i)
            site = sites.sites.get(sid) if sid is not None else None
            site_name = (site or item.get("site") or {}).get("name")
            qwords = words | set(name_tokens(site_name)) | set(tokenize(item.get("slug")))
            self.title_tokens.append(frozenset(title))
            self.tokens.append(frozenset(words))
            self.q_tokens.append(frozenset(qwords))
            for w in words:
                self.postings.setdefault(w, []).append(i)
            for w in qwords:
                self.q_postings.setdefault(w, []).append(i)
        self.idf = {w: math.log(1.0 + n / len(p)) for w, p in self.postings.items()}
        self.q_idf = {w: math.log(1.0 + n / len(p)) for w, p in self.q_postings.items()}
        self.title_weight = [sum(self.idf.get(w, 0.0) for w in t) for t in self.title_tokens]
        self.rare_df = max(20, n // 100)
        self.numeric_ids = [int(item.get("_id") or 0) for item in items]
        self.default_order = self._ordered(range(n), "recently_released")
        self._list_json: list[bytes | None] = [None] * n
        self._detail_json: list[bytes | None] = [None] * n

    # -- rendering -------------------------------------------------------------------------------------------------
    def list_json(self, i: int) -> bytes:
        cached = self._list_json[i]
        if cached is None:
            cached = self._list_json[i] = _dumps(list_form(self.items[i], keep_tags=self.list_tags), self.php_json)
        return cached

    def detail_json(self, i: int) -> bytes:
        cached = self._detail_json[i]
        if cached is None:
            cached = self._detail_json[i] = _dumps({"data": self.items[i]}, self.php_json)
        return cached

    def resolve(self, key: str) -> int | None:
        return self.keys.get(key.lower())

    # -- ordering --------------------------------------------------------------------------------------------------
    def _ordered(self, idxs: Iterable[int], order_by: str) -> list[int]:
        field_name, desc = _ORDER_BY[order_by]
        present, missing = [], []
        for i in idxs:
            (missing if self.items[i].get(field_name) is None else present).append(i)
        present.sort(key=lambda i: (self.items[i][field_name], self.items[i].get("_id") or 0), reverse=desc)
        return present + missing

    # -- searching -------------------------------------------------------------------------------------------------
    def search(self, params: Mapping[str, str]) -> list[int]:
        """Indexes of the matching items, best (or ``orderBy``) first."""
        parse, q = params.get("parse", "").strip(), params.get("q", "").strip()
        hash_value = params.get("hash", "").strip().lower()
        hash_type = params.get("hashType", "").strip().upper()
        if parse or q:
            scores: dict[int, float] = {}
            if parse:
                self._score_parse(parse, hash_value, scores)
            if q:
                self._score_q(q, scores)
            ids = self.numeric_ids
            ranked = sorted((-score, ids[i], i) for i, score in scores.items() if score > 0)
            result = [i for _, _, i in ranked]
        elif hash_value:
            result = [
                i
                for i in self.by_hash.get(hash_value, ())
                if not hash_type or self.hash_types[i][hash_value] == hash_type
            ]
        else:
            result = self.default_order
        result = self._filter(result, params)
        order_by = params.get("orderBy", "")
        if order_by in _ORDER_BY:
            result = self._ordered(result, order_by)
        return result

    def _score_parse(self, text: str, hash_value: str, scores: dict[int, float]) -> None:
        tokens = tokenize(text)
        when, tokens = extract_date(tokens)
        site_ids, tokens = self.sites.leading_site(tokens)
        year = when.year if when else _year_hint(tokens)
        words = [w for w in dict.fromkeys(tokens) if w in self.idf]
        query = frozenset(words)
        total = sum(self.idf[w] for w in words) or 1.0
        cands: set[int] = set()
        relation = self.sites.relations(site_ids) if site_ids else {}
        for sid in site_ids:
            for member in self.sites.subtree(sid):
                cands.update(self.by_site.get(member, ()))
        day = when.toordinal() if when else None
        if day is not None:
            for k in range(day - 7, day + 8):
                cands.update(self.by_date.get(k, ()))
        by_rarity = sorted(words, key=lambda w: len(self.postings[w]))
        for n, w in enumerate(by_rarity):
            if len(self.postings[w]) <= self.rare_df or (n == 0 and not cands):
                cands.update(self.postings[w])
        if hash_value:
            cands.update(self.by_hash.get(hash_value, ()))
        idf, ordinals, years, tokens_of = self.idf, self.ordinals, self.years, self.tokens
        for i in cands:
            score = relation.get(self.site_of[i], 0.0) if relation else 0.0
            ordinal = ordinals[i]
            if day is not None and ordinal is not None:
                delta = abs(ordinal - day)
                score += (
                    _DATE_EXACT
                    if delta == 0
                    else _DATE_1
                    if delta == 1
                    else _DATE_7
                    if delta <= 7
                    else _DATE_YEAR
                    if years[i] == year
                    else 0.0
                )
            elif year is not None and years[i] == year:
                score += _DATE_YEAR
            if words:
                have = tokens_of[i]
                score += _WORDS * sum(idf[w] for w in words if w in have) / total
                weight = self.title_weight[i]
                if weight:
                    score += _TITLE_COVER * sum(idf.get(w, 0.0) for w in self.title_tokens[i] & query) / weight
            if hash_value and hash_value in self.hash_types[i]:
                score += _HASH
            if score > 0:
                scores[i] = scores.get(i, 0.0) + score

    def _score_q(self, text: str, scores: dict[int, float]) -> None:
        words = [w for w in dict.fromkeys(tokenize(text)) if w in self.q_idf]
        if not words:
            return
        idf = self.q_idf
        total = sum(idf[w] for w in words)
        cands: set[int] = set()
        limit = max(self.rare_df, len(self.items) // 5)
        for n, w in enumerate(sorted(words, key=lambda w: len(self.q_postings[w]))):
            if n == 0 or len(self.q_postings[w]) <= limit:
                cands.update(self.q_postings[w])
        query = frozenset(words)
        for i in cands:
            have = self.q_tokens[i]
            score = _WORDS * sum(idf[w] for w in words if w in have) / total
            weight = self.title_weight[i]
            if weight:
                score += _TITLE_COVER * sum(self.idf.get(w, 0.0) for w in self.title_tokens[i] & query) / weight
            if score > 0:
                scores[i] = scores.get(i, 0.0) + score

    def _filter(self, idxs: list[int], params: Mapping[str, str]) -> list[int]:
        checks: list[Any] = []
        site_ids: set[int] | None = None
        operation = params.get("site_operation", "")
        if params.get("site_id", "").strip():
            try:
                site_ids = self.sites.widen({int(x) for x in params["site_id"].split(",") if x.strip()}, operation)
            except ValueError:
                site_ids = set()
        if params.get("site", "").strip():
            named = self.sites.widen(self.sites.named(params["site"]), operation)
            site_ids = named if site_ids is None else site_ids & named
        if site_ids is not None:
            if not (params.get("parse") or params.get("q") or params.get("hash")):  # fast path via the site index
                allowed = set()
                for sid in site_ids:
                    allowed.update(self.by_site.get(sid, ()))
                idxs = [i for i in idxs if i in allowed]
            else:
                checks.append(lambda i, s=site_ids: self.site_of[i] in s)
        if params.get("title", "").strip():
            needle = " ".join(tokenize(params["title"]))
            checks.append(lambda i, t=needle: t in " ".join(tokenize(self.items[i].get("title"))))
        when = params.get("date", "").strip()
        if when:
            op = _DATE_OPS.get(params.get("date_operation", "=").strip() or "=", "=")
            checks.append(lambda i, w=when[:10], o=op: _compare(self.items[i].get("date"), o, w))
        year = params.get("year", "").strip()
        if year.isdigit():
            checks.append(lambda i, y=int(year): self.years[i] == y)
        for key in ("external_id", "sku", "url"):
            wanted = params.get(key, "").strip()
            if wanted:
                checks.append(lambda i, k=key, v=wanted: str(self.items[i].get(k) or "") == v)
        if not checks:
            return idxs
        return [i for i in idxs if all(check(i) for check in checks)]


def _compare(value: Any, op: str, target: str) -> bool:
    if not isinstance(value, str):
        return False
    value = value[:10]
    return {
        "=": value == target,
        ">": value > target,
        ">=": value >= target,
        "<": value < target,
        "<=": value <= target,
    }[op]


class _PerformerIndex:
    """Performers by uuid/_id/slug and a name/alias search."""

    def __init__(self, performers: Mapping[str, dict[str, Any]]) -> None:
        self.items = list(performers.values())
        self.keys: dict[str, int] = {}
        self.names: list[tuple[str, tuple[str, ...], frozenset[str]]] = []
        for i, p in enumerate(self.items):
            for key in (p.get("id"), p.get("_id"), p.get("slug")):
                if key is not None and key != "":
                    self.keys.setdefault(str(key).lower(), i)
            aliases = tuple(squash(a) for a in p.get("aliases") or () if isinstance(a, str))
            words = set(tokenize(p.get("name")))
            for alias in p.get("aliases") or ():
                words.update(tokenize(alias) if isinstance(alias, str) else ())
            self.names.append((squash(p.get("name")), aliases, frozenset(words)))

    def search(self, q: str) -> list[int]:
        key, words = squash(q), set(tokenize(q))
        if not key:
            return list(range(len(self.items)))
        scored: list[tuple[int, int]] = []
        for i, (name, aliases, tokens) in enumerate(self.names):
            if name == key:
                score = 5
            elif key in aliases:
                score = 4
            elif name.startswith(key):
                score = 3
            elif key in name or any(key in a for a in aliases):
                score = 2
            elif words and words <= tokens:
                score = 1
            else:
                continue
            scored.append((score, i))
        scored.sort(key=lambda t: (-t[0], self.items[t[1]].get("name") or ""))
        return [i for _, i in scored]


def _search_sites(index: _SiteIndex, params: Mapping[str, str]) -> list[int]:
    q = params.get("q", "").strip() or params.get("name", "").strip()
    key, words = squash(q), set(tokenize(q))
    scored: list[tuple[int, int]] = []
    for sid in index.order:
        site = index.sites[sid]
        for filter_key in ("network_id", "parent_id"):
            wanted = params.get(filter_key, "").strip()
            if wanted and str(site.get(filter_key)) != wanted:
                break
        else:
            if not key:
                scored.append((0, sid))
                continue
            short, name = squash(site.get("short_name")), squash(site.get("name"))
            if key in (short, name):
                score = 4
            elif short.startswith(key) or name.startswith(key):
                score = 3
            elif key in short or key in name:
                score = 2
            elif words and words <= set(tokenize(site.get("name"))):
                score = 1
            else:
                continue
            scored.append((score, sid))
    if key:
        scored.sort(key=lambda t: (-t[0], index.sites[t[1]].get("name") or ""))
    return [sid for _, sid in scored]


@dataclass
class _Index:
    sites: _SiteIndex
    performers: _PerformerIndex
    scenes: _Collection
    movies: _Collection
    jav: _Collection


class Catalog:
    """The data a fake TPDB serves: sites, performers, scenes, movies and JAV (objects in TPDB's detail shape)."""

    def __init__(self, php_json: bool = True, list_tags: bool = False) -> None:
        """``list_tags``: list and search items keep their ``tags`` (the real 2023 captures), else the documented
        thinner list form (no tags)."""
        self.php_json = php_json
        self._list_tags = list_tags
        self._lock = threading.RLock()
        self.sites: dict[int, dict[str, Any]] = {}
        self.performers: dict[str, dict[str, Any]] = {}
        self.scenes: dict[str, dict[str, Any]] = {}
        self.movies: dict[str, dict[str, Any]] = {}
        self.jav: dict[str, dict[str, Any]] = {}
        self._list_only: set[str] = set()
        self._index: _Index | None = None

    @property
    def list_tags(self) -> bool:
        return self._list_tags

    @list_tags.setter
    def list_tags(self, value: bool) -> None:
        with self._lock:
            self._list_tags = value
            self._index = None

    # -- construction ----------------------------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> Catalog:
        """A catalog with nothing in it."""
        return cls()

    @classmethod
    def from_corpus(cls, path: Path | str, *, list_tags: bool = False) -> Catalog:
        """Load the match-corpus format (``catalog.json.gz``, a plain ``.json``, or a folder holding either)."""
        path = Path(path)
        if path.is_dir():
            gz = path / "catalog.json.gz"
            path = gz if gz.exists() else path / "catalog.json"
        raw = _load_json(path)
        cat = cls(list_tags=list_tags)
        for site in raw.get("sites", ()):
            cat.add_site(site)
        for performer in raw.get("performers", ()):
            cat.add_performer(performer)
        for scene in raw.get("scenes", ()):
            cat.add_scene(scene)
        for movie in raw.get("movies", ()):
            cat.add_movie(movie)
        for item in raw.get("jav", ()):
            cat.add_jav(item)
        return cat

    @classmethod
    def from_fixtures(cls, fixtures_dir: Path | str = FIXTURES_DIR) -> Catalog:
        """A small catalog built from the TPDB fixtures (detail fixtures win over list items; de-duplicated by id)."""
        d = Path(fixtures_dir)
        cat = cls()

        def data(name: str) -> Any:
            path = d / name
            return _load_json(path).get("data") if path.exists() else None

        for name in ("site_detail.json", "sites_search.json"):
            got = data(name)
            for site in got if isinstance(got, list) else [got] if got else []:
                cat.add_site(site, replace=False)
        for name in ("performer_detail.json", "performers_search.json"):
            got = data(name)
            for performer in got if isinstance(got, list) else [got] if got else []:
                cat.add_performer(performer, replace=False)
        for adder, names in (
            (
                cat.add_scene,
                (
                    "scene_detail.json",
                    "scene_hash_lookup.json",
                    "scenes_search.json",
                    "scenes_search_page2.json",
                    "scene_parse_search.json",
                    "scenes_by_site.json",
                    "scenes_hash_query.json",
                    "performer_scenes.json",
                ),
            ),
            (cat.add_movie, ("movie_detail.json", "movies_search.json")),
            (cat.add_jav, ("jav_detail.json",)),
        ):
            for name in names:
                got = data(name)
                for item in got if isinstance(got, list) else [got] if got else []:
                    adder(item, replace=False)
        return cat

    # -- mutation (thread-safe; indexes are rebuilt lazily) --------------------------------------------------------
    def add_site(self, site: Mapping[str, Any], *, replace: bool = True) -> None:
        """Add (or replace) a site object as ``/sites/{id}`` returns it."""
        with self._lock:
            if replace or site["id"] not in self.sites:
                self.sites[site["id"]] = dict(site)
            self._index = None

    def add_performer(self, performer: Mapping[str, Any], *, replace: bool = True) -> None:
        """Add (or replace) a performer object as ``/performers/{id}`` returns it."""
        with self._lock:
            if replace or performer["id"] not in self.performers:
                self.performers[performer["id"]] = dict(performer)
            self._index = None

    def add_scene(self, scene: Mapping[str, Any], *, replace: bool = True) -> None:
        """Add a scene (detail form; list-form input gets empty detail-only lists)."""
        self._add(self.scenes, scene, replace)

    def add_movie(self, movie: Mapping[str, Any], *, replace: bool = True) -> None:
        """Add a movie (detail form)."""
        self._add(self.movies, movie, replace)

    def add_jav(self, item: Mapping[str, Any], *, replace: bool = True) -> None:
        """Add a JAV item (detail form)."""
        self._add(self.jav, item, replace)

    def _add(self, store: dict[str, dict[str, Any]], obj: Mapping[str, Any], replace: bool) -> None:
        item = dict(obj)
        is_detail = any(key in item for key in DETAIL_ONLY_KEYS)
        if not is_detail:  # a list-form item: give its detail view the empty detail-only lists
            item.update({key: [] for key in ("tags", "markers", "directors", "scenes", "movies", "links")})
        with self._lock:
            key = item["id"]
            if key in store and not replace and not (is_detail and key in self._list_only):
                return  # the first object wins, except that a detail object beats a list item
            store[key] = item
            if is_detail:
                self._list_only.discard(key)
            else:
                self._list_only.add(key)
            site = item.get("site")
            if isinstance(site, dict) and site.get("id") is not None and site["id"] not in self.sites:
                self.sites[site["id"]] = dict(site)
            self._index = None

    # -- queries ---------------------------------------------------------------------------------------------------
    @property
    def index(self) -> _Index:
        """The current indexes, rebuilt after any change."""
        idx = self._index
        if idx is None:
            with self._lock:
                if self._index is None:
                    sites = _SiteIndex(self.sites)
                    self._index = _Index(
                        sites=sites,
                        performers=_PerformerIndex(self.performers),
                        scenes=_Collection("scenes", list(self.scenes.values()), sites, self.php_json, self.list_tags),
                        movies=_Collection("movies", list(self.movies.values()), sites, self.php_json, self.list_tags),
                        jav=_Collection("jav", list(self.jav.values()), sites, self.php_json, self.list_tags),
                    )
                idx = self._index
        return idx

    def search_scenes(self, **params: str) -> list[dict[str, Any]]:
        """Python-side search (same ranking as ``GET /scenes``), full objects best first."""
        coll = self.index.scenes
        return [coll.items[i] for i in coll.search(params)]

    def search_movies(self, **params: str) -> list[dict[str, Any]]:
        """Python-side search (same ranking as ``GET /movies``)."""
        coll = self.index.movies
        return [coll.items[i] for i in coll.search(params)]

    def __len__(self) -> int:
        return len(self.scenes) + len(self.movies) + len(self.jav)


# ---------------------------------------------------------------------------------------------------------------------
# Faults, rate limit, bookkeeping
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Faults:
    """Fault switches; each applies to API routes only (never to ``/_fake/*``)."""

    latency_s: float = 0.0  # sleep before answering
    status: int | None = None  # force this status with {"message":"Server Error"} (HTML for 502)
    status_html: bool | None = None  # force an HTML (True) / JSON (False) body for ``status``; None = HTML for 502
    html: bool = False  # 200 with an HTML parking page
    down: bool = False  # close the connection without any response
    empty_search: bool = False  # list endpoints answer data: []
    force_429: bool = False  # every request gets 429 with Retry-After = retry_after
    retry_after: int = 30
    path_prefix: str | None = None  # only requests whose path starts with this are affected
    times: int | None = None  # the faults clear themselves after affecting this many requests

    def active(self) -> bool:
        return any((self.latency_s, self.status, self.html, self.down, self.empty_search, self.force_429))


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the fake saw it."""

    method: str
    path: str
    query: str
    route: str
    token: str | None
    t: float  # time.monotonic() at arrival
    wall: float  # time.time() at arrival
    status: int | None  # None when the connection was dropped (``down``)
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


@dataclass
class _Canned:
    method: str
    path: str
    query: dict[str, str] | None
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


_ROUTES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(p), name, template)
    for p, name, template in (
        (r"^/auth/user$", "auth_user", "/auth/user"),
        (r"^/scenes$", "scenes_list", "/scenes"),
        (r"^/scenes/hash/(?P<key>[^/]+)$", "scene_hash", "/scenes/hash/{hash}"),
        (r"^/scenes/(?P<key>[^/]+)$", "scenes_detail", "/scenes/{id}"),
        (r"^/movies$", "movies_list", "/movies"),
        (r"^/movies/(?P<key>[^/]+)$", "movies_detail", "/movies/{id}"),
        (r"^/jav$", "jav_list", "/jav"),
        (r"^/jav/(?P<key>[^/]+)$", "jav_detail", "/jav/{id}"),
        (r"^/sites$", "sites_list", "/sites"),
        (r"^/sites/(?P<key>[^/]+)/scenes$", "site_scenes", "/sites/{id}/scenes"),
        (r"^/sites/(?P<key>[^/]+)$", "sites_detail", "/sites/{id}"),
        (r"^/performers$", "performers_list", "/performers"),
        (r"^/performers/(?P<key>[^/]+)/scenes$", "performer_scenes", "/performers/{id}/scenes"),
        (r"^/performers/(?P<key>[^/]+)$", "performers_detail", "/performers/{id}"),
    )
]


def _route_of(path: str) -> tuple[str | None, str, dict[str, str]]:
    for pattern, name, template in _ROUTES:
        m = pattern.match(path)
        if m:
            return name, template, {k: unquote(v) for k, v in m.groupdict().items()}
    return None, path, {}


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _json_response(status: int, obj: Any) -> _Response:
    return _Response(status, _dumps(obj))


def _html_response(status: int, text: str) -> _Response:
    return _Response(status, text.encode(), "text/html; charset=UTF-8")


# ---------------------------------------------------------------------------------------------------------------------
# Pagination (Laravel LengthAwarePaginator, as in the fixtures)
# ---------------------------------------------------------------------------------------------------------------------


def paginate_meta(path_url: str, total: int, page: int, per_page: int, count: int) -> tuple[dict[str, Any], dict]:
    """``links`` and ``meta`` exactly as Laravel builds them (URL window with ``...`` past 13 pages)."""
    last_page = max(math.ceil(total / per_page), 1)

    def url(p: int) -> str:
        return f"{path_url}?page={p}"

    prev_url = url(page - 1) if page > 1 else None
    next_url = url(page + 1) if page < last_page else None
    on_each_side = 3
    window = on_each_side + 4
    elements: list[list[int] | str]
    if last_page < on_each_side * 2 + 8:
        elements = [list(range(1, last_page + 1))]
    elif page <= window:
        elements = [list(range(1, window + on_each_side + 1)), "...", [last_page - 1, last_page]]
    elif page > last_page - window:
        elements = [[1, 2], "...", list(range(last_page - (window + on_each_side - 1), last_page + 1))]
    else:
        elements = [
            [1, 2],
            "...",
            list(range(page - on_each_side, page + on_each_side + 1)),
            "...",
            [last_page - 1, last_page],
        ]
    meta_links: list[dict[str, Any]] = [{"url": prev_url, "label": "&laquo; Previous", "active": False}]
    for element in elements:
        if isinstance(element, str):
            meta_links.append({"url": None, "label": "...", "active": False})
        else:
            meta_links.extend({"url": url(p), "label": str(p), "active": p == page} for p in element)
    meta_links.append({"url": next_url, "label": "Next &raquo;", "active": False})
    first = (page - 1) * per_page + 1 if count else None
    links = {"first": url(1), "last": url(last_page), "prev": prev_url, "next": next_url}
    meta = {
        "current_page": page,
        "from": first,
        "last_page": last_page,
        "links": meta_links,
        "path": path_url,
        "per_page": per_page,
        "to": first + count - 1 if first is not None else None,
        "total": total,
    }
    return links, meta


# ---------------------------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], fake: FakeTPDB) -> None:
        self.fake = fake
        self.conns: set[socket.socket] = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def close_connections(self) -> None:
        with self.conns_lock:
            conns = list(self.conns)
            self.conns.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTPDB/1.0"
    disable_nagle_algorithm = True
    timeout = 60
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.conns_lock:
            self.server.conns.add(self.connection)

    def finish(self) -> None:
        with self.server.conns_lock:
            self.server.conns.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.fake._handle(self, body)
        if response is None:  # drop the connection without answering
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        payload = response.body
        if (
            self.server.fake.gzip_responses
            and len(payload) > 1024
            and "gzip" in (self.headers.get("Accept-Encoding") or "")
        ):
            payload = gzip.compress(payload, compresslevel=1)
            response.headers["Content-Encoding"] = "gzip"
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class FakeTPDB:
    """A real HTTP fake of the TPDB API on 127.0.0.1 (port 0 picks a free port). Thread-safe."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        token: str | None = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        rate: float | None = None,
        burst: int | None = None,
        fixtures_dir: Path | str = FIXTURES_DIR,
        gzip_responses: bool = False,
        honour_limit: bool = False,
        log_size: int = 200_000,
    ) -> None:
        """``token=None`` accepts any non-empty Bearer token; ``rate`` is requests/s (None = unlimited)."""
        self.catalog = catalog if catalog is not None else Catalog.from_fixtures(fixtures_dir)
        self.token = token if token is not None else DEFAULT_TOKEN
        self.accept_any_token = token is None
        self.host = host
        self.port = port
        self.fixtures_dir = Path(fixtures_dir)
        self.gzip_responses = gzip_responses
        self.honour_limit = honour_limit
        self._initial_rate = (rate, burst)
        self._lock = threading.Lock()
        self._faults = Faults()
        self._rate: float | None = None
        self._burst = 1
        self._buckets: dict[str, _Bucket] = {}
        self._canned: list[_Canned] = []
        self._log: deque[RequestRecord] = deque(maxlen=log_size)
        self._received = 0
        self._served = 0
        self._rate_limited = 0
        self._dropped = 0
        self._by_route: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_rate(rate, burst)

    # -- lifecycle -------------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (valid once started)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Start serving in a daemon thread; with port 0 the real port is set here."""
        if self._server is not None:
            return self
        self._server = _HTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-tpdb-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, close open connections and join the serving thread."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def pause(self) -> None:
        """Stop listening (connections are refused) but keep the port for :meth:`resume`."""
        self.stop()

    def resume(self) -> None:
        """Listen again on the same port after :meth:`pause`."""
        self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- control ---------------------------------------------------------------------------------------------------
    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change fault switches (merged into the current ones); returns them. Unknown names raise TypeError."""
        known = {f.name for f in fields(Faults)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        with self._lock:
            merged = {**asdict(self._faults), **changes}
            self._faults = Faults(**merged)
            return asdict(self._faults)

    def faults(self) -> dict[str, Any]:
        """The current fault switches."""
        with self._lock:
            return asdict(self._faults)

    def set_rate(self, rate: float | None, burst: int | None = None) -> None:
        """Token bucket per token: ``rate`` requests/s, ``burst`` capacity (default max(1, rate)); None = off."""
        with self._lock:
            self._rate = float(rate) if rate else None
            self._burst = int(burst) if burst else max(1, math.ceil(rate or 1))
            self._buckets.clear()

    def reset(self) -> None:
        """Clear faults, canned responses, counters, the request log and rate buckets; restore the initial rate."""
        with self._lock:
            self._faults = Faults()
            self._canned.clear()
            self._log.clear()
            self._received = self._served = self._rate_limited = self._dropped = 0
            self._by_route.clear()
            self._by_status.clear()
        self.set_rate(*self._initial_rate)

    def serve(
        self,
        method: str,
        path: str,
        body: str | bytes | Mapping[str, Any] | list[Any],
        status: int = 200,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``method path`` (and, if given, requests carrying these ``query`` values) with a canned body.

        ``body`` is a fixture file name (``"scene_detail.json"``), a dict/list (sent as JSON) or raw bytes.
        Auth, rate limit and faults still apply. Later registrations win.
        """
        content_type = "application/json"
        if isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = (self.fixtures_dir / body).read_bytes()
        else:
            raw = _dumps(body)
        canned = _Canned(
            method.upper(),
            path.rstrip("/") or "/",
            dict(query) if query else None,
            status,
            raw,
            content_type,
            dict(headers or {}),
        )
        with self._lock:
            self._canned.insert(0, canned)

    # -- observation -----------------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counters: received, served (not 429, not dropped), rate_limited, dropped, by_route, by_status."""
        with self._lock:
            return {
                "received": self._received,
                "served": self._served,
                "rate_limited": self._rate_limited,
                "dropped": self._dropped,
                "by_route": dict(self._by_route),
                "by_status": dict(self._by_status),
                "faults": asdict(self._faults),
                "rate": {"rate": self._rate, "burst": self._burst},
            }

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def count(
        self,
        path_prefix: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        route: str | None = None,
    ) -> int:
        """How many logged requests match all the given filters."""
        return sum(
            1
            for r in self.requests
            if (path_prefix is None or r.path.startswith(path_prefix))
            and (method is None or r.method == method.upper())
            and (status is None or r.status == status)
            and (route is None or r.route == route)
        )

    # -- request handling ------------------------------------------------------------------------------------------
    def _handle(self, handler: _Handler, body: bytes) -> _Response | None:
        started = time.monotonic()
        wall = time.time()
        parts = urlsplit(handler.path)
        path = unquote(parts.path).rstrip("/") or "/"
        if path.startswith("/_fake/"):
            return self._control(handler.command, path, parts.query, body)
        method = handler.command
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        name, template, args = _route_of(path)
        route = f"{method} {template}"
        auth = handler.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None

        with self._lock:
            self._received += 1
            faults = self._faults
            applies = faults.active() and (faults.path_prefix is None or path.startswith(faults.path_prefix))
            if applies and faults.times is not None:
                remaining = faults.times - 1
                self._faults = Faults() if remaining <= 0 else Faults(**{**asdict(faults), "times": remaining})
        if not applies:
            faults = Faults()

        response: _Response | None
        if faults.down:
            response = None
        else:
            if faults.latency_s > 0:
                time.sleep(faults.latency_s)
            response = self._respond(method, path, params, name, args, token, faults, handler.headers)
        self._record(method, path, parts.query, route, token, started, wall, response)
        return response

    def _respond(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        name: str | None,
        args: dict[str, str],
        token: str | None,
        faults: Faults,
        headers: Any,
    ) -> _Response:
        if not token or (not self.accept_any_token and token != self.token):
            return _json_response(401, MSG_401)
        limited = self._take(token, faults)
        if isinstance(limited, _Response):
            return limited
        rate_headers = limited
        if faults.status:
            html = faults.status_html if faults.status_html is not None else faults.status == 502
            response = _html_response(faults.status, HTML_502) if html else _json_response(faults.status, MSG_500)
        elif faults.html:
            response = _html_response(200, HTML_PARKING)
        else:
            response = self._canned_for(method, path, params) or self._route(
                method, name, args, params, faults.empty_search, headers
            )
        response.headers.update(rate_headers)
        return response

    def _take(self, token: str, faults: Faults) -> _Response | dict[str, str]:
        """Consume a rate-limit token: the headers for a served answer, or the 429 response."""
        if faults.force_429:
            return self._too_many(faults.retry_after, 0)
        with self._lock:
            rate, burst = self._rate, self._burst
            if rate is None:
                return {}
            now = time.monotonic()
            bucket = self._buckets.get(token)
            if bucket is None:
                bucket = self._buckets[token] = _Bucket(float(burst), now)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens < 1.0:
                wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
                return self._too_many(wait, burst)
            bucket.tokens -= 1.0
            return {"X-RateLimit-Limit": str(burst), "X-RateLimit-Remaining": str(int(bucket.tokens))}

    @staticmethod
    def _too_many(retry_after: int, limit: int) -> _Response:
        return _Response(
            429,
            _dumps(MSG_429),
            headers={
                "Retry-After": str(int(retry_after)),
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + int(retry_after)),
            },
        )

    def _canned_for(self, method: str, path: str, params: Mapping[str, str]) -> _Response | None:
        with self._lock:
            canned = list(self._canned)
        for c in canned:
            if (
                c.method == method
                and c.path == path
                and (c.query is None or all(params.get(k) == v for k, v in c.query.items()))
            ):
                return _Response(c.status, c.body, c.content_type, dict(c.headers))
        return None

    def _record(
        self,
        method: str,
        path: str,
        query: str,
        route: str,
        token: str | None,
        started: float,
        wall: float,
        response: _Response | None,
    ) -> None:
        status = response.status if response is not None else None
        record = RequestRecord(method, path, query, route, token, started, wall, status, time.monotonic() - started)
        with self._lock:
            self._log.append(record)
            self._by_route[route] += 1
            if status is None:
                self._dropped += 1
                self._by_status["dropped"] += 1
                return
            self._by_status[str(status)] += 1
            if status == 429:
                self._rate_limited += 1
            else:
                self._served += 1

    # -- routing ---------------------------------------------------------------------------------------------------
    def _route(
        self,
        method: str,
        name: str | None,
        args: dict[str, str],
        params: dict[str, str],
        empty: bool,
        headers: Any,
    ) -> _Response:
        if name is None:
            return _json_response(404, MSG_404)
        if method not in ("GET", "HEAD"):
            return _json_response(405, {"message": f"The {method} method is not supported for this route."})
        idx = self.catalog.index
        key = args.get("key", "")
        if name == "auth_user":
            return _json_response(200, {"data": {"id": 1, "name": "Fake TPDB User", "email": "fake@example.test"}})
        if name.endswith("_detail") and name.split("_")[0] in ("scenes", "movies", "jav"):
            coll = getattr(idx, name.split("_")[0])
            i = coll.resolve(key)
            return _json_response(404, MSG_404) if i is None else _Response(200, coll.detail_json(i))
        if name == "scene_hash":
            hits = idx.scenes.by_hash.get(key.lower())
            return _Response(200, idx.scenes.detail_json(hits[0])) if hits else _json_response(404, MSG_404)
        if name.endswith("_list") and name.split("_")[0] in ("scenes", "movies", "jav"):
            coll = getattr(idx, name.split("_")[0])
            hits = [] if empty else coll.search(params)
            return self._page(f"/{name.split('_')[0]}", params, hits, coll.list_json)
        if name == "sites_detail":
            site = idx.sites.get(key)
            return _json_response(404, MSG_404) if site is None else _Response(200, _dumps({"data": site}))
        if name == "sites_list":
            hits = [] if empty else _search_sites(idx.sites, params)
            php = self.catalog.php_json
            return self._page("/sites", params, hits, lambda sid: _dumps(idx.sites.sites[sid], php))
        if name == "site_scenes":
            site = idx.sites.get(key)
            if site is None:
                return _json_response(404, MSG_404)
            allowed = set(idx.scenes.by_site.get(site["id"], ()))
            hits = [] if empty else [i for i in idx.scenes.default_order if i in allowed]
            return self._page(f"/sites/{key}/scenes", params, hits, idx.scenes.list_json)
        perf = idx.performers
        if name == "performers_detail":
            i = perf.keys.get(key.lower())
            return _json_response(404, MSG_404) if i is None else _Response(200, _dumps({"data": perf.items[i]}))
        if name == "performers_list":
            hits = [] if empty else perf.search(params.get("q", "") or params.get("name", ""))
            return self._page(
                "/performers",
                params,
                hits,
                lambda i: _dumps({k: v for k, v in perf.items[i].items() if k not in PERFORMER_DETAIL_ONLY_KEYS}),
            )
        if name == "performer_scenes":
            i = perf.keys.get(key.lower())
            if i is None:
                return _json_response(404, MSG_404)
            allowed = set(idx.scenes.by_performer.get(str(perf.items[i]["id"]).lower(), ()))
            hits = [] if empty else [j for j in idx.scenes.default_order if j in allowed]
            return self._page(f"/performers/{key}/scenes", params, hits, idx.scenes.list_json)
        return _json_response(404, MSG_404)

    def _page(self, path: str, params: Mapping[str, str], hits: list[Any], render: Any) -> _Response:
        per_page_raw = params.get("per_page", "").strip()
        if not per_page_raw and self.honour_limit:
            per_page_raw = params.get("limit", "").strip()
        if per_page_raw:
            try:
                per_page = int(per_page_raw)
            except ValueError:
                msg = "The per page field must be an integer."
                return _json_response(422, {"message": msg, "errors": {"per_page": [msg]}})
            per_page = min(max(per_page, 1), MAX_PER_PAGE)
        else:
            per_page = DEFAULT_PER_PAGE
        try:
            page = max(int(params.get("page", "1") or 1), 1)
        except ValueError:
            page = 1
        start = (page - 1) * per_page
        chunk = hits[start : start + per_page]
        links, meta = paginate_meta(f"{self.base_url}{path}", len(hits), page, per_page, len(chunk))
        body = b'{"data":[' + b",".join(render(h) for h in chunk) + b'],"links":' + _dumps(links) + b',"meta":'
        return _Response(200, body + _dumps(meta) + b"}")

    def _control(self, method: str, path: str, query: str, body: bytes) -> _Response:
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            return _json_response(400, {"message": "body must be JSON"})
        if path == "/_fake/stats" and method == "GET":
            return _json_response(200, self.stats())
        if path == "/_fake/requests" and method == "GET":
            return _json_response(200, {"requests": [r.to_dict() for r in self.requests]})
        if path == "/_fake/faults" and method == "GET":
            return _json_response(200, {"faults": self.faults()})
        if path == "/_fake/faults" and method == "POST":
            try:
                return _json_response(200, {"faults": self.set_faults(**payload)})
            except TypeError as exc:
                return _json_response(400, {"message": str(exc)})
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return _json_response(200, {"ok": True})
        if path == "/_fake/rate" and method == "POST":
            self.set_rate(payload.get("rate"), payload.get("burst"))
            return _json_response(200, {"rate": self.stats()["rate"]})
        if path == "/_fake/serve" and method == "POST":
            try:
                body_value = payload.get("fixture") or payload["body"]
                self.serve(
                    payload.get("method", "GET"),
                    payload["path"],
                    body_value,
                    int(payload.get("status", 200)),
                    payload.get("query"),
                    payload.get("headers"),
                )
            except (KeyError, OSError, TypeError, ValueError) as exc:
                return _json_response(400, {"message": f"bad serve request: {exc!r}"})
            return _json_response(200, {"ok": True})
        return _json_response(404, MSG_404)


FakeTPDBServer = FakeTPDB


# ---------------------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the fake stand-alone until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_tpdb", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--catalog", help="match-corpus catalog.json.gz (or its folder)")
    source.add_argument("--fixtures", help="a TPDB fixtures folder (default: tests/fixtures/tpdb)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="accepted Bearer token")
    parser.add_argument("--any-token", action="store_true", help="accept any non-empty Bearer token")
    parser.add_argument("--rate", type=float, default=None, help="requests per second per token (default: no limit)")
    parser.add_argument("--burst", type=int, default=None, help="token bucket size")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to sleep before each answer")
    parser.add_argument("--gzip", action="store_true", help="gzip bodies when the client accepts it")
    parser.add_argument("--list-tags", action="store_true", help="list items keep their tags (the real 2023 shape)")
    args = parser.parse_args(argv)

    t0 = time.monotonic()
    if args.catalog:
        catalog = Catalog.from_corpus(args.catalog, list_tags=args.list_tags)
    else:
        catalog = Catalog.from_fixtures(args.fixtures or FIXTURES_DIR)
    index = catalog.index
    fake = FakeTPDB(
        catalog,
        token=None if args.any_token else args.token,
        host=args.host,
        port=args.port,
        rate=args.rate,
        burst=args.burst,
        gzip_responses=args.gzip,
    )
    if args.latency:
        fake.set_faults(latency_s=args.latency)
    fake.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"fake TPDB: {len(index.scenes.items)} scenes, {len(index.movies.items)} movies, {len(index.jav.items)} jav, "
        f"{len(index.sites.sites)} sites, {len(index.performers.items)} performers "
        f"(loaded in {time.monotonic() - t0:.1f}s); token={'<any>' if args.any_token else fake.token} "
        f"rate={args.rate or 'unlimited'} burst={fake.stats()['rate']['burst'] if args.rate else '-'}",
        flush=True,
    )
    print(fake.base_url, flush=True)
    while not stop.wait(0.5):
        pass
    fake.stop()
    st = fake.stats()
    print(f"fake TPDB stopped: received={st['received']} served={st['served']} 429={st['rate_limited']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
