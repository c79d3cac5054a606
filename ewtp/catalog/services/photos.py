"""Product photos: checked, resized to a large and a thumbnail rendition."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext

from ewtp.catalog.models import (
    Photo,
    Product,
)
from ewtp.catalog.services.common import require_seller_editor
from ewtp.core.errors import InvalidRequest
from ewtp.core.services import audit_record

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_LARGE = 1200
PHOTO_THUMB = 400


def _resized(image: Any, longest: int) -> tuple[bytes, tuple[int, int]]:
    from PIL import Image

    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), copy.size


@transaction.atomic
def photo_add(*, actor: object, product: Product, content: bytes, alt_text: str = "") -> Photo:
    """Store a photo as a JPEG of at most 1200 px and a 400 px thumbnail."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    require_seller_editor(actor, product.seller)
    if len(content) > PHOTO_MAX_BYTES:
        raise InvalidRequest(
            "photo_too_large",
            gettext("A photo may be 8 MB at most."),
            fields={"photo": "too large"},
        )
    try:
        with Image.open(io.BytesIO(content)) as opened:
            if opened.width * opened.height > 40_000_000:
                raise InvalidRequest(
                    "photo_too_large",
                    gettext("The photo has too many pixels."),
                    fields={"photo": "too large"},
                )
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidRequest(
            "invalid_photo",
            gettext("Send a JPEG, PNG or WebP image."),
            fields={"photo": "not an image"},
        ) from None
    photo = Photo(product=product, alt_text=alt_text.strip()[:200] or product.title[:200])
    photo.position = product.photos.count()
    large, (photo.width, photo.height) = _resized(image, PHOTO_LARGE)
    thumb, _size = _resized(image, PHOTO_THUMB)
    photo.image.save("large.jpg", ContentFile(large), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
    photo.save()
    product.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="catalog.photo.added",
        target=product,
        organisation_ref=str(product.seller.public_id),
        data={"photo": str(photo.public_id)},
    )
    return photo
