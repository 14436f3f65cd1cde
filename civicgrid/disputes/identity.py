"""Identity numbers of parties: the resident ID card (GB 11643), the unified social credit code
(GB 32100), phone numbers — validation, normalisation, blind-index keys and masks.

Masking is the default everywhere a number is shown; the plaintext is revealed only through
``services.party_reveal`` (audited).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.core import crypto

# --- GB 11643-1999: citizen identification number ----------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# Provinces (GB/T 2260), residence permits of Hong Kong, Macao, Taiwan (81–83), foreigners' permanent residence (9x).
_PROVINCE_PREFIXES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66))]
    + ["71", "81", "82", "83", *[str(n) for n in range(90, 100)]]
)


def id_check_character(first17: str) -> str:
    """The check character (0–9 or X) of the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def id_birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_sex(number: str) -> str:
    """ "male" or "female" from the sequence code's last digit (odd = male)."""
    return "male" if int(number[16]) % 2 else "female"


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """The normalised 18-character number, or ValidationError saying what is wrong."""
    number = normalize_id_number(value)
    if not _ID_RE.match(number):
        raise ValidationError(_("身份证号码应为18位：前17位数字，最后一位为数字或X。"), code="id_format")
    if number[:2] not in _PROVINCE_PREFIXES:
        raise ValidationError(_("身份证号码的地区码无效。"), code="id_region")
    try:
        born = id_birth_date(number)
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date") from None
    if born.year < 1880 or (today is not None and born > today):
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date")
    if id_check_character(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验码不正确，请核对。"), code="id_check")
    return number


# --- GB 32100-2015: unified social credit code ---------------------------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(rf"^[{_USCC_CHARS}]{{2}}\d{{6}}[{_USCC_CHARS}]{{10}}$")


def uscc_check_character(first17: str) -> str:
    total = sum(_USCC_CHARS.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def validate_credit_code(value: str) -> str:
    code = normalize_credit_code(value)
    if not _USCC_RE.match(code):
        raise ValidationError(
            _("统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V），第3至8位为行政区划码。"), code="uscc_format"
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验码不正确，请核对。"), code="uscc_check")
    return code


# --- phones ----------------------------------------------------------------------------------

_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def normalize_phone(value: str) -> str:
    text = re.sub(r"[\s()（）]", "", value or "")
    if text.startswith("+86"):
        text = text[3:]
    return text


def validate_phone(value: str) -> str:
    phone = normalize_phone(value)
    if not _PHONE_RE.match(phone):
        raise ValidationError(_("电话号码格式不正确：手机号11位，固定电话如 0710-1234567。"), code="phone_format")
    return phone


# --- blind index keys and masks ----------------------------------------------------------------

ID_INDEX_CONTEXT = "party.id_number"
PHONE_INDEX_CONTEXT = "party.phone"


def id_index(number: str) -> str:
    return crypto.blind_index(normalize_id_number(number), context=ID_INDEX_CONTEXT)


def phone_index(phone: str) -> str:
    return crypto.blind_index(re.sub(r"\D", "", normalize_phone(phone)), context=PHONE_INDEX_CONTEXT)


def mask_id_number(number: str) -> str:
    """``420683********123X``: region code and the last four kept."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """``138****5678`` for mobiles; landlines keep the area code and the last two digits."""
    if not phone:
        return ""
    digits = normalize_phone(phone)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if "-" in digits:
        area, rest = digits.split("-", 1)
        return f"{area}-" + "*" * max(len(rest) - 2, 0) + rest[-2:]
    if len(digits) <= 5:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
