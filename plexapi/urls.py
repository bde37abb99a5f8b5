"""Routes: /health, and the two providers /tv and /movie (plex-provider-spec §0, §8.0).

Trailing slashes are optional everywhere because PMS joins the relative Feature keys to the registered URL.
The ratingKey segment accepts anything up to the next "/" so that ``ratingkeys.parse`` answers junk with our JSON 404.
"""

from django.urls import path, re_path

from plexapi import views

_RK = r"(?P<rating_key>[^/]+)"

urlpatterns = [path("health", views.HealthApi.as_view(), name="health")]

for _provider, _views in (
    (
        "tv",
        (
            views.TvProviderApi,
            views.TvMatchApi,
            views.TvMetadataApi,
            views.TvChildrenApi,
            views.TvGrandchildrenApi,
            views.TvImagesApi,
            views.TvExtrasApi,
        ),
    ),
    (
        "movie",
        (
            views.MovieProviderApi,
            views.MovieMatchApi,
            views.MovieMetadataApi,
            views.MovieChildrenApi,
            views.MovieGrandchildrenApi,
            views.MovieImagesApi,
            views.MovieExtrasApi,
        ),
    ),
):
    root, match, metadata, children, grandchildren, images, extras = _views
    # A provider registered as ".../tv/" makes PMS ask for ".../tv//library/...": any run of slashes separates.
    base = rf"^{_provider}/(?:/)?"
    urlpatterns += [
        re_path(rf"^{_provider}(?:/)?$", root.as_view(), name=f"{_provider}-provider"),
        re_path(rf"{base}library/metadata/matches(?:/)?$", match.as_view(), name=f"{_provider}-match"),
        re_path(rf"{base}library/metadata/{_RK}/children(?:/)?$", children.as_view(), name=f"{_provider}-children"),
        re_path(
            rf"{base}library/metadata/{_RK}/grandchildren(?:/)?$",
            grandchildren.as_view(),
            name=f"{_provider}-grandchildren",
        ),
        re_path(rf"{base}library/metadata/{_RK}/images(?:/)?$", images.as_view(), name=f"{_provider}-images"),
        re_path(rf"{base}library/metadata/{_RK}/extras(?:/)?$", extras.as_view(), name=f"{_provider}-extras"),
        re_path(rf"{base}library/metadata/{_RK}(?:/)?$", metadata.as_view(), name=f"{_provider}-metadata"),
    ]
    if _provider == "movie":  # collections exist in movie libraries only (spec §3.3)
        urlpatterns.append(
            re_path(
                rf"{base}library/collections/{_RK}(?:/)?$", views.MovieCollectionApi.as_view(), name="movie-collection"
            )
        )
    urlpatterns.append(re_path(rf"{base}.*$", views.ProviderNotFoundApi.as_view(), name=f"{_provider}-not-found"))
