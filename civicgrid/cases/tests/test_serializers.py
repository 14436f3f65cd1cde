"""The cases serializers copy their fields the cheap way (CheapFieldCopy) and still render and parse
byte for byte as DRF's own per-instance deepcopy does, for varied cases and personas; two serializers of
the same class, interleaved or in parallel threads, never share a bound field or a context.

Mon 2025-09-22 is the day every case here is reported and worked on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.http import QueryDict
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from civicgrid.cases import services as s
from civicgrid.cases.models import Case, State
from civicgrid.cases.serializers import (
    AttachmentSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
)
from civicgrid.cases.tests.conftest import IN_GRID_A2_1, bj
from civicgrid.cases.tests.test_attachments import PDF
from civicgrid.core.serializers import CheapFieldCopy

ALL_RELATIONS = ("category", "region", "grid", "village", "town", "city", "lead_unit", "reporter", "owner",
                 "merged_into")  # fmt: skip


def drf_stock(monkeypatch: pytest.MonkeyPatch, make: Callable[[], Any]) -> Any:
    """``make()`` with DRF's own field copies (deepcopy per instance, a ModelSerializer re-introspecting)."""
    monkeypatch.setattr(CheapFieldCopy, "cheap_field_copy", False)
    try:
        return make()
    finally:
        monkeypatch.undo()


def as_json(data: Any) -> bytes:
    return JSONRenderer().render(data)


def request_as(user: Any) -> Request:
    request = Request(APIRequestFactory().get("/api/v1/cases/"))
    request.user = user
    return request


@pytest.fixture
def varied_cases(clock: Any, personas: Any, world: Any, new_case: Any) -> list[int]:
    """Cases in different states with and without reporter, owner, lead unit, tags, files, merge target."""
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    reported = new_case(title="路灯不亮", tags=["夜间", "安全"], priority=1)
    no_reporter = {"reporter_name": "", "reporter_phone": "", "reporter_email": ""}
    nobody = new_case(title="无人上报", **no_reporter)
    anonymous = new_case(title="匿名", anonymous=True, attachments=[("photo.pdf", PDF)])
    by_grid_worker = new_case(user=p.grid_worker, channel="grid_patrol", title="巡查发现", **no_reporter)
    in_town = new_case(title="甲二村", point=IN_GRID_A2_1)
    unrouted = new_case(title="无坐标", point=(None, None), address="")
    clock.at(bj(2025, 9, 22, 9, 30))
    dispatched = new_case(title="派遣")
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        dispatched = step(user=p.village_center, case=dispatched, expected_version=dispatched.version)
    suspended = new_case(title="挂起")
    for step in (s.case_accept, s.case_register):
        suspended = step(user=p.village_center, case=suspended, expected_version=suspended.version)
    suspended = s.case_suspend(user=p.village_center, case=suspended, expected_version=suspended.version, reason="等")
    merged = new_case(title="重复")
    merged = s.case_merge(user=p.village_center, case=merged, expected_version=merged.version, into=reported)
    rejected = new_case(title="不予立案")
    rejected = s.case_reject(user=p.village_center, case=rejected, expected_version=rejected.version, reason="不属于")
    cases = [reported, nobody, anonymous, by_grid_worker, in_town, unrouted, dispatched, suspended, merged, rejected]
    assert {c.state for c in cases} == {State.REPORTED, State.DISPATCHED, State.SUSPENDED, State.MERGED, State.REJECTED}
    assert [c.reporter is None for c in cases[:4]] == [False, True, False, True]
    return [c.pk for c in cases]


@pytest.mark.parametrize("persona", ["village_center", "unit_handler", "town_center", None])
def test_detail_and_list_render_as_drf(
    monkeypatch: pytest.MonkeyPatch, personas: Any, varied_cases: list[int], persona: str | None
) -> None:
    context: dict[str, Any] = {"request": request_as(personas[persona])} if persona else {}

    def detail(pk: int, **extra: Any) -> bytes:
        return as_json(CaseDetailSerializer(Case.objects.get(pk=pk), context={**context, **extra}).data)

    def render_all() -> list[bytes]:
        cases = list(Case.objects.filter(pk__in=varied_cases).order_by("pk"))
        return [
            *(detail(pk) for pk in varied_cases),
            *(detail(pk, empty_relations=frozenset({"tags", "attachments"})) for pk in varied_cases),
            as_json(CaseListSerializer(cases, many=True, context=context).data),
            as_json(CaseListSerializer(cases[0], context=context).data),
        ]

    cheap = render_all()
    assert b'"tags":["\xe5\xa4\x9c\xe9\x97\xb4","\xe5\xae\x89\xe5\x85\xa8"]' in cheap[0]  # 夜间, 安全
    assert b'"original_name":"photo.pdf"' in cheap[2]
    assert b'"lead_unit":{"code":"' in cheap[6] and b'"owner":"' in cheap[6]
    assert b'"merged_into":"' in cheap[8]
    assert cheap == drf_stock(monkeypatch, render_all)
    assert render_all() == cheap  # the stock run left nothing behind, nor did the first cheap one


def test_attachment_list_renders_as_drf(monkeypatch: pytest.MonkeyPatch, varied_cases: list[int]) -> None:
    case = Case.objects.get(pk=varied_cases[2])

    def render() -> bytes:
        return as_json(AttachmentSerializer(case.attachments.all(), many=True).data)

    assert render() == drf_stock(monkeypatch, render) != b"[]"


def _multipart(**values: Any) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in values.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


