"""Jinja2 templates shipped with unitecon, installed as the package `generator.templates`."""
