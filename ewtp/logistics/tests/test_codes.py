import pytest

from ewtp.logistics.codes import (
    CodeInvalid,
    awb_check_digit,
    awb_make,
    awb_normalise,
    iso7064_mod37_36,
    parcel_code_new,
    parcel_code_normalise,
)


def test_iso7064_mod37_36_matches_the_standard_example():
    # The worked example of ISO/IEC 7064 MOD 37,36 (hybrid system).
    assert iso7064_mod37_36("A12425GABC1234002") == "M"


def test_a_new_parcel_code_carries_its_hub_and_a_valid_check_character():
    code = parcel_code_new("KGL")
    assert code.startswith("KGL-") and len(code) == 14
    assert parcel_code_normalise(code) == code
    assert parcel_code_normalise(code.lower().replace("-", " ")) == code


def test_a_mistyped_parcel_code_is_refused():
    code = parcel_code_new("KGL")
    body = code[4:12]
    changed = body[:-1] + ("2" if body[-1] != "2" else "3")
    with pytest.raises(CodeInvalid, match="check character"):
        parcel_code_normalise(f"KGL-{changed}-{code[-1]}")
    with pytest.raises(CodeInvalid):
        parcel_code_normalise("KGL-123")


def test_air_waybill_check_digit_is_the_first_seven_serial_digits_mod_7():
    assert awb_check_digit("1234567") == 5  # 1234567 = 7 x 176366 + 5
    assert awb_normalise("020-12345675") == "020-12345675"
    assert awb_normalise("020 1234 5675") == "020-12345675"
    assert awb_make("459", "0000001") == "459-00000011"
    assert awb_normalise("459-00000011") == "459-00000011"
    assert awb_normalise("071-99999992") == "071-99999992"  # 9999999 = 7 x 1428571 + 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("020-12345676", "should be 5"),
        ("020-12345670", "should be 5"),
        ("20-12345675", "3-digit airline prefix"),
        ("020-1234567", "3-digit airline prefix"),
        ("ABC-12345675", "3-digit airline prefix"),
    ],
)
def test_invalid_air_waybill_numbers_are_refused(raw, message):
    with pytest.raises(CodeInvalid, match=message):
        awb_normalise(raw)
