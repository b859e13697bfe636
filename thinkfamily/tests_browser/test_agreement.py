"""A verbal agreement in headless Chromium: recorded, shared, surfaced as overdue, reviewed late.

A health visitor records an agreement with Jade Carter about Ben's weight and
feeding, to be reviewed in two weeks, beside the partnership's local
expectations; she records that she told Jade's mother by phone. Time passes
(the dates are moved back in the database) and the review is overdue: it
surfaces on her agency's register and on the family's page. She reviews it
late: kept, next review set. Once with JavaScript and once without.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from thinkfamily.agreements.models import AgreementReview, VerbalAgreement
from thinkfamily.agreements.tests.helpers import jades_mother, move_back
from thinkfamily.people.tests.factories import PASSWORD, make_user
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.tests_browser.signing_in import sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def family(transactional_db: None) -> Family:
    family = carter_family()
    jades_mother(family)
    make_user(family.hv, username="testy.hv", password=PASSWORD)
    return family


def typed(day: dt.date) -> str:
    return f"{day:%d %m %Y}"


def health_visitor_records_and_shares(page: Page, family: Family, today: dt.date) -> None:
    sign_in(page, "testy.hv")
    page.goto(family.home.get_absolute_url())
    page.get_by_role("link", name="Record a verbal agreement").click()
    expect(page.get_by_role("heading", name="Local expectations")).to_be_visible()
    page.get_by_role("group", name="Who made the agreement?").get_by_label("Jade Carter").check()
    page.get_by_role("group", name="Which children does it concern?").get_by_label(
        "Ben Carter"
    ).check()
    page.get_by_label("What was agreed?").fill(
        "Jade will bring Ben to the weekly weigh-in clinic and keep a feeding diary."
    )
    page.get_by_label("What need or risk does the agreement address?").fill(
        "Ben's weight and feeding: he has dropped two centiles."
    )
    page.get_by_label("What will happen if the agreement is not kept?").fill(
        "The health visitor will discuss a referral to children's social care."
    )
    page.get_by_label("When was it agreed?").fill(typed(today))
    page.get_by_label("When will it be reviewed?").fill(typed(today + dt.timedelta(weeks=2)))
    page.get_by_role("button", name="Record agreement").click()
    expect(page.get_by_text("Verbal agreement recorded.")).to_be_visible()
    expect(page.get_by_text("has not been shared with anyone")).to_be_visible()

    page.get_by_role("group", name="Who was it shared with?").get_by_label("Sandra Carter").check()
    page.get_by_role("radio", name="By phone").check()
    page.get_by_label("When was it shared?").fill(typed(today))
    page.get_by_role("button", name="Record sharing").click()
    expect(page.get_by_text("Sharing recorded.")).to_be_visible()
    expect(page.get_by_role("table", name="Shared with the family's network")).to_contain_text(
        "Sandra Carter"
    )
    sign_out(page)


def overdue_then_reviewed_late(page: Page, family: Family, today: dt.date) -> None:
    sign_in(page, "testy.hv")
    page.get_by_role("link", name="Agreements", exact=True).click()
    expect(page.get_by_text("1 agreement is overdue a review.")).to_be_visible()
    overdue = page.get_by_role("table", name="Reviews overdue")
    expect(overdue).to_contain_text("Jade Carter")
    expect(overdue).to_contain_text("Overdue")

    page.goto(family.home.get_absolute_url())
    expect(page.get_by_text("1 verbal agreement is overdue a review.")).to_be_visible()
    page.get_by_role("table", name="Active verbal agreements").get_by_role("link").first.click()

    expect(page.get_by_text("The review is overdue")).to_be_visible()
    page.get_by_role("radio", name="Kept", exact=True).check()
    page.get_by_label("What did you find?").fill("Weighed every week; back on his centile.")
    page.get_by_label("When was it reviewed?").fill(typed(today))
    page.get_by_label("When will it next be reviewed?").fill(typed(today + dt.timedelta(weeks=3)))
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_text("Review recorded.")).to_be_visible()
    reviews = page.get_by_role("table", name="Reviews")
    expect(reviews).to_contain_text("Late")
    expect(reviews).to_contain_text("Kept")
    expect(page.get_by_text("The review is overdue")).to_have_count(0)
    sign_out(page)


def journey(page: Page, family: Family) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    health_visitor_records_and_shares(page, family, today)
    move_back(VerbalAgreement.objects.get(), days=16)  # two weeks and two days later
    overdue_then_reviewed_late(page, family, today)
    agreement = VerbalAgreement.objects.get()
    review = AgreementReview.objects.get()
    assert review.late and review.outcome == "kept"
    assert agreement.is_active and agreement.review_on == today + dt.timedelta(weeks=3)


def test_a_verbal_agreement_is_recorded_shared_surfaced_as_overdue_and_reviewed_late(
    page: Page, family: Family
):
    journey(page, family)


def test_the_same_journey_without_javascript(page_without_javascript: Page, family: Family):
    journey(page_without_javascript, family)
