"""Declarations built from real orders (checkout through the orders app, the quote stored on
the order) for each destination, checked against their field rules, and exported."""

import json
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from ewtp.core.errors import Conflict, InvalidRequest, NotFound
from ewtp.core.models import AuditLog
from ewtp.customs import datasets
from ewtp.customs.dossier import papers_for
from ewtp.customs.models import Declaration
from ewtp.customs.serialise import to_json, to_xml
from ewtp.customs.services import DeclarationInvalid, declarations_submit
from ewtp.logistics.models import Clearance, Parcel
from ewtp.logistics.services import parcels
from ewtp.logistics.tests.factories import CN_ID_NUMBER, packed, paid_order, product, world


@pytest.fixture
def w(db):
    return world()


def _totals(order):
    return order.quote["totals"]["customs"]


def test_belgium_gets_the_rwanda_export_and_the_eu_h7_import(w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order, weight="2.1")
    papers = papers_for(parcel)
    export, imported = papers.draft("export"), papers.draft("import")
    assert (export.dataset, export.authority.slug) == ("rw_asycuda_export", "rra-customs")
    assert (imported.dataset, imported.authority.slug) == ("eu_h7", "be-customs")
    assert export.errors == {} and imported.errors == {}

    sad = export.data
    assert sad["model"] == {"type": "EX", "procedure": "1"}
    assert sad["exporter"]["tin"] == "101234567" and sad["countries"] == {
        "export": "RW",
        "destination": "BE",
    }
    assert sad["invoice"] == {
        "currency": "RWF",
        "amount": "36000",
    }  # 3 x 12000 RWF, the seller's price
    item = sad["items"][0]
    assert (item["commodity_code"], item["origin"], item["cpc"]) == ("090121", "RW", "1000")
    assert (item["net_mass_kg"], item["gross_mass_kg"], item["supplementary_units"]) == (
        "1.650",
        "2.100",
        3,
    )

    h7 = imported.data
    totals = _totals(order)
    assert h7["declaration"]["customs_office"] == "BE212000"
    assert h7["declarant"]["identification"] == "BE0000000001"
    assert h7["additional_fiscal_references"] == [
        {"role": "FR5", "vat_identification": "IM0560000001"}
    ]
    assert h7["total_intrinsic_value"] == {"amount": totals["goods"], "currency": "EUR"}
    assert h7["transport_insurance_costs"]["amount"] == str(
        Decimal(totals["shipping"]) + Decimal(totals["insurance"])
    )
    line = h7["items"][0]
    assert line["hs_subheading"] == "090121" and line["additional_procedure"] == "F48"
    assert line["intrinsic_value"] == {"amount": totals["goods"], "currency": "EUR"}
    assert line["merchant_product_id"] == "HUYE-R500"
    assert h7["quote"]["duty"] == {"amount": totals["duty"], "currency": "EUR"}  # never recomputed
    assert h7["quote"]["rules_version"] == order.rules_version


def test_two_lines_share_the_stored_totals_exactly(w):
    ground = product(
        w.seller,
        w.coffee_org,
        title="Huye ground coffee, 250 g",
        hs_code="0901.21",
        weight="0.28",
        price=6500,
        sku="HUYE-G250",
    )
    order = paid_order([(w.coffee, 2), (ground, 3)], destination="FR")
    parcel = packed(w, order, weight="2.2")
    draft = papers_for(parcel).draft("import")
    assert draft.errors == {} and draft.data["declaration"]["total_items"] == 2
    items = draft.data["items"]
    # 24000 and 19500 RWF of goods: the stored goods total split in that proportion.
    goods = Decimal(_totals(order)["goods"])
    assert sum(Decimal(i["intrinsic_value"]["amount"]) for i in items) == goods
    assert Decimal(items[0]["intrinsic_value"]["amount"]) == (goods * 24000 / 43500).quantize(
        Decimal("0.01")
    )
    assert [i["gross_mass_kg"] for i in items] == [
        "1.247",
        "0.953",
    ]  # 2.2 kg over 1.10 and 0.84 kg net


