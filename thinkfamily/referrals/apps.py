from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "thinkfamily.referrals"
    verbose_name = "Referrals"
