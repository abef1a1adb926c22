"""Where the console finds its resources: console/core/resources.py (the core
reads guidance from there too), under the name the window and tools use."""

from console.core.resources import RESOURCES_ENV, resource_path, resources_folder

__all__ = ["RESOURCES_ENV", "resource_path", "resources_folder"]
