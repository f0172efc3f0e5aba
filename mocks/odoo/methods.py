"""The ORM methods every model answers over RPC, with Odoo 19's signatures.

``search``, ``search_read``, ``read``, ``create``, ``write``, ``unlink``,
``search_count``, ``fields_get``, ``name_search``, ``read_group`` (in
``mocks.odoo.grouping``), ``default_get`` and ``check_access_rights``.
Model-specific rules hook in through ``PREPARE`` (values before a create),
``ON_CREATE``/``ON_WRITE`` (after), ``ON_UNLINK``/``AFTER_UNLINK`` and the
action methods through ``ACTIONS``; ``stock``, ``picking``, ``mrp`` and
``shopfloor`` fill them.  ``MODEL_METHODS`` are ``@api.model`` methods (no
record ids); the others take the record ids as their first argument.

Translated fields (``Field.translate``) keep one value per installed
language: a read or a domain in ``context['lang']`` sees that language's value
(falling back to en_US); a write in another language than en_US changes that
language only.  Known gap: ``display_name`` and many2one labels stay en_US.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mocks.odoo.domain import compare, matcher, parse_order, sort_rows
from mocks.odoo.errors import value_error
from mocks.odoo.fields import MODELS
from mocks.odoo.orm import TRANSLATIONS, Database, Env, Row, as_ids

Hook = Callable[[Database, Env, int, Row], None]
Action = Callable[..., Any]
ON_CREATE: dict[str, Hook] = {}
ON_WRITE: dict[str, Hook] = {}
PREPARE: dict[str, Callable[[Database, Env, Row], Row]] = {}
INHERIT: dict[tuple[str, str], tuple[str, ...]] = {
    ("stock.picking", "move_ids"): ("location_id", "location_dest_id", "company_id"),
}
ON_UNLINK: dict[str, Callable[[Database, Env, Row], None]] = {}
AFTER_UNLINK: dict[str, Callable[[Database, Env, Row], None]] = {}
ACTIONS: dict[tuple[str, str], Action] = {}

READ_METHODS = {
    "search", "search_read", "read", "search_count", "fields_get", "name_search",
    "read_group", "default_get", "check_access_rights", "context_get",
}
MODEL_METHODS = {
    "search", "search_read", "search_count", "create", "fields_get", "name_search",
    "read_group", "default_get", "check_access_rights", "context_get",
}


def resolve(db: Database, model: str, row: Row, path: str, lang: str = "en_US"
            ) -> Any:
    """The value of ``path`` on ``row``, following relational fields."""
    head, _, rest = path.partition(".")
    spec = MODELS[model]
    if head == "id":
        return row["id"]
    definition = spec.fields.get(head)
    if definition is None:
        raise value_error(f"Invalid field {model}.{head} in leaf {path!r}")
    value = field_value(db, model, row, head, lang)
    if not rest:
        return value
    relation = definition.relation
    if not relation:
        raise value_error(f"Invalid field path {path!r} on {model}")
    targets = value if isinstance(value, list) else ([value] if value else [])
    found: list[Any] = []
    for target in targets:
        item = db.tables[relation].get(target)
        if item is not None:
            result = resolve(db, relation, item, rest, lang)
            found.extend(result if isinstance(result, list) else [result])
    if definition.type == "many2one":
        return found[0] if found else False
    return found


def field_value(db: Database, model: str, row: Row, name: str,
                lang: str = "en_US") -> Any:
    """A stored value in ``lang``, or the computed one (one2many,
    display_name)."""
    definition = MODELS[model].fields[name]
    if name == "display_name":
        return db.display_name(model, row["id"])
    if definition.type == "one2many":
        return sorted(
            other["id"] for other in db.tables[definition.relation].values()
            if other.get(definition.inverse) == row["id"]
        )
    if definition.translate and lang != "en_US":
        translated = row.get(TRANSLATIONS, {}).get(name, {}).get(lang)
        if translated is not None:
            return translated
    return row.get(name, False)


def select(db: Database, env: Env, model: str, domain: Any, offset: Any = 0,
           limit: Any = None, order: Any = None) -> list[Row]:
    """The visible rows matching ``domain``, ordered and sliced."""
    spec = db.spec(model)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0 or (
            limit not in (None, False) and (not isinstance(limit, int)
                                            or isinstance(limit, bool))):
        raise value_error(f"Invalid offset {offset!r} or limit {limit!r}")
    lang = env.lang
    accept = matcher(model, domain, lambda m, r, p: resolve(db, m, r, p, lang))
    keys = parse_order(order or spec.order, set(spec.fields) | {"id"}, model)
    rows = [row for row in db.rows(model) if db.visible(env, model, row)]
    if not _mentions_active(domain):
        rows = [row for row in rows if row.get("active", True) is not False]
    rows = sort_rows([row for row in rows if accept(row)], keys)
    rows = rows[offset:]
    return rows[:limit] if limit else rows


def _mentions_active(domain: Any) -> bool:
    return isinstance(domain, list) and any(
        isinstance(leaf, list | tuple) and leaf and leaf[0] == "active"
        for leaf in domain
    )


def search(db: Database, env: Env, model: str, domain: Any, offset: Any = 0,
           limit: Any = None, order: Any = None) -> list[int]:
    return [row["id"] for row in select(db, env, model, domain, offset, limit, order)]


def search_count(db: Database, env: Env, model: str, domain: Any,
                 limit: Any = None) -> int:
    return len(select(db, env, model, domain, 0, limit))


def read(db: Database, env: Env, model: str, ids: Any, fields: Any = None,
         load: Any = "_classic_read") -> list[Row]:
    rows = db.browse(env, model, ids)
    names = _field_names(model, fields)
    return [render(db, env, model, row, names, load) for row in rows]


def _field_names(model: str, fields: Any) -> list[str]:
    spec = MODELS[model]
    if not fields:
        return list(spec.fields)
    if not isinstance(fields, list | tuple):
        raise value_error(f"Invalid fields {fields!r}: expected a list of names")
    for name in fields:
        if name != "id" and name not in spec.fields:
            raise value_error(f"Invalid field {name!r} on model {model!r}")
    return [name for name in fields if name != "id"]


def render(db: Database, env: Env, model: str, row: Row, names: list[str],
           load: Any = "_classic_read") -> Row:
    """One record as ``read`` returns it (many2one as ``[id, name]``)."""
    spec = MODELS[model]
    out: Row = {"id": row["id"]}
    for name in names:
        value = field_value(db, model, row, name, env.lang)
        definition = spec.fields[name]
        if definition.type == "many2one" and value and load == "_classic_read":
            value = [value, db.display_name(definition.relation, value)]
        out[name] = value
    return out


def search_read(db: Database, env: Env, model: str, domain: Any = None,
                fields: Any = None, offset: Any = 0, limit: Any = None,
                order: Any = None, load: Any = "_classic_read") -> list[Row]:
    names = _field_names(model, fields)
    rows = select(db, env, model, domain, offset, limit, order)
    return [render(db, env, model, row, names, load) for row in rows]


def create(db: Database, env: Env, model: str, vals_list: Any) -> Any:
    single = isinstance(vals_list, dict)
    if not single and not isinstance(vals_list, list):
        raise value_error(f"Invalid values {vals_list!r} for {model}.create")
    ids = [create_one(db, env, model, vals) for vals in
           ([vals_list] if single else vals_list)]
    return ids[0] if single else ids


def create_one(db: Database, env: Env, model: str, vals: Any) -> int:
    """Create one record: defaults, relations, the model's rules, access."""
    spec = db.spec(model)
    prepare = PREPARE.get(model)
    if prepare and isinstance(vals, dict):
        vals = prepare(db, env, vals)
    values = db.clean(env, model, vals, creating=True)
    if spec.has_company and spec.company_default and not values.get(
            spec.company_field):
        values[spec.company_field] = env.company_id
    plain, relational = _split(model, values)
    record_id = db.insert(model, plain, env.uid)
    if env.lang != "en_US":
        _translate(db, env, model, record_id, plain, creating=True)
    db.check_rules(env, model, record_id, "create")
    _apply_relations(db, env, model, record_id, relational)
    hook = ON_CREATE.get(model)
    if hook:
        hook(db, env, record_id, values)
    return record_id


