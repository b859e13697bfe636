from django.urls import path

from thinkfamily.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("people/<int:pk>/", views.person, name="person"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/reviews/", views.break_glass_reviews, name="break_glass_reviews"),
    path("break-glass/reviews/<int:pk>/", views.break_glass_opening, name="break_glass_opening"),
]
