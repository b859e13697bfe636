import datetime as dt

import pytest

from thinkfamily.events.models import Event
from thinkfamily.people.tests.factories import make_event
from thinkfamily.prompts.tests.family import TODAY, carter_family
from thinkfamily.prompts.visibility import age_band, visibility_of

pytestmark = pytest.mark.django_db


def test_only_events_where_the_child_was_seen_in_person_count():
    family = carter_family()
    make_event(family.ben, family.hv, occurred_on=dt.date(2026, 3, 1), seen_in_person=True)
    # Later contact without seeing Ben: a phone call, a missed appointment, a letter.
    for kind in (Event.EventType.CONTACT, Event.EventType.MISSED_APPOINTMENT, Event.EventType.NOTE):
        make_event(family.ben, family.gp, event_type=kind, occurred_on=dt.date(2026, 10, 1))
    ben = visibility_of([family.ben], today=TODAY)[family.ben.pk]
    assert ben.last_seen_at.date() == dt.date(2026, 3, 1)
    assert ben.last_seen_by == "North Health Visiting"
    assert ben.days_since_seen == (TODAY - dt.date(2026, 3, 1)).days


def test_the_latest_sighting_wins_whoever_recorded_it():
    family = carter_family()
    make_event(family.ava, family.gp, occurred_on=dt.date(2026, 9, 1), seen_in_person=True)
    make_event(family.ava, family.school, occurred_on=dt.date(2026, 11, 20), seen_in_person=True)
    ava = visibility_of([family.ava], today=TODAY)[family.ava.pk]
    assert (ava.last_seen_at.date(), ava.last_seen_by) == (dt.date(2026, 11, 20),
                                                          "Brookfield School")  # fmt: skip


def test_a_child_never_seen_and_the_agencies_that_know_them():
    family = carter_family()
    seen = visibility_of([family.ben, family.unborn, family.ava], today=TODAY)
    assert seen[family.ben.pk].last_seen_at is None
    assert seen[family.ben.pk].agency_count == 2  # health visiting and the GP
    assert seen[family.ava.pk].agency_count == 2  # the school and the GP
    assert seen[family.unborn.pk].agency_count == 1
    assert "not recorded as seen in person by any professional" in seen[family.ben.pk].summary()


def test_age_bands_and_preschool():
    family = carter_family()
    people = (family.unborn, family.ben, family.eve, family.ava, family.mia, family.jade)
    bands = {p.given_name: age_band(p, TODAY) for p in people}
    assert bands == {"Baby": "Unborn", "Ben": "1 to 4", "Eve": "5 to 10", "Ava": "5 to 10",
                     "Mia": "11 to 15", "Jade": "Adult"}  # fmt: skip
    seen = visibility_of([family.unborn, family.ben, family.eve], today=TODAY)
    assert [seen[p.pk].preschool for p in (family.unborn, family.ben, family.eve)] == [
        True, True, False
    ]  # fmt: skip
