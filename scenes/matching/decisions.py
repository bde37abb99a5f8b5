"""Decision records: each automatic episode or movie decision stored as a ``MatchDecision`` (the review queue)."""

from __future__ import annotations

from typing import Any

from scenes.matching.candidates import rating_key, rating_key_of
from scenes.matching.request import MAX_MANUAL_RESULTS, MatchRequest, request_key_for
from scenes.models import MatchDecision
from tpdbprovider.matching.matcher import Decision, ScoredCandidate
from tpdbprovider.matching.parser import ParsedScene

# Reasons that are not a judgement on the candidates: such a decision is never reused, the next request tries again.
TPDB_UNAVAILABLE = "tpdb_unavailable"
SITE_LIST_PENDING = "site_list_pending"


def record_decision(req: MatchRequest, parsed: ParsedScene, decision: Decision) -> None:
    """Store what Plex asked, the scored candidates and the outcome (abstentions feed the review queue)."""
    accepted = decision.accepted
    chosen = rating_key(accepted.candidate) if accepted else ""
    MatchDecision.objects.update_or_create(
        provider=req.provider,
        request_key=request_key_for(req),
        defaults={
            "request_type": req.type,
            "request": request_json(req),
            "parsed": _parsed_json(parsed),
            "candidates": [_scored_json(s) for s in decision.ranked[:MAX_MANUAL_RESULTS]],
            "chosen_rating_key": chosen,
            "confidence": accepted.confidence
            if accepted
            else (decision.ranked[0].confidence if decision.ranked else None),
            "state": MatchDecision.State.AUTO if accepted else MatchDecision.State.ABSTAINED,
            "reason": decision.reason,
        },
    )


def request_json(req: MatchRequest) -> dict[str, Any]:
    """The request as a decision stores it (``MatchDecision.request``): the fields Plex sent, dates as ISO text."""
    fields = ("type", "title", "parent_title", "grandparent_title", "year", "guid", "index", "parent_index", "filename")
    data: dict[str, Any] = {f: getattr(req, f) for f in fields if getattr(req, f) not in ("", None)}
    if req.date:
        data["date"] = req.date.isoformat()
    return data


def _parsed_json(parsed: ParsedScene) -> dict[str, Any]:
    return {
        "site_tokens": list(parsed.site_tokens),
        "dates": [d.isoformat() for d in parsed.dates],
        "year": parsed.year,
        "performers": list(parsed.performers),
        "title": parsed.title,
        "resolution": parsed.resolution,
        "series_numbers": list(parsed.series_numbers),
        "confidence": round(parsed.confidence, 2),
        "search_query": parsed.to_search_query(),
    }


def _scored_json(scored: ScoredCandidate) -> dict[str, Any]:
    c = scored.candidate
    return {
        "rating_key": rating_key(c),
        "kind": c.kind,
        "title": c.title,
        "site": c.site_name,
        "date": c.released_on.isoformat() if c.released_on else None,
        "performers": [p.canonical or p.credited for p in c.performers][:8],
        "confidence": scored.confidence,
        "breakdown": scored.breakdown,
        "duplicates": [rating_key_of(k) for k in scored.duplicate_keys],
    }
