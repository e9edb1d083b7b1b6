"""HTTP routes of award cycles (prefix ``/api/v1/awards``): the office defines, opens and
advances a cycle; verified members nominate; the nominee confirms or declines (signed in, or
from the email's one-click link); judges score blind; the office reads the results, chooses
the winners and announces them.

- Who: the office (``admin``) for everything about a cycle's definition, its nominations with
  names, results and winners; verified members (in the service's view of members) to read
  open cycles and nominate; the nominee alone to read and decide a nomination
  (``X-Nomination-Token``: a ``shared.decisionlink.NOMINATION_DECISION`` token for that nominee
  and nomination is its own credential, to read it with either decision's token and to take
  the token's decision: bad 403, genuine but expired 410); judges (role ``judge``, assigned
  to the cycle) to read ballots and score.
- When: each action has its phases (``rules.phase_at``); outside them a 409 naming the phase.
- Refusals: an ineligible nominee is a 422 naming the rule (``errors.nominee_id`` and
  ``rule``); a judge who nominated the person (or is the person) a 409
  ``conflict_of_interest``.
"""
from __future__ import annotations

from flask import g, request, url_for
from flask.views import MethodView

from services.awards import readmodel_store
from services.awards.cycles import judging, results, rules
from services.awards.cycles import store as cycles_store
from services.awards.cycles.schemas import (
    BallotSchema,
    ConflictInSchema,
    CycleInSchema,
    CycleListQuerySchema,
    CycleNominationsQuerySchema,
    CycleNominationsSchema,
    CycleOutSchema,
    CyclePageSchema,
    CyclePatchSchema,
    JudgingSchema,
    MyNominationsSchema,
    NominateInSchema,
    NominationDecisionInSchema,
    NominationOutSchema,
    RedactionInSchema,
    ResultsSchema,
    ScoreInSchema,
    ShortlistInSchema,
    ShortlistOutSchema,
    WinnersInSchema,
    WinnersSchema,
)
from services.awards.ledger import store as ledger_store
from shared.auth import Principal, optional_principal, require_auth
from shared.decisionlink import NOMINATION_DECISION, BadDecisionLink
from shared.web import idempotency, pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("award_cycles", __name__, url_prefix="/api/v1/awards",
                description="Award cycles: categories, nominations, nominee confirmation, blind judging, "
                            "results and winners.")

TOKEN = NOMINATION_DECISION.header
# The cycle's fields the office defines (the rest is the service's: status, decisions, salt).
DEFINITION = ("year", "title", "rules_version", "activity_from", "activity_to", "phases", "audience", "judges",
              "categories")
MEMBER_STATUSES = (rules.OPEN, rules.FINALISED, rules.ANNOUNCED)
OFFICE_STATEMENT = ("Shortlisted by the alumni office from the cycle's standings ({points:g} points, {category}). "
                    "Предложен от офиса на алумни по класирането на цикъла.")


def _now():
    return current_service().clock()


def _db():
    return current_service().store.db


def _store():
    return current_service().store


def _not_found(what: str) -> Problem:
    return Problem(404, f"No such {what}.", kind="not-found")


def _conflict(kind: str, detail: str, **extra) -> Problem:
    return Problem(409, detail, kind=f"awards-{kind}", **extra)


def _erased() -> Problem:
    return _conflict("erased", "A member this names was erased meanwhile.")


def _verified(principal: Principal) -> None:
    """The office, or a verified member (in the service's view of members)."""
    if principal.is_admin:
        return
    member = readmodel_store.member(_db(), principal.subject)
    if member is None or member.get("status") != "verified":
        raise Problem(403, "The awards are for verified members.", kind="forbidden")


def _cycle(cycle_id: str) -> dict:
    """The cycle, as the caller may see it (a draft is the office's alone)."""
    try:
        cycle = cycles_store.get_cycle(_db(), cycle_id)
    except cycles_store.NotFound:
        raise _not_found("cycle") from None
    if cycle["status"] == rules.DRAFT and not g.principal.is_admin:
        raise _not_found("cycle")
    return cycle


def _category(cycle: dict, category_id: str) -> dict:
    found = rules.category(cycle, category_id)
    if found is None:
        raise _not_found("category")
    return found


def _in_phase(cycle: dict, *allowed: str) -> str:
    phase = rules.phase_at(cycle, _now())
    if phase not in allowed:
        raise _conflict("wrong-phase", f"The cycle is in its {phase} phase; this is done in: {', '.join(allowed)}.",
                        phase=phase)
    return phase


def _names(member_ids) -> dict[str, dict]:
    found = readmodel_store.members(_db(), member_ids)
    return {m: readmodel_store.names(m, found.get(m)) for m in member_ids}


