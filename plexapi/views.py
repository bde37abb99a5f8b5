"""Plex provider endpoints and /health. Views validate, call one service or selector, and serialize."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tpdbprovider.core.health import health_report


class HealthApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        report = health_report()
        return Response(report, status=200 if report["status"] != "down" else 503)
