"""Data generation tokens (core.generations): the triggers redraw them with every write, by any path; the
caches built on them answer from memory only while the tokens stay the same, read once per request."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.models import Category
from civicgrid.core import generations
from civicgrid.core.generations import GenerationCache, KeyedGenerationCache
from civicgrid.core.models import DataGeneration
from civicgrid.notifications.models import WebhookEndpoint

TRIGGERED = (
    "cases_category",
    "cases_casesettings",
    "people_center",
    "people_roleassignment",
    "people_user",
    "notifications_webhookendpoint",
    "authtoken_token",
)


def token_of(table: str) -> str:
    return DataGeneration.objects.get(name=table).token


def token_queries(queries: CaptureQueriesContext) -> int:
    return sum("core_datageneration" in q["sql"] for q in queries.captured_queries)


@pytest.fixture(autouse=True)
def _empty_caches() -> Iterator[None]:
    generations.reset_all()
    yield
    generations.reset_all()


@pytest.fixture
def counted() -> Any:
    """A cache of category names that counts its loads."""
    loads: list[int] = []

    def load() -> list[str]:
        loads.append(1)
        return list(Category.objects.order_by("code").values_list("name", flat=True))

    cache = GenerationCache(("cases_category",), load)
    cache.loads = loads  # type: ignore[attr-defined]
    return cache


# --- the rows and the triggers ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_seeds_one_random_token_per_watched_table() -> None:
    rows = dict(DataGeneration.objects.values_list("name", "token"))

    assert set(TRIGGERED) <= set(rows)
    assert all(re.fullmatch(r"[0-9a-f]{32}", rows[table]) for table in TRIGGERED)
    assert len({rows[table] for table in TRIGGERED}) == len(TRIGGERED)


@pytest.mark.django_db
def test_insert_update_and_delete_each_draw_a_new_token(world: Any) -> None:
    seen = [token_of("cases_category")]
    row = Category.objects.create(code="GEN1", name="试", kind="event")
    seen.append(token_of("cases_category"))
    row.name = "改"
    row.save()
    seen.append(token_of("cases_category"))
    row.delete()
    seen.append(token_of("cases_category"))

    assert len(set(seen)) == 4
    assert all(re.fullmatch(r"[0-9a-f]{32}", token) for token in seen)


@pytest.mark.django_db
@pytest.mark.parametrize("table", TRIGGERED)
def test_a_raw_sql_update_of_any_watched_table_draws_a_new_token(table: str, personas: Any) -> None:
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=personas.leader)
    WebhookEndpoint.objects.create(name="收", url="https://example.org/hook")
    others = {name: token_of(name) for name in TRIGGERED if name != table}
    before = token_of(table)
    pk = connection.ops.quote_name("key" if table == "authtoken_token" else "id")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {pk} = {pk}")  # noqa: S608 - a constant table name
        assert cursor.rowcount > 0

    assert token_of(table) != before
    assert {name: token_of(name) for name in others} == others  # only that table's token moves


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_the_token_it_found() -> None:
    before = token_of("cases_category")
    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.filter(code="E0101").update(name="x")
        Category.objects.create(code="GEN2", name="试", kind="event")
        assert token_of("cases_category") != before
        raise RuntimeError

    assert token_of("cases_category") == before


# --- reading the tokens -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_tokens_are_read_in_one_query_with_the_regions_token(django_assert_num_queries: Any) -> None:
    from civicgrid.regions.models import RegionGeneration

    with django_assert_num_queries(1):
        got = generations.tokens(("cases_category", generations.REGIONS, "people_user"))

    assert got == (token_of("cases_category"), RegionGeneration.objects.get(pk=1).token, token_of("people_user"))


@pytest.mark.django_db
def test_a_missing_row_gives_none_and_nothing_is_cached(counted: Any) -> None:
    DataGeneration.objects.filter(name="cases_category").delete()

    assert generations.tokens(("cases_category",)) is None
    assert generations.tokens(("people_user",)) is not None
    with generations.scope():
        counted.get()
        counted.get()
    assert len(counted.loads) == 2

    Category.objects.create(code="GEN3", name="试", kind="event")  # the trigger puts the row back
    with generations.scope():
        counted.get()
        counted.get()
    assert len(counted.loads) == 3


@pytest.mark.django_db
def test_outside_a_scope_every_call_reads_the_tokens(counted: Any, django_assert_num_queries: Any) -> None:
    counted.get()
    with django_assert_num_queries(1):  # the token query; the names are kept
        names = counted.get()

    assert names == list(Category.objects.order_by("code").values_list("name", flat=True))
    assert len(counted.loads) == 1


# --- caches ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_hit_inside_a_scope_costs_no_query(counted: Any, django_assert_num_queries: Any) -> None:
    with generations.scope():
        first = counted.get()
        with django_assert_num_queries(0):
            assert counted.get() is first


@pytest.mark.django_db
def test_a_raw_sql_change_is_seen_on_the_next_call(counted: Any) -> None:
    counted.get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_category SET name = 'SQL 改名' WHERE code = 'E0101'")

    assert "SQL 改名" in counted.get()
    assert len(counted.loads) == 2


@pytest.mark.django_db
def test_a_rolled_back_write_does_not_leave_its_rows_cached(counted: Any) -> None:
    before = counted.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.filter(code="E0101").update(name="回滚掉的名字")
        assert "回滚掉的名字" in counted.get()
        raise RuntimeError

    assert counted.get() == before
    assert "回滚掉的名字" not in counted.get()


@pytest.mark.django_db(transaction=True)
def test_a_commit_by_another_connection_is_seen_on_the_next_call(counted: Any) -> None:
    assert generations.tokens(("cases_category",)) is not None  # the seed rows came back after the last flush
    counted.get()

    def rename() -> None:
        try:
            Category.objects.filter(code="E0101").update(name="别的线程改的")
        finally:
            connections.close_all()

    writer = threading.Thread(target=rename)
    writer.start()
    writer.join()

    assert "别的线程改的" in counted.get()


@pytest.mark.django_db
def test_keyed_cache_keeps_each_key_and_reloads_after_a_change(django_assert_num_queries: Any) -> None:
    loads: list[str] = []

    def load(code: str) -> str | None:
        loads.append(code)
        return Category.objects.filter(code=code).values_list("name", flat=True).first()

    cache: KeyedGenerationCache[str, str | None] = KeyedGenerationCache(("cases_category",), load, maxsize=2)
    with generations.scope():
        name = cache.get("E0101")
        with django_assert_num_queries(0):
            assert cache.get("E0101") == name
        assert cache.get("NOPE") is None
        assert cache.get("NOPE") is None  # misses are not kept: keys may come from outside
        Category.objects.filter(code="E0101").update(name="新名")  # no signal: the statement is seen
        assert cache.get("E0101") == "新名"
    assert loads == ["E0101", "NOPE", "NOPE", "E0101"]


@pytest.mark.django_db
def test_keyed_cache_holds_at_most_maxsize_keys() -> None:
    cache: KeyedGenerationCache[int, int] = KeyedGenerationCache(("cases_category",), lambda n: n * 2, maxsize=3)
    with generations.scope():
        for n in range(10):
            assert cache.get(n) == n * 2
    assert sorted(cache._entries) == [7, 8, 9]


def test_a_cache_on_a_table_without_triggers_is_refused() -> None:
    with pytest.raises(ValueError, match="cases_case"):
        GenerationCache(("cases_case",), list)


# --- the request scope ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_scope_reads_the_tokens_once(counted: Any) -> None:
    other = GenerationCache(("people_center", generations.REGIONS), lambda: 1)
    with CaptureQueriesContext(connection) as queries, generations.scope():
        counted.get()
        other.get()
        generations.tokens(("people_user",))
        counted.get()
    assert token_queries(queries) == 1


@pytest.mark.django_db
def test_a_write_in_the_scope_is_seen_by_the_scope(counted: Any) -> None:
    with generations.scope():
        counted.get()
        row = Category.objects.get(code="E0101")
        row.name = "同一请求里改的"
        row.save()  # the write makes the scope read the tokens again

        assert "同一请求里改的" in counted.get()


@pytest.mark.django_db
def test_raw_sql_and_bulk_writes_in_the_scope_are_seen_by_the_scope(counted: Any) -> None:
    with generations.scope():
        counted.get()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_category SET name = %s WHERE code = %s", ["原生SQL改的", "E0101"])
        assert "原生SQL改的" in counted.get()
        Category.objects.bulk_create([Category(code="GEN9", name="批量加的", kind="event")])
        assert "批量加的" in counted.get()


@pytest.mark.django_db
def test_reads_and_writes_of_other_tables_keep_the_scope(counted: Any) -> None:
    from civicgrid.cases.models import Tag

    with CaptureQueriesContext(connection) as queries, generations.scope():
        counted.get()
        Tag.objects.create(name="不相干")
        list(Category.objects.all()[:1])
        counted.get()
    assert token_queries(queries) == 1


@pytest.mark.django_db
def test_after_a_write_tokens_read_inside_a_transaction_are_not_kept(counted: Any) -> None:
    with generations.scope():
        before = counted.get()
        with pytest.raises(RuntimeError), transaction.atomic():
            Category.objects.create(code="GEN4", name="回滚", kind="event")
            assert "回滚" in counted.get()
            raise RuntimeError

        assert counted.get() == before


@pytest.mark.django_db
def test_the_rows_are_among_those_restored_after_a_transactional_test() -> None:
    """Transactional tests end with a flush; conftest puts the serialised seed rows back, these included."""
    from civicgrid.conftest import _SERIALIZED_SEED

    contents, models = _SERIALIZED_SEED[connection.alias]
    assert DataGeneration in models
    assert contents.count('"model": "core.datageneration"') >= len(TRIGGERED)
