"""Decision reuse: Plex asks again on every refresh; a fresh stored decision answers without the engine or TPDB."""

from __future__ import annotations

import datetime

from movies.models import Movie
from scenes.matching.decisions import SITE_LIST_PENDING, TPDB_UNAVAILABLE
from scenes.matching.request import MatchRequest, MatchResult, kind_for, request_key_for
from scenes.models import MatchDecision, Scene
from tpdbprovider.matching.ratingkeys import parse_or_none

# How long an automatic decision answers the same Plex item again without re-running the engine (or TPDB).
DECISION_REUSE = datetime.timedelta(minutes=10)


def reused_decision(req: MatchRequest) -> list[MatchResult] | None:
    """A decision made for this Plex item within ``DECISION_REUSE``, answered from the database without re-parsing,
    re-scoring or TPDB; None when there is none (or its item is gone). Plex asks again on every refresh."""
    fresh_after = datetime.datetime.now(tz=datetime.UTC) - DECISION_REUSE
    decision = MatchDecision.objects.filter(
        provider=req.provider, request_key=request_key_for(req), updated_at__gte=fresh_after
    ).first()
    if decision is None or decision.state not in (MatchDecision.State.AUTO, MatchDecision.State.ABSTAINED):
        return None
    if decision.reason in (TPDB_UNAVAILABLE, SITE_LIST_PENDING):
        return None
    if decision.state == MatchDecision.State.ABSTAINED:
        return []
    chosen = parse_or_none(decision.chosen_rating_key)
    if chosen is None or chosen.kind not in ("scene", "movie"):
        return None
    model: type[Scene] | type[Movie] = Movie if chosen.kind == "movie" else Scene
    item = model.objects.select_related("site").filter(tpdb_id=chosen.value).first()
    if item is None:
        return None
    return [MatchResult(item, kind_for(item, req), decision.confidence or 0)]
