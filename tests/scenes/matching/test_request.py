"""The request's identity and its stored form."""

from __future__ import annotations

import datetime as dt

from movies.models import Movie
from scenes.matching import MatchRequest, request_json, request_key_for
from scenes.matching.request import kind_for
from scenes.models import Scene


def test_the_key_follows_the_folder_and_name_not_where_the_library_is_mounted():
    here = MatchRequest(provider="tv", type=4, filename="/mnt/a/Release.One/video.mp4")
    moved = MatchRequest(provider="tv", type=4, filename="D:\\Library\\Release.One\\video.mp4")
    other_folder = MatchRequest(provider="tv", type=4, filename="/mnt/a/Release.Two/video.mp4")
    assert request_key_for(here) == request_key_for(moved)
    assert request_key_for(here) != request_key_for(other_folder)


def test_the_key_tells_providers_and_types_apart():
    base = MatchRequest(provider="tv", type=4, filename="x/a.mp4")
    assert (
        len({request_key_for(base), request_key_for(MatchRequest(provider="movie", type=1, filename="x/a.mp4"))}) == 2
    )


def test_without_a_file_the_key_is_made_of_the_titles_case_and_spaces_ignored():
    a = MatchRequest(provider="tv", type=4, title="Some Title ", grandparent_title="Site", date=dt.date(2024, 1, 2))
    b = MatchRequest(provider="tv", type=4, title="some title", grandparent_title="SITE", date=dt.date(2024, 1, 2))
    c = MatchRequest(provider="tv", type=4, title="some title", grandparent_title="SITE", date=dt.date(2024, 1, 3))
    assert request_key_for(a) == request_key_for(b) != request_key_for(c)


def test_the_stored_request_keeps_only_what_plex_sent_with_the_date_as_iso_text():
    req = MatchRequest(provider="tv", type=4, title="T", index=3, date=dt.date(2024, 1, 2), filename="")
    assert request_json(req) == {"type": 4, "title": "T", "index": 3, "date": "2024-01-02"}


def test_a_scene_answers_an_episode_request_as_an_episode_and_a_movie_request_as_a_scene_movie():
    scene, movie = Scene(title="s"), Movie(title="m")
    assert kind_for(scene, MatchRequest(provider="tv", type=4)) == "episode"
    assert kind_for(scene, MatchRequest(provider="movie", type=1)) == "scene_as_movie"
    assert kind_for(movie, MatchRequest(provider="movie", type=1)) == "movie"
