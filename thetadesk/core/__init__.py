"""Everything that is not UI. Nothing under thetadesk.core may import Qt."""
