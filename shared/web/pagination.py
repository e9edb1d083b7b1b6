"""Page-numbered lists, the same in every service: ``?page=1&per_page=20`` in, and
``{items, page, per_page, total}`` out, with a hard maximum page size."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 100
MAX_PAGE = 10_000


def page_query_schema(*, default: int = 20, maximum: int = MAX_PER_PAGE, name: str = "PageQuery") -> type[Schema]:
    """The query schema of a paginated list (extend it with the list's own filters)."""
    return Schema.from_dict({
        "page": fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE)),
        "per_page": fields.Integer(load_default=default, validate=validate.Range(min=1, max=maximum),
                                   metadata={"description": f"at most {maximum}"}),
    }, name=name)


PageQuerySchema = page_query_schema()


def page_schema(item: type[Schema] | Schema, name: str, description: str | None = None) -> type[Schema]:
    """The response schema of one page of ``item``."""
    items = fields.List(fields.Nested(item), required=True,
                        metadata={"description": description} if description else {})
    return Schema.from_dict({
        "items": items,
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True, metadata={"description": "items on all pages"}),
    }, name=name)


def page(items: list, query: dict, total: int) -> dict:
    return {"items": items, "page": query["page"], "per_page": query["per_page"], "total": total}


def known_total(skip: int, found: int, per_page: int) -> int | None:
    """The total a page's own items tell, or ``None`` if only a count can: a page that is
    not full (and not past the end) is the last one, so the store need not count."""
    if found < per_page and (found or not skip):
        return skip + found
    return None
