"""Review of core.generations: its delete receivers must not cost the watched tables Django's fast deletes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from civicgrid.people.models import RoleAssignment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Token, RoleAssignment], ids=["token", "roleassignment"])
def test_leaf_tables_keep_fast_deletes(model: Any) -> None:
    # Neither table has rows pointing at it: Django deletes them with one DELETE … WHERE, unless some
    # receiver listens to pre_delete/post_delete for the model (then every row is loaded first).
    assert Collector(using="default").can_fast_delete(model.objects.all())


def test_switching_off_an_account_deletes_its_tokens_without_loading_them(personas: Any) -> None:
    Token.objects.create(user=personas.leader)
    with CaptureQueriesContext(connection) as queries:
        Token.objects.filter(user=personas.leader).delete()
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert selects == []
