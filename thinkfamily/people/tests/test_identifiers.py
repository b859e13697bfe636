import pytest

from thinkfamily.people.identifiers import (
    IdentifierError,
    normalise_address,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
)


@pytest.mark.parametrize("written", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 "])
def test_nhs_number_accepted_in_common_spellings(written):
    assert normalise_nhs_number(written) == "9434765919"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("9434765918", "check digit is wrong"),
        ("943476591", "has 10 digits"),
        ("94347659190", "has 10 digits"),
        ("94347659A9", "only digits"),
        ("", "only digits"),
    ],
)
def test_nhs_number_refused_with_the_reason(written, reason):
    with pytest.raises(IdentifierError, match=reason):
        normalise_nhs_number(written)


def test_nhs_number_whose_check_digit_would_be_ten_is_never_valid():
    # 1000000010: weights give remainder 1, so the check digit would be 10: no such number.
    assert all(not _valid(f"100000001{digit}") for digit in "0123456789"), (
        "a base whose check digit computes to 10 has no valid NHS number"
    )


def _valid(number: str) -> bool:
    try:
        normalise_nhs_number(number)
    except IdentifierError:
        return False
    return True


def test_upn_accepted_and_upper_cased():
    assert normalise_upn("b801200005001") == "B801200005001"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("C801200005001", "check letter is wrong"),
        ("B80120000500", "13 characters"),
        ("B999200005001", "local authority code"),
        ("B8012000050X1", "check letter, 11 digits"),
    ],
)
def test_upn_refused_with_the_reason(written, reason):
    with pytest.raises(IdentifierError, match=reason):
        normalise_upn(written)


@pytest.mark.parametrize("written", ["ab1 2cd", "AB12CD", " Ab1  2cD ", "AB1 2CD"])
def test_postcode_normalised_whatever_the_spacing_or_case(written):
    assert normalise_postcode(written) == "AB1 2CD"


@pytest.mark.parametrize("written", ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"])
def test_postcode_shapes_of_every_kind(written):
    assert normalise_postcode(written.lower()) == written


@pytest.mark.parametrize("written", ["12345", "ABC DEF", "", "AB1 2C"])
def test_not_a_postcode(written):
    with pytest.raises(ValueError):
        normalise_postcode(written)


def test_addresses_written_differently_compare_equal():
    assert normalise_address("Flat 2, 12 High St.") == normalise_address("flat 2 12 HIGH STREET")
    assert normalise_address("3 Oak Rd") != normalise_address("3 Oak Road, Flat 1")


@pytest.mark.django_db
def test_a_person_with_an_invalid_identifier_fails_model_validation():
    from django.core.exceptions import ValidationError

    from thinkfamily.people.models import Person

    person = Person(given_name="Ola", family_name="Testvalid", nhs_number="9434765918")
    with pytest.raises(ValidationError, match="not a valid NHS number"):
        person.full_clean()
    person.nhs_number, person.upn = "9434765919", "B801200005002"
    with pytest.raises(ValidationError, match="not a valid UPN"):
        person.full_clean()
    person.upn = "B801200005001"
    person.full_clean()
