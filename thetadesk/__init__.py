"""thetadesk: check RICOH THETA 360° photos and upload them to an image360 server."""

__version__ = "0.1.0"
