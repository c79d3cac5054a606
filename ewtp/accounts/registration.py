"""Registering an organisation: who may register which kind, and what the platform operator
needs to verify it (a registration number checked for form, the registered address and a
registration document).

Customs authorities, rule stewards, hub operators and the platform operator hold powers over
other people's goods, rules and money: only the platform operator creates them, never a
sign-up. Sellers, tour operators and training providers register themselves and wait for
verification.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.ke import pin as kenya_pin

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import is_platform_operator, require_role
from ewtp.core.countries import is_country
from ewtp.core.errors import Conflict, InvalidRequest, PermissionDenied
from ewtp.core.services import audit_record

# Kinds only the platform operator creates.
OPERATOR_ONLY_KINDS = frozenset(
    {
        Organisation.Kind.PLATFORM_OPERATOR,
        Organisation.Kind.CUSTOMS_AUTHORITY,
        Organisation.Kind.RULE_STEWARD,
        Organisation.Kind.HUB_OPERATOR,
    }
)
# Kinds anyone may register (and wait for verification).
SELF_SERVICE_KINDS = [kind for kind in Organisation.Kind.values if kind not in OPERATOR_ONLY_KINDS]

DOCUMENT_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
_OTHER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{2,39}$")


def registration_number_problem(country: str, number: str) -> str:
    """Why ``number`` is not a registration number of ``country`` ("" when it may be one).

    Rwanda: the RDB company code, which is also the RRA TIN, is 9 digits (python-stdnum has
    no Rwandan module, so only the form is checked). Kenya: a KRA PIN, checked by
    python-stdnum. Elsewhere: 3 to 40 letters, digits, spaces, dots, slashes or dashes."""
    compact = re.sub(r"[\s.-]", "", number)
    if country == "RW":
        if not re.fullmatch(r"\d{9}", compact):
            return _("A Rwandan company code or TIN is 9 digits, such as 102345678.")
        return ""
    if country == "KE":
        try:
            kenya_pin.validate(number)
        except NumberInvalid:
            return _("A Kenyan KRA PIN is a letter, 9 digits and a letter, such as P051234567X.")
        return ""
    if not _OTHER_NUMBER.match(number.strip()):
        return _("Enter the number of the company register or the tax number.")
    return ""


def _document_problem(document: Any) -> str:
    if document is None:
        return _("Attach the certificate of registration (PDF, JPEG or PNG).")
    if PurePath(document.name or "").suffix.lower() not in DOCUMENT_TYPES:
        return _("The document must be a PDF, JPEG or PNG file.")
    if (document.size or 0) > DOCUMENT_MAX_BYTES:
        return _("The document is larger than 5 MB.")
    return ""


def _free_slug(base: str) -> str:
    base = (slugify(base) or "organisation")[:70].strip("-") or "organisation"
    slug, number = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _invalid(fields: dict[str, str]) -> InvalidRequest:
    return InvalidRequest("invalid_request", _("Please correct the fields shown."), fields=fields)


def _check_kind(actor: User, kind: str) -> None:
    if kind in OPERATOR_ONLY_KINDS and not is_platform_operator(actor):
        raise PermissionDenied(
            "permission_denied",
            _("Only the platform operator may create an organisation of kind %(kind)s.")
            % {"kind": Organisation.Kind(kind).label},
            fields={"kind": _("not allowed")},
        )


def _registration_problems(
    *, actor: User, country: str, number: str, address: str, document: Any
) -> dict[str, str]:
    """What verification needs; the platform operator may leave it for later."""
    fields: dict[str, str] = {}
    operator = is_platform_operator(actor)
    if number or not operator:
        problem = registration_number_problem(country, number)
        if problem:
            fields["registration_number"] = problem
    if not address and not operator:
        fields["address"] = _("Give the registered address.")
    if document is not None or not operator:
        problem = _document_problem(document)
        if problem:
            fields["registration_document"] = problem
    return fields


@transaction.atomic
def organisation_create(
    *,
    actor: User,
    name: str,
    kind: str,
    country: str,
    description: str = "",
    slug: str = "",
    registration_number: str = "",
    address: str = "",
    registration_document: Any = None,
) -> Organisation:
    """Register an organisation; the actor becomes its owner; it waits for verification."""
    _check_kind(actor, kind)
    country = country.strip().upper()
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        country=country,
        description=description.strip(),
        slug=slug or _free_slug(name),
        registration_number=registration_number.strip(),
        address=address.strip(),
    )
    fields: dict[str, str] = {}
    try:
        organisation.full_clean(exclude=["registration_document"])
    except ValidationError as error:
        fields.update(_messages(error))
    if not is_country(country):
        fields["country"] = _("not an ISO 3166 country code")
    fields.update(
        _registration_problems(
            actor=actor,
            country=country,
            number=organisation.registration_number,
            address=organisation.address,
            document=registration_document,
        )
    )
    if fields:
        raise _invalid(fields)
    if registration_document is not None:
        _document_store(organisation, registration_document)
    organisation.save()
    Membership.objects.create(user=actor, organisation=organisation, role=Membership.Role.OWNER)
    audit_record(
        actor=actor,
        action="accounts.organisation.created",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data=_audit_data(organisation),
    )
    return organisation


def _document_store(organisation: Organisation, document: Any) -> None:
    """The document under a random name (the owner's file name is not kept)."""
    suffix = PurePath(document.name or "").suffix.lower()
    organisation.registration_document.save(
        f"{get_random_string(24)}{suffix}", document, save=False
    )


@transaction.atomic
def organisation_registration_update(
    *,
    actor: User,
    organisation: Organisation,
    registration_number: str,
    address: str,
    registration_document: Any = None,
) -> Organisation:
    """The owner gives or corrects what verification needs (the registration number, the
    registered address, the certificate) while the organisation is not verified: an
    organisation registered before these were asked, or one rejected for them. A document
    already on file is kept unless a new one is attached. Nothing changes on an error."""
    require_role(actor, organisation, {Membership.Role.OWNER})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.verification == Organisation.Verification.VERIFIED:
        raise Conflict(
            "already_verified",
            _("The organisation is verified: ask the platform operator to change its details."),
        )
    number, address = registration_number.strip(), address.strip()
    fields: dict[str, str] = {}
    problem = registration_number_problem(organisation.country, number)
    if problem:
        fields["registration_number"] = problem
    if not address:
        fields["address"] = _("Give the registered address.")
    if registration_document is not None or not organisation.registration_document:
        problem = _document_problem(registration_document)
        if problem:
            fields["registration_document"] = problem
    if fields:
        raise _invalid(fields)
    organisation.registration_number, organisation.address = number, address
    if registration_document is not None:
        _document_store(organisation, registration_document)
    organisation.save(update_fields=["registration_number", "address", "registration_document"])
    audit_record(
        actor=actor,
        action="accounts.organisation.registration_updated",
        target=organisation,
        organisation_ref=str(organisation.public_id),
        data=_audit_data(organisation),
    )
    return organisation


def _audit_data(organisation: Organisation) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": organisation.kind, "name": organisation.name}
    if organisation.registration_number:
        data["registration_number"] = organisation.registration_number
    if organisation.registration_document:
        data["document"] = True
    return data


def _messages(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            field: " ".join(str(m) for e in errors for m in e.messages)
            for field, errors in error.error_dict.items()
        }
    return {"__all__": " ".join(error.messages)}
