"""Pins: a person's answer for a Plex item (``MatchPin``), or a TPDB id typed into its title or file name."""

from __future__ import annotations

import logging
import re

from django.db.models import Q

from movies.models import Movie
from movies.services import movie_upsert_from_tpdb
from scenes.matching.request import MatchRequest, MatchResult, kind_for, request_key_for
from scenes.models import MatchPin, Scene
from scenes.services import scene_upsert_from_tpdb
from tpdbprovider.matching.parser import TpdbRef, find_ref
from tpdbprovider.matching.ratingkeys import parse_or_none
from tpdbprovider.tpdb.client import tpdb_client
from tpdbprovider.tpdb.errors import TPDBError, TPDBNotFoundError

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
    except TPDBError as exc:
        logger.warning("Pinned item could not be fetched (%s)", exc.__class__.__name__)
        return []
    if item is None:
        return []
    return [MatchResult(item, kind_for(item, req), 100)]


def resolve_ref(ref: TpdbRef, req: MatchRequest) -> Scene | Movie | None:
    """The referenced scene or movie, from the database or fetched and stored; None when TPDB has no such item."""
    kinds = [ref.kind] if ref.kind else (["scene"] if req.type == 4 else ["scene", "movie"])
    if req.type == 4 and "scene" not in kinds:
        return None
    is_uuid = re.fullmatch(r"[0-9a-fA-F-]{36}", ref.id) is not None
    for kind in kinds:
        model: type[Scene] | type[Movie] = Scene if kind == "scene" else Movie
        stored = model.objects.filter(Q(tpdb_id=ref.id) if is_uuid else Q(slug=ref.id)).first()
        if stored is not None:
            return stored
    client = tpdb_client(lane="interactive")
    for kind in kinds:
        try:
            if kind == "scene":
                return scene_upsert_from_tpdb(data=client.get_scene(ref.id))
            return movie_upsert_from_tpdb(data=client.get_movie(ref.id))
        except TPDBNotFoundError:
            continue
    return None


def _ref_in(req: MatchRequest) -> TpdbRef | None:
    for text in (req.title, req.filename):
        if ref := find_ref(text[:4096]):
            return ref
    return None


def _pin_kind(rating_key: str) -> str | None:
    key = parse_or_none(rating_key)
    return key.kind if key is not None and key.kind in ("scene", "movie") else None
