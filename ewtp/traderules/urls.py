"""Pages of trade rules under /rules/."""

from django.urls import path

from ewtp.traderules import views

app_name = "traderules"

urlpatterns = [
    path("", views.rules_home, name="home"),
    path("territories/<str:code>/", views.territory_detail, name="territory"),
    path("sources/", views.source_list, name="sources"),
    path("sources/<str:code>/", views.source_detail, name="source"),
    path("hs/", views.hs_browse, name="hs"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("quote/", views.quote_calculator, name="quote"),
    path("quote/hs/", views.quote_hs, name="quote_hs"),
    path("quote/hs/pick/", views.quote_hs_pick, name="quote_hs_pick"),
    path("versions/", views.version_list, name="versions"),
    path("versions/<str:label>/", views.version_detail, name="version"),
    path("fx/", views.fx_list, name="fx"),
    path("fx/enter/", views.fx_enter, name="fx_enter"),
    path("steward/", views.steward, name="steward"),
    path("steward/publication/<int:pk>/", views.publication, name="publication"),
    path("steward/schedule/", views.steward_schedule, name="steward_schedule"),
    path("steward/<str:table>/", views.steward_table, name="steward_table"),
    path("steward/<str:table>/add/", views.steward_row_edit, name="steward_add"),
    path("steward/<str:table>/<int:pk>/", views.steward_row_edit, name="steward_edit"),
    path("steward/<str:table>/<int:pk>/delete/", views.steward_row_delete, name="steward_delete"),
]
