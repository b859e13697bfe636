"""The learning loop in headless Chromium, from a published report to the public page.

A partnership manager uploads the reference serious case review, checks the draft and
confirms it; gives recommendation 6 ("Think Sibling") an action and an indicator measured
from the record; writes the 7-minute briefing and downloads its one-page PDF; and
publishes the review. A visitor with no account then reads its lessons and
recommendations on the public page, and nothing the partnership did not publish.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from thinkfamily.accounts.models import Agency, User
from thinkfamily.learning.models import Briefing, CaseReview, PlanAction
from thinkfamily.learning.tests.helpers import REFERENCE_REVIEW
from thinkfamily.people.tests.factories import PASSWORD, make_agency, make_user
from thinkfamily.tests_browser.signing_in import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def partnership(transactional_db: None) -> User:
    csc = make_agency("CSC", Agency.AgencyType.CSC, "Children's social care")
    make_agency("SCH-OAK", Agency.AgencyType.SCHOOL, "Oak Primary School")
    return make_user(
        csc, User.Role.PARTNERSHIP_MANAGER, username="testy.partnership", password=PASSWORD
    )


def test_a_published_report_becomes_an_action_plan_a_briefing_and_public_findings(
    page: Page, partnership: User
) -> None:
    sign_in(page, "testy.partnership")
    page.get_by_role("link", name="Case reviews").click()
    page.get_by_role("link", name="Draft a review from its published report").click()
    page.get_by_label("The review document").set_input_files(str(REFERENCE_REVIEW))
    page.get_by_label("Reference").fill("SCR-H")
    page.get_by_role("radio", name="Serious case review (legacy)").check()
    page.get_by_role("button", name="Read the report").click()

    # The draft: six recommendations with their addressees, and the review's lessons.
    expect(page.get_by_text("Drafted 6 recommendations, 8 lessons")).to_be_visible()
    expect(page.get_by_role("heading", name="Draft to confirm")).to_be_visible()
    table = page.get_by_role("table", name="Recommendations")
    expect(table.get_by_role("row")).to_have_count(7)
    expect(table.get_by_role("row").nth(2)).to_contain_text("Cafcass")
    expect(table.get_by_role("row").nth(5)).to_contain_text("Education")
    expect(page.get_by_text("Working in partnership with families", exact=True)).to_be_visible()
    page.get_by_label("The child's pseudonym").fill("Child H")
    page.get_by_role("button", name="Confirm the review").click()
    expect(page.get_by_text("SCR-H is confirmed on the register.")).to_be_visible()

    # Recommendation 6: an action owned by a school, and an indicator from the record.
    page.get_by_role("link", name="The LSCB considers how to ensure that the message").click()
    expect(page.get_by_role("heading", name="Recommendation 6")).to_be_visible()
    page.get_by_label("What will be done?").fill(
        "Brief every school's designated safeguarding lead on Think Sibling."
    )
    page.get_by_label("Which agency owns it?").select_option(label="Oak Primary School")
    due = timezone.localdate() + dt.timedelta(days=60)
    page.get_by_label("When is it due?").fill(f"{due.day} {due.month} {due.year}")
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("The action is added to the plan.")).to_be_visible()
    indicator = "Think Sibling prompts answered within 5 working days"
    page.get_by_role("checkbox", name=indicator).check()
    page.get_by_label(f"Target for “{indicator}” (%)").fill("95")
    page.get_by_role("button", name="Save the indicators").click()
    expect(page.get_by_text("The indicators are saved.")).to_be_visible()
    expect(page.get_by_role("img", name="Think Sibling prompts answered")).to_be_visible()
    expect(page.get_by_text("Target 95%", exact=True)).to_be_visible()

    # The 7-minute briefing, and its one-page PDF.
    page.get_by_role("link", name="SCR-H").first.click()
    page.get_by_role("link", name="Write a briefing").click()
    page.get_by_label("Title").fill("Think Sibling")
    page.get_by_label("1. Background").fill("A two-year-old was nearly invisible.")
    page.get_by_label("2. Why it matters").fill("Preschool children are seen least.")
    page.get_by_label("3. Findings").fill("Each agency looked only at its own client.")
    page.get_by_label("4. What to do").fill("Answer every sibling prompt within five days.")
    page.get_by_label("5. Questions to reflect on").fill("Who else lives with this child?")
    page.get_by_role("button", name="Save briefing").click()
    expect(page.get_by_role("heading", name="Think Sibling")).to_be_visible()
    link = page.get_by_role("link", name="Download the one-page briefing (PDF)")
    response = page.request.get(link.get_attribute("href") or "")  # with the session's cookies
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.body()))
    assert len(pdf.pages) == 1
    assert "Questions to reflect on" in pdf.pages[0].extract_text()

    # Publication: the lessons and recommendations, with a statement of progress.
    page.goto(CaseReview.objects.get(reference="SCR-H").get_absolute_url())
    page.get_by_role("link", name="Publication").click()
    page.get_by_label("Title to publish").fill("Learning from Child H")
    page.get_by_label("Summary to publish").fill("What the partnership learnt from Child H.")
    for lesson in ("Lesson learnt 5", "Lesson learnt 6"):  # “Think Sibling”; partnership
        page.get_by_role("checkbox", name=lesson, exact=True).check()
    page.get_by_role("checkbox", name="Recommendation 6", exact=True).check()
    page.get_by_label("Progress on recommendation 6, to publish").fill("Briefings under way.")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Save publication").click()
    expect(page.get_by_text("SCR-H is published.")).to_be_visible()

    # The public page, signed out.
    page.get_by_role("button", name="Sign out").click()
    page.goto("/published-findings/")
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    page.get_by_role("link", name="Learning from Child H").click()
    expect(page.get_by_text("Working in partnership with families", exact=True)).to_be_visible()
    expect(page.get_by_text("Briefings under way.")).to_be_visible()
    expect(page.get_by_text("The LSCB considers how to ensure")).to_be_visible()
    # Unpublished: the other recommendations, the register's title, the action.
    expect(page.get_by_text("Cafcass to consider")).to_have_count(0)
    expect(page.get_by_text("Brief every school's designated")).to_have_count(0)
    expect(page.get_by_text("situation was not unusual")).to_have_count(0)  # lesson 1

    review = CaseReview.objects.get(reference="SCR-H")
    assert review.is_published and review.child_pseudonym == "Child H"
    assert PlanAction.objects.filter(recommendation__review=review).count() == 1
    assert Briefing.objects.get().review == review
