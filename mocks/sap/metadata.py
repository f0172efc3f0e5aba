"""``$metadata``: the EDMX 1.0 / OData 2.0 document of each service.

Built from the catalogue, so that every entity set, key, property name, type
and length the mock models agrees with SAP's published description.
"""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import quoteattr

from mocks.sap.catalogue import EntitySet, Property, Service, services

_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<edmx:Edmx Version="1.0" '
    'xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
    'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
    'xmlns:sap="http://www.sap.com/Protocols/SAPData">'
    '<edmx:DataServices m:DataServiceVersion="2.0">'
)


def _property(prop: Property, tag: str = "Property") -> str:
    attributes = [f"Name={quoteattr(prop.name)}", f"Type={quoteattr(prop.type)}"]
    if not prop.nullable:
        attributes.append('Nullable="false"')
    if prop.max_length is not None:
        attributes.append(f'MaxLength="{prop.max_length}"')
    if prop.type == "Edm.Decimal":
        attributes.append(f'Precision="{prop.precision or 13}"')
        attributes.append(f'Scale="{prop.scale if prop.scale is not None else 3}"')
    if prop.type == "Edm.DateTime":
        attributes.append('Precision="0"')
    if tag == "Parameter":
        attributes.append('Mode="In"')
    return f"<{tag} {' '.join(attributes)}/>"


def _association(entity: EntitySet, nav: str) -> str:
    return f"assoc_{entity.name}_{nav}"


def _entity_type(service: Service, entity: EntitySet) -> str:
    namespace = service.name
    keys = "".join(f'<PropertyRef Name="{key}"/>' for key in entity.keys)
    properties = "".join(_property(p) for p in entity.properties.values())
    navigations = "".join(
        f'<NavigationProperty Name="{nav.name}" '
        f'Relationship="{namespace}.{_association(entity, nav.name)}" '
        f'FromRole="FromRole_{_association(entity, nav.name)}" '
        f'ToRole="ToRole_{_association(entity, nav.name)}"/>'
        for nav in entity.navigations.values()
    )
    return (
        f'<EntityType Name="{entity.type_name}" sap:content-version="1">'
        f"<Key>{keys}</Key>{properties}{navigations}</EntityType>"
    )


def _associations(service: Service) -> tuple[str, str]:
    types, sets = [], []
    namespace = service.name
    for entity in service.entity_sets.values():
        for nav in entity.navigations.values():
            name = _association(entity, nav.name)
            target = service.entity_sets[nav.target]
            many = "*" if nav.many else "1"
            types.append(
                f'<Association Name="{name}" sap:content-version="1">'
                f'<End Type="{namespace}.{entity.type_name}" Multiplicity="1" '
                f'Role="FromRole_{name}"/>'
                f'<End Type="{namespace}.{target.type_name}" Multiplicity="{many}" '
                f'Role="ToRole_{name}"/></Association>'
            )
            sets.append(
                f'<AssociationSet Name="{name}_set" Association="{namespace}.{name}" '
                f'sap:creatable="false" sap:updatable="false" sap:deletable="false" '
                f'sap:content-version="1">'
                f'<End EntitySet="{entity.name}" Role="FromRole_{name}"/>'
                f'<End EntitySet="{target.name}" Role="ToRole_{name}"/>'
                f"</AssociationSet>"
            )
    return "".join(types), "".join(sets)


def _function_imports(service: Service) -> str:
    by_type = {e.type_name: e.name for e in service.entity_sets.values()}
    parts = []
    for function in service.functions.values():
        returns = f"{service.name}.{function.returns}"
        entity_set = by_type.get(function.returns)
        extra = f' EntitySet="{entity_set}"' if entity_set else ""
        parameters = "".join(_property(p, "Parameter") for p in function.parameters)
        parts.append(
            f'<FunctionImport Name="{function.name}" ReturnType="{returns}"{extra} '
            f'm:HttpMethod="POST">{parameters}</FunctionImport>'
        )
    return "".join(parts)


@cache
def metadata(service_name: str) -> str:
    """The ``$metadata`` document of ``service_name``."""
    service = services()[service_name]
    entity_types = "".join(
        _entity_type(service, entity) for entity in service.entity_sets.values()
    )
    complex_types = "".join(
        f'<ComplexType Name="{name}">{"".join(_property(p) for p in props)}'
        f"</ComplexType>"
        for name, props in service.complex_types.items()
    )
    association_types, association_sets = _associations(service)
    entity_sets = "".join(
        f'<EntitySet Name="{e.name}" EntityType="{service.name}.{e.type_name}" '
        f'sap:content-version="1"/>'
        for e in service.entity_sets.values()
    )
    return (
        f'{_HEAD}<Schema Namespace="{service.name}" xml:lang="en" '
        f'sap:schema-version="1" '
        f'xmlns="http://schemas.microsoft.com/ado/2008/09/edm">'
        f"{entity_types}{complex_types}{association_types}"
        f'<EntityContainer Name="{service.name}_Entities" '
        f'm:IsDefaultEntityContainer="true" sap:supported-formats="atom json xlsx">'
        f"{entity_sets}{association_sets}{_function_imports(service)}"
        f"</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
