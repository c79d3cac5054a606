"""Demo data of trade rules: the shipped reference rules, HS nomenclature and rates."""

from __future__ import annotations

from typing import TextIO


def load(stdout: TextIO) -> None:
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    stdout.write("trade rules: reference data in place\n")
