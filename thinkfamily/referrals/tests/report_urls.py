"""The site's URLs plus the referral report pages, until ``referrals/urls.py`` lists them.

Temporary: delete this module (and the tests' ``@pytest.mark.urls``) once
``referrals/urls.py`` has the report paths and ``thinkfamily/urls.py``
includes it. The "referrals" namespace here is listed first so it is the one
``reverse`` uses, and it carries the real referral pages too when they exist,
so the base layout's links resolve either way.
"""

from django.urls import URLPattern, URLResolver, include, path

from thinkfamily.referrals import reports
from thinkfamily.urls import urlpatterns as site_urlpatterns

report_patterns: list[URLPattern | URLResolver] = [
    path("referrals/annex-a/", reports.annex_a_page, name="annex_a"),
    path(
        "referrals/annex-a/list-<int:number>.csv", reports.annex_a_download, name="annex_a_download"
    ),
    path("referrals/measures/", reports.referral_measures_page, name="measures"),
]

try:
    from thinkfamily.referrals.urls import urlpatterns as referral_patterns
except ImportError:
    referral_patterns = []

urlpatterns = [
    path("", include((report_patterns + list(referral_patterns), "referrals"))),
    *site_urlpatterns,
]
