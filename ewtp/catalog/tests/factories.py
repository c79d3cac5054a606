"""Small factories for marketplace tests (catalog, orders and the cross-app flows)."""

from __future__ import annotations

from typing import Any

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.catalog.models import Category, Product, Variant
from ewtp.catalog.services.categories import category_ensure
from ewtp.catalog.services.products import ProductData, product_insert, product_validate
from ewtp.core import clock

ADDRESSES: dict[str, dict[str, str]] = {
    "BE": {
        "name": "Anne Peeters",
        "line1": "Rue Neuve 12",
        "city": "Bruxelles",
        "postal_code": "1000",
    },
    "CN": {
        "name": "Li Wei",
        "line1": "18 Wensan Road",
        "city": "Hangzhou",
        "region": "Zhejiang",
        "postal_code": "310013",
        "phone": "+86 138 0013 8000",
    },
    "RW": {
        "name": "Aline Uwase",
        "landmark": "Blue gate opposite Kimironko market",
        "city": "Gasabo",
        "phone": "0788 123 456",
    },
}


def make_seller(
    slug: str = "huye-coffee", *, name: str = "", verified: bool = True
) -> Organisation:
    seller, _ = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name or slug.replace("-", " ").title(),
            "kind": Organisation.Kind.SELLER,
            "country": "RW",
            "verification": Organisation.Verification.VERIFIED
            if verified
            else Organisation.Verification.SUBMITTED,
            "verified_at": clock.now() if verified else None,
        },
    )
    return seller


def make_user(email: str, *, password: str = "a-long-password-1") -> User:
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email, password)


def make_member(organisation: Organisation, email: str, role: str = "owner") -> User:
    user = make_user(email)
    Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return user


def make_operator(email: str = "operator@ewtp.test") -> User:
    platform, _ = Organisation.objects.get_or_create(
        slug="ewtp-platform",
        defaults={
            "name": "eWTP",
            "kind": Organisation.Kind.PLATFORM_OPERATOR,
            "country": "RW",
            "verification": Organisation.Verification.VERIFIED,
        },
    )
    return make_member(platform, email, "owner")


def make_category(slug: str = "coffee", name: str = "Coffee", **names: str) -> Category:
    return category_ensure(slug=slug, name=name, names=names)


def make_product(
    seller: Organisation,
    title: str = "Roasted coffee beans, 500 g",
    *,
    hs_code: str = "0901.21",
    price: Any = "12000",
    currency: str = "RWF",
    stock: int = 10,
    weight: str = "0.5",
    description: str = "",
    publish: bool = True,
    category: Category | None = None,
    translations: dict[str, str] | None = None,
    sku: str = "",
    origin: str = "RW",
    certifications: list[str] | None = None,
) -> Product:
    cleaned, errors = product_validate(
        ProductData(
            title=title,
            description=description,
            hs_code=hs_code,
            origin=origin,
            unit_weight_kg=weight,
            price=price,
            currency=currency,
            stock=stock,
            sku=sku,
            category=category,
            certifications=certifications or [],
            translations={code: {"title": text} for code, text in (translations or {}).items()},
        )
    )
    assert not errors, errors
    status = Product.Status.PUBLISHED if publish else Product.Status.DRAFT
    return product_insert(seller=seller, cleaned=cleaned, status=status)


def variant_of(product: Product) -> Variant:
    return product.variants.select_related("product").order_by("position", "id").first()  # type: ignore[return-value]
