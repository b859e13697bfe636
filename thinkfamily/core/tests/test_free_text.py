"""Free text round-trips safely: whatever a practitioner types is stored as typed and shown
escaped, never run as markup, template or SQL.

Property-based (hypothesis): generated text mixed with the classic attacks (HTML and
script, SQL fragments, template syntax) and Unicode edge cases (right-to-left
overrides, combining marks, zero-width joiners, astral-plane emoji, lone surrogates'
neighbours), through two of the forms practitioners use most — a concern about a
child, and the partnership's 7-minute briefing — and back out through their pages.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thinkfamily.accounts.models import Agency, User
from thinkfamily.events.models import Event
from thinkfamily.learning.models import Briefing
from thinkfamily.people.tests.factories import make_agency, make_person_with_record, make_user

pytestmark = pytest.mark.django_db

ATTACKS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE people_person; --",
    "1' OR '1'='1",
    "{{ request.user.password }}",
    "{% csrf_token %}{% debug %}",
    "&lt;already escaped&gt; &amp;",
    "\u202eevil\u202c right-to-left override",
    "e\u0301 combining, \u200d zero width joiner, \ufeff byte order mark",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 family, \U0001d518\U0001d52b\U0001d526 fraktur",
    "line one\nline two\n\nline four",
    "tab\tseparated\tvalues",
]

#: Text a person could type: any printable character, never NUL (refused: see below) or a
#: surrogate (not text) or other control characters a browser does not send.
TYPED = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t"),
    min_size=1,
    max_size=200,
)
FREE_TEXT = st.builds(
    lambda attack, text: f"{attack} {text}".strip(), st.sampled_from(ATTACKS), TYPED
).filter(lambda text: text.strip() != "")

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _normalised(text: str) -> str:
    """What a form keeps of what was typed: surrounding space stripped, as Django's forms do."""
    return text.strip()


@pytest.fixture
def practitioner() -> tuple[User, object]:
    school = make_agency("SCH-FT", Agency.AgencyType.SCHOOL, "Free Text School")
    child = make_person_with_record(school, "Ruby", "Roundtrip", dt.date(2018, 2, 3), sex="F")
    return make_user(school, User.Role.DESIGNATED_SAFEGUARDING_LEAD), child


@EXAMPLES
@given(summary=FREE_TEXT)
def test_a_concern_is_stored_as_typed_and_shown_escaped(practitioner, summary):
    user, child = practitioner
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("prompts:concern_new", args=[child.pk]),
        {
            "occurred_on": dt.date.today().isoformat(),
            "category": "neglect",
            "summary": summary,
            "seen_in_person": "yes",
            "restricted": "no",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    stored = Event.objects.filter(person=child).latest("id")
    assert stored.summary == _normalised(summary)

    page = client.get(child.get_absolute_url()).content.decode()
    assert escape(stored.summary) in page
    # The attacks appear as text, never as elements.
    assert "<script>alert" not in page and "<img src=x" not in page
    stored.delete()


@pytest.fixture
def partnership_manager() -> User:
    csc = make_agency("CSC-FT", Agency.AgencyType.CSC, "Free Text Social Care")
    return make_user(csc, User.Role.PARTNERSHIP_MANAGER)


@EXAMPLES
@given(background=FREE_TEXT, title=FREE_TEXT)
def test_a_briefing_is_stored_as_typed_and_shown_escaped(partnership_manager, background, title):
    manager = partnership_manager
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("learning:briefing_new"),
        {
            "title": title[:200],
            "background": background,
            "why_it_matters": "Why.",
            "findings": "Found.",
            "what_to_do": "Do.",
            "questions": "Who?",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    briefing = Briefing.objects.latest("id")
    assert briefing.background == _normalised(background)
    assert briefing.title == _normalised(title[:200])
    page = client.get(briefing.get_absolute_url()).content.decode()
    for line in briefing.background.splitlines():
        if line.strip():
            assert escape(line) in page
    assert "<script>alert" not in page and "<img src=x" not in page
    briefing.delete()


def test_a_nul_character_is_refused_by_the_form_and_nothing_is_stored(practitioner):
    """PostgreSQL cannot hold NUL in text; the form says so rather than failing."""
    user, child = practitioner
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("prompts:concern_new", args=[child.pk]),
        {
            "occurred_on": dt.date.today().isoformat(),
            "category": "neglect",
            "summary": "before\x00after",
            "seen_in_person": "yes",
            "restricted": "no",
        },
    )
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not Event.objects.filter(person=child).exists()
