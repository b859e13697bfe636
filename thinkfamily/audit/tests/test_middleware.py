import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from thinkfamily.audit.context import current_request_id
from thinkfamily.audit.middleware import RequestIdMiddleware
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record


def _serve(header: str | None) -> tuple[str, str]:
    seen: list[str] = []

    def view(request):
        seen.append(current_request_id())
        return HttpResponse()

    extra = {"HTTP_X_REQUEST_ID": header} if header is not None else {}
    response = RequestIdMiddleware(view)(RequestFactory().get("/", **extra))
    return seen[0], response["X-Request-ID"]


def test_a_well_formed_request_id_from_the_proxy_is_kept_and_echoed():
    assert _serve("lb-7f3a.2_x") == ("lb-7f3a.2_x", "lb-7f3a.2_x")


@pytest.mark.parametrize("offered", [None, "", "a b", "x" * 65, "id;drop", "ünïcode"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(offered):
    inside, echoed = _serve(offered)
    assert inside == echoed and inside != offered and len(inside) == 32
    int(inside, 16)  # a uuid4 in hex


def test_the_request_id_does_not_outlive_the_request():
    _serve("one-request")
    assert current_request_id() == ""


@pytest.mark.django_db
def test_entries_written_while_serving_a_page_carry_its_request_id():
    def view(request):
        return HttpResponse(audit_record(actor=None, action=AuditEvent.Action.SEARCH).request_id)

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-1"))
    assert response.content == b"abc-1"
    assert audit_record(actor=None, action=AuditEvent.Action.SEARCH).request_id == ""


def test_the_middleware_is_first_so_every_entry_is_stamped(settings):
    assert settings.MIDDLEWARE[0] == "thinkfamily.audit.middleware.RequestIdMiddleware"
