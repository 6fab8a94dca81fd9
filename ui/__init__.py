"""The Qt face of ВПР-Координатор. Imports `coordinator_app`; never the reverse."""
