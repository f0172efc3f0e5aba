"""Odoo mock: the external API with stock and manufacturing rules."""
