from django.urls import path

from thinkfamily.matching import views

app_name = "matching"
urlpatterns = [
    path("review/", views.review_list, name="review"),
    path("review/<int:pk>/", views.candidate, name="candidate"),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:pk>/undo/", views.merge_undo_page, name="merge_undo"),
    path("parallel-records/", views.parallel_records, name="parallel_records"),
]
