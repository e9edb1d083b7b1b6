"""Page tests of the office's awards pages against a fake awards API: the cycle builder's
form round-trips a cycle and its buttons change the structure without saving, the API's
problems land beside the fields, one cycle's page shows nominations (with redaction),
standings, and the results table with mean, median, spread and the tie-break rule, and each
action posts what the API takes; every form needs its CSRF token."""
from __future__ import annotations

import pytest

from frontends.portal.console_awards import builder
from tests.unit.portal.conftest import csrf_token
from tests.unit.portal.test_awards import API, CYCLE_ID, NOMINATION_ID, NOMINEE, a_cycle, text
from tests.unit.portal.test_console_surveys import builder_form

ONE = f"/office/awards/{CYCLE_ID}"


def post(client, path: str, data: dict, *, form_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


def flat(model: dict) -> dict:
    """The builder's model as the browser posts its fields."""
    form = {"year": model["year"], "activity_from": model["activity_from"], "activity_to": model["activity_to"],
            **{f"title.{k}": v for k, v in model["title"].items()},
            **{f"phases.{k}": v for k, v in model["phases"].items()}}
    for n, judge in enumerate(model["judges"]):
        form[f"judges.{n}.id"], form[f"judges.{n}.name"] = judge["id"], judge["name"]
    for i, c in enumerate(model["categories"]):
        p = f"categories.{i}"
        form.update({f"{p}.category_id": c["category_id"], f"{p}.standings_category": c["standings_category"],
                     f"{p}.max_winners": c["max_winners"], **{f"{p}.title.{k}": v for k, v in c["title"].items()},
                     **{f"{p}.description.{k}": v for k, v in c["description"].items()}})
        if c["self_nomination"]:
            form[f"{p}.self_nomination"] = "on"
        for k, r in enumerate(c["eligibility"]):
            form.update({f"{p}.eligibility.{k}.{f}": r[f] for f in ("rule", "years", "roles")})
        for j, k in enumerate(c["rubric"]):
            form.update({f"{p}.rubric.{j}.key": k["key"], f"{p}.rubric.{j}.weight": k["weight"],
                         **{f"{p}.rubric.{j}.title.{lang}": v for lang, v in k["title"].items()}})
    return form


def sent_cycle() -> dict:
    """a_cycle() as the builder sends it back (what the office typed, no server fields)."""
    cycle = a_cycle()
    return {k: cycle[k] for k in ("year", "title", "activity_from", "activity_to", "phases", "judges", "categories")}


def test_a_cycle_round_trips_through_the_builders_form():
    model = builder.of_cycle(a_cycle(), {"j" * 32: "Иван Колев"})
    assert model["activity_to"] == "2026-12-31" and model["phases"]["results_at"] == "2027-01-15T18:00"
    assert builder.from_form(flat(model)) == model
    assert builder.body(model) == sent_cycle()


def test_buttons_change_the_structure_and_name_nothing_else():
    model = builder.blank(2026)
    assert builder.apply(model, "add_category") and len(model["categories"]) == 2
    assert builder.apply(model, "add_rule:1") and model["categories"][1]["eligibility"] == [builder.new_rule()]
    assert builder.apply(model, "add_criterion:0") and [c["key"] for c in model["categories"][0]["rubric"]] == [
        "criterion1", "criterion2"]
    assert builder.apply(model, "add_judge:" + NOMINEE, {NOMINEE: "Анна"}) and model["judges"] == [
        {"id": NOMINEE, "name": "Анна"}]
    assert builder.apply(model, "remove_criterion:0:0") and builder.apply(model, "remove_category:1")
    assert not builder.apply(model, "remove_category:7") and not builder.apply(model, "explode")
    assert builder.rule_body({"rule": "role_in", "years": "", "roles": "alumnus, student"}) == {
        "rule": "role_in", "roles": ["alumnus", "student"]}


def test_the_builder_page_saves_and_its_buttons_save_nothing(admin, gateway):
    page = text(admin.get("/office/awards/new"))
    assert "New award cycle" in page and 'name="categories.0.rubric.0.weight"' in page
    fields = builder_form(page)
    reply = post(admin, "/office/awards/new", {**fields, "action": "add_category"}, form_path="/office/awards/new")
    assert reply.status_code == 200 and 'name="categories.1.category_id"' in text(reply)
    gateway.on("GET", "/api/v1/members/directory", 200, {"items": [{"id": NOMINEE, "given_name": "Анна"}],
                                                         "page": 1, "per_page": 10, "total": 1})
    reply = post(admin, "/office/awards/new", {**fields, "judge_search": "Анна", "action": "find_judges"},
                 form_path="/office/awards/new")
    assert f'value="add_judge:{NOMINEE}"' in text(reply)
    assert not gateway.sent("POST", f"{API}/cycles")
    gateway.problem("POST", f"{API}/cycles", 422, "validation", errors={
        "categories": {"0": {"rubric": {"0": {"weight": ["Must be greater than 0."]}}, "title": ["Missing data for required field."]}},
        "judges": {"0": ["Not a judge."]}})
    reply = post(admin, "/office/awards/new", {**fields, "action": "save"}, form_path="/office/awards/new")
    body = text(reply)
    assert reply.status_code == 422 and 'href="#f-categories-0-rubric-0-weight"' in body
    assert 'href="#f-categories-0-title-bg"' in body and "Not a judge." in body
    assert gateway.sent("POST", f"{API}/cycles")[0].headers["Idempotency-Key"]
    gateway.on("POST", f"{API}/cycles", 201, a_cycle(status="draft", phase="draft"))
    reply = post(admin, "/office/awards/new", {**flat(builder.of_cycle(a_cycle())), "action": "save"},
                 form_path="/office/awards/new")
    assert reply.headers["Location"] == ONE and gateway.sent("POST", f"{API}/cycles")[-1].json == sent_cycle()


def test_editing_a_draft_patches_it(admin, gateway):
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle(status="draft", phase="draft"))
    gateway.on("GET", "/api/v1/members/" + "j" * 32, 200, {"id": "j" * 32, "given_name": "Иван", "family_name": "Колев"})
    page = text(admin.get(f"{ONE}/edit"))
    assert "Иван Колев" in page and 'value="mentor-of-the-year"' in page
    gateway.on("PATCH", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle(status="draft", phase="draft"))
    reply = post(admin, f"{ONE}/edit", {**flat(builder.of_cycle(a_cycle())), "action": "save"})
    assert reply.headers["Location"] == ONE and gateway.sent("PATCH", f"{API}/cycles/{CYCLE_ID}")[0].json == sent_cycle()


