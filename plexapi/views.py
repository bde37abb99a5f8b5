"""Plex provider endpoints and /health. Views validate, call one service or selector, and serialize.

Each endpoint exists twice, once per provider (``/tv`` and ``/movie``); the subclasses only set ``provider``.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plexapi import services
from plexapi.responsecache import request_key, serve
from plexapi.serializers import (
    ErrorResponseDoc,
    ImageContainerResponseDoc,
    MediaContainerResponseDoc,
    MediaProviderResponseDoc,
    MediaProviderSerializer,
    image_container,
    media_container,
)
from plexapi.services import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_START, Provider
from plexapi.throttles import PlexRateThrottle, PlexSearchRateThrottle
from scenes.matching import MatchRequest
from tpdbprovider.core.health import health_report

MAX_TEXT_CHARS = 4096
START_HEADER = "X-Plex-Container-Start"
SIZE_HEADER = "X-Plex-Container-Size"


class HealthApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        report = health_report()
        return Response(report, status=200 if report["status"] != "down" else 503)


class SafeJSONParser(JSONParser):
    """JSONParser that turns pathologically deep JSON (RecursionError) into a 400 instead of a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON nested too deeply.") from exc


class JSONWhateverIsAccepted(BaseContentNegotiation):
    """Plex's agents send ``Accept: application/xml`` or ``*/*`` as well as JSON: every provider answer is JSON (the
    only renderer), never a 406."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ProviderApi(APIView):
    """Base of every provider view: no auth (Plex sends none), per-IP throttle, JSON only (whatever Accept says)."""

    content_negotiation_class = JSONWhateverIsAccepted

    provider: ClassVar[Provider]
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes: tuple[type[PlexRateThrottle], ...] = (PlexRateThrottle,)
    parser_classes = (SafeJSONParser,)

    @property
    def identifier(self) -> str:
        return services.provider_identifier(provider=self.provider)


Handler = TypeVar("Handler", bound=Callable[..., Any])


def response_cached(handler: Handler) -> Handler:
    """Answer a repeated request from the response cache (``plexapi.responsecache``). Throttles and content
    negotiation still run first; the key is everything the answer can depend on: the view, the path, the query
    string, the paging headers and the body."""

    @functools.wraps(handler)
    def wrapper(view: ProviderApi, request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            body = request.body if request.method == "POST" else b""
        except Exception:  # unreadable or too big: no caching; the handler reports the error as usual
            key = None
        else:
            headers = request.headers
            key = request_key(
                type(view).__name__,
                request.method,
                sorted(kwargs.items()),
                request.META.get("QUERY_STRING", ""),
                headers.get(START_HEADER),
                headers.get(SIZE_HEADER),
                body,
            )
        return serve(key, lambda: handler(view, request, *args, **kwargs))

    return wrapper  # type: ignore[return-value]


# --- provider root ------------------------------------------------------------------------------------------------


class ProviderRootApi(ProviderApi):
    """``GET /tv`` or ``GET /movie``: the MediaProvider definition; ``includePreferences`` and others are ignored."""

    @extend_schema(responses={200: MediaProviderResponseDoc}, parameters=[])
    def get(self, request: Request) -> Response:
        definition = services.provider_definition(provider=self.provider)
        return Response(MediaProviderSerializer(definition).data)


class TvProviderApi(ProviderRootApi):
    provider = "tv"


class MovieProviderApi(ProviderRootApi):
    provider = "movie"


# --- match --------------------------------------------------------------------------------------------------------


class PlexNumberField(serializers.IntegerField):
    """A whole number Plex may send as a placeholder: outside ``lowest..highest`` (Plex sends -1 for "no year" and
    negative indexes for "unknown") it reads as absent. A value that is not a number at all is still a 400."""

    def __init__(self, *, lowest: int, highest: int, **kwargs: Any) -> None:
        self.lowest, self.highest = lowest, highest
        super().__init__(required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data: Any) -> int | None:  # type: ignore[override]
        value = super().to_internal_value(data)
        return value if self.lowest <= value <= self.highest else None


class PlexDateField(serializers.DateField):
    """An ISO date (``2024-03-05``); any other text (``05/03/2024``, ``2024-02-30``) reads as absent. A value that is
    not text (a list, an object) is still a 400."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_null=True, input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        if not isinstance(value, str):
            return super().to_internal_value(value)
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            return None


