from django.urls import path

from thinkfamily.prompts import views

app_name = "prompts"
urlpatterns = [
    path("prompts/", views.worklist, name="worklist"),
    path("prompts/<int:pk>/", views.prompt, name="prompt"),
    path("prompts/response-rates/", views.response_rates_page, name="response_rates"),
    path("invisible-children/", views.invisible_children_page, name="invisible_children"),
    path("people/<int:pk>/concern/", views.concern_new, name="concern_new"),
]
