"""Cheap per-instance field copies for DRF serializers whose fields depend on the class alone.

DRF gives every serializer instance ``copy.deepcopy`` of its fields, and ``Field.__deepcopy__`` re-runs every
field's ``__init__`` from its recorded arguments (a ModelSerializer even re-introspects its model first). For a
response rendered once per request that is most of the rendering time. ``CheapFieldCopy`` builds the fields
once per class (*prototypes*, never bound to a serializer) and gives each instance copies of their attributes.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import re
import types
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.signals import setting_changed
from django.utils.functional import Promise
from rest_framework import fields as drf_fields
from rest_framework.utils.formatting import lazy_format

if TYPE_CHECKING:
    from rest_framework.serializers import Serializer

    _Base = Serializer[Any]
else:
    _Base = object

AnyField = drf_fields.Field[Any, Any, Any, Any]

# Values a prototype may share with its copies: immutable ones, and callables (validators, ``default=list``,
# ``CurrentUserDefault()``). DRF itself shares validator instances between copies (``__deepcopy__`` skips the
# ``validators`` argument, ``Meta.validators`` is one list per class), and since DRF 3.11 callables receive the
# field as an argument (``requires_context``) instead of storing it.
_IMMUTABLE = (
    type(None), bool, int, float, complex, str, bytes, decimal.Decimal, dt.date, dt.time, dt.timedelta,
    dt.tzinfo, uuid.UUID, enum.Enum, type, range, re.Pattern, Promise, types.FunctionType,
    types.BuiltinFunctionType, types.MethodType,
)  # fmt: skip
# Containers copied per instance (exact types: ``list.copy()`` of a list subclass would lose the subclass).
_CONTAINERS = frozenset({dict, OrderedDict, list, set})

# The recipe DRF records in ``Field.__new__``: read by ``__deepcopy__`` and ``repr`` only, never changed.
_RECIPE = frozenset({"_args", "_kwargs"})
# Nested fields a composite field binds to itself in ``__init__`` (ListField, DictField, ListSerializer,
# ManyRelatedField): each copy gets its own, re-parented.
_CHILDREN = frozenset({"child", "child_relation"})
# Per-instance state a prototype must not have (``fields`` is DRF's cached_property): else fall back to deepcopy.
_INSTANCE_STATE = frozenset({"fields", "_data", "_errors", "_validated_data", "initial_data"})


class _Unsupported(Exception):
    pass


def _shareable(value: Any) -> bool:
    if isinstance(value, _IMMUTABLE):
        return True
    if isinstance(value, tuple | frozenset):
        return all(_shareable(item) for item in value)
    return callable(value) and not isinstance(value, drf_fields.Field)


def _container_kind(value: Any) -> str:
    """'flat': one-level copy suffices; 'nested': containers inside (deepcopy them); else _Unsupported."""
    items = list(value.items()) if isinstance(value, dict) else [(None, item) for item in value]
    kind = "flat"
    for key, item in items:
        if not _shareable(key):
            raise _Unsupported(key)
        if _shareable(item):
            continue
        if type(item) in _CONTAINERS:
            _container_kind(item)
            kind = "nested"
            continue
        raise _Unsupported(item)
    return kind


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to copy one prototype: which attributes to copy one level, deeply, or as a re-parented child."""

    prototype: AnyField
    flat: tuple[str, ...] = ()
    nested: tuple[str, ...] = ()
    children: tuple[tuple[str, _Plan], ...] = ()
    deepcopy: bool = False  # something in it is not understood: DRF's own deepcopy


