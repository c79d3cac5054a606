from django.urls import path

from ewtp.orders import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_line, name="cart_line"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/<uuid:public_id>/", views.checkout_done, name="checkout_done"),
    path("o/<uuid:public_id>/", views.order_detail, name="order_detail"),
    path("o/<uuid:public_id>/action/", views.order_action, name="order_action"),
    path("o/<uuid:public_id>/id-number/", views.order_id_number, name="order_id_number"),
    path("mine/", views.my_orders, name="my_orders"),
    path("seller/", views.seller_index, name="seller_index"),
    path("seller/<slug:org>/", views.seller_orders, name="seller_orders"),
    path("seller/<slug:org>/money/", views.seller_money, name="seller_money"),
    path("operator/", views.operator_orders, name="operator_orders"),
]
