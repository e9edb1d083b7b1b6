"""What an SMS costs and where it may go: the encoding and segment count of a text, and phone
numbers checked and normalised to E.164. Pure functions, no I/O.

Providers bill per segment, not per message. A text that fits the GSM 03.38 alphabet travels
as 7-bit septets (160 in one SMS); one character outside it switches the whole message to
UCS-2 (70 per SMS), which is why Bulgarian Cyrillic costs more than twice as much as Latin
text of the same length. Template tests use ``describe`` to keep every SMS within its limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import phonenumbers

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set, one septet each (the table's ESC position is left out: it
# introduces an extension character and is never text itself).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The default extension table: sent as ESC + character, so each costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# (units in a single SMS, units per part of a concatenated SMS): a concatenated SMS gives 6
# bytes of each part to the header (UDH) that lets the phone reassemble it.
LIMITS: dict[str, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    units: int      # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def encoding(text: str) -> Encoding:
    """``GSM-7`` when every character is in the basic or extension table, else ``UCS-2``.

    National language shift tables (Turkish, Portuguese...) are not assumed: providers and
    handsets do not apply them reliably, and none of them covers Bulgarian.
    """
    allowed = GSM7_BASIC | GSM7_EXTENSION
    return "GSM-7" if all(ch in allowed for ch in text) else "UCS-2"


def _unit_costs(text: str, enc: Encoding) -> list[int]:
    """The cost of each character in units; a character's units never split across parts."""
    if enc == "GSM-7":
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    # Sent as UTF-16 in practice: characters beyond the BMP (emoji) take a surrogate pair.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def describe(text: str) -> SmsLength:
    """Encoding, length in units and segments that ``text`` takes as one SMS."""
    enc = encoding(text)
    costs = _unit_costs(text, enc)
    units = sum(costs)
    single, per_part = LIMITS[enc]
    if units <= single:
        # An empty text still goes out as one (empty) SMS.
        return SmsLength(enc, units, 1)
    # Filled part by part rather than divided: an escape pair or surrogate pair that would
    # straddle a boundary moves whole to the next part, as handsets and providers do.
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return SmsLength(enc, units, parts)


def segments(text: str) -> int:
    """How many SMS ``text`` is billed as."""
    return describe(text).segments


def normalise_number(raw: str, region: str = "BG") -> str:
    """``raw`` as E.164 (``+359881234567``), read in ``region`` when it has no country code.

    Only valid numbers that can receive SMS are accepted: mobile numbers, and numbers that may
    be either (``FIXED_LINE_OR_MOBILE``, as in the US). A fixed line (``+359 2 ...`` in Sofia),
    a toll-free or premium-rate number cannot, so it is rejected here rather than failing at
    the provider, who would charge for the attempt. Raises ``ValueError`` saying what is wrong.
    """
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r} ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number: {raw!r}")
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValueError(f"not a mobile number (a landline, toll-free or premium-rate number cannot "
                         f"receive SMS): {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
