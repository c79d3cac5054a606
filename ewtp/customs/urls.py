from django.urls import path

from ewtp.customs import views

app_name = "customs"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("figures/", views.figures, name="figures"),
    path("declarations/<uuid:public_id>/", views.declaration, name="declaration"),
    path(
        "declarations/<uuid:public_id>/data.<str:fmt>",
        views.declaration_data,
        name="declaration_data",
    ),
    path("parcels/<str:code>/invoice.pdf", views.invoice, name="invoice"),
    path("parcels/<str:code>/postal-form.pdf", views.postal_form, name="postal_form"),
    path(
        "parcels/<str:code>/origin-statement.txt", views.origin_statement, name="origin_statement"
    ),
    path("parcels/<str:code>/drafts/<str:kind>.<str:fmt>", views.draft_data, name="draft_data"),
    path("parcels/<str:code>/submit/", views.submit, name="submit"),
    path("traders/<slug:slug>/", views.trader_profile, name="trader_profile"),
]
