"""Pages of the rules forum under /rules/proposals/."""

from django.urls import path

from ewtp.forum import views

app_name = "forum"

urlpatterns = [
    path("", views.proposal_index, name="list"),
    path("feed.atom", views.proposal_feed, name="feed"),
    path("draft/", views.proposal_draft_view, name="draft"),
    path("my-products/", views.my_products, name="mine"),
    path("<str:code>/", views.proposal_page, name="detail"),
    path("<str:code>/act/", views.proposal_act, name="act"),
    path("<str:code>/charts/<slug:chart>.csv", views.simulation_chart_csv, name="chart_csv"),
]
