from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "thinkfamily.conversations"
    verbose_name = "Professional conversations"
