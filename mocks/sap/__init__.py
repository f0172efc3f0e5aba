"""SAP S/4HANA mock: OData V2 services with business rules and faults.

``create_app(master_data)`` returns the FastAPI application;
``plantwin serve sap`` runs it. Default user ``PLANTTWIN`` / ``planttwin``.
"""

from mocks.sap.app import create_app
from mocks.sap.errors import ODataError, SapMockError
from mocks.sap.faults import FaultRule
from mocks.sap.security import DEFAULT_USERS
from mocks.sap.state import SapState

__all__ = ["DEFAULT_USERS", "FaultRule", "ODataError", "SapMockError", "SapState",
           "create_app"]
