from django.urls import path

from ewtp.payments import views

app_name = "payments"

urlpatterns = [
    path("sandbox/<uuid:payment_id>/", views.sandbox_approve_page, name="sandbox_approve"),
    path("operator/", views.operator_page, name="operator"),
    path("operator/payouts/", views.payouts_page, name="payouts"),
]
