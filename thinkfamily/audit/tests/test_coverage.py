"""Every download and every search leaves an audit entry (issue 8: "exports and searches are
audited as well as views").

The downloads are found, not listed by hand: every function in the project
whose body builds a download (``Content-Disposition``, ``FileResponse``, a PDF
or CSV content type) must have a case below, so a new export view fails here
until it has one. The searches are the URLs named ``…search``. Each case calls
the view as a user who may use it and checks the entry's action and subject.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import thinkfamily
from thinkfamily.accounts.models import Agency, User
from thinkfamily.audit.models import AuditEvent
from thinkfamily.learning.models import Briefing, Evidence
from thinkfamily.learning.tests.helpers import a_recommendation, a_review, an_action
from thinkfamily.people.models import HouseholdMembership
from thinkfamily.people.tests.factories import (
    make_agency,
    make_household,
    make_person_with_record,
    make_user,
)

pytestmark = pytest.mark.django_db

ROOT = Path(thinkfamily.__file__).parent
DOWNLOAD_MARKERS = ("Content-Disposition", "FileResponse", "application/pdf", "text/csv")


def _functions_building_downloads() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if {"tests", "tests_browser", "migrations"} & set(relative.parts):
            continue
        source = path.read_text()
        if not any(marker in source for marker in DOWNLOAD_MARKERS):
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                body = ast.get_source_segment(source, node) or ""
                if any(marker in body for marker in DOWNLOAD_MARKERS):
                    found.add(f"{relative.as_posix()}:{node.name}")
    return found


def _search_url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and "search" in pattern.name:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    school = make_agency("SCH-COV", Agency.AgencyType.SCHOOL, "Coverage School")
    csc = make_agency("CSC-COV", Agency.AgencyType.CSC, "Coverage Social Care")
    child = make_person_with_record(school, "Coverage", "Child", dt.date(2016, 5, 5))
    household = make_household([(child, HouseholdMembership.Role.CHILD)], reported_by=school)
    return {
        "school": school,
        "child": child,
        "household": household,
        "teacher": make_user(school),
        "csc_worker": make_user(csc, User.Role.CSC_WORKER),
        "csc_manager": make_user(csc, User.Role.CSC_MANAGER),
        "auditor": make_user(csc, User.Role.AUDITOR),
    }


def _as(user: User) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


# Each case: call the view as a permitted user; give the action and subject its entry must have.
Case = Callable[[dict], tuple[object, str, str, str]]


def _chronology_pdf(world):
    pk = world["household"].pk
    response = _as(world["csc_worker"]).get(reverse("events:chronology_pdf", args=[pk]))
    return response, AuditEvent.Action.EXPORT, "household", str(pk)


def _annex_a(world):
    url = reverse("referrals:annex_a_download", args=[3])
    response = _as(world["csc_manager"]).get(url, {"start": "2026-03-02", "end": "2026-09-14"})
    return response, AuditEvent.Action.EXPORT, "annex_a", "list-3"


def _briefing_pdf(world):
    from thinkfamily.learning.tests.helpers import partnership_manager

    briefing = Briefing.objects.create(
        written_by=partnership_manager(),
        title="Think Sibling",
        background="Child H lived with two preschool siblings.",
        why_it_matters="The siblings were not seen.",
        findings="Nobody asked who lived in the home.",
        what_to_do="Ask who lives in the home.",
        questions="Who lives here?",
    )
    response = _as(world["teacher"]).get(reverse("learning:briefing_pdf", args=[briefing.pk]))
    return response, AuditEvent.Action.EXPORT, "briefing", str(briefing.pk)


def _evidence_file(world):
    from thinkfamily.learning.tests.helpers import partnership_manager

    manager = partnership_manager()
    action = an_action(a_recommendation(a_review(by=manager)), by=manager)
    evidence = Evidence.objects.create(
        action=action,
        kind="file",
        file=SimpleUploadedFile("register.pdf", b"%PDF-1.7\n"),
        file_name="register.pdf",
        added_by=manager,
    )
    response = _as(manager).get(reverse("learning:evidence_file", args=[evidence.pk]))
    return response, AuditEvent.Action.EXPORT, "evidence", str(evidence.pk)


def _access_log_csv(world):
    pk = world["child"].pk
    response = _as(world["auditor"]).get(reverse("audit:access_log_csv", args=[pk]))
    return response, AuditEvent.Action.EXPORT, "person", str(pk)


def _people_search(world):
    response = _as(world["teacher"]).get(reverse("people:search"), {"q": "Coverage"})
    return response, AuditEvent.Action.SEARCH, "", ""


def _learning_search(world):
    response = _as(world["teacher"]).get(reverse("learning:search"), {"q": "sibling"})
    return response, AuditEvent.Action.SEARCH, "case_review", ""


DOWNLOADS: dict[str, Case] = {
    "events/views.py:chronology_pdf_download": _chronology_pdf,
    "referrals/reports.py:annex_a_download": _annex_a,
    "learning/views/briefings.py:briefing_pdf": _briefing_pdf,
    "learning/views/register.py:evidence_file": _evidence_file,
    "audit/views.py:access_log_csv": _access_log_csv,
}
SEARCHES: dict[str, Case] = {
    "people:search": _people_search,
    "learning:search": _learning_search,
}


def test_every_function_that_builds_a_download_has_a_case_here():
    assert _functions_building_downloads() == set(DOWNLOADS)


def test_every_search_page_has_a_case_here():
    assert _search_url_names() == set(SEARCHES)


@pytest.mark.parametrize("name", [*DOWNLOADS, *SEARCHES])
def test_each_download_and_search_writes_an_audit_entry_of_the_right_action(world, name):
    case = {**DOWNLOADS, **SEARCHES}[name]
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response, action, object_type, object_id = case(world)
    assert response.status_code == 200, name
    written = AuditEvent.objects.filter(id__gt=before)
    assert written.filter(action=action, object_type=object_type, object_id=object_id).exists(), (
        f"{name}: no {action} entry about {object_type or 'nothing'} {object_id}; "
        f"wrote {list(written.values_list('action', 'object_type', 'object_id'))}"
    )
