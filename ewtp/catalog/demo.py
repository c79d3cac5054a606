"""Demo catalog: five Rwandan sellers, their products (RWF prices, stock at Kigali), categories.

``load`` is idempotent: sellers by slug, products by (seller, SKU); a second run changes
nothing.
"""

from __future__ import annotations

from typing import Any, TextIO

from django.db import transaction

from ewtp.accounts.models import Organisation
from ewtp.catalog.models import Category, Product, Variant
from ewtp.catalog.services.categories import category_ensure
from ewtp.catalog.services.products import ProductData, product_insert, product_validate
from ewtp.core import clock

CATEGORIES = [
    ("coffee", "Coffee", {"fr": "Café", "rw": "Ikawa", "sw": "Kahawa", "zh-hans": "咖啡"}),
    ("tea", "Tea", {"fr": "Thé", "rw": "Icyayi", "sw": "Chai", "zh-hans": "茶"}),
    (
        "spices",
        "Spices and sauces",
        {"fr": "Épices et sauces", "rw": "Ibirungo", "sw": "Viungo", "zh-hans": "香料和酱料"},
    ),
    ("honey", "Honey", {"fr": "Miel", "rw": "Ubuki", "sw": "Asali", "zh-hans": "蜂蜜"}),
    (
        "crafts",
        "Crafts and baskets",
        {
            "fr": "Artisanat et paniers",
            "rw": "Ubukorikori",
            "sw": "Kazi za mikono",
            "zh-hans": "手工艺品",
        },
    ),
    ("fashion", "Fashion", {"fr": "Mode", "rw": "Imyambarire", "sw": "Mitindo", "zh-hans": "时装"}),
]

SELLERS = [
    (
        "huye-coffee",
        "Huye Mountain Coffee",
        "Coffee cooperative of smallholder farmers on the slopes above Huye, washing station at 1,900 m.",
    ),
    (
        "nyungwe-tea",
        "Nyungwe Tea Estate",
        "Tea estate on the edge of Nyungwe forest, orthodox black and green teas.",
    ),
    (
        "gahaya-baskets",
        "Gahaya Baskets Cooperative",
        "Weavers' cooperative making agaseke peace baskets and home goods from sisal and sweetgrass.",
    ),
    (
        "kigali-chili",
        "Kigali Chili Oil",
        "Small maker of akabanga-style chili oil and dried bird's-eye chili.",
    ),
    (
        "inzuki-fashion",
        "Inzuki Fashion",
        "Kigali fashion label: shirts and dresses in African print cotton, cut and sewn in Rwanda.",
    ),
]