def _text() -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default="", max_length=MAX_TEXT_CHARS
    )


class MatchApi(ProviderApi):
    """``POST …/library/metadata/matches`` (JSON body) or ``GET`` with query parameters (spec §2)."""

    throttle_classes = (PlexSearchRateThrottle,)

    class InputSerializer(serializers.Serializer[Any]):
        type = serializers.IntegerField(min_value=-(2**31), max_value=2**31)
        title = _text()
        parentTitle = _text()
        grandparentTitle = _text()
        guid = _text()
        filename = _text()
        episodeOrder = _text()
        year = PlexNumberField(lowest=1900, highest=2100)
        index = PlexNumberField(lowest=0, highest=1_000_000)
        parentIndex = PlexNumberField(lowest=0, highest=1_000_000)
        date = PlexDateField()
        manual = serializers.BooleanField(required=False, default=False)
        includeChildren = serializers.BooleanField(required=False, default=False)
        includeAdult = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={200: MediaContainerResponseDoc, 400: ErrorResponseDoc})
    @response_cached
    def post(self, request: Request) -> Response:
        return self._match(request.data or request.query_params)  # a body over the limit: 413 by the handler

    @extend_schema(parameters=[InputSerializer], responses={200: MediaContainerResponseDoc, 400: ErrorResponseDoc})
    @response_cached
    def get(self, request: Request) -> Response:
        return self._match(request.query_params)

    def _match(self, data: Any) -> Response:
        params = self.InputSerializer(data=data)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        match_request = MatchRequest(
            provider=self.provider,
            type=v["type"],
            title=v["title"] or "",
            parent_title=v["parentTitle"] or "",
            grandparent_title=v["grandparentTitle"] or "",
            year=v.get("year"),
            guid=v["guid"] or "",
            index=v.get("index"),
            parent_index=v.get("parentIndex"),
            date=v.get("date"),
            filename=v["filename"] or "",
            manual=v["manual"],
            include_children=v["includeChildren"],
        )
        nodes = services.match_get(request=match_request)
        return Response(media_container(nodes, identifier=self.identifier))


class TvMatchApi(MatchApi):
    provider = "tv"


class MovieMatchApi(MatchApi):
    provider = "movie"


# --- metadata -----------------------------------------------------------------------------------------------------

_RATING_KEY = OpenApiParameter("rating_key", OpenApiTypes.STR, OpenApiParameter.PATH, pattern="^[A-Za-z0-9_-]+$")


class MetadataApi(ProviderApi):
    """``GET …/library/metadata/<ratingKey>`` (spec §3); ``?includeChildren=1`` embeds all children of a show/season."""

    class InputSerializer(serializers.Serializer[Any]):
        includeChildren = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[_RATING_KEY, InputSerializer], responses={200: MediaContainerResponseDoc, 404: ErrorResponseDoc}
    )
    @response_cached
    def get(self, request: Request, rating_key: str) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        node = services.metadata_get(
            rating_key=rating_key, provider=self.provider, include_children=params.validated_data["includeChildren"]
        )
        return Response(media_container([node], identifier=self.identifier))


class TvMetadataApi(MetadataApi):
    provider = "tv"


class MovieMetadataApi(MetadataApi):
    provider = "movie"


class PagingInputSerializer(serializers.Serializer[Any]):
    """Plex paging (spec §3.5): 0-based start (negatives → 0), size default 20, capped at MAX_PAGE_SIZE.

    Non-integers are a 400 naming the header. Values come from the query string or, failing that, the headers.
    """

    def get_fields(self) -> dict[str, Any]:
        return {
            START_HEADER: serializers.IntegerField(required=False, default=0),
            SIZE_HEADER: serializers.IntegerField(required=False, default=DEFAULT_PAGE_SIZE),
        }

    def validate(self, attrs: dict[str, int]) -> dict[str, int]:
        return {
            "offset": min(max(attrs[START_HEADER], 0), MAX_PAGE_START),
            "limit": min(max(attrs[SIZE_HEADER], 0), MAX_PAGE_SIZE),
        }

    @classmethod
    def from_request(cls, request: Request) -> PagingInputSerializer:
        data = {}
        for name in (START_HEADER, SIZE_HEADER):
            value = request.query_params.get(name) or request.headers.get(name) or ""
            if value.strip():
                data[name] = value.strip()
        return cls(data=data)


