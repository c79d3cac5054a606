from django.urls import path

from ewtp.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("operator/", views.operator_overview, name="operator_overview"),
    path("preferences/", views.preferences_set, name="preferences"),
    path("language/", views.language_set, name="language"),
    path("charts.css", views.charts_css, name="charts_css"),
    path(".well-known/ewtp-keys.json", views.signing_keys, name="signing_keys"),
]
