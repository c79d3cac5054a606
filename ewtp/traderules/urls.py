from django.urls import path

from ewtp.traderules import views

app_name = "traderules"

urlpatterns = [
    path("", views.rules_home, name="home"),
]
