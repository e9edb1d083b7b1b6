"""The directory and segments through the members HTTP API (real app, local store).

Checked: only verified members (and admins) search; Cyrillic and Latin input find the same
person; a member is never found by, nor shown with, a field they keep from members; members
out of the directory, pending or rejected are never listed; pages have a hard maximum and bad
parameters are 422 problems naming them; segments (admins) save, count and list members on
all their fields, publish ``members.segment.saved``/``.deleted``, and validate their filter.
"""
from __future__ import annotations

from tests.support import assert_problem, outbox_events

MEMBERS = "/api/v1/members"
DIRECTORY = f"{MEMBERS}/directory"
SEGMENTS = f"{MEMBERS}/segments"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_unverified_members_cannot_search_and_anonymous_callers_must_sign_in(client, people):
    pending = people.sign_up()
    assert_problem(client.get(DIRECTORY, headers=pending["headers"]), 403)
    assert_problem(client.get(DIRECTORY), 401)


def test_cyrillic_and_latin_input_find_the_same_person(client, people):
    maria = people.verified(given_name="Мария", family_name="Петрова", given_name_latin="Maria",
                            family_name_latin="Petrova")
    only_cyrillic = people.verified(given_name="Щерю", family_name="Жечев")
    people.verified(given_name="Иван", family_name="Стоянов")
    viewer = people.verified(given_name="Зорница", family_name="Колева")
    for q in ("Петрова", "petrova", "PETR", "мария петр", "Maria Petrova"):
        assert ids(client.get(DIRECTORY, query_string={"q": q}, headers=viewer["headers"])) == [maria["id"]], q
    # A name with only its Cyrillic form is found by its official transliteration.
    assert ids(client.get(DIRECTORY, query_string={"q": "Shteryu Zhechev"},
                          headers=viewer["headers"])) == [only_cyrillic["id"]]


def test_hidden_fields_neither_match_nor_show(client, people):
    open_member = people.verified(family_name="Открита", city="Пловдив", employer="УМБАЛ Пловдив")
    closed = people.verified(family_name="Скрита", city="Пловдив", employer="УМБАЛ Пловдив")
    client.patch(f"{MEMBERS}/{closed['id']}", headers=closed["headers"],
                 json={"visibility": {"city": "private", "employer": "private"}})
    viewer = people.verified()
    found = client.get(DIRECTORY, query_string={"city": "Plovdiv"}, headers=viewer["headers"])
    assert ids(found) == [open_member["id"]]
    assert ids(client.get(DIRECTORY, query_string={"q": "умбал"}, headers=viewer["headers"])) == [open_member["id"]]
    everyone = client.get(DIRECTORY, headers=viewer["headers"]).get_json()["items"]
    shown = next(item for item in everyone if item["id"] == closed["id"])
    assert "city" not in shown and "employer" not in shown and "email" not in shown


def test_only_verified_listed_members_are_in_the_directory(client, people, admin_headers):
    listed = people.verified()
    left = people.verified()
    client.patch(f"{MEMBERS}/{left['id']}", headers=left["headers"], json={"in_directory": False})
    rejected = people.sign_up()
    client.post(f"{MEMBERS}/{rejected['id']}/reject", json={"reason": "no record"}, headers=admin_headers)
    pending = people.sign_up()
    found = set(ids(client.get(DIRECTORY, query_string={"per_page": 50}, headers=listed["headers"])))
    assert listed["id"] in found
    assert not {left["id"], rejected["id"], pending["id"]} & found


def test_filters_sort_and_pages(client, people):
    members = [people.verified(family_name=f"Колега{n}", graduation_year=2000 + n, faculty="medicine",
                               open_to_mentoring=n % 2 == 0) for n in range(5)]
    viewer = members[0]
    query = {"faculty": "medicine", "graduation_year_from": 2001, "graduation_year_to": 2004,
             "open_to_mentoring": "true", "sort": "-graduation_year"}
    assert ids(client.get(DIRECTORY, query_string=query, headers=viewer["headers"])) == [
        members[4]["id"], members[2]["id"]]
    first = client.get(DIRECTORY, query_string={"q": "колега", "per_page": 2, "sort": "graduation_year"},
                       headers=viewer["headers"]).get_json()
    second = client.get(DIRECTORY, query_string={"q": "колега", "per_page": 2, "page": 2, "sort": "graduation_year"},
                        headers=viewer["headers"]).get_json()
    assert first["total"] == second["total"] == 5
    assert [i["id"] for i in first["items"] + second["items"]] == [m["id"] for m in members[:4]]


