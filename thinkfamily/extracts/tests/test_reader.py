"""The reader is Django-free, so it keeps its own copy of the contract's vocabularies.

These tests hold the copies and the models' choices together: a value the
reader accepts must be one the database can store, and the other way round.
"""

from thinkfamily.accounts.models import Agency
from thinkfamily.events.models import Event
from thinkfamily.extracts import reader
from thinkfamily.people.models import Relationship, Sex


def test_reader_vocabularies_are_exactly_the_models_choices():
    assert set(Agency.AgencyType.values) == reader.AGENCY_TYPES
    assert set(Relationship.Kind.values) == reader.RELATIONSHIP_KINDS
    assert set(Event.EventType.values) - Event.RECORDED_HERE == reader.EVENT_TYPES
    assert set(Event.Category.values) == reader.CONCERN_CATEGORIES
    assert {"F", "M", "U"} == set(Sex.values)


def test_reader_columns_fit_the_model_fields():
    from thinkfamily.people.models import AgencyRecord

    for name in ("given_name", "family_name", "other_names", "address", "household_ref"):
        limit = AgencyRecord._meta.get_field(name).max_length
        too_long = "x" * (limit + 1)
        parse = reader.RECORD_COLUMNS[name].parse
        try:
            parse(too_long)
        except reader.RowInvalid:
            continue
        raise AssertionError(f"{name}: the reader accepts more than the column holds")
