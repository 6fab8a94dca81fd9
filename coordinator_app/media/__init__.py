"""Removable media: finding the drives a stick can be written to, and writing a folder (or one
file) to one so that nothing that looks complete is left behind unless it read back whole."""
