"""Pins: a person's answer for a Plex item (``MatchPin``), or a TPDB id typed into its title or file name."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.models import Q

from movies.items import movie_get_or_fetch
from movies.models import Movie
from scenes.items import scene_get_or_fetch
from scenes.matching.request import MatchRequest, MatchResult, kind_for, request_key_for
from scenes.models import MatchPin, Scene
from tpdbprovider.core.exceptions import ItemNotFoundError, ItemUnavailableError
from tpdbprovider.matching.parser import TpdbRef, find_ref
from tpdbprovider.matching.ratingkeys import is_uuid, parse_or_none

logger = logging.getLogger(__package__)


def pinned(req: MatchRequest) -> list[MatchResult] | None:
    """A stored pin first (a person decided), then a TPDB id typed into the title or the file name; None without
    either, so the engine decides."""
    pin = MatchPin.objects.filter(provider=req.provider, request_key=request_key_for(req)).first()
    ref = _ref_in(req) if pin is None else None
    if pin is None and ref is None:
        return None
    try:
        if pin is not None:
            if pin.is_not_in_tpdb or not pin.tpdb_id:
                return []
            item = resolve_ref(TpdbRef(kind=_pin_kind(pin.rating_key), id=str(pin.tpdb_id)), req)
        else:
            assert ref is not None
            item = resolve_ref(ref, req)
    except ItemNotFoundError as exc:
        logger.info("Pinned item unknown to TPDB: %s", exc.message)
        return []
    except ItemUnavailableError as exc:
        logger.warning("Pinned item could not be fetched (%s)", (exc.__cause__ or exc).__class__.__name__)
        return []
    if item is None:
        return []
    return [MatchResult(item, kind_for(item, req), 100)]


_GET_OR_FETCH: dict[str, Callable[..., Scene | Movie]] = {"scene": scene_get_or_fetch, "movie": movie_get_or_fetch}


def resolve_ref(ref: TpdbRef, req: MatchRequest) -> Scene | Movie | None:
    """The scene or movie ``ref`` names; None when the request cannot take that kind (an episode is never a movie).

    The stored rows of every kind the request may take are looked at before TPDB is asked; then each kind's one
    get-or-fetch service (``scenes.items``, ``movies.items``) serves or fetches and stores it. Raises ItemNotFoundError
    when TPDB has it as none of those kinds (each 404 is remembered, so asking again costs no call) and
    ItemUnavailableError when TPDB cannot be asked."""
    kinds = [ref.kind] if ref.kind else ["scene", "movie"]
    if req.type == 4:  # a Plex episode: scenes only
        kinds = [kind for kind in kinds if kind == "scene"]
    if not kinds:
        return None
    if stored := next((kind for kind in kinds if _is_stored(kind, ref.id)), None):
        return _GET_OR_FETCH[stored](ref=ref.id)
    for kind in kinds:
        try:
            return _GET_OR_FETCH[kind](ref=ref.id)
        except ItemNotFoundError:
            continue
    raise ItemNotFoundError(f"TPDB has no {' or '.join(kinds)} '{ref.id}'.")


def _is_stored(kind: str, ref_id: str) -> bool:
    model: type[Scene] | type[Movie] = Scene if kind == "scene" else Movie
    return model.objects.filter(Q(tpdb_id=ref_id) if is_uuid(ref_id) else Q(slug=ref_id)).exists()


def _ref_in(req: MatchRequest) -> TpdbRef | None:
    for text in (req.title, req.filename):
        if ref := find_ref(text[:4096]):
            return ref
    return None


def _pin_kind(rating_key: str) -> str | None:
    key = parse_or_none(rating_key)
    return key.kind if key is not None and key.kind in ("scene", "movie") else None
