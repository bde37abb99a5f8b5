"""Create or update the admin user from ADMIN_USERNAME / ADMIN_PASSWORD. Safe to repeat."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or update the superuser named by ADMIN_USERNAME with ADMIN_PASSWORD."

    def handle(self, *args: Any, **options: Any) -> None:
        username, password = settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD
        if not username or not password:
            raise CommandError("ADMIN_USERNAME and ADMIN_PASSWORD must both be set.")
        user_model = get_user_model()
        try:
            validate_password(password, user_model(username=username))  # AUTH_PASSWORD_VALIDATORS
        except ValidationError as exc:
            problems = " ".join(exc.messages)
            if not settings.DEBUG:
                raise CommandError(f"ADMIN_PASSWORD is too weak: {problems}") from None
            self.stderr.write(f"ADMIN_PASSWORD is too weak (allowed only because DEBUG is on): {problems}")
        user, created = user_model.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        if created or not user.check_password(password):
            user.set_password(password)
        user.save()
        self.stdout.write(f"Admin user {username!r} {'created' if created else 'up to date'}.")
