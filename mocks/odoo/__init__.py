"""Odoo mock: the external API with stock and manufacturing rules.

``create_app(master_data)`` builds the ASGI app; ``plantwin serve odoo`` runs
it.  See ``mocks.odoo.server`` for the database, users and API keys.
"""

from mocks.odoo.app import create_app
from mocks.odoo.errors import OdooError, OdooMockError
from mocks.odoo.faults import FaultRule
from mocks.odoo.server import DATABASE, OdooServer

__all__ = ["DATABASE", "FaultRule", "OdooError", "OdooMockError", "OdooServer",
           "create_app"]
