"""A practitioner's journey through the real site in headless Chromium.

Sign in, search for a child, open her record, open her household, sign out:
once with JavaScript and once without, because every page must work without
it. Run with ``pytest -m browser`` (needs ``apt-get install chromium`` and the
compiled stylesheet, ``npm run build:css``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from thinkfamily.accounts.models import Agency, User
from thinkfamily.people.models import HouseholdMembership
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    PASSWORD,
    make_agency,
    make_event,
    make_household,
    make_person_with_record,
    make_record,
    make_user,
)
from thinkfamily.tests_browser.signing_in import sign_in

pytestmark = pytest.mark.browser

STYLESHEET = Path(settings.BASE_DIR) / "build" / "static" / "thinkfamily" / "thinkfamily.css"
SCREENSHOT = Path("/tmp/person.png")


@pytest.fixture
def family(transactional_db: None) -> None:
    """A pupil known to her school and GP, her preschool brother and their mother."""
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    pupil = make_person_with_record(
        school, "Alpha", "Testfamily", dt.date(2016, 4, 3), nhs=NHS_NUMBERS[0], sex="F"
    )
    make_record(gp, pupil)
    make_record(school, pupil, given="Alfa", record_id="SCH-OLD-SYSTEM-1")
    brother = make_person_with_record(
        gp, "Bravo", "Testfamily", dt.date(2023, 9, 1), nhs=NHS_NUMBERS[1], sex="M"
    )
    mother = make_person_with_record(
        gp, "Charlie", "Testfamily", dt.date(1990, 1, 20), nhs=NHS_NUMBERS[2], sex="F"
    )
    make_household(
        [
            (mother, HouseholdMembership.Role.PARENT),
            (pupil, HouseholdMembership.Role.CHILD),
            (brother, HouseholdMembership.Role.CHILD),
        ],
        reported_by=gp,
        address="7 Imaginary Lane",
        postcode="ZZ9 1AA",
    )
    make_event(
        pupil,
        school,
        event_type="concern",
        category="neglect",
        occurred_on=dt.date(2024, 3, 14),
        summary="Arrived hungry and without a coat.",
        seen_in_person=True,
    )
    make_event(pupil, gp, summary="Refuge address given.", restricted=True)
    make_user(
        school, User.Role.DESIGNATED_SAFEGUARDING_LEAD, username="testy.dsl", password=PASSWORD
    )


@pytest.fixture
def failures(page: Page) -> list[str]:
    """Every failed request, console error and uncaught script error the page produces."""
    found: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            found.append(f"{response.status} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(f"console: {message.text}")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("requestfailed", lambda request: found.append(f"failed {request.url}"))
    page.on("pageerror", lambda error: found.append(f"script error: {error}"))
    return found


def walk_the_journey(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Think Family")).to_be_visible()
    sign_in(page, "testy.dsl")

    expect(page.get_by_text("Signed in as")).to_contain_text("Testwood Primary School")
    page.get_by_label("Search for a person").fill("Testfamily")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("table")
    expect(results).to_contain_text("Alpha Testfamily")
    expect(results).to_contain_text("Bravo Testfamily")
    expect(results).to_contain_text("3 April 2016")

    page.get_by_role("link", name="Alpha Testfamily").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Testfamily")
    expect(page.get_by_text("9434765919")).to_be_visible()
    expect(page.get_by_text("Parallel record", exact=True)).to_have_count(2)
    expect(page.get_by_text("Arrived hungry and without a coat.")).to_be_visible()
    expect(page.get_by_text("1 restricted entry is not shown to you")).to_be_visible()
    expect(page.get_by_text("Refuge address given.")).to_have_count(0)

    page.get_by_role("link", name="7 Imaginary Lane, ZZ9 1AA").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7 Imaginary Lane, ZZ9 1AA")
    expect(page.get_by_role("table", name="Children", exact=True)).to_contain_text(
        "Bravo Testfamily"
    )
    expect(page.get_by_role("table", name="Adults", exact=True)).to_contain_text(
        "Charlie Testfamily"
    )

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Think Family")).to_be_visible()


def test_practitioner_signs_in_finds_a_child_and_her_household(
    page: Page, family: None, failures: list[str]
):
    assert STYLESHEET.exists(), "Compile the stylesheet first: npm ci && npm run build:css"

    walk_the_journey(page)

    assert failures == []


def test_the_govuk_styles_and_scripts_load_from_the_app(
    page: Page, family: None, failures: list[str]
):
    page.goto("/")

    stylesheet = page.request.get("/static/thinkfamily/thinkfamily.css")
    assert stylesheet.status == 200
    assert "govuk-template" in stylesheet.text()
    # GOV.UK Frontend's images resolve where the compiled stylesheet points.
    assert page.request.get("/static/govuk/assets/images/govuk-crest.svg").status == 200
    heading_font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "arial" in heading_font.lower()
    # The module script ran: GOV.UK Frontend initialised its components.
    expect(page.locator("body")).to_have_class(
        "govuk-template__body js-enabled govuk-frontend-supported"
    )
    button = page.locator("[data-module='govuk-button']").first
    expect(button).to_have_attribute("data-govuk-button-init", "")
    assert failures == []


def test_the_journey_works_without_javascript(page_without_javascript: Page, family: None):
    walk_the_journey(page_without_javascript)


def test_person_page_screenshot(page: Page, family: None):
    """Leaves /tmp/person.png, to look at the person page as a practitioner sees it."""
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "testy.dsl")
    page.goto("/?q=Alpha")
    page.get_by_role("link", name="Alpha Testfamily").click()

    page.screenshot(path=str(SCREENSHOT), full_page=True)

    assert SCREENSHOT.stat().st_size > 0
