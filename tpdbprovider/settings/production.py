"""Production hardening only: a real secret key, real admin credentials (unless DEBUG), JSON logs, and behind HTTPS
(DJANGO_HTTPS) secure cookies, HSTS and a redirect to https for everything but the Plex endpoints."""

from django.core.exceptions import ImproperlyConfigured

from tpdbprovider.env import check_admin_credentials, env_bool, env_int, env_str

from .base import *  # noqa: F403
from .base import ADMIN_PASSWORD, ADMIN_USERNAME, DEBUG, LOGGING, REST_FRAMEWORK

# With DEBUG an unset key keeps base.py's dev key (an empty SECRET_KEY would answer 500 on every request).
if not env_str("DJANGO_SECRET_KEY", "") and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set (python -m tpdbprovider.env --init .env writes one).")
if not DEBUG:
    check_admin_credentials(username=ADMIN_USERNAME, password=ADMIN_PASSWORD)

LOG_JSON = env_bool("DJANGO_LOG_JSON", not DEBUG)
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_JSON else "plain"
IS_HTTPS = env_bool("DJANGO_HTTPS", False)  # browsers reach this service over https (directly or via a proxy)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", IS_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if IS_HTTPS:
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True  # only a hint: nothing is preloaded unless the domain is submitted to the list
    SECURE_SSL_REDIRECT = True
    # Plex and health checks keep plain http on the LAN: a provider added to Plex by an http URL must not move.
    SECURE_REDIRECT_EXEMPT = [r"^tv(/|$)", r"^movie(/|$)", r"^health/?$"]
    if REST_FRAMEWORK["NUM_PROXIES"]:
        # Behind the proxy that DJANGO_NUM_PROXIES trusts, its X-Forwarded-Proto says whether the client used https.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
