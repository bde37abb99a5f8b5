from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tpdbprovider.core"
    label = "core"
    verbose_name = "Operations"