# seller slug -> products: (sku, category, title, description, hs, weight kg, price RWF,
# stock, certifications, translations)
PRODUCTS: dict[str, list[tuple[Any, ...]]] = {
    "huye-coffee": [
        (
            "HUYE-R500",
            "coffee",
            "Huye Mountain roasted coffee beans, 500 g",
            "Bourbon arabica from Huye, fully washed, medium roast. Notes of red berries and honey.",
            "0901.21",
            "0.55",
            12000,
            120,
            ["organic", "fair_trade"],
            {
                "fr": "Café torréfié Huye Mountain en grains, 500 g",
                "zh-hans": "胡耶山烘焙咖啡豆 500克",
                "rw": "Ikawa ikaranze ya Huye, 500 g",
                "sw": "Kahawa iliyokaangwa ya Huye, gramu 500",
            },
        ),
        (
            "HUYE-G1K",
            "coffee",
            "Huye green coffee beans, 1 kg",
            "Unroasted washed arabica, grade A1, for home roasters.",
            "0901.11",
            "1.05",
            9000,
            80,
            ["fair_trade"],
            {"fr": "Café vert de Huye, 1 kg", "zh-hans": "胡耶生咖啡豆 1公斤"},
        ),
        (
            "HUYE-G250",
            "coffee",
            "Huye ground coffee, 250 g",
            "Medium roast, ground for filter and French press.",
            "0901.21",
            "0.28",
            6500,
            150,
            ["organic"],
            {"fr": "Café moulu de Huye, 250 g", "zh-hans": "胡耶研磨咖啡 250克"},
        ),
    ],
    "nyungwe-tea": [
        (
            "NYU-BLK250",
            "tea",
            "Nyungwe black tea, loose leaf, 250 g",
            "Orthodox black tea from high-altitude gardens beside the Nyungwe forest.",
            "0902.40",
            "0.27",
            5000,
            200,
            [],
            {"fr": "Thé noir de Nyungwe en vrac, 250 g", "zh-hans": "纽恩威红茶散装 250克"},
        ),
        (
            "NYU-GRN100",
            "tea",
            "Nyungwe green tea, 100 g",
            "Hand-rolled green tea, light and grassy.",
            "0902.10",
            "0.12",
            4500,
            90,
            ["organic"],
            {"fr": "Thé vert de Nyungwe, 100 g", "zh-hans": "纽恩威绿茶 100克"},
        ),
        (
            "NYU-HON500",
            "honey",
            "Nyungwe forest honey, 500 g",
            "Raw honey from hives at the edge of Nyungwe forest.",
            "0409.00",
            "0.6",
            7000,
            60,
            [],
            {"fr": "Miel de la forêt de Nyungwe, 500 g", "zh-hans": "纽恩威森林蜂蜜 500克"},
        ),
    ],
    "gahaya-baskets": [
        (
            "GAH-AGS-M",
            "crafts",
            "Agaseke peace basket, medium",
            "Hand-woven sisal and sweetgrass basket with lid, 25 cm.",
            "4602.19",
            "0.4",
            25000,
            30,
            ["fair_trade"],
            {"fr": "Panier de la paix agaseke, moyen", "zh-hans": "阿加塞凯和平篮 中号"},
        ),
        (
            "GAH-BOWL",
            "crafts",
            "Woven fruit bowl",
            "Flat woven bowl in black and natural sisal, 30 cm.",
            "4602.19",
            "0.35",
            18000,
            25,
            ["fair_trade"],
            {"fr": "Corbeille à fruits tressée", "zh-hans": "编织水果盘"},
        ),
        (
            "GAH-COAST6",
            "crafts",
            "Woven coasters, set of 6",
            "Six sisal coasters in the imigongo pattern.",
            "4602.19",
            "0.15",
            8000,
            50,
            [],
            {"fr": "Sous-verres tressés, lot de 6", "zh-hans": "编织杯垫 6件套"},
        ),
    ],
    "kigali-chili": [
        (
            "KCH-OIL150",
            "spices",
            "Akabanga chili oil, 150 ml",
            "Fiery oil of Rwandan bird's-eye chili; a drop is enough.",
            "2103.90",
            "0.25",
            3500,
            300,
            [],
            {"fr": "Huile pimentée akabanga, 150 ml", "zh-hans": "阿卡班加辣椒油 150毫升"},
        ),
        (
            "KCH-DRY100",
            "spices",
            "Dried bird's-eye chili, 100 g",
            "Whole sun-dried chili pods.",
            "0904.21",
            "0.12",
            2500,
            150,
            ["organic"],
            {"fr": "Piment oiseau séché, 100 g", "zh-hans": "干朝天椒 100克"},
        ),
        (
            "KCH-PWD100",
            "spices",
            "Ground chili powder, 100 g",
            "Finely ground dried chili from Rwandan farms.",
            "0904.22",
            "0.12",
            2800,
            120,
            [],
            {"fr": "Piment moulu, 100 g", "zh-hans": "辣椒粉 100克"},
        ),
    ],
    "inzuki-fashion": [
        (
            "INZ-SHIRT-M",
            "fashion",
            "African print cotton shirt, men's",
            "Long-sleeved shirt in kitenge wax print cotton, made in Kigali.",
            "6205.20",
            "0.3",
            30000,
            40,
            [],
            {"fr": "Chemise en coton wax, homme", "zh-hans": "非洲印花棉衬衫 男款"},
        ),
        (
            "INZ-SHIRT-S",
            "fashion",
            "Short-sleeved kitenge shirt",
            "Relaxed short-sleeved shirt in bold print cotton.",
            "6205.20",
            "0.25",
            26000,
            35,
            [],
            {"fr": "Chemise kitenge à manches courtes", "zh-hans": "短袖基滕格衬衫"},
        ),
        (
            "INZ-HONEY",
            "honey",
            "Inzuki bee honey gift jar, 250 g",
            "The label's namesake: honey from partner beekeepers, in a gift jar.",
            "0409.00",
            "0.35",
            5500,
            40,
            [],
            {"fr": "Miel Inzuki en pot cadeau, 250 g", "zh-hans": "因祖基蜂蜜礼品罐 250克"},
        ),
    ],
}


def _seller(slug: str, name: str, description: str) -> Organisation:
    seller, _created = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": Organisation.Kind.SELLER,
            "country": "RW",
            "description": description,
            "verification": Organisation.Verification.VERIFIED,
            "verified_at": clock.now(),
        },
    )
    return seller


@transaction.atomic
def load(stdout: TextIO) -> None:
    for position, (slug, name, names) in enumerate(CATEGORIES):
        category_ensure(slug=slug, name=name, names=names, position=position)
    categories = {category.slug: category for category in Category.objects.all()}
    created = 0
    for slug, name, description in SELLERS:
        seller = _seller(slug, name, description)
        for row in PRODUCTS[slug]:
            sku, category, title, text, hs, weight, price, stock, certifications, translated = row
            if Variant.objects.filter(product__seller=seller, sku=sku).exists():
                continue
            cleaned, errors = product_validate(
                ProductData(
                    title=title,
                    description=text,
                    category=categories[category],
                    hs_code=hs,
                    origin="RW",
                    unit_weight_kg=weight,
                    price=str(price),
                    currency="RWF",
                    sku=sku,
                    stock=stock,
                    certifications=certifications,
                    translations={code: {"title": value} for code, value in translated.items()},
                )
            )
            if errors:
                raise ValueError(f"demo product {sku}: {errors}")
            product_insert(seller=seller, cleaned=cleaned, status=Product.Status.PUBLISHED)
            created += 1
    stdout.write(f"catalog: {len(SELLERS)} sellers, {created} product(s) added\n")
