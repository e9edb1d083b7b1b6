"""The alumni roster file: parsing and checking the CSV the alumni office exports, and deciding
what an import does to each row. Pure: no database (``roster_store`` reads and writes).

The file is UTF-8 (a BOM is accepted: Excel's "CSV UTF-8" writes one), with a header row and
``,`` or ``;`` between cells (Bulgarian Excel exports use ``;``, because ``,`` is the decimal
mark there). Header names are matched case-insensitively, in English or Bulgarian (``ALIASES``);
unknown columns are ignored and reported.

Each data row is checked on its own (``parse``); then ``plan`` compares the valid rows with the
stored entries and says per row: ``created``, ``updated`` (with the changed fields),
``unchanged`` (nothing to write, so importing the same file twice changes nothing) or
``rejected`` (with field -> messages). A column the file does not have leaves that field of an
existing entry as it is; an empty cell in a column it has clears the field.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import email_validator

from services.members.schemas import FACULTIES

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
FIRST_YEAR = 1945  # the university's founding
NAME_MAX, TEXT_MAX, EMAIL_MAX = 100, 200, 254
# Faculty numbers are digits with Latin or Cyrillic letters (МФ1234), "/" or "-".
STUDENT_NUMBER = re.compile(r"[0-9A-ZА-ЯЁ/-]{3,20}")
# No control characters: names end up in email headers and SMS bodies (as in sign-up).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# The entry fields an import sets, in the order of the stored document.
FIELDS = ("student_number", "given_name", "middle_name", "family_name", "given_name_latin",
          "family_name_latin", "email", "graduation_year", "faculty", "programme", "specialty")
REQUIRED = ("student_number", "given_name", "family_name", "graduation_year", "faculty")

# Header names per field, compared after ``_header_key`` (case, spaces, "_", "." and brackets
# do not matter). "Специалност" is what Bulgarian university records call the degree
# programme studied (Медицина, Фармация: the profile's ``programme``); a medical specialty
# acquired later is "медицинска специалност" (the profile's ``specialty``).
ALIASES: dict[str, tuple[str, ...]] = {
    "student_number": ("student_number", "student number", "student no", "student id", "faculty number",
                       "факултетен номер", "фак. номер", "фак номер", "фн"),
    "given_name": ("given_name", "given name", "first name", "име", "собствено име"),
    "middle_name": ("middle_name", "middle name", "презиме", "бащино име"),
    "family_name": ("family_name", "family name", "last name", "surname", "фамилия", "фамилно име"),
    "given_name_latin": ("given_name_latin", "given name (latin)", "first name (latin)", "име (латиница)"),
    "family_name_latin": ("family_name_latin", "family name (latin)", "last name (latin)", "surname (latin)",
                          "фамилия (латиница)"),
    "email": ("email", "e-mail", "email address", "e-mail address", "имейл", "имейл адрес", "електронна поща"),
    "graduation_year": ("graduation_year", "graduation year", "year of graduation", "година на дипломиране",
                        "година на завършване", "випуск"),
    "faculty": ("faculty", "факултет"),
    "programme": ("programme", "program", "програма", "специалност"),
    "specialty": ("specialty", "speciality", "медицинска специалност", "придобита специалност"),
}

# Faculty cells: the codes, and the names the office writes in Bulgarian and English.
FACULTY_NAMES: dict[str, tuple[str, ...]] = {
    "medicine": ("медицински факултет", "медицина", "мф", "faculty of medicine", "medicine",
                 "medical faculty"),
    "dental_medicine": ("факултет по дентална медицина", "дентална медицина", "фдм",
                        "faculty of dental medicine", "dental medicine", "dentistry", "faculty of dentistry"),
    "pharmacy": ("фармацевтичен факултет", "фармация", "фф", "faculty of pharmacy", "pharmacy"),
    "public_health": ("факултет по обществено здраве", "обществено здраве", "фоз",
                      "faculty of public health", "public health"),
    "medical_college": ("медицински колеж", "мк", "medical college"),
}


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.sub(r"[_.()\[\]]", " ", text).split())


def _faculty_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().replace("_", " ").replace("-", " ").split())


HEADERS = {_header_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}
FACULTY_BY_NAME = {_faculty_key(v): code for code, names in FACULTY_NAMES.items() for v in (code, *names)}


class RosterFileError(Exception):
    """The file as a whole cannot be imported (answered as a 422 naming ``file``)."""


@dataclass
class Row:
    """One data row: ``line`` in the file (the header is line 1), the fields it gives (only
    those whose column the file has) or the reasons it is rejected."""

    line: int
    student_number: str | None
    values: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class RosterFile:
    columns: list[str]          # the fields the file has, in FIELDS order
    ignored_columns: list[str]  # header names matching no field, as written
    rows: list[Row]


def normalise_student_number(value: str) -> str:
    """As stored and matched: upper-case, without any spaces ("ab 1234 " -> "AB1234")."""
    return "".join(unicodedata.normalize("NFKC", value).upper().split())


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RosterFileError("The file is UTF-16; save it as \"CSV UTF-8\".")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RosterFileError(f"The file is not UTF-8 text (byte {exc.start + 1}); "
                              "save it as \"CSV UTF-8\".") from None
    return text.removeprefix("\ufeff")


def _delimiter(header_line: str) -> str:
    # Counting in the header is enough: header names hold no commas or semicolons, and a
    # quoted one would not change which of the two separates the columns.
    return max((",", ";", "\t"), key=header_line.count)


def parse(data: bytes, *, current_year: int) -> RosterFile:
    """Read and check a roster file; raises ``RosterFileError`` if the file as a whole is
    unusable (encoding, no header, missing required columns, too many rows). ``current_year``:
    the club's (``shared.clock.club_date`` of the service clock), the last graduation year a
    row may have."""
    text = decode(data)
    if not text.strip():
        raise RosterFileError("The file is empty.")
    year = current_year
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        header = next(reader)
        columns, ignored = _columns(header)
        rows: list[Row] = []
        line = reader.line_num  # a quoted cell may hold line breaks: count lines, not records
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if len(rows) == MAX_ROWS:
                raise RosterFileError(f"The file has more than {MAX_ROWS} rows; split it.")
            raw = {name: cells[i] if i < len(cells) else "" for i, name in columns.items()}
            rows.append(check_row(start, raw, year))
    except csv.Error as exc:
        raise RosterFileError(f"Not a readable CSV file (line {reader.line_num}): {exc}.") from None
    return RosterFile([f for f in FIELDS if f in columns.values()], ignored, rows)


def _columns(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index -> field, and the header names that match none."""
    columns: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for i, name in enumerate(header):
        name = name.strip()
        target = HEADERS.get(_header_key(name))
        if target is None:
            if name:
                ignored.append(name)
            continue
        if target in seen:
            raise RosterFileError(f"Columns \"{seen[target]}\" and \"{name}\" both give {target}.")
        seen[target] = name
        columns[i] = target
    missing = [f for f in REQUIRED if f not in seen]
    if missing:
        raise RosterFileError(f"Missing column(s): {', '.join(missing)}.")
    return columns, ignored