def test_bad_parameters_are_problems_naming_them(client, people):
    viewer = people.verified()
    problem = assert_problem(client.get(DIRECTORY, headers=viewer["headers"], query_string={
        "per_page": 51, "faculty": "surgery", "country": "XX", "graduation_year_from": "soon", "colour": "red",
        "q": "!"}), 422)
    assert {"per_page", "faculty", "country", "graduation_year_from", "colour", "q"} <= set(problem["errors"])
    problem = assert_problem(client.get(DIRECTORY, headers=viewer["headers"], query_string={
        "graduation_year_from": 2010, "graduation_year_to": 2000}), 422)
    assert "graduation_year_to" in problem["errors"]
    problem = assert_problem(client.get(DIRECTORY, headers=viewer["headers"], query_string={
        "page": 1000, "per_page": 50}), 422)
    assert "page" in problem["errors"]


# --------------------------------------------------------------------------- segments

def test_segments_count_and_list_on_all_fields_and_publish(client, db, people, admin_headers):
    private_mentor = people.verified(city="Пловдив", graduation_year=2005, open_to_mentoring=True)
    client.patch(f"{MEMBERS}/{private_mentor['id']}", headers=private_mentor["headers"],
                 json={"visibility": {"city": "private"}, "in_directory": False})
    people.verified(city="Пловдив", graduation_year=2005, open_to_mentoring=False)
    pending = people.sign_up(city="Пловдив", graduation_year=2005)
    client.patch(f"{MEMBERS}/{pending['id']}", headers=pending["headers"], json={"open_to_mentoring": True})

    body = {"name": "Plovdiv mentors 2005", "filter": {"city": "plovdiv", "graduation_year_from": 2005,
                                                       "open_to_mentoring": True}}
    created = client.post(SEGMENTS, json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    segment = created.get_json()
    # The office sees every verified member on all fields: hidden city, out of the directory.
    assert client.get(f"{SEGMENTS}/{segment['id']}", headers=admin_headers).get_json()["count"] == 1
    listed = client.get(f"{SEGMENTS}/{segment['id']}/members", headers=admin_headers).get_json()
    assert [m["id"] for m in listed["items"]] == [private_mentor["id"]]
    assert listed["items"][0]["email"] == private_mentor["email"]

    renamed = client.put(f"{SEGMENTS}/{segment['id']}", json={**body, "name": "Mentors"}, headers=admin_headers)
    assert renamed.get_json()["version"] == 2
    client.put(f"{SEGMENTS}/{segment['id']}", json={**body, "name": "Mentors"}, headers=admin_headers)
    saved = outbox_events(db, "members.segment.saved")
    assert [(e["data"]["name"], e["data"]["version"]) for e in saved] == [("Plovdiv mentors 2005", 1), ("Mentors", 2)]
    assert saved[0]["data"]["filter"] == body["filter"]

    assert client.delete(f"{SEGMENTS}/{segment['id']}", headers=admin_headers).status_code == 204
    assert_problem(client.get(f"{SEGMENTS}/{segment['id']}", headers=admin_headers), 404)
    assert [e["data"]["segment_id"] for e in outbox_events(db, "members.segment.deleted")] == [segment["id"]]


def test_segment_filters_are_validated_and_admin_only(client, db, people, admin_headers):
    problem = assert_problem(client.post(SEGMENTS, json={"name": "", "filter": {"faculty": ["surgery"], "x": 1}},
                                         headers=admin_headers), 422)
    assert {"name", "filter"} <= set(problem["errors"])
    assert {"faculty", "x"} <= set(problem["errors"]["filter"])
    assert outbox_events(db, "members.segment.saved") == []
    member = people.verified()
    assert_problem(client.post(SEGMENTS, json={"name": "n", "filter": {}}, headers=member["headers"]), 403)
    assert_problem(client.get(SEGMENTS, headers=member["headers"]), 403)


# --------------------------------------------------------------------------- preview of a filter

PREVIEW = f"{SEGMENTS}/preview"


def saved_count(client, admin_headers, body: dict) -> int:
    created = client.post(SEGMENTS, json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    return client.get(f"{SEGMENTS}/{created.get_json()['id']}", headers=admin_headers).get_json()["count"]


def test_a_preview_counts_what_the_saved_segment_will_and_stores_nothing(client, db, people, admin_headers):
    shown = people.verified(family_name="Арнаудова", city="Пловдив", graduation_year=2005, open_to_mentoring=True)
    hidden = people.verified(family_name="Бонева", city="Пловдив", graduation_year=2006, open_to_mentoring=True)
    client.patch(f"{MEMBERS}/{hidden['id']}", headers=hidden["headers"],
                 json={"visibility": {"city": "private", "graduation_year": "private"}, "in_directory": False})
    people.verified(family_name="Вълчева", city="Пловдив", graduation_year=2005, open_to_mentoring=False)
    pending = people.sign_up(family_name="Генова", city="Пловдив", graduation_year=2005)
    client.patch(f"{MEMBERS}/{pending['id']}", headers=pending["headers"], json={"open_to_mentoring": True})
    erased = people.verified(family_name="Димова", city="Пловдив", graduation_year=2005, open_to_mentoring=True)
    assert client.delete(f"{MEMBERS}/{erased['id']}", headers=admin_headers,
                         query_string={"reason": "Asked in writing."}).status_code in (200, 202, 204)
    body = {"name": "Plovdiv mentors", "filter": {"city": "plovdiv", "graduation_year_from": 2005,
                                                  "open_to_mentoring": True}}

    preview = client.post(PREVIEW, json={"filter": body["filter"]}, headers=admin_headers)
    assert preview.status_code == 200, preview.get_json()
    # The directory finds only the member who shows her city and year; the office's count is both.
    directory = client.get(DIRECTORY, headers=shown["headers"], query_string={
        "city": "plovdiv", "graduation_year_from": 2005, "open_to_mentoring": "true"}).get_json()
    assert directory["total"] == 1
    assert preview.get_json() == {"count": 2, "sample": [
        {"id": shown["id"], "given_name": "Мария", "family_name": "Арнаудова"},
        {"id": hidden["id"], "given_name": "Мария", "family_name": "Бонева"}]}
    assert db.segments.count_documents({}) == 0
    assert outbox_events(db, "members.segment.saved") == []
    # The very body that saves the segment previews it too (its name is ignored).
    assert client.post(PREVIEW, json=body, headers=admin_headers).get_json()["count"] == 2
    assert saved_count(client, admin_headers, body) == 2


def test_an_empty_filter_previews_every_verified_member_as_its_segment_counts(client, people, admin_headers):
    verified = [people.verified(family_name=f"Колега{n}") for n in range(7)]
    people.sign_up()
    rejected = people.sign_up()
    client.post(f"{MEMBERS}/{rejected['id']}/reject", json={"reason": "no record"}, headers=admin_headers)
    erased = verified.pop()
    client.delete(f"{MEMBERS}/{erased['id']}", headers=admin_headers, query_string={"reason": "Asked in writing."})
    preview = client.post(PREVIEW, json={"filter": {}}, headers=admin_headers).get_json()
    assert preview["count"] == saved_count(client, admin_headers, {"name": "Всички", "filter": {}})
    assert preview["count"] == db_verified(client, admin_headers)
    assert len(preview["sample"]) == 5 and erased["id"] not in {m["id"] for m in preview["sample"]}


def db_verified(client, admin_headers) -> int:
    listing = client.get(MEMBERS, headers=admin_headers, query_string={"status": "verified", "per_page": 1})
    assert listing.status_code == 200, listing.get_json()
    return listing.get_json()["total"]


def test_a_preview_validates_its_filter_as_saving_does_and_is_for_admins(client, db, people, admin_headers):
    bad = {"name": "", "filter": {"faculty": ["surgery"], "graduation_year_from": 2010,
                                  "graduation_year_to": 2000, "x": 1}}
    previewed = assert_problem(client.post(PREVIEW, json=bad, headers=admin_headers), 422)
    saved = assert_problem(client.post(SEGMENTS, json=bad, headers=admin_headers), 422)
    assert previewed["errors"] == saved["errors"]
    assert {"faculty", "x"} <= set(previewed["errors"]["filter"])
    assert "filter" in assert_problem(client.post(PREVIEW, json={}, headers=admin_headers), 422)["errors"]
    assert "name" not in assert_problem(client.post(PREVIEW, json={"filter": {"q": "!"}}, headers=admin_headers),
                                        422)["errors"]
    member = people.verified()
    assert_problem(client.post(PREVIEW, json={"filter": {}}, headers=member["headers"]), 403)
    assert_problem(client.post(PREVIEW, json={"filter": {}}), 401)


# --------------------------------------------------------------------------- what surveys fill

def test_a_segment_of_an_interest_and_the_volunteers_counts_and_lists_them(client, db, people, admin_headers):
    volunteer = people.verified(family_name="Арнаудова", interests=["Research", "Ски"], open_to_volunteer=True)
    client.patch(f"{MEMBERS}/{volunteer['id']}", headers=volunteer["headers"],
                 json={"visibility": {"interests": "private", "open_to_volunteer": "private"}})
    spaced = people.verified(family_name="Бонева", interests=["  research "], open_to_volunteer=True)
    people.verified(family_name="Вълчева", interests=["research methods"], open_to_volunteer=True)
    people.verified(family_name="Генова", interests=["research"], open_to_volunteer=False)
    people.verified(family_name="Димова", interests=["research"])  # never said
    people.sign_up(family_name="Евтимова", interests=["research"], open_to_volunteer=True)  # pending
    spec = {"interest": "RESEARCH", "open_to_volunteer": True}

    preview = client.post(PREVIEW, json={"filter": spec}, headers=admin_headers)
    assert preview.status_code == 200, preview.get_json()
    # On all fields, hidden or not; the interest whole, in any case or spacing.
    assert preview.get_json()["count"] == 2
    assert [m["id"] for m in preview.get_json()["sample"]] == [volunteer["id"], spaced["id"]]
    created = client.post(SEGMENTS, json={"name": "Research volunteers", "filter": spec}, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    segment = created.get_json()
    assert client.get(f"{SEGMENTS}/{segment['id']}", headers=admin_headers).get_json()["count"] == 2
    listed = client.get(f"{SEGMENTS}/{segment['id']}/members", headers=admin_headers).get_json()["items"]
    assert [m["id"] for m in listed] == [volunteer["id"], spaced["id"]]
    assert listed[0]["open_to_volunteer"] is True and "interest_keys" not in listed[0]
    assert outbox_events(db, "members.segment.saved")[0]["data"]["filter"] == {"interest": "RESEARCH",
                                                                               "open_to_volunteer": True}
    # Those who said no are a segment too.
    said_no = client.post(PREVIEW, json={"filter": {"interest": "research", "open_to_volunteer": False}},
                          headers=admin_headers).get_json()
    assert [m["family_name"] for m in said_no["sample"]] == ["Генова"]


def test_a_bad_interest_or_volunteer_flag_is_a_problem_naming_it(client, db, admin_headers):
    problem = assert_problem(client.post(PREVIEW, json={"filter": {"interest": "  ", "open_to_volunteer": "yes"}},
                                         headers=admin_headers), 422)
    assert {"interest", "open_to_volunteer"} <= set(problem["errors"]["filter"])
    problem = assert_problem(client.post(SEGMENTS, json={"name": "n", "filter": {"interest": "x" * 61}},
                                         headers=admin_headers), 422)
    assert set(problem["errors"]["filter"]) == {"interest"}
    assert outbox_events(db, "members.segment.saved") == []


def test_the_directory_finds_an_interest_and_volunteers_only_where_they_show_them(client, people):
    shown = people.verified(family_name="Открита", interests=["Кардиология"], open_to_volunteer=True)
    hidden = people.verified(family_name="Скрита", interests=["кардиология"], open_to_volunteer=True)
    client.patch(f"{MEMBERS}/{hidden['id']}", headers=hidden["headers"],
                 json={"visibility": {"interests": "private", "open_to_volunteer": "private"}})
    viewer = people.verified()
    assert ids(client.get(DIRECTORY, query_string={"interest": "КАРДИОЛОГИЯ"},
                          headers=viewer["headers"])) == [shown["id"]]
    assert ids(client.get(DIRECTORY, query_string={"open_to_volunteer": "true"},
                          headers=viewer["headers"])) == [shown["id"]]
    everyone = client.get(DIRECTORY, headers=viewer["headers"]).get_json()["items"]
    assert next(i for i in everyone if i["id"] == shown["id"])["open_to_volunteer"] is True
    assert "open_to_volunteer" not in next(i for i in everyone if i["id"] == hidden["id"])
    assert all("interest_keys" not in item for item in everyone)