CREATE_INPUTS: dict[str, Any] = {
    "minimal": {"title": "井盖缺失", "category": "T01"},
    "full": {
        "title": "井盖缺失", "category": "T01", "channel": "hotline", "description": "东路口", "lon": 112.05,
        "lat": 32.3, "crs": "gcj02", "address": "甲一村", "reporter_name": "张三", "reporter_phone": "138",
        "reporter_email": "z@example.com", "anonymous": True, "priority": 2, "tags": ["夜间", "安全"],
        "attributes": {"depth": 3}, "external_ref": "X-1", "idempotency_key": "k-1",
    },
    "invalid": {
        "title": "", "channel": "fax", "lon": 200, "lat": "north", "crs": "utm", "priority": 9,
        "tags": ["x" * 41] * 21, "attributes": [1], "reporter_email": "x" * 255, "anonymous": "maybe",
    },
    "nulls": {"title": "t", "category": "T01", "lon": None, "lat": None, "priority": None, "tags": None},
    "not_a_dict": ["title"],
    "multipart": _multipart(title="井盖", category="T01", tags=["夜间", "安全"], anonymous="true", lon=""),
    "multipart_bad": _multipart(title="", tags=["x" * 41], priority="9"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CREATE_INPUTS))
def test_create_input_parses_as_drf(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def parse() -> tuple[bool, Any, Any]:
        serializer = CaseCreateSerializer(data=CREATE_INPUTS[name])
        valid = serializer.is_valid()
        return valid, (dict(serializer.validated_data) if valid else None), serializer.errors

    cheap = parse()
    assert cheap[0] is (name in {"minimal", "full", "multipart"})
    assert cheap == drf_stock(monkeypatch, parse) == parse()


def _bound_tree(serializer: Any) -> Iterator[Any]:
    """Every field a serializer instance has bound, nested serializers' own fields and fields' children."""
    for field in serializer.fields.values():
        yield field
        child = getattr(field, "child", None)
        if child is not None:
            yield child
        if hasattr(field, "fields"):
            yield from _bound_tree(field)


def _loaded(pk: int) -> Case:
    """A case with every relation the detail renders already loaded: rendering it needs no query."""
    case = Case.objects.select_related(*ALL_RELATIONS).get(pk=pk)
    case.merged_into and case.merged_into.number  # noqa: B018
    return case


def test_interleaved_serializers_share_no_bound_field(
    monkeypatch: pytest.MonkeyPatch, personas: Any, varied_cases: list[int]
) -> None:
    first_context = {"request": request_as(personas.village_center)}
    second_context = {"request": request_as(personas.unit_handler), "empty_relations": frozenset({"tags"})}
    first = CaseDetailSerializer(Case.objects.get(pk=varied_cases[6]), context=first_context)
    second = CaseDetailSerializer(Case.objects.get(pk=varied_cases[0]), context=second_context)
    first_fields, second_fields = list(_bound_tree(first)), list(_bound_tree(second))  # both bound, then used
    assert len(first_fields) > 45
    assert not {id(f) for f in first_fields} & {id(f) for f in second_fields}
    assert {id(f.root) for f in first_fields} == {id(first)}
    assert {id(f.root) for f in second_fields} == {id(second)}
    assert all(f.context is first_context for f in first_fields)
    assert all(f.context is second_context for f in second_fields)
    second_data, first_data = as_json(second.data), as_json(first.data)

    expected = drf_stock(
        monkeypatch,
        lambda: (
            as_json(CaseDetailSerializer(Case.objects.get(pk=varied_cases[6]), context=first_context).data),
            as_json(CaseDetailSerializer(Case.objects.get(pk=varied_cases[0]), context=second_context).data),
        ),
    )
    assert (first_data, second_data) == expected
    assert b'"actions":["' in first_data and b'"actions":[]' in second_data  # each saw its own user


def test_parallel_threads_render_each_their_own_case(monkeypatch: pytest.MonkeyPatch, varied_cases: list[int]) -> None:
    pks = varied_cases[:6]
    # Without tags and attachments (empty_relations) these render with no query: no thread needs the database.
    empty = frozenset({"tags", "attachments"})
    expected = drf_stock(
        monkeypatch,
        lambda: [as_json(CaseDetailSerializer(_loaded(pk), context={"empty_relations": empty}).data) for pk in pks],
    )
    cases = [_loaded(pk) for pk in pks]
    contexts = [{"empty_relations": empty, "thread": index} for index in range(len(cases))]
    barrier = threading.Barrier(len(cases))
    results: dict[int, tuple[bytes, set[int], set[Any]]] = {}

    def work(index: int) -> None:
        serializer = CaseDetailSerializer(cases[index], context=contexts[index])
        barrier.wait()
        fields = list(_bound_tree(serializer))
        barrier.wait()  # every thread has bound its fields before any renders
        data = as_json(serializer.data)
        results[index] = (data, {id(f) for f in fields}, {f.context["thread"] for f in fields})

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[index][0] for index in range(len(cases))] == expected
    assert [results[index][2] for index in range(len(cases))] == [{index} for index in range(len(cases))]
    seen: set[int] = set()
    for index in range(len(cases)):
        assert not seen & results[index][1]
        seen |= results[index][1]


def test_create_serializers_share_no_field_child_or_container() -> None:
    first, second = CaseCreateSerializer(data={}), CaseCreateSerializer(data={})
    first_fields, second_fields = list(_bound_tree(first)), list(_bound_tree(second))
    assert not {id(f) for f in first_fields} & {id(f) for f in second_fields}
    for name in ("tags", "attributes", "attachments"):
        assert first.fields[name].child.parent is first.fields[name]
        assert first.fields[name].child.root is first
    for one, other in zip(first_fields, second_fields, strict=True):
        for attribute, value in vars(one).items():
            if isinstance(value, dict | list | set) and attribute not in ("_args", "_kwargs"):
                assert value is not vars(other)[attribute], (one.field_name, attribute)