def _plan(field: AnyField, *, owner: AnyField | None = None) -> _Plan:
    state = vars(field)
    if field.parent is not owner or _INSTANCE_STATE & state.keys():
        return _Plan(field, deepcopy=True)
    flat: list[str] = []
    nested: list[str] = []
    children: list[tuple[str, _Plan]] = []
    try:
        for name, value in state.items():
            if name in _RECIPE or name == "parent" or _shareable(value):
                continue
            if name in _CHILDREN and isinstance(value, drf_fields.Field):
                child = _plan(value, owner=field)
                if child.deepcopy:  # a deep copy would still point to the prototype
                    return _Plan(field, deepcopy=True)
                children.append((name, child))
            elif type(value) in _CONTAINERS:
                (flat if _container_kind(value) == "flat" else nested).append(name)
            else:
                raise _Unsupported(value)
    except _Unsupported:
        return _Plan(field, deepcopy=True)
    for name in flat:
        if isinstance(state[name], list):
            state[name][:] = [_rendered_each_time(v) for v in state[name]]
    return _Plan(field, tuple(flat), tuple(nested), tuple(children))


class _RenderedEachTime:
    """A validator message formatted every time it is shown, in the language of that moment."""

    __slots__ = ("args", "format_string", "kwargs")

    def __init__(self, format_string: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.format_string, self.args, self.kwargs = format_string, args, kwargs

    def __str__(self) -> str:
        return str(self.format_string).format(*self.args, **self.kwargs)

    def __mod__(self, value: Any) -> str:
        return str(self) % value


def _rendered_each_time(validator: Any) -> Any:
    # DRF's max/min length and value validators carry a lazy_format message, which keeps its first
    # rendering (in the language of the request that rendered it) and changes itself in two steps (not
    # thread-safe). The prototypes' validators, shared by every copy, get a message without that state.
    message = getattr(validator, "message", None)
    if not isinstance(message, lazy_format) or message.format_string is None:
        return validator
    twin = copy.copy(validator)
    twin.message = _RenderedEachTime(message.format_string, message.args, message.kwargs)
    return twin


def _copy(plan: _Plan) -> Any:
    prototype = plan.prototype
    if plan.deepcopy:
        return copy.deepcopy(prototype)
    field = object.__new__(type(prototype))  # skips Field.__new__: the recipe comes with the state
    state = prototype.__dict__.copy()
    for name in plan.flat:
        state[name] = state[name].copy()
    for name in plan.nested:
        state[name] = copy.deepcopy(state[name])
    for name, child_plan in plan.children:
        child = state[name] = _copy(child_plan)
        child.parent = field  # already bound by the owner's __init__: name, label and source stay as they are
    field.__dict__ = state
    return field


_PLANS: dict[type, dict[str, _Plan]] = {}


def _forget_plans(**kwargs: Any) -> None:
    # Fields read some settings in __init__ (DecimalField's COERCE_DECIMAL_TO_STRING, ...): a test that
    # overrides settings gets fields built under its settings, as with DRF's per-instance construction.
    _PLANS.clear()


setting_changed.connect(_forget_plans, dispatch_uid="civicgrid.core.serializers.forget_plans")


# No docstring on the mixin: drf-spectacular would take it as the description of every serializer using it
# that has none of its own (it reads docstrings along the MRO down to DRF's classes).
#
# Put it first among the bases. Use it only where ``get_fields()`` depends on the class alone (not on the
# instance, its context or the request): the fields built once are the class's prototypes. Per instance each
# field is a new object with the prototype's attribute dict, its mutable containers (validators, error
# messages, choices, style) copied, and the children of composite fields (ListField.child, ...) copied and
# re-parented, so nothing a serializer instance binds or changes is seen by another one (bind() only sets
# attributes on the copy). A nested serializer is copied unbound and without its fields: it builds its own
# the same way when first used, so its parent, root and context are its own. A field holding state the copy
# does not understand (an object neither immutable, callable nor a plain container) is deep-copied as DRF does.
# ``cheap_field_copy = False`` on a class (or on this mixin, in a test) restores DRF's behaviour.
class CheapFieldCopy(_Base):
    cheap_field_copy: ClassVar[bool] = True

    def get_fields(self) -> dict[str, AnyField]:
        cls = type(self)
        if not cls.cheap_field_copy:
            return super().get_fields()
        plans = _PLANS.get(cls)
        if plans is None:  # two threads may both build: each result is complete, the last one stays
            plans = _PLANS[cls] = {name: _plan(field) for name, field in super().get_fields().items()}
        return {name: _copy(plan) for name, plan in plans.items()}