# --------------------------------------------------------------------------- cycles

def _cycle_out(cycle: dict, admin: bool) -> dict:
    decisions = cycle.get("decisions") or {}
    out = {"id": cycle["_id"], **{k: cycle[k] for k in ("year", "title", "status", "phases")},
           "phase": rules.phase_at(cycle, _now()),
           "categories": [{**c, "decided": c["category_id"] in decisions} for c in cycle["categories"]]}
    if admin:
        out |= {k: cycle.get(k) for k in ("rules_version", "activity_from", "activity_to", "audience", "judges",
                                          "opened_at", "announced_at")}
        out["decisions"] = decisions
    return out


def _definition(body: dict, base: dict | None = None) -> dict:
    """The whole definition from a body (and the draft it changes): the activity period
    defaults to the cycle's calendar year; relations and judges checked (422 naming them)."""
    merged = {k: v for k, v in {**(base or {}), **body}.items() if k in DEFINITION}
    start, end = rules.default_activity(merged["year"])
    if base is not None and "year" in body and (base["activity_from"], base["activity_to"]) == \
            rules.default_activity(base["year"]):
        merged.update(activity_from=start, activity_to=end)   # a default period follows the year
    merged.setdefault("activity_from", start)
    merged.setdefault("activity_to", end)
    errors = rules.cycle_errors(merged) | _judge_errors(merged["judges"])
    if errors:
        raise Problem(422, "The cycle has invalid fields.", kind="validation", errors=errors)
    return merged


def _judge_errors(judges: list[str]) -> dict:
    found = readmodel_store.members(_db(), judges)
    wrong = {str(i): [f"{judge} is not a verified member with the role judge."] for i, judge in enumerate(judges)
             if (found.get(judge) or {}).get("status") != "verified"
             or "judge" not in readmodel_store.roles_of(found.get(judge))}
    return {"judges": wrong} if wrong else {}


