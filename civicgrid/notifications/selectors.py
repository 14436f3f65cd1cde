"""Reads of the notifications app: a user's inbox and its unread count."""

from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.people.authorization import visible
from civicgrid.people.models import User

from .models import Notification


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    rows = visible(user, Notification.objects.all())
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(user: User) -> int:
    """One COUNT over the partial unread index; 0 for anonymous users."""
    if not user.is_authenticated:
        return 0
    return inbox(user, unread_only=True).count()
