"""Helpline Console: the operator's tool for the 0800 breach helpline."""

__version__ = "0.1.0"
APP_ID = "nz.helpline.Console"
