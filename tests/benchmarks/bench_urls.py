"""Benchmark URLconf: the product's routes plus ``/bench/bare``, a DRF endpoint returning constant JSON."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tpdbprovider.urls import urlpatterns as product_urlpatterns

BARE_BODY = {"MediaContainer": {"offset": 0, "totalSize": 0, "identifier": "bench", "size": 0, "Metadata": []}}


class BareApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        return Response(BARE_BODY)

    post = get


urlpatterns = [path("bench/bare", BareApi.as_view()), *product_urlpatterns]