def test_a_phase_the_clocks_skip_is_refused_at_its_field_before_anything_is_sent(admin, gateway):
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle(status="draft", phase="draft"))
    gateway.on("GET", "/api/v1/members/" + "j" * 32, 200, {"id": "j" * 32, "given_name": "Иван", "family_name": "Колев"})
    form = flat(builder.of_cycle(a_cycle()))
    reply = post(admin, f"{ONE}/edit", {**form, "phases.results_at": "2027-03-28T03:15", "action": "save"})
    assert reply.status_code == 422
    page = text(reply)
    assert "There is no such time that night: the clocks go forward past it." in page
    assert 'href="#f-phases-results_at"' in page
    assert gateway.sent("PATCH", f"{API}/cycles/{CYCLE_ID}") == []


def nominee(nomination_id: str, name: dict, scores: list[float], rank: int, **figures) -> dict:
    """A results row as the awards API answers it (``ResultNomineeSchema``)."""
    return {"nomination_id": nomination_id, "nominee": {"member_id": "x" * 32, **name}, "rank": rank,
            "judges": len(scores), "scores": [{"judge_id": f"j{i}", "weighted": s} for i, s in enumerate(scores)],
            "conflicts": 0, "standings_points": 12.0, "confirmed_at": "2026-12-01T10:00:00+00:00", **figures}


RESULTS = {"cycle_id": CYCLE_ID, "phase": "results", "tie_break": "higher mean...", "categories": [{
    "category_id": "mentor-of-the-year", "title": {"bg": "Ментор на годината", "en": "Mentor of the year"},
    "standings_category": "mentoring", "max_winners": 1, "decision": None, "nominees": [
        nominee(NOMINATION_ID, {"given_name": "Анна", "family_name": "Петрова"}, [8.5, 7.0, 9.0], 1,
                mean=8.167, median=8.5, std_dev=0.85, min=7.0, max=9.0),
        nominee("m" * 24, {"given_name": "Борис", "family_name": None}, [6.0, 8.0], 2,
                mean=7.0, median=7.0, std_dev=1.0, min=6.0, max=8.0)]}]}


@pytest.fixture
def in_results(admin, gateway):
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle(phase="results"))
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/nominations", 200, {"items": [
        {"id": NOMINATION_ID, "category_id": "mentor-of-the-year", "status": "confirmed",
         "nominee": {"given_name": "Анна", "family_name": "Петрова"},
         "statements": [{"index": 0, "nominator_id": "office", "nominator": {"member_id": "office"},
                         "statement": "Top of the standings.", "at": "2026-11-02T10:00:00+02:00"}]}]})
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/standings", 200, {"items": [
        {"member_id": NOMINEE, "given_name": "Анна", "family_name": "Петрова", "points": 64, "rank": 1}]})
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/results", 200, RESULTS)
    return admin


def test_the_cycle_page_shows_the_results_table_and_the_tie_break_rule(in_results, gateway):
    body = text(in_results.get(ONE))
    assert "Results: Mentor of the year" in body and "8.5; 7; 9" in body and "8.17" in body and "0.85" in body
    assert "7 – 9" in body and body.index("Анна Петрова") < body.index("Борис")
    assert "Ties are broken by: higher median, more judges scoring, more standings points in the category, " \
           "earlier confirmation." in body
    assert "Standings: the top 20" in body and ">64<" in body and "Announce the winners" in body
    assert {c.params["category"] for c in gateway.sent("GET", f"{API}/cycles/{CYCLE_ID}/standings")} == {
        "overall", "mentoring", "volunteering"}


