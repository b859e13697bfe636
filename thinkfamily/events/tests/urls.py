"""The site's URLs with the events app's included, until the project's urls.py includes them."""

from django.urls import include, path

from thinkfamily.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("", include("thinkfamily.events.urls")),
]