def test_china_gets_the_9610_order_payment_and_waybill_messages(w):
    order = paid_order([(w.coffee, 2)], destination="CN")
    assert order.quote["regime"]["id"] == "cn-cbec-retail"
    parcel = packed(w, order, weight="1.4")
    draft = papers_for(parcel).draft("import")
    assert (draft.dataset, draft.authority.slug) == ("cn_9610", "cn-customs")
    # The buyer's identity card number is needed by the channel and was not collected.
    assert draft.errors["CEB311Message.OrderHead.buyerIdNumber"].startswith("required")
    Parcel.objects.filter(pk=parcel.pk).update(
        ship_to={**parcel.ship_to, "id_number": CN_ID_NUMBER}
    )
    parcel.refresh_from_db()
    draft = papers_for(parcel).draft("import")
    assert draft.errors == {}
    head = draft.data["CEB311Message"]["OrderHead"]
    totals = _totals(order)
    assert head["goodsValue"] == totals["goods"] and head["freight"] == totals["shipping"]
    tax = Decimal(totals["duty"]) + Decimal(totals["taxes"]) + Decimal(totals["fees"])
    assert Decimal(head["taxTotal"]) == tax
    assert (
        Decimal(head["acturalPaid"]) == Decimal(totals["goods"]) + Decimal(totals["shipping"]) + tax
    )
    assert head["currency"] == "142" and head["buyerIdNumber"] == CN_ID_NUMBER
    assert draft.data["CEB411Message"]["PaymentHead"]["amountPaid"] == head["acturalPaid"]
    waybill = draft.data["CEB511Message"]["LogisticsHead"]
    assert waybill["logisticsNo"] == parcel.code and waybill["consignee"] == "王芳"
    assert draft.data["CEB311Message"]["OrderList"][0]["gcode"] == "090121"
    # A tampered amount breaks the cross checks between the three messages.
    broken = json.loads(json.dumps(draft.data))
    broken["CEB411Message"]["PaymentHead"]["amountPaid"] = "1.00"
    broken["CEB311Message"]["OrderHead"]["buyerIdNumber"] = "110105194912310021"
    errors = datasets.validate(broken)
    assert "must equal" in errors["CEB411Message.PaymentHead.amountPaid"]
    assert errors["CEB311Message.OrderHead.buyerIdNumber"] == "the check character does not match"


def test_china_outside_the_retail_channel_gets_a_general_declaration_with_the_preference(w):
    # The basket (4602.19) is not on the retail channel's positive list: general trade.
    order = paid_order([(w.basket, 1)], destination="CN")
    assert order.quote["regime"]["id"] == "standard"
    parcel = packed(w, order, weight="0.6")
    papers = papers_for(parcel)
    draft = papers.draft("import")
    assert draft.dataset == "wco_generic" and draft.errors == {}
    assert draft.data["Declaration"]["InvoiceAmount"]["currencyID"] == "CNY"


def test_united_states_gets_an_informal_entry_with_hts_codes_and_values(w):
    order = paid_order([(w.coffee, 4)], destination="US")
    parcel = packed(w, order, weight="2.6")
    draft = papers_for(parcel).draft("import")
    assert draft.dataset == "us_type11" and draft.authority is None
    assert draft.errors == {}
    entry = draft.data
    assert entry["entry"]["entry_type"] == "11" and entry["entry"]["country_of_export"] == "RW"
    assert entry["importer_of_record"]["number"] == "26-0000001"
    line = entry["lines"][0]
    quoted = order.quote["lines"][0]
    assert line["htsus"] == "090121" and line["country_of_origin"] == "RW"
    assert line["entered_value"] == {"amount": quoted["customs_value"], "currency": "USD"}
    assert line["duty"] == {"amount": quoted["duty"]["amount"], "currency": "USD"}
    assert entry["ultimate_consignee"]["address"]["state"] == "NY"


def test_malaysia_gets_the_generic_wco_declaration(w):
    order = paid_order([(w.coffee, 1)], destination="MY")
    parcel = packed(w, order, weight="0.8")
    draft = papers_for(parcel).draft("import")
    assert draft.dataset == "wco_generic" and draft.errors == {}
    declaration = draft.data["Declaration"]
    item = declaration["GoodsShipment"]["GovernmentAgencyGoodsItem"][0]
    assert declaration["TypeCode"] == "IM" and declaration["InvoiceAmount"]["currencyID"] == "MYR"
    assert item["Commodity"]["Classification"] == {"ID": "090121", "IdentificationTypeCode": "HS"}
    assert item["Origin"] == {"CountryCode": "RW"}
    assert item["StatisticalValueAmount"]["value"] == order.quote["lines"][0]["customs_value"]


