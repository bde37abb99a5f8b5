from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns: list[URLPattern | URLResolver] = [path("admin/", admin.site.urls)]
if settings.API_SCHEMA_ENABLED:  # DJANGO_API_SCHEMA=false hides the OpenAPI schema and its docs page
    urlpatterns += [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    ]
urlpatterns += [path("", include("plexapi.urls"))]
