"""Review of CheapFieldCopy: a validation message must be in the language of the request that gets it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from civicgrid.cases.serializers import CaseCreateSerializer
from civicgrid.core import serializers as cheap

TOO_LONG = {"title": "x" * 300, "category": "T01", "lon": 500, "lat": 0}


@pytest.fixture(autouse=True)
def _fresh_plans() -> Iterator[None]:
    cheap._PLANS.clear()
    yield
    cheap._PLANS.clear()


def _errors(language: str) -> dict[str, list[str]]:
    with translation.override(language):
        serializer = CaseCreateSerializer(data=TOO_LONG)
        assert not serializer.is_valid()
        return {name: [str(e) for e in errors] for name, errors in serializer.errors.items()}


def _stock_errors(language: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    with monkeypatch.context() as m:
        m.setattr(CaseCreateSerializer, "cheap_field_copy", False)
        return _errors(language)


def test_a_message_is_in_the_language_of_the_request_not_of_the_first_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Chinese request first (the process builds the field templates), then an English one.
    chinese = _errors("zh-hans")
    english = _errors("en")

    assert chinese == _stock_errors("zh-hans", monkeypatch)
    # DRF's max_length / max_value messages are lazy_format objects that remember their first rendering;
    # shared through the templates' validators, the first request's language sticks for the process.
    assert english == _stock_errors("en", monkeypatch)
    assert english["title"] == ["Ensure this field has no more than 200 characters."]
    assert english["lon"] == ["Ensure this value is less than or equal to 180."]


def test_the_other_order_too(monkeypatch: pytest.MonkeyPatch) -> None:
    english = _errors("en")
    chinese = _errors("zh-hans")
    assert english["title"] == ["Ensure this field has no more than 200 characters."]
    assert chinese == _stock_errors("zh-hans", monkeypatch)
