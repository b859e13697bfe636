from django.urls import path

from thinkfamily.referrals import views

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.worklist, name="worklist"),
    path("referrals/new/", views.referral_new, name="new"),
    path("referrals/<int:pk>/", views.referral, name="referral"),
]
