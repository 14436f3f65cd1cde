"""Data generations (数据版本): one random token per watched table, redrawn by database triggers.

Per-process caches (``civicgrid.core.generations``) keep what they loaded under the tokens they read
first, and load again as soon as a token differs, so a write by any process, by any path, is seen next.
"""

from __future__ import annotations

from django.db import models


class DataGeneration(models.Model):
    """The current token of one table. Triggers (migration 0001) draw a new random token in the same
    transaction as every INSERT, UPDATE or DELETE on the table; random, so a rolled-back write can never
    bring back a token that was seen with other data."""

    # Internal bookkeeping shown on no page and in no admin: no translated labels.
    name = models.CharField(max_length=64, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.name
