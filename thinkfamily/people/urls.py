from django.urls import path

from thinkfamily.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("people/<int:pk>/", views.person, name="person"),
]
