from django.urls import path

from thinkfamily.events import views

app_name = "events"
urlpatterns = [
    path(
        "households/<int:pk>/chronology.pdf",
        views.chronology_pdf_download,
        name="chronology_pdf",
    ),
]
