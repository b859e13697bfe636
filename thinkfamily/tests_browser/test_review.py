"""A children's social care manager reviews a candidate pair in headless Chromium.

The GP knows Thomas Testfamily; the school knows "Tom" Testfamily, born the
same day. The manager opens the pair, reads the evidence, confirms it (one
child, known to both agencies), then undoes the merge from the merges page
(two people again): once with JavaScript and once without.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from thinkfamily.accounts.models import Agency, User
from thinkfamily.matching.models import CandidatePair, Merge
from thinkfamily.matching.tests.factories import make_candidate
from thinkfamily.people.models import Person
from thinkfamily.people.tests.factories import (
    NHS_NUMBERS,
    PASSWORD,
    make_agency,
    make_person_with_record,
    make_user,
)
from thinkfamily.tests_browser.signing_in import sign_in

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/candidate.png")


@pytest.fixture
def pair(transactional_db: None) -> CandidatePair:
    gp = make_agency("GP-T00001", Agency.AgencyType.GP, "Testwood Medical Practice")
    school = make_agency("SCH-TESTWOOD", Agency.AgencyType.SCHOOL, "Testwood Primary School")
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Testshire Children's Services")
    thomas = make_person_with_record(
        gp, "Thomas", "Testfamily", dt.date(2019, 4, 3), nhs=NHS_NUMBERS[0], sex="M"
    )
    tom = make_person_with_record(school, "Tom", "Testfamily", dt.date(2019, 4, 3), sex="M")
    make_user(csc, User.Role.CSC_MANAGER, username="testy.manager", password=PASSWORD)
    return make_candidate(tom.records.get(), thomas.records.get(), probability=0.875)


def review_confirm_and_undo(page: Page, pair: CandidatePair) -> None:
    tom = Person.objects.get(given_name="Tom")
    sign_in(page, "testy.manager")

    page.get_by_role("link", name="Review pairs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review candidate pairs")
    expect(page.get_by_role("table")).to_contain_text("87.5%")
    page.get_by_role("link", name="Review Thomas Testfamily and Tom Testfamily").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Are these the same person?")
    side_by_side = page.get_by_role("table", name="The two records side by side")
    expect(side_by_side).to_contain_text("Testwood Primary School")
    expect(side_by_side).to_contain_text("Testwood Medical Practice")
    evidence = page.get_by_role("table", name="How the model compared them")
    expect(evidence).to_contain_text("nickname or short form")
    expect(evidence).to_contain_text("+3.21")
    expect(evidence.get_by_text("For a match")).to_have_count(2)
    expect(evidence.get_by_text("Against")).to_have_count(1)

    page.get_by_label("Yes, the same person").check()
    page.get_by_role("button", name="Save decision").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thomas Testfamily")
    expect(page.get_by_text("The two records are now one person.")).to_be_visible()
    records = page.get_by_role("table", name="Agency records")
    expect(records).to_contain_text("Testwood Medical Practice")
    expect(records).to_contain_text("Testwood Primary School")
    expect(records).to_contain_text("Tom Testfamily")
    assert Person.objects.filter(given_name__in=["Tom", "Thomas"]).count() == 1

    page.get_by_role("link", name="Merges").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merges")
    page.get_by_role("link", name="Undo merge into Thomas Testfamily").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Undo merge")
    expect(page.get_by_text(f"Tom Testfamily (person {tom.pk}) was merged into")).to_be_visible()
    page.get_by_label("Why are you undoing this merge?").fill("Cousins of one name")
    page.get_by_role("button", name="Undo merge").click()

    expect(page.get_by_text("are two people again")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Undone")
    assert Person.objects.filter(given_name__in=["Tom", "Thomas"]).count() == 2
    assert Merge.objects.get().is_undone
    pair.refresh_from_db()
    assert pair.status == CandidatePair.Status.REJECTED


def test_a_manager_confirms_a_pair_then_undoes_the_merge(page: Page, pair: CandidatePair):
    review_confirm_and_undo(page, pair)


def test_reviewing_works_without_javascript(page_without_javascript: Page, pair: CandidatePair):
    review_confirm_and_undo(page_without_javascript, pair)


def test_candidate_page_screenshot(page: Page, pair: CandidatePair):
    """Leaves /tmp/candidate.png, to look at the pair as a reviewer sees it."""
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "testy.manager")
    page.goto(pair.get_absolute_url())

    page.screenshot(path=str(SCREENSHOT), full_page=True)

    assert SCREENSHOT.stat().st_size > 0
