"""The plant twin: a SimPy model of shift-based production."""
