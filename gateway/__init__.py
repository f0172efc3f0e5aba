"""The reference integration gateway: the system under test, in the box."""
