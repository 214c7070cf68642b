"""The in-tree scheduler plugins, one module each (see ``kubeling.scheduler.registry``)."""
