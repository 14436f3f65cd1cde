"""Password rules: at least 10 characters, three character classes, not common, not like the username."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from civicgrid.people.models import User
from civicgrid.people.passwords import CharacterClassValidator


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefghij", False),  # one class
        ("abcdeFGHIJ", False),  # two classes
        ("abcdeFGH12", True),
        ("abcde-fgh1", True),  # lower, symbol, digit
        ("ABCDE 1234", True),  # a space counts as a symbol
        ("密码密码密码Ab1", True),  # non-ASCII counts as a symbol class
    ],
)
def test_character_classes(password, ok):
    validator = CharacterClassValidator()
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError) as caught:
            validator.validate(password)
        assert caught.value.messages == ["密码须至少包含小写字母、大写字母、数字、符号中的 3 类。"]
        assert caught.value.error_list[0].code == "password_too_simple"


@pytest.mark.parametrize(
    "password",
    ["Ab1!", "Password123!"[:9], "1234567890", "Password1!", "wangxiaoming-2024"],
)
def test_settings_reject_weak_passwords(db, password):
    user = User(username="wangxiaoming", first_name="xiaoming")
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_settings_accept_a_strong_password(db):
    validate_password("Zhe-Jiang-River-88", user=User(username="wangxiaoming"))


def test_help_text_names_the_number_of_classes(db):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert (
            CharacterClassValidator(min_classes=4).get_help_text()
            == "密码须至少包含小写字母、大写字母、数字、符号中的 4 类。"
        )
