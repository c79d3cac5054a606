from django.urls import path

from ewtp.logistics import views

app_name = "logistics"

urlpatterns = [
    path("", views.hub_dashboard, name="hub_dashboard"),
    path("seller/", views.seller_orders, name="seller_orders"),
    path("seller/orders/<uuid:public_id>/", views.pack, name="pack"),
    path("track/<str:code>/", views.track, name="track"),
    path("parcels/<str:code>/", views.parcel, name="parcel"),
    path("parcels/<str:code>/label.pdf", views.label, name="label"),
    path("parcels/<str:code>/<slug:action>/", views.parcel_action, name="parcel_action"),
    path("shipments/<uuid:public_id>/", views.shipment, name="shipment"),
    path(
        "shipments/<uuid:public_id>/manifest.pdf",
        views.shipment_manifest,
        name="shipment_manifest",
    ),
    path(
        "shipments/<uuid:public_id>/<slug:action>/", views.shipment_action, name="shipment_action"
    ),
    path("<str:code>/", views.hub, name="hub"),
    path("<str:code>/intake/", views.intake, name="intake"),
    path("<str:code>/intake/batch/", views.intake_batch, name="intake_batch"),
    path("<str:code>/shipments/", views.consolidate, name="consolidate"),
]