def check_row(line: int, raw: dict[str, str], current_year: int) -> Row:
    """Check and normalise one row's cells (field -> text, only the file's columns)."""
    cells = {k: unicodedata.normalize("NFC", v).strip() for k, v in raw.items()}
    errors: dict[str, list[str]] = {}
    values: dict = {}

    number = normalise_student_number(cells["student_number"])
    if not number:
        errors["student_number"] = ["Required."]
    elif not STUDENT_NUMBER.fullmatch(number):
        errors["student_number"] = ["Must be 3 to 20 digits, letters, \"/\" or \"-\"."]
    values["student_number"] = number

    for name in ("given_name", "middle_name", "family_name", "given_name_latin", "family_name_latin"):
        if name not in cells:
            continue
        value = cells[name]
        if not value:
            if name in REQUIRED:
                errors[name] = ["Required."]
            values[name] = None
        elif len(value) > NAME_MAX:
            errors[name] = [f"Must be at most {NAME_MAX} characters."]
        elif CONTROL.search(value):
            errors[name] = ["Must not contain control characters or line breaks."]
        elif name.endswith("_latin") and CYRILLIC.search(value):
            errors[name] = ["Must be in Latin letters."]
        else:
            values[name] = value

    if "email" in cells:
        values["email"] = None
        if cells["email"]:
            try:
                if len(cells["email"]) > EMAIL_MAX:
                    raise email_validator.EmailNotValidError(f"Must be at most {EMAIL_MAX} characters.")
                values["email"] = email_validator.validate_email(
                    cells["email"], check_deliverability=False).normalized.lower()
            except email_validator.EmailNotValidError as exc:
                errors["email"] = [str(exc)]

    year = cells["graduation_year"]
    if not year:
        errors["graduation_year"] = ["Required."]
    elif not (year.isascii() and year.isdigit()) or not FIRST_YEAR <= int(year) <= current_year:
        errors["graduation_year"] = [f"Must be a year from {FIRST_YEAR} to {current_year}."]
    else:
        values["graduation_year"] = int(year)

    faculty = FACULTY_BY_NAME.get(_faculty_key(cells["faculty"]))
    if not cells["faculty"]:
        errors["faculty"] = ["Required."]
    elif faculty is None:
        errors["faculty"] = [f"Unknown faculty; one of: {', '.join(FACULTIES)} (or their names)."]
    else:
        values["faculty"] = faculty

    for name in ("programme", "specialty"):
        if name not in cells:
            continue
        value = cells[name] or None
        if value and len(value) > TEXT_MAX:
            errors[name] = [f"Must be at most {TEXT_MAX} characters."]
        elif value and CONTROL.search(value):
            errors[name] = ["Must not contain control characters or line breaks."]
        else:
            values[name] = value

    if errors:
        return Row(line, number or cells["student_number"] or None, errors=errors)
    return Row(line, number, values=values)


