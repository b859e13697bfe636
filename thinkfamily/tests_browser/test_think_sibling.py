"""Think Sibling in headless Chromium: a concern about a pupil reaches her toddler brother.

The school's safeguarding lead records a concern about Ava; the health
visitor who knows Ava's two-year-old brother Ben (and not Ava) signs in,
finds Ben at the top of her prompts, opens the whole family from the prompt,
sees the genogram with Ava marked, and answers the prompt: once with
JavaScript and once without.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from thinkfamily.accounts.models import User
from thinkfamily.people.tests.factories import PASSWORD, make_user
from thinkfamily.prompts.models import Prompt
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.tests_browser.signing_in import sign_in, sign_out

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/family-page.png")


@pytest.fixture
def family(transactional_db: None) -> Family:
    family = carter_family()
    make_user(family.school, User.Role.DESIGNATED_SAFEGUARDING_LEAD, username="testy.dsl",
              password=PASSWORD)  # fmt: skip
    make_user(family.hv, username="testy.hv", password=PASSWORD)
    return family


def school_records_a_concern(page: Page) -> None:
    sign_in(page, "testy.dsl")
    page.get_by_label("Search for a person").fill("Ava Carter")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Ava Carter").click()
    page.get_by_role("link", name="Record a concern").click()
    page.get_by_role("radio", name="Neglect").check()
    page.get_by_label("Describe the concern").fill("Hungry at breakfast club every day this week.")
    page.get_by_role("group", name="Did you see the child in person?").get_by_label("Yes").check()
    page.get_by_role("button", name="Record concern").click()
    expect(page.get_by_text("Concern recorded. 5 other children in the family")).to_be_visible()
    sign_out(page)


def health_visitor_answers_for_ben(page: Page, *, screenshot: bool = False) -> None:
    sign_in(page, "testy.hv")
    page.get_by_role("link", name="Prompts", exact=True).click()
    first_row = (
        page.get_by_role("table", name="Open prompts, highest priority first")
        .locator("tbody tr")
        .first
    )
    expect(first_row).to_contain_text("Ben Carter")
    expect(first_row).to_contain_text("Preschool")
    first_row.get_by_role("link", name="Ben Carter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Consider Ben Carter")
    expect(page.get_by_text("Connected to Ava Carter")).to_be_visible()
    # The health visitor may not read the school's concern itself, only that it exists.
    expect(page.get_by_text("Hungry at breakfast club")).to_have_count(0)
    expect(
        page.get_by_text("Not shown to you: the concern is held by Brookfield School")
    ).to_be_visible()

    page.get_by_role("link", name="whole family").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("12 Acacia Road, ZZ1 1AA")
    genogram = page.locator("svg.genogram")
    expect(genogram).to_be_visible()
    expect(genogram.locator("g.person[data-concern='yes']")).to_have_count(1)
    expect(page.get_by_role("table", name="Children", exact=True)).to_contain_text("Ben Carter")
    if screenshot:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.get_by_role("table", name="Open prompts about this family").get_by_role(
        "link", name="Ben Carter"
    ).click()

    page.get_by_role("radio", name="Considered: action taken").check()
    page.get_by_label("What action was taken?").fill("Home visit booked for Monday.")
    page.get_by_label("Note").fill("Ben not seen since birth review; mother agreed a visit.")
    page.get_by_role("button", name="Save answer").click()
    expect(page.get_by_text("Answered: Considered — action taken.")).to_be_visible()
    expect(page.get_by_text("Your agency has no open prompts.")).to_be_visible()
    sign_out(page)


def test_a_concern_about_a_pupil_reaches_her_toddler_brother_s_health_visitor(
    page: Page, family: Family
):
    school_records_a_concern(page)
    health_visitor_answers_for_ben(page, screenshot=True)
    ben = Prompt.objects.get(person=family.ben)
    assert ben.status == Prompt.Status.ANSWERED and ben.answered_for == family.hv
    assert SCREENSHOT.stat().st_size > 0


def test_the_same_journey_without_javascript(page_without_javascript: Page, family: Family):
    school_records_a_concern(page_without_javascript)
    health_visitor_answers_for_ben(page_without_javascript)
    assert Prompt.objects.get(person=family.ben).status == Prompt.Status.ANSWERED
