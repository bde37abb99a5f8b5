"""TPDB movies (Plex movies) and their cast, plus what both media kinds share: the media base fields and performers.

Scenes (the app above) build on these; they live here, the lower of the two media apps, so imports flow one way.
"""

from __future__ import annotations

from django.db import models

from tpdbprovider.core.models import TPDBRecord


class MediaFields(TPDBRecord):
    """Fields TPDB scenes and movies share (tpdb-api.md §3.1)."""

    title = models.CharField(max_length=500)
    slug = models.CharField(max_length=500, blank=True, db_index=True)
    description = models.TextField(blank=True)
    release_date = models.DateField(null=True, blank=True)
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    poster_url = models.URLField(max_length=1000, blank=True)
    background_url = models.URLField(max_length=1000, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    trailer_url = models.URLField(max_length=1000, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    tags = models.JSONField(default=list, blank=True)
    directors = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    locked_fields = models.JSONField(
        default=list, blank=True, help_text="Fields edited in the admin; TPDB refreshes leave them as they are"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


class Performer(TPDBRecord):
    """A TPDB performer: canonical (``parent`` empty) or a site-specific credit record pointing at its parent.
    Scenes and movies both credit performers; the table kept its first name (it was the scenes app's)."""

    slug = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, db_index=True)
    disambiguation = models.CharField(max_length=255, blank=True)
    gender = models.CharField(max_length=32, blank=True)
    birthdate = models.DateField(null=True, blank=True)
    height = models.CharField(max_length=32, blank=True)
    weight = models.CharField(max_length=32, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    thumbnail_url = models.URLField(max_length=1000, blank=True)
    face_url = models.URLField(max_length=1000, blank=True)
    is_parent = models.BooleanField(default=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="credits")

    class Meta:
        db_table = "scenes_performer"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Movie(MediaFields):
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    studio = models.CharField(max_length=255, blank=True)
    site = models.ForeignKey("sites.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="movies")
    performers: models.ManyToManyField[Performer, MoviePerformer] = models.ManyToManyField(
        Performer, through="MoviePerformer", related_name="movies"
    )

    class Meta:
        ordering = ("-release_date", "title")


class MoviePerformer(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="credits")
    performer = models.ForeignKey(Performer, on_delete=models.CASCADE, related_name="movie_credits")
    credited_name = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("order",)
        constraints = [models.UniqueConstraint(fields=["movie", "performer"], name="uniq_movie_performer")]

    def __str__(self) -> str:
        return f"{self.credited_name or self.performer_id} in {self.movie_id}"
