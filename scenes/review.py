"""The review queue: automatic match decisions a person should look at, and the pins that settle them.

A pin is keyed like the decision (provider, request_key), so it wins over search on Plex's next request for the same
item (``scenes.matching.pins``). Every admin action on the queue calls one of these functions.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from movies.items import movie_get_or_fetch
from movies.models import Movie
from scenes.items import media_refresh_now, scene_get_or_fetch
from scenes.matching import MatchRequest, MatchResult, match_episode, match_movie
from scenes.matching.pins import resolve_ref
from scenes.models import MatchDecision, MatchPin, ReviewItem, Scene
from tpdbprovider.core.exceptions import ApplicationError, ItemNotFoundError, ItemUnavailableError
from tpdbprovider.matching import ratingkeys
from tpdbprovider.matching.parser import find_ref

logger = logging.getLogger(__name__)

Provider = Literal["tv", "movie"]
MAX_QUERY_CHARS = 500
# Match request types recorded as decisions (spec §2.2): 1 movie, 4 episode.
_EPISODE, _MOVIE = 4, 1


class ReviewError(ApplicationError):
    """A review action that cannot be done as asked (bad rating key, wrong kind, item gone from TPDB)."""

    code = "review_error"


def review_queue() -> QuerySet[ReviewItem]:
    """Decisions to review: abstained, accepted below the current threshold, or needing a rematch (TPDB lost the
    pinned item: the decision's state says so, or its pin was flagged by a refresh)."""
    lost_pin = MatchPin.objects.filter(
        provider=OuterRef("provider"), request_key=OuterRef("request_key"), is_needs_rematch=True
    )
    below_threshold = Q(state=MatchDecision.State.AUTO) & (
        Q(confidence__lt=settings.PLEX_MATCH_ACCEPT_THRESHOLD) | Q(confidence__isnull=True)
    )
    return (
        ReviewItem.objects.annotate(has_lost_pin=Exists(lost_pin))
        .filter(
            Q(state__in=[MatchDecision.State.ABSTAINED, MatchDecision.State.NEEDS_REMATCH])
            | below_threshold
            | Q(has_lost_pin=True)
        )
        .order_by("-updated_at")
    )


def pin_approve(*, decision: MatchDecision, rating_key: str, note: str = "") -> MatchPin:
    """Pin ``rating_key`` (a scene, or on the movie provider also a movie) for the decision's Plex item.

    The item is fetched from TPDB when it is not stored or lacks its numeric id. The pin keeps both TPDB ids; the
    decision becomes ``pinned``.
    """
    item = _item_for(rating_key=rating_key, provider=decision.provider)
    with transaction.atomic():
        pin, _ = MatchPin.objects.update_or_create(
            provider=decision.provider,
            request_key=decision.request_key,
            defaults={
                "rating_key": _rating_key_of(item),
                "tpdb_id": item.tpdb_id,
                "tpdb_numeric_id": item.tpdb_numeric_id,
                "is_not_in_tpdb": False,
                "is_needs_rematch": False,
                "note": note[:255],
            },
        )
        _settle(decision, state=MatchDecision.State.PINNED, chosen_rating_key=pin.rating_key)
    return pin


@transaction.atomic
def pin_not_in_tpdb(*, decision: MatchDecision) -> MatchPin:
    """Record that TPDB has no such item: Plex gets no match for it until the pin is removed."""
    pin, _ = MatchPin.objects.update_or_create(
        provider=decision.provider,
        request_key=decision.request_key,
        defaults={
            "rating_key": "",
            "tpdb_id": None,
            "tpdb_numeric_id": None,
            "is_not_in_tpdb": True,
            "is_needs_rematch": False,
        },
    )
    _settle(decision, state=MatchDecision.State.NOT_IN_TPDB, chosen_rating_key="")
    return pin


def decision_rerun(*, decision: MatchDecision) -> MatchDecision:
    """Run the automatic match again for the stored request (the engine rewrites the decision); returns it fresh.

    A pin flagged as needing a rematch points at an item TPDB lost, so it is removed first; any other pin stands
    and the decision is left as it is.
    """
    request = match_request_from_decision(decision=decision)
    MatchPin.objects.filter(
        provider=decision.provider, request_key=decision.request_key, is_needs_rematch=True
    ).delete()
    _run_match(request, reuse=False)  # a fresh stored decision must not answer for itself
    decision.refresh_from_db()
    return decision


def match_request_from_decision(*, decision: MatchDecision, manual: bool = False) -> MatchRequest:
    """The MatchRequest a decision was made for, rebuilt from its stored (snake_case) request JSON."""
    data: dict[str, Any] = decision.request or {}

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    def number(name: str) -> int | None:
        value = data.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    try:
        date = datetime.date.fromisoformat(text("date")) if text("date") else None
    except ValueError:
        date = None
    return MatchRequest(
        provider="tv" if decision.provider == "tv" else "movie",
        type=decision.request_type,
        title=text("title"),
        parent_title=text("parent_title"),
        grandparent_title=text("grandparent_title"),
        year=number("year"),
        guid=text("guid"),
        index=number("index"),
        parent_index=number("parent_index"),
        date=date,
        filename=text("filename"),
        manual=manual,
    )


def review_search(*, provider: Provider, query: str) -> list[dict[str, Any]]:
    """Candidates for a person's search, in the decision-candidate shape, best first.

    A TPDB URL, ``[tpdbid=…]`` tag or uuid names one item: the pin service (``scenes.matching.pins.resolve_ref``)
    finds it stored or fetches and stores it through its kind's get-or-fetch service; an id TPDB does not know finds
    nothing, and TPDB failing raises ItemUnavailableError. Free text goes through the MatchService in manual mode,
    which answers from what is stored when TPDB fails.
    """
    query = query.strip()[:MAX_QUERY_CHARS]
    if not query:
        return []
    request_type = _EPISODE if provider == "tv" else _MOVIE
    if (ref := find_ref(query)) is not None:
        try:
            item = resolve_ref(ref, MatchRequest(provider=provider, type=request_type))
        except ItemNotFoundError:
            return []
        return [] if item is None else [_candidate_json(item, score=100)]
    request = MatchRequest(provider=provider, type=request_type, title=query, filename=query, manual=True)
    results = _run_match(request, reuse=True)
    return [_candidate_json(r.item, score=r.score) for r in results if isinstance(r.item, Scene | Movie)]


def review_candidate_posters(*, candidates: list[dict[str, Any]]) -> dict[str, str]:
    """rating_key → stored poster URL (scene or movie) for the candidates that are stored; two queries at most."""
    ids: dict[str, set[uuid.UUID]] = {"scene": set(), "movie": set()}
    for candidate in candidates:
        key = ratingkeys.parse_or_none(str(candidate.get("rating_key", "")))
        if key is not None and key.kind in ids and key.uuid is not None:
            ids[key.kind].add(key.uuid)
    posters: dict[str, str] = {}
    if ids["scene"]:
        for tpdb_id, url in Scene.objects.filter(tpdb_id__in=ids["scene"]).values_list("tpdb_id", "poster_url"):
            posters[ratingkeys.scene_key(tpdb_id)] = url
    if ids["movie"]:
        for tpdb_id, url in Movie.objects.filter(tpdb_id__in=ids["movie"]).values_list("tpdb_id", "poster_url"):
            posters[ratingkeys.movie_key(tpdb_id)] = url
    return {key: url for key, url in posters.items() if url}


# --- helpers ------------------------------------------------------------------------------------------------------


def _settle(decision: MatchDecision, *, state: str, chosen_rating_key: str) -> None:
    decision.state = state
    decision.chosen_rating_key = chosen_rating_key
    decision.reason = "set by a person in the review queue"
    decision.save(update_fields=["state", "chosen_rating_key", "reason", "updated_at"])


def _run_match(request: MatchRequest, *, reuse: bool) -> list[MatchResult]:
    if request.type == _EPISODE:
        return match_episode(request, reuse=reuse)
    if request.type == _MOVIE:
        return match_movie(request, reuse=reuse)
    raise ReviewError(f"Match type {request.type} is not reviewed (only episodes and movies are).")


def _item_for(*, rating_key: str, provider: str) -> Scene | Movie:
    """The stored scene or movie for a rating key, fetched from TPDB when missing or without its numeric id."""
    key = ratingkeys.parse_or_none(rating_key.strip())
    if key is None or key.kind not in ("scene", "movie"):
        raise ReviewError(f"'{rating_key[:80]}' is not a scene or movie rating key.")
    if provider == "tv" and key.kind == "movie":
        raise ReviewError("The TV provider can only pin scenes (Plex episodes).")
    get_or_fetch = scene_get_or_fetch if key.kind == "scene" else movie_get_or_fetch
    try:
        item: Scene | Movie = get_or_fetch(ref=key.value)
        if item.tpdb_numeric_id is None:  # a pin records the numeric id too: ask TPDB for it once more
            try:
                item = get_or_fetch(ref=key.value, is_forced=True)
            except ItemUnavailableError as exc:
                logger.warning("Pinning %s without its numeric id: TPDB failed (%s)", key, _cause(exc))
    except ItemNotFoundError as exc:
        raise ReviewError(f"TPDB has no {key.kind} {key.value}.") from exc
    except ItemUnavailableError as exc:
        raise ReviewError(f"TPDB could not be reached ({_cause(exc)}); try again later.") from exc
    return item


def _cause(exc: Exception) -> str:
    """The name of the upstream error behind a core exception (or of the exception itself)."""
    return (exc.__cause__ or exc).__class__.__name__


def _rating_key_of(item: Scene | Movie) -> str:
    return ratingkeys.movie_key(item.tpdb_id) if isinstance(item, Movie) else ratingkeys.scene_key(item.tpdb_id)


def _candidate_json(item: Scene | Movie, *, score: int) -> dict[str, Any]:
    """A stored scene or movie in the shape of ``MatchDecision.candidates`` (no score breakdown: a person searched)."""
    site = item.site
    return {
        "rating_key": _rating_key_of(item),
        "kind": "movie" if isinstance(item, Movie) else "scene",
        "title": item.title,
        "site": site.name if site else "",
        "date": item.release_date.isoformat() if item.release_date else None,
        "performers": [c.credited_name or c.performer.name for c in item.credits.select_related("performer")][:8],
        "confidence": score,
        "breakdown": {},
        "duplicates": [],
        "poster_url": item.poster_url,
    }


def item_refresh_now(*, rating_key: str) -> Scene | Movie:
    """Refetch one scene or movie from TPDB now, on the interactive lane. A stored one goes through its kind's refresh
    service, as the refresh task does (field locks kept; a 404 flags it and its pins, then raises
    UpstreamNotFoundError; other failures raise UpstreamError). One not stored is fetched and stored by its kind's
    get-or-fetch service (ItemNotFoundError, ItemUnavailableError)."""
    key = ratingkeys.parse_or_none(rating_key.strip())
    if key is None or key.kind not in ("scene", "movie"):
        raise ReviewError(f"'{rating_key[:80]}' is not a scene or movie rating key.")
    model: type[Scene] | type[Movie] = Scene if key.kind == "scene" else Movie
    stored = model.objects.filter(tpdb_id=key.value).first()
    if stored is not None:
        return media_refresh_now(stored, lane="interactive")
    get_or_fetch = scene_get_or_fetch if key.kind == "scene" else movie_get_or_fetch
    return get_or_fetch(ref=key.value, is_forced=True)
