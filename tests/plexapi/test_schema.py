"""OpenAPI: the schema generates and documents both providers."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


def test_the_schema_covers_both_providers():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = set(schema["paths"])
    for provider in ("tv", "movie"):
        assert f"/{provider}" in paths
        assert f"/{provider}/library/metadata/matches" in paths
        assert f"/{provider}/library/metadata/{{rating_key}}" in paths
        assert f"/{provider}/library/metadata/{{rating_key}}/children" in paths
    match = schema["paths"]["/tv/library/metadata/matches"]["post"]
    assert "requestBody" in match
    assert "200" in match["responses"]


@pytest.mark.django_db
def test_the_schema_endpoint_serves(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/tv/library/metadata/matches" in response.content
