from django.urls import path

from thinkfamily.referrals import reports, views

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.worklist, name="worklist"),
    path("referrals/new/", views.referral_new, name="new"),
    path("referrals/<int:pk>/", views.referral, name="referral"),
    path("referrals/annex-a/", reports.annex_a_page, name="annex_a"),
    path(
        "referrals/annex-a/list-<int:number>.csv",
        reports.annex_a_download,
        name="annex_a_download",
    ),
    path("referrals/measures/", reports.referral_measures_page, name="measures"),
]
