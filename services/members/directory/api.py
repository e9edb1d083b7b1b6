"""HTTP route of the members' directory: verified members search each other."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import fields, validate

from services.members.profiles import store as profiles_store
from services.members.profiles.api import viewer_is_verified
from services.members.profiles.schemas import MemberSchema
from shared.auth import require_auth
from shared.memberfilter import MemberFilterSchema
from shared.web import pagination
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("directory", __name__, url_prefix="/api/v1/members/directory",
                description="Search of verified members, honouring what each member shows.")
MAX_PER_PAGE = 50
# Deep pages cost the store a long skip; nobody reads past 200 pages of 50 people.
MAX_OFFSET = 10_000


class DirectoryQuerySchema(MemberFilterSchema, pagination.page_query_schema(maximum=MAX_PER_PAGE)):
    sort = fields.String(load_default="name", validate=validate.OneOf(list(profiles_store.SORTS)),
                         metadata={"description": "name, -name, graduation_year or -graduation_year"})


DirectoryPageSchema = pagination.page_schema(MemberSchema, "DirectoryPage",
                                             "only the fields each member shows to members")


@blp.route("")
class Directory(MethodView):
    @require_auth()
    @blp.arguments(DirectoryQuerySchema, location="query")
    @blp.response(200, DirectoryPageSchema)
    def get(self, query: dict):
        """Search the directory (verified members and admins).

        `q` matches the beginnings of words of names in either alphabet (`иван` and `ivan`
        both find Иванова / Ivanova), employer, specialty and interests; the other parameters
        filter; all must hold. A member is found only by fields they show to members, and the
        answer shows only those. Members who left the directory are never listed.
        """
        if not viewer_is_verified(g.principal):
            raise Problem(403, "The directory is open to verified members; the alumni office will "
                               "verify your account.", kind="forbidden")
        page, per_page, sort = query.pop("page"), query.pop("per_page"), query.pop("sort")
        if (page - 1) * per_page >= MAX_OFFSET:
            raise Problem(422, "That page is too deep: narrow the search.", kind="validation",
                          errors={"page": [f"page x per_page must stay under {MAX_OFFSET}."]})
        items, total = profiles_store.search_directory(current_service().store.db, query, sort, page, per_page)
        return pagination.page([{"id": d.pop("_id"), **d} for d in items], {"page": page, "per_page": per_page},
                               total)
