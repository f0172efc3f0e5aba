"""Protocol-faithful ERP mocks: SAP S/4HANA (OData V2) and Odoo."""
