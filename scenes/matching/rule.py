"""The clear-winner rule with its two settings, for every match kind: one place reads them.

``PLEX_MATCH_ACCEPT_THRESHOLD`` (the best answer's least confidence) and ``PLEX_MATCH_MARGIN`` (its least lead over
the runner-up) feed ``tpdbprovider.matching.matcher.clear_winner``, whether the answers are scored scenes and movies
or named shows and seasons. ``automatic_score`` turns an accepted answer's confidence into the score Plex is sent.
"""

from __future__ import annotations

from django.conf import settings

from tpdbprovider.matching.matcher import Decision, ScoredCandidate, clear_winner, decide


def decide_scored(ranked: list[ScoredCandidate], *, manual: bool, has_site: bool) -> Decision:
    """The engine's decision on ranked scene and movie candidates."""
    return decide(
        ranked,
        manual=manual,
        accept_threshold=settings.PLEX_MATCH_ACCEPT_THRESHOLD,
        margin=settings.PLEX_MATCH_MARGIN,
        has_site=has_site,
    )


def is_clear_winner(best_score: int, runner_up_score: int | None) -> bool:
    """True when a best answer scored ``best_score`` (0..100) may be given automatically against its runner-up."""
    verdict = clear_winner(
        best_score,
        float(best_score),
        None if runner_up_score is None else float(runner_up_score),
        accept_threshold=settings.PLEX_MATCH_ACCEPT_THRESHOLD,
        margin=settings.PLEX_MATCH_MARGIN,
    )
    return verdict == "accepted"


# Plex's legacy agents dropped automatic answers scored under 85; every answer the rule accepts is sent at least that.
AUTOMATIC_SCORE_FLOOR = 85


def automatic_score(confidence: int) -> int:
    """Plex's ``score`` for an automatic answer (one the rule accepted, a pin, a numbered episode): the accepted range
    ``PLEX_MATCH_ACCEPT_THRESHOLD``..100 mapped linearly onto 85..100. Fix Match lists send the confidence itself."""
    threshold = settings.PLEX_MATCH_ACCEPT_THRESHOLD
    if confidence >= 100 or threshold >= 100:
        return 100
    share = max(0, confidence - threshold) / (100 - threshold)
    return AUTOMATIC_SCORE_FLOOR + round(share * (100 - AUTOMATIC_SCORE_FLOOR))
