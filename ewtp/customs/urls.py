from django.urls import path

app_name = "customs"

urlpatterns: list = []
