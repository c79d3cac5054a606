from django.urls import path

from ewtp.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("accounts/<uuid:public_id>/", views.account_detail, name="account"),
    path("postings/<str:reference>/", views.postings_by_reference, name="postings"),
    path("verify/", views.verify, name="verify"),
]
