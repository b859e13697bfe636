from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "thinkfamily.audit"
    label = "audit"
