"""Development: DEBUG on, readable logs."""

from .base import *  # noqa: F403

DEBUG = True
LOG_JSON = False
