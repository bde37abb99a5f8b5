"""Every setting of the product, read once from the environment (see .env.example)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import crontab

from tpdbprovider.env import (
    BASE_DIR,
    database_config,
    env_bool,
    env_choices,
    env_float,
    env_identifier,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_str,
    env_title_format,
    env_url,
    sqlite_options,
)

APP_NAME = env_str("APP_NAME", "ThePornDB")
APP_VERSION = "1.0.0"
DEBUG = env_bool("DEBUG", False)
HOST = env_str("HOST", "0.0.0.0")
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
DATA_DIR = BASE_DIR / "data"

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-dev-key-only-for-debug-and-tests")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "tpdbprovider.core",
    "sites",
    "scenes",
    "movies",
    "plexapi",
]

MIDDLEWARE = [
    "tpdbprovider.core.logging.RequestContextMiddleware",
    "tpdbprovider.core.budget.RequestBudgetMiddleware",  # one TPDB time budget per request, whatever it calls
    "tpdbprovider.core.security.SecurityHeadersMiddleware",
    "plexapi.middleware.ProviderAnswerMiddleware",  # Cache-Control and the request log line of provider answers
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # the admin's CSS/JS under gunicorn, no separate web server
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its 429 page
]

ROOT_URLCONF = "tpdbprovider.urls"
WSGI_APPLICATION = "tpdbprovider.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": database_config("DATABASE_URL", f"sqlite:///{DATA_DIR / 'tpdbprovider.sqlite3'}")}
# Seconds a SQLite writer waits for another's write lock before "database is locked" (request threads, the task
# thread, beat and `manage.py sync_*` processes all write the same file).
DJANGO_SQLITE_BUSY_TIMEOUT_S = env_float("DJANGO_SQLITE_BUSY_TIMEOUT_S", 30.0, minimum=0.0, exclusive=True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATA_DIR.mkdir(exist_ok=True)  # the embedded default keeps its SQLite file here
    DATABASES["default"]["OPTIONS"] = sqlite_options(busy_timeout_s=DJANGO_SQLITE_BUSY_TIMEOUT_S)
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)  # a restarted PostgreSQL costs a reconnect, not a 500
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Empty REDIS_URL: locmem cache, in-process limiter and breaker, Celery tasks run in this process.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    REDIS_URL = env_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"))
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tpdbprovider",
            # A Redis outage degrades (cache misses, skipped guards; /health says "degraded") instead of failing
            # every request. The connections come from the one pool of this process (core/redisconn.py), whose
            # guard logs the outage once and stops waiting on a hung Redis.
            "OPTIONS": {
                "CONNECTION_FACTORY": "tpdbprovider.core.redisconn.SharedPoolConnectionFactory",
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False  # the guard reports the outage, not one traceback per ignored call
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tpdbprovider"}}
REDIS_TIMEOUT_S = env_float("REDIS_TIMEOUT_S", 1.0, minimum=0.0, exclusive=True)  # connect and reply, every client
REDIS_RETRY_INTERVAL_S = env_float("REDIS_RETRY_INTERVAL_S", 15.0, minimum=0.0, exclusive=True)  # after a failure

# --- TPDB ---------------------------------------------------------------------------------------------------------
TPDB_API_KEY = env_str("TPDB_API_KEY", "")
TPDB_BASE_URL = env_url("TPDB_BASE_URL", "https://api.theporndb.net")
TPDB_RATE_LIMIT = env_float("TPDB_RATE_LIMIT", 2.0, minimum=0.0, exclusive=True)  # requests per second
# At most one second of TPDB's reported ceiling (240 a minute, 4 a second): a burst deeper than that can meet a 429
# from a limiter that counts per second, however low the rate.
TPDB_RATE_BURST = env_int("TPDB_RATE_BURST", 4, minimum=1)
TPDB_BACKGROUND_RESERVE = env_int("TPDB_BACKGROUND_RESERVE", 2, minimum=0)  # tokens kept for interactive calls
# Share of TPDB_RATE_LIMIT the background lane (catalog fetches, refreshes) is guaranteed while Plex keeps it busy.
TPDB_BACKGROUND_SHARE = min(env_float("TPDB_BACKGROUND_SHARE", 0.5, minimum=0.0), 1.0)
TPDB_CONNECT_TIMEOUT_S = env_float("TPDB_CONNECT_TIMEOUT_S", 3.05, minimum=0.0, exclusive=True)
TPDB_READ_TIMEOUT_S = env_float("TPDB_READ_TIMEOUT_S", 10.0, minimum=0.0, exclusive=True)
TPDB_MAX_RETRIES = env_int("TPDB_MAX_RETRIES", 3, minimum=0, maximum=10)
TPDB_WEB_BUDGET_S = env_float("TPDB_WEB_BUDGET_S", 10.0, minimum=0.0, exclusive=True)  # TPDB time per web request
TPDB_BREAKER_THRESHOLD = env_int("TPDB_BREAKER_THRESHOLD", 5, minimum=1)
TPDB_BREAKER_COOLDOWN_S = env_float("TPDB_BREAKER_COOLDOWN_S", 30.0, minimum=0.0, exclusive=True)
TPDB_DEFAULT_RETRY_AFTER_S = env_float("TPDB_DEFAULT_RETRY_AFTER_S", 30.0, minimum=0.0, exclusive=True)
# Most of TPDB_RATE_LIMIT one client address may spend fetching items that are not stored (1 = no limit).
TPDB_UNKNOWN_ITEM_SHARE = env_float("TPDB_UNKNOWN_ITEM_SHARE", 0.5, minimum=0.0, exclusive=True)

# --- Cache TTLs (seconds) -----------------------------------------------------------------------------------------
CACHE_TTL_SITE_LIST = env_int("CACHE_TTL_SITE_LIST", 24 * 3600, minimum=1)
CACHE_TTL_SCENE_SEARCH = env_int("CACHE_TTL_SCENE_SEARCH", 5 * 60, minimum=1)
CACHE_TTL_SCENE_DETAIL = env_int("CACHE_TTL_SCENE_DETAIL", 24 * 3600, minimum=1)
CACHE_TTL_MOVIE_DETAIL = env_int("CACHE_TTL_MOVIE_DETAIL", 24 * 3600, minimum=1)
CACHE_MEMORY_MAX_ENTRIES = env_int("CACHE_MEMORY_MAX_ENTRIES", 2048, minimum=1)
CACHE_MEMORY_TTL_S = env_int("CACHE_MEMORY_TTL_S", 60, minimum=1)
CACHE_TTL_NOT_FOUND = env_int("CACHE_TTL_NOT_FOUND", 3600, minimum=1)  # a key TPDB answered 404 for: no new call
CACHE_STALE_GRACE_S = env_int("CACHE_STALE_GRACE_S", 30 * 24 * 3600, minimum=0)  # expired rows kept to serve stale
CACHE_STALE_GRACE_SEARCH_S = env_int("CACHE_STALE_GRACE_SEARCH_S", 3600, minimum=0)  # the same for search answers
CACHE_MAX_MB = env_int("CACHE_MAX_MB", 32, minimum=1)  # the persistent cache's JSON, soonest-expiring evicted first

# --- Plex ---------------------------------------------------------------------------------------------------------
PLEX_TV_IDENTIFIER = env_identifier("PLEX_TV_IDENTIFIER", "tv.plex.agents.custom.tpdb.tv")
PLEX_MOVIE_IDENTIFIER = env_identifier("PLEX_MOVIE_IDENTIFIER", "tv.plex.agents.custom.tpdb.movie")
PLEX_MATCH_ACCEPT_THRESHOLD = env_int("PLEX_MATCH_ACCEPT_THRESHOLD", 70, minimum=0, maximum=100)
PLEX_MATCH_MARGIN = env_int("PLEX_MATCH_MARGIN", 12, minimum=0, maximum=100)
PLEX_CONTENT_RATING = env_str("PLEX_CONTENT_RATING", "X")
# Collections listed on /movie items (spec §3.3): the site's, its parent site's, its network's; "none" turns them off.
PLEX_COLLECTION_LEVELS = env_choices(
    "PLEX_COLLECTION_LEVELS", ["site", "network"], choices=("site", "parent", "network")
)
# Collection titles: a site (or parent site) collection and a network one, so same-named pairs stay apart in Plex.
PLEX_COLLECTION_SITE_TITLE = env_title_format("PLEX_COLLECTION_SITE_TITLE", "{name}")
PLEX_COLLECTION_NETWORK_TITLE = env_title_format("PLEX_COLLECTION_NETWORK_TITLE", "Network: {name}")
# Rendered answers kept in each web process for repeated requests (0 turns it off); see plexapi/responsecache.py.
PLEX_RESPONSE_CACHE_TTL_S = env_int("PLEX_RESPONSE_CACHE_TTL_S", 300, minimum=0)
PLEX_RESPONSE_CACHE_MAX_MB = env_int("PLEX_RESPONSE_CACHE_MAX_MB", 32, minimum=1)
# Cache-Control max-age of a provider answer (how long Plex or a proxy may keep it; 0: no-store); errors: no-store.
PLEX_CACHE_MAX_AGE_S = env_int("PLEX_CACHE_MAX_AGE_S", 300, minimum=0)

# --- Incoming requests --------------------------------------------------------------------------------------------
RATE_LIMIT_DEFAULT = env_rate("RATE_LIMIT_DEFAULT", "100/min")
RATE_LIMIT_SEARCH = env_rate("RATE_LIMIT_SEARCH", "30/min")
# Plex Media Server's own address(es): never throttled, so a library scan is never refused (its TPDB calls are still
# paced by the shared TPDB bucket). The default is every loopback and private (home network, Docker) address; set
# your Plex server's address to limit everyone else, or none to limit every client. Behind a reverse proxy set
# DJANGO_NUM_PROXIES, or the proxy's own (private) address counts for every client.
PLEX_SERVER_ADDRESSES = env_networks(
    "PLEX_SERVER_ADDRESSES",
    ["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"],
)
CORS_ALLOWED_ORIGINS = env_list("DJANGO_CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_METHODS = ("GET", "POST", "OPTIONS")

ADMIN_USERNAME = env_str("ADMIN_USERNAME", "")
ADMIN_PASSWORD = env_str("ADMIN_PASSWORD", "")

# --- Admin login --------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins in the database (shared by every web process, with or without Redis) and locks
# out an address, or a username, that reaches the limit, for the cool-off. Provider endpoints never log in, so
# Plex is never locked out. Unlock: manage.py axes_reset (all), axes_reset_ip ADDR, axes_reset_username NAME.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MIN", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tpdbprovider.core.security.client_address"  # DJANGO_NUM_PROXIES, like the throttles

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "plexapi.exception_handler.plex_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"plex": RATE_LIMIT_DEFAULT, "plex_search": RATE_LIMIT_SEARCH},
    # Throttles key on the client IP. With NUM_PROXIES unset DRF trusts any X-Forwarded-For, so a client could
    # dodge its limit by inventing one per request; 0 = use the socket address, N = N trusted proxies in front.
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0, minimum=0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
API_SCHEMA_ENABLED = env_bool("DJANGO_API_SCHEMA", True)  # /api/schema/ and /api/docs/
SPECTACULAR_SETTINGS = {
    "TITLE": "tpdbprovider",
    "DESCRIPTION": "Plex custom metadata providers (/tv and /movie) backed by ThePornDB.",
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Celery -------------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
TASKS_IN_BACKGROUND_THREAD = True  # eager mode: run queued tasks on a background thread, not in the request
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a pool process killed mid-task requeues its task instead of acking it
# A message a dead worker took comes back after this long (Redis default: 1 h): the longest task plus a margin.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
LOCK_LEASE_S = env_int("LOCK_LEASE_S", 60, minimum=1)  # a job lock outlives a killed holder by at most this
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # https://crontab.guru/#15_4_*_*_*
    "sync-site-list-daily": {
        "task": "sites.tasks.sites_sync",
        "schedule": crontab(minute="15", hour="4"),
        "options": {"expires": 23 * 3600},
    },
    # https://crontab.guru/#5_*_*_*_*
    "refresh-stale-hourly": {
        "task": "scenes.tasks.stale_refresh",
        "schedule": crontab(minute="5"),
        "options": {"expires": 55 * 60},
    },
    # https://crontab.guru/#35_*_*_*_*
    "clear-expired-cache-hourly": {
        "task": "tpdbprovider.core.tasks.cache_clear_expired",
        "schedule": crontab(minute="35"),
        "options": {"expires": 55 * 60},
    },
}

# --- Static, i18n -------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
FORMS_URLFIELD_ASSUME_HTTPS = True  # admin URL fields: TPDB URLs are https
STATIC_ROOT = DATA_DIR / "static"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_JSON = env_bool("DJANGO_LOG_JSON", False)
LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "tpdbprovider.core.logging.ContextFilter"},
        "no_503": {"()": "tpdbprovider.core.logging.DropServiceUnavailable"},
    },
    "formatters": {
        "json": {"()": "tpdbprovider.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"filters": ["no_503"]},  # outages are logged once by their own reporter
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts; not its start-up banner
    },
}
