"""Scenes and their credits, plus the match decisions and pins the review queue works on. The media base fields and
the performers both kinds credit are movies.models'."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from movies.models import MediaFields, Performer
from tpdbprovider.core.models import TimeStampedModel


class Scene(MediaFields):
    site = models.ForeignKey("sites.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="scenes")
    performers: models.ManyToManyField[Performer, ScenePerformer] = models.ManyToManyField(
        Performer, through="ScenePerformer", related_name="scenes"
    )

    # Plex's episode number, fixed the first time the scene is served (``scenes.episodes``): its season (release year,
    # 0 when undated) and its index in it. A new number only when TPDB moves the scene to another year.
    episode_season = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    episode_index = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-release_date", "title")
        indexes = [
            models.Index(fields=["site", "release_date"], name="scene_site_date_idx"),
            models.Index(fields=["release_date"], name="scene_release_date_idx"),  # a site-less name's day
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "episode_season", "episode_index"], name="uniq_scene_episode_number"
            )
        ]


class ScenePerformer(models.Model):
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="credits")
    performer = models.ForeignKey(Performer, on_delete=models.CASCADE, related_name="scene_credits")
    credited_name = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("order",)
        constraints = [models.UniqueConstraint(fields=["scene", "performer"], name="uniq_scene_performer")]

    def __str__(self) -> str:
        return f"{self.credited_name or self.performer_id} in {self.scene_id}"


class MatchDecision(TimeStampedModel):
    """What Plex asked, the scored candidates, what was chosen and why; the review queue lists these."""

    class State(models.TextChoices):
        AUTO = "auto", "Matched automatically"
        ABSTAINED = "abstained", "Abstained (needs review)"
        PINNED = "pinned", "Pinned by a person"
        NOT_IN_TPDB = "not_in_tpdb", "Not in TPDB"
        NEEDS_REMATCH = "needs_rematch", "Needs rematch (TPDB lost the item)"

    provider = models.CharField(max_length=8)  # "tv" or "movie"
    request_type = models.PositiveSmallIntegerField()
    request_key = models.CharField(max_length=64, db_index=True, help_text="Identity of the Plex item asked about")
    request = models.JSONField(default=dict)
    parsed = models.JSONField(default=dict, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    chosen_rating_key = models.CharField(max_length=160, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, db_index=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-updated_at",)
        constraints = [models.UniqueConstraint(fields=["provider", "request_key"], name="uniq_decision_request")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.request_key[:10]} {self.state}"


class MatchPin(TimeStampedModel):
    """A person's answer for one Plex item: it wins over search on the next match request."""

    provider = models.CharField(max_length=8)
    request_key = models.CharField(max_length=64)
    rating_key = models.CharField(max_length=160, blank=True, help_text="Empty with is_not_in_tpdb")
    tpdb_id = models.UUIDField(null=True, blank=True)
    tpdb_numeric_id = models.BigIntegerField(null=True, blank=True)
    is_not_in_tpdb = models.BooleanField(default=False)
    is_needs_rematch = models.BooleanField(default=False, help_text="TPDB answered 404 for the pinned item")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "request_key"], name="uniq_pin_request")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.request_key[:10]} → {self.rating_key or 'not in TPDB'}"


class ReviewItem(MatchDecision):
    """The review queue: automatic decisions a person should look at (see ``scenes.review.review_queue``)."""

    class Meta:
        proxy = True
        verbose_name = "review queue entry"
        verbose_name_plural = "Review queue"


class TagRule(TimeStampedModel):
    """How one TPDB tag appears as a Plex Genre; tags without a rule are kept as they are."""

    class Action(models.TextChoices):
        KEEP = "keep", "Keep (listed first, so the genre cap cuts it last)"
        RENAME = "rename", "Rename to the target"
        MERGE = "merge", "Merge into the target"
        DROP = "drop", "Drop"

    tag = models.CharField(max_length=255, help_text="TPDB tag name; matched ignoring case")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.KEEP)
    target = models.CharField(max_length=255, blank=True, help_text="New name for rename and merge")

    class Meta:
        ordering = ("tag",)
        constraints = [
            models.UniqueConstraint(Lower("tag"), name="uniq_tag_rule_tag_ci"),
            models.CheckConstraint(
                condition=~models.Q(action__in=["rename", "merge"], target=""), name="tag_rule_target_when_renaming"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag} → {self.action} {self.target}".strip()


class MetadataPolicy(TimeStampedModel):
    """What the metadata output shows: one row, edited in the admin. Without it the field defaults apply."""

    genre_cap = models.PositiveSmallIntegerField(default=20, help_text="Most genres per item (0 = none)")
    role_genders = models.JSONField(
        default=list, blank=True, help_text="Performer genders shown as Roles; empty means every performer"
    )
    is_female_first = models.BooleanField(default=True, help_text="List female performers first")

    class Meta:
        verbose_name = "metadata policy"
        verbose_name_plural = "metadata policy"

    def __str__(self) -> str:
        return "Metadata policy"
