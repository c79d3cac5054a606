from django.urls import path

from ewtp.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("s/<slug:slug>/", views.seller, name="seller"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("photos/<uuid:public_id>/<str:size>.jpg", views.photo, name="photo"),
    path("sell/", views.dashboard_index, name="seller_dashboard"),
    path("sell/hs-suggest/", views.hs_suggest, name="hs_suggest"),
    path("sell/national-codes/", views.national_codes, name="national_codes"),
    path("sell/<slug:org>/", views.dashboard, name="dashboard"),
    path("sell/<slug:org>/new/", views.product_new, name="product_new"),
    path("sell/<slug:org>/import/", views.product_import, name="import"),
    path("sell/<slug:org>/p/<slug:slug>/", views.product_edit, name="product_edit"),
    path("sell/<slug:org>/p/<slug:slug>/status/", views.product_status, name="product_status"),
    path("sell/<slug:org>/p/<slug:slug>/stock/", views.stock_set, name="stock_set"),
    path("sell/<slug:org>/p/<slug:slug>/photos/", views.photo_add, name="photo_add"),
    path("sell/<slug:org>/p/<slug:slug>/variants/new/", views.variant_new, name="variant_new"),
    path(
        "sell/<slug:org>/p/<slug:slug>/variants/<uuid:variant_id>/",
        views.variant_edit,
        name="variant_edit",
    ),
    path(
        "sell/<slug:org>/p/<slug:slug>/variants/<uuid:variant_id>/active/",
        views.variant_active,
        name="variant_active",
    ),
]
