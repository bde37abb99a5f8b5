"""MatchService: a Plex match request in, scored candidates out (best first).

The interface is ``MatchRequest`` → ``match_show`` / ``match_season`` / ``match_episode`` / ``match_movie`` →
``list[MatchResult]``. Automatic requests get at most one result, and only a clearly good one; manual (Fix Match)
requests get up to ``MAX_MANUAL_RESULTS``. TPDB failures are logged and answered from what is stored, never raised.

One module per job:

- ``request``: the request and result types, and the request's identity (``request_key_for``);
- ``pins``: a person's pin, or a TPDB id in the name, wins over everything;
- ``reuse``: a fresh stored decision answers the same Plex item again without the engine;
- ``candidates``: the candidate pool (stored scenes around the parsed dates, TPDB data not yet stored);
- ``search``: the TPDB calls (parse search, movie search, both cached) and learning unknown sites;
- ``decisions``: each automatic decision stored as a ``MatchDecision`` (the review queue);
- ``prefetch``: storing a whole site-year once several files of it matched;
- ``rule``: the one clear-winner rule (threshold and margin settings) every match kind goes through, and the score
  an automatic answer is sent with;
- ``shows``: show (site) and season (site, year) matching, and episodes named by their served number;
- ``engine``: the episode and movie use case that orchestrates the pieces above.
"""

from scenes.matching.decisions import SITE_LIST_PENDING, TPDB_UNAVAILABLE, request_json
from scenes.matching.engine import match_episode, match_movie
from scenes.matching.request import MAX_MANUAL_RESULTS, MatchKind, MatchRequest, MatchResult, request_key_for
from scenes.matching.rule import automatic_score
from scenes.matching.shows import match_season, match_show

__all__ = [
    "MAX_MANUAL_RESULTS",
    "SITE_LIST_PENDING",
    "TPDB_UNAVAILABLE",
    "MatchKind",
    "MatchRequest",
    "MatchResult",
    "automatic_score",
    "match_episode",
    "match_movie",
    "match_season",
    "match_show",
    "request_json",
    "request_key_for",
]
