from django.apps import AppConfig


class PlexapiConfig(AppConfig):
    name = "plexapi"
