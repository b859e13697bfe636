from django.urls import path

from thinkfamily.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/code/", views.TwoFactorView.as_view(), name="two_factor"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
]
