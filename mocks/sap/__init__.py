"""SAP S/4HANA mock: OData V2 services with business rules and faults."""
