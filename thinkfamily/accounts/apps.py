from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "thinkfamily.accounts"
    label = "accounts"
