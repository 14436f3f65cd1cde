"""CheapFieldCopy (civicgrid/core/serializers.py): per-instance field copies that behave as DRF's deepcopy.

The serializers here are synthetic, one per kind of field state DRF sets up: containers built in __init__
(validators, choices, error messages, style), composite fields binding a child in __init__ (ListField,
DictField, ``many=True``), nested serializers, SerializerMethodField, and state the copy does not understand.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework import serializers

from civicgrid.core import serializers as cheap
from civicgrid.core.serializers import CheapFieldCopy


class Inner(CheapFieldCopy, serializers.Serializer[Any]):
    code = serializers.CharField(max_length=5)
    where = serializers.SerializerMethodField()

    def get_where(self, obj: Any) -> str:
        return str(self.context.get("where"))


class _Opaque:
    """A field attribute that is neither immutable, callable nor a plain container."""


class OpaqueField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        self.opaque = _Opaque()
        super().__init__(**kwargs)


class Outer(CheapFieldCopy, serializers.Serializer[Any]):
    name = serializers.CharField(max_length=10, style={"base_template": "input.html"})
    kind = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")], default="a")
    grouped = serializers.ChoiceField(choices=[("Group", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False, default=list)
    plain_default = serializers.ListField(child=serializers.IntegerField(), required=False, default=[])
    attributes = serializers.DictField(child=serializers.IntegerField(), required=False)
    inner = Inner(required=False)
    inners = Inner(many=True, required=False)
    opaque = OpaqueField(required=False)


def _walk(field: Any) -> list[Any]:
    """The field and everything under it that a serializer instance binds: fields, children, nested fields."""
    found = [field]
    for name in ("child", "child_relation"):
        if isinstance(getattr(field, name, None), serializers.Field):
            found += _walk(getattr(field, name))
    if isinstance(field, serializers.Serializer):
        for sub in field.fields.values():
            found += _walk(sub)
    return found


def _render_stock(monkeypatch: pytest.MonkeyPatch, make: Any) -> Any:
    monkeypatch.setattr(CheapFieldCopy, "cheap_field_copy", False)
    try:
        return make()
    finally:
        monkeypatch.undo()


DATA = {
    "name": "灯",
    "kind": "b",
    "grouped": "y",
    "tags": ["a", "bb"],
    "attributes": {"n": "3"},
    "inner": {"code": "c1"},
    "inners": [{"code": "c2"}, {"code": "c3"}],
    "opaque": "o",
}
BAD = {
    "name": "x" * 11,
    "kind": "q",
    "grouped": "Group",
    "tags": ["toolong"],
    "plain_default": ["n"],
    "attributes": {"n": "x"},
    "inner": {"code": "123456"},
    "inners": [{}, {"code": "1"}],
}


@pytest.mark.parametrize("data", [DATA, BAD, {}, {"name": "n"}, []], ids=["valid", "invalid", "empty", "min", "list"])
def test_validation_equals_drf(monkeypatch: pytest.MonkeyPatch, data: Any) -> None:
    def run() -> tuple[bool, Any, Any]:
        serializer = Outer(data=data)
        valid = serializer.is_valid()
        return valid, serializer.validated_data if valid else None, serializer.errors

    assert run() == _render_stock(monkeypatch, run) == run()


def test_rendering_equals_drf(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = {**DATA, "plain_default": [1], "inner": {"code": "c"}, "inners": [{"code": "d"}], "opaque": "o"}

    def run() -> Any:
        return Outer(instance, context={"where": "here"}).data

    rendered = run()
    assert rendered["inner"] == {"code": "c", "where": "here"}
    assert rendered["inners"] == [{"code": "d", "where": "here"}]
    assert rendered == _render_stock(monkeypatch, run) == run()


def test_two_instances_share_no_field_and_each_tree_leads_to_its_own_root() -> None:
    first, second = Outer(context={"where": 1}), Outer(context={"where": 2})
    first_tree = [f for field in first.fields.values() for f in _walk(field)]
    second_tree = [f for field in second.fields.values() for f in _walk(field)]
    assert not {id(f) for f in first_tree} & {id(f) for f in second_tree}
    assert [f.root for f in first_tree] == [first] * len(first_tree)
    assert [f.root for f in second_tree] == [second] * len(second_tree)
    assert {f.context["where"] for f in first_tree} == {1}
    assert {f.context["where"] for f in second_tree} == {2}
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["inners"].child.parent is first.fields["inners"]
    assert first.fields["inner"].fields["where"].method_name == "get_where"
    # Every mutable container is the instance's own.
    for one, other in zip(first_tree, second_tree, strict=True):
        for name, value in vars(one).items():
            if isinstance(value, dict | list | set) and name not in ("_args", "_kwargs"):
                assert value is not vars(other)[name], name


def test_changing_an_instances_fields_leaves_other_instances_alone() -> None:
    changed = Outer()
    changed.fields["name"].required = False
    changed.fields["name"].style["input_type"] = "password"
    changed.fields["name"].validators.append(lambda value: None)
    changed.fields["kind"].choices = [("c", "C")]
    changed.fields["tags"].child.max_length = 99
    changed.fields["inner"].fields["code"].error_messages["max_length"] = "!"
    fresh = Outer()
    assert fresh.fields["name"].required is True
    assert fresh.fields["name"].style == {"base_template": "input.html"}
    assert len(fresh.fields["name"].validators) == len(Outer().fields["name"].validators) == 3
    assert list(fresh.fields["kind"].choices) == ["a", "b"]
    assert fresh.fields["tags"].child.max_length == 3
    assert fresh.fields["inner"].fields["code"].error_messages["max_length"] != "!"


def test_mutable_default_is_not_shared_between_instances() -> None:
    first, second = Outer(data={"name": "n"}), Outer(data={"name": "n"})
    assert first.is_valid() and second.is_valid()
    assert first.validated_data["plain_default"] == second.validated_data["plain_default"] == []
    assert first.validated_data["plain_default"] is not second.validated_data["plain_default"]


def test_prototypes_stay_unbound() -> None:
    Outer(DATA).data  # noqa: B018
    Outer(data=DATA).is_valid()
    for plan in cheap._PLANS[Outer].values():
        prototype = plan.prototype
        assert (prototype.parent, prototype.field_name) == (None, None)
        assert "fields" not in vars(prototype)
    assert cheap._PLANS[Outer]["inner"].prototype.__dict__.get("_context") == {}
    assert "fields" not in vars(cheap._PLANS[Inner]["where"].prototype)
    assert cheap._PLANS[Inner]["where"].prototype.method_name is None


def test_what_it_does_not_understand_is_deep_copied() -> None:
    Outer().fields  # noqa: B018
    plans = cheap._PLANS[Outer]
    assert [name for name, plan in plans.items() if plan.deepcopy] == ["opaque"]
    assert plans["grouped"].nested == ("grouped_choices",)  # {"Group": {"x": "X", ...}, "z": "Z"}
    first, second = Outer(), Outer()
    assert first.fields["opaque"].opaque is not second.fields["opaque"].opaque


class _SiteDefault(serializers.CharField):
    """Reads a setting in __init__, as DRF's stock fields do not (they read theirs when used)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default=settings.LANGUAGE_CODE, **kwargs)


def test_settings_change_rebuilds_the_prototypes() -> None:
    class Site(CheapFieldCopy, serializers.Serializer[Any]):
        language = _SiteDefault()

    def language() -> str:
        serializer = Site(data={})
        assert serializer.is_valid()
        return str(serializer.validated_data["language"])

    before = language()
    with override_settings(LANGUAGE_CODE="en-gb"):
        assert language() == "en-gb"
    assert language() == before != "en-gb"
