from django.urls import path

from thinkfamily.agreements import views

app_name = "agreements"
urlpatterns = [
    path("agreements/", views.register, name="register"),
    path("agreements/new/", views.agreement_new, name="new"),
    path("agreements/<int:pk>/", views.agreement, name="agreement"),
    path("agreements/settings/", views.policy, name="policy"),
    path("agreements/compliance/", views.compliance, name="compliance"),
]
