from __future__ import annotations

import pytest

from ewtp.orders.addresses import AddressError, address_clean, address_lines


def test_a_rwandan_landmark_address_with_a_phone_number():
    cleaned = address_clean(
        "RW",
        {
            "name": "Aline Uwase",
            "landmark": "Blue gate opposite Kimironko market",
            "city": "Gasabo",
            "phone": "0788 123 456",
        },
    )
    assert cleaned["phone"] == "+250788123456"
    assert cleaned["country"] == "RW" and "postal_code" not in cleaned
    assert address_lines(cleaned)[-1] == "+250788123456"


@pytest.mark.parametrize(
    ("country", "address", "field"),
    [
        ("RW", {"name": "A", "city": "Gasabo", "phone": "0788 123 456"}, "landmark"),
        (
            "RW",
            {"name": "A", "landmark": "Near the church", "city": "Huye", "phone": "12345"},
            "phone",
        ),
        ("RW", {"name": "A", "landmark": "Near the church", "city": "Huye"}, "phone"),
        (
            "BE",
            {"name": "A", "line1": "Rue Neuve 1", "city": "Bruxelles", "postal_code": "10000"},
            "postal_code",
        ),
        ("BE", {"name": "A", "city": "Bruxelles", "postal_code": "1000"}, "line1"),
        (
            "US",
            {
                "name": "A",
                "line1": "1 Main St",
                "city": "Albany",
                "postal_code": "12207",
                "region": "New York",
            },
            "region",
        ),
        (
            "CN",
            {
                "name": "A",
                "line1": "1 Road",
                "city": "Hangzhou",
                "region": "Zhejiang",
                "postal_code": "310000",
            },
            "phone",
        ),
        (
            "GB",
            {"name": "A", "line1": "1 High St", "city": "London", "postal_code": "12345"},
            "postal_code",
        ),
        ("BE", {"line1": "Rue Neuve 1", "city": "Bruxelles", "postal_code": "1000"}, "name"),
        (
            "BE",
            {
                "name": "A",
                "line1": "Rue Neuve 1",
                "city": "Bruxelles",
                "postal_code": "1000",
                "country": "FR",
            },
            "country",
        ),
    ],
)
def test_bad_addresses_name_the_field(country, address, field):
    with pytest.raises(AddressError) as caught:
        address_clean(country, address)
    assert f"shipping_address.{field}" in caught.value.fields


def test_other_countries_normalise_postal_codes_and_phones():
    cleaned = address_clean(
        "GB",
        {
            "name": "A",
            "line1": "10 Downing St",
            "city": "London",
            "postal_code": "sw1a 2aa",
            "phone": "020 7946 0018",
        },
    )
    assert cleaned["postal_code"] == "SW1A 2AA" and cleaned["phone"] == "+442079460018"
    assert address_clean(
        "NL", {"name": "A", "line1": "Dam 1", "city": "Amsterdam", "postal_code": "1012 JS"}
    )


CN_ADDRESS = {
    "name": "王芳",
    "line1": "文三路 90号",
    "city": "杭州",
    "region": "浙江",
    "postal_code": "310000",
    "phone": "+86 138 0013 8000",
}


def test_a_chinese_address_keeps_a_valid_identity_card_number():
    cleaned = address_clean("CN", {**CN_ADDRESS, "id_number": " 11010519491231002x "})
    assert cleaned["id_number"] == "11010519491231002X"
    assert "11010519491231002X" not in " ".join(address_lines(cleaned))  # never on a label
    assert "id_number" not in address_clean("CN", CN_ADDRESS)  # optional at checkout


def test_a_wrong_identity_card_number_is_named():
    with pytest.raises(AddressError) as caught:
        address_clean("CN", {**CN_ADDRESS, "id_number": "110105194912310021"})
    assert caught.value.fields == {
        "shipping_address.id_number": (
            "not a resident identity card number (18 characters, the last a check digit)"
        )
    }


def test_an_identity_number_is_not_kept_for_other_countries():
    cleaned = address_clean(
        "BE",
        {
            "name": "Marie Peeters",
            "line1": "Rue de la Loi 16",
            "city": "Bruxelles",
            "postal_code": "1000",
            "id_number": "11010519491231002X",
        },
    )
    assert "id_number" not in cleaned
