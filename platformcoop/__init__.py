"""PlatformCoop: mutual help and social-economy services for French territories."""

from platformcoop.app import create_app

__all__ = ["create_app"]
