from django.urls import path

from ewtp.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.public, name="public"),
    path("charts.css", views.charts_css, name="charts_css"),
    path("operator/", views.dashboard, name="dashboard"),
    path("authority/", views.authority, name="authority"),
    path("<str:scope>/<slug:figure>.csv", views.figure_csv, name="csv"),
]
