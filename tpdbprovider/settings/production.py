"""Production hardening only: a real secret key, real admin credentials (unless DEBUG), JSON logs."""

from django.core.exceptions import ImproperlyConfigured

from tpdbprovider.env import check_admin_credentials, env_bool, env_str

from .base import *  # noqa: F403
from .base import ADMIN_PASSWORD, ADMIN_USERNAME, DEBUG, LOGGING

# With DEBUG an unset key keeps base.py's dev key (an empty SECRET_KEY would answer 500 on every request).
if not env_str("DJANGO_SECRET_KEY", "") and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set (python -m tpdbprovider.env --init .env writes one).")
if not DEBUG:
    check_admin_credentials(username=ADMIN_USERNAME, password=ADMIN_PASSWORD)

LOG_JSON = env_bool("DJANGO_LOG_JSON", not DEBUG)
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_JSON else "plain"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
