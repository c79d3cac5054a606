"""Benchmark of the catalog: 100,000 products, the product list with landed prices and search.

Loads the products in bulk into the PostgreSQL database given by DATABASE_URL (once: a second
run reuses them), starts `ewtp serve` (gunicorn, EWTP_RATE_LIMITS=off) and measures, in the
same run, requests per second and the 95th-percentile latency of:

- GET /api/v1/health (the reference),
- GET /api/v1/catalog/products?destination=..&currency=..&page=N (24 products, landed prices),
- GET /shop/?page=N (the storefront page, the same list as HTML),
- GET /api/v1/catalog/products?q=... (search: one or two words, mostly distinct queries).

Targets: the list keeps at least a third of health's throughput; search p95 under 100 ms.
Prints the figures; never fails on timing. Usage:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewtp_bench .venv/bin/python bench/catalog.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

NOUNS = (
    "coffee tea honey basket shirt dress scarf bag sandals chili sauce oil soap candle bowl "
    "mat coaster lamp vase necklace bracelet earrings cushion blanket apron hat wallet belt "
    "jam pepper vanilla macadamia cashew avocado mango pineapple juice spice sugar cocoa flour"
).split()
ADJECTIVES = (
    "roasted green organic woven handmade beaded printed dried raw spicy sweet smoked wild "
    "golden black red blue striped kitenge imigongo sisal cotton leather bamboo clay wooden "
    "classic premium"
).split()
PLACES = (
    "Huye Nyungwe Kigali Musanze Rubavu Karongi Nyamasheke Rusizi Muhanga Gicumbi Rwamagana "
    "Kayonza Ngoma Bugesera Nyanza Gisagara Nyaruguru Rulindo Gakenke Burera"
).split()
HS_CODES = [
    "090121",
    "090111",
    "090240",
    "040900",
    "460219",
    "620520",
    "090421",
    "210390",
    "340111",
]
SELLERS = 50


def setup_django() -> None:
    import django

    django.setup()


def load_products(total: int) -> int:
    """Insert ``total`` bench products (once); returns how many bench products there are."""
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0, interactive=False)
    from ewtp.accounts.models import Organisation
    from ewtp.catalog import search
    from ewtp.catalog.models import Product, StockLevel, Variant
    from ewtp.core import clock
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    have = Product.objects.filter(seller__slug__startswith="bench-").count()
    if have >= total:
        return have
    sellers = []
    for number in range(SELLERS):
        seller, _ = Organisation.objects.get_or_create(
            slug=f"bench-{number:02d}",
            defaults={
                "name": f"{PLACES[number % len(PLACES)]} Makers {number:02d}",
                "kind": Organisation.Kind.SELLER,
                "country": "RW",
                "verification": Organisation.Verification.VERIFIED,
            },
        )
        sellers.append(seller)
    rng = random.Random(42)
    now = clock.now()
    batch = 5000
    started = time.monotonic()
    for start in range(have, total, batch):
        size = min(batch, total - start)
        products = []
        for number in range(start, start + size):
            seller = sellers[number % SELLERS]
            noun, adjective, place = rng.choice(NOUNS), rng.choice(ADJECTIVES), rng.choice(PLACES)
            title = f"{adjective.title()} {noun} from {place}, lot {number}"
            body = f"A {adjective} {noun} made by {seller.name} in {place}, Rwanda."
            products.append(
                Product(
                    slug=f"bench-{number}",
                    seller=seller,
                    language="en",
                    title=title,
                    description=body,
                    hs_code=rng.choice(HS_CODES),
                    origin="RW",
                    unit_weight_kg=rng.choice(["0.25", "0.5", "1.0"]),
                    status=Product.Status.PUBLISHED,
                    published_at=now,
                    search_title=f"{title} {seller.name}",
                    search_body=body,
                )
            )
        with transaction.atomic():
            created = Product.objects.bulk_create(products, batch_size=1000)
            variants = Variant.objects.bulk_create(
                [
                    Variant(
                        product=product,
                        sku=f"B-{product.slug}",
                        price_minor=rng.randrange(2000, 60000, 500),
                        currency="RWF",
                    )
                    for product in created
                ],
                batch_size=1000,
            )
            StockLevel.objects.bulk_create(
                [
                    StockLevel(variant=variant, hub_code="KGL", on_hand=rng.randrange(0, 200))
                    for variant in variants
                ],
                batch_size=1000,
            )
        print(
            f"  loaded {start + size:,} products ({time.monotonic() - started:.0f} s)", flush=True
        )
    search.index_products(None)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum would do soon after a bulk load
        cursor.execute("VACUUM ANALYZE")
    return Product.objects.filter(seller__slug__startswith="bench-").count()


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not answer /api/v1/health")


def measure(
    port: int, paths: Callable[[random.Random], str], requests: int, concurrency: int
) -> dict[str, float]:
    """Run ``requests`` GETs over ``concurrency`` threads; rps, p50, p95 (ms), errors."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        for _ in range(per_thread):
            path = paths(rng)
            began = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path, headers={"Accept-Language": "en"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "errors": errors,
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000, help="per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--shipped-cache",
        action="store_true",
        help="keep the shipped LocMem cache (300 entries) instead of one large enough for "
        "the prices of the pages measured",
    )
    return parser.parse_args()


