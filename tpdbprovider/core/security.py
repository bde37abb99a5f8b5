"""Who the client is (one proxy rule for every limit), and the caching and CSP headers of /health and the admin."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from rest_framework.throttling import BaseThrottle

client_address_var: ContextVar[str] = ContextVar("client_address", default="")

#: The admin's pages need nothing from elsewhere but TPDB's images (https); its scripts and styles are files
#: (Django 5.2's admin has no inline script), and a few templates carry an inline ``style=`` attribute.
ADMIN_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def client_address(request: HttpRequest) -> str | None:
    """The client's address by DRF's DJANGO_NUM_PROXIES rule, the one the Plex throttles use (also django-axes'
    AXES_CLIENT_IP_CALLABLE): 0 = the socket address, N = the Nth address from the right of X-Forwarded-For.
    Something that is no address there (a misconfigured proxy count) falls back to the socket address."""
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # get_ident reads request.META only
    for candidate in (ident, request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address(str(candidate).strip()))
        except ValueError:
            continue
    return None


def current_client_address() -> str:
    """The address of the web request being served; "" outside one (tasks, commands)."""
    return client_address_var.get()


@functools.lru_cache(maxsize=1)
def _plex_networks(addresses: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(a, strict=False) for a in addresses)


def is_plex_server(ident: str) -> bool:
    """True when the client address is one of PLEX_SERVER_ADDRESSES (read live, so overrides apply)."""
    networks = _plex_networks(tuple(settings.PLEX_SERVER_ADDRESSES))
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(ident.strip().split("%", 1)[0])
    except ValueError:  # not an address (a proxy sent junk): an ordinary client
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:192.168.1.5 on a dual-stack socket
    return any(address in network for network in networks)


class SecurityHeadersMiddleware:
    """Remembers the client address for the request, and sets ``Cache-Control: no-store`` on /health and the CSP on
    the admin (the provider answers' Cache-Control is ``plexapi.middleware``'s)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_address_var.set(client_address(request) or "")
        try:
            response = self.get_response(request)
        finally:
            client_address_var.reset(token)
        path = request.path
        if path.rstrip("/") == "/health":
            patch_cache_control(response, no_store=True)
        elif path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", ADMIN_CSP)
        return response
