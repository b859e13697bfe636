"""The learning loop's pages under /learning/, and the public page of published findings."""

from django.urls import path

from thinkfamily.learning.views import briefings, public, register

app_name = "learning"

urlpatterns = [
    # The register, action plans and indicators (views/register.py)
    path("learning/reviews/", register.register, name="register"),
    path("learning/reviews/new/", register.review_new, name="review_new"),
    path("learning/reviews/ingest/", register.review_ingest, name="review_ingest"),
    path("learning/reviews/<int:pk>/", register.review, name="review"),
    path("learning/reviews/<int:pk>/edit/", register.review_edit, name="review_edit"),
    path("learning/reviews/<int:pk>/chronology/", register.review_chronology, name="chronology"),
    path("learning/reviews/<int:pk>/publication/", register.publication, name="publication"),
    path("learning/recommendations/<int:pk>/", register.recommendation, name="recommendation"),
    path("learning/actions/", register.actions, name="actions"),
    path("learning/actions/<int:pk>/", register.action, name="action"),
    path("learning/evidence/<int:pk>/", register.evidence_file, name="evidence_file"),
    path("learning/indicators/", register.indicators, name="indicators"),
    # Briefings, sessions, reach, the public page and search are added below (views/briefings.py,
    # views/public.py).
    path("learning/briefings/", briefings.briefings, name="briefings"),
    path("learning/briefings/new/", briefings.briefing_new, name="briefing_new"),
    path("learning/briefings/<int:pk>/", briefings.briefing, name="briefing"),
    path("learning/briefings/<int:pk>/edit/", briefings.briefing_edit, name="briefing_edit"),
    path("learning/briefings/<int:pk>/briefing.pdf", briefings.briefing_pdf, name="briefing_pdf"),
    path(
        "learning/briefings/<int:pk>/sessions/",
        briefings.briefing_sessions,
        name="briefing_sessions",
    ),
    path("learning/reach/", briefings.reach, name="reach"),
    path("learning/reviews/search/", public.search, name="search"),
    path("published-findings/", public.public, name="public"),
    path("published-findings/<int:pk>/", public.public_review, name="public_review"),
]