def test_choosing_winners_or_no_award_and_announcing(in_results, gateway):
    winners = f"{API}/cycles/{CYCLE_ID}/categories/mentor-of-the-year/winners"
    gateway.on("POST", winners, 200, {})
    reply = post(in_results, f"{ONE}/categories/mentor-of-the-year/winners", {"nomination_ids": NOMINATION_ID},
                 form_path=ONE)
    assert reply.headers["Location"] == f"{ONE}#results-mentor-of-the-year"
    assert gateway.sent("POST", winners)[0].json == {"nomination_ids": [NOMINATION_ID]}
    post(in_results, f"{ONE}/categories/mentor-of-the-year/winners", {"no_award": "on", "reason": "Too few."},
         form_path=ONE)
    assert gateway.sent("POST", winners)[1].json == {"no_award": True, "reason": "Too few."}
    post(in_results, f"{ONE}/categories/mentor-of-the-year/winners", {"no_award": "on"}, form_path=ONE)
    assert len(gateway.sent("POST", winners)) == 2
    gateway.problem("POST", f"{API}/cycles/{CYCLE_ID}/announce", 409, "awards-not-decided",
                    detail="Choose the winners (or no award) of every category first.", undecided=["volunteer"])
    post(in_results, f"{ONE}/announce", {}, form_path=ONE)
    assert "Choose the winners, or no award, of every category first." in text(in_results.get(ONE))


def test_redacting_shortlisting_and_advancing(admin, gateway):
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}", 200, a_cycle(phase="confirmation"))
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/nominations", 200, {"items": [
        {"id": NOMINATION_ID, "category_id": "volunteer", "status": "awaiting", "nominee": {"given_name": "Анна"},
         "statements": [{"index": 0, "nominator_id": "m", "nominator": {"member_id": "m", "given_name": "Борис"},
                         "statement": "Анна от Пловдив...", "at": "2026-11-02T10:00:00+02:00", "redacted": None}]}]})
    gateway.on("GET", f"{API}/cycles/{CYCLE_ID}/standings", 200, {"items": []})
    body = text(admin.get(ONE))
    assert "By Борис" in body and "Redact this statement" in body and "Make the shortlist" in body
    redact = f"{API}/nominations/{NOMINATION_ID}/statements/0"
    gateway.on("PATCH", redact, 200, {})
    post(admin, f"{ONE}/nominations/{NOMINATION_ID}/statements/0", {"statement": "[име] от [град]..."}, form_path=ONE)
    assert gateway.sent("PATCH", redact)[0].json == {"statement": "[име] от [град]..."}
    shortlist = f"{API}/cycles/{CYCLE_ID}/categories/volunteer/shortlist"
    gateway.on("POST", shortlist, 200, {"nominated": [], "skipped": []})
    post(admin, f"{ONE}/categories/volunteer/shortlist", {"top": "5"}, form_path=ONE)
    post(admin, f"{ONE}/categories/volunteer/shortlist", {"top": "lots"}, form_path=ONE)
    assert [c.json for c in gateway.sent("POST", shortlist)] == [{"top": 5}]
    gateway.on("POST", f"{API}/cycles/{CYCLE_ID}/advance", 200, a_cycle(phase="judging"))
    reply = post(admin, f"{ONE}/advance", {}, form_path=ONE)
    assert reply.headers["Location"] == ONE and gateway.sent("POST", f"{API}/cycles/{CYCLE_ID}/advance")


def test_the_list_of_cycles(admin, gateway):
    gateway.on("GET", f"{API}/cycles", 200, {"items": [a_cycle(), a_cycle(id="d" * 24, status="draft",
                                                                          phase="draft", year=2027)]})
    body = text(admin.get("/office/awards"))
    assert "Alumni awards 2026" in body and "Not open yet" in body and 'href="/office/awards/new"' in body
    assert 'href="/office/awards"' in text(admin.get("/office"))


@pytest.mark.parametrize("path", ["/office/awards/new", f"{ONE}/edit", f"{ONE}/open", f"{ONE}/advance",
                                  f"{ONE}/announce", f"{ONE}/nominations/{NOMINATION_ID}/statements/0",
                                  f"{ONE}/categories/volunteer/shortlist", f"{ONE}/categories/volunteer/winners"])
def test_every_office_form_needs_its_csrf_token(admin, gateway, path):
    before = len(gateway.calls)
    reply = admin.post(path, data={"action": "save", "statement": "x", "top": "5", "nomination_ids": NOMINATION_ID})
    assert reply.status_code == 400 and gateway.calls[before:] == []
