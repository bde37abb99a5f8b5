"""Decision records: what Plex asked, the scored candidates and the outcome, one row per Plex item."""

from __future__ import annotations

import datetime as dt

import pytest

from scenes.matching import request_key_for
from scenes.matching.decisions import record_decision
from scenes.models import MatchDecision
from tests.scenes.matching.conftest import PICNIC_FILE, picnic_request
from tpdbprovider.matching.matcher import Candidate, CandidatePerformer, Decision, ScoredCandidate
from tpdbprovider.matching.parser import MatchInput, parse_request

pytestmark = pytest.mark.django_db

CANDIDATE = Candidate(
    key="scene:abc",
    kind="scene",
    title="Sunny Afternoon Picnic",
    released_on=dt.date(2022, 1, 3),
    site_id=4101,
    site_name="Example Studio",
    performers=(CandidatePerformer(credited="A. S.", canonical="Alex Sample"),),
)
SCORED = ScoredCandidate(CANDIDATE, 91, {"site": "exact"}, duplicate_keys=("scene:dup",), total=91.0)
PARSED = parse_request(MatchInput(title="", year=None, filename=PICNIC_FILE, kind="episode"))


def test_an_accepted_decision_stores_the_chosen_rating_key_the_candidates_and_the_parse():
    req = picnic_request()
    record_decision(req, PARSED, Decision(SCORED, [SCORED], "accepted"))

    row = MatchDecision.objects.get(provider="tv", request_key=request_key_for(req))
    assert (row.state, row.reason, row.chosen_rating_key, row.confidence) == ("auto", "accepted", "tpdb-scene-abc", 91)
    assert row.request == {"type": 4, "grandparent_title": "Example Studio", "filename": PICNIC_FILE}
    assert row.parsed["dates"][0] == "2022-01-03"
    (stored,) = row.candidates
    assert (stored["rating_key"], stored["performers"], stored["duplicates"]) == (
        "tpdb-scene-abc",
        ["Alex Sample"],
        ["tpdb-scene-dup"],
    )


def test_an_abstention_keeps_the_best_confidence_and_a_later_decision_replaces_it():
    req = picnic_request()
    record_decision(req, PARSED, Decision(None, [SCORED], "ambiguous"))
    row = MatchDecision.objects.get()
    assert (row.state, row.reason, row.chosen_rating_key, row.confidence) == ("abstained", "ambiguous", "", 91)

    record_decision(req, PARSED, Decision(None, [], "no_candidates"))
    row = MatchDecision.objects.get()
    assert (row.reason, row.confidence, row.candidates) == ("no_candidates", None, [])
