"""SMS length and numbers: GSM-7 vs UCS-2, segment boundaries, extension characters, and
E.164 normalisation that refuses numbers an SMS cannot reach."""
from __future__ import annotations

import pytest

from services.notifications.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsLength,
    describe,
    encoding,
    normalise_number,
    segments,
)


def test_the_gsm_tables_have_the_standard_sizes():
    # 128 basic positions less ESC; ten characters in the default extension table.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize("text", [
    "Hello, your event starts at 18:30!",
    "Café? Über... no: ÄÖÑÜäöñüàèéùìòÇØøÅåÆæßÉ¡¿£$¥§@_",
    "ΔΦΓΛΩΠΨΣΘΞ",            # the Greek capitals GSM 03.38 has
    "price: 5€ [a] {b} \\c ~d ^e |f",
    "",
])
def test_text_in_the_gsm_alphabet_is_gsm7(text):
    assert encoding(text) == "GSM-7"


@pytest.mark.parametrize("text", [
    "Здравейте, събитието започва в 18:30.",
    "Your ticket 🎟",
    "café à la crème â",      # â is not in GSM 03.38
    "«quoted»",
    "smart ‘quotes’",
])
def test_one_character_outside_the_alphabet_makes_it_ucs2(text):
    assert encoding(text) == "UCS-2"


@pytest.mark.parametrize(("length", "expected"), [
    (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_boundaries_are_160_single_and_153_per_part(length, expected):
    assert describe("a" * length) == SmsLength("GSM-7", length, expected)


@pytest.mark.parametrize(("length", "expected"), [
    (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_bulgarian_cyrillic_is_ucs2_at_70_single_and_67_per_part(length, expected):
    text = ("Събитие" * 40)[:length]
    assert describe(text) == SmsLength("UCS-2", length, expected)


def test_a_real_bulgarian_reminder_costs_more_than_its_latin_transliteration():
    bulgarian = "Напомняне: Годишна среща на випуск 2005 утре в 18:30, Аула Максима. Очакваме ви!"
    latin = "Napomnyane: Godishna sreshta na vipusk 2005 utre v 18:30, Aula Maksima. Ochakvame vi!"
    assert (len(bulgarian), len(latin)) == (80, 85)
    assert segments(bulgarian) == 2
    assert segments(latin) == 1


def test_extension_characters_cost_two_septets():
    assert describe("Ticket: 10€") == SmsLength("GSM-7", 12, 1)
    assert describe("a" * 159 + "€") == SmsLength("GSM-7", 161, 2)  # 160 characters, two SMS
    assert describe("a" * 158 + "€") == SmsLength("GSM-7", 160, 1)
    assert describe("[]{}\\~^|€\f").units == 20


def test_an_escape_pair_is_not_split_across_parts():
    # 152 septets then "€": the pair would straddle the 153 boundary, so it opens part two,
    # and the text that would otherwise fill exactly two parts needs a third.
    text = "a" * 152 + "€" + "b" * 152
    assert describe(text) == SmsLength("GSM-7", 306, 3)
    assert segments("a" * 151 + "€" + "b" * 153) == 2


def test_emoji_take_two_utf16_units_and_are_not_split():
    assert describe("🎉") == SmsLength("UCS-2", 2, 1)
    assert describe("a" * 68 + "🎉") == SmsLength("UCS-2", 70, 1)
    assert describe("a" * 69 + "🎉") == SmsLength("UCS-2", 71, 2)
    # 66 units then a surrogate pair: it moves whole to part two.
    assert describe("a" * 66 + "🎉" + "b" * 66) == SmsLength("UCS-2", 134, 3)


def test_empty_text_is_still_one_message():
    assert describe("") == SmsLength("GSM-7", 0, 1)


@pytest.mark.parametrize("raw", [
    "+359 88 123 4567", "+359881234567", "0881234567", "088 123 4567", "00359 88 123 4567",
    "+359 (88) 123-45-67"])
def test_bulgarian_mobile_numbers_normalise_to_e164(raw):
    assert normalise_number(raw) == "+359881234567"


def test_other_bulgarian_operators_and_foreign_numbers():
    assert normalise_number("087 812 3456") == "+359878123456"
    assert normalise_number("0899 123 456") == "+359899123456"
    assert normalise_number("+44 7400 123456") == "+447400123456"
    assert normalise_number("07400 123456", region="GB") == "+447400123456"
    # US numbers are FIXED_LINE_OR_MOBILE: they may receive SMS, so they pass.
    assert normalise_number("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize("raw", ["+359 2 981 1234", "02 981 1234", "032 602 000"])
def test_landlines_are_rejected(raw):
    with pytest.raises(ValueError, match="landline"):
        normalise_number(raw)


@pytest.mark.parametrize("raw", ["+359 88 123", "0881234567890", "+359 1 234 5678", "12"])
def test_invalid_numbers_are_rejected(raw):
    with pytest.raises(ValueError, match="valid phone number"):
        normalise_number(raw)


@pytest.mark.parametrize("raw", ["", "not a number", "+", "+999 123 456 789"])
def test_unparseable_input_is_rejected(raw):
    with pytest.raises(ValueError, match="not a phone number"):
        normalise_number(raw)