@blp.route("/cycles")
class Cycles(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(CycleInSchema)
    @blp.response(201, CycleOutSchema)
    def post(self, body: dict):
        """Create a cycle as a draft (admins): its year, titles, dated phases, audience, judges
        (each a verified member with the role judge) and categories (eligibility rules, rubric).
        The activity period defaults to the calendar year in Sofia."""
        cycle = cycles_store.create_cycle(_store(), _definition(body), _now())
        return _cycle_out(cycle, True), 201, {"Location": url_for("award_cycles.Cycle", cycle_id=cycle["_id"])}

    @require_auth()
    @blp.arguments(CycleListQuerySchema, location="query")
    @blp.response(200, CyclePageSchema)
    def get(self, query: dict):
        """Cycles, newest year first: verified members see opened ones, with their phase; the
        office sees drafts too."""
        _verified(g.principal)
        admin = g.principal.is_admin
        items, total = cycles_store.cycles_page(_db(), rules.STATUSES if admin else MEMBER_STATUSES,
                                                query["page"], query["per_page"])
        return pagination.page([_cycle_out(c, admin) for c in items], query, total)


@blp.route("/cycles/<cycle_id>")
class Cycle(MethodView):
    @require_auth()
    @blp.response(200, CycleOutSchema)
    def get(self, cycle_id: str):
        """A cycle with its categories and phase (verified members: opened ones; admins: any)."""
        _verified(g.principal)
        return _cycle_out(_cycle(cycle_id), g.principal.is_admin)

    @require_auth("admin")
    @blp.arguments(CyclePatchSchema)
    @blp.response(200, CycleOutSchema)
    def patch(self, body: dict, cycle_id: str):
        """Change a draft (admins): the fields given replace the draft's (409 once opened)."""
        cycle = _cycle(cycle_id)
        if cycle["status"] != rules.DRAFT:
            raise _conflict("not-draft", "Only a draft cycle can be changed.")
        try:
            return _cycle_out(cycles_store.replace_draft(_store(), cycle_id, _definition(body, cycle), _now()), True)
        except cycles_store.Changed:
            raise _conflict("not-draft", "Only a draft cycle can be changed.") from None


@blp.route("/cycles/<cycle_id>/open")
class OpenCycle(MethodView):
    @require_auth("admin")
    @blp.response(200, CycleOutSchema)
    def post(self, cycle_id: str):
        """Open a draft (admins): the engagement ledger starts its standings for the cycle's
        activity period, and `awards.cycle.opened` invites the audience to nominate."""
        cycle = _cycle(cycle_id)
        try:
            return _cycle_out(cycles_store.open_cycle(_store(), cycle, _now()), True)
        except cycles_store.Changed:
            raise _conflict("not-draft", "Only a draft cycle can be opened.") from None


@blp.route("/cycles/<cycle_id>/advance")
class AdvanceCycle(MethodView):
    @require_auth("admin")
    @blp.response(200, CycleOutSchema)
    def post(self, cycle_id: str):
        """End the current phase now (admins): e.g. close nominations early. Judging ends into
        results; a draft is opened and results end by announcing instead (409)."""
        cycle = _cycle(cycle_id)
        try:
            phases = rules.advanced(cycle, _now())
            return _cycle_out(cycles_store.set_phases(_store(), cycle, phases, _now()), True)
        except rules.Refused as refused:
            raise _conflict(refused.reason, str(refused), phase=rules.phase_at(cycle, _now())) from None
        except cycles_store.Changed:
            raise _conflict("changed", "The cycle changed meanwhile: read it again.") from None


# --------------------------------------------------------------------------- nominations

def _statement_out(index: int, statement: dict, nominator: bool, names: dict | None = None) -> dict:
    out = {"index": index, "statement": statement["statement"], "at": statement["at"],
           "redacted": statement.get("redacted")}
    if nominator:
        out["nominator_id"] = statement["nominator_id"]
    if names is not None:
        out["nominator"] = names.get(statement["nominator_id"]) or {"member_id": statement["nominator_id"]}
    return out


def _nomination_out(nomination: dict, view: str, viewer: str | None = None, cycle: dict | None = None,
                    names: dict | None = None) -> dict:
    """A nomination as the office (``admin``: every statement with its nominator), the
    nominee (``nominee``: the statements' text, not who wrote them) or a nominator
    (``nominator``: their own statement only) sees it."""
    statements = list(enumerate(nomination["statements"]))
    if view == "nominator":
        statements = [(i, s) for i, s in statements if s["nominator_id"] == viewer]
    out = {"id": nomination["_id"], **{k: nomination.get(k) for k in (
        "cycle_id", "category_id", "nominee_id", "status", "details", "submitted_at", "decided_at")},
        "statements": [_statement_out(i, s, view != "nominee", names if view == "admin" else None)
                       for i, s in statements]}
    if names is not None:
        out["nominee"] = names.get(nomination["nominee_id"])
    if cycle is not None:
        category = rules.category(cycle, nomination["category_id"])
        out["category"] = category["title"] if category else None
        out["decide_by"] = cycle["phases"]["confirmation_until"]
        out |= {"year": cycle["year"], "cycle_title": cycle["title"], "phase": rules.phase_at(cycle, _now())}
    return out


def _ineligibility(cycle: dict, category: dict, nominee_id: str, member: dict | None) -> rules.Ineligible | None:
    """Why the nominee (``member``: their record in the view, read once by the caller) may not
    be nominated in the category, or None."""
    needed = rules.facts_needed(category["eligibility"])
    mentored = ledger_store.count_in_period(_db(), nominee_id, rules.MENTORSHIP_ACCEPTED, cycle["activity_from"],
                                            cycle["activity_to"]) if member and rules.MENTORED in needed else 0
    won = cycles_store.won_years(_db(), nominee_id, category["category_id"]) \
        if rules.NOT_RECENT_WINNER in needed else ()
    return rules.ineligibility(category["eligibility"], rules.Nominee(
        member, readmodel_store.roles_of(member), cycle["year"], mentored, won))


def _ineligible(refusal: rules.Ineligible) -> Problem:
    return Problem(422, f"The nomination is refused by the rule {refusal.rule}: {refusal.explanation}",
                   kind="awards-ineligible", errors={"nominee_id": [str(refusal)]}, rule=refusal.rule)


def _nominate(cycle: dict, category: dict, nominee_id: str, nominator_id: str, statement: str,
              member: dict | None):
    return cycles_store.nominate(_store(), cycle, category, nominee_id, nominator_id, statement, _now(),
                                 readmodel_store.party(nominee_id, member))


@blp.route("/cycles/<cycle_id>/categories/<category_id>/nominations")
class Nominations(MethodView):
    @require_auth()
    @idempotent
    @blp.arguments(NominateInSchema)
    @blp.response(201, NominationOutSchema)
    @blp.alt_response(200, schema=NominationOutSchema, description="The person was nominated already: the "
                                                                   "statement was added (`merged`).")
    def post(self, body: dict, cycle_id: str, category_id: str):
        """Nominate a member in a category, with a statement (verified members, while
        nominations run). One nomination per person and category: a second nominator's
        statement is added to it (200, `merged`); the nominee is asked to confirm the first
        time (`awards.nomination.submitted`). An ineligible nominee is refused naming the rule
        (422, `rule`); self-nomination only where the category allows it."""
        _verified(g.principal)
        cycle = _cycle(cycle_id)
        category = _category(cycle, category_id)
        _in_phase(cycle, rules.NOMINATIONS)
        nominee = readmodel_store.member(_db(), body["nominee_id"])
        refusal = rules.self_nomination_refusal(category, g.principal.subject, body["nominee_id"]) \
            or _ineligibility(cycle, category, body["nominee_id"], nominee)
        if refusal:
            raise _ineligible(refusal)
        # The stored reply names the nominee: an erasure of them purges it.
        idempotency.about(body["nominee_id"])
        try:
            nomination, created = _nominate(cycle, category, body["nominee_id"], g.principal.subject,
                                            body["statement"], nominee)
        except cycles_store.Erased:
            raise _erased() from None
        out = {**_nomination_out(nomination, "nominator", g.principal.subject, cycle), "merged": not created}
        return out, 201 if created else 200


def _nomination(nomination_id: str) -> dict:
    try:
        return cycles_store.get_nomination(_db(), nomination_id)
    except cycles_store.NotFound:
        raise _not_found("nomination") from None


def _decision_doc(view):
    return blp.doc(security=[{"bearerAuth": []}, {}], parameters=[{
        "in": "header", "name": TOKEN, "required": False, "schema": {"type": "string", "maxLength": 1000},
        "description": "the email's one-click token, instead of a login: for its nominee and nomination "
                       "(and, to decide, its decision), until the cycle's confirmation_until"}])(view)


@blp.route("/nominations/<nomination_id>")
class Nomination(MethodView):
    @_decision_doc
    @blp.response(200, NominationOutSchema)
    def get(self, nomination_id: str):
        """A nomination: its nominee sees it with the statements (not who wrote them), signed
        in or with the email link's token (either decision's, until it expires: the page of the
        link shows what is decided before the button); admins see every statement with its
        nominator."""
        token = request.headers.get(TOKEN)
        if token is not None:
            nomination = _by_link(nomination_id, token)
            return _nomination_out(nomination, "nominee", cycle=_cycle_of(nomination),
                                   names=_names([nomination["nominee_id"]]))
        principal = _signed_in()
        nomination = _nomination(nomination_id)
        admin = principal.is_admin
        if not admin and principal.subject != nomination["nominee_id"]:
            raise Problem(403, "Only the nominee and the office see a nomination.", kind="forbidden")
        ids = [nomination["nominee_id"], *(s["nominator_id"] for s in nomination["statements"])]
        return _nomination_out(nomination, "admin" if admin else "nominee", cycle=_cycle_of(nomination),
                               names=_names(ids) if admin else _names([nomination["nominee_id"]]))


def _cycle_of(nomination: dict) -> dict | None:
    try:
        return cycles_store.get_cycle(_db(), nomination["cycle_id"])
    except cycles_store.NotFound:
        return None


def _bad_link(status: int, reason: str) -> Problem:
    return Problem(status, "The nomination link is not valid: " + reason, kind="invalid-nomination-link",
                   errors={TOKEN: [reason]})


def _signed_in() -> Principal:
    principal = optional_principal()
    if principal is None:
        raise Problem(401, f"A bearer access token or the link's {TOKEN} header is required.",
                      kind="unauthenticated", headers={"WWW-Authenticate": 'Bearer realm="alumnet"'})
    return principal


def _by_link(nomination_id: str, token: str, decision: str | None = None) -> dict:
    """The nomination the link's token is for: signed with the service's key, for this
    nomination and its nominee (and ``decision``, when deciding), not expired (bad 403, expired
    410)."""
    try:
        link = NOMINATION_DECISION.read_token(current_service().config.link_signing_key, token)
    except (BadDecisionLink, ValueError):
        raise _bad_link(403, "Altered, or signed with another key.") from None
    if link.object_id != nomination_id or (decision is not None and link.decision != decision):
        raise _bad_link(403, "It was made for another nomination or decision.")
    nomination = _nomination(nomination_id)
    if link.person_id != nomination["nominee_id"]:
        raise _bad_link(403, "It was made for someone else.")
    if link.expired(_now()):
        raise Problem(410, "The link expired: the time to decide on this nomination is over.",
                      kind="nomination-link-expired", status_now=nomination["status"])
    return nomination


def _decider(nomination_id: str, decision: str) -> dict:
    """The nomination the caller may decide: by the link's token (header ``X-Nomination-Token``)
    or as the nominee signed in."""
    token = request.headers.get(TOKEN)
    if token is not None:
        return _by_link(nomination_id, token, decision)
    principal = _signed_in()
    nomination = _nomination(nomination_id)
    if principal.subject != nomination["nominee_id"]:
        raise Problem(403, "Only the nominee decides on a nomination.", kind="forbidden")
    return nomination


def _decide(nomination_id: str, decision: str, details: str | None) -> dict:
    nomination = _decider(nomination_id, decision)
    cycle = _cycle_of(nomination)
    if cycle is None:
        raise _not_found("nomination")
    if nomination["status"] != cycles_store.DECISIONS[decision]:
        _in_phase(cycle, *rules.DECIDING)
    try:
        decided, already = cycles_store.decide(_store(), nomination, decision, details, _now())
    except cycles_store.Changed:
        current = cycles_store.get_nomination(_db(), nomination["_id"])
        raise _conflict("already-decided", f"The nomination was {current['status']} already.",
                        status_now=current["status"]) from None
    return {**_nomination_out(decided, "nominee", cycle=cycle), "already": already}


@blp.route("/nominations/<nomination_id>/confirm")
class ConfirmNomination(MethodView):
    @_decision_doc
    @blp.arguments(NominationDecisionInSchema)
    @blp.response(200, NominationOutSchema)
    def post(self, body: dict, nomination_id: str):
        """Confirm a nomination, with details for the judges (the nominee; or the email link's
        token). Only confirmed nominations reach the judges. Publishes
        `awards.nomination.confirmed`; a second confirmation answers the first (`already`)."""
        return _decide(nomination_id, "confirm", body["details"])


@blp.route("/nominations/<nomination_id>/decline")
class DeclineNomination(MethodView):
    @_decision_doc
    @blp.arguments(NominationDecisionInSchema)
    @blp.response(200, NominationOutSchema)
    def post(self, body: dict, nomination_id: str):
        """Decline a nomination (the nominee; or the email link's token). Publishes
        `awards.nomination.declined`; a second decline answers the first (`already`)."""
        return _decide(nomination_id, "decline", None)


@blp.route("/me/nominations")
class MyNominations(MethodView):
    @require_auth()
    @blp.response(200, MyNominationsSchema)
    def get(self):
        """The caller's nominations: of them (with the statements' text) and by them (their
        own statement, and the nominee's name)."""
        me = g.principal.subject
        of_me, by_me = cycles_store.nominations_of(_db(), me), cycles_store.nominations_by(_db(), me)
        cycles = {n["cycle_id"]: _cycle_of(n) for n in [*of_me, *by_me]}
        names = _names({n["nominee_id"] for n in by_me} | {me})
        return {"of_me": [_nomination_out(n, "nominee", me, cycles[n["cycle_id"]], names) for n in of_me],
                "by_me": [_nomination_out(n, "nominator", me, cycles[n["cycle_id"]], names) for n in by_me]}


@blp.route("/cycles/<cycle_id>/nominations")
class CycleNominations(MethodView):
    @require_auth("admin")
    @blp.arguments(CycleNominationsQuerySchema, location="query")
    @blp.response(200, CycleNominationsSchema)
    def get(self, query: dict, cycle_id: str):
        """Every nomination of a cycle with names and statements (admins), by category."""
        cycle = _cycle(cycle_id)
        found = cycles_store.cycle_nominations(_db(), cycle_id, query.get("category_id"), query.get("status"))
        names = _names({m for n in found for m in [n["nominee_id"], *(s["nominator_id"] for s in n["statements"])]})
        return {"items": [_nomination_out(n, "admin", cycle=cycle, names=names) for n in found]}


@blp.route("/nominations/<nomination_id>/statements/<int:index>")
class Statement(MethodView):
    @require_auth("admin")
    @blp.arguments(RedactionInSchema)
    @blp.response(200, NominationOutSchema)
    def patch(self, body: dict, nomination_id: str, index: int):
        """Redact a statement before judging (admins): its text is replaced (judges read
        statements as written), the redaction recorded (`redacted`: by, at)."""
        nomination = _nomination(nomination_id)
        if index >= len(nomination["statements"]):
            raise _not_found("statement")
        cycle = _cycle_of(nomination)
        _in_phase(cycle, *rules.DECIDING)
        try:
            redacted = cycles_store.redact(_store(), nomination, index, body["statement"], g.principal.subject,
                                           _now())
        except cycles_store.Changed:
            raise _conflict("changed", "The statements changed meanwhile: read the nomination again.") from None
        ids = [redacted["nominee_id"], *(s["nominator_id"] for s in redacted["statements"])]
        return _nomination_out(redacted, "admin", cycle=cycle, names=_names(ids))


@blp.route("/cycles/<cycle_id>/categories/<category_id>/shortlist")
class Shortlist(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(ShortlistInSchema)
    @blp.response(200, ShortlistOutSchema)
    def post(self, body: dict, cycle_id: str, category_id: str):
        """Nominate the top N of the category's standings who are eligible (admins, while
        nominations run): by the office, each still needing the nominee's confirmation; those
        a rule refuses are listed with the rule."""
        cycle = _cycle(cycle_id)
        category = _category(cycle, category_id)
        _in_phase(cycle, rules.NOMINATIONS)
        nominated, skipped = [], []
        for standing in ledger_store.top(_db(), cycle_id, category["standings_category"], body["top"]):
            member_id = standing["member_id"]
            member = readmodel_store.member(_db(), member_id)
            refusal = _ineligibility(cycle, category, member_id, member)
            if refusal:
                skipped.append({"member_id": member_id, "rule": refusal.rule, "explanation": refusal.explanation})
                continue
            idempotency.about(member_id)
            statement = OFFICE_STATEMENT.format(points=standing["points"], category=category["standings_category"])
            nomination, _ = _nominate(cycle, category, member_id, rules.OFFICE, statement, member)
            nominated.append(_nomination_out(nomination, "nominator", rules.OFFICE, cycle))
        return {"nominated": nominated, "skipped": skipped}


# --------------------------------------------------------------------------- judging

def _judged_cycle(cycle_id: str, *phases: str) -> dict:
    cycle = _cycle(cycle_id)
    if g.principal.subject not in cycle["judges"]:
        raise Problem(403, "You are not a judge of this cycle.", kind="forbidden")
    _in_phase(cycle, *phases)
    return cycle


def _ballot(cycle: dict, nomination: dict, judge_id: str, score: dict | None) -> dict:
    """A nomination as a judge sees it: blind (``judging`` module docstring)."""
    return {"ballot_id": judging.ballot_id(cycle["ballot_salt"], judge_id, nomination["_id"]),
            "statements": [s["statement"] for s in nomination["statements"]], "details": nomination.get("details"),
            "my_scores": (score or {}).get("scores"), "my_weighted": (score or {}).get("weighted"),
            "conflict": bool((score or {}).get("conflict")) or judging.conflict(nomination, judge_id) is not None}


def _confirmed(cycle: dict) -> list[dict]:
    return cycles_store.cycle_nominations(_db(), cycle["_id"], status=cycles_store.CONFIRMED)


def _by_ballot(cycle: dict, ballot_id: str) -> dict:
    judge_id = g.principal.subject
    for nomination in _confirmed(cycle):
        if judging.ballot_id(cycle["ballot_salt"], judge_id, nomination["_id"]) == ballot_id:
            return nomination
    raise _not_found("ballot")


def _my_score(nomination: dict) -> dict | None:
    return _db()[cycles_store.SCORES].find_one({"nomination_id": nomination["_id"], "judge_id": g.principal.subject})


@blp.route("/cycles/<cycle_id>/judging")
class Judging(MethodView):
    @require_auth("judge")
    @blp.response(200, JudgingSchema)
    def get(self, cycle_id: str):
        """The confirmed nominations as blind ballots, per category, with the rubric (the
        cycle's judges, from judging on): no name, id, photo, contact or nominator; the
        statements as written (the office redacts before judging)."""
        cycle = _judged_cycle(cycle_id, *rules.SCORED)
        judge_id = g.principal.subject
        mine = {s["nomination_id"]: s for s in cycles_store.scores_of_cycle(_db(), cycle_id)
                if s["judge_id"] == judge_id}
        nominations = _confirmed(cycle)
        categories = []
        for category in cycle["categories"]:
            weights = judging.normalised_weights(category["rubric"])
            ballots = [_ballot(cycle, n, judge_id, mine.get(n["_id"])) for n in nominations
                       if n["category_id"] == category["category_id"]]
            categories.append({"category_id": category["category_id"], "title": category["title"],
                               "rubric": [{**c, "weight": weights[c["key"]]} for c in category["rubric"]],
                               "ballots": sorted(ballots, key=lambda b: b["ballot_id"])})
        return {"cycle_id": cycle_id, "phase": rules.phase_at(cycle, _now()),
                "judging_until": cycle["phases"]["judging_until"], "categories": categories}


@blp.route("/cycles/<cycle_id>/judging/<ballot_id>")
class Ballot(MethodView):
    @require_auth("judge")
    @blp.arguments(ScoreInSchema)
    @blp.response(200, BallotSchema)
    def put(self, body: dict, cycle_id: str, ballot_id: str):
        """Score a ballot, every criterion 0 to 10 (the cycle's judges, while judging runs); a
        new score replaces the judge's earlier one. A judge who nominated the person, or
        declared a conflict, is refused (409 `conflict_of_interest`)."""
        cycle = _judged_cycle(cycle_id, rules.JUDGING)
        nomination = _by_ballot(cycle, ballot_id)
        category = _category(cycle, nomination["category_id"])
        reason = judging.conflict(nomination, g.principal.subject)
        if reason is None and (_my_score(nomination) or {}).get("conflict"):
            reason = "You declared a conflict of interest for this ballot."
        if reason:
            raise _conflict(judging.CONFLICT, reason, reason=judging.CONFLICT)
        errors = judging.score_errors(category["rubric"], body["scores"])
        if errors:
            raise Problem(422, "The scores do not fit the rubric.", kind="validation", errors={"scores": errors})
        weighted = judging.weighted_score(category["rubric"], body["scores"])
        try:
            score = cycles_store.save_score(_store(), nomination, g.principal.subject, body["scores"], weighted, None,
                                            _now())
        except cycles_store.Changed:
            raise _conflict(judging.CONFLICT, "You declared a conflict of interest for this ballot.",
                            reason=judging.CONFLICT) from None
        except cycles_store.Erased:
            raise _erased() from None
        return _ballot(cycle, nomination, g.principal.subject, score)


@blp.route("/cycles/<cycle_id>/judging/<ballot_id>/conflict")
class BallotConflict(MethodView):
    @require_auth("judge")
    @blp.arguments(ConflictInSchema)
    @blp.response(200, BallotSchema)
    def post(self, body: dict, cycle_id: str, ballot_id: str):
        """Declare a conflict of interest (the cycle's judges, while judging runs): the judge's
        score of this ballot, if any, is withdrawn and no score is taken."""
        cycle = _judged_cycle(cycle_id, rules.JUDGING)
        nomination = _by_ballot(cycle, ballot_id)
        try:
            score = cycles_store.save_score(_store(), nomination, g.principal.subject, None, None, body["reason"],
                                            _now())
        except cycles_store.Erased:
            raise _erased() from None
        return _ballot(cycle, nomination, g.principal.subject, score)


# --------------------------------------------------------------------------- results and winners

def _results(cycle: dict) -> dict:
    nominations = _confirmed(cycle)
    scores = cycles_store.scores_of_cycle(_db(), cycle["_id"])
    names = _names([n["nominee_id"] for n in nominations])
    categories = []
    for category in cycle["categories"]:
        entries, by_id = [], {}
        for nomination in (n for n in nominations if n["category_id"] == category["category_id"]):
            theirs = [s for s in scores if s["nomination_id"] == nomination["_id"]]
            scored = sorted((s for s in theirs if not s.get("conflict")), key=lambda s: s["judge_id"])
            points = ledger_store.points_of(_db(), cycle["_id"], nomination["nominee_id"]).get(
                category["standings_category"], 0.0)
            entry = results.entry_of(nomination, [s["weighted"] for s in scored], points)
            entries.append(entry)
            by_id[nomination["_id"]] = (nomination, scored, len(theirs) - len(scored))
        nominees = []
        for rank, entry, found in results.ranked(entries):
            nomination, scored, conflicts = by_id[entry.nomination_id]
            figures = found.as_dict() if found else {"judges": 0, **dict.fromkeys(
                ("mean", "median", "std_dev", "min", "max"))}
            nominees.append({"nomination_id": entry.nomination_id, "nominee": names[nomination["nominee_id"]],
                             "rank": rank, **figures, "conflicts": conflicts,
                             "scores": [{"judge_id": None if s["judge_id"].startswith("erased:") else s["judge_id"],
                                         "weighted": round(s["weighted"], 3)} for s in scored],
                             "standings_points": entry.standings_points, "confirmed_at": entry.confirmed_at})
        categories.append({**{k: category[k] for k in ("category_id", "title", "standings_category", "max_winners")},
                           "decision": (cycle.get("decisions") or {}).get(category["category_id"]),
                           "nominees": nominees})
    return {"cycle_id": cycle["_id"], "phase": rules.phase_at(cycle, _now()), "tie_break": results.TIE_BREAK,
            "categories": categories}


@blp.route("/cycles/<cycle_id>/results")
class Results(MethodView):
    @require_auth("admin")
    @blp.response(200, ResultsSchema)
    def get(self, cycle_id: str):
        """Per category, the confirmed nominees ranked: each judge's weighted score, their mean,
        median and spread (population standard deviation, min-max), the number of judges; ties
        broken by the documented rule (`tie_break`). Admins, from judging on."""
        cycle = _cycle(cycle_id)
        _in_phase(cycle, *rules.SCORED)
        return _results(cycle)


@blp.route("/cycles/<cycle_id>/categories/<category_id>/winners")
class CategoryWinners(MethodView):
    @require_auth("admin")
    @blp.arguments(WinnersInSchema)
    @blp.response(200, CycleOutSchema)
    def post(self, body: dict, cycle_id: str, category_id: str):
        """Choose a category's winners among its confirmed nominations, with citations, or
        decide not to award it, with a reason (admins, in the results phase; a new decision
        replaces the last until the announcement)."""
        cycle = _cycle(cycle_id)
        category = _category(cycle, category_id)
        _in_phase(cycle, rules.RESULTS)
        chosen = body.get("nomination_ids") or []
        confirmed = {n["_id"] for n in _confirmed(cycle) if n["category_id"] == category_id}
        errors = {str(i): ["Not a confirmed nomination of this category."] for i, n in enumerate(chosen)
                  if n not in confirmed}
        if len(set(chosen)) > category["max_winners"]:
            errors["_schema"] = [f"At most {category['max_winners']} winners in this category."]
        stray = [k for k in body["citations"] if k not in chosen]
        if errors or stray:
            raise Problem(422, "The winners are not valid.", kind="validation",
                          errors={**({"nomination_ids": errors} if errors else {}),
                                  **({"citations": {k: ["Not one of the winners."] for k in stray}} if stray else {})})
        decision = {"nomination_ids": list(dict.fromkeys(chosen)), "no_award": body["no_award"],
                    "reason": body.get("reason"), "citations": body["citations"]}
        try:
            return _cycle_out(cycles_store.decide_category(_store(), cycle, category_id, decision, _now()), True)
        except cycles_store.Changed:
            raise _conflict("changed", "The cycle changed meanwhile: read it again.") from None


@blp.route("/cycles/<cycle_id>/announce")
class Announce(MethodView):
    @require_auth("admin")
    @blp.response(200, CycleOutSchema)
    def post(self, cycle_id: str):
        """Announce the winners (admins, in the results phase, every category decided): one
        `awards.winner.announced` per winner (their congratulation, and the audience's
        announcement); the cycle is `announced`."""
        cycle = _cycle(cycle_id)
        _in_phase(cycle, rules.RESULTS)
        decisions = cycle.get("decisions") or {}
        undecided = [c["category_id"] for c in cycle["categories"] if c["category_id"] not in decisions]
        if undecided:
            raise _conflict("not-decided", "Choose the winners (or no award) of every category first.",
                            undecided=undecided)
        winners = []
        for category in cycle["categories"]:
            decision = decisions[category["category_id"]]
            for nomination_id in decision["nomination_ids"]:
                try:
                    nomination = cycles_store.get_nomination(_db(), nomination_id)
                except cycles_store.NotFound:
                    continue   # the winner was erased: the category keeps no one
                member = readmodel_store.member(_db(), nomination["nominee_id"])
                winners.append({"nomination": nomination, "category": category,
                                "party": readmodel_store.party(nomination["nominee_id"], member),
                                "citation": decision["citations"].get(nomination_id)})
        try:
            return _cycle_out(cycles_store.announce(_store(), cycle, winners, _now()), True)
        except cycles_store.Changed:
            raise _conflict("changed", "The cycle changed meanwhile: read it again.") from None


@blp.route("/cycles/<cycle_id>/winners")
class Winners(MethodView):
    @require_auth()
    @blp.response(200, WinnersSchema)
    def get(self, cycle_id: str):
        """The announced winners per category (verified members, once announced)."""
        _verified(g.principal)
        cycle = _cycle(cycle_id)
        if cycle["status"] != rules.ANNOUNCED:
            raise _not_found("announcement")
        recorded = cycles_store.winners_of_cycle(_db(), cycle_id)
        names = _names([w["member_id"] for w in recorded if w["member_id"]])
        categories = []
        for category in cycle["categories"]:
            theirs = [w for w in recorded if w["category_id"] == category["category_id"]]
            categories.append({
                "category_id": category["category_id"], "title": category["title"],
                "no_award": bool((cycle["decisions"].get(category["category_id"]) or {}).get("no_award")),
                "winners": [{**(names.get(w["member_id"]) or {"member_id": None}), "citation": w.get("citation")}
                            for w in theirs]})
        return {"cycle_id": cycle_id, "year": cycle["year"], "title": cycle["title"],
                "announced_at": cycle.get("announced_at"), "categories": categories}
