from django.urls import path

app_name = "tourism"

urlpatterns: list = []