def _start_server(
    args: argparse.Namespace,
) -> tuple[subprocess.Popen[bytes], tempfile.TemporaryDirectory[str] | None]:
    """The platform served by gunicorn for the benchmark, and the directory of its settings
    (kept while the server runs)."""
    env = dict(
        os.environ,
        EWTP_RATE_LIMITS="off",
        EWTP_HTTPS="off",
        EWTP_ACCESS_LOG="/dev/null",
        DEBUG="off",
    )
    env.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    overrides = None
    if not args.shipped_cache:
        # Prices are cached one key per product and destination: 40 pages x 24 products x 4
        # destinations need more than LocMem's default 300 entries (production: Redis).
        overrides = tempfile.TemporaryDirectory(prefix="ewtp-bench-")
        Path(overrides.name, "bench_settings.py").write_text(
            "from config.settings import *  # noqa: F403\n"
            "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',"
            " 'OPTIONS': {'MAX_ENTRIES': 100000}}}\n"
        )
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [overrides.name, env.get("PYTHONPATH")]))
        env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "ewtp"),
            "serve",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return server, overrides


def main() -> None:
    args = _arguments()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL=postgres://... (a database for the benchmark).")
    setup_django()
    print(f"loading {args.products:,} products into {url.rsplit('/', 1)[-1]} ...", flush=True)
    count = load_products(args.products)
    print(f"{count:,} bench products in the catalog", flush=True)

    server, settings = _start_server(args)
    try:
        wait_for(args.port)
        pages = max(count // 24, 1)
        words = NOUNS + ADJECTIVES + [place.lower() for place in PLACES]
        destinations = [("CN", "CNY"), ("BE", "EUR"), ("US", "USD"), ("GB", "GBP")]

        def health(rng: random.Random) -> str:
            return "/api/v1/health"

        def listing(rng: random.Random) -> str:
            destination, currency = rng.choice(destinations)
            page = rng.randint(1, min(pages, 40))
            return f"/api/v1/catalog/products?destination={destination}&currency={currency}&page={page}"

        def storefront(rng: random.Random) -> str:
            return f"/shop/?page={rng.randint(1, min(pages, 40))}"

        def search(rng: random.Random) -> str:
            terms = rng.sample(words, rng.choice([1, 2, 2]))
            return f"/api/v1/catalog/products?destination=CN&currency=CNY&q={'+'.join(terms)}&page={rng.randint(1, 2)}"

        for name, paths in (("warm-up list", listing), ("warm-up store", storefront)):
            measure(args.port, paths, min(args.requests, 2000), args.concurrency)
            print(f"  {name} done", flush=True)
        results = {}
        for name, paths in (
            ("health", health),
            ("list (API, 24 landed prices)", listing),
            ("storefront page (HTML)", storefront),
            ("search (API)", search),
        ):
            results[name] = measure(args.port, paths, args.requests, args.concurrency)
        # Latency without queueing behind the load generator: one client per core.
        results["search (API), 2 clients"] = measure(args.port, search, min(args.requests, 1000), 2)
        _report(results, args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if settings is not None:
            settings.cleanup()


def _report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    print()
    print(f"{'endpoint':<32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for name, figures in results.items():
        print(
            f"{name:<32}{figures['rps']:>9.0f}{figures['p50']:>9.1f}{figures['p95']:>9.1f}{figures['errors']:>8.0f}"
        )
    health_rps = results["health"]["rps"]
    list_rps = results["list (API, 24 landed prices)"]["rps"]
    print()
    print(f"list / health throughput: {list_rps / health_rps:.2f} (target >= 0.33)")
    print(
        f"search p95: {results['search (API)']['p95']:.1f} ms at {args.concurrency} clients, "
        f"{results['search (API), 2 clients']['p95']:.1f} ms at 2 clients (target < 100 ms)"
    )
    print(
        f"({args.concurrency} concurrent clients, {args.workers} gunicorn workers, {os.cpu_count()} CPUs)"
    )
    print(
        "cache: "
        + ("shipped LocMem (300 entries)" if args.shipped_cache else "LocMem, 100,000 entries")
    )


if __name__ == "__main__":
    main()
