from django.urls import path

from thinkfamily.audit import views

app_name = "audit"
urlpatterns = [
    path("people/<int:pk>/access-log/", views.access_log, name="access_log"),
    path("people/<int:pk>/access-log.csv", views.access_log_csv, name="access_log_csv"),
]
