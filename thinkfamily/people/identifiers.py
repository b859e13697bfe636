"""Validation and normalisation of the identifiers that link a person across agencies.

An NHS number is ten digits whose last is a modulus-11 check digit; a Unique
Pupil Number (UPN) is thirteen characters: a check letter, a three-digit local
authority code, and nine more characters. The arithmetic is python-stdnum's,
which is maintained against the official specifications; this module only
turns its exceptions into sentences a practitioner can act on.

Postcodes and addresses are normalised so that two agencies writing the same
address differently (``ab1 2cd`` and ``AB12CD``; ``12 High St.`` and
``12 high street``) are recognised as one household address.
"""

import re

from stdnum import exceptions as stdnum_errors
from stdnum.gb import nhs, upn


class IdentifierError(ValueError):
    """An identifier that cannot belong to anybody: wrong length, characters or check digit."""


def normalise_nhs_number(value: str) -> str:
    """Return the NHS number as ten digits, or raise IdentifierError saying why it is invalid.

    Example:
        >>> normalise_nhs_number("943 476 5919")
        '9434765919'
    """
    try:
        return nhs.validate(value.replace("-", " "))
    except stdnum_errors.InvalidLength:  # a subclass of InvalidFormat, so caught first
        raise IdentifierError("an NHS number has 10 digits") from None
    except stdnum_errors.InvalidFormat:
        raise IdentifierError("an NHS number has only digits") from None
    except stdnum_errors.InvalidChecksum:
        raise IdentifierError("the NHS number's check digit is wrong") from None


def normalise_upn(value: str) -> str:
    """Return the Unique Pupil Number in upper case, or raise IdentifierError saying why.

    Example:
        >>> normalise_upn("b801200005001")
        'B801200005001'
    """
    try:
        return upn.validate(value)
    except stdnum_errors.InvalidLength:
        raise IdentifierError("a UPN has 13 characters") from None
    except stdnum_errors.InvalidFormat:
        raise IdentifierError(
            "a UPN is a check letter, 11 digits and a final digit or letter"
        ) from None
    except stdnum_errors.InvalidComponent:
        raise IdentifierError("the UPN's local authority code is not a known one") from None
    except stdnum_errors.InvalidChecksum:
        raise IdentifierError("the UPN's check letter is wrong") from None


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise_postcode(value: str) -> str:
    """Return a UK postcode in its standard form (``AB1 2CD``), or raise ValueError.

    Example:
        >>> normalise_postcode(" ab12cd ")
        'AB1 2CD'
    """
    compact = re.sub(r"\s+", "", value).upper()
    match = _POSTCODE.match(compact)
    if not match:
        raise ValueError("not a UK postcode")
    return f"{match.group(1)} {match.group(2)}"


_ADDRESS_ABBREVIATIONS = {
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "cl": "close",
    "ct": "court",
    "cres": "crescent",
    "gdns": "gardens",
    "pl": "place",
    "sq": "square",
    "tce": "terrace",
    "flt": "flat",
}


def normalise_address(value: str) -> str:
    """Return the first line(s) of an address in a form that compares equal across agencies.

    Lower case, punctuation removed, common abbreviations expanded and spacing
    folded. Only for matching: the address as recorded is kept unchanged.

    Example:
        >>> normalise_address("Flat 2, 12 High St.")
        'flat 2 12 high street'
    """
    words = re.sub(r"[^a-z0-9]+", " ", value.lower()).split()
    return " ".join(_ADDRESS_ABBREVIATIONS.get(word, word) for word in words)


def nhs_number_validator(value: str) -> None:
    """Django field validator: refuse an NHS number that cannot belong to anybody."""
    from django.core.exceptions import ValidationError

    try:
        normalise_nhs_number(value)
    except IdentifierError as error:
        raise ValidationError(f"{value} is not a valid NHS number: {error}.") from None


def upn_validator(value: str) -> None:
    """Django field validator: refuse a Unique Pupil Number that cannot belong to anybody."""
    from django.core.exceptions import ValidationError

    try:
        normalise_upn(value)
    except IdentifierError as error:
        raise ValidationError(f"{value} is not a valid UPN: {error}.") from None
