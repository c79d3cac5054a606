"""URL map: the API under /api/v1/, the admin, and the apps' pages."""

from django.contrib import admin
from django.urls import include, path

from config import observability
from config.api import api
from ewtp.accounts.views import admin_login
from ewtp.core import health, metrics

observability.install()

handler403 = "ewtp.web.views.error_403"
handler404 = "ewtp.web.views.error_404"
handler500 = "ewtp.web.views.error_500"

urlpatterns = [
    path("healthz/live", health.live, name="healthz_live"),
    path("healthz/ready", health.ready, name="healthz_ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("ewtp.accounts.urls")),
    path("rules/", include("ewtp.traderules.urls")),
    path("shop/", include("ewtp.catalog.urls")),
    path("orders/", include("ewtp.orders.urls")),
    path("pay/", include("ewtp.payments.urls")),
    path("ledger/", include("ewtp.ledger.urls")),
    path("hubs/", include("ewtp.logistics.urls")),
    path("customs/", include("ewtp.customs.urls")),
    # The mobile-money simulator: it answers only when EWTP_PAYMENT_PROVIDERS names momo-sim.
    path("sim/momo/", include("ewtp.payments.momo_simulator")),
    path("visit/", include("ewtp.tourism.urls")),
    path("learn/", include("ewtp.learning.urls")),
    path("", include("ewtp.web.urls")),
]
