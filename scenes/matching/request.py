"""The match request and its answer: a validated Plex match request, one scored result, and the request's identity."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Literal

from movies.models import Movie
from scenes.models import Scene
from sites.models import Site

MAX_MANUAL_RESULTS = 10
MatchKind = Literal["show", "season", "episode", "movie", "scene_as_movie"]


@dataclass(frozen=True)
class MatchRequest:
    """A validated Plex match request (plex-provider-spec §2.2); strings are "" when absent."""

    provider: Literal["tv", "movie"]
    type: int
    title: str = ""
    parent_title: str = ""
    grandparent_title: str = ""
    year: int | None = None
    guid: str = ""
    index: int | None = None
    parent_index: int | None = None
    date: datetime.date | None = None
    filename: str = ""
    manual: bool = False
    include_children: bool = False


@dataclass(frozen=True)
class MatchResult:
    """One candidate: a Site (show), (Site, year) (season), a Scene (episode or scene_as_movie) or a Movie; score 0-100."""

    item: Site | tuple[Site, int] | Scene | Movie
    kind: MatchKind
    score: int

    @property
    def identity(self) -> tuple[str, int, int | None]:
        """The item answered (kind, row, season year): one per list, however many ways it was found."""
        item = self.item
        return (self.kind, item[0].pk, item[1]) if isinstance(item, tuple) else (self.kind, item.pk, None)


def kind_for(item: Scene | Movie, req: MatchRequest) -> MatchKind:
    """How a scene or movie answers this request: Plex type 4 (episode) gets an episode, a movie request a movie."""
    if isinstance(item, Movie):
        return "movie"
    return "episode" if req.type == 4 else "scene_as_movie"


def request_key_for(req: MatchRequest) -> str:
    """Identity of the Plex item asked about: its file's folder and name when Plex sent one, else the titles it sent.

    Not the full path, so a pin stays valid when the library is moved or mounted elsewhere; not the name alone, so two
    release folders holding an obfuscated ``video.mp4`` each stay two items.
    """
    tail = "/".join(part.strip() for part in req.filename.replace("\\", "/").split("/")[-2:]).strip("/").lower()
    if tail:
        identity = f"file|{tail}"
    else:
        parts = (req.title, req.grandparent_title, req.parent_title, req.year, req.date, req.index, req.parent_index)
        identity = "meta|" + "|".join("" if p is None else str(p).strip().lower() for p in parts)
    return hashlib.sha256(f"{req.provider}|{req.type}|{identity}".encode()).hexdigest()