# --------------------------------------------------------------------------- planning

@dataclass
class Outcome:
    """What an import does with one row: ``document`` to insert (created) or ``changes`` to
    set (updated); neither for unchanged and rejected rows."""

    row: Row
    status: str
    changed: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    document: dict | None = None
    changes: dict | None = None

    def report(self) -> dict:
        entry = {"row": self.row.line, "student_number": self.row.student_number, "status": self.status}
        if self.changed:
            entry["changed"] = self.changed
        if self.errors:
            entry["errors"] = self.errors
        return entry


def plan(roster: RosterFile, existing: dict[str, dict], email_owners: dict[str, str], *,
         import_id: str, now: datetime) -> list[Outcome]:
    """Decide every row's outcome.

    ``existing``: the stored entries of the file's student numbers, by ``_id``;
    ``email_owners``: the file's emails already stored, email -> the ``_id`` holding it.
    A student number seen earlier in the file, or an email held by another entry (stored, or
    given by an earlier row of the file), rejects the row. Moving an email from one entry to
    another therefore takes two imports (first clear it, then give it), never a silent swap.
    """
    first_line: dict[str, int] = {}
    email_rows: dict[str, Row] = {}
    outcomes: list[Outcome] = []
    for row in roster.rows:
        number = row.student_number
        errors = dict(row.errors)
        if number in first_line:
            errors["student_number"] = [f"Duplicate of row {first_line[number]}.",
                                        *errors.get("student_number", [])]
        elif number:
            first_line[number] = row.line
        if errors:
            outcomes.append(Outcome(row, "rejected", errors=errors))
            continue
        email = row.values.get("email")
        if email:
            owner = email_owners.get(email)
            earlier = email_rows.get(email)
            if earlier is not None:
                outcomes.append(Outcome(row, "rejected", errors={
                    "email": [f"Already given to {earlier.student_number} by row {earlier.line}."]}))
                continue
            if owner is not None and owner != number:
                outcomes.append(Outcome(row, "rejected", errors={
                    "email": [f"Already used by roster entry {owner}."]}))
                continue
            email_rows[email] = row
        outcomes.append(_outcome(row, existing.get(number), import_id, now))
    return outcomes


def _outcome(row: Row, stored: dict | None, import_id: str, now: datetime) -> Outcome:
    if stored is None:
        document = {"_id": row.student_number,
                    **{name: row.values.get(name) for name in FIELDS},
                    "imported_at": now, "updated_at": now, "last_import_id": import_id, "claimed_by": None}
        return Outcome(row, "created", document=document)
    changed = [name for name in FIELDS if name in row.values and stored.get(name) != row.values[name]]
    if not changed:
        return Outcome(row, "unchanged")
    changes = {name: row.values[name] for name in changed}
    return Outcome(row, "updated", changed=changed,
                   changes={**changes, "updated_at": now, "last_import_id": import_id})


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    result = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for outcome in outcomes:
        result[outcome.status] += 1
    return result
