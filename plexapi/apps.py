from django.apps import AppConfig


class PlexapiConfig(AppConfig):
    name = "plexapi"

    def ready(self) -> None:
        from plexapi import receivers

        receivers.connect()
