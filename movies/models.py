"""TPDB movies (Plex movies) and their cast."""

from __future__ import annotations

from django.db import models

from scenes.models import MediaFields, Performer


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