def test_eu_above_150_eur_is_no_h7_and_carries_the_origin_statement(w):
    order = paid_order([(w.coffee, 25)], destination="BE")  # 300 000 RWF, well above EUR 150
    assert order.quote["regime"]["id"] == "standard"
    assert order.quote["lines"][0]["duty"]["programme"] == "eu-eba"
    parcel = packed(w, order, weight="14.5", dims=(40, 40, 30))
    papers = papers_for(parcel)
    assert papers.draft("import").dataset == "wco_generic"
    assert "Everything But Arms" in papers.origin_statement
    assert (
        "Rwanda preferential origin" in papers.origin_statement
        and "101234567" in papers.origin_statement
    )
    # Forcing H7 on it breaks the H7 scope rule.
    h7 = datasets.build(
        datasets.EU_H7, {**papers.context, "lrn": "X1", "office": {"code": "BE212000", "name": ""}}
    )
    assert "up to EUR 150" in datasets.validate(h7)["total_intrinsic_value.amount"]


def test_a_missing_hs_code_or_origin_is_refused_with_the_field_named(w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    order.lines.update(hs_code="", origin="")  # test set-up: an order line that lost its codes
    with pytest.raises(DeclarationInvalid) as raised:
        declarations_submit(actor=w.seller, parcel=parcel)
    fields = raised.value.fields
    assert fields["export.items.0.commodity_code"] == "required: 6 to 10 digits of the HS code"
    assert fields["export.items.0.origin"] == "required: the goods' country of origin"
    assert fields["import.items.0.hs_subheading"] == "required: the 6-digit HS subheading"
    assert fields["import.items.0.country_of_origin"] == "required: the goods' country of origin"
    assert raised.value.http_status == 422 and raised.value.code == "declaration_invalid"
    assert not Declaration.objects.exists()
    parcel.refresh_from_db()
    assert (parcel.export_clearance, parcel.import_clearance) == ("", "")


def test_a_missing_exporter_tin_is_named(w):
    from ewtp.customs.models import TraderProfile

    TraderProfile.objects.filter(organisation=w.coffee_org).update(tin="")
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    errors = papers_for(parcel).draft("export").errors
    assert errors == {
        "exporter.tin": "required: the exporter's 9-digit TIN (Rwanda Revenue Authority)"
    }


def test_submission_records_both_declarations_once(w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order)
    export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    assert (export.kind, export.status, export.reference) == (
        "export",
        "submitted",
        parcel.code.replace("-", "") + "EX",
    )
    assert (imported.kind, imported.authority.slug, imported.currency) == (
        "import",
        "be-customs",
        "EUR",
    )
    assert imported.value.as_string() == _totals(order)["goods"]
    assert export.value.as_string() == "36000" and export.currency == "RWF"
    parcel.refresh_from_db()
    assert (parcel.export_clearance, parcel.import_clearance) == (
        Clearance.SUBMITTED,
        Clearance.SUBMITTED,
    )
    with pytest.raises(Conflict):
        declarations_submit(actor=w.seller, parcel=parcel)


def test_a_destination_without_an_authority_on_the_platform_is_lodged(w):
    order = paid_order([(w.coffee, 1)], destination="MY")
    parcel = packed(w, order, weight="0.8")
    _export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    assert (imported.status, imported.authority) == ("lodged", None)
    parcel.refresh_from_db()
    assert parcel.import_clearance == Clearance.LODGED


def test_json_and_xml_exports_carry_the_same_data(w):
    order = paid_order([(w.coffee, 2)], destination="BE")
    parcel = packed(w, order, weight="1.4")
    for draft in papers_for(parcel).drafts:
        assert json.loads(to_json(draft.data)) == draft.data
        root = ElementTree.fromstring(to_xml(draft.data))
        assert root.get("dataset") == draft.dataset
    h7 = papers_for(parcel).draft("import").data
    root = ElementTree.fromstring(to_xml(h7))
    ns = {"h7": "urn:ewtp:declaration:eu-h7:1"}
    assert root.find("h7:items/h7:item/h7:hs_subheading", ns).text == "090121"
    assert root.find("h7:declaration/h7:lrn", ns).text == parcel.code.replace("-", "") + "IM"
    wco = datasets.build_wco({**papers_for(parcel).context, "lrn": "L1"}, kind="export")
    amount = ElementTree.fromstring(to_xml(wco)).find(
        "w:InvoiceAmount", {"w": "urn:wco:datamodel:WCO:DEC-DMS:2"}
    )
    assert (amount.text, amount.get("currencyID")) == ("24000", "RWF")


def test_the_buyer_gives_the_identity_number_on_the_order_page_and_the_9610_draft_carries_it(w):
    from ewtp.orders.services.handover import checkout_id_number_set
    from ewtp.orders.services.transitions import BuyerAccess

    order = paid_order([(w.coffee, 1)], destination="CN")
    parcel = packed(w, order, weight="0.8")
    assert "CEB311Message.OrderHead.buyerIdNumber" in papers_for(parcel).draft("import").errors
    checkout = order.checkout
    buyer = BuyerAccess(checkout.pk, checkout.email)
    with pytest.raises(InvalidRequest) as wrong:
        checkout_id_number_set(actor=buyer, checkout=checkout, id_number="110105194912310021")
    assert set(wrong.value.fields) == {"id_number"}
    with pytest.raises(NotFound):  # somebody else's checkout
        checkout_id_number_set(
            actor=BuyerAccess(checkout.pk + 1, "x@example.org"),
            checkout=checkout,
            id_number=CN_ID_NUMBER,
        )
    checkout_id_number_set(actor=buyer, checkout=checkout, id_number=CN_ID_NUMBER)
    parcel.refresh_from_db()
    draft = papers_for(parcel).draft("import")
    assert draft.errors == {}
    assert draft.data["CEB311Message"]["OrderHead"]["buyerIdNumber"] == CN_ID_NUMBER
    audit = AuditLog.objects.filter(action="orders.checkout.id_number_set").get()
    assert audit.data == {"id_number": "••••••••••••••002X"}
    # Once the parcel is with the hub, the declarations are made: the number is fixed.
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    with pytest.raises(Conflict) as late:
        checkout_id_number_set(actor=buyer, checkout=checkout, id_number=CN_ID_NUMBER)
    assert late.value.code == "declarations_made"


def test_the_identity_number_stays_open_until_declared_and_a_correction_wins(w):
    from ewtp.logistics.tests.factories import ADDRESSES
    from ewtp.orders.services.carts import cart_create, cart_line_add
    from ewtp.orders.services.checkout import checkout_place
    from ewtp.orders.services.handover import checkout_id_number_set, checkout_mark_paid
    from ewtp.orders.services.transitions import BuyerAccess, order_cancel

    cart = cart_create()
    for item in (w.coffee, w.basket):
        cart_line_add(cart=cart, product_id=item.public_id, quantity=1)
    checkout = checkout_place(
        cart=cart,
        email="li.wei@example.cn",
        destination="CN",
        currency="CNY",
        shipping_address={**ADDRESSES["CN"], "id_number": "110105198001010016"},
    )
    checkout_mark_paid(checkout=checkout, payment_reference="PAY-1")
    coffee = checkout.orders.get(seller=w.coffee_org)
    basket = checkout.orders.get(seller=w.baskets_org)
    buyer = BuyerAccess(checkout.pk, checkout.email)
    # One seller cancels: the other order still travels, and the buyer may still correct.
    order_cancel(actor=w.baskets_seller, order=basket, note="out of stock")
    parcel = packed(w, coffee, weight="0.8")
    assert parcel.ship_to["id_number"] == "110105198001010016"
    checkout_id_number_set(actor=buyer, checkout=checkout, id_number=CN_ID_NUMBER)
    parcel = Parcel.objects.get(pk=parcel.pk)
    draft = papers_for(parcel).draft("import")  # the correction wins over the packed copy
    assert draft.data["CEB311Message"]["OrderHead"]["buyerIdNumber"] == CN_ID_NUMBER
    declarations_submit(actor=w.seller, parcel=parcel)  # still packed, now declared
    with pytest.raises(Conflict) as late:
        checkout_id_number_set(actor=buyer, checkout=checkout, id_number="110105198001010016")
    assert late.value.code == "declarations_made"
    checkout.refresh_from_db()
    assert checkout.shipping_address["id_number"] == CN_ID_NUMBER