def _split(model: str, values: Row) -> tuple[Row, Row]:
    spec = MODELS[model]
    relational = {k: v for k, v in values.items()
                  if spec.fields[k].type in ("one2many", "many2many")}
    plain = {k: v for k, v in values.items() if k not in relational}
    return plain, relational


def _translate(db: Database, env: Env, model: str, record_id: int, plain: Row,
               creating: bool) -> Row:
    """Store translated values in ``env.lang``; return what changes en_US."""
    spec = MODELS[model]
    row = db.row(model, record_id)
    translations = {name: dict(langs)
                    for name, langs in row.get(TRANSLATIONS, {}).items()}
    for_source = dict(plain)
    for name, value in plain.items():
        if spec.fields[name].translate:
            translations.setdefault(name, {})[env.lang] = value
            if not creating and row.get(name):
                for_source.pop(name)
    db.update(model, record_id, {TRANSLATIONS: translations}, env.uid)
    return for_source


def _apply_relations(db: Database, env: Env, model: str, record_id: int,
                     relational: Row) -> None:
    spec = MODELS[model]
    for name, commands in relational.items():
        definition = spec.fields[name]
        current = field_value(db, model, db.row(model, record_id), name)
        ids, to_create, to_write, to_delete = db.relation_commands(
            env, model, name, current, commands
        )
        if definition.type == "many2many":
            db.update(model, record_id, {name: ids}, env.uid)
            continue
        row = db.row(model, record_id)
        inherited = {key: row[key] for key in INHERIT.get((model, name), ())}
        for values in to_create:
            create_one(db, env, definition.relation,
                       {**inherited, **values, definition.inverse: record_id})
        for child, values in to_write:
            write(db, env, definition.relation, [child], values)
        for child in to_delete:
            unlink(db, env, definition.relation, [child])
        for child in ids:
            if db.row(definition.relation, child).get(definition.inverse) != record_id:
                db.update(definition.relation, child,
                          {definition.inverse: record_id}, env.uid)


