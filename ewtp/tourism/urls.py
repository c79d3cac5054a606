from django.urls import path

from ewtp.tourism import views

app_name = "tourism"

urlpatterns = [
    path("", views.experience_list, name="experiences"),
    path("operator/", views.dashboard, name="dashboard"),
    path(
        "operator/experiences/<slug:slug>/translations/",
        views.experience_translations,
        name="experience_translations",
    ),
    path("operator/today/", views.all_parks, name="all_parks"),
    path("gate/", views.gate, name="gate"),
    path("bookings/<uuid:booking_id>/", views.booking_page, name="booking"),
    path("bookings/<uuid:booking_id>/voucher.pdf", views.voucher_pdf, name="voucher_pdf"),
    path("<slug:slug>/", views.experience_page, name="experience"),
    path("<slug:slug>/calendar/", views.experience_calendar, name="calendar"),
    path("<slug:slug>/book/", views.booking_form, name="book"),
]
