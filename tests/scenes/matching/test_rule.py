"""The one clear-winner rule and its two settings, for every match kind."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.matching.rule import automatic_score, decide_scored, is_clear_winner
from tpdbprovider.matching.matcher import Candidate, ScoredCandidate, clear_winner


def scored(key: str, total: float) -> ScoredCandidate:
    cand = Candidate(key=f"scene:{key}", kind="scene", title=key, released_on=dt.date(2024, 1, 1), site_id=1)
    return ScoredCandidate(cand, max(0, min(100, round(total))), {}, total=total)


def test_the_best_must_reach_the_threshold_and_lead_by_the_margin():
    assert clear_winner(70, 70.0, 58.0, accept_threshold=70, margin=12) == "accepted"
    assert clear_winner(69, 69.0, None, accept_threshold=70, margin=12) == "low_confidence"
    assert clear_winner(90, 90.0, 78.5, accept_threshold=70, margin=12) == "ambiguous"


def test_a_lone_answer_has_no_rival_to_lead():
    assert clear_winner(75, 75.0, None, accept_threshold=70, margin=80) == "accepted"


def test_shows_and_scenes_read_the_same_two_settings(settings):
    settings.PLEX_MATCH_ACCEPT_THRESHOLD = 80
    settings.PLEX_MATCH_MARGIN = 5
    assert not is_clear_winner(79, None)
    assert is_clear_winner(80, 75)
    assert not is_clear_winner(80, 76)
    assert decide_scored([scored("a", 79.0)], manual=False, has_site=True).reason == "low_confidence"
    assert decide_scored([scored("a", 85.0), scored("b", 79.0)], manual=False, has_site=True).reason == "accepted"
    assert decide_scored([scored("a", 85.0), scored("b", 81.0)], manual=False, has_site=True).reason == "ambiguous"


def test_a_low_answer_without_a_resolved_site_is_reported_as_no_site(settings):
    settings.PLEX_MATCH_ACCEPT_THRESHOLD = 70
    assert decide_scored([scored("a", 40.0)], manual=False, has_site=False).reason == "no_site"


def test_manual_requests_get_the_ranked_list_whatever_the_scores():
    decision = decide_scored([scored("a", 10.0), scored("b", 9.0)], manual=True, has_site=True)
    assert (decision.reason, [s.candidate.key for s in decision.ranked]) == ("manual", ["scene:a", "scene:b"])


@pytest.mark.parametrize(
    ("threshold", "confidence", "score"),
    [(70, 70, 85), (70, 85, 93), (70, 99, 99), (70, 100, 100), (90, 90, 85), (90, 96, 94), (100, 100, 100), (0, 0, 85)],
)
def test_an_accepted_confidence_is_sent_to_plex_on_85_to_100(settings, threshold, confidence, score):
    settings.PLEX_MATCH_ACCEPT_THRESHOLD = threshold
    assert automatic_score(confidence) == score


def test_the_automatic_score_keeps_the_order_of_confidences(settings):
    scores = [automatic_score(confidence) for confidence in range(settings.PLEX_MATCH_ACCEPT_THRESHOLD, 101)]
    assert scores == sorted(scores) and scores[0] == 85 and scores[-1] == 100
