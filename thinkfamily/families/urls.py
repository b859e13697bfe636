from django.urls import path

from thinkfamily.families import views

app_name = "families"
urlpatterns = [
    path("households/<int:pk>/", views.family, name="family"),
]
