"""Alumnet's services; each folder is one service and imports no other."""
