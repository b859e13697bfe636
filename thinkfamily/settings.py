"""Django settings, read from the environment.

Everything that differs between a laptop demo, CI and production comes from an
environment variable with a safe local default: ``DATABASE_URL`` (a SQLite file
under ``var/`` by default), ``SECRET_KEY``, ``DEBUG`` and ``ALLOWED_HOSTS``.
No secret is committed: the default key is only accepted while DEBUG is on.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("THINKFAMILY_VAR_DIR", BASE_DIR / "var"))
#: The trained linkage model (``thinkfamily link --retrain`` writes it).
LINKAGE_MODEL_PATH = Path(
    os.environ.get("THINKFAMILY_LINKAGE_MODEL", VAR_DIR / "linkage" / "model.json")
)

DEBUG = os.environ.get("DEBUG", "true").lower() in {"1", "true", "yes"}
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "thinkfamily.core",
    "thinkfamily.accounts",
    "thinkfamily.audit",
    "thinkfamily.people",
    "thinkfamily.events",
    "thinkfamily.extracts",
    "thinkfamily.matching",
    "thinkfamily.prompts",
    "thinkfamily.families",
    "thinkfamily.referrals",
    "thinkfamily.conversations",
    "thinkfamily.agreements",
    "thinkfamily.learning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "thinkfamily.urls"
WSGI_APPLICATION = "thinkfamily.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'thinkfamily.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while an import writes; IMMEDIATE makes a
    # writer take its lock up front instead of failing half-way with "locked".
    # Tests use a file too (not SQLite's shared in-memory database, whose table locks fail
    # at once instead of waiting), so concurrent writers behave as they do in the app.
    # One file per test run, so two runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
#: Think Sibling (see thinkfamily/prompts/rules.py): each may be set from the environment.
THINK_SIBLING = {
    name: int(os.environ[f"THINKFAMILY_{name}"])
    for name in (
        "CONCERN_WINDOW_DAYS",
        "RESPONSE_WORKING_DAYS",
        "NOT_SEEN_DAYS",
        "PRESCHOOL_BELOW_AGE",
        "NEW_PARTNER_DAYS",
    )
    if f"THINKFAMILY_{name}" in os.environ
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["thinkfamily.accounts.backends.SafeguardingAccessBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "people:search"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

# The published serious case review Think Family was built from (in the shared folder beside
# the project): the demo ingests it and the tests check the extractor reads it exactly.
THINKFAMILY_REFERENCE_REVIEW = Path(
    os.environ.get(
        "THINKFAMILY_REFERENCE_REVIEW",
        BASE_DIR.parent / "shared" / "reference" / "serious-case-review-H.txt",
    )
)

# Uploaded evidence of actions. Never served as static files: the evidence view checks access.
MEDIA_ROOT = Path(os.environ.get("THINKFAMILY_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# Larger uploads spill to a temporary file rather than memory; services check their own limits.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# GOV.UK Frontend comes from npm (package.json); its Sass is compiled into
# build/static with the asset path pointed at STATIC_URL (see the Makefile).
STATICFILES_DIRS = [
    path
    for path in (
        BASE_DIR / "build" / "static",
        BASE_DIR / "node_modules" / "govuk-frontend" / "dist",
    )
    if path.exists()
]
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