_PAGING = [
    OpenApiParameter(START_HEADER, OpenApiTypes.INT, OpenApiParameter.HEADER, description="0-based; or a query param"),
    OpenApiParameter(SIZE_HEADER, OpenApiTypes.INT, OpenApiParameter.HEADER, description="default 20, max 500"),
]


class PagedApi(ProviderApi):
    """A paged list of items under a ratingKey; subclasses name the service that builds the page."""

    page_of: Callable[..., services.Page]

    @extend_schema(
        parameters=[_RATING_KEY, *_PAGING], responses={200: MediaContainerResponseDoc, 404: ErrorResponseDoc}
    )
    @response_cached
    def get(self, request: Request, rating_key: str) -> Response:
        paging = PagingInputSerializer.from_request(request)
        paging.is_valid(raise_exception=True)
        page = type(self).page_of(rating_key=rating_key, provider=self.provider, **paging.validated_data)
        return Response(
            media_container(page.items, identifier=self.identifier, offset=page.offset, total_size=page.total_size)
        )


class ChildrenApi(PagedApi):
    """``GET …/<ratingKey>/children``: a show's seasons or a season's episodes, paged."""

    page_of = staticmethod(services.children_get)


class TvChildrenApi(ChildrenApi):
    provider = "tv"


class MovieChildrenApi(ChildrenApi):
    provider = "movie"


class GrandchildrenApi(PagedApi):
    """``GET …/<ratingKey>/grandchildren``: every episode of a show, by season then episode, paged."""

    page_of = staticmethod(services.grandchildren_get)


class TvGrandchildrenApi(GrandchildrenApi):
    provider = "tv"


class MovieGrandchildrenApi(GrandchildrenApi):
    provider = "movie"


class ImagesApi(ProviderApi):
    """``GET …/<ratingKey>/images``: every candidate image (spec §3.6)."""

    @extend_schema(parameters=[_RATING_KEY], responses={200: ImageContainerResponseDoc, 404: ErrorResponseDoc})
    @response_cached
    def get(self, request: Request, rating_key: str) -> Response:
        images = services.images_get(rating_key=rating_key, provider=self.provider)
        return Response(image_container(images, identifier=self.identifier))


class TvImagesApi(ImagesApi):
    provider = "tv"


class MovieImagesApi(ImagesApi):
    provider = "movie"


class ExtrasApi(ProviderApi):
    """``GET …/<ratingKey>/extras``: always an empty container (spec §3.7)."""

    @extend_schema(parameters=[_RATING_KEY], responses={200: MediaContainerResponseDoc, 404: ErrorResponseDoc})
    def get(self, request: Request, rating_key: str) -> Response:
        services.extras_get(rating_key=rating_key, provider=self.provider)
        return Response(media_container([], identifier=self.identifier))


class TvExtrasApi(ExtrasApi):
    provider = "tv"


class MovieExtrasApi(ExtrasApi):
    provider = "movie"


class MovieCollectionApi(ProviderApi):
    """``GET /movie/library/collections/<ratingKey>``: one site or network collection (spec §1.2, §3.8)."""

    provider = "movie"

    @extend_schema(parameters=[_RATING_KEY], responses={200: MediaContainerResponseDoc, 404: ErrorResponseDoc})
    @response_cached
    def get(self, request: Request, rating_key: str) -> Response:
        node = services.collection_get(rating_key=rating_key)
        return Response(media_container([node], identifier=self.identifier))


class ProviderNotFoundApi(ProviderApi):
    """Any other path under a provider: our JSON 404 instead of Django's HTML page."""

    provider = "tv"

    @extend_schema(exclude=True)
    def get(self, request: Request, **kwargs: Any) -> Response:
        raise Http404("Unknown path.")

    post = get
