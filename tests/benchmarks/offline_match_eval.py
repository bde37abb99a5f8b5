"""Offline accuracy of the pure matcher on the match corpus, with a simulated retrieval that never reads gold.

Usage: .venv/bin/python tests/benchmarks/offline_match_eval.py --corpus /work/shared/match-corpus [--limit N] [--errors]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import gzip
import json
import math
import pathlib
import sys
import time
from collections.abc import Iterable
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from tpdbprovider.matching.matcher import Candidate, CandidatePerformer, candidate_codes, decide, rank, resolve_sites
from tpdbprovider.matching.parser import MatchInput, ParsedScene, parse_request, words_of
from tpdbprovider.matching.sites import SiteEntry, SiteIndex, attach_aliases, load_default_aliases

CANDIDATE_CAP = 50
DATE_WINDOW_DAYS = 30
RARE_DF = 60


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _candidate(obj: dict[str, Any], kind: str, aliases: dict[str, list[str]]) -> Candidate:
    performers = []
    for p in obj.get("performers") or []:
        parent = p.get("parent") or {}
        canonical = parent.get("name")
        performers.append(
            CandidatePerformer(
                credited=p.get("name") or "",
                canonical=canonical,
                aliases=tuple(aliases.get(parent.get("id") or "", [])),
                gender=(p.get("extra") or {}).get("gender"),
            )
        )
    site = obj.get("site") or {}
    return Candidate(
        key=f"tpdb-{kind}-{obj['id']}",
        kind=kind,
        title=obj.get("title") or "",
        released_on=_date(obj.get("date")),
        site_id=obj.get("site_id"),
        site_name=site.get("name") or "",
        performers=tuple(performers),
        duration_s=obj.get("duration"),
        codes=candidate_codes(obj.get("external_id"), obj.get("_id"), obj.get("slug"), obj.get("url")),
    )


class Retrieval:
    """Simulated TPDB search: the site family near the date, plus scenes sharing rare words."""

    def __init__(self, candidates: list[Candidate], index: SiteIndex) -> None:
        self.candidates = candidates
        self.index = index
        self.by_site: dict[int, list[int]] = collections.defaultdict(list)
        self.by_word: dict[str, set[int]] = collections.defaultdict(set)
        self.by_title: dict[str, set[int]] = collections.defaultdict(set)
        for i, c in enumerate(candidates):
            self.by_title["".join(words_of(c.title))].add(i)
            if c.site_id is not None:
                self.by_site[c.site_id].append(i)
            text = " ".join([c.title, *(p.credited for p in c.performers), *(p.canonical or "" for p in c.performers)])
            for w in set(words_of(text)):
                self.by_word[w].add(i)
        self.n = len(candidates)

    def _site_ids(self, parsed: ParsedScene) -> set[int]:
        ids: set[int] = set()
        for hit in resolve_sites(parsed, self.index):
            fam = self.index.family_of(hit.entry.id)
            ids |= fam
            parent = hit.entry.parent_id
            if parent is not None:
                ids |= self.index.family_of(parent) - {parent} if parent != hit.entry.id else set()
        return ids

    def _title_hits(self, words: tuple[str, ...]) -> set[int]:
        found: set[int] = set()
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + 12) + 1):
                found |= self.by_title.get("".join(words[start:end]), set())
        return found

    def search(self, parsed: ParsedScene) -> list[Candidate]:
        picked: dict[int, float] = {}
        dates = parsed.dates
        for site_id in self._site_ids(parsed):
            for i in self.by_site.get(site_id, []):
                released = self.candidates[i].released_on
                if released is None:
                    continue
                if dates:
                    gap = min(abs((released - d).days) for d in dates)
                    if gap <= DATE_WINDOW_DAYS:
                        picked[i] = max(picked.get(i, 0.0), 100.0 - gap)
                elif parsed.year and abs(released.year - parsed.year) <= 1:
                    picked[i] = max(picked.get(i, 0.0), 20.0)
                elif not parsed.year:
                    picked[i] = max(picked.get(i, 0.0), 1.0)
        overlap: dict[int, float] = collections.defaultdict(float)
        counts: dict[int, int] = collections.defaultdict(int)
        for w in set(parsed.words + parsed.uncertain_words):
            posting = self.by_word.get(w)
            if not posting or len(posting) > RARE_DF:
                continue
            idf = math.log(self.n / len(posting))
            for i in posting:
                overlap[i] += idf
                counts[i] += 1
        for i, weight in sorted(overlap.items(), key=lambda kv: -kv[1])[:CANDIDATE_CAP]:
            if counts[i] >= 2:
                picked[i] = max(picked.get(i, 0.0), weight)
        for i in self._title_hits(parsed.words):
            picked[i] = max(picked.get(i, 0.0), 50.0)
        best = sorted(picked.items(), key=lambda kv: -kv[1])[:CANDIDATE_CAP]
        return [self.candidates[i] for i, _ in best]


def _request_input(request: dict[str, Any]) -> MatchInput:
    kinds = {1: "movie", 2: "show", 3: "season", 4: "episode"}
    return MatchInput(
        title=str(request.get("title") or ""),
        year=request.get("year"),
        filename=str(request.get("filename") or ""),
        grandparent_title=str(request.get("grandparentTitle") or ""),
        parent_title=str(request.get("parentTitle") or ""),
        date=_date(request.get("date")),
        index=request.get("index"),
        parent_index=request.get("parentIndex"),
        kind=kinds.get(int(request.get("type") or 4), "episode"),
    )


def _load(corpus: pathlib.Path) -> tuple[SiteIndex, Retrieval]:
    with gzip.open(corpus / "catalog.json.gz", "rt", encoding="utf-8") as fh:
        catalog = json.load(fh)
    entries = [
        SiteEntry(s["id"], s["name"], s.get("short_name") or "", s.get("parent_id"), s.get("network_id"))
        for s in catalog["sites"]
    ]
    index = SiteIndex(attach_aliases(entries, load_default_aliases()))
    aliases = {p["id"]: list(p.get("aliases") or []) for p in catalog["performers"]}
    candidates = [_candidate(s, "scene", aliases) for s in catalog["scenes"]]
    candidates += [_candidate(m, "movie", aliases) for m in catalog["movies"]]
    return index, Retrieval(candidates, index)


class Tally:
    """Counts for one slice of queries."""

    def __init__(self) -> None:
        self.q = self.answered = self.correct = self.no_gold = self.no_gold_answered = self.has_gold = 0

    def add(self, answered: bool, correct: bool, has_gold: bool) -> None:
        self.q += 1
        self.answered += answered
        self.correct += correct
        self.has_gold += has_gold
        if not has_gold:
            self.no_gold += 1
            self.no_gold_answered += answered

    def row(self, name: str) -> str:
        q, a, c = self.q, self.answered, self.correct
        return (
            f"{name:<10}{q:>6}{100 * c / max(a, 1):>9.2f}{100 * c / max(q, 1):>9.2f}"
            f"{100 * c / max(self.has_gold, 1):>10.2f}{100 * (1 - a / max(q, 1)):>9.2f}"
            f"{100 * (a - c) / max(q, 1):>8.2f}{100 * self.no_gold_answered / max(self.no_gold, 1):>9.2f}{c - 7 * (a - c):>7}"
        )


def evaluate(corpus: pathlib.Path, limit: int | None, show_errors: bool) -> None:
    index, retrieval = _load(corpus)
    with open(corpus / "queries.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    records = records[:limit] if limit else records
    tallies: dict[str, Tally] = collections.defaultdict(Tally)
    reasons: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for record in records:
        parsed = parse_request(_request_input(record["request"]))
        hits = resolve_sites(parsed, index)
        ranked = rank(parsed, hits, index, retrieval.search(parsed))
        decision = decide(ranked, manual=False, has_site=bool(hits))
        reasons[decision.reason] += 1
        gold = set(record["gold"])
        answered = decision.accepted is not None
        correct = answered and decision.accepted is not None and bool(set(decision.accepted.keys) & gold)
        for name in _slices(record):
            tallies[name].add(answered, correct, bool(gold))
        if show_errors and answered and not correct:
            _print_error(record, parsed, ranked)
    elapsed = time.perf_counter() - started
    print(
        f"{'slice':<10}{'Q':>6}{'prec@1':>9}{'rec@1':>9}{'rec|gold':>10}{'abstain':>9}{'wrong':>8}{'falseAcc':>9}{'U':>7}"
    )
    for name in sorted(tallies, key=lambda n: (n != "overall", n)):
        print(tallies[name].row(name))
    print(f"reasons: {dict(reasons)}  ({1000 * elapsed / max(len(records), 1):.1f} ms/query)")


def _slices(record: dict[str, Any]) -> Iterable[str]:
    yield "overall"
    yield record["pattern"]
    yield f"lib:{record['library']}"
    yield next((t for t in record["tags"] if t.startswith("target:")), "target:?")


def _print_error(record: dict[str, Any], parsed: ParsedScene, ranked: list[Any]) -> None:
    print(
        f"WRONG {record['qid']} {record['pattern']} {record['raw_path']!r} gold={record['gold']} tags={record['tags']}"
    )
    print(f"   parsed sites={parsed.site_tokens} date={parsed.dates} words={parsed.words}")
    for item in ranked[:3]:
        c = item.candidate
        print(f"   {item.confidence:>3} {c.key[:30]} {c.site_name!r} {c.released_on} {c.title!r} {item.breakdown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=pathlib.Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--errors", action="store_true", help="print every wrong answer with its top candidates")
    args = parser.parse_args()
    evaluate(args.corpus, args.limit, args.errors)


if __name__ == "__main__":
    main()
