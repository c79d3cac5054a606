"""Certificate codes: the check character catches typos; input is forgiving."""

from __future__ import annotations

from ewtp.learning import codes


def test_a_generated_code_is_eleven_characters_and_well_formed() -> None:
    for _ in range(200):
        code = codes.generate()
        assert len(code) == 11
        assert set(code) <= set(codes.ALPHABET)
        assert codes.is_well_formed(code)


def test_every_single_character_change_is_caught() -> None:
    code = "7K3M9QXD2P" + codes.check_character("7K3M9QXD2P")
    assert codes.is_well_formed(code)
    for position in range(len(code)):
        for replacement in codes.ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            assert not codes.is_well_formed(typo), typo


def test_swapping_two_neighbours_is_caught_mostly() -> None:
    caught = total = 0
    for _ in range(300):
        code = codes.generate()
        for position in range(len(code) - 1):
            if code[position] == code[position + 1]:
                continue
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            total += 1
            caught += not codes.is_well_formed(swapped)
    assert caught / total > 0.9


def test_known_check_character() -> None:
    # Luhn mod 32 over Crockford base32: worked by hand for "0000000001":
    # the rightmost value 1 is doubled to 2, so the check is 32 - 2 = 30 -> "Y".
    assert codes.check_character("0000000001") == "Y"
    assert codes.is_well_formed("0000000001Y")


def test_normalise_reads_what_people_type() -> None:
    assert codes.normalise(" abcde-fghjk o ") == "ABCDEFGHJK0"
    assert codes.normalise("il") == "11"
    assert codes.display("ABCDEFGHJKM") == "ABCDE-FGHJKM"
    assert not codes.is_well_formed("ABC")
    assert not codes.is_well_formed("ABCDEFGHJKU")  # U is not in the alphabet
