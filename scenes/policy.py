"""The metadata policy: which TPDB tags become Plex Genres and which performers become Roles, in what order.

Both are edited in the admin and apply to the next metadata request. The rules are read once into a small snapshot
kept in the ``default`` cache (shared by every process when Redis is configured); the admin's writes invalidate it, and
``POLICY_TTL_S`` bounds how long a write made elsewhere (a shell, a data migration) can go unseen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from django.core.cache import cache

from movies.models import MoviePerformer
from scenes.models import MetadataPolicy, ScenePerformer, TagRule

POLICY_CACHE_KEY: Final = "metadata-policy:v1"
POLICY_TTL_S: Final = 300
FEMALE: Final = "female"
# Genders TPDB uses, offered in the admin even before a performer of that gender is stored.
KNOWN_GENDERS: Final = ("Female", "Male", "Transgender Female", "Transgender Male", "Non Binary", "Intersex")

Credit = TypeVar("Credit", ScenePerformer, MoviePerformer)


@dataclass(frozen=True)
class PolicySnapshot:
    """The policy as the serializers need it. ``role_genders`` holds normalized genders ("" is unknown)."""

    genre_cap: int = 20
    role_genders: frozenset[str] = frozenset()
    is_female_first: bool = True
    rules: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # casefolded tag -> (action, target)


def normalize_gender(value: str | None) -> str:
    return " ".join((value or "").casefold().split())


def metadata_policy_get() -> PolicySnapshot:
    """The current policy: from the cache, else two small queries (the policy row and the tag rules)."""
    raw = cache.get(POLICY_CACHE_KEY)
    if raw is None:
        raw = _policy_from_db()
        cache.set(POLICY_CACHE_KEY, raw, timeout=POLICY_TTL_S)
    return PolicySnapshot(
        genre_cap=raw["genre_cap"],
        role_genders=frozenset(raw["role_genders"]),
        is_female_first=raw["is_female_first"],
        rules={tag: (action, target) for tag, action, target in raw["rules"]},
    )


def metadata_policy_invalidate() -> None:
    """Forget the cached policy: the next metadata request reads the rules again."""
    cache.delete(POLICY_CACHE_KEY)


def _policy_from_db() -> dict[str, Any]:
    policy = MetadataPolicy.objects.order_by("pk").first() or MetadataPolicy()
    rows = TagRule.objects.values_list("tag", "action", "target")
    rules = [(tag.strip().casefold(), action, target.strip()) for tag, action, target in rows]
    return {
        "genre_cap": policy.genre_cap,
        "role_genders": sorted({normalize_gender(g) for g in policy.role_genders or () if isinstance(g, str)}),
        "is_female_first": policy.is_female_first,
        "rules": rules,
    }


def metadata_policy_genres(*, tags: Iterable[Any]) -> list[str]:
    """Genre names for an item's TPDB tags: rules applied, repeats folded (ignoring case), kept tags first, capped."""
    policy = metadata_policy_get()
    kept: list[str] = []
    others: list[str] = []
    seen: set[str] = set()
    for value in tags or ():
        raw_name = value.get("name") or value.get("tag") if isinstance(value, dict) else value
        if not isinstance(raw_name, str) or not raw_name.strip():
            continue
        name, action = _apply_rule(raw_name.strip(), policy.rules)
        if action == TagRule.Action.DROP or not name or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        (kept if action == TagRule.Action.KEEP else others).append(name)
    return (kept + others)[: policy.genre_cap]


def _apply_rule(name: str, rules: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(shown name, effective action). A rename/merge target's own keep or drop rule applies too (one level)."""
    action, target = rules.get(name.casefold(), ("", ""))
    if action in (TagRule.Action.RENAME, TagRule.Action.MERGE):
        name = target
        target_action, _ = rules.get(name.casefold(), ("", ""))
        action = target_action if target_action in (TagRule.Action.KEEP, TagRule.Action.DROP) else action
    return name, action


def metadata_policy_credits(*, credits: Iterable[Credit]) -> list[Credit]:
    """The credits shown as Roles: only the chosen genders, female performers first when the policy says so.

    The gender is the credit record's, else its canonical parent's; the order within each group is TPDB's.
    """
    policy = metadata_policy_get()
    shown = [c for c in credits if not policy.role_genders or _credit_gender(c) in policy.role_genders]
    if policy.is_female_first:
        shown.sort(key=lambda credit: _credit_gender(credit) != FEMALE)
    return shown


def _credit_gender(credit: ScenePerformer | MoviePerformer) -> str:
    performer = credit.performer
    parent = performer.parent if performer.parent_id else None
    return normalize_gender(performer.gender or (parent.gender if parent else ""))
