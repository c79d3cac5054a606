"""A declaration data set as JSON or XML, ready for the system that takes it.

XML: one element per key, a list as repeated elements (wrapped where the list's name is a
plural, as ``<items><item>``), and a ``{"value", "currencyID"}`` pair as an element with its
unit as an attribute, as the WCO data model writes amounts. Pure: no Django.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring  # writing only

ROOTS: dict[str, tuple[str, str]] = {
    "rw_asycuda_export": ("SADExportDeclaration", "urn:ewtp:declaration:rw-asycuda-sad:1"),
    "eu_h7": ("H7ImportDeclaration", "urn:ewtp:declaration:eu-h7:1"),
    "cn_9610": ("CEBMessageBundle", "http://www.chinaport.gov.cn/ceb"),
    "us_type11": ("InformalEntry", "urn:ewtp:declaration:us-type11:1"),
    "wco_generic": ("Declaration", "urn:wco:datamodel:WCO:DEC-DMS:2"),
}
WRAPPED = {
    "items": "item",
    "lines": "line",
    "transport_documents": "transport_document",
    "additional_fiscal_references": "fiscal_reference",
    "additional_duties": "additional_duty",
}


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        if "value" in value and all(not isinstance(v, dict | list) for v in value.values()):
            element.text = _text(value["value"])
            for key, attribute in value.items():
                if key != "value":
                    element.set(key, _text(attribute))
            return
        for key, child in value.items():
            if isinstance(child, list):
                if key in WRAPPED:
                    wrapper = SubElement(element, key)
                    for item in child:
                        _fill(SubElement(wrapper, WRAPPED[key]), item)
                else:
                    for item in child:
                        _fill(SubElement(element, key), item)
            else:
                _fill(SubElement(element, key), child)
        return
    element.text = _text(value)


def to_xml(data: dict[str, Any]) -> bytes:
    dataset = data["dataset"]
    root_name, namespace = ROOTS[dataset]
    body = {key: value for key, value in data.items() if key != "dataset"}
    if set(body) - {"quote"} == {root_name}:  # the data set already is the root (WCO)
        content = dict(body[root_name])
        if "quote" in body:
            content["quote"] = body["quote"]
        body = content
    root = Element(root_name, {"xmlns": namespace, "dataset": dataset})
    _fill(root, body)
    indent(root)
    body_bytes: bytes = tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body_bytes + b"\n"
