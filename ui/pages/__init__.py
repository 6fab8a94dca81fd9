"""The main window's pages, one per step of the coordinator's job."""
