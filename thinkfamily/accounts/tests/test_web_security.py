"""The web protections around every page: password hashing, sessions, cookies, the
Content Security Policy, error pages that give nothing away, and production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.hashers import check_password
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse

from thinkfamily.accounts.models import Agency, User
from thinkfamily.people.tests.factories import PASSWORD, make_agency, make_user

SEARCH = reverse("people:search")


@pytest.fixture
def partnership() -> User:
    csc = make_agency("CSC-TEST", Agency.AgencyType.CSC, "Children's social care")
    return make_user(csc, User.Role.PARTNERSHIP_MANAGER, username="testy.partnership")


# Passwords


@pytest.mark.django_db
def test_a_new_password_is_stored_with_argon2():
    user = make_user(make_agency("SCH-1", Agency.AgencyType.SCHOOL, "School"), password=PASSWORD)

    assert user.password.startswith("argon2$argon2id$")
    assert check_password(PASSWORD, user.password)


@pytest.mark.django_db
def test_an_older_pbkdf2_password_still_signs_in_and_is_upgraded_to_argon2(client):
    from django.contrib.auth.hashers import make_password

    user = make_user(make_agency("SCH-1", Agency.AgencyType.SCHOOL, "School"), username="old")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()

    client.post(reverse("accounts:login"), {"username": "old", "password": PASSWORD})

    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# Sessions and cookies


def test_sessions_end_after_thirty_minutes_idle_and_when_the_browser_closes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


@pytest.mark.django_db
def test_the_session_cookie_is_httponly_lax_and_has_no_expiry_date(client, partnership):
    client.force_login(partnership)

    response = client.get(SEARCH)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["expires"] == ""  # a browser-session cookie: gone when the browser closes
    assert client.session.get_expiry_age() == 30 * 60


@pytest.mark.django_db
def test_each_request_pushes_the_idle_limit_back(client, partnership):
    client.force_login(partnership)

    response = client.get(SEARCH)

    assert settings.SESSION_COOKIE_NAME in response.cookies


@pytest.mark.django_db
def test_an_idle_session_has_expired(client, partnership):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(partnership)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )

    response = client.get(SEARCH)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert SessionStore(session_key=key).load() == {}


# Content Security Policy


def every_url_pattern() -> Iterator[tuple[str, str]]:
    """(name, a URL) for every pattern the project defines, with 1 for each argument."""

    def walk(patterns: list, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                url = "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)
                yield f"{namespace}{pattern.name}", url

    yield from walk(get_resolver().url_patterns, "", "")


def assert_strict_policy(response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy
    assert "img-src 'self' data:" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


URL_PATTERNS = sorted(set(every_url_pattern()))


def test_the_url_walk_finds_every_app():
    names = {name.split(":")[0] for name, _ in URL_PATTERNS}
    assert {"accounts", "people", "matching", "learning", "referrals"} <= names
    assert len(URL_PATTERNS) > 50


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), URL_PATTERNS, ids=[name for name, _ in URL_PATTERNS])
def test_every_page_has_the_strict_content_security_policy(client, partnership, name, url):
    client.force_login(partnership)

    response = client.get(url)

    assert response.status_code < 500, (name, url, response.status_code)
    assert_strict_policy(response)


@pytest.mark.django_db
def test_pages_for_anonymous_users_have_the_policy_too(client):
    for url in (reverse("accounts:login"), reverse("learning:public"), "/no-such-page/"):
        assert_strict_policy(client.get(url))


@pytest.mark.django_db
def test_no_page_has_an_inline_script_or_style(client, partnership):
    client.force_login(partnership)
    for url in (SEARCH, reverse("accounts:login"), reverse("learning:public")):
        page = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert not re.search(r"\son[a-z]+=", page), url
        assert "<style" not in page, url


# Error pages


@login_not_required
def _boom(request):
    raise RuntimeError("secret-exception-text db-password=hunter2")


urlpatterns = [path("boom/", _boom), *get_resolver().url_patterns]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_shows_the_generic_page_without_the_exception():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "secret-exception-text" not in page
    assert "hunter2" not in page
    assert "Traceback" not in page
    assert "RuntimeError" not in page
    assert_strict_policy(response)


@pytest.mark.django_db
def test_a_missing_page_shows_the_generic_page(client):
    response = client.get("/published-findings/999999/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_form_shows_the_generic_page(partnership):
    client = Client(enforce_csrf_checks=True)
    client.force_login(partnership)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form could not be sent" in page
    assert "CSRF" not in page


def test_the_error_pages_render_without_a_request_or_database():
    from django.template.loader import get_template

    for name in ("500.html", "403_csrf.html"):
        assert "Think Family" in get_template(name).render({})


# Production settings

PRODUCTION_ENVIRONMENT = {
    "THINKFAMILY_ENVIRONMENT": "production",
    "SECRET_KEY": "a-long-random-production-key-" + "x7Qp2mV9sL4kR8wN3" * 3,
    "ALLOWED_HOSTS": "thinkfamily.example.org",
    "DATABASE_URL": "sqlite:////tmp/thinkfamily-deploy-check.sqlite3",
}


def run_thinkfamily(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    keep = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    keep.pop("DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "thinkfamily.cli", *args],
        env=keep | environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_in_production_settings():
    result = run_thinkfamily(
        "check", "--deploy", "--fail-level", "WARNING", environment=PRODUCTION_ENVIRONMENT
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    environment = {k: v for k, v in PRODUCTION_ENVIRONMENT.items() if k != missing}

    result = run_thinkfamily("check", environment=environment)

    assert result.returncode != 0
    assert f"{missing} must be set in the environment in production" in result.stderr


@pytest.mark.slow
def test_production_settings_turn_every_protection_on():
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS, s.THINKFAMILY_REQUIRE_TWO_FACTOR)"
    )
    keep = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=keep | PRODUCTION_ENVIRONMENT | {"DJANGO_SETTINGS_MODULE": "thinkfamily.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.split() == [
        "False", "True", "31536000", "True", "True", "True", "True", "DENY", "True"
    ], result.stderr  # fmt: skip
