"""Decision reuse: a fresh automatic decision answers Plex's repeated request without the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.matching import SITE_LIST_PENDING, TPDB_UNAVAILABLE, MatchRequest, request_json, request_key_for
from scenes.matching.reuse import DECISION_REUSE, reused_decision
from scenes.models import MatchDecision
from tests.scenes.matching.conftest import make_scene

pytestmark = pytest.mark.django_db

REQ = MatchRequest(provider="tv", type=4, filename="x/Some Site - 2024-01-01 - A Title.mp4")


def decision(state: str, *, reason: str = "accepted", chosen: str = "", confidence: int | None = 88) -> MatchDecision:
    return MatchDecision.objects.create(
        provider=REQ.provider,
        request_type=REQ.type,
        request_key=request_key_for(REQ),
        request=request_json(REQ),
        candidates=[],
        state=state,
        reason=reason,
        chosen_rating_key=chosen,
        confidence=confidence,
    )


def test_a_fresh_automatic_answer_is_given_again_with_its_confidence():
    scene = make_scene(None, "Stored", dt.date(2024, 1, 1))
    decision(MatchDecision.State.AUTO, chosen=f"tpdb-scene-{scene.tpdb_id}")
    (result,) = reused_decision(REQ) or []
    assert (result.item, result.kind, result.score) == (scene, "episode", 88)


def test_a_fresh_abstention_is_given_again_as_no_answer():
    decision(MatchDecision.State.ABSTAINED, reason="ambiguous")
    assert reused_decision(REQ) == []


@pytest.mark.parametrize("reason", [TPDB_UNAVAILABLE, SITE_LIST_PENDING])
def test_an_abstention_that_judged_nothing_is_never_reused(reason):
    decision(MatchDecision.State.ABSTAINED, reason=reason)
    assert reused_decision(REQ) is None


def test_an_old_decision_is_not_reused():
    scene = make_scene(None, "Stored", dt.date(2024, 1, 1))
    old = decision(MatchDecision.State.AUTO, chosen=f"tpdb-scene-{scene.tpdb_id}")
    long_ago = dt.datetime.now(tz=dt.UTC) - DECISION_REUSE - dt.timedelta(seconds=5)
    MatchDecision.objects.filter(pk=old.pk).update(updated_at=long_ago)
    assert reused_decision(REQ) is None


def test_a_decision_whose_item_is_gone_is_not_reused():
    decision(MatchDecision.State.AUTO, chosen="tpdb-scene-00000000-0000-4000-8000-000000000000")
    assert reused_decision(REQ) is None


def test_a_pinned_decision_is_left_to_the_pin():
    decision(MatchDecision.State.PINNED, chosen="")
    assert reused_decision(REQ) is None


def test_a_decision_whose_rating_key_is_not_ours_is_not_reused():
    decision(MatchDecision.State.AUTO, chosen="tpdb-scene-not-a-uuid")
    assert reused_decision(REQ) is None
