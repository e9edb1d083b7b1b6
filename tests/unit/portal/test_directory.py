"""The directory (/directory) and a member's page (/members/<id>): the query sent to the
members API, the cards, the pages, and each problem the API can answer."""
from __future__ import annotations

import pytest

from tests.unit.portal.conftest import log_in

DIRECTORY = "/api/v1/members/directory"
CLASSMATE = {"id": "m-2", "given_name": "Иван", "family_name": "Петров", "given_name_latin": "Ivan",
             "family_name_latin": "Petrov", "graduation_year": 2006, "faculty": "medicine", "city": "Пловдив",
             "country": "DE", "specialty": "кардиология", "open_to_mentoring": True}


def found(*members, page=1, per_page=20, total=None) -> dict:
    return {"items": list(members), "page": page, "per_page": per_page,
            "total": len(members) if total is None else total}


@pytest.fixture
def verified(client, gateway):
    log_in(client, gateway)
    return client


def test_signed_out_visitors_are_sent_to_log_in(client, gateway):
    response = client.get("/directory?q=ivan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert gateway.calls == []


@pytest.mark.parametrize("query", ["иван", "ivan"])
def test_a_search_in_either_alphabet_is_sent_as_typed_and_shows_names_as_entered(verified, gateway, query):
    gateway.on("GET", DIRECTORY, 200, found(CLASSMATE))
    response = verified.get(f"/directory?q={query}")
    assert response.status_code == 200
    assert gateway.sent("GET", DIRECTORY)[0].params == {"q": query, "page": 1, "per_page": 20}
    page = response.get_data(as_text=True)
    assert "Иван Петров" in page and "Ivan Petrov" in page and 'href="/members/m-2"' in page
    assert "1 member found" in page and "Faculty of Medicine" in page and "Germany" in page
    assert "Open to mentoring" in page


def test_filters_become_the_api_s_query(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found())
    verified.get("/directory?q=&graduation_year_from=2000&graduation_year_to=2006&faculty=dental_medicine"
                 "&country=BG&city=Plovdiv&language=de&open_to_mentoring=true&open_to_ambassador=true"
                 "&open_to_volunteer=true&sort=-name")
    assert gateway.sent("GET", DIRECTORY)[0].params == {
        "graduation_year_from": "2000", "graduation_year_to": "2006", "faculty": ["dental_medicine"],
        "country": ["BG"], "city": "Plovdiv", "language": "de", "open_to_mentoring": "true",
        "open_to_ambassador": "true", "open_to_volunteer": "true", "sort": "-name", "page": 1, "per_page": 20}


def test_the_filters_show_what_was_chosen(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found())
    page = verified.get("/directory?faculty=pharmacy&open_to_mentoring=true").get_data(as_text=True)
    assert '<option value="pharmacy" selected>' in page
    assert 'id="f-open_to_mentoring" name="open_to_mentoring" type="checkbox" value="true" checked' in page
    assert "<details open>" in page and "Nobody matches" in page


def test_volunteers_are_a_filter_and_say_so_on_their_card(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found({**CLASSMATE, "open_to_volunteer": True}))
    page = verified.get("/directory?open_to_volunteer=true").get_data(as_text=True)
    assert gateway.sent("GET", DIRECTORY)[0].params == {"open_to_volunteer": "true", "page": 1, "per_page": 20}
    assert 'id="f-open_to_volunteer" name="open_to_volunteer" type="checkbox" value="true" checked' in page
    assert "<dt>Volunteering</dt><dd>Open to volunteering</dd>" in page
    verified.get("/language/bg")
    assert "<dt>Доброволчество</dt><dd>Готов(а) да бъде доброволец</dd>" in verified.get(
        "/directory?open_to_volunteer=true").get_data(as_text=True)


def test_pages_link_forward_and_back_keeping_the_search(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found(CLASSMATE, page=2, total=61))
    page = verified.get("/directory?q=ivan&page=2").get_data(as_text=True)
    assert gateway.sent("GET", DIRECTORY)[0].params["page"] == 2
    assert 'href="/directory?q=ivan&amp;page=1"' in page and 'href="/directory?q=ivan&amp;page=3"' in page
    assert "61 members found" in page


def test_the_last_page_has_no_next_link(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found(CLASSMATE, page=4, total=61))
    page = verified.get("/directory?q=ivan&page=4").get_data(as_text=True)
    assert 'rel="next"' not in page and 'rel="prev"' in page


def test_a_page_number_that_is_not_one_asks_for_the_first(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found())
    verified.get("/directory?page=x")
    assert gateway.sent("GET", DIRECTORY)[0].params["page"] == 1


def test_members_not_yet_verified_are_told_why_the_directory_is_closed(verified, gateway):
    gateway.problem("GET", DIRECTORY, 403, "forbidden", "The directory is open to verified members.")
    response = verified.get("/directory")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "open to verified members only" in page and 'href="/me"' in page


def test_bad_filters_are_shown_at_their_fields(verified, gateway):
    gateway.problem("GET", DIRECTORY, 422, "validation", "Invalid input.",
                    errors={"graduation_year_to": ["Must not be before graduation_year_from."],
                            "q": ["Give at least one word of 2 or more letters."]})
    response = verified.get("/directory?q=x&graduation_year_from=2010&graduation_year_to=2000")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#f-graduation_year_to"' in page and 'href="#f-q"' in page
    assert "The last year must not be before the first." in page
    assert "Type at least one word of 2 or more letters." in page
    assert 'value="2010"' in page and "member found" not in page


def test_a_page_too_deep_is_explained_at_the_search_field(verified, gateway):
    gateway.problem("GET", DIRECTORY, 422, "validation", "That page is too deep: narrow the search.",
                    errors={"page": ["page x per_page must stay under 10000."]})
    page = verified.get("/directory?q=ivan&page=600").get_data(as_text=True)
    assert 'href="#f-q"' in page and "That page is too far: narrow the search." in page


def test_too_many_searches_are_said_in_words(verified, gateway):
    gateway.problem("GET", DIRECTORY, 429, "too-many-requests", "Slow down.")
    response = verified.get("/directory?q=ivan")
    assert response.status_code == 429 and "Too many attempts." in response.get_data(as_text=True)


def test_the_directory_with_the_api_down_gives_the_friendly_page(verified, gateway):
    gateway.down = True
    assert verified.get("/directory?q=ivan").status_code == 503


def test_the_directory_reads_in_bulgarian(verified, gateway):
    gateway.on("GET", DIRECTORY, 200, found(CLASSMATE))
    verified.get("/language/bg")
    page = verified.get("/directory?q=ivan").get_data(as_text=True)
    assert "Указател" in page and "Медицински факултет" in page and "Германия" in page
    assert "Search" not in page


# ----------------------------------------------------------------------------- a member's page

def test_a_member_s_page_shows_what_the_api_lets_me_see(verified, gateway):
    gateway.on("GET", "/api/v1/members/m-2", 200, {**CLASSMATE, "languages": ["de"], "interests": ["hiking"],
                                                    "email": "ivan@example.bg"})
    response = verified.get("/members/m-2")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Иван Петров</h1>" in page and "Ivan Petrov" in page and "German" in page
    assert 'href="mailto:ivan@example.bg"' in page and "hiking" in page
    assert "This is your own page" not in page
    assert gateway.sent("GET", "/api/v1/members/m-2")[-1].headers["Authorization"] == "Bearer access-m-1"


def test_a_member_s_page_without_the_hidden_fields_shows_no_empty_facts(verified, gateway):
    gateway.on("GET", "/api/v1/members/m-2", 200, {"id": "m-2", "given_name": "Иван", "family_name": "Петров"})
    page = verified.get("/members/m-2").get_data(as_text=True)
    assert "Class of" not in page and "Contact" not in page and "Lives in" not in page


def test_my_own_page_says_so_and_links_to_the_profile(verified, gateway):
    page = verified.get("/members/m-1").get_data(as_text=True)
    assert "This is your own page" in page and 'href="/me"' in page


def test_a_member_not_shown_to_me_is_not_found(verified, gateway):
    gateway.problem("GET", "/api/v1/members/m-9", 404, "not-found", "No such member.")
    response = verified.get("/members/m-9")
    assert response.status_code == 404 and "do not show their page to you" in response.get_data(as_text=True)


def test_visitors_see_only_the_public_page_without_a_token(client, gateway):
    gateway.on("GET", "/api/v1/members/m-2", 200, {"id": "m-2", "given_name": "Иван", "family_name": "Петров"})
    response = client.get("/members/m-2")
    assert response.status_code == 200 and "Иван Петров" in response.get_data(as_text=True)
    assert "Authorization" not in gateway.sent("GET", "/api/v1/members/m-2")[0].headers


def test_too_many_member_pages_are_said_in_words(verified, gateway):
    gateway.problem("GET", "/api/v1/members/m-2", 429, "too-many-requests", "Slow down.")
    assert verified.get("/members/m-2").status_code == 429


def test_a_member_s_page_with_the_api_down_gives_the_friendly_page(verified, gateway):
    gateway.down = True
    assert verified.get("/members/m-2").status_code == 503


def own_record(**more) -> dict:
    return {"id": "m-1", "given_name": "Мария", "family_name": "Иванова", "given_name_latin": "Maria",
            "email": "maria@example.bg", "phone": "+359888123456", "city": "Пловдив", "employer": "УМБАЛ",
            "status": "verified", "in_directory": True,
            "visibility": {"names": "public", "email": "private", "phone": "members", "city": "members",
                           "employer": "public"}, **more}


def test_my_own_page_previews_what_members_and_visitors_see(client, gateway):
    log_in(client, gateway, **own_record())
    whole = client.get("/members/m-1").get_data(as_text=True)
    assert "maria@example.bg" in whole and 'href="/members/m-1?as=members"' in whole
    as_members = client.get("/members/m-1?as=members").get_data(as_text=True)
    assert "how verified members see your page" in as_members
    assert "Мария Иванова" in as_members and "+359888123456" in as_members and "Пловдив" in as_members
    assert "maria@example.bg" not in as_members
    as_visitors = client.get("/members/m-1?as=public").get_data(as_text=True)
    assert "Мария Иванова" in as_visitors and "УМБАЛ" in as_visitors
    assert "+359888123456" not in as_visitors and "Пловдив" not in as_visitors


@pytest.mark.parametrize("state, words", [({"in_directory": False}, "You have left the directory"),
                                          ({"status": "pending_verification"}, "only you and the office see")])
def test_the_preview_says_when_nobody_else_can_open_my_page(client, gateway, state, words):
    log_in(client, gateway, **own_record(**state))
    assert words in client.get("/members/m-1?as=members").get_data(as_text=True)


def test_another_member_s_page_is_never_filtered_by_the_portal(verified, gateway):
    gateway.on("GET", "/api/v1/members/m-2", 200, {**CLASSMATE, "email": "ivan@example.bg"})
    page = verified.get("/members/m-2?as=public").get_data(as_text=True)
    assert "ivan@example.bg" in page and "how visitors" not in page