def write(db: Database, env: Env, model: str, ids: Any, vals: Any) -> bool:
    rows = db.browse(env, model, ids, "write")
    values = db.clean(env, model, vals, creating=False)
    plain, relational = _split(model, values)
    for row in rows:
        changes = plain
        if env.lang != "en_US":
            changes = _translate(db, env, model, row["id"], plain, creating=False)
        db.update(model, row["id"], changes, env.uid)
        db.check_rules(env, model, row["id"], "write")
        _apply_relations(db, env, model, row["id"], relational)
        hook = ON_WRITE.get(model)
        if hook:
            hook(db, env, row["id"], values)
    return True


def unlink(db: Database, env: Env, model: str, ids: Any) -> bool:
    for row in db.browse(env, model, ids, "unlink"):
        if row["id"] not in db.tables[model]:
            continue
        hook = ON_UNLINK.get(model)
        if hook:
            hook(db, env, row)
        db.delete(model, row["id"])
        after = AFTER_UNLINK.get(model)
        if after:
            after(db, env, row)
    return True


def fields_get(db: Database, env: Env, model: str, allfields: Any = None,
               attributes: Any = None) -> dict[str, Any]:
    spec = MODELS[model]
    if allfields and not isinstance(allfields, list | tuple):
        raise value_error(f"Invalid allfields {allfields!r}: expected a list")
    if attributes and not isinstance(attributes, list | tuple):
        raise value_error(f"Invalid attributes {attributes!r}: expected a list")
    names = list(allfields) if allfields else list(spec.fields)
    out = {}
    for name in names:
        if isinstance(name, str) and name in spec.fields:
            info = spec.fields[name].describe(name)
            if attributes:
                info = {k: v for k, v in info.items() if k in attributes}
            out[name] = info
    return out


def name_search(db: Database, env: Env, model: str, name: Any = "",
                domain: Any = None, operator: Any = "ilike",
                limit: Any = 100) -> list[list[Any]]:
    if not isinstance(name, str) or not isinstance(operator, str):
        raise value_error(f"Invalid name {name!r} or operator {operator!r}")
    found = []
    for row in select(db, env, model, domain or [], 0, None):
        label = db.display_name(model, row["id"])
        if not name or compare(label, operator.lower(), name):
            found.append([row["id"], label])
    return found[:limit] if limit else found


def default_get(db: Database, env: Env, model: str, fields: Any) -> Row:
    spec = MODELS[model]
    names = _field_names(model, fields)
    out: Row = {}
    for name in names:
        definition = spec.fields[name]
        if definition.default is not None:
            out[name] = definition.default
    if spec.has_company and spec.company_default and spec.company_field in names:
        out[spec.company_field] = env.company_id
    return out


def check_access_rights(db: Database, env: Env, model: str, operation: Any = "read",
                        raise_exception: Any = True) -> bool:
    if operation not in ("read", "write", "create", "unlink"):
        raise value_error(f"Invalid access mode {operation!r}")
    return True


def ids_of(ids: Any) -> list[int]:
    return as_ids(ids)


GENERIC: dict[str, Action] = {
    "search": search,
    "search_count": search_count,
    "read": read,
    "search_read": search_read,
    "create": create,
    "write": write,
    "unlink": unlink,
    "fields_get": fields_get,
    "name_search": name_search,
    "default_get": default_get,
    "check_access_rights": check_access_rights,
}
