"""A referral in headless Chromium, from the GP to children's social care and back.

The GP refers Ava and Ben Carter without telling the family, because telling
them would put the children at risk; the practice manager confirms that; the
social worker acknowledges the referral, confirms with the GP that the family
does not know and decides that children's social care will tell them,
decides an assessment for each child, records that the family was told of
the intention to visit, and closes the referral with the outcome; the GP
signs in again and sees the outcome. Once with JavaScript and once without.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from thinkfamily.accounts.models import User
from thinkfamily.people.tests.factories import PASSWORD, make_user
from thinkfamily.prompts.tests.family import Family, carter_family
from thinkfamily.referrals.models import Referral
from thinkfamily.tests_browser.signing_in import sign_in, sign_out

pytestmark = pytest.mark.browser

MAKE_SCREENSHOT = Path("/tmp/referral-new.png")
REFERRAL_SCREENSHOT = Path("/tmp/referral.png")
OUTCOME = "Ava and Ben will each have a child and family assessment; a social worker visits Monday."


@pytest.fixture
def family(transactional_db: None) -> Family:
    family = carter_family()
    make_user(family.gp, username="testy.gp", password=PASSWORD)
    make_user(family.gp, User.Role.MANAGER, username="testy.gpmanager", password=PASSWORD)
    make_user(family.csc, User.Role.CSC_WORKER, username="testy.sw", password=PASSWORD)
    return family


def screenshot(page: Page, path: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(path), full_page=True)


def banner(page: Page, text: str) -> None:
    expect(page.locator(".govuk-notification-banner")).to_contain_text(text)


def gp_refers_without_telling_the_family(page: Page, *, javascript: bool) -> None:
    sign_in(page, "testy.gp")
    page.get_by_label("Search for a person").fill("Ava Carter")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Ava Carter").click()
    page.get_by_role("link", name="12 Acacia Road, ZZ1 1AA").click()
    page.get_by_role("link", name="Make a referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Make a referral to children's social care"
    )
    for child in ("Ava Carter", "Ben Carter", "Baby Carter"):
        expect(page.get_by_role("checkbox", name=child)).to_be_checked()

    told = page.get_by_role("group", name="Has the family been told about this referral?")
    who_told = page.get_by_label("Who told them?")
    if javascript:  # the follow-up questions wait for their answer
        expect(who_told).to_be_hidden()
    else:  # without JavaScript every question shows
        expect(who_told).to_be_visible()
    # Sent without an answer, the form names what is missing.
    page.get_by_role("button", name="Make referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select whether the family has been told about this referral")
    expect(summary).to_contain_text("Describe the concerns")

    page.get_by_role("checkbox", name="Baby Carter").uncheck()
    page.get_by_label("If Baby Carter is not on the referral, why not?").fill(
        "Not yet born; the midwife is aware and will follow up."
    )
    page.get_by_label("What are you worried about?").fill(
        "Ben has lost weight since his last review; Ava says there is often no food at home."
    )
    page.get_by_role("checkbox", name="Neglect").check()
    page.get_by_label("What have you done so far?").fill("Weighed Ben; booked a review in a week.")
    told.get_by_role("radio", name="No", exact=True).check()
    page.get_by_role(
        "radio", name="Telling them would place the child at risk of significant harm"
    ).check()
    if javascript:
        expect(who_told).to_be_hidden()
        screenshot(page, MAKE_SCREENSHOT)
    page.get_by_role("button", name="Make referral").click()
    banner(page, "Waiting for a manager to confirm why the family was not told.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Referral about Ben Carter and Ava Carter"
    )
    sign_out(page)


def practice_manager_confirms(page: Page) -> None:
    sign_in(page, "testy.gpmanager")
    page.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_text("1 referral is waiting for you to confirm")).to_be_visible()
    page.get_by_role("table", name="Referrals your agency has made").get_by_role("link").click()
    page.get_by_label("Why do you agree the family should not be told?").fill(
        "Agreed: the father may harm the children if he learns of the referral."
    )
    page.get_by_role("button", name="Confirm and send the referral").click()
    banner(page, "The referral has been sent to children's social care.")
    sign_out(page)


def social_worker_takes_it_through_every_step(page: Page, *, screenshot_it: bool) -> None:
    sign_in(page, "testy.sw")
    page.get_by_role("link", name="Referrals", exact=True).click()
    received = page.get_by_role("table", name="Open referrals received")
    expect(received).to_contain_text("Acknowledge the referral to the referrer")
    received.get_by_role("link").click()

    page.get_by_role("button", name="Acknowledge referral").click()
    banner(page, "Referral acknowledged to the referrer.")

    page.get_by_role(
        "group", name="Has the referrer confirmed that the family knows about the referral?"
    ).get_by_role("radio", name="No", exact=True).check()
    page.get_by_role("radio", name="Children's social care will tell the family").check()
    page.get_by_label("Reason for the decision").fill(
        "We will tell the mother when we visit, with the father not present."
    )
    page.get_by_role("button", name="Confirm family's awareness").click()
    banner(page, "Family's awareness confirmed with the referrer.")

    for child in ("Ava Carter", "Ben Carter"):
        page.get_by_role("group", name=f"Decision for {child}").get_by_role(
            "radio", name="Assessment"
        ).check()
        page.get_by_label(f"Reasons for the decision for {child}").fill(
            f"{child.split()[0]} may not be getting enough to eat."
        )
    if screenshot_it:
        screenshot(page, REFERRAL_SCREENSHOT)
    page.get_by_role("button", name="Record decision").click()
    banner(page, "Decision recorded for each child.")

    page.get_by_role(
        "group", name="Has the family been told that children's social care intends to visit?"
    ).get_by_role("radio", name="Yes", exact=True).check()
    # Today, never a fixed date: the family cannot be told before the referral arrived.
    page.get_by_label("When were they told?").fill(f"{timezone.localdate():%d %m %Y}")
    page.get_by_role("radio", name="By phone").check()
    page.get_by_role("button", name="Record visit intention").click()
    banner(page, "Visit intention recorded.")

    page.get_by_label("What outcome was fed back to the referrer?").fill(OUTCOME)
    page.get_by_role("button", name="Close referral").click()
    banner(page, "Referral closed. The referrer can now see the outcome.")
    sign_out(page)


def gp_sees_the_outcome(page: Page) -> None:
    sign_in(page, "testy.gp")
    page.get_by_role("link", name="Referrals", exact=True).click()
    made = page.get_by_role("table", name="Referrals your agency has made")
    expect(made).to_contain_text(OUTCOME)
    made.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Outcome")).to_be_visible()
    expect(page.locator(".govuk-inset-text").filter(has_text=OUTCOME)).to_be_visible()
    expect(page.get_by_role("table", name="Children on the referral")).to_contain_text(
        "Ava may not be getting enough to eat."
    )
    sign_out(page)


def test_a_gp_refers_without_telling_the_family_and_sees_the_outcome(page: Page, family: Family):
    gp_refers_without_telling_the_family(page, javascript=True)
    practice_manager_confirms(page)
    social_worker_takes_it_through_every_step(page, screenshot_it=True)
    gp_sees_the_outcome(page)
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.CLOSED and referral.outcome_feedback == OUTCOME
    assert referral.steps.count() == 7
    assert MAKE_SCREENSHOT.stat().st_size > 0 and REFERRAL_SCREENSHOT.stat().st_size > 0


def test_the_same_referral_without_javascript(page_without_javascript: Page, family: Family):
    page = page_without_javascript
    gp_refers_without_telling_the_family(page, javascript=False)
    practice_manager_confirms(page)
    social_worker_takes_it_through_every_step(page, screenshot_it=False)
    gp_sees_the_outcome(page)
    assert Referral.objects.get().status == Referral.Status.CLOSED
