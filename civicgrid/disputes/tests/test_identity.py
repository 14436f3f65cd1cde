"""ID numbers (GB 11643), unified social credit codes (GB 32100), phones: validation and masks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from civicgrid.disputes import identity

from .conftest import make_id, make_id_with_x, make_uscc


def test_valid_id_numbers_pass_and_are_normalised() -> None:
    number = make_id("19800101", "123")
    assert identity.validate_id_number(number) == number
    with_x = make_id_with_x("19900215")
    assert with_x.endswith("X")
    assert identity.validate_id_number(with_x.lower()) == with_x
    assert identity.validate_id_number(f" {with_x[:9]} {with_x[9:]} ") == with_x
    assert identity.id_birth_date(number) == dt.date(1980, 1, 1)
    assert identity.id_sex(make_id(seq="123")) == "male"
    assert identity.id_sex(make_id(seq="124")) == "female"


def test_the_check_character_follows_the_standard_example() -> None:
    # The worked example of GB 11643-1999 (a fictitious number): 11010519491231002X.
    assert identity.id_check_character("11010519491231002") == "X"
    assert identity.validate_id_number("11010519491231002X") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("4206831980010112", "id_format"),  # too short
        ("42068319800101123Y", "id_format"),  # bad last character
        ("A20683198001011234", "id_format"),
        ("000683198001011230", "id_region"),
        ("420683198002301230", "id_birth_date"),  # 30 February
        ("420683187001011230", "id_birth_date"),  # before 1880
    ],
)
def test_malformed_id_numbers_are_refused(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        identity.validate_id_number(value)
    assert info.value.code == code


def test_a_wrong_check_digit_is_refused_for_every_other_digit() -> None:
    number = make_id("19800101", "123")
    for wrong in "0123456789X":
        if wrong == number[-1]:
            continue
        with pytest.raises(ValidationError) as info:
            identity.validate_id_number(number[:-1] + wrong)
        assert info.value.code == "id_check"


def test_a_birth_date_in_the_future_is_refused() -> None:
    number = make_id("20300101", "123")
    with pytest.raises(ValidationError):
        identity.validate_id_number(number, today=dt.date(2025, 3, 5))
    assert identity.validate_id_number(number) == number  # no "today" given: only the calendar check


def test_credit_codes() -> None:
    code = make_uscc("91420683MA4F0T5L0")
    assert identity.validate_credit_code(code.lower()) == code
    # The published example of GB 32100 style check: the last character must match.
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        identity.validate_credit_code(wrong)
    assert info.value.code == "uscc_check"
    for bad in ("91420683MA4F0T5L", "9142068XMA4F0T5L01", "91420683MA4F0T5LI1"):
        with pytest.raises(ValidationError) as info:
            identity.validate_credit_code(bad)
        assert info.value.code == "uscc_format"


def test_phones() -> None:
    assert identity.validate_phone("+86 138 1234 5678") == "13812345678"
    assert identity.validate_phone("0710-1234567") == "0710-1234567"
    for bad in ("12345", "23812345678", "phone"):
        with pytest.raises(ValidationError):
            identity.validate_phone(bad)


def test_masks() -> None:
    assert identity.mask_id_number("11010519491231002X") == "110105********002X"
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_phone("0710-1234567") == "0710-*****67"
    assert identity.mask_id_number("") == ""
    assert identity.mask_phone("") == ""


def test_blind_indexes_match_normalised_values(field_key: None) -> None:
    number = make_id_with_x()
    assert identity.id_index(number) == identity.id_index(number.lower())
    assert identity.phone_index("138 1234 5678") == identity.phone_index("+8613812345678")
    assert identity.id_index(number) != identity.id_index(make_id())
