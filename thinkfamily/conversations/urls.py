from django.urls import path

from thinkfamily.conversations import views

app_name = "conversations"
urlpatterns = [
    path("conversations/", views.worklist, name="worklist"),
    path("conversations/new/", views.conversation_new, name="new"),
    path("conversations/compliance/", views.compliance, name="compliance"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("conversations/<int:pk>/amend/", views.conversation_amend_page, name="amend"),
    path("conversations/actions/<int:pk>/close/", views.action_close, name="action_close"),
]
